//! Bulk loading for imports and seeds: multi-row inserts with ids assigned up front, so that
//! materialised paths and foreign keys are known before anything is written.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, EntityName, EntityTrait, IdenStatic,
    Iterable,
};

use super::query;

/// Both databases accept well over this many bind values in one statement.
const MAX_BINDS: usize = 30_000;

/// Inserts `rows` into their table in as few statements as the bind limit allows. The columns
/// are those the first row sets, and every row sets the same ones; the others take their
/// defaults.
pub async fn insert_rows<A: ActiveModelTrait>(
    conn: &impl ConnectionTrait,
    rows: Vec<A>,
) -> Result<(), DbErr> {
    let table = A::Entity::default();
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let columns: Vec<_> = <A::Entity as EntityTrait>::Column::iter()
        .filter(|column| first.get(*column).is_set())
        .collect();
    let per_statement = (MAX_BINDS / columns.len().max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut insert = Query::insert();
        insert.into_table(table).columns(columns.iter().copied());
        for mut row in rows.by_ref().take(per_statement) {
            let values = columns.iter().map(|column| {
                row.take(*column)
                    .into_value()
                    .map(Expr::value)
                    .ok_or_else(|| {
                        let column = column.as_str();
                        DbErr::Custom(format!(
                            "{}: a row leaves {column} unset",
                            table.table_name()
                        ))
                    })
            });
            insert
                .values(values.collect::<Result<Vec<_>, _>>()?)
                .map_err(|e| DbErr::Custom(format!("{}: {e}", table.table_name())))?;
        }
        query::execute(conn, &insert).await?;
    }
    Ok(())
}

/// The first free id of `E`'s table. Callers hold a transaction, and loads are single-writer.
pub async fn next_id<E: EntityTrait>(conn: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let select = Query::select()
        .expr_as(
            Func::coalesce([Expr::col(Alias::new("id")).max(), Expr::val(0)]),
            "m",
        )
        .from(E::default())
        .to_owned();
    let max: i64 = match query::rows(conn, &select).await?.first() {
        Some(row) => row.try_get("", "m")?,
        None => 0,
    };
    Ok(max + 1)
}

/// After ids were assigned explicitly, moves PostgreSQL's identity sequence past them so that
/// ordinary inserts do not collide. SQLite keeps track by itself. Written by hand: the query
/// builder has no words for PostgreSQL's sequence functions.
pub async fn sync_identity<E: EntityTrait>(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    if conn.get_database_backend() == DbBackend::Postgres {
        let table = E::default().table_name();
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
             (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
        );
        conn.execute_unprepared(&sql).await?;
    }
    Ok(())
}
