//! Training sessions (lớp bồi dưỡng, hội nghị tập huấn) and who attended them.

use async_graphql::SimpleObject;
use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::page::{Keyed, Listing, Order};
use super::{MemberId, Page, SessionId, UnitId};
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
        let next = (day + chrono::Days::new(1))
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc();
        select.and_where(Expr::col((Sessions, S::StartsAt)).lt(next));
    }
    list.fetch(conn, select, Order::Oldest((Sessions, S::Id)))
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
        select
            .inner_join(
                Members,
                Expr::col((Members, M::Id)).equals((Attendances, A::MemberId)),
            )
            .inner_join(
                Teams,
                Expr::col((Teams, T::Id)).equals((Members, M::TeamId)),
            )
            .inner_join(Units, Expr::col((Units, U::Id)).equals((Teams, T::UnitId)))
            .cond_where(scope.over_teams((Units, U::Path), (Teams, T::Id)));
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
