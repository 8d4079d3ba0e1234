//! Signed access tokens (JWT, HS256 only).

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::domain::UserId;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    /// The account's token epoch when the token was issued: a token of an earlier epoch was
    /// ended by a password change or by disabling the account. Tokens issued before epochs
    /// existed carry none and read as 0.
    #[serde(default)]
    pub ep: i64,
}

pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime: Duration,
}

/// The shortest secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

impl TokenIssuer {
    pub fn new(secret: &[u8], lifetime: Duration) -> anyhow::Result<TokenIssuer> {
        if secret.len() < MIN_SECRET_BYTES {
            anyhow::bail!("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long");
        }
        // Only HS256 is accepted: a token naming another algorithm, `none` included, is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 30;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Ok(TokenIssuer {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
            lifetime,
        })
    }

    pub fn issue(&self, user: UserId, epoch: i64) -> anyhow::Result<(String, DateTime<Utc>)> {
        let now = Utc::now();
        let expires = now + self.lifetime;
        let claims = Claims {
            sub: user.0.to_string(),
            iat: now.timestamp(),
            exp: expires.timestamp(),
            ep: epoch,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, expires))
    }

    /// The user a valid token names, with the account epoch it was issued in; `None` for
    /// anything else (bad signature, expired, malformed, another algorithm).
    pub fn verify(&self, token: &str) -> Option<(UserId, i64)> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        let user = data.claims.sub.parse().ok().map(UserId)?;
        Some((user, data.claims.ep))
    }
}
