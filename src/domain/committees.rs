//! Steering committees for digital transformation (Ban chỉ đạo chuyển đổi số) and their members.

use async_graphql::SimpleObject;
use sea_orm::sea_query::{Expr, ExprTrait, SelectStatement};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::page::{Keyed, Listing, Order};
use super::{CommitteeId, CommitteeMemberId, Page, UnitId};
use crate::authz::Scope;
use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::entities::committee_member::{Column as CM, Entity as CommitteeMembers};
use crate::db::entities::steering_committee::{Column as C, Entity as Committees};
use crate::db::query;
use crate::error::Result;
use crate::scalars::Date;
use crate::text_enum;

text_enum!(CommitteePosition {
    /// Trưởng ban
    Head,
    /// Phó trưởng ban
    DeputyHead,
    /// Thành viên
    Member,
});

// A steering committee for digital transformation (Ban chỉ đạo chuyển đổi số).
#[derive(Clone, Debug, FromQueryResult, serde::Serialize, SimpleObject)]
#[serde(rename_all = "camelCase")]
#[graphql(name = "SteeringCommittee", complex)]
pub struct Committee {
    pub id: CommitteeId,
    #[graphql(skip)]
    pub unit_id: UnitId,
    #[serde(skip)]
    #[graphql(skip)]
    pub unit_path: String,
    pub name: String,
    pub decision_no: Option<String>,
    pub founded_on: Option<Date>,
    pub version: i32,
    /// Set once the committee was dissolved.
    pub dissolved_on: Option<Date>,
}

// A member of a steering committee.
#[derive(Clone, Debug, FromQueryResult, serde::Serialize, SimpleObject)]
#[serde(rename_all = "camelCase")]
pub struct CommitteeMember {
    pub id: CommitteeMemberId,
    #[graphql(skip)]
    pub committee_id: CommitteeId,
    pub full_name: String,
    pub position: CommitteePosition,
    /// The member's office, e.g. "Phó Chủ tịch UBND xã".
    pub title: Option<String>,
    pub version: i32,
}

/// The columns a [`Committee`] is read from; the statement joins the committee's unit.
fn committee_columns(select: &mut SelectStatement) -> &mut SelectStatement {
    query::with_unit_path(select, Committees, "unit_path")
}

/// The columns a [`CommitteeMember`] is read from.
pub(crate) fn member_columns(select: &mut SelectStatement) -> &mut SelectStatement {
    query::every_column(select, CommitteeMembers)
}

/// Committees with their units, in `scope`.
fn in_scope(scope: &Scope) -> SelectStatement {
    let mut select = query::joined_to_unit(Committees, C::UnitId);
    select.cond_where(scope.over_units((Units, U::Path)));
    select
}

/// Committees of units in scope (and under `under`, when given), in id order.
pub async fn list(conn: &impl ConnectionTrait, list: &Listing) -> Result<Page<Committee>> {
    let mut select = in_scope(&list.scope);
    committee_columns(&mut select);
    if let Some(day) = list.day {
        // Committees that existed that day: founded by then, not dissolved by then.
        let col = |c: C| Expr::col((Committees, c));
        select
            .and_where(col(C::FoundedOn).is_null().or(col(C::FoundedOn).lte(day)))
            .and_where(
                col(C::DissolvedOn)
                    .is_null()
                    .or(col(C::DissolvedOn).gt(day)),
            );
    }
    list.fetch(conn, select, Order::Oldest((Committees, C::Id)))
        .await
}

/// One committee, if it exists and is in scope; otherwise the same `NOT_FOUND` either way.
pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: CommitteeId) -> Result<Committee> {
    let mut select = in_scope(scope);
    committee_columns(&mut select).and_where(Expr::col((Committees, C::Id)).eq(id.0));
    super::found(conn, &select, "steering committee").await
}

/// One committee member, with their committee, if the committee is in scope.
pub async fn member(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: CommitteeMemberId,
) -> Result<(CommitteeMember, Committee)> {
    let mut select = in_scope(scope);
    member_columns(&mut select)
        .inner_join(
            CommitteeMembers,
            Expr::col((CommitteeMembers, CM::CommitteeId)).equals((Committees, C::Id)),
        )
        .and_where(Expr::col((CommitteeMembers, CM::Id)).eq(id.0));
    let member: CommitteeMember = super::found(conn, &select, "committee member").await?;
    // Found through the committee, so the committee is in the same scope.
    let committee = get(conn, scope, member.committee_id).await?;
    Ok((member, committee))
}

impl Keyed for Committee {
    fn key(&self) -> i64 {
        self.id.0
    }
}
