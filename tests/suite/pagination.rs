//! Cursor pagination and the cost of a page.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;

use crate::common::{Backend, contract, error_codes};

crate::tests!(
    walking_all_pages_sees_every_team_once,
    first_above_100_is_bad_user_input,
    a_page_costs_the_same_statements_whatever_its_size,
    unit_filter_narrows_to_the_subtree,
    today_s_pages_walk_by_place_and_count_what_totals_count,
    a_cursor_of_one_list_is_refused_by_another,
    a_unit_out_of_reach_answers_an_empty_page,
);

const IDS: &str = "query($u: String, $a: Date, $f: Int, $after: String) {
  teams(unitCode: $u, asOf: $a, first: $f, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id unit { code } }
  }
}";

/// Every team id of a list, walked `first` at a time; checks that `totalCount` stays the same
/// on every page and that no team comes twice.
async fn walk(
    app: &crate::common::TestApp,
    user: &str,
    vars: serde_json::Value,
    first: i64,
) -> (Vec<String>, i64) {
    let mut ids = Vec::new();
    let mut seen = HashSet::new();
    let mut after: Option<String> = None;
    let mut total = None;
    loop {
        let mut v = vars.clone();
        v["f"] = json!(first);
        v["after"] = json!(after);
        let data = app.data_as(user, IDS, v).await;
        let teams = &data["teams"];
        let count = teams["totalCount"].as_i64().unwrap();
        assert_eq!(
            *total.get_or_insert(count),
            count,
            "{user}: the count moved"
        );
        for node in teams["nodes"].as_array().unwrap() {
            let id = node["id"].as_str().unwrap().to_owned();
            assert!(seen.insert(id.clone()), "{user}: team {id} came twice");
            ids.push(id);
        }
        if !teams["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = Some(teams["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
        assert!(ids.len() < 5000, "{user}: pagination does not end");
    }
    (ids, total.unwrap_or(0))
}

/// Today's teams are walked by place (village by village), a list as of a date by id; both
/// hold the same teams today, and today's count is the one `totals` gives, for a province's
/// leader, a commune's officer, the officer of a closed district (the villages it held) and an
/// administrator narrowing to a commune.
async fn today_s_pages_walk_by_place_and_count_what_totals_count(b: Arc<Backend>) {
    let app = b.today().await;
    let today = steering_gateway::scalars::today().to_string();
    for (user, unit) in [
        ("leader.66", None),
        ("officer.24175", None),
        ("officer.643", None),
        ("admin", Some("24175")),
        ("leader.66", Some("24343")),
    ] {
        let vars = json!({ "u": unit });
        let (by_place, count) = walk(app, user, vars.clone(), 37).await;
        assert_eq!(
            by_place.len() as i64,
            count,
            "{user} {unit:?}: every team of the count"
        );
        let mut dated = vars.clone();
        dated["a"] = json!(today);
        let (by_id, dated_count) = walk(app, user, dated, 37).await;
        assert_eq!(
            count, dated_count,
            "{user} {unit:?}: today's list and as of today"
        );
        let mut a = by_place.clone();
        let mut b = by_id.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b, "{user} {unit:?}: the same teams");
        if user != "officer.643" {
            // The closed district's officer has no totals of a whole unit to compare with.
            let totals = app
                .data_as(
                    user,
                    "query($u: String) { totals(unitCode: $u) { teams } }",
                    json!({ "u": unit }),
                )
                .await;
            assert_eq!(
                totals["totals"]["teams"].as_i64(),
                Some(count),
                "{user} {unit:?}: totals.teams and the list's count"
            );
        }
    }
    // By place: a village's teams come together, villages in the order of their places.
    let data = app.data_as("leader.66", IDS, json!({ "f": 100 })).await;
    let codes: Vec<&str> = data["teams"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["unit"]["code"].as_str().unwrap())
        .collect();
    let mut runs = codes.clone();
    runs.dedup();
    let mut distinct = runs.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        runs.len(),
        distinct.len(),
        "a place's teams are not together: {codes:?}"
    );
}

async fn a_cursor_of_one_list_is_refused_by_another(b: Arc<Backend>) {
    let app = b.today().await;
    let today = steering_gateway::scalars::today().to_string();
    let dated = app
        .data_as("leader.66", IDS, json!({ "a": today, "f": 2 }))
        .await;
    let by_id = dated["teams"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let current = app.data_as("leader.66", IDS, json!({ "f": 2 })).await;
    let by_place = current["teams"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    for vars in [
        json!({ "f": 2, "after": by_id }),
        json!({ "a": today, "f": 2, "after": by_place }),
    ] {
        let answer = app.graphql_as("leader.66", IDS, vars).await;
        assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
        assert_eq!(answer["errors"][0]["extensions"]["field"], "after");
    }
    // A cursor that was tampered with (a path of letters) is no cursor.
    let forged = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        "p:1:/1/x/",
    );
    let answer = app
        .graphql_as("leader.66", IDS, json!({ "f": 2, "after": forged }))
        .await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
}

/// Asked for a unit it reaches nothing of, an officer gets an empty page, today or as of the
/// closed unit's last day, and for a unit it holds a part of, that part.
async fn a_unit_out_of_reach_answers_an_empty_page(b: Arc<Backend>) {
    let app = b.today().await;
    for unit in ["643", "24175", "66"] {
        let data = app
            .data_as("officer.24355", IDS, json!({ "u": unit, "f": 5 }))
            .await;
        let own = app.data_as("officer.24355", IDS, json!({ "f": 5 })).await;
        let teams = &data["teams"];
        if unit == "66" {
            // The province holds the villages the closed commune kept.
            assert_eq!(teams["totalCount"], own["teams"]["totalCount"], "{unit}");
            assert!(teams["totalCount"].as_i64().unwrap() > 0);
        } else {
            assert_eq!(teams["totalCount"], 0, "{unit}: {data:#}");
            assert_eq!(teams["nodes"], json!([]), "{unit}");
            assert_eq!(teams["pageInfo"]["hasNextPage"], false);
        }
    }
}

async fn walking_all_pages_sees_every_team_once(b: Arc<Backend>) {
    let app = b.demo().await;
    let mut seen = HashSet::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let data = app
            .data(contract::TEAMS, json!({ "first": 100, "after": after }))
            .await;
        let teams = &data["teams"];
        assert_eq!(teams["totalCount"], 1163);
        for node in teams["nodes"].as_array().unwrap() {
            let id = node["id"].as_str().unwrap().to_owned();
            assert!(seen.insert(id.clone()), "team {id} appeared twice");
        }
        pages += 1;
        if !teams["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = Some(teams["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
        assert!(pages < 50, "pagination does not end");
    }
    assert_eq!(seen.len(), 1163);
    assert_eq!(pages, 12);
}

async fn first_above_100_is_bad_user_input(b: Arc<Backend>) {
    let app = b.demo().await;
    for query in [contract::TEAMS, contract::COMMITTEES, contract::TRAINING] {
        let answer = app.graphql(query, json!({ "first": 101 })).await;
        assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
        assert_eq!(answer["errors"][0]["extensions"]["field"], "first");
    }
    let answer = app.graphql(contract::UNIT, json!({ "code": "66" })).await;
    assert!(
        answer.get("errors").is_none(),
        "children(first: 100) is allowed"
    );
}

async fn a_page_costs_the_same_statements_whatever_its_size(b: Arc<Backend>) {
    // A pool of its own, so that no other test's statements are counted.
    let app = b.demo_alone().await;
    app.token("admin").await; // Signing in is not part of the page.
    // With Redis the caller's account and the unit are remembered after a first request.
    app.data(contract::TEAMS, json!({ "unitCode": "66", "first": 1 }))
        .await;
    let mut costs = Vec::new();
    for first in [10, 50, 100] {
        let before = app.statements();
        let data = app
            .data(contract::TEAMS, json!({ "unitCode": "66", "first": first }))
            .await;
        costs.push(app.statements() - before);
        assert_eq!(data["teams"]["nodes"].as_array().unwrap().len(), first);
    }
    // Who is asking and the unit filter (unless remembered), the count, the page with its
    // teams' units, their members.
    assert!(
        costs[0] <= 5,
        "a page of teams with units and members costs {costs:?}"
    );
    assert_eq!(
        costs[0], costs[1],
        "statements for 10 vs 50 teams: {costs:?}"
    );
    assert_eq!(
        costs[1], costs[2],
        "statements for 50 vs 100 teams: {costs:?}"
    );
}

async fn unit_filter_narrows_to_the_subtree(b: Arc<Backend>) {
    let app = b.demo().await;
    let district = app
        .data(contract::TEAMS, json!({ "unitCode": "650", "first": 100 }))
        .await;
    let expected = app
        .data(contract::TOTALS, json!({ "unitCode": "650" }))
        .await["totals"]["teams"]
        .clone();
    assert_eq!(district["teams"]["totalCount"], expected);
    let committees = app
        .data(contract::COMMITTEES, json!({ "unitCode": "24172" }))
        .await;
    assert_eq!(committees["steeringCommittees"]["totalCount"], 1);
    let committee = &committees["steeringCommittees"]["nodes"][0];
    assert_eq!(committee["unit"]["code"], "24172");
    assert_eq!(committee["members"][0]["position"], "HEAD");
}
