//! Building the schema, with the limits that keep a single request from exhausting the server.

use async_graphql::{EmptyMutation, EmptySubscription, Schema, SchemaBuilder};

use super::query::QueryRoot;
use crate::db::Db;

pub type AppSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Deep enough for every contract operation (the deepest nests five levels), shallow enough to
/// stop recursive abuse through `parent` and `children`.
pub const MAX_DEPTH: usize = 12;
pub const MAX_COMPLEXITY: usize = 5_000;

fn builder() -> SchemaBuilder<QueryRoot, EmptyMutation, EmptySubscription> {
    Schema::build(QueryRoot, EmptyMutation, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

pub fn build_schema(db: Db) -> AppSchema {
    builder().data(db).finish()
}

/// The schema as SDL, as committed in `schema/schema.graphql`.
pub fn export_sdl() -> String {
    builder().finish().sdl()
}
