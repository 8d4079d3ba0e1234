//! The database: connecting to SQLite or PostgreSQL, running migrations, and the small set of
//! helpers that every query goes through (so statements can be counted and SQL stays portable).

pub mod bulk;
pub mod entities;
pub mod query;
pub mod sql;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, TransactionTrait};
use sea_orm_migration::MigratorTrait;

use crate::migrations::Migrator;

/// A pooled connection plus a count of the SQL statements it has run, which the tests and the
/// benchmark read to prove that a page costs the same number of statements whatever its size.
#[derive(Clone)]
pub struct Db {
    pub conn: DatabaseConnection,
    statements: Arc<AtomicU64>,
}

impl Db {
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        let backend = backend_of(url)?;
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(10));
        match backend {
            DbBackend::Sqlite => {
                // One writer at a time is SQLite's rule; WAL lets readers go on meanwhile and the
                // busy timeout makes a second writer wait instead of failing.
                opts.max_connections(8).map_sqlx_sqlite_opts(|o| {
                    o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                        .busy_timeout(Duration::from_secs(10))
                        .foreign_keys(true)
                });
                if url.contains(":memory:") {
                    // An in-memory database lives as long as its one connection does.
                    opts.max_connections(1)
                        .min_connections(1)
                        .idle_timeout(None::<Duration>)
                        .max_lifetime(None::<Duration>);
                }
            }
            _ => {
                // Every statement is planned for its own parameters. A subtree is a path range
                // whose size goes from one village to the whole country; a plan cached for one
                // (PostgreSQL's generic plan, chosen after a few runs of a prepared statement)
                // costs the other tens of milliseconds, far more than planning does.
                opts.max_connections(16)
                    .min_connections(1)
                    .map_sqlx_postgres_opts(|o| {
                        o.options([("plan_cache_mode", "force_custom_plan")])
                    });
            }
        }
        let mut conn = Database::connect(opts)
            .await
            .with_context(|| format!("cannot connect to the database at {}", redact(url)))?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        conn.set_metric_callback(move |_| {
            if UNCOUNTED.try_with(|_| ()).is_err() {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        Ok(Db { conn, statements })
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// SQL statements run on this pool since it was opened.
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Applies the migrations, then counts the units that have no counters yet (all of them,
    /// the first time a database from before counters were kept is opened).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        Migrator::up(&self.conn, None)
            .await
            .context("applying migrations")?;
        let txn = self.conn.begin().await?;
        let counted = crate::domain::counters::fill_missing(&txn)
            .await
            .context("counting the units without counters")?;
        txn.commit().await?;
        if counted > 0 {
            tracing::info!(units = counted, "counters computed from the rows");
        }
        Ok(())
    }

    /// Whether the schema has never been migrated: used to seed a brand-new embedded database.
    pub async fn is_pristine(&self) -> anyhow::Result<bool> {
        let applied = Migrator::get_applied_migrations(&self.conn)
            .await
            .context("reading migration state")?;
        Ok(applied.is_empty())
    }

    pub async fn ping(&self) -> bool {
        self.conn.ping().await.is_ok()
    }
}

tokio::task_local! {
    /// Set for background work, whose statements are not counted with the requests'.
    static UNCOUNTED: ();
}

/// Runs `work` without counting its statements in [`Db::statement_count`] (the checks a
/// replica makes in the background, which would otherwise show up in the per-request counts).
pub fn uncounted<F: std::future::Future>(work: F) -> impl std::future::Future<Output = F::Output> {
    UNCOUNTED.scope((), work)
}

/// Turns a unique-constraint violation into a `CONFLICT` on `field`: the check before the write
/// covers the common case, the constraint covers two writers racing.
pub fn conflict_on_unique(
    err: sea_orm::DbErr,
    field: &str,
    message: &str,
) -> crate::error::AppError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            crate::error::AppError::conflict(field, message)
        }
        _ => err.into(),
    }
}

/// The database kind named by a URL, or a one-line error saying what is accepted.
pub fn backend_of(url: &str) -> anyhow::Result<DbBackend> {
    if url.starts_with("sqlite:") {
        Ok(DbBackend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(DbBackend::Postgres)
    } else {
        anyhow::bail!(
            "DATABASE_URL must start with sqlite: or postgres:// (got {})",
            redact(url)
        )
    }
}

/// A URL with its password replaced, safe to print.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/steering"),
            "postgres://app:***@db:5432/steering"
        );
        assert_eq!(redact("sqlite://x.db?mode=rwc"), "sqlite://x.db?mode=rwc");
    }

    #[test]
    fn unknown_schemes_are_refused() {
        let err = backend_of("mysql://localhost/x").unwrap_err().to_string();
        assert!(err.contains("DATABASE_URL"), "{err}");
    }
}
