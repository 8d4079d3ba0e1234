//! Training sessions and attendance.

use async_graphql::{Context, ID, Object, Result};

use crate::authz::Resource;
use crate::domain::training_edits::{self, NewSession, SessionChange};
use crate::domain::{MemberId, SessionId};
use crate::error::AppError;
use crate::graphql::types::TrainingSession;

#[derive(Default)]
pub struct TrainingMutations;

fn parse_member_ids(ids: &[ID]) -> Result<Vec<MemberId>, AppError> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| MemberId::parse(id, &format!("memberIds[{i}]")))
        .collect()
}

#[Object]
impl TrainingMutations {
    async fn create_training_session(
        &self,
        ctx: &Context<'_>,
        input: NewSession,
    ) -> Result<TrainingSession> {
        let created = edit!(ctx, Resource::Training, training_edits::create(input)).await?;
        Ok(created)
    }

    async fn update_training_session(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: SessionChange,
    ) -> Result<TrainingSession> {
        let id = SessionId::parse(&id, "id")?;
        let changed = edit!(ctx, Resource::Training, training_edits::update(id, input)).await?;
        Ok(changed)
    }

    /// Deletes a session and its attendance list.
    async fn delete_training_session(&self, ctx: &Context<'_>, id: ID) -> Result<TrainingSession> {
        let id = SessionId::parse(&id, "id")?;
        let deleted = edit!(ctx, Resource::Training, training_edits::delete(id)).await?;
        Ok(deleted)
    }

    /// Records members of the caller's area as having attended a session (organised in their
    /// area or above it); `completed` marks them as having completed it too.
    async fn record_attendance(
        &self,
        ctx: &Context<'_>,
        session_id: ID,
        member_ids: Vec<ID>,
        completed: Option<bool>,
    ) -> Result<TrainingSession> {
        let session = SessionId::parse(&session_id, "sessionId")?;
        let members = parse_member_ids(&member_ids)?;
        let recorded = edit!(
            ctx,
            Resource::Attendance,
            training_edits::record(session, members, completed)
        );
        Ok(recorded.await?)
    }

    async fn remove_attendance(
        &self,
        ctx: &Context<'_>,
        session_id: ID,
        member_ids: Vec<ID>,
    ) -> Result<TrainingSession> {
        let session = SessionId::parse(&session_id, "sessionId")?;
        let members = parse_member_ids(&member_ids)?;
        let edit = edit!(
            ctx,
            Resource::Attendance,
            training_edits::remove(session, members)
        );
        Ok(edit.await?)
    }
}
