//! Signing in.

use std::sync::Arc;

use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::auth::Auth;
use crate::db::Db;
use crate::domain::users;
use crate::error::AppError;
use crate::graphql::types::User;

#[derive(Default)]
pub struct AuthMutations;

/// A signed access token and who it is for.
#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

#[Object]
impl AuthMutations {
    /// Signs in. A wrong password and an unknown or disabled user get the same answer, after
    /// the same work.
    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> Result<LoginPayload> {
        let db = ctx.data_unchecked::<Db>();
        let auth = ctx.data_unchecked::<Arc<Auth>>().clone();
        let record = users::login_record(&db.conn, &username).await?;
        let (user_id, stored) = match record {
            Some((id, hash)) => (Some(id), Some(hash)),
            None => (None, None),
        };
        // Hashing is deliberately slow: keep it off the threads that serve other requests.
        let verifier = auth.clone();
        let matched = tokio::task::spawn_blocking(move || {
            verifier.passwords.verify(&password, stored.as_deref())
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
        let user_id = match (matched, user_id) {
            (true, Some(id)) => id,
            _ => return Err(AppError::WrongCredentials.into()),
        };
        let (token, expires_at) = auth.tokens.issue(user_id).map_err(AppError::Internal)?;
        let user = User::load(db, user_id).await?;
        Ok(LoginPayload {
            token,
            expires_at,
            user,
        })
    }
}
