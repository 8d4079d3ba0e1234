//! `totals`: the figures leadership reads, checked against the database directly.

use std::sync::Arc;

use serde_json::json;

use crate::common::{Backend, contract};

crate::tests!(
    province_totals_match_the_published_figures,
    totals_equal_direct_counts_at_every_level,
    children_of_a_district_include_its_communes,
);

async fn province_totals_match_the_published_figures(b: Arc<Backend>) {
    let app = b.demo().await;
    let data = app
        .data(contract::TOTALS, json!({ "unitCode": "66" }))
        .await;
    let t = &data["totals"];
    assert_eq!(t["unit"]["name"], "Tỉnh Đắk Lắk");
    assert_eq!(t["unit"]["level"], "PROVINCE");
    assert_eq!(t["teams"], 1163);
    assert_eq!(t["members"], 7228);
    assert_eq!(t["children"].as_array().unwrap().len(), 15);
    assert_eq!(t["villagesWithTeam"], 1163);
    assert_eq!(t["committees"], 1 + 15 + 184);
    let leaders = t["membersByRole"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "LEADER")
        .unwrap();
    assert_eq!(leaders["count"], 1163, "one leader per team");
    let by_role: i64 = t["membersByRole"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_i64().unwrap())
        .sum();
    let by_affiliation: i64 = t["membersByAffiliation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_i64().unwrap())
        .sum();
    assert_eq!((by_role, by_affiliation), (7228, 7228));
    let child_teams: i64 = t["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["teams"].as_i64().unwrap())
        .sum();
    assert_eq!(child_teams, 1163, "the districts add up to the province");
    let child_members: i64 = t["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["members"].as_i64().unwrap())
        .sum();
    assert_eq!(
        child_members, 7228,
        "the districts' members add up to the province's"
    );
}

async fn totals_equal_direct_counts_at_every_level(b: Arc<Backend>) {
    let app = b.demo().await;
    // A province, a district, a pilot commune and one of its villages.
    for code in ["66", "650", "24355", "24355.03"] {
        let data = app
            .data(contract::TOTALS, json!({ "unitCode": code }))
            .await;
        let t = &data["totals"];
        let under =
            format!("(SELECT path FROM admin_unit WHERE code = '{code}' AND valid_to IS NULL)");
        let in_subtree =
            |alias: &str| format!("{alias}.path >= {under} AND {alias}.path < {under} || '~'");
        let teams = app
            .scalar(&format!(
                "SELECT COUNT(*) FROM team t JOIN admin_unit u ON u.id = t.unit_id \
                 WHERE t.status = 'ACTIVE' AND {}",
                in_subtree("u")
            ))
            .await;
        let members = app
            .scalar(&format!(
                "SELECT COUNT(*) FROM team_member m JOIN team t ON t.id = m.team_id \
                 JOIN admin_unit u ON u.id = t.unit_id \
                 WHERE t.status = 'ACTIVE' AND m.left_on IS NULL AND {}",
                in_subtree("u")
            ))
            .await;
        let trained = app
            .scalar(&format!(
                "SELECT COUNT(DISTINCT m.id) FROM team_member m JOIN team t ON t.id = m.team_id \
                 JOIN admin_unit u ON u.id = t.unit_id JOIN attendance a ON a.member_id = m.id \
                 WHERE t.status = 'ACTIVE' AND m.left_on IS NULL AND a.completed AND {}",
                in_subtree("u")
            ))
            .await;
        let villages = app
            .scalar(&format!(
                "SELECT COUNT(*) FROM admin_unit u WHERE u.level = 'VILLAGE' AND {}",
                in_subtree("u")
            ))
            .await;
        assert_eq!(t["teams"], teams, "teams of {code}");
        assert_eq!(t["members"], members, "members of {code}");
        assert_eq!(t["membersTrained"], trained, "trained members of {code}");
        assert_eq!(t["villages"], villages, "villages of {code}");
        assert!(teams > 0, "the demo has teams under {code}");
    }
}

async fn children_of_a_district_include_its_communes(b: Arc<Backend>) {
    let app = b.demo().await;
    let data = app
        .data(contract::TOTALS, json!({ "unitCode": "643" }))
        .await;
    let children = data["totals"]["children"].as_array().unwrap();
    let hoa_phu = children
        .iter()
        .find(|c| c["unit"]["code"] == "24172")
        .expect("Hòa Phú is a child of Buôn Ma Thuột");
    assert_eq!(hoa_phu["unit"]["name"], "Xã Hòa Phú");
    assert_eq!(hoa_phu["unit"]["level"], "COMMUNE");
    // A pilot commune: every village has a team.
    assert_eq!(hoa_phu["villages"], hoa_phu["villagesWithTeam"]);
    assert!(hoa_phu["teams"].as_i64().unwrap() >= 8);
}
