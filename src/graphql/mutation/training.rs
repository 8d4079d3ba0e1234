//! Training sessions and attendance.

use crate::graphql::scalars::Timestamp;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};

use super::{apply, change};
use crate::authz::Resource;
use crate::domain::training_edits::{self, NewSession, SessionChange};
use crate::domain::{MemberId, SessionId};
use crate::error::AppError;
use crate::graphql::types::{TrainingFormat, TrainingSession, parse_id};

#[derive(InputObject)]
pub struct CreateTrainingSessionInput {
    pub organizer_unit_code: String,
    pub title: String,
    pub topic: Option<String>,
    pub format: TrainingFormat,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
    pub location: Option<String>,
    /// Where an online session is held.
    pub link: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateTrainingSessionInput {
    pub title: Option<String>,
    pub topic: MaybeUndefined<String>,
    pub format: Option<TrainingFormat>,
    pub starts_at: Option<Timestamp>,
    pub ends_at: MaybeUndefined<Timestamp>,
    pub location: MaybeUndefined<String>,
    pub link: MaybeUndefined<String>,
    pub expected_version: Option<i32>,
}

#[derive(Default)]
pub struct TrainingMutations;

fn parse_member_ids(ids: &[ID]) -> Result<Vec<MemberId>, AppError> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| parse_id(id, &format!("memberIds[{i}]")).map(MemberId))
        .collect()
}

#[Object]
impl TrainingMutations {
    async fn create_training_session(
        &self,
        ctx: &Context<'_>,
        input: CreateTrainingSessionInput,
    ) -> Result<TrainingSession> {
        let session = apply(ctx, Resource::Training, move |tx, grant| {
            Box::pin(training_edits::create(
                tx,
                grant,
                NewSession {
                    organizer_unit_code: input.organizer_unit_code,
                    title: input.title,
                    topic: input.topic,
                    format: input.format.into(),
                    starts_at: input.starts_at.0,
                    ends_at: input.ends_at.map(|e| e.0),
                    location: input.location,
                    link: input.link,
                },
            ))
        })
        .await?;
        Ok(TrainingSession(session))
    }

    async fn update_training_session(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateTrainingSessionInput,
    ) -> Result<TrainingSession> {
        let id = SessionId(parse_id(&id, "id")?);
        let session = apply(ctx, Resource::Training, move |tx, grant| {
            Box::pin(training_edits::update(
                tx,
                grant,
                id,
                SessionChange {
                    title: input.title,
                    topic: change(input.topic, |t| t),
                    format: input.format.map(Into::into),
                    starts_at: input.starts_at.map(|s| s.0),
                    ends_at: change(input.ends_at, |e| e.0),
                    location: change(input.location, |l| l),
                    link: change(input.link, |l| l),
                    expected_version: input.expected_version,
                },
            ))
        })
        .await?;
        Ok(TrainingSession(session))
    }

    /// Deletes a session and its attendance list.
    async fn delete_training_session(&self, ctx: &Context<'_>, id: ID) -> Result<TrainingSession> {
        let id = SessionId(parse_id(&id, "id")?);
        let session = apply(ctx, Resource::Training, move |tx, grant| {
            Box::pin(training_edits::delete(tx, grant, id))
        })
        .await?;
        Ok(TrainingSession(session))
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
        let session = SessionId(parse_id(&session_id, "sessionId")?);
        let members = parse_member_ids(&member_ids)?;
        let session = apply(ctx, Resource::Attendance, move |tx, grant| {
            Box::pin(async move {
                training_edits::record(tx, grant, session, &members, completed).await
            })
        })
        .await?;
        Ok(TrainingSession(session))
    }

    async fn remove_attendance(
        &self,
        ctx: &Context<'_>,
        session_id: ID,
        member_ids: Vec<ID>,
    ) -> Result<TrainingSession> {
        let session = SessionId(parse_id(&session_id, "sessionId")?);
        let members = parse_member_ids(&member_ids)?;
        let session = apply(ctx, Resource::Attendance, move |tx, grant| {
            Box::pin(async move { training_edits::remove(tx, grant, session, &members).await })
        })
        .await?;
        Ok(TrainingSession(session))
    }
}
