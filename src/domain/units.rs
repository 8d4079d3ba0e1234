//! Administrative units: public reference data that any signed-in caller may read.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::page::{Order, fetch_page};
use super::{Page, PageRequest, UnitId};
use crate::db::sql::{Args, fetch_all, fetch_optional, fetch_rows, in_list};
use crate::error::{AppError, Result};
use crate::text_enum;

text_enum!(
    /// The four levels of the tree (since July 2025 the district level is no longer used).
    AdminLevel {
        Province = "PROVINCE",
        District = "DISTRICT",
        Commune = "COMMUNE",
        Village = "VILLAGE",
    }
);

#[derive(Clone, Debug, FromQueryResult, serde::Serialize, serde::Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub code: String,
    pub name: String,
    pub level: AdminLevel,
    pub division_type: String,
    pub parent_id: Option<UnitId>,
    pub path: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

pub(crate) const COLUMNS: &str =
    "u.id, u.code, u.name, u.level, u.division_type, u.parent_id, u.path, u.valid_from, u.valid_to";

/// The current unit holding `code`, if any.
pub async fn by_code(conn: &impl ConnectionTrait, code: &str) -> Result<Option<Unit>> {
    let code = code.trim();
    // No unit has such a code; the database need not be asked (PostgreSQL refuses NUL).
    if code.len() > 64 || crate::text::unprintable(code).is_some() {
        return Ok(None);
    }
    let mut args = Args::new();
    let sql = format!(
        "SELECT {COLUMNS} FROM admin_unit u WHERE u.code = {} AND u.valid_to IS NULL",
        args.bind(code.trim())
    );
    Ok(fetch_optional(conn, sql, args).await?)
}

/// Like [`by_code`], but a missing unit is a `NOT_FOUND` error.
pub async fn require_by_code(conn: &impl ConnectionTrait, code: &str) -> Result<Unit> {
    by_code(conn, code)
        .await?
        .ok_or(AppError::NotFound("administrative unit"))
}

pub async fn by_ids(conn: &impl ConnectionTrait, ids: &[UnitId]) -> Result<HashMap<UnitId, Unit>> {
    let mut args = Args::new();
    let raw: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM admin_unit u WHERE u.id IN {}",
        in_list(&mut args, &raw)
    );
    let units: Vec<Unit> = fetch_all(conn, sql, args).await?;
    Ok(units.into_iter().map(|u| (u.id, u)).collect())
}

/// The current units directly under `parent`, in id order.
pub async fn children(
    conn: &impl ConnectionTrait,
    parent: UnitId,
    page: PageRequest,
) -> Result<Page<Unit>> {
    let from = |args: &mut Args| {
        format!(
            "FROM admin_unit u WHERE u.parent_id = {} AND u.valid_to IS NULL",
            args.bind(parent)
        )
    };
    fetch_page(
        conn,
        COLUMNS,
        from,
        ("u.id", Order::Oldest),
        page,
        |u: &Unit| u.id.0,
    )
    .await
}

/// Runs a `SELECT COUNT(*) AS n …` statement.
pub(crate) async fn count(conn: &impl ConnectionTrait, sql: String, args: Args) -> Result<i64> {
    let rows = fetch_rows(conn, sql, args).await?;
    match rows.first() {
        Some(row) => Ok(row.try_get::<i64>("", "n")?),
        None => Ok(0),
    }
}

/// The materialised paths of these units (ancestors are the ids along each path).
pub async fn paths_of(conn: &impl ConnectionTrait, ids: &[UnitId]) -> Result<Vec<String>> {
    let mut args = Args::new();
    let raw: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let sql = format!(
        "SELECT path FROM admin_unit WHERE id IN {}",
        in_list(&mut args, &raw)
    );
    let rows = fetch_rows(conn, sql, args).await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get::<String>("", "path"))
        .collect::<Result<_, _>>()?)
}
