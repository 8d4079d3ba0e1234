//! `/metrics`: counters in the Prometheus text format.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::graphql::bearer_token;
use crate::app::AppState;

/// Counters in the Prometheus text format; with `METRICS_TOKEN` set, for its bearer only.
pub(super) async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.settings.metrics_token {
        let given = bearer_token(&headers).ok().flatten().unwrap_or("");
        if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "metrics need the configured token\n",
            )
                .into_response();
        }
    }
    metrics_text(&state).into_response()
}

/// Compares secrets without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn metrics_text(state: &AppState) -> impl IntoResponse {
    use std::fmt::Write;
    use std::sync::atomic::Ordering::Relaxed;
    let stats = &state.cache.stats;
    let mut out = String::new();
    let mut counter = |name: &str, help: &str, value: u64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
        );
    };
    counter(
        "steering_cache_hits_total",
        "Aggregates answered from the cache.",
        stats.hits.load(Relaxed),
    );
    counter(
        "steering_cache_misses_total",
        "Aggregates computed and stored.",
        stats.misses.load(Relaxed),
    );
    counter(
        "steering_cache_errors_total",
        "Failed or unreadable cache calls.",
        stats.errors.load(Relaxed),
    );
    counter(
        "steering_cache_bypassed_total",
        "Aggregates computed without the cache because it was unavailable.",
        stats.bypassed.load(Relaxed),
    );
    counter(
        "steering_sql_statements_total",
        "SQL statements run.",
        state.db.statement_count(),
    );
    let open = u64::from(state.cache.circuit() == "open");
    let _ = writeln!(
        out,
        "# HELP steering_cache_circuit_open 1 while Redis is skipped after a failure.\n\
         # TYPE steering_cache_circuit_open gauge\nsteering_cache_circuit_open {open}"
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
