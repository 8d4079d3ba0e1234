//! The aggregate counts leadership asks for: teams, members, training and coverage for a unit's
//! subtree and for each of its children. Every figure is one subtree range over the path index.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, FromQueryResult};

use super::UnitId;
use super::teams::{Affiliation, TeamRole};
use super::units::{COLUMNS as UNIT_COLUMNS, Unit, count};
use crate::authz::Scope;
use crate::db::sql::{Args, fetch_rows};
use crate::error::{AppError, Result};

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Totals {
    pub unit: Unit,
    /// Active teams.
    pub teams: i64,
    /// Current members of active teams.
    pub members: i64,
    /// Current members of active teams who completed at least one training session.
    pub members_trained: i64,
    /// Sessions organised by units of the subtree.
    pub training_sessions: i64,
    /// Committees not dissolved.
    pub committees: i64,
    pub villages: i64,
    /// Villages with an active team: the coverage the programme is measured by.
    pub villages_with_team: i64,
    /// Every role, including those with no members.
    pub members_by_role: Vec<(TeamRole, i64)>,
    /// Every affiliation, including those with no members.
    pub members_by_affiliation: Vec<(Affiliation, i64)>,
    pub children: Vec<ChildTotals>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ChildTotals {
    pub unit: Unit,
    pub teams: i64,
    pub members: i64,
    pub villages: i64,
    pub villages_with_team: i64,
}

/// Totals for `unit`, which must lie wholly inside `scope`.
pub async fn compute(conn: &impl ConnectionTrait, scope: &Scope, unit: Unit) -> Result<Totals> {
    if !scope.contains(&unit.path) {
        return Err(AppError::Forbidden);
    }
    let subtree = Scope::subtree(&unit.path);

    let mut args = Args::new();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM team t JOIN admin_unit u ON u.id = t.unit_id \
         WHERE {} AND t.status = 'ACTIVE'",
        subtree.sql("u.path", &mut args)
    );
    let teams = count(conn, sql, args).await?;

    let mut args = Args::new();
    let sql = format!(
        "SELECT m.role AS role, m.affiliation AS affiliation, COUNT(*) AS n FROM team_member m \
         JOIN team t ON t.id = m.team_id JOIN admin_unit u ON u.id = t.unit_id \
         WHERE {} AND t.status = 'ACTIVE' AND m.left_on IS NULL GROUP BY m.role, m.affiliation",
        subtree.sql("u.path", &mut args)
    );
    let mut by_role: HashMap<TeamRole, i64> = HashMap::new();
    let mut by_affiliation: HashMap<Affiliation, i64> = HashMap::new();
    for row in fetch_rows(conn, sql, args).await? {
        let n: i64 = row.try_get("", "n")?;
        *by_role.entry(row.try_get("", "role")?).or_default() += n;
        *by_affiliation
            .entry(row.try_get("", "affiliation")?)
            .or_default() += n;
    }
    let members = by_role.values().sum();

    let mut args = Args::new();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM team_member m JOIN team t ON t.id = m.team_id \
         JOIN admin_unit u ON u.id = t.unit_id \
         WHERE {} AND t.status = 'ACTIVE' AND m.left_on IS NULL \
         AND EXISTS (SELECT 1 FROM attendance a WHERE a.member_id = m.id AND a.completed)",
        subtree.sql("u.path", &mut args)
    );
    let members_trained = count(conn, sql, args).await?;

    let mut args = Args::new();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM training_session s JOIN admin_unit u ON u.id = s.organizer_unit_id \
         WHERE {}",
        subtree.sql("u.path", &mut args)
    );
    let training_sessions = count(conn, sql, args).await?;

    let mut args = Args::new();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM steering_committee c JOIN admin_unit u ON u.id = c.unit_id \
         WHERE {} AND c.dissolved_on IS NULL",
        subtree.sql("u.path", &mut args)
    );
    let committees = count(conn, sql, args).await?;

    let mut args = Args::new();
    let sql = format!(
        "SELECT COUNT(*) AS villages, COUNT(t.id) AS with_team FROM admin_unit u \
         LEFT JOIN team t ON t.unit_id = u.id AND t.status = 'ACTIVE' \
         WHERE {} AND u.level = 'VILLAGE' AND u.valid_to IS NULL",
        subtree.sql("u.path", &mut args)
    );
    let (villages, villages_with_team) = match fetch_rows(conn, sql, args).await?.first() {
        Some(row) => (row.try_get("", "villages")?, row.try_get("", "with_team")?),
        None => (0, 0),
    };

    let children = children_of(conn, unit.id).await?;

    Ok(Totals {
        unit,
        teams,
        members,
        members_trained,
        training_sessions,
        committees,
        villages,
        villages_with_team,
        members_by_role: TeamRole::ALL
            .iter()
            .map(|r| (*r, by_role.get(r).copied().unwrap_or(0)))
            .collect(),
        members_by_affiliation: Affiliation::ALL
            .iter()
            .map(|a| (*a, by_affiliation.get(a).copied().unwrap_or(0)))
            .collect(),
        children,
    })
}

/// Per-child figures in one statement, whatever the number of children: correlated
/// subqueries give the planner each child's path range as a constant, so every figure is an
/// index range scan on the path (a join on the range would compare every row with every child).
async fn children_of(conn: &impl ConnectionTrait, parent: UnitId) -> Result<Vec<ChildTotals>> {
    const UNDER_C: &str = "x.path >= c.path AND x.path < c.path || '~'";
    let mut args = Args::new();
    let sql = format!(
        "SELECT {UNIT_COLUMNS}, \
         (SELECT COUNT(*) FROM admin_unit x JOIN team t ON t.unit_id = x.id AND t.status = 'ACTIVE' \
          WHERE {UNDER_C}) AS teams, \
         (SELECT COUNT(*) FROM admin_unit x JOIN team t ON t.unit_id = x.id AND t.status = 'ACTIVE' \
          JOIN team_member m ON m.team_id = t.id AND m.left_on IS NULL WHERE {UNDER_C}) AS members, \
         (SELECT COUNT(*) FROM admin_unit x WHERE {UNDER_C} AND x.level = 'VILLAGE' \
          AND x.valid_to IS NULL) AS villages, \
         (SELECT COUNT(*) FROM admin_unit x JOIN team t ON t.unit_id = x.id AND t.status = 'ACTIVE' \
          WHERE {UNDER_C} AND x.level = 'VILLAGE' AND x.valid_to IS NULL) AS with_team \
         FROM admin_unit c JOIN admin_unit u ON u.id = c.id \
         WHERE c.parent_id = {} AND c.valid_to IS NULL ORDER BY c.code",
        args.bind(parent)
    );
    let rows = fetch_rows(conn, sql, args).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(ChildTotals {
            unit: Unit::from_query_result(&row, "")?,
            teams: row.try_get("", "teams")?,
            members: row.try_get("", "members")?,
            villages: row.try_get("", "villages")?,
            villages_with_team: row.try_get("", "with_team")?,
        });
    }
    Ok(out)
}

/// Sums of the approved result reports of a subtree for a period.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResultTotals {
    /// `YYYY-MM`, or `YYYY` for the whole year.
    pub period: String,
    /// Approved reports counted.
    pub reports: i64,
    pub households_reached: i64,
    pub vneid_activations: i64,
    pub online_applications: i64,
    pub cashless_accounts: i64,
    pub ecommerce_accounts: i64,
}

/// A period as reports are filed: a month, or a whole year.
pub fn parse_period(raw: &str) -> Result<String> {
    let raw = raw.trim();
    if raw.len() == 4 && raw.parse::<u16>().is_ok() {
        return Ok(raw.to_owned());
    }
    super::validate::period("period", raw)
        .map_err(|_| AppError::bad_input("period", "must be a month (YYYY-MM) or a year (YYYY)"))
}

/// Sums approved reports of `unit`'s subtree for `period`, which [`parse_period`] accepted.
pub async fn results(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    unit: &Unit,
    period: &str,
) -> Result<ResultTotals> {
    if !scope.contains(&unit.path) {
        return Err(AppError::Forbidden);
    }
    let mut args = Args::new();
    let range = Scope::subtree(&unit.path).sql("u.path", &mut args);
    let (month, year) = (
        args.bind(period.to_owned()),
        args.bind(format!("{period}-%")),
    );
    let sql = format!(
        "SELECT COUNT(*) AS reports, COALESCE(SUM(r.households_reached), 0) AS h, \
         COALESCE(SUM(r.vneid_activations), 0) AS v, COALESCE(SUM(r.online_applications), 0) AS o, \
         COALESCE(SUM(r.cashless_accounts), 0) AS c, COALESCE(SUM(r.ecommerce_accounts), 0) AS e \
         FROM result_report r JOIN team t ON t.id = r.team_id JOIN admin_unit u ON u.id = t.unit_id \
         WHERE {range} AND r.state = 'APPROVED' AND (r.period = {month} OR r.period LIKE {year})"
    );
    let rows = fetch_rows(conn, sql, args).await?;
    let Some(row) = rows.first() else {
        return Ok(ResultTotals {
            period: period.to_owned(),
            ..ResultTotals::default()
        });
    };
    // The columns are 32-bit, so both databases sum them as 64-bit integers.
    let number = |name: &str| -> Result<i64> { Ok(row.try_get::<i64>("", name)?) };
    Ok(ResultTotals {
        period: period.to_owned(),
        reports: number("reports")?,
        households_reached: number("h")?,
        vneid_activations: number("v")?,
        online_applications: number("o")?,
        cashless_accounts: number("c")?,
        ecommerce_accounts: number("e")?,
    })
}
