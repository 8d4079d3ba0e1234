//! The API as GraphQL clients and their tools use it: the standard introspection query, GraphQL
//! over HTTP (media types, statuses, malformed requests), codes a client can act on, and
//! fields in the order they were asked for.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::{Value, json};
use steering_gateway::config::Introspection;
use steering_gateway::db::Db;

use crate::common::{Backend, TestApp, contract, error_codes, error_field, test_settings};

crate::tests!(
    the_standard_introspection_query_answers_signed_in_callers,
    introspection_follows_its_setting,
    answers_follow_the_accept_header,
    request_errors_are_400_without_data_as_graphql_response,
    malformed_requests_get_graphql_errors,
    methods_paths_and_sizes_get_graphql_errors,
    get_requests_read_their_parameters,
    missing_and_mistyped_variables_name_the_variable,
    bad_values_inside_input_objects_name_their_field,
    syntax_errors_are_one_line,
    fields_come_back_in_the_order_asked,
    failed_nullable_fields_are_null_and_failed_required_ones_null_their_parent,
    browsers_can_read_the_headers_clients_act_on,
);

const INTROSPECTION: &str = include_str!("../data/introspection.graphql");
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// Sends `body` to `/graphql` with the given method and headers.
async fn raw(
    app: &TestApp,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (StatusCode, HeaderMap, String) {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let (status, headers, body) = app
        .send(request.body(Body::from(body.to_owned())).unwrap())
        .await;
    (status, headers, String::from_utf8(body).expect("UTF-8"))
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"))
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get("content-type")
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

/// POSTs `{query, variables}` as JSON with a token and an Accept header.
async fn post_accepting(
    app: &TestApp,
    token: Option<&str>,
    accept: Option<&str>,
    query: &str,
    variables: Value,
) -> (StatusCode, HeaderMap, Value) {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(accept) = accept {
        headers.push(("accept", accept));
    }
    if let Some(bearer) = &bearer {
        headers.push(("authorization", bearer));
    }
    let (status, headers, body) = raw(app, "POST", "/graphql", &headers, &body).await;
    (status, headers, json_of(&body))
}

async fn app_with(
    b: &Backend,
    settings: impl FnOnce(&mut steering_gateway::config::Settings),
) -> TestApp {
    let url = b.demo().await.url.clone();
    let mut s = test_settings(&url);
    settings(&mut s);
    TestApp::with_settings(Db::connect(&url).await.unwrap(), s).await
}

async fn the_standard_introspection_query_answers_signed_in_callers(b: Arc<Backend>) {
    let app = b.demo().await;
    for user in ["officer.24172", "admin"] {
        let schema = app.data_as(user, INTROSPECTION, json!({})).await["__schema"].clone();
        assert_eq!(schema["queryType"]["name"], "QueryRoot", "{user}");
        assert_eq!(schema["mutationType"]["name"], "MutationRoot");
        let types = schema["types"].as_array().unwrap();
        let named = |name: &str| {
            types
                .iter()
                .find(|t| t["name"] == name)
                .unwrap_or_else(|| panic!("{name} missing"))
        };
        // Descriptions, deprecation of input values and scalars' specifications come through.
        let team = named("Team");
        assert_eq!(team["kind"], "OBJECT");
        assert!(
            team["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["name"] == "members"),
            "{team:#}"
        );
        let create = named("CreateTeamInput");
        assert!(
            create["inputFields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["name"] == "unitCode" && f["description"].is_string()),
            "{create:#}"
        );
        assert!(
            named("Date")["description"].is_string(),
            "Date has a description"
        );
        assert_eq!(
            named("Date")["specifiedByURL"],
            "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
        );
        // The schema has no description of its own (not the introspection type's).
        assert!(schema["description"].is_null(), "{}", schema["description"]);
        assert!(
            schema["directives"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["name"] == "skip" && d["isRepeatable"] == false)
        );
    }
    // Nine levels of `ofType` are not the data depth that recursion through `parent` needs.
    let answer = app
        .graphql_as("officer.24172", INTROSPECTION, json!({}))
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
}

async fn introspection_follows_its_setting(b: Arc<Backend>) {
    // Default: signed-in callers only; anonymous ones are told to sign in and learn nothing.
    let app = b.demo().await;
    let (status, headers, answer) = post_accepting(app, None, None, INTROSPECTION, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer:#}");
    assert_eq!(error_codes(&answer), ["UNAUTHENTICATED"]);
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert!(answer.get("data").is_none());
    let anonymous_type = "{ __type(name: \"Team\") { name } }";
    let (status, _, _) = post_accepting(app, None, None, anonymous_type, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let open = app_with(&b, |s| s.introspection = Introspection::Everyone).await;
    let (status, _, answer) = post_accepting(&open, None, None, INTROSPECTION, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{answer:#}");
    assert_eq!(answer["data"]["__schema"]["queryType"]["name"], "QueryRoot");
    // Open introspection opens the schema, not the data.
    let (status, _, answer) = post_accepting(&open, None, None, contract::ME, json!({})).await;
    assert_eq!(
        (status, error_codes(&answer)),
        (StatusCode::UNAUTHORIZED, vec!["UNAUTHENTICATED".to_owned()])
    );

    let closed = app_with(&b, |s| s.introspection = Introspection::Off).await;
    let token = closed.token("admin").await;
    let (_, _, answer) =
        post_accepting(&closed, Some(&token), None, INTROSPECTION, json!({})).await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
    assert!(answer["data"].is_null(), "{answer:#}");
    // The data still answers.
    let (_, _, answer) = post_accepting(&closed, Some(&token), None, contract::ME, json!({})).await;
    assert_eq!(answer["data"]["me"]["username"], "admin");
}

async fn answers_follow_the_accept_header(b: Arc<Backend>) {
    let app = b.demo().await;
    let token = app.token("leader.66").await;
    let query = "{ adminUnit(code: \"66\") { name } }";
    for (accept, wanted) in [
        (None, "application/json"),
        (Some("*/*"), "application/json"),
        (Some("application/json"), "application/json"),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            GRAPHQL_RESPONSE,
        ),
        (
            Some("application/graphql-response+json;q=0.5, application/json"),
            "application/json",
        ),
    ] {
        let (status, headers, answer) =
            post_accepting(app, Some(&token), accept, query, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{accept:?}");
        assert!(
            content_type(&headers).starts_with(wanted),
            "{accept:?}: {headers:?}"
        );
        assert_eq!(answer["data"]["adminUnit"]["name"], "Tỉnh Đắk Lắk");
    }
    // Neither type acceptable: 406, still a GraphQL answer.
    let (status, headers, answer) =
        post_accepting(app, Some(&token), Some("text/html"), query, json!({})).await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
    assert!(content_type(&headers).starts_with("application/json"));
    assert_eq!(error_field(&answer), "accept");
}

async fn request_errors_are_400_without_data_as_graphql_response(b: Arc<Backend>) {
    let app = b.demo().await;
    let token = app.token("leader.66").await;
    let failures = [
        ("{", json!({}), "does not parse"),
        ("{ noSuchField }", json!({}), "does not validate"),
        (
            "query($code: String!) { adminUnit(code: $code) { name } }",
            json!({}),
            "a required variable is missing",
        ),
        (
            "query($code: String!) { adminUnit(code: $code) { name } }",
            json!({ "code": 66 }),
            "a variable has the wrong type",
        ),
        (
            "{ adminUnit(code: \"66\") { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { code } } } } } } } } } } } } }",
            json!({}),
            "too deep",
        ),
    ];
    for (query, variables, why) in failures {
        let (status, headers, answer) = post_accepting(
            app,
            Some(&token),
            Some(GRAPHQL_RESPONSE),
            query,
            variables.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {answer:#}");
        assert!(
            content_type(&headers).starts_with(GRAPHQL_RESPONSE),
            "{why}"
        );
        assert!(answer.get("data").is_none(), "{why}: {answer:#}");
        assert_eq!(
            error_codes(&answer),
            ["BAD_USER_INPUT"],
            "{why}: {answer:#}"
        );
        // The legacy type keeps 200, also without `data`: the operation never ran.
        let (status, headers, answer) = post_accepting(
            app,
            Some(&token),
            Some("application/json"),
            query,
            variables,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{why}: {answer:#}");
        assert!(
            content_type(&headers).starts_with("application/json"),
            "{why}"
        );
        assert!(answer.get("data").is_none(), "{why}: {answer:#}");
    }
    // A field error is not a request error: 200, with the data there is.
    let (status, _, answer) = post_accepting(
        app,
        Some(&token),
        Some(GRAPHQL_RESPONSE),
        "{ me { username } team(id: \"999999999\") { name } }",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer:#}");
    assert_eq!(answer["data"]["me"]["username"], "leader.66");
    assert_eq!(error_codes(&answer), ["NOT_FOUND"]);
}

async fn malformed_requests_get_graphql_errors(b: Arc<Backend>) {
    let app = b.demo().await;
    let json_type = [("content-type", "application/json")];
    // Request headers, body, then the status and the field the answer names, and why.
    type Case<'a> = (
        &'a [(&'a str, &'a str)],
        &'a str,
        StatusCode,
        &'a str,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            &json_type,
            "{ \"not JSON",
            StatusCode::BAD_REQUEST,
            "body",
            "bad JSON",
        ),
        (
            &json_type,
            "",
            StatusCode::BAD_REQUEST,
            "body",
            "empty body",
        ),
        (
            &json_type,
            "[{\"query\": \"{ __typename }\"}]",
            StatusCode::BAD_REQUEST,
            "body",
            "a batch",
        ),
        (
            &json_type,
            "\"{ __typename }\"",
            StatusCode::BAD_REQUEST,
            "body",
            "a string",
        ),
        (
            &json_type,
            "{\"qeury\": \"{ __typename }\"}",
            StatusCode::BAD_REQUEST,
            "query",
            "no query",
        ),
        (
            &json_type,
            "{\"query\": {\"obj\": 1}}",
            StatusCode::BAD_REQUEST,
            "query",
            "query an object",
        ),
        (
            &json_type,
            "{\"query\": \"{ __typename }\", \"variables\": \"x\"}",
            StatusCode::BAD_REQUEST,
            "variables",
            "variables a string",
        ),
        (
            &json_type,
            "{\"query\": \"{ __typename }\", \"operationName\": 0}",
            StatusCode::BAD_REQUEST,
            "operationName",
            "operationName a number",
        ),
        (
            &json_type,
            "{\"query\": \"{ __typename }\", \"extensions\": [1]}",
            StatusCode::BAD_REQUEST,
            "extensions",
            "extensions a list",
        ),
        (
            &[],
            "{\"query\": \"{ __typename }\"}",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type",
            "no content type",
        ),
        (
            &[("content-type", "text/plain")],
            "{\"query\": \"{ __typename }\"}",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type",
            "text/plain",
        ),
        (
            &[("content-type", "application/json; charset=latin1")],
            "{\"query\": \"{ __typename }\"}",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type",
            "not UTF-8",
        ),
        (
            &[("content-type", "multipart/form-data; boundary=x")],
            "--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n[{\"query\": \"{ a }\"}]\r\n--x--\r\n",
            StatusCode::BAD_REQUEST,
            "body",
            "a multipart batch",
        ),
    ];
    for (headers, body, status, field, why) in cases {
        for accept in ["application/json", GRAPHQL_RESPONSE] {
            let mut headers = headers.to_vec();
            headers.push(("accept", accept));
            let (got, response_headers, text) = raw(app, "POST", "/graphql", &headers, body).await;
            assert_eq!(got, status, "{why}: {text}");
            assert!(
                content_type(&response_headers).starts_with(accept),
                "{why}: {response_headers:?}"
            );
            let answer = json_of(&text);
            assert_eq!(error_codes(&answer), ["BAD_REQUEST"], "{why}: {answer:#}");
            assert_eq!(error_field(&answer), field, "{why}: {answer:#}");
            assert!(
                !text.contains("InvalidRequest"),
                "{why}: no Rust debug text: {text}"
            );
            assert!(answer.get("data").is_none(), "{why}");
        }
    }
    // `application/graphql`: the body is the document.
    let token = app.token("leader.66").await;
    let bearer = format!("Bearer {token}");
    let (status, _, text) = raw(
        app,
        "POST",
        "/graphql",
        &[
            ("content-type", "application/graphql"),
            ("authorization", &bearer),
        ],
        "{ adminUnit(code: \"66\") { code } }",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(json_of(&text)["data"]["adminUnit"]["code"], "66");
}

async fn methods_paths_and_sizes_get_graphql_errors(b: Arc<Backend>) {
    let app = b.demo().await;
    for method in ["PUT", "DELETE", "PATCH"] {
        let (status, headers, text) = raw(app, method, "/graphql", &[], "").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(headers["allow"], "GET, POST", "{method}");
        assert_eq!(error_codes(&json_of(&text)), ["BAD_REQUEST"], "{method}");
    }
    let (status, _, text) = raw(app, "GET", "/no-such-page", &[], "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_codes(&json_of(&text)), ["NOT_FOUND"]);

    let small = app_with(&b, |s| s.max_body_bytes = 1024).await;
    let padding = " ".repeat(4096);
    let body = format!("{{\"query\": \"{{ __typename }}{padding}\"}}");
    for accept in ["application/json", GRAPHQL_RESPONSE] {
        let (status, headers, text) = raw(
            &small,
            "POST",
            "/graphql",
            &[("content-type", "application/json"), ("accept", accept)],
            &body,
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
        assert!(content_type(&headers).starts_with(accept));
        let answer = json_of(&text);
        assert_eq!(error_codes(&answer), ["BAD_REQUEST"]);
        assert_eq!(error_field(&answer), "body");
    }
}

async fn get_requests_read_their_parameters(b: Arc<Backend>) {
    let app = b.demo().await;
    let token = app.token("leader.66").await;
    let bearer = format!("Bearer {token}");
    let uri = "/graphql?query=query%20U(%24c%3A%20String!)%20%7B%20adminUnit(code%3A%20%24c)%20%7B%20code%20%7D%20%7D&operationName=U&variables=%7B%22c%22%3A%2266%22%7D";
    let (status, _, text) = raw(app, "GET", uri, &[("authorization", &bearer)], "").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(json_of(&text)["data"]["adminUnit"]["code"], "66");
    for (uri, field) in [
        (
            "/graphql?query=%7B__typename%7D&variables=not-json",
            "variables",
        ),
        ("/graphql", "query"),
    ] {
        let (status, _, text) = raw(app, "GET", uri, &[("authorization", &bearer)], "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {text}");
        assert_eq!(error_field(&json_of(&text)), field, "{uri}");
    }
}

async fn missing_and_mistyped_variables_name_the_variable(b: Arc<Backend>) {
    let app = b.demo().await;
    let query = "query Unit($code: String!) { adminUnit(code: $code) { name } }";
    for (variables, says) in [
        (json!({}), "was not given"),
        (json!({ "code": null }), "is null"),
    ] {
        let answer = app.graphql(query, variables).await;
        assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
        assert_eq!(answer["errors"][0]["extensions"]["variable"], "code");
        assert_eq!(error_field(&answer), "code");
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("$code") && message.contains(says),
            "{message}"
        );
    }
    let answer = app.graphql(query, json!({ "code": 66 })).await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
    assert_eq!(answer["errors"][0]["extensions"]["variable"], "code");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("variable $code"),
        "{answer:#}"
    );
    // Optional variables may be left out.
    let answer = app
        .graphql(
            "query($first: Int) { teams(first: $first) { totalCount } }",
            json!({}),
        )
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
}

async fn bad_values_inside_input_objects_name_their_field(b: Arc<Backend>) {
    let app = b.demo().await;
    let operation = "mutation($input: AddTeamMemberInput!) { addTeamMember(input: $input) { id } }";
    let base = json!({ "teamId": "1", "fullName": "Nguyễn Văn A", "role": "MEMBER", "affiliation": "YOUTH_UNION" });
    let with = |key: &str, value: Value| {
        let mut input = base.clone();
        input[key] = value;
        json!({ "input": input })
    };
    let mut missing = base.clone();
    missing.as_object_mut().unwrap().remove("fullName");
    for (variables, field) in [
        (with("role", json!("CAPTAIN")), "role"),
        (with("gender", json!("X")), "gender"),
        (with("joinedOn", json!("2020-13-01")), "joinedOn"),
        (with("birthYear", json!("nineteen")), "birthYear"),
        (json!({ "input": missing }), "fullName"),
    ] {
        let answer = app.graphql(operation, variables).await;
        assert_eq!(
            error_codes(&answer),
            ["BAD_USER_INPUT"],
            "{field}: {answer:#}"
        );
        assert_eq!(error_field(&answer), field, "{answer:#}");
        assert_eq!(
            answer["errors"][0]["extensions"]["variable"], "input",
            "{answer:#}"
        );
    }
    // The same values written into the document.
    let literal = "mutation { addTeamMember(input: {teamId: \"1\", fullName: \"A\", role: CAPTAIN, affiliation: YOUTH_UNION}) { id } }";
    let answer = app.graphql(literal, json!({})).await;
    assert_eq!(error_field(&answer), "role", "{answer:#}");
}

async fn syntax_errors_are_one_line(b: Arc<Backend>) {
    let app = b.demo().await;
    let answer = app.graphql("{\n  me {\n    username\n  ", json!({})).await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"]);
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains('\n'), "{message}");
    assert!(
        message.starts_with("syntax error at line 4, column 3: "),
        "{message}"
    );
    assert_eq!(answer["errors"][0]["locations"][0]["line"], 4);
}

/// The position of each key in the answer's text, which must be increasing.
fn in_order(text: &str, keys: &[&str]) -> bool {
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| {
            text.find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k} in {text}"))
        })
        .collect();
    positions.windows(2).all(|w| w[0] < w[1])
}

async fn fields_come_back_in_the_order_asked(b: Arc<Backend>) {
    let app = b.demo().await;
    let token = app.token("leader.66").await;
    // Fields that read the database come back after those that do not, unless reordered.
    let query = "{ totals(unitCode: \"66\") { teams } me { username } zz: __typename \
                 teams(first: 2) { nodes { unit { name } id name } totalCount } adminUnit(code: \"66\") { code } }";
    for _ in 0..3 {
        let body = json!({ "query": query }).to_string();
        let bearer = format!("Bearer {token}");
        let (status, _, text) = raw(
            app,
            "POST",
            "/graphql",
            &[
                ("content-type", "application/json"),
                ("authorization", &bearer),
            ],
            &body,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(
            in_order(
                &text,
                &["totals", "me", "zz", "teams\":{\"nodes", "adminUnit"]
            ),
            "{text}"
        );
        assert!(in_order(&text, &["nodes", "totalCount"]), "{text}");
        // Each team: its unit (read through a loader) first, then its id and name.
        let nodes = &text[text.find("\"nodes\":[{").expect("nodes")..];
        assert!(
            nodes.starts_with("\"nodes\":[{\"unit\":{\"name\":"),
            "{text}"
        );
        let after_unit = &nodes[nodes.find("},").expect("the unit's end") + 2..];
        assert!(after_unit.starts_with("\"id\":"), "{text}");
    }
}

async fn failed_nullable_fields_are_null_and_failed_required_ones_null_their_parent(
    b: Arc<Backend>,
) {
    let app = b.demo().await;
    let elsewhere = app
        .data(
            "{ teams(unitCode: \"24355\", first: 1) { nodes { id } } }",
            json!({}),
        )
        .await["teams"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // `team` may be null: out of the officer's area it is null, beside the other fields.
    let answer = app
        .graphql_as(
            "officer.24172",
            "query($id: ID!) { me { username } team(id: $id) { name } }",
            json!({ "id": elsewhere }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"]);
    assert_eq!(
        answer["data"],
        json!({ "me": { "username": "officer.24172" }, "team": null }),
        "{answer:#}"
    );
    // Alone, and twice under aliases: each is null, `data` is not.
    let answer = app
        .graphql_as(
            "officer.24172",
            "query($id: ID!) { a: team(id: $id) { name } b: team(id: $id) { name } }",
            json!({ "id": elsewhere }),
        )
        .await;
    assert_eq!(
        answer["data"],
        json!({ "a": null, "b": null }),
        "{answer:#}"
    );
    // `totals` may not be null: its failure makes `data` null.
    let answer = app
        .graphql_as(
            "officer.24172",
            "{ me { username } totals(unitCode: \"24355\") { teams } }",
            json!({}),
        )
        .await;
    assert!(!error_codes(&answer).is_empty(), "{answer:#}");
    assert!(
        answer.get("data").is_some_and(Value::is_null),
        "data is present and null: {answer:#}"
    );
}

async fn browsers_can_read_the_headers_clients_act_on(b: Arc<Backend>) {
    let app = app_with(&b, |s| {
        s.cors_origins = vec!["https://dashboard.daklak.gov.vn".into()]
    })
    .await;
    let (_, headers, _) = raw(
        &app,
        "POST",
        "/graphql",
        &[
            ("origin", "https://dashboard.daklak.gov.vn"),
            ("content-type", "application/json"),
            ("authorization", "Bearer nonsense"),
        ],
        "{\"query\": \"{ me { username } }\"}",
    )
    .await;
    let exposed = headers["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        exposed.contains("www-authenticate") && exposed.contains("retry-after"),
        "{exposed}"
    );
    assert_eq!(
        headers["www-authenticate"],
        "Bearer error=\"invalid_token\""
    ); // A preflight for the headers clients add (Apollo's client name, trace context) passes.
    let (_, headers, _) = raw(
        &app,
        "OPTIONS",
        "/graphql",
        &[
            ("origin", "https://dashboard.daklak.gov.vn"),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "apollographql-client-name,apollographql-client-version,authorization,content-type,traceparent",
            ),
        ],
        "",
    )
    .await;
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for header in ["apollographql-client-name", "authorization", "traceparent"] {
        assert!(allowed.contains(header), "{header} not in {allowed}");
    }
}
