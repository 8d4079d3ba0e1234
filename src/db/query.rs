//! Running statements built with SeaQuery: each is rendered for the connected database (its
//! placeholders, quoting and dialect) and goes through the pool's statement count like every
//! other.

use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use sea_orm::sea_query::{Asterisk, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryResult,
    StatementBuilder,
};

/// Every column of `table`, named with it, but the bookkeeping stamps (`created_at`,
/// `updated_at`) that no record reads: a record read from the row takes the columns it knows
/// and leaves the rest, so its fields are not listed again here.
pub fn every_column<E: EntityTrait>(
    select: &mut SelectStatement,
    table: E,
) -> &mut SelectStatement {
    let read = |column: &E::Column| !matches!(column.as_str(), "created_at" | "updated_at");
    select.columns(
        E::Column::iter()
            .filter(read)
            .map(move |column| (table, column)),
    )
}

/// `FROM <table> JOIN admin_unit ON admin_unit.id = <table>.<unit>`, no columns yet: rows with
/// the unit they belong to, whose path scope conditions read.
pub fn joined_to_unit<E: EntityTrait>(table: E, unit: E::Column) -> SelectStatement {
    Query::select()
        .from(table)
        .inner_join(Units, Expr::col((Units, U::Id)).equals((table, unit)))
        .to_owned()
}

/// Every column of `table`, and the path of the unit joined by [`joined_to_unit`] as `path_as`.
pub fn with_unit_path<'q, E: EntityTrait>(
    select: &'q mut SelectStatement,
    table: E,
    path_as: &'static str,
) -> &'q mut SelectStatement {
    every_column(select, table).expr_as(Expr::col((Units, U::Path)), path_as)
}

/// Every row, read as `T`.
pub async fn all<T: FromQueryResult>(
    conn: &impl ConnectionTrait,
    statement: &impl StatementBuilder,
) -> Result<Vec<T>, DbErr> {
    let statement = conn.get_database_backend().build(statement);
    T::find_by_statement(statement).all(conn).await
}

/// The first row, if any, read as `T`.
pub async fn one<T: FromQueryResult>(
    conn: &impl ConnectionTrait,
    statement: &impl StatementBuilder,
) -> Result<Option<T>, DbErr> {
    let statement = conn.get_database_backend().build(statement);
    T::find_by_statement(statement).one(conn).await
}

/// Every row, as the database returned it.
pub async fn rows(
    conn: &impl ConnectionTrait,
    statement: &impl StatementBuilder,
) -> Result<Vec<QueryResult>, DbErr> {
    let statement = conn.get_database_backend().build(statement);
    conn.query_all_raw(statement).await
}

/// Runs a change and says how many rows it touched.
pub async fn execute(
    conn: &impl ConnectionTrait,
    statement: &impl StatementBuilder,
) -> Result<u64, DbErr> {
    let statement = conn.get_database_backend().build(statement);
    Ok(conn.execute_raw(statement).await?.rows_affected())
}

/// How many rows `select` (its `FROM`, joins and conditions; its columns are replaced) finds.
pub async fn count(conn: &impl ConnectionTrait, select: &SelectStatement) -> Result<i64, DbErr> {
    let mut counting = select.clone();
    counting.clear_selects().expr_as(count_all(), "n");
    match rows(conn, &counting).await?.first() {
        Some(row) => row.try_get::<i64>("", "n"),
        None => Ok(0),
    }
}

/// Whether `select` finds any row.
/// The first column (an id) of the first row `select` finds, if any.
pub async fn first_id(
    conn: &impl ConnectionTrait,
    select: &SelectStatement,
) -> Result<Option<i64>, DbErr> {
    match rows(conn, select).await?.first() {
        Some(row) => Ok(Some(row.try_get_by_index(0)?)),
        None => Ok(None),
    }
}

pub async fn exists(conn: &impl ConnectionTrait, select: &SelectStatement) -> Result<bool, DbErr> {
    Ok(count(conn, select).await? > 0)
}

/// `COUNT(*)`.
pub fn count_all() -> Expr {
    Expr::col(Asterisk).count()
}
