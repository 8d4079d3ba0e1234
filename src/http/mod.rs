//! HTTP: the routes, the layers around them and serving with graceful shutdown.

mod answer;
pub mod answers;
mod documents;
mod export;
mod graphiql;
mod graphql;
mod metrics;
mod persisted;
mod principal;
mod sent;
mod serve;
mod shape;
pub mod wire;

pub use answer::MAX_RESPONSE_BYTES;
pub use documents::Documents;
pub use metrics::RequestMetrics;
pub use persisted::{PersistedOperations, hash_of, manifest, read_manifest};
pub use serve::ConnectionLimits;

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::app::AppState;
use metrics::metrics;
use wire::{Media, Refused};

pub fn router(state: AppState) -> Router {
    let cors = cors_layer(&state.settings.cors_origins);
    let body_deadline = axum::middleware::from_fn_with_state(state.clone(), read_body_in_time);
    let mut routes = Router::new()
        .route("/graphql", any(graphql::graphql))
        .route("/export/{name}", get(export::export))
        .route("/graphiql", get(graphiql::page))
        .route("/graphiql/assets/{name}", get(graphiql::asset))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if state.settings.metrics_addr.is_none() {
        routes = routes.route("/metrics", get(metrics));
    }
    routes
        .fallback(not_found)
        .layer(body_deadline)
        .layer(cors)
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// The span of one HTTP request, named for traces as `METHOD /path` (the query string is left
/// out: it may hold a document and its variables).
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let method = request.method();
    let path = request.uri().path();
    // A target of its own, which logs leave out by default: the span costs nothing unless
    // traces are exported.
    tracing::info_span!(
        target: "steering_gateway::traces",
        "request",
        %method,
        path,
        otel.name = format!("{method} {path}"),
        otel.kind = "server",
    )
}

/// Any other path, answered as GraphQL clients read answers.
async fn not_found(uri: axum::http::Uri) -> Response {
    Refused::new(
        StatusCode::NOT_FOUND,
        format!(
            "nothing is served at {}: GraphQL is at /graphql",
            uri.path()
        ),
    )
    .code("NOT_FOUND")
    .answer(None)
}

/// Reads a request's whole body, at most `MAX_BODY_BYTES`, within `BODY_TIMEOUT_SECONDS` of
/// its headers. A deadline per read would let a client keep a connection by sending a byte
/// now and then.
async fn read_body_in_time(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let media = Media::negotiate(request.headers());
    let max = state.settings.max_body_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        return wire::body_too_large(max).answer(media);
    }
    let limit = Duration::from_secs(state.settings.body_timeout_seconds);
    let (parts, body) = request.into_parts();
    let read = axum::body::to_bytes(body, max);
    match tokio::time::timeout(limit, read).await {
        Ok(Ok(bytes)) => {
            let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
            next.run(request).await
        }
        Ok(Err(_)) => wire::body_too_large(max).answer(media),
        Err(_) => Refused::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request's body did not arrive within {} s",
                limit.as_secs()
            ),
        )
        .code("TIMEOUT")
        .field("body")
        .answer(media),
    }
}

/// `/metrics` alone, for `METRICS_ADDR`.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// The address a request comes from: the configured proxy header's last entry, or the
/// connection's peer. Unknown for requests that did not come over a socket (tests in process).
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let from_header = state.settings.client_ip_header.as_deref().and_then(|name| {
            let value = parts.headers.get_all(name).iter().next_back()?;
            value.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
        });
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        Ok(ClientAddress(from_header.or(peer)))
    }
}

/// The process is up.
async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

/// The process can serve: its database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.db().ping().await {
        (
            StatusCode::OK,
            Json(serde_json::json!({ "status": "ready" })),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "database unreachable" })),
        )
    }
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::POST])
        // Whatever headers the page's client sends (Apollo's client name and version, trace
        // context, request ids): only the configured origins get an answer at all.
        .allow_headers(AllowHeaders::mirror_request())
        // What a browser client acts on: why a token was refused, and when to try again.
        .expose_headers([header::WWW_AUTHENTICATE, header::RETRY_AFTER])
        .max_age(Duration::from_secs(3600))
}

/// Listens on the configured address until SIGTERM or Ctrl-C, then lets requests in flight
/// finish.
pub async fn serve(state: AppState) -> anyhow::Result<()> {
    let addr = state.settings.bind_addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!("serving GraphQL on http://{addr}/graphql (GraphiQL at http://{addr}/graphiql)");
    #[cfg(unix)]
    tokio::spawn(reload_policy_on_sighup(state.policy.clone()));
    let limits = state.settings.connection_limits();
    let grace = Duration::from_secs(state.settings.request_timeout_seconds);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut metrics_server = None;
    if let Some(metrics_addr) = state.settings.metrics_addr {
        let listener = tokio::net::TcpListener::bind(metrics_addr)
            .await
            .with_context(|| format!("cannot listen on {metrics_addr} for metrics"))?;
        tracing::info!("serving metrics on http://{metrics_addr}/metrics");
        let router = metrics_router(state.clone());
        let mut stop = stop_rx.clone();
        metrics_server = Some(tokio::spawn(serve::serve_connections(
            listener,
            router,
            ConnectionLimits {
                max_connections: 16,
                ..limits
            },
            async move {
                let _ = stop.changed().await;
            },
            Duration::from_secs(1),
        )));
    }
    serve::serve_connections(listener, state.router(), limits, shutdown_signal(), grace).await;
    let _ = stop_tx.send(true);
    if let Some(server) = metrics_server {
        let _ = server.await;
    }
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// `kill -HUP` re-reads the policy files; requests in flight keep the policy they started with,
/// and a broken file leaves the policy in force.
#[cfg(unix)]
async fn reload_policy_on_sighup(store: std::sync::Arc<crate::authz::PolicyStore>) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP: the policy reloads only on restart");
        return;
    };
    while hangups.recv().await.is_some() {
        match store.reload().await {
            Ok(()) => tracing::info!("authorization policy reloaded"),
            Err(err) => tracing::error!("policy not reloaded, the previous one stays: {err:#}"),
        }
    }
}
