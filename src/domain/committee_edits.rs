//! Setting up, changing and dissolving steering committees and their membership.

use chrono::{NaiveDate, Utc};
use sea_orm::ConnectionTrait;

use super::committees::{self, Committee, CommitteeMember, CommitteePosition};
use super::units::{self, AdminLevel};
use super::write::{Tx, check_version, stale};
use super::{CommitteeId, CommitteeMemberId, validate};
use crate::authz::{Scope, WriteGrant};
use crate::db::sql::{Args, execute, fetch_count, fetch_optional, fetch_rows};
use crate::error::{AppError, Result};

#[derive(Clone, Debug)]
pub struct NewCommitteeMember {
    pub full_name: String,
    pub position: CommitteePosition,
    pub title: Option<String>,
}

pub struct NewCommittee {
    pub unit_code: String,
    pub name: String,
    pub decision_no: Option<String>,
    pub founded_on: Option<NaiveDate>,
    pub members: Vec<NewCommitteeMember>,
}

#[derive(Default)]
pub struct CommitteeChange {
    pub name: Option<String>,
    pub decision_no: Option<Option<String>>,
    pub founded_on: Option<Option<NaiveDate>>,
    pub expected_version: Option<i32>,
}

#[derive(Default)]
pub struct CommitteeMemberChange {
    pub full_name: Option<String>,
    pub position: Option<CommitteePosition>,
    pub title: Option<Option<String>>,
    pub expected_version: Option<i32>,
}

async fn heads(conn: &impl ConnectionTrait, committee: CommitteeId, except: i64) -> Result<i64> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM committee_member WHERE committee_id = {} AND position = 'HEAD' \
         AND id <> {}",
        args.bind(committee),
        args.bind(except)
    );
    Ok(fetch_count(conn, sql, args).await?)
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
    let mut args = Args::new();
    let sql = format!(
        "INSERT INTO committee_member (committee_id, full_name, position, title, sort_order) \
         VALUES ({}, {}, {}, {}, {}) RETURNING id",
        args.bind(committee),
        args.bind(full_name),
        args.bind(member.position),
        args.bind(title),
        args.bind(order)
    );
    let rows = fetch_rows(&tx.txn, sql, args).await?;
    Ok(CommitteeMemberId(
        rows.first()
            .ok_or_else(|| anyhow::anyhow!("insert returned no id"))?
            .try_get("", "id")?,
    ))
}

pub async fn create(tx: &mut Tx, grant: &WriteGrant, input: NewCommittee) -> Result<Committee> {
    let unit = units::by_code(&tx.txn, &input.unit_code)
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
        .map(|d| validate::not_in_future("foundedOn", d))
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
    let mut args = Args::new();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM steering_committee WHERE unit_id = {} AND dissolved_on IS NULL",
        args.bind(unit.id)
    );
    if fetch_count(&tx.txn, sql, args).await? > 0 {
        return Err(AppError::conflict(
            "unitCode",
            "this unit already has a steering committee; dissolve it first",
        ));
    }
    let mut args = Args::new();
    let sql = format!(
        "INSERT INTO steering_committee (unit_id, name, decision_no, founded_on) \
         VALUES ({}, {}, {}, {}) RETURNING id",
        args.bind(unit.id),
        args.bind(name),
        args.bind(decision_no),
        args.bind(founded_on)
    );
    let rows = fetch_rows(&tx.txn, sql, args).await?;
    let id = CommitteeId(
        rows.first()
            .ok_or_else(|| anyhow::anyhow!("insert returned no id"))?
            .try_get("", "id")?,
    );
    for (i, member) in input.members.iter().enumerate() {
        insert_member(tx, id, member, i as i32, &format!("members[{i}].")).await?;
    }
    let committee = committees::get(&tx.txn, &Scope::All, id).await?;
    let members = committees::members_of(&tx.txn, &[id]).await?.remove(&id);
    tx.audit(
        "createSteeringCommittee",
        "committee",
        id.0,
        unit.id,
        None::<&()>,
        Some(&(&committee, members)),
    )
    .await?;
    Ok(committee)
}

async fn editable(tx: &Tx, grant: &WriteGrant, id: CommitteeId) -> Result<Committee> {
    let committee = committees::get(&tx.txn, grant.read_scope(), id).await?;
    grant.check_unit(&committee.unit_path)?;
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
    let name = match &change.name {
        Some(name) => validate::name("name", name)?,
        None => before.name.clone(),
    };
    let decision_no = match change.decision_no {
        Some(value) => validate::optional_text("decisionNo", value.as_deref())?,
        None => before.decision_no.clone(),
    };
    let founded_on = match change.founded_on {
        Some(Some(d)) => Some(validate::not_in_future("foundedOn", d)?),
        Some(None) => None,
        None => before.founded_on,
    };
    save(
        tx,
        &before,
        name,
        decision_no,
        founded_on,
        before.dissolved_on,
        "updateSteeringCommittee",
    )
    .await
}

async fn save(
    tx: &mut Tx,
    before: &Committee,
    name: String,
    decision_no: Option<String>,
    founded_on: Option<NaiveDate>,
    dissolved_on: Option<NaiveDate>,
    operation: &str,
) -> Result<Committee> {
    let mut args = Args::new();
    let sql = format!(
        "UPDATE steering_committee SET name = {}, decision_no = {}, founded_on = {}, \
         dissolved_on = {}, version = version + 1, updated_at = {} WHERE id = {} AND version = {}",
        args.bind(name),
        args.bind(decision_no),
        args.bind(founded_on),
        args.bind(dissolved_on),
        args.bind(Utc::now()),
        args.bind(before.id),
        args.bind(before.version)
    );
    if execute(&tx.txn, sql, args).await? == 0 {
        return Err(stale("committee", None));
    }
    let after = committees::get(&tx.txn, &Scope::All, before.id).await?;
    tx.audit(
        operation,
        "committee",
        before.id.0,
        before.unit_id,
        Some(before),
        Some(&after),
    )
    .await?;
    Ok(after)
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
    let today = Some(Utc::now().date_naive());
    save(
        tx,
        &before,
        before.name.clone(),
        before.decision_no.clone(),
        before.founded_on,
        today,
        "dissolveSteeringCommittee",
    )
    .await
}

async fn fetch_member(tx: &Tx, id: CommitteeMemberId) -> Result<CommitteeMember> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT {} FROM committee_member m WHERE m.id = {}",
        committees::MEMBER_COLUMNS,
        args.bind(id)
    );
    fetch_optional(&tx.txn, sql, args)
        .await?
        .ok_or(AppError::NotFound("committee member"))
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
    let mut args = Args::new();
    let sql = format!(
        "SELECT COALESCE(MAX(sort_order), -1) + 1 AS n FROM committee_member WHERE committee_id = {}",
        args.bind(committee.id)
    );
    let order: i32 = fetch_rows(&tx.txn, sql, args)
        .await?
        .first()
        .map(|r| r.try_get::<i32>("", "n"))
        .transpose()?
        .unwrap_or(0);
    let id = insert_member(tx, committee.id, &member, order, "").await?;
    let added = fetch_member(tx, id).await?;
    tx.audit(
        "addCommitteeMember",
        "committeeMember",
        id.0,
        committee.unit_id,
        None::<&()>,
        Some(&added),
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
    let full_name = match &change.full_name {
        Some(name) => validate::name("fullName", name)?,
        None => before.full_name.clone(),
    };
    let title = match change.title {
        Some(value) => validate::optional_text("title", value.as_deref())?,
        None => before.title.clone(),
    };
    let mut args = Args::new();
    let sql = format!(
        "UPDATE committee_member SET full_name = {}, position = {}, title = {}, \
         version = version + 1 WHERE id = {} AND version = {}",
        args.bind(full_name),
        args.bind(position),
        args.bind(title),
        args.bind(id),
        args.bind(before.version)
    );
    if execute(&tx.txn, sql, args).await? == 0 {
        return Err(stale("committee member", None));
    }
    let after = fetch_member(tx, id).await?;
    tx.audit(
        "updateCommitteeMember",
        "committeeMember",
        id.0,
        committee.unit_id,
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

pub async fn remove_member(
    tx: &mut Tx,
    grant: &WriteGrant,
    id: CommitteeMemberId,
) -> Result<CommitteeMember> {
    let (before, committee) = committees::member(&tx.txn, grant.read_scope(), id).await?;
    grant.check_unit(&committee.unit_path)?;
    let mut args = Args::new();
    let sql = format!("DELETE FROM committee_member WHERE id = {}", args.bind(id));
    execute(&tx.txn, sql, args).await?;
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
