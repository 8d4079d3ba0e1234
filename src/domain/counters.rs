//! Totals kept by every write. Each unit has one row of counters for what is attached to it
//! directly (`unit_total`) and one per period of approved results (`unit_result`); the totals
//! of a subtree are the sum of its units' rows (`totals.rs`).
//!
//! A change does not add or subtract: it recomputes the rows of the units it touched from the
//! rows themselves, inside its own transaction, after locking those counter rows. The lock comes
//! first so that the recount sees every change committed before it: two writers in one village
//! take turns on that village's row, and the second recounts after the first committed. No row
//! is shared by units, so writes in different villages never wait for each other (there is no
//! national or provincial row to lock).
//!
//! The same statement recounts every unit for `check-totals` and for a repair, so the figures a
//! write keeps and the ones a check expects cannot be defined twice.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, QueryResult};

mod check;

pub use check::{Differing, Drift, check};

use super::UnitId;
use super::teams::{Affiliation, TeamRole};
use crate::db::sql::{Args, fetch_rows};

type Result<T> = std::result::Result<T, DbErr>;

/// The figures counted per unit, in the order of `unit_total`'s columns.
pub const FIGURES: &[&str] = &[
    "teams",
    "members",
    "members_trained",
    "training_sessions",
    "committees",
    "villages",
    "villages_with_team",
];

/// The column counting the members who hold `role`: `role_leader`.
pub fn role_column(role: TeamRole) -> String {
    format!("role_{}", role.as_str().to_ascii_lowercase())
}

/// The column counting the members who come from `affiliation`: `from_village_head`.
pub fn affiliation_column(affiliation: Affiliation) -> String {
    format!("from_{}", affiliation.as_str().to_ascii_lowercase())
}

/// Every counted column of `unit_total`: the figures, then one per role and per affiliation.
pub fn columns() -> Vec<String> {
    let mut all: Vec<String> = FIGURES.iter().map(|f| (*f).to_owned()).collect();
    all.extend(TeamRole::ALL.iter().map(|r| role_column(*r)));
    all.extend(Affiliation::ALL.iter().map(|a| affiliation_column(*a)));
    all
}

/// The sums of approved results, in the order of `unit_result`'s columns.
pub const RESULTS: &[&str] = &[
    "reports",
    "households_reached",
    "vneid_activations",
    "online_applications",
    "cashless_accounts",
    "ecommerce_accounts",
];

/// Which units to count.
#[derive(Clone, Copy, Debug)]
pub enum Units<'a> {
    All,
    Only(&'a [i64]),
    /// The subtree under a path: a province the seed just filled.
    Under(&'a str),
    /// The ids bound as the statement's first `n` parameters (`$1` to `$n`): the same text for
    /// every change of as many units, so the prepared statement is reused.
    Bound(usize),
}

impl Units<'_> {
    /// A condition on `column` (ids are integers, written in the statement).
    fn condition(&self, column: &str) -> String {
        match self {
            Units::All => "TRUE".to_owned(),
            Units::Only([]) => "FALSE".to_owned(),
            Units::Only(ids) => {
                let list: Vec<String> = ids.iter().map(i64::to_string).collect();
                format!("{column} IN ({})", list.join(", "))
            }
            // Paths are digits and slashes; anything else names no unit.
            Units::Under(path) if !path.bytes().all(|b| b.is_ascii_digit() || b == b'/') => {
                "FALSE".to_owned()
            }
            Units::Bound(0) => "FALSE".to_owned(),
            Units::Bound(n) => {
                let list: Vec<String> = (1..=*n).map(|i| format!("${i}")).collect();
                format!("{column} IN ({})", list.join(", "))
            }
            Units::Under(path) => format!(
                "{column} IN (SELECT id FROM admin_unit WHERE path >= '{path}' AND path < '{path}~')"
            ),
        }
    }
}

/// Counts, from the rows, every column of `unit_total` for `units`: the unit's active teams,
/// the current members of those teams (by role and affiliation, and those who completed a
/// training), the sessions it organised, its committees not dissolved, and whether it is a
/// village in force (with an active team).
fn recount_sql(units: Units) -> String {
    let role_sums: String = TeamRole::ALL
        .iter()
        .map(|r| {
            format!(
                ", SUM(CASE WHEN m.role = '{}' THEN 1 ELSE 0 END) AS {}",
                r.as_str(),
                role_column(*r)
            )
        })
        .collect();
    let affiliation_sums: String = Affiliation::ALL
        .iter()
        .map(|a| {
            format!(
                ", SUM(CASE WHEN m.affiliation = '{}' THEN 1 ELSE 0 END) AS {}",
                a.as_str(),
                affiliation_column(*a)
            )
        })
        .collect();
    let member_columns: String = TeamRole::ALL
        .iter()
        .map(|r| role_column(*r))
        .chain(Affiliation::ALL.iter().map(|a| affiliation_column(*a)))
        .map(|c| format!(", COALESCE(m.{c}, 0)"))
        .collect();
    let village = "u.level = 'VILLAGE' AND u.valid_to IS NULL";
    format!(
        "SELECT u.id AS unit_id, COALESCE(t.n, 0), COALESCE(m.n, 0), COALESCE(m.trained, 0), \
         COALESCE(s.n, 0), COALESCE(c.n, 0), \
         CAST(CASE WHEN {village} THEN 1 ELSE 0 END AS BIGINT), \
         CAST(CASE WHEN {village} AND t.n > 0 THEN 1 ELSE 0 END AS BIGINT){member_columns} \
         FROM admin_unit u \
         LEFT JOIN (SELECT unit_id, COUNT(*) AS n FROM team \
                    WHERE status = 'ACTIVE' AND {teams} GROUP BY unit_id) t ON t.unit_id = u.id \
         LEFT JOIN (SELECT t.unit_id, COUNT(*) AS n, \
                    SUM(CASE WHEN EXISTS (SELECT 1 FROM attendance a \
                        WHERE a.member_id = m.id AND a.completed) THEN 1 ELSE 0 END) AS trained\
                    {role_sums}{affiliation_sums} \
                    FROM team t JOIN team_member m ON m.team_id = t.id \
                    WHERE t.status = 'ACTIVE' AND m.left_on IS NULL AND {members} \
                    GROUP BY t.unit_id) m ON m.unit_id = u.id \
         LEFT JOIN (SELECT organizer_unit_id AS unit_id, COUNT(*) AS n FROM training_session \
                    WHERE {sessions} GROUP BY organizer_unit_id) s ON s.unit_id = u.id \
         LEFT JOIN (SELECT unit_id, COUNT(*) AS n FROM steering_committee \
                    WHERE dissolved_on IS NULL AND {committees} GROUP BY unit_id) c \
                    ON c.unit_id = u.id \
         WHERE {all}",
        teams = units.condition("unit_id"),
        members = units.condition("t.unit_id"),
        sessions = units.condition("organizer_unit_id"),
        committees = units.condition("unit_id"),
        all = units.condition("u.id"),
    )
}

/// Sums, from the rows, the approved results of `units` per period.
fn results_sql(units: Units) -> String {
    let sums: String = RESULTS[1..]
        .iter()
        .map(|c| format!(", SUM(r.{c})"))
        .collect();
    format!(
        "SELECT t.unit_id, r.period, COUNT(*){sums} \
         FROM result_report r JOIN team t ON t.id = r.team_id \
         WHERE r.state = 'APPROVED' AND {} GROUP BY t.unit_id, r.period",
        units.condition("t.unit_id")
    )
}

async fn execute(conn: &impl ConnectionTrait, sql: String) -> Result<u64> {
    execute_with(conn, sql, Args::new()).await
}

async fn execute_with(conn: &impl ConnectionTrait, sql: String, args: Args) -> Result<u64> {
    let stmt = args.statement(conn.get_database_backend(), sql);
    Ok(conn.execute_raw(stmt).await?.rows_affected())
}

/// Arguments holding `ids` as `$1` to `$n`, for [`Units::Bound`].
fn bound(ids: &[i64]) -> Args {
    let mut args = Args::new();
    for id in ids {
        args.bind(*id);
    }
    args
}

/// A counter row locked by a change: the unit, where it lies, and its figures before.
pub struct Locked {
    pub owed: Owed,
    pub path: String,
    pub level: String,
    pub before: Vec<i64>,
}

impl Locked {
    /// The commune whose subtree row holds this unit's figures: the unit itself, or a
    /// village's parent; none above communes.
    fn commune(&self) -> Option<i64> {
        let segments: Vec<&str> = self.path.split('/').filter(|s| !s.is_empty()).collect();
        let at = match self.level.as_str() {
            "COMMUNE" => segments.len().checked_sub(1)?,
            "VILLAGE" => segments.len().checked_sub(2)?,
            _ => return None,
        };
        segments.get(at)?.parse().ok()
    }
}

/// Locks the counter rows of `units` (creating missing ones) until the transaction ends, and
/// notes a change of each: raises its `change_seq`. Answers each row as it was, with the
/// unit's path. The rows are taken in the order of their ids, so that writers never wait for
/// each other in a circle.
pub async fn lock(conn: &impl ConnectionTrait, units: &BTreeSet<UnitId>) -> Result<Vec<Locked>> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let columns = columns();
    let ids: Vec<i64> = units.iter().map(|u| u.0).collect();
    let values: Vec<String> = (1..=ids.len()).map(|i| format!("(${i}, 1)")).collect();
    let upsert = format!(
        "INSERT INTO unit_total (unit_id, change_seq) VALUES {} \
         ON CONFLICT (unit_id) DO UPDATE SET change_seq = unit_total.change_seq + 1 \
         RETURNING unit_id, change_seq, {}",
        values.join(", "),
        columns.join(", ")
    );
    let read = |row: &QueryResult, first: usize| -> Result<(Owed, Vec<i64>)> {
        let owed = Owed {
            unit: UnitId(row.try_get_by_index(0)?),
            seq: row.try_get_by_index(1)?,
        };
        let before = (0..columns.len())
            .map(|i| row.try_get_by_index::<i64>(first + i))
            .collect::<std::result::Result<_, _>>()?;
        Ok((owed, before))
    };
    if conn.get_database_backend() == DbBackend::Postgres {
        // One round trip: the rows locked, joined to where their units lie.
        let sql = format!(
            "WITH l AS ({upsert}) SELECT l.unit_id, l.change_seq, u.path, u.level, {} \
             FROM l JOIN admin_unit u ON u.id = l.unit_id",
            columns
                .iter()
                .map(|c| format!("l.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let rows = fetch_rows(conn, sql, bound(&ids)).await?;
        return rows
            .iter()
            .map(|row| {
                let (owed, before) = read(row, 4)?;
                Ok(Locked {
                    owed,
                    path: row.try_get_by_index(2)?,
                    level: row.try_get_by_index(3)?,
                    before,
                })
            })
            .collect();
    }
    let rows = fetch_rows(conn, upsert, bound(&ids)).await?;
    let places = fetch_rows(
        conn,
        format!(
            "SELECT id, path, level FROM admin_unit WHERE {}",
            Units::Bound(ids.len()).condition("id")
        ),
        bound(&ids),
    )
    .await?;
    let mut place: BTreeMap<i64, (String, String)> = BTreeMap::new();
    for row in places {
        place.insert(
            row.try_get_by_index(0)?,
            (row.try_get_by_index(1)?, row.try_get_by_index(2)?),
        );
    }
    rows.iter()
        .map(|row| {
            let (owed, before) = read(row, 2)?;
            let (path, level) = place.remove(&owed.unit.0).unwrap_or_default();
            Ok(Locked {
                owed,
                path,
                level,
                before,
            })
        })
        .collect()
}

/// Recounts the locked rows from the rows of their units, and adds the difference of each to
/// its commune's subtree row (an increment: writers in other villages of the commune are not
/// waited for longer than their own statement).
pub async fn recount_locked(conn: &impl ConnectionTrait, locked: &[Locked]) -> Result<()> {
    if locked.is_empty() {
        return Ok(());
    }
    let columns = columns();
    let ids: Vec<i64> = locked.iter().map(|l| l.owed.unit.0).collect();
    let add: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} = commune_total.{c} + excluded.{c}"))
        .collect();
    if conn.get_database_backend() == DbBackend::Postgres {
        // One round trip: the recount, and each commune's difference added from the rows as
        // they were (a VALUES list) and as recounted (RETURNING). Communes are taken in order
        // of id, as the units were, so that two writers never hold one each of two communes.
        let mut args = bound(&ids);
        let before: Vec<String> = locked
            .iter()
            .filter_map(|l| {
                let commune = l.commune()?;
                let values: Vec<String> = std::iter::once(l.owed.unit.0)
                    .chain(std::iter::once(commune))
                    .chain(l.before.iter().copied())
                    .map(|v| format!("{}::bigint", args.bind(v)))
                    .collect();
                Some(format!("({})", values.join(", ")))
            })
            .collect();
        if before.is_empty() {
            return execute_with(conn, upsert_sql(Units::Bound(ids.len())), args)
                .await
                .map(|_| ());
        }
        let sums: Vec<String> = columns
            .iter()
            .map(|c| format!("SUM(r.{c} - b.{c})"))
            .collect();
        // A commune whose units' figures did not move is left alone (not even locked).
        let qualified = |alias: &str| {
            columns
                .iter()
                .map(|c| format!("{alias}.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sql = format!(
            "WITH r AS ({} RETURNING unit_id, {listed}), \
             b (unit_id, commune, {listed}) AS (VALUES {}) \
             INSERT INTO commune_total (unit_id, {listed}) \
             SELECT b.commune, {} FROM r JOIN b ON b.unit_id = r.unit_id \
             WHERE ({}) IS DISTINCT FROM ({}) GROUP BY b.commune \
             ORDER BY b.commune ON CONFLICT (unit_id) DO UPDATE SET {}",
            upsert_sql(Units::Bound(ids.len())),
            before.join(", "),
            sums.join(", "),
            qualified("r"),
            qualified("b"),
            add.join(", "),
            listed = columns.join(", "),
        );
        return execute_with(conn, sql, args).await.map(|_| ());
    }
    let rows = fetch_rows(
        conn,
        format!(
            "{} RETURNING unit_id, {}",
            upsert_sql(Units::Bound(ids.len())),
            columns.join(", ")
        ),
        bound(&ids),
    )
    .await?;
    let mut after: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for row in rows {
        let figures = (0..columns.len())
            .map(|i| row.try_get_by_index::<i64>(i + 1))
            .collect::<std::result::Result<_, _>>()?;
        after.insert(row.try_get_by_index(0)?, figures);
    }
    let mut by_commune: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for unit in locked {
        let (Some(commune), Some(now)) = (unit.commune(), after.get(&unit.owed.unit.0)) else {
            continue;
        };
        let sum = by_commune
            .entry(commune)
            .or_insert_with(|| vec![0; columns.len()]);
        for ((total, new), old) in sum.iter_mut().zip(now).zip(&unit.before) {
            *total += new - old;
        }
    }
    by_commune.retain(|_, d| d.iter().any(|v| *v != 0));
    if by_commune.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = by_commune
        .iter()
        .map(|(commune, d)| {
            let d: Vec<String> = d.iter().map(i64::to_string).collect();
            format!("({commune}, {})", d.join(", "))
        })
        .collect();
    execute(
        conn,
        format!(
            "INSERT INTO commune_total (unit_id, {}) VALUES {} ON CONFLICT (unit_id) DO UPDATE SET {}",
            columns.join(", "),
            values.join(", "),
            add.join(", ")
        ),
    )
    .await?;
    Ok(())
}

/// A change of a unit's figures that the shared cache must hear of: `unit_total.change_seq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owed {
    pub unit: UnitId,
    pub seq: i64,
}

/// Recounts the counters, communes' sums and results of `units` from the rows, inside the
/// caller's transaction. Callers that may race with writers lock the rows first.
pub async fn recount(conn: &impl ConnectionTrait, units: Units<'_>) -> Result<()> {
    recount_totals(conn, units).await?;
    recount_communes(conn, units).await?;
    recount_results(conn, units).await
}

/// The statement that recounts `unit_total` of `units` from the rows.
fn upsert_sql(units: Units) -> String {
    let columns = columns();
    let updates: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO unit_total (unit_id, {}) {} ON CONFLICT (unit_id) DO UPDATE SET {}",
        columns.join(", "),
        recount_sql(units),
        updates.join(", ")
    )
}

/// Recounts `unit_total` of `units` from the rows.
pub async fn recount_totals(conn: &impl ConnectionTrait, units: Units<'_>) -> Result<()> {
    execute(conn, upsert_sql(units)).await?;
    Ok(())
}

/// Sums the `unit_total` rows of each commune's subtree, for the communes among `units`.
fn communes_sql(units: Units) -> String {
    let sums: Vec<String> = columns()
        .iter()
        .map(|c| format!("CAST(SUM(c.{c}) AS BIGINT)"))
        .collect();
    format!(
        "SELECT cm.id, {} FROM admin_unit cm \
         JOIN admin_unit u ON u.path >= cm.path AND u.path < cm.path || '~' \
         JOIN unit_total c ON c.unit_id = u.id \
         WHERE cm.level = 'COMMUNE' AND {} GROUP BY cm.id",
        sums.join(", "),
        units.condition("cm.id")
    )
}

/// Recounts the subtree rows of the communes among `units` from their units' rows, after
/// locking the existing ones (PostgreSQL): a change adding to one meanwhile waits.
pub async fn recount_communes(conn: &impl ConnectionTrait, units: Units<'_>) -> Result<()> {
    if conn.get_database_backend() == DbBackend::Postgres {
        execute(
            conn,
            format!(
                "SELECT unit_id FROM commune_total WHERE {} ORDER BY unit_id FOR UPDATE",
                units.condition("unit_id")
            ),
        )
        .await?;
    }
    let columns = columns();
    let updates: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    execute(
        conn,
        format!(
            "INSERT INTO commune_total (unit_id, {}) {} ON CONFLICT (unit_id) DO UPDATE SET {}",
            columns.join(", "),
            communes_sql(units),
            updates.join(", ")
        ),
    )
    .await?;
    Ok(())
}

/// Recounts every unit, with every counter row locked first (PostgreSQL): after a
/// reorganisation, or to repair drift while writers may be at work.
pub async fn recount_everything(conn: &impl ConnectionTrait) -> Result<()> {
    if conn.get_database_backend() == DbBackend::Postgres {
        execute(
            conn,
            "SELECT unit_id FROM unit_total ORDER BY unit_id FOR UPDATE".to_owned(),
        )
        .await?;
    }
    recount(conn, Units::All).await
}

/// Recounts the approved results of `units`, period by period.
pub async fn recount_results(conn: &impl ConnectionTrait, units: Units<'_>) -> Result<()> {
    execute(
        conn,
        format!(
            "DELETE FROM unit_result WHERE {}",
            units.condition("unit_id")
        ),
    )
    .await?;
    execute(
        conn,
        format!(
            "INSERT INTO unit_result (unit_id, period, {}) {}",
            RESULTS.join(", "),
            results_sql(units)
        ),
    )
    .await?;
    Ok(())
}

/// Counts the units that have no counters yet (a database from before counters were kept, or
/// units added by a path that does not count) and counts them from their rows. Answers how many.
pub async fn fill_missing(conn: &impl ConnectionTrait) -> Result<usize> {
    let rows = fetch_rows(
        conn,
        "SELECT u.id FROM admin_unit u WHERE NOT EXISTS \
         (SELECT 1 FROM unit_total c WHERE c.unit_id = u.id)",
        Args::new(),
    )
    .await?;
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get_by_index(0))
        .collect::<std::result::Result<_, _>>()?;
    if ids.is_empty() {
        return Ok(0);
    }
    let kept = count_where(conn, "TRUE").await?;
    if kept == 0 {
        recount(conn, Units::All).await?;
        return Ok(ids.len());
    }
    for chunk in ids.chunks(5_000) {
        recount_totals(conn, Units::Only(chunk)).await?;
        recount_results(conn, Units::Only(chunk)).await?;
    }
    // A new village counts in its commune's row.
    recount_communes(conn, Units::All).await?;
    Ok(ids.len())
}

/// Units whose changes the shared cache has not heard of yet, with the latest change of each.
pub async fn owed(conn: &impl ConnectionTrait, limit: u64) -> Result<Vec<Owed>> {
    let rows = fetch_rows(
        conn,
        format!(
            "SELECT unit_id, change_seq FROM unit_total WHERE change_seq > delivered_seq \
             ORDER BY unit_id LIMIT {limit}"
        ),
        Args::new(),
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Owed {
                unit: UnitId(r.try_get_by_index(0)?),
                seq: r.try_get_by_index(1)?,
            })
        })
        .collect()
}

/// Records that the shared cache heard of these changes (a later change of the same unit
/// stays owed; a row locked by a writer now is left for the next check).
pub async fn delivered(conn: &impl ConnectionTrait, owed: &[Owed]) -> Result<Vec<UnitId>> {
    if owed.is_empty() {
        return Ok(Vec::new());
    }
    let cases: String = owed
        .iter()
        .map(|o| format!(" WHEN {} THEN {}", o.unit.0, o.seq))
        .collect();
    let ids: Vec<i64> = owed.iter().map(|o| o.unit.0).collect();
    let among = Units::Only(&ids).condition("unit_id");
    // On PostgreSQL, rows a writer holds are skipped rather than waited for (and writers do not
    // queue behind this): the writer's own change is owed anyway, and the next check marks them.
    let rows = match conn.get_database_backend() {
        DbBackend::Postgres => format!(
            "unit_id IN (SELECT unit_id FROM unit_total WHERE {among} FOR UPDATE SKIP LOCKED)"
        ),
        _ => among,
    };
    let marked = fetch_rows(
        conn,
        format!(
            "UPDATE unit_total SET delivered_seq = CASE unit_id{cases} END \
             WHERE {rows} AND delivered_seq < CASE unit_id{cases} END RETURNING unit_id"
        ),
        Args::new(),
    )
    .await?;
    marked
        .iter()
        .map(|r| Ok(UnitId(r.try_get_by_index(0)?)))
        .collect()
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

/// How many units' changes are owed to the shared cache.
pub async fn owed_count(conn: &impl ConnectionTrait) -> Result<i64> {
    count_where(conn, "change_seq > delivered_seq").await
}

async fn count_where(conn: &impl ConnectionTrait, condition: &str) -> Result<i64> {
    let rows: Vec<Count> = crate::db::sql::fetch_all(
        conn,
        format!("SELECT COUNT(*) AS n FROM unit_total WHERE {condition}"),
        Args::new(),
    )
    .await?;
    Ok(rows.first().map_or(0, |c| c.n))
}
