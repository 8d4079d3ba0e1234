//! Sign-in that cannot be farmed: failed attempts counted per account and per client address,
//! and password hashing on a small pool of its own.
//!
//! After a few failures within the window, an account (or an address) is locked for a delay
//! that doubles with each further failure, up to a ceiling. While locked, every attempt is
//! refused before any password is checked, the right one included, and an account that does
//! not exist is counted and locked like one that does, so the answers tell nothing apart.
//! With Redis the counts are shared by every replica; without it, or while it is away, each
//! process counts for itself.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::cache::RedisStore;
use crate::error::{AppError, Result};

/// The thresholds and delays of sign-in.
#[derive(Clone, Copy, Debug)]
pub struct SignInRules {
    /// Failures for one account before it is locked.
    pub account_failures: u32,
    /// Failures from one address before it is locked.
    pub address_failures: u32,
    /// How long failures are remembered after the last one.
    pub window: Duration,
    /// The first lock; each further failure doubles it.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// Passwords checked at once; the rest wait up to `hashing_wait`.
    pub hashing_slots: usize,
    pub hashing_wait: Duration,
}

impl Default for SignInRules {
    fn default() -> Self {
        SignInRules {
            account_failures: 5,
            address_failures: 30,
            window: Duration::from_secs(15 * 60),
            first_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(15 * 60),
            hashing_slots: std::thread::available_parallelism().map_or(2, |n| n.get().max(2)),
            hashing_wait: Duration::from_secs(3),
        }
    }
}

impl SignInRules {
    /// The lock after the `failures`-th failure, when `threshold` of them lock.
    fn delay(&self, failures: u32, threshold: u32) -> Option<Duration> {
        let over = failures.checked_sub(threshold)?;
        let factor = 1u32.checked_shl(over.min(20)).unwrap_or(u32::MAX);
        Some(self.first_delay.saturating_mul(factor).min(self.max_delay))
    }
}

/// How a reserved sign-in attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed,
    /// No password was checked.
    NotMade,
}

/// What is counted: an account's name or a client's address.
#[derive(Clone, Copy)]
enum Subject<'a> {
    Account(&'a str),
    Address(IpAddr),
}

impl Subject<'_> {
    fn key(&self) -> String {
        match self {
            Subject::Account(name) => format!("signin:account:{name}"),
            Subject::Address(addr) => format!("signin:address:{addr}"),
        }
    }
}

#[derive(Clone, Copy, Default)]
struct Attempts {
    failures: u32,
    locked_until: Option<Instant>,
}

pub struct SignInGuard {
    rules: SignInRules,
    shared: Option<RedisStore>,
    local: moka::sync::Cache<String, Attempts>,
    hashing: HashingPool,
}

type Job = Box<dyn FnOnce() + Send>;

/// A few threads of their own for password hashing. Each check takes about 19 MiB for a few
/// tens of milliseconds; on the runtime's blocking pool every concurrent sign-in would get a
/// thread (and an allocator arena) of its own, and memory would follow the attackers.
struct HashingPool {
    slots: Arc<Semaphore>,
    jobs: std::sync::mpsc::Sender<Job>,
    wait: Duration,
}

impl HashingPool {
    fn new(threads: usize, wait: Duration) -> HashingPool {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for n in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-{n}"))
                .spawn(move || {
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return, // The guard is gone.
                        }
                    }
                });
            if let Err(err) = spawned {
                tracing::error!(%err, "cannot start a password hashing thread");
            }
        }
        HashingPool {
            slots: Arc::new(Semaphore::new(threads)),
            jobs,
            wait,
        }
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let waiting = self.slots.clone().acquire_owned();
        let slot = match tokio::time::timeout(self.wait, waiting).await {
            Ok(Ok(slot)) => slot,
            Ok(Err(closed)) => return Err(AppError::Internal(closed.into())),
            Err(_) => {
                return Err(AppError::RateLimited {
                    retry_after_secs: 1,
                    message: "too many sign-ins at once: try again in a moment".to_owned(),
                });
            }
        };
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
            drop(slot);
        });
        self.jobs
            .send(job)
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the password threads stopped")))?;
        result
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("a password check was lost")))
    }
}

impl SignInGuard {
    pub fn new(rules: SignInRules, shared: Option<RedisStore>) -> SignInGuard {
        SignInGuard {
            rules,
            shared,
            local: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_idle(rules.window)
                .build(),
            hashing: HashingPool::new(rules.hashing_slots, rules.hashing_wait),
        }
    }

    pub fn rules(&self) -> &SignInRules {
        &self.rules
    }

    /// Counts an attempt for the account and the address before it is made, or refuses it
    /// while either is locked. Counting first means attempts sent at once cannot all pass
    /// before the first of them fails. Every reserved attempt is settled with
    /// [`SignInGuard::settle`].
    pub async fn reserve(&self, account: &str, address: Option<IpAddr>) -> Result<()> {
        let subjects: Vec<(String, u32)> = subjects(account, address)
            .iter()
            .map(|s| (s.key(), self.threshold(s)))
            .collect();
        let shared = match &self.shared {
            Some(redis) => {
                redis
                    .reserve_attempt(
                        &subjects,
                        self.rules.window,
                        self.rules.first_delay,
                        self.rules.max_delay,
                    )
                    .await
            }
            None => None,
        };
        let locked = match shared {
            Some(locked) => locked,
            None => self.reserve_locally(&subjects),
        };
        match locked {
            Some(wait) => Err(AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
                message: "too many failed sign-ins: try again later".to_owned(),
            }),
            None => Ok(()),
        }
    }

    fn threshold(&self, subject: &Subject) -> u32 {
        match subject {
            Subject::Account(_) => self.rules.account_failures,
            Subject::Address(_) => self.rules.address_failures,
        }
    }

    /// The local twin of [`RedisStore::reserve_attempt`]: the wait when locked. Each subject
    /// is checked and counted in one step, so attempts made at once cannot all pass a check
    /// before any of them is counted.
    fn reserve_locally(&self, subjects: &[(String, u32)]) -> Option<Duration> {
        let rules = self.rules;
        for (key, threshold) in subjects {
            let mut locked = None;
            self.local.entry(key.clone()).and_upsert_with(|entry| {
                let mut attempts = entry.map(|e| e.into_value()).unwrap_or_default();
                let now = Instant::now();
                if let Some(until) = attempts.locked_until.filter(|until| *until > now) {
                    locked = Some(until - now);
                    return attempts;
                }
                attempts.failures = attempts.failures.saturating_add(1);
                if let Some(delay) = rules.delay(attempts.failures, *threshold) {
                    attempts.locked_until = Some(now + delay);
                }
                attempts
            });
            if locked.is_some() {
                return locked;
            }
        }
        None
    }

    /// Settles a reserved attempt. A failure stays counted. A success clears the account and
    /// uncounts the address (people behind one address sign in too); an attempt that was not
    /// made (the hashing pool was busy) is uncounted for both.
    pub async fn settle(&self, account: &str, address: Option<IpAddr>, outcome: Outcome) {
        let keys: Vec<(Subject, String)> = subjects(account, address)
            .into_iter()
            .map(|s| (s, s.key()))
            .collect();
        if outcome == Outcome::Failed {
            return;
        }
        let clears =
            |s: &Subject| outcome == Outcome::Succeeded && matches!(s, Subject::Account(_));
        let cleared: Vec<String> = keys
            .iter()
            .filter(|(s, _)| clears(s))
            .map(|(_, k)| k.clone())
            .collect();
        let uncounted: Vec<(String, u32)> = keys
            .iter()
            .filter(|(s, _)| !clears(s))
            .map(|(s, k)| (k.clone(), self.threshold(s)))
            .collect();
        for key in &cleared {
            self.local.invalidate(key);
        }
        for (key, threshold) in &uncounted {
            self.local.entry(key.clone()).and_compute_with(|entry| {
                use moka::ops::compute::Op;
                match entry.map(|e| e.into_value()) {
                    Some(mut attempts) if attempts.failures > 1 => {
                        attempts.failures -= 1;
                        if attempts.failures < *threshold {
                            attempts.locked_until = None;
                        }
                        Op::Put(attempts)
                    }
                    Some(_) => Op::Remove,
                    None => Op::Nop,
                }
            });
        }
        if let Some(redis) = &self.shared {
            redis.release_attempt(&cleared, &uncounted).await;
        }
    }

    /// Runs `work` (a password check) on the hashing threads, waiting briefly for one; a busy
    /// pool asks the client to retry.
    pub async fn hash<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        self.hashing.run(work).await
    }
}

fn subjects(account: &str, address: Option<IpAddr>) -> Vec<Subject<'_>> {
    let mut subjects = vec![Subject::Account(account)];
    if let Some(address) = address {
        subjects.push(Subject::Address(address));
    }
    subjects
}

#[cfg(test)]
mod tests;
