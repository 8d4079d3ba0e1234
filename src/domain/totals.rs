//! The aggregate counts leadership asks for: teams, members, training and coverage for a unit's
//! subtree and for each of its children. Every figure is one subtree range over the path index.

use std::collections::HashMap;

use async_graphql::SimpleObject;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult};

use super::teams::{Affiliation, TeamRole};
use super::units::{self, AdminLevel, Unit};
use crate::authz::Scope;
use crate::db::sql::{Args, fetch_all, fetch_rows, subtree_sql};
use crate::error::{AppError, Result};

// Aggregate figures for a unit's subtree; how they are read for a period (results, progress)
// is added where the schema is put together.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, SimpleObject)]
#[graphql(complex)]
pub struct Totals {
    pub unit: Unit,
    /// Active teams (as of the last change: figures are cached, and every change invalidates
    /// them before it answers).
    pub teams: i64,
    /// Current members of active teams.
    pub members: i64,
    /// Current members who completed at least one training session.
    pub members_trained: i64,
    /// Training sessions organised by units of the subtree.
    pub training_sessions: i64,
    // Committees not dissolved.
    pub committees: i64,
    pub villages: i64,
    /// Villages with an active team.
    pub villages_with_team: i64,
    // Every role, including those with no members.
    pub members_by_role: Vec<RoleCount>,
    // Every affiliation, including those with no members.
    pub members_by_affiliation: Vec<AffiliationCount>,
    /// The same figures for each unit directly below (shown after the other figures).
    #[graphql(skip)]
    pub children: Vec<ChildTotals>,
}

// How many members hold a role; cached as the pair `[role, count]`.
#[derive(Clone, Copy, Debug, SimpleObject, serde::Serialize, serde::Deserialize)]
#[serde(from = "(TeamRole, i64)", into = "(TeamRole, i64)")]
pub struct RoleCount {
    pub role: TeamRole,
    pub count: i64,
}

// How many members come from an organisation; cached as the pair `[affiliation, count]`.
#[derive(Clone, Copy, Debug, SimpleObject, serde::Serialize, serde::Deserialize)]
#[serde(from = "(Affiliation, i64)", into = "(Affiliation, i64)")]
pub struct AffiliationCount {
    pub affiliation: Affiliation,
    pub count: i64,
}

/// Both ways between a count and the pair `(value, count)` it is cached as.
macro_rules! cached_as_pair {
    ($count:ident { $field:ident: $value:ty }) => {
        impl From<($value, i64)> for $count {
            fn from(($field, count): ($value, i64)) -> Self {
                $count { $field, count }
            }
        }

        impl From<$count> for ($value, i64) {
            fn from(c: $count) -> Self {
                (c.$field, c.count)
            }
        }
    };
}

cached_as_pair!(RoleCount { role: TeamRole });
cached_as_pair!(AffiliationCount {
    affiliation: Affiliation
});

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, SimpleObject)]
pub struct ChildTotals {
    pub unit: Unit,
    pub teams: i64,
    pub members: i64,
    pub villages: i64,
    pub villages_with_team: i64,
}

/// Totals for `unit`, which must lie wholly inside `scope`.
///
/// Three statements, run side by side on separate connections: the children, one row per unit
/// of the subtree (a range of the path index) with its own counts, and the members of the
/// subtree's active teams counted per unit, role and affiliation. Per-child figures are added
/// up here from rows keyed by unit path, which is cheaper than asking the database for each
/// child's range. Per-unit counts are correlated lookups on each table's unit index: the
/// planner's alternatives (a hash join over a whole table, or a merge join that walks every
/// unit of the country in id order) cost several times more at national scale.
pub async fn compute(conn: &impl ConnectionTrait, scope: &Scope, unit: Unit) -> Result<Totals> {
    if !scope.contains(&unit.path) {
        return Err(AppError::Forbidden);
    }
    let path = unit.path.clone();
    let (children, units, members) = tokio::try_join!(
        units::all_children(conn, unit.id),
        unit_rows(conn, &path),
        member_rows(conn, &path),
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
    let (mut villages, mut with_team, mut teams, mut sessions, mut committees) = (0, 0, 0, 0, 0);
    for row in &units {
        let village = row.current && row.level == AdminLevel::Village;
        let has_team = village && row.teams > 0;
        teams += row.teams;
        sessions += row.sessions;
        committees += row.committees;
        villages += i64::from(village);
        with_team += i64::from(has_team);
        if let Some(child) = child_of(&row.path).and_then(|c| per_child.get_mut(&c)) {
            child.teams += row.teams;
            child.villages += i64::from(village);
            child.villages_with_team += i64::from(has_team);
        }
    }
    let path_of: HashMap<i64, &str> = units.iter().map(|u| (u.id, u.path.as_str())).collect();
    let mut by_role: HashMap<TeamRole, i64> = HashMap::new();
    let mut by_affiliation: HashMap<Affiliation, i64> = HashMap::new();
    let mut trained = 0;
    for row in &members {
        *by_role.entry(row.role).or_default() += row.n;
        *by_affiliation.entry(row.affiliation).or_default() += row.n;
        trained += row.trained;
        let child = path_of
            .get(&row.unit_id)
            .and_then(|p| child_of(p))
            .and_then(|c| per_child.get_mut(&c));
        if let Some(child) = child {
            child.members += row.n;
        }
    }
    let mut children: Vec<ChildTotals> = per_child.into_values().collect();
    children.sort_by(|a, b| a.unit.code.cmp(&b.unit.code));

    Ok(Totals {
        unit,
        teams,
        members: by_role.values().sum(),
        members_trained: trained,
        training_sessions: sessions,
        committees,
        villages,
        villages_with_team: with_team,
        members_by_role: TeamRole::ALL
            .iter()
            .map(|r| (*r, by_role.get(r).copied().unwrap_or(0)).into())
            .collect(),
        members_by_affiliation: Affiliation::ALL
            .iter()
            .map(|a| (*a, by_affiliation.get(a).copied().unwrap_or(0)).into())
            .collect(),
        children,
    })
}

/// A unit of the subtree (current or not: what was recorded against a unit since replaced
/// still counts) with what is attached to it directly.
#[derive(FromQueryResult)]
struct UnitRow {
    id: i64,
    path: String,
    level: AdminLevel,
    current: bool,
    /// Active teams serving the unit.
    teams: i64,
    /// Training sessions the unit organised.
    sessions: i64,
    /// Committees of the unit not dissolved.
    committees: i64,
}

async fn unit_rows(conn: &impl ConnectionTrait, path: &str) -> Result<Vec<UnitRow>> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT u.id, u.path, u.level, u.valid_to IS NULL AS current, \
         (SELECT COUNT(*) FROM team t WHERE t.unit_id = u.id AND t.status = 'ACTIVE') AS teams, \
         (SELECT COUNT(*) FROM training_session s WHERE s.organizer_unit_id = u.id) AS sessions, \
         (SELECT COUNT(*) FROM steering_committee c \
          WHERE c.unit_id = u.id AND c.dissolved_on IS NULL) AS committees \
         FROM admin_unit u WHERE {}",
        subtree_sql(&mut args, "u.path", path)
    );
    Ok(fetch_all(conn, sql, args).await?)
}

/// Current members of active teams, counted per unit, role and affiliation, with how many of
/// them completed at least one training session.
#[derive(FromQueryResult)]
struct MemberRow {
    unit_id: i64,
    role: TeamRole,
    affiliation: Affiliation,
    n: i64,
    trained: i64,
}

async fn member_rows(conn: &impl ConnectionTrait, path: &str) -> Result<Vec<MemberRow>> {
    let mut args = Args::new();
    let range = subtree_sql(&mut args, "u.path", path);
    // On PostgreSQL the subtree's unit ids, as an array, drive an index scan of the teams;
    // joined instead, the planner hashes every team of the country.
    let in_subtree = match conn.get_database_backend() {
        DbBackend::Postgres => {
            format!("= ANY (ARRAY(SELECT u.id FROM admin_unit u WHERE {range}))")
        }
        _ => format!("IN (SELECT u.id FROM admin_unit u WHERE {range})"),
    };
    let sql = format!(
        "SELECT t.unit_id, m.role, m.affiliation, COUNT(*) AS n, \
         COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM attendance a \
                          WHERE a.member_id = m.id AND a.completed)) AS trained \
         FROM team t JOIN team_member m ON m.team_id = t.id \
         WHERE t.unit_id {in_subtree} AND t.status = 'ACTIVE' AND m.left_on IS NULL \
         GROUP BY t.unit_id, m.role, m.affiliation"
    );
    Ok(fetch_all(conn, sql, args).await?)
}

/// Approved results summed over a subtree.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, SimpleObject,
)]
pub struct ResultTotals {
    // `YYYY-MM`, or `YYYY` for the whole year.
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
    super::validate::period_or_year("period", raw)
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
    let range = subtree_sql(&mut args, "u.path", &unit.path);
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
