//! Steering committees and their membership.

use async_graphql::{Context, ID, Object, Result};

use crate::authz::Resource;
use crate::domain::committee_edits::{
    self, CommitteeChange, CommitteeMemberChange, NewCommittee, NewCommitteeMember,
};
use crate::domain::{CommitteeId, CommitteeMemberId};
use crate::graphql::types::{CommitteeMember, SteeringCommittee};

#[derive(Default)]
pub struct CommitteeMutations;

#[Object]
impl CommitteeMutations {
    async fn create_steering_committee(
        &self,
        ctx: &Context<'_>,
        input: NewCommittee,
    ) -> Result<SteeringCommittee> {
        let created = edit!(ctx, Resource::Committee, committee_edits::create(input)).await?;
        Ok(created)
    }

    async fn update_steering_committee(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CommitteeChange,
    ) -> Result<SteeringCommittee> {
        let id = CommitteeId::parse(&id, "id")?;
        let changed = edit!(ctx, Resource::Committee, committee_edits::update(id, input)).await?;
        Ok(changed)
    }

    /// Marks a committee dissolved; its record stays.
    async fn dissolve_steering_committee(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<SteeringCommittee> {
        let id = CommitteeId::parse(&id, "id")?;
        let dissolved = edit!(ctx, Resource::Committee, committee_edits::dissolve(id)).await?;
        Ok(dissolved)
    }

    async fn add_committee_member(
        &self,
        ctx: &Context<'_>,
        committee_id: ID,
        input: NewCommitteeMember,
    ) -> Result<CommitteeMember> {
        let id = CommitteeId::parse(&committee_id, "committeeId")?;
        let added = edit!(
            ctx,
            Resource::Committee,
            committee_edits::add_member(id, input)
        );
        Ok(added.await?)
    }

    async fn update_committee_member(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CommitteeMemberChange,
    ) -> Result<CommitteeMember> {
        let id = CommitteeMemberId::parse(&id, "id")?;
        let changed = edit!(
            ctx,
            Resource::Committee,
            committee_edits::update_member(id, input)
        );
        Ok(changed.await?)
    }

    async fn remove_committee_member(&self, ctx: &Context<'_>, id: ID) -> Result<CommitteeMember> {
        let id = CommitteeMemberId::parse(&id, "id")?;
        let removed = edit!(ctx, Resource::Committee, committee_edits::remove_member(id));
        Ok(removed.await?)
    }
}
