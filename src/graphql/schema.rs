//! Building the schema, with the limits that keep a single request from exhausting the server.

use std::sync::Arc;

use async_graphql::{EmptySubscription, Schema, SchemaBuilder};

use super::mutation::MutationRoot;
use super::query::QueryRoot;
use crate::auth::Auth;
use crate::cache::Cache;
use crate::db::Db;
use crate::domain::Rules;
use crate::hooks::Hooks;

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Deep enough for every contract operation (the deepest nests five levels), shallow enough to
/// stop recursive abuse through `parent` and `children`.
pub const MAX_DEPTH: usize = 12;

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(QueryRoot, MutationRoot::default(), EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .extension(super::cost::CostBudget)
}

/// Who a schema answers: callers who did not sign in get no suggestions of field names in
/// their errors (and no introspection, which is refused per request).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    SignedIn,
    Anonymous,
}

pub fn build_schema(
    db: Db,
    auth: Arc<Auth>,
    hooks: Arc<Hooks>,
    cache: Arc<Cache>,
    rules: Rules,
    audience: Audience,
) -> AppSchema {
    let builder = match audience {
        Audience::SignedIn => builder(),
        Audience::Anonymous => builder().disable_suggestions(),
    };
    builder
        .data(rules)
        .data(db)
        .data(auth)
        .data(hooks)
        .data(cache)
        .finish()
}

/// The schema as SDL, as committed in `schema/schema.graphql`.
pub fn export_sdl() -> String {
    builder().finish().sdl()
}
