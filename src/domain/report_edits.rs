//! Writing, submitting and approving result reports, and setting targets. A commune's officer
//! writes and submits its teams' reports; an officer of the district or above approves them;
//! an approved report no longer changes. Targets are set by a level for the units below it.

use chrono::Utc;

use super::reports::{self, Indicator, Report, ReportState, Target};
use super::units::{self, AdminLevel};
use super::write::{Tx, check_version, stale};
use super::{TeamId, UserId, validate};
use crate::authz::{Scope, WriteGrant};
use crate::db::conflict_on_unique;
use crate::db::sql::{Args, execute, fetch_count, fetch_optional, fetch_rows};
use crate::error::{AppError, Result};

/// The five results of a month.
#[derive(Clone, Copy, Debug, Default)]
pub struct Results {
    pub households_reached: i64,
    pub vneid_activations: i64,
    pub online_applications: i64,
    pub cashless_accounts: i64,
    pub ecommerce_accounts: i64,
}

impl Results {
    fn checked(self) -> Result<[i32; 5]> {
        let c = |field: &str, v: i64| validate::count(field, v).map(|v| v as i32);
        Ok([
            c("householdsReached", self.households_reached)?,
            c("vneidActivations", self.vneid_activations)?,
            c("onlineApplications", self.online_applications)?,
            c("cashlessAccounts", self.cashless_accounts)?,
            c("ecommerceAccounts", self.ecommerce_accounts)?,
        ])
    }
}

const ONE_PER_MONTH: &str = "the team already has a report for this month";

pub async fn create(
    tx: &mut Tx,
    grant: &WriteGrant,
    team: TeamId,
    period: &str,
    results: Results,
) -> Result<Report> {
    let team = super::teams::get(&tx.txn, grant.read_scope(), team).await?;
    grant.check_team(team.id, &team.unit_path)?;
    let period = validate::period("period", period)?;
    let [h, v, o, c, e] = results.checked()?;
    let mut args = Args::new();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM result_report WHERE team_id = {} AND period = {}",
        args.bind(team.id),
        args.bind(period.clone())
    );
    if fetch_count(&tx.txn, sql, args).await? > 0 {
        return Err(AppError::conflict("period", ONE_PER_MONTH));
    }
    let mut args = Args::new();
    let sql = format!(
        "INSERT INTO result_report (team_id, period, households_reached, vneid_activations, \
         online_applications, cashless_accounts, ecommerce_accounts) \
         VALUES ({}, {}, {}, {}, {}, {}, {}) RETURNING id",
        args.bind(team.id),
        args.bind(period),
        args.bind(h),
        args.bind(v),
        args.bind(o),
        args.bind(c),
        args.bind(e)
    );
    let rows = fetch_rows(&tx.txn, sql, args)
        .await
        .map_err(|e| conflict_on_unique(e, "period", ONE_PER_MONTH))?;
    let id: i64 = rows
        .first()
        .ok_or_else(|| anyhow::anyhow!("insert returned no id"))?
        .try_get("", "id")?;
    let report = reports::get(&tx.txn, &Scope::All, id).await?;
    tx.audit(
        "createResultReport",
        "report",
        id,
        team.unit_id,
        None::<&()>,
        Some(&report),
    )
    .await?;
    Ok(report)
}

async fn editable(tx: &Tx, grant: &WriteGrant, id: i64) -> Result<Report> {
    let report = reports::get(&tx.txn, grant.read_scope(), id).await?;
    grant.check_team(report.team_id, &report.unit_path)?;
    Ok(report)
}

async fn save(
    tx: &mut Tx,
    before: &Report,
    values: [i32; 5],
    state: ReportState,
    operation: &str,
) -> Result<Report> {
    let [h, v, o, c, e] = values;
    let mut args = Args::new();
    let sql = format!(
        "UPDATE result_report SET households_reached = {}, vneid_activations = {}, \
         online_applications = {}, cashless_accounts = {}, ecommerce_accounts = {}, state = {}, \
         version = version + 1, updated_at = {} WHERE id = {} AND version = {}",
        args.bind(h),
        args.bind(v),
        args.bind(o),
        args.bind(c),
        args.bind(e),
        args.bind(state),
        args.bind(Utc::now()),
        args.bind(before.id),
        args.bind(before.version)
    );
    if execute(&tx.txn, sql, args).await? == 0 {
        return Err(stale("report", None));
    }
    let after = reports::get(&tx.txn, &Scope::All, before.id).await?;
    tx.audit(
        operation,
        "report",
        before.id,
        before.unit_id,
        Some(before),
        Some(&after),
    )
    .await?;
    Ok(after)
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
    id: i64,
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
    save(tx, &before, values, before.state, "updateResultReport").await
}

pub async fn submit(tx: &mut Tx, grant: &WriteGrant, id: i64) -> Result<Report> {
    let before = editable(tx, grant, id).await?;
    if before.state != ReportState::Draft {
        return Err(AppError::conflict("state", "only a draft can be submitted"));
    }
    save(
        tx,
        &before,
        values_of(&before),
        ReportState::Submitted,
        "submitResultReport",
    )
    .await
}

/// Whether `user` created, changed or submitted the report, by the audit log (which holds
/// every change made since reports could be edited).
async fn worked_on(tx: &Tx, report: i64, user: UserId) -> Result<bool> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM audit_entry WHERE entity = 'report' AND entity_id = {} \
         AND user_id = {} AND operation <> 'approveResultReport'",
        args.bind(report),
        args.bind(user)
    );
    Ok(fetch_count(&tx.txn, sql, args).await? > 0)
}

/// Approval is for the district or a higher level, never for the commune that wrote it, and
/// never by the person who wrote or submitted the report: a second pair of eyes.
pub async fn approve(tx: &mut Tx, grant: &WriteGrant, id: i64) -> Result<Report> {
    let before = editable(tx, grant, id).await?;
    if !grant.held_at_level(
        &before.unit_path,
        &[AdminLevel::Province, AdminLevel::District],
    ) {
        return Err(AppError::Forbidden);
    }
    if let Some(user) = grant.actor().user_id
        && worked_on(tx, before.id, user).await?
    {
        return Err(AppError::conflict(
            "id",
            "a report is approved by someone other than who wrote or submitted it",
        ));
    }
    if before.state != ReportState::Submitted {
        return Err(AppError::conflict(
            "state",
            "only a submitted report can be approved",
        ));
    }
    save(
        tx,
        &before,
        values_of(&before),
        ReportState::Approved,
        "approveResultReport",
    )
    .await
}

/// Sets (or replaces) a target for a unit below the caller's own.
pub async fn set_target(
    tx: &mut Tx,
    grant: &WriteGrant,
    unit_code: &str,
    period: &str,
    indicator: Indicator,
    value: i64,
) -> Result<Target> {
    let unit = units::by_code(&tx.txn, unit_code)
        .await?
        .ok_or_else(|| AppError::bad_input("unitCode", "no current unit has this code"))?;
    grant.check_unit(&unit.path)?;
    if !grant.held_above(&unit.path) {
        return Err(AppError::Forbidden);
    }
    let period = validate::period_or_year("period", period)?;
    let period = period.as_str();
    let value = validate::count("value", value)?;
    let mut args = Args::new();
    let sql = format!(
        "SELECT id, unit_id, set_by_unit_id, period, indicator, target_value, version FROM target \
         WHERE unit_id = {} AND period = {} AND indicator = {}",
        args.bind(unit.id),
        args.bind(period.to_owned()),
        args.bind(indicator)
    );
    let before: Option<Target> = fetch_optional(&tx.txn, sql, args).await?;
    let mut args = Args::new();
    let sql = match &before {
        Some(existing) => format!(
            "UPDATE target SET target_value = {}, set_by_unit_id = {}, version = version + 1 \
             WHERE id = {}",
            args.bind(value),
            args.bind(grant.unit_above(&unit.path).map(|u| u.0)),
            args.bind(existing.id)
        ),
        None => format!(
            "INSERT INTO target (unit_id, set_by_unit_id, period, indicator, target_value) \
             VALUES ({}, {}, {}, {}, {})",
            args.bind(unit.id),
            args.bind(grant.unit_above(&unit.path).map(|u| u.0)),
            args.bind(period.to_owned()),
            args.bind(indicator),
            args.bind(value)
        ),
    };
    execute(&tx.txn, sql, args).await?;
    let after = reports::targets(&tx.txn, unit.id, Some(period))
        .await?
        .into_iter()
        .find(|t| t.indicator == indicator)
        .ok_or_else(|| anyhow::anyhow!("target not saved"))?;
    tx.audit(
        "setTarget",
        "target",
        after.id,
        unit.id,
        before.as_ref(),
        Some(&after),
    )
    .await?;
    Ok(after)
}
