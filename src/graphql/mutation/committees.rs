//! Steering committees and their membership.

use crate::authz::Resource;
use crate::domain::committee_edits::{
    self as edits, CommitteeChange, CommitteeMemberChange, NewCommittee, NewCommitteeMember,
};
use crate::domain::committees::{Committee, CommitteeMember};
use crate::domain::{CommitteeId, CommitteeMemberId};

mutations!(CommitteeMutations {
    create_steering_committee(input: NewCommittee) -> Committee =
        Resource::Committee => edits::create(input);
    update_steering_committee(id: CommitteeId, input: CommitteeChange) -> Committee =
        Resource::Committee => edits::update(id, input);
    /// Marks a committee dissolved; its record stays.
    dissolve_steering_committee(id: CommitteeId) -> Committee =
        Resource::Committee => edits::dissolve(id);
    add_committee_member(committee_id: CommitteeId, input: NewCommitteeMember) -> CommitteeMember =
        Resource::Committee => edits::add_member(committee_id, input);
    update_committee_member(id: CommitteeMemberId, input: CommitteeMemberChange) -> CommitteeMember =
        Resource::Committee => edits::update_member(id, input);
    remove_committee_member(id: CommitteeMemberId) -> CommitteeMember =
        Resource::Committee => edits::remove_member(id);
});
