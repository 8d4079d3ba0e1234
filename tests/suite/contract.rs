//! Every read operation of the contract, sent exactly as the frontends send it.

use std::sync::Arc;

use serde_json::json;

use crate::common::{Backend, contract};

crate::tests!(
    unit_answers_with_parent_and_children,
    team_answers_with_members_and_their_training,
    committees_list_with_members,
    training_sessions_list_with_attendance,
    teams_page_has_the_contract_shape,
);

async fn unit_answers_with_parent_and_children(b: Arc<Backend>) {
    let app = b.demo().await;
    let data = app.data(contract::UNIT, json!({ "code": "643" })).await;
    let unit = &data["adminUnit"];
    assert_eq!(unit["name"], "Thành phố Buôn Ma Thuột");
    assert_eq!(unit["level"], "DISTRICT");
    assert_eq!(unit["divisionType"], "thành phố");
    assert_eq!(unit["parent"]["code"], "66");
    let nodes = unit["children"]["nodes"].as_array().unwrap();
    assert_eq!(
        unit["children"]["totalCount"].as_i64().unwrap(),
        nodes.len() as i64
    );
    assert!(
        nodes
            .iter()
            .any(|n| n["code"] == "24172" && n["name"] == "Xã Hòa Phú")
    );

    // Villages generated for Hòa Phú, with its Thôn 3.
    let data = app.data(contract::UNIT, json!({ "code": "24172" })).await;
    let villages = data["adminUnit"]["children"]["nodes"].as_array().unwrap();
    assert!(
        (8..=20).contains(&villages.len()),
        "{} villages",
        villages.len()
    );
    assert!(villages.iter().all(|v| v["level"] == "VILLAGE"));
    let thon3 = villages
        .iter()
        .find(|v| v["name"] == "Thôn 3")
        .expect("Thôn 3");
    assert_eq!(thon3["code"], "24172.03");
    assert_eq!(thon3["divisionType"], "thôn");
}

async fn team_answers_with_members_and_their_training(b: Arc<Backend>) {
    let app = b.demo().await;
    let page = app
        .data(contract::TEAMS, json!({ "unitCode": "24172.03" }))
        .await;
    let id = page["teams"]["nodes"][0]["id"].as_str().unwrap().to_owned();
    let data = app.data(contract::TEAM, json!({ "id": id })).await;
    let team = &data["team"];
    assert_eq!(team["id"], id);
    assert_eq!(team["status"], "ACTIVE");
    assert_eq!(team["unit"]["code"], "24172.03");
    assert_eq!(team["name"], "Tổ công nghệ số cộng đồng Thôn 3");
    let members = team["members"].as_array().unwrap();
    assert!(
        (4..=9).contains(&members.len()),
        "{} members",
        members.len()
    );
    assert_eq!(members[0]["role"], "LEADER");
    assert_eq!(
        members.iter().filter(|m| m["role"] == "LEADER").count(),
        1,
        "one leader"
    );
    let trained = members
        .iter()
        .flat_map(|m| m["trainings"].as_array().unwrap())
        .count();
    let expected = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM attendance a JOIN team_member m ON m.id = a.member_id \
             WHERE m.team_id = {id}"
        ))
        .await;
    assert_eq!(trained as i64, expected);
}

async fn committees_list_with_members(b: Arc<Backend>) {
    let app = b.demo().await;
    let data = app
        .data(
            contract::COMMITTEES,
            json!({ "unitCode": "66", "first": 5 }),
        )
        .await;
    let list = &data["steeringCommittees"];
    assert_eq!(list["totalCount"], 200);
    assert!(list["pageInfo"]["hasNextPage"].as_bool().unwrap());
    let province = &list["nodes"][0];
    assert_eq!(province["name"], "Ban Chỉ đạo chuyển đổi số tỉnh Đắk Lắk");
    assert_eq!(province["unit"]["level"], "PROVINCE");
    let members = province["members"].as_array().unwrap();
    assert_eq!(members[0]["position"], "HEAD");
    assert!(
        members[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Chủ tịch")
    );
    assert!(province["foundedOn"].as_str().unwrap().len() == 10);
}

async fn training_sessions_list_with_attendance(b: Arc<Backend>) {
    let app = b.demo().await;
    let data = app
        .data(
            contract::TRAINING,
            json!({ "unitCode": "66", "first": 100 }),
        )
        .await;
    let list = &data["trainingSessions"];
    // The 2022 conference and 2024 refresher, and two classes in each of the 15 districts.
    assert_eq!(list["totalCount"], 32);
    let conference = &list["nodes"][0];
    assert_eq!(conference["format"], "ONLINE");
    assert_eq!(conference["organizer"]["code"], "66");
    assert_eq!(
        conference["startsAt"], "2022-12-20T08:00:00+07:00",
        "in Vietnam's time"
    );
    let attended = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM attendance WHERE attended AND session_id = {}",
            conference["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(conference["attendeeCount"], attended);
    assert!(attended > 7228 / 2, "most members attended the conference");

    // A district sees its own classes, not the province's online sessions.
    let data = app
        .data(contract::TRAINING, json!({ "unitCode": "643" }))
        .await;
    let classes = &data["trainingSessions"];
    assert_eq!(classes["totalCount"], 2);
    for class in classes["nodes"].as_array().unwrap() {
        assert_eq!(class["format"], "IN_PERSON");
        assert_eq!(class["organizer"]["code"], "643");
    }
}

async fn teams_page_has_the_contract_shape(b: Arc<Backend>) {
    let app = b.demo().await;
    let data = app.data(contract::TEAMS, json!({})).await;
    let teams = &data["teams"];
    assert_eq!(
        teams["nodes"].as_array().unwrap().len(),
        20,
        "default page size"
    );
    let team = &teams["nodes"][0];
    for field in [
        "id",
        "name",
        "status",
        "foundedOn",
        "decisionNo",
        "unit",
        "members",
    ] {
        assert!(!team[field].is_null(), "{field} is set");
    }
    assert_eq!(team["unit"]["level"], "VILLAGE");
    let member = &team["members"][0];
    assert!(member["phone"].is_string() || member["phone"].is_null());
    assert!(member["birthYear"].as_i64().unwrap() >= 1965);
}
