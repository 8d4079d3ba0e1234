//! `TrainingSession`: a training session organised by a unit, and who attended it. Its fields
//! are the domain's record's; the organiser and the count resolve here.

use async_graphql::{ComplexObject, Context, Object, Result};

use super::{AdminUnit, TeamMember, connection};
use crate::authz::{Action, Resource};
use crate::domain::{PageRequest, training};
use crate::graphql::context::Parts;
use crate::graphql::cost;
use crate::graphql::loaders::{Loaders, one, required};

pub use crate::domain::training::Session as TrainingSession;

connection!(TrainingSessionConnection, TrainingSession);
connection!(AttendeeConnection, Attendee);

/// A member recorded for a session.
pub struct Attendee(pub training::Attendee);

#[Object]
impl Attendee {
    async fn member(&self) -> TeamMember {
        TeamMember::at(self.0.member.clone(), &self.0.unit_path)
    }

    async fn attended(&self) -> bool {
        self.0.attended
    }

    async fn completed(&self) -> bool {
        self.0.completed
    }

    async fn certificate_no(&self) -> Option<&str> {
        self.0.certificate_no.as_deref()
    }
}

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

    /// Who was recorded for the session, among the members of the caller's area, in the
    /// order they were recorded.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn attendees(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<AttendeeConnection> {
        let page = PageRequest::parse(first, after.as_deref())?;
        let scope = ctx.caller()?.reach(Resource::Attendance, Action::Read);
        let db = ctx.service().db();
        let page = training::attendees(&db.conn, &scope, self.id, page).await?;
        Ok(AttendeeConnection::from_page(page, Attendee))
    }

    /// How many people attended.
    async fn attendee_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let count = one(&Loaders::of(ctx).attendee_counts, self.id).await?;
        Ok(count.unwrap_or(0))
    }
}
