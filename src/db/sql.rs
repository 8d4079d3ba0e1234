//! The binder of the few statements written by hand rather than built (the totals, whose
//! correlated counts, `FILTER` clauses and PostgreSQL array lookups the query builder cannot
//! say as they are planned best): numbered parameters (`$1`, which both SQLite and PostgreSQL
//! accept) and typed fetches of rows. Everything else is built with SeaQuery ([`super::query`]).

use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, QueryResult, Statement, Value};

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
        let sql = sql.into();
        if backend == DbBackend::Sqlite {
            let (sql, values) = positional_for_sqlite(&sql, &self.values);
            return Statement::from_sql_and_values(backend, sql, values);
        }
        Statement::from_sql_and_values(backend, sql, self.values)
    }
}

/// SQLite looks up every `$N` (and `?N`) placeholder in a linear list while parsing, which is
/// quadratic in the number of parameters: seconds for one bulk insert. Plain `?` is direct, so
/// for SQLite the numbered placeholders become `?` with the values laid out in the order they
/// appear (repeated where a placeholder is used twice). The SQL written here has no `$` outside
/// placeholders.
fn positional_for_sqlite(sql: &str, values: &[Value]) -> (String, Vec<Value>) {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut ordered = Vec::with_capacity(values.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
            let n: usize = sql[start..end].parse().unwrap_or(0);
            match n.checked_sub(1).and_then(|k| values.get(k)) {
                Some(value) => {
                    out.push('?');
                    ordered.push(value.clone());
                }
                // Not one of ours: leave it for the database to reject.
                None => out.push_str(&sql[i..end]),
            }
            i = end;
        } else {
            let c = sql[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    (out, ordered)
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

pub async fn fetch_rows(
    conn: &impl ConnectionTrait,
    sql: impl Into<String>,
    args: Args,
) -> Result<Vec<QueryResult>, sea_orm::DbErr> {
    let stmt = args.statement(conn.get_database_backend(), sql);
    conn.query_all_raw(stmt).await
}

/// A subtree of units as a condition on `path_column`: the range `[path, path || '~')` (see
/// [`crate::authz::subtree_range`], its builder form), for the statements written by hand.
pub fn subtree_sql(args: &mut Args, path_column: &str, path: &str) -> String {
    let lo = args.bind(path.to_owned());
    let hi = args.bind(format!("{path}~"));
    format!("({path_column} >= {lo} AND {path_column} < {hi})")
}

#[cfg(test)]
mod tests {
    use sea_orm::Value;

    #[test]
    fn sqlite_gets_positional_placeholders_in_order_of_use() {
        let values: Vec<Value> = vec![1i64.into(), "a".into()];
        let (sql, ordered) = super::positional_for_sqlite("SELECT $2, 'é$x', $1, $2", &values);
        assert_eq!(sql, "SELECT ?, 'é$x', ?, ?");
        assert_eq!(
            ordered,
            vec![values[1].clone(), values[0].clone(), values[1].clone()]
        );
    }
}
