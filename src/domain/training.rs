//! Training sessions (lớp bồi dưỡng, hội nghị tập huấn) and who attended them.

use async_graphql::SimpleObject;
use std::collections::HashMap;

use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, QueryResult};

use super::page::{Keyed, Listing, Order, Walk, fetch_page};
use super::teams::Member;
use super::{MemberId, Page, PageRequest, SessionId, UnitId};
use crate::authz::Scope;
use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::entities::attendance::{Column as A, Entity as Attendances};
use crate::db::entities::team::{Column as T, Entity as Teams};
use crate::db::entities::team_member::{Column as M, Entity as Members};
use crate::db::entities::training_session::{Column as S, Entity as Sessions};
use crate::db::query;
use crate::error::Result;
use crate::scalars::Timestamp;
use crate::text_enum;

text_enum!(TrainingFormat {
    Online,
    InPerson,
    Hybrid
});

// A training session or conference (lớp bồi dưỡng, hội nghị tập huấn).
#[derive(Clone, Debug, FromQueryResult, serde::Serialize, SimpleObject)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "TrainingSession", complex)]
pub struct Session {
    pub id: SessionId,
    #[graphql(skip)]
    pub organizer_unit_id: UnitId,
    #[serde(skip)]
    #[graphql(skip)]
    pub organizer_path: String,
    pub title: String,
    pub topic: Option<String>,
    pub format: TrainingFormat,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
    pub location: Option<String>,
    /// Where an online session is held.
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

/// Sessions with their organisers and the columns a [`Session`] is read from.
pub(crate) fn sessions_with_organizers() -> SelectStatement {
    let mut select = query::joined_to_unit(Sessions, S::OrganizerUnitId);
    query::with_unit_path(&mut select, Sessions, "organizer_path");
    select
}

/// Sessions organised by units in scope (and under `under`, when given), in id order.
pub async fn list(conn: &impl ConnectionTrait, list: &Listing) -> Result<Page<Session>> {
    let mut select = sessions_with_organizers();
    select.cond_where(list.scope.over_units((Units, U::Path)));
    if let Some(day) = list.day {
        // Sessions held by then.
        select.and_where(Expr::col((Sessions, S::StartsAt)).lt(crate::scalars::end_of(day)));
    }
    list.fetch(conn, select, Order::Oldest((Sessions, S::Id)))
        .await
}

/// The paths at which a session is organised *for* the caller's area: every unit above the
/// scope's own, and for teams granted one by one, their unit and the units above it (the
/// province's conference is for every village).
async fn paths_for(conn: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<String>> {
    let mut paths = scope.paths_above();
    if !scope.teams().is_empty() {
        let select = Query::select()
            .column((Units, U::Path))
            .from(Teams)
            .inner_join(Units, Expr::col((Units, U::Id)).equals((Teams, T::UnitId)))
            .and_where(Expr::col((Teams, T::Id)).is_in(scope.teams().iter().map(|t| t.0)))
            .to_owned();
        for row in query::rows(conn, &select).await? {
            let path: String = row.try_get("", "path")?;
            paths.extend(crate::authz::ancestors(&path));
            paths.push(path);
        }
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// Sessions organised inside `inside`, or for the area of `for_area` (above it: [`paths_for`]).
async fn inside_or_for(
    conn: &impl ConnectionTrait,
    inside: &Scope,
    for_area: &Scope,
) -> Result<Condition> {
    let above = paths_for(conn, for_area).await?;
    let mut any = Condition::any().add(inside.over_units((Units, U::Path)));
    if !above.is_empty() {
        any = any.add(Expr::col((Units, U::Path)).is_in(above));
    }
    Ok(any)
}

/// The sessions whose attendance the caller may record (`scope`: their reach for writing
/// attendance): organised in their area or above it. In id order.
pub async fn for_attendance(conn: &impl ConnectionTrait, list: &Listing) -> Result<Page<Session>> {
    let mut select = sessions_with_organizers();
    select.cond_where(inside_or_for(conn, &list.scope, &list.scope).await?);
    if let Some(day) = list.day {
        select.and_where(Expr::col((Sessions, S::StartsAt)).lt(crate::scalars::end_of(day)));
    }
    list.fetch(conn, select, Order::Oldest((Sessions, S::Id)))
        .await
}

/// One session the caller may see: organised inside `read` (their reach over training), or
/// for the area of `attendance` (their reach over attendance records): the province's
/// conference their members attend. Otherwise `NOT_FOUND`, as for a missing one.
pub async fn get_visible(
    conn: &impl ConnectionTrait,
    read: &Scope,
    attendance: &Scope,
    id: SessionId,
) -> Result<Session> {
    let select = sessions_with_organizers()
        .and_where(Expr::col((Sessions, S::Id)).eq(id.0))
        .cond_where(inside_or_for(conn, read, attendance).await?)
        .to_owned();
    super::found(conn, &select, "training session").await
}

/// The title shown for a session the caller may not see in full (see [`is_visible`]).
pub const OUTSIDE_AREA: &str = "a session outside your area";

/// Whether a session organised at `organizer_path` is one the caller may see in full: inside
/// `read`, or above the units of `attendance` (the teams granted one by one are not looked
/// up here: their sessions show when organised inside `read`).
pub fn is_visible(read: &Scope, attendance: &Scope, organizer_path: &str) -> bool {
    read.contains(organizer_path) || attendance.paths_above().iter().any(|p| p == organizer_path)
}

/// A member's record for a session, with the member: a row of a session's attendee list.
#[derive(Clone, Debug)]
pub struct Attendee {
    pub id: i64,
    pub member: Member,
    /// The path of the member's team's unit.
    pub unit_path: String,
    pub attended: bool,
    pub completed: bool,
    pub certificate_no: Option<String>,
}

impl FromQueryResult for Attendee {
    fn from_query_result(row: &QueryResult, pre: &str) -> std::result::Result<Self, DbErr> {
        Ok(Attendee {
            id: row.try_get(pre, "attendance_id")?,
            member: Member::from_query_result(row, pre)?,
            unit_path: row.try_get(pre, "unit_path")?,
            attended: row.try_get(pre, "attendance_attended")?,
            completed: row.try_get(pre, "attendance_completed")?,
            certificate_no: row.try_get(pre, "attendance_certificate_no")?,
        })
    }
}

impl Keyed for Attendee {
    fn key(&self) -> i64 {
        self.id
    }
}

/// Who is recorded for a session, among the members of teams in `scope` (the caller's reach
/// over attendance records), in the order they were recorded.
pub async fn attendees(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    session: SessionId,
    page: PageRequest,
) -> Result<Page<Attendee>> {
    if scope.is_empty() {
        return Ok(Page::empty());
    }
    let mut select = Query::select();
    crate::domain::teams::member_columns(&mut select)
        .expr_as(Expr::col((Attendances, A::Id)), "attendance_id")
        .expr_as(Expr::col((Attendances, A::Attended)), "attendance_attended")
        .expr_as(
            Expr::col((Attendances, A::Completed)),
            "attendance_completed",
        )
        .expr_as(
            Expr::col((Attendances, A::CertificateNo)),
            "attendance_certificate_no",
        )
        .expr_as(Expr::col((Units, U::Path)), "unit_path")
        .from(Attendances)
        .and_where(Expr::col((Attendances, A::SessionId)).eq(session.0));
    attendees_in(&mut select, scope);
    fetch_page(
        conn,
        select,
        None,
        page,
        Order::Oldest((Attendances, A::Id)),
        Walk::Filtered,
    )
    .await
}

/// One session, if its organiser is in scope.
pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: SessionId) -> Result<Session> {
    let select = sessions_with_organizers()
        .and_where(Expr::col((Sessions, S::Id)).eq(id.0))
        .cond_where(scope.over_units((Units, U::Path)))
        .to_owned();
    super::found(conn, &select, "training session").await
}

/// Joins to a statement over `attendance` each record's member and the member's team.
pub(crate) fn with_attendees_teams(select: &mut SelectStatement) -> &mut SelectStatement {
    select
        .inner_join(
            Members,
            Expr::col((Members, M::Id)).equals((Attendances, A::MemberId)),
        )
        .inner_join(
            Teams,
            Expr::col((Teams, T::Id)).equals((Members, M::TeamId)),
        )
}

/// Narrows a statement over `attendance` to the members of teams in `scope`: joins each
/// record's member, their team and its unit.
fn attendees_in(select: &mut SelectStatement, scope: &Scope) {
    with_attendees_teams(select)
        .inner_join(Units, Expr::col((Units, U::Id)).equals((Teams, T::UnitId)))
        .cond_where(scope.over_teams((Units, U::Path), (Teams, T::Id)));
}

/// Attendees of each session, counting only members of teams in `scope`: a province's
/// conference seen by a commune counts the commune's people, not the province's.
pub async fn attendee_counts(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    ids: &[SessionId],
) -> Result<HashMap<SessionId, i64>> {
    let mut select = Query::select()
        .expr_as(Expr::col((Attendances, A::SessionId)), "id")
        .expr_as(query::count_all(), "n")
        .from(Attendances)
        .and_where(Expr::col((Attendances, A::SessionId)).is_in(ids.iter().map(|id| id.0)))
        .and_where(Expr::col((Attendances, A::Attended)))
        .group_by_col((Attendances, A::SessionId))
        .to_owned();
    // Over the whole country no join is needed to know every attendee is in scope.
    if !scope.is_everywhere() {
        attendees_in(&mut select, scope);
    }
    let mut out: HashMap<SessionId, i64> = ids.iter().map(|id| (*id, 0)).collect();
    for row in query::rows(conn, &select).await? {
        out.insert(SessionId(row.try_get("", "id")?), row.try_get("", "n")?);
    }
    Ok(out)
}

impl Keyed for Session {
    fn key(&self) -> i64 {
        self.id.0
    }
}
