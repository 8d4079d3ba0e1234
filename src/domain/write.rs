//! The frame of every change: one transaction, an audit entry for each change written inside
//! it, the counters of the units it touched recounted before it commits, and the list of those
//! units, handed to the after-commit hooks.

use std::collections::BTreeSet;

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, UpdateStatement};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseTransaction, DbBackend,
    EntityTrait, IntoActiveModel, PrimaryKeyTrait, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use serde::Serialize;

use super::counters::{self, Units};
use super::{Rules, UnitId};
use crate::authz::Actor;
use crate::db::entities::{self, audit_entry};
use crate::db::{Db, conflict_on_unique, query};
use crate::error::{AppError, Result};

/// A change in progress.
pub struct Tx {
    pub(crate) txn: DatabaseTransaction,
    actor: Actor,
    /// The programme's rules in force for this change.
    pub(crate) rules: Rules,
    /// Units whose figures may have changed: recounted.
    touched: BTreeSet<UnitId>,
    /// Every unit the change is announced for (its counter row marked changed): the touched
    /// ones, and those with a record changed that no figure counts (a name, a phone), for the
    /// answers kept of what lies under them.
    announced: BTreeSet<UnitId>,
    /// Units whose approved results may have changed: recounted too.
    results: BTreeSet<UnitId>,
    /// The day of the change.
    today: NaiveDate,
}

/// What a committed change touched: the units whose subtree figures (and those of their
/// ancestors) may have changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Committed {
    pub units: Vec<UnitId>,
    /// The change of each unit's counters, as the shared cache must hear of it.
    pub owed: Vec<counters::Owed>,
    /// The paths of `units`, read when their counters were locked.
    pub paths: Vec<String>,
}

impl Tx {
    pub async fn begin(db: &Db, actor: &Actor, rules: Rules) -> Result<Tx> {
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
            rules,
            touched: BTreeSet::new(),
            announced: BTreeSet::new(),
            results: BTreeSet::new(),
            today: crate::scalars::today(),
        })
    }

    /// The day a row created by this change starts (a team's founding, a member's joining, a
    /// committee's founding): the day the caller gave, already checked not to be in the
    /// future, or else the day of the change. So a row added today never counts on a past day;
    /// an earlier day is the caller's explicit statement, kept in the change's audit entry.
    pub fn starts_on(&self, given: Option<NaiveDate>) -> NaiveDate {
        given.unwrap_or(self.today)
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
        let moved = figures_may_move(before.as_deref(), after.as_deref());
        let entry = audit_entry::ActiveModel {
            user_id: Set(self.actor.user_id.map(|u| u.0)),
            actor: Set(self.actor.name.clone()),
            operation: Set(operation.to_owned()),
            entity: Set(entity.to_owned()),
            entity_id: Set(entity_id),
            unit_id: Set(unit.0),
            before_json: Set(before),
            after_json: Set(after),
            ..Default::default()
        };
        audit_entry::Entity::insert(entry).exec(&self.txn).await?;
        self.announced.insert(unit);
        if moved {
            self.touched.insert(unit);
            if entity == "report" {
                self.results.insert(unit);
            }
        }
        Ok(())
    }

    /// Records a creation in the audit log: nothing before, `after` after.
    pub async fn audit_creation(
        &mut self,
        operation: &str,
        entity: &str,
        entity_id: i64,
        unit: UnitId,
        after: &impl Serialize,
    ) -> Result<()> {
        let nothing = None::<&()>;
        self.audit(operation, entity, entity_id, unit, nothing, Some(after))
            .await
    }

    /// Notes a unit whose figures may have changed without an audit entry of its own.
    pub fn touch(&mut self, unit: UnitId) {
        self.touched.insert(unit);
        self.announced.insert(unit);
    }

    /// Notes a unit whose approved results may have changed (a team with reports moved).
    pub fn touch_results(&mut self, unit: UnitId) {
        self.touched.insert(unit);
        self.announced.insert(unit);
        self.results.insert(unit);
    }

    /// Recounts the touched units' counters, then commits. The counter rows are locked before
    /// they are recounted (see [`counters`]), and stay locked until the commit. The rows of units
    /// only changed are locked and marked changed too, not recounted.
    pub async fn commit(self) -> Result<Committed> {
        if !self.announced.is_empty() && self.txn.get_database_backend() == DbBackend::Postgres {
            // The counters' statements are the same text for every change of as many units,
            // and one plan serves them all: planning each (the pool's default, for the path
            // ranges of reads) would cost more than the recount, with the village's row held.
            self.txn
                .execute_unprepared("SET LOCAL plan_cache_mode = force_generic_plan")
                .await?;
        }
        let locked = counters::lock(&self.txn, &self.announced).await?;
        let owed = locked.iter().map(|l| l.owed).collect();
        let paths = locked.iter().map(|l| l.path.clone()).collect();
        let recounted: Vec<counters::Locked> = locked
            .into_iter()
            .filter(|l| self.touched.contains(&l.owed.unit))
            .collect();
        counters::recount_locked(&self.txn, &recounted).await?;
        if !self.results.is_empty() {
            let ids: Vec<i64> = self.results.iter().map(|u| u.0).collect();
            counters::recount_results(&self.txn, Units::Only(&ids)).await?;
        }
        self.txn.commit().await?;
        Ok(Committed {
            units: self.touched.into_iter().collect(),
            owed,
            paths,
        })
    }
}

/// Fields of the audited records that no total reads: text, contact details, bookkeeping.
const UNCOUNTED_FIELDS: &[&str] = &[
    "name",
    "decisionNo",
    "fullName",
    "phone",
    "gender",
    "birthYear",
    "title",
    "topic",
    "format",
    "endsAt",
    "location",
    "link",
    "position",
    "sortOrder",
    "version",
    "updatedAt",
];

/// Whether a change from `before` to `after` (audit snapshots) may move a figure: a creation
/// or a removal may; an edit may unless only [`UNCOUNTED_FIELDS`] differ. Such an edit (a
/// renamed team, a corrected phone number) leaves every total as it was, so its units' counters
/// are neither locked nor recounted and no cached total is dropped. A field this list does not
/// name counts, so a new field is counted until it is listed here.
fn figures_may_move(before: Option<&str>, after: Option<&str>) -> bool {
    let parse = |s: Option<&str>| s.and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok());
    let (Some(serde_json::Value::Object(before)), Some(serde_json::Value::Object(after))) =
        (parse(before), parse(after))
    else {
        return true;
    };
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|k| !UNCOUNTED_FIELDS.contains(&k.as_str()))
        .any(|k| before.get(k) != after.get(k))
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

/// A table whose rows carry a `version`, raised by every change.
pub(crate) trait Versioned: EntityTrait + Default {
    /// What a row is called in a `CONFLICT` message.
    const NOUN: &'static str;
    fn id() -> Self::Column;
    fn version() -> Self::Column;
    /// `updated_at`, for the tables that keep it.
    fn updated_at() -> Option<Self::Column>;
}

macro_rules! versioned {
    ($($entity:ident: $noun:literal, stamped: $stamped:tt;)*) => {$(
        impl Versioned for entities::$entity::Entity {
            const NOUN: &'static str = $noun;
            fn id() -> Self::Column {
                entities::$entity::Column::Id
            }
            fn version() -> Self::Column {
                entities::$entity::Column::Version
            }
            fn updated_at() -> Option<Self::Column> {
                versioned!(@stamp $entity $stamped)
            }
        }
    )*};
    (@stamp $entity:ident yes) => { Some(entities::$entity::Column::UpdatedAt) };
    (@stamp $entity:ident no) => { None };
}

versioned! {
    team: "team", stamped: yes;
    team_member: "member", stamped: yes;
    steering_committee: "committee", stamped: yes;
    committee_member: "committee member", stamped: no;
    training_session: "session", stamped: yes;
    result_report: "report", stamped: yes;
    target: "target", stamped: no;
}

/// A change to one versioned row, and the frame every such change goes through: the update
/// (raising the version, stamping `updated_at`), a miss answered as a lost race, the row read
/// again, and the audit entry with the row before and after, all in the transaction.
pub(crate) struct RowUpdate<E: Versioned> {
    id: i64,
    statement: UpdateStatement,
    miss: Option<AppError>,
    unique: Option<(&'static str, &'static str)>,
    _table: std::marker::PhantomData<E>,
}

/// How the audit log names a change.
pub(crate) struct Audited<'a> {
    pub operation: &'a str,
    pub entity: &'a str,
    pub unit: UnitId,
}

impl<E: Versioned> RowUpdate<E> {
    pub fn new(id: i64) -> RowUpdate<E> {
        let mut statement = Query::update();
        statement
            .table(E::default())
            .value(E::version(), Expr::col(E::version()).add(1))
            .and_where(Expr::col(E::id()).eq(id));
        if let Some(column) = E::updated_at() {
            statement.value(column, Utc::now());
        }
        RowUpdate {
            id,
            statement,
            miss: None,
            unique: None,
            _table: std::marker::PhantomData,
        }
    }

    pub fn set(mut self, column: E::Column, value: impl Into<Expr>) -> Self {
        self.statement.value(column, value);
        self
    }

    /// With an expected version, the row must still be at it (a concurrent change makes the
    /// update miss, and the caller gets `CONFLICT`); without one, the last write wins.
    pub fn at_version(mut self, expected: Option<i32>) -> Self {
        if let Some(version) = expected {
            self.statement
                .and_where(Expr::col(E::version()).eq(version));
        }
        self
    }

    /// Another condition the row must still meet; when it does not, `miss` is the answer.
    pub fn only_if(mut self, condition: Expr, miss: AppError) -> Self {
        self.statement.and_where(condition);
        self.miss = Some(miss);
        self
    }

    /// A unique constraint the change may break, answered as `CONFLICT` on `field`.
    pub fn unique(mut self, field: &'static str, message: &'static str) -> Self {
        self.unique = Some((field, message));
        self
    }

    /// Runs the change, reads the row again with `reread` and records both versions.
    pub async fn run<T: Serialize>(
        self,
        tx: &mut Tx,
        audited: Audited<'_>,
        before: &T,
        reread: impl for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, Result<T>>,
    ) -> Result<T> {
        let unique = self.unique;
        let changed = query::execute(&tx.txn, &self.statement)
            .await
            .map_err(|e| match unique {
                Some((field, message)) => conflict_on_unique(e, field, message),
                None => e.into(),
            })?;
        if changed == 0 {
            return Err(self.miss.unwrap_or_else(|| stale(E::NOUN, None)));
        }
        let after = reread(&tx.txn).await?;
        tx.audit(
            audited.operation,
            audited.entity,
            self.id,
            audited.unit,
            Some(before),
            Some(&after),
        )
        .await?;
        Ok(after)
    }
}

/// A boxed future borrowing the transaction, for [`RowUpdate::run`]'s re-read.
pub(crate) type BoxFuture<'t, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 't>>;

/// Inserts one row and returns its id; a unique constraint it breaks is `CONFLICT` on the
/// field `unique` names.
pub(crate) async fn insert<A>(tx: &Tx, row: A, unique: Option<(&str, &str)>) -> Result<i64>
where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    <<A::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType: Into<i64>,
{
    let inserted = <A::Entity as EntityTrait>::insert(row)
        .exec(&tx.txn)
        .await
        .map_err(|e| match unique {
            Some((field, message)) => conflict_on_unique(e, field, message),
            None => e.into(),
        })?;
    Ok(inserted.last_insert_id.into())
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
    fn only_edits_of_uncounted_fields_leave_the_figures() {
        let team = r#"{"id":1,"unitId":5,"name":"Tổ 1","status":"ACTIVE","version":1}"#;
        let renamed = r#"{"id":1,"unitId":5,"name":"Tổ 2","status":"ACTIVE","version":2}"#;
        let moved = r#"{"id":1,"unitId":6,"name":"Tổ 1","status":"ACTIVE","version":2}"#;
        let dissolved = r#"{"id":1,"unitId":5,"name":"Tổ 1","status":"DISSOLVED","version":2}"#;
        let unknown = r#"{"id":1,"unitId":5,"name":"Tổ 1","status":"ACTIVE","newField":1}"#;
        assert!(!figures_may_move(Some(team), Some(renamed)));
        assert!(figures_may_move(Some(team), Some(moved)));
        assert!(figures_may_move(Some(team), Some(dissolved)));
        assert!(figures_may_move(Some(team), Some(unknown)));
        assert!(figures_may_move(None, Some(team)));
        assert!(figures_may_move(Some(team), None));
    }

    #[test]
    fn the_common_unit_is_the_deepest_shared_ancestor() {
        assert_eq!(common_unit(["/1/2/5/", "/1/2/7/9/"]), Some(UnitId(2)));
        assert_eq!(common_unit(["/1/2/5/"]), Some(UnitId(5)));
        assert_eq!(common_unit(["/1/2/", "/3/4/"]), None);
        assert_eq!(common_unit(Vec::<&str>::new()), None);
    }
}
