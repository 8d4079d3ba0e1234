//! What changed in a province's programme between its report (1 December 2022) and the
//! reorganisation of 1 July 2025: a few teams dissolved and set up again in the same village,
//! and members who left, each replaced in the same role and for the same organisation. Every
//! change has its date, between 1 January 2023 and 31 May 2025, so the figures of the report's
//! day and of the reorganisation's eve are untouched by it; today's counts of active teams and
//! members stay those of the report.

use chrono::{Duration, NaiveDate};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::rng::Rng;
use super::{Plan, names};
use crate::authz::subtree_range;
use crate::db::bulk::{insert_rows, next_id, sync_identity};
use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::entities::team::{self, Column as T, Entity as Teams};
use crate::db::entities::team_member::{self, Column as M, Entity as Members};
use crate::db::query;
use crate::text::fold;

/// One team in this many is dissolved and set up again; one member in this many leaves.
const TEAMS_RENEWED: usize = 100;
const MEMBERS_REPLACED: usize = 40;

#[derive(FromQueryResult)]
struct ActiveTeam {
    id: i64,
    unit_id: i64,
    name: String,
}

#[derive(FromQueryResult)]
struct ActiveMember {
    id: i64,
    team_id: i64,
    role: String,
    affiliation: String,
}

/// How many teams were renewed and members replaced.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Changes {
    pub teams_renewed: usize,
    pub members_replaced: usize,
}

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 1, 1).expect("a valid date")
}

/// A day in [1 January 2023, 31 May 2025 - `room` days].
fn some_day(rng: &mut Rng, room: i64) -> NaiveDate {
    let last = NaiveDate::from_ymd_opt(2025, 5, 31).expect("a valid date");
    let span = (last - first_day()).num_days() - room;
    first_day() + Duration::days(rng.range(0, span))
}

pub(super) async fn generate(
    txn: &impl ConnectionTrait,
    province_path: &str,
    plan: Plan,
) -> anyhow::Result<Changes> {
    // A stream of its own: the data drawn before stays as it was.
    let mut rng = Rng::new(plan.seed ^ 0x2023_2025);
    let select = Query::select()
        .columns([(Teams, T::Id), (Teams, T::UnitId), (Teams, T::Name)])
        .from(Teams)
        .inner_join(Units, Expr::col((Units, U::Id)).equals((Teams, T::UnitId)))
        .cond_where(subtree_range((Units, U::Path), province_path))
        .and_where(Expr::col((Teams, T::Status)).eq("ACTIVE"))
        .order_by((Teams, T::Id), Order::Asc)
        .to_owned();
    let teams: Vec<ActiveTeam> = query::all(txn, &select).await?;
    let ids: Vec<i64> = teams.iter().map(|t| t.id).collect();
    let select = Query::select()
        .columns([M::Id, M::TeamId, M::Role, M::Affiliation])
        .from(Members)
        .and_where(Expr::col(M::TeamId).is_in(ids.iter().copied()))
        .and_where(Expr::col(M::LeftOn).is_null())
        .order_by(M::Id, Order::Asc)
        .to_owned();
    let members: Vec<ActiveMember> = query::all(txn, &select).await?;

    let mut next_team = next_id::<Teams>(txn).await?;
    let mut next_member = next_id::<Members>(txn).await?;
    let mut new_teams = Vec::new();
    let mut new_members = Vec::new();
    // (member id, the day they left)
    let mut leaving: Vec<(i64, NaiveDate)> = Vec::new();
    let mut dissolved: Vec<(i64, NaiveDate)> = Vec::new();
    let mut changes = Changes::default();
    let newcomer = |rng: &mut Rng, id: i64, team: i64, left: &ActiveMember, on: NaiveDate| {
        let (full_name, gender) = names::person(rng, false);
        team_member::ActiveModel {
            id: Set(id),
            team_id: Set(team),
            full_name: Set(full_name),
            role: Set(left.role.clone()),
            affiliation: Set(left.affiliation.clone()),
            phone: Set(Some(names::phone(rng))),
            gender: Set(Some(gender.as_str().to_owned())),
            birth_year: Set(Some(rng.range(1970, 2005) as i32)),
            joined_on: Set(Some(on)),
            ..Default::default()
        }
    };

    let renewed: Vec<&ActiveTeam> = teams
        .iter()
        .filter(|_| rng.range(1, TEAMS_RENEWED as i64) == 1)
        .collect();
    for team in renewed {
        // Dissolved, then set up again in the same village with as many members.
        let on = some_day(&mut rng, 60);
        let again = on + Duration::days(rng.range(7, 60));
        dissolved.push((team.id, on));
        let name = team.name.clone();
        new_teams.push(team::ActiveModel {
            id: Set(next_team),
            unit_id: Set(team.unit_id),
            name_folded: Set(fold(&name)),
            name: Set(name),
            decision_no: Set(Some(format!("{}/QĐ-UBND", rng.range(12, 480)))),
            founded_on: Set(Some(again)),
            status: Set("ACTIVE".to_owned()),
            ..Default::default()
        });
        for member in members.iter().filter(|m| m.team_id == team.id) {
            leaving.push((member.id, on));
            new_members.push(newcomer(&mut rng, next_member, next_team, member, again));
            next_member += 1;
        }
        next_team += 1;
        changes.teams_renewed += 1;
    }
    let dissolved_ids: Vec<i64> = dissolved.iter().map(|d| d.0).collect();
    for member in members
        .iter()
        .filter(|m| !dissolved_ids.contains(&m.team_id))
    {
        if rng.range(1, MEMBERS_REPLACED as i64) != 1 {
            continue;
        }
        let on = some_day(&mut rng, 30);
        let replaced = on + Duration::days(rng.range(0, 30));
        leaving.push((member.id, on));
        new_members.push(newcomer(
            &mut rng,
            next_member,
            member.team_id,
            member,
            replaced,
        ));
        next_member += 1;
        changes.members_replaced += 1;
    }

    for (id, on) in &dissolved {
        let update = Query::update()
            .table(Teams)
            .value(T::Status, "DISSOLVED")
            .value(T::DissolvedOn, *on)
            .and_where(Expr::col(T::Id).eq(*id))
            .to_owned();
        query::execute(txn, &update).await?;
    }
    for (id, on) in &leaving {
        let update = Query::update()
            .table(Members)
            .value(M::LeftOn, *on)
            .and_where(Expr::col(M::Id).eq(*id))
            .to_owned();
        query::execute(txn, &update).await?;
    }
    insert_rows(txn, new_teams).await?;
    insert_rows(txn, new_members).await?;
    sync_identity::<Teams>(txn).await?;
    sync_identity::<Members>(txn).await?;
    Ok(changes)
}
