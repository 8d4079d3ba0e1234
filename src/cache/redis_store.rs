//! The Redis store, shared by every replica, with a timeout on each call and a circuit that
//! stops waiting on a Redis that failed until it is tried again. A change whose invalidation
//! could not reach Redis marks the store dirty: before Redis is trusted again, the global
//! counter is bumped, so no value cached before the change can be served after it.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde::Serialize;
use serde::de::DeserializeOwned;

mod calls;

use calls::*;

use super::{CacheSettings, CacheStats};
use crate::domain::UnitId;

/// How often, at most, a Redis failure is logged.
const WARN_EVERY: Duration = Duration::from_secs(10);

pub struct RedisStore {
    manager: ConnectionManager,
    prefix: String,
    timeout: Duration,
    retry_after: Duration,
    /// While set, Redis is not called.
    open_until: Mutex<Option<Instant>>,
    dirty: AtomicBool,
    stats: Arc<CacheStats>,
    last_warning: Mutex<Option<Instant>>,
}

impl RedisStore {
    pub fn new(
        url: &str,
        settings: &CacheSettings,
        stats: Arc<CacheStats>,
    ) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("REDIS_URL is not a Redis URL: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(settings.timeout.max(Duration::from_millis(200))))
            .set_response_timeout(Some(settings.timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(10))
            .set_max_delay(Duration::from_millis(200));
        // Lazy: the gateway starts, and serves from the database, while Redis is away.
        let manager = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| anyhow::anyhow!("REDIS_URL: {e}"))?;
        Ok(RedisStore {
            manager,
            prefix: settings.prefix.clone(),
            timeout: settings.timeout,
            retry_after: settings.retry_after,
            open_until: Mutex::new(None),
            dirty: AtomicBool::new(false),
            stats,
            last_warning: Mutex::new(None),
        })
    }

    pub fn circuit(&self) -> &'static str {
        if self.is_open() { "open" } else { "closed" }
    }

    fn is_open(&self) -> bool {
        match self.open_until.lock() {
            Ok(until) => until.is_some_and(|t| Instant::now() < t),
            Err(_) => false,
        }
    }

    fn key(&self, rest: &str) -> String {
        format!("{}:{rest}", self.prefix)
    }

    fn global_key(&self) -> String {
        self.key("gen:global")
    }

    fn accounts_key(&self) -> String {
        self.key("gen:accounts")
    }

    fn unit_key(&self, unit: UnitId) -> String {
        self.key(&format!("gen:unit:{}", unit.0))
    }

    /// Runs one command (or pipeline) within the timeout; a failure opens the circuit.
    async fn call<T: redis::FromRedisValue>(
        &self,
        what: &str,
        command: impl RedisCall<T>,
    ) -> Option<T> {
        if self.is_open() {
            return None;
        }
        let mut conn = self.manager.clone();
        let outcome = tokio::time::timeout(self.timeout, command.run(&mut conn)).await;
        match outcome {
            Ok(Ok(value)) => {
                if let Ok(mut until) = self.open_until.lock()
                    && until.take().is_some()
                {
                    tracing::info!("Redis answers again: caching resumed");
                }
                Some(value)
            }
            Ok(Err(err)) => {
                self.failed(what, &err.to_string());
                None
            }
            Err(_) => {
                self.failed(what, &format!("no answer within {:?}", self.timeout));
                None
            }
        }
    }

    fn failed(&self, what: &str, error: &str) {
        self.stats.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut until) = self.open_until.lock() {
            *until = Some(Instant::now() + self.retry_after);
        }
        let now = Instant::now();
        let due = match self.last_warning.lock() {
            Ok(mut last) => {
                let due = last.is_none_or(|t| now.duration_since(t) >= WARN_EVERY);
                if due {
                    *last = Some(now);
                }
                due
            }
            Err(_) => true,
        };
        if due {
            tracing::warn!(
                operation = what,
                error,
                "Redis unavailable: answering from the database, retrying in {:?}",
                self.retry_after
            );
        }
    }

    /// The global counter and `other`, or `None` when Redis cannot be trusted now.
    async fn global_and(&self, other: String) -> Option<(u64, u64)> {
        let (global, others) = self.global_and_all(vec![other]).await?;
        Some((global, others.first().copied().unwrap_or(0)))
    }

    /// The global counter and each of `others` (0 for one never set), in one call; `None`
    /// when Redis cannot be trusted now.
    async fn global_and_all(&self, others: Vec<String>) -> Option<(u64, Vec<u64>)> {
        if self.dirty.load(Ordering::SeqCst) {
            // A change could not invalidate while Redis was away: start afresh first.
            self.bump_global_now().await?;
            self.dirty.store(false, Ordering::SeqCst);
            tracing::info!("Redis back after a missed invalidation: every cached value dropped");
        }
        let wanted = others.len();
        let mut keys = Vec::with_capacity(wanted + 1);
        keys.push(self.global_key());
        keys.extend(others);
        let values: Vec<Option<u64>> = self.call("read versions", Mget(keys)).await?;
        let global = match values.first().copied().flatten() {
            Some(g) => g,
            None => self.start_global().await?,
        };
        let others = (0..wanted)
            .map(|i| values.get(i + 1).copied().flatten().unwrap_or(0))
            .collect();
        Some((global, others))
    }

    /// The global counter and those of these units, or `None` when Redis cannot be trusted.
    pub async fn versions_of(&self, units: &[UnitId]) -> Option<(u64, Vec<u64>)> {
        let keys = units.iter().map(|u| self.unit_key(*u)).collect();
        self.global_and_all(keys).await
    }

    /// The global and the accounts counters, or `None` when Redis cannot be trusted now.
    pub async fn epoch(&self) -> Option<(u64, u64)> {
        self.global_and(self.accounts_key()).await
    }

    /// Whether Redis took the change of an account.
    pub async fn bump_accounts(&self) -> bool {
        let done: Option<Vec<i64>> = self
            .call("announce account change", Incr(vec![self.accounts_key()]))
            .await;
        done.is_some()
    }

    /// A Redis without a global counter (new, or restarted empty) starts it at the current
    /// time in milliseconds, so that keys from before a restart can never be read again.
    async fn start_global(&self) -> Option<u64> {
        let epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(1);
        let key = self.global_key();
        let _: Option<bool> = self.call("start versions", SetNx(key.clone(), epoch)).await;
        self.call("read versions", Get(key)).await.flatten()
    }

    async fn bump_global_now(&self) -> Option<()> {
        let _: Vec<i64> = self
            .call("invalidate all", Incr(vec![self.global_key()]))
            .await?;
        Some(())
    }

    /// Whether Redis took the change.
    pub async fn bump_global(&self) -> bool {
        let done = self.bump_global_now().await.is_some();
        if !done {
            self.dirty.store(true, Ordering::SeqCst);
        }
        done
    }

    /// Whether Redis took the change.
    pub async fn bump(&self, units: &[UnitId]) -> bool {
        let keys: Vec<String> = units.iter().map(|u| self.unit_key(*u)).collect();
        let done: Option<Vec<i64>> = self.call("invalidate", Incr(keys)).await;
        if done.is_none() {
            self.dirty.store(true, Ordering::SeqCst);
        }
        done.is_some()
    }

    /// Reserves one attempt for each subject (a key and its threshold), unless one of them
    /// is locked: the attempt is counted before it is made, so that attempts sent at once
    /// cannot all pass before the first failure is known. From a subject's threshold on, it is
    /// locked for `first`, doubled with each further attempt, at most `max`. `Some(Some(wait))`
    /// for a refusal, `Some(None)` for a reservation, `None` when Redis cannot answer now.
    pub async fn reserve_attempt(
        &self,
        subjects: &[(String, u32)],
        window: Duration,
        first: Duration,
        max: Duration,
    ) -> Option<Option<Duration>> {
        let call = Attempt {
            keys: self.attempt_keys(subjects.iter().map(|(k, _)| k.as_str())),
            args: [window, first, max]
                .iter()
                .map(|d| d.as_millis() as u64)
                .chain(subjects.iter().map(|(_, t)| u64::from(*t)))
                .collect(),
            script: RESERVE_ATTEMPT,
        };
        let locked: i64 = self.call("reserve a sign-in attempt", call).await?;
        Some((locked < 0).then(|| Duration::from_millis(locked.unsigned_abs())))
    }

    /// Takes back a reserved attempt: for `cleared` subjects the count and lock are dropped
    /// (a successful sign-in); `uncounted` ones (a key and its threshold) count one attempt
    /// less, and lose the lock the attempt set when they fall below their threshold.
    pub async fn release_attempt(&self, cleared: &[String], uncounted: &[(String, u32)]) {
        let keys = cleared
            .iter()
            .map(String::as_str)
            .chain(uncounted.iter().map(|(k, _)| k.as_str()));
        let call = Attempt {
            keys: self.attempt_keys(keys),
            args: std::iter::once(cleared.len() as u64)
                .chain(uncounted.iter().map(|(_, t)| u64::from(*t)))
                .collect(),
            script: RELEASE_ATTEMPT,
        };
        let _: Option<i64> = self.call("release a sign-in attempt", call).await;
    }

    /// Each subject's counter and lock keys, in turn.
    fn attempt_keys<'a>(&self, subjects: impl Iterator<Item = &'a str>) -> Vec<String> {
        subjects
            .flat_map(|k| [self.key(k), self.key(&format!("{k}:lock"))])
            .collect()
    }

    /// Counts one more under `key`, which lives `ttl` from its last count; the new count, or
    /// `None` when Redis could not be asked.
    pub async fn count(&self, key: &str, ttl: Duration) -> Option<u64> {
        let counted: Vec<i64> = self
            .call(
                "count",
                IncrExpire(self.key(&format!("n:{key}")), ttl.as_secs().max(1)),
            )
            .await?;
        counted.first().map(|n| *n as u64)
    }

    pub async fn get<V: DeserializeOwned>(&self, key: &str) -> Option<V> {
        let raw: Option<Vec<u8>> = self
            .call("read", Get(self.key(&format!("v:{key}"))))
            .await
            .flatten();
        let raw = raw?;
        match serde_json::from_slice(&raw) {
            Ok(value) => Some(value),
            Err(err) => {
                // Garbage under our key: count it, recompute, and the store overwrites it.
                self.stats.errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(key, %err, "unreadable cached value ignored");
                None
            }
        }
    }

    pub async fn set<V: Serialize>(&self, key: &str, value: &V, ttl: Duration) {
        let Ok(raw) = serde_json::to_vec(value) else {
            return;
        };
        let _: Option<()> = self
            .call(
                "store",
                SetEx(self.key(&format!("v:{key}")), raw, ttl.as_secs().max(1)),
            )
            .await;
    }
}
