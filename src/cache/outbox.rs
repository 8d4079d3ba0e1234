//! Changes the shared cache must hear of, kept in the database with the change itself, and the
//! lease under which a replica trusts what Redis holds.
//!
//! Every write raises `change_seq` of the counter rows it recounts, in its own transaction
//! (`domain::counters`): a unit whose `change_seq` is above its `delivered_seq` has a change
//! Redis may not have heard of. The replica that wrote bumps Redis after the commit, and its
//! next check marks the change delivered. When Redis did not take it, the change stays owed,
//! and whichever replica next can (each checks every [`CHECK_EVERY`]) delivers it. Another
//! replica that finds a change owed before the writer marked it delivers it again: one more bump
//! of the same generations, which costs a cached value, never a stale one.
//!
//! A replica reads cached values from Redis only under a lease: a check that began at most
//! [`LEASE`] ago found nothing owed, or delivered all of it. A replica whose Redis did not answer
//! loses its lease, and so does one that cannot read the database. And a writer whose change
//! Redis did not take waits out one lease before it answers. So once a mutation has answered,
//! every replica's lease dates from a check that saw the change owed (and delivered it before
//! trusting Redis again), or has lapsed: no replica serves a value cached before the change.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::Cache;
use crate::db::Db;
use crate::domain::counters::{self, Owed};
use crate::domain::{UnitId, units};

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

/// Changes this replica delivered itself, right after making them, and has yet to mark
/// delivered in the database: the next check marks them all in one statement instead of each
/// write spending a statement of its own (on a row other writers of its village wait for).
#[derive(Default)]
pub struct Delivered {
    seqs: Mutex<BTreeMap<UnitId, i64>>,
}

impl Delivered {
    pub fn remember(&self, owed: &[Owed]) {
        if let Ok(mut seqs) = self.seqs.lock() {
            for o in owed {
                let seq = seqs.entry(o.unit).or_default();
                *seq = (*seq).max(o.seq);
            }
        }
    }

    /// Whether this replica already delivered `owed` (or a later change of its unit).
    fn has(&self, owed: &Owed) -> bool {
        self.seqs
            .lock()
            .map(|s| s.get(&owed.unit).is_some_and(|seq| *seq >= owed.seq))
            .unwrap_or(false)
    }

    /// Forgets what is marked now (of `owed`, the units in `marked`; a row a writer held was
    /// skipped, and stays remembered until a later check marks it).
    fn forget(&self, owed: &[Owed], marked: &[UnitId]) {
        if let Ok(mut seqs) = self.seqs.lock() {
            for o in owed.iter().filter(|o| marked.contains(&o.unit)) {
                if seqs.get(&o.unit).is_some_and(|seq| *seq <= o.seq) {
                    seqs.remove(&o.unit);
                }
            }
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
        // What this replica told Redis itself needs only marking.
        let unheard: Vec<Owed> = owed
            .iter()
            .filter(|o| !cache.delivered.has(o))
            .copied()
            .collect();
        if !unheard.is_empty() && !tell(db, cache, &unheard).await {
            return false;
        }
        match counters::delivered(&db.conn, &owed).await {
            Ok(marked) => cache.delivered.forget(&owed, &marked),
            Err(err) => {
                // Delivered all the same; the next check delivers it again, which is harmless.
                tracing::warn!(error = %err, "cannot mark changes delivered to the cache");
                cache.lease.revoke();
                return false;
            }
        }
        if (owed.len() as u64) < BATCH {
            cache.lease.renew(checked);
            return true;
        }
    }
}

/// Tells the cache of these changes: bumps the generations of their units and ancestors.
async fn tell(db: &Db, cache: &Cache, owed: &[Owed]) -> bool {
    let ids: Vec<_> = owed.iter().map(|o| o.unit).collect();
    let paths = match units::paths_of(&db.conn, &ids).await {
        Ok(paths) => paths,
        Err(err) => {
            tracing::warn!(error = ?err, "cannot read the paths of changed units");
            cache.lease.revoke();
            return false;
        }
    };
    cache.invalidate(&paths).await
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
