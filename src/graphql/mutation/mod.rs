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

use crate::authz::{Access, Resource, WriteGrant};
use crate::db::Db;
use crate::domain::write::Tx;
use crate::error::{AppError, Result};
use crate::hooks::Hooks;

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    auth::AuthMutations,
    teams::TeamMutations,
    committees::CommitteeMutations,
    training::TrainingMutations,
    reports::ReportMutations,
    import::ImportMutations,
);

/// The caller's right to change `resource` and an open transaction attributed to them.
pub(crate) async fn begin<'a>(
    ctx: &Context<'a>,
    resource: Resource,
) -> Result<(&'a Access, WriteGrant, Tx)> {
    let access = ctx.data_opt::<Access>().ok_or(AppError::Unauthenticated)?;
    let grant = access.write(resource)?;
    let db = ctx.data_unchecked::<Db>();
    let tx = Tx::begin(db, grant.actor()).await?;
    Ok((access, grant, tx))
}

/// Commits and announces the change.
pub(crate) async fn commit(ctx: &Context<'_>, tx: Tx) -> Result<()> {
    let committed = tx.commit().await?;
    if let Some(hooks) = ctx.data_opt::<std::sync::Arc<Hooks>>() {
        hooks.committed(&committed).await;
    }
    Ok(())
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
