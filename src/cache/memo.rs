//! Small records every request needs (the caller's account, a unit looked up by its code),
//! remembered between requests. Each entry carries the [`Epoch`] it was read under and is used
//! only while the shared store still reports that epoch, so a change announced by any process
//! (a unit import, an account disabled from the command line) is seen by every replica on its
//! next request. Without a shared store there is no epoch and nothing is remembered.

use std::future::Future;
use std::hash::Hash;
use std::time::Duration;

use crate::error::Result;

/// The counters that version what replicas remember between requests: the global generation
/// (bumped when the unit tree changes or an invalidation was missed) and the accounts
/// generation (bumped when an account or its assignments change).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Epoch {
    pub global: u64,
    pub accounts: u64,
}

pub struct Memo<K, V> {
    entries: moka::sync::Cache<K, (Epoch, V)>,
}

impl<K, V> Memo<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// `ttl` bounds how long an entry lives even if its epoch never changes: the backstop for
    /// a change whose announcement could not reach the store.
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        Memo {
            entries: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
        }
    }

    /// The remembered value of `key` if it was read under `epoch`; otherwise `load`'s, which
    /// is remembered when it is `Some` and there is an epoch.
    pub async fn get_or_load<F>(&self, epoch: Option<Epoch>, key: K, load: F) -> Result<Option<V>>
    where
        F: Future<Output = Result<Option<V>>>,
    {
        let Some(epoch) = epoch else {
            return load.await;
        };
        if let Some((seen, value)) = self.entries.get(&key)
            && seen == epoch
        {
            return Ok(Some(value));
        }
        let loaded = load.await?;
        if let Some(value) = &loaded {
            self.entries.insert(key, (epoch, value.clone()));
        }
        Ok(loaded)
    }
}
