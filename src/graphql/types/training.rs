//! `TrainingSession`: a training session organised by a unit, and who attended it. Its fields
//! are the domain's record's; the organiser and the count resolve here.

use async_graphql::{ComplexObject, Context, Result};

use super::{AdminUnit, connection};
use crate::graphql::loaders::{Loaders, one, required};

pub use crate::domain::training::Session as TrainingSession;

connection!(TrainingSessionConnection, TrainingSession);

#[ComplexObject]
impl TrainingSession {
    /// The unit that organised the session.
    async fn organizer(&self, ctx: &Context<'_>) -> Result<AdminUnit> {
        let units = &Loaders::of(ctx).units;
        required(
            units,
            self.organizer_unit_id,
            "session without an organiser",
        )
        .await
    }

    /// How many people attended.
    async fn attendee_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let count = one(&Loaders::of(ctx).attendee_counts, self.id).await?;
        Ok(count.unwrap_or(0))
    }
}
