//! Teams and their members.

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
    add_team_member(input: NewMember) -> TeamMember =
        Resource::Member => member_edits::add(input);
    update_team_member(id: MemberId, input: MemberChange) -> TeamMember =
        Resource::Member => member_edits::update(id, input);
    /// The member leaves the team; their training record stays.
    remove_team_member(id: MemberId) -> TeamMember = Resource::Member => member_edits::remove(id);
});
