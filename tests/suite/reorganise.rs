//! The 1 July 2025 reorganisation applied to the demo: the tree as it is and as it was, what
//! stays on its rows, reach that follows the ground, and the refusals.

use std::sync::Arc;

use serde_json::{Value, json};
use steering_gateway::domain::reorganise::{self, Files, Options, Outcome};
use steering_gateway::seed::{REORG_2025_CSV, UNITS_2025_CSV, apply_2025, effective_2025};

use crate::common::{Backend, TestApp, contract, error_codes, error_field};

crate::tests!(
    the_demo_is_reorganised_keeping_every_row_and_a_second_run_changes_nothing,
    units_answer_as_they_are_and_as_they_were_with_their_lineage,
    open_questions_refuse_the_run_until_decided,
    an_assignment_at_a_closed_unit_reaches_exactly_the_villages_it_held,
    writes_into_a_closed_unit_are_refused_naming_its_successors,
    reorganisations_are_listed_for_administrators_and_leaders_only,
    totals_answer_as_of_a_date_and_for_the_whole_area,
    the_contract_operations_answer_as_written,
    lists_answer_as_of_a_date_under_the_tree_of_that_day,
    the_demo_villages_file_is_what_the_demo_rules_decide,
    the_command_dry_runs_refuses_applies_and_applies_once,
);

/// Applies the demo's reorganisation and, as the command does, tells the running gateway's
/// cache: the tree and every reach changed.
async fn reorganise_2025(app: &TestApp) -> Outcome {
    let outcome = apply_2025(&app.db().conn, None, false, &mut |_| {})
        .await
        .expect("reorganising the demo");
    assert!(
        matches!(outcome, Outcome::Applied { .. }),
        "the demo's decisions leave nothing open: {outcome:?}"
    );
    app.state.cache().invalidate_all().await;
    app.state.cache().accounts_changed().await;
    outcome
}

/// Everything attached to villages, as rows: teams, members, attendance, reports.
async fn attached_digest(app: &TestApp) -> Vec<i64> {
    let mut digest = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM team",
        "SELECT CAST(SUM(id * 7 + unit_id) AS BIGINT) FROM team",
        "SELECT COUNT(*) FROM team_member",
        "SELECT CAST(SUM(id * 7 + team_id) AS BIGINT) FROM team_member",
        "SELECT COUNT(*) FROM attendance",
        "SELECT COUNT(*) FROM result_report",
        "SELECT CAST(SUM(id * 7 + team_id) AS BIGINT) FROM result_report",
        "SELECT COUNT(*) FROM training_session",
        "SELECT COUNT(*) FROM assignment",
    ] {
        digest.push(app.scalar(sql).await);
    }
    digest
}

async fn the_demo_is_reorganised_keeping_every_row_and_a_second_run_changes_nothing(
    b: Arc<Backend>,
) {
    let app = b.fresh_demo().await;
    let before = attached_digest(&app).await;
    let teams_before = app
        .data_as(
            "leader.66",
            "{ totals(unitCode: \"66\") { teams members villages } }",
            json!({}),
        )
        .await;
    let outcome = reorganise_2025(&app).await;
    let Outcome::Applied { report, .. } = outcome else {
        panic!("not applied: {outcome:?}");
    };
    // Đắk Lắk alone in the database: its 15 districts and the communes without their code in
    // the new tree close; Phú Yên's communes open empty.
    assert_eq!(
        report
            .closed
            .iter()
            .filter(|c| c.unit.level == "DISTRICT")
            .count(),
        15
    );
    assert!(report.questions.is_empty());
    assert_eq!(
        report.villages_replaced, 2515,
        "every village has a new place"
    );
    assert_eq!(
        attached_digest(&app).await,
        before,
        "no attached row changed"
    );

    let today = app
        .data_as(
            "leader.66",
            "{ adminUnit(code: \"66\") { validTo children(first: 100) { totalCount nodes { level } } } }",
            json!({}),
        )
        .await;
    let children = &today["adminUnit"]["children"];
    assert_eq!(children["totalCount"], 102);
    assert!(
        children["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["level"] == "COMMUNE")
    );
    assert_eq!(today["adminUnit"]["validTo"], Value::Null);
    // Today's province holds the same teams, members and villages as before.
    let teams_after = app
        .data_as(
            "leader.66",
            "{ totals(unitCode: \"66\") { teams members villages } }",
            json!({}),
        )
        .await;
    assert_eq!(teams_after, teams_before);
    // Every village sits under an open commune, and its path runs through it.
    let astray = app
        .scalar(
            "SELECT COUNT(*) FROM admin_unit v JOIN admin_unit c ON c.id = v.parent_id \
             WHERE v.level = 'VILLAGE' AND (c.valid_to IS NOT NULL OR c.level <> 'COMMUNE' \
             OR v.path <> c.path || CAST(v.id AS TEXT) || '/')",
        )
        .await;
    assert_eq!(astray, 0);

    let shapes = app.scalar("SELECT COUNT(*) FROM unit_shape").await;
    let again = apply_2025(&app.db().conn, None, false, &mut |_| {})
        .await
        .unwrap();
    assert!(
        matches!(again, Outcome::NothingToChange(_)),
        "a second run changes nothing: {again:?}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM unit_shape").await, shapes);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reorganisation").await, 1);
}

const UNIT: &str = r#"query ($code: String!, $asOf: Date) {
  adminUnit(code: $code, asOf: $asOf) {
    code name level validFrom validTo
    parent { code name level }
    children(first: 100) { totalCount nodes { code level } }
    predecessors { code name level validTo }
    successors { code name level validFrom }
  }
}"#;

fn codes(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect()
}

async fn units_answer_as_they_are_and_as_they_were_with_their_lineage(b: Arc<Backend>) {
    let app = b.today().await;
    let unit = |code: &'static str, as_of: Option<&'static str>| async move {
        app.data_as(
            "officer.24172",
            UNIT,
            json!({ "code": code, "asOf": as_of }),
        )
        .await["adminUnit"]
            .clone()
    };
    // The new Xã Hòa Phú keeps 24175 and took 24172 and 24178.
    let hoa_phu = unit("24175", None).await;
    assert_eq!(hoa_phu["validFrom"], "2025-07-01");
    assert_eq!(hoa_phu["validTo"], Value::Null);
    assert_eq!(hoa_phu["parent"]["code"], "66");
    assert_eq!(codes(&hoa_phu["predecessors"]), ["24172", "24175", "24178"]);
    for p in hoa_phu["predecessors"].as_array().unwrap() {
        assert_eq!(p["validTo"], "2025-07-01");
    }
    // The same code the day before: the smaller commune under Buôn Ma Thuột.
    let before = unit("24175", Some("2025-06-30")).await;
    assert_eq!(before["name"], "Xã Hòa Khánh");
    assert_eq!(before["parent"]["code"], "643");
    assert_eq!(before["validTo"], "2025-07-01");
    assert_eq!(codes(&before["successors"]), ["24175"]);
    assert_eq!(before["successors"][0]["validFrom"], "2025-07-01");
    // A closed commune is still found by its code, with its successor.
    let old = unit("24172", None).await;
    assert_eq!(old["validTo"], "2025-07-01");
    assert_eq!(codes(&old["successors"]), ["24175"]);
    let last_day = unit("24172", Some("2025-06-30")).await;
    assert_eq!(
        old["children"]["totalCount"], last_day["children"]["totalCount"],
        "its villages moved, and it shows those of its last day"
    );
    assert_eq!(last_day["children"]["totalCount"], 19);
    let old_then = unit("24172", Some("2022-12-01")).await;
    assert_eq!(old_then["children"]["totalCount"], 19);
    assert_eq!(old_then["parent"]["code"], "643");
    // The province: 15 districts as of 30 June 2025, 102 communes since.
    let then = unit("66", Some("2025-06-30")).await;
    assert_eq!(then["children"]["totalCount"], 15);
    assert!(codes(&then["children"]["nodes"]).contains(&"643"));
    assert_eq!(codes(&then["successors"]), ["66"]);
    let district = unit("643", None).await;
    assert_eq!(district["level"], "DISTRICT");
    assert_eq!(district["validTo"], "2025-07-01");
    assert!(codes(&district["successors"]).contains(&"24175"));
    assert_eq!(
        district["successors"][0]["level"], "COMMUNE",
        "a district's ground went to communes"
    );
    // Phú Yên closed into Đắk Lắk.
    let phu_yen = unit("54", None).await;
    assert_eq!(phu_yen["validTo"], "2025-07-01");
    assert_eq!(codes(&phu_yen["successors"]), ["66"]);
    let now = unit("66", None).await;
    assert_eq!(codes(&now["predecessors"]), ["54", "66"]);
    // Before a unit existed under its code it is not found.
    let never = app
        .graphql_as(
            "officer.24172",
            UNIT,
            json!({ "code": "24175", "asOf": "2019-12-31" }),
        )
        .await;
    assert_eq!(error_codes(&never), ["NOT_FOUND"]);
}

async fn open_questions_refuse_the_run_until_decided(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let conn = &app.db().conn;
    let run = |villages: Option<&str>, accept_defaults: bool| {
        let files = Files {
            tree: UNITS_2025_CSV.to_owned(),
            mapping: REORG_2025_CSV.to_owned(),
            villages: villages.map(str::to_owned),
        };
        let options = Options {
            effective_on: effective_2025(),
            title: None,
            accept_defaults,
            dry_run: false,
        };
        async move {
            reorganise::run(conn, &files, &options, &mut |_| {})
                .await
                .unwrap()
        }
    };
    let Outcome::Refused(report) = run(None, false).await else {
        panic!("a split commune without decisions must refuse the run");
    };
    let asked = |code: &str| report.questions.iter().any(|q| q.starts_with(code));
    assert!(asked("24550"), "the split commune is asked about");
    assert!(
        asked("24127"),
        "a commune missing from the table is asked about"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM unit_shape").await, 0);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM admin_unit WHERE valid_to IS NOT NULL")
            .await,
        0,
        "nothing was written"
    );

    // Defaults settle the split communes, not the ones the table does not know.
    let Outcome::Refused(report) = run(None, true).await else {
        panic!("communes missing from the table have no default");
    };
    assert!(
        report
            .questions
            .iter()
            .all(|q| q.contains("is not in the table"))
    );
    assert_eq!(report.questions.len(), 4);

    // Decided: the missing communes by a line each, one village of 24550 by its own line,
    // the rest of it by default (its first successor, 24544).
    let decisions =
        "code,new_code\n24127,24133\n24139,24133\n24325,24305\n24460,24454\n24550.01,24561\n";
    let Outcome::Applied { report, .. } = run(Some(decisions), true).await else {
        panic!("every question is answered");
    };
    assert!(report.defaults.iter().any(|d| d.contains("24550.02")));
    assert!(!report.defaults.iter().any(|d| d.contains("24550.01")));
    let parent_of = |village: &'static str| {
        let app = &app;
        async move {
            app.text(&format!(
                "SELECT c.code FROM admin_unit v JOIN admin_unit c ON c.id = v.parent_id \
                 WHERE v.code = '{village}'"
            ))
            .await
        }
    };
    assert_eq!(parent_of("24550.01").await, "24561");
    assert_eq!(parent_of("24550.02").await, "24544");
    assert_eq!(parent_of("24127.01").await, "24133");
}

const TEAMS: &str = "query ($unit: String) { teams(unitCode: $unit, first: 100) { totalCount nodes { id unit { code parent { code } } } } }";

async fn an_assignment_at_a_closed_unit_reaches_exactly_the_villages_it_held(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let before = app.data_as("officer.24355", TEAMS, json!({})).await;
    let held: Vec<String> = before["teams"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!held.is_empty());
    reorganise_2025(&app).await;

    let after = app.data_as("officer.24355", TEAMS, json!({})).await;
    let nodes = after["teams"]["nodes"].as_array().unwrap();
    let now: Vec<String> = nodes
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(now, held, "the same teams, no more, no fewer");
    assert!(nodes.iter().all(|t| t["unit"]["parent"]["code"] == "24343"));
    // Krông Năng (24343) holds more than Phú Lộc's villages: the rest stays out of reach.
    let krong_nang = app
        .data_as("admin", TEAMS, json!({ "unit": "24343" }))
        .await;
    let all = krong_nang["teams"]["totalCount"].as_i64().unwrap();
    assert!(all > held.len() as i64);
    let other = krong_nang["teams"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .find(|id| !held.iter().any(|h| h == id))
        .unwrap()
        .to_owned();
    let seen = app
        .graphql_as(
            "officer.24355",
            "query ($id: ID!) { team(id: $id) { id } }",
            json!({ "id": other }),
        )
        .await;
    assert_eq!(error_codes(&seen), ["NOT_FOUND"]);
    let totals = app
        .graphql_as(
            "officer.24355",
            "{ totals(unitCode: \"24343\") { teams } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&totals), ["FORBIDDEN"]);
    // Writing goes on as before on the teams it holds.
    let renamed = app
        .graphql_as(
            "officer.24355",
            "mutation ($id: ID!) { updateTeam(id: $id, input: { name: \"Tổ CNS Phú Lộc\" }) { name } }",
            json!({ "id": held[0] }),
        )
        .await;
    assert_eq!(
        renamed["data"]["updateTeam"]["name"], "Tổ CNS Phú Lộc",
        "{renamed}"
    );
    // `me` shows the assignment at the closed unit with its successor.
    let me = app
        .data_as(
            "officer.24355",
            "{ me { assignments { unit { code validTo successors { code } } } } }",
            json!({}),
        )
        .await;
    let unit = &me["me"]["assignments"][0]["unit"];
    assert_eq!(unit["code"], "24355");
    assert_eq!(unit["validTo"], "2025-07-01");
    assert_eq!(codes(&unit["successors"]), ["24343"]);
}

async fn writes_into_a_closed_unit_are_refused_naming_its_successors(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    let create = app
        .graphql_as(
            "admin",
            "mutation { createSteeringCommittee(input: { unitCode: \"24172\", name: \"Ban Chỉ đạo\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&create), ["CONFLICT"], "{create}");
    assert_eq!(error_field(&create), "unitCode");
    let message = create["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("24175"), "names the successor: {message}");
    let team = app
        .graphql_as(
            "officer.24172",
            "mutation { createTeam(input: { unitCode: \"24172\", name: \"Tổ xã\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&team), ["CONFLICT"], "{team}");
    // The district's committee closed on the date, its record kept; it takes no more changes.
    let committee = app
        .text(
            "SELECT CAST(c.id AS TEXT) FROM steering_committee c JOIN admin_unit u ON u.id = c.unit_id \
             WHERE u.code = '643'",
        )
        .await;
    let dissolved = app
        .text(&format!(
            "SELECT CAST(dissolved_on AS TEXT) FROM steering_committee WHERE id = {committee}"
        ))
        .await;
    assert_eq!(dissolved, "2025-07-01");
    let update = app
        .graphql_as(
            "admin",
            "mutation ($id: ID!) { updateSteeringCommittee(id: $id, input: { name: \"Ban mới\" }) { id } }",
            json!({ "id": committee }),
        )
        .await;
    assert_eq!(error_codes(&update), ["CONFLICT"], "{update}");
    // The open successor takes changes.
    let open = app
        .text(
            "SELECT CAST(c.id AS TEXT) FROM steering_committee c JOIN admin_unit u ON u.id = c.unit_id \
             WHERE u.code = '24175' AND c.dissolved_on IS NULL",
        )
        .await;
    let ok = app
        .graphql_as(
            "admin",
            "mutation ($id: ID!) { updateSteeringCommittee(id: $id, input: { name: \"Ban Chỉ đạo xã Hòa Phú\" }) { name } }",
            json!({ "id": open }),
        )
        .await;
    assert!(ok["errors"].is_null(), "{ok}");
}

async fn reorganisations_are_listed_for_administrators_and_leaders_only(b: Arc<Backend>) {
    let app = b.today().await;
    let query = "{ reorganisations(first: 20) { totalCount nodes { id effectiveOn title unitsOpened unitsClosed villagesMoved assignmentsChanged report } } }";
    for user in ["admin", "leader.66"] {
        let data = app.data_as(user, query, json!({})).await;
        let list = &data["reorganisations"];
        assert_eq!(list["totalCount"], 1);
        let node = &list["nodes"][0];
        assert_eq!(node["effectiveOn"], "2025-07-01");
        assert!(node["unitsClosed"].as_i64().unwrap() > 100);
        // officer.643, .24172 and .24355 at closed units; leader.66 and officer.24175 at
        // units whose ground grew.
        assert_eq!(node["assignmentsChanged"], 5);
        assert!(
            node["report"]
                .as_str()
                .unwrap()
                .contains("24172 Xã Hòa Phú")
        );
    }
    let refused = app.graphql_as("officer.643", query, json!({})).await;
    assert_eq!(error_codes(&refused), ["FORBIDDEN"]);
}

const TOTALS: &str = r#"query ($unitCode: String, $asOf: Date) {
  totals(unitCode: $unitCode, asOf: $asOf) {
    asOf unit { code level validFrom validTo } teams members villages villagesWithTeam
    children { unit { code level } teams members }
  }
}"#;

async fn totals_answer_as_of_a_date_and_for_the_whole_area(b: Arc<Backend>) {
    let app = b.today().await;
    let totals = |user: &'static str, code: Option<&'static str>, as_of: Option<&'static str>| async move {
        app.data_as(user, TOTALS, json!({ "unitCode": code, "asOf": as_of }))
            .await["totals"]
            .clone()
    };
    // The day of the province's report: exactly what it reported.
    let report = totals("leader.66", Some("66"), Some("2022-12-01")).await;
    assert_eq!(report["teams"], 1163);
    assert_eq!(report["members"], 7228);
    assert_eq!(report["unit"]["level"], "PROVINCE");
    // The day before the reorganisation: the old province with its 15 districts.
    let eve = totals("leader.66", Some("66"), Some("2025-06-30")).await;
    assert_eq!(eve["asOf"], "2025-06-30");
    assert_eq!(eve["children"].as_array().unwrap().len(), 15);
    assert!(
        eve["children"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["unit"]["level"] == "DISTRICT")
    );
    let children_teams: i64 = eve["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["teams"].as_i64().unwrap())
        .sum();
    assert_eq!(
        children_teams,
        eve["teams"].as_i64().unwrap(),
        "the districts add up"
    );
    // 2023–2025 renewed teams and replaced members: the eve's counts are the report's.
    assert_eq!(eve["teams"], 1163);
    assert_eq!(eve["members"], 7228);
    let phu_yen = totals("leader.66", Some("54"), Some("2025-06-30")).await;
    assert!(phu_yen["teams"].as_i64().unwrap() > 0);
    // On the effective day the new province holds exactly what its two predecessors held.
    let day = totals("leader.66", Some("66"), Some("2025-07-01")).await;
    assert_eq!(day["children"].as_array().unwrap().len(), 102);
    for figure in ["teams", "members", "villages", "villagesWithTeam"] {
        assert_eq!(
            day[figure].as_i64().unwrap(),
            eve[figure].as_i64().unwrap() + phu_yen[figure].as_i64().unwrap(),
            "{figure}"
        );
    }
    // Today, by default.
    let today = totals("leader.66", None, None).await;
    assert_eq!(today["unit"]["code"], "66");
    assert_eq!(today["children"].as_array().unwrap().len(), 102);
    assert!(
        today["children"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["unit"]["level"] == "COMMUNE")
    );
    assert_eq!(today["teams"], day["teams"]);
    // The administrator's whole area is the country, by province.
    let country = totals("admin", None, None).await;
    assert_eq!(country["unit"], Value::Null);
    assert_eq!(codes_of_children(&country), ["66"]);
    assert_eq!(country["teams"], today["teams"]);
    let then = totals("admin", None, Some("2025-06-30")).await;
    assert_eq!(codes_of_children(&then), ["54", "66"]);
    // An assignment at a closed commune: its figures as of its last day, by default.
    let legacy = totals("officer.24172", None, None).await;
    assert_eq!(legacy["unit"]["code"], "24172");
    assert_eq!(legacy["asOf"], "2025-06-30");
    assert_eq!(legacy["teams"], 19);
    // The past of a unit whose villages are not all in reach is refused.
    let refused = app
        .graphql_as(
            "officer.24172",
            TOTALS,
            json!({ "unitCode": "643", "asOf": "2025-06-30" }),
        )
        .await;
    assert_eq!(error_codes(&refused), ["FORBIDDEN"]);
    let district = totals("officer.643", Some("643"), Some("2022-12-01")).await;
    assert_eq!(district["unit"]["level"], "DISTRICT");
    assert!(district["teams"].as_i64().unwrap() > 0);
    // The new Xã Hòa Phú's officer sees its past: the villages it holds today.
    let hoa_phu = totals("officer.24175", Some("24175"), None).await;
    let hoa_phu_eve = totals("officer.24175", Some("24175"), Some("2025-06-30")).await;
    assert!(hoa_phu["teams"].as_i64().unwrap() > hoa_phu_eve["teams"].as_i64().unwrap());
}

fn codes_of_children(totals: &Value) -> Vec<&str> {
    totals["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["unit"]["code"].as_str().unwrap())
        .collect()
}

async fn the_contract_operations_answer_as_written(b: Arc<Backend>) {
    let app = b.today().await;
    let doc = contract::REORGANISATION;
    let unit = app
        .operation_as("leader.66", doc, "UnitAsOf", json!({ "code": "24172" }))
        .await;
    assert_eq!(codes(&unit["adminUnit"]["successors"]), ["24175"]);
    let then = app
        .operation_as(
            "leader.66",
            doc,
            "UnitAsOf",
            json!({ "code": "66", "asOf": "2025-06-30" }),
        )
        .await;
    assert_eq!(then["adminUnit"]["children"]["totalCount"], 15);
    let totals = app
        .operation_as(
            "leader.66",
            doc,
            "TotalsAsOf",
            json!({ "unitCode": "66", "asOf": "2025-06-30" }),
        )
        .await;
    assert_eq!(totals["totals"]["asOf"], "2025-06-30");
    let country = app
        .operation_as("admin", doc, "TotalsAsOf", json!({}))
        .await;
    assert_eq!(country["totals"]["unit"], Value::Null);
    let list = app
        .operation_as("admin", doc, "Reorganisations", json!({}))
        .await;
    assert_eq!(list["reorganisations"]["totalCount"], 1);
    assert_eq!(
        list["reorganisations"]["nodes"][0]["effectiveOn"],
        "2025-07-01"
    );
}

async fn lists_answer_as_of_a_date_under_the_tree_of_that_day(b: Arc<Backend>) {
    let app = b.today().await;
    let teams = "query ($unit: String, $asOf: Date) { teams(unitCode: $unit, asOf: $asOf, first: 100) { totalCount nodes { unit { code } } } }";
    // Under the old district the day before: its teams, wherever they are today.
    let then = app
        .data_as(
            "leader.66",
            teams,
            json!({ "unit": "643", "asOf": "2025-06-30" }),
        )
        .await;
    let expected = app
        .scalar(
            "SELECT COUNT(*) FROM team t JOIN admin_unit v ON v.id = t.unit_id \
             JOIN unit_shape s ON s.unit_id = v.id AND s.valid_to = '2025-07-01' \
             JOIN admin_unit d ON d.code = '643' \
             WHERE s.path LIKE d.path || '%' \
             AND (t.founded_on IS NULL OR t.founded_on <= '2025-06-30') \
             AND (t.dissolved_on IS NULL OR t.dissolved_on > '2025-06-30')",
        )
        .await;
    assert_eq!(then["teams"]["totalCount"].as_i64().unwrap(), expected);
    assert!(expected > 0);
    // A closed unit named without a date: as of its last day.
    let closed = app
        .data_as("leader.66", teams, json!({ "unit": "643" }))
        .await;
    assert_eq!(closed["teams"]["totalCount"], then["teams"]["totalCount"]);
    // Today, the new commune holds the villages of the old ones.
    let today = app
        .data_as("leader.66", teams, json!({ "unit": "24175" }))
        .await;
    let before = app
        .data_as(
            "leader.66",
            teams,
            json!({ "unit": "24175", "asOf": "2025-06-30" }),
        )
        .await;
    assert!(
        today["teams"]["totalCount"].as_i64().unwrap()
            > before["teams"]["totalCount"].as_i64().unwrap()
    );
    // Teams founded after a date are not listed as of it.
    let early = app
        .data_as("leader.66", teams, json!({ "asOf": "2022-12-01" }))
        .await;
    let founded = app
        .scalar("SELECT COUNT(*) FROM team WHERE founded_on IS NULL OR founded_on <= '2022-12-01'")
        .await;
    assert_eq!(early["teams"]["totalCount"].as_i64().unwrap(), founded);
    // A scope still applies: a commune officer sees only their own villages' teams of then.
    let legacy = app
        .data_as(
            "officer.24172",
            teams,
            json!({ "unit": "643", "asOf": "2025-06-30" }),
        )
        .await;
    assert_eq!(legacy["teams"]["totalCount"], 19);
    // Committees of that day: the district's own, since closed.
    let committees = app
        .data_as(
            "leader.66",
            "{ steeringCommittees(unitCode: \"643\", asOf: \"2025-06-30\", first: 100) { nodes { unit { code } } } }",
            json!({}),
        )
        .await;
    assert!(
        committees["steeringCommittees"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["unit"]["code"] == "643")
    );
    let now = app
        .data_as(
            "leader.66",
            "{ steeringCommittees(unitCode: \"24175\", first: 100) { nodes { unit { code } } } }",
            json!({}),
        )
        .await;
    assert!(
        now["steeringCommittees"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["unit"]["code"] == "24175")
    );
}

/// The demo's decisions for its villages are a file in the repository, the one the README's
/// example reads: it must be what the demo's rules make of the demo before the reform. Run with
/// `UPDATE_DEMO_VILLAGES=1` to write it again after the generator changed.
async fn the_demo_villages_file_is_what_the_demo_rules_decide(b: Arc<Backend>) {
    let app = b.fresh().await;
    steering_gateway::seed::seed_demo_until(app.db(), crate::common::DEMO_PASSWORD, false)
        .await
        .unwrap();
    let decided = steering_gateway::seed::demo_decisions(&app.db().conn)
        .await
        .unwrap();
    if std::env::var_os("UPDATE_DEMO_VILLAGES").is_some() {
        std::fs::write("src/seed/data/demo_villages_2025.csv", &decided).unwrap();
    }
    assert_eq!(decided, steering_gateway::seed::DEMO_VILLAGES_2025_CSV);
    assert!(decided.lines().count() > 10, "{decided}");
}

/// `steering-gateway reorganise` as an operator runs it beside a running gateway: a dry run
/// writes nothing, a run with open questions is refused, the decided run applies and the
/// gateway answers from the new tree, and a second run changes nothing.
async fn the_command_dry_runs_refuses_applies_and_applies_once(b: Arc<Backend>) {
    let app = b.fresh().await;
    steering_gateway::seed::seed_demo_until(app.db(), crate::common::DEMO_PASSWORD, false)
        .await
        .unwrap();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/src/seed/data");
    let units = format!("{data}/admin_units_2025.csv");
    let mapping = format!("{data}/reorg_2025.csv");
    let villages = format!("{data}/demo_villages_2025.csv");
    let base = [
        "reorganise",
        "--effective",
        "2025-07-01",
        "--units",
        &units,
        "--mapping",
        &mapping,
    ];
    let tree =
        "{ adminUnit(code: \"66\") { children(first: 100) { totalCount nodes { level } } } }";
    let before = app.data_as("leader.66", tree, json!({})).await;
    assert_eq!(
        before["adminUnit"]["children"]["nodes"][0]["level"],
        "DISTRICT"
    );

    let mut dry = base.to_vec();
    dry.extend(["--villages", &villages, "--dry-run"]);
    app.cli(&dry).await.unwrap();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reorganisation").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM unit_shape").await, 0);

    let refused = app.cli(&base).await.unwrap_err().to_string();
    assert!(refused.contains("open questions"), "{refused}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reorganisation").await, 0);

    let mut apply = base.to_vec();
    apply.extend(["--villages", &villages]);
    app.cli(&apply).await.unwrap();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reorganisation").await, 1);
    let after = app.data_as("leader.66", tree, json!({})).await;
    assert_eq!(
        after["adminUnit"]["children"]["nodes"][0]["level"],
        "COMMUNE"
    );
    assert_eq!(after["adminUnit"]["children"]["totalCount"], 102);

    app.cli(&apply).await.unwrap();
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM reorganisation").await,
        1,
        "a second run changes nothing"
    );
    // A date to come is refused: today's rows are today's tree.
    let mut future = apply.clone();
    future[2] = "2999-01-01";
    let error = app.cli(&future).await.unwrap_err().to_string();
    assert!(error.contains("after today"), "{error}");
}
