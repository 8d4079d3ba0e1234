//! Editing teams and members: in scope it works and shows; out of scope, invalid or stale it
//! is refused and nothing changes; every change leaves one audit entry.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use steering_gateway::domain::write::Committed;
use steering_gateway::hooks::{AfterCommit, HookFuture};

use crate::common::{Backend, TestApp, contract, error_codes, error_field};

crate::tests!(
    creating_a_team_in_scope_shows_in_lists_and_totals,
    team_writes_outside_scope_are_refused_and_change_nothing,
    team_input_is_validated_field_by_field,
    members_are_added_fixed_and_removed,
    member_input_is_validated_field_by_field,
    stale_versions_conflict_and_one_concurrent_update_wins,
    a_team_leader_edits_only_their_own_team,
    every_change_is_announced_after_commit,
);

async fn village_without_team(app: &TestApp, under: &str) -> String {
    let rows = sea_orm::ConnectionTrait::query_all_raw(
        &app.db().conn,
        sea_orm::Statement::from_string(
            app.db().backend(),
            format!(
                "SELECT v.code AS code FROM admin_unit v, admin_unit a WHERE v.level = 'VILLAGE' \
                 AND a.code = '{under}' AND v.path >= a.path AND v.path < a.path || '~' \
                 AND NOT EXISTS (SELECT 1 FROM team t \
                 WHERE t.unit_id = v.id AND t.status = 'ACTIVE') ORDER BY v.code"
            ),
        ),
    )
    .await
    .unwrap();
    rows[0].try_get("", "code").unwrap()
}

async fn team_id_in(app: &TestApp, village: &str) -> String {
    app.scalar(&format!(
        "SELECT t.id FROM team t JOIN admin_unit u ON u.id = t.unit_id \
         WHERE u.code = '{village}' AND t.status = 'ACTIVE'"
    ))
    .await
    .to_string()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    app.scalar(&format!("SELECT COUNT(*) FROM {table}")).await
}

async fn teams_of(app: &TestApp, code: &str) -> i64 {
    app.data(contract::TOTALS, json!({ "unitCode": code }))
        .await["totals"]["teams"]
        .as_i64()
        .unwrap()
}

/// A commune of Buôn Ma Thuột that is not Hòa Phú, for villages without a team.
const COMMUNE_643: &str = "24121";

async fn creating_a_team_in_scope_shows_in_lists_and_totals(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let village = village_without_team(&app, COMMUNE_643).await;
    let before = teams_of(&app, "643").await;
    let answer = app
        .mutate(
            "officer.643",
            "CreateTeam",
            json!({ "input": {
                "unitCode": village, "name": "  Tổ   công nghệ số cộng đồng mới ",
                "foundedOn": "2024-05-02", "decisionNo": "15/QĐ-UBND"
            }}),
        )
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    let team = &answer["data"]["createTeam"];
    assert_eq!(team["name"], "Tổ công nghệ số cộng đồng mới");
    assert_eq!(team["status"], "ACTIVE");
    assert_eq!(team["unit"]["code"], village);
    let listed = app
        .data_as(
            "officer.643",
            contract::TEAMS,
            json!({ "unitCode": village }),
        )
        .await;
    assert_eq!(listed["teams"]["nodes"][0]["id"], team["id"]);
    assert_eq!(listed["teams"]["nodes"][0]["decisionNo"], "15/QĐ-UBND");
    assert_eq!(teams_of(&app, "643").await, before + 1);
    assert_eq!(teams_of(&app, "66").await, 1164);

    // Dissolving takes it out of the totals, once.
    let id = team["id"].clone();
    let answer = app
        .mutate("officer.643", "DissolveTeam", json!({ "id": id }))
        .await;
    assert_eq!(answer["data"]["dissolveTeam"]["status"], "DISSOLVED");
    assert_eq!(teams_of(&app, "643").await, before);
    let again = app
        .mutate("officer.643", "DissolveTeam", json!({ "id": id }))
        .await;
    assert_eq!(error_codes(&again), ["CONFLICT"]);
}

async fn team_writes_outside_scope_are_refused_and_change_nothing(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let village = village_without_team(&app, COMMUNE_643).await;
    let create = json!({ "input": { "unitCode": village, "name": "Tổ mới" } });
    let teams = count(&app, "team").await;
    let audits = count(&app, "audit_entry").await;
    for (user, code) in [
        ("officer.24355", "FORBIDDEN"),
        ("officer.24172", "FORBIDDEN"),
        ("leader.66", "FORBIDDEN"),
        ("", "UNAUTHENTICATED"),
    ] {
        let answer = app.mutate(user, "CreateTeam", create.clone()).await;
        assert_eq!(error_codes(&answer), [code], "{user}: {answer:#}");
    }
    // Another commune's team: invisible to this officer, so it answers as missing.
    let hoa_phu_team = team_id_in(&app, "24172.03").await;
    let answer = app
        .mutate(
            "officer.24355",
            "UpdateTeam",
            json!({ "id": hoa_phu_team, "input": { "name": "x" } }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"]);
    let answer = app
        .mutate("leader.66", "DissolveTeam", json!({ "id": hoa_phu_team }))
        .await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"]);
    // A move out of the caller's area is a write outside it.
    let answer = app
        .mutate(
            "officer.24172",
            "UpdateTeam",
            json!({ "id": hoa_phu_team, "input": { "unitCode": village_without_team(&app, "644").await } }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"]);
    // A move inside it works, and shows.
    let inside = village_without_team(&app, COMMUNE_643).await;
    let answer = app
        .mutate(
            "officer.643",
            "UpdateTeam",
            json!({ "id": hoa_phu_team, "input": { "unitCode": inside } }),
        )
        .await;
    assert_eq!(
        answer["data"]["updateTeam"]["unit"]["code"], inside,
        "{answer:#}"
    );
    assert_eq!(count(&app, "team").await, teams);
    assert_eq!(
        count(&app, "audit_entry").await,
        audits + 1,
        "one audit entry: the move"
    );
}

async fn team_input_is_validated_field_by_field(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let village = village_without_team(&app, COMMUNE_643).await;
    let taken = "24172.03";
    let cases = [
        (
            json!({ "unitCode": village, "name": "   " }),
            "BAD_USER_INPUT",
            "name",
        ),
        (
            json!({ "unitCode": village, "name": "x".repeat(201) }),
            "BAD_USER_INPUT",
            "name",
        ),
        (
            json!({ "unitCode": "643", "name": "Tổ" }),
            "BAD_USER_INPUT",
            "unitCode",
        ),
        (
            json!({ "unitCode": "99999.99", "name": "Tổ" }),
            "BAD_USER_INPUT",
            "unitCode",
        ),
        (
            json!({ "unitCode": taken, "name": "Tổ" }),
            "CONFLICT",
            "unitCode",
        ),
        (
            json!({ "unitCode": village, "name": "Tổ", "foundedOn": "2999-01-01" }),
            "BAD_USER_INPUT",
            "foundedOn",
        ),
    ];
    let teams = count(&app, "team").await;
    for (input, code, field) in cases {
        let answer = app
            .mutate("officer.643", "CreateTeam", json!({ "input": input }))
            .await;
        assert_eq!(error_codes(&answer), [code], "{input}: {answer:#}");
        assert_eq!(error_field(&answer), field, "{input}");
    }
    // A malformed date never reaches the resolver, and still answers with a code.
    let answer = app
        .mutate(
            "officer.643",
            "CreateTeam",
            json!({ "input": { "unitCode": village, "name": "Tổ", "foundedOn": "02/05/2024" } }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
    // The engine names the value and the type it expected, not the input field.
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("02/05/2024") && message.contains("YYYY-MM-DD"),
        "{message}"
    );
    assert_eq!(count(&app, "team").await, teams);
    assert_eq!(
        count(&app, "audit_entry").await,
        0,
        "refused changes leave no audit entry"
    );
}

fn member(team: &Value, extra: Value) -> Value {
    let mut input = json!({
        "teamId": team, "fullName": "Nguyễn Thị Hoa", "role": "MEMBER",
        "affiliation": "WOMEN_UNION", "phone": "+84 912 345 678", "gender": "FEMALE",
        "birthYear": 1990, "joinedOn": "2023-01-15"
    });
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    json!({ "input": input })
}

async fn members_of(app: &TestApp, user: &str, team: &Value) -> Vec<Value> {
    app.data_as(user, contract::TEAM, json!({ "id": team }))
        .await["team"]["members"]
        .as_array()
        .unwrap()
        .clone()
}

async fn members_are_added_fixed_and_removed(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let team = json!(team_id_in(&app, "24172.03").await);
    let before = members_of(&app, "officer.24172", &team).await.len();
    let answer = app
        .mutate("officer.24172", "AddTeamMember", member(&team, json!({})))
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    let id = answer["data"]["addTeamMember"]["id"].clone();
    let members = members_of(&app, "officer.24172", &team).await;
    assert_eq!(members.len(), before + 1);
    let added = members.iter().find(|m| m["id"] == id).unwrap();
    assert_eq!(added["phone"], "0912345678", "stored in its canonical form");

    // A typo in the phone number, fixed.
    let answer = app
        .mutate(
            "officer.24172",
            "UpdateTeamMember",
            json!({ "id": id, "input": { "phone": "0912 345 679" } }),
        )
        .await;
    assert_eq!(
        answer["data"]["updateTeamMember"]["phone"], "0912345679",
        "{answer:#}"
    );
    // Leaders may not change members, nor see the phone in the answer of a refused change.
    let answer = app
        .mutate(
            "leader.66",
            "UpdateTeamMember",
            json!({ "id": id, "input": { "phone": "0912345670" } }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"]);
    let answer = app
        .mutate("officer.24355", "RemoveTeamMember", json!({ "id": id }))
        .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"]);

    let members_before = members_under(&app, "24172").await;
    let answer = app
        .mutate("officer.24172", "RemoveTeamMember", json!({ "id": id }))
        .await;
    assert_eq!(answer["data"]["removeTeamMember"]["id"], id, "{answer:#}");
    assert_eq!(members_of(&app, "officer.24172", &team).await.len(), before);
    assert_eq!(members_under(&app, "24172").await, members_before - 1);
    let again = app
        .mutate("officer.24172", "RemoveTeamMember", json!({ "id": id }))
        .await;
    assert_eq!(error_codes(&again), ["NOT_FOUND"]);
    assert_eq!(count(&app, "audit_entry").await, 3, "add, update, remove");
}

async fn members_under(app: &TestApp, code: &str) -> i64 {
    app.data(contract::TOTALS, json!({ "unitCode": code }))
        .await["totals"]["members"]
        .as_i64()
        .unwrap()
}

async fn member_input_is_validated_field_by_field(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let team = json!(team_id_in(&app, "24172.03").await);
    let members = count(&app, "team_member").await;
    let cases = [
        (json!({ "fullName": "" }), "BAD_USER_INPUT", "fullName"),
        (json!({ "phone": "12345" }), "BAD_USER_INPUT", "phone"),
        (
            json!({ "phone": "+1 212 555 0100" }),
            "BAD_USER_INPUT",
            "phone",
        ),
        (json!({ "birthYear": 1850 }), "BAD_USER_INPUT", "birthYear"),
        (
            json!({ "joinedOn": "2999-12-31" }),
            "BAD_USER_INPUT",
            "joinedOn",
        ),
        (json!({ "role": "LEADER" }), "CONFLICT", "role"),
        (json!({ "teamId": "abc" }), "BAD_USER_INPUT", "teamId"),
    ];
    for (extra, code, field) in cases {
        let answer = app
            .mutate(
                "officer.24172",
                "AddTeamMember",
                member(&team, extra.clone()),
            )
            .await;
        assert_eq!(error_codes(&answer), [code], "{extra}: {answer:#}");
        assert_eq!(error_field(&answer), field, "{extra}");
    }
    let answer = app
        .mutate(
            "officer.24172",
            "AddTeamMember",
            member(&team, json!({ "role": "CAPTAIN" })),
        )
        .await;
    assert_eq!(
        error_codes(&answer),
        ["BAD_USER_INPUT"],
        "enum values as the contract lists"
    );
    assert_eq!(count(&app, "team_member").await, members);
}

async fn stale_versions_conflict_and_one_concurrent_update_wins(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let team = team_id_in(&app, "24172.05").await;
    let version = app
        .scalar(&format!(
            "SELECT CAST(version AS BIGINT) FROM team WHERE id = {team}"
        ))
        .await;
    let stale = app
        .mutate(
            "officer.24172",
            "UpdateTeam",
            json!({ "id": team, "input": { "name": "Tên mới", "expectedVersion": version - 1 } }),
        )
        .await;
    assert_eq!(error_codes(&stale), ["CONFLICT"]);
    assert_eq!(error_field(&stale), "expectedVersion");

    app.token("officer.24172").await;
    app.token("officer.643").await;
    let update = |user: &'static str, name: &'static str| {
        app.mutate(
            user,
            "UpdateTeam",
            json!({ "id": team, "input": { "name": name, "expectedVersion": version } }),
        )
    };
    let (a, b2) = tokio::join!(
        update("officer.24172", "Tổ A"),
        update("officer.643", "Tổ B")
    );
    let outcomes = [error_codes(&a), error_codes(&b2)];
    let wins = outcomes.iter().filter(|c| c.is_empty()).count();
    assert_eq!(wins, 1, "exactly one wins: {a:#} {b2:#}");
    assert!(outcomes.iter().any(|c| c == &["CONFLICT"]));
    let winner = if error_codes(&a).is_empty() {
        "Tổ A"
    } else {
        "Tổ B"
    };
    let data = app.data(contract::TEAM, json!({ "id": team })).await;
    assert_eq!(data["team"]["name"], winner);
    assert_eq!(
        app.scalar(&format!(
            "SELECT CAST(version AS BIGINT) FROM team WHERE id = {team}"
        ))
        .await,
        version + 1
    );
}

async fn a_team_leader_edits_only_their_own_team(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let own = team_id_in(&app, "24172.03").await;
    let other = team_id_in(&app, "24172.04").await;
    let hash = steering_gateway::auth::hash_password(crate::common::DEMO_PASSWORD).unwrap();
    let id = steering_gateway::domain::users::create(&app.db().conn, "to.truong", None, &hash)
        .await
        .unwrap();
    steering_gateway::domain::users::assign(
        &app.db().conn,
        id,
        steering_gateway::authz::Role::TeamLeader,
        None,
        Some(steering_gateway::domain::TeamId(own.parse().unwrap())),
    )
    .await
    .unwrap();
    let answer = app
        .mutate("to.truong", "AddTeamMember", member(&json!(own), json!({})))
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    let answer = app
        .mutate(
            "to.truong",
            "AddTeamMember",
            member(&json!(other), json!({})),
        )
        .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"]);
    let answer = app
        .mutate(
            "to.truong",
            "UpdateTeam",
            json!({ "id": own, "input": { "name": "x" } }),
        )
        .await;
    assert_eq!(
        error_codes(&answer),
        ["FORBIDDEN"],
        "team leaders do not edit the team itself"
    );
}

struct Recorder(Mutex<Vec<Committed>>);

impl AfterCommit for Recorder {
    fn committed<'a>(&'a self, change: &'a Committed) -> HookFuture<'a> {
        Box::pin(async move {
            self.0.lock().unwrap().push(change.clone());
        })
    }
}

async fn every_change_is_announced_after_commit(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let recorder = Arc::new(Recorder(Mutex::new(Vec::new())));
    app.state.hooks().register(recorder.clone());
    let team = team_id_in(&app, "24172.03").await;
    let village_id = app
        .scalar("SELECT id FROM admin_unit WHERE code = '24172.03'")
        .await;
    app.mutate(
        "officer.24172",
        "AddTeamMember",
        member(&json!(team), json!({})),
    )
    .await;
    // A refused change announces nothing.
    app.mutate(
        "officer.24172",
        "AddTeamMember",
        member(&json!(team), json!({ "phone": "1" })),
    )
    .await;
    let seen = recorder.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        seen[0].units.iter().map(|u| u.0).collect::<Vec<_>>(),
        [village_id]
    );
}
