//! The answer's media type, chosen from `Accept` by quality.

use axum::http::{HeaderMap, HeaderValue, header};

/// The media type an answer is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    /// `application/json`: the default, and what `*/*` gets.
    Json,
    /// `application/graphql-response+json`: statuses tell request errors apart.
    GraphQLResponse,
}

pub const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

impl Media {
    /// The type the client asked for in `Accept`, by its quality; `None` when it accepts
    /// neither. No header, or `*/*`, is `application/json`. At equal quality the GraphQL
    /// type wins, as the specification asks.
    pub fn negotiate(headers: &HeaderMap) -> Option<Media> {
        let mut any = false;
        let mut best: Option<(f32, Media)> = None;
        for value in headers.get_all(header::ACCEPT) {
            any = true;
            let Ok(value) = value.to_str() else { continue };
            for range in value.split(',') {
                let mut parts = range.split(';');
                let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
                let mut quality = 1.0f32;
                for parameter in parts {
                    if let Some((name, value)) = parameter.split_once('=')
                        && name.trim().eq_ignore_ascii_case("q")
                    {
                        quality = value.trim().parse().unwrap_or(0.0);
                    }
                }
                if quality <= 0.0 {
                    continue;
                }
                let candidate = match media.as_str() {
                    GRAPHQL_RESPONSE => Media::GraphQLResponse,
                    "application/json" | "application/*" | "*/*" => Media::Json,
                    _ => continue,
                };
                let better = match best {
                    None => true,
                    Some((q, m)) => {
                        quality > q
                            || (quality == q
                                && candidate == Media::GraphQLResponse
                                && m == Media::Json)
                    }
                };
                if better {
                    best = Some((quality, candidate));
                }
            }
        }
        match best {
            Some((_, media)) => Some(media),
            None if !any => Some(Media::Json),
            None => None,
        }
    }

    pub fn content_type(self) -> HeaderValue {
        match self {
            Media::Json => HeaderValue::from_static("application/json"),
            Media::GraphQLResponse => {
                HeaderValue::from_static("application/graphql-response+json; charset=utf-8")
            }
        }
    }
}
