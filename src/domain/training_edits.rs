//! Training sessions and attendance.

use std::collections::BTreeSet;

use async_graphql::{InputObject, MaybeUndefined};
use sea_orm::ActiveValue::Set;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};

use super::training::{self, Session, TrainingFormat};
use super::write::{Audited, RowUpdate, Tx, check_version, common_unit, insert};
use super::{MemberId, SessionId, relations, units, validate};
use crate::authz::WriteGrant;
use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::entities::attendance::{self, Column as A, Entity as Attendances};
use crate::db::entities::team::{Column as T, Entity as Teams};
use crate::db::entities::team_member::{Column as M, Entity as Members};
use crate::db::entities::training_session::{self, Column as S, Entity as Sessions};
use crate::db::query;
use crate::error::{AppError, Result};
use crate::scalars::Timestamp;

#[derive(InputObject)]
#[graphql(name = "CreateTrainingSessionInput")]
pub struct NewSession {
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

#[derive(Default, InputObject)]
#[graphql(name = "UpdateTrainingSessionInput")]
pub struct SessionChange {
    pub title: Option<String>,
    pub topic: MaybeUndefined<String>,
    pub format: Option<TrainingFormat>,
    pub starts_at: Option<Timestamp>,
    pub ends_at: MaybeUndefined<Timestamp>,
    pub location: MaybeUndefined<String>,
    pub link: MaybeUndefined<String>,
    pub expected_version: Option<i32>,
}

/// Within the programme, and the end after the start.
fn ordered(starts_at: Timestamp, ends_at: Option<Timestamp>) -> Result<()> {
    validate::programme_time("startsAt", starts_at.0)?;
    if let Some(end) = ends_at {
        validate::programme_time("endsAt", end.0)?;
    }
    match ends_at {
        Some(end) if end <= starts_at => {
            Err(AppError::bad_input("endsAt", "must be after startsAt"))
        }
        _ => Ok(()),
    }
}

/// A session by id, wherever it was organised: members are recorded for sessions organised
/// above their own area (the province's conference is for every village).
async fn fetch(conn: &impl ConnectionTrait, id: SessionId) -> Result<Session> {
    relations::sessions(conn, &[id])
        .await?
        .remove(&id)
        .ok_or(AppError::NotFound("training session"))
}

pub async fn create(tx: &mut Tx, grant: &WriteGrant, input: NewSession) -> Result<Session> {
    // Every wrong field is told at once.
    let mut checks = validate::Checks::default();
    let unit = units::open_for_change(&tx.txn, &input.organizer_unit_code, "organizerUnitCode")
        .await
        .and_then(|unit| {
            let unit = unit.ok_or_else(|| {
                AppError::bad_input("organizerUnitCode", "no current unit has this code")
            })?;
            grant.check_unit(&unit.path)?;
            Ok(unit)
        });
    let unit = checks.check(unit);
    let title = checks.check(validate::name("title", &input.title));
    let topic = checks.check(validate::optional_text("topic", input.topic.as_deref()));
    let location = checks.check(validate::optional_text(
        "location",
        input.location.as_deref(),
    ));
    let link = checks.check(validate::optional_text("link", input.link.as_deref()));
    checks.check(ordered(input.starts_at, input.ends_at));
    let (Some(unit), Some(title), Some(topic), Some(location), Some(link), true) =
        (unit, title, topic, location, link, checks.passed())
    else {
        return Err(checks.refusal());
    };
    let row = training_session::ActiveModel {
        organizer_unit_id: Set(unit.id.0),
        title: Set(title),
        topic: Set(topic),
        format: Set(input.format.as_str().to_owned()),
        starts_at: Set(input.starts_at.0),
        ends_at: Set(input.ends_at.map(|t| t.0)),
        location: Set(location),
        link: Set(link),
        ..Default::default()
    };
    let id = SessionId(insert(tx, row, None).await?);
    let session = training::get(&tx.txn, grant.scope(), id).await?;
    tx.audit_creation(
        "createTrainingSession",
        "trainingSession",
        id.0,
        unit.id,
        &session,
    )
    .await?;
    Ok(session)
}

/// A session the caller may change: one organised inside their area.
async fn editable(tx: &Tx, grant: &WriteGrant, id: SessionId) -> Result<Session> {
    let session = training::get(&tx.txn, grant.read_scope(), id).await?;
    grant.check_unit(&session.organizer_path)?;
    units::ensure_open(&tx.txn, session.organizer_unit_id, "id").await?;
    Ok(session)
}

pub async fn update(
    tx: &mut Tx,
    grant: &WriteGrant,
    id: SessionId,
    change: SessionChange,
) -> Result<Session> {
    let before = editable(tx, grant, id).await?;
    check_version("session", change.expected_version, before.version)?;
    // Every wrong field is told at once.
    let mut checks = validate::Checks::default();
    let title = checks.check(validate::changed(change.title, &before.title, |t| {
        validate::name("title", &t)
    }));
    let text = |field: &str, sent: MaybeUndefined<String>, old: &Option<String>| {
        validate::changed_optional(sent, old, |v| validate::optional_text(field, Some(&v)))
    };
    let topic = checks.check(text("topic", change.topic, &before.topic));
    let location = checks.check(text("location", change.location, &before.location));
    let link = checks.check(text("link", change.link, &before.link));
    let starts_at = change.starts_at.unwrap_or(before.starts_at);
    let ends_at = validate::changed_optional(change.ends_at, &before.ends_at, |t| Ok(Some(t)))?;
    checks.check(ordered(starts_at, ends_at));
    let (Some(title), Some(topic), Some(location), Some(link), true) =
        (title, topic, location, link, checks.passed())
    else {
        return Err(checks.refusal());
    };
    let format = change.format.unwrap_or(before.format);
    let scope = grant.scope().clone();
    RowUpdate::<Sessions>::new(id.0)
        .set(S::Title, title)
        .set(S::Topic, topic)
        .set(S::Format, format.as_str())
        .set(S::StartsAt, starts_at)
        .set(S::EndsAt, ends_at)
        .set(S::Location, location)
        .set(S::Link, link)
        .at_version(change.expected_version)
        .run(
            tx,
            Audited {
                operation: "updateTrainingSession",
                entity: "trainingSession",
                unit: before.organizer_unit_id,
            },
            &before,
            |txn| Box::pin(async move { training::get(txn, &scope, id).await }),
        )
        .await
}

/// Deletes a session and its attendance list.
pub async fn delete(tx: &mut Tx, grant: &WriteGrant, id: SessionId) -> Result<Session> {
    let before = editable(tx, grant, id).await?;
    // Its attendees may no longer count as trained: their villages' figures change too.
    let mut attended_at = Query::select()
        .distinct()
        .column((Teams, T::UnitId))
        .from(Attendances)
        .to_owned();
    training::with_attendees_teams(&mut attended_at)
        .and_where(Expr::col((Attendances, A::SessionId)).eq(id.0));
    for row in query::rows(&tx.txn, &attended_at).await? {
        tx.touch(super::UnitId(row.try_get("", "unit_id")?));
    }
    let attendance = Query::delete()
        .from_table(Attendances)
        .and_where(Expr::col(A::SessionId).eq(id.0))
        .to_owned();
    query::execute(&tx.txn, &attendance).await?;
    let session = Query::delete()
        .from_table(Sessions)
        .and_where(Expr::col(S::Id).eq(id.0))
        .to_owned();
    query::execute(&tx.txn, &session).await?;
    tx.audit(
        "deleteTrainingSession",
        "trainingSession",
        id.0,
        before.organizer_unit_id,
        Some(&before),
        None::<&()>,
    )
    .await?;
    Ok(before)
}

/// The members named, each current and in the caller's area for attendance; the first one
/// that is not answers `BAD_USER_INPUT` naming its position, the same for a missing member as
/// for one outside the area. Returns (member id, team unit path) pairs.
async fn attendees(
    tx: &Tx,
    grant: &WriteGrant,
    member_ids: &[MemberId],
) -> Result<Vec<(MemberId, String)>> {
    if member_ids.is_empty() {
        return Err(AppError::bad_input("memberIds", "name at least one member"));
    }
    if member_ids.len() > 1000 {
        return Err(AppError::bad_input(
            "memberIds",
            "at most 1,000 members at a time",
        ));
    }
    let select = Query::select()
        .column((Members, M::Id))
        .column((Members, M::TeamId))
        .column((Units, U::Path))
        .from(Members)
        .inner_join(
            Teams,
            Expr::col((Teams, T::Id)).equals((Members, M::TeamId)),
        )
        .inner_join(Units, Expr::col((Units, U::Id)).equals((Teams, T::UnitId)))
        .and_where(Expr::col((Members, M::Id)).is_in(member_ids.iter().map(|m| m.0)))
        .and_where(Expr::col((Members, M::LeftOn)).is_null())
        .to_owned();
    let mut found = std::collections::HashMap::new();
    for row in query::rows(&tx.txn, &select).await? {
        let id: i64 = row.try_get("", "id")?;
        let team: i64 = row.try_get("", "team_id")?;
        let path: String = row.try_get("", "path")?;
        found.insert(id, (team, path));
    }
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, id) in member_ids.iter().enumerate() {
        let member = found.get(&id.0);
        let within = |scope: &crate::authz::Scope| {
            member.is_some_and(|(team, path)| scope.contains_team(super::TeamId(*team), path))
        };
        if within(grant.scope()) {
            if seen.insert(id.0)
                && let Some((_, path)) = member
            {
                out.push((*id, path.clone()));
            }
        } else if within(grant.read_scope()) {
            // A member the caller may see but not record, as for any other row.
            return Err(AppError::Forbidden);
        } else {
            return Err(AppError::bad_input(
                format!("memberIds[{i}]"),
                "no such member in your area",
            ));
        }
    }
    Ok(out)
}

/// The session members are recorded for: organised in the caller's area or above the members'
/// own units (the province's conference is for every village). Otherwise `NOT_FOUND`.
async fn attended_session(
    tx: &Tx,
    grant: &WriteGrant,
    id: SessionId,
    members: &[(MemberId, String)],
) -> Result<Session> {
    let session = fetch(&tx.txn, id)
        .await
        .map_err(|_| AppError::NotFound("training session"))?;
    let for_them = members
        .iter()
        .all(|(_, path)| path.starts_with(&session.organizer_path));
    if for_them || grant.scope().contains(&session.organizer_path) {
        Ok(session)
    } else {
        Err(AppError::NotFound("training session"))
    }
}

/// Records who attended (and, when given, who completed) a session. Members already recorded
/// keep their row; `completed` updates it when given.
pub async fn record(
    tx: &mut Tx,
    grant: &WriteGrant,
    session: SessionId,
    member_ids: Vec<MemberId>,
    completed: Option<bool>,
) -> Result<Session> {
    let members = attendees(tx, grant, &member_ids).await?;
    let session = attended_session(tx, grant, session, &members).await?;
    let ids: Vec<i64> = members.iter().map(|(m, _)| m.0).collect();
    let select = Query::select()
        .column(A::MemberId)
        .from(Attendances)
        .and_where(Expr::col(A::SessionId).eq(session.id.0))
        .and_where(Expr::col(A::MemberId).is_in(ids))
        .to_owned();
    let existing: BTreeSet<i64> = query::rows(&tx.txn, &select)
        .await?
        .iter()
        .map(|r| r.try_get::<i64>("", "member_id"))
        .collect::<Result<_, _>>()?;
    for (member, _) in &members {
        if existing.contains(&member.0) {
            let update = Query::update()
                .table(Attendances)
                .value(A::Attended, true)
                .value(
                    A::Completed,
                    Func::coalesce([Expr::value(completed), Expr::col(A::Completed)]),
                )
                .and_where(Expr::col(A::SessionId).eq(session.id.0))
                .and_where(Expr::col(A::MemberId).eq(member.0))
                .to_owned();
            query::execute(&tx.txn, &update).await?;
        } else {
            let row = attendance::ActiveModel {
                session_id: Set(session.id.0),
                member_id: Set(member.0),
                attended: Set(true),
                completed: Set(completed.unwrap_or(false)),
                ..Default::default()
            };
            insert(tx, row, None).await?;
        }
    }
    audit_attendance(tx, "recordAttendance", &session, &members, completed).await?;
    Ok(session)
}

/// Sets what one member's record of a session says: whether they completed it, and the
/// number of the certificate they were given (`null` clears it; left out, it stays). The
/// member must already be recorded for the session (`NOT_FOUND` otherwise).
pub async fn update_attendance(
    tx: &mut Tx,
    grant: &WriteGrant,
    session: SessionId,
    member: MemberId,
    completed: Option<bool>,
    certificate_no: MaybeUndefined<String>,
) -> Result<training::Attendance> {
    let members = attendees(tx, grant, &[member])
        .await
        .map_err(|err| match err {
            AppError::BadUserInput { message, .. } => AppError::bad_input("memberId", message),
            other => other,
        })?;
    let session = attended_session(tx, grant, session, &members).await?;
    let before = attendance_of(tx, session.id, member).await?;
    let certificate_no = validate::changed_optional(certificate_no, &before.certificate_no, |c| {
        let text = validate::optional_text("certificateNo", Some(&c))?;
        match text {
            Some(t) if t.chars().count() > 100 => Err(AppError::bad_input(
                "certificateNo",
                "must have at most 100 characters",
            )),
            other => Ok(other),
        }
    })?;
    let update = Query::update()
        .table(Attendances)
        .value(A::Completed, completed.unwrap_or(before.completed))
        .value(A::CertificateNo, certificate_no)
        .and_where(Expr::col(A::SessionId).eq(session.id.0))
        .and_where(Expr::col(A::MemberId).eq(member.0))
        .to_owned();
    query::execute(&tx.txn, &update).await?;
    let after = attendance_of(tx, session.id, member).await?;
    let unit =
        common_unit(members.iter().map(|(_, p)| p.as_str())).unwrap_or(session.organizer_unit_id);
    tx.audit(
        "updateAttendance",
        "attendance",
        session.id.0,
        unit,
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// One member's record of a session, or `NOT_FOUND`.
async fn attendance_of(
    tx: &Tx,
    session: SessionId,
    member: MemberId,
) -> Result<training::Attendance> {
    let select = Query::select()
        .columns([
            A::SessionId,
            A::MemberId,
            A::Attended,
            A::Completed,
            A::CertificateNo,
        ])
        .from(Attendances)
        .and_where(Expr::col(A::SessionId).eq(session.0))
        .and_where(Expr::col(A::MemberId).eq(member.0))
        .to_owned();
    super::found(&tx.txn, &select, "attendance record").await
}

/// Takes members off a session's attendance list.
pub async fn remove(
    tx: &mut Tx,
    grant: &WriteGrant,
    session: SessionId,
    member_ids: Vec<MemberId>,
) -> Result<Session> {
    let members = attendees(tx, grant, &member_ids).await?;
    let session = attended_session(tx, grant, session, &members).await?;
    let delete = Query::delete()
        .from_table(Attendances)
        .and_where(Expr::col(A::SessionId).eq(session.id.0))
        .and_where(Expr::col(A::MemberId).is_in(members.iter().map(|(m, _)| m.0)))
        .to_owned();
    query::execute(&tx.txn, &delete).await?;
    audit_attendance(tx, "removeAttendance", &session, &members, None).await?;
    Ok(session)
}

/// One entry per change, recorded at the deepest unit holding every member concerned.
async fn audit_attendance(
    tx: &mut Tx,
    operation: &str,
    session: &Session,
    members: &[(MemberId, String)],
    completed: Option<bool>,
) -> Result<()> {
    let unit =
        common_unit(members.iter().map(|(_, p)| p.as_str())).unwrap_or(session.organizer_unit_id);
    let detail = serde_json::json!({
        "sessionId": session.id,
        "memberIds": members.iter().map(|(m, _)| m.0).collect::<Vec<_>>(),
        "completed": completed,
    });
    tx.audit_creation(operation, "attendance", session.id.0, unit, &detail)
        .await?;
    for (_, path) in members {
        if let Some(unit) = common_unit([path.as_str()]) {
            tx.touch(unit);
        }
    }
    Ok(())
}
