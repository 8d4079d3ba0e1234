//! The second look: over the parsed document, before validation, for aliases, fragments and
//! their expansion, and for how deep the data asked for nests.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Value as ConstValue, Variables};

use super::{DocumentLimits, Refused, Shape, refused};

/// Checks a parsed document (one that [`scan`] let through, so its nesting is shallow) for
/// what would make validation slow: aliases, fragments, and fields once every spread is
/// expanded (fragments spreading each other twice double at every level). Counted on the
/// engine's own parse, so that whatever its lexer accepts is counted as it reads it.
pub fn check_document(
    document: &ExecutableDocument,
    limits: &DocumentLimits,
) -> Result<Shape, Refused> {
    let mut shape = Shape {
        fragments: document.fragments.len(),
        ..Shape::default()
    };
    if shape.fragments > limits.max_fragments {
        return Err(refused(
            "fragments",
            format!(
                "the document defines more than {} fragments",
                limits.max_fragments
            ),
        ));
    }
    let mut fragments: HashMap<&str, Definition> = HashMap::new();
    for (name, fragment) in &document.fragments {
        let definition = definition(&fragment.node.selection_set.node, &mut shape.aliases);
        fragments.insert(name.as_str(), definition);
    }
    let operations: Vec<Definition> = document
        .operations
        .iter()
        .map(|(_, op)| definition(&op.node.selection_set.node, &mut shape.aliases))
        .collect();
    if shape.aliases > limits.max_aliases {
        return Err(refused(
            "aliases",
            format!("the document has more than {} aliases", limits.max_aliases),
        ));
    }
    shape.expanded_fields = expanded_fields(&operations, &fragments, limits.max_expanded_fields)?;
    // Fragments that spread themselves were refused above.
    shape.data_depth = data_depth(&operations, &fragments);
    if shape.data_depth > limits.max_data_depth {
        return Err(refused(
            "dataDepth",
            format!(
                "the operation nests fields {} levels deep; at most {} are answered",
                shape.data_depth, limits.max_data_depth
            ),
        ));
    }
    Ok(shape)
}

/// One operation or fragment: the fields it selects itself (inline fragments included) and
/// the fragments it spreads.
#[derive(Default)]
pub(super) struct Definition<'a> {
    fields: u64,
    spreads: Vec<&'a str>,
    /// The deepest its own fields nest, introspection left out.
    depth: usize,
    /// The spreads outside introspection, each with the depth of fields it sits under.
    nested_spreads: Vec<(&'a str, usize)>,
}

/// Fields whose selections describe the schema rather than data.
pub(super) fn is_introspection(name: &str) -> bool {
    name == "__schema" || name == "__type"
}

/// The fields and spreads of a selection set, counting its aliases into `aliases`.
pub(super) fn definition<'a>(set: &'a SelectionSet, aliases: &mut usize) -> Definition<'a> {
    let mut out = Definition::default();
    // Each set with the number of fields it is nested in, and whether that is introspection.
    let mut pending = vec![(set, 0, false)];
    while let Some((set, level, schema)) = pending.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    out.fields += 1;
                    *aliases += usize::from(field.node.alias.is_some());
                    let schema = schema || is_introspection(field.node.name.node.as_str());
                    if !schema {
                        out.depth = out.depth.max(level + 1);
                    }
                    pending.push((&field.node.selection_set.node, level + 1, schema));
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    out.spreads.push(name);
                    if !schema {
                        out.nested_spreads.push((name, level));
                    }
                }
                Selection::InlineFragment(inline) => {
                    pending.push((&inline.node.selection_set.node, level, schema));
                }
            }
        }
    }
    out
}

/// Field selections of every operation with each spread replaced by its fragment, stopping as
/// soon as the count passes `max`. A fragment that spreads itself, directly or not, is refused
/// here as the engine would refuse it later.
pub(super) fn expanded_fields(
    operations: &[Definition],
    fragments: &HashMap<&str, Definition>,
    max: u64,
) -> Result<u64, Refused> {
    let too_many = || {
        refused(
            "expansion",
            format!("the document selects more than {max} fields once its fragments are spread"),
        )
    };
    // Fields of each fragment with its own spreads expanded, computed depth first without
    // recursion: fragments number at most `max_fragments`, but the spreads of one may be many.
    let mut sizes: HashMap<&str, u64> = HashMap::new();
    for &root in fragments.keys() {
        if sizes.contains_key(root) {
            continue;
        }
        let mut path: Vec<(&str, usize)> = vec![(root, 0)];
        while let Some(&mut (name, ref mut next)) = path.last_mut() {
            let definition = &fragments[name];
            if let Some(&spread) = definition.spreads.get(*next) {
                *next += 1;
                if sizes.contains_key(spread) || !fragments.contains_key(spread) {
                    continue;
                }
                if path.iter().any(|(on_path, _)| *on_path == spread) {
                    return Err(refused(
                        "fragments",
                        format!("fragment {spread} spreads itself"),
                    ));
                }
                path.push((spread, 0));
                continue;
            }
            let mut size = definition.fields;
            for spread in &definition.spreads {
                size = size.saturating_add(sizes.get(spread).copied().unwrap_or(0));
            }
            if size > max {
                return Err(too_many());
            }
            sizes.insert(name, size);
            path.pop();
        }
    }
    let mut total: u64 = 0;
    for operation in operations {
        total = total.saturating_add(operation.fields);
        for spread in &operation.spreads {
            total = total.saturating_add(sizes.get(spread).copied().unwrap_or(0));
        }
        if total > max {
            return Err(too_many());
        }
    }
    Ok(total)
}

/// The deepest fields nest in any operation once fragments are spread, introspection left
/// out. Fragments must not spread themselves (checked by [`expanded_fields`]).
pub(super) fn data_depth(
    operations: &[Definition],
    fragments: &HashMap<&str, Definition>,
) -> usize {
    // Depth of each fragment with its spreads expanded, depth first without recursion.
    let mut depths: HashMap<&str, usize> = HashMap::new();
    for &root in fragments.keys() {
        let mut path: Vec<(&str, usize)> = vec![(root, 0)];
        while let Some(&mut (name, ref mut next)) = path.last_mut() {
            if depths.contains_key(name) {
                path.pop();
                continue;
            }
            let definition = &fragments[name];
            if let Some(&(spread, _)) = definition.nested_spreads.get(*next) {
                *next += 1;
                if fragments.contains_key(spread) && !depths.contains_key(spread) {
                    path.push((spread, 0));
                }
                continue;
            }
            let depth = definition
                .nested_spreads
                .iter()
                .map(|(spread, level)| level + depths.get(spread).copied().unwrap_or(0))
                .fold(definition.depth, usize::max);
            depths.insert(name, depth);
            path.pop();
        }
    }
    operations
        .iter()
        .map(|op| {
            op.nested_spreads
                .iter()
                .map(|(spread, level)| level + depths.get(spread).copied().unwrap_or(0))
                .fold(op.depth, usize::max)
        })
        .max()
        .unwrap_or(0)
}

/// The deepest nesting of lists and objects in the variables, or `Err` past `max`.
pub fn check_variables(variables: &Variables, max: usize) -> Result<(), Refused> {
    let mut stack: Vec<(&ConstValue, usize)> = variables.values().map(|v| (v, 1)).collect();
    while let Some((value, depth)) = stack.pop() {
        if depth > max {
            return Err(refused(
                "depth",
                format!("a variable's value nests more than {max} levels"),
            ));
        }
        match value {
            ConstValue::List(items) => stack.extend(items.iter().map(|v| (v, depth + 1))),
            ConstValue::Object(fields) => stack.extend(fields.values().map(|v| (v, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}
