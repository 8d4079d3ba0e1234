//! The HTTP surface: GET and POST GraphQL, GraphiQL, health, CORS and the body limit.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use steering_gateway::config::Settings;
use steering_gateway::db::Db;

use crate::common::{Backend, TestApp, contract, test_settings};

crate::tests!(
    queries_work_over_get,
    health_and_readiness_answer,
    graphiql_is_served,
    cors_allows_only_configured_origins,
    oversized_bodies_are_refused,
    metrics_count_cache_use_and_statements,
    operation_names_cannot_grow_the_metrics_without_end,
);

async fn queries_work_over_get(b: Arc<Backend>) {
    let app = b.demo().await;
    let token = app.token("leader.66").await;
    let request = Request::get("/graphql?query=%7BadminUnit(code%3A%2266%22)%7Bname%7D%7D")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = app.send(request).await;
    assert_eq!(status, StatusCode::OK);
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["data"]["adminUnit"]["name"], "Tỉnh Đắk Lắk");
}

async fn health_and_readiness_answer(b: Arc<Backend>) {
    let app = b.demo().await;
    for path in ["/healthz", "/readyz"] {
        let (status, _, _) = app
            .send(Request::get(path).body(Body::empty()).unwrap())
            .await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
}

async fn graphiql_is_served(b: Arc<Backend>) {
    let app = b.demo().await;
    let (status, headers, body) = app
        .send(Request::get("/graphiql").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // Only the gateway's own origin: nothing from a CDN.
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    let page = String::from_utf8_lossy(&body).into_owned();
    assert!(!page.contains("https://"), "{page}");
    let assets: Vec<&str> = page
        .split("\"/graphiql/assets/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    assert_eq!(assets.len(), 6, "{assets:?}");
    for asset in assets {
        let (status, headers, body) = app
            .send(
                Request::get(format!("/graphiql/assets/{asset}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{asset}");
        let kind = headers["content-type"].to_str().unwrap();
        assert!(
            kind.starts_with("text/javascript") || kind.starts_with("text/css"),
            "{asset}"
        );
        assert!(body.len() > 100, "{asset}");
    }
    let (status, _, _) = app
        .send(
            Request::get("/graphiql/assets/../Cargo.toml")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn app_with(b: &Backend, settings: impl FnOnce(&mut Settings)) -> TestApp {
    let url = b.demo().await.url.clone();
    let mut s = test_settings(&url);
    settings(&mut s);
    TestApp::with_settings(Db::connect(&url).await.unwrap(), s).await
}

async fn cors_allows_only_configured_origins(b: Arc<Backend>) {
    let app = app_with(&b, |s| {
        s.cors_origins = vec!["https://dashboard.daklak.gov.vn".into()]
    })
    .await;
    let preflight = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/graphql")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,authorization",
            )
            .body(Body::empty())
            .unwrap()
    };
    let (_, headers, _) = app.send(preflight("https://dashboard.daklak.gov.vn")).await;
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://dashboard.daklak.gov.vn"
    );
    let (_, headers, _) = app.send(preflight("https://evil.example")).await;
    assert!(headers.get("access-control-allow-origin").is_none());
}

async fn oversized_bodies_are_refused(b: Arc<Backend>) {
    let app = app_with(&b, |s| s.max_body_bytes = 1024).await;
    let padding = " ".repeat(4096);
    let body = format!("{{\"query\": \"{{ adminUnit(code: \\\"66\\\") {{ name }} }}{padding}\"}}");
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("content-length", body.len())
        .body(Body::from(body))
        .unwrap();
    let (status, _, body) = app.send(request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let answer: Value = serde_json::from_slice(&body).expect("a GraphQL answer");
    assert_eq!(answer["errors"][0]["extensions"]["field"], "body");
}

async fn metrics_count_cache_use_and_statements(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let query = "query { totals(unitCode: \"66\") { teams } }";
    app.data(query, serde_json::json!({})).await;
    app.data(query, serde_json::json!({})).await;
    app.data(contract::TOTALS, serde_json::json!({ "unitCode": "66" }))
        .await;
    app.graphql(contract::TEAMS, serde_json::json!({ "first": 0 }))
        .await;
    app.graphql_anonymous(contract::TOTALS, serde_json::json!({ "unitCode": "66" }))
        .await;
    let (status, headers, body) = app
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = String::from_utf8(body).unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    let value = |series: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{series} ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{series} missing from {text}"))
    };
    assert!(value("steering_cache_misses_total") >= 1.0);
    assert!(
        value("steering_cache_hits_total") >= 1.0,
        "the second read came from the cache"
    );
    assert!(value("steering_sql_statements_total") > 0.0);
    assert_eq!(value("steering_cache_circuit_open"), 0.0);
    // Requests by operation and outcome; unnamed operations are `-`.
    assert_eq!(
        value("steering_graphql_requests_total{operation=\"Totals\",outcome=\"ok\"}"),
        1.0
    );
    assert!(value("steering_graphql_requests_total{operation=\"-\",outcome=\"ok\"}") >= 2.0);
    assert_eq!(
        value("steering_graphql_requests_total{operation=\"Teams\",outcome=\"errors\"}"),
        1.0,
        "first: 0 is a field error"
    );
    assert_eq!(
        value("steering_graphql_requests_total{operation=\"Totals\",outcome=\"refused\"}"),
        1.0,
        "the anonymous call"
    );
    // Latency: every request falls in the last bucket, and the count agrees.
    assert_eq!(
        value(
            "steering_graphql_request_duration_seconds_bucket{le=\"+Inf\",operation=\"Totals\",outcome=\"ok\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            "steering_graphql_request_duration_seconds_count{operation=\"Totals\",outcome=\"ok\"}"
        ),
        1.0
    );
    assert!(value("steering_graphql_errors_total{code=\"BAD_USER_INPUT\"}") >= 1.0);
    assert!(value("steering_graphql_errors_total{code=\"UNAUTHENTICATED\"}") >= 1.0);
    assert_eq!(value("steering_graphql_requests_in_flight"), 0.0);
}

async fn operation_names_cannot_grow_the_metrics_without_end(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let token = app.token("leader.66").await;
    for i in 0..230 {
        let query = format!("query Made{i} {{ __typename }}");
        app.post(Some(&token), &query, serde_json::json!({})).await;
    }
    let (_, _, body) = app
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    let text = String::from_utf8(body).unwrap();
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("steering_graphql_requests_total{"))
        .collect();
    assert!(series.len() <= 201, "{} series", series.len());
    assert!(
        series.iter().any(|l| l.contains("operation=\"other\"")),
        "{series:?}"
    );
}
