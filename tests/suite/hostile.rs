//! Hostile callers: every request that once took the gateway down or tied it up is refused
//! with a code, and the gateway answers a small query promptly afterwards.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::attacks::{
    aliased, empty_shared_strings, fan_out_written, fragment_fan_out, long_xlsx, nested_json,
    nested_list, nested_object, one_big_cell_xlsx, shared_string_bomb, sparse_xlsx,
};
use crate::common::{Backend, DEMO_PASSWORD, TestApp, contract, error_codes, error_field, upload};

crate::tests!(
    deep_values_are_refused_and_the_process_survives,
    sparse_spreadsheets_are_refused_before_they_are_allocated,
    fragment_fan_out_is_refused_before_validation,
    concurrent_sign_ins_share_a_small_hashing_pool,
    one_login_per_request,
    failed_sign_ins_lock_the_account_for_every_replica,
    alias_floods_and_wide_pages_cost_what_they_fetch,
    imports_are_audited_as_summaries_and_audit_pages_are_costed,
    result_periods_are_real_months_and_years_and_costed,
    huge_spreadsheets_are_refused_without_being_parsed,
    text_that_reached_internal_is_bad_input_naming_the_field,
    invisible_and_control_characters_are_refused,
    a_report_is_approved_by_a_second_person,
    account_changes_end_earlier_tokens,
    attendee_counts_stay_in_the_callers_area,
    teams_hold_at_most_the_configured_members,
    anonymous_callers_learn_nothing_of_the_schema,
    metrics_can_be_kept_to_a_token,
    sign_ins_sent_at_once_are_counted_before_they_are_checked,
    forged_upload_placeholders_are_refused,
    shared_strings_cannot_multiply_a_spreadsheet,
    many_empty_shared_strings_are_refused_before_they_are_read,
    many_junk_variables_cost_no_more_than_their_size,
);

/// The gateway still answers a small query, as anyone.
async fn still_up(app: &TestApp) {
    let started = std::time::Instant::now();
    let answer = app.graphql_anonymous("{ __typename }", json!({})).await;
    assert_eq!(answer["data"]["__typename"], "QueryRoot", "{answer:#}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the gateway took {:?} to answer after the attack",
        started.elapsed()
    );
}

/// A refusal of the document itself: its code, the field and the limit broken.
fn assert_refused_document(answer: &Value, limit: &str, what: &str) {
    assert_eq!(
        error_codes(answer),
        ["BAD_USER_INPUT"],
        "{what}: {answer:#}"
    );
    assert_eq!(
        answer["errors"][0]["extensions"]["limit"], limit,
        "{what}: {answer:#}"
    );
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn deep_values_are_refused_and_the_process_survives(b: Arc<Backend>) {
    let app = b.demo().await;
    // Had any of these reached the engine's parser, the test process would have aborted with
    // a stack overflow: the suite finishing is part of the assertion.
    for depth in [100, 1_500, 100_000] {
        let cases = [
            format!(
                "{{ teams(search: {}) {{ totalCount }} }}",
                nested_list(depth)
            ),
            format!(
                "mutation {{ createTeam(input: {}) {{ id }} }}",
                nested_object(depth)
            ),
            format!(
                "query Q($v: [Int] = {}) {{ __typename }}",
                nested_list(depth)
            ),
            format!("{{ __typename(a: {}) }}", nested_list(depth)),
            format!("{}{}", "{ a ".repeat(depth), "}".repeat(depth)),
        ];
        for query in &cases {
            let limit = if query.len() > 64 * 1024 {
                "size"
            } else {
                "depth"
            };
            let answer = app.graphql_anonymous(query, json!({})).await;
            assert_refused_document(&answer, limit, &format!("depth {depth}"));
        }
        let uri = format!(
            "/graphql?query={}",
            percent_encode(&format!(
                "{{ teams(search: {}) {{ totalCount }} }}",
                nested_list(depth)
            ))
        );
        if depth <= 1_500 {
            let (status, _, body) = app
                .send(Request::get(uri).body(Body::empty()).unwrap())
                .await;
            let answer: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(status, StatusCode::OK);
            assert_refused_document(&answer, "depth", "over GET");
        }
    }
    // Variables: nested beyond the limit but within what JSON parsing accepts, then far beyond.
    let answer = app
        .graphql_anonymous(
            "query Q($v: [Int]) { __typename }",
            serde_json::from_str(&format!("{{\"v\": {}}}", nested_json(100))).unwrap(),
        )
        .await;
    assert_refused_document(&answer, "depth", "a deep variable");
    let body = format!(
        "{{\"query\": \"query Q($v: [Int]) {{ __typename }}\", \"variables\": {{\"v\": {}}}}}",
        nested_json(100_000)
    );
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let (status, _, _) = app.send(request).await;
    assert!(
        status.is_client_error(),
        "a variable nested 100,000 deep: {status}"
    );
    still_up(app).await;
}

async fn sparse_spreadsheets_are_refused_before_they_are_allocated(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    for (cells, dimension, at) in [
        (
            vec![("A1", "Họ và tên"), ("XFD1048576", "x")],
            Some("A1:XFD1048576"),
            "XFD1048576",
        ),
        (
            vec![("A1", "Họ và tên"), ("XFD1048576", "x")],
            None,
            "XFD1048576",
        ),
        (vec![("A1", "Họ và tên"), ("Z400000", "x")], None, "Z400000"),
        (
            vec![("A1", "Họ và tên"), ("AF2", "x")],
            Some("A1:AF2"),
            "AF2",
        ),
    ] {
        let file = sparse_xlsx(&cells, dimension);
        assert!(file.len() < 2_000, "a small file: {} bytes", file.len());
        let answer = upload(&app, "officer.24172", "24172", "sparse.xlsx", &file).await;
        assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
        assert_eq!(error_field(&answer), "file");
        let row = &answer["errors"][0]["extensions"]["rows"][0];
        assert_eq!(row["column"], at, "{answer:#}");
        assert!(row["line"].as_u64().unwrap() > 1, "{answer:#}");
    }
    // The memory these cost is measured on the real process, in `attacks_on_a_running_server`.
    still_up(&app).await;
}

async fn fragment_fan_out_is_refused_before_validation(b: Arc<Backend>) {
    let app = b.demo().await;
    for levels in [13, 22, 40] {
        let answer = app
            .graphql_anonymous(&fragment_fan_out(levels), json!({}))
            .await;
        assert_refused_document(&answer, "expansion", &format!("{levels} levels"));
    }
    // The engine reads `fragmentF0` as `fragment F0`: the guard counts what the engine reads.
    let answer = app
        .graphql_anonymous(&fan_out_written(22, "fragment"), json!({}))
        .await;
    assert_refused_document(&answer, "expansion", "fragments written without a space");
    // A fragment named `on`, spread as `...on`, with aliases inside.
    let text = format!(
        "{{ {} }} fragment on on QueryRoot {{ {} }}",
        "...on ".repeat(200),
        "__typename ".repeat(200)
    );
    let answer = app.graphql_anonymous(&text, json!({})).await;
    assert_refused_document(&answer, "expansion", "a fragment named on");
    // Within the limit, fragments work as usual.
    let answer = app.graphql_anonymous(&fragment_fan_out(4), json!({})).await;
    assert_eq!(answer["data"]["__typename"], "QueryRoot", "{answer:#}");
    still_up(app).await;
}

async fn concurrent_sign_ins_share_a_small_hashing_pool(b: Arc<Backend>) {
    let app = Arc::new(b.demo_alone().await);
    let mut attempts = Vec::new();
    for i in 0..32 {
        let app = app.clone();
        attempts.push(tokio::spawn(async move {
            app.post(
                None,
                contract::LOGIN,
                json!({ "username": format!("nobody.pool.{i}"), "password": "wrong password" }),
            )
            .await
        }));
    }
    for attempt in attempts {
        let (_, answer) = attempt.await.unwrap();
        let codes = error_codes(&answer);
        assert!(
            codes == ["BAD_CREDENTIALS"] || codes == ["RATE_LIMITED"],
            "{answer:#}"
        );
    }
    let token = app.token("officer.643").await;
    assert!(!token.is_empty());
}

async fn one_login_per_request(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let guesses = (0..3)
        .map(|i| {
            format!("g{i}: login(username: \"officer.643\", password: \"guess {i}\") {{ token }}")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let right = format!(
        "mutation {{ {guesses}\n ok: login(username: \"officer.643\", password: \"{DEMO_PASSWORD}\") {{ token }} }}"
    );
    let answer = app.graphql_anonymous(&right, json!({})).await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
    assert_eq!(error_field(&answer), "login");
    assert!(answer["data"].is_null(), "nothing ran: {answer:#}");
    // Through a fragment too.
    let fragment = "mutation { ...A ...A } fragment A on MutationRoot { login(username: \"x\", password: \"y\") { token } }";
    let answer = app.graphql_anonymous(fragment, json!({})).await;
    assert_eq!(error_field(&answer), "login", "{answer:#}");
    // None of those guesses counted as a failure: the account signs in.
    assert!(!app.token("officer.643").await.is_empty());
}

async fn sign_in(
    app: &TestApp,
    username: &str,
    password: &str,
) -> (StatusCode, Value, Option<String>) {
    let body = json!({ "query": contract::LOGIN, "variables": { "username": username, "password": password } });
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let (status, headers, body) = app.send(request).await;
    let retry = headers
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, serde_json::from_slice(&body).unwrap(), retry)
}

async fn failed_sign_ins_lock_the_account_for_every_replica(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let replica = b.replica(&app).await;
    for account in ["officer.24355", "nobody.24355"] {
        for i in 0..5 {
            let (status, answer, _) = sign_in(&app, account, &format!("guess {i}")).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(error_codes(&answer), ["BAD_CREDENTIALS"], "{answer:#}");
        }
    }
    let (status, locked, retry) = sign_in(&app, "officer.24355", DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{locked:#}");
    assert_eq!(error_codes(&locked), ["RATE_LIMITED"]);
    let seconds: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=5).contains(&seconds), "{seconds}");
    assert_eq!(locked["errors"][0]["extensions"]["retryAfter"], seconds);
    // An account that does not exist is refused the same way.
    let (status, unknown, _) = sign_in(&app, "nobody.24355", DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        locked["errors"][0]["message"],
        unknown["errors"][0]["message"]
    );
    // Other accounts are not affected.
    let (status, _, _) = sign_in(&app, "officer.24172", DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    if b.redis_url.is_some() {
        let (status, answer, _) = sign_in(&replica, "officer.24355", DEMO_PASSWORD).await;
        assert_eq!(
            status,
            StatusCode::TOO_MANY_REQUESTS,
            "the other replica knows: {answer:#}"
        );
    }
}

const TEAMS_DEEP: &str =
    "teams(first: 100) { nodes { members { trainings { session { id title } } } } }";

async fn alias_floods_and_wide_pages_cost_what_they_fetch(b: Arc<Backend>) {
    let app = b.demo().await;
    let answer = app
        .graphql_as("leader.66", &aliased(400, TEAMS_DEEP), json!({}))
        .await;
    assert_refused_document(&answer, "aliases", "400 aliases");
    let answer = app
        .graphql_as("leader.66", &aliased(4, TEAMS_DEEP), json!({}))
        .await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
    let cost = answer["errors"][0]["extensions"]["cost"].as_u64().unwrap();
    let budget = answer["errors"][0]["extensions"]["budget"]
        .as_u64()
        .unwrap();
    assert!(cost > budget, "{answer:#}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&cost.to_string())
    );
    // The contract's largest page fits.
    let answer = app
        .graphql_as("leader.66", contract::TEAMS, json!({ "first": 100 }))
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    assert_eq!(
        answer["data"]["teams"]["nodes"].as_array().unwrap().len(),
        100
    );
    still_up(app).await;
}

async fn imports_are_audited_as_summaries_and_audit_pages_are_costed(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let file: &[u8] = include_bytes!("../data/members_hoa_phu.xlsx");
    let answer = upload(&app, "officer.24172", "24172", "danh-sach.xlsx", file).await;
    assert_eq!(
        answer["data"]["importTeamMembers"]["added"], 100,
        "{answer:#}"
    );
    let audit = app
        .data_as(
            "leader.66",
            "{ auditLog(first: 1) { nodes { operation after } } }",
            json!({}),
        )
        .await;
    let entry = &audit["auditLog"]["nodes"][0];
    assert_eq!(entry["operation"], "importTeamMembers");
    let after = &entry["after"];
    assert_eq!(after["rows"], 100, "{after:#}");
    assert_eq!(after["added"], 100);
    assert_eq!(after["file"]["bytes"], file.len());
    assert_eq!(after["file"]["sha256"].as_str().unwrap().len(), 64);
    assert!(after.get("members").is_none(), "no rows in the audit entry");
    assert!(after.to_string().len() < 4_000, "{after:#}");

    let answer = app
        .graphql_as(
            "leader.66",
            &aliased(60, "auditLog(first: 100) { nodes { after } }"),
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
    assert!(answer["errors"][0]["extensions"]["cost"].as_u64().unwrap() > 20_000);
}

async fn result_periods_are_real_months_and_years_and_costed(b: Arc<Backend>) {
    let app = b.demo().await;
    for period in [
        "1000-01", "+123", "0000", "2019-12", "2024-13", "2024-1", "99999",
    ] {
        let answer = app
            .graphql_as(
                "leader.66",
                "query($p: String!) { totals(unitCode: \"66\") { results(period: $p) { reports } } }",
                json!({ "p": period }),
            )
            .await;
        assert_eq!(
            error_codes(&answer),
            ["BAD_USER_INPUT"],
            "{period}: {answer:#}"
        );
        assert_eq!(error_field(&answer), "period", "{period}");
    }
    let answer = app
        .graphql_as(
            "leader.66",
            "{ totals(unitCode: \"66\") { results(period: \"2024\") { reports } } }",
            json!({}),
        )
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    // Many distinct periods in one request cost more than the budget.
    let fields: Vec<String> = (0..60)
        .map(|i| {
            format!(
                "r{i}: results(period: \"{}-{:02}\") {{ reports }}",
                2021 + i / 12,
                i % 12 + 1
            )
        })
        .collect();
    let query = format!("{{ totals(unitCode: \"66\") {{ {} }} }}", fields.join(" "));
    let answer = app.graphql_as("leader.66", &query, json!({})).await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
    assert!(
        answer["errors"][0]["extensions"]["cost"].is_u64(),
        "{answer:#}"
    );
    let answer = app
        .graphql_as("leader.66", &aliased(2_000, "__typename"), json!({}))
        .await;
    assert_refused_document(&answer, "aliases", "2,000 aliases");
}

async fn huge_spreadsheets_are_refused_without_being_parsed(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let million = long_xlsx(1_000_000);
    assert!(million.len() < 2 * 1024 * 1024, "{} bytes", million.len());
    let answer = upload(&app, "officer.24172", "24172", "million.xlsx", &million).await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
    assert_eq!(error_field(&answer), "file");
    drop(million);
    // One cell of 40 million characters: the file unpacks past the cap.
    let big = one_big_cell_xlsx(40_000_000);
    let answer = upload(&app, "officer.24172", "24172", "big.xlsx", &big).await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unpacks"),
        "{answer:#}"
    );
    // One cell of 5,000 characters: refused with its place.
    let long = one_big_cell_xlsx(5_000);
    let answer = upload(&app, "officer.24172", "24172", "long.xlsx", &long).await;
    assert_eq!(
        answer["errors"][0]["extensions"]["rows"][0]["column"], "A2",
        "{answer:#}"
    );
    // A CSV file longer than the cap is refused at its first row past it.
    let mut csv = String::from("Họ và tên,Thôn,Vai trò,Lực lượng\n");
    for i in 0..6_000 {
        csv.push_str(&format!("Người {i},Thôn 1,Thành viên,Khác\n"));
    }
    let answer = upload(&app, "officer.24172", "24172", "long.csv", csv.as_bytes()).await;
    assert_eq!(
        answer["errors"][0]["extensions"]["rows"][0]["line"], 5_002,
        "{answer:#}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM team_member WHERE full_name LIKE 'Người %'")
            .await,
        0
    );
    still_up(&app).await;
}

const CREATE_TEAM: &str =
    "mutation($input: CreateTeamInput!) { createTeam(input: $input) { id name } }";

async fn text_that_reached_internal_is_bad_input_naming_the_field(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let answer = app
        .graphql_as(
            "officer.24172",
            CREATE_TEAM,
            json!({ "input": { "unitCode": "24172.03", "name": "Tổ\u{0}CNS" } }),
        )
        .await;
    assert_eq!(
        (error_codes(&answer), error_field(&answer)),
        (vec!["BAD_USER_INPUT".to_owned()], "name".to_owned()),
        "{answer:#}"
    );
    for date in [
        "0000-01-01",
        "-0001-01-01",
        "0001-01-01",
        "1899-12-31",
        "+10000-01-01",
    ] {
        let answer = app
            .graphql_as(
                "officer.24172",
                CREATE_TEAM,
                json!({ "input": { "unitCode": "24172.03", "name": "Tổ CNS mới", "foundedOn": date } }),
            )
            .await;
        assert_eq!(
            (error_codes(&answer), error_field(&answer)),
            (vec!["BAD_USER_INPUT".to_owned()], "foundedOn".to_owned()),
            "{date}: {answer:#}"
        );
    }
    // Written into the document rather than sent as a variable, the field is named too.
    let answer = app
        .graphql_as(
            "officer.24172",
            "mutation { createTeam(input: { unitCode: \"24172.03\", name: \"Tổ\", foundedOn: \"0000-01-01\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_field(&answer), "foundedOn", "{answer:#}");
    // Given through a variable of its own, the field it is used for is named.
    let answer = app
        .graphql_as(
            "officer.24172",
            "mutation($d: Date) { createTeam(input: { unitCode: \"24172.03\", name: \"Tổ\", foundedOn: $d }) { id } }",
            json!({ "d": "bad" }),
        )
        .await;
    assert_eq!(error_field(&answer), "foundedOn", "{answer:#}");
    let answer = app
        .graphql_as(
            "officer.24172",
            contract::TEAMS,
            json!({ "search": "a".repeat(50_001) }),
        )
        .await;
    assert_eq!(
        (error_codes(&answer), error_field(&answer)),
        (vec!["BAD_USER_INPUT".to_owned()], "search".to_owned())
    );
    let answer = app
        .graphql_as(
            "officer.24172",
            contract::TEAMS,
            json!({ "search": "Hòa\u{0}" }),
        )
        .await;
    assert_eq!(error_field(&answer), "search", "{answer:#}");
    let answer = app
        .graphql_as(
            "officer.24172",
            contract::UNIT,
            json!({ "code": "24\u{0}172" }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["NOT_FOUND"], "{answer:#}");
    let answer = app
        .graphql_anonymous(
            contract::LOGIN,
            json!({ "username": "officer\u{0}", "password": "x" }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["BAD_CREDENTIALS"], "{answer:#}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM team WHERE name LIKE 'Tổ CNS mới%' OR name LIKE 'Tổ%CNS'")
            .await,
        0
    );
}

async fn invisible_and_control_characters_are_refused(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    for name in [
        "\u{200b}",
        "\u{200b}\u{200b}\u{200b}",
        "Tổ \u{202e}SNC",
        "\u{1b}[31mTổ",
        "Tổ\u{1}",
        "\u{feff}",
    ] {
        let answer = app
            .graphql_as(
                "officer.24172",
                CREATE_TEAM,
                json!({ "input": { "unitCode": "24172.03", "name": name } }),
            )
            .await;
        assert_eq!(
            (error_codes(&answer), error_field(&answer)),
            (vec!["BAD_USER_INPUT".to_owned()], "name".to_owned()),
            "{name:?}: {answer:#}"
        );
    }
    let team = app.scalar("SELECT MIN(t.id) FROM team t JOIN admin_unit u ON u.id = t.unit_id WHERE u.code LIKE '24172.%'").await;
    for period in ["+123", "0000", "2019-12", "1000-01"] {
        let answer = app
            .graphql_as(
                "officer.24172",
                "mutation($input: CreateResultReportInput!) { createResultReport(input: $input) { id } }",
                json!({ "input": { "teamId": team.to_string(), "period": period, "results": {
                    "householdsReached": 1, "vneidActivations": 1, "onlineApplications": 1,
                    "cashlessAccounts": 1, "ecommerceAccounts": 1 } } }),
            )
            .await;
        assert_eq!(error_field(&answer), "period", "{period}: {answer:#}");
    }
    let answer = app
        .graphql_as(
            "officer.24172",
            "mutation($input: CreateTrainingSessionInput!) { createTrainingSession(input: $input) { id } }",
            json!({ "input": { "organizerUnitCode": "24172", "title": "Tập huấn", "format": "ONLINE",
                "startsAt": "0000-06-01T08:00:00Z" } }),
        )
        .await;
    assert_eq!(error_field(&answer), "startsAt", "{answer:#}");
    let answer = app
        .graphql_as(
            "officer.24172",
            "mutation($input: AddTeamMemberInput!) { addTeamMember(input: $input) { id } }",
            json!({ "input": { "teamId": team.to_string(), "fullName": "\u{2066}Nguyễn Văn A",
                "role": "MEMBER", "affiliation": "OTHER" } }),
        )
        .await;
    assert_eq!(error_field(&answer), "fullName", "{answer:#}");
}

const REPORTS: &str = r#"
mutation Create($input: CreateResultReportInput!) { createResultReport(input: $input) { id state } }
mutation Submit($id: ID!) { submitResultReport(id: $id) { id state } }
mutation Approve($id: ID!) { approveResultReport(id: $id) { id state } }
"#;

async fn report_step(app: &TestApp, user: &str, operation: &str, variables: Value) -> Value {
    let token = app.token(user).await;
    app.post_operation(Some(&token), REPORTS, Some(operation), variables)
        .await
        .1
}

async fn a_report_is_approved_by_a_second_person(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let team = app.scalar("SELECT MIN(t.id) FROM team t JOIN admin_unit u ON u.id = t.unit_id WHERE u.code LIKE '24172.%'").await;
    let results = json!({ "householdsReached": 40, "vneidActivations": 25, "onlineApplications": 6,
        "cashlessAccounts": 12, "ecommerceAccounts": 1 });
    let create =
        json!({ "input": { "teamId": team.to_string(), "period": "2026-09", "results": results } });
    // The district officer writes, submits, and may not approve.
    let answer = report_step(&app, "officer.643", "Create", create).await;
    let id = answer["data"]["createResultReport"]["id"].clone();
    assert!(id.is_string(), "{answer:#}");
    let answer = report_step(&app, "officer.643", "Submit", json!({ "id": id })).await;
    assert_eq!(
        answer["data"]["submitResultReport"]["state"], "SUBMITTED",
        "{answer:#}"
    );
    let answer = report_step(&app, "officer.643", "Approve", json!({ "id": id })).await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{answer:#}");
    assert_eq!(
        answer["errors"][0]["extensions"]["reason"],
        steering_gateway::domain::report_edits::SECOND_PAIR_OF_EYES,
        "the refusal says why"
    );
    let state = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM result_report WHERE id = {} AND state = 'SUBMITTED'",
            id.as_str().unwrap()
        ))
        .await;
    assert_eq!(state, 1, "still submitted");
    // Someone else whose area holds the team approves it.
    let answer = report_step(&app, "admin", "Approve", json!({ "id": id })).await;
    assert_eq!(
        answer["data"]["approveResultReport"]["state"], "APPROVED",
        "{answer:#}"
    );
    // A report the commune wrote and submitted is approved by the district as before.
    let create =
        json!({ "input": { "teamId": team.to_string(), "period": "2026-08", "results": results } });
    let answer = report_step(&app, "officer.24172", "Create", create).await;
    let id = answer["data"]["createResultReport"]["id"].clone();
    report_step(&app, "officer.24172", "Submit", json!({ "id": id })).await;
    let answer = report_step(&app, "officer.643", "Approve", json!({ "id": id })).await;
    assert_eq!(
        answer["data"]["approveResultReport"]["state"], "APPROVED",
        "{answer:#}"
    );
}

async fn account_changes_end_earlier_tokens(b: Arc<Backend>) {
    use steering_gateway::domain::users;
    let app = b.fresh_demo().await;
    let replica = b.replica(&app).await;
    let token = app.token("officer.24172").await;
    for served_by in [&app, &replica] {
        let (status, _) = served_by.post(Some(&token), contract::ME, json!({})).await;
        assert_eq!(status, StatusCode::OK);
    }
    // A new password, set as the command line does it (the hash, then the announcement).
    let hash = steering_gateway::auth::hash_password("a new password 2026").unwrap();
    users::set_password_hash(&app.db().conn, "officer.24172", &hash)
        .await
        .unwrap();
    assert!(app.state.cache().accounts_changed().await);
    for served_by in [&app, &replica] {
        let (status, answer) = served_by.post(Some(&token), contract::ME, json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer:#}");
        assert_eq!(error_codes(&answer), ["UNAUTHENTICATED"]);
    }
    let (_, answer) = app
        .post(
            None,
            contract::LOGIN,
            json!({ "username": "officer.24172", "password": "a new password 2026" }),
        )
        .await;
    let fresh = answer["data"]["login"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = replica.post(Some(&fresh), contract::ME, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    // Disabling and enabling again ends it too.
    app.cli(&["user", "disable", "officer.24172"])
        .await
        .unwrap();
    app.cli(&["user", "enable", "officer.24172"]).await.unwrap();
    for served_by in [&app, &replica] {
        let (status, _) = served_by.post(Some(&fresh), contract::ME, json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

async fn attendee_counts_stay_in_the_callers_area(b: Arc<Backend>) {
    let app = b.demo().await;
    // The province's online conference of December 2022.
    let session = app.scalar("SELECT MIN(id) FROM training_session").await;
    let all = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM attendance WHERE session_id = {session} AND attended"
        ))
        .await;
    let hoa_phu = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM attendance a JOIN team_member m ON m.id = a.member_id \
             JOIN team t ON t.id = m.team_id JOIN admin_unit u ON u.id = t.unit_id \
             WHERE a.session_id = {session} AND a.attended AND u.code LIKE '24172.%'"
        ))
        .await;
    assert!(0 < hoa_phu && hoa_phu < all, "{hoa_phu} of {all}");
    // A commune officer reaches the province's session through the training of a member of
    // one of the commune's teams.
    let member_team = app
        .scalar(&format!(
            "SELECT MIN(t.id) FROM attendance a JOIN team_member m ON m.id = a.member_id \
             JOIN team t ON t.id = m.team_id JOIN admin_unit u ON u.id = t.unit_id \
             WHERE a.session_id = {session} AND u.code LIKE '24172.%'"
        ))
        .await;
    let query = "query($id: ID!) { team(id: $id) { members { trainings { session { id attendeeCount } } } } }";
    for (user, expected) in [
        ("admin", all),
        ("leader.66", all),
        ("officer.24172", hoa_phu),
    ] {
        let data = app
            .data_as(user, query, json!({ "id": member_team.to_string() }))
            .await;
        let counts: Vec<&Value> = data["team"]["members"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|m| m["trainings"].as_array().unwrap())
            .map(|t| &t["session"])
            .filter(|s| s["id"].as_str() == Some(session.to_string().as_str()))
            .map(|s| &s["attendeeCount"])
            .collect();
        assert!(!counts.is_empty(), "{user}: {data:#}");
        for count in counts {
            assert_eq!(*count, json!(expected), "{user}");
        }
    }
}

async fn teams_hold_at_most_the_configured_members(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let team = app.scalar("SELECT MIN(t.id) FROM team t JOIN admin_unit u ON u.id = t.unit_id WHERE u.code LIKE '24172.%'").await;
    let current = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM team_member WHERE team_id = {team} AND left_on IS NULL"
        ))
        .await;
    let add = "mutation($input: AddTeamMemberInput!) { addTeamMember(input: $input) { id } }";
    for i in current..20 {
        let answer = app
            .graphql_as("officer.24172", add, json!({ "input": { "teamId": team.to_string(),
                "fullName": format!("Thành viên {i}"), "role": "MEMBER", "affiliation": "OTHER" } }))
            .await;
        assert!(answer.get("errors").is_none(), "member {i}: {answer:#}");
    }
    let answer = app
        .graphql_as(
            "officer.24172",
            add,
            json!({ "input": { "teamId": team.to_string(),
            "fullName": "Thành viên thứ 21", "role": "MEMBER", "affiliation": "OTHER" } }),
        )
        .await;
    assert_eq!(
        (error_codes(&answer), error_field(&answer)),
        (vec!["BAD_USER_INPUT".to_owned()], "teamId".to_owned()),
        "{answer:#}"
    );
    let count = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM team_member WHERE team_id = {team} AND left_on IS NULL"
        ))
        .await;
    assert_eq!(count, 20);
    // An import bringing a full team one more member names the row.
    let village: String = {
        let data = app
            .data(contract::TEAM, json!({ "id": team.to_string() }))
            .await;
        data["team"]["unit"]["name"].as_str().unwrap().to_owned()
    };
    let csv = format!("Họ và tên,Thôn,Vai trò,Lực lượng\nNgười mới,{village},Thành viên,Khác\n");
    let answer = upload(&app, "officer.24172", "24172", "one.csv", csv.as_bytes()).await;
    let row = &answer["errors"][0]["extensions"]["rows"][0];
    assert_eq!(row["line"], 2, "{answer:#}");
    assert!(
        row["message"].as_str().unwrap().contains("at most 20"),
        "{answer:#}"
    );
}

async fn anonymous_callers_learn_nothing_of_the_schema(b: Arc<Backend>) {
    let app = b.demo().await;
    let introspection = "{ __schema { queryType { name } types { name } } }";
    let answer = app.graphql_anonymous(introspection, json!({})).await;
    assert!(
        answer["data"].is_null() || answer["data"]["__schema"].is_null(),
        "{answer:#}"
    );
    let answer = app
        .graphql_anonymous("{ __type(name: \"Team\") { fields { name } } }", json!({}))
        .await;
    assert!(answer.to_string().find("fullName").is_none(), "{answer:#}");
    let answer = app
        .graphql_anonymous("{ teamz { totalCount } }", json!({}))
        .await;
    assert!(!answer.to_string().contains("Did you mean"), "{answer:#}");
    // Nor from what validation says of fields, arguments and types: anything but `login` is
    // answered the same, whether it exists or not.
    let refused = app
        .graphql_anonymous("{ teams(search: \"a\") { totalCount } }", json!({}))
        .await;
    assert_eq!(error_codes(&refused), ["UNAUTHENTICATED"], "{refused:#}");
    for query in [
        "{ teams(serch: \"a\") { totalCount } }",
        "{ teamz { totalCount } }",
        "{ team }",
        "{ teams { nodes } }",
        "{ auditLog { nodes { befor } } }",
        "mutation { createTeam(input: {}) { id } }",
        "mutation { createTeam(input: { unitCode: \"24172.03\", name: \"y\", foundedOn: \"bad\" }) { id } }",
    ] {
        let answer = app.graphql_anonymous(query, json!({})).await;
        assert_eq!(answer, refused, "{query}");
    }
    // Login's own mistakes are told without naming what is inside the schema.
    let answer = app
        .graphql_anonymous("mutation { login(username: \"a\") { token } }", json!({}))
        .await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
    assert!(!answer.to_string().contains("password"), "{answer:#}");
    // Signed-in users keep both.
    let answer = app
        .graphql_as("officer.24172", "{ teamz { totalCount } }", json!({}))
        .await;
    assert!(answer.to_string().contains("Did you mean"), "{answer:#}");
    let data = app.data_as("officer.24172", introspection, json!({})).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "QueryRoot");
}

async fn metrics_can_be_kept_to_a_token(b: Arc<Backend>) {
    let base = b.demo().await;
    let db = steering_gateway::db::Db::connect(&base.url).await.unwrap();
    let mut settings = base.state.settings.clone();
    settings.metrics_token = Some("a metrics token of some length".to_owned());
    let app = TestApp::with_settings(db, settings).await;
    let get = |auth: Option<&str>| {
        let mut request = Request::get("/metrics");
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.body(Body::empty()).unwrap()
    };
    let (status, _, _) = app.send(get(None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = app
        .send(get(Some("Bearer wrong token of some length")))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) = app
        .send(get(Some("Bearer a metrics token of some length")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("steering_sql_statements_total"));
    // Moved to an address of its own, it is gone from the API's.
    let db = steering_gateway::db::Db::connect(&base.url).await.unwrap();
    let mut settings = base.state.settings.clone();
    settings.metrics_addr = Some("127.0.0.1:0".parse().unwrap());
    let app = TestApp::with_settings(db, settings).await;
    let (status, _, _) = app.send(get(None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn sign_ins_sent_at_once_are_counted_before_they_are_checked(b: Arc<Backend>) {
    let app = Arc::new(b.fresh_demo().await);
    let attempts: Vec<_> = (0..20)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                sign_in(&app, "officer.24355", &format!("guess {i}"))
                    .await
                    .1
            })
        })
        .collect();
    let mut checked = 0;
    for attempt in attempts {
        let answer = attempt.await.unwrap();
        let codes = error_codes(&answer);
        assert!(
            codes == ["BAD_CREDENTIALS"] || codes == ["RATE_LIMITED"],
            "{answer:#}"
        );
        checked += usize::from(codes == ["BAD_CREDENTIALS"]);
    }
    assert!(checked <= 5, "{checked} guesses were checked");
    let (status, answer, _) = sign_in(&app, "officer.24355", DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer:#}");
}

async fn forged_upload_placeholders_are_refused(b: Arc<Backend>) {
    let app = b.demo().await;
    let forged = json!({ "unitCode": "24172", "file": "#__graphql_file__:0" });
    let query = "mutation($unitCode: String!, $file: Upload!) { importTeamMembers(unitCode: $unitCode, file: $file) { added } }";
    for user in ["officer.24172", "admin"] {
        let token = app.token(user).await;
        let (status, answer) = app.post(Some(&token), query, forged.clone()).await;
        assert_eq!(status, StatusCode::OK, "{answer:#}");
        assert_eq!(
            (error_codes(&answer), error_field(&answer)),
            (vec!["BAD_USER_INPUT".to_owned()], "file".to_owned()),
            "{answer:#}"
        );
    }
    let literal = "mutation { importTeamMembers(unitCode: \"24172\", file: \"#__graphql_file__:7\") { added } }";
    let answer = app.graphql_as("officer.24172", literal, json!({})).await;
    assert_eq!(error_field(&answer), "file", "{answer:#}");
    // Indexes that are no number, and anyone sending them, signed in or not.
    for index in ["abc", "-1", "18446744073709551616", "", "0 "] {
        let forged = json!({ "unitCode": "24172", "file": format!("#__graphql_file__:{index}") });
        let (status, answer) = app.post(None, query, forged).await;
        assert_eq!(status, StatusCode::OK, "{index:?}: {answer:#}");
        assert_eq!(error_field(&answer), "file", "{index:?}: {answer:#}");
    }
}

async fn shared_strings_cannot_multiply_a_spreadsheet(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let emoji = "😀".repeat(1_000);
    let file = shared_string_bomb(5_000, 30, &emoji);
    assert!(file.len() < 100_000, "{} bytes", file.len());
    let answer = upload(&app, "officer.24172", "24172", "bomb.xlsx", &file).await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
    let row = &answer["errors"][0]["extensions"]["rows"][0];
    assert!(
        row["message"].as_str().unwrap().contains("characters"),
        "{answer:#}"
    );
    still_up(&app).await;
}

async fn many_junk_variables_cost_no_more_than_their_size(b: Arc<Backend>) {
    let app = b.demo().await;
    let junk: Vec<String> = (0..30_000).map(|i| format!("x{i}")).collect();
    let answer = app
        .graphql_as(
            "officer.24172",
            "mutation($d: Date) { createTeam(input: { unitCode: \"24172.03\", name: \"Tổ\", foundedOn: $d }) { id } }",
            json!({ "d": "a".repeat(300_000), "j": junk }),
        )
        .await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
    assert!(
        answer.to_string().len() < 2_000,
        "the long value is not echoed back"
    );
    still_up(app).await;
}

async fn many_empty_shared_strings_are_refused_before_they_are_read(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let file = empty_shared_strings(2_000_000);
    assert!(file.len() < 200_000, "{} bytes", file.len());
    let answer = upload(&app, "officer.24172", "24172", "empty.xlsx", &file).await;
    assert_eq!(
        (error_codes(&answer), error_field(&answer)),
        (vec!["BAD_USER_INPUT".to_owned()], "file".to_owned()),
        "{answer:#}"
    );
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("elements"),
        "{answer:#}"
    );
    still_up(&app).await;
}
