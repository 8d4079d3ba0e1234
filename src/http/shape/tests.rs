//! Unit tests of `shape`.

use super::*;

fn keys(value: &Value) -> Vec<String> {
    match value {
        Value::Object(fields) => fields.keys().map(|k| k.to_string()).collect(),
        _ => panic!("not an object: {value}"),
    }
}

fn json(value: serde_json::Value) -> Value {
    Value::from_json(value).unwrap()
}

fn failed_at(path: &[&str]) -> ServerError {
    let mut error = ServerError::new("failed", None);
    error.path = path
        .iter()
        .map(|p| match p.parse::<usize>() {
            Ok(i) => PathSegment::Index(i),
            Err(_) => PathSegment::Field((*p).to_owned()),
        })
        .collect();
    error
}

#[test]
fn objects_are_put_in_the_order_asked_through_fragments_and_lists() {
    let document = async_graphql::parser::parse_query(
        "query { totals: me { username } a: __typename ...F teams { nodes { name id } } } \
         fragment F on QueryRoot { adminUnit(code: \"1\") { code } }",
    )
    .unwrap();
    let mut data = json(serde_json::json!({
        "teams": { "nodes": [{ "id": "1", "name": "x" }, { "name": "y", "id": "2" }] },
        "adminUnit": { "code": "1" }, "a": "QueryRoot", "totals": { "username": "u" },
    }));
    complete(&mut data, &[], &document, None);
    assert_eq!(keys(&data), ["totals", "a", "adminUnit", "teams"]);
    let Value::Object(root) = &data else {
        unreachable!()
    };
    let Value::Object(teams) = &root["teams"] else {
        panic!()
    };
    let Value::List(nodes) = &teams["nodes"] else {
        panic!()
    };
    for node in nodes {
        assert_eq!(keys(node), ["name", "id"]);
    }
}

#[test]
fn a_failed_nullable_field_is_null_and_a_failed_non_null_one_nulls_its_parent() {
    // `team` may be null; `me` may not, so its failure makes `data` null.
    let document =
        async_graphql::parser::parse_query("{ me { username } team(id: \"1\") { name } }").unwrap();
    let mut data = json(serde_json::json!({ "me": { "username": "u" } }));
    complete(&mut data, &[failed_at(&["team"])], &document, None);
    assert_eq!(
        data.into_json().unwrap(),
        serde_json::json!({ "me": { "username": "u" }, "team": null })
    );
    let mut data = json(serde_json::json!({ "team": null }));
    complete(&mut data, &[failed_at(&["me"])], &document, None);
    assert_eq!(data, Value::Null);
    // Every root field failed and all may be null: each is null, not `data`.
    let document = async_graphql::parser::parse_query(
        "{ team(id: \"1\") { name } other: team(id: \"2\") { name } }",
    )
    .unwrap();
    let mut data = Value::Null;
    complete(
        &mut data,
        &[failed_at(&["team"]), failed_at(&["other"])],
        &document,
        None,
    );
    assert_eq!(
        data.into_json().unwrap(),
        serde_json::json!({ "team": null, "other": null })
    );
}

#[test]
fn a_failure_inside_a_list_item_nulls_up_to_a_nullable_field() {
    // A team's `unit` may not be null, nor may a node, nor `nodes`, nor `teams`: a failed
    // unit makes `data` null. `team.unit` inside a nullable `team`: `team` is null.
    let document =
        async_graphql::parser::parse_query("{ teams { nodes { name unit { code } } } }").unwrap();
    let mut data = json(serde_json::json!({
        "teams": { "nodes": [{ "name": "a", "unit": { "code": "1" } }, { "name": "b" }] },
    }));
    complete(
        &mut data,
        &[failed_at(&["teams", "nodes", "1", "unit"])],
        &document,
        None,
    );
    assert_eq!(data, Value::Null);
    let document =
        async_graphql::parser::parse_query("{ team(id: \"1\") { name unit { code } } }").unwrap();
    let mut data = json(serde_json::json!({ "team": { "name": "a" } }));
    complete(&mut data, &[failed_at(&["team", "unit"])], &document, None);
    assert_eq!(
        data.into_json().unwrap(),
        serde_json::json!({ "team": null })
    );
}

#[test]
fn skipped_fields_are_not_made_null() {
    let document = async_graphql::parser::parse_query(
        "{ me { username } team(id: \"1\") @skip(if: true) { name } adminUnit(code: \"x\") { code } }",
    )
    .unwrap();
    let mut data = json(serde_json::json!({ "me": { "username": "u" } }));
    complete(&mut data, &[failed_at(&["adminUnit"])], &document, None);
    assert_eq!(
        data.into_json().unwrap(),
        serde_json::json!({ "me": { "username": "u" }, "adminUnit": null })
    );
}
