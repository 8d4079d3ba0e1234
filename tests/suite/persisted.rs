//! Persisted operations: Apollo's automatic persisted queries, shared by replicas through
//! Redis, and the trusted documents mode.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use steering_gateway::db::Db;
use steering_gateway::http::hash_of;

use crate::common::{Backend, TestApp, contract, error_codes, error_field, test_settings};

crate::tests!(
    a_document_is_registered_once_then_sent_by_hash,
    anonymous_callers_register_nothing,
    invalid_and_long_documents_are_not_registered,
    bad_hashes_are_refused,
    registered_documents_reach_every_replica,
    trusted_documents_only_run_what_the_manifest_lists,
    the_committed_manifest_is_the_contract,
);

const MANIFEST: &str = include_str!("../contract/trusted-documents.json");

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// POSTs `body` as JSON, with a token when given.
async fn post(app: &TestApp, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut request = Request::post("/graphql").header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let (status, _, body) = app
        .send(request.body(Body::from(body.to_string())).unwrap())
        .await;
    (status, serde_json::from_slice(&body).expect("JSON"))
}

/// Sends only `hash` (with `variables`) and checks that the gateway does not know it.
async fn assert_unknown(app: &TestApp, token: Option<&str>, hash: &str, variables: Value) {
    let (status, answer) = post(
        app,
        token,
        json!({ "variables": variables, "extensions": persisted(hash) }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        error_codes(&answer),
        ["PERSISTED_QUERY_NOT_FOUND"],
        "{answer:#}"
    );
    // The protocol's message, which some clients (urql) look for instead of the code.
    assert_eq!(answer["errors"][0]["message"], "PersistedQueryNotFound");
}

/// A query no other test sends, so that its hash is unknown to a fresh gateway.
fn unique_query(tag: &str) -> String {
    format!("query Persisted_{tag} {{ adminUnit(code: \"66\") {{ code name }} }}")
}

async fn a_document_is_registered_once_then_sent_by_hash(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let token = app.token("leader.66").await;
    let query = unique_query("once");
    let hash = hash_of(&query);
    // The hash alone: not known yet.
    assert_unknown(&app, Some(&token), &hash, json!({})).await;
    // The document with its hash: run, and registered.
    let (_, answer) = post(
        &app,
        Some(&token),
        json!({ "query": query, "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(answer["data"]["adminUnit"]["code"], "66", "{answer:#}");
    // From now on the hash is enough, over POST and over GET.
    let (_, answer) = post(
        &app,
        Some(&token),
        json!({ "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(
        answer["data"]["adminUnit"]["name"], "Tỉnh Đắk Lắk",
        "{answer:#}"
    );
    let extensions = persisted(&hash).to_string();
    let uri = format!(
        "/graphql?extensions={}",
        form_urlencoded::byte_serialize(extensions.as_bytes()).collect::<String>()
    );
    let (status, _, body) = app
        .send(
            Request::get(uri)
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, StatusCode::OK, "{answer:#}");
    assert_eq!(answer["data"]["adminUnit"]["code"], "66");
    // A persisted document is still the caller's to be allowed: a commune officer who sends
    // the hash of a query about another commune's team gets what the text would get.
    let team = "query Persisted_team($id: ID!) { team(id: $id) { name } }";
    let team_hash = hash_of(team);
    post(
        &app,
        Some(&token),
        json!({ "query": team, "variables": { "id": "1" }, "extensions": persisted(&team_hash) }),
    )
    .await;
    let officer = app.token("officer.24355").await;
    let (_, answer) = post(
        &app,
        Some(&officer),
        json!({ "variables": { "id": "1" }, "extensions": persisted(&team_hash) }),
    )
    .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"], "{answer:#}");
}

async fn anonymous_callers_register_nothing(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    // Login works through the protocol without a token, but is not kept.
    let hash = hash_of(contract::LOGIN);
    let (_, answer) = post(
        &app,
        None,
        json!({
            "query": contract::LOGIN,
            "variables": { "username": "officer.643", "password": "demo-password" },
            "extensions": persisted(&hash),
        }),
    )
    .await;
    assert!(answer["data"]["login"]["token"].is_string(), "{answer:#}");
    let login = json!({ "username": "officer.643", "password": "demo-password" });
    assert_unknown(&app, None, &hash, login).await;
}

async fn invalid_and_long_documents_are_not_registered(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let token = app.token("leader.66").await;
    let invalid = "query Persisted_invalid { noSuchField }";
    // Longer than a frontend's operation: it runs, but is not kept.
    let long = format!(
        "# {}\nquery Persisted_long {{ adminUnit(code: \"66\") {{ code }} }}",
        "x".repeat(9 * 1024)
    );
    for (query, runs) in [(invalid, false), (long.as_str(), true)] {
        let hash = hash_of(query);
        let (_, answer) = post(
            &app,
            Some(&token),
            json!({ "query": query, "extensions": persisted(&hash) }),
        )
        .await;
        assert_eq!(
            answer["data"]["adminUnit"]["code"].is_string(),
            runs,
            "{answer:#}"
        );
        assert_unknown(&app, Some(&token), &hash, json!({})).await;
    }
}

async fn bad_hashes_are_refused(b: Arc<Backend>) {
    let app = b.demo().await;
    let token = app.token("leader.66").await;
    let query = unique_query("mismatch");
    for (extensions, code) in [
        (persisted(&hash_of("{ me { username } }")), "BAD_REQUEST"),
        (persisted("not-a-hash"), "BAD_REQUEST"),
        (
            json!({ "persistedQuery": { "version": 2, "sha256Hash": hash_of(&query) } }),
            "PERSISTED_QUERY_NOT_SUPPORTED",
        ),
    ] {
        let (status, answer) = post(
            app,
            Some(&token),
            json!({ "query": query, "extensions": extensions }),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer:#}");
        assert_eq!(error_codes(&answer), [code], "{answer:#}");
        assert_eq!(error_field(&answer), "extensions");
    }
}

async fn registered_documents_reach_every_replica(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let replica = b.replica(&app).await;
    let token = app.token("leader.66").await;
    let query = unique_query("replicas");
    let hash = hash_of(&query);
    post(
        &app,
        Some(&token),
        json!({ "query": query, "extensions": persisted(&hash) }),
    )
    .await;
    let (_, answer) = post(
        &replica,
        Some(&token),
        json!({ "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(answer["data"]["adminUnit"]["code"], "66", "{answer:#}");
}

async fn trusted_app(b: &Backend) -> TestApp {
    let url = b.demo().await.url.clone();
    let mut settings = test_settings(&url);
    let file = std::env::temp_dir().join(format!("sg-trusted-{}.json", std::process::id()));
    std::fs::write(&file, MANIFEST).unwrap();
    settings.trusted_documents = Some(file);
    TestApp::with_settings(Db::connect(&url).await.unwrap(), settings).await
}

async fn trusted_documents_only_run_what_the_manifest_lists(b: Arc<Backend>) {
    let app = trusted_app(&b).await;
    // Signing in is in the manifest.
    let token = app.token("officer.24172").await;
    // A listed operation, by text and by hash alone (no registration needed).
    let (_, answer) = post(&app, Some(&token), json!({ "query": contract::ME })).await;
    assert_eq!(
        answer["data"]["me"]["username"], "officer.24172",
        "{answer:#}"
    );
    let (_, answer) = post(
        &app,
        Some(&token),
        json!({ "extensions": persisted(&hash_of(contract::TEAMS)), "variables": { "first": 1 } }),
    )
    .await;
    assert!(
        answer["data"]["teams"]["totalCount"].as_i64().unwrap() > 0,
        "{answer:#}"
    );
    // Anything else is refused before it runs, even a document the caller registers.
    let query = unique_query("untrusted");
    for body in [
        json!({ "query": query }),
        json!({ "query": query, "extensions": persisted(&hash_of(&query)) }),
        json!({ "query": "{ __schema { types { name } } }" }),
    ] {
        let (_, answer) = post(&app, Some(&token), body).await;
        assert_eq!(
            error_codes(&answer),
            ["PERSISTED_QUERY_NOT_IN_LIST"],
            "{answer:#}"
        );
        assert!(answer.get("data").is_none());
    }
    // Administrators keep the whole API (GraphiQL, operations work).
    let admin = app.token("admin").await;
    let (_, answer) = post(&app, Some(&admin), json!({ "query": query })).await;
    assert_eq!(answer["data"]["adminUnit"]["code"], "66", "{answer:#}");
}

async fn the_committed_manifest_is_the_contract(_: Arc<Backend>) {
    let mut documents = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir("tests/contract")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "graphql"))
        .collect();
    files.sort();
    for file in files {
        documents.push((
            file.display().to_string(),
            std::fs::read_to_string(&file).unwrap(),
        ));
    }
    let expected = steering_gateway::http::manifest(&documents).unwrap();
    let committed: Value = serde_json::from_str(MANIFEST).unwrap();
    assert!(
        committed == expected,
        "tests/contract/trusted-documents.json is out of date: run \
         `cargo run -- trusted-documents tests/contract/*.graphql > tests/contract/trusted-documents.json`"
    );
}
