//! Logs, and traces over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` names a collector.
//!
//! Traces hold a span for each HTTP request, for the GraphQL engine's parse, validation and
//! execution with one span per field resolved, and one per SQL statement (SeaORM's, named
//! after the statement's kind and carrying `db.system`). They are sent in batches, over
//! HTTP with protobuf, from a thread of their own: a collector that is slow or away costs
//! the requests nothing, and spans that cannot be sent are dropped.

use anyhow::Context;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::Settings;

/// What is exported, whatever `RUST_LOG` says of the logs: the gateway's request spans, the
/// engine's and SeaORM's.
const TRACED: &str = "warn,steering_gateway=info,tower_http=info,async_graphql=info,sea_orm=info";

/// Keeps the exporter alive; [`Telemetry::shutdown`] sends what is left.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

/// Installs the global subscriber: logs as text or JSON lines, and traces when configured.
pub fn init(settings: &Settings) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(
            "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,steering_gateway::traces=warn",
        )
    });
    let logs = if settings.log_json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_filter(filter)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer().with_filter(filter).boxed()
    };
    let provider = match &settings.otel_endpoint {
        Some(endpoint) => Some(provider(endpoint)?),
        None => None,
    };
    let traces = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("steering-gateway"))
            .with_filter(EnvFilter::new(TRACED))
    });
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .try_init();
    if let Some(endpoint) = &settings.otel_endpoint {
        tracing::info!(endpoint, "exporting traces over OTLP");
    }
    Ok(Telemetry { provider })
}

fn provider(endpoint: &str) -> anyhow::Result<SdkTracerProvider> {
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    // The exporter's blocking HTTP client runs its own runtime: it is made, and later shut
    // down, off the server's.
    std::thread::spawn(move || {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(url.clone())
            .with_timeout(std::time::Duration::from_secs(5))
            .build()
            .with_context(|| format!("OTEL_EXPORTER_OTLP_ENDPOINT: cannot export to {url}"))?;
        Ok(SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(
                Resource::builder()
                    .with_service_name("steering-gateway")
                    .build(),
            )
            .build())
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the trace exporter could not be set up"))?
}

impl Telemetry {
    /// Sends the spans still queued, waiting a few seconds at most.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            let _ = std::thread::spawn(move || {
                if let Err(err) = provider.shutdown_with_timeout(std::time::Duration::from_secs(5))
                {
                    eprintln!("traces not all sent: {err}");
                }
            })
            .join();
        }
    }
}
