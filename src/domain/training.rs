//! Training sessions (lớp bồi dưỡng, hội nghị tập huấn) and who attended them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::page::{Order, fetch_page};
use super::{MemberId, Page, PageRequest, SessionId, UnitId};
use crate::authz::{Scope, under};
use crate::db::sql::{Args, fetch_all, fetch_rows, in_list};
use crate::error::Result;
use crate::text_enum;

text_enum!(TrainingFormat {
    Online = "ONLINE",
    InPerson = "IN_PERSON",
    Hybrid = "HYBRID",
});

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: SessionId,
    pub organizer_unit_id: UnitId,
    #[serde(skip)]
    pub organizer_path: String,
    pub title: String,
    pub topic: Option<String>,
    pub format: TrainingFormat,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub location: Option<String>,
    pub link: Option<String>,
    pub version: i32,
}

/// One member's record for one session.
#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attendance {
    pub session_id: SessionId,
    pub member_id: MemberId,
    pub attended: bool,
    pub completed: bool,
    pub certificate_no: Option<String>,
}

pub(crate) const COLUMNS: &str = "s.id, s.organizer_unit_id, o.path AS organizer_path, s.title, \
     s.topic, s.format, s.starts_at, s.ends_at, s.location, s.link, s.version";

/// Sessions organised by units in scope (and under `under`, when given), in id order.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    under_path: Option<&str>,
    page: PageRequest,
) -> Result<Page<Session>> {
    if scope.is_empty() {
        return Ok(Page::empty());
    }
    let from = |args: &mut Args| {
        let sql = format!(
            "FROM training_session s JOIN admin_unit o ON o.id = s.organizer_unit_id WHERE {}",
            scope.sql("o.path", args)
        );
        match under_path {
            Some(path) => format!("{sql} AND {}", under(path, "o.path", args)),
            None => sql,
        }
    };
    fetch_page(
        conn,
        COLUMNS,
        from,
        ("s.id", Order::Oldest),
        page,
        |s: &Session| s.id.0,
    )
    .await
}

pub async fn by_ids(
    conn: &impl ConnectionTrait,
    ids: &[SessionId],
) -> Result<HashMap<SessionId, Session>> {
    let mut args = Args::new();
    let raw: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM training_session s JOIN admin_unit o ON o.id = s.organizer_unit_id \
         WHERE s.id IN {}",
        in_list(&mut args, &raw)
    );
    let rows: Vec<Session> = fetch_all(conn, sql, args).await?;
    Ok(rows.into_iter().map(|s| (s.id, s)).collect())
}

/// How many people attended each session.
/// Attendees of each session, counting only members of teams in `scope`: a province's
/// conference seen by a commune counts the commune's people, not the province's.
pub async fn attendee_counts(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    ids: &[SessionId],
) -> Result<HashMap<SessionId, i64>> {
    let mut args = Args::new();
    let raw: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let sessions = in_list(&mut args, &raw);
    let sql = if *scope == Scope::All {
        format!(
            "SELECT a.session_id AS id, COUNT(*) AS n FROM attendance a \
             WHERE a.session_id IN {sessions} AND a.attended GROUP BY a.session_id"
        )
    } else {
        format!(
            "SELECT a.session_id AS id, COUNT(*) AS n FROM attendance a \
             JOIN team_member m ON m.id = a.member_id JOIN team t ON t.id = m.team_id \
             JOIN admin_unit u ON u.id = t.unit_id \
             WHERE a.session_id IN {sessions} AND a.attended AND {} GROUP BY a.session_id",
            scope.sql_with_teams("u.path", "t.id", &mut args)
        )
    };
    let mut out: HashMap<SessionId, i64> = ids.iter().map(|id| (*id, 0)).collect();
    for row in fetch_rows(conn, sql, args).await? {
        out.insert(SessionId(row.try_get("", "id")?), row.try_get("", "n")?);
    }
    Ok(out)
}

/// Each member's training record, oldest session first.
pub async fn attendance_of(
    conn: &impl ConnectionTrait,
    members: &[MemberId],
) -> Result<HashMap<MemberId, Vec<Attendance>>> {
    let mut args = Args::new();
    let raw: Vec<i64> = members.iter().map(|id| id.0).collect();
    let sql = format!(
        "SELECT a.session_id, a.member_id, a.attended, a.completed, a.certificate_no \
         FROM attendance a WHERE a.member_id IN {} ORDER BY a.member_id, a.session_id",
        in_list(&mut args, &raw)
    );
    let rows: Vec<Attendance> = fetch_all(conn, sql, args).await?;
    let mut out: HashMap<MemberId, Vec<Attendance>> = HashMap::new();
    for row in rows {
        out.entry(row.member_id).or_default().push(row);
    }
    Ok(out)
}
