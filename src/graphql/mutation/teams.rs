//! Teams and their members.

use crate::graphql::context::Parts;
use async_graphql::{Context, Object, Result};

use crate::authz::Resource;
use crate::domain::member_edits::{self, MemberChange, NewMember};
use crate::domain::team_edits::{self as edits, NewTeam, TeamChange};
use crate::domain::{MemberId, TeamId};
use crate::graphql::types::{Team, TeamMember};

mutations!(TeamMutations {
    /// Registers a team for a village (or commune) in the caller's area.
    create_team(input: NewTeam) -> Team = Resource::Team => edits::create(input);
    update_team(id: TeamId, input: TeamChange) -> Team = Resource::Team => edits::update(id, input);
    /// Marks a team dissolved; its record and members' history stay.
    dissolve_team(id: TeamId) -> Team = Resource::Team => edits::dissolve(id);
});

/// Members: each answer shows the member as the caller may see them (personal fields only
/// where the policy grants them).
#[derive(Default)]
pub struct MemberMutations;

#[Object]
impl MemberMutations {
    async fn add_team_member(&self, ctx: &Context<'_>, input: NewMember) -> Result<TeamMember> {
        let rules = *ctx.service().rules();
        let added = edit!(ctx, Resource::Member, member_edits::add(input, rules)).await?;
        Ok(TeamMember::seen_by(ctx.caller()?, added))
    }

    async fn update_team_member(
        &self,
        ctx: &Context<'_>,
        id: MemberId,
        input: MemberChange,
    ) -> Result<TeamMember> {
        let changed = edit!(ctx, Resource::Member, member_edits::update(id, input)).await?;
        Ok(TeamMember::seen_by(ctx.caller()?, changed))
    }

    /// The member leaves the team; their training record stays.
    async fn remove_team_member(&self, ctx: &Context<'_>, id: MemberId) -> Result<TeamMember> {
        let removed = edit!(ctx, Resource::Member, member_edits::remove(id)).await?;
        Ok(TeamMember::seen_by(ctx.caller()?, removed))
    }
}
