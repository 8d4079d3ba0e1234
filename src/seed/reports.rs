//! Monthly results: three months per team, two approved and the latest submitted or a draft.

use sea_orm::ActiveValue::Set;
use sea_orm::ConnectionTrait;

use super::rng::Rng;
use crate::db::bulk::{insert_rows, next_id, sync_identity};
use crate::db::entities::result_report::{self, Entity as Reports};

/// Three months of results per team: two approved, the latest submitted or still a draft.
pub(super) async fn generate(
    txn: &impl ConnectionTrait,
    rng: &mut Rng,
    teams: &[i64],
) -> anyhow::Result<usize> {
    let mut rows = Vec::new();
    let mut id = next_id::<Reports>(txn).await?;
    for &team in teams {
        for (month, state) in [
            ("2023-01", "APPROVED"),
            ("2023-02", "APPROVED"),
            ("2023-03", ""),
        ] {
            let state = match state {
                "" if rng.chance(70) => "SUBMITTED",
                "" => "DRAFT",
                s => s,
            };
            rows.push(result_report::ActiveModel {
                id: Set(id),
                team_id: Set(team),
                period: Set(month.to_owned()),
                households_reached: Set(rng.range(20, 120) as i32),
                vneid_activations: Set(rng.range(10, 80) as i32),
                online_applications: Set(rng.range(2, 30) as i32),
                cashless_accounts: Set(rng.range(5, 50) as i32),
                ecommerce_accounts: Set(rng.range(0, 10) as i32),
                state: Set(state.to_owned()),
                ..Default::default()
            });
            id += 1;
        }
    }
    let count = rows.len();
    insert_rows(txn, rows).await?;
    sync_identity::<Reports>(txn).await?;
    Ok(count)
}
