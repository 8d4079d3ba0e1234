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
);

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
