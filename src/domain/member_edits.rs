//! Adding, changing and removing team members.

use async_graphql::{InputObject, MaybeUndefined};
use chrono::NaiveDate;
use sea_orm::ActiveValue::Set;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, LockType, Query};

use super::teams::{self, Affiliation, Gender, Member, Team, TeamRole, TeamStatus};
use super::write::{self, Audited, RowUpdate, Tx, check_version};
use super::{MemberId, TeamId, validate};
use crate::authz::WriteGrant;
use crate::db::entities::team::{Column as T, Entity as Teams};
use crate::db::entities::team_member::{self, Column as M, Entity as Members};
use crate::db::query;
use crate::error::{AppError, Result};
use crate::scalars::Date;

#[derive(Clone, Debug, InputObject)]
#[graphql(name = "AddTeamMemberInput")]
pub struct NewMember {
    pub team_id: TeamId,
    pub full_name: String,
    pub role: TeamRole,
    pub affiliation: Affiliation,
    /// A Vietnamese number: 0 or +84, then 9 digits (mobile) or 10 (landline).
    pub phone: Option<String>,
    pub gender: Option<Gender>,
    pub birth_year: Option<i32>,
    pub joined_on: Option<Date>,
}

// A change to a member: a field left out stays as it is, `null` clears an optional one.
#[derive(Default, InputObject)]
#[graphql(name = "UpdateTeamMemberInput")]
pub struct MemberChange {
    pub full_name: Option<String>,
    pub role: Option<TeamRole>,
    pub affiliation: Option<Affiliation>,
    pub phone: MaybeUndefined<String>,
    pub gender: MaybeUndefined<Gender>,
    pub birth_year: MaybeUndefined<i32>,
    pub joined_on: MaybeUndefined<Date>,
    pub expected_version: Option<i32>,
}

const ONE_LEADER: &str = "the team already has a leader";

/// A member's fields after the rules, for adding one or for checking a row of an import.
pub struct CleanMember {
    pub full_name: String,
    pub phone: Option<String>,
    pub birth_year: Option<i32>,
    pub joined_on: Option<NaiveDate>,
}

/// The member's fields, cleaned; every wrong one told at once.
pub fn clean(input: &NewMember) -> Result<CleanMember> {
    let mut checks = validate::Checks::default();
    let full_name = checks.check(validate::name("fullName", &input.full_name));
    let phone = checks.check(
        input
            .phone
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .map(|p| validate::phone("phone", p))
            .transpose(),
    );
    let birth_year = checks.check(
        input
            .birth_year
            .map(|y| validate::birth_year("birthYear", y))
            .transpose(),
    );
    let joined_on = checks.check(
        input
            .joined_on
            .map(|d| validate::not_in_future("joinedOn", d.0))
            .transpose(),
    );
    let (Some(full_name), Some(phone), Some(birth_year), Some(joined_on)) =
        (full_name, phone, birth_year, joined_on)
    else {
        return Err(checks.refusal());
    };
    Ok(CleanMember {
        full_name,
        phone,
        birth_year,
        joined_on,
    })
}

/// The team a member is added to: visible, writable and active.
pub async fn target_team(
    conn: &impl ConnectionTrait,
    grant: &WriteGrant,
    id: TeamId,
) -> Result<Team> {
    let team = teams::get(conn, grant.read_scope(), id).await?;
    grant.check_team(team.id, &team.unit_path)?;
    if team.status != TeamStatus::Active {
        return Err(AppError::conflict("teamId", "the team is dissolved"));
    }
    Ok(team)
}

/// The team's current leader, other than `except`, if it has one.
pub async fn leader_of(
    conn: &impl ConnectionTrait,
    team: TeamId,
    except: Option<MemberId>,
) -> Result<Option<i64>> {
    let select = Query::select()
        .column(M::Id)
        .from(Members)
        .and_where(Expr::col(M::TeamId).eq(team.0))
        .and_where(Expr::col(M::Role).eq(TeamRole::Leader.as_str()))
        .and_where(Expr::col(M::LeftOn).is_null())
        .and_where(Expr::col(M::Id).ne(except.map_or(0, |m| m.0)))
        .limit(1)
        .to_owned();
    Ok(query::first_id(conn, &select).await?)
}

/// Inserts a member whose fields are already clean into a team the grant was checked
/// against; the caller records the change in the audit log.
pub async fn insert(
    tx: &Tx,
    grant: &WriteGrant,
    team: &Team,
    input: &NewMember,
    clean: CleanMember,
) -> Result<Member> {
    grant.check_team(team.id, &team.unit_path)?;
    let row = team_member::ActiveModel {
        team_id: Set(team.id.0),
        full_name: Set(clean.full_name),
        role: Set(input.role.as_str().to_owned()),
        affiliation: Set(input.affiliation.as_str().to_owned()),
        phone: Set(clean.phone),
        gender: Set(input.gender.map(|g| g.as_str().to_owned())),
        birth_year: Set(clean.birth_year),
        joined_on: Set(Some(tx.starts_on(clean.joined_on))),
        ..Default::default()
    };
    let id = MemberId(write::insert(tx, row, Some(("role", ONE_LEADER))).await?);
    teams::member_on_record(&tx.txn, grant.scope(), id).await
}

/// Current members of a team. On PostgreSQL the team's row is locked first, so that two
/// additions at once count one after the other.
pub async fn current_members(tx: &Tx, team: TeamId) -> Result<usize> {
    if tx.txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        let lock = Query::select()
            .column(T::Id)
            .from(Teams)
            .and_where(Expr::col(T::Id).eq(team.0))
            .lock(LockType::Update)
            .to_owned();
        query::rows(&tx.txn, &lock).await?;
    }
    let select = Query::select()
        .from(Members)
        .and_where(Expr::col(M::TeamId).eq(team.0))
        .and_where(Expr::col(M::LeftOn).is_null())
        .to_owned();
    let n = query::count(&tx.txn, &select).await?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The refusal for a team that would hold more than `max` members.
pub fn team_full(max: usize) -> String {
    format!("a team holds at most {max} members")
}

pub async fn add(tx: &mut Tx, grant: &WriteGrant, input: NewMember) -> Result<(Member, Team)> {
    let rules = tx.rules;
    let team = target_team(&tx.txn, grant, input.team_id).await?;
    let clean = clean(&input)?;
    joined_after_founding(&team, clean.joined_on)?;
    if current_members(tx, team.id).await? >= rules.max_team_members {
        return Err(AppError::bad_input(
            "teamId",
            team_full(rules.max_team_members),
        ));
    }
    if input.role == TeamRole::Leader
        && let Some(leader) = leader_of(&tx.txn, team.id, None).await?
    {
        return Err(AppError::conflict_with("role", ONE_LEADER, leader));
    }
    let member = insert(tx, grant, &team, &input, clean).await?;
    tx.audit_creation(
        "addTeamMember",
        "member",
        member.id.0,
        team.unit_id,
        &member,
    )
    .await?;
    Ok((member, team))
}

/// A member does not join a team before it was founded.
fn joined_after_founding(team: &Team, joined_on: Option<NaiveDate>) -> Result<()> {
    match (team.founded_on, joined_on) {
        (Some(founded), Some(joined)) if joined < founded => Err(AppError::bad_input(
            "joinedOn",
            format!("the team was founded on {founded}: a member joins it then or later"),
        )),
        _ => Ok(()),
    }
}

/// Finds a current member the caller may change.
async fn editable(tx: &Tx, grant: &WriteGrant, id: MemberId) -> Result<(Member, Team)> {
    let (member, team) = teams::member(&tx.txn, grant.read_scope(), id).await?;
    grant.check_team(team.id, &team.unit_path)?;
    Ok((member, team))
}

pub async fn update(
    tx: &mut Tx,
    grant: &WriteGrant,
    id: MemberId,
    change: MemberChange,
) -> Result<(Member, Team)> {
    let (before, team) = editable(tx, grant, id).await?;
    check_version("member", change.expected_version, before.version)?;
    // Every wrong field is told at once.
    let mut checks = validate::Checks::default();
    let full_name = checks.check(validate::changed(
        change.full_name,
        &before.full_name,
        |n| validate::name("fullName", &n),
    ));
    let phone = checks.check(validate::changed_optional(
        change.phone,
        &before.phone,
        |p| {
            let blank = p.trim().is_empty();
            (!blank).then(|| validate::phone("phone", &p)).transpose()
        },
    ));
    let birth_year = checks.check(validate::changed_optional(
        change.birth_year,
        &before.birth_year,
        |y| validate::birth_year("birthYear", y).map(Some),
    ));
    checks.check(validate::start_kept("joinedOn", &change.joined_on));
    let joined_on = checks.check(
        validate::changed_optional(change.joined_on, &before.joined_on, |d| {
            validate::not_in_future("joinedOn", d.0).map(Some)
        })
        .and_then(|joined_on| {
            if joined_on != before.joined_on {
                joined_after_founding(&team, joined_on)?;
            }
            Ok(joined_on)
        }),
    );
    let (Some(full_name), Some(phone), Some(birth_year), Some(joined_on), true) =
        (full_name, phone, birth_year, joined_on, checks.passed())
    else {
        return Err(checks.refusal());
    };
    let role = change.role.unwrap_or(before.role);
    if role == TeamRole::Leader
        && before.role != TeamRole::Leader
        && let Some(leader) = leader_of(&tx.txn, team.id, Some(id)).await?
    {
        return Err(AppError::conflict_with("role", ONE_LEADER, leader));
    }
    let gender = validate::changed_optional(change.gender, &before.gender, |g| Ok(Some(g)))?;
    let affiliation = change.affiliation.unwrap_or(before.affiliation);
    let update = RowUpdate::<Members>::new(id.0)
        .set(M::FullName, full_name)
        .set(M::Role, role.as_str())
        .set(M::Affiliation, affiliation.as_str())
        .set(M::Phone, phone)
        .set(M::Gender, gender.map(|g| g.as_str()))
        .set(M::BirthYear, birth_year)
        .set(M::JoinedOn, joined_on)
        .at_version(change.expected_version)
        .unique("role", ONE_LEADER);
    save(tx, grant, update, "updateTeamMember", before, team).await
}

/// Runs a change of a member through the update frame, reading them back through the grant.
async fn save(
    tx: &mut Tx,
    grant: &WriteGrant,
    update: RowUpdate<Members>,
    operation: &str,
    before: Member,
    team: Team,
) -> Result<(Member, Team)> {
    let (scope, id) = (grant.scope().clone(), before.id);
    let audited = Audited {
        operation,
        entity: "member",
        unit: team.unit_id,
    };
    let after = update
        .run(tx, audited, &before, |txn| {
            Box::pin(async move { teams::member_on_record(txn, &scope, id).await })
        })
        .await?;
    Ok((after, team))
}

/// A member leaves the team: the row stays, with the day they left, so that their training
/// record stays whole.
pub async fn remove(tx: &mut Tx, grant: &WriteGrant, id: MemberId) -> Result<(Member, Team)> {
    let (before, team) = editable(tx, grant, id).await?;
    let update = RowUpdate::<Members>::new(id.0)
        .set(M::LeftOn, crate::scalars::today())
        .only_if(
            Expr::col(M::LeftOn).is_null(),
            AppError::NotFound("team member"),
        );
    save(tx, grant, update, "removeTeamMember", before, team).await
}
