//! Signing in, tokens and their failures.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use steering_gateway::domain::users;

use crate::common::{Backend, DEMO_PASSWORD, TEST_SECRET, TestApp, contract, error_codes};

crate::tests!(
    every_demo_user_signs_in_and_sees_who_they_are,
    unknown_user_and_wrong_password_get_the_same_answer,
    bad_tokens_are_refused_never_anonymous,
    a_disabled_account_is_refused_at_once,
    anonymous_callers_get_only_login,
    mutations_over_get_are_refused,
);

async fn every_demo_user_signs_in_and_sees_who_they_are(b: Arc<Backend>) {
    let app = b.demo().await;
    let expected = [
        ("admin", "ADMIN", None),
        ("leader.66", "LEADER", Some(("66", "PROVINCE"))),
        ("officer.643", "OFFICER", Some(("643", "DISTRICT"))),
        ("officer.24172", "OFFICER", Some(("24172", "COMMUNE"))),
        ("officer.24355", "OFFICER", Some(("24355", "COMMUNE"))),
    ];
    for (username, role, unit) in expected {
        let (status, answer) = app
            .post(
                None,
                contract::LOGIN,
                json!({ "username": username, "password": DEMO_PASSWORD }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let login = &answer["data"]["login"];
        assert!(login["token"].as_str().unwrap().len() > 40, "{answer:#}");
        let expires =
            chrono::DateTime::parse_from_rfc3339(login["expiresAt"].as_str().unwrap()).unwrap();
        let hours = (expires.to_utc() - chrono::Utc::now()).num_minutes() as f64 / 60.0;
        assert!(
            (7.9..=8.0).contains(&hours),
            "default lifetime 8 hours, got {hours}"
        );
        for user in [
            &login["user"],
            &app.data_as(username, contract::ME, json!({})).await["me"],
        ] {
            assert_eq!(user["username"], username);
            let assignment = &user["assignments"][0];
            assert_eq!(assignment["role"], role);
            match unit {
                None => assert!(assignment["unit"].is_null()),
                Some((code, level)) => {
                    assert_eq!(assignment["unit"]["code"], code);
                    assert_eq!(assignment["unit"]["level"], level);
                }
            }
        }
    }
}

async fn unknown_user_and_wrong_password_get_the_same_answer(b: Arc<Backend>) {
    let app = b.demo().await;
    let (s1, wrong_password) = app
        .post(
            None,
            contract::LOGIN,
            json!({ "username": "officer.643", "password": "not the password" }),
        )
        .await;
    let (s2, unknown_user) = app
        .post(
            None,
            contract::LOGIN,
            json!({ "username": "nobody.643", "password": "not the password" }),
        )
        .await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    // Its own code: a client that signs out on UNAUTHENTICATED must not on a mistyped password.
    assert_eq!(error_codes(&wrong_password), ["BAD_CREDENTIALS"]);
    assert_eq!(wrong_password.to_string(), unknown_user.to_string());
}

fn forge(header: Value, claims: Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

async fn assert_refused(app: &TestApp, token: &str, why: &str) {
    let (status, answer) = app.post(Some(token), contract::TEAMS, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}: {answer:#}");
    assert_eq!(error_codes(&answer), ["UNAUTHENTICATED"], "{why}");
    assert!(answer["data"].is_null(), "{why}: no data at all");
}

async fn bad_tokens_are_refused_never_anonymous(b: Arc<Backend>) {
    let app = b.demo().await;
    let good = app.token("officer.643").await;
    let (status, _) = app.post(Some(&good), contract::TEAMS, json!({})).await;
    assert_eq!(status, StatusCode::OK);

    let now = chrono::Utc::now().timestamp();
    let admin_id = users::find(&app.db().conn, "admin")
        .await
        .unwrap()
        .unwrap()
        .id
        .0;
    let sign = |claims: Value, secret: &str| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()).unwrap(),
        )
        .unwrap()
    };
    let expired = sign(
        json!({ "sub": admin_id.to_string(), "iat": now - 7200, "exp": now - 3600 }),
        TEST_SECRET,
    );
    let wrong_key = sign(
        json!({ "sub": admin_id.to_string(), "iat": now, "exp": now + 3600 }),
        "another key that is also long enough to sign tokens",
    );
    let alg_none = forge(
        json!({ "alg": "none", "typ": "JWT" }),
        json!({ "sub": admin_id.to_string(), "iat": now, "exp": now + 3600 }),
        "",
    );
    // The officer's token with its subject changed to the administrator's.
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(
            json!({ "sub": admin_id.to_string(), "iat": now, "exp": now + 3600 }).to_string()
        ),
        parts[2]
    );
    for (token, why) in [
        ("garbage", "garbage"),
        (expired.as_str(), "expired"),
        (wrong_key.as_str(), "signed with another key"),
        (alg_none.as_str(), "alg none"),
        (tampered.as_str(), "tampered claims"),
    ] {
        assert_refused(app, token, why).await;
    }

    // An Authorization header that is not a bearer token is refused too.
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", "Basic YWRtaW46ZGVtby1wYXNzd29yZA==")
        .body(Body::from(
            json!({ "query": "{ me { username } }" }).to_string(),
        ))
        .unwrap();
    let (status, _, _) = app.send(request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn a_disabled_account_is_refused_at_once(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let replica = b.replica(&app).await;
    let hash = steering_gateway::auth::hash_password(DEMO_PASSWORD).unwrap();
    users::create(&app.db().conn, "soon.disabled", None, &hash)
        .await
        .unwrap();
    app.cli(&["user", "assign", "soon.disabled", "OFFICER", "643"])
        .await
        .unwrap();
    let token = app.token("soon.disabled").await;
    // Both replicas have served the account, and may remember it.
    for served_by in [&app, &replica] {
        let (status, answer) = served_by.post(Some(&token), contract::ME, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{answer:#}");
        assert_eq!(
            answer["data"]["me"]["assignments"][0]["unit"]["code"],
            "643"
        );
    }

    // A second assignment, made from the command line, shows on the next request.
    app.cli(&["user", "assign", "soon.disabled", "OFFICER", "24172"])
        .await
        .unwrap();
    for served_by in [&app, &replica] {
        let me = &served_by
            .post(Some(&token), contract::ME, json!({}))
            .await
            .1["data"]["me"];
        assert_eq!(me["assignments"].as_array().unwrap().len(), 2, "{me:#}");
    }

    app.cli(&["user", "disable", "soon.disabled"])
        .await
        .unwrap();
    assert_refused(&app, &token, "disabled account").await;
    assert_refused(&replica, &token, "disabled account, other replica").await;
    let (_, answer) = app
        .post(
            None,
            contract::LOGIN,
            json!({ "username": "soon.disabled", "password": DEMO_PASSWORD }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["BAD_CREDENTIALS"]);
}

async fn anonymous_callers_get_only_login(b: Arc<Backend>) {
    let app = b.demo().await;
    for (query, variables) in [
        (contract::TEAMS, json!({})),
        (contract::TEAM, json!({ "id": "1" })),
        (contract::TOTALS, json!({ "unitCode": "66" })),
        (contract::UNIT, json!({ "code": "66" })),
        (contract::COMMITTEES, json!({})),
        (contract::TRAINING, json!({})),
        (contract::ME, json!({})),
    ] {
        let (status, answer) = app.post(None, query, variables).await;
        assert_eq!(error_codes(&answer), ["UNAUTHENTICATED"], "{query}");
        // The same status as a refused token, so one rule in a client handles both.
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{query}");
    }
}

async fn mutations_over_get_are_refused(b: Arc<Backend>) {
    let app = b.demo().await;
    let request = Request::get(
        "/graphql?query=mutation%7Blogin(username%3A%22admin%22%2Cpassword%3A%22demo-password%22)%7Btoken%7D%7D",
    )
    .body(Body::empty())
    .unwrap();
    let (status, headers, body) = app.send(request).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["allow"], "POST");
    assert!(!String::from_utf8_lossy(&body).contains("token\":\""));
}
