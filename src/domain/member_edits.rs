//! Adding, changing and removing team members.

use chrono::{NaiveDate, Utc};
use sea_orm::ConnectionTrait;

use super::teams::{self, Affiliation, Gender, Member, Team, TeamRole, TeamStatus};
use super::write::{Tx, check_version, stale, version_guard};
use super::{MemberId, Rules, TeamId, validate};
use crate::authz::WriteGrant;
use crate::db::conflict_on_unique;
use crate::db::sql::{Args, execute, fetch_count, fetch_optional, fetch_rows};
use crate::error::{AppError, Result};

#[derive(Clone, Debug)]
pub struct NewMember {
    pub team_id: TeamId,
    pub full_name: String,
    pub role: TeamRole,
    pub affiliation: Affiliation,
    pub phone: Option<String>,
    pub gender: Option<Gender>,
    pub birth_year: Option<i32>,
    pub joined_on: Option<NaiveDate>,
}

/// A change to a member; `None` leaves a field, `Some(None)` clears an optional one.
#[derive(Default)]
pub struct MemberChange {
    pub full_name: Option<String>,
    pub role: Option<TeamRole>,
    pub affiliation: Option<Affiliation>,
    pub phone: Option<Option<String>>,
    pub gender: Option<Option<Gender>>,
    pub birth_year: Option<Option<i32>>,
    pub joined_on: Option<Option<NaiveDate>>,
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

pub fn clean(input: &NewMember) -> Result<CleanMember> {
    Ok(CleanMember {
        full_name: validate::name("fullName", &input.full_name)?,
        phone: input
            .phone
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .map(|p| validate::phone("phone", p))
            .transpose()?,
        birth_year: input
            .birth_year
            .map(|y| validate::birth_year("birthYear", y))
            .transpose()?,
        joined_on: input
            .joined_on
            .map(|d| validate::not_in_future("joinedOn", d))
            .transpose()?,
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

pub async fn has_leader(
    conn: &impl ConnectionTrait,
    team: TeamId,
    except: Option<MemberId>,
) -> Result<bool> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM team_member WHERE team_id = {} AND role = 'LEADER' \
         AND left_on IS NULL AND id <> {}",
        args.bind(team),
        args.bind(except.map_or(0, |m| m.0))
    );
    Ok(fetch_count(conn, sql, args).await? > 0)
}

async fn fetch(conn: &impl ConnectionTrait, id: MemberId) -> Result<Member> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT {} FROM team_member m WHERE m.id = {}",
        teams::MEMBER_COLUMNS,
        args.bind(id)
    );
    fetch_optional(conn, sql, args)
        .await?
        .ok_or(AppError::NotFound("team member"))
}

/// Inserts a member whose fields are already clean and whose team was checked; the caller
/// records the change in the audit log.
pub async fn insert(tx: &Tx, team: &Team, input: &NewMember, clean: CleanMember) -> Result<Member> {
    let mut args = Args::new();
    let sql = format!(
        "INSERT INTO team_member (team_id, full_name, role, affiliation, phone, gender, \
         birth_year, joined_on) VALUES ({}, {}, {}, {}, {}, {}, {}, {}) RETURNING id",
        args.bind(team.id),
        args.bind(clean.full_name),
        args.bind(input.role),
        args.bind(input.affiliation),
        args.bind(clean.phone),
        args.bind(input.gender.map(|g| g.as_str())),
        args.bind(clean.birth_year),
        args.bind(clean.joined_on)
    );
    let rows = fetch_rows(&tx.txn, sql, args)
        .await
        .map_err(|e| conflict_on_unique(e, "role", ONE_LEADER))?;
    let id = MemberId(
        rows.first()
            .ok_or_else(|| anyhow::anyhow!("insert returned no id"))?
            .try_get("", "id")?,
    );
    fetch(&tx.txn, id).await
}

/// Current members of a team. On PostgreSQL the team's row is locked first, so that two
/// additions at once count one after the other.
pub async fn current_members(tx: &Tx, team: TeamId) -> Result<usize> {
    if tx.txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        let mut args = Args::new();
        let sql = format!(
            "SELECT id FROM team WHERE id = {} FOR UPDATE",
            args.bind(team)
        );
        fetch_rows(&tx.txn, sql, args).await?;
    }
    let mut args = Args::new();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM team_member WHERE team_id = {} AND left_on IS NULL",
        args.bind(team)
    );
    let n = fetch_count(&tx.txn, sql, args).await?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The refusal for a team that would hold more than `max` members.
pub fn team_full(max: usize) -> String {
    format!("a team holds at most {max} members")
}

pub async fn add(
    tx: &mut Tx,
    grant: &WriteGrant,
    input: NewMember,
    rules: &Rules,
) -> Result<(Member, Team)> {
    let team = target_team(&tx.txn, grant, input.team_id).await?;
    let clean = clean(&input)?;
    if current_members(tx, team.id).await? >= rules.max_team_members {
        return Err(AppError::bad_input(
            "teamId",
            team_full(rules.max_team_members),
        ));
    }
    if input.role == TeamRole::Leader && has_leader(&tx.txn, team.id, None).await? {
        return Err(AppError::conflict("role", ONE_LEADER));
    }
    let member = insert(tx, &team, &input, clean).await?;
    tx.audit(
        "addTeamMember",
        "member",
        member.id.0,
        team.unit_id,
        None::<&Member>,
        Some(&member),
    )
    .await?;
    Ok((member, team))
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
    let full_name = match &change.full_name {
        Some(name) => validate::name("fullName", name)?,
        None => before.full_name.clone(),
    };
    let role = change.role.unwrap_or(before.role);
    if role == TeamRole::Leader
        && before.role != TeamRole::Leader
        && has_leader(&tx.txn, team.id, Some(id)).await?
    {
        return Err(AppError::conflict("role", ONE_LEADER));
    }
    let phone = match change.phone {
        Some(Some(p)) if !p.trim().is_empty() => Some(validate::phone("phone", &p)?),
        Some(_) => None,
        None => before.phone.clone(),
    };
    let birth_year = match change.birth_year {
        Some(Some(y)) => Some(validate::birth_year("birthYear", y)?),
        Some(None) => None,
        None => before.birth_year,
    };
    let joined_on = match change.joined_on {
        Some(Some(d)) => Some(validate::not_in_future("joinedOn", d)?),
        Some(None) => None,
        None => before.joined_on,
    };
    let gender = change.gender.unwrap_or(before.gender);
    let affiliation = change.affiliation.unwrap_or(before.affiliation);
    let mut args = Args::new();
    let sql = format!(
        "UPDATE team_member SET full_name = {}, role = {}, affiliation = {}, phone = {}, \
         gender = {}, birth_year = {}, joined_on = {}, version = version + 1, updated_at = {} \
         WHERE id = {}{}",
        args.bind(full_name),
        args.bind(role),
        args.bind(affiliation),
        args.bind(phone),
        args.bind(gender.map(|g| g.as_str())),
        args.bind(birth_year),
        args.bind(joined_on),
        args.bind(Utc::now()),
        args.bind(id),
        version_guard(&mut args, change.expected_version)
    );
    let changed = execute(&tx.txn, sql, args)
        .await
        .map_err(|e| conflict_on_unique(e, "role", ONE_LEADER))?;
    if changed == 0 {
        return Err(stale("member", None));
    }
    let after = fetch(&tx.txn, id).await?;
    tx.audit(
        "updateTeamMember",
        "member",
        id.0,
        team.unit_id,
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok((after, team))
}

/// A member leaves the team: the row stays, with the day they left, so that their training
/// record stays whole.
pub async fn remove(tx: &mut Tx, grant: &WriteGrant, id: MemberId) -> Result<(Member, Team)> {
    let (before, team) = editable(tx, grant, id).await?;
    let mut args = Args::new();
    let sql = format!(
        "UPDATE team_member SET left_on = {}, version = version + 1, updated_at = {} \
         WHERE id = {} AND left_on IS NULL",
        args.bind(Utc::now().date_naive()),
        args.bind(Utc::now()),
        args.bind(id)
    );
    if execute(&tx.txn, sql, args).await? == 0 {
        return Err(AppError::NotFound("team member"));
    }
    let after = fetch(&tx.txn, id).await?;
    tx.audit(
        "removeTeamMember",
        "member",
        id.0,
        team.unit_id,
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok((after, team))
}
