//! `teams(search:)`: case- and accent-insensitive, over team, village and commune names.

use std::sync::Arc;

use serde_json::json;

use crate::common::{Backend, contract};

crate::tests!(
    search_without_accents_finds_only_the_commune_s_teams,
    search_matches_village_names_and_combines_with_the_unit_filter,
    search_treats_wildcards_literally,
);

async fn search_without_accents_finds_only_the_commune_s_teams(b: Arc<Backend>) {
    let app = b.demo().await;
    let expected = app
        .data(contract::TOTALS, json!({ "unitCode": "24172" }))
        .await["totals"]["teams"]
        .as_i64()
        .unwrap();
    for term in ["hoa phu", "HÒA PHÚ", "Hoà Phú", "  hòa   phú "] {
        let data = app
            .data(contract::TEAMS, json!({ "search": term, "first": 100 }))
            .await;
        let teams = &data["teams"];
        assert_eq!(teams["totalCount"], expected, "search {term:?}");
        let nodes = teams["nodes"].as_array().unwrap();
        assert_eq!(nodes.len() as i64, expected);
        for node in nodes {
            let code = node["unit"]["code"].as_str().unwrap();
            assert!(code.starts_with("24172."), "{code} is not in Hòa Phú");
        }
    }
}

async fn search_matches_village_names_and_combines_with_the_unit_filter(b: Arc<Backend>) {
    let app = b.demo().await;
    let data = app
        .data(
            contract::TEAMS,
            json!({ "search": "thon 3", "unitCode": "24172", "first": 100 }),
        )
        .await;
    let nodes = data["teams"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1, "{nodes:#?}");
    assert_eq!(nodes[0]["unit"]["name"], "Thôn 3");
    assert_eq!(nodes[0]["unit"]["code"], "24172.03");
}

async fn search_treats_wildcards_literally(b: Arc<Backend>) {
    let app = b.demo().await;
    for term in ["%", "_", "\\"] {
        let data = app.data(contract::TEAMS, json!({ "search": term })).await;
        assert_eq!(data["teams"]["totalCount"], 0, "search {term:?}");
    }
}
