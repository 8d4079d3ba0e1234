//! Setting up, changing and dissolving steering committees and their membership.

use async_graphql::{InputObject, MaybeUndefined};

use sea_orm::ActiveValue::Set;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};

use super::committees::{self, Committee, CommitteeMember, CommitteePosition};
use super::units::{self, AdminLevel};
use super::write::{Audited, RowUpdate, Tx, check_version, insert};
use super::{CommitteeId, CommitteeMemberId, relations, validate};
use crate::authz::{Scope, WriteGrant};
use crate::db::entities::committee_member::{self, Column as CM, Entity as Members};
use crate::db::entities::steering_committee::{self, Column as C, Entity as Committees};
use crate::db::query;
use crate::error::{AppError, Result};
use crate::scalars::Date;

#[derive(Clone, Debug, InputObject)]
#[graphql(name = "CommitteeMemberInput")]
pub struct NewCommitteeMember {
    pub full_name: String,
    pub position: CommitteePosition,
    pub title: Option<String>,
}

#[derive(InputObject)]
#[graphql(name = "CreateSteeringCommitteeInput")]
pub struct NewCommittee {
    /// The province, district or commune.
    pub unit_code: String,
    pub name: String,
    pub decision_no: Option<String>,
    pub founded_on: Option<Date>,
    #[graphql(default)]
    pub members: Vec<NewCommitteeMember>,
}

#[derive(Default, InputObject)]
#[graphql(name = "UpdateSteeringCommitteeInput")]
pub struct CommitteeChange {
    pub name: Option<String>,
    pub decision_no: MaybeUndefined<String>,
    pub founded_on: MaybeUndefined<Date>,
    pub expected_version: Option<i32>,
}

#[derive(Default, InputObject)]
#[graphql(name = "UpdateCommitteeMemberInput")]
pub struct CommitteeMemberChange {
    pub full_name: Option<String>,
    pub position: Option<CommitteePosition>,
    pub title: MaybeUndefined<String>,
    pub expected_version: Option<i32>,
}

async fn heads(conn: &impl ConnectionTrait, committee: CommitteeId, except: i64) -> Result<i64> {
    let select = Query::select()
        .from(Members)
        .and_where(Expr::col(CM::CommitteeId).eq(committee.0))
        .and_where(Expr::col(CM::Position).eq(CommitteePosition::Head.as_str()))
        .and_where(Expr::col(CM::Id).ne(except))
        .to_owned();
    Ok(query::count(conn, &select).await?)
}

async fn insert_member(
    tx: &Tx,
    committee: CommitteeId,
    member: &NewCommitteeMember,
    order: i32,
    field: &str,
) -> Result<CommitteeMemberId> {
    let full_name = validate::name(&format!("{field}fullName"), &member.full_name)?;
    let title = validate::optional_text(&format!("{field}title"), member.title.as_deref())?;
    let row = committee_member::ActiveModel {
        committee_id: Set(committee.0),
        full_name: Set(full_name),
        position: Set(member.position.as_str().to_owned()),
        title: Set(title),
        sort_order: Set(order),
        ..Default::default()
    };
    Ok(CommitteeMemberId(insert(tx, row, None).await?))
}

pub async fn create(tx: &mut Tx, grant: &WriteGrant, input: NewCommittee) -> Result<Committee> {
    let unit = units::open_for_change(&tx.txn, &input.unit_code, "unitCode")
        .await?
        .ok_or_else(|| AppError::bad_input("unitCode", "no current unit has this code"))?;
    grant.check_unit(&unit.path)?;
    if unit.level == AdminLevel::Village {
        return Err(AppError::bad_input(
            "unitCode",
            "steering committees are set up by provinces, districts and communes",
        ));
    }
    let name = validate::name("name", &input.name)?;
    let decision_no = validate::optional_text("decisionNo", input.decision_no.as_deref())?;
    let founded_on = input
        .founded_on
        .map(|d| validate::not_in_future("foundedOn", d.0))
        .transpose()?;
    if input
        .members
        .iter()
        .filter(|m| m.position == CommitteePosition::Head)
        .count()
        > 1
    {
        return Err(AppError::bad_input("members", "a committee has one head"));
    }
    let standing = Query::select()
        .from(Committees)
        .and_where(Expr::col(C::UnitId).eq(unit.id.0))
        .and_where(Expr::col(C::DissolvedOn).is_null())
        .to_owned();
    if query::exists(&tx.txn, &standing).await? {
        return Err(AppError::conflict(
            "unitCode",
            "this unit already has a steering committee; dissolve it first",
        ));
    }
    let row = steering_committee::ActiveModel {
        unit_id: Set(unit.id.0),
        name: Set(name),
        decision_no: Set(decision_no),
        founded_on: Set(Some(tx.starts_on(founded_on))),
        ..Default::default()
    };
    let id = CommitteeId(insert(tx, row, None).await?);
    for (i, member) in input.members.iter().enumerate() {
        insert_member(tx, id, member, i as i32, &format!("members[{i}].")).await?;
    }
    let committee = committees::get(&tx.txn, grant.scope(), id).await?;
    let members = relations::committee_members(&tx.txn, &[id])
        .await?
        .remove(&id);
    tx.audit_creation(
        "createSteeringCommittee",
        "committee",
        id.0,
        unit.id,
        &(&committee, members),
    )
    .await?;
    Ok(committee)
}

async fn editable(tx: &Tx, grant: &WriteGrant, id: CommitteeId) -> Result<Committee> {
    let committee = committees::get(&tx.txn, grant.read_scope(), id).await?;
    grant.check_unit(&committee.unit_path)?;
    units::ensure_open(&tx.txn, committee.unit_id, "id").await?;
    Ok(committee)
}

pub async fn update(
    tx: &mut Tx,
    grant: &WriteGrant,
    id: CommitteeId,
    change: CommitteeChange,
) -> Result<Committee> {
    let before = editable(tx, grant, id).await?;
    check_version("committee", change.expected_version, before.version)?;
    let name = validate::changed(change.name, &before.name, |n| validate::name("name", &n))?;
    let decision_no = validate::changed_optional(change.decision_no, &before.decision_no, |d| {
        validate::optional_text("decisionNo", Some(&d))
    })?;
    validate::start_kept("foundedOn", &change.founded_on)?;
    let founded_on = validate::changed_optional(change.founded_on, &before.founded_on, |d| {
        validate::not_in_future("foundedOn", d.0).map(|d| Some(Date(d)))
    })?;
    let saved = Saved {
        name,
        decision_no,
        founded_on,
        dissolved_on: before.dissolved_on,
    };
    save(tx, grant, &before, saved, "updateSteeringCommittee").await
}

async fn save(
    tx: &mut Tx,
    grant: &WriteGrant,
    before: &Committee,
    change: Saved,
    operation: &str,
) -> Result<Committee> {
    let (scope, id) = (grant.scope().clone(), before.id);
    RowUpdate::<Committees>::new(id.0)
        .set(C::Name, change.name)
        .set(C::DecisionNo, change.decision_no)
        .set(C::FoundedOn, change.founded_on)
        .set(C::DissolvedOn, change.dissolved_on)
        .at_version(Some(before.version))
        .run(
            tx,
            Audited {
                operation,
                entity: "committee",
                unit: before.unit_id,
            },
            before,
            |txn| Box::pin(async move { committees::get(txn, &scope, id).await }),
        )
        .await
}

/// A committee's fields as a change leaves them.
struct Saved {
    name: String,
    decision_no: Option<String>,
    founded_on: Option<Date>,
    dissolved_on: Option<Date>,
}

/// Marks a committee dissolved; its record stays, and the unit may set up a new one.
pub async fn dissolve(tx: &mut Tx, grant: &WriteGrant, id: CommitteeId) -> Result<Committee> {
    let before = editable(tx, grant, id).await?;
    if before.dissolved_on.is_some() {
        return Err(AppError::conflict(
            "id",
            "the committee is already dissolved",
        ));
    }
    let today = Some(Date(crate::scalars::today()));
    let saved = Saved {
        name: before.name.clone(),
        decision_no: before.decision_no.clone(),
        founded_on: before.founded_on,
        dissolved_on: today,
    };
    save(tx, grant, &before, saved, "dissolveSteeringCommittee").await
}

/// A member of a committee in `scope`, as a change reads it back.
async fn fetch_member(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: CommitteeMemberId,
) -> Result<CommitteeMember> {
    Ok(committees::member(conn, scope, id).await?.0)
}

pub async fn add_member(
    tx: &mut Tx,
    grant: &WriteGrant,
    committee: CommitteeId,
    member: NewCommitteeMember,
) -> Result<CommitteeMember> {
    let committee = editable(tx, grant, committee).await?;
    if member.position == CommitteePosition::Head && heads(&tx.txn, committee.id, 0).await? > 0 {
        return Err(AppError::conflict(
            "position",
            "the committee already has a head",
        ));
    }
    let last = Query::select()
        .expr_as(
            Func::coalesce([Expr::col(CM::SortOrder).max(), Expr::val(-1)]).add(1),
            "n",
        )
        .from(Members)
        .and_where(Expr::col(CM::CommitteeId).eq(committee.id.0))
        .to_owned();
    let order: i32 = query::rows(&tx.txn, &last)
        .await?
        .first()
        .map(|r| r.try_get::<i32>("", "n"))
        .transpose()?
        .unwrap_or(0);
    let id = insert_member(tx, committee.id, &member, order, "").await?;
    let added = fetch_member(&tx.txn, grant.scope(), id).await?;
    tx.audit_creation(
        "addCommitteeMember",
        "committeeMember",
        id.0,
        committee.unit_id,
        &added,
    )
    .await?;
    Ok(added)
}

pub async fn update_member(
    tx: &mut Tx,
    grant: &WriteGrant,
    id: CommitteeMemberId,
    change: CommitteeMemberChange,
) -> Result<CommitteeMember> {
    let (before, committee) = committees::member(&tx.txn, grant.read_scope(), id).await?;
    grant.check_unit(&committee.unit_path)?;
    units::ensure_open(&tx.txn, committee.unit_id, "id").await?;
    check_version("committee member", change.expected_version, before.version)?;
    let position = change.position.unwrap_or(before.position);
    if position == CommitteePosition::Head
        && before.position != CommitteePosition::Head
        && heads(&tx.txn, committee.id, id.0).await? > 0
    {
        return Err(AppError::conflict(
            "position",
            "the committee already has a head",
        ));
    }
    let full_name = validate::changed(change.full_name, &before.full_name, |n| {
        validate::name("fullName", &n)
    })?;
    let title = validate::changed_optional(change.title, &before.title, |t| {
        validate::optional_text("title", Some(&t))
    })?;
    let scope = grant.scope().clone();
    RowUpdate::<Members>::new(id.0)
        .set(CM::FullName, full_name)
        .set(CM::Position, position.as_str())
        .set(CM::Title, title)
        .at_version(Some(before.version))
        .run(
            tx,
            Audited {
                operation: "updateCommitteeMember",
                entity: "committeeMember",
                unit: committee.unit_id,
            },
            &before,
            |txn| Box::pin(async move { fetch_member(txn, &scope, id).await }),
        )
        .await
}

pub async fn remove_member(
    tx: &mut Tx,
    grant: &WriteGrant,
    id: CommitteeMemberId,
) -> Result<CommitteeMember> {
    let (before, committee) = committees::member(&tx.txn, grant.read_scope(), id).await?;
    grant.check_unit(&committee.unit_path)?;
    units::ensure_open(&tx.txn, committee.unit_id, "id").await?;
    let delete = Query::delete()
        .from_table(Members)
        .and_where(Expr::col(CM::Id).eq(id.0))
        .to_owned();
    query::execute(&tx.txn, &delete).await?;
    tx.audit(
        "removeCommitteeMember",
        "committeeMember",
        id.0,
        committee.unit_id,
        Some(&before),
        None::<&()>,
    )
    .await?;
    Ok(before)
}
