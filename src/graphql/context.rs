//! What a resolver reaches through its context: the [`Service`] (the database behind the
//! finders, the cache, the after-commit hooks, the rules and sign-in) and the typed caller
//! ([`Access`]). Both are put there by the schema and the request handler, and nothing else is.

use std::sync::Arc;

use async_graphql::Context;

use crate::auth::Auth;
use crate::authz::Access;
use crate::cache::Cache;
use crate::db::Db;
use crate::domain::Rules;
use crate::error::AppError;
use crate::hooks::Hooks;

/// Units a request looked up by code before it ran (to version the answer it may keep): the
/// resolvers use them rather than read them again.
pub struct UnitsFound(pub Vec<crate::domain::units::Unit>);

/// The gateway's parts a resolver works with. It is built once, with every part: there is no
/// schema without after-commit hooks, so a change cannot skip them.
#[derive(Clone)]
pub struct Service {
    db: Db,
    cache: Arc<Cache>,
    hooks: Arc<Hooks>,
    rules: Rules,
    auth: Arc<Auth>,
}

impl Service {
    pub fn new(
        db: Db,
        cache: Arc<Cache>,
        hooks: Arc<Hooks>,
        rules: Rules,
        auth: Arc<Auth>,
    ) -> Self {
        Service {
            db,
            cache,
            hooks,
            rules,
            auth,
        }
    }

    /// The database the finders read, each with the caller's proof.
    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn cache(&self) -> &Arc<Cache> {
        &self.cache
    }

    pub fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub fn auth(&self) -> &Arc<Auth> {
        &self.auth
    }
}

/// The context's two typed parts.
pub(crate) trait Parts<'a> {
    /// The gateway's service.
    fn service(&self) -> &'a Service;
    /// What the caller may do; `UNAUTHENTICATED` outside a request.
    fn caller(&self) -> Result<&'a Access, AppError>;
}

impl<'a> Parts<'a> for Context<'a> {
    fn service(&self) -> &'a Service {
        // Every schema is built with one (`schema::build_schema`).
        self.data_unchecked::<Service>()
    }

    fn caller(&self) -> Result<&'a Access, AppError> {
        self.data_opt::<Access>().ok_or(AppError::Unauthenticated)
    }
}
