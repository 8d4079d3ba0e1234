//! Building the schema, with the limits that keep a single request from exhausting the server.

use std::sync::Arc;

use async_graphql::{EmptySubscription, Schema, SchemaBuilder};

use super::mutation::MutationRoot;
use super::query::QueryRoot;
use crate::auth::Auth;
use crate::cache::Cache;
use crate::db::Db;
use crate::hooks::Hooks;

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Deep enough for every contract operation (the deepest nests five levels), shallow enough to
/// stop recursive abuse through `parent` and `children`.
pub const MAX_DEPTH: usize = 12;
pub const MAX_COMPLEXITY: usize = 5_000;

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(QueryRoot, MutationRoot::default(), EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

pub fn build_schema(db: Db, auth: Arc<Auth>, hooks: Arc<Hooks>, cache: Arc<Cache>) -> AppSchema {
    builder()
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
