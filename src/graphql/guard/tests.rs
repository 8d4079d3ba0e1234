//! Unit tests of `guard`.

use async_graphql::{Value as ConstValue, Variables};

use super::document::*;
use super::*;

fn shape(text: &str) -> Shape {
    let limits = DocumentLimits::default();
    let scanned = scan(text, &limits).unwrap_or_else(|r| panic!("{text}: {r:?}"));
    let document = async_graphql::parser::parse_query(text).expect("a document");
    let checked = check_document(&document, &limits).unwrap_or_else(|r| panic!("{text}: {r:?}"));
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
