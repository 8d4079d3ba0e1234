//! The tree as it stood on a date. A unit's current shape is its `admin_unit` row (from
//! `valid_from`, until `valid_to` once closed); its earlier shapes are in `unit_shape`. The
//! shapes in force on a day, read as a table with `admin_unit`'s columns, answer every as-of
//! question with the statements written for today's tree.

use chrono::{Days, NaiveDate};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement, UnionType};

use super::{Unit, unit_columns};
use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::entities::unit_lineage::{Column as L, Entity as Lineage};
use crate::db::entities::unit_shape::{Column as S, Entity as Shapes};
use crate::db::query;
use crate::domain::page::{Order, Walk, fetch_page};
use crate::domain::{Page, PageRequest, UnitId};
use crate::error::Result;
use crate::scalars::Date;

/// Every unit's shape in force on `day`, with `admin_unit`'s columns: a derived table to be
/// read under the name `admin_unit` (see [`from_shapes_on`]).
pub(crate) fn shapes_on(day: NaiveDate) -> SelectStatement {
    let mut current = Query::select();
    current
        .columns([
            (Units, U::Id),
            (Units, U::Code),
            (Units, U::Name),
            (Units, U::NameFolded),
            (Units, U::Level),
            (Units, U::DivisionType),
            (Units, U::ParentId),
            (Units, U::Path),
            (Units, U::ValidFrom),
            (Units, U::ValidTo),
        ])
        .from(Units)
        .and_where(Expr::col((Units, U::ValidFrom)).lte(day))
        .and_where(
            Expr::col((Units, U::ValidTo))
                .is_null()
                .or(Expr::col((Units, U::ValidTo)).gt(day)),
        );
    let mut past = Query::select();
    past.columns([(Units, U::Id), (Units, U::Code)])
        .column((Shapes, S::Name))
        .column((Units, U::NameFolded))
        .column((Units, U::Level))
        .columns([
            (Shapes, S::DivisionType),
            (Shapes, S::ParentId),
            (Shapes, S::Path),
            (Shapes, S::ValidFrom),
        ])
        .expr(Expr::col((Shapes, S::ValidTo)))
        .from(Shapes)
        .inner_join(Units, Expr::col((Units, U::Id)).equals((Shapes, S::UnitId)))
        .and_where(Expr::col((Shapes, S::ValidFrom)).lte(day))
        .and_where(Expr::col((Shapes, S::ValidTo)).gt(day));
    current.union(UnionType::All, past);
    current
}

/// `SELECT … FROM (<shapes on day>) AS admin_unit`: the tree of that day, read with the
/// columns of today's.
pub(crate) fn from_shapes_on(day: NaiveDate) -> SelectStatement {
    let mut select = Query::select();
    unit_columns(&mut select, "", &[]).from_subquery(shapes_on(day), Units);
    select
}

fn read_on(mut units: Vec<Unit>, day: NaiveDate) -> Vec<Unit> {
    for unit in &mut units {
        unit.as_of = Some(Date(day));
    }
    units
}

/// These units as they stood on `day`; those that did not exist that day are left out.
pub async fn by_ids_on(
    conn: &impl ConnectionTrait,
    ids: &[UnitId],
    day: NaiveDate,
) -> Result<Vec<Unit>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut select = from_shapes_on(day);
    select.and_where(Expr::col((Units, U::Id)).is_in(ids.iter().map(|id| id.0)));
    Ok(read_on(query::all(conn, &select).await?, day))
}

/// `unit` as it stood on `day`. A unit closed by then is shown as it closed; one not yet
/// opened is none.
pub async fn unit_on(
    conn: &impl ConnectionTrait,
    unit: Unit,
    day: NaiveDate,
) -> Result<Option<Unit>> {
    if let Some(shape) = by_ids_on(conn, &[unit.id], day).await?.pop() {
        return Ok(Some(shape));
    }
    Ok(match unit.valid_to {
        Some(to) if day >= to.0 => Some(Unit {
            as_of: Some(Date(day)),
            ..unit
        }),
        _ => None,
    })
}

/// The units directly under `parent` on `day`, in id order.
pub async fn children_on(
    conn: &impl ConnectionTrait,
    parent: UnitId,
    day: NaiveDate,
    page: PageRequest,
) -> Result<Page<Unit>> {
    let mut select = from_shapes_on(day);
    select.and_where(Expr::col((Units, U::ParentId)).eq(parent.0));
    let mut page = fetch_page(
        conn,
        select,
        None,
        page,
        Order::Oldest((Units, U::Id)),
        Walk::Filtered,
    )
    .await?;
    page.nodes = read_on(std::mem::take(&mut page.nodes), day);
    Ok(page)
}

/// The units directly under `parent` on `day` (none: the provinces), all of them.
pub async fn all_children_on(
    conn: &impl ConnectionTrait,
    parent: Option<UnitId>,
    day: NaiveDate,
) -> Result<Vec<Unit>> {
    let mut select = from_shapes_on(day);
    match parent {
        Some(parent) => select.and_where(Expr::col((Units, U::ParentId)).eq(parent.0)),
        None => select.and_where(Expr::col((Units, U::ParentId)).is_null()),
    };
    Ok(read_on(query::all(conn, &select).await?, day))
}

/// Ids linked by lineage on `on`, from `from` (`successors`: the units it gave to; else the
/// units it took from).
async fn linked(
    conn: &impl ConnectionTrait,
    unit: UnitId,
    on: NaiveDate,
    successors: bool,
) -> Result<Vec<UnitId>> {
    let (mine, theirs) = if successors {
        (L::PredecessorId, L::SuccessorId)
    } else {
        (L::SuccessorId, L::PredecessorId)
    };
    let select = Query::select()
        .column(theirs)
        .from(Lineage)
        .and_where(Expr::col(mine).eq(unit.0))
        .and_where(Expr::col(L::EffectiveOn).eq(on))
        .to_owned();
    let rows = query::rows(conn, &select).await?;
    rows.iter()
        .map(|r| Ok(UnitId(r.try_get_by_index::<i64>(0)?)))
        .collect()
}

/// The units this shape of `unit` was formed from, each as it stood the day before: the
/// units of its level that a reorganisation merged into it (districts, whose ground went to
/// communes, list those communes among their successors instead), and the unit's own earlier
/// shape when it continued under its code.
pub async fn predecessors(conn: &impl ConnectionTrait, unit: &Unit) -> Result<Vec<Unit>> {
    let from = unit.valid_from.0;
    let Some(eve) = from.checked_sub_days(Days::new(1)) else {
        return Ok(Vec::new());
    };
    let mut ids = linked(conn, unit.id, from, false).await?;
    ids.push(unit.id);
    let mut found = by_ids_on(conn, &ids, eve).await?;
    // Itself only where its earlier shape ended on the day this one began.
    found.retain(|u| u.level == unit.level && (u.id != unit.id || u.valid_to == Some(Date(from))));
    found.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(found)
}

/// The units this shape of `unit` went to when it ended, each as it stood that day: the
/// units a reorganisation gave its ground to, and the unit itself in its next shape when it
/// continued under its code.
pub async fn successors(conn: &impl ConnectionTrait, unit: &Unit) -> Result<Vec<Unit>> {
    let Some(to) = unit.valid_to else {
        return Ok(Vec::new());
    };
    let mut ids = linked(conn, unit.id, to.0, true).await?;
    ids.push(unit.id);
    let mut found = by_ids_on(conn, &ids, to.0).await?;
    found.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(found)
}
