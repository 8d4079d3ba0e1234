//! Writing answers: every error with a stable `extensions.code`, fields in the order they were
//! asked for, the status the media type calls for, and a bound on the size.

use async_graphql::{ServerError, Value};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use super::sent::Sent;
use super::sent::{field_of_bad_value, variable_of_bad_argument};
use super::wire::{Media, Refused};

/// The answer a client gets at most, in bytes of JSON: the cost budget keeps ordinary
/// operations far below; this bounds what a few large records could still add.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// What became of a GraphQL request, for the metrics: carried in the answer's extensions.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The operation ran (its answer may still hold errors).
    pub ran: bool,
    /// The `extensions.code` of each error answered.
    pub codes: Vec<String>,
}

/// A request error the gateway found before the engine ran the operation (a document over a
/// limit, a missing variable): 200 as `application/json`, 400 as the GraphQL media type.
pub fn request_error(media: Media, code: &'static str, message: &str) -> RequestError {
    RequestError {
        media,
        error: serde_json::json!({ "message": message, "extensions": { "code": code } }),
    }
}

pub struct RequestError {
    media: Media,
    error: serde_json::Value,
}

impl RequestError {
    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> RequestError {
        self.error["extensions"][key] = value.into();
        self
    }
}

impl IntoResponse for RequestError {
    fn into_response(self) -> Response {
        let status = match self.media {
            Media::Json => StatusCode::OK,
            Media::GraphQLResponse => StatusCode::BAD_REQUEST,
        };
        let code = self.error["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let body = serde_json::json!({ "errors": [self.error] });
        let mut response = (status, axum::Json(body)).into_response();
        response.extensions_mut().insert(Outcome {
            ran: false,
            codes: vec![code],
        });
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, self.media.content_type());
        response
    }
}

/// Authentication that failed or is missing: 401 in every media type, with the challenge. A
/// token that was sent and refused says why in the challenge too.
pub fn unauthenticated(media: Media, message: &str, token_sent: bool) -> Response {
    let mut response = Refused::new(StatusCode::UNAUTHORIZED, message)
        .code("UNAUTHENTICATED")
        .answer(Some(media));
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, challenge(token_sent));
    response
}

fn challenge(token_sent: bool) -> HeaderValue {
    if token_sent {
        HeaderValue::from_static("Bearer error=\"invalid_token\"")
    } else {
        HeaderValue::from_static("Bearer")
    }
}

/// An internal failure: the details stay in the log.
pub fn internal(media: Media) -> Response {
    Refused::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        .code("INTERNAL")
        .answer(Some(media))
}

/// The body of an answer without `data`: the operation never ran.
#[derive(Serialize)]
struct NotRun<'a> {
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, Value>,
}

/// How an executed (or refused) operation is answered.
pub struct Answering<'a> {
    pub media: Media,
    pub sent: &'a Sent,
    /// The caller did not sign in: engine messages are not shown in detail.
    pub anonymous: bool,
    /// A token was sent (and refused, if the answer is UNAUTHENTICATED).
    pub token_sent: bool,
}

/// The HTTP answer to an executed operation: its errors coded, its `data` in the shape the
/// operation asked for ([`super::shape`]), its size bounded; the status tells a request that never ran (400 as the GraphQL media
/// type), a missing sign-in (401) and too many attempts (429 with `Retry-After`).
pub fn respond(mut response: async_graphql::Response, how: &Answering) -> Response {
    for error in &mut response.errors {
        let engine_message = code_of(error).is_none();
        classify(error, how.sent);
        if how.anonymous && engine_message {
            // The engine's own messages name fields, arguments and types: a caller who has not
            // signed in learns none of them.
            error.message =
                "the operation is not valid; its details are shown to signed-in callers".to_owned();
            if let Some(extensions) = error.extensions.as_mut() {
                extensions.unset("field");
                extensions.unset("variable");
            }
        }
    }
    // Errors before execution have no path, and no data was produced.
    let not_run = matches!(response.data, Value::Null)
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    if !not_run && let Some(document) = &how.sent.document {
        super::shape::complete(
            &mut response.data,
            &response.errors,
            document,
            how.sent.operation_name.as_deref(),
        );
    }
    let unauthenticated = matches!(response.data, Value::Null)
        && response
            .errors
            .iter()
            .any(|e| code_of(e) == Some("UNAUTHENTICATED"));
    let retry_after = response
        .errors
        .iter()
        .filter(|e| code_of(e) == Some("RATE_LIMITED"))
        .filter_map(|e| match e.extensions.as_ref()?.get("retryAfter")? {
            Value::Number(n) => n.as_u64(),
            _ => None,
        })
        .max();
    let written = if not_run {
        serde_json::to_vec(&NotRun {
            errors: &response.errors,
            extensions: &response.extensions,
        })
    } else {
        serde_json::to_vec(&response)
    };
    let body = match written {
        Ok(body) if body.len() <= MAX_RESPONSE_BYTES => body,
        Ok(body) => {
            tracing::warn!(bytes = body.len(), "answer over the size cap refused");
            return Refused::new(
                StatusCode::OK,
                format!(
                    "the answer would be larger than {} MiB: ask for smaller pages or fewer fields",
                    MAX_RESPONSE_BYTES / (1024 * 1024)
                ),
            )
            .code("BAD_USER_INPUT")
            .answer(Some(how.media));
        }
        Err(err) => {
            tracing::error!(error = %err, "an answer could not be written as JSON");
            return internal(how.media);
        }
    };
    let status = if retry_after.is_some() {
        StatusCode::TOO_MANY_REQUESTS
    } else if unauthenticated {
        StatusCode::UNAUTHORIZED
    } else if not_run && how.media == Media::GraphQLResponse {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut http = (status, body).into_response();
    http.extensions_mut().insert(Outcome {
        ran: !not_run,
        codes: response
            .errors
            .iter()
            .map(|e| code_of(e).unwrap_or_default().to_owned())
            .collect(),
    });
    http.headers_mut()
        .insert(header::CONTENT_TYPE, how.media.content_type());
    if let Some(seconds) = retry_after {
        http.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if unauthenticated {
        http.headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge(how.token_sent));
    }
    http.headers_mut().extend(response.http_headers);
    http
}

/// An answer sent again as it was kept: 200, the operation ran without an error.
pub fn kept(body: axum::body::Bytes, media: Media) -> Response {
    let mut http = (StatusCode::OK, body).into_response();
    http.extensions_mut().insert(Outcome {
        ran: true,
        codes: Vec::new(),
    });
    http.headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    http
}

/// Whether an answer may be kept: 200, the operation ran, no error, nothing but its type in
/// the headers.
pub fn is_clean(http: &Response) -> bool {
    http.status() == StatusCode::OK
        && http
            .extensions()
            .get::<Outcome>()
            .is_some_and(|o| o.ran && o.codes.is_empty())
        && http.headers().len() == 1
}

pub fn code_of(error: &ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        Value::String(code) => Some(code.as_str()),
        _ => None,
    }
}

/// Errors raised by the GraphQL engine itself (a syntax error, an unknown field, a variable of
/// the wrong type) carry no code; give them one, so that every error a client sees has a
/// stable `extensions.code`. Errors with no path are about the request as sent, and so are
/// arguments that failed to parse; anything else uncoded is internal.
fn classify(error: &mut ServerError, sent: &Sent) {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if has_code {
        return;
    }
    if let Some(one_line) = syntax_message(&error.message, &error.locations) {
        error.message = one_line;
    }
    let bad_argument = error.message.starts_with("Failed to parse")
        || error.message.starts_with("Invalid value for argument")
        // A literal of the wrong kind for a scalar (`asOf: 20250101`).
        || error.message.starts_with("Expected input type");
    let code = if error.path.is_empty() || bad_argument {
        "BAD_USER_INPUT"
    } else {
        "INTERNAL"
    };
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", code);
    if bad_argument {
        if let Some(field) = field_of_bad_value(&error.message, sent) {
            extensions.set("field", field);
        }
        if let Some(variable) = variable_of_bad_argument(&error.message, sent) {
            error.message = format!("variable ${variable}: {}", error.message);
            extensions.set("variable", variable);
        }
    }
}

/// The parser's report (` --> 1:2`, the line, a caret, `= expected selection`) as one line.
fn syntax_message(message: &str, locations: &[async_graphql::Pos]) -> Option<String> {
    if !message.starts_with(" --> ") {
        return None;
    }
    let expected = message
        .rsplit_once("\n  = ")
        .map(|(_, what)| what.trim())
        .unwrap_or("unexpected text");
    Some(match locations.first() {
        Some(at) => format!(
            "syntax error at line {}, column {}: {expected}",
            at.line, at.column
        ),
        None => format!("syntax error: {expected}"),
    })
}

#[cfg(test)]
mod tests;
