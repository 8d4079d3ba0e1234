//! Administrators' changes of accounts' roles, as the command line's `user assign` and
//! `user unassign` make them: recorded with who made them, and applied to the account's tokens
//! on its next request, on every replica.

use async_graphql::{Context, Object, Result};

use crate::authz::{Resource, Role};
use crate::domain::TeamId;
use crate::domain::users::roles::{self, RoleAt, RoleChange};
use crate::graphql::context::Parts;
use crate::graphql::types::User;

#[derive(Default)]
pub struct AccountMutations;

/// Makes the change as the caller, if they may change accounts, and tells every replica.
async fn change(
    ctx: &Context<'_>,
    username: String,
    change: RoleChange,
    role: Role,
    unit_code: Option<String>,
    team: Option<TeamId>,
) -> Result<User> {
    let at = RoleAt {
        role,
        unit_code,
        team,
    };
    let grant = ctx.caller()?.write(Resource::User)?;
    let service = ctx.service();
    let (user, _) = roles::change(service.db(), grant.actor(), &username, change, &at).await?;
    // Replicas remember accounts between requests: they forget them now.
    service.cache().accounts_changed().await;
    Ok(User::load(service.db(), user.id).await?)
}

#[Object]
impl AccountMutations {
    /// Gives an account a role at a unit (`unitCode`; none: the whole country, for `ADMIN`)
    /// or, for a `TEAM_LEADER`, at a team (`teamId`). With `replace: true` it becomes the
    /// account's only role. For administrators; recorded with who made it.
    async fn assign_role(
        &self,
        ctx: &Context<'_>,
        username: String,
        role: Role,
        unit_code: Option<String>,
        team_id: Option<TeamId>,
        replace: Option<bool>,
    ) -> Result<User> {
        let how = if replace == Some(true) {
            RoleChange::Replace
        } else {
            RoleChange::Add
        };
        change(ctx, username, how, role, unit_code, team_id).await
    }

    /// Takes a role away from an account (a role held at a unit closed by a reorganisation
    /// is named by that unit's code); its other roles stay. For administrators; recorded
    /// with who made it.
    async fn unassign_role(
        &self,
        ctx: &Context<'_>,
        username: String,
        role: Role,
        unit_code: Option<String>,
        team_id: Option<TeamId>,
    ) -> Result<User> {
        change(ctx, username, RoleChange::Remove, role, unit_code, team_id).await
    }
}
