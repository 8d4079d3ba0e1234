//! Signing in.

use crate::graphql::context::Parts;
use std::sync::Arc;

use crate::graphql::scalars::Timestamp;
use async_graphql::{Context, Object, Result, SimpleObject};

use crate::auth::{Auth, Outcome};
use crate::db::Db;
use crate::domain::users;
use crate::error::AppError;
use crate::graphql::types::User;
use crate::http::ClientAddress;

#[derive(Default)]
pub struct AuthMutations;

/// The account if `password` is its password; `None` for a wrong password or an unknown or
/// disabled account, after the same work.
async fn check_password(
    db: &Db,
    auth: &Arc<Auth>,
    account: &str,
    password: String,
) -> Result<Option<users::LoginRecord>, AppError> {
    let record = if account.is_empty() || password.len() > 1024 {
        None
    } else {
        users::login_record(&db.conn, account).await?
    };
    let stored = record.as_ref().map(|r| r.password_hash.clone());
    // Hashing is deliberately slow: keep it off the threads that serve other requests, on a
    // few threads of its own.
    let verifier = auth.clone();
    let matched = auth
        .sign_ins
        .hash(move || verifier.passwords.verify(&password, stored.as_deref()))
        .await?;
    Ok(record.filter(|_| matched))
}

/// A signed access token and who it is for.
#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: Timestamp,
    pub user: User,
}

#[Object]
impl AuthMutations {
    /// Signs in. A wrong password and an unknown or disabled user get the same answer, after
    /// the same work. After a few failures the account (and an address that failed on many)
    /// is refused for a while with `RATE_LIMITED`, the right password included.
    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> Result<LoginPayload> {
        let db = ctx.service().db();
        let auth = ctx.service().auth().clone();
        let address = ctx.data_opt::<ClientAddress>().and_then(|a| a.0);
        // A name no account can have is counted under one name of its own.
        let account = users::normalise_username(&username).unwrap_or_default();
        auth.sign_ins.reserve(&account, address).await?;
        let checked = check_password(db, &auth, &account, password).await;
        let outcome = match &checked {
            Ok(Some(_)) => Outcome::Succeeded,
            Ok(None) => Outcome::Failed,
            Err(_) => Outcome::NotMade,
        };
        auth.sign_ins.settle(&account, address, outcome).await;
        let Some(record) = checked? else {
            return Err(AppError::WrongCredentials.into());
        };
        let (token, expires_at) = auth
            .tokens
            .issue(record.id, record.token_epoch)
            .map_err(AppError::Internal)?;
        let user = User::load(db, record.id).await?;
        Ok(LoginPayload {
            token,
            expires_at: expires_at.into(),
            user,
        })
    }
}
