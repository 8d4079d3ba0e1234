//! Bad input and missing rows answer with stable codes and name the field.

use std::sync::Arc;

use serde_json::json;

use crate::common::{Backend, contract, error_codes};

crate::tests!(
    missing_rows_are_not_found,
    malformed_arguments_are_bad_user_input,
    literals_of_the_wrong_kind_are_bad_user_input,
    deep_queries_are_refused,
);

async fn missing_rows_are_not_found(b: Arc<Backend>) {
    let app = b.demo().await;
    let answer = app
        .graphql(contract::TEAM, json!({ "id": "99999999" }))
        .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"]);
    assert_eq!(answer["data"]["team"], serde_json::Value::Null);
    let answer = app.graphql(contract::UNIT, json!({ "code": "99" })).await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"]);
    let answer = app
        .graphql(contract::TOTALS, json!({ "unitCode": "nope" }))
        .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"]);
    let answer = app
        .graphql(contract::TEAMS, json!({ "unitCode": "00000" }))
        .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"]);
}

async fn malformed_arguments_are_bad_user_input(b: Arc<Backend>) {
    let app = b.demo().await;
    let answer = app.graphql(contract::TEAM, json!({ "id": "abc" })).await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"]);
    assert_eq!(answer["errors"][0]["extensions"]["field"], "id");
    let answer = app
        .graphql(contract::TEAMS, json!({ "after": "not-a-cursor" }))
        .await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"]);
    assert_eq!(answer["errors"][0]["extensions"]["field"], "after");
    for first in [-1, 0, 101] {
        let answer = app
            .graphql(contract::TEAMS, json!({ "first": first }))
            .await;
        assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{first}");
        assert_eq!(
            answer["errors"][0]["extensions"]["field"], "first",
            "{first}"
        );
    }
}

async fn literals_of_the_wrong_kind_are_bad_user_input(b: Arc<Backend>) {
    let app = b.demo().await;
    for literal in ["20250101", "true", "[\"2025-01-01\"]"] {
        let query = format!("{{ totals(unitCode: \"66\", asOf: {literal}) {{ teams }} }}");
        let answer = app.graphql(&query, json!({})).await;
        assert_eq!(
            error_codes(&answer),
            ["BAD_USER_INPUT"],
            "{literal}: {answer:#}"
        );
    }
}

async fn deep_queries_are_refused(b: Arc<Backend>) {
    let app = b.demo().await;
    let mut selection = String::from("code");
    for _ in 0..15 {
        selection = format!("code parent {{ {selection} }}");
    }
    let query = format!("{{ adminUnit(code: \"24172.03\") {{ {selection} }} }}");
    let answer = app.graphql(&query, json!({})).await;
    assert_eq!(
        answer["errors"][0]["message"],
        "the operation nests fields 17 levels deep; at most 12 are answered",
        "{answer:#}"
    );
    assert_eq!(answer["errors"][0]["extensions"]["limit"], "dataDepth");
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"]);
    assert!(answer.get("data").is_none());
}
