//! The contract's large answers on the demo data, whole, as the frontends receive them:
//! snapshots under `tests/suite/snapshots/`. Every database compares with the same file, so a
//! backend that answered differently from another would fail here too.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::common::{Backend, contract};

crate::tests!(the_contract_reads_answer_as_recorded);

async fn the_contract_reads_answer_as_recorded(b: Arc<Backend>) {
    let app = b.demo().await;
    let page = app
        .data_as(
            "officer.24172",
            contract::TEAMS,
            json!({ "unitCode": "24172", "first": 5 }),
        )
        .await;
    let team = page["teams"]["nodes"][0]["id"].clone();
    let reads: [(&str, &str, &str, Value); 7] = [
        ("me", "officer.643", contract::ME, json!({})),
        (
            "unit",
            "leader.66",
            contract::UNIT,
            json!({ "code": "643" }),
        ),
        (
            "teams",
            "officer.24172",
            contract::TEAMS,
            json!({ "unitCode": "24172", "first": 5 }),
        ),
        (
            "team",
            "officer.24172",
            contract::TEAM,
            json!({ "id": team }),
        ),
        (
            "committees",
            "officer.643",
            contract::COMMITTEES,
            json!({ "unitCode": "643", "first": 3 }),
        ),
        (
            "training",
            "officer.643",
            contract::TRAINING,
            json!({ "first": 3 }),
        ),
        (
            "totals",
            "leader.66",
            contract::TOTALS,
            json!({ "unitCode": "66" }),
        ),
    ];
    for (name, user, operation, variables) in reads {
        let data = app.data_as(user, operation, variables).await;
        insta::assert_json_snapshot!(name, data);
    }
}
