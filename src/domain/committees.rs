//! Steering committees for digital transformation (Ban chỉ đạo chuyển đổi số) and their members.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::page::{Order, fetch_page};
use super::{CommitteeId, CommitteeMemberId, Page, PageRequest, UnitId};
use crate::authz::{Scope, under};
use crate::db::sql::{Args, fetch_all, fetch_optional, in_list};
use crate::error::{AppError, Result};
use crate::text_enum;

text_enum!(CommitteePosition {
    Head = "HEAD",
    DeputyHead = "DEPUTY_HEAD",
    Member = "MEMBER",
});

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Committee {
    pub id: CommitteeId,
    pub unit_id: UnitId,
    #[serde(skip)]
    pub unit_path: String,
    pub name: String,
    pub decision_no: Option<String>,
    pub founded_on: Option<NaiveDate>,
    pub dissolved_on: Option<NaiveDate>,
    pub version: i32,
}

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitteeMember {
    pub id: CommitteeMemberId,
    pub committee_id: CommitteeId,
    pub full_name: String,
    pub position: CommitteePosition,
    pub title: Option<String>,
    pub version: i32,
}

pub(crate) const COLUMNS: &str = "c.id, c.unit_id, u.path AS unit_path, c.name, c.decision_no, \
     c.founded_on, c.dissolved_on, c.version";
pub(crate) const MEMBER_COLUMNS: &str =
    "m.id, m.committee_id, m.full_name, m.position, m.title, m.version";

/// Committees of units in scope (and under `under`, when given), in id order.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    under_path: Option<&str>,
    page: PageRequest,
) -> Result<Page<Committee>> {
    if scope.is_empty() {
        return Ok(Page::empty());
    }
    let from = |args: &mut Args| {
        let sql = format!(
            "FROM steering_committee c JOIN admin_unit u ON u.id = c.unit_id WHERE {}",
            scope.sql("u.path", args)
        );
        match under_path {
            Some(path) => format!("{sql} AND {}", under(path, "u.path", args)),
            None => sql,
        }
    };
    fetch_page(
        conn,
        COLUMNS,
        from,
        ("c.id", Order::Oldest),
        page,
        |c: &Committee| c.id.0,
    )
    .await
}

/// The members of each committee, in the order the founding decision lists them.
pub async fn members_of(
    conn: &impl ConnectionTrait,
    committees: &[CommitteeId],
) -> Result<HashMap<CommitteeId, Vec<CommitteeMember>>> {
    let mut args = Args::new();
    let ids: Vec<i64> = committees.iter().map(|c| c.0).collect();
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM committee_member m \
         WHERE m.committee_id IN {} ORDER BY m.committee_id, m.sort_order, m.id",
        in_list(&mut args, &ids)
    );
    let rows: Vec<CommitteeMember> = fetch_all(conn, sql, args).await?;
    let mut out: HashMap<CommitteeId, Vec<CommitteeMember>> = HashMap::new();
    for row in rows {
        out.entry(row.committee_id).or_default().push(row);
    }
    Ok(out)
}

/// One committee, if it exists and is in scope; otherwise the same `NOT_FOUND` either way.
pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: CommitteeId) -> Result<Committee> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT {COLUMNS} FROM steering_committee c JOIN admin_unit u ON u.id = c.unit_id \
         WHERE c.id = {} AND {}",
        args.bind(id),
        scope.sql("u.path", &mut args)
    );
    fetch_optional(conn, sql, args)
        .await?
        .ok_or(AppError::NotFound("steering committee"))
}

/// One committee member, with their committee, if the committee is in scope.
pub async fn member(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: CommitteeMemberId,
) -> Result<(CommitteeMember, Committee)> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM committee_member m \
         JOIN steering_committee c ON c.id = m.committee_id JOIN admin_unit u ON u.id = c.unit_id \
         WHERE m.id = {} AND {}",
        args.bind(id),
        scope.sql("u.path", &mut args)
    );
    let member: CommitteeMember = fetch_optional(conn, sql, args)
        .await?
        .ok_or(AppError::NotFound("committee member"))?;
    let committee = get(conn, &Scope::All, member.committee_id).await?;
    Ok((member, committee))
}
