//! The aggregate counts leadership asks for: teams, members, training and coverage for a unit's
//! subtree and for each of its children. Today's are sums of the counters every write keeps
//! per unit (`counters.rs`); a past day's are counted from the rows active that day.

use std::collections::HashMap;

use async_graphql::SimpleObject;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult};

use super::counters;
use super::teams::{Affiliation, TeamRole};
use super::units::{self, AdminLevel, Unit, history};
use crate::authz::{Places, Scope};
use crate::db::sql::{Args, fetch_all, fetch_rows, subtree_sql};
use crate::error::{AppError, Result};
use crate::scalars::Date;
use chrono::NaiveDate;

// Aggregate figures for a unit's subtree; how they are read for a period (results, progress)
// is added where the schema is put together.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, SimpleObject)]
#[graphql(complex)]
pub struct Totals {
    /// The unit, as it stood on `asOf`; null for the whole country.
    pub unit: Option<Unit>,
    // The day the figures are for; none: today (shown as `asOf`, today's date).
    #[graphql(skip)]
    pub as_of: Option<Date>,
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

// The figures of one unit directly below a total's subject; its results for a month are read
// for every child at once (`graphql::types::totals`).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, SimpleObject)]
#[graphql(complex)]
pub struct ChildTotals {
    /// The unit, as it stood on the day of the figures.
    pub unit: Unit,
    pub teams: i64,
    pub members: i64,
    /// Current members who completed at least one training session.
    pub members_trained: i64,
    /// Training sessions organised by units of the child's subtree.
    pub training_sessions: i64,
    pub committees: i64,
    pub villages: i64,
    pub villages_with_team: i64,
    // The day of the figures; none: today.
    #[graphql(skip)]
    pub as_of: Option<Date>,
}

/// What a total is of: a unit's subtree or the whole country, today or as of a past day.
#[derive(Clone, Debug)]
pub struct Subject {
    /// The unit as shown on the day (its shape then); none: the whole country.
    pub unit: Option<Unit>,
    /// None: today's tree and what is active now.
    pub day: Option<NaiveDate>,
}

impl Subject {
    /// The path the subtree is read under: the unit's on the day, `/` for the country.
    fn path(&self) -> &str {
        self.unit.as_ref().map_or("/", |u| u.path.as_str())
    }
}

/// Totals of `subject`, which must lie wholly inside `scope`: for a past day, every village
/// of the subtree that day must lie in the scope today.
pub async fn compute(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    subject: Subject,
) -> Result<Totals> {
    match subject.day {
        None => from_counters(conn, scope, subject).await,
        Some(day) => from_rows(conn, scope, subject, day).await,
    }
}

/// Today's totals: the counters every write keeps per unit (`counters.rs`), summed over the
/// subtree and grouped by the child of the subject each unit lies under. A province reads a
/// row per unit of its subtree, never its members; the country groups by province.
async fn from_counters(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    subject: Subject,
) -> Result<Totals> {
    let path = subject.path().to_owned();
    if !scope.contains(&path) {
        return Err(AppError::Forbidden);
    }
    let children = async {
        match &subject.unit {
            Some(unit) => units::all_children(conn, unit.id).await,
            None => units::provinces(conn).await,
        }
    };
    // Above communes, each commune's subtree row stands for its villages.
    let by_commune = subject
        .unit
        .as_ref()
        .is_none_or(|u| matches!(u.level, AdminLevel::Province | AdminLevel::District));
    let (children, groups) = tokio::try_join!(children, counter_groups(conn, &path, by_commune))?;
    let columns = counters::columns();
    let at = |name: &str| columns.iter().position(|c| c == name).unwrap_or(0);
    let (teams, members, villages, with_team) = (
        at("teams"),
        at("members"),
        at("villages"),
        at("villages_with_team"),
    );
    let (trained, sessions, committees) = (
        at("members_trained"),
        at("training_sessions"),
        at("committees"),
    );
    let mut per_child: HashMap<i64, ChildTotals> = children
        .into_iter()
        .map(|u| (u.id.0, ChildTotals::empty(u, None)))
        .collect();
    let mut sum = vec![0i64; columns.len()];
    for (child, figures) in &groups {
        for (total, value) in sum.iter_mut().zip(figures) {
            *total += value;
        }
        if let Some(child) = child.parse().ok().and_then(|c: i64| per_child.get_mut(&c)) {
            child.teams += figures[teams];
            child.members += figures[members];
            child.members_trained += figures[trained];
            child.training_sessions += figures[sessions];
            child.committees += figures[committees];
            child.villages += figures[villages];
            child.villages_with_team += figures[with_team];
        }
    }
    let mut children: Vec<ChildTotals> = per_child.into_values().collect();
    children.sort_by(|a, b| a.unit.code.cmp(&b.unit.code));
    Ok(Totals {
        unit: subject.unit,
        as_of: None,
        teams: sum[teams],
        members: sum[members],
        members_trained: sum[trained],
        training_sessions: sum[sessions],
        committees: sum[committees],
        villages: sum[villages],
        villages_with_team: sum[with_team],
        members_by_role: TeamRole::ALL
            .iter()
            .map(|r| (*r, sum[at(&counters::role_column(*r))]).into())
            .collect(),
        members_by_affiliation: Affiliation::ALL
            .iter()
            .map(|a| (*a, sum[at(&counters::affiliation_column(*a))]).into())
            .collect(),
        children,
    })
}

/// The counters of the units under `path`, summed per child of `path` (the first path segment
/// after it; empty for the unit itself), one row per child. `by_commune`: the communes'
/// subtree rows and the rows of the units above them (a few thousand for the country), two
/// ranges of the `(level, path)` index; otherwise every unit's own row, one range of the path
/// index.
async fn counter_groups(
    conn: &impl ConnectionTrait,
    path: &str,
    by_commune: bool,
) -> Result<Vec<(String, Vec<i64>)>> {
    let mut args = Args::new();
    let columns = counters::columns();
    let listed = columns.join(", ");
    let from = if by_commune {
        format!(
            "({} UNION ALL {}) u",
            counter_rows(&mut args, &columns, "commune_total", "'COMMUNE'", path),
            counter_rows(
                &mut args,
                &columns,
                "unit_total",
                "'PROVINCE', 'DISTRICT'",
                path
            )
        )
    } else {
        format!(
            "(SELECT u.path, {listed} FROM admin_unit u JOIN unit_total c ON c.unit_id = u.id \
             WHERE {}) u",
            subtree_sql(&mut args, "u.path", path)
        )
    };
    let child = child_segment(conn.get_database_backend(), "u.path", path.len() + 1);
    let sums: Vec<String> = columns
        .iter()
        .map(|c| format!("CAST(SUM(u.{c}) AS BIGINT)"))
        .collect();
    let sql = format!(
        "SELECT {child} AS child, {} FROM {from} GROUP BY 1",
        sums.join(", ")
    );
    let rows = fetch_rows(conn, sql, args).await?;
    rows.iter()
        .map(|row| {
            let child: String = row.try_get_by_index(0)?;
            let figures = (0..columns.len())
                .map(|i| row.try_get_by_index::<i64>(i + 1))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Ok((child, figures))
        })
        .collect()
}

/// The active teams of these places today, from the counters: the same figure `totals.teams`
/// gives for each subtree (above communes, each commune's subtree row), plus each single
/// unit's own row. One statement, a few hundred counter rows for a province.
pub async fn teams_in(conn: &impl ConnectionTrait, places: &Places) -> Result<i64> {
    if places.is_empty() {
        return Ok(0);
    }
    let mut args = Args::new();
    let mut parts = Vec::new();
    for root in &places.subtrees {
        // Communes' subtree rows, the own rows of the units above communes, and a village's own
        // row when the subtree is a single village: each team counted once.
        let teams = ["teams"];
        parts.push(counter_rows(
            &mut args,
            &teams,
            "commune_total",
            "'COMMUNE'",
            root,
        ));
        parts.push(counter_rows(
            &mut args,
            &teams,
            "unit_total",
            "'PROVINCE', 'DISTRICT'",
            root,
        ));
        parts.push(format!(
            "SELECT u.path, c.teams FROM admin_unit u JOIN unit_total c ON c.unit_id = u.id \
             WHERE u.level = 'VILLAGE' AND u.path = {}",
            args.bind(root.clone())
        ));
    }
    if !places.units.is_empty() {
        let listed: Vec<String> = places.units.iter().map(|u| args.bind(u.clone())).collect();
        parts.push(format!(
            "SELECT u.path, c.teams FROM admin_unit u JOIN unit_total c ON c.unit_id = u.id \
             WHERE u.path IN ({})",
            listed.join(", ")
        ));
    }
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(teams), 0) AS BIGINT) FROM ({}) t",
        parts.join(" UNION ALL ")
    );
    let rows = fetch_rows(conn, sql, args).await?;
    Ok(match rows.first() {
        Some(row) => row.try_get_by_index::<i64>(0)?,
        None => 0,
    })
}

/// `SELECT u.path, c.<column>…` of the counter rows of `table` (`unit_total`, or the communes'
/// subtree rows `commune_total`) of the units at `levels` in the subtree at `path`: one range of
/// the `(level, path)` index per level.
fn counter_rows(
    args: &mut Args,
    columns: &[impl AsRef<str>],
    table: &str,
    levels: &str,
    path: &str,
) -> String {
    let listed: Vec<String> = columns
        .iter()
        .map(|c| format!("c.{}", c.as_ref()))
        .collect();
    format!(
        "SELECT u.path, {} FROM admin_unit u JOIN {table} c ON c.unit_id = u.id \
         WHERE u.level IN ({levels}) AND {}",
        listed.join(", "),
        subtree_sql(args, "u.path", path)
    )
}

/// The path segment of `column` that starts at character `start` (1-based): the id of the
/// child a row lies under, when `start` follows the parent's path.
fn child_segment(backend: DbBackend, column: &str, start: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("split_part(substr({column}, {start}), '/', 1)"),
        _ => format!("substr({column}, {start}, instr(substr({column}, {start}), '/') - 1)"),
    }
}

impl ChildTotals {
    fn empty(unit: Unit, as_of: Option<NaiveDate>) -> ChildTotals {
        ChildTotals {
            unit,
            teams: 0,
            members: 0,
            members_trained: 0,
            training_sessions: 0,
            committees: 0,
            villages: 0,
            villages_with_team: 0,
            as_of: as_of.map(Date),
        }
    }
}

/// Totals as of a past day, counted from the rows: three statements, run side by side on
/// separate connections: the children, one row per unit of that day's subtree (a range of the
/// path index) with its own counts, and the members of the subtree's teams active then,
/// counted per unit, role and affiliation. Per-child figures are added up here from rows keyed
/// by unit path. Per-unit counts are correlated lookups on each table's unit index: the
/// planner's alternatives (a hash join over a whole table, or a merge join that walks every
/// unit of the country in id order) cost several times more at national scale.
async fn from_rows(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    subject: Subject,
    day: NaiveDate,
) -> Result<Totals> {
    let path = subject.path().to_owned();
    let children = async {
        match &subject.unit {
            Some(unit) => history::all_children_on(conn, Some(unit.id), day).await,
            None => history::all_children_on(conn, None, day).await,
        }
    };
    let (children, units, members) = tokio::try_join!(
        children,
        unit_rows(conn, &path, day),
        member_rows(conn, &path, day),
    )?;
    // A past subtree is in reach when every village it then held is in reach today; one
    // without villages, when its root is.
    let mut villages = units
        .iter()
        .filter(|u| u.level == AdminLevel::Village)
        .peekable();
    let root_in_reach = units
        .iter()
        .find(|u| u.path == path)
        .is_some_and(|root| scope.contains(&root.now_path))
        || scope.is_everywhere();
    let reached = if villages.peek().is_none() {
        root_in_reach
    } else {
        villages.all(|u| scope.contains(&u.now_path))
    };
    if !reached {
        return Err(AppError::Forbidden);
    }

    let mut per_child: HashMap<i64, ChildTotals> = children
        .into_iter()
        .map(|u| (u.id.0, ChildTotals::empty(u, Some(day))))
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
        let village = row.level == AdminLevel::Village;
        let has_team = village && row.teams > 0;
        teams += row.teams;
        sessions += row.sessions;
        committees += row.committees;
        villages += i64::from(village);
        with_team += i64::from(has_team);
        if let Some(child) = child_of(&row.path).and_then(|c| per_child.get_mut(&c)) {
            child.teams += row.teams;
            child.training_sessions += row.sessions;
            child.committees += row.committees;
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
            child.members_trained += row.trained;
        }
    }
    let mut children: Vec<ChildTotals> = per_child.into_values().collect();
    children.sort_by(|a, b| a.unit.code.cmp(&b.unit.code));

    Ok(Totals {
        unit: subject.unit,
        as_of: Some(Date(day)),
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

/// A unit of a past day's subtree with what was attached to it directly and active then.
#[derive(FromQueryResult)]
struct UnitRow {
    id: i64,
    /// Its path on the day.
    path: String,
    /// Its path today.
    now_path: String,
    level: AdminLevel,
    /// Active teams serving the unit.
    teams: i64,
    /// Training sessions the unit organised.
    sessions: i64,
    /// Committees of the unit not dissolved.
    committees: i64,
}

/// The units in force on `day`, with `admin_unit`'s `id`, `path` (that day's) and `level`,
/// and `now_path`: a derived table for hand-written statements.
fn shapes_sql(args: &mut Args, day: NaiveDate) -> String {
    let d = args.bind(day);
    format!(
        "(SELECT a.id, a.path, a.path AS now_path, a.level FROM admin_unit a \
          WHERE a.valid_from <= {d} AND (a.valid_to IS NULL OR a.valid_to > {d}) \
          UNION ALL SELECT s.unit_id, s.path, a.path, a.level FROM unit_shape s \
          JOIN admin_unit a ON a.id = s.unit_id WHERE s.valid_from <= {d} AND s.valid_to > {d})"
    )
}

/// Whether every village under `path` on `day` lies in `scope` today.
async fn villages_in_scope_on(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    path: &str,
    day: NaiveDate,
) -> Result<bool> {
    if scope.is_everywhere() {
        return Ok(true);
    }
    let mut args = Args::new();
    let shapes = shapes_sql(&mut args, day);
    let range = subtree_sql(&mut args, "u.path", path);
    let sql = format!("SELECT u.now_path FROM {shapes} u WHERE {range} AND u.level = 'VILLAGE'");
    let rows = fetch_rows(conn, sql, args).await?;
    for row in rows {
        let now: String = row.try_get_by_index(0)?;
        if !scope.contains(&now) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Teams (`t`) active on the day bound as `d`: founded by then, not dissolved by then.
fn team_active_on(d: &str) -> String {
    format!(
        "(t.founded_on IS NULL OR t.founded_on <= {d}) \
         AND (t.dissolved_on IS NULL OR t.dissolved_on > {d}) \
         AND (t.status = 'ACTIVE' OR t.dissolved_on IS NOT NULL)"
    )
}

async fn unit_rows(
    conn: &impl ConnectionTrait,
    path: &str,
    day: NaiveDate,
) -> Result<Vec<UnitRow>> {
    let mut args = Args::new();
    let shapes = shapes_sql(&mut args, day);
    let range = subtree_sql(&mut args, "u.path", path);
    let d = args.bind(day);
    let next = args.bind(crate::scalars::end_of(day));
    let sql = format!(
        "SELECT u.id, u.path, u.now_path, u.level, \
         (SELECT COUNT(*) FROM team t WHERE t.unit_id = u.id AND {}) AS teams, \
         (SELECT COUNT(*) FROM training_session s \
          WHERE s.organizer_unit_id = u.id AND s.starts_at < {next}) AS sessions, \
         (SELECT COUNT(*) FROM steering_committee c WHERE c.unit_id = u.id \
          AND (c.founded_on IS NULL OR c.founded_on <= {d}) \
          AND (c.dissolved_on IS NULL OR c.dissolved_on > {d})) AS committees \
         FROM {shapes} u WHERE {range}",
        team_active_on(&d)
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

async fn member_rows(
    conn: &impl ConnectionTrait,
    path: &str,
    day: NaiveDate,
) -> Result<Vec<MemberRow>> {
    let mut args = Args::new();
    let units = shapes_sql(&mut args, day);
    let range = subtree_sql(&mut args, "u.path", path);
    // On PostgreSQL the subtree's unit ids, as an array, drive an index scan of the teams;
    // joined instead, the planner hashes every team of the country.
    let in_subtree = match conn.get_database_backend() {
        DbBackend::Postgres => format!("= ANY (ARRAY(SELECT u.id FROM {units} u WHERE {range}))"),
        _ => format!("IN (SELECT u.id FROM {units} u WHERE {range})"),
    };
    let d = args.bind(day);
    let next = args.bind(crate::scalars::end_of(day));
    let sql = format!(
        "SELECT t.unit_id, m.role, m.affiliation, COUNT(*) AS n, \
         COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM attendance a \
                          WHERE a.member_id = m.id AND a.completed \
                          AND EXISTS (SELECT 1 FROM training_session s \
                                      WHERE s.id = a.session_id AND s.starts_at < {next}))) AS trained \
         FROM team t JOIN team_member m ON m.team_id = t.id \
         WHERE t.unit_id {in_subtree} AND {} \
         AND (m.joined_on IS NULL OR m.joined_on <= {d}) \
         AND (m.left_on IS NULL OR m.left_on > {d}) \
         GROUP BY t.unit_id, m.role, m.affiliation",
        team_active_on(&d)
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

/// The approved results of the units under `path` (on `day`, or today's kept sums), as a
/// derived table `x` of `(path, period, reports, h, v, o, c, e)`: one row per unit and month
/// today, one per approved report on a past day. Callers filter and group it.
fn result_rows_sql(args: &mut Args, path: &str, day: Option<NaiveDate>) -> String {
    match day {
        None => {
            let range = subtree_sql(args, "u.path", path);
            format!(
                "(SELECT u.path, c.period, c.reports, c.households_reached AS h, \
                 c.vneid_activations AS v, c.online_applications AS o, \
                 c.cashless_accounts AS c, c.ecommerce_accounts AS e \
                 FROM unit_result c JOIN admin_unit u ON u.id = c.unit_id WHERE {range}) x"
            )
        }
        Some(day) => {
            let units = shapes_sql(args, day);
            let range = subtree_sql(args, "u.path", path);
            format!(
                "(SELECT u.path, r.period, 1 AS reports, r.households_reached AS h, \
                 r.vneid_activations AS v, r.online_applications AS o, \
                 r.cashless_accounts AS c, r.ecommerce_accounts AS e \
                 FROM result_report r JOIN team t ON t.id = r.team_id \
                 JOIN {units} u ON u.id = t.unit_id \
                 WHERE {range} AND r.state = 'APPROVED') x"
            )
        }
    }
}

/// The sums a results statement selects after its grouping column(s), 64-bit on both
/// databases (the columns are 32-bit).
const RESULT_SUMS: &str = "CAST(COALESCE(SUM(x.reports), 0) AS BIGINT) AS reports, \
     CAST(COALESCE(SUM(x.h), 0) AS BIGINT) AS h, CAST(COALESCE(SUM(x.v), 0) AS BIGINT) AS v, \
     CAST(COALESCE(SUM(x.o), 0) AS BIGINT) AS o, CAST(COALESCE(SUM(x.c), 0) AS BIGINT) AS c, \
     CAST(COALESCE(SUM(x.e), 0) AS BIGINT) AS e";

/// The condition on `x.period` for a month, or every month of a year.
fn period_sql(args: &mut Args, period: &str) -> String {
    let (month, year) = (
        args.bind(period.to_owned()),
        args.bind(format!("{period}-%")),
    );
    format!("(x.period = {month} OR x.period LIKE {year})")
}

/// The sums of a row selected with [`RESULT_SUMS`], for `period`.
fn result_totals(row: &sea_orm::QueryResult, period: &str) -> Result<ResultTotals> {
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

/// Whether the caller may read the results of `subject`: today's by its place, a past day's
/// by the villages it then held.
async fn results_in_reach(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    subject: &Subject,
) -> Result<()> {
    let path = subject.path();
    let reached = match subject.day {
        None => scope.contains(path),
        Some(day) => villages_in_scope_on(conn, scope, path, day).await?,
    };
    if reached {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Sums approved reports of `subject`'s subtree (on its day) for `period`, which [`parse_period`] accepted.
pub async fn results(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    subject: &Subject,
    period: &str,
) -> Result<ResultTotals> {
    results_in_reach(conn, scope, subject).await?;
    let mut args = Args::new();
    let rows = result_rows_sql(&mut args, subject.path(), subject.day);
    let filter = period_sql(&mut args, period);
    let sql = format!("SELECT {RESULT_SUMS} FROM {rows} WHERE {filter}");
    match fetch_rows(conn, sql, args).await?.first() {
        Some(row) => result_totals(row, period),
        None => Ok(ResultTotals {
            period: period.to_owned(),
            ..ResultTotals::default()
        }),
    }
}

/// Approved results for `period` of every unit directly below the unit at `parent` (on `day`,
/// or today), in one statement: by child id, children without results left out. For the
/// children of a total already authorised: they lie inside its subject.
pub async fn results_by_child(
    conn: &impl ConnectionTrait,
    parent: &str,
    day: Option<NaiveDate>,
    period: &str,
) -> Result<HashMap<i64, ResultTotals>> {
    let mut args = Args::new();
    let rows = result_rows_sql(&mut args, parent, day);
    let filter = period_sql(&mut args, period);
    let child = child_segment(conn.get_database_backend(), "x.path", parent.len() + 1);
    let sql =
        format!("SELECT {child} AS child, {RESULT_SUMS} FROM {rows} WHERE {filter} GROUP BY 1");
    let mut out = HashMap::new();
    for row in fetch_rows(conn, sql, args).await? {
        let child: String = row.try_get_by_index(0)?;
        if let Ok(id) = child.parse::<i64>() {
            out.insert(id, result_totals(&row, period)?);
        }
    }
    Ok(out)
}

/// The most months a series may span: ten years.
pub const MAX_SERIES_MONTHS: usize = 120;

/// The months from `from` to `to` (both `YYYY-MM`, inclusive), checked: in order and at most
/// [`MAX_SERIES_MONTHS`].
pub fn months(from: &str, to: &str) -> Result<Vec<String>> {
    let first = super::validate::period("from", from)?;
    let last = super::validate::period("to", to)?;
    if last < first {
        return Err(AppError::bad_input("to", "must not be before `from`"));
    }
    let parse = |p: &str| -> (i32, u32) {
        let (y, m) = p.split_once('-').unwrap_or_default();
        (y.parse().unwrap_or(0), m.parse().unwrap_or(1))
    };
    let ((y0, m0), (y1, m1)) = (parse(&first), parse(&last));
    let count = ((y1 - y0) * 12 + m1 as i32 - m0 as i32 + 1) as usize;
    if count > MAX_SERIES_MONTHS {
        return Err(AppError::bad_input(
            "to",
            format!("a series spans at most {MAX_SERIES_MONTHS} months"),
        ));
    }
    Ok((0..count)
        .map(|i| {
            let n = (m0 - 1) as usize + i;
            format!("{:04}-{:02}", y0 + (n / 12) as i32, n % 12 + 1)
        })
        .collect())
}

/// Approved results of `subject`'s subtree month by month over `months` (from [`months`]),
/// one entry per month, empty months as zeros: one statement grouped by month.
pub async fn result_series(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    subject: &Subject,
    months: &[String],
) -> Result<Vec<ResultTotals>> {
    results_in_reach(conn, scope, subject).await?;
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Ok(Vec::new());
    };
    let mut args = Args::new();
    let rows = result_rows_sql(&mut args, subject.path(), subject.day);
    let (lo, hi) = (args.bind(first.clone()), args.bind(last.clone()));
    let sql = format!(
        "SELECT x.period, {RESULT_SUMS} FROM {rows} \
         WHERE x.period >= {lo} AND x.period <= {hi} GROUP BY x.period"
    );
    let mut found = HashMap::new();
    for row in fetch_rows(conn, sql, args).await? {
        let period: String = row.try_get_by_index(0)?;
        let totals = result_totals(&row, &period)?;
        found.insert(period, totals);
    }
    Ok(months
        .iter()
        .map(|m| {
            found.remove(m).unwrap_or_else(|| ResultTotals {
                period: m.clone(),
                ..ResultTotals::default()
            })
        })
        .collect())
}
