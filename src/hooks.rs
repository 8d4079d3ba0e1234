//! After-commit hooks: the one place where a committed change is announced, before the
//! mutation's answer is sent, so that what depends on the data (cached totals) can follow.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use crate::domain::write::Committed;

pub type HookFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Something to do after every committed change. It must not fail the mutation: the data is
/// already saved.
pub trait AfterCommit: Send + Sync {
    fn committed<'a>(&'a self, change: &'a Committed) -> HookFuture<'a>;
}

#[derive(Default)]
pub struct Hooks {
    hooks: RwLock<Vec<Arc<dyn AfterCommit>>>,
}

impl Hooks {
    pub fn register(&self, hook: Arc<dyn AfterCommit>) {
        if let Ok(mut hooks) = self.hooks.write() {
            hooks.push(hook);
        }
    }

    /// Runs every hook, in the order registered.
    pub async fn committed(&self, change: &Committed) {
        let hooks: Vec<Arc<dyn AfterCommit>> = match self.hooks.read() {
            Ok(hooks) => hooks.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        for hook in hooks {
            hook.committed(change).await;
        }
    }
}
