//! Cached aggregates. Values are stored under keys that carry generation counters: a global
//! one and one per unit. A change increments the counters of its unit and of every ancestor
//! before the mutation answers, so readers from then on look under new keys; a reader that
//! computed from the database before the change can only store its value under a key nobody
//! reads any more. A TTL bounds whatever is left behind.
//!
//! Two stores keep the counters and values: Redis, shared by every replica, or this process
//! alone. Either way an in-process layer holds decoded values (keyed by the same versioned
//! keys) and makes concurrent misses on one key compute once.
//!
//! With Redis, each replica also remembers the records every request needs (the caller's
//! account, units by code) under an [`Epoch`] of two more counters, so that a cached answer
//! needs no SQL at all (`memo.rs`).

mod local;
mod memo;
pub mod outbox;
mod redis_store;

use std::any::Any;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::authz::Principal;
use crate::domain::units::Unit;
use crate::domain::{UnitId, UserId};
use crate::error::{AppError, Result};
use local::LocalStore;
pub use memo::{Epoch, Memo};
pub use redis_store::RedisStore;

/// A key bound to the type of its value.
pub trait CacheKey {
    type Value: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// The unit whose subtree the value summarises: its counter versions the key.
    fn unit(&self) -> UnitId;
    /// What is cached, without versions: `totals:42`.
    fn name(&self) -> String;
}

/// Settings of the cache.
#[derive(Clone, Debug)]
pub struct CacheSettings {
    /// `redis://…`; none: this process only.
    pub redis_url: Option<String>,
    /// Prepended to every Redis key, so that deployments (and test runs) sharing a Redis never
    /// see each other's data.
    pub prefix: String,
    pub ttl: Duration,
    /// The longest a Redis call may take before the database answers instead.
    pub timeout: Duration,
    /// How long Redis is left alone after it failed, before one call tries it again.
    pub retry_after: Duration,
    /// Off: every read computes from the database (for measuring, or to rule the cache out).
    pub enabled: bool,
}

impl CacheSettings {
    pub fn in_process() -> CacheSettings {
        CacheSettings {
            redis_url: None,
            prefix: "sg".to_owned(),
            ttl: Duration::from_secs(600),
            timeout: Duration::from_millis(50),
            retry_after: Duration::from_secs(2),
            enabled: true,
        }
    }
}

/// Counts of what the cache did, for logs and `/metrics`.
#[derive(Default)]
pub struct CacheStats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub errors: AtomicU64,
    /// Reads answered straight from the database because the store was unavailable.
    pub bypassed: AtomicU64,
}

enum Store {
    Local(LocalStore),
    Redis(RedisStore),
    Disabled,
}

type Decoded = Arc<dyn Any + Send + Sync>;

/// Waits between computing a value and storing it: lets a test hold a reader there.
pub type StoreHook =
    Arc<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

pub struct Cache {
    store: Store,
    decoded: moka::future::Cache<String, Decoded>,
    /// The versioned key each name was last stored under: a value superseded by a change is
    /// dropped when its successor is stored, rather than kept until the TTL (under a stream of
    /// changes, a province's totals would otherwise pile up one copy per change).
    latest: std::sync::Mutex<std::collections::HashMap<String, String>>,
    ttl: Duration,
    pub stats: Arc<CacheStats>,
    before_store: std::sync::RwLock<Option<StoreHook>>,
    /// Signed-in accounts by id, as [`crate::domain::users::principal`] reads them.
    pub principals: Memo<UserId, Principal>,
    /// Current units by code.
    pub units: Memo<String, Unit>,
    /// Whether Redis may be trusted now (see `outbox.rs`).
    pub(crate) lease: outbox::Lease,
    /// Changes this replica told the store of, to be marked delivered.
    pub(crate) delivered: outbox::Delivered,
}

/// The counter of the whole country: every change moves it, with its units' own.
pub const COUNTRY: UnitId = UnitId(0);

/// How long a remembered account or unit may be used at most, whatever the epoch says: the
/// bound on how late a change is seen when its announcement could not reach Redis.
pub const MEMO_TTL: Duration = Duration::from_secs(60);

impl Cache {
    pub fn new(settings: &CacheSettings) -> anyhow::Result<Cache> {
        let stats = Arc::new(CacheStats::default());
        let store = match &settings.redis_url {
            _ if !settings.enabled => Store::Disabled,
            Some(url) => Store::Redis(RedisStore::new(url, settings, stats.clone())?),
            None => Store::Local(LocalStore::default()),
        };
        Ok(Cache {
            store,
            decoded: moka::future::Cache::builder()
                .max_capacity(20_000)
                .time_to_live(settings.ttl)
                .build(),
            latest: std::sync::Mutex::new(std::collections::HashMap::new()),
            ttl: settings.ttl,
            stats,
            before_store: std::sync::RwLock::new(None),
            principals: Memo::new(50_000, MEMO_TTL),
            units: Memo::new(20_000, MEMO_TTL),
            lease: outbox::Lease::default(),
            delivered: outbox::Delivered::default(),
        })
    }

    pub fn backend(&self) -> &'static str {
        match self.store {
            Store::Local(_) => "in-process",
            Store::Redis(_) => "redis",
            Store::Disabled => "disabled",
        }
    }

    /// For tests: run `hook` after a value was computed and before it is stored.
    pub fn set_before_store(&self, hook: Option<StoreHook>) {
        if let Ok(mut slot) = self.before_store.write() {
            *slot = hook;
        }
    }

    /// The circuit state of the Redis store: `closed` (in use), `open` (skipped for now).
    pub fn circuit(&self) -> &'static str {
        match &self.store {
            Store::Local(_) | Store::Disabled => "none",
            Store::Redis(redis) => redis.circuit(),
        }
    }

    /// The cached value of `key`, or `compute`'s, stored for the next reader. If the store
    /// cannot be reached the value is computed and nothing is stored; the read never fails
    /// because of the cache.
    pub async fn get_or_compute<K, F>(&self, key: &K, compute: F) -> Result<Arc<K::Value>>
    where
        K: CacheKey,
        F: Future<Output = Result<K::Value>>,
    {
        if let Store::Disabled = self.store {
            return compute.await.map(Arc::new);
        }
        let versions = self.versions_of(&[key.unit()]).await;
        let Some((global, unit)) =
            versions.map(|(global, units)| (global, units.first().copied().unwrap_or(0)))
        else {
            self.stats.bypassed.fetch_add(1, Ordering::Relaxed);
            return compute.await.map(Arc::new);
        };
        let full = format!("{}:{global}:{unit}", key.name());
        if let Some(found) = self.decoded.get(&full).await
            && let Ok(value) = found.downcast::<K::Value>()
        {
            self.stats.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(value);
        }
        // One computation per key at a time in this process; the others wait for its result.
        let loaded = self
            .decoded
            .try_get_with(full.clone(), async {
                if let Store::Redis(redis) = &self.store
                    && let Some(value) = redis.get::<K::Value>(&full).await
                {
                    self.stats.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok::<Decoded, AppError>(Arc::new(value));
                }
                self.stats.misses.fetch_add(1, Ordering::Relaxed);
                let value = compute.await?;
                let hook = self.before_store.read().ok().and_then(|h| h.clone());
                if let Some(hook) = hook {
                    hook().await;
                }
                if let Store::Redis(redis) = &self.store {
                    redis.set(&full, &value, self.ttl).await;
                }
                Ok(Arc::new(value))
            })
            .await;
        if loaded.is_ok() {
            let superseded = self
                .latest
                .lock()
                .ok()
                .and_then(|mut latest| latest.insert(key.name(), full.clone()))
                .filter(|previous| *previous != full);
            if let Some(previous) = superseded {
                self.decoded.invalidate(&previous).await;
            }
        }
        match loaded {
            Ok(found) => found.downcast::<K::Value>().map_err(|_| {
                AppError::Internal(anyhow::anyhow!("cache entry of another type at {full}"))
            }),
            Err(err) => Err(match Arc::try_unwrap(err) {
                Ok(err) => err,
                Err(shared) => AppError::Internal(anyhow::anyhow!("{}", shared.message())),
            }),
        }
    }

    /// The global counter and the counters of these units (the unit and everything under it
    /// changed when its counter moved; [`COUNTRY`] moves with every change), read before the
    /// values they version are; `None` when nothing may be cached now.
    pub async fn versions_of(&self, units: &[UnitId]) -> Option<(u64, Vec<u64>)> {
        match &self.store {
            Store::Local(local) => Some(local.versions_of(units)),
            Store::Redis(redis) if self.lease.trusted() => redis.versions_of(units).await,
            // A change may be owed to Redis: the database answers until it is delivered.
            Store::Redis(_) | Store::Disabled => None,
        }
    }

    /// The epoch to check remembered accounts and units against, or `None` when nothing may be
    /// remembered: the store is not shared between processes (so a change made by the command
    /// line would go unseen), or Redis does not answer now.
    pub async fn epoch(&self) -> Option<Epoch> {
        match &self.store {
            Store::Redis(redis) if self.lease.trusted() => redis
                .epoch()
                .await
                .map(|(global, accounts)| Epoch { global, accounts }),
            Store::Redis(_) | Store::Local(_) | Store::Disabled => None,
        }
    }

    /// Announces that an account or its assignments changed, so that no replica goes on using
    /// what it remembered of it. Answers whether the store took it.
    pub async fn accounts_changed(&self) -> bool {
        match &self.store {
            Store::Redis(redis) => redis.bump_accounts().await,
            Store::Local(_) | Store::Disabled => true,
        }
    }

    /// Makes every cached value of these units' subtrees unreachable: bumps the counter of
    /// each unit on the paths (the unit and all its ancestors). Answers whether the store took
    /// it; when Redis did not, this replica stops trusting it until what is owed is delivered.
    pub async fn invalidate(&self, paths: &[String]) -> bool {
        let mut units: Vec<UnitId> = paths
            .iter()
            .flat_map(|p| p.split('/').filter_map(|s| s.parse().ok()).map(UnitId))
            .collect();
        if units.is_empty() {
            return true;
        }
        // The country above them all.
        units.push(COUNTRY);
        units.sort();
        units.dedup();
        match &self.store {
            Store::Local(local) => local.bump(&units),
            Store::Redis(redis) => {
                if !redis.bump(&units).await {
                    self.lease.revoke();
                    return false;
                }
            }
            Store::Disabled => {}
        }
        true
    }

    /// Makes every cached value unreachable (after the unit tree itself changed). Answers
    /// whether the store took it; if not, this process starts afresh once the store is back.
    pub async fn invalidate_all(&self) -> bool {
        let done = match &self.store {
            Store::Local(local) => {
                local.bump_global();
                true
            }
            Store::Redis(redis) => redis.bump_global().await,
            Store::Disabled => true,
        };
        self.decoded.invalidate_all();
        if let Ok(mut latest) = self.latest.lock() {
            latest.clear();
        }
        done
    }
}

/// `totals` of a unit.
pub struct TotalsKey(pub UnitId);

impl CacheKey for TotalsKey {
    type Value = crate::domain::totals::Totals;

    fn unit(&self) -> UnitId {
        self.0
    }

    fn name(&self) -> String {
        format!("totals:{}", self.0.0)
    }
}

/// Sums of approved result reports of a unit's subtree for a period.
pub struct ResultsKey(pub UnitId, pub String);

impl CacheKey for ResultsKey {
    type Value = crate::domain::totals::ResultTotals;

    fn unit(&self) -> UnitId {
        self.0
    }

    fn name(&self) -> String {
        format!("results:{}:{}", self.0.0, self.1)
    }
}

/// Approved results of each unit directly below a unit, for a period: a leader's table of
/// communes. Any change under the unit moves its version.
pub struct ChildResultsKey(pub UnitId, pub String);

impl CacheKey for ChildResultsKey {
    type Value = std::collections::HashMap<i64, crate::domain::totals::ResultTotals>;

    fn unit(&self) -> UnitId {
        self.0
    }

    fn name(&self) -> String {
        format!("child-results:{}:{}", self.0.0, self.1)
    }
}

/// Approved results of a unit's subtree month by month, from one month to another.
pub struct SeriesKey(pub UnitId, pub String, pub String);

impl CacheKey for SeriesKey {
    type Value = Vec<crate::domain::totals::ResultTotals>;

    fn unit(&self) -> UnitId {
        self.0
    }

    fn name(&self) -> String {
        format!("series:{}:{}:{}", self.0.0, self.1, self.2)
    }
}

/// The after-commit hook that invalidates the totals of every unit a change touched, and of
/// all their ancestors (the paths were read with the change's counter locks).
pub struct Invalidator {
    pub cache: Arc<Cache>,
}

impl crate::hooks::AfterCommit for Invalidator {
    fn committed<'a>(
        &'a self,
        change: &'a crate::domain::write::Committed,
    ) -> crate::hooks::HookFuture<'a> {
        Box::pin(async move {
            if change.paths.is_empty() {
                return;
            }
            if self.cache.invalidate(&change.paths).await {
                // Marked delivered in the database by this replica's next check.
                self.cache.delivered.remember(&change.owed);
            } else {
                // Redis did not take it: the change stays owed in the database, and is
                // delivered by the next replica that can. Answering only after one lease
                // means no replica still trusts Redis from before this change.
                tokio::time::sleep(outbox::LEASE + Duration::from_millis(50)).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value is stored under its unit's generation; after a change, the value stored under
    /// the new generation replaces it in memory instead of sitting beside it until the TTL.
    #[tokio::test]
    async fn a_superseded_value_is_dropped_when_its_successor_is_stored() {
        let cache = Cache::new(&CacheSettings::in_process()).unwrap();
        let key = ResultsKey(UnitId(7), "2026-10".to_owned());
        let figures = |reports| crate::domain::totals::ResultTotals {
            period: "2026-10".to_owned(),
            reports,
            ..Default::default()
        };
        for (round, reports) in [(0, 1), (1, 2), (2, 3)] {
            if round > 0 {
                assert!(cache.invalidate(&["/3/7/".to_owned()]).await);
            }
            let got = cache
                .get_or_compute(&key, async { Ok(figures(reports)) })
                .await
                .unwrap();
            assert_eq!(got.reports, reports, "the value of this generation");
            let again = cache
                .get_or_compute(&key, async { Ok(figures(-1)) })
                .await
                .unwrap();
            assert_eq!(again.reports, reports, "served from memory");
            cache.decoded.run_pending_tasks().await;
            assert_eq!(cache.decoded.entry_count(), 1, "one value kept per name");
        }
    }
}
