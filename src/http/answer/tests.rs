//! Unit tests of `answer`.

use super::*;

#[test]
fn syntax_reports_become_one_line() {
    let error = async_graphql::parser::parse_query("{\n  me {").unwrap_err();
    let error = async_graphql::ServerError::from(error);
    let line = syntax_message(&error.message, &error.locations).expect("a syntax report");
    assert!(line.starts_with("syntax error at line 2, column"), "{line}");
    assert!(!line.contains('\n'));
}
