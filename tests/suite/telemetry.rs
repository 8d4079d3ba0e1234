//! Traces over OTLP: the real binary, pointed at a small OTLP/HTTP receiver run by the test,
//! exports a trace of each request with its GraphQL and SQL spans.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

use crate::cli::{http_post_as, start_embedded_with};
use crate::common::Backend;

crate::tests!(requests_are_traced_to_an_otlp_collector);

/// The value of a span's attribute, as text.
fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes.iter().find(|a| a.key == key).and_then(|a| {
        match a.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some(s.clone()),
            any_value::Value::IntValue(i) => Some(i.to_string()),
            other => Some(format!("{other:?}")),
        }
    })
}

async fn requests_are_traced_to_an_otlp_collector(_: Arc<Backend>) {
    // The collector: every export it receives, decoded.
    let received: Arc<Mutex<Vec<Span>>> = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector = listener.local_addr().unwrap();
    let router = axum::Router::new().route(
        "/v1/traces",
        post({
            let received = received.clone();
            move |body: Bytes| async move {
                let request = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
                let mut spans = received.lock().unwrap();
                for resource in request.resource_spans {
                    for scope in resource.scope_spans {
                        spans.extend(scope.spans);
                    }
                }
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let receiver = tokio::spawn(async move { axum::serve(listener, router).await });

    let dir = std::env::temp_dir().join(format!("sg-traces-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let endpoint = format!("http://{collector}");
    let served = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let (server, addr) = start_embedded_with(
                &dir,
                concat!(env!("CARGO_MANIFEST_DIR"), "/policies"),
                &[
                    ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
                    ("OTEL_BSP_SCHEDULE_DELAY", "100"),
                ],
            );
            let login = r#"{"query":"mutation { login(username: \"leader.66\", password: \"demo-password\") { token } }"}"#;
            let (_, body) = http_post_as(addr, None, login);
            let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
            let token = answer["data"]["login"]["token"].as_str().unwrap().to_owned();
            let query = r#"{"query":"query Page { teams(first: 2) { totalCount nodes { name } } }"}"#;
            let (status, body) = http_post_as(addr, Some(&token), query);
            (server, status, body)
        }
    })
    .await
    .unwrap();
    let (mut server, status, body) = served;
    assert!(status.contains("200"), "{status}: {body}");

    // The spans arrive in batches; wait for the page's SQL.
    let started = Instant::now();
    let spans = loop {
        let spans = received.lock().unwrap().clone();
        let done = spans
            .iter()
            .any(|s| s.name.starts_with("sea_orm.") && attribute(s, "db.system").is_some())
            && spans
                .iter()
                .any(|s| s.name == "field" && attribute(s, "path").as_deref() == Some("teams"));
        if done || started.elapsed() > Duration::from_secs(20) {
            break spans;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    server.kill().ok();
    server.wait().ok();
    receiver.abort();
    std::fs::remove_dir_all(&dir).ok();

    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    let request = spans
        .iter()
        .filter(|s| s.name == "POST /graphql")
        .find(|s| {
            // The page's request: the trace that holds the `teams` field.
            spans.iter().any(|f| {
                f.trace_id == s.trace_id
                    && f.name == "field"
                    && attribute(f, "path").as_deref() == Some("teams")
            })
        })
        .unwrap_or_else(|| panic!("no request span for the page among {names:?}"));
    let in_trace: Vec<&Span> = spans
        .iter()
        .filter(|s| s.trace_id == request.trace_id)
        .collect();
    for wanted in ["parse", "validation", "execute", "field"] {
        assert!(
            in_trace.iter().any(|s| s.name == wanted),
            "no {wanted} span in the page's trace: {names:?}"
        );
    }
    let sql: Vec<&&Span> = in_trace
        .iter()
        .filter(|s| s.name.starts_with("sea_orm."))
        .collect();
    assert!(
        !sql.is_empty(),
        "no SQL span in the page's trace: {names:?}"
    );
    let system = attribute(sql[0], "db.system").unwrap_or_default();
    assert!(system.contains("sqlite"), "{system}");
    // The request span is the root; the others hang under it.
    assert!(request.parent_span_id.is_empty());
    assert!(
        in_trace
            .iter()
            .filter(|s| s.span_id != request.span_id)
            .all(|s| !s.parent_span_id.is_empty())
    );
}
