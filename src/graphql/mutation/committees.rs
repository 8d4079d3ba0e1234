//! Steering committees and their membership.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};

use super::{apply, change};
use crate::authz::Resource;
use crate::domain::committee_edits::{
    self, CommitteeChange, CommitteeMemberChange, NewCommittee, NewCommitteeMember,
};
use crate::domain::{CommitteeId, CommitteeMemberId};
use crate::graphql::scalars::Date;
use crate::graphql::types::{CommitteeMember, CommitteePosition, SteeringCommittee, parse_id};

#[derive(InputObject)]
pub struct CommitteeMemberInput {
    pub full_name: String,
    pub position: CommitteePosition,
    pub title: Option<String>,
}

impl From<CommitteeMemberInput> for NewCommitteeMember {
    fn from(input: CommitteeMemberInput) -> Self {
        NewCommitteeMember {
            full_name: input.full_name,
            position: input.position.into(),
            title: input.title,
        }
    }
}

#[derive(InputObject)]
pub struct CreateSteeringCommitteeInput {
    /// The province, district or commune.
    pub unit_code: String,
    pub name: String,
    pub decision_no: Option<String>,
    pub founded_on: Option<Date>,
    #[graphql(default)]
    pub members: Vec<CommitteeMemberInput>,
}

#[derive(InputObject)]
pub struct UpdateSteeringCommitteeInput {
    pub name: Option<String>,
    pub decision_no: MaybeUndefined<String>,
    pub founded_on: MaybeUndefined<Date>,
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct UpdateCommitteeMemberInput {
    pub full_name: Option<String>,
    pub position: Option<CommitteePosition>,
    pub title: MaybeUndefined<String>,
    pub expected_version: Option<i32>,
}

#[derive(Default)]
pub struct CommitteeMutations;

#[Object]
impl CommitteeMutations {
    async fn create_steering_committee(
        &self,
        ctx: &Context<'_>,
        input: CreateSteeringCommitteeInput,
    ) -> Result<SteeringCommittee> {
        let committee = apply(ctx, Resource::Committee, move |tx, grant| {
            Box::pin(committee_edits::create(
                tx,
                grant,
                NewCommittee {
                    unit_code: input.unit_code,
                    name: input.name,
                    decision_no: input.decision_no,
                    founded_on: input.founded_on.map(|d| d.0),
                    members: input.members.into_iter().map(Into::into).collect(),
                },
            ))
        })
        .await?;
        Ok(SteeringCommittee(committee))
    }

    async fn update_steering_committee(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateSteeringCommitteeInput,
    ) -> Result<SteeringCommittee> {
        let id = CommitteeId(parse_id(&id, "id")?);
        let committee = apply(ctx, Resource::Committee, move |tx, grant| {
            Box::pin(committee_edits::update(
                tx,
                grant,
                id,
                CommitteeChange {
                    name: input.name,
                    decision_no: change(input.decision_no, |d| d),
                    founded_on: change(input.founded_on, |d| d.0),
                    expected_version: input.expected_version,
                },
            ))
        })
        .await?;
        Ok(SteeringCommittee(committee))
    }

    /// Marks a committee dissolved; its record stays.
    async fn dissolve_steering_committee(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<SteeringCommittee> {
        let id = CommitteeId(parse_id(&id, "id")?);
        let committee = apply(ctx, Resource::Committee, move |tx, grant| {
            Box::pin(committee_edits::dissolve(tx, grant, id))
        })
        .await?;
        Ok(SteeringCommittee(committee))
    }

    async fn add_committee_member(
        &self,
        ctx: &Context<'_>,
        committee_id: ID,
        input: CommitteeMemberInput,
    ) -> Result<CommitteeMember> {
        let id = CommitteeId(parse_id(&committee_id, "committeeId")?);
        let member = apply(ctx, Resource::Committee, move |tx, grant| {
            Box::pin(committee_edits::add_member(tx, grant, id, input.into()))
        })
        .await?;
        Ok(CommitteeMember(member))
    }

    async fn update_committee_member(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCommitteeMemberInput,
    ) -> Result<CommitteeMember> {
        let id = CommitteeMemberId(parse_id(&id, "id")?);
        let member = apply(ctx, Resource::Committee, move |tx, grant| {
            Box::pin(committee_edits::update_member(
                tx,
                grant,
                id,
                CommitteeMemberChange {
                    full_name: input.full_name,
                    position: input.position.map(Into::into),
                    title: change(input.title, |t| t),
                    expected_version: input.expected_version,
                },
            ))
        })
        .await?;
        Ok(CommitteeMember(member))
    }

    async fn remove_committee_member(&self, ctx: &Context<'_>, id: ID) -> Result<CommitteeMember> {
        let id = CommitteeMemberId(parse_id(&id, "id")?);
        let member = apply(ctx, Resource::Committee, move |tx, grant| {
            Box::pin(committee_edits::remove_member(tx, grant, id))
        })
        .await?;
        Ok(CommitteeMember(member))
    }
}
