//! HTTP: the routes, the layers around them and serving with graceful shutdown.

mod serve;

pub use serve::ConnectionLimits;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::app::AppState;
use crate::authz::{Access, Action, Resource, Scope};
use crate::domain::users;
use crate::graphql::guard::{self, DocumentLimits};
use crate::graphql::loaders::Loaders;

/// The answer a client gets at most, in bytes of JSON: the cost budget keeps ordinary
/// operations far below; this bounds what a few large records could still add.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let cors = cors_layer(&state.settings.cors_origins);
    let limit = RequestBodyLimitLayer::new(state.settings.max_body_bytes);
    let body_deadline = axum::middleware::from_fn_with_state(state.clone(), read_body_in_time);
    let mut routes = Router::new()
        .route("/graphql", get(graphql).post(graphql))
        .route("/graphiql", get(graphiql))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if state.settings.metrics_addr.is_none() {
        routes = routes.route("/metrics", get(metrics));
    }
    routes
        .layer(body_deadline)
        .layer(limit)
        .layer(cors)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Reads a request's whole body within `BODY_TIMEOUT_SECONDS` of its headers. A deadline per
/// read would let a client keep a connection by sending a byte now and then.
async fn read_body_in_time(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let limit = Duration::from_secs(state.settings.body_timeout_seconds);
    let (parts, body) = request.into_parts();
    let read = axum::body::to_bytes(body, state.settings.max_body_bytes);
    match tokio::time::timeout(limit, read).await {
        Ok(Ok(bytes)) => {
            let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
            next.run(request).await
        }
        Ok(Err(_)) => refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BAD_USER_INPUT",
            &format!(
                "the request's body is larger than {} bytes, or was cut off",
                state.settings.max_body_bytes
            ),
        ),
        Err(_) => refusal(
            StatusCode::REQUEST_TIMEOUT,
            "TIMEOUT",
            &format!(
                "the request's body did not arrive within {} s",
                limit.as_secs()
            ),
        ),
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

async fn graphql(
    State(state): State<AppState>,
    method: Method,
    address: ClientAddress,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    let mut request = request.into_inner();
    // Before anything recursive sees the document: for every caller, signed in or not.
    let limits = DocumentLimits::default();
    let scanned = match guard::scan(&request.query, &limits).and_then(|shape| {
        guard::check_variables(&request.variables, limits.max_depth).map(|_| shape)
    }) {
        Ok(shape) => shape,
        Err(refused) => return refused_document(&refused),
    };
    state.documents.parse(&mut request, scanned.tokens);
    // Before validation: what would make it slow, counted on the engine's own parse.
    if let Ok(document) = request.parsed_query()
        && let Err(refused) = guard::check_document(document, &limits)
    {
        return refused_document(&refused);
    }
    let mutation = is_mutation(&mut request);
    if method == Method::GET && mutation {
        // A GET can be replayed by a link or an image tag, and ends up in logs.
        return refusal(
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_USER_INPUT",
            "mutations must be sent with POST",
        );
    }
    if mutation && root_fields_named(&mut request, "login") > 1 {
        // Several guesses in one request would get around the count of failed attempts.
        return field_refusal("login", "one login per request; none was run");
    }
    // Placeholders of uploaded files are the multipart request's to set: one written into the
    // document, or naming a file the request did not carry, would make the engine panic.
    if request.query.contains(UPLOAD_PLACEHOLDER)
        || !placeholders_name_files(&request.variables, request.uploads.len())
    {
        return field_refusal("file", "no such file was sent with the request");
    }
    let signed_in = !matches!(bearer_token(&headers), Ok(None));
    if !signed_in
        && !opens_anything_anonymously(&state.policy.current())
        && root_fields(&mut request)
            .iter()
            .any(|f| f != "login" && f != "__typename")
    {
        // Without a sign-in only `login` is open: anything else is answered the same way,
        // whether the field exists or not, so the answers tell nothing of the schema.
        let body = serde_json::json!({
            "data": null,
            "errors": [{ "message": "authentication required", "extensions": { "code": "UNAUTHENTICATED" } }],
        });
        return (StatusCode::OK, Json(body)).into_response();
    }
    let (principal, epoch) = match bearer_token(&headers) {
        Err(()) => {
            return unauthenticated("the Authorization header must be `Bearer <token>`");
        }
        Ok(None) => (None, None),
        Ok(Some(token)) => {
            let Some((user, token_epoch)) = state.auth.tokens.verify(token) else {
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
                Ok(Some(principal)) if principal.token_epoch == token_epoch => {
                    (Some(principal), epoch)
                }
                Ok(Some(_)) => {
                    return unauthenticated(
                        "the access token was ended by a change to the account: sign in again",
                    );
                }
                Ok(None) => return unauthenticated("the account is disabled or no longer exists"),
                Err(err) => {
                    let err = async_graphql::Error::from(err);
                    return refusal(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", &err.message);
                }
            }
        }
    };
    // Anonymous callers learn nothing of the schema: no introspection, no suggestions.
    let anonymous = principal.is_none();
    let schema = if principal.is_some() {
        state.schema.clone()
    } else {
        request = request.disable_introspection();
        state.anonymous_schema.clone()
    };
    let access = Access::new(principal, state.policy.current());
    let attendance = access
        .scope(Resource::Attendance, Action::Read)
        .unwrap_or_else(|_| Scope::nothing());
    let sent = Sent {
        query: request.query.clone(),
        operation_name: request.operation_name.clone(),
        variables: request.variables.clone(),
        strings: std::sync::OnceLock::new(),
    };
    let uploads = request.uploads.len();
    let mut request = request
        .data(crate::graphql::mutation::UploadCount(uploads))
        .data(Loaders::new(&state.db, attendance))
        .data(access)
        .data(address);
    if let Some(epoch) = epoch {
        request = request.data(epoch);
    }
    let response = if mutation {
        // A change runs to its end even if the client goes away: its after-commit work (the
        // cache's invalidation) must not be cut off between the commit and the answer.
        match tokio::spawn(async move { schema.execute(request).await }).await {
            Ok(response) => response,
            Err(err) => {
                tracing::error!(error = %err, "a mutation's task failed");
                return refusal(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL",
                    "internal error",
                );
            }
        }
    } else {
        let limit = Duration::from_secs(state.settings.request_timeout_seconds);
        match tokio::time::timeout(limit, schema.execute(request)).await {
            Ok(response) => response,
            Err(_) => {
                return refusal(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "TIMEOUT",
                    &format!(
                        "the query did not finish within {} s: ask for less, or try again later",
                        limit.as_secs()
                    ),
                );
            }
        }
    };
    let response = match response.errors.as_slice() {
        [error] if crate::graphql::cost::is_over_budget(error) => {
            // Validated again, by a schema that only costs, to say by how much.
            let mut again =
                async_graphql::Request::new(sent.query.clone()).variables(sent.variables.clone());
            if let Some(name) = &sent.operation_name {
                again = again.operation_name(name.clone());
            }
            state.costing_schema.execute(again).await
        }
        _ => response,
    };
    respond(response, &sent, anonymous)
}

/// The HTTP answer to an executed operation: its errors coded, its size bounded, and a 429
/// with `Retry-After` when it was refused for too many attempts.
fn respond(mut response: async_graphql::Response, sent: &Sent, anonymous: bool) -> Response {
    for error in &mut response.errors {
        let engine_message = code_of(error).is_none();
        classify(error, sent);
        if anonymous && engine_message {
            // The engine's own messages name fields, arguments and types: a caller who has not
            // signed in learns none of them.
            error.message =
                "the operation is not valid; its details are shown to signed-in callers".to_owned();
            if let Some(extensions) = error.extensions.as_mut() {
                extensions.unset("field");
            }
        }
    }
    let retry_after = response
        .errors
        .iter()
        .filter(|e| code_of(e) == Some("RATE_LIMITED"))
        .filter_map(|e| match e.extensions.as_ref()?.get("retryAfter")? {
            async_graphql::Value::Number(n) => n.as_u64(),
            _ => None,
        })
        .max();
    let body = match serde_json::to_vec(&response) {
        Ok(body) if body.len() <= MAX_RESPONSE_BYTES => body,
        Ok(body) => {
            tracing::warn!(bytes = body.len(), "answer over the size cap refused");
            return refusal(
                StatusCode::OK,
                "BAD_USER_INPUT",
                &format!(
                    "the answer would be larger than {} MiB: ask for smaller pages or fewer fields",
                    MAX_RESPONSE_BYTES / (1024 * 1024)
                ),
            );
        }
        Err(err) => {
            tracing::error!(error = %err, "an answer could not be written as JSON");
            return refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal error",
            );
        }
    };
    let mut http = GraphQLResponse::from(async_graphql::Response::default()).into_response();
    *http.body_mut() = axum::body::Body::from(body);
    if let Some(seconds) = retry_after {
        *http.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        http.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    http.headers_mut().extend(response.http_headers);
    http
}

fn code_of(error: &async_graphql::ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code.as_str()),
        _ => None,
    }
}

/// Errors raised by the GraphQL engine itself (a syntax error, an unknown field, a variable of
/// the wrong type, a query too deep) carry no code; give them one, so that every error a client
/// sees has a stable `extensions.code`. Errors with no path are about the request as sent, and
/// so are arguments that failed to parse; anything else uncoded is internal.
fn classify(error: &mut async_graphql::ServerError, sent: &Sent) {
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
        let extensions = error.extensions.get_or_insert_with(Default::default);
        extensions.set("code", code);
        if bad_argument && let Some(field) = field_of_bad_value(&error.message, sent) {
            extensions.set("field", field);
        }
    }
}

/// What a client sent, kept to name the field of a value the engine could not parse.
struct Sent {
    query: String,
    operation_name: Option<String>,
    variables: async_graphql::Variables,
    /// The short strings of the variables and of the document's arguments, each with the
    /// name of the entry holding it; gathered once, for a request that failed.
    strings: std::sync::OnceLock<Vec<(String, String)>>,
}

/// Longer strings are no date, enum or code: they are not looked at.
const NAMED_VALUE_CHARS: usize = 64;

impl Sent {
    fn strings(&self) -> &[(String, String)] {
        self.strings.get_or_init(|| {
            use async_graphql::Value;
            use async_graphql::parser::types::Selection;
            let mut found = Vec::new();
            let mut pending: Vec<(Option<String>, Value)> = Vec::new();
            // Where each variable is used: the argument or input field it is given for.
            let mut uses: HashMap<String, String> = HashMap::new();
            // Only a request that failed pays for parsing again (the guard bounded it).
            if let Ok(document) = async_graphql::parser::parse_query(&self.query) {
                let mut sets: Vec<_> = document
                    .operations
                    .iter()
                    .map(|(_, op)| op.node.selection_set.node.clone())
                    .chain(
                        document
                            .fragments
                            .values()
                            .map(|f| f.node.selection_set.node.clone()),
                    )
                    .collect();
                while let Some(set) = sets.pop() {
                    for selection in set.items {
                        match selection.node {
                            Selection::Field(field) => {
                                for (name, value) in field.node.arguments {
                                    literal_strings(
                                        name.node.to_string(),
                                        value.node,
                                        &mut pending,
                                        &mut uses,
                                    );
                                }
                                sets.push(field.node.selection_set.node);
                            }
                            Selection::InlineFragment(inline) => {
                                sets.push(inline.node.selection_set.node);
                            }
                            Selection::FragmentSpread(_) => {}
                        }
                    }
                }
            }
            pending.extend(self.variables.iter().map(|(name, value)| {
                let key = uses.get(name.as_str()).cloned().unwrap_or(name.to_string());
                (Some(key), value.clone())
            }));
            while let Some((key, value)) = pending.pop() {
                match value {
                    Value::String(text) if text.chars().count() <= NAMED_VALUE_CHARS => {
                        if let Some(key) = key {
                            found.push((key, text));
                        }
                    }
                    Value::Object(fields) => {
                        pending.extend(fields.into_iter().map(|(k, v)| (Some(k.to_string()), v)))
                    }
                    Value::List(items) => {
                        pending.extend(items.into_iter().map(|v| (key.clone(), v)));
                    }
                    _ => {}
                }
            }
            found
        })
    }
}

/// Gathers the constant parts of an argument's value under the names they are given for, and
/// notes under which name each variable is used.
fn literal_strings(
    key: String,
    value: async_graphql_value::Value,
    pending: &mut Vec<(Option<String>, async_graphql::Value)>,
    uses: &mut HashMap<String, String>,
) {
    use async_graphql_value::Value;
    // The guard bounded the nesting of values: this recursion is shallow.
    match value {
        Value::Variable(name) => {
            uses.insert(name.to_string(), key);
        }
        Value::Object(fields) => {
            for (name, value) in fields {
                literal_strings(name.to_string(), value, pending, uses);
            }
        }
        Value::List(items) => {
            for value in items {
                literal_strings(key.clone(), value, pending, uses);
            }
        }
        other => {
            if let Some(value) = other.into_const() {
                pending.push((Some(key), value));
            }
        }
    }
}

/// The field a scalar or enum that failed to parse was given for. The engine names an
/// argument (`Invalid value for argument "input.foundedOn"`) or only the input type (`Failed
/// to parse "Date": "0000-01-01" … (occurred while parsing "CreateTeamInput")`); then the
/// field is the entry, in the variables or the document's arguments, holding a value the
/// message quotes.
fn field_of_bad_value(message: &str, sent: &Sent) -> Option<String> {
    if let Some(rest) = message.strip_prefix("Invalid value for argument \"") {
        let path = rest.split('"').next()?;
        return path.rsplit('.').next().map(str::to_owned);
    }
    // Every piece of the message between two quotes, once.
    let quoted: std::collections::HashSet<&str> = message.split('"').skip(1).step_by(2).collect();
    sent.strings()
        .iter()
        .find(|(_, value)| quoted.contains(value.as_str()))
        .map(|(key, _)| key.clone())
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

/// How many times the operation to run selects `name` at its root, through fragments too.
fn root_fields_named(request: &mut async_graphql::Request, name: &str) -> usize {
    root_fields(request).iter().filter(|f| *f == name).count()
}

/// The fields the operation to run selects at its root, through fragments too.
fn root_fields(request: &mut async_graphql::Request) -> Vec<String> {
    use async_graphql::parser::types::{DocumentOperations, Selection};
    let operation_name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return Vec::new();
    };
    let operation = match (&document.operations, operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(wanted)) => ops.get(wanted),
        (DocumentOperations::Multiple(ops), None) => ops.values().next(),
    };
    let Some(operation) = operation else {
        return Vec::new();
    };
    let mut names = Vec::new();
    // The guard refused fragment cycles and bounded their expansion before parsing.
    let mut pending = vec![&operation.node.selection_set.node];
    while let Some(set) = pending.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => names.push(field.node.name.node.to_string()),
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node)
                    {
                        pending.push(&fragment.node.selection_set.node);
                    }
                }
                Selection::InlineFragment(inline) => {
                    pending.push(&inline.node.selection_set.node);
                }
            }
        }
    }
    names
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
    parsed: moka::sync::Cache<String, Remembered>,
}

#[derive(Clone)]
struct Remembered {
    document: async_graphql::parser::types::ExecutableDocument,
    /// What the entry is taken to hold in memory, in bytes.
    weight: u32,
}

/// Longer operations are parsed every time rather than kept (a frontend's are well under).
const MAX_REMEMBERED_OPERATION: usize = 8 * 1024;

/// The memory the remembered operations may take, in bytes, as estimated by [`weight`].
const REMEMBERED_BYTES: u64 = 32 * 1024 * 1024;

/// A parsed operation's memory: its text, and a few hundred bytes for each token (a field,
/// its name, position and empty argument and directive lists). `{ a a a … }` of 8 KiB parses
/// to about 1 MiB: weighing the text alone let such operations fill far more than the cap.
fn weight(text: &str, tokens: usize) -> u32 {
    u32::try_from(text.len().saturating_add(tokens.saturating_mul(320))).unwrap_or(u32::MAX)
}

impl Documents {
    pub fn new() -> Documents {
        Documents {
            parsed: moka::sync::Cache::builder()
                .weigher(|_: &String, remembered: &Remembered| remembered.weight)
                .max_capacity(REMEMBERED_BYTES)
                .time_to_idle(Duration::from_secs(3600))
                .build(),
        }
    }

    /// Gives `request` its parsed operation, from memory when the same text was seen before.
    /// A syntax error is left for the engine to report. `tokens` is what the guard counted.
    fn parse(&self, request: &mut async_graphql::Request, tokens: usize) {
        if request.query.len() > MAX_REMEMBERED_OPERATION {
            return;
        }
        if let Some(remembered) = self.parsed.get(&request.query) {
            request.set_parsed_query(remembered.document);
        } else if let Ok(document) = request.parsed_query() {
            let remembered = Remembered {
                document: document.clone(),
                weight: weight(&request.query, tokens),
            };
            self.parsed.insert(request.query.clone(), remembered);
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

/// Whether the policy grants callers who have not signed in anything (a public dashboard).
fn opens_anything_anonymously(policy: &crate::authz::Policy) -> bool {
    Resource::ALL.iter().any(|resource| {
        [Action::Read, Action::Write]
            .into_iter()
            .any(|action| policy.allows(crate::authz::ANONYMOUS, "/", *resource, action))
    })
}

const UPLOAD_PLACEHOLDER: &str = "#__graphql_file__:";

/// Whether every upload placeholder among the variables names one of the `files` sent.
fn placeholders_name_files(variables: &async_graphql::Variables, files: usize) -> bool {
    use async_graphql::Value;
    let mut pending: Vec<&Value> = variables.values().collect();
    while let Some(value) = pending.pop() {
        match value {
            Value::String(text) => {
                if let Some(index) = text.strip_prefix(UPLOAD_PLACEHOLDER)
                    && !index.parse::<usize>().is_ok_and(|i| i < files)
                {
                    return false;
                }
            }
            Value::List(items) => pending.extend(items),
            Value::Object(fields) => pending.extend(fields.values()),
            _ => {}
        }
    }
    true
}

/// A request refused before it ran, naming the field at fault.
fn field_refusal(field: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "data": null,
        "errors": [{ "message": message, "extensions": { "code": "BAD_USER_INPUT", "field": field } }],
    });
    (StatusCode::OK, Json(body)).into_response()
}

/// A document the guard would not hand to the engine.
fn refused_document(refused: &guard::Refused) -> Response {
    let body = serde_json::json!({
        "data": null,
        "errors": [{
            "message": refused.message,
            "extensions": { "code": "BAD_USER_INPUT", "field": "query", "limit": refused.limit },
        }],
    });
    (StatusCode::OK, Json(body)).into_response()
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

/// Counters in the Prometheus text format; with `METRICS_TOKEN` set, for its bearer only.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
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
