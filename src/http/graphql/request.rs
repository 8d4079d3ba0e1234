//! What the `/graphql` handler reads off a request before the engine runs it: the root fields,
//! whether it changes anything, the variables it lacks, the files it names.

use async_graphql::parser::types::ExecutableDocument;
use axum::response::{IntoResponse, Response};

use super::super::answer::request_error;
use super::super::wire::Media;
use crate::authz::{Action, Resource};
use crate::graphql::guard;

/// A document the guard would not hand to the engine.
pub(super) fn refused_document(media: Media, refused: &guard::Refused) -> Response {
    request_error(media, "BAD_USER_INPUT", &refused.message)
        .with("field", "query")
        .with("limit", refused.limit)
        .into_response()
}

/// A variable the operation declares as required that the request does not give.
pub(super) struct Missing {
    pub name: String,
    pub message: String,
}

/// The first variable of the operation to run that is required (`!`, no default) and was not
/// given, or given as null. The engine would report it only when a resolver reads it, as an
/// error of that field.
pub(super) fn missing_variable(
    document: &ExecutableDocument,
    request: &async_graphql::Request,
) -> Option<Missing> {
    use async_graphql::parser::types::DocumentOperations;
    let operation = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name)?,
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next()?,
        _ => return None,
    };
    operation
        .node
        .variable_definitions
        .iter()
        .find_map(|definition| {
            let definition = &definition.node;
            if definition.var_type.node.nullable || definition.default_value.is_some() {
                return None;
            }
            let name = definition.name.node.as_str();
            let given = request.variables.get(definition.name.node.as_str());
            let what = match given {
                None => "was not given",
                Some(async_graphql::Value::Null) => "is null",
                Some(_) => return None,
            };
            Some(Missing {
                name: name.to_owned(),
                message: format!(
                    "variable ${name} of type {} is required but {what}",
                    definition.var_type.node
                ),
            })
        })
}

/// The fields the operation to run selects at its root, through fragments too.
pub(super) fn root_fields(request: &mut async_graphql::Request) -> Vec<String> {
    use async_graphql::parser::types::{DocumentOperations, Selection};
    let operation_name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return Vec::new();
    };
    let operation = match (&document.operations, operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(wanted)) => ops.get(wanted),
        (DocumentOperations::Multiple(ops), None) => ops.values().next(),
    };
    let Some(operation) = operation else {
        return Vec::new();
    };
    let mut names = Vec::new();
    // The guard refused fragment cycles and bounded their expansion before parsing.
    let mut pending = vec![&operation.node.selection_set.node];
    while let Some(set) = pending.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => names.push(field.node.name.node.to_string()),
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node)
                    {
                        pending.push(&fragment.node.selection_set.node);
                    }
                }
                Selection::InlineFragment(inline) => {
                    pending.push(&inline.node.selection_set.node);
                }
            }
        }
    }
    names
}

pub(super) fn is_mutation(request: &mut async_graphql::Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(document) = request.parsed_query() else {
        return false; // The schema reports the syntax error.
    };
    match &document.operations {
        DocumentOperations::Single(op) => op.node.ty == OperationType::Mutation,
        DocumentOperations::Multiple(ops) => {
            ops.values().any(|op| op.node.ty == OperationType::Mutation)
        }
    }
}

/// Whether the policy grants callers who have not signed in anything (a public dashboard).
pub(super) fn opens_anything_anonymously(policy: &crate::authz::Policy) -> bool {
    Resource::ALL.iter().any(|resource| {
        [Action::Read, Action::Write]
            .into_iter()
            .any(|action| policy.allows(crate::authz::ANONYMOUS, "/", *resource, action))
    })
}

pub(super) const UPLOAD_PLACEHOLDER: &str = "#__graphql_file__:";

/// Whether every upload placeholder among the variables names one of the `files` sent.
pub(super) fn placeholders_name_files(variables: &async_graphql::Variables, files: usize) -> bool {
    use async_graphql::Value;
    let mut pending: Vec<&Value> = variables.values().collect();
    while let Some(value) = pending.pop() {
        match value {
            Value::String(text) => {
                if let Some(index) = text.strip_prefix(UPLOAD_PLACEHOLDER)
                    && !index.parse::<usize>().is_ok_and(|i| i < files)
                {
                    return false;
                }
            }
            Value::List(items) => pending.extend(items),
            Value::Object(fields) => pending.extend(fields.values()),
            _ => {}
        }
    }
    true
}
