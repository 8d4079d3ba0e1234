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

    /// Refuses an attempt for a locked account or from a locked address.
    pub async fn check(&self, account: &str, address: Option<IpAddr>) -> Result<()> {
        let subjects = subjects(account, address);
        let keys: Vec<String> = subjects.iter().map(Subject::key).collect();
        let shared = match &self.shared {
            Some(redis) => redis.locked_for(&keys).await,
            None => None,
        };
        let locked = shared.unwrap_or_else(|| {
            let now = Instant::now();
            keys.iter()
                .filter_map(|k| self.local.get(k)?.locked_until)
                .filter(|until| *until > now)
                .map(|until| until - now)
                .max()
        });
        match locked {
            Some(wait) => Err(AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
                message: "too many failed sign-ins: try again later".to_owned(),
            }),
            None => Ok(()),
        }
    }

    /// Counts a failed attempt against the account and the address.
    pub async fn failed(&self, account: &str, address: Option<IpAddr>) {
        for subject in subjects(account, address) {
            let threshold = match subject {
                Subject::Account(_) => self.rules.account_failures,
                Subject::Address(_) => self.rules.address_failures,
            };
            let key = subject.key();
            let counted = match &self.shared {
                Some(redis) => {
                    redis
                        .count_failure(
                            &key,
                            self.rules.window,
                            threshold,
                            self.rules.first_delay,
                            self.rules.max_delay,
                        )
                        .await
                }
                None => None,
            };
            if counted.is_none() {
                self.count_locally(key, threshold);
            }
        }
    }

    fn count_locally(&self, key: String, threshold: u32) {
        let rules = self.rules;
        self.local.entry(key).and_upsert_with(|entry| {
            let mut attempts = entry.map(|e| e.into_value()).unwrap_or_default();
            attempts.failures = attempts.failures.saturating_add(1);
            if let Some(delay) = rules.delay(attempts.failures, threshold) {
                attempts.locked_until = Some(Instant::now() + delay);
            }
            attempts
        });
    }

    /// A successful sign-in clears the account's failures (not the address's).
    pub async fn succeeded(&self, account: &str) {
        let key = Subject::Account(account).key();
        self.local.invalidate(&key);
        if let Some(redis) = &self.shared {
            redis.forget(&key).await;
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
mod tests {
    use super::*;

    fn guard() -> SignInGuard {
        SignInGuard::new(
            SignInRules {
                account_failures: 3,
                address_failures: 5,
                ..SignInRules::default()
            },
            None,
        )
    }

    #[test]
    fn delays_double_up_to_the_ceiling() {
        let rules = SignInRules::default();
        assert_eq!(rules.delay(4, 5), None);
        assert_eq!(rules.delay(5, 5), Some(Duration::from_secs(5)));
        assert_eq!(rules.delay(6, 5), Some(Duration::from_secs(10)));
        assert_eq!(rules.delay(60, 5), Some(rules.max_delay));
    }

    #[tokio::test]
    async fn an_account_locks_after_its_failures_whatever_the_address() {
        let guard = guard();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..2 {
            guard.failed("officer", Some(a)).await;
        }
        assert!(guard.check("officer", Some(b)).await.is_ok());
        guard.failed("officer", Some(a)).await;
        let Err(AppError::RateLimited {
            retry_after_secs, ..
        }) = guard.check("officer", Some(b)).await
        else {
            panic!("the account should be locked")
        };
        assert!((1..=5).contains(&retry_after_secs));
        assert!(guard.check("someone-else", Some(b)).await.is_ok());
    }

    #[tokio::test]
    async fn an_address_locks_after_failures_on_many_accounts() {
        let guard = guard();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        for i in 0..5 {
            guard.failed(&format!("user{i}"), Some(a)).await;
        }
        assert!(guard.check("fresh", Some(a)).await.is_err());
        assert!(guard.check("fresh", None).await.is_ok());
    }

    #[tokio::test]
    async fn success_clears_the_account() {
        let guard = guard();
        for _ in 0..2 {
            guard.failed("officer", None).await;
        }
        guard.succeeded("officer").await;
        guard.failed("officer", None).await;
        assert!(guard.check("officer", None).await.is_ok());
    }
}
