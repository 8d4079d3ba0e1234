//! Teams and their members.

use crate::graphql::context::Parts;
use async_graphql::{Context, ID, Object, Result};

use crate::authz::Resource;
use crate::domain::member_edits::{self, MemberChange, NewMember};
use crate::domain::team_edits::{self, NewTeam, TeamChange};
use crate::domain::{MemberId, TeamId};
use crate::graphql::types::{Team, TeamMember};

#[derive(Default)]
pub struct TeamMutations;

#[Object]
impl TeamMutations {
    /// Registers a team for a village (or commune) in the caller's area.
    async fn create_team(&self, ctx: &Context<'_>, input: NewTeam) -> Result<Team> {
        Ok(Team(
            edit!(ctx, Resource::Team, team_edits::create(input)).await?,
        ))
    }

    async fn update_team(&self, ctx: &Context<'_>, id: ID, input: TeamChange) -> Result<Team> {
        let id = TeamId::parse(&id, "id")?;
        Ok(Team(
            edit!(ctx, Resource::Team, team_edits::update(id, input)).await?,
        ))
    }

    /// Marks a team dissolved; its record and members' history stay.
    async fn dissolve_team(&self, ctx: &Context<'_>, id: ID) -> Result<Team> {
        let id = TeamId::parse(&id, "id")?;
        Ok(Team(
            edit!(ctx, Resource::Team, team_edits::dissolve(id)).await?,
        ))
    }

    async fn add_team_member(&self, ctx: &Context<'_>, input: NewMember) -> Result<TeamMember> {
        let rules = *ctx.service().rules();
        let added = edit!(ctx, Resource::Member, member_edits::add(input, rules)).await?;
        Ok(TeamMember::seen_by(ctx.caller()?, added))
    }

    async fn update_team_member(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: MemberChange,
    ) -> Result<TeamMember> {
        let id = MemberId::parse(&id, "id")?;
        let changed = edit!(ctx, Resource::Member, member_edits::update(id, input)).await?;
        Ok(TeamMember::seen_by(ctx.caller()?, changed))
    }

    /// The member leaves the team; their training record stays.
    async fn remove_team_member(&self, ctx: &Context<'_>, id: ID) -> Result<TeamMember> {
        let id = MemberId::parse(&id, "id")?;
        let removed = edit!(ctx, Resource::Member, member_edits::remove(id)).await?;
        Ok(TeamMember::seen_by(ctx.caller()?, removed))
    }
}
