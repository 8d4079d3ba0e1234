//! The frame of every change: one transaction, an audit entry for each change written inside
//! it, and the list of units whose figures changed, handed to the after-commit hooks.

use std::collections::BTreeSet;

use sea_orm::{DatabaseTransaction, SqliteTransactionMode, TransactionOptions, TransactionTrait};
use serde::Serialize;

use super::UnitId;
use crate::authz::Actor;
use crate::db::Db;
use crate::db::sql::{Args, execute};
use crate::error::Result;

/// A change in progress.
pub struct Tx {
    pub txn: DatabaseTransaction,
    actor: Actor,
    touched: BTreeSet<UnitId>,
}

/// What a committed change touched: the units whose subtree figures (and those of their
/// ancestors) may have changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Committed {
    pub units: Vec<UnitId>,
}

impl Tx {
    pub async fn begin(db: &Db, actor: &Actor) -> Result<Tx> {
        // SQLite: take the write lock at the start. A deferred transaction that read first
        // cannot upgrade once another writer committed, and would fail instead of waiting.
        let options = TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        };
        Ok(Tx {
            txn: db.conn.begin_with_options(options).await?,
            actor: actor.clone(),
            touched: BTreeSet::new(),
        })
    }

    /// Records one change in the audit log, inside the transaction, and notes its unit.
    pub async fn audit<B: Serialize, A: Serialize>(
        &mut self,
        operation: &str,
        entity: &str,
        entity_id: i64,
        unit: UnitId,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Result<()> {
        let to_json = |value: Option<&dyn erased::Json>| -> Result<Option<String>> {
            Ok(value.map(erased::Json::to_json).transpose()?)
        };
        let before = to_json(before.map(|b| b as &dyn erased::Json))?;
        let after = to_json(after.map(|a| a as &dyn erased::Json))?;
        let mut args = Args::new();
        let sql = format!(
            "INSERT INTO audit_entry (user_id, actor, operation, entity, entity_id, unit_id, \
             before_json, after_json) VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
            args.bind(self.actor.user_id.map(|u| u.0)),
            args.bind(self.actor.name.clone()),
            args.bind(operation.to_owned()),
            args.bind(entity.to_owned()),
            args.bind(entity_id),
            args.bind(unit),
            args.bind(before),
            args.bind(after)
        );
        execute(&self.txn, sql, args).await?;
        self.touched.insert(unit);
        Ok(())
    }

    /// Notes a unit whose figures changed without an audit entry of its own.
    pub fn touch(&mut self, unit: UnitId) {
        self.touched.insert(unit);
    }

    pub async fn commit(self) -> Result<Committed> {
        self.txn.commit().await?;
        Ok(Committed {
            units: self.touched.into_iter().collect(),
        })
    }
}

mod erased {
    /// Serialises audit snapshots of any type through one code path.
    pub trait Json {
        fn to_json(&self) -> anyhow::Result<String>;
    }

    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> anyhow::Result<String> {
            Ok(serde_json::to_string(self)?)
        }
    }
}

/// Refuses a change made against `expected` when the row is at `current`: `CONFLICT` on
/// `expectedVersion`, nothing changed.
pub fn check_version(what: &str, expected: Option<i32>, current: i32) -> Result<()> {
    match expected {
        Some(v) if v != current => Err(stale(what, Some(current))),
        _ => Ok(()),
    }
}

/// The `CONFLICT` of a change that lost to another, saying the row's version when known.
pub fn stale(what: &str, version: Option<i32>) -> crate::error::AppError {
    let at = version
        .map(|v| format!(" (it is at version {v})"))
        .unwrap_or_default();
    crate::error::AppError::conflict(
        "expectedVersion",
        format!("the {what} was changed meanwhile{at}; reload and retry"),
    )
}

/// The condition an update adds for optimistic concurrency: with an expected version, the row
/// must still be at it (a concurrent change makes the update miss, and the caller answers
/// `CONFLICT`); without one, the last write wins.
pub fn version_guard(args: &mut crate::db::sql::Args, expected: Option<i32>) -> String {
    match expected {
        Some(version) => format!(" AND version = {}", args.bind(version)),
        None => String::new(),
    }
}

/// The deepest unit whose subtree holds every one of `paths`: where a change that spans several
/// units is recorded.
pub fn common_unit<'a>(paths: impl IntoIterator<Item = &'a str>) -> Option<UnitId> {
    let mut common: Option<Vec<&str>> = None;
    for path in paths {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        common = Some(match common {
            None => segments,
            Some(prefix) => prefix
                .iter()
                .zip(&segments)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| *a)
                .collect(),
        });
    }
    common?.last()?.parse().ok().map(UnitId)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_unit_is_the_deepest_shared_ancestor() {
        assert_eq!(common_unit(["/1/2/5/", "/1/2/7/9/"]), Some(UnitId(2)));
        assert_eq!(common_unit(["/1/2/5/"]), Some(UnitId(5)));
        assert_eq!(common_unit(["/1/2/", "/3/4/"]), None);
        assert_eq!(common_unit(Vec::<&str>::new()), None);
    }
}
