//! Training sessions and attendance.

use async_graphql::{Context, ID, MaybeUndefined, Object, Result};

use crate::authz::Resource;
use crate::domain::training::Session;
use crate::domain::training_edits::{self as edits, NewSession, SessionChange};
use crate::domain::{MemberId, SessionId};
use crate::error::AppError;
use crate::graphql::types::TrainingRecord;

mutations!(TrainingMutations {
    create_training_session(input: NewSession) -> Session =
        Resource::Training => edits::create(input);
    update_training_session(id: SessionId, input: SessionChange) -> Session =
        Resource::Training => edits::update(id, input);
    /// Deletes a session and its attendance list.
    delete_training_session(id: SessionId) -> Session = Resource::Training => edits::delete(id);
});

/// Attendance lists: the members are named by a list of ids, each checked where it stands.
#[derive(Default)]
pub struct AttendanceMutations;

/// Reads the members' ids, naming the position of a bad one (`memberIds[2]`).
fn parse_member_ids(ids: &[ID]) -> Result<Vec<MemberId>, AppError> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| MemberId::parse(id, &format!("memberIds[{i}]")))
        .collect()
}

#[Object]
impl AttendanceMutations {
    /// Records members of the caller's area as having attended a session (organised in their
    /// area or above it); `completed` marks them as having completed it too.
    async fn record_attendance(
        &self,
        ctx: &Context<'_>,
        session_id: SessionId,
        member_ids: Vec<ID>,
        completed: Option<bool>,
    ) -> Result<Session> {
        let members = parse_member_ids(&member_ids)?;
        let recorded = edit!(
            ctx,
            Resource::Attendance,
            edits::record(session_id, members, completed)
        );
        Ok(recorded.await?)
    }

    /// Sets one member's record of a session: whether they completed it, and the number of
    /// the certificate they were given (`null` clears it; left out, it stays).
    async fn update_attendance(
        &self,
        ctx: &Context<'_>,
        session_id: SessionId,
        member_id: MemberId,
        completed: Option<bool>,
        certificate_no: MaybeUndefined<String>,
    ) -> Result<TrainingRecord> {
        let record = edit!(
            ctx,
            Resource::Attendance,
            edits::update_attendance(session_id, member_id, completed, certificate_no)
        );
        Ok(TrainingRecord(record.await?))
    }

    async fn remove_attendance(
        &self,
        ctx: &Context<'_>,
        session_id: SessionId,
        member_ids: Vec<ID>,
    ) -> Result<Session> {
        let members = parse_member_ids(&member_ids)?;
        Ok(edit!(
            ctx,
            Resource::Attendance,
            edits::remove(session_id, members)
        )
        .await?)
    }
}
