//! `/graphql`: from the HTTP request to the GraphQL answer, with the checks that come before
//! the engine sees an operation (its shape, the sign-in, what an anonymous caller may ask).

use std::sync::Arc;
use std::time::Duration;

use async_graphql::parser::types::ExecutableDocument;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::ClientAddress;
use super::answer::{self, Answering, Sent, request_error, unauthenticated};
use super::wire::{self, Media, Refused, Transport};
use crate::app::AppState;
use crate::authz::{Access, Action, Resource, Scope};
use crate::config::Introspection;
use crate::domain::users;
use crate::graphql::guard::{self, DocumentLimits};
use crate::graphql::loaders::Loaders;

pub async fn graphql(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    address: ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = std::time::Instant::now();
    let _in_flight = state.metrics.in_flight();
    let mut operation = None;
    let response = handle(&state, method, uri, address, headers, body, &mut operation).await;
    state
        .metrics
        .observe(operation.as_deref(), &response, started.elapsed());
    response
}

/// Answers one request; `operation` is set to the name of the operation to run once known.
async fn handle(
    state: &AppState,
    method: Method,
    uri: Uri,
    address: ClientAddress,
    headers: HeaderMap,
    body: Bytes,
    operation: &mut Option<String>,
) -> Response {
    let Some(media) = Media::negotiate(&headers) else {
        return Refused::new(
            StatusCode::NOT_ACCEPTABLE,
            "answers are `application/json` or `application/graphql-response+json`: \
             accept one of them",
        )
        .field("accept")
        .answer(None);
    };
    let incoming = match wire::read(&method, &uri, &headers, body).await {
        Ok(incoming) => incoming,
        Err(refused) => return refused.answer(Some(media)),
    };
    let mut request = incoming.request;
    let persisted = match state.persisted.resolve(&mut request).await {
        Ok(persisted) => persisted,
        // Not an HTTP failure: the client registers the document and goes on.
        Err(unknown) if unknown.code == "PERSISTED_QUERY_NOT_FOUND" => {
            return request_error(media, unknown.code, &unknown.message).into_response();
        }
        Err(refused) => return refused.answer(Some(media)),
    };
    // Before anything recursive sees the document: for every caller, signed in or not.
    let limits = DocumentLimits::default();
    let scanned = match guard::scan(&request.query, &limits).and_then(|shape| {
        guard::check_variables(&request.variables, limits.max_depth).map(|_| shape)
    }) {
        Ok(shape) => shape,
        Err(refused) => return refused_document(media, &refused),
    };
    let document = state.documents.parse(&mut request, scanned.tokens);
    *operation = match &request.operation_name {
        Some(name) => Some(name.clone()),
        None => document.as_ref().and_then(|d| match &d.operations {
            async_graphql::parser::types::DocumentOperations::Single(_) => None,
            async_graphql::parser::types::DocumentOperations::Multiple(ops) if ops.len() == 1 => {
                ops.keys().next().map(|n| n.to_string())
            }
            _ => None,
        }),
    };
    // Before validation: what would make it slow, counted on the engine's own parse.
    if let Some(document) = &document
        && let Err(refused) = guard::check_document(document, &limits)
    {
        return refused_document(media, &refused);
    }
    let mutation = is_mutation(&mut request);
    if incoming.transport == Transport::Get && mutation {
        // A GET can be replayed by a link or an image tag, and ends up in logs.
        let mut refused = Refused::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "mutations must be sent with POST",
        )
        .code("BAD_USER_INPUT");
        refused.allow = Some("POST");
        return refused.answer(Some(media));
    }
    if mutation && root_fields_named(&mut request, "login") > 1 {
        // Several guesses in one request would get around the count of failed attempts.
        return request_error(
            media,
            "BAD_USER_INPUT",
            "one login per request; none was run",
        )
        .with("field", "login")
        .into_response();
    }
    // Placeholders of uploaded files are the multipart request's to set: one written into the
    // document, or naming a file the request did not carry, would make the engine panic.
    if request.query.contains(UPLOAD_PLACEHOLDER)
        || !placeholders_name_files(&request.variables, request.uploads.len())
    {
        return request_error(
            media,
            "BAD_USER_INPUT",
            "no such file was sent with the request",
        )
        .with("field", "file")
        .into_response();
    }
    let token = bearer_token(&headers);
    let token_sent = !matches!(token, Ok(None));
    let introspection = state.settings.introspection;
    if !token_sent
        && !opens_anything_anonymously(&state.policy.current())
        && root_fields(&mut request).iter().any(|f| {
            !(f == "login"
                || f == "__typename"
                || (introspection == Introspection::Everyone && (f == "__schema" || f == "__type")))
        })
    {
        // Without a sign-in only `login` is open: anything else is answered the same way,
        // whether the field exists or not, so the answers tell nothing of the schema.
        return unauthenticated(
            media,
            "authentication required: sign in with `login`",
            false,
        );
    }
    if let Some(document) = &document
        && let Some(missing) = missing_variable(document, &request)
    {
        return request_error(media, "BAD_USER_INPUT", &missing.message)
            .with("field", missing.name.clone())
            .with("variable", missing.name)
            .into_response();
    }
    let (principal, epoch) = match token {
        Err(()) => {
            return unauthenticated(
                media,
                "the Authorization header must be `Bearer <token>`",
                true,
            );
        }
        Ok(None) => (None, None),
        Ok(Some(token)) => {
            let Some((user, token_epoch)) = state.auth.tokens.verify(token) else {
                return unauthenticated(media, "the access token is invalid or has expired", true);
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
                        media,
                        "the access token was ended by a change to the account: sign in again",
                        true,
                    );
                }
                Ok(None) => {
                    return unauthenticated(
                        media,
                        "the account is disabled or no longer exists",
                        true,
                    );
                }
                Err(err) => {
                    tracing::error!(error = ?err, "the caller's account could not be read");
                    return answer::internal(media);
                }
            }
        }
    };
    let administrator = principal
        .as_ref()
        .is_some_and(|p| p.grants.iter().any(|g| g.role == crate::authz::Role::Admin));
    if state.persisted.trusted_only() && !administrator {
        let hash = match &persisted {
            Some(persisted) => persisted.hash.clone(),
            None => super::persisted::hash_of(&request.query),
        };
        if !state.persisted.is_trusted(&hash) {
            return request_error(
                media,
                "PERSISTED_QUERY_NOT_IN_LIST",
                "this server runs only the operations of its trusted documents manifest",
            )
            .into_response();
        }
    }
    if let Some(persisted) = &persisted
        && persisted.to_register
        && principal.is_some()
    {
        state.persisted.register(persisted, &request.query).await;
    }
    // Anonymous callers learn nothing of the schema: no suggestions, and no introspection
    // unless it is open to everyone.
    let anonymous = principal.is_none();
    let may_introspect = match introspection {
        Introspection::Everyone => true,
        Introspection::SignedIn => !anonymous,
        Introspection::Off => false,
    };
    if !may_introspect
        && root_fields(&mut request)
            .iter()
            .any(|f| f == "__schema" || f == "__type")
    {
        // Refused out loud: the engine would answer `null`, which a tool takes for a schema.
        if anonymous {
            return unauthenticated(media, "sign in to read the schema", false);
        }
        return request_error(
            media,
            "BAD_USER_INPUT",
            "introspection is turned off on this server (INTROSPECTION=off)",
        )
        .with("field", "__schema")
        .into_response();
    }
    let schema = if anonymous {
        if introspection != Introspection::Everyone {
            request = request.disable_introspection();
        }
        state.anonymous_schema.clone()
    } else {
        if introspection == Introspection::Off {
            request = request.disable_introspection();
        }
        state.schema.clone()
    };
    let access = Access::new(principal, state.policy.current());
    let attendance = access
        .scope(Resource::Attendance, Action::Read)
        .unwrap_or_else(|_| Scope::nothing());
    let sent = Sent::new(&request, document);
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
        let work = async move { schema.execute(request).await };
        match tokio::spawn(tracing::Instrument::in_current_span(work)).await {
            Ok(response) => response,
            Err(err) => {
                tracing::error!(error = %err, "a mutation's task failed");
                return answer::internal(media);
            }
        }
    } else {
        let limit = Duration::from_secs(state.settings.request_timeout_seconds);
        match tokio::time::timeout(limit, schema.execute(request)).await {
            Ok(response) => response,
            Err(_) => {
                return Refused::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "the query did not finish within {} s: ask for less, or try again later",
                        limit.as_secs()
                    ),
                )
                .code("TIMEOUT")
                .answer(Some(media));
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
    answer::respond(
        response,
        &Answering {
            media,
            sent: &sent,
            anonymous,
            token_sent,
        },
    )
}

/// A document the guard would not hand to the engine.
fn refused_document(media: Media, refused: &guard::Refused) -> Response {
    request_error(media, "BAD_USER_INPUT", &refused.message)
        .with("field", "query")
        .with("limit", refused.limit)
        .into_response()
}

/// A variable the operation declares as required that the request does not give.
struct Missing {
    name: String,
    message: String,
}

/// The first variable of the operation to run that is required (`!`, no default) and was not
/// given, or given as null. The engine would report it only when a resolver reads it, as an
/// error of that field.
fn missing_variable(
    document: &ExecutableDocument,
    request: &async_graphql::Request,
) -> Option<Missing> {
    use async_graphql::parser::types::DocumentOperations;
    let operation = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name)?,
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next()?,
        _ => return None,
    };
    operation
        .node
        .variable_definitions
        .iter()
        .find_map(|definition| {
            let definition = &definition.node;
            if definition.var_type.node.nullable || definition.default_value.is_some() {
                return None;
            }
            let name = definition.name.node.as_str();
            let given = request.variables.get(definition.name.node.as_str());
            let what = match given {
                None => "was not given",
                Some(async_graphql::Value::Null) => "is null",
                Some(_) => return None,
            };
            Some(Missing {
                name: name.to_owned(),
                message: format!(
                    "variable ${name} of type {} is required but {what}",
                    definition.var_type.node
                ),
            })
        })
}

/// `Ok(None)` without an Authorization header; `Err` for one that is not a bearer token.
pub(super) fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, ()> {
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
    document: Arc<ExecutableDocument>,
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

    /// Gives `request` its parsed operation, from memory when the same text was seen before,
    /// and returns it. A syntax error is left for the engine to report. `tokens` is what the
    /// guard counted.
    fn parse(
        &self,
        request: &mut async_graphql::Request,
        tokens: usize,
    ) -> Option<Arc<ExecutableDocument>> {
        let remember = request.query.len() <= MAX_REMEMBERED_OPERATION;
        if remember && let Some(remembered) = self.parsed.get(&request.query) {
            request.set_parsed_query(ExecutableDocument::clone(&remembered.document));
            return Some(remembered.document);
        }
        let document = Arc::new(request.parsed_query().ok()?.clone());
        if remember {
            let remembered = Remembered {
                document: document.clone(),
                weight: weight(&request.query, tokens),
            };
            self.parsed.insert(request.query.clone(), remembered);
        }
        Some(document)
    }
}

impl Default for Documents {
    fn default() -> Self {
        Documents::new()
    }
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
