//! Accounts' roles given, replaced and taken away, from the command line and by
//! administrators over GraphQL: recorded, and applied to the account's tokens at once.

use std::sync::Arc;

use serde_json::json;

use crate::common::{Backend, TestApp, contract, error_codes};

crate::tests!(
    an_officer_moved_to_another_commune_reaches_only_the_new_one,
    a_role_at_a_closed_unit_is_taken_away_by_its_code,
    administrators_change_roles_over_graphql_and_no_one_else_does,
);

const ROLES: &str = "query { me { username assignments { role unit { code } } } }";
const ASSIGN: &str = "mutation($u: String!, $r: Role!, $c: String, $x: Boolean) { \
                      assignRole(username: $u, role: $r, unitCode: $c, replace: $x) { \
                      username assignments { role unit { code } } } }";
const UNASSIGN: &str = "mutation($u: String!, $r: Role!, $c: String) { \
                        unassignRole(username: $u, role: $r, unitCode: $c) { \
                        username assignments { role unit { code } } } }";

async fn new_officer(app: &TestApp, name: &str, code: &str) {
    let hash = steering_gateway::auth::hash_password(crate::common::DEMO_PASSWORD).unwrap();
    steering_gateway::domain::users::create(&app.db().conn, name, None, &hash)
        .await
        .unwrap();
    app.cli(&["user", "assign", name, "OFFICER", code])
        .await
        .unwrap();
}

async fn reaches(app: &TestApp, user: &str, code: &str) -> bool {
    let answer = app
        .graphql_as(user, contract::TOTALS, json!({ "unitCode": code }))
        .await;
    match error_codes(&answer).as_slice() {
        [] => true,
        [code] if code == "FORBIDDEN" => false,
        other => panic!("{other:?}: {answer:#}"),
    }
}

async fn an_officer_moved_to_another_commune_reaches_only_the_new_one(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    new_officer(&app, "moving.officer", "24175").await;
    assert!(reaches(&app, "moving.officer", "24175").await);
    assert!(!reaches(&app, "moving.officer", "24343").await);
    // Moved: the new commune replaces the old one, on the token already issued.
    app.cli(&[
        "user",
        "assign",
        "moving.officer",
        "OFFICER",
        "24343",
        "--replace",
    ])
    .await
    .unwrap();
    assert!(reaches(&app, "moving.officer", "24343").await);
    assert!(!reaches(&app, "moving.officer", "24175").await);
    let me = app.data_as("moving.officer", ROLES, json!({})).await;
    assert_eq!(me["me"]["assignments"].as_array().unwrap().len(), 1);
    // Taken away: nothing is reached.
    app.cli(&["user", "unassign", "moving.officer", "OFFICER", "24343"])
        .await
        .unwrap();
    assert!(!reaches(&app, "moving.officer", "24343").await);
    // A role not held cannot be taken away; nothing is recorded for it.
    let err = app
        .cli(&["user", "unassign", "moving.officer", "OFFICER", "24343"])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("assignment not found"), "{err}");
    let recorded = app
        .scalar(
            "SELECT COUNT(*) FROM account_change c JOIN app_user u ON u.id = c.user_id \
             WHERE u.username = 'moving.officer'",
        )
        .await;
    assert_eq!(recorded, 3, "assigned, replaced, taken away");
    let last = app
        .text(
            "SELECT c.operation || ' ' || c.actor || ' ' || c.before_json || ' ' || c.after_json \
             FROM account_change c JOIN app_user u ON u.id = c.user_id \
             WHERE u.username = 'moving.officer' ORDER BY c.id DESC LIMIT 1",
        )
        .await;
    assert_eq!(
        last,
        "unassignRole command line [{\"role\":\"OFFICER\",\"unit\":\"24343\",\"team\":null}] []"
    );
}

async fn a_role_at_a_closed_unit_is_taken_away_by_its_code(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    // The district officer of Buôn Ma Thuột (closed on 1 July 2025) keeps the villages it
    // held until an administrator reassigns the account.
    let village = app
        .text("SELECT MIN(code) FROM admin_unit WHERE code LIKE '24172.%'")
        .await;
    let team = app
        .scalar(&format!(
            "SELECT MIN(t.id) FROM team t JOIN admin_unit u ON u.id = t.unit_id \
             WHERE u.code = '{village}'"
        ))
        .await;
    let sees = |user: &'static str| {
        let app = &app;
        async move {
            let answer = app
                .graphql_as(user, contract::TEAM, json!({ "id": team.to_string() }))
                .await;
            error_codes(&answer).is_empty()
        }
    };
    assert!(sees("officer.643").await);
    app.cli(&[
        "user",
        "assign",
        "officer.643",
        "OFFICER",
        "24175",
        "--replace",
    ])
    .await
    .unwrap();
    let me = app.data_as("officer.643", ROLES, json!({})).await;
    assert_eq!(
        me["me"]["assignments"],
        json!([{ "role": "OFFICER", "unit": { "code": "24175" } }])
    );
    assert!(sees("officer.643").await, "the village lies in 24175 today");
    assert!(!reaches(&app, "officer.643", "643").await);
    // Another account's role at a closed commune, taken away by that commune's code.
    app.cli(&["user", "unassign", "officer.24172", "OFFICER", "24172"])
        .await
        .unwrap();
    assert!(!sees("officer.24172").await, "its legacy reach is gone");
}

async fn administrators_change_roles_over_graphql_and_no_one_else_does(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    new_officer(&app, "new.officer", "24175").await;
    let before = app.scalar("SELECT COUNT(*) FROM account_change").await;
    // An officer may not, and nothing changes.
    let answer = app
        .graphql_as(
            "officer.24175",
            ASSIGN,
            json!({ "u": "new.officer", "r": "OFFICER", "c": "24343" }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{answer:#}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM account_change").await,
        before
    );
    // An administrator adds a commune, then takes the first away.
    let answer = app
        .data(
            ASSIGN,
            json!({ "u": "new.officer", "r": "OFFICER", "c": "24343" }),
        )
        .await;
    assert_eq!(
        answer["assignRole"]["assignments"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(reaches(&app, "new.officer", "24343").await);
    let answer = app
        .data(
            UNASSIGN,
            json!({ "u": "new.officer", "r": "OFFICER", "c": "24175" }),
        )
        .await;
    assert_eq!(
        answer["unassignRole"]["assignments"],
        json!([{ "role": "OFFICER", "unit": { "code": "24343" } }])
    );
    assert!(!reaches(&app, "new.officer", "24175").await);
    let actors = app
        .text(
            "SELECT MIN(actor) || '/' || MAX(actor) FROM account_change c \
             JOIN app_user u ON u.id = c.user_id WHERE u.username = 'new.officer' \
             AND c.operation IN ('assignRole', 'unassignRole') AND c.actor <> 'command line'",
        )
        .await;
    assert_eq!(actors, "admin/admin");
    // Bad input is named: an unknown account, a unit that does not exist, a role not held.
    let answer = app
        .graphql(
            ASSIGN,
            json!({ "u": "nobody", "r": "OFFICER", "c": "24175" }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"]);
    let answer = app
        .graphql(
            ASSIGN,
            json!({ "u": "new.officer", "r": "OFFICER", "c": "99999" }),
        )
        .await;
    assert_eq!(crate::common::error_field(&answer), "unitCode");
    let answer = app
        .graphql(
            UNASSIGN,
            json!({ "u": "new.officer", "r": "LEADER", "c": "66" }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"]);
}
