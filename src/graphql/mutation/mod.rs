//! The mutation root, merged from one object per area. Every change follows the same frame:
//! the caller's write grant for the resource, one transaction with its audit entries, then the
//! after-commit hooks before the answer goes out.

/// `edit!(ctx, resource, module::edit(args…))`: [`apply`] with the domain's edit, called with
/// the transaction and the grant before its own arguments (which it owns).
macro_rules! edit {
    ($ctx:expr, $resource:expr, $($edit:ident)::+ ($($arg:expr),* $(,)?)) => {
        $crate::graphql::mutation::apply($ctx, $resource, move |tx, grant| {
            Box::pin($($edit)::+(tx, grant, $($arg),*))
        })
    };
}

/// Declares an area's mutations that each run one domain edit through [`apply`] and answer
/// what it returns: `name(argument: Type, …) -> Answer = resource => module::edit(argument, …);`
/// with the mutation's doc comment above it. Arguments are taken typed (ids included), so a bad
/// one is refused before the edit starts.
macro_rules! mutations {
    ($(#[$doc:meta])* $root:ident {
        $(
            $(#[$field_doc:meta])*
            $name:ident($($argument:ident: $ty:ty),*) -> $answer:ty =
                $resource:expr => $($edit:ident)::+($($param:expr),*);
        )+
    }) => {
        $(#[$doc])*
        #[derive(Default)]
        pub struct $root;

        #[async_graphql::Object]
        impl $root {
            $(
                $(#[$field_doc])*
                async fn $name(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    $($argument: $ty),*
                ) -> async_graphql::Result<$answer> {
                    let done = edit!(ctx, $resource, $($edit)::+($($param),*)).await?;
                    Ok(<$answer>::from(done))
                }
            )+
        }
    };
}

mod accounts;
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
use crate::authz::{Resource, WriteGrant};
use crate::domain::write::{BoxFuture, Tx};
use crate::error::Result;

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    auth::AuthMutations,
    teams::TeamMutations,
    committees::CommitteeMutations,
    training::TrainingMutations,
    training::AttendanceMutations,
    reports::ReportMutations,
    import::ImportMutations,
    accounts::AccountMutations,
);

/// Runs one change the way every mutation does: the caller's grant for `resource`, a
/// transaction attributed to them, the domain's edit with the grant (which writes its audit
/// entries in the transaction), the commit, then the after-commit hooks before the answer goes
/// out. An edit that fails leaves nothing: the transaction is dropped, and rolls back.
pub(crate) async fn apply<T: Send>(
    ctx: &Context<'_>,
    resource: Resource,
    edit: impl for<'t> FnOnce(&'t mut Tx, &'t WriteGrant) -> BoxFuture<'t, Result<T>> + Send,
) -> Result<T> {
    let mut change = Change::begin(ctx, resource).await?;
    let (tx, grant) = change.parts();
    let done = edit(tx, grant).await?;
    change.commit().await?;
    Ok(done)
}

/// A change in progress: the caller's right to change one kind of thing and a transaction
/// attributed to them.
struct Change<'a> {
    service: &'a Service,
    grant: WriteGrant,
    tx: Tx,
}

impl<'a> Change<'a> {
    async fn begin(ctx: &Context<'a>, resource: Resource) -> Result<Change<'a>> {
        let access = ctx.caller()?;
        let grant = access.write(resource)?;
        let service = ctx.service();
        let tx = Tx::begin(service.db(), grant.actor(), *service.rules()).await?;
        Ok(Change { service, grant, tx })
    }

    /// The transaction and the grant, for the domain's edit.
    fn parts(&mut self) -> (&mut Tx, &WriteGrant) {
        (&mut self.tx, &self.grant)
    }

    /// Commits and announces the change.
    async fn commit(self) -> Result<()> {
        let committed = self.tx.commit().await?;
        self.service.hooks().committed(&committed).await;
        Ok(())
    }
}
