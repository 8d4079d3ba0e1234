//! The counters every write keeps: after any sequence of writes (failed, concurrent, imported,
//! across a reorganisation) they equal a recount from the rows, and `check-totals` finds and
//! repairs drift.

use std::sync::Arc;

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use steering_gateway::domain::counters;

use crate::common::{Backend, TestApp, contract, upload};

crate::tests!(
    random_writes_keep_the_counters_equal_to_a_recount,
    check_totals_lists_drift_and_repairs_it,
    the_country_is_summed_by_province_for_administrators,
);

/// A small deterministic generator: the same seed gives the same writes
/// (`COUNTERS_SEED=n` to replay a failure).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Some row's id (or code) from `sql`, which lists them; none when it lists nothing.
pub(crate) async fn some(app: &TestApp, rng: &mut Rng, sql: &str) -> Option<String> {
    let n = app
        .scalar(&format!("SELECT COUNT(*) FROM ({sql}) x"))
        .await
        .max(0) as u64;
    if n == 0 {
        return None;
    }
    let k = rng.below(n);
    Some(
        app.text(&format!("{sql} ORDER BY 1 LIMIT 1 OFFSET {k}"))
            .await,
    )
}

const ROLES: &[&str] = &["LEADER", "DEPUTY", "MEMBER"];
const AFFILIATIONS: &[&str] = &["VILLAGE_HEAD", "POLICE", "YOUTH_UNION", "TEACHER", "OTHER"];
const VILLAGES: &str = "SELECT code FROM admin_unit WHERE level = 'VILLAGE' AND valid_to IS NULL";
const TEAMS: &str = "SELECT CAST(id AS TEXT) FROM team";
const ACTIVE_TEAMS: &str = "SELECT CAST(id AS TEXT) FROM team WHERE status = 'ACTIVE'";
const MEMBERS: &str = "SELECT CAST(id AS TEXT) FROM team_member WHERE left_on IS NULL";

/// One write chosen by `rng`, sent as the administrator; answers what it was. Many are refused
/// (a full team, a second active team in a village, a bad value): a refused write must leave
/// the counters as they were.
async fn random_write(app: &TestApp, rng: &mut Rng) -> String {
    let send = |query: &'static str, vars: Value| async move {
        app.graphql_as("admin", query, vars).await
    };
    let kind = rng.below(15);
    let answer = match kind {
        0 => {
            let Some(team) = some(app, rng, ACTIVE_TEAMS).await else {
                return "nothing".into();
            };
            send(
                "mutation($i: AddTeamMemberInput!) { addTeamMember(input: $i) { id } }",
                json!({ "i": { "teamId": team, "fullName": "Nguyễn Văn Thử",
                    "role": rng.pick(ROLES), "affiliation": rng.pick(AFFILIATIONS) } }),
            )
            .await
        }
        1 | 2 => {
            let Some(member) = some(app, rng, MEMBERS).await else {
                return "nothing".into();
            };
            // One field at a time, so that each is seen to count (or not) on its own.
            let input = match rng.below(4) {
                0 => json!({ "role": rng.pick(ROLES) }),
                1 => json!({ "affiliation": rng.pick(AFFILIATIONS) }),
                2 => json!({ "phone": "0912345678", "fullName": "Nguyễn Thị Sửa" }),
                _ => json!({ "role": rng.pick(ROLES), "affiliation": rng.pick(AFFILIATIONS) }),
            };
            send(
                "mutation($id: ID!, $i: UpdateTeamMemberInput!) { updateTeamMember(id: $id, input: $i) { id } }",
                json!({ "id": member, "i": input }),
            )
            .await
        }
        3 => {
            let Some(member) = some(app, rng, MEMBERS).await else {
                return "nothing".into();
            };
            send(
                "mutation($id: ID!) { removeTeamMember(id: $id) { id } }",
                json!({ "id": member }),
            )
            .await
        }
        4 => {
            let village = some(app, rng, VILLAGES).await.unwrap();
            send(
                "mutation($i: CreateTeamInput!) { createTeam(input: $i) { id } }",
                json!({ "i": { "unitCode": village, "name": "Tổ công nghệ số mới" } }),
            )
            .await
        }
        5 => {
            // A team (often one with approved reports) moved to a village without an active
            // team, or set active again, or dissolved.
            let teams = if rng.below(2) == 0 {
                "SELECT CAST(team_id AS TEXT) FROM result_report WHERE state = 'APPROVED'"
            } else {
                TEAMS
            };
            let team = some(app, rng, teams).await.unwrap();
            let village = some(
                app,
                rng,
                "SELECT code FROM admin_unit v WHERE level = 'VILLAGE' AND valid_to IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM team t WHERE t.unit_id = v.id \
                 AND t.status = 'ACTIVE')",
            )
            .await
            .unwrap_or_default();
            let input = match rng.below(4) {
                0 | 1 => json!({ "unitCode": village }),
                2 => json!({ "status": "ACTIVE" }),
                _ => json!({ "status": "DISSOLVED" }),
            };
            send(
                "mutation($id: ID!, $i: UpdateTeamInput!) { updateTeam(id: $id, input: $i) { id } }",
                json!({ "id": team, "i": input }),
            )
            .await
        }
        6 => {
            let unit = some(
                app,
                rng,
                "SELECT code FROM admin_unit WHERE level <> 'VILLAGE' AND valid_to IS NULL",
            )
            .await
            .unwrap();
            send(
                "mutation($i: CreateTrainingSessionInput!) { createTrainingSession(input: $i) { id } }",
                json!({ "i": { "organizerUnitCode": unit, "title": "Kỹ năng số cơ bản",
                    "format": "IN_PERSON", "startsAt": "2026-03-02T01:00:00Z" } }),
            )
            .await
        }
        7 => {
            let Some(session) =
                some(app, rng, "SELECT CAST(id AS TEXT) FROM training_session").await
            else {
                return "nothing".into();
            };
            send(
                "mutation($id: ID!) { deleteTrainingSession(id: $id) { id } }",
                json!({ "id": session }),
            )
            .await
        }
        8 | 9 => {
            let session = some(app, rng, "SELECT CAST(id AS TEXT) FROM training_session")
                .await
                .unwrap();
            let mut members = Vec::new();
            for _ in 0..1 + rng.below(3) {
                members.extend(some(app, rng, MEMBERS).await);
            }
            if kind == 8 {
                send(
                    "mutation($s: ID!, $m: [ID!]!, $c: Boolean) { recordAttendance(sessionId: $s, memberIds: $m, completed: $c) { id } }",
                    json!({ "s": session, "m": members, "c": rng.below(2) == 0 }),
                )
                .await
            } else {
                send(
                    "mutation($s: ID!, $m: [ID!]!) { removeAttendance(sessionId: $s, memberIds: $m) { id } }",
                    json!({ "s": session, "m": members }),
                )
                .await
            }
        }
        10 => {
            let unit = some(
                app,
                rng,
                "SELECT code FROM admin_unit WHERE level <> 'VILLAGE' AND valid_to IS NULL",
            )
            .await
            .unwrap();
            send(
                "mutation($i: CreateSteeringCommitteeInput!) { createSteeringCommittee(input: $i) { id } }",
                json!({ "i": { "unitCode": unit, "name": "Ban chỉ đạo chuyển đổi số" } }),
            )
            .await
        }
        11 => {
            let committee = some(
                app,
                rng,
                "SELECT CAST(id AS TEXT) FROM steering_committee WHERE dissolved_on IS NULL",
            )
            .await
            .unwrap();
            send(
                "mutation($id: ID!) { dissolveSteeringCommittee(id: $id) { id } }",
                json!({ "id": committee }),
            )
            .await
        }
        12 => {
            // A report through its whole life: each step is its own write.
            let team = some(app, rng, ACTIVE_TEAMS).await.unwrap();
            let results = json!({ "householdsReached": 1 + rng.below(50), "vneidActivations": 3,
                "onlineApplications": 2, "cashlessAccounts": 1, "ecommerceAccounts": 0 });
            let period = format!("2026-{:02}", 1 + rng.below(10));
            let created = send(
                "mutation($i: CreateResultReportInput!) { createResultReport(input: $i) { id } }",
                json!({ "i": { "teamId": team, "period": period, "results": results } }),
            )
            .await;
            let Some(id) = created["data"]["createResultReport"]["id"].as_str() else {
                return format!("report refused: {}", created["errors"][0]["message"]);
            };
            for step in ["submitResultReport", "approveResultReport"] {
                let query = if step == "submitResultReport" {
                    "mutation($id: ID!) { submitResultReport(id: $id) { id } }"
                } else {
                    "mutation($id: ID!) { approveResultReport(id: $id) { id } }"
                };
                send(query, json!({ "id": id })).await;
            }
            json!({ "data": "report approved" })
        }
        13 => {
            // Refused outright: a member without a name.
            let team = some(app, rng, ACTIVE_TEAMS).await.unwrap();
            send(
                "mutation($i: AddTeamMemberInput!) { addTeamMember(input: $i) { id } }",
                json!({ "i": { "teamId": team, "fullName": " ", "role": "MEMBER",
                    "affiliation": "OTHER" } }),
            )
            .await
        }
        _ => {
            // An import into a commune's villages, all or nothing: with a bad line sometimes.
            let village = some(app, rng, VILLAGES).await.unwrap();
            let commune = app
                .text(&format!(
                    "SELECT p.code FROM admin_unit v JOIN admin_unit p ON p.id = v.parent_id \
                     WHERE v.code = '{village}' AND v.valid_to IS NULL"
                ))
                .await;
            let bad = if rng.below(3) == 0 {
                "Lê Thị Lỗi,{village},Không rõ,Công an,,1990,Nữ\n"
            } else {
                ""
            };
            let csv = format!(
                "Họ và tên,Thôn,Vai trò,Lực lượng,Số điện thoại,Năm sinh,Giới tính\n\
                 Y Moan Êban,{village},Thành viên,Đoàn thanh niên,,1998,Nam\n\
                 H'Hen Niê,{village},Thành viên,Hội phụ nữ,,1990,Nữ\n{}",
                bad.replace("{village}", &village)
            );
            upload(app, "admin", &commune, "ds.csv", csv.as_bytes()).await
        }
    };
    let outcome = match answer["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => format!("refused {code}"),
        None => "done".to_owned(),
    };
    format!("write {kind}: {outcome}")
}

/// Several writes at once, in one commune's villages: on PostgreSQL they lock and recount
/// the same rows concurrently.
async fn concurrent_writes(app: &TestApp, rng: &mut Rng) -> String {
    let Some(team) = some(app, rng, ACTIVE_TEAMS).await else {
        return "nothing".into();
    };
    let commune = app
        .text(&format!(
            "SELECT CAST(u.parent_id AS TEXT) FROM team t JOIN admin_unit u ON u.id = t.unit_id \
             WHERE t.id = {team}"
        ))
        .await;
    let teams_sql = format!(
        "SELECT CAST(t.id AS TEXT) FROM team t JOIN admin_unit u ON u.id = t.unit_id \
         WHERE t.status = 'ACTIVE' AND u.parent_id = {commune}"
    );
    let mut teams = Vec::new();
    for _ in 0..4 {
        teams.extend(some(app, rng, &teams_sql).await);
    }
    let add = |i: usize| {
        let team = teams.get(i).cloned();
        async move {
            let team = team?;
            Some(
                app.graphql_as(
                    "admin",
                    "mutation($i: AddTeamMemberInput!) { addTeamMember(input: $i) { id } }",
                    json!({ "i": { "teamId": team, "fullName": "Trần Thị Song Song",
                        "role": "MEMBER", "affiliation": "TELECOM" } }),
                )
                .await,
            )
        }
    };
    let answers = tokio::join!(add(0), add(1), add(2), add(3));
    let done = [answers.0, answers.1, answers.2, answers.3]
        .iter()
        .flatten()
        .filter(|a| a.get("errors").is_none())
        .count();
    format!("{} concurrent additions, {done} done", teams.len())
}

async fn assert_counters_agree(app: &TestApp, after: &str) {
    let drift = counters::check(&app.db().conn).await.unwrap();
    assert!(
        drift.is_empty(),
        "after {after}, counters differ from the rows:\n{}",
        drift
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Random writes of every kind before and after the reorganisation of 1 July 2025, with the
/// counters compared to a recount of every unit after each.
async fn random_writes_keep_the_counters_equal_to_a_recount(b: Arc<Backend>) {
    let app = b.fresh().await;
    steering_gateway::seed::seed_demo_until(app.db(), crate::common::DEMO_PASSWORD, false)
        .await
        .unwrap();
    assert_counters_agree(&app, "seeding").await;
    let seed = std::env::var("COUNTERS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_2025_u64);
    let mut rng = Rng(seed);
    let mut done = 0;
    for step in 0..36 {
        let what = if step % 6 == 5 {
            concurrent_writes(&app, &mut rng).await
        } else {
            random_write(&app, &mut rng).await
        };
        done += usize::from(
            what.ends_with("done") || what.contains(", 1") || what.contains("approved"),
        );
        assert_counters_agree(&app, &format!("step {step} ({what}, seed {seed})")).await;
    }
    assert!(done >= 10, "most writes went through ({done})");

    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/src/seed/data");
    let (units, mapping, villages) = (
        format!("{data}/admin_units_2025.csv"),
        format!("{data}/reorg_2025.csv"),
        format!("{data}/demo_villages_2025.csv"),
    );
    app.cli(&[
        "reorganise",
        "--effective",
        "2025-07-01",
        "--units",
        &units,
        "--mapping",
        &mapping,
        "--villages",
        &villages,
    ])
    .await
    .unwrap();
    assert_counters_agree(&app, "the reorganisation").await;
    for step in 36..54 {
        let what = if step % 6 == 5 {
            concurrent_writes(&app, &mut rng).await
        } else {
            random_write(&app, &mut rng).await
        };
        assert_counters_agree(&app, &format!("step {step} ({what}, seed {seed})")).await;
    }
    // What the counters say is what the rows say, through the API too.
    let totals = app
        .data_as("admin", contract::TOTALS, json!({ "unitCode": "66" }))
        .await;
    let members = app
        .scalar(
            "SELECT COUNT(*) FROM team_member m JOIN team t ON t.id = m.team_id \
             JOIN admin_unit u ON u.id = t.unit_id, admin_unit p \
             WHERE p.code = '66' AND p.valid_to IS NULL AND u.path >= p.path \
             AND u.path < p.path || '~' AND t.status = 'ACTIVE' AND m.left_on IS NULL",
        )
        .await;
    assert_eq!(totals["totals"]["members"], members);
}

/// Counters set wrong behind the gateway's back are listed, by unit and figure, and the
/// command fails; `--repair` sets them right in one go, and the totals are the rows' again.
async fn check_totals_lists_drift_and_repairs_it(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    app.cli(&["check-totals"]).await.unwrap();
    let before = app
        .data_as("leader.66", contract::TOTALS, json!({ "unitCode": "66" }))
        .await;
    let village = app
        .scalar("SELECT MIN(unit_id) FROM team WHERE status = 'ACTIVE'")
        .await;
    let code = app
        .text(&format!("SELECT code FROM admin_unit WHERE id = {village}"))
        .await;
    app.db()
        .conn
        .execute_unprepared(&format!(
            "UPDATE unit_total SET members = members + 5, role_member = 0 WHERE unit_id = {village}"
        ))
        .await
        .unwrap();
    app.db()
        .conn
        .execute_unprepared("UPDATE commune_total SET teams = teams - 1")
        .await
        .unwrap();
    let drift = counters::check(&app.db().conn).await.unwrap();
    let listed = drift
        .iter()
        .find(|d| d.code == code)
        .expect("the village is listed");
    assert!(
        listed
            .figures
            .iter()
            .any(|(what, kept, counted)| what == "members" && kept - counted == 5),
        "{listed}"
    );
    assert!(
        drift
            .iter()
            .any(|d| d.figures.iter().any(|f| f.0 == "subtree/teams"))
    );
    let refused = app.cli(&["check-totals"]).await.unwrap_err().to_string();
    assert!(
        refused.contains("counters differ from their rows"),
        "{refused}"
    );

    app.cli(&["check-totals", "--repair"]).await.unwrap();
    app.cli(&["check-totals"]).await.unwrap();
    assert!(counters::check(&app.db().conn).await.unwrap().is_empty());
    let after = app
        .data_as("leader.66", contract::TOTALS, json!({ "unitCode": "66" }))
        .await;
    assert_eq!(after, before);
}

/// `totals` without a unit: the administrator's country, by province, from the communes'
/// sums; equal to the sum of the provinces' own totals. A province's leader gets the
/// province; nobody else gets the country.
async fn the_country_is_summed_by_province_for_administrators(b: Arc<Backend>) {
    let app = b.today().await;
    let query = "{ totals { unit { code } teams members membersTrained villages \
                 villagesWithTeam committees trainingSessions \
                 children { unit { code } teams members villages } } }";
    let country = app.data_as("admin", query, json!({})).await;
    let t = &country["totals"];
    assert!(t["unit"].is_null(), "{t:#}");
    let teams = app
        .scalar("SELECT COUNT(*) FROM team WHERE status = 'ACTIVE'")
        .await;
    assert_eq!(t["teams"], teams);
    let members = app
        .scalar(
            "SELECT COUNT(*) FROM team_member m JOIN team t ON t.id = m.team_id \
             WHERE t.status = 'ACTIVE' AND m.left_on IS NULL",
        )
        .await;
    assert_eq!(t["members"], members);
    let villages = app
        .scalar("SELECT COUNT(*) FROM admin_unit WHERE level = 'VILLAGE' AND valid_to IS NULL")
        .await;
    assert_eq!(t["villages"], villages);
    let children = t["children"].as_array().unwrap();
    assert!(
        children.iter().all(|c| c["unit"]["code"] != "54"),
        "closed provinces are not listed"
    );
    let province = app
        .data_as("admin", contract::TOTALS, json!({ "unitCode": "66" }))
        .await;
    let listed = children.iter().find(|c| c["unit"]["code"] == "66").unwrap();
    assert_eq!(listed["teams"], province["totals"]["teams"]);
    assert_eq!(listed["members"], province["totals"]["members"]);

    let leader = app.data_as("leader.66", query, json!({})).await;
    assert_eq!(leader["totals"]["unit"]["code"], "66");
    assert_eq!(leader["totals"]["members"], province["totals"]["members"]);
    let officer = app.data_as("officer.24175", query, json!({})).await;
    assert_eq!(officer["totals"]["unit"]["code"], "24175");
}
