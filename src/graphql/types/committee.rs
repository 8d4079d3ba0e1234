//! `SteeringCommittee` and `CommitteeMember`: a unit's steering committee for digital transformation and its members.

use crate::graphql::cost;
use async_graphql::{Context, ID, Object, Result};

use super::{AdminUnit, CommitteePosition, connection};
use crate::domain::committees;
use crate::graphql::loaders::{Loaders, one, required};
use crate::graphql::scalars::Date;

/// A steering committee for digital transformation (Ban chỉ đạo chuyển đổi số).
pub struct SteeringCommittee(pub committees::Committee);

connection!(CommitteeConnection, SteeringCommittee);

#[Object]
impl SteeringCommittee {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn decision_no(&self) -> Option<&str> {
        self.0.decision_no.as_deref()
    }

    async fn founded_on(&self) -> Option<Date> {
        self.0.founded_on.map(Date)
    }

    async fn version(&self) -> i32 {
        self.0.version
    }

    /// Set once the committee was dissolved.
    async fn dissolved_on(&self) -> Option<Date> {
        self.0.dissolved_on.map(Date)
    }

    async fn unit(&self, ctx: &Context<'_>) -> Result<AdminUnit> {
        let units = &Loaders::of(ctx).units;
        required(units, self.0.unit_id, "committee without a unit")
            .await
            .map(AdminUnit)
    }

    /// In the order of the founding decision: head, deputies, members.
    #[graphql(complexity = "cost::list(cost::COMMITTEE_MEMBERS, child_complexity)")]
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<CommitteeMember>> {
        let members = one(&Loaders::of(ctx).committee_members, self.0.id).await?;
        Ok(members
            .unwrap_or_default()
            .into_iter()
            .map(CommitteeMember)
            .collect())
    }
}

/// A member of a steering committee.
pub struct CommitteeMember(pub committees::CommitteeMember);

#[Object]
impl CommitteeMember {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }

    async fn full_name(&self) -> &str {
        &self.0.full_name
    }

    async fn position(&self) -> CommitteePosition {
        self.0.position
    }

    /// The member's office, e.g. "Phó Chủ tịch UBND xã".
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }

    async fn version(&self) -> i32 {
        self.0.version
    }
}
