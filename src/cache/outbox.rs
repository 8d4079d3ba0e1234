//! Changes the shared cache must hear of, kept in the database with the change itself, and the
//! lease under which a replica trusts what Redis holds.
//!
//! Every write raises `change_seq` of the counter rows it recounts, in its own transaction
//! (`domain::counters`): a unit whose `change_seq` is above its `delivered_seq` has a change
//! Redis may not have heard of. The replica that wrote bumps Redis after the commit and then
//! marks the change delivered. When Redis did not take it, the change stays owed in the
//! database, and whichever replica next can (each checks every [`CHECK_EVERY`]) delivers it.
//!
//! A replica reads cached values from Redis only under a lease: a check that began at most
//! [`LEASE`] ago found nothing owed, or delivered all of it. A replica whose Redis did not answer
//! loses its lease, and so does one that cannot read the database. And a writer whose change
//! Redis did not take waits out one lease before it answers. So once a mutation has answered,
//! every replica's lease dates from a check that saw the change owed (and delivered it before
//! trusting Redis again), or has lapsed: no replica serves a value cached before the change.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::Cache;
use crate::db::Db;
use crate::domain::counters::{self, Owed};
use crate::domain::units;

/// How often each replica looks for changes owed to the shared cache.
pub const CHECK_EVERY: Duration = Duration::from_millis(250);

/// How long a check that found nothing owed lets a replica trust Redis.
pub const LEASE: Duration = Duration::from_secs(1);

/// How many owed units one check delivers.
const BATCH: u64 = 1_000;

/// Since when, if at all, this replica may trust Redis.
#[derive(Default)]
pub struct Lease {
    until: Mutex<Option<Instant>>,
}

impl Lease {
    pub fn trusted(&self) -> bool {
        self.until
            .lock()
            .map(|u| u.is_some_and(|t| Instant::now() < t))
            .unwrap_or(false)
    }

    /// Trust until one lease after `checked`, the moment the check that allows it began.
    fn renew(&self, checked: Instant) {
        if let Ok(mut until) = self.until.lock() {
            *until = Some(checked + LEASE);
        }
    }

    pub(super) fn revoke(&self) {
        if let Ok(mut until) = self.until.lock() {
            *until = None;
        }
    }
}

/// Delivers what is owed and renews the lease when nothing is left. Answers whether it did.
pub async fn settle(db: &Db, cache: &Cache) -> bool {
    let checked = Instant::now();
    loop {
        let owed = match counters::owed(&db.conn, BATCH).await {
            Ok(owed) => owed,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the changes owed to the cache");
                cache.lease.revoke();
                return false;
            }
        };
        if owed.is_empty() {
            cache.lease.renew(checked);
            return true;
        }
        if !deliver(db, cache, &owed).await {
            return false;
        }
        if (owed.len() as u64) < BATCH {
            cache.lease.renew(checked);
            return true;
        }
    }
}

/// Tells the cache of these changes and, once it took them, marks them delivered.
pub async fn deliver(db: &Db, cache: &Cache, owed: &[Owed]) -> bool {
    let ids: Vec<_> = owed.iter().map(|o| o.unit).collect();
    let paths = match units::paths_of(&db.conn, &ids).await {
        Ok(paths) => paths,
        Err(err) => {
            tracing::warn!(error = ?err, "cannot read the paths of changed units");
            cache.lease.revoke();
            return false;
        }
    };
    if !cache.invalidate(&paths).await {
        return false;
    }
    if let Err(err) = counters::delivered(&db.conn, owed).await {
        // Delivered all the same; the next check delivers it again, which is harmless.
        tracing::warn!(error = %err, "cannot mark changes delivered to the cache");
    }
    true
}

/// Checks every [`CHECK_EVERY`] for as long as the cache is in use. Its statements are not
/// counted with the requests' (see `Db::uncounted`).
pub fn spawn(db: Db, cache: &Arc<Cache>) {
    let cache: Weak<Cache> = Arc::downgrade(cache);
    tokio::spawn(crate::db::uncounted(async move {
        let mut ticks = tokio::time::interval(CHECK_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(cache) = cache.upgrade() else {
                return;
            };
            settle(&db, &cache).await;
        }
    }));
}
