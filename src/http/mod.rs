//! HTTP: the routes, the layers around them and serving with graceful shutdown.

use std::time::Duration;

use anyhow::Context;
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::app::AppState;
use crate::authz::Access;
use crate::domain::users;
use crate::graphql::loaders::Loaders;

pub fn router(state: AppState) -> Router {
    let cors = cors_layer(&state.settings.cors_origins);
    let limit = RequestBodyLimitLayer::new(state.settings.max_body_bytes);
    Router::new()
        .route("/graphql", get(graphql).post(graphql))
        .route("/graphiql", get(graphiql))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(limit)
        .layer(cors)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn graphql(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    let mut request = request.into_inner();
    state.documents.parse(&mut request);
    if method == Method::GET && is_mutation(&mut request) {
        // A GET can be replayed by a link or an image tag, and ends up in logs.
        return refusal(
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_USER_INPUT",
            "mutations must be sent with POST",
        );
    }
    let (principal, epoch) = match bearer_token(&headers) {
        Err(()) => {
            return unauthenticated("the Authorization header must be `Bearer <token>`");
        }
        Ok(None) => (None, None),
        Ok(Some(token)) => {
            let Some(user) = state.auth.tokens.verify(token) else {
                return unauthenticated("the access token is invalid or has expired");
            };
            // What this replica remembers of the account is used only while no process has
            // announced a change since: a disabled account is refused on its next request.
            let epoch = state.cache.epoch().await;
            let found = state
                .cache
                .principals
                .get_or_load(epoch, user, users::principal(&state.db.conn, user))
                .await;
            match found {
                Ok(Some(principal)) => (Some(principal), epoch),
                Ok(None) => return unauthenticated("the account is disabled or no longer exists"),
                Err(err) => {
                    let err = async_graphql::Error::from(err);
                    return refusal(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", &err.message);
                }
            }
        }
    };
    let mut request = request
        .data(Access::new(principal, state.policy.current()))
        .data(Loaders::new(&state.db));
    if let Some(epoch) = epoch {
        request = request.data(epoch);
    }
    let mut response = state.schema.execute(request).await;
    for error in &mut response.errors {
        classify(error);
    }
    GraphQLResponse::from(response).into_response()
}

/// Errors raised by the GraphQL engine itself (a syntax error, an unknown field, a variable of
/// the wrong type, a query too deep) carry no code; give them one, so that every error a client
/// sees has a stable `extensions.code`. Errors with no path are about the request as sent, and
/// so are arguments that failed to parse; anything else uncoded is internal.
fn classify(error: &mut async_graphql::ServerError) {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if !has_code {
        let bad_argument = error.message.starts_with("Failed to parse")
            || error.message.starts_with("Invalid value for argument");
        let code = if error.path.is_empty() || bad_argument {
            "BAD_USER_INPUT"
        } else {
            "INTERNAL"
        };
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
}

/// `Ok(None)` without an Authorization header; `Err` for one that is not a bearer token.
fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, ()> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ())?;
    let (scheme, token) = value.split_once(' ').ok_or(())?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(());
    }
    Ok(Some(token.trim()))
}

fn is_mutation(request: &mut async_graphql::Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(document) = request.parsed_query() else {
        return false; // The schema reports the syntax error.
    };
    match &document.operations {
        DocumentOperations::Single(op) => op.node.ty == OperationType::Mutation,
        DocumentOperations::Multiple(ops) => {
            ops.values().any(|op| op.node.ty == OperationType::Mutation)
        }
    }
}

/// Operations already parsed, by their text. Parsing is a fair part of answering a small
/// query, and a frontend sends the same few operations over and over; the engine still
/// validates each request against the schema.
#[derive(Clone)]
pub struct Documents {
    parsed: moka::sync::Cache<String, async_graphql::parser::types::ExecutableDocument>,
}

/// Longer operations are parsed every time rather than kept (a frontend's are well under).
const MAX_REMEMBERED_OPERATION: usize = 8 * 1024;

/// The operation text kept at most, in bytes. A parsed operation takes several times its text,
/// so this bounds the memory a client sending many distinct operations can make the cache hold.
const REMEMBERED_TEXT: u64 = 1024 * 1024;

impl Documents {
    pub fn new() -> Documents {
        Documents {
            parsed: moka::sync::Cache::builder()
                .weigher(|text: &String, _| u32::try_from(text.len()).unwrap_or(u32::MAX))
                .max_capacity(REMEMBERED_TEXT)
                .time_to_idle(Duration::from_secs(3600))
                .build(),
        }
    }

    /// Gives `request` its parsed operation, from memory when the same text was seen before.
    /// A syntax error is left for the engine to report.
    fn parse(&self, request: &mut async_graphql::Request) {
        if request.query.len() > MAX_REMEMBERED_OPERATION {
            return;
        }
        if let Some(document) = self.parsed.get(&request.query) {
            request.set_parsed_query(document);
        } else if let Ok(document) = request.parsed_query() {
            let document = document.clone();
            self.parsed.insert(request.query.clone(), document);
        }
    }
}

impl Default for Documents {
    fn default() -> Self {
        Documents::new()
    }
}

/// A refused request, shaped as a GraphQL answer so that clients read it the usual way.
fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "data": null,
        "errors": [{ "message": message, "extensions": { "code": code } }],
    });
    (status, Json(body)).into_response()
}

/// A bad token is an error, never a quiet fall back to anonymous.
fn unauthenticated(message: &str) -> Response {
    let mut response = refusal(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

async fn graphiql() -> impl IntoResponse {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

/// The process is up.
async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

/// The process can serve: its database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.db.ping().await {
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

/// Counters in the Prometheus text format.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
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

fn cors_layer(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("apollo-require-preflight"),
        ])
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
    axum::serve(listener, state.router())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;
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
