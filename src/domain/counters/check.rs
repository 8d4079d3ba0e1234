//! `check-totals`: every unit's kept counters against a recount of the rows.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ConnectionTrait, QueryResult};

use super::{RESULTS, Result, Units, columns, recount_sql, results_sql};
use crate::db::sql::{Args, fetch_rows};

/// A figure kept and counted differently: `(what, kept, counted)`.
pub type Differing = (String, i64, i64);

/// A unit whose kept counters differ from its rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drift {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    /// `(what, kept, counted)`: a column, `subtree/column` for a commune's sums, or
    /// `period/column` for results.
    pub figures: Vec<Differing>,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}:", self.code, self.name)?;
        for (what, kept, counted) in &self.figures {
            write!(f, " {what} kept {kept}, counted {counted};")?;
        }
        Ok(())
    }
}

/// One unit's figures, keyed by column (or `period/column`).
type Figures = BTreeMap<i64, BTreeMap<String, i64>>;

fn read_figures(rows: &[QueryResult], names: &[String], keyed_by_period: bool) -> Result<Figures> {
    let mut out: Figures = BTreeMap::new();
    for row in rows {
        let unit: i64 = row.try_get_by_index(0)?;
        let (prefix, first) = if keyed_by_period {
            (format!("{}/", row.try_get_by_index::<String>(1)?), 2)
        } else {
            (String::new(), 1)
        };
        let figures = out.entry(unit).or_default();
        for (i, name) in names.iter().enumerate() {
            let value: i64 = row.try_get_by_index(first + i)?;
            if value != 0 {
                figures.insert(format!("{prefix}{name}"), value);
            }
        }
    }
    Ok(out)
}

/// Every unit whose counters differ from a recount of its rows (counted in one read of the
/// whole database, inside the caller's transaction).
pub async fn check(conn: &impl ConnectionTrait) -> Result<Vec<Drift>> {
    let columns = columns();
    let results: Vec<String> = RESULTS.iter().map(|c| (*c).to_owned()).collect();
    let kept_totals = fetch_rows(
        conn,
        format!("SELECT unit_id, {} FROM unit_total", columns.join(", ")),
        Args::new(),
    );
    let counted_totals = fetch_rows(conn, recount_sql(Units::All), Args::new());
    let kept_results = fetch_rows(
        conn,
        format!(
            "SELECT unit_id, period, {} FROM unit_result",
            RESULTS.join(", ")
        ),
        Args::new(),
    );
    let counted_results = fetch_rows(conn, results_sql(Units::All), Args::new());
    let kept_communes = fetch_rows(
        conn,
        format!("SELECT unit_id, {} FROM commune_total", columns.join(", ")),
        Args::new(),
    );
    let places = fetch_rows(conn, "SELECT id, path, level FROM admin_unit", Args::new());
    let mut kept = read_figures(&kept_totals.await?, &columns, false)?;
    let mut counted = read_figures(&counted_totals.await?, &columns, false)?;
    // Each commune's subtree row: the sum of the counted rows under its path.
    let subtree: Vec<String> = columns.iter().map(|c| format!("subtree/{c}")).collect();
    for (unit, figures) in read_figures(&kept_communes.await?, &subtree, false)? {
        kept.entry(unit).or_default().extend(figures);
    }
    let mut commune_at: BTreeMap<String, i64> = BTreeMap::new();
    let mut path_of: BTreeMap<i64, String> = BTreeMap::new();
    for row in places.await? {
        let (id, path, level): (i64, String, String) = (
            row.try_get_by_index(0)?,
            row.try_get_by_index(1)?,
            row.try_get_by_index(2)?,
        );
        if level == "COMMUNE" {
            commune_at.insert(path.clone(), id);
        }
        path_of.insert(id, path);
    }
    let mut sums: BTreeMap<i64, BTreeMap<String, i64>> = BTreeMap::new();
    for (unit, figures) in &counted {
        let Some(path) = path_of.get(unit) else {
            continue;
        };
        let prefixes = path.match_indices('/').map(|(i, _)| &path[..=i]);
        for commune in prefixes.filter_map(|p| commune_at.get(p)) {
            let sum = sums.entry(*commune).or_default();
            for (name, value) in figures {
                *sum.entry(format!("subtree/{name}")).or_default() += value;
            }
        }
    }
    for (commune, figures) in sums {
        counted.entry(commune).or_default().extend(figures);
    }
    for (unit, figures) in read_figures(&kept_results.await?, &results, true)? {
        kept.entry(unit).or_default().extend(figures);
    }
    for (unit, figures) in read_figures(&counted_results.await?, &results, true)? {
        counted.entry(unit).or_default().extend(figures);
    }
    let missing: BTreeSet<i64> = counted
        .keys()
        .filter(|u| !kept.contains_key(u))
        .copied()
        .collect();
    let empty = BTreeMap::new();
    let mut drifted: Vec<(i64, Vec<Differing>)> = Vec::new();
    let units: BTreeSet<i64> = kept.keys().chain(counted.keys()).copied().collect();
    for unit in units {
        let k = kept.get(&unit).unwrap_or(&empty);
        let c = counted.get(&unit).unwrap_or(&empty);
        let names: BTreeSet<&String> = k.keys().chain(c.keys()).collect();
        let mut figures: Vec<Differing> = names
            .into_iter()
            .filter_map(|n| {
                let (a, b) = (
                    k.get(n).copied().unwrap_or(0),
                    c.get(n).copied().unwrap_or(0),
                );
                (a != b).then(|| (n.clone(), a, b))
            })
            .collect();
        if figures.is_empty() && missing.contains(&unit) {
            figures.push(("row".to_owned(), 0, 1));
        }
        if !figures.is_empty() {
            drifted.push((unit, figures));
        }
    }
    if drifted.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = drifted.iter().map(|(u, _)| *u).collect();
    let names = fetch_rows(
        conn,
        format!(
            "SELECT id, code, name FROM admin_unit WHERE {}",
            Units::Only(&ids).condition("id")
        ),
        Args::new(),
    )
    .await?;
    let mut named: BTreeMap<i64, (String, String)> = BTreeMap::new();
    for row in names {
        named.insert(
            row.try_get_by_index(0)?,
            (row.try_get_by_index(1)?, row.try_get_by_index(2)?),
        );
    }
    Ok(drifted
        .into_iter()
        .map(|(unit_id, figures)| {
            let (code, name) = named.remove(&unit_id).unwrap_or_default();
            Drift {
                unit_id,
                code,
                name,
                figures,
            }
        })
        .collect())
}
