//! Users whose read area is wider than their write area: a province leader who is also the
//! officer of one commune, a district officer who also leads a team elsewhere. Every mutation
//! is tried in the part they may only read (`FORBIDDEN`, nothing changed) and in the part they
//! may write (it works). Also: policy rules limited to a region, through a real request, and
//! who set a target.

use std::sync::Arc;

use serde_json::{Value, json};
use steering_gateway::authz::Role;
use steering_gateway::domain::{TeamId, UnitId};

use crate::authz::make_user;
use crate::common::{Backend, TestApp, error_codes, upload};

crate::tests!(
    a_leader_who_is_also_a_commune_officer_writes_only_in_the_commune,
    a_district_officer_who_leads_a_team_elsewhere_writes_only_its_members,
    region_limited_policy_rules_apply_through_requests,
    roles_inherited_in_the_policy_apply_through_requests,
    a_target_shows_who_set_it,
);

/// The demo application `app` serves, under a policy edited by `edit` (which is given the
/// repository's `policy.csv` and the path of unit `code`).
async fn under_policy(
    b: &Backend,
    app: &TestApp,
    code: &str,
    edit: impl Fn(String, &str) -> String,
) -> (TestApp, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "sg-policy-{}-{}-{}",
        std::process::id(),
        b.name().replace('+', "-"),
        code
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let base = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
    std::fs::copy(format!("{base}/model.conf"), dir.join("model.conf")).unwrap();
    let path = app
        .text(&format!(
            "SELECT path FROM admin_unit WHERE code = '{code}' AND valid_to IS NULL"
        ))
        .await;
    let policy = edit(
        std::fs::read_to_string(format!("{base}/policy.csv")).unwrap(),
        &path,
    );
    std::fs::write(dir.join("policy.csv"), policy).unwrap();
    let db = steering_gateway::db::Db::connect(&app.url).await.unwrap();
    let mut settings = app.state.settings.clone();
    settings.policy_dir = dir.clone();
    (TestApp::with_settings(db, settings).await, dir)
}

async fn roles_inherited_in_the_policy_apply_through_requests(b: Arc<Backend>) {
    // Officers of Hòa Phú also hold what leaders hold there: the audit log, which officers
    // are not granted.
    let app = b.demo().await;
    let (inherited, dir) = under_policy(&b, app, "24172", |policy, path| {
        format!("{policy}\ng, officer, leader, {path}\n")
    })
    .await;
    let audit = "{ auditLog(first: 1) { totalCount } }";
    let answer = inherited
        .graphql_as("officer.24172", audit, json!({}))
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    let answer = inherited
        .graphql_as("officer.24355", audit, json!({}))
        .await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{answer:#}");
    // Under the repository's policy, neither reads it.
    let answer = app.graphql_as("officer.24172", audit, json!({})).await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{answer:#}");
    std::fs::remove_dir_all(&dir).ok();
}

const GQL: &str = r#"
mutation UpdateTeam($id: ID!, $input: UpdateTeamInput!) { updateTeam(id: $id, input: $input) { id } }
mutation DissolveTeam($id: ID!) { dissolveTeam(id: $id) { id } }
mutation CreateTeam($input: CreateTeamInput!) { createTeam(input: $input) { id } }
mutation AddMember($input: AddTeamMemberInput!) { addTeamMember(input: $input) { id } }
mutation UpdateMember($id: ID!, $input: UpdateTeamMemberInput!) { updateTeamMember(id: $id, input: $input) { id } }
mutation RemoveMember($id: ID!) { removeTeamMember(id: $id) { id } }
mutation UpdateCommittee($id: ID!, $input: UpdateSteeringCommitteeInput!) { updateSteeringCommittee(id: $id, input: $input) { id } }
mutation AddCommitteeMember($id: ID!, $input: CommitteeMemberInput!) { addCommitteeMember(committeeId: $id, input: $input) { id } }
mutation UpdateCommitteeMember($id: ID!, $input: UpdateCommitteeMemberInput!) { updateCommitteeMember(id: $id, input: $input) { id } }
mutation RemoveCommitteeMember($id: ID!) { removeCommitteeMember(id: $id) { id } }
mutation DissolveCommittee($id: ID!) { dissolveSteeringCommittee(id: $id) { id } }
mutation CreateCommittee($input: CreateSteeringCommitteeInput!) { createSteeringCommittee(input: $input) { id } }
mutation CreateSession($input: CreateTrainingSessionInput!) { createTrainingSession(input: $input) { id } }
mutation UpdateSession($id: ID!, $input: UpdateTrainingSessionInput!) { updateTrainingSession(id: $id, input: $input) { id } }
mutation DeleteSession($id: ID!) { deleteTrainingSession(id: $id) { id } }
mutation RecordAttendance($session: ID!, $members: [ID!]!) { recordAttendance(sessionId: $session, memberIds: $members) { id } }
mutation RemoveAttendance($session: ID!, $members: [ID!]!) { removeAttendance(sessionId: $session, memberIds: $members) { id } }
mutation CreateReport($input: CreateResultReportInput!) { createResultReport(input: $input) { id } }
mutation UpdateReport($id: ID!, $results: ResultsInput!) { updateResultReport(id: $id, results: $results) { id } }
mutation SubmitReport($id: ID!) { submitResultReport(id: $id) { id } }
mutation ApproveReport($id: ID!) { approveResultReport(id: $id) { id state } }
mutation SetTarget($input: SetTargetInput!) { setTarget(input: $input) { id setBy { code } } }
query Targets($unitCode: String!) { targets(unitCode: $unitCode) { indicator value setBy { code } } }
"#;

const RESULTS: &str = r#"{ "householdsReached": 3, "vneidActivations": 2, "onlineApplications": 1,
    "cashlessAccounts": 1, "ecommerceAccounts": 0 }"#;

async fn run(app: &TestApp, user: &str, operation: &str, variables: Value) -> Value {
    let token = app.token(user).await;
    app.post_operation(Some(&token), GQL, Some(operation), variables)
        .await
        .1
}

/// The current unit holding `code`.
async fn unit(app: &TestApp, code: &str) -> UnitId {
    UnitId(
        app.scalar(&format!(
            "SELECT id FROM admin_unit WHERE code = '{code}' AND valid_to IS NULL"
        ))
        .await,
    )
}

/// Rows of one commune to try mutations on, read from the database.
struct Commune {
    code: String,
    /// Two teams (the second is dissolved and its village given a new one), their villages.
    teams: [i64; 2],
    villages: [String; 2],
    /// Two current members of the first team.
    members: [i64; 2],
    committee: i64,
    committee_members: [i64; 2],
}

impl Commune {
    async fn load(app: &TestApp, code: &str) -> Commune {
        let teams_sql = format!(
            "SELECT t.id FROM team t JOIN admin_unit u ON u.id = t.unit_id \
             WHERE u.code LIKE '{code}.%' AND t.status = 'ACTIVE' ORDER BY u.code"
        );
        let first = app.scalar(&format!("{teams_sql} LIMIT 1")).await;
        let second = app.scalar(&format!("{teams_sql} LIMIT 1 OFFSET 1")).await;
        let village = |team: i64| async move {
            app.text(&format!(
                "SELECT u.code FROM team t JOIN admin_unit u ON u.id = t.unit_id WHERE t.id = {team}"
            ))
            .await
        };
        let members_sql = format!(
            "SELECT id FROM team_member WHERE team_id = {first} AND left_on IS NULL \
             AND role <> 'LEADER' ORDER BY id"
        );
        let committee = app
            .scalar(&format!(
                "SELECT c.id FROM steering_committee c JOIN admin_unit u ON u.id = c.unit_id \
                 WHERE u.code = '{code}' AND c.dissolved_on IS NULL"
            ))
            .await;
        let cm_sql = format!(
            "SELECT id FROM committee_member WHERE committee_id = {committee} \
             AND position = 'MEMBER' ORDER BY id"
        );
        Commune {
            code: code.to_owned(),
            teams: [first, second],
            villages: [village(first).await, village(second).await],
            members: [
                app.scalar(&format!("{members_sql} LIMIT 1")).await,
                app.scalar(&format!("{members_sql} LIMIT 1 OFFSET 1")).await,
            ],
            committee,
            committee_members: [
                app.scalar(&format!("{cm_sql} LIMIT 1")).await,
                app.scalar(&format!("{cm_sql} LIMIT 1 OFFSET 1")).await,
            ],
        }
    }
}

/// Everything written in the demo, in one number: changes of any kind move it.
async fn fingerprint(app: &TestApp) -> (i64, i64, i64) {
    (
        app.scalar("SELECT COUNT(*) FROM audit_entry").await,
        app.scalar(
            "SELECT (SELECT COALESCE(SUM(version), 0) FROM team) \
             + (SELECT COALESCE(SUM(version), 0) FROM team_member) \
             + (SELECT COALESCE(SUM(version), 0) FROM steering_committee) \
             + (SELECT COALESCE(SUM(version), 0) FROM committee_member) \
             + (SELECT COALESCE(SUM(version), 0) FROM training_session)",
        )
        .await,
        app.scalar(
            "SELECT (SELECT COUNT(*) FROM team) + (SELECT COUNT(*) FROM team_member) \
             + (SELECT COUNT(*) FROM attendance) + (SELECT COUNT(*) FROM result_report) \
             + (SELECT COUNT(*) FROM target) + (SELECT COUNT(*) FROM training_session) \
             + (SELECT COUNT(*) FROM steering_committee) + (SELECT COUNT(*) FROM committee_member)",
        )
        .await,
    )
}

/// Every mutation, in an order that works where the user may write: each answer is passed to
/// `verdict` with the operation's name.
async fn every_mutation(
    app: &TestApp,
    user: &str,
    c: &Commune,
    province_session: i64,
    mut verdict: impl FnMut(&str, &Value),
) {
    let mut step = async |operation: &str, variables: Value| {
        let answer = run(app, user, operation, variables).await;
        verdict(operation, &answer);
        answer
    };
    let [team, other_team] = c.teams;
    let [member, other_member] = c.members;
    step(
        "UpdateTeam",
        json!({ "id": team.to_string(), "input": { "decisionNo": "QĐ-42" } }),
    )
    .await;
    step(
        "AddMember",
        json!({ "input": { "teamId": team.to_string(), "fullName": "Lê Văn Mới",
            "role": "MEMBER", "affiliation": "OTHER" } }),
    )
    .await;
    step(
        "UpdateMember",
        json!({ "id": member.to_string(), "input": { "fullName": "Lê Thị Đổi" } }),
    )
    .await;
    step("RemoveMember", json!({ "id": other_member.to_string() })).await;
    step("DissolveTeam", json!({ "id": other_team.to_string() })).await;
    step(
        "CreateTeam",
        json!({ "input": { "unitCode": c.villages[1], "name": "Tổ công nghệ số mới" } }),
    )
    .await;
    step(
        "UpdateCommittee",
        json!({ "id": c.committee.to_string(), "input": { "name": "Ban chỉ đạo" } }),
    )
    .await;
    step(
        "AddCommitteeMember",
        json!({ "id": c.committee.to_string(), "input": { "fullName": "Trần Văn Ban", "position": "MEMBER" } }),
    )
    .await;
    step(
        "UpdateCommitteeMember",
        json!({ "id": c.committee_members[0].to_string(), "input": { "title": "Công an xã" } }),
    )
    .await;
    step(
        "RemoveCommitteeMember",
        json!({ "id": c.committee_members[1].to_string() }),
    )
    .await;
    step(
        "DissolveCommittee",
        json!({ "id": c.committee.to_string() }),
    )
    .await;
    step(
        "CreateCommittee",
        json!({ "input": { "unitCode": c.code, "name": "Ban chỉ đạo chuyển đổi số" } }),
    )
    .await;
    let created = step(
        "CreateSession",
        json!({ "input": { "organizerUnitCode": c.code, "title": "Tập huấn VNeID",
            "format": "IN_PERSON", "startsAt": "2026-10-01T08:00:00Z" } }),
    )
    .await;
    // Where the session could not be created, the province's is tried instead.
    let session = created["data"]["createTrainingSession"]["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| province_session.to_string());
    step(
        "UpdateSession",
        json!({ "id": session, "input": { "title": "Tập huấn VNeID mức 2" } }),
    )
    .await;
    step(
        "RecordAttendance",
        json!({ "session": province_session.to_string(), "members": [member.to_string()] }),
    )
    .await;
    step(
        "RemoveAttendance",
        json!({ "session": province_session.to_string(), "members": [member.to_string()] }),
    )
    .await;
    step("DeleteSession", json!({ "id": session })).await;
    let results: Value = serde_json::from_str(RESULTS).unwrap();
    let report = step(
        "CreateReport",
        json!({ "input": { "teamId": team.to_string(), "period": "2026-10", "results": results } }),
    )
    .await;
    let report = report["data"]["createResultReport"]["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| "0".to_owned());
    // Where it could not be written, an existing report of the team is tried.
    let report = if report == "0" {
        app.scalar(&format!(
            "SELECT MIN(id) FROM result_report WHERE team_id = {team}"
        ))
        .await
        .to_string()
    } else {
        report
    };
    step("UpdateReport", json!({ "id": report, "results": results })).await;
    step("SubmitReport", json!({ "id": report })).await;
    step(
        "SetTarget",
        json!({ "input": { "unitCode": c.villages[0], "period": "2026", "indicator": "TEAMS", "value": 1 } }),
    )
    .await;
    let csv = format!(
        "Họ và tên,Thôn,Vai trò,Lực lượng\nNgô Văn Nhập,{},Thành viên,Khác\n",
        c.villages[0]
    );
    let answer = upload(app, user, &c.code, "danh-sach.csv", csv.as_bytes()).await;
    verdict("ImportTeamMembers", &answer);
}

async fn a_leader_who_is_also_a_commune_officer_writes_only_in_the_commune(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    make_user(
        &app,
        "mixed.leader",
        &[
            (Role::Leader, Some(unit(&app, "66").await), None),
            (Role::Officer, Some(unit(&app, "24355").await), None),
        ],
    )
    .await;
    let province_session = app.scalar("SELECT MIN(id) FROM training_session").await;
    // Read-only: Hòa Phú, in the province the user leads. Every mutation is refused there and
    // changes nothing.
    let hoa_phu = Commune::load(&app, "24172").await;
    let before = fingerprint(&app).await;
    let mut tried = 0;
    every_mutation(
        &app,
        "mixed.leader",
        &hoa_phu,
        province_session,
        |op, answer| {
            tried += 1;
            assert_eq!(
                error_codes(answer),
                ["FORBIDDEN"],
                "{op} in Hòa Phú: {answer:#}"
            );
        },
    )
    .await;
    assert_eq!(tried, 22);
    // Moving a team of the writable commune into the read-only one is a write there.
    let phu_loc = Commune::load(&app, "24355").await;
    let answer = run(
        &app,
        "mixed.leader",
        "UpdateTeam",
        json!({ "id": phu_loc.teams[0].to_string(), "input": { "unitCode": hoa_phu.villages[0] } }),
    )
    .await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{answer:#}");
    assert_eq!(fingerprint(&app).await, before, "nothing changed");
    // Writable: Phú Lộc, where the user is the officer. Every mutation works.
    every_mutation(
        &app,
        "mixed.leader",
        &phu_loc,
        province_session,
        |op, answer| {
            assert!(
                answer.get("errors").is_none(),
                "{op} in Phú Lộc: {answer:#}"
            );
        },
    )
    .await;
    assert_ne!(fingerprint(&app).await, before);
}

async fn a_district_officer_who_leads_a_team_elsewhere_writes_only_its_members(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let district = UnitId(
        app.scalar("SELECT id FROM admin_unit WHERE code = '643'")
            .await,
    );
    let phu_loc = Commune::load(&app, "24355").await;
    let led = phu_loc.teams[0];
    make_user(
        &app,
        "mixed.teamlead",
        &[
            (Role::Officer, Some(district), None),
            (Role::TeamLeader, None, Some(TeamId(led))),
        ],
    )
    .await;
    let province_session = app.scalar("SELECT MIN(id) FROM training_session").await;
    let before = fingerprint(&app).await;
    // The team itself: readable, not writable.
    for (operation, variables) in [
        (
            "UpdateTeam",
            json!({ "id": led.to_string(), "input": { "decisionNo": "QĐ-7" } }),
        ),
        ("DissolveTeam", json!({ "id": led.to_string() })),
    ] {
        let answer = run(&app, "mixed.teamlead", operation, variables).await;
        assert_eq!(
            error_codes(&answer),
            ["FORBIDDEN"],
            "{operation}: {answer:#}"
        );
    }
    // Reports are no part of a team leader's reach: for them the team has none to write to.
    let answer = run(
        &app,
        "mixed.teamlead",
        "CreateReport",
        json!({ "input": { "teamId": led.to_string(), "period": "2026-10",
            "results": serde_json::from_str::<Value>(RESULTS).unwrap() } }),
    )
    .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"], "{answer:#}");
    // Another team of the commune is not even visible.
    let answer = run(
        &app,
        "mixed.teamlead",
        "UpdateTeam",
        json!({ "id": phu_loc.teams[1].to_string(), "input": { "decisionNo": "QĐ-7" } }),
    )
    .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"], "{answer:#}");
    assert_eq!(fingerprint(&app).await, before, "nothing changed");
    // The team's members and their attendance: writable.
    for (operation, variables) in [
        (
            "AddMember",
            json!({ "input": { "teamId": led.to_string(), "fullName": "Đinh Văn Tổ",
                "role": "MEMBER", "affiliation": "OTHER" } }),
        ),
        (
            "UpdateMember",
            json!({ "id": phu_loc.members[0].to_string(), "input": { "fullName": "Đinh Thị Viên" } }),
        ),
        (
            "RecordAttendance",
            json!({ "session": province_session.to_string(), "members": [phu_loc.members[0].to_string()] }),
        ),
    ] {
        let answer = run(&app, "mixed.teamlead", operation, variables).await;
        assert!(answer.get("errors").is_none(), "{operation}: {answer:#}");
    }
    // And the district, as its officer.
    let hoa_phu = Commune::load(&app, "24172").await;
    let answer = run(
        &app,
        "mixed.teamlead",
        "UpdateTeam",
        json!({ "id": hoa_phu.teams[0].to_string(), "input": { "decisionNo": "QĐ-8" } }),
    )
    .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
}

async fn region_limited_policy_rules_apply_through_requests(b: Arc<Backend>) {
    // A policy where officers may write teams only inside Buôn Ma Thuột (643), wherever else
    // they may read.
    let app = b.fresh_demo().await;
    let (limited, dir) = under_policy(&b, &app, "643", |policy, path| {
        policy.replace(
            "p, officer, *, team, write",
            &format!("p, officer, {path}*, team, write"),
        )
    })
    .await;
    let hoa_phu = Commune::load(&limited, "24172").await;
    let phu_loc = Commune::load(&limited, "24355").await;
    let rename = |team: i64| json!({ "id": team.to_string(), "input": { "decisionNo": "QĐ-9" } });
    // officer.24172 holds their assignment inside 643: the rule applies.
    let answer = run(
        &limited,
        "officer.24172",
        "UpdateTeam",
        rename(hoa_phu.teams[0]),
    )
    .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    // officer.24355 holds theirs outside 643: they still read their teams, and write none.
    let answer = run(
        &limited,
        "officer.24355",
        "UpdateTeam",
        rename(phu_loc.teams[0]),
    )
    .await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{answer:#}");
    let answer = limited
        .graphql_as(
            "officer.24355",
            "query($id: ID!) { team(id: $id) { id } }",
            json!({ "id": phu_loc.teams[0].to_string() }),
        )
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    // Members are not limited by the rule.
    let answer = run(
        &limited,
        "officer.24355",
        "UpdateMember",
        json!({ "id": phu_loc.members[0].to_string(), "input": { "fullName": "Hà Văn Đúng" } }),
    )
    .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    std::fs::remove_dir_all(&dir).ok();
}

async fn a_target_shows_who_set_it(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    // An officer of the province and of the district: the district, the deeper of the two
    // above the commune, is the setter.
    make_user(
        &app,
        "two.levels",
        &[
            (Role::Officer, Some(unit(&app, "66").await), None),
            (Role::Officer, Some(unit(&app, "643").await), None),
        ],
    )
    .await;
    let target = |value: i64| json!({ "input": { "unitCode": "24172", "period": "2026", "indicator": "TEAMS", "value": value } });
    let answer = run(&app, "two.levels", "SetTarget", target(12)).await;
    assert_eq!(
        answer["data"]["setTarget"]["setBy"]["code"], "643",
        "{answer:#}"
    );
    // An officer of the province and of a commune elsewhere (a longer path, not above the
    // target): the province is the setter.
    make_user(
        &app,
        "elsewhere.too",
        &[
            (Role::Officer, Some(unit(&app, "66").await), None),
            (Role::Officer, Some(unit(&app, "24355").await), None),
        ],
    )
    .await;
    let answer = run(&app, "elsewhere.too", "SetTarget", target(13)).await;
    assert_eq!(
        answer["data"]["setTarget"]["setBy"]["code"], "66",
        "{answer:#}"
    );
    // The province's officer alone sets it from the province.
    make_user(
        &app,
        "province.officer",
        &[(Role::Officer, Some(unit(&app, "66").await), None)],
    )
    .await;
    let answer = run(&app, "province.officer", "SetTarget", target(14)).await;
    assert_eq!(
        answer["data"]["setTarget"]["setBy"]["code"], "66",
        "{answer:#}"
    );
    // An administrator of the whole country sets it from no unit.
    let answer = run(&app, "admin", "SetTarget", target(15)).await;
    assert!(answer["data"]["setTarget"]["setBy"].is_null(), "{answer:#}");
    let listed = run(
        &app,
        "officer.24172",
        "Targets",
        json!({ "unitCode": "24172" }),
    )
    .await;
    let teams = listed["data"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["indicator"] == "TEAMS")
        .cloned()
        .unwrap();
    assert_eq!(teams["value"], 15);
    assert!(teams["setBy"].is_null());
    // The commune's own officer sets nothing for itself.
    let answer = run(&app, "officer.24172", "SetTarget", target(16)).await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{answer:#}");
}
