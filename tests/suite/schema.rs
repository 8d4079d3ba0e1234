//! The committed schema is the one the code serves.

use std::sync::Arc;

use crate::common::Backend;

crate::tests!(committed_schema_equals_the_exported_one);

async fn committed_schema_equals_the_exported_one(_: Arc<Backend>) {
    let committed = include_str!("../../schema/schema.graphql");
    let exported = steering_gateway::graphql::export_sdl();
    assert!(
        committed == exported,
        "schema/schema.graphql is out of date: run `cargo run -- export-schema > schema/schema.graphql`"
    );
}
