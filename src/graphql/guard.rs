//! Cheap looks at an operation before the engine works on it.
//!
//! The engine's parser and validator recurse over the document: a list value nested a few
//! thousand levels deep overflows a worker's stack and aborts the process, and fragments that
//! spread each other twice make validation exponential. Two linear passes refuse such
//! documents in microseconds, for any caller: [`scan`] over the text, before parsing, for size,
//! tokens and nesting (all the parser's recursion needs); [`check_document`] over the parsed
//! document, before validation, for aliases, fragments and their expansion. The second counts
//! on the engine's own parse rather than on a second reading of the text, so that no quirk of
//! the engine's lexer (it reads `fragmentF0` as `fragment F0`) can make the two disagree.
//!
//! Upstream: the unbounded recursion over values is in async-graphql-parser 7.2 (the engine's
//! depth limit is checked after parsing and covers selections only). No report of it was found
//! upstream; the report to file, with its reproduction, is `docs/upstream/async-graphql-values.md`.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Value as ConstValue, Variables};

/// What one document may hold. The defaults leave every operation a frontend or a GraphQL tool
/// sends (the standard introspection query included) far inside.
#[derive(Clone, Copy, Debug)]
pub struct DocumentLimits {
    /// Bytes of the operation's text.
    pub max_bytes: usize,
    /// Lexical tokens (names, punctuation, literals).
    pub max_tokens: usize,
    /// Brackets of any kind open at once: selection sets, argument lists, list and object
    /// values. Also the deepest a variable's value may nest.
    pub max_depth: usize,
    /// Fields given an alias.
    pub max_aliases: usize,
    /// Fragment definitions.
    pub max_fragments: usize,
    /// Field selections once every fragment spread is replaced by its fragment.
    pub max_expanded_fields: u64,
    /// Fields nested in fields, through fragments, outside introspection: what recursive
    /// abuse through `parent` and `children` would need. The schema's own description
    /// (`__schema`, `__type`) nests `ofType` to describe `[String!]!` and is not counted.
    pub max_data_depth: usize,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        DocumentLimits {
            max_bytes: 64 * 1024,
            max_tokens: 15_000,
            max_depth: 64,
            max_aliases: 100,
            max_fragments: 100,
            max_expanded_fields: 5_000,
            max_data_depth: 12,
        }
    }
}

/// A document refused by the scan, with the limit it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Which limit: `size`, `tokens`, `depth`, `aliases`, `fragments`, `expansion`,
    /// `dataDepth`.
    pub limit: &'static str,
    pub message: String,
}

fn refused(limit: &'static str, message: String) -> Refused {
    Refused { limit, message }
}

/// What the scan saw, for the callers that decide on more than the limits.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Shape {
    pub tokens: usize,
    pub depth: usize,
    pub aliases: usize,
    pub fragments: usize,
    pub expanded_fields: u64,
    /// Fields nested in fields outside introspection, fragments spread.
    pub data_depth: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Token<'a> {
    Name(&'a str),
    /// One of `! $ & ( ) : = @ [ ] { | }` or `...`.
    Punct(&'a str),
    /// A number or a string: its text does not matter here.
    Literal,
    /// A character GraphQL does not know; the engine reports it.
    Other,
}

/// Splits GraphQL text into tokens, skipping white space, commas and comments.
struct Lexer<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer { text, at: 0 }
    }

    fn skip_ignored(&mut self) {
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() {
            match bytes[self.at] {
                b' ' | b'\t' | b'\n' | b'\r' | b',' => self.at += 1,
                b'#' => {
                    while self.at < bytes.len()
                        && bytes[self.at] != b'\n'
                        && bytes[self.at] != b'\r'
                    {
                        self.at += 1;
                    }
                }
                // A byte-order mark is ignored like white space.
                0xEF if self.text[self.at..].starts_with('\u{feff}') => self.at += 3,
                _ => break,
            }
        }
    }

    /// Moves past a string starting at the current quote. An unterminated one runs to the end.
    fn skip_string(&mut self) {
        let rest = &self.text[self.at..];
        if let Some(body) = rest.strip_prefix("\"\"\"") {
            let mut i = 0;
            let b = body.as_bytes();
            while i < b.len() {
                if b[i..].starts_with(b"\\\"\"\"") {
                    i += 4;
                } else if b[i..].starts_with(b"\"\"\"") {
                    self.at += 3 + i + 3;
                    return;
                } else {
                    i += 1;
                }
            }
            self.at = self.text.len();
            return;
        }
        let b = self.text.as_bytes();
        let mut i = self.at + 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => {
                    self.at = i + 1;
                    return;
                }
                b'\n' | b'\r' => break,
                _ => i += 1,
            }
        }
        self.at = i.min(b.len());
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        self.skip_ignored();
        let bytes = self.text.as_bytes();
        let start = self.at;
        let &first = bytes.get(start)?;
        let token = match first {
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                let mut end = start + 1;
                while end < bytes.len()
                    && (bytes[end] == b'_' || bytes[end].is_ascii_alphanumeric())
                {
                    end += 1;
                }
                self.at = end;
                Token::Name(&self.text[start..end])
            }
            b'-' | b'0'..=b'9' => {
                let mut end = start + 1;
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric()
                        || matches!(bytes[end], b'.' | b'+' | b'-'))
                {
                    end += 1;
                }
                self.at = end;
                Token::Literal
            }
            b'"' => {
                self.skip_string();
                Token::Literal
            }
            b'.' if self.text[start..].starts_with("...") => {
                self.at += 3;
                Token::Punct("...")
            }
            b'!' | b'$' | b'&' | b'(' | b')' | b':' | b'=' | b'@' | b'[' | b']' | b'{' | b'|'
            | b'}' => {
                self.at += 1;
                Token::Punct(&self.text[start..start + 1])
            }
            _ => {
                let width = self.text[start..].chars().next().map_or(1, char::len_utf8);
                self.at += width;
                Token::Other
            }
        };
        Some(token)
    }
}

/// Scans `text` for what could overflow the parser's stack or cost it much, refusing it when
/// it breaks a limit: its size, its tokens, and brackets of any kind open at once.
pub fn scan(text: &str, limits: &DocumentLimits) -> Result<Shape, Refused> {
    if text.len() > limits.max_bytes {
        return Err(refused(
            "size",
            format!(
                "the document has {} bytes; at most {} are accepted",
                text.len(),
                limits.max_bytes
            ),
        ));
    }
    let mut shape = Shape::default();
    let mut open: usize = 0;
    for token in Lexer::new(text) {
        shape.tokens += 1;
        if shape.tokens > limits.max_tokens {
            return Err(refused(
                "tokens",
                format!("the document has more than {} tokens", limits.max_tokens),
            ));
        }
        match token {
            Token::Punct("{" | "[" | "(") => {
                open += 1;
                shape.depth = shape.depth.max(open);
                if open > limits.max_depth {
                    return Err(refused(
                        "depth",
                        format!(
                            "the document nests more than {} levels of brackets",
                            limits.max_depth
                        ),
                    ));
                }
            }
            Token::Punct("}" | "]" | ")") => open = open.saturating_sub(1),
            _ => {}
        }
    }
    Ok(shape)
}

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
struct Definition<'a> {
    fields: u64,
    spreads: Vec<&'a str>,
    /// The deepest its own fields nest, introspection left out.
    depth: usize,
    /// The spreads outside introspection, each with the depth of fields it sits under.
    nested_spreads: Vec<(&'a str, usize)>,
}

/// Fields whose selections describe the schema rather than data.
fn is_introspection(name: &str) -> bool {
    name == "__schema" || name == "__type"
}

/// The fields and spreads of a selection set, counting its aliases into `aliases`.
fn definition<'a>(set: &'a SelectionSet, aliases: &mut usize) -> Definition<'a> {
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
fn expanded_fields(
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
fn data_depth(operations: &[Definition], fragments: &HashMap<&str, Definition>) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> Shape {
        let limits = DocumentLimits::default();
        let scanned = scan(text, &limits).unwrap_or_else(|r| panic!("{text}: {r:?}"));
        let document = async_graphql::parser::parse_query(text).expect("a document");
        let checked =
            check_document(&document, &limits).unwrap_or_else(|r| panic!("{text}: {r:?}"));
        Shape {
            tokens: scanned.tokens,
            depth: scanned.depth,
            ..checked
        }
    }

    fn refusal(text: &str) -> &'static str {
        let limits = DocumentLimits::default();
        if let Err(refused) = scan(text, &limits) {
            return refused.limit;
        }
        let document = async_graphql::parser::parse_query(text).expect("a document");
        check_document(&document, &limits)
            .map(|s| panic!("{text} passed: {s:?}"))
            .unwrap_err()
            .limit
    }

    #[test]
    fn counts_fields_aliases_and_depth() {
        let s = shape("{ a b: c d(x: {y: [1, 2]}) { e } }");
        assert_eq!(s.expanded_fields, 4, "a, c, d, e");
        assert_eq!(s.aliases, 1);
        assert_eq!(s.depth, 4, "selection, arguments, object, list");
        let s = shape(
            "query Q($v: [Int!] = [1]) @x { ...F ... on Query { g } ... @include(if: true) { h } }
             fragment F on Query { i j k: l }",
        );
        assert_eq!(s.expanded_fields, 5, "g, h, i, j, l");
        assert_eq!(s.aliases, 1);
        assert_eq!(s.fragments, 1);
    }

    #[test]
    fn strings_and_comments_hide_their_brackets() {
        let s = shape("# {{{{\n{ a(s: \"{{[[\\\"\", t: \"\"\"{{{ \\\"\"\" ]]\"\"\") }");
        assert_eq!(s.depth, 2);
        assert_eq!(s.expanded_fields, 1);
    }

    #[test]
    fn any_text_scans_without_panicking() {
        for text in [
            "{ a(s: \"\"\"Hòa Phú \\\"\"\" Đắk\"\"\") }",
            "{ a(s: \"Hòa \\Phú\") }",
            "\"\"\"Đắk",
            "\"Đ\\",
            "{ a(s: \"Đắk\nLắk\") }",
            "ấ { é } … ",
        ] {
            let _ = scan(text, &DocumentLimits::default());
        }
    }

    #[test]
    fn arbitrary_text_never_panics_and_depth_is_exact() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::default();
        runner
            .run(&any::<String>(), |text| {
                let _ = scan(&text, &DocumentLimits::default());
                Ok(())
            })
            .unwrap();
        runner
            .run(&proptest::collection::vec(0..3usize, 1..60), |kinds| {
                let (open, close): (String, String) = kinds
                    .iter()
                    .map(|k| [("{ a ", " }"), ("(a: ", ")"), ("[", "]")][*k])
                    .fold((String::new(), String::new()), |(o, c), (a, b)| {
                        (o + a, b.to_owned() + c.as_str())
                    });
                let shape = scan(&format!("{open}1{close}"), &DocumentLimits::default()).unwrap();
                prop_assert_eq!(shape.depth, kinds.len());
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn deep_values_and_selections_are_refused() {
        let deep = format!("{{ a(x: {}1{}) }}", "[".repeat(100), "]".repeat(100));
        assert_eq!(refusal(&deep), "depth");
        let deep = format!("{{ a(x: {}1{}) }}", "{a:".repeat(100), "}".repeat(100));
        assert_eq!(refusal(&deep), "depth");
        let deep = format!("{}{}", "{ a ".repeat(100), "}".repeat(100));
        assert_eq!(refusal(&deep), "depth");
        // Unbalanced brackets still count as they open.
        assert_eq!(refusal(&"[".repeat(100_000)), "size");
        assert_eq!(refusal(&"(".repeat(1_000)), "depth");
    }

    fn fan_out(levels: usize, keyword: &str) -> String {
        let mut text = String::from("{ ...F0 }\n");
        for i in 0..levels {
            text.push_str(&format!(
                "{keyword}F{i} on Query {{ ...F{n} ...F{n} }}\n",
                n = i + 1
            ));
        }
        text.push_str(&format!("{keyword}F{levels} on Query {{ a }}\n"));
        text
    }

    #[test]
    fn fragment_fan_out_is_refused_before_it_is_expanded() {
        assert_eq!(refusal(&fan_out(40, "fragment ")), "expansion");
        // The engine's lexer reads `fragmentF0` as `fragment F0`: counted all the same.
        assert_eq!(refusal(&fan_out(22, "fragment")), "expansion");
        assert_eq!(
            refusal("{ ...A } fragment A on Q { ...B } fragment B on Q { ...A }"),
            "fragments"
        );
        // A fragment named `on`, spread as `...on`.
        let text = format!(
            "{{ {} }} fragment on on Query {{ {} }}",
            "...on ".repeat(100),
            "a ".repeat(100)
        );
        assert_eq!(refusal(&text), "expansion");
        let many: String = (0..101)
            .map(|i| format!("fragment F{i} on Q {{ a }} "))
            .collect();
        assert_eq!(refusal(&format!("{{ a }} {many}")), "fragments");
    }

    /// `{ a { a { … } } }` with `levels` fields.
    fn nested(levels: usize) -> String {
        format!(
            "{{ {}{} }}",
            "a { ".repeat(levels - 1) + "a",
            " }".repeat(levels - 1)
        )
    }

    #[test]
    fn data_depth_counts_through_fragments_but_not_introspection() {
        assert_eq!(shape(&nested(12)).data_depth, 12);
        assert_eq!(refusal(&nested(13)), "dataDepth");
        // A fragment nine deep, spread inside four fields: 13; inside three: 12.
        let fragment = "fragment F on T { b { b { b { b { b { b { b { b { c } } } } } } } } }";
        let four = format!("{{ a {{ a {{ a {{ a {{ ...F }} }} }} }} }} {fragment}");
        assert_eq!(refusal(&four), "dataDepth");
        let three = format!("{{ a {{ a {{ a {{ ...F }} }} }} }} {fragment}");
        assert_eq!(shape(&three).data_depth, 12);
        // The same nesting under __schema or __type describes types, not data.
        let schema = "{ __schema { types { ...F } } } fragment F on T { b { b { b { b { b { b { b { b { b { b { b { b { c } } } } } } } } } } } } }";
        assert_eq!(shape(schema).data_depth, 0);
        let ty = format!("{{ me {{ id }} __type(name: \"T\") {} }}", nested(20));
        assert_eq!(shape(&ty).data_depth, 2, "me and id");
        // A fragment used both ways counts where it holds data.
        let both = "{ __schema { ...F } a { a { a { a { ...F } } } } } fragment F on T { b { b { b { b { b { b { b { b { c } } } } } } } } }";
        assert_eq!(refusal(both), "dataDepth");
    }

    #[test]
    fn aliases_are_bounded() {
        let text = format!(
            "{{ {} }}",
            (0..101)
                .map(|i| format!("a{i}: b"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        assert_eq!(refusal(&text), "aliases");
        let inside = format!(
            "{{ {} }} fragment on on User {{ id }}",
            (0..101)
                .map(|i| format!("a{i}: me {{ ...on }}"))
                .collect::<String>()
        );
        assert_eq!(refusal(&inside), "aliases");
    }

    #[test]
    fn variables_are_bounded_in_depth() {
        let mut value = ConstValue::Null;
        for _ in 0..70 {
            value = ConstValue::List(vec![value]);
        }
        let mut vars = Variables::default();
        vars.insert(async_graphql::Name::new("v"), value);
        assert!(check_variables(&vars, 64).is_err());
        assert!(check_variables(&vars, 80).is_ok());
    }
}
