//! The shape of an answer's `data`, as the GraphQL specification gives it and clients rely
//! on. The engine writes an object's fields as they complete and leaves a field that failed
//! out of its object; here every object gets its fields in the order the operation asked for
//! them, a failed field that may be null is `null`, and a failed field that may not makes its
//! parent null, up to the nearest field that may (or `data` itself).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet, Type,
    TypeKind, TypeSystemDefinition,
};
use async_graphql::{PathSegment, ServerError, Value};

/// The engine's own text for `__schema.description`: the description of the `__Schema` type,
/// not of this schema, which has none.
const ENGINE_SCHEMA_DESCRIPTION: &str = "A GraphQL Schema defines the capabilities of a GraphQL \
     server. It exposes all available types and directives on the server, as well as the entry \
     points for query, mutation, and subscription operations.";

/// Puts `data` in the shape the operation asks for (see the module's documentation).
pub fn complete(
    data: &mut Value,
    errors: &[ServerError],
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) {
    let Some((kind, set)) = operation(document, operation_name) else {
        return;
    };
    let root = match kind {
        OperationType::Query => "QueryRoot",
        OperationType::Mutation => "MutationRoot",
        OperationType::Subscription => return,
    };
    let order = Order::of(document, &[set]);
    let failed: HashSet<Vec<String>> = errors
        .iter()
        .filter(|e| !e.path.is_empty())
        .map(|e| e.path.iter().map(segment).collect())
        .collect();
    if matches!(data, Value::Null) {
        if failed.is_empty() {
            return;
        }
        // Every root field failed: the engine wrote no object at all.
        *data = Value::Object(Default::default());
    }
    let mut walk = Walk {
        failed: &failed,
        types: types(),
        path: Vec::new(),
    };
    // Types matter only to complete failed fields; without failures the walk only orders.
    let root = (!failed.is_empty()).then_some(root);
    if !walk.object(data, &order, root) {
        *data = Value::Null;
    }
}

fn segment(segment: &PathSegment) -> String {
    match segment {
        PathSegment::Field(name) => name.clone(),
        PathSegment::Index(i) => i.to_string(),
    }
}

/// The selection of the operation that runs, and its kind.
fn operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<(OperationType, &'a SelectionSet)> {
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(wanted)) => ops.get(wanted)?,
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next()?,
        (DocumentOperations::Multiple(_), None) => return None,
    };
    Some((operation.node.ty, &operation.node.selection_set.node))
}

/// A field's type as the schema declares it.
#[derive(Debug)]
struct FieldType {
    ty: Type,
}

impl FieldType {
    /// The object type this field's values (or list items) are, if any.
    fn named(&self) -> &str {
        let mut ty = &self.ty;
        loop {
            match &ty.base {
                BaseType::Named(name) => return name.as_str(),
                BaseType::List(item) => ty = item,
            }
        }
    }
}

/// Each object type's fields, read once from the schema's own SDL.
fn types() -> &'static HashMap<String, HashMap<String, FieldType>> {
    static TYPES: OnceLock<HashMap<String, HashMap<String, FieldType>>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let mut types = HashMap::new();
        let Ok(document) = async_graphql::parser::parse_schema(crate::graphql::export_sdl()) else {
            return types;
        };
        for definition in document.definitions {
            let TypeSystemDefinition::Type(definition) = definition else {
                continue;
            };
            let TypeKind::Object(object) = definition.node.kind else {
                continue;
            };
            let fields = object
                .fields
                .into_iter()
                .map(|f| {
                    (
                        f.node.name.node.to_string(),
                        FieldType { ty: f.node.ty.node },
                    )
                })
                .collect();
            types.insert(definition.node.name.node.to_string(), fields);
        }
        types
    })
}

/// The response keys of a selection in the order they were asked for (fragments spread where
/// they stand), each with its field's name and the same for its own value. The schema has
/// no interfaces or unions, so every fragment of a selection applies to its one type.
#[derive(Default)]
pub(super) struct Order<'a> {
    keys: Vec<&'a str>,
    fields: HashMap<&'a str, &'a str>,
    children: HashMap<&'a str, Order<'a>>,
}

impl<'a> Order<'a> {
    /// The order of the fields `sets` select together. Recursive over the nesting of the
    /// operation, which the guard bounded (as it bounded the expansion of fragments and
    /// refused their cycles).
    pub(super) fn of(document: &'a ExecutableDocument, sets: &[&'a SelectionSet]) -> Order<'a> {
        let mut keys: Vec<&'a str> = Vec::new();
        let mut fields: HashMap<&'a str, &'a str> = HashMap::new();
        let mut nested: HashMap<&'a str, Vec<&'a SelectionSet>> = HashMap::new();
        let mut pending: Vec<std::slice::Iter<'a, _>> =
            sets.iter().rev().map(|set| set.items.iter()).collect();
        let mut spread = HashSet::new();
        while let Some(items) = pending.last_mut() {
            let Some(selection) = items.next() else {
                pending.pop();
                continue;
            };
            match &selection.node {
                Selection::Field(field) => {
                    let key = field.node.response_key().node.as_str();
                    let sets = nested.entry(key).or_insert_with(|| {
                        keys.push(key);
                        fields.insert(key, field.node.name.node.as_str());
                        Vec::new()
                    });
                    if !field.node.selection_set.node.items.is_empty() {
                        sets.push(&field.node.selection_set.node);
                    }
                }
                Selection::FragmentSpread(name) => {
                    let name = name.node.fragment_name.node.as_str();
                    if spread.insert(name)
                        && let Some(fragment) = document.fragments.get(name)
                    {
                        pending.push(fragment.node.selection_set.node.items.iter());
                    }
                }
                Selection::InlineFragment(inline) => {
                    pending.push(inline.node.selection_set.node.items.iter());
                }
            }
        }
        let children = nested
            .into_iter()
            .filter(|(_, sets)| !sets.is_empty())
            .map(|(key, sets)| (key, Order::of(document, &sets)))
            .collect();
        Order {
            keys,
            fields,
            children,
        }
    }
}

struct Walk<'e> {
    /// The paths of the fields that failed.
    failed: &'e HashSet<Vec<String>>,
    types: &'static HashMap<String, HashMap<String, FieldType>>,
    path: Vec<String>,
}

impl Walk<'_> {
    /// Orders an object's fields and completes the failed ones. `false`: a field that may not
    /// be null failed, so the object itself must be null. `ty` is the object's type when it
    /// is one of the schema's (not an introspection type).
    fn object(&mut self, value: &mut Value, order: &Order, ty: Option<&str>) -> bool {
        let Value::Object(fields) = value else {
            return true;
        };
        let declared = ty.and_then(|t| self.types.get(t));
        // The failed fields the engine left out.
        if !self.failed.is_empty() {
            for key in &order.keys {
                if fields.contains_key(*key) {
                    continue;
                }
                self.path.push((*key).to_owned());
                let failed = self.failed.contains(&self.path);
                self.path.pop();
                if !failed {
                    continue; // Skipped by @skip or @include.
                }
                let field = declared.and_then(|d| d.get(order.fields[key]));
                if field.is_some_and(|f| !f.ty.nullable) {
                    return false;
                }
                fields.insert(async_graphql::Name::new(*key), Value::Null);
            }
        }
        if !in_order(fields.keys().map(|k| k.as_str()), &order.keys) {
            let mut old = std::mem::take(fields);
            for key in &order.keys {
                if let Some((name, value)) = old.shift_remove_entry(*key) {
                    fields.insert(name, value);
                }
            }
            fields.extend(old);
        }
        for (key, child) in fields.iter_mut() {
            let name = order.fields.get(key.as_str()).copied().unwrap_or("");
            if ty.is_none() && name == "description" {
                // Inside `__schema`: the engine answers its own type's description.
                if matches!(child, Value::String(s) if s == ENGINE_SCHEMA_DESCRIPTION) {
                    *child = Value::Null;
                }
            }
            let Some(nested) = order.children.get(key.as_str()) else {
                continue;
            };
            let field = declared.and_then(|d| d.get(name));
            self.path.push(key.to_string());
            let whole = match field {
                Some(field) => self.value(child, nested, &field.ty, field.named()),
                // Introspection and __typename: ordered only.
                None => {
                    self.untyped(child, nested);
                    true
                }
            };
            self.path.pop();
            if !whole {
                if field.is_some_and(|f| !f.ty.nullable) {
                    return false;
                }
                *child = Value::Null;
            }
        }
        true
    }

    /// A field's value of type `ty`: `false` when it must be null.
    fn value(&mut self, value: &mut Value, order: &Order, ty: &Type, named: &str) -> bool {
        match (value, &ty.base) {
            (Value::List(items), BaseType::List(item)) => {
                for (i, element) in items.iter_mut().enumerate() {
                    self.path.push(i.to_string());
                    let whole = self.value(element, order, item, named);
                    self.path.pop();
                    if !whole {
                        if !item.nullable {
                            return false;
                        }
                        *element = Value::Null;
                    }
                }
                true
            }
            (value @ Value::Object(_), BaseType::Named(_)) => {
                let ty = self.types.contains_key(named).then_some(named);
                self.object(value, order, ty)
            }
            _ => true,
        }
    }

    fn untyped(&mut self, value: &mut Value, order: &Order) {
        match value {
            Value::List(items) => {
                for item in items {
                    self.untyped(item, order);
                }
            }
            value @ Value::Object(_) => {
                self.object(value, order, None);
            }
            _ => {}
        }
    }
}

/// Whether `keys` come in the order of `wanted` (each of them being among `wanted`).
fn in_order<'k>(keys: impl Iterator<Item = &'k str>, wanted: &[&str]) -> bool {
    let mut at = 0;
    for key in keys {
        match wanted[at..].iter().position(|k| *k == key) {
            Some(found) => at += found + 1,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests;
