//! Editing committees, training sessions, attendance, reports and targets, and reading the
//! audit log: in scope it works and shows; out of scope or invalid it is refused, unchanged.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::common::{Backend, TestApp, contract, error_codes, error_field};

crate::tests!(
    committees_are_set_up_changed_and_dissolved_in_scope,
    training_sessions_are_created_changed_and_deleted_in_scope,
    attendance_is_recorded_only_for_members_in_scope,
    reports_are_written_by_communes_and_approved_above,
    targets_are_set_for_units_below,
    the_audit_log_lists_changes_in_scope_newest_first,
    leaders_are_refused_every_mutation,
);

const GQL: &str = r#"
mutation UpdateCommittee($id: ID!, $input: UpdateSteeringCommitteeInput!) {
  updateSteeringCommittee(id: $id, input: $input) { id name version dissolvedOn }
}
mutation DissolveCommittee($id: ID!) {
  dissolveSteeringCommittee(id: $id) { id dissolvedOn }
}
mutation AddCommitteeMember($id: ID!, $input: CommitteeMemberInput!) {
  addCommitteeMember(committeeId: $id, input: $input) { id fullName position }
}
mutation UpdateSession($id: ID!, $input: UpdateTrainingSessionInput!) {
  updateTrainingSession(id: $id, input: $input) { id title endsAt version }
}
mutation DeleteSession($id: ID!) { deleteTrainingSession(id: $id) { id } }
mutation RemoveAttendance($sessionId: ID!, $memberIds: [ID!]!) {
  removeAttendance(sessionId: $sessionId, memberIds: $memberIds) { id attendeeCount }
}
mutation CreateReport($input: CreateResultReportInput!) {
  createResultReport(input: $input) { id period state householdsReached team { id } }
}
mutation UpdateReport($id: ID!, $results: ResultsInput!) {
  updateResultReport(id: $id, results: $results) { id state householdsReached }
}
mutation SubmitReport($id: ID!) { submitResultReport(id: $id) { id state } }
mutation ApproveReport($id: ID!) { approveResultReport(id: $id) { id state } }
mutation SetTarget($input: SetTargetInput!) {
  setTarget(input: $input) { id period indicator value version }
}
query Targets($unitCode: String!) { targets(unitCode: $unitCode) { indicator value } }
query Reports($unitCode: String, $period: String) {
  resultReports(unitCode: $unitCode, period: $period) { totalCount nodes { id state } }
}
query Audit($unitCode: String, $first: Int, $after: String) {
  auditLog(unitCode: $unitCode, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id actor operation entity entityId unit { code } before after }
  }
}
"#;

async fn run(app: &TestApp, user: &str, operation: &str, vars: Value) -> Value {
    let token = app.token(user).await;
    let (_, answer) = app
        .post_operation(Some(&token), GQL, Some(operation), vars)
        .await;
    answer
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    app.scalar(sql).await
}

async fn committees_are_set_up_changed_and_dissolved_in_scope(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let committee = scalar(
        &app,
        "SELECT c.id FROM steering_committee c JOIN admin_unit u ON u.id = c.unit_id WHERE u.code = '24172'",
    )
    .await;
    // A second committee for the same commune is a conflict until the first is dissolved.
    let create = json!({ "input": {
        "unitCode": "24172", "name": "Ban Chỉ đạo chuyển đổi số xã Hòa Phú",
        "decisionNo": "88/QĐ-UBND", "foundedOn": "2024-03-01",
        "members": [
            { "fullName": "Y Bhin Niê", "position": "HEAD", "title": "Chủ tịch UBND xã" },
            { "fullName": "Lê Thị Lan", "position": "MEMBER" }
        ]
    }});
    let answer = app
        .mutate("officer.24172", "CreateSteeringCommittee", create.clone())
        .await;
    assert_eq!(error_codes(&answer), ["CONFLICT"], "{answer:#}");
    for (user, code) in [("officer.24355", "NOT_FOUND"), ("leader.66", "FORBIDDEN")] {
        let answer = run(
            &app,
            user,
            "DissolveCommittee",
            json!({ "id": committee.to_string() }),
        )
        .await;
        assert_eq!(error_codes(&answer), [code], "{user}");
    }
    let answer = run(
        &app,
        "officer.24172",
        "DissolveCommittee",
        json!({ "id": committee.to_string() }),
    )
    .await;
    assert!(
        answer["data"]["dissolveSteeringCommittee"]["dissolvedOn"].is_string(),
        "{answer:#}"
    );
    let answer = app
        .mutate("officer.24172", "CreateSteeringCommittee", create)
        .await;
    assert_eq!(
        answer["data"]["createSteeringCommittee"]["unit"]["code"], "24172",
        "{answer:#}"
    );
    let new_id = answer["data"]["createSteeringCommittee"]["id"].clone();
    let listed = app
        .data_as(
            "officer.24172",
            contract::COMMITTEES,
            json!({ "unitCode": "24172" }),
        )
        .await;
    let node = listed["steeringCommittees"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == new_id)
        .cloned()
        .unwrap();
    assert_eq!(node["members"][0]["fullName"], "Y Bhin Niê");
    assert_eq!(node["members"][1]["title"], Value::Null);
    // Totals count committees that are not dissolved.
    let totals = app
        .data(contract::TOTALS, json!({ "unitCode": "24172" }))
        .await;
    assert_eq!(totals["totals"]["committees"], 1);

    let answer = run(
        &app,
        "officer.24172",
        "AddCommitteeMember",
        json!({ "id": new_id, "input": { "fullName": "Trần Văn Nam", "position": "HEAD" } }),
    )
    .await;
    assert_eq!(
        (error_codes(&answer), error_field(&answer)),
        (vec!["CONFLICT".to_owned()], "position".to_owned())
    );
    let answer = run(
        &app,
        "officer.24172",
        "UpdateCommittee",
        json!({ "id": new_id, "input": { "name": " ", "expectedVersion": 1 } }),
    )
    .await;
    assert_eq!(error_field(&answer), "name");
    let answer = run(
        &app,
        "officer.24172",
        "UpdateCommittee",
        json!({ "id": new_id, "input": { "decisionNo": null, "expectedVersion": 1 } }),
    )
    .await;
    assert_eq!(
        answer["data"]["updateSteeringCommittee"]["version"], 2,
        "{answer:#}"
    );
    let answer = app
        .mutate(
            "officer.24172",
            "CreateSteeringCommittee",
            json!({ "input": {
        "unitCode": "24172.03", "name": "Ban" } }),
        )
        .await;
    assert_eq!(
        error_field(&answer),
        "unitCode",
        "villages have teams, not committees"
    );
}

async fn training_sessions_are_created_changed_and_deleted_in_scope(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let input = |unit: &str, ends: &str| {
        json!({ "input": {
            "organizerUnitCode": unit, "title": "Tập huấn VNeID mức độ 2", "topic": "VNeID",
            "format": "HYBRID", "startsAt": "2026-11-20T01:00:00Z", "endsAt": ends
        }})
    };
    let answer = app
        .mutate(
            "officer.643",
            "CreateTrainingSession",
            input("643", "2026-11-20T00:00:00Z"),
        )
        .await;
    assert_eq!(
        (error_codes(&answer), error_field(&answer)),
        (vec!["BAD_USER_INPUT".to_owned()], "endsAt".to_owned())
    );
    let answer = app
        .mutate(
            "officer.24355",
            "CreateTrainingSession",
            input("643", "2026-11-20T04:00:00Z"),
        )
        .await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"]);
    let answer = app
        .mutate(
            "officer.643",
            "CreateTrainingSession",
            input("24172", "2026-11-20T04:00:00Z"),
        )
        .await;
    let session = answer["data"]["createTrainingSession"].clone();
    assert_eq!(session["organizer"]["code"], "24172", "{answer:#}");
    let listed = app
        .data_as("officer.24172", contract::TRAINING, json!({}))
        .await;
    assert_eq!(listed["trainingSessions"]["totalCount"], 1);
    assert_eq!(listed["trainingSessions"]["nodes"][0]["format"], "HYBRID");

    let answer = run(
        &app,
        "officer.24355",
        "UpdateSession",
        json!({ "id": session["id"], "input": { "title": "x" } }),
    )
    .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"]);
    let answer = run(
        &app,
        "officer.24172",
        "UpdateSession",
        json!({ "id": session["id"], "input": { "endsAt": null, "title": "Tập huấn VNeID" } }),
    )
    .await;
    assert_eq!(
        answer["data"]["updateTrainingSession"]["endsAt"],
        Value::Null,
        "{answer:#}"
    );
    assert_eq!(answer["data"]["updateTrainingSession"]["version"], 2);
    let answer = run(
        &app,
        "officer.24172",
        "DeleteSession",
        json!({ "id": session["id"] }),
    )
    .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    let listed = app
        .data_as("officer.24172", contract::TRAINING, json!({}))
        .await;
    assert_eq!(listed["trainingSessions"]["totalCount"], 0);
}

async fn attendance_is_recorded_only_for_members_in_scope(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let conference = scalar(&app, "SELECT MIN(id) FROM training_session")
        .await
        .to_string();
    let hoa_phu: Vec<String> = {
        let team = app
            .data(contract::TEAMS, json!({ "unitCode": "24172.03" }))
            .await;
        team["teams"]["nodes"][0]["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let phu_loc = app
        .data(contract::TEAMS, json!({ "unitCode": "24355.01" }))
        .await["teams"]["nodes"][0]["members"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let count_sql = format!("SELECT COUNT(*) FROM attendance WHERE session_id = {conference}");
    let before = app.scalar(&count_sql).await;
    // One member outside the officer's commune refuses the whole call, naming its position.
    let answer = app
        .mutate(
            "officer.24172",
            "RecordAttendance",
            json!({
        "sessionId": conference, "memberIds": [hoa_phu[0], phu_loc], "completed": true }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"]);
    assert_eq!(error_field(&answer), "memberIds[1]");
    assert_eq!(app.scalar(&count_sql).await, before);
    let answer = app
        .mutate(
            "officer.24172",
            "RecordAttendance",
            json!({
        "sessionId": "99999", "memberIds": [hoa_phu[0]] }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"]);
    let answer = app
        .mutate(
            "leader.66",
            "RecordAttendance",
            json!({
        "sessionId": conference, "memberIds": [hoa_phu[0]] }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"]);

    // The province's conference is for every village: a commune officer records their members.
    let answer = app
        .mutate(
            "officer.24172",
            "RecordAttendance",
            json!({
        "sessionId": conference, "memberIds": hoa_phu, "completed": true }),
        )
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    // The officer is told how many of the commune's own people attended, not the province's.
    let expected = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM attendance a JOIN team_member m ON m.id = a.member_id \
             JOIN team t ON t.id = m.team_id JOIN admin_unit u ON u.id = t.unit_id \
             WHERE a.session_id = {conference} AND a.attended AND u.code LIKE '24172.%'"
        ))
        .await;
    assert_eq!(
        answer["data"]["recordAttendance"]["attendeeCount"],
        expected
    );
    let completed = app.scalar(&format!(
        "SELECT COUNT(*) FROM attendance WHERE session_id = {conference} AND completed AND member_id IN ({})",
        hoa_phu.join(","))).await;
    assert_eq!(completed as usize, hoa_phu.len());

    let answer = run(
        &app,
        "officer.24172",
        "RemoveAttendance",
        json!({ "sessionId": conference, "memberIds": [hoa_phu[0]] }),
    )
    .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    let gone = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM attendance WHERE session_id = {conference} AND member_id = {}",
            hoa_phu[0]
        ))
        .await;
    assert_eq!(gone, 0);
}

async fn reports_are_written_by_communes_and_approved_above(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let team = app
        .data(contract::TEAMS, json!({ "unitCode": "24172.03" }))
        .await["teams"]["nodes"][0]["id"]
        .clone();
    let results = json!({ "householdsReached": 40, "vneidActivations": 25, "onlineApplications": 6,
        "cashlessAccounts": 12, "ecommerceAccounts": 1 });
    let create = json!({ "input": { "teamId": team, "period": "2026-10", "results": results } });
    let answer = run(&app, "officer.24355", "CreateReport", create.clone()).await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"]);
    let mut bad = create.clone();
    bad["input"]["results"]["householdsReached"] = json!(-1);
    let answer = run(&app, "officer.24172", "CreateReport", bad).await;
    assert_eq!(error_field(&answer), "householdsReached");
    let mut bad = create.clone();
    bad["input"]["period"] = json!("2026-13");
    assert_eq!(
        error_field(&run(&app, "officer.24172", "CreateReport", bad).await),
        "period"
    );

    let answer = run(&app, "officer.24172", "CreateReport", create.clone()).await;
    let report = answer["data"]["createResultReport"].clone();
    assert_eq!(report["state"], "DRAFT", "{answer:#}");
    assert_eq!(report["team"]["id"], team);
    let again = run(&app, "officer.24172", "CreateReport", create).await;
    assert_eq!(
        (error_codes(&again), error_field(&again)),
        (vec!["CONFLICT".to_owned()], "period".to_owned())
    );

    let id = json!({ "id": report["id"] });
    let answer = run(&app, "officer.643", "ApproveReport", id.clone()).await;
    assert_eq!(
        error_codes(&answer),
        ["CONFLICT"],
        "a draft cannot be approved"
    );
    let answer = run(&app, "officer.24172", "SubmitReport", id.clone()).await;
    assert_eq!(answer["data"]["submitResultReport"]["state"], "SUBMITTED");
    let answer = run(&app, "officer.24172", "ApproveReport", id.clone()).await;
    assert_eq!(
        error_codes(&answer),
        ["FORBIDDEN"],
        "whoever wrote and submitted it does not approve it"
    );
    let answer = run(&app, "leader.66", "ApproveReport", id.clone()).await;
    assert_eq!(
        error_codes(&answer),
        ["FORBIDDEN"],
        "leaders change nothing"
    );
    let answer = run(&app, "officer.643", "ApproveReport", id.clone()).await;
    assert_eq!(
        answer["data"]["approveResultReport"]["state"], "APPROVED",
        "{answer:#}"
    );
    let answer = run(
        &app,
        "officer.24172",
        "UpdateReport",
        json!({ "id": report["id"], "results": results }),
    )
    .await;
    assert_eq!(
        (error_codes(&answer), error_field(&answer)),
        (vec!["CONFLICT".to_owned()], "state".to_owned())
    );

    let listed = run(
        &app,
        "leader.66",
        "Reports",
        json!({ "unitCode": "24172", "period": "2026-10" }),
    )
    .await;
    assert_eq!(listed["data"]["resultReports"]["totalCount"], 1);
    assert_eq!(
        listed["data"]["resultReports"]["nodes"][0]["state"],
        "APPROVED"
    );
    let listed = run(
        &app,
        "officer.24355",
        "Reports",
        json!({ "period": "2026-10" }),
    )
    .await;
    assert_eq!(listed["data"]["resultReports"]["totalCount"], 0);
}

async fn targets_are_set_for_units_below(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let input = |unit: &str, value: i64| {
        json!({ "input": {
        "unitCode": unit, "period": "2026", "indicator": "VNEID_ACTIVATIONS", "value": value } })
    };
    let answer = run(&app, "officer.643", "SetTarget", input("643", 100)).await;
    assert_eq!(
        error_codes(&answer),
        ["FORBIDDEN"],
        "not for one's own unit"
    );
    let answer = run(&app, "officer.643", "SetTarget", input("24355", 100)).await;
    assert_eq!(
        error_codes(&answer),
        ["FORBIDDEN"],
        "not outside one's area"
    );
    let answer = run(&app, "officer.643", "SetTarget", input("24172", -5)).await;
    assert_eq!(error_field(&answer), "value");
    let answer = run(&app, "officer.643", "SetTarget", input("24172", 500)).await;
    assert_eq!(answer["data"]["setTarget"]["value"], 500, "{answer:#}");
    let answer = run(&app, "officer.643", "SetTarget", input("24172", 650)).await;
    assert_eq!(answer["data"]["setTarget"]["version"], 2);
    let targets = run(
        &app,
        "officer.24172",
        "Targets",
        json!({ "unitCode": "24172" }),
    )
    .await;
    assert_eq!(
        targets["data"]["targets"],
        json!([{ "indicator": "VNEID_ACTIVATIONS", "value": 650 }])
    );
    let targets = run(
        &app,
        "officer.24355",
        "Targets",
        json!({ "unitCode": "24172" }),
    )
    .await;
    assert_eq!(error_codes(&targets), ["FORBIDDEN"]);
}

async fn the_audit_log_lists_changes_in_scope_newest_first(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let team = app
        .data(contract::TEAMS, json!({ "unitCode": "24172.03" }))
        .await["teams"]["nodes"][0]["id"]
        .clone();
    let add = |name: &str| {
        json!({ "input": { "teamId": team, "fullName": name, "role": "MEMBER",
        "affiliation": "TEACHER", "phone": "0987654321", "birthYear": 1985 } })
    };
    let first = app
        .mutate("officer.24172", "AddTeamMember", add("Phạm Văn Đức"))
        .await;
    let member = first["data"]["addTeamMember"]["id"].clone();
    app.mutate(
        "officer.24172",
        "UpdateTeamMember",
        json!({ "id": member, "input": { "phone": "0987654322" } }),
    )
    .await;
    // Refused: no entry.
    app.mutate("officer.24172", "AddTeamMember", add("")).await;
    app.mutate("officer.24355", "AddTeamMember", add("Ai đó"))
        .await;

    let log = run(&app, "admin", "Audit", json!({})).await;
    let entries = log["data"]["auditLog"]["nodes"].as_array().unwrap().clone();
    assert_eq!(log["data"]["auditLog"]["totalCount"], 2, "{log:#}");
    assert_eq!(entries[0]["operation"], "updateTeamMember", "newest first");
    assert_eq!(entries[1]["operation"], "addTeamMember");
    assert_eq!(entries[0]["actor"], "officer.24172");
    assert_eq!(entries[0]["entity"], "member");
    assert_eq!(entries[0]["entityId"], member);
    assert_eq!(entries[0]["unit"]["code"], "24172.03");
    assert_eq!(entries[0]["before"]["phone"], "0987654321");
    assert_eq!(entries[0]["after"]["phone"], "0987654322");
    assert!(entries[1]["before"].is_null());

    // Leaders read the log of their area, without personal data; officers do not read it.
    let log = run(
        &app,
        "leader.66",
        "Audit",
        json!({ "unitCode": "24172", "first": 1 }),
    )
    .await;
    let page = &log["data"]["auditLog"];
    assert_eq!(page["totalCount"], 2);
    assert_eq!(page["nodes"][0]["after"]["phone"], Value::Null);
    assert_eq!(page["nodes"][0]["after"]["fullName"], "Phạm Văn Đức");
    let next = run(
        &app,
        "leader.66",
        "Audit",
        json!({ "unitCode": "24172", "first": 1,
        "after": page["pageInfo"]["endCursor"] }),
    )
    .await;
    assert_eq!(
        next["data"]["auditLog"]["nodes"][0]["operation"],
        "addTeamMember"
    );
    assert_eq!(next["data"]["auditLog"]["pageInfo"]["hasNextPage"], false);
    let log = run(&app, "officer.24172", "Audit", json!({})).await;
    assert_eq!(error_codes(&log), ["FORBIDDEN"]);
}

/// Every mutation of the schema, sent by the province's leadership with arguments that would
/// be valid for an officer: each is `FORBIDDEN`, and nothing is written.
async fn leaders_are_refused_every_mutation(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let id = |sql: &str| {
        let sql = sql.to_owned();
        let app = &app;
        async move { app.scalar(&sql).await.to_string() }
    };
    let team = id("SELECT MIN(id) FROM team").await;
    let member = id("SELECT MIN(id) FROM team_member").await;
    let committee = id("SELECT MIN(id) FROM steering_committee").await;
    let committee_member = id("SELECT MIN(id) FROM committee_member").await;
    let session = id("SELECT MIN(id) FROM training_session").await;
    let report = id("SELECT MIN(id) FROM result_report").await;
    let results = json!({ "householdsReached": 1, "vneidActivations": 1, "onlineApplications": 1,
        "cashlessAccounts": 1, "ecommerceAccounts": 1 });
    let calls: Vec<(&str, Value)> = vec![
        (
            "mutation($i: CreateTeamInput!) { createTeam(input: $i) { id } }",
            json!({ "i": { "unitCode": "24121.01", "name": "Tổ" } }),
        ),
        (
            "mutation($id: ID!) { updateTeam(id: $id, input: { name: \"x\" }) { id } }",
            json!({ "id": team }),
        ),
        (
            "mutation($id: ID!) { dissolveTeam(id: $id) { id } }",
            json!({ "id": team }),
        ),
        (
            "mutation($i: AddTeamMemberInput!) { addTeamMember(input: $i) { id } }",
            json!({ "i": { "teamId": team, "fullName": "A", "role": "MEMBER", "affiliation": "OTHER" } }),
        ),
        (
            "mutation($id: ID!) { updateTeamMember(id: $id, input: { fullName: \"x\" }) { id } }",
            json!({ "id": member }),
        ),
        (
            "mutation($id: ID!) { removeTeamMember(id: $id) { id } }",
            json!({ "id": member }),
        ),
        (
            "mutation($i: CreateSteeringCommitteeInput!) { createSteeringCommittee(input: $i) { id } }",
            json!({ "i": { "unitCode": "24172", "name": "Ban" } }),
        ),
        (
            "mutation($id: ID!) { updateSteeringCommittee(id: $id, input: { name: \"x\" }) { id } }",
            json!({ "id": committee }),
        ),
        (
            "mutation($id: ID!) { dissolveSteeringCommittee(id: $id) { id } }",
            json!({ "id": committee }),
        ),
        (
            "mutation($id: ID!) { addCommitteeMember(committeeId: $id, input: { fullName: \"A\", position: MEMBER }) { id } }",
            json!({ "id": committee }),
        ),
        (
            "mutation($id: ID!) { updateCommitteeMember(id: $id, input: { fullName: \"x\" }) { id } }",
            json!({ "id": committee_member }),
        ),
        (
            "mutation($id: ID!) { removeCommitteeMember(id: $id) { id } }",
            json!({ "id": committee_member }),
        ),
        (
            "mutation($i: CreateTrainingSessionInput!) { createTrainingSession(input: $i) { id } }",
            json!({ "i": { "organizerUnitCode": "66", "title": "T", "format": "ONLINE", "startsAt": "2026-01-01T00:00:00Z" } }),
        ),
        (
            "mutation($id: ID!) { updateTrainingSession(id: $id, input: { title: \"x\" }) { id } }",
            json!({ "id": session }),
        ),
        (
            "mutation($id: ID!) { deleteTrainingSession(id: $id) { id } }",
            json!({ "id": session }),
        ),
        (
            "mutation($s: ID!, $m: [ID!]!) { recordAttendance(sessionId: $s, memberIds: $m) { id } }",
            json!({ "s": session, "m": [member] }),
        ),
        (
            "mutation($s: ID!, $m: [ID!]!) { removeAttendance(sessionId: $s, memberIds: $m) { id } }",
            json!({ "s": session, "m": [member] }),
        ),
        (
            "mutation($i: CreateResultReportInput!) { createResultReport(input: $i) { id } }",
            json!({ "i": { "teamId": team, "period": "2026-10", "results": results } }),
        ),
        (
            "mutation($id: ID!, $r: ResultsInput!) { updateResultReport(id: $id, results: $r) { id } }",
            json!({ "id": report, "r": results }),
        ),
        (
            "mutation($id: ID!) { submitResultReport(id: $id) { id } }",
            json!({ "id": report }),
        ),
        (
            "mutation($id: ID!) { approveResultReport(id: $id) { id } }",
            json!({ "id": report }),
        ),
        (
            "mutation($id: ID!) { deleteResultReport(id: $id) }",
            json!({ "id": report }),
        ),
        (
            "mutation($s: ID!, $m: ID!) { updateAttendance(sessionId: $s, memberId: $m, completed: true) { completed } }",
            json!({ "s": session, "m": member }),
        ),
        (
            "mutation { assignRole(username: \"leader.66\", role: ADMIN) { username } }",
            json!({}),
        ),
        (
            "mutation { unassignRole(username: \"leader.66\", role: LEADER, unitCode: \"66\") { username } }",
            json!({}),
        ),
        (
            "mutation($i: SetTargetInput!) { setTarget(input: $i) { id } }",
            json!({ "i": { "unitCode": "643", "period": "2026", "indicator": "TEAMS", "value": 10 } }),
        ),
    ];
    let mutation_fields = steering_gateway::graphql::export_sdl();
    let mutation_type = mutation_fields
        .split("type MutationRoot {")
        .nth(1)
        .unwrap()
        .split('}')
        .next()
        .unwrap();
    // Field definitions read `name(arguments): Type`; doc comments do not.
    let declared = mutation_type
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()) && l.contains("): "))
        .count();
    // login and importTeamMembers (an upload, tested on its own) are not in the list.
    assert_eq!(calls.len() + 2, declared, "every mutation is covered");
    for (query, vars) in calls {
        let answer = app.graphql_as("leader.66", query, vars).await;
        assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{query}: {answer:#}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_entry").await, 0);
}
