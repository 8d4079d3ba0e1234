//! Bulk loading for imports and seeds: multi-row inserts with ids assigned up front, so that
//! materialised paths and foreign keys are known before anything is written.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Value};

use super::sql::{Args, execute, fetch_rows};

/// Both databases accept well over this many bind values in one statement.
const MAX_BINDS: usize = 30_000;

/// Inserts `rows` (each holding one value per column) in as few statements as the bind limit
/// allows.
pub async fn insert_rows(
    conn: &impl ConnectionTrait,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), DbErr> {
    let per_statement = (MAX_BINDS / columns.len()).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut args = Args::new();
        let mut tuples = Vec::with_capacity(per_statement);
        for row in rows.by_ref().take(per_statement) {
            debug_assert_eq!(row.len(), columns.len(), "{table}: row width");
            let placeholders: Vec<String> = row.into_iter().map(|v| args.bind(v)).collect();
            tuples.push(format!("({})", placeholders.join(", ")));
        }
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {}",
            columns.join(", "),
            tuples.join(", ")
        );
        execute(conn, sql, args).await?;
    }
    Ok(())
}

/// The first free id of a table. Callers hold a transaction, and loads are single-writer.
pub async fn next_id(conn: &impl ConnectionTrait, table: &str) -> Result<i64, DbErr> {
    let rows = fetch_rows(
        conn,
        format!("SELECT COALESCE(MAX(id), 0) AS m FROM {table}"),
        Args::new(),
    )
    .await?;
    let max: i64 = match rows.first() {
        Some(row) => row.try_get("", "m")?,
        None => 0,
    };
    Ok(max + 1)
}

/// After ids were assigned explicitly, moves PostgreSQL's identity sequence past them so that
/// ordinary inserts do not collide. SQLite keeps track by itself.
pub async fn sync_identity(conn: &impl ConnectionTrait, table: &str) -> Result<(), DbErr> {
    if conn.get_database_backend() == DbBackend::Postgres {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
             (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
        );
        fetch_rows(conn, sql, Args::new()).await?;
    }
    Ok(())
}
