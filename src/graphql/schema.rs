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

/// The nesting of fields is bounded before the engine sees an operation
/// ([`super::guard::DocumentLimits::max_data_depth`]): that limit leaves introspection out,
/// where the engine's own would refuse the standard introspection query.
fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(QueryRoot, MutationRoot::default(), EmptySubscription)
        .limit_complexity(super::cost::BUDGET)
}

/// A schema that only costs operations: it validates as the others do, then refuses every
/// operation with what it costs, so it never runs a resolver (and needs no data). It tells a
/// caller refused for going over the budget by how much. (The serving schemas carry no
/// extension: with one, the engine wraps every field it resolves, which cost a quarter of a
/// page's throughput.)
pub fn build_costing_schema() -> AppSchema {
    Schema::build(QueryRoot, MutationRoot::default(), EmptySubscription)
        .extension(super::cost::CostMeter)
        .finish()
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
    traced: bool,
) -> AppSchema {
    let mut builder = match audience {
        Audience::SignedIn => builder(),
        Audience::Anonymous => builder().disable_suggestions(),
    };
    if traced {
        // Spans for parsing, validation, execution and each field: only when traces are
        // exported, as any extension wraps every field the engine resolves.
        builder = builder.extension(async_graphql::extensions::Tracing);
    }
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
