//! The people at the ends: what a province leader asks for (`tests/contract/reporting.graphql`,
//! each question one request) and what a commune officer does in a day, on today's demo (the
//! tree after 1 July 2025), checked against the database and across areas.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::common::{Backend, TestApp, contract, error_codes, error_field};

crate::tests!(
    the_province_report_gives_every_figure_per_child_in_one_request,
    the_province_report_of_a_past_day_is_that_days_tree,
    a_result_series_is_one_entry_per_month_and_checks_its_bounds,
    villages_without_a_team_are_the_villages_totals_leave_uncovered,
    the_team_list_holds_the_active_teams_unless_asked_otherwise,
    reports_awaiting_approval_are_those_submitted_in_the_area,
    a_closed_unit_shows_the_children_of_its_last_day,
    a_report_is_approved_by_a_second_officer_of_the_commune,
    a_draft_is_deleted_and_a_month_ahead_is_refused,
    sessions_for_attendance_are_those_of_the_area_and_above,
    a_session_outside_the_area_is_not_shown_through_a_members_trainings,
    a_lower_level_does_not_overwrite_a_target_set_above,
    a_conflict_names_the_row_it_clashes_with,
    a_certificate_is_recorded_for_a_member_of_the_area,
    reports_and_members_fit_the_teams_life,
);

const REPORTING: &str = include_str!("../contract/reporting.graphql");

fn ints(values: &[Value], field: &str) -> i64 {
    values.iter().map(|v| v[field].as_i64().unwrap()).sum()
}

/// The figures of what is attached to villages: the children's add up to their parent's.
const FIGURES: &[&str] = &[
    "teams",
    "members",
    "membersTrained",
    "villages",
    "villagesWithTeam",
];

/// Sessions and committees are also attached to the unit itself (and, today, to the closed
/// districts whose last place lies under the province): the children's come to no more.
fn within(children: &[Value], total: &Value) {
    for figure in ["trainingSessions", "committees"] {
        let sum = ints(children, figure);
        assert!(
            sum <= total[figure].as_i64().unwrap(),
            "{figure}: {sum} > {total}"
        );
    }
}

const RESULTS: &[&str] = &[
    "reports",
    "householdsReached",
    "vneidActivations",
    "onlineApplications",
    "cashlessAccounts",
    "ecommerceAccounts",
];

async fn province_report(app: &TestApp, user: &str, variables: Value) -> Value {
    app.operation_as(user, REPORTING, "ProvinceReport", variables)
        .await["totals"]
        .clone()
}

/// `results(period)` of the unit, as the older `totals` field answers it.
async fn results_of(app: &TestApp, code: &str, as_of: Option<&str>, period: &str) -> Value {
    app.data_as(
        "leader.66",
        "query($u: String, $d: Date, $p: String!) { totals(unitCode: $u, asOf: $d) { \
         results(period: $p) { reports householdsReached vneidActivations onlineApplications \
         cashlessAccounts ecommerceAccounts } } }",
        json!({ "u": code, "d": as_of, "p": period }),
    )
    .await["totals"]["results"]
        .clone()
}

async fn the_province_report_gives_every_figure_per_child_in_one_request(b: Arc<Backend>) {
    let app = b.today().await;
    let variables =
        json!({ "unitCode": "66", "month": "2023-02", "from": "2022-11", "to": "2023-04" });
    let t = province_report(app, "leader.66", variables.clone()).await;
    let children = t["children"].as_array().unwrap();
    assert_eq!(children.len(), 102, "today's Đắk Lắk has 102 communes");
    for figure in FIGURES {
        assert_eq!(
            ints(children, figure),
            t[figure].as_i64().unwrap(),
            "the communes' {figure} add up to the province's"
        );
    }
    within(children, &t);
    assert!(
        t["membersTrained"].as_i64().unwrap() > 0 && ints(children, "committees") > 0,
        "{t:#}"
    );
    // Each child's month is that child's own results; together, the province's.
    let month: Vec<Value> = children.iter().map(|c| c["results"].clone()).collect();
    let province = results_of(app, "66", None, "2023-02").await;
    for field in RESULTS {
        assert_eq!(
            ints(&month, field),
            province[field].as_i64().unwrap(),
            "{field}"
        );
    }
    assert!(province["reports"].as_i64().unwrap() > 0);
    let commune = children
        .iter()
        .find(|c| c["unit"]["code"] == "24175")
        .unwrap();
    let own = results_of(app, "24175", None, "2023-02").await;
    assert_eq!(commune["results"]["reports"], own["reports"]);
    assert_eq!(
        commune["results"]["householdsReached"],
        own["householdsReached"]
    );
    let trained = app
        .scalar(
            "SELECT COUNT(*) FROM team_member m JOIN team t ON t.id = m.team_id \
             JOIN admin_unit v ON v.id = t.unit_id JOIN admin_unit c ON c.id = v.parent_id \
             WHERE c.code = '24175' AND t.status = 'ACTIVE' AND m.left_on IS NULL \
             AND EXISTS (SELECT 1 FROM attendance a WHERE a.member_id = m.id AND a.completed)",
        )
        .await;
    assert_eq!(
        commune["membersTrained"], trained,
        "checked against the rows"
    );
    let committees = app
        .scalar(
            "SELECT COUNT(*) FROM steering_committee s JOIN admin_unit u ON u.id = s.unit_id \
             WHERE u.path LIKE (SELECT path FROM admin_unit WHERE code = '24175') || '%' \
             AND s.dissolved_on IS NULL",
        )
        .await;
    assert_eq!(commune["committees"], committees);

    // The trend: one entry per month, in order, empty months as zeros, each month the
    // province's results of that month.
    let series = t["resultSeries"].as_array().unwrap();
    let periods: Vec<&str> = series
        .iter()
        .map(|s| s["period"].as_str().unwrap())
        .collect();
    assert_eq!(
        periods,
        [
            "2022-11", "2022-12", "2023-01", "2023-02", "2023-03", "2023-04"
        ]
    );
    for entry in series {
        let month = results_of(app, "66", None, entry["period"].as_str().unwrap()).await;
        for field in RESULTS {
            assert_eq!(entry[field], month[field], "{} {field}", entry["period"]);
        }
    }
    assert_eq!(series[0]["reports"], 0);
    assert_eq!(series[3]["reports"], province["reports"]);

    // The children's results cost one statement, whatever their number.
    let bare = "query { totals(unitCode: \"66\") { children { unit { code } teams } } }";
    let with_results = "query { totals(unitCode: \"66\") { children { unit { code } teams \
                        results(period: \"2023-02\") { reports } } } }";
    // Counted on a gateway of its own (other tests read the shared demo through the first
    // one's pool), the fewest statements of three runs each: the cache's own checks share
    // the pool.
    let solo = &b.replica(app).await;
    let cost = |query: &'static str| async move {
        let mut fewest = u64::MAX;
        for _ in 0..3 {
            let before = solo.statements();
            solo.data_as("leader.66", query, json!({})).await;
            fewest = fewest.min(solo.statements() - before);
        }
        fewest
    };
    let plain = cost(bare).await;
    let read = cost(with_results).await;
    assert!(
        read <= plain + 1,
        "102 children's results in one statement: {plain} without, {read} with"
    );
    // Asked again, the children's results and the trend come from the cache.
    let trend = "query { totals(unitCode: \"66\") { children { unit { code } \
                 results(period: \"2023-02\") { reports } } \
                 resultSeries(from: \"2022-11\", to: \"2023-04\") { reports } } }";
    let again = cost(trend).await;
    assert!(
        again <= plain,
        "a repeated report reads nothing more: {again} against {plain}"
    );

    // The commune's officer asks the same of their commune: villages as children.
    let own = province_report(
        app,
        "officer.24175",
        json!({ "unitCode": "24175",
        "month": "2023-02", "from": "2023-01", "to": "2023-03" }),
    )
    .await;
    let villages = own["children"].as_array().unwrap();
    assert_eq!(ints(villages, "teams"), own["teams"].as_i64().unwrap());
    assert!(villages.iter().all(|v| v["unit"]["level"] == "VILLAGE"));
    // Outside one's area, nothing is read.
    let token = app.token("officer.24355").await;
    let (_, answer) = app
        .post_operation(Some(&token), REPORTING, Some("ProvinceReport"), variables)
        .await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{answer:#}");
    assert!(answer["data"].is_null() || answer["data"]["totals"].is_null());
}

async fn the_province_report_of_a_past_day_is_that_days_tree(b: Arc<Backend>) {
    let app = b.today().await;
    let t = province_report(
        app,
        "leader.66",
        json!({ "unitCode": "66", "asOf": "2022-12-01", "month": "2023-01",
                "from": "2022-12", "to": "2023-02" }),
    )
    .await;
    assert_eq!(
        (t["teams"].as_i64(), t["members"].as_i64()),
        (Some(1163), Some(7228))
    );
    let children = t["children"].as_array().unwrap();
    assert_eq!(children.len(), 15, "the province's 15 districts of 2022");
    assert!(children.iter().all(|c| c["unit"]["level"] == "DISTRICT"));
    for figure in FIGURES {
        assert_eq!(
            ints(children, figure),
            t[figure].as_i64().unwrap(),
            "{figure}"
        );
    }
    within(children, &t);
    assert_eq!(
        ints(children, "committees") + 1,
        t["committees"].as_i64().unwrap(),
        "the districts' and the province's own"
    );
    let month: Vec<Value> = children.iter().map(|c| c["results"].clone()).collect();
    let province = results_of(app, "66", Some("2022-12-01"), "2023-01").await;
    assert_eq!(
        ints(&month, "reports"),
        province["reports"].as_i64().unwrap()
    );
    let district = children
        .iter()
        .find(|c| c["unit"]["code"] == "643")
        .unwrap();
    let own = results_of(app, "643", Some("2022-12-01"), "2023-01").await;
    assert_eq!(district["results"]["reports"], own["reports"]);
    let series = t["resultSeries"].as_array().unwrap();
    assert_eq!(series.len(), 3);
    assert_eq!(series[1]["reports"], province["reports"]);
}

async fn a_result_series_is_one_entry_per_month_and_checks_its_bounds(b: Arc<Backend>) {
    let app = b.today().await;
    let query = "query($f: String!, $t: String!) { totals(unitCode: \"66\") { \
                 resultSeries(from: $f, to: $t) { period reports } } }";
    let answer = app
        .data_as(
            "leader.66",
            query,
            json!({ "f": "2022-11", "t": "2023-02" }),
        )
        .await;
    assert_eq!(
        answer["totals"]["resultSeries"].as_array().unwrap().len(),
        4
    );
    for (from, to, field) in [
        ("2023-03", "2023-01", "to"),
        ("2023-13", "2023-12", "from"),
        ("2023", "2023-12", "from"),
        ("2019-12", "2023-01", "from"),
    ] {
        let answer = app
            .graphql_as("leader.66", query, json!({ "f": from, "t": to }))
            .await;
        assert_eq!(
            error_codes(&answer),
            ["BAD_USER_INPUT"],
            "{from}..{to}: {answer:#}"
        );
        assert_eq!(error_field(&answer), field, "{from}..{to}");
    }
}

async fn villages_without_a_team_are_the_villages_totals_leave_uncovered(b: Arc<Backend>) {
    let app = b.today().await;
    let totals = app
        .data_as("leader.66", contract::TOTALS, json!({ "unitCode": "66" }))
        .await["totals"]
        .clone();
    let uncovered =
        totals["villages"].as_i64().unwrap() - totals["villagesWithTeam"].as_i64().unwrap();
    assert!(uncovered > 0);
    let list = |user: &'static str, code: &'static str, first: i64, after: Value| {
        app.operation_as(
            user,
            REPORTING,
            "VillagesWithoutTeam",
            json!({ "unitCode": code, "first": first, "after": after }),
        )
    };
    let page = list("leader.66", "66", 100, Value::Null).await["villages"].clone();
    assert_eq!(
        page["totalCount"], uncovered,
        "the villages totals count as uncovered"
    );
    let nodes = page["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 100);
    for node in nodes {
        let teams = app
            .scalar(&format!(
                "SELECT COUNT(*) FROM team t JOIN admin_unit u ON u.id = t.unit_id \
                 WHERE u.code = '{}' AND t.status = 'ACTIVE'",
                node["code"].as_str().unwrap()
            ))
            .await;
        assert_eq!(teams, 0, "{node}");
        assert_eq!(node["parent"]["code"].as_str().unwrap().len(), 5, "{node}");
    }
    let next = list(
        "leader.66",
        "66",
        100,
        page["pageInfo"]["endCursor"].clone(),
    )
    .await;
    let next = next["villages"]["nodes"].as_array().unwrap().clone();
    assert!(
        next.iter().all(|n| !nodes.contains(n)),
        "pages do not overlap"
    );

    // A commune's officer: their commune's, counted against the rows.
    let own = list("officer.24175", "24175", 100, Value::Null).await["villages"].clone();
    let expected = app
        .scalar(
            "SELECT COUNT(*) FROM admin_unit v JOIN admin_unit c ON c.id = v.parent_id \
             WHERE c.code = '24175' AND v.level = 'VILLAGE' AND v.valid_to IS NULL \
             AND NOT EXISTS (SELECT 1 FROM team t WHERE t.unit_id = v.id AND t.status = 'ACTIVE')",
        )
        .await;
    assert_eq!(own["totalCount"], expected);
    // Without a unit, the caller's whole area; another area's villages are none of theirs.
    let whole = app
        .operation_as("officer.24175", REPORTING, "VillagesWithoutTeam", json!({}))
        .await;
    assert_eq!(whole["villages"]["totalCount"], expected);
    let other = list("officer.24355", "24175", 20, Value::Null).await;
    assert_eq!(other["villages"]["totalCount"], 0);
    // With a team, and as of a past day.
    let covered = app
        .data_as(
            "leader.66",
            "{ villages(unitCode: \"66\", hasTeam: true, first: 1) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        covered["villages"]["totalCount"],
        totals["villagesWithTeam"]
    );
    let past = app
        .data_as(
            "leader.66",
            "{ totals(unitCode: \"66\", asOf: \"2022-12-01\") { villages villagesWithTeam } \
             villages(unitCode: \"66\", hasTeam: false, asOf: \"2022-12-01\", first: 1) { \
             totalCount nodes { code validFrom parent { code level } } } }",
            json!({}),
        )
        .await;
    let then = &past["totals"];
    assert_eq!(
        past["villages"]["totalCount"].as_i64().unwrap(),
        then["villages"].as_i64().unwrap() - then["villagesWithTeam"].as_i64().unwrap()
    );
    assert_eq!(
        past["villages"]["nodes"][0]["parent"]["level"], "COMMUNE",
        "shown as it stood, under that day's commune"
    );
    // Pages are bounded as every list's.
    let answer = app
        .graphql_as(
            "leader.66",
            "{ villages(first: 101) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_field(&answer), "first");
}

async fn the_team_list_holds_the_active_teams_unless_asked_otherwise(b: Arc<Backend>) {
    let app = b.today().await;
    for (user, code) in [("leader.66", "66"), ("officer.24175", "24175")] {
        let totals = app
            .data_as(user, contract::TOTALS, json!({ "unitCode": code }))
            .await;
        let active = app
            .operation_as(
                user,
                REPORTING,
                "TeamsByStatus",
                json!({ "unitCode": code }),
            )
            .await;
        assert_eq!(
            active["teams"]["totalCount"], totals["totals"]["teams"],
            "{code}: the list agrees with the totals"
        );
        assert!(
            active["teams"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["status"] == "ACTIVE")
        );
    }
    let dissolved = app
        .operation_as(
            "leader.66",
            REPORTING,
            "TeamsByStatus",
            json!({ "unitCode": "66", "status": "DISSOLVED", "first": 100 }),
        )
        .await;
    let expected = app
        .scalar(
            "SELECT COUNT(*) FROM team t JOIN admin_unit u ON u.id = t.unit_id \
             WHERE u.path LIKE (SELECT path FROM admin_unit WHERE code = '66') || '%' \
             AND t.status = 'DISSOLVED'",
        )
        .await;
    assert!(expected > 0);
    assert_eq!(dissolved["teams"]["totalCount"], expected);
    assert!(
        dissolved["teams"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "DISSOLVED")
    );
    // An officer of a closed commune: the teams of the villages it held, wherever they lie.
    let held = app
        .operation_as(
            "officer.24355",
            REPORTING,
            "TeamsByStatus",
            json!({ "unitCode": "24343" }),
        )
        .await;
    let reach = app
        .scalar(
            "SELECT COUNT(*) FROM team t JOIN admin_unit u ON u.id = t.unit_id \
             JOIN admin_unit c ON c.id = u.parent_id WHERE c.code = '24343' \
             AND t.status = 'ACTIVE' AND u.code LIKE '24355.%'",
        )
        .await;
    assert!(reach > 0);
    assert_eq!(
        held["teams"]["totalCount"], reach,
        "only the villages 24355 held"
    );
}

async fn reports_awaiting_approval_are_those_submitted_in_the_area(b: Arc<Backend>) {
    let app = b.today().await;
    let submitted_under = |commune: &str| {
        format!(
            "SELECT COUNT(*) FROM result_report r JOIN team t ON t.id = r.team_id \
             JOIN admin_unit u ON u.id = t.unit_id JOIN admin_unit c ON c.id = u.parent_id \
             WHERE r.state = 'SUBMITTED' AND {commune}"
        )
    };
    for (user, code, condition) in [
        (
            "leader.66",
            "66",
            "c.path LIKE (SELECT path FROM admin_unit WHERE code = '66') || '%'",
        ),
        ("officer.24175", "24175", "c.code = '24175'"),
    ] {
        let page = app
            .operation_as(
                user,
                REPORTING,
                "ReportsAwaitingApproval",
                json!({ "unitCode": code, "first": 100 }),
            )
            .await["resultReports"]
            .clone();
        let expected = app.scalar(&submitted_under(condition)).await;
        assert!(expected > 0, "{code}");
        assert_eq!(page["totalCount"], expected, "{code}");
        assert!(
            page["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["state"] == "SUBMITTED" && r["team"]["unit"]["code"].is_string())
        );
    }
    let other = app
        .operation_as(
            "officer.24355",
            REPORTING,
            "ReportsAwaitingApproval",
            json!({ "unitCode": "24175" }),
        )
        .await;
    assert_eq!(
        other["resultReports"]["totalCount"], 0,
        "none of 24355's villages"
    );
}

async fn a_closed_unit_shows_the_children_of_its_last_day(b: Arc<Backend>) {
    let app = b.today().await;
    let answer = app
        .data_as(
            "leader.66",
            "{ adminUnit(code: \"643\") { validTo children(first: 100) { totalCount \
             nodes { code validTo } } } totals(unitCode: \"643\") { children { unit { code } } } }",
            json!({}),
        )
        .await;
    let unit = &answer["adminUnit"];
    assert_eq!(unit["validTo"], "2025-07-01");
    let shown: std::collections::BTreeSet<&str> = unit["children"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap())
        .collect();
    let counted: std::collections::BTreeSet<&str> = answer["totals"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["unit"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(unit["children"]["totalCount"], 21);
    assert_eq!(shown, counted, "the same communes as its totals");
}

/// A second officer of today's Xã Hòa Phú, made as an administrator would.
async fn second_officer(app: &TestApp) {
    let hash = steering_gateway::auth::hash_password(crate::common::DEMO_PASSWORD).unwrap();
    steering_gateway::domain::users::create(&app.db().conn, "officer2.24175", None, &hash)
        .await
        .unwrap();
    app.cli(&["user", "assign", "officer2.24175", "OFFICER", "24175"])
        .await
        .unwrap();
}

/// An active team of a village of 24175.
async fn team_of_24175(app: &TestApp) -> String {
    app.scalar(
        "SELECT MIN(t.id) FROM team t JOIN admin_unit u ON u.id = t.unit_id \
         JOIN admin_unit c ON c.id = u.parent_id WHERE c.code = '24175' AND t.status = 'ACTIVE'",
    )
    .await
    .to_string()
}

fn this_month() -> String {
    steering_gateway::scalars::today()
        .format("%Y-%m")
        .to_string()
}

fn report_input(team: &str, period: &str) -> Value {
    json!({ "input": { "teamId": team, "period": period, "results": {
        "householdsReached": 40, "vneidActivations": 25, "onlineApplications": 6,
        "cashlessAccounts": 12, "ecommerceAccounts": 1 } } })
}

async fn a_report_is_approved_by_a_second_officer_of_the_commune(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    second_officer(&app).await;
    let team = team_of_24175(&app).await;
    let month = this_month();
    let before = results_of(&app, "24175", None, &month).await;
    let created = app
        .operation_as(
            "officer.24175",
            REPORTING,
            "CreateResultReport",
            report_input(&team, &month),
        )
        .await;
    let id = created["createResultReport"]["id"].clone();
    assert_eq!(created["createResultReport"]["team"]["id"], team.as_str());
    app.operation_as(
        "officer.24175",
        REPORTING,
        "SubmitResultReport",
        json!({ "id": id }),
    )
    .await;
    let approve = |user: &'static str| {
        let app = &app;
        let id = id.clone();
        async move {
            let token = app.token(user).await;
            app.post_operation(
                Some(&token),
                REPORTING,
                Some("ApproveResultReport"),
                json!({ "id": id }),
            )
            .await
            .1
        }
    };
    // Not whoever wrote and submitted it, and the refusal says why.
    let answer = approve("officer.24175").await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{answer:#}");
    assert_eq!(
        answer["errors"][0]["extensions"]["reason"],
        steering_gateway::domain::report_edits::SECOND_PAIR_OF_EYES
    );
    // A leader changes nothing; another commune's officer does not reach the team.
    let answer = approve("leader.66").await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"]);
    assert_eq!(
        answer["errors"][0]["extensions"]["reason"],
        "your roles do not change result reports or targets"
    );
    assert_eq!(error_codes(&approve("officer.24355").await), ["NOT_FOUND"]);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM result_report WHERE id = {} AND state = 'SUBMITTED'",
            id.as_str().unwrap()
        ))
        .await,
        1,
        "refusals changed nothing"
    );
    // The commune's second officer approves; the month's results move at once.
    let answer = approve("officer2.24175").await;
    assert_eq!(
        answer["data"]["approveResultReport"]["state"], "APPROVED",
        "{answer:#}"
    );
    let after = results_of(&app, "24175", None, &month).await;
    assert_eq!(
        after["reports"].as_i64().unwrap(),
        before["reports"].as_i64().unwrap() + 1
    );
    assert_eq!(
        after["householdsReached"].as_i64().unwrap(),
        before["householdsReached"].as_i64().unwrap() + 40
    );
    let province = province_report(
        &app,
        "leader.66",
        json!({ "unitCode": "66", "month": month, "from": month, "to": month }),
    )
    .await;
    let commune = province["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["unit"]["code"] == "24175")
        .unwrap()
        .clone();
    assert_eq!(commune["results"]["reports"], after["reports"]);
    assert_eq!(
        province["resultSeries"][0]["reports"],
        province["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["results"]["reports"].as_i64().unwrap())
            .sum::<i64>()
    );
}

async fn a_draft_is_deleted_and_a_month_ahead_is_refused(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    second_officer(&app).await;
    let team = team_of_24175(&app).await;
    let next = (steering_gateway::scalars::today() + chrono::Months::new(1))
        .format("%Y-%m")
        .to_string();
    let token = app.token("officer.24175").await;
    let send = |operation: &'static str, variables: Value| {
        let (app, token) = (&app, token.clone());
        async move {
            app.post_operation(Some(&token), REPORTING, Some(operation), variables)
                .await
                .1
        }
    };
    let answer = send("CreateResultReport", report_input(&team, &next)).await;
    assert_eq!(
        (error_codes(&answer), error_field(&answer)),
        (vec!["BAD_USER_INPUT".to_owned()], "period".to_owned()),
        "{answer:#}"
    );
    let answer = send("CreateResultReport", report_input(&team, &this_month())).await;
    let id = answer["data"]["createResultReport"]["id"].clone();
    assert_eq!(answer["data"]["createResultReport"]["state"], "DRAFT");
    // Another commune's officer does not reach it.
    let other = app.token("officer.24355").await;
    let (_, answer) = app
        .post_operation(
            Some(&other),
            REPORTING,
            Some("DeleteResultReport"),
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"]);
    // Its author removes it; it is gone, and the audit log says so.
    let answer = send("DeleteResultReport", json!({ "id": id })).await;
    assert_eq!(answer["data"]["deleteResultReport"], true, "{answer:#}");
    let id_number = id.as_str().unwrap();
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM result_report WHERE id = {id_number}"
        ))
        .await,
        0
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM audit_entry WHERE operation = 'deleteResultReport' \
             AND entity_id = {id_number}"
        ))
        .await,
        1
    );
    // A second draft, submitted: it stays.
    let answer = send("CreateResultReport", report_input(&team, &this_month())).await;
    let id = answer["data"]["createResultReport"]["id"].clone();
    send("SubmitResultReport", json!({ "id": id })).await;
    let answer = send("DeleteResultReport", json!({ "id": id })).await;
    assert_eq!(
        (error_codes(&answer), error_field(&answer)),
        (vec!["CONFLICT".to_owned()], "state".to_owned())
    );
    // A second officer of the commune may remove a draft too.
    let last_month = (steering_gateway::scalars::today() - chrono::Months::new(1))
        .format("%Y-%m")
        .to_string();
    let answer = send("CreateResultReport", report_input(&team, &last_month)).await;
    let draft = answer["data"]["createResultReport"]["id"].clone();
    assert!(draft.is_string(), "{answer:#}");
    let second = app.token("officer2.24175").await;
    let (_, answer) = app
        .post_operation(
            Some(&second),
            REPORTING,
            Some("DeleteResultReport"),
            json!({ "id": draft }),
        )
        .await;
    assert_eq!(answer["data"]["deleteResultReport"], true, "{answer:#}");
}

async fn sessions_for_attendance_are_those_of_the_area_and_above(b: Arc<Backend>) {
    let app = b.today().await;
    let list = app
        .operation_as(
            "officer.24175",
            REPORTING,
            "SessionsForAttendance",
            json!({ "first": 100 }),
        )
        .await["trainingSessions"]
        .clone();
    let organisers: std::collections::BTreeSet<&str> = list["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["organizer"]["code"].as_str().unwrap())
        .collect();
    // Today's 24175 lies directly under the province: the province's sessions are for it, a
    // district's of the old tree are not above it.
    let expected = app
        .scalar(
            "SELECT COUNT(*) FROM training_session s JOIN admin_unit u \
             ON u.id = s.organizer_unit_id WHERE u.code = '66' \
             OR u.path LIKE (SELECT path FROM admin_unit WHERE code = '24175') || '%'",
        )
        .await;
    assert_eq!(list["totalCount"], expected);
    assert!(organisers.contains("66"), "{organisers:?}");
    assert!(
        organisers
            .iter()
            .all(|o| ["66", "24175"].contains(o) || o.contains('.'))
    );
    // The province's conference: its attendees as the commune sees them, its own only.
    let session = list["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["organizer"]["code"] == "66")
        .unwrap()["id"]
        .clone();
    let seen = app
        .operation_as(
            "officer.24175",
            REPORTING,
            "SessionAttendees",
            json!({ "id": session, "first": 100 }),
        )
        .await["trainingSession"]
        .clone();
    let mine = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM attendance a JOIN team_member m ON m.id = a.member_id \
             JOIN team t ON t.id = m.team_id JOIN admin_unit u ON u.id = t.unit_id \
             WHERE a.session_id = {} AND u.path LIKE \
             (SELECT path FROM admin_unit WHERE code = '24175') || '%'",
            session.as_str().unwrap()
        ))
        .await;
    let all = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM attendance WHERE session_id = {}",
            session.as_str().unwrap()
        ))
        .await;
    assert!(mine > 0 && mine < all, "{mine} of {all}");
    assert_eq!(seen["attendees"]["totalCount"], mine);
    let first = &seen["attendees"]["nodes"][0];
    assert!(first["member"]["fullName"].is_string() && first["attended"].is_boolean());
    // The province's leader sees everyone; a session of another area is not found.
    let whole = app
        .operation_as(
            "leader.66",
            REPORTING,
            "SessionAttendees",
            json!({ "id": session, "first": 1 }),
        )
        .await;
    assert_eq!(whole["trainingSession"]["attendees"]["totalCount"], all);
    let phu_yen = app
        .scalar(
            "SELECT MIN(s.id) FROM training_session s JOIN admin_unit u \
             ON u.id = s.organizer_unit_id WHERE u.code = '54'",
        )
        .await;
    let token = app.token("officer.24175").await;
    let (_, answer) = app
        .post_operation(
            Some(&token),
            REPORTING,
            Some("SessionAttendees"),
            json!({ "id": phu_yen.to_string() }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"], "{answer:#}");
    // A leader records no attendance: nothing to list.
    let none = app
        .operation_as("leader.66", REPORTING, "SessionsForAttendance", json!({}))
        .await;
    assert_eq!(none["trainingSessions"]["totalCount"], 0);
}

async fn a_session_outside_the_area_is_not_shown_through_a_members_trainings(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    // A session organised by another commune (24343), with a member of 24172's old villages
    // recorded at it by the administrator, and one of the province's.
    let create = |code: &str, title: &str| {
        json!({ "input": { "organizerUnitCode": code, "title": title, "format": "ONLINE",
            "startsAt": "2026-03-02T08:00:00+07:00", "location": "Hội trường", "link": "https://meet.example/private" } })
    };
    let query = "mutation($input: CreateTrainingSessionInput!) { createTrainingSession(input: $input) { id } }";
    let elsewhere = app
        .data(query, create("24343", "Lớp riêng của xã khác"))
        .await["createTrainingSession"]["id"]
        .clone();
    let province =
        app.data(query, create("66", "Hội nghị của tỉnh")).await["createTrainingSession"]["id"]
            .clone();
    let member = app
        .scalar(
            "SELECT MIN(m.id) FROM team_member m JOIN team t ON t.id = m.team_id \
             JOIN admin_unit u ON u.id = t.unit_id WHERE u.code LIKE '24172.%' \
             AND t.status = 'ACTIVE' AND m.left_on IS NULL",
        )
        .await;
    let team = app
        .scalar(&format!(
            "SELECT team_id FROM team_member WHERE id = {member}"
        ))
        .await;
    for session in [&elsewhere, &province] {
        app.data(
            "mutation($s: ID!, $m: [ID!]!) { recordAttendance(sessionId: $s, memberIds: $m) { id } }",
            json!({ "s": session, "m": [member.to_string()] }),
        )
        .await;
    }
    let read = "query($id: ID!) { team(id: $id) { members { id trainings { session { id title \
                location link } } } } }";
    let trainings = |answer: &Value| -> Vec<Value> {
        answer["team"]["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"].as_str() == Some(member.to_string().as_str()))
            .unwrap()["trainings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["session"].clone())
            .collect()
    };
    let find = |sessions: &[Value], id: &Value| -> Value {
        sessions.iter().find(|s| &s["id"] == id).unwrap().clone()
    };
    for officer in ["officer.24172", "officer.24175"] {
        let sessions = trainings(
            &app.data_as(officer, read, json!({ "id": team.to_string() }))
                .await,
        );
        let hidden = find(&sessions, &elsewhere);
        assert_eq!(
            hidden["title"],
            steering_gateway::domain::training::OUTSIDE_AREA,
            "{officer}: {hidden}"
        );
        assert!(
            hidden["link"].is_null() && hidden["location"].is_null(),
            "{officer}: {hidden}"
        );
        let shown = find(&sessions, &province);
        assert_eq!(shown["title"], "Hội nghị của tỉnh", "{officer}");
        assert_eq!(shown["link"], "https://meet.example/private");
    }
    let sessions = trainings(&app.data(read, json!({ "id": team.to_string() })).await);
    assert_eq!(
        find(&sessions, &elsewhere)["title"],
        "Lớp riêng của xã khác"
    );
}

async fn a_lower_level_does_not_overwrite_a_target_set_above(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    let set = "mutation($input: SetTargetInput!) { setTarget(input: $input) { value } }";
    let village = app
        .text(
            "SELECT MIN(v.code) FROM admin_unit v JOIN admin_unit c ON c.id = v.parent_id \
             WHERE c.code = '24175' AND v.valid_to IS NULL",
        )
        .await;
    let target = |value: i64| json!({ "input": { "unitCode": village, "period": "2026", "indicator": "MEMBERS", "value": value } });
    // The commune sets a target for its village; the country may raise it.
    let answer = app.graphql_as("officer.24175", set, target(5)).await;
    assert_eq!(answer["data"]["setTarget"]["value"], 5, "{answer:#}");
    let answer = app.graphql(set, target(8)).await;
    assert_eq!(answer["data"]["setTarget"]["value"], 8, "{answer:#}");
    // Set above it now, the commune may not lower it.
    let answer = app.graphql_as("officer.24175", set, target(3)).await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{answer:#}");
    assert_eq!(
        answer["errors"][0]["extensions"]["reason"],
        steering_gateway::domain::report_edits::SET_ABOVE
    );
    let kept = app
        .data_as(
            "officer.24175",
            "query($u: String!) { targets(unitCode: $u, period: \"2026\") { indicator value } }",
            json!({ "u": village }),
        )
        .await;
    assert_eq!(
        kept["targets"][0]["value"], 8,
        "the country's target stands"
    );
}

async fn a_conflict_names_the_row_it_clashes_with(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    let team = team_of_24175(&app).await;
    let village = app
        .text(&format!(
            "SELECT u.code FROM team t JOIN admin_unit u ON u.id = t.unit_id WHERE t.id = {team}"
        ))
        .await;
    let existing = |answer: &Value| answer["errors"][0]["extensions"]["existingId"].clone();
    // A second active team in the village: the first is named.
    let answer = app
        .mutate(
            "officer.24175",
            "CreateTeam",
            json!({ "input": { "unitCode": village, "name": "Tổ thứ hai" } }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["CONFLICT"], "{answer:#}");
    assert_eq!(existing(&answer), team.as_str());
    // A second leader: the team's leader is named.
    let leader = app
        .scalar(&format!(
            "SELECT id FROM team_member WHERE team_id = {team} AND role = 'LEADER' \
             AND left_on IS NULL"
        ))
        .await;
    let answer = app
        .mutate(
            "officer.24175",
            "AddTeamMember",
            json!({ "input": { "teamId": team, "fullName": "Tổ Trưởng Mới", "role": "LEADER",
                "affiliation": "OTHER" } }),
        )
        .await;
    assert_eq!(
        (error_codes(&answer), existing(&answer)),
        (vec!["CONFLICT".to_owned()], json!(leader.to_string()))
    );
    // A second report for the month: the first is named.
    let input = report_input(&team, &this_month());
    let first = app
        .operation_as(
            "officer.24175",
            REPORTING,
            "CreateResultReport",
            input.clone(),
        )
        .await["createResultReport"]["id"]
        .clone();
    let token = app.token("officer.24175").await;
    let (_, answer) = app
        .post_operation(Some(&token), REPORTING, Some("CreateResultReport"), input)
        .await;
    assert_eq!(
        (
            error_codes(&answer),
            error_field(&answer),
            existing(&answer)
        ),
        (vec!["CONFLICT".to_owned()], "period".to_owned(), first)
    );
}

async fn a_certificate_is_recorded_for_a_member_of_the_area(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    let session = app
        .scalar(
            "SELECT MIN(s.id) FROM training_session s JOIN admin_unit u \
             ON u.id = s.organizer_unit_id WHERE u.code = '66'",
        )
        .await
        .to_string();
    // A member of the commune not yet trained, recorded as attending the province's session.
    let member = app
        .scalar(
            "SELECT MIN(m.id) FROM team_member m JOIN team t ON t.id = m.team_id \
             JOIN admin_unit v ON v.id = t.unit_id JOIN admin_unit c ON c.id = v.parent_id \
             WHERE c.code = '24175' AND t.status = 'ACTIVE' AND m.left_on IS NULL \
             AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.member_id = m.id)",
        )
        .await
        .to_string();
    async fn trained(app: &TestApp) -> i64 {
        app.data_as(
            "officer.24175",
            contract::TOTALS,
            json!({ "unitCode": "24175" }),
        )
        .await["totals"]["membersTrained"]
            .as_i64()
            .unwrap()
    }
    let before = trained(&app).await;
    app.mutate(
        "officer.24175",
        "RecordAttendance",
        json!({ "sessionId": session, "memberIds": [member] }),
    )
    .await;
    let update = "mutation($s: ID!, $m: ID!, $c: Boolean, $n: String) { \
                  updateAttendance(sessionId: $s, memberId: $m, completed: $c, certificateNo: $n) { \
                  attended completed certificateNo session { id } } }";
    let answer = app
        .data_as(
            "officer.24175",
            update,
            json!({ "s": session, "m": member, "c": true, "n": " CNS-2026/0001 " }),
        )
        .await;
    let record = &answer["updateAttendance"];
    assert_eq!(
        (&record["completed"], &record["certificateNo"]),
        (&json!(true), &json!("CNS-2026/0001"))
    );
    assert_eq!(
        trained(&app).await,
        before + 1,
        "completing it counts at once"
    );
    // On the attendee list, the last recorded comes last: page through it.
    let mut after = Value::Null;
    let shown = loop {
        let page = app
            .data_as(
                "officer.24175",
                "query($id: ID!, $after: String) { trainingSession(id: $id) { \
                 attendees(first: 100, after: $after) { pageInfo { hasNextPage endCursor } \
                 nodes { member { id } certificateNo } } } }",
                json!({ "id": session, "after": after }),
            )
            .await["trainingSession"]["attendees"]
            .clone();
        let nodes = page["nodes"].as_array().unwrap();
        if let Some(found) = nodes.iter().find(|n| n["member"]["id"] == member.as_str()) {
            break found.clone();
        }
        assert_eq!(
            page["pageInfo"]["hasNextPage"], true,
            "the member is listed"
        );
        after = page["pageInfo"]["endCursor"].clone();
    };
    assert_eq!(shown["certificateNo"], "CNS-2026/0001");
    // Left out, it stays; null clears it.
    let keep = "mutation($s: ID!, $m: ID!) { updateAttendance(sessionId: $s, memberId: $m, \
                completed: true) { certificateNo } }";
    let answer = app
        .data_as("officer.24175", keep, json!({ "s": session, "m": member }))
        .await;
    assert_eq!(answer["updateAttendance"]["certificateNo"], "CNS-2026/0001");
    let answer = app
        .data_as(
            "officer.24175",
            update,
            json!({ "s": session, "m": member, "n": null }),
        )
        .await;
    assert!(answer["updateAttendance"]["certificateNo"].is_null());
    // Outside one's area, too long, or a member not recorded: refused, named.
    let answer = app
        .graphql_as(
            "officer.24355",
            update,
            json!({ "s": session, "m": member, "n": "X" }),
        )
        .await;
    assert_eq!(error_field(&answer), "memberId", "{answer:#}");
    let long = "9".repeat(101);
    let answer = app
        .graphql_as(
            "officer.24175",
            update,
            json!({ "s": session, "m": member, "n": long }),
        )
        .await;
    assert_eq!(error_field(&answer), "certificateNo", "{answer:#}");
    let other = app
        .scalar(&format!(
            "SELECT MIN(m.id) FROM team_member m JOIN team t ON t.id = m.team_id \
             JOIN admin_unit v ON v.id = t.unit_id JOIN admin_unit c ON c.id = v.parent_id \
             WHERE c.code = '24175' AND m.left_on IS NULL AND m.id > {member} \
             AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.member_id = m.id \
             AND a.session_id = {session})"
        ))
        .await;
    let answer = app
        .graphql_as(
            "officer.24175",
            update,
            json!({ "s": session, "m": other.to_string(), "n": "X" }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"], "{answer:#}");
}

async fn reports_and_members_fit_the_teams_life(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    let team = team_of_24175(&app).await;
    let founded = app
        .text(&format!(
            "SELECT CAST(founded_on AS TEXT) FROM team WHERE id = {team}"
        ))
        .await;
    let before =
        chrono::NaiveDate::parse_from_str(&founded, "%Y-%m-%d").unwrap() - chrono::Months::new(1);
    let token = app.token("officer.24175").await;
    let create = |period: String| {
        let (app, token, team) = (&app, token.clone(), team.clone());
        async move {
            app.post_operation(
                Some(&token),
                REPORTING,
                Some("CreateResultReport"),
                report_input(&team, &period),
            )
            .await
            .1
        }
    };
    let answer = create(before.format("%Y-%m").to_string()).await;
    assert_eq!(
        (error_codes(&answer), error_field(&answer)),
        (vec!["BAD_USER_INPUT".to_owned()], "period".to_owned()),
        "a month before the team was founded: {answer:#}"
    );
    // Dissolved: its last month's report still comes in, a later month's does not.
    app.mutate("officer.24175", "DissolveTeam", json!({ "id": team }))
        .await;
    let answer = create(this_month()).await;
    assert!(
        answer["data"]["createResultReport"]["id"].is_string(),
        "{answer:#}"
    );
    // As if it had been dissolved at the end of January 2025.
    let conn = &app.db().conn;
    sea_orm::ConnectionTrait::execute_unprepared(
        conn,
        &format!("UPDATE team SET dissolved_on = '2025-01-31' WHERE id = {team}"),
    )
    .await
    .unwrap();
    let answer = create("2025-02".to_owned()).await;
    assert_eq!(
        (error_codes(&answer), error_field(&answer)),
        (vec!["CONFLICT".to_owned()], "period".to_owned()),
        "{answer:#}"
    );
    // A member does not join before the team was founded.
    let other = app
        .scalar(
            "SELECT MAX(t.id) FROM team t JOIN admin_unit u ON u.id = t.unit_id \
             JOIN admin_unit c ON c.id = u.parent_id WHERE c.code = '24175' \
             AND t.status = 'ACTIVE' AND t.founded_on > '2022-01-02'",
        )
        .await;
    let answer = app
        .mutate(
            "officer.24175",
            "AddTeamMember",
            json!({ "input": { "teamId": other.to_string(), "fullName": "Người Đến Sớm",
                "role": "MEMBER", "affiliation": "OTHER", "joinedOn": "2022-01-01" } }),
        )
        .await;
    assert_eq!(error_field(&answer), "joinedOn", "{answer:#}");
}
