//! Community digital technology teams and their members: every village of the pilot communes,
//! then villages drawn across the province, 4 to 9 members each.

use chrono::{Duration, NaiveDate};
use sea_orm::ActiveValue::Set;
use sea_orm::ConnectionTrait;

use super::rng::Rng;
use super::villages::Village;
use super::{Commune, PILOT_COMMUNES, Plan, names};
use crate::db::bulk::{insert_rows, next_id, sync_identity};
use crate::db::entities::team::{self, Entity as Teams};
use crate::db::entities::team_member::{self, Entity as Members};
use crate::domain::teams::{Affiliation, TeamRole};
use crate::text::fold;

/// What the teams' generation leaves for the rest: the team ids, and each member with the
/// index of their district (for the district's classes).
pub(super) struct Generated {
    pub ids: Vec<i64>,
    pub members: Vec<(i64, usize)>,
}

/// Generates and writes the province's teams and their members.
pub(super) async fn generate(
    txn: &impl ConnectionTrait,
    rng: &mut Rng,
    province: &Commune,
    plan: Plan,
    districts: &[Commune],
    communes: &[Commune],
    villages: &[Village],
) -> anyhow::Result<Generated> {
    // Teams: every village of the pilot communes, then villages drawn across the province.
    let (mut chosen, mut others): (Vec<usize>, Vec<usize>) = (0..villages.len())
        .partition(|&v| PILOT_COMMUNES.contains(&communes[villages[v].commune].code.as_str()));
    rng.shuffle(&mut others);
    chosen.extend(
        others
            .into_iter()
            .take(plan.teams.saturating_sub(chosen.len())),
    );
    chosen.truncate(plan.teams);
    chosen.sort_unstable();
    anyhow::ensure!(
        chosen.len() == plan.teams,
        "{}: not enough villages for {} teams",
        province.name,
        plan.teams
    );
    anyhow::ensure!(
        (4 * plan.teams..=9 * plan.teams).contains(&plan.members),
        "{}: {} members cannot make {} teams of 4 to 9",
        province.name,
        plan.members,
        plan.teams
    );

    let mut sizes: Vec<i64> = (0..plan.teams).map(|_| rng.range(4, 9)).collect();
    balance_sizes(rng, &mut sizes, plan.members as i64);

    let programme_start = NaiveDate::from_ymd_opt(2022, 8, 15).expect("a valid date");
    let mut team_rows = Vec::new();
    let mut member_rows = Vec::new();
    let mut team_ids = Vec::new();
    // (member id, district index) for attendance.
    let mut members: Vec<(i64, usize)> = Vec::new();
    let mut team_id = next_id::<Teams>(txn).await?;
    let mut member_id = next_id::<Members>(txn).await?;
    let district_index = |commune: &Commune| {
        districts
            .iter()
            .position(|d| commune.path.starts_with(&d.path))
            .unwrap_or(0)
    };
    for (t, &v) in chosen.iter().enumerate() {
        let village = &villages[v];
        let commune = &communes[village.commune];
        // By 1 December 2022, the day of the province's report.
        let founded = programme_start + Duration::days(rng.range(0, 108));
        let name = format!("Tổ công nghệ số cộng đồng {}", village.name);
        team_rows.push(team::ActiveModel {
            id: Set(team_id),
            unit_id: Set(village.id),
            name_folded: Set(fold(&name)),
            name: Set(name),
            decision_no: Set(Some(format!("{}/QĐ-UBND", rng.range(12, 480)))),
            founded_on: Set(Some(founded)),
            status: Set("ACTIVE".to_owned()),
            ..Default::default()
        });
        let di = district_index(commune);
        for m in 0..sizes[t] {
            let role = match m {
                0 => TeamRole::Leader,
                1 if sizes[t] >= 5 => TeamRole::Deputy,
                _ => TeamRole::Member,
            };
            let affiliation = if role == TeamRole::Leader && rng.chance(60) {
                Affiliation::VillageHead
            } else {
                rng.weighted(&[
                    (Affiliation::Police, 15),
                    (Affiliation::YouthUnion, 20),
                    (Affiliation::WomenUnion, 18),
                    (Affiliation::FarmersUnion, 12),
                    (Affiliation::Veterans, 8),
                    (Affiliation::Telecom, 7),
                    (Affiliation::Teacher, 10),
                    (Affiliation::Other, 10),
                ])
            };
            let ede = if village.is_buon {
                rng.chance(85)
            } else {
                rng.chance(8)
            };
            let (full_name, gender) = names::person(rng, ede);
            let phone = rng.chance(92).then(|| names::phone(rng));
            member_rows.push(team_member::ActiveModel {
                id: Set(member_id),
                team_id: Set(team_id),
                full_name: Set(full_name),
                role: Set(role.as_str().to_owned()),
                affiliation: Set(affiliation.as_str().to_owned()),
                phone: Set(phone),
                gender: Set(Some(gender.as_str().to_owned())),
                birth_year: Set(Some(rng.range(1965, 2004) as i32)),
                joined_on: Set(Some(founded)),
                ..Default::default()
            });
            members.push((member_id, di));
            member_id += 1;
        }
        team_ids.push(team_id);
        team_id += 1;
    }
    insert_rows(txn, team_rows).await?;
    insert_rows(txn, member_rows).await?;
    sync_identity::<Teams>(txn).await?;
    sync_identity::<Members>(txn).await?;
    Ok(Generated {
        ids: team_ids,
        members,
    })
}

/// Moves members between teams, keeping each within 4 to 9, until the total is exact.
fn balance_sizes(rng: &mut Rng, sizes: &mut [i64], target: i64) {
    let mut total: i64 = sizes.iter().sum();
    while total != target {
        let i = (rng.next_u64() % sizes.len() as u64) as usize;
        if total > target && sizes[i] > 4 {
            sizes[i] -= 1;
            total -= 1;
        } else if total < target && sizes[i] < 9 {
            sizes[i] += 1;
            total += 1;
        }
    }
}
