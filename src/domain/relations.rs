//! Rows related to rows already found in scope: a team's members, a committee's members, the
//! session of an attendance record. These finders take no scope, so they are not part of the
//! library's surface: the request's loaders (`graphql::loaders`) and the edits that re-read the
//! children of a row they have just checked are their only callers. Anything reached from
//! outside goes through a finder of the area's module, which takes the caller's [`Scope`].
//!
//! [`Scope`]: crate::authz::Scope

use std::collections::HashMap;
use std::hash::Hash;

use sea_orm::sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::committees::{CommitteeMember, member_columns as committee_member_columns};
use super::teams::{Member, Team, member_columns, team_columns, teams_with_units};
use super::training::{Attendance, Session, sessions_with_organizers};
use super::{CommitteeId, MemberId, SessionId, TeamId};
use crate::db::entities::attendance::{Column as A, Entity as Attendances};
use crate::db::entities::committee_member::{Column as CM, Entity as CommitteeMembers};
use crate::db::entities::team::{Column as T, Entity as Teams};
use crate::db::entities::team_member::{Column as M, Entity as Members};
use crate::db::entities::training_session::{Column as S, Entity as Sessions};
use crate::db::query;
use crate::error::Result;

/// Teams by id.
pub(crate) async fn teams(
    conn: &impl ConnectionTrait,
    ids: &[TeamId],
) -> Result<HashMap<TeamId, Team>> {
    let mut select = teams_with_units();
    team_columns(&mut select).and_where(Expr::col((Teams, T::Id)).is_in(ids.iter().map(|t| t.0)));
    by_key(conn, &select, |t: &Team| t.id).await
}

/// The current members (those who have not left) of each team, leader first.
pub(crate) async fn team_members(
    conn: &impl ConnectionTrait,
    teams: &[TeamId],
) -> Result<HashMap<TeamId, Vec<Member>>> {
    let mut select = Query::select();
    member_columns(&mut select)
        .from(Members)
        .and_where(Expr::col((Members, M::TeamId)).is_in(teams.iter().map(|t| t.0)))
        .and_where(Expr::col((Members, M::LeftOn)).is_null())
        .order_by((Members, M::TeamId), Order::Asc)
        .order_by_expr(
            Expr::case(Expr::col((Members, M::Role)).eq("LEADER"), 0)
                .case(Expr::col((Members, M::Role)).eq("DEPUTY"), 1)
                .finally(2)
                .into(),
            Order::Asc,
        )
        .order_by((Members, M::Id), Order::Asc);
    grouped(conn, &select, |m: &Member| m.team_id).await
}

/// The members of each committee, in the order the founding decision lists them.
pub(crate) async fn committee_members(
    conn: &impl ConnectionTrait,
    committees: &[CommitteeId],
) -> Result<HashMap<CommitteeId, Vec<CommitteeMember>>> {
    let mut select = Query::select();
    committee_member_columns(&mut select)
        .from(CommitteeMembers)
        .and_where(
            Expr::col((CommitteeMembers, CM::CommitteeId)).is_in(committees.iter().map(|c| c.0)),
        )
        .order_by((CommitteeMembers, CM::CommitteeId), Order::Asc)
        .order_by((CommitteeMembers, CM::SortOrder), Order::Asc)
        .order_by((CommitteeMembers, CM::Id), Order::Asc);
    grouped(conn, &select, |m: &CommitteeMember| m.committee_id).await
}

/// Training sessions by id.
pub(crate) async fn sessions(
    conn: &impl ConnectionTrait,
    ids: &[SessionId],
) -> Result<HashMap<SessionId, Session>> {
    let select = sessions_with_organizers()
        .and_where(Expr::col((Sessions, S::Id)).is_in(ids.iter().map(|id| id.0)))
        .to_owned();
    by_key(conn, &select, |s: &Session| s.id).await
}

/// Each member's training record, oldest session first.
pub(crate) async fn attendance(
    conn: &impl ConnectionTrait,
    members: &[MemberId],
) -> Result<HashMap<MemberId, Vec<Attendance>>> {
    let mut select = Query::select();
    query::every_column(&mut select, Attendances)
        .from(Attendances)
        .and_where(Expr::col((Attendances, A::MemberId)).is_in(members.iter().map(|id| id.0)))
        .order_by((Attendances, A::MemberId), Order::Asc)
        .order_by((Attendances, A::SessionId), Order::Asc);
    grouped(conn, &select, |a: &Attendance| a.member_id).await
}

/// The rows of `select`, by `key`.
async fn by_key<K: Hash + Eq, T: FromQueryResult>(
    conn: &impl ConnectionTrait,
    select: &SelectStatement,
    key: impl Fn(&T) -> K,
) -> Result<HashMap<K, T>> {
    let rows: Vec<T> = query::all(conn, select).await?;
    Ok(rows.into_iter().map(|row| (key(&row), row)).collect())
}

/// The rows of `select` grouped by `key`, each group in the order the rows came.
async fn grouped<K: Hash + Eq, T: FromQueryResult>(
    conn: &impl ConnectionTrait,
    select: &SelectStatement,
    key: impl Fn(&T) -> K,
) -> Result<HashMap<K, Vec<T>>> {
    let mut out: HashMap<K, Vec<T>> = HashMap::new();
    for row in query::all::<T>(conn, select).await? {
        out.entry(key(&row)).or_default().push(row);
    }
    Ok(out)
}
