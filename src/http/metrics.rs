//! `/metrics`, in the OpenMetrics text format (which Prometheus reads): GraphQL requests and
//! their latency by operation and outcome, errors by code, requests in flight, and the
//! counters of the cache and the database.

use std::collections::HashSet;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric,
};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::answer::Outcome;
use super::principal::bearer_token;
use crate::app::AppState;
use crate::cache::Cache;
use crate::db::Db;

/// Operation names counted apart; past them, further names are counted as `other`, so that
/// a client inventing names cannot grow the metrics without end.
const MAX_OPERATIONS: usize = 200;

/// Latency buckets, in seconds: from a cached total (about a millisecond) to the timeout.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: String,
    outcome: OutcomeLabel,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
enum OutcomeLabel {
    /// Ran, no errors.
    ok,
    /// Ran, with errors in some fields.
    errors,
    /// Never ran: refused or invalid.
    refused,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

type Latency = Family<RequestLabels, Histogram, fn() -> Histogram>;

pub struct RequestMetrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Latency,
    errors: Family<CodeLabels, Counter>,
    in_flight: Gauge,
    operations: Mutex<HashSet<String>>,
}

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

impl RequestMetrics {
    pub fn new(
        db: Db,
        cache: Arc<Cache>,
        answers: Option<Arc<super::answers::Answers>>,
    ) -> RequestMetrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Latency = Family::new_with_constructor(latency_histogram);
        let errors = Family::<CodeLabels, Counter>::default();
        let in_flight = Gauge::default();
        registry.register(
            "steering_graphql_requests",
            "GraphQL requests answered, by operation name (`-` when unnamed or unread) and outcome (ok, errors, refused).",
            requests.clone(),
        );
        registry.register(
            "steering_graphql_request_duration_seconds",
            "Time to answer a GraphQL request, by operation name and outcome.",
            latency.clone(),
        );
        registry.register(
            "steering_graphql_errors",
            "Errors answered, by extensions.code.",
            errors.clone(),
        );
        registry.register(
            "steering_graphql_requests_in_flight",
            "GraphQL requests being answered.",
            in_flight.clone(),
        );
        registry.register_collector(Box::new(StoreCounters { db, cache, answers }));
        RequestMetrics {
            registry,
            requests,
            latency,
            errors,
            in_flight,
            operations: Mutex::new(HashSet::new()),
        }
    }

    /// Counts a request in flight until the returned guard is dropped.
    pub fn in_flight(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    /// Records an answered request.
    pub fn observe(&self, operation: Option<&str>, response: &Response, took: Duration) {
        let outcome = response.extensions().get::<Outcome>();
        let label = match outcome {
            Some(o) if o.ran && o.codes.is_empty() => OutcomeLabel::ok,
            Some(o) if o.ran => OutcomeLabel::errors,
            _ => OutcomeLabel::refused,
        };
        let labels = RequestLabels {
            operation: self.operation_label(operation),
            outcome: label,
        };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        if let Some(outcome) = outcome {
            for code in &outcome.codes {
                self.errors
                    .get_or_create(&CodeLabels { code: code.clone() })
                    .inc();
            }
        }
    }

    fn operation_label(&self, operation: Option<&str>) -> String {
        let Some(name) = operation.filter(|n| !n.is_empty()) else {
            return "-".to_owned();
        };
        let mut known = self.operations.lock().unwrap_or_else(|p| p.into_inner());
        if known.contains(name) {
            return name.to_owned();
        }
        if known.len() < MAX_OPERATIONS {
            known.insert(name.to_owned());
            return name.to_owned();
        }
        "other".to_owned()
    }

    fn text(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The cache's and the database's own counters, read at each scrape.
struct StoreCounters {
    db: Db,
    cache: Arc<Cache>,
    answers: Option<Arc<super::answers::Answers>>,
}

impl std::fmt::Debug for StoreCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreCounters")
    }
}

/// The counters of the cache and the database, by name and help, in the order
/// [`StoreCounters`] reads them.
const STORE_COUNTERS: [(&str, &str); 7] = [
    ("steering_cache_hits", "Aggregates answered from the cache."),
    ("steering_cache_misses", "Aggregates computed and stored."),
    ("steering_cache_errors", "Failed or unreadable cache calls."),
    (
        "steering_cache_bypassed",
        "Aggregates computed without the cache because it was unavailable.",
    ),
    ("steering_sql_statements", "SQL statements run."),
    (
        "steering_answer_cache_hits",
        "Whole answers sent again, their units unchanged.",
    ),
    (
        "steering_answer_cache_misses",
        "Answers that could be kept but were not there or had changed.",
    ),
];

impl Collector for StoreCounters {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = &self.cache.stats;
        let values = [
            stats.hits.load(Relaxed),
            stats.misses.load(Relaxed),
            stats.errors.load(Relaxed),
            stats.bypassed.load(Relaxed),
            self.db.statement_count(),
            self.answers.as_ref().map_or(0, |a| a.hits.load(Relaxed)),
            self.answers.as_ref().map_or(0, |a| a.misses.load(Relaxed)),
        ];
        for ((name, help), value) in STORE_COUNTERS.into_iter().zip(values) {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        let open = ConstGauge::new(i64::from(self.cache.circuit() == "open"));
        open.encode(encoder.encode_descriptor(
            "steering_cache_circuit_open",
            "1 while Redis is skipped after a failure.",
            None,
            open.metric_type(),
        )?)?;
        Ok(())
    }
}

/// The metrics; with `METRICS_TOKEN` set, for its bearer only.
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
    match state.requests.metrics.text() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Compares secrets without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
