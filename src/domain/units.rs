//! Administrative units: public reference data that any signed-in caller may read.

use std::collections::HashMap;

use async_graphql::SimpleObject;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, FromQueryResult, IdenStatic, Iterable};

use super::page::{Keyed, Order, fetch_page};
use super::{Page, PageRequest, UnitId};
use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::query;
use crate::error::{AppError, Result};
use crate::scalars::Date;
use crate::text_enum;

// The four levels of the tree (since July 2025 the district level is no longer used).
text_enum!(AdminLevel {
    Province,
    District,
    Commune,
    Village
});

// An administrative unit (đơn vị hành chính): province, district, commune or village.
#[derive(Clone, Debug, FromQueryResult, serde::Serialize, serde::Deserialize, SimpleObject)]
#[graphql(name = "AdminUnit", complex)]
pub struct Unit {
    pub id: UnitId,
    /// The official code (GSO/NSO); villages: `<commune code>.<NN>`.
    pub code: String,
    pub name: String,
    pub level: AdminLevel,
    /// tỉnh, thành phố trung ương, huyện, thị xã, quận, thành phố, xã, phường, thị trấn, thôn,
    /// buôn, tổ dân phố…
    pub division_type: String,
    #[graphql(skip)]
    pub parent_id: Option<UnitId>,
    /// The materialised path (`/<id>/<id>/…/`) every scope check reads.
    #[graphql(skip)]
    pub path: String,
    pub valid_from: Date,
    /// Set once a reform merged, split or abolished the unit.
    pub valid_to: Option<Date>,
}

/// The columns a [`Unit`] is read from, each named `prefix` + its field, but for those in
/// `except` (which the statement already holds under those names).
pub(crate) fn unit_columns<'q>(
    select: &'q mut SelectStatement,
    prefix: &str,
    except: &[U],
) -> &'q mut SelectStatement {
    let skipped = |column: &U| except.iter().any(|e| e.as_str() == column.as_str());
    for column in U::iter().filter(|c| !skipped(c)) {
        let name = format!("{prefix}{}", column.as_str());
        select.expr_as(Expr::col((Units, column)), name);
    }
    select
}

/// Current units matching `condition`.
fn current(condition: Expr) -> SelectStatement {
    let mut select = Query::select();
    unit_columns(&mut select, "", &[])
        .from(Units)
        .and_where(condition)
        .and_where(Expr::col((Units, U::ValidTo)).is_null());
    select
}

/// The current unit holding `code`, if any.
pub async fn by_code(conn: &impl ConnectionTrait, code: &str) -> Result<Option<Unit>> {
    let code = code.trim();
    // No unit has such a code; the database need not be asked (PostgreSQL refuses NUL).
    if code.len() > 64 || crate::text::unprintable(code).is_some() {
        return Ok(None);
    }
    let select = current(Expr::col((Units, U::Code)).eq(code));
    Ok(query::one(conn, &select).await?)
}

/// Like [`by_code`], but a missing unit is a `NOT_FOUND` error.
pub async fn require_by_code(conn: &impl ConnectionTrait, code: &str) -> Result<Unit> {
    by_code(conn, code)
        .await?
        .ok_or(AppError::NotFound("administrative unit"))
}

/// Units by id, current or not. Units are public reference data: no scope applies.
pub async fn by_ids(conn: &impl ConnectionTrait, ids: &[UnitId]) -> Result<HashMap<UnitId, Unit>> {
    let mut select = Query::select();
    unit_columns(&mut select, "", &[])
        .from(Units)
        .and_where(Expr::col((Units, U::Id)).is_in(ids.iter().map(|id| id.0)));
    let units: Vec<Unit> = query::all(conn, &select).await?;
    Ok(units.into_iter().map(|u| (u.id, u)).collect())
}

/// The current units directly under `parent`, in id order.
pub async fn children(
    conn: &impl ConnectionTrait,
    parent: UnitId,
    page: PageRequest,
) -> Result<Page<Unit>> {
    let select = current(Expr::col((Units, U::ParentId)).eq(parent.0));
    fetch_page(conn, select, None, page, Order::Oldest((Units, U::Id))).await
}

/// The current units directly under `parent`, all of them.
pub async fn all_children(conn: &impl ConnectionTrait, parent: UnitId) -> Result<Vec<Unit>> {
    let select = current(Expr::col((Units, U::ParentId)).eq(parent.0));
    Ok(query::all(conn, &select).await?)
}

/// The materialised paths of these units (ancestors are the ids along each path).
pub async fn paths_of(conn: &impl ConnectionTrait, ids: &[UnitId]) -> Result<Vec<String>> {
    let select = Query::select()
        .column(U::Path)
        .from(Units)
        .and_where(U::Id.is_in(ids.iter().map(|id| id.0)))
        .to_owned();
    let rows = query::rows(conn, &select).await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get::<String>("", "path"))
        .collect::<Result<_, _>>()?)
}

impl Keyed for Unit {
    fn key(&self) -> i64 {
        self.id.0
    }
}
