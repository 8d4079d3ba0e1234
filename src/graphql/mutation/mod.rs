//! The mutation root, merged from one object per area. Every change follows the same frame:
//! the caller's write grant for the resource, one transaction with its audit entries, then the
//! after-commit hooks before the answer goes out.

mod auth;
mod committees;
mod import;
mod reports;
mod teams;
mod training;

use async_graphql::{Context, MergedObject};

pub use auth::LoginPayload;
pub use import::UploadCount;

use super::context::{Parts, Service};
use crate::authz::{Access, Resource, WriteGrant};
use crate::domain::write::Tx;
use crate::error::Result;

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    auth::AuthMutations,
    teams::TeamMutations,
    committees::CommitteeMutations,
    training::TrainingMutations,
    reports::ReportMutations,
    import::ImportMutations,
);

/// A change in progress: the caller's right to change one kind of thing and a transaction
/// attributed to them. Every mutation goes through one: [`Change::commit`] commits and then
/// runs the after-commit hooks before the answer goes out; a change dropped on an error rolls
/// back.
pub(crate) struct Change<'a> {
    service: &'a Service,
    access: &'a Access,
    grant: WriteGrant,
    tx: Tx,
}

impl<'a> Change<'a> {
    pub async fn begin(ctx: &Context<'a>, resource: Resource) -> Result<Change<'a>> {
        let access = ctx.caller()?;
        let grant = access.write(resource)?;
        let service = ctx.service();
        let tx = Tx::begin(service.db(), grant.actor()).await?;
        Ok(Change {
            service,
            access,
            grant,
            tx,
        })
    }

    /// The caller, for what the answer shows them.
    pub fn access(&self) -> &'a Access {
        self.access
    }

    /// The transaction and the grant, for the domain's edit.
    pub fn parts(&mut self) -> (&mut Tx, &WriteGrant) {
        (&mut self.tx, &self.grant)
    }

    /// Commits and announces the change.
    pub async fn commit(self) -> Result<()> {
        let committed = self.tx.commit().await?;
        self.service.hooks().committed(&committed).await;
        Ok(())
    }
}

/// `MaybeUndefined` as "leave" (`None`), "clear" (`Some(None)`) or "set".
pub(crate) fn change<T, U>(
    value: async_graphql::MaybeUndefined<T>,
    map: impl FnOnce(T) -> U,
) -> Option<Option<U>> {
    match value {
        async_graphql::MaybeUndefined::Undefined => None,
        async_graphql::MaybeUndefined::Null => Some(None),
        async_graphql::MaybeUndefined::Value(v) => Some(Some(map(v))),
    }
}
