//! The past is read, never rewritten: whatever an officer does today (a team or member added
//! without a date, a member leaving, a team dissolved, a session held, a report approved),
//! every past day's totals and lists stay as they were. A date before today is allowed only
//! when the caller sends it, and the audit log keeps it.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::common::{Backend, TestApp, error_codes, error_field};
use crate::counters::{Rng, some};

crate::tests!(
    todays_writes_leave_every_past_day_as_it_was,
    a_start_date_before_today_is_explicit_and_audited,
);

/// What a leader reads of a past day: the province's figures, each district's, the lists'
/// counts and a month's results.
const PAST: &str = "query($d: Date!) {
  totals(unitCode: \"66\", asOf: $d) {
    teams members membersTrained trainingSessions committees villages villagesWithTeam
    children { unit { code } teams members membersTrained trainingSessions committees villages villagesWithTeam }
    results(period: \"2023-01\") { reports householdsReached }
    resultSeries(from: \"2022-10\", to: \"2023-03\") { period reports }
  }
  teams(unitCode: \"66\", asOf: $d, first: 1) { totalCount }
  dissolved: teams(unitCode: \"66\", status: DISSOLVED, asOf: $d, first: 1) { totalCount }
  villages(unitCode: \"66\", hasTeam: false, asOf: $d, first: 1) { totalCount }
  steeringCommittees(unitCode: \"66\", asOf: $d, first: 1) { totalCount }
  trainingSessions(unitCode: \"66\", asOf: $d, first: 1) { totalCount }
}";

const DAYS: [&str; 3] = ["2022-12-01", "2023-06-30", "2025-06-30"];

async fn past(app: &TestApp) -> Vec<Value> {
    let mut days = Vec::new();
    for day in DAYS {
        days.push(app.data_as("leader.66", PAST, json!({ "d": day })).await);
    }
    days
}

const VILLAGES_WITHOUT_TEAM: &str = "SELECT v.code FROM admin_unit v \
    WHERE v.level = 'VILLAGE' AND v.valid_to IS NULL AND v.path LIKE \
    (SELECT path FROM admin_unit WHERE code = '24175') || '%' \
    AND NOT EXISTS (SELECT 1 FROM team t WHERE t.unit_id = v.id AND t.status = 'ACTIVE')";
const TEAMS: &str = "SELECT CAST(t.id AS TEXT) FROM team t JOIN admin_unit v ON v.id = t.unit_id \
    WHERE t.status = 'ACTIVE' AND v.path LIKE \
    (SELECT path FROM admin_unit WHERE code = '24175') || '%'";
const MEMBERS: &str = "SELECT CAST(m.id AS TEXT) FROM team_member m JOIN team t ON t.id = m.team_id \
    JOIN admin_unit v ON v.id = t.unit_id WHERE m.left_on IS NULL AND t.status = 'ACTIVE' \
    AND v.path LIKE (SELECT path FROM admin_unit WHERE code = '24175') || '%'";

/// One of today's writes by the commune's officer, chosen by `rng`, sent without any date:
/// answers what it was. Some are refused (a full team, a second leader): that is fine.
async fn todays_write(app: &TestApp, rng: &mut Rng, step: usize) -> String {
    let officer = "officer.24175";
    match rng.below(8) {
        0 => {
            let Some(village) = some(app, rng, VILLAGES_WITHOUT_TEAM).await else {
                return "no village without a team".to_owned();
            };
            let input = json!({ "unitCode": village, "name": format!("Tổ mới {step}") });
            app.mutate(officer, "CreateTeam", json!({ "input": input }))
                .await;
            format!("createTeam {village}")
        }
        1 | 2 => {
            let Some(team) = some(app, rng, TEAMS).await else {
                return "no team".to_owned();
            };
            let input = json!({ "teamId": team, "fullName": format!("Người Mới {step}"),
                "role": "MEMBER", "affiliation": "OTHER" });
            app.mutate(officer, "AddTeamMember", json!({ "input": input }))
                .await;
            format!("addTeamMember {team}")
        }
        3 => {
            let Some(member) = some(app, rng, MEMBERS).await else {
                return "no member".to_owned();
            };
            app.mutate(officer, "RemoveTeamMember", json!({ "id": member }))
                .await;
            format!("removeTeamMember {member}")
        }
        4 => {
            let Some(team) = some(app, rng, TEAMS).await else {
                return "no team".to_owned();
            };
            app.mutate(officer, "DissolveTeam", json!({ "id": team }))
                .await;
            format!("dissolveTeam {team}")
        }
        5 => {
            // A session held today, and members completing it.
            let now = chrono::Utc::now().to_rfc3339();
            let input = json!({ "organizerUnitCode": "24175", "title": format!("Lớp {step}"),
                "format": "IN_PERSON", "startsAt": now });
            let answer = app
                .mutate(officer, "CreateTrainingSession", json!({ "input": input }))
                .await;
            let session = answer["data"]["createTrainingSession"]["id"].clone();
            let mut members = Vec::new();
            for _ in 0..3 {
                if let Some(m) = some(app, rng, MEMBERS).await {
                    members.push(m);
                }
            }
            let answer = app
                .mutate(
                    officer,
                    "RecordAttendance",
                    json!({ "sessionId": session, "memberIds": members, "completed": true }),
                )
                .await;
            assert!(answer.get("errors").is_none(), "{answer:#}");
            format!("session {session} with {members:?}")
        }
        6 => {
            // This month's report, written, submitted and approved by a second officer.
            let Some(team) = some(app, rng, TEAMS).await else {
                return "no team".to_owned();
            };
            let month = steering_gateway::scalars::today()
                .format("%Y-%m")
                .to_string();
            let create =
                "mutation($i: CreateResultReportInput!) { createResultReport(input: $i) { id } }";
            let input = json!({ "i": { "teamId": team, "period": month, "results": {
                "householdsReached": 9, "vneidActivations": 1, "onlineApplications": 1,
                "cashlessAccounts": 1, "ecommerceAccounts": 1 } } });
            let answer = app.graphql_as(officer, create, input).await;
            let Some(id) = answer["data"]["createResultReport"]["id"].as_str() else {
                return format!("report refused: {}", error_codes(&answer).join(","));
            };
            let step = |op: &str| format!("mutation($id: ID!) {{ {op}(id: $id) {{ id }} }}");
            app.graphql_as(officer, &step("submitResultReport"), json!({ "id": id }))
                .await;
            let answer = app
                .graphql_as(
                    "second.24175",
                    &step("approveResultReport"),
                    json!({ "id": id }),
                )
                .await;
            assert!(answer.get("errors").is_none(), "{answer:#}");
            format!("report {id} approved")
        }
        _ => {
            let Some(village) = some(app, rng, VILLAGES_WITHOUT_TEAM).await else {
                return "no village".to_owned();
            };
            let input = json!({ "unitCode": village, "name": format!("Ban chỉ đạo {step}"),
                "members": [{ "fullName": "Trưởng Ban", "position": "HEAD" }] });
            let answer = app
                .mutate(
                    "admin",
                    "CreateSteeringCommittee",
                    json!({ "input": input }),
                )
                .await;
            format!("committee at {village}: {:?}", error_codes(&answer))
        }
    }
}

async fn todays_writes_leave_every_past_day_as_it_was(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    let hash = steering_gateway::auth::hash_password(crate::common::DEMO_PASSWORD).unwrap();
    steering_gateway::domain::users::create(&app.db().conn, "second.24175", None, &hash)
        .await
        .unwrap();
    app.cli(&["user", "assign", "second.24175", "OFFICER", "24175"])
        .await
        .unwrap();
    let before = past(&app).await;
    assert_eq!(
        (
            &before[0]["totals"]["teams"],
            &before[0]["totals"]["members"]
        ),
        (&json!(1163), &json!(7228)),
        "the province's report of 1 December 2022"
    );
    let seed = std::env::var("HISTORY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0107_2025_u64);
    let mut rng = Rng(seed);
    let today = app
        .data_as(
            "leader.66",
            "{ totals(unitCode: \"66\") { teams members } }",
            json!({}),
        )
        .await;
    let mut done = Vec::new();
    for step in 0..24 {
        done.push(todays_write(&app, &mut rng, step).await);
    }
    let after = past(&app).await;
    for (i, day) in DAYS.iter().enumerate() {
        assert_eq!(
            after[i], before[i],
            "{day} changed after today's writes (HISTORY_SEED={seed}): {done:#?}"
        );
    }
    // Today did move: the writes were real.
    let now = app
        .data_as(
            "leader.66",
            "{ totals(unitCode: \"66\") { teams members } }",
            json!({}),
        )
        .await;
    assert_ne!(now, today, "{done:#?}");
}

async fn a_start_date_before_today_is_explicit_and_audited(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    let day = json!({ "d": "2022-12-01" });
    let figures = "query($d: Date!) { totals(unitCode: \"66\", asOf: $d) { teams members } }";
    let village = app
        .text(&format!("{VILLAGES_WITHOUT_TEAM} ORDER BY 1 LIMIT 1"))
        .await;
    // Founded, as the commune's decision says, in January 2022: it counts from then on.
    let input = json!({ "unitCode": village, "name": "Tổ ghi ngày", "foundedOn": "2022-01-10" });
    let answer = app
        .mutate("officer.24175", "CreateTeam", json!({ "input": input }))
        .await;
    let team = answer["data"]["createTeam"]["id"].clone();
    assert!(team.is_string(), "{answer:#}");
    let input = json!({ "teamId": team, "fullName": "Người Ghi Ngày", "role": "LEADER",
        "affiliation": "OTHER", "joinedOn": "2022-02-01" });
    app.mutate("officer.24175", "AddTeamMember", json!({ "input": input }))
        .await;
    let then = app.data_as("leader.66", figures, day.clone()).await;
    assert_eq!(then["totals"]["teams"], 1164);
    assert_eq!(then["totals"]["members"], 7229);
    let recorded = app
        .text(&format!(
            "SELECT after_json FROM audit_entry WHERE operation = 'createTeam' \
             AND entity_id = {}",
            team.as_str().unwrap()
        ))
        .await;
    assert!(
        recorded.contains("\"foundedOn\":\"2022-01-10\""),
        "{recorded}"
    );
    // A date cannot be taken away (the team would count on every past day), nor lie ahead.
    let update = "mutation($id: ID!, $input: UpdateTeamInput!) { updateTeam(id: $id, input: $input) { id } }";
    let answer = app
        .graphql_as(
            "officer.24175",
            update,
            json!({ "id": team, "input": { "foundedOn": null } }),
        )
        .await;
    assert_eq!(
        (error_codes(&answer), error_field(&answer)),
        (vec!["BAD_USER_INPUT".to_owned()], "foundedOn".to_owned())
    );
    let tomorrow = (steering_gateway::scalars::today() + chrono::Days::new(2)).to_string();
    let input = json!({ "unitCode": village, "name": "Tổ ngày mai", "foundedOn": tomorrow });
    let answer = app
        .mutate("officer.24175", "CreateTeam", json!({ "input": input }))
        .await;
    assert_eq!(error_field(&answer), "foundedOn", "{answer:#}");
    // Without a date, the day of the change.
    let village = app
        .text(&format!("{VILLAGES_WITHOUT_TEAM} ORDER BY 1 LIMIT 1"))
        .await;
    let input = json!({ "unitCode": village, "name": "Tổ hôm nay" });
    let answer = app
        .mutate("officer.24175", "CreateTeam", json!({ "input": input }))
        .await;
    let id = answer["data"]["createTeam"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let founded = app
        .text(&format!(
            "SELECT CAST(founded_on AS TEXT) FROM team WHERE id = {id}"
        ))
        .await;
    assert_eq!(founded, steering_gateway::scalars::today().to_string());
    assert_eq!(app.data_as("leader.66", figures, day).await, then);
}
