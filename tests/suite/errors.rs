//! Bad input and missing rows answer with stable codes and name the field.

use std::sync::Arc;

use serde_json::json;

use crate::common::{Backend, contract, error_codes};

crate::tests!(
    missing_rows_are_not_found,
    malformed_arguments_are_bad_user_input,
    literals_of_the_wrong_kind_are_bad_user_input,
    every_wrong_field_of_an_input_is_told_at_once,
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

/// The fields an answer's first error names, in order.
fn fields(answer: &serde_json::Value) -> Vec<String> {
    answer["errors"][0]["extensions"]["fields"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|f| f["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn every_wrong_field_of_an_input_is_told_at_once(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    let before = app.scalar("SELECT COUNT(*) FROM audit_entry").await;
    let village = app
        .text("SELECT MIN(code) FROM admin_unit WHERE code LIKE '24172.%'")
        .await;
    let answer = app
        .mutate(
            "officer.24175",
            "CreateTeam",
            json!({ "input": { "unitCode": village, "name": "  ",
                "decisionNo": "12\u{0007}", "foundedOn": "2099-01-01" } }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
    assert_eq!(
        fields(&answer),
        ["name", "decisionNo", "foundedOn"],
        "{answer:#}"
    );
    assert_eq!(answer["errors"][0]["extensions"]["field"], "name");
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("3 fields are wrong: name: "),
        "{message}"
    );

    let team = app
        .scalar(&format!(
            "SELECT MIN(t.id) FROM team t JOIN admin_unit u ON u.id = t.unit_id \
             WHERE u.code = '{village}' AND t.status = 'ACTIVE'"
        ))
        .await;
    let answer = app
        .mutate(
            "officer.24175",
            "AddTeamMember",
            json!({ "input": { "teamId": team.to_string(), "fullName": "", "role": "MEMBER",
                "affiliation": "OTHER", "phone": "12345", "birthYear": 1800 } }),
        )
        .await;
    assert_eq!(
        fields(&answer),
        ["fullName", "phone", "birthYear"],
        "{answer:#}"
    );

    let report = "mutation($i: CreateResultReportInput!) { createResultReport(input: $i) { id } }";
    let answer = app
        .graphql_as(
            "officer.24175",
            report,
            json!({ "i": { "teamId": team.to_string(), "period": "2026-13", "results": {
                "householdsReached": -1, "vneidActivations": 1, "onlineApplications": 1,
                "cashlessAccounts": 99999999999i64, "ecommerceAccounts": 1 } } }),
        )
        .await;
    assert_eq!(
        fields(&answer),
        ["period", "householdsReached", "cashlessAccounts"],
        "{answer:#}"
    );
    // A single wrong field keeps the single form; outside one's area is told first.
    let answer = app
        .mutate(
            "officer.24175",
            "CreateTeam",
            json!({ "input": { "unitCode": village, "name": "" } }),
        )
        .await;
    assert_eq!(crate::common::error_field(&answer), "name");
    assert!(answer["errors"][0]["extensions"]["fields"].is_null());
    let answer = app
        .mutate(
            "officer.24355",
            "CreateTeam",
            json!({ "input": { "unitCode": "24175", "name": "" } }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{answer:#}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_entry").await,
        before,
        "nothing was written"
    );
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
