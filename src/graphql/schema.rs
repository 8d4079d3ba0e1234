//! Building the schema, with the limits that keep a single request from exhausting the server.

use super::context::Service;

use async_graphql::{EmptySubscription, Schema, SchemaBuilder};

use super::mutation::MutationRoot;
use super::query::QueryRoot;

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

/// The schema for `audience`, resolving with `service`; `traced` adds a span per step and field.
pub fn build_schema(service: Service, audience: Audience, traced: bool) -> AppSchema {
    let mut builder = match audience {
        Audience::SignedIn => builder(),
        Audience::Anonymous => builder().disable_suggestions(),
    };
    if traced {
        // Spans for parsing, validation, execution and each field: only when traces are
        // exported, as any extension wraps every field the engine resolves.
        builder = builder.extension(async_graphql::extensions::Tracing);
    }
    builder.data(service).finish()
}

/// The specifications of the scalars that have one. Introspection gives them
/// (`specifiedByURL`); the engine's SDL leaves them out, so they are written in here.
const SPECIFIED_BY: [(&str, &str); 3] = [
    ("Date", "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"),
    (
        "DateTime",
        "https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
    ),
    (
        "Upload",
        "https://github.com/jaydenseric/graphql-multipart-request-spec",
    ),
];

/// The schema as SDL, as committed in `schema/schema.graphql`.
pub fn export_sdl() -> String {
    let mut sdl = builder().finish().sdl();
    for (scalar, url) in SPECIFIED_BY {
        sdl = sdl.replace(
            &format!("scalar {scalar}\n"),
            &format!("scalar {scalar} @specifiedBy(url: \"{url}\")\n"),
        );
    }
    sdl
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sdl_names_the_specifications_introspection_gives() {
        let answer = builder()
            .finish()
            .execute("{ __schema { types { name specifiedByURL } } }")
            .await
            .data
            .into_json()
            .unwrap();
        let mut given: Vec<(String, String)> = answer["__schema"]["types"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| {
                Some((
                    t["name"].as_str()?.to_owned(),
                    t["specifiedByURL"].as_str()?.to_owned(),
                ))
            })
            .collect();
        given.sort();
        let mut listed: Vec<(String, String)> = SPECIFIED_BY
            .iter()
            .map(|(n, u)| ((*n).to_owned(), (*u).to_owned()))
            .collect();
        listed.sort();
        assert_eq!(given, listed);
        let sdl = export_sdl();
        for (scalar, url) in SPECIFIED_BY {
            assert!(sdl.contains(&format!("scalar {scalar} @specifiedBy(url: \"{url}\")")));
        }
    }
}
