//! `SteeringCommittee` and `CommitteeMember`: a unit's steering committee for digital
//! transformation and its members. Their fields are the domain's records'; the relations
//! resolve here, through the request's loaders.

use crate::graphql::cost;
use async_graphql::{ComplexObject, Context, Result};

use super::{AdminUnit, connection};
use crate::domain::committees;
use crate::graphql::loaders::{Loaders, one, required};

pub use committees::{Committee as SteeringCommittee, CommitteeMember};

connection!(CommitteeConnection, SteeringCommittee);

#[ComplexObject]
impl SteeringCommittee {
    async fn unit(&self, ctx: &Context<'_>) -> Result<AdminUnit> {
        let units = &Loaders::of(ctx).units;
        required(units, self.unit_id, "committee without a unit").await
    }

    /// In the order of the founding decision: head, deputies, members.
    #[graphql(complexity = "cost::list(cost::COMMITTEE_MEMBERS, child_complexity)")]
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<CommitteeMember>> {
        let members = one(&Loaders::of(ctx).committee_members, self.id).await?;
        Ok(members.unwrap_or_default())
    }
}
