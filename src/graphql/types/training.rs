//! `TrainingSession`: a training session organised by a unit, and who attended it.

use crate::graphql::scalars::Timestamp;
use async_graphql::{Context, ID, Object, Result};

use super::{AdminUnit, TrainingFormat, connection};
use crate::domain::training;
use crate::graphql::loaders::{Loaders, one, required};

/// A training session or conference (lớp bồi dưỡng, hội nghị tập huấn).
pub struct TrainingSession(pub training::Session);

connection!(TrainingSessionConnection, TrainingSession);

#[Object]
impl TrainingSession {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn topic(&self) -> Option<&str> {
        self.0.topic.as_deref()
    }

    async fn format(&self) -> TrainingFormat {
        self.0.format
    }

    async fn starts_at(&self) -> Timestamp {
        self.0.starts_at.into()
    }

    async fn ends_at(&self) -> Option<Timestamp> {
        self.0.ends_at.map(Timestamp)
    }

    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }

    /// Where an online session is held.
    async fn link(&self) -> Option<&str> {
        self.0.link.as_deref()
    }

    async fn version(&self) -> i32 {
        self.0.version
    }

    /// The unit that organised the session.
    async fn organizer(&self, ctx: &Context<'_>) -> Result<AdminUnit> {
        let units = &Loaders::of(ctx).units;
        required(
            units,
            self.0.organizer_unit_id,
            "session without an organiser",
        )
        .await
        .map(AdminUnit)
    }

    /// How many people attended.
    async fn attendee_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let count = one(&Loaders::of(ctx).attendee_counts, self.0.id).await?;
        Ok(count.unwrap_or(0))
    }
}
