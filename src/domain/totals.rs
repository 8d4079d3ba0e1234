//! The aggregate counts leadership asks for: teams, members, training and coverage for a unit's
//! subtree and for each of its children. Every figure is one subtree range over the path index.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;

use super::UnitId;
use super::teams::{Affiliation, TeamRole};
use super::units::{COLUMNS as UNIT_COLUMNS, Unit, count};
use crate::authz::Scope;
use crate::db::sql::{Args, fetch_all, fetch_rows};
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
///
/// Every statement is one range scan of the unit's subtree on the path index; they run side by
/// side on separate connections. Per-child figures are added up here from rows keyed by unit
/// path, which is cheaper than asking the database for each child's range.
pub async fn compute(conn: &impl ConnectionTrait, scope: &Scope, unit: Unit) -> Result<Totals> {
    if !scope.contains(&unit.path) {
        return Err(AppError::Forbidden);
    }
    let path = unit.path.clone();
    let (children, villages, teams, members, members_trained, training_sessions, committees) = tokio::try_join!(
        child_units(conn, unit.id),
        village_rows(conn, &path),
        team_rows(conn, &path),
        member_rows(conn, &path),
        subtree_count(
            conn,
            &path,
            "SELECT COUNT(*) AS n FROM team_member m JOIN team t ON t.id = m.team_id \
             JOIN admin_unit u ON u.id = t.unit_id WHERE {range} AND t.status = 'ACTIVE' \
             AND m.left_on IS NULL \
             AND EXISTS (SELECT 1 FROM attendance a WHERE a.member_id = m.id AND a.completed)",
        ),
        subtree_count(
            conn,
            &path,
            "SELECT COUNT(*) AS n FROM training_session s \
             JOIN admin_unit u ON u.id = s.organizer_unit_id WHERE {range}",
        ),
        subtree_count(
            conn,
            &path,
            "SELECT COUNT(*) AS n FROM steering_committee c JOIN admin_unit u ON u.id = c.unit_id \
             WHERE {range} AND c.dissolved_on IS NULL",
        ),
    )?;

    let mut per_child: HashMap<i64, ChildTotals> = children
        .into_iter()
        .map(|u| {
            (
                u.id.0,
                ChildTotals {
                    unit: u,
                    teams: 0,
                    members: 0,
                    villages: 0,
                    villages_with_team: 0,
                },
            )
        })
        .collect();
    let child_of = |row_path: &str| -> Option<i64> {
        row_path
            .strip_prefix(path.as_str())?
            .split('/')
            .next()?
            .parse()
            .ok()
    };
    let (mut village_count, mut with_team) = (0, 0);
    for (row_path, has_team) in &villages {
        village_count += 1;
        with_team += i64::from(*has_team);
        if let Some(child) = child_of(row_path).and_then(|c| per_child.get_mut(&c)) {
            child.villages += 1;
            child.villages_with_team += i64::from(*has_team);
        }
    }
    let mut team_count = 0;
    for (row_path, n) in &teams {
        team_count += n;
        if let Some(child) = child_of(row_path).and_then(|c| per_child.get_mut(&c)) {
            child.teams += n;
        }
    }
    let mut by_role: HashMap<TeamRole, i64> = HashMap::new();
    let mut by_affiliation: HashMap<Affiliation, i64> = HashMap::new();
    for (row_path, role, affiliation, n) in &members {
        *by_role.entry(*role).or_default() += n;
        *by_affiliation.entry(*affiliation).or_default() += n;
        if let Some(child) = child_of(row_path).and_then(|c| per_child.get_mut(&c)) {
            child.members += n;
        }
    }
    let mut children: Vec<ChildTotals> = per_child.into_values().collect();
    children.sort_by(|a, b| a.unit.code.cmp(&b.unit.code));

    Ok(Totals {
        unit,
        teams: team_count,
        members: by_role.values().sum(),
        members_trained,
        training_sessions,
        committees,
        villages: village_count,
        villages_with_team: with_team,
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

/// A `COUNT(*) AS n` over the subtree: `{range}` in `sql` becomes the path condition on `u`.
async fn subtree_count(conn: &impl ConnectionTrait, path: &str, sql: &str) -> Result<i64> {
    let mut args = Args::new();
    let range = Scope::subtree(path).sql("u.path", &mut args);
    count(conn, sql.replace("{range}", &range), args).await
}

async fn child_units(conn: &impl ConnectionTrait, parent: UnitId) -> Result<Vec<Unit>> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT {UNIT_COLUMNS} FROM admin_unit u WHERE u.parent_id = {} AND u.valid_to IS NULL",
        args.bind(parent)
    );
    Ok(fetch_all(conn, sql, args).await?)
}

/// Each current village of the subtree: its path, and whether it has an active team.
async fn village_rows(conn: &impl ConnectionTrait, path: &str) -> Result<Vec<(String, bool)>> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT u.path AS path, COUNT(t.id) AS n FROM admin_unit u \
         LEFT JOIN team t ON t.unit_id = u.id AND t.status = 'ACTIVE' \
         WHERE {} AND u.level = 'VILLAGE' AND u.valid_to IS NULL GROUP BY u.path",
        Scope::subtree(path).sql("u.path", &mut args)
    );
    let rows = fetch_rows(conn, sql, args).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "path")?, r.try_get::<i64>("", "n")? > 0)))
        .collect()
}

/// Active teams of the subtree, counted per unit path.
async fn team_rows(conn: &impl ConnectionTrait, path: &str) -> Result<Vec<(String, i64)>> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT u.path AS path, COUNT(*) AS n FROM team t JOIN admin_unit u ON u.id = t.unit_id \
         WHERE {} AND t.status = 'ACTIVE' GROUP BY u.path",
        Scope::subtree(path).sql("u.path", &mut args)
    );
    let rows = fetch_rows(conn, sql, args).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "path")?, r.try_get("", "n")?)))
        .collect()
}

type MemberRow = (String, TeamRole, Affiliation, i64);

/// Current members of active teams, counted per unit path, role and affiliation.
async fn member_rows(conn: &impl ConnectionTrait, path: &str) -> Result<Vec<MemberRow>> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT u.path AS path, m.role AS role, m.affiliation AS affiliation, COUNT(*) AS n \
         FROM team_member m JOIN team t ON t.id = m.team_id JOIN admin_unit u ON u.id = t.unit_id \
         WHERE {} AND t.status = 'ACTIVE' AND m.left_on IS NULL \
         GROUP BY u.path, m.role, m.affiliation",
        Scope::subtree(path).sql("u.path", &mut args)
    );
    let rows = fetch_rows(conn, sql, args).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("", "path")?,
                r.try_get("", "role")?,
                r.try_get("", "affiliation")?,
                r.try_get("", "n")?,
            ))
        })
        .collect()
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
