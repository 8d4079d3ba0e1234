//! Creating, changing and dissolving teams.

use async_graphql::{InputObject, MaybeUndefined};
use chrono::NaiveDate;
use sea_orm::ActiveValue::Set;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};

use super::teams::{self, Team, TeamStatus};
use super::units::{self, AdminLevel, Unit};
use super::write::{Audited, RowUpdate, Tx, check_version, insert};
use super::{TeamId, validate};
use crate::authz::WriteGrant;
use crate::db::entities::team::{self, Column as T, Entity as Teams};
use crate::db::query;
use crate::error::{AppError, Result};
use crate::scalars::Date;
use crate::text::fold;

#[derive(InputObject)]
#[graphql(name = "CreateTeamInput")]
pub struct NewTeam {
    /// The village (or commune) the team serves.
    pub unit_code: String,
    pub name: String,
    pub founded_on: Option<Date>,
    /// Number of the commune chairman's founding decision.
    pub decision_no: Option<String>,
}

// A change to a team: a field left out stays as it is, `null` clears an optional one.
#[derive(Default, InputObject)]
#[graphql(name = "UpdateTeamInput")]
pub struct TeamChange {
    pub name: Option<String>,
    pub founded_on: MaybeUndefined<Date>,
    pub decision_no: MaybeUndefined<String>,
    /// Moves the team to another village or commune; both must be in the caller's area.
    pub unit_code: Option<String>,
    pub status: Option<TeamStatus>,
    /// The `version` the change was made against; a newer one is `CONFLICT`.
    pub expected_version: Option<i32>,
}

const ONE_ACTIVE: &str = "this village already has an active team";

/// The unit a team may be set up at: a village, or a commune.
async fn team_unit(conn: &impl ConnectionTrait, grant: &WriteGrant, code: &str) -> Result<Unit> {
    let unit = units::open_for_change(conn, code, "unitCode")
        .await?
        .ok_or_else(|| AppError::bad_input("unitCode", "no current unit has this code"))?;
    grant.check_unit(&unit.path)?;
    if !matches!(unit.level, AdminLevel::Village | AdminLevel::Commune) {
        return Err(AppError::bad_input(
            "unitCode",
            "a team is set up in a village or a commune",
        ));
    }
    Ok(unit)
}

/// The unit's active team, other than `except`, if it has one.
async fn active_team(
    conn: &impl ConnectionTrait,
    unit: &Unit,
    except: Option<TeamId>,
) -> Result<Option<i64>> {
    let select = Query::select()
        .column(T::Id)
        .from(Teams)
        .and_where(Expr::col(T::UnitId).eq(unit.id.0))
        .and_where(Expr::col(T::Status).eq(TeamStatus::Active.as_str()))
        .and_where(Expr::col(T::Id).ne(except.map_or(0, |t| t.0)))
        .limit(1)
        .to_owned();
    Ok(query::first_id(conn, &select).await?)
}

pub async fn create(tx: &mut Tx, grant: &WriteGrant, input: NewTeam) -> Result<Team> {
    // Every wrong field is told at once.
    let mut checks = validate::Checks::default();
    let unit = checks.check(team_unit(&tx.txn, grant, &input.unit_code).await);
    let name = checks.check(validate::name("name", &input.name));
    let decision_no = checks.check(validate::optional_text(
        "decisionNo",
        input.decision_no.as_deref(),
    ));
    let founded_on = checks.check(
        input
            .founded_on
            .map(|d| validate::not_in_future("foundedOn", d.0))
            .transpose(),
    );
    let (Some(unit), Some(name), Some(decision_no), Some(founded_on)) =
        (unit, name, decision_no, founded_on)
    else {
        return Err(checks.refusal());
    };
    if let Some(existing) = active_team(&tx.txn, &unit, None).await? {
        return Err(AppError::conflict_with("unitCode", ONE_ACTIVE, existing));
    }
    let row = team::ActiveModel {
        unit_id: Set(unit.id.0),
        name_folded: Set(fold(&name)),
        name: Set(name),
        decision_no: Set(decision_no),
        founded_on: Set(Some(tx.starts_on(founded_on))),
        ..Default::default()
    };
    let id = TeamId(insert(tx, row, Some(("unitCode", ONE_ACTIVE))).await?);
    let team = teams::get(&tx.txn, grant.scope(), id).await?;
    tx.audit_creation("createTeam", "team", id.0, unit.id, &team)
        .await?;
    Ok(team)
}

/// Finds a team the caller may change: `NOT_FOUND` if they cannot see it, `FORBIDDEN` if they
/// can see but not change it.
async fn editable(tx: &Tx, grant: &WriteGrant, id: TeamId) -> Result<Team> {
    let team = teams::get(&tx.txn, grant.read_scope(), id).await?;
    grant.check_team(team.id, &team.unit_path)?;
    Ok(team)
}

pub async fn update(
    tx: &mut Tx,
    grant: &WriteGrant,
    id: TeamId,
    change: TeamChange,
) -> Result<Team> {
    apply(tx, grant, id, change, "updateTeam").await
}

async fn apply(
    tx: &mut Tx,
    grant: &WriteGrant,
    id: TeamId,
    change: TeamChange,
    operation: &str,
) -> Result<Team> {
    let before = editable(tx, grant, id).await?;
    check_version("team", change.expected_version, before.version)?;
    // Every wrong field is told at once.
    let mut checks = validate::Checks::default();
    let name = checks.check(validate::changed(change.name, &before.name, |n| {
        validate::name("name", &n)
    }));
    let decision_no = checks.check(validate::changed_optional(
        change.decision_no,
        &before.decision_no,
        |d| validate::optional_text("decisionNo", Some(&d)),
    ));
    checks.check(validate::start_kept("foundedOn", &change.founded_on));
    let founded_on = checks.check(validate::changed_optional(
        change.founded_on,
        &before.founded_on,
        |d| validate::not_in_future("foundedOn", d.0).map(Some),
    ));
    let (Some(name), Some(decision_no), Some(founded_on), true) =
        (name, decision_no, founded_on, checks.passed())
    else {
        return Err(checks.refusal());
    };
    // A move is a write at both ends: the team's current unit (checked above) and the new one.
    let unit = match &change.unit_code {
        Some(code) => team_unit(&tx.txn, grant, code).await?,
        None => units::by_ids(&tx.txn, &[before.unit_id])
            .await?
            .remove(&before.unit_id)
            .ok_or_else(|| anyhow::anyhow!("team {} has no unit", id.0))?,
    };
    let status = change.status.unwrap_or(before.status);
    let other = match status {
        TeamStatus::Active => active_team(&tx.txn, &unit, Some(id)).await?,
        TeamStatus::Dissolved => None,
    };
    if let Some(existing) = other {
        let field = if change.unit_code.is_some() {
            "unitCode"
        } else {
            "status"
        };
        return Err(AppError::conflict_with(field, ONE_ACTIVE, existing));
    }
    // The day of dissolution, when this change dissolves the team (the SQL keeps an earlier one).
    let dissolved_on = (before.status == TeamStatus::Active && status == TeamStatus::Dissolved)
        .then(crate::scalars::today);
    let dissolved_on: Expr = if status == TeamStatus::Dissolved {
        // An earlier day of dissolution stays.
        Func::coalesce([Expr::col(T::DissolvedOn), Expr::value(dissolved_on)]).into()
    } else {
        Expr::value(None::<NaiveDate>)
    };
    if unit.id != before.unit_id {
        // It leaves its village, and its reports go with it (the audit entry below notes the
        // new village, and any change of status).
        tx.touch_results(before.unit_id);
        tx.touch_results(unit.id);
    }
    let scope = grant.scope().clone();
    RowUpdate::<Teams>::new(id.0)
        .set(T::Name, name.clone())
        .set(T::NameFolded, fold(&name))
        .set(T::DecisionNo, decision_no)
        .set(T::FoundedOn, founded_on)
        .set(T::UnitId, unit.id.0)
        .set(T::Status, status.as_str())
        .set(T::DissolvedOn, dissolved_on)
        .at_version(change.expected_version)
        .unique("unitCode", ONE_ACTIVE)
        .run(
            tx,
            Audited {
                operation,
                entity: "team",
                unit: unit.id,
            },
            &before,
            |txn| Box::pin(async move { teams::get(txn, &scope, id).await }),
        )
        .await
}

pub async fn dissolve(tx: &mut Tx, grant: &WriteGrant, id: TeamId) -> Result<Team> {
    let team = editable(tx, grant, id).await?;
    if team.status == TeamStatus::Dissolved {
        return Err(AppError::conflict("id", "the team is already dissolved"));
    }
    let change = TeamChange {
        status: Some(TeamStatus::Dissolved),
        ..TeamChange::default()
    };
    apply(tx, grant, id, change, "dissolveTeam").await
}
