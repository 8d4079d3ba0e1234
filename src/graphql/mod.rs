//! The GraphQL API: schema construction and limits, the query root, the types clients see and
//! the DataLoaders that keep nested fields to a constant number of SQL statements.

pub mod context;
pub mod cost;
pub mod guard;
pub mod loaders;
pub mod mutation;
pub mod query;
pub use crate::scalars;
pub mod schema;
pub mod types;

pub use schema::{AppSchema, build_schema, export_sdl};
