//! Unit tests of `wire`.

use super::*;

fn accept(values: &[&str]) -> Option<Media> {
    let mut headers = HeaderMap::new();
    for value in values {
        headers.append(header::ACCEPT, HeaderValue::from_str(value).unwrap());
    }
    Media::negotiate(&headers)
}

#[test]
fn accept_picks_by_quality_and_prefers_the_graphql_type() {
    assert_eq!(accept(&[]), Some(Media::Json));
    assert_eq!(accept(&["*/*"]), Some(Media::Json));
    assert_eq!(accept(&["application/json"]), Some(Media::Json));
    assert_eq!(accept(&[GRAPHQL_RESPONSE]), Some(Media::GraphQLResponse));
    assert_eq!(
        accept(&["application/graphql-response+json, application/json;q=0.9"]),
        Some(Media::GraphQLResponse)
    );
    assert_eq!(
        accept(&["application/json, application/graphql-response+json;q=0.5"]),
        Some(Media::Json)
    );
    assert_eq!(
        accept(&["application/json", "Application/GraphQL-Response+JSON"]),
        Some(Media::GraphQLResponse)
    );
    assert_eq!(
        accept(&["text/html,application/xhtml+xml,*/*;q=0.8"]),
        Some(Media::Json)
    );
    assert_eq!(accept(&["text/html"]), None);
    assert_eq!(accept(&["application/json;q=0"]), None);
}

#[test]
fn parameters_of_the_wrong_type_name_themselves() {
    let refused = |body: &str| from_json(body.as_bytes()).unwrap_err();
    assert_eq!(refused("").field, Some("body"));
    assert_eq!(refused("{ \"not json").field, Some("body"));
    assert_eq!(refused("[{\"query\": \"{ a }\"}]").field, Some("body"));
    assert_eq!(refused("{\"qeury\": \"{ a }\"}").field, Some("query"));
    assert_eq!(refused("{\"query\": 1}").field, Some("query"));
    for name in ["operationName", "variables", "extensions"] {
        let body = format!("{{\"query\": \"{{ a }}\", \"{name}\": false}}");
        assert_eq!(refused(&body).field, Some(name), "{name}");
    }
    let fine = r#"{"query": "{ a }", "operationName": null, "variables": {"x": 1}, "extensions": {"a": [1]}}"#;
    let request = from_json(fine.as_bytes()).unwrap();
    assert_eq!(request.query, "{ a }");
    assert_eq!(
        request.variables.get("x"),
        Some(&async_graphql::Value::from(1))
    );
    assert!(request.extensions.contains_key("a"));
}

#[test]
fn query_strings_are_read_once_each() {
    let request = from_query_string(
        "query=query%20Q(%24n%3A%20Int)%20%7B%20a%20%7D&operationName=Q&variables=%7B%22n%22%3A1%7D",
    )
    .unwrap();
    assert_eq!(request.query, "query Q($n: Int) { a }");
    assert_eq!(request.operation_name.as_deref(), Some("Q"));
    assert!(from_query_string("query=a&query=b").is_err());
    assert_eq!(
        from_query_string("query=%7Ba%7D&variables=nope")
            .unwrap_err()
            .field,
        Some("variables")
    );
    assert_eq!(from_query_string("").unwrap_err().field, Some("query"));
}
