//! Training sessions and attendance.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::teams::MEMBER_COLUMNS;
use super::training::{self, Session, TrainingFormat};
use super::units;
use super::write::{Tx, check_version, common_unit, stale, version_guard};
use super::{MemberId, SessionId, validate};
use crate::authz::WriteGrant;
use crate::db::sql::{Args, execute, fetch_rows, in_list};
use crate::error::{AppError, Result};

pub struct NewSession {
    pub organizer_unit_code: String,
    pub title: String,
    pub topic: Option<String>,
    pub format: TrainingFormat,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub location: Option<String>,
    pub link: Option<String>,
}

#[derive(Default)]
pub struct SessionChange {
    pub title: Option<String>,
    pub topic: Option<Option<String>>,
    pub format: Option<TrainingFormat>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<Option<DateTime<Utc>>>,
    pub location: Option<Option<String>>,
    pub link: Option<Option<String>>,
    pub expected_version: Option<i32>,
}

/// Within the programme, and the end after the start.
fn ordered(starts_at: DateTime<Utc>, ends_at: Option<DateTime<Utc>>) -> Result<()> {
    validate::programme_time("startsAt", starts_at)?;
    if let Some(end) = ends_at {
        validate::programme_time("endsAt", end)?;
    }
    match ends_at {
        Some(end) if end <= starts_at => {
            Err(AppError::bad_input("endsAt", "must be after startsAt"))
        }
        _ => Ok(()),
    }
}

async fn fetch(conn: &impl ConnectionTrait, id: SessionId) -> Result<Session> {
    training::by_ids(conn, &[id])
        .await?
        .remove(&id)
        .ok_or(AppError::NotFound("training session"))
}

pub async fn create(tx: &mut Tx, grant: &WriteGrant, input: NewSession) -> Result<Session> {
    let unit = units::by_code(&tx.txn, &input.organizer_unit_code)
        .await?
        .ok_or_else(|| AppError::bad_input("organizerUnitCode", "no current unit has this code"))?;
    grant.check_unit(&unit.path)?;
    let title = validate::name("title", &input.title)?;
    let topic = validate::optional_text("topic", input.topic.as_deref())?;
    let location = validate::optional_text("location", input.location.as_deref())?;
    let link = validate::optional_text("link", input.link.as_deref())?;
    ordered(input.starts_at, input.ends_at)?;
    let mut args = Args::new();
    let sql = format!(
        "INSERT INTO training_session (organizer_unit_id, title, topic, format, starts_at, \
         ends_at, location, link) VALUES ({}, {}, {}, {}, {}, {}, {}, {}) RETURNING id",
        args.bind(unit.id),
        args.bind(title),
        args.bind(topic),
        args.bind(input.format),
        args.bind(input.starts_at),
        args.bind(input.ends_at),
        args.bind(location),
        args.bind(link)
    );
    let rows = fetch_rows(&tx.txn, sql, args).await?;
    let id = SessionId(
        rows.first()
            .ok_or_else(|| anyhow::anyhow!("insert returned no id"))?
            .try_get("", "id")?,
    );
    let session = fetch(&tx.txn, id).await?;
    tx.audit(
        "createTrainingSession",
        "trainingSession",
        id.0,
        unit.id,
        None::<&()>,
        Some(&session),
    )
    .await?;
    Ok(session)
}

/// A session the caller may change: one organised inside their area.
async fn editable(tx: &Tx, grant: &WriteGrant, id: SessionId) -> Result<Session> {
    let session = fetch(&tx.txn, id).await?;
    if !grant.read_scope().contains(&session.organizer_path) {
        return Err(AppError::NotFound("training session"));
    }
    grant.check_unit(&session.organizer_path)?;
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
    let title = match &change.title {
        Some(t) => validate::name("title", t)?,
        None => before.title.clone(),
    };
    let text = |field: &str, value: Option<Option<String>>, old: &Option<String>| match value {
        Some(v) => validate::optional_text(field, v.as_deref()),
        None => Ok(old.clone()),
    };
    let topic = text("topic", change.topic, &before.topic)?;
    let location = text("location", change.location, &before.location)?;
    let link = text("link", change.link, &before.link)?;
    let starts_at = change.starts_at.unwrap_or(before.starts_at);
    let ends_at = change.ends_at.unwrap_or(before.ends_at);
    ordered(starts_at, ends_at)?;
    let format = change.format.unwrap_or(before.format);
    let mut args = Args::new();
    let sql = format!(
        "UPDATE training_session SET title = {}, topic = {}, format = {}, starts_at = {}, \
         ends_at = {}, location = {}, link = {}, version = version + 1, updated_at = {} \
         WHERE id = {}{}",
        args.bind(title),
        args.bind(topic),
        args.bind(format),
        args.bind(starts_at),
        args.bind(ends_at),
        args.bind(location),
        args.bind(link),
        args.bind(Utc::now()),
        args.bind(id),
        version_guard(&mut args, change.expected_version)
    );
    if execute(&tx.txn, sql, args).await? == 0 {
        return Err(stale("session", None));
    }
    let after = fetch(&tx.txn, id).await?;
    tx.audit(
        "updateTrainingSession",
        "trainingSession",
        id.0,
        after.organizer_unit_id,
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// Deletes a session and its attendance list.
pub async fn delete(tx: &mut Tx, grant: &WriteGrant, id: SessionId) -> Result<Session> {
    let before = editable(tx, grant, id).await?;
    let mut args = Args::new();
    let sql = format!(
        "DELETE FROM attendance WHERE session_id = {}",
        args.bind(id)
    );
    execute(&tx.txn, sql, args).await?;
    let mut args = Args::new();
    let sql = format!("DELETE FROM training_session WHERE id = {}", args.bind(id));
    execute(&tx.txn, sql, args).await?;
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
    let ids: Vec<i64> = member_ids.iter().map(|m| m.0).collect();
    let mut args = Args::new();
    let sql = format!(
        "SELECT {MEMBER_COLUMNS}, u.path AS unit_path FROM team_member m \
         JOIN team t ON t.id = m.team_id JOIN admin_unit u ON u.id = t.unit_id \
         WHERE m.id IN {} AND m.left_on IS NULL",
        in_list(&mut args, &ids)
    );
    let rows = fetch_rows(&tx.txn, sql, args).await?;
    let mut found = std::collections::HashMap::new();
    for row in rows {
        let id: i64 = row.try_get("", "id")?;
        let team: i64 = row.try_get("", "team_id")?;
        let path: String = row.try_get("", "unit_path")?;
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
    member_ids: &[MemberId],
    completed: Option<bool>,
) -> Result<Session> {
    let members = attendees(tx, grant, member_ids).await?;
    let session = attended_session(tx, grant, session, &members).await?;
    let ids: Vec<i64> = members.iter().map(|(m, _)| m.0).collect();
    let mut args = Args::new();
    let sql = format!(
        "SELECT member_id AS id FROM attendance WHERE session_id = {} AND member_id IN {}",
        args.bind(session.id),
        in_list(&mut args, &ids)
    );
    let existing: BTreeSet<i64> = fetch_rows(&tx.txn, sql, args)
        .await?
        .iter()
        .map(|r| r.try_get::<i64>("", "id"))
        .collect::<Result<_, _>>()?;
    for (member, _) in &members {
        let mut args = Args::new();
        let sql = if existing.contains(&member.0) {
            format!(
                "UPDATE attendance SET attended = TRUE, completed = COALESCE({}, completed) \
                 WHERE session_id = {} AND member_id = {}",
                args.bind(completed),
                args.bind(session.id),
                args.bind(*member)
            )
        } else {
            format!(
                "INSERT INTO attendance (session_id, member_id, attended, completed) \
                 VALUES ({}, {}, TRUE, {})",
                args.bind(session.id),
                args.bind(*member),
                args.bind(completed.unwrap_or(false))
            )
        };
        execute(&tx.txn, sql, args).await?;
    }
    audit_attendance(tx, "recordAttendance", &session, &members, completed).await?;
    Ok(session)
}

/// Takes members off a session's attendance list.
pub async fn remove(
    tx: &mut Tx,
    grant: &WriteGrant,
    session: SessionId,
    member_ids: &[MemberId],
) -> Result<Session> {
    let members = attendees(tx, grant, member_ids).await?;
    let session = attended_session(tx, grant, session, &members).await?;
    let ids: Vec<i64> = members.iter().map(|(m, _)| m.0).collect();
    let mut args = Args::new();
    let sql = format!(
        "DELETE FROM attendance WHERE session_id = {} AND member_id IN {}",
        args.bind(session.id),
        in_list(&mut args, &ids)
    );
    execute(&tx.txn, sql, args).await?;
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
    tx.audit(
        operation,
        "attendance",
        session.id.0,
        unit,
        None::<&()>,
        Some(&detail),
    )
    .await?;
    for (_, path) in members {
        if let Some(unit) = common_unit([path.as_str()]) {
            tx.touch(unit);
        }
    }
    Ok(())
}
