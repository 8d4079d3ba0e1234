//! `/graphql`: from the HTTP request to the GraphQL answer, with the checks that come before
//! the engine sees an operation (its shape, the sign-in, what an anonymous caller may ask).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

mod request;

use request::*;

use super::ClientAddress;
use super::answer::{self, Answering, Sent, request_error, unauthenticated};
use super::answers;
use super::persisted::Unresolved;
use super::principal::Caller;
use super::wire::{self, Media, Refused, Transport};
use crate::app::AppState;
use crate::authz::{Access, Action, Resource};
use crate::config::Introspection;
use crate::graphql::guard::{self, DocumentLimits};
use crate::graphql::loaders::Loaders;

pub async fn graphql(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    address: ClientAddress,
    headers: HeaderMap,
    caller: Result<Caller, Response>,
    body: Bytes,
) -> Response {
    let started = std::time::Instant::now();
    let _in_flight = state.requests.metrics.in_flight();
    let mut operation = None;
    let response = match caller {
        Ok(caller) => {
            let arrived = Arrived {
                method,
                uri,
                address,
                headers,
                caller,
                body,
            };
            handle(&state, arrived, &mut operation).await
        }
        Err(refused) => refused,
    };
    state
        .requests
        .metrics
        .observe(operation.as_deref(), &response, started.elapsed());
    response
}

/// A request as it arrived, its caller known.
struct Arrived {
    method: Method,
    uri: Uri,
    address: ClientAddress,
    headers: HeaderMap,
    caller: Caller,
    body: Bytes,
}

/// Answers one request; `operation` is set to the name of the operation to run once known.
async fn handle(state: &AppState, arrived: Arrived, operation: &mut Option<String>) -> Response {
    let Some(media) = Media::negotiate(&arrived.headers) else {
        return Refused::new(
            StatusCode::NOT_ACCEPTABLE,
            "answers are `application/json` or `application/graphql-response+json`: \
             accept one of them",
        )
        .field("accept")
        .answer(None);
    };
    let incoming = match wire::read(
        &arrived.method,
        &arrived.uri,
        &arrived.headers,
        arrived.body,
    )
    .await
    {
        Ok(incoming) => incoming,
        Err(refused) => return refused.answer(Some(media)),
    };
    let mut request = incoming.request;
    let persisted = match state.requests.persisted.resolve(&mut request).await {
        Ok(persisted) => persisted,
        // The message is the protocol's: some clients look for it, not for the code.
        Err(Unresolved::Unknown) => {
            return request_error(media, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
                .into_response();
        }
        Err(Unresolved::Refused(refused)) => return refused.answer(Some(media)),
    };
    // Before anything recursive sees the document: for every caller, signed in or not.
    let limits = DocumentLimits::default();
    let scanned = match guard::scan(&request.query, &limits).and_then(|shape| {
        guard::check_variables(&request.variables, limits.max_depth).map(|_| shape)
    }) {
        Ok(shape) => shape,
        Err(refused) => return refused_document(media, &refused),
    };
    let document = state.requests.documents.parse(&mut request, scanned.tokens);
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
    // The fields the operation selects at its root, read once for the checks below.
    let roots = root_fields(&mut request);
    if mutation && roots.iter().filter(|f| *f == "login").count() > 1 {
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
    let token_sent = arrived.caller.token_sent();
    let introspection = state.settings.introspection;
    if !token_sent
        && !opens_anything_anonymously(&state.policy.current())
        && roots.iter().any(|f| {
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
    let Caller { principal, epoch } = arrived.caller;
    let administrator = principal.as_ref().is_some_and(|p| p.is_admin());
    if state.requests.persisted.trusted_only() && !administrator {
        let hash = match &persisted {
            Some(persisted) => persisted.hash.clone(),
            None => super::persisted::hash_of(&request.query),
        };
        if !state.requests.persisted.is_trusted(&hash) {
            return request_error(
                media,
                "PERSISTED_QUERY_NOT_IN_LIST",
                "this server runs only the operations of its trusted documents manifest",
            )
            .into_response();
        }
    }
    // Anonymous callers learn nothing of the schema: no suggestions, and no introspection
    // unless it is open to everyone.
    let anonymous = principal.is_none();
    let may_introspect = match introspection {
        Introspection::Everyone => true,
        Introspection::SignedIn => !anonymous,
        Introspection::Off => false,
    };
    if !may_introspect && roots.iter().any(|f| f == "__schema" || f == "__type") {
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
        state.schemas.anonymous.clone()
    } else {
        if introspection == Introspection::Off {
            request = request.disable_introspection();
        }
        state.schemas.signed_in.clone()
    };
    let access = Access::new(principal, state.policy.current());
    let attendance = access.reach(Resource::Attendance, Action::Read);
    let sent = Sent::new(&request, document);
    let uploads = request.uploads.len();
    // A repeated read whose units have not changed is answered with the bytes kept for it.
    let answers = state.requests.answers.as_deref();
    let keeping = match (answers, &sent.document) {
        (Some(_), Some(document)) if !mutation && uploads == 0 => answers::reading(
            &access,
            document,
            sent.operation_name.as_deref(),
            &sent.query,
            &sent.variables,
        ),
        _ => None,
    };
    let mut versions = None;
    let mut found = Vec::new();
    if let (Some(answers), Some(reading)) = (answers, &keeping) {
        if let Some(body) = answers.find(reading, state.cache()).await {
            return answer::kept(body, media);
        }
        // Read before the operation runs: a change after this makes what it reads unkept.
        if let Some(units) = reading
            .units(state.db(), state.cache(), epoch, &access, &mut found)
            .await
        {
            versions = state
                .cache()
                .versions_of(&units)
                .await
                .map(|versions| (units, versions));
        }
    }
    let mut request = request
        .data(crate::graphql::mutation::UploadCount(uploads))
        .data(Loaders::new(state.db(), state.cache().clone(), attendance))
        .data(access)
        .data(arrived.address);
    if let Some(epoch) = epoch {
        request = request.data(epoch);
    }
    if !found.is_empty() {
        request = request.data(crate::graphql::context::UnitsFound(found));
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
    // A document sent with its hash is kept once it has validated (and so ran), and only for
    // callers who signed in.
    if let Some(persisted) = &persisted
        && persisted.to_register
        && !anonymous
        && response.errors.iter().all(|e| !e.path.is_empty())
    {
        state
            .requests
            .persisted
            .register(persisted, &sent.query)
            .await;
    }
    let response = match response.errors.as_slice() {
        [error] if crate::graphql::cost::is_over_budget(error) => {
            // Validated again, by a schema that only costs, to say by how much.
            let mut again =
                async_graphql::Request::new(sent.query.clone()).variables(sent.variables.clone());
            if let Some(name) = &sent.operation_name {
                again = again.operation_name(name.clone());
            }
            state.schemas.costing.execute(again).await
        }
        _ => response,
    };
    let http = answer::respond(
        response,
        &Answering {
            media,
            sent: &sent,
            anonymous,
            token_sent,
        },
    );
    match (answers, keeping, versions) {
        (Some(answers), Some(reading), Some((units, versions))) if answer::is_clean(&http) => {
            let (parts, body) = http.into_parts();
            match axum::body::to_bytes(body, answer::MAX_RESPONSE_BYTES).await {
                Ok(bytes) => {
                    answers.keep(reading, units, versions, bytes.clone());
                    Response::from_parts(parts, axum::body::Body::from(bytes))
                }
                Err(err) => {
                    tracing::error!(error = %err, "an answer could not be read back");
                    answer::internal(media)
                }
            }
        }
        _ => http,
    }
}
