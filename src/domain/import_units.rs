//! Importing the official unit list (`code,name,level,parent_code,division_type`, the format of
//! the national statistics office's list as published in `vietnam-provinces`).
//!
//! The import is all or nothing and idempotent: units are matched by code among current units;
//! new ones are added, renamed or re-parented ones are changed, the rest is left alone.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::{BinOper, Expr, ExprTrait, Func, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, TransactionTrait};

use super::units::AdminLevel;
use crate::db::bulk::{insert_rows, next_id, sync_identity};
use crate::db::entities::admin_unit::{self, Column as U, Entity as Units};
use crate::db::query;
use crate::text::{clean_name, fold};
use sea_orm::ActiveValue::Set;

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} added, {} changed, {} unchanged",
            self.added, self.changed, self.unchanged
        )
    }
}

/// A refused file: every problem found, each with its line number.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file was refused, nothing was written:\n{}", .0.join("\n"))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

/// Problems listed in one refusal; the rest are counted.
const MAX_REPORTED: usize = 20;

/// One unit of an official list.
#[derive(Debug)]
pub(crate) struct Row {
    pub line: u64,
    pub code: String,
    pub name: String,
    pub level: AdminLevel,
    pub parent_code: Option<String>,
    pub division_type: String,
}

#[derive(Clone, Debug, FromQueryResult)]
struct Existing {
    id: i64,
    code: String,
    name: String,
    level: AdminLevel,
    parent_id: Option<i64>,
    division_type: String,
    path: String,
}

pub async fn import_csv(
    conn: &DatabaseConnection,
    csv_text: &str,
    valid_from: NaiveDate,
) -> Result<ImportReport, ImportError> {
    let rows = parse(csv_text)?;
    let txn = conn.begin().await?;
    let report = apply(&txn, rows, valid_from).await?;
    // New units get their counters (a village counts as one); moved units keep theirs, and
    // the communes' sums are counted again (a village may have moved between communes).
    super::counters::fill_missing(&txn).await?;
    super::counters::recount_communes(&txn, super::counters::Units::All).await?;
    txn.commit().await?;
    Ok(report)
}

/// Reads an official list, refusing it whole with every bad line named.
pub(crate) fn parse(csv_text: &str) -> Result<Vec<Row>, ImportError> {
    let header = ["code", "name", "level", "parent_code", "division_type"];
    read_csv(csv_text, &header, "the file has no units", parse_row).map_err(ImportError::Invalid)
}

/// Reads a CSV file with exactly `header`, one `T` per line: all of them, or every problem
/// with its line number (the first [`MAX_REPORTED`], the rest counted).
pub(crate) fn read_csv<T>(
    text: &str,
    header: &[&str],
    empty: &str,
    row: impl Fn(u64, &csv::StringRecord) -> Result<T, String>,
) -> Result<Vec<T>, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    match reader.headers() {
        Ok(found) if found.iter().map(str::trim).eq(header.iter().copied()) => {}
        Ok(found) => {
            return Err(vec![format!(
                "line 1: expected the header {:?}, found {:?}",
                header.join(","),
                found.iter().collect::<Vec<_>>().join(",")
            )]);
        }
        Err(e) => return Err(vec![format!("line 1: {e}")]),
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.len() != header.len() {
            problems.push(format!(
                "line {line}: expected {} fields, found {}",
                header.len(),
                record.len()
            ));
            continue;
        }
        match row(line, &record) {
            Ok(value) => rows.push(value),
            Err(message) => problems.push(format!("line {line}: {message}")),
        }
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push(empty.to_owned());
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(summarise(problems))
    }
}

pub(crate) fn summarise(mut problems: Vec<String>) -> Vec<String> {
    if problems.len() > MAX_REPORTED {
        let more = problems.len() - MAX_REPORTED;
        problems.truncate(MAX_REPORTED);
        problems.push(format!("… and {more} more"));
    }
    problems
}

fn parse_row(line: u64, record: &csv::StringRecord) -> Result<Row, String> {
    if record.len() != 5 {
        return Err(format!("expected 5 fields, found {}", record.len()));
    }
    let field = |i: usize| record.get(i).unwrap_or("").trim();
    let code = field(0).to_owned();
    let level = match field(2) {
        "province" => AdminLevel::Province,
        "district" => AdminLevel::District,
        "commune" => AdminLevel::Commune,
        "village" => AdminLevel::Village,
        other => {
            return Err(format!(
                "level must be province, district, commune or village, not {other:?}"
            ));
        }
    };
    let well_formed = match level {
        AdminLevel::Province => code.len() == 2 && code.bytes().all(|b| b.is_ascii_digit()),
        AdminLevel::District => code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()),
        AdminLevel::Commune => code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit()),
        AdminLevel::Village => {
            (2..=16).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        }
    };
    if !well_formed {
        return Err(format!("code {code:?} is not a valid {} code", field(2)));
    }
    let name = clean_name(field(1));
    if name.is_empty() || name.chars().count() > 200 {
        return Err("name must have 1 to 200 characters".to_owned());
    }
    let parent_code = Some(field(3).to_owned()).filter(|p| !p.is_empty());
    match (level, &parent_code) {
        (AdminLevel::Province, Some(_)) => return Err("a province has no parent_code".to_owned()),
        (AdminLevel::Province, None) => {}
        (_, None) => return Err("parent_code is required below province level".to_owned()),
        _ => {}
    }
    let division_type = clean_name(field(4));
    if division_type.is_empty() {
        return Err("division_type is required".to_owned());
    }
    Ok(Row {
        line,
        code,
        name,
        level,
        parent_code,
        division_type,
    })
}

fn rank(level: AdminLevel) -> u8 {
    match level {
        AdminLevel::Province => 0,
        AdminLevel::District => 1,
        AdminLevel::Commune => 2,
        AdminLevel::Village => 3,
    }
}

async fn apply(
    txn: &impl ConnectionTrait,
    rows: Vec<Row>,
    valid_from: NaiveDate,
) -> Result<ImportReport, ImportError> {
    let mut known = load_current(txn).await?;
    let mut next = next_id::<Units>(txn).await?;
    let mut report = ImportReport::default();
    let mut problems = Vec::new();
    let mut inserts: Vec<admin_unit::ActiveModel> = Vec::new();
    let mut updates: Vec<(i64, &Row, Option<i64>, String, String)> = Vec::new();

    let level_of: HashMap<i64, AdminLevel> = known.values().map(|u| (u.id, u.level)).collect();
    for row in &rows {
        let parent = match &row.parent_code {
            None => None,
            Some(code) => match known.get(code) {
                Some(p) if rank(p.level) < rank(row.level) => Some(p.clone()),
                Some(_) => {
                    problems.push(format!(
                        "line {}: parent {code} is not above a {} in the tree",
                        row.line,
                        row.level.as_str().to_lowercase()
                    ));
                    continue;
                }
                None => {
                    problems.push(format!(
                        "line {}: parent {code} is unknown (parents must come before their children)",
                        row.line
                    ));
                    continue;
                }
            },
        };
        let parent_id = parent.as_ref().map(|p| p.id);
        match known.get(&row.code).cloned() {
            Some(existing) if existing.level != row.level => {
                problems.push(format!(
                    "line {}: {} is already a {} unit, not a {}",
                    row.line,
                    row.code,
                    existing.level.as_str().to_lowercase(),
                    row.level.as_str().to_lowercase()
                ));
            }
            Some(existing)
                if existing.parent_id.and_then(|p| level_of.get(&p))
                    != parent.as_ref().map(|p| &p.level) =>
            {
                // A commune moved from a district to a province is a reform, not a correction:
                // it needs history, lineage and decisions for its villages.
                problems.push(format!(
                    "line {}: {} would move under a unit of another level: that is a \
                     reorganisation; apply it with `steering-gateway reorganise`",
                    row.line, row.code
                ));
            }
            Some(existing) => {
                if existing.name == row.name
                    && existing.parent_id == parent_id
                    && existing.division_type == row.division_type
                {
                    report.unchanged += 1;
                    continue;
                }
                let new_path = match &parent {
                    Some(p) if existing.parent_id != parent_id => {
                        format!("{}{}/", p.path, existing.id)
                    }
                    _ => existing.path.clone(),
                };
                if new_path.starts_with(&existing.path) && new_path != existing.path {
                    problems.push(format!(
                        "line {}: {} cannot move under its own descendant",
                        row.line, row.code
                    ));
                    continue;
                }
                updates.push((
                    existing.id,
                    row,
                    parent_id,
                    existing.path.clone(),
                    new_path.clone(),
                ));
                known.insert(
                    row.code.clone(),
                    Existing {
                        name: row.name.clone(),
                        parent_id,
                        division_type: row.division_type.clone(),
                        path: new_path,
                        ..existing
                    },
                );
                report.changed += 1;
            }
            None => {
                let id = next;
                next += 1;
                let path = match &parent {
                    Some(p) => format!("{}{id}/", p.path),
                    None => format!("/{id}/"),
                };
                inserts.push(admin_unit::ActiveModel {
                    id: Set(id),
                    code: Set(row.code.clone()),
                    name: Set(row.name.clone()),
                    name_folded: Set(fold(&row.name)),
                    level: Set(row.level.as_str().to_owned()),
                    division_type: Set(row.division_type.clone()),
                    parent_id: Set(parent_id),
                    path: Set(path.clone()),
                    valid_from: Set(valid_from),
                    ..Default::default()
                });
                known.insert(
                    row.code.clone(),
                    Existing {
                        id,
                        code: row.code.clone(),
                        name: row.name.clone(),
                        level: row.level,
                        parent_id,
                        division_type: row.division_type.clone(),
                        path,
                    },
                );
                report.added += 1;
            }
        }
    }
    if !problems.is_empty() {
        return Err(ImportError::Invalid(summarise(problems)));
    }

    insert_rows(txn, inserts).await?;
    sync_identity::<Units>(txn).await?;

    for (id, row, parent_id, old_path, new_path) in updates {
        let update = Query::update()
            .table(Units)
            .value(U::Name, row.name.clone())
            .value(U::NameFolded, fold(&row.name))
            .value(U::DivisionType, row.division_type.clone())
            .value(U::ParentId, parent_id)
            .and_where(Expr::col(U::Id).eq(id))
            .to_owned();
        query::execute(txn, &update).await?;
        if old_path != new_path {
            // Re-parenting moves the whole subtree: rewrite the prefix of every path under it.
            let moved = Query::update()
                .table(Units)
                .value(
                    U::Path,
                    Expr::val(new_path.clone()).binary(
                        BinOper::Custom("||"),
                        Func::cust("substr")
                            .arg(Expr::col(U::Path))
                            .arg(Expr::val(old_path.len() as i32 + 1)),
                    ),
                )
                .cond_where(crate::authz::subtree_range(U::Path, &old_path))
                .to_owned();
            query::execute(txn, &moved).await?;
        }
    }
    Ok(report)
}

async fn load_current(
    conn: &impl ConnectionTrait,
) -> Result<HashMap<String, Existing>, ImportError> {
    let mut select = Query::select();
    query::every_column(&mut select, Units)
        .from(Units)
        .and_where(Expr::col(U::ValidTo).is_null());
    let units: Vec<Existing> = query::all(conn, &select).await?;
    Ok(units.into_iter().map(|u| (u.code.clone(), u)).collect())
}

#[cfg(test)]
mod tests;
