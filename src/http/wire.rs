//! GraphQL over HTTP: reading a request as the specification describes it, choosing the
//! answer's media type from `Accept`, and shaping every failure, down to a body that is not
//! JSON, as a GraphQL answer with an `extensions.code`.
//!
//! Two media types are answered. `application/json` is what every client understands: a
//! request that could not run is still a 200 with its errors. `application/graphql-response+json`
//! (asked for by current clients) lets the status speak: a document that does not parse or
//! validate, or variables that do not fit, answer 400 with no `data` entry.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

mod media;

pub use media::{GRAPHQL_RESPONSE, Media};

/// A request refused before it ran, with the status it gets whatever the media type.
#[derive(Debug, Clone)]
pub struct Refused {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The parameter, header or argument at fault.
    pub field: Option<&'static str>,
    /// For a 405: the methods that would be accepted.
    pub allow: Option<&'static str>,
}

impl Refused {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Refused {
        Refused {
            status,
            code: "BAD_REQUEST",
            message: message.into(),
            field: None,
            allow: None,
        }
    }

    pub fn field(mut self, field: &'static str) -> Refused {
        self.field = Some(field);
        self
    }

    pub fn code(mut self, code: &'static str) -> Refused {
        self.code = code;
        self
    }

    /// The answer, in the media type the client accepts (JSON when it accepts neither).
    pub fn answer(&self, media: Option<Media>) -> Response {
        let mut extensions = Map::new();
        extensions.insert("code".into(), self.code.into());
        if let Some(field) = self.field {
            extensions.insert("field".into(), field.into());
        }
        let body = json!({ "errors": [{ "message": self.message, "extensions": extensions }] });
        let mut response = (self.status, Json(body)).into_response();
        response.extensions_mut().insert(super::answer::Outcome {
            ran: false,
            codes: vec![self.code.to_owned()],
        });
        let media = media.unwrap_or(Media::Json);
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, media.content_type());
        if let Some(allow) = self.allow {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

/// The methods `/graphql` answers.
pub const GRAPHQL_METHODS: &str = "GET, POST";

/// A method `/graphql` does not answer.
pub fn method_not_allowed(method: &Method) -> Refused {
    Refused {
        allow: Some(GRAPHQL_METHODS),
        ..Refused::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not answered here: send GraphQL with POST (or queries with GET)"),
        )
    }
}

/// A request's body did not arrive whole or was too large.
pub fn body_too_large(limit: usize) -> Refused {
    Refused::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request's body is larger than {limit} bytes, or was cut off"),
    )
    .field("body")
}

/// How a request was sent: whether it may change anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Get,
    Post,
}

/// What the request carries, before the engine sees its document.
pub struct Incoming {
    pub request: async_graphql::Request,
    pub transport: Transport,
}

/// Reads the GraphQL request from a GET's query string or a POST's body. `body` has been read
/// whole within its limits already.
pub async fn read(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: axum::body::Bytes,
) -> Result<Incoming, Refused> {
    if method == Method::GET || method == Method::HEAD {
        let request = from_query_string(uri.query().unwrap_or(""))?;
        return Ok(Incoming {
            request,
            transport: Transport::Get,
        });
    }
    if method != Method::POST {
        return Err(method_not_allowed(method));
    }
    let Some(content_type) = headers.get(header::CONTENT_TYPE) else {
        return Err(unsupported_media(
            "the request has no Content-Type: send `application/json`",
        ));
    };
    let content_type = content_type
        .to_str()
        .map_err(|_| unsupported_media("the Content-Type header is not readable text"))?;
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    for parameter in parts {
        if let Some((name, value)) = parameter.split_once('=')
            && name.trim().eq_ignore_ascii_case("charset")
            && !value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        {
            return Err(unsupported_media(
                "the request's body must be UTF-8 (charset=utf-8)",
            ));
        }
    }
    let request = match essence.as_str() {
        "application/json" => from_json(&body)?,
        "application/graphql" => {
            let text = std::str::from_utf8(&body).map_err(|_| {
                Refused::new(StatusCode::BAD_REQUEST, "the document is not UTF-8").field("query")
            })?;
            if text.trim().is_empty() {
                return Err(no_body());
            }
            async_graphql::Request::new(text)
        }
        "multipart/form-data" => from_multipart(content_type, body).await?,
        _ => {
            return Err(unsupported_media(format!(
                "`{essence}` is not a GraphQL request: send `application/json` \
                 (or `multipart/form-data` with files)"
            )));
        }
    };
    Ok(Incoming {
        request,
        transport: Transport::Post,
    })
}

fn unsupported_media(message: impl Into<String>) -> Refused {
    Refused::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message).field("content-type")
}

fn no_body() -> Refused {
    Refused::new(
        StatusCode::BAD_REQUEST,
        "the request has no body: send {\"query\": \"…\"}",
    )
    .field("body")
}

/// The parameters of a request, given as JSON (a POST body) or as JSON text (a GET's
/// `variables` and `extensions`).
fn from_parameters(parameters: Map<String, Value>) -> Result<async_graphql::Request, Refused> {
    let bad = |field: &'static str, wanted: &str| {
        Refused::new(
            StatusCode::BAD_REQUEST,
            format!("`{field}` must be {wanted}"),
        )
        .field(field)
    };
    let persisted = parameters
        .get("extensions")
        .and_then(|e| e.get("persistedQuery"))
        .is_some();
    let query = match parameters.get("query") {
        Some(Value::String(query)) => query.clone(),
        // Only the hash: the document is looked up by it.
        None | Some(Value::Null) if persisted => String::new(),
        None | Some(Value::Null) => {
            return Err(Refused::new(
                StatusCode::BAD_REQUEST,
                "the request has no `query`: send the GraphQL document as a string",
            )
            .field("query"));
        }
        Some(_) => return Err(bad("query", "a string holding the GraphQL document")),
    };
    let mut request = async_graphql::Request::new(query);
    match parameters.get("operationName") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => request = request.operation_name(name.clone()),
        Some(_) => return Err(bad("operationName", "a string or null")),
    }
    match parameters.get("variables") {
        None | Some(Value::Null) => {}
        Some(Value::Object(variables)) => {
            request = request.variables(async_graphql::Variables::from_json(Value::Object(
                variables.clone(),
            )));
        }
        Some(_) => return Err(bad("variables", "an object or null")),
    }
    match parameters.get("extensions") {
        None | Some(Value::Null) => {}
        Some(Value::Object(extensions)) => {
            for (name, value) in extensions {
                let value = async_graphql::Value::from_json(value.clone())
                    .map_err(|_| bad("extensions", "an object of JSON values"))?;
                request.extensions.insert(name.clone(), value);
            }
        }
        Some(_) => return Err(bad("extensions", "an object or null")),
    }
    Ok(request)
}

fn from_json(body: &[u8]) -> Result<async_graphql::Request, Refused> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(no_body());
    }
    let value: Value = serde_json::from_slice(body).map_err(|err| {
        Refused::new(
            StatusCode::BAD_REQUEST,
            format!("the request's body is not valid JSON: {err}"),
        )
        .field("body")
    })?;
    match value {
        Value::Object(parameters) => from_parameters(parameters),
        Value::Array(_) => Err(Refused::new(
            StatusCode::BAD_REQUEST,
            "batched operations are not accepted: send one operation per request",
        )
        .field("body")),
        _ => Err(Refused::new(
            StatusCode::BAD_REQUEST,
            "the request's body must be a JSON object: {\"query\": \"…\"}",
        )
        .field("body")),
    }
}

fn from_query_string(query: &str) -> Result<async_graphql::Request, Refused> {
    let mut parameters = Map::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let (name, value) = (name.into_owned(), value.into_owned());
        let value = match name.as_str() {
            "query" | "operationName" => Value::String(value),
            "variables" | "extensions" => {
                let field = if name == "variables" {
                    "variables"
                } else {
                    "extensions"
                };
                serde_json::from_str(&value).map_err(|err| {
                    Refused::new(
                        StatusCode::BAD_REQUEST,
                        format!("`{name}` in the URL is not valid JSON: {err}"),
                    )
                    .field(field)
                })?
            }
            _ => continue,
        };
        if parameters.insert(name.clone(), value).is_some() {
            return Err(Refused::new(
                StatusCode::BAD_REQUEST,
                format!("`{name}` is given more than once in the URL"),
            ));
        }
    }
    from_parameters(parameters)
}

/// A request with files, by the GraphQL multipart request specification.
async fn from_multipart(
    content_type: &str,
    body: axum::body::Bytes,
) -> Result<async_graphql::Request, Refused> {
    use async_graphql::ParseRequestError as E;
    let reader = async_graphql::futures_util::io::Cursor::new(body);
    async_graphql::http::receive_body(
        Some(content_type),
        reader,
        async_graphql::http::MultipartOptions::default(),
    )
    .await
    .map_err(|err| {
        let message = match &err {
            E::UnsupportedBatch => {
                "batched operations are not accepted: send one operation per request".to_owned()
            }
            E::PayloadTooLarge => "a file is larger than the request may carry".to_owned(),
            E::InvalidRequest(inner) => format!("the `operations` part is not a request: {inner}"),
            E::InvalidFilesMap(inner) => format!("the `map` part is not valid: {inner}"),
            E::InvalidMultipart(inner) => format!("the multipart body is not valid: {inner}"),
            E::MissingOperatorsPart => "the multipart body has no `operations` part".to_owned(),
            E::MissingMapPart => "the multipart body has no `map` part".to_owned(),
            E::NotUpload => "a file may be given only for an Upload variable".to_owned(),
            E::MissingFiles => "the `map` part names a file the request did not carry".to_owned(),
            other => format!("the multipart body is not valid: {other}"),
        };
        let status = if matches!(err, E::PayloadTooLarge) {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::BAD_REQUEST
        };
        Refused::new(status, message).field("body")
    })
}

#[cfg(test)]
mod tests;
