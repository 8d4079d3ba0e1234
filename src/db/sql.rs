//! Portable SQL helpers: numbered parameters (`$1`, which both SQLite and PostgreSQL accept) and
//! typed fetches of rows.

use sea_orm::{
    ConnectionTrait, DbBackend, FromQueryResult, QueryResult, Statement, Value,
};

/// Collects bind values and hands out their placeholders.
#[derive(Default)]
pub struct Args {
    values: Vec<Value>,
}

impl Args {
    pub fn new() -> Self {
        Args::default()
    }

    /// Adds a value and returns its placeholder (`$n`).
    pub fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    pub fn statement(self, backend: DbBackend, sql: impl Into<String>) -> Statement {
        Statement::from_sql_and_values(backend, sql.into(), self.values)
    }
}

pub async fn fetch_all<T: FromQueryResult>(
    conn: &impl ConnectionTrait,
    sql: impl Into<String>,
    args: Args,
) -> Result<Vec<T>, sea_orm::DbErr> {
    let stmt = args.statement(conn.get_database_backend(), sql);
    let rows = conn.query_all_raw(stmt).await?;
    rows.iter().map(|r| T::from_query_result(r, "")).collect()
}

pub async fn fetch_optional<T: FromQueryResult>(
    conn: &impl ConnectionTrait,
    sql: impl Into<String>,
    args: Args,
) -> Result<Option<T>, sea_orm::DbErr> {
    let stmt = args.statement(conn.get_database_backend(), sql);
    match conn.query_one_raw(stmt).await? {
        Some(row) => Ok(Some(T::from_query_result(&row, "")?)),
        None => Ok(None),
    }
}

pub async fn fetch_rows(
    conn: &impl ConnectionTrait,
    sql: impl Into<String>,
    args: Args,
) -> Result<Vec<QueryResult>, sea_orm::DbErr> {
    let stmt = args.statement(conn.get_database_backend(), sql);
    conn.query_all_raw(stmt).await
}

pub async fn execute(
    conn: &impl ConnectionTrait,
    sql: impl Into<String>,
    args: Args,
) -> Result<u64, sea_orm::DbErr> {
    let stmt = args.statement(conn.get_database_backend(), sql);
    Ok(conn.execute_raw(stmt).await?.rows_affected())
}

/// `IN (...)` over a list of ids; an empty list matches nothing.
pub fn in_list(args: &mut Args, ids: &[i64]) -> String {
    if ids.is_empty() {
        return "(NULL)".to_owned();
    }
    let placeholders: Vec<String> = ids.iter().map(|id| args.bind(*id)).collect();
    format!("({})", placeholders.join(", "))
}
