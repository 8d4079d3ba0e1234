//! Administrative units: public reference data that any signed-in caller may read.

use std::collections::HashMap;

use async_graphql::SimpleObject;
use sea_orm::sea_query::Order as Sort;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, FromQueryResult, IdenStatic, Iterable};

pub mod history;

use super::page::{Keyed, Order, Walk, fetch_page};
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
    /// The first day of the shape shown: the unit as it stood from this day (its name, its
    /// parent, its ground). A reorganisation that reshapes a unit starts a new shape.
    pub valid_from: Date,
    /// The day after the last of the shape shown: set once a reorganisation closed the unit or,
    /// for a shape read as of a past date, gave it its next shape. Null while open.
    pub valid_to: Option<Date>,
    // The date the shape was read for; none: today. Its relations are read as of it too.
    #[graphql(skip)]
    #[sea_orm(skip)]
    #[serde(default)]
    pub as_of: Option<Date>,
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

/// Whether `code` could be a unit's code at all: if not, the database need not be asked
/// (PostgreSQL refuses NUL).
fn plausible(code: &str) -> bool {
    code.len() <= 64 && crate::text::unprintable(code).is_none()
}

/// The current unit holding `code`, if any.
pub async fn by_code(conn: &impl ConnectionTrait, code: &str) -> Result<Option<Unit>> {
    let code = code.trim();
    if !plausible(code) {
        return Ok(None);
    }
    let select = current(Expr::col((Units, U::Code)).eq(code));
    Ok(query::one(conn, &select).await?)
}

/// The unit `code` names, open or closed: the open one if there is one, else the one closed
/// last. A closed unit is still found by its code.
pub async fn any_by_code(conn: &impl ConnectionTrait, code: &str) -> Result<Option<Unit>> {
    let code = code.trim();
    if !plausible(code) {
        return Ok(None);
    }
    let mut select = Query::select();
    unit_columns(&mut select, "", &[])
        .from(Units)
        .and_where(Expr::col((Units, U::Code)).eq(code))
        .order_by_expr(Expr::col((Units, U::ValidTo)).is_null(), Sort::Desc)
        .order_by((Units, U::ValidFrom), Sort::Desc)
        .limit(1);
    Ok(query::one(conn, &select).await?)
}

/// The open unit `code` names, for a change made at it: none if no unit has the code, and
/// `CONFLICT` (naming `field` and the unit's successors) if it was closed.
pub async fn open_for_change(
    conn: &impl ConnectionTrait,
    code: &str,
    field: &str,
) -> Result<Option<Unit>> {
    match any_by_code(conn, code).await? {
        Some(unit) if unit.valid_to.is_some() => Err(closed(conn, &unit, field).await?),
        other => Ok(other),
    }
}

/// Today's paths of the villages the unit at `path` held on its last day (it closed `on`):
/// those whose shape in the unit's subtree ended that day.
pub async fn held_when_closed(
    conn: &impl ConnectionTrait,
    path: &str,
    on: Date,
) -> Result<Vec<String>> {
    use crate::db::entities::unit_shape::{Column as S, Entity as Shapes};
    let select = Query::select()
        .column((Units, U::Path))
        .from(Shapes)
        .inner_join(Units, Expr::col((Units, U::Id)).equals((Shapes, S::UnitId)))
        .and_where(Expr::col((Shapes, S::ValidTo)).eq(on.0))
        .cond_where(crate::authz::subtree_range((Shapes, S::Path), path))
        .and_where(Expr::col((Units, U::Level)).eq(AdminLevel::Village.as_str()))
        .and_where(Expr::col((Units, U::ValidTo)).is_null())
        .to_owned();
    let rows = query::rows(conn, &select).await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect::<Result<_, _>>()?)
}

/// Refuses a change to what is attached to a closed unit (`CONFLICT`, naming its successors).
pub async fn ensure_open(conn: &impl ConnectionTrait, id: UnitId, field: &str) -> Result<()> {
    match by_ids(conn, &[id]).await?.remove(&id) {
        Some(unit) if unit.valid_to.is_some() => Err(closed(conn, &unit, field).await?),
        _ => Ok(()),
    }
}

/// The refusal of a change at a closed unit, naming its successors.
pub async fn closed(conn: &impl ConnectionTrait, unit: &Unit, field: &str) -> Result<AppError> {
    let successors = history::successors(conn, unit).await?;
    let named: Vec<String> = successors
        .iter()
        .map(|s| format!("{} {}", s.code, s.name))
        .collect();
    let on = unit.valid_to.map(|d| d.0.to_string()).unwrap_or_default();
    let message = if named.is_empty() {
        format!("{} {} was closed on {on}", unit.code, unit.name)
    } else {
        format!(
            "{} {} was closed on {on}; its successors: {}",
            unit.code,
            unit.name,
            named.join(", ")
        )
    };
    Ok(AppError::conflict(field, message))
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
    fetch_page(
        conn,
        select,
        None,
        page,
        Order::Oldest((Units, U::Id)),
        Walk::Filtered,
    )
    .await
}

/// The current provinces.
pub async fn provinces(conn: &impl ConnectionTrait) -> Result<Vec<Unit>> {
    let select = current(Expr::col((Units, U::ParentId)).is_null());
    Ok(query::all(conn, &select).await?)
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
