//! Writing, submitting and approving result reports, and setting targets. A commune's officer
//! writes and submits its teams' reports; another officer whose area holds the team, of the
//! commune or above, approves them; an approved report no longer changes. Targets are set by a level for the units below it.

use async_graphql::InputObject;
use sea_orm::ActiveValue::Set;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};

use super::reports::{self, Indicator, Report, ReportState, Target};
use super::units::{self, AdminLevel, Unit};
use super::write::{Audited, RowUpdate, Tx, check_version, insert};
use super::{ReportId, TeamId, UnitId, UserId, validate};
use crate::authz::{Scope, WriteGrant};
use crate::db::entities::audit_entry::{Column as E, Entity as Entries};
use crate::db::entities::result_report::{self, Column as R, Entity as Reports};
use crate::db::entities::target::{self, Column as TG, Entity as Targets};
use crate::db::query;
use crate::error::{AppError, Result};

// The five results of a month.
#[derive(Clone, Copy, Debug, Default, InputObject)]
#[graphql(name = "ResultsInput")]
pub struct Results {
    pub households_reached: i64,
    pub vneid_activations: i64,
    pub online_applications: i64,
    pub cashless_accounts: i64,
    pub ecommerce_accounts: i64,
}

impl Results {
    /// The five counts, every wrong one told at once.
    fn checked(self) -> Result<[i32; 5]> {
        let mut checks = validate::Checks::default();
        let mut c = |field: &str, v: i64| {
            checks
                .check(validate::count(field, v))
                .map_or(0, |v| v as i32)
        };
        let counts = [
            c("householdsReached", self.households_reached),
            c("vneidActivations", self.vneid_activations),
            c("onlineApplications", self.online_applications),
            c("cashlessAccounts", self.cashless_accounts),
            c("ecommerceAccounts", self.ecommerce_accounts),
        ];
        checks.done()?;
        Ok(counts)
    }
}

// A team's results for a month, as the caller files them.
#[derive(InputObject)]
#[graphql(name = "CreateResultReportInput")]
pub struct NewReport {
    pub team_id: TeamId,
    /// `YYYY-MM`.
    pub period: String,
    pub results: Results,
}

// A target as the caller sets it.
#[derive(InputObject)]
#[graphql(name = "SetTargetInput")]
pub struct NewTarget {
    pub unit_code: String,
    /// `YYYY` or `YYYY-MM`.
    pub period: String,
    pub indicator: Indicator,
    pub value: i64,
}

const ONE_PER_MONTH: &str = "the team already has a report for this month";

pub async fn create(tx: &mut Tx, grant: &WriteGrant, input: NewReport) -> Result<Report> {
    let team = super::teams::get(&tx.txn, grant.read_scope(), input.team_id).await?;
    grant.check_team(team.id, &team.unit_path)?;
    // Every wrong field is told at once.
    let mut checks = validate::Checks::default();
    let period = checks.check(
        validate::period("period", &input.period)
            .and_then(|p| validate::not_after_this_month("period", &p).map(|()| p)),
    );
    let results = checks.check(input.results.checked());
    let (Some(period), Some([h, v, o, c, e])) = (period, results) else {
        return Err(checks.refusal());
    };
    within_teams_life(&tx.txn, &team, &period).await?;
    let filed = Query::select()
        .column(R::Id)
        .from(Reports)
        .and_where(Expr::col(R::TeamId).eq(team.id.0))
        .and_where(Expr::col(R::Period).eq(period.as_str()))
        .limit(1)
        .to_owned();
    if let Some(existing) = query::first_id(&tx.txn, &filed).await? {
        return Err(AppError::conflict_with("period", ONE_PER_MONTH, existing));
    }
    let row = result_report::ActiveModel {
        team_id: Set(team.id.0),
        period: Set(period),
        households_reached: Set(h),
        vneid_activations: Set(v),
        online_applications: Set(o),
        cashless_accounts: Set(c),
        ecommerce_accounts: Set(e),
        ..Default::default()
    };
    let id = ReportId(insert(tx, row, Some(("period", ONE_PER_MONTH))).await?);
    let report = reports::get(&tx.txn, grant.scope(), id).await?;
    tx.audit_creation("createResultReport", "report", id.0, team.unit_id, &report)
        .await?;
    Ok(report)
}

/// A month the team existed in: not before the month it was founded, nor after the month it
/// was dissolved (its last month's report may still come in).
async fn within_teams_life(
    conn: &impl ConnectionTrait,
    team: &super::teams::Team,
    period: &str,
) -> Result<()> {
    let month = |day: chrono::NaiveDate| day.format("%Y-%m").to_string();
    if let Some(founded) = team.founded_on
        && period < month(founded).as_str()
    {
        return Err(AppError::bad_input(
            "period",
            format!("the team was founded on {founded}: it has no results for {period}"),
        ));
    }
    let dissolved = Query::select()
        .column(crate::db::entities::team::Column::DissolvedOn)
        .from(crate::db::entities::team::Entity)
        .and_where(Expr::col(crate::db::entities::team::Column::Id).eq(team.id.0))
        .to_owned();
    let row = query::rows(conn, &dissolved).await?;
    let dissolved_on: Option<chrono::NaiveDate> = match row.first() {
        Some(row) => row.try_get("", "dissolved_on")?,
        None => None,
    };
    match dissolved_on {
        Some(day) if period > month(day).as_str() => Err(AppError::conflict(
            "period",
            format!("the team was dissolved on {day}: it has no results for {period}"),
        )),
        _ => Ok(()),
    }
}

async fn editable(tx: &Tx, grant: &WriteGrant, id: ReportId) -> Result<Report> {
    let report = reports::get(&tx.txn, grant.read_scope(), id).await?;
    grant.check_team(report.team_id, &report.unit_path)?;
    Ok(report)
}

async fn save(
    tx: &mut Tx,
    grant: &WriteGrant,
    before: &Report,
    values: [i32; 5],
    state: ReportState,
    operation: &str,
) -> Result<Report> {
    let [h, v, o, c, e] = values;
    let (scope, id) = (grant.scope().clone(), before.id);
    RowUpdate::<Reports>::new(id.0)
        .set(R::HouseholdsReached, h)
        .set(R::VneidActivations, v)
        .set(R::OnlineApplications, o)
        .set(R::CashlessAccounts, c)
        .set(R::EcommerceAccounts, e)
        .set(R::State, state.as_str())
        .at_version(Some(before.version))
        .run(
            tx,
            Audited {
                operation,
                entity: "report",
                unit: before.unit_id,
            },
            before,
            |txn| Box::pin(async move { reports::get(txn, &scope, id).await }),
        )
        .await
}

fn values_of(r: &Report) -> [i32; 5] {
    [
        r.households_reached,
        r.vneid_activations,
        r.online_applications,
        r.cashless_accounts,
        r.ecommerce_accounts,
    ]
}

pub async fn update(
    tx: &mut Tx,
    grant: &WriteGrant,
    id: ReportId,
    results: Results,
    expected_version: Option<i32>,
) -> Result<Report> {
    let before = editable(tx, grant, id).await?;
    check_version("report", expected_version, before.version)?;
    if before.state == ReportState::Approved {
        return Err(AppError::conflict(
            "state",
            "an approved report is read-only",
        ));
    }
    let values = results.checked()?;
    save(
        tx,
        grant,
        &before,
        values,
        before.state,
        "updateResultReport",
    )
    .await
}

pub async fn submit(tx: &mut Tx, grant: &WriteGrant, id: ReportId) -> Result<Report> {
    let before = editable(tx, grant, id).await?;
    if before.state != ReportState::Draft {
        return Err(AppError::conflict("state", "only a draft can be submitted"));
    }
    save(
        tx,
        grant,
        &before,
        values_of(&before),
        ReportState::Submitted,
        "submitResultReport",
    )
    .await
}

/// Whether `user` created, changed or submitted the report, by the audit log (which holds
/// every change made since reports could be edited).
async fn worked_on(tx: &Tx, report: ReportId, user: UserId) -> Result<bool> {
    let select = Query::select()
        .from(Entries)
        .and_where(Expr::col(E::Entity).eq("report"))
        .and_where(Expr::col(E::EntityId).eq(report.0))
        .and_where(Expr::col(E::UserId).eq(user.0))
        .and_where(Expr::col(E::Operation).ne("approveResultReport"))
        .to_owned();
    Ok(query::exists(&tx.txn, &select).await?)
}

/// Why an approval is refused to an officer whose assignment holding the team is below the
/// commune.
pub const APPROVAL_LEVEL: &str = "a report is approved by an officer of the commune or a level above it whose area holds the team";
/// Why an approval is refused to whoever wrote, corrected or submitted the report.
pub const SECOND_PAIR_OF_EYES: &str =
    "a report is approved by someone other than who wrote or submitted it";

/// Approval is for an officer whose area holds the team, at the commune level or above (in
/// the tree since July 2025 the commune is the level below the province), and never for the
/// person who wrote, corrected or submitted the report: a second pair of eyes.
pub async fn approve(tx: &mut Tx, grant: &WriteGrant, id: ReportId) -> Result<Report> {
    let before = editable(tx, grant, id).await?;
    if !grant.held_at_level(
        &before.unit_path,
        &[
            AdminLevel::Province,
            AdminLevel::District,
            AdminLevel::Commune,
        ],
    ) {
        return Err(AppError::ForbiddenBecause(APPROVAL_LEVEL));
    }
    if let Some(user) = grant.actor().user_id
        && worked_on(tx, before.id, user).await?
    {
        return Err(AppError::ForbiddenBecause(SECOND_PAIR_OF_EYES));
    }
    if before.state != ReportState::Submitted {
        return Err(AppError::conflict(
            "state",
            "only a submitted report can be approved",
        ));
    }
    save(
        tx,
        grant,
        &before,
        values_of(&before),
        ReportState::Approved,
        "approveResultReport",
    )
    .await
}

/// Removes a draft: its author's or any officer's whose area holds the team. A submitted or
/// approved report stays (`CONFLICT`).
pub async fn delete(tx: &mut Tx, grant: &WriteGrant, id: ReportId) -> Result<bool> {
    let before = editable(tx, grant, id).await?;
    if before.state != ReportState::Draft {
        return Err(AppError::conflict(
            "state",
            "only a draft can be deleted; a submitted or approved report stays",
        ));
    }
    let delete = Query::delete()
        .from_table(Reports)
        .and_where(Expr::col(R::Id).eq(id.0))
        .to_owned();
    query::execute(&tx.txn, &delete).await?;
    tx.audit(
        "deleteResultReport",
        "report",
        id.0,
        before.unit_id,
        Some(&before),
        None::<&()>,
    )
    .await?;
    Ok(true)
}

/// Sets (or replaces) a target for a unit below the caller's own.
pub async fn set_target(tx: &mut Tx, grant: &WriteGrant, input: NewTarget) -> Result<Target> {
    let NewTarget {
        unit_code,
        period,
        indicator,
        value,
    } = input;
    let unit = units::open_for_change(&tx.txn, &unit_code, "unitCode")
        .await?
        .ok_or_else(|| AppError::bad_input("unitCode", "no current unit has this code"))?;
    grant.check_unit(&unit.path)?;
    if !grant.held_above(&unit.path) {
        return Err(AppError::Forbidden);
    }
    let period = validate::period_or_year("period", &period)?;
    let period = period.as_str();
    let value = validate::count("value", value)?;
    let scope = grant.scope().clone();
    let audited = Audited {
        operation: "setTarget",
        entity: "target",
        unit: unit.id,
    };
    let set_by = grant.unit_above(&unit.path).map(|u| u.0);
    match target_of(&tx.txn, &scope, &unit, period, indicator).await {
        Ok(existing) if set_higher(&unit.path, existing.set_by_unit_id, set_by) => {
            Err(AppError::ForbiddenBecause(SET_ABOVE))
        }
        Ok(existing) => {
            let period = period.to_owned();
            RowUpdate::<Targets>::new(existing.id.0)
                .set(TG::TargetValue, value)
                .set(TG::SetByUnitId, set_by)
                .run(tx, audited, &existing, |txn| {
                    Box::pin(async move { target_of(txn, &scope, &unit, &period, indicator).await })
                })
                .await
        }
        Err(AppError::NotFound(_)) => {
            let row = target::ActiveModel {
                unit_id: Set(unit.id.0),
                set_by_unit_id: Set(set_by),
                period: Set(period.to_owned()),
                indicator: Set(indicator.as_str().to_owned()),
                target_value: Set(value),
                ..Default::default()
            };
            let id = insert(tx, row, None).await?;
            let after = target_of(&tx.txn, &scope, &unit, period, indicator).await?;
            tx.audit_creation(audited.operation, audited.entity, id, unit.id, &after)
                .await?;
            Ok(after)
        }
        Err(other) => Err(other),
    }
}

/// Why a target set by a higher level is not replaced by a lower one.
pub const SET_ABOVE: &str =
    "the target was set by a level above yours; only that level or one above it changes it";

/// Whether a target of the unit at `path`, set at `existing` (none: over the whole country),
/// was set higher in the tree than `caller` would set it: a commune does not overwrite the
/// province's target for its village. Units are compared by their place on the unit's path;
/// one no longer on it (moved by a reorganisation) does not bind.
fn set_higher(path: &str, existing: Option<UnitId>, caller: Option<i64>) -> bool {
    let depth = |unit: Option<i64>| -> Option<usize> {
        match unit {
            None => Some(0),
            Some(id) => path
                .split('/')
                .filter(|s| !s.is_empty())
                .position(|s| s == id.to_string())
                .map(|i| i + 1),
        }
    };
    match (depth(existing.map(|u| u.0)), depth(caller)) {
        (Some(theirs), Some(mine)) => theirs < mine,
        _ => false,
    }
}

/// The target of `unit` for one period and indicator, or `NOT_FOUND`.
async fn target_of(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    unit: &Unit,
    period: &str,
    indicator: Indicator,
) -> Result<Target> {
    reports::targets(conn, scope, unit, Some(period))
        .await?
        .into_iter()
        .find(|t| t.indicator == indicator)
        .ok_or(AppError::NotFound("target"))
}
