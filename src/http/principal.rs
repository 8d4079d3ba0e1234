//! Who is calling: the bearer token, checked once per request before the handler runs. A token
//! that is sent and refused is an error, never a quiet fall back to anonymous.

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, header};
use axum::response::Response;

use super::answer::{self, unauthenticated};
use super::wire::Media;
use crate::app::AppState;
use crate::authz::Principal;
use crate::cache::Epoch;
use crate::domain::users;

/// The caller of one request.
pub struct Caller {
    /// `None`: no token was sent.
    pub principal: Option<Principal>,
    /// The cache's epoch the account was checked against, for the request's own reads.
    pub epoch: Option<Epoch>,
}

impl Caller {
    pub fn token_sent(&self) -> bool {
        self.principal.is_some()
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Caller, Response> {
        let media = Media::negotiate(&parts.headers).unwrap_or(Media::Json);
        let token = match bearer_token(&parts.headers) {
            Err(()) => {
                return Err(unauthenticated(
                    media,
                    "the Authorization header must be `Bearer <token>`",
                    true,
                ));
            }
            Ok(None) => {
                return Ok(Caller {
                    principal: None,
                    epoch: None,
                });
            }
            Ok(Some(token)) => token,
        };
        let refused = |message: &str| unauthenticated(media, message, true);
        let Some((user, token_epoch)) = state.service.auth().tokens.verify(token) else {
            return Err(refused("the access token is invalid or has expired"));
        };
        // What this replica remembers of the account is used only while no process has
        // announced a change since: a disabled account is refused on its next request.
        let epoch = state.cache().epoch().await;
        let found = state
            .cache()
            .principals
            .get_or_load(epoch, user, users::principal(&state.db().conn, user))
            .await;
        match found {
            Ok(Some(principal)) if principal.token_epoch() == token_epoch => Ok(Caller {
                principal: Some(principal),
                epoch,
            }),
            Ok(Some(_)) => Err(refused(
                "the access token was ended by a change to the account: sign in again",
            )),
            Ok(None) => Err(refused("the account is disabled or no longer exists")),
            Err(err) => {
                tracing::error!(error = ?err, "the caller's account could not be read");
                Err(answer::internal(media))
            }
        }
    }
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
