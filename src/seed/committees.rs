//! Steering committees for digital transformation at every level, with their members.

use chrono::{Duration, NaiveDate};
use sea_orm::ActiveValue::Set;
use sea_orm::ConnectionTrait;

use super::rng::Rng;
use super::{Commune, in_sentence, names};
use crate::db::bulk::{insert_rows, next_id, sync_identity};
use crate::db::entities::committee_member::{self, Entity as Members};
use crate::db::entities::steering_committee::{self, Entity as Committees};
use crate::domain::committees::CommitteePosition;

/// A committee at the province, at each district and at each commune, with its members.
pub(super) async fn generate(
    txn: &impl ConnectionTrait,
    rng: &mut Rng,
    province: &Commune,
    districts: &[Commune],
    communes: &[Commune],
) -> anyhow::Result<usize> {
    let mut committee_rows = Vec::new();
    let mut member_rows = Vec::new();
    let mut id = next_id::<Committees>(txn).await?;
    let mut member_id = next_id::<Members>(txn).await?;
    let levels = std::iter::once((province, 0))
        .chain(districts.iter().map(|d| (d, 1)))
        .chain(communes.iter().map(|c| (c, 2)));
    for (unit, level) in levels {
        let (people, body, founded_from) = match level {
            0 => (9, "UBND tỉnh", NaiveDate::from_ymd_opt(2021, 3, 1)),
            1 => (7, "UBND huyện", NaiveDate::from_ymd_opt(2021, 6, 1)),
            _ => (5, "UBND xã", NaiveDate::from_ymd_opt(2021, 9, 1)),
        };
        let founded = founded_from.expect("a valid date") + Duration::days(rng.range(0, 200));
        committee_rows.push(steering_committee::ActiveModel {
            id: Set(id),
            unit_id: Set(unit.id),
            name: Set(format!(
                "Ban Chỉ đạo chuyển đổi số {}",
                in_sentence(&unit.name)
            )),
            decision_no: Set(Some(format!("{}/QĐ-UBND", rng.range(5, 900)))),
            founded_on: Set(Some(founded)),
            ..Default::default()
        });
        let titles: &[(CommitteePosition, &str)] = &[
            (CommitteePosition::Head, "Chủ tịch"),
            (CommitteePosition::DeputyHead, "Phó Chủ tịch"),
            (
                CommitteePosition::DeputyHead,
                "phụ trách thông tin và truyền thông",
            ),
            (CommitteePosition::Member, "Trưởng Công an"),
            (CommitteePosition::Member, "Bí thư Đoàn Thanh niên"),
            (CommitteePosition::Member, "Chủ tịch Hội Liên hiệp Phụ nữ"),
            (CommitteePosition::Member, "Chủ tịch Hội Nông dân"),
            (CommitteePosition::Member, "Giám đốc Viễn thông"),
            (CommitteePosition::Member, "Chánh Văn phòng"),
        ];
        for (order, (position, title)) in titles.iter().take(people).enumerate() {
            let ede = rng.chance(10);
            let (name, _) = names::person(rng, ede);
            let title = match position {
                CommitteePosition::Member => (*title).to_owned(),
                _ => format!("{title} {body}"),
            };
            member_rows.push(committee_member::ActiveModel {
                id: Set(member_id),
                committee_id: Set(id),
                full_name: Set(name),
                position: Set(position.as_str().to_owned()),
                title: Set(Some(title)),
                sort_order: Set(order as i32),
                ..Default::default()
            });
            member_id += 1;
        }
        id += 1;
    }
    let count = committee_rows.len();
    insert_rows(txn, committee_rows).await?;
    insert_rows(txn, member_rows).await?;
    sync_identity::<Committees>(txn).await?;
    sync_identity::<Members>(txn).await?;
    Ok(count)
}
