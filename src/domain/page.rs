//! Cursor pagination as the contract describes it: `first` (default 20, at most 100) and `after`,
//! an opaque cursor. Most lists are walked in id order, so a cursor is the last id seen; today's
//! teams are walked by place (their unit's path, then id), so theirs holds both.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use chrono::NaiveDate;
use sea_orm::sea_query::{
    self, Alias, Expr, ExprTrait, IntoColumnRef, Query, SelectStatement, SubQueryStatement,
};
use sea_orm::{ConnectionTrait, FromQueryResult};

use crate::authz::{Scope, subtree_range};
use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::query;
use crate::error::{AppError, Result};

pub const DEFAULT_PAGE_SIZE: i64 = 20;
pub const MAX_PAGE_SIZE: i64 = 100;

/// A validated page request.
#[derive(Clone, Debug)]
pub struct PageRequest {
    pub first: i64,
    /// Only rows with an id above this one.
    pub after: Option<i64>,
    /// The unit path the cursor was taken at, for a list walked by place: only rows after
    /// `(after_place, after)` in that order.
    pub after_place: Option<String>,
}

impl PageRequest {
    pub fn parse(first: Option<i32>, after: Option<&str>) -> Result<PageRequest> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if (1..=MAX_PAGE_SIZE as i32).contains(&n) => n as i64,
            // Not 0: an empty page has no cursor to go on from, so a pager asking for pages
            // of none would start over forever.
            Some(_) => {
                return Err(AppError::bad_input(
                    "first",
                    format!(
                        "must be between 1 and {MAX_PAGE_SIZE} (for the count alone, ask for \
                         totalCount with first: 1)"
                    ),
                ));
            }
        };
        let (after, after_place) = match after.map(decode_cursor).transpose()? {
            Some((id, place)) => (Some(id), place),
            None => (None, None),
        };
        Ok(PageRequest {
            first,
            after,
            after_place,
        })
    }

    pub fn first_page(first: i64) -> PageRequest {
        PageRequest {
            first,
            after: None,
            after_place: None,
        }
    }

    /// Refuses a cursor of a list walked by place on a list walked by id, and the other way
    /// round: it would mean another position in this one.
    pub(crate) fn expect_place(&self, by_place: bool) -> Result<()> {
        if self.after.is_some() && self.after_place.is_some() != by_place {
            return Err(AppError::bad_input(
                "after",
                "this cursor belongs to another list (a list as of a date and today's are walked \
                 in different orders): start again without `after`",
            ));
        }
        Ok(())
    }
}

/// One page of a list, with the size of the whole list.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub total_count: i64,
    pub nodes: Vec<T>,
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn empty() -> Page<T> {
        Page {
            total_count: 0,
            nodes: Vec::new(),
            has_next_page: false,
            end_cursor: None,
        }
    }

    /// The same page with each node converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            total_count: self.total_count,
            nodes: self.nodes.into_iter().map(f).collect(),
            has_next_page: self.has_next_page,
            end_cursor: self.end_cursor,
        }
    }

    /// Builds a page from up to `first + 1` rows fetched in id order; the extra row only says
    /// that there is a next page.
    pub fn from_rows(
        rows: Vec<T>,
        request: &PageRequest,
        total_count: i64,
        id_of: impl Fn(&T) -> i64,
    ) -> Page<T> {
        Page::from_rows_by(rows, request, total_count, |row| encode_cursor(id_of(row)))
    }

    /// Like [`Page::from_rows`], for rows walked in another order: `cursor_of` makes the
    /// cursor of the last row.
    pub fn from_rows_by(
        mut rows: Vec<T>,
        request: &PageRequest,
        total_count: i64,
        cursor_of: impl Fn(&T) -> String,
    ) -> Page<T> {
        let has_next_page = rows.len() as i64 > request.first;
        rows.truncate(request.first as usize);
        let end_cursor = rows.last().map(cursor_of);
        Page {
            total_count,
            nodes: rows,
            has_next_page,
            end_cursor,
        }
    }
}

/// A list as a caller asks for it: what their scope lets them see, the path of the unit whose
/// subtree they narrowed it to, and the page.
pub struct Listing {
    pub scope: Scope,
    /// The path of the unit the list is narrowed to, as it stood on `day` when there is one.
    pub under: Option<String>,
    /// Today when none; else the list is of that day: the subtree as it stood then, and only
    /// what was active then (each finder says what that means for its rows).
    pub day: Option<NaiveDate>,
    pub page: PageRequest,
}

impl Listing {
    /// The page of `select`'s rows (a statement already narrowed to the scope), walked in
    /// `order`; nothing, without a statement, for a scope that holds nothing.
    pub(crate) async fn fetch<T: FromQueryResult + Keyed>(
        &self,
        conn: &impl ConnectionTrait,
        mut select: SelectStatement,
        order: Order<impl IntoColumnRef + Clone>,
    ) -> Result<Page<T>> {
        if self.scope.is_empty() {
            return Ok(Page::empty());
        }
        match (&self.under, self.day) {
            (Some(path), Some(day)) => {
                // The units under the unit on that day, by their shapes of that day.
                let shapes = Alias::new("shape");
                let under = Query::select()
                    .column((shapes.clone(), U::Id))
                    .from_subquery(
                        crate::domain::units::history::shapes_on(day),
                        shapes.clone(),
                    )
                    .cond_where(subtree_range((shapes, U::Path), path))
                    .to_owned();
                select.and_where(Expr::col((Units, U::Id)).in_subquery(under));
                fetch_page(conn, select, None, self.page.clone(), order, Walk::Filtered).await
            }
            (under, _) => {
                let walk = if under.is_none() && self.scope.is_everywhere() {
                    Walk::ById
                } else {
                    Walk::Filtered
                };
                fetch_page(
                    conn,
                    select,
                    under.as_deref(),
                    self.page.clone(),
                    order,
                    walk,
                )
                .await
            }
        }
    }
}

/// How a list is walked: by its id column, oldest or newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Order<C> {
    Oldest(C),
    Newest(C),
}

/// How the database should walk a list to its page. `ById` walks the id index and keeps the rows
/// that match: right for a list of everything. `Filtered` finds the rows the conditions select
/// (through the path index) and sorts them: right for a subtree, which is a small part of the
/// table; walking the id index there visits every row before the subtree's first (a province in
/// the middle of the country: tens of thousands of rows for a page of 50).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Walk {
    ById,
    Filtered,
}

/// A row of a list: its id orders the list and makes the cursor.
pub(crate) trait Keyed {
    fn key(&self) -> i64;
}

/// Counts the rows `select` finds (inside the subtree at `under`, when given) and fetches one
/// page of them, walking `id` from the cursor. `select` holds the page's columns, its tables
/// (among them `admin_unit`, whose path `under` narrows) and its conditions; the count is the same
/// statement with `COUNT(*)` for columns, so both see exactly the same rows. It rides on the
/// page's statement as a subquery the database evaluates once; only a page that comes back
/// empty after a cursor needs a statement of its own to learn the count.
pub(crate) async fn fetch_page<T: FromQueryResult + Keyed>(
    conn: &impl ConnectionTrait,
    mut select: SelectStatement,
    under: Option<&str>,
    page: PageRequest,
    order: Order<impl IntoColumnRef + Clone>,
    walk: Walk,
) -> Result<Page<T>> {
    page.expect_place(false)?;
    let (id, newest_first) = match order {
        Order::Oldest(id) => (id, false),
        Order::Newest(id) => (id, true),
    };
    if let Some(path) = under {
        select.cond_where(subtree_range((Units, U::Path), path));
    }
    count_alongside(&mut select);
    let filter = select.clone();
    if let Some(cursor) = page.after {
        let column = Expr::col(id.clone());
        select.and_where(if newest_first {
            column.lt(cursor)
        } else {
            column.gt(cursor)
        });
    }
    let direction = if newest_first {
        sea_query::Order::Desc
    } else {
        sea_query::Order::Asc
    };
    match walk {
        Walk::ById => select.order_by(id, direction),
        // `id + 0` orders the same, but no index yields it: the planner filters first.
        Walk::Filtered => select.order_by_expr(Expr::col(id).add(0), direction),
    };
    select.limit(u64::try_from(page.first + 1).unwrap_or(1));
    let rows = query::rows(conn, &select).await?;
    let total = carried_total(conn, &rows, &page, &filter).await?;
    let nodes = rows
        .iter()
        .map(|row| T::from_query_result(row, ""))
        .collect::<Result<Vec<T>, _>>()?;
    Ok(Page::from_rows(nodes, &page, total, T::key))
}

/// Has `select` carry the size of its whole list as `total_count`: the same statement with
/// `COUNT(*)` for columns, so that both see exactly the same rows, as a subquery the database
/// evaluates once.
pub(crate) fn count_alongside(select: &mut SelectStatement) {
    let mut counting = select.clone();
    counting.clear_selects().expr(query::count_all());
    select.expr_as(
        Expr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(counting))),
        "total_count",
    );
}

/// The size of the list a page of `rows` came from ([`count_alongside`]): what its first row
/// carries; for a page that came back empty, nothing on the first page, and after a cursor the
/// list counted again by `filter` (its statement without the cursor).
pub(crate) async fn carried_total(
    conn: &impl ConnectionTrait,
    rows: &[sea_orm::QueryResult],
    page: &PageRequest,
    filter: &SelectStatement,
) -> Result<i64> {
    Ok(match rows.first() {
        Some(row) => row.try_get::<i64>("", "total_count")?,
        // The first page of nothing.
        None if page.after.is_none() => 0,
        None => query::count(conn, filter).await?,
    })
}

fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("c:{id}"))
}

/// The cursor of a row of a list walked by place: its unit's path and its id.
pub(crate) fn encode_place_cursor(path: &str, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("p:{id}:{path}"))
}

/// The id, and the path for a list walked by place, a cursor was taken at.
fn decode_cursor(cursor: &str) -> Result<(i64, Option<String>)> {
    let text = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let parsed = text.as_deref().and_then(|text| {
        if let Some(id) = text.strip_prefix("c:") {
            return Some((id.parse().ok()?, None));
        }
        let (id, path) = text.strip_prefix("p:")?.split_once(':')?;
        let is_path = path.starts_with('/')
            && path.ends_with('/')
            && path.bytes().all(|b| b == b'/' || b.is_ascii_digit());
        is_path.then_some((id.parse().ok()?, Some(path.to_owned())))
    });
    parsed.ok_or_else(|| AppError::bad_input("after", "not a cursor returned by this API"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_bad_input() {
        let page = Page::from_rows(vec![1, 2, 3], &PageRequest::first_page(2), 3, |v| *v);
        assert!(page.has_next_page);
        assert_eq!(page.nodes, vec![1, 2]);
        let next = PageRequest::parse(Some(2), page.end_cursor.as_deref()).unwrap();
        assert_eq!(next.after, Some(2));
        let err = PageRequest::parse(None, Some("nonsense")).unwrap_err();
        assert_eq!(err.code(), "BAD_USER_INPUT");
    }

    #[test]
    fn first_is_bounded() {
        assert_eq!(PageRequest::parse(None, None).unwrap().first, 20);
        assert_eq!(PageRequest::parse(Some(100), None).unwrap().first, 100);
        let err = PageRequest::parse(Some(101), None).unwrap_err();
        assert!(matches!(err, AppError::BadUserInput { ref field, .. } if field == "first"));
        assert!(PageRequest::parse(Some(-1), None).is_err());
        let err = PageRequest::parse(Some(0), None).unwrap_err();
        assert!(matches!(err, AppError::BadUserInput { ref field, .. } if field == "first"));
    }
}
