//! Accounts and their assignments.

use sea_orm::{ConnectionTrait, FromQueryResult};

use super::units::AdminLevel;
use super::{TeamId, UnitId, UserId};
use crate::authz::{Grant, Principal, Role};
use crate::db::sql::{Args, execute, fetch_all, fetch_optional, fetch_rows};
use crate::error::{AppError, Result};

#[derive(Clone, Debug, FromQueryResult)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: Option<String>,
    pub active: bool,
}

/// An assignment as shown to people: the role and the unit's code and name.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Assignment {
    pub user_id: UserId,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub unit_path: Option<String>,
    pub unit_code: Option<String>,
    pub unit_level: Option<AdminLevel>,
    pub team_id: Option<TeamId>,
}

/// Usernames are stored trimmed and lower-case: `Officer.643` and `officer.643` are one account.
pub fn normalise_username(raw: &str) -> Result<String> {
    let name = raw.trim().to_lowercase();
    let valid = (1..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if valid {
        Ok(name)
    } else {
        Err(AppError::bad_input(
            "username",
            "1 to 64 letters, digits, dots, dashes, underscores or @",
        ))
    }
}

pub async fn create(
    conn: &impl ConnectionTrait,
    username: &str,
    display_name: Option<&str>,
    password_hash: &str,
) -> Result<UserId> {
    let username = normalise_username(username)?;
    if find(conn, &username).await?.is_some() {
        return Err(AppError::conflict("username", "already taken"));
    }
    let mut args = Args::new();
    let sql = format!(
        "INSERT INTO app_user (username, display_name, password_hash) VALUES ({}, {}, {}) RETURNING id",
        args.bind(username),
        args.bind(display_name.map(str::to_owned)),
        args.bind(password_hash.to_owned())
    );
    let rows = fetch_rows(conn, sql, args).await?;
    let id: i64 = rows
        .first()
        .ok_or_else(|| anyhow::anyhow!("insert returned no id"))?
        .try_get("", "id")?;
    Ok(UserId(id))
}

pub async fn find(conn: &impl ConnectionTrait, username: &str) -> Result<Option<User>> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT id, username, display_name, active FROM app_user WHERE username = {}",
        args.bind(username.trim().to_lowercase())
    );
    Ok(fetch_optional(conn, sql, args).await?)
}

/// What signing in needs of an active account.
pub struct LoginRecord {
    pub id: UserId,
    pub password_hash: String,
    pub token_epoch: i64,
}

/// The stored hash of an active account, for signing in. `username` is as
/// [`normalise_username`] leaves it.
pub async fn login_record(
    conn: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<LoginRecord>> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT id, password_hash, token_epoch FROM app_user WHERE username = {} AND active",
        args.bind(username.to_owned())
    );
    let rows = fetch_rows(conn, sql, args).await?;
    match rows.first() {
        Some(row) => Ok(Some(LoginRecord {
            id: UserId(row.try_get("", "id")?),
            password_hash: row.try_get("", "password_hash")?,
            token_epoch: row.try_get("", "token_epoch")?,
        })),
        None => Ok(None),
    }
}

pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<User>> {
    Ok(fetch_all(
        conn,
        "SELECT id, username, display_name, active FROM app_user ORDER BY username",
        Args::new(),
    )
    .await?)
}

pub async fn list_by_ids(conn: &impl ConnectionTrait, ids: &[UserId]) -> Result<Vec<User>> {
    let mut args = Args::new();
    let raw: Vec<i64> = ids.iter().map(|u| u.0).collect();
    let sql = format!(
        "SELECT id, username, display_name, active FROM app_user WHERE id IN {} ORDER BY id",
        crate::db::sql::in_list(&mut args, &raw)
    );
    Ok(fetch_all(conn, sql, args).await?)
}

pub async fn assignments_of(
    conn: &impl ConnectionTrait,
    users: &[UserId],
) -> Result<Vec<Assignment>> {
    let mut args = Args::new();
    let ids: Vec<i64> = users.iter().map(|u| u.0).collect();
    let sql = format!(
        "SELECT a.user_id, a.role, a.unit_id, u.path AS unit_path, u.code AS unit_code, \
         u.level AS unit_level, a.team_id \
         FROM assignment a LEFT JOIN admin_unit u ON u.id = a.unit_id \
         WHERE a.user_id IN {} ORDER BY a.user_id, a.id",
        crate::db::sql::in_list(&mut args, &ids)
    );
    Ok(fetch_all(conn, sql, args).await?)
}

/// The signed-in user behind a token, if the account still exists and is active. One
/// statement: it runs on every request.
pub async fn principal(conn: &impl ConnectionTrait, id: UserId) -> Result<Option<Principal>> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT u.username, u.token_epoch, a.role, a.unit_id, au.path AS unit_path, au.level AS unit_level, \
         a.team_id FROM app_user u LEFT JOIN assignment a ON a.user_id = u.id \
         LEFT JOIN admin_unit au ON au.id = a.unit_id WHERE u.id = {} AND u.active ORDER BY a.id",
        args.bind(id)
    );
    let rows = fetch_rows(conn, sql, args).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let username: String = first.try_get("", "username")?;
    let token_epoch: i64 = first.try_get("", "token_epoch")?;
    let mut grants = Vec::with_capacity(rows.len());
    for row in &rows {
        // An account without assignments comes back as one row without a role.
        let Some(role) = row.try_get::<Option<Role>>("", "role")? else {
            continue;
        };
        grants.push(Grant {
            role,
            unit_id: row.try_get("", "unit_id")?,
            unit_path: row.try_get("", "unit_path")?,
            unit_level: row.try_get("", "unit_level")?,
            team_id: row.try_get("", "team_id")?,
        });
    }
    Ok(Some(Principal {
        user_id: id,
        username,
        grants,
        token_epoch,
    }))
}

/// Gives `user` a role at a unit (`None`: the whole country, administrators only) or, for a
/// team leader, at a team.
pub async fn assign(
    conn: &impl ConnectionTrait,
    user: UserId,
    role: Role,
    unit: Option<UnitId>,
    team: Option<TeamId>,
) -> Result<()> {
    match (role, unit, team) {
        (Role::TeamLeader, _, None) => {
            return Err(AppError::bad_input(
                "team",
                "a team leader's assignment names a team",
            ));
        }
        (Role::TeamLeader, _, Some(_)) => {}
        (_, _, Some(_)) => {
            return Err(AppError::bad_input(
                "team",
                "only team leaders are assigned to a team",
            ));
        }
        (Role::Admin, None, None) => {}
        (_, None, None) => {
            return Err(AppError::bad_input(
                "unit",
                "only administrators may hold a role over the whole country",
            ));
        }
        _ => {}
    }
    let unit = match (role, team) {
        // A team leader's unit is the team's.
        (Role::TeamLeader, Some(team)) => {
            let mut args = Args::new();
            let sql = format!("SELECT unit_id FROM team WHERE id = {}", args.bind(team));
            let rows = fetch_rows(conn, sql, args).await?;
            let row = rows.first().ok_or(AppError::NotFound("team"))?;
            Some(UnitId(row.try_get("", "unit_id")?))
        }
        _ => unit,
    };
    let mut args = Args::new();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM assignment WHERE user_id = {} AND role = {} \
         AND COALESCE(unit_id, 0) = {} AND COALESCE(team_id, 0) = {}",
        args.bind(user),
        args.bind(role),
        args.bind(unit.map_or(0, |u| u.0)),
        args.bind(team.map_or(0, |t| t.0))
    );
    let rows = fetch_rows(conn, sql, args).await?;
    if rows
        .first()
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0)
        > 0
    {
        return Ok(());
    }
    let mut args = Args::new();
    let sql = format!(
        "INSERT INTO assignment (user_id, role, unit_id, team_id) VALUES ({}, {}, {}, {})",
        args.bind(user),
        args.bind(role),
        args.bind(unit.map(|u| u.0)),
        args.bind(team.map(|t| t.0))
    );
    execute(conn, sql, args).await?;
    Ok(())
}

pub async fn set_active(conn: &impl ConnectionTrait, username: &str, active: bool) -> Result<()> {
    let mut args = Args::new();
    let sql = format!(
        "UPDATE app_user SET active = {}, token_epoch = token_epoch + 1 WHERE username = {}",
        args.bind(active),
        args.bind(username.trim().to_lowercase())
    );
    match execute(conn, sql, args).await? {
        0 => Err(AppError::NotFound("user")),
        _ => Ok(()),
    }
}

pub async fn set_password_hash(
    conn: &impl ConnectionTrait,
    username: &str,
    password_hash: &str,
) -> Result<()> {
    let mut args = Args::new();
    let sql = format!(
        "UPDATE app_user SET password_hash = {}, token_epoch = token_epoch + 1 \
         WHERE username = {}",
        args.bind(password_hash.to_owned()),
        args.bind(username.trim().to_lowercase())
    );
    match execute(conn, sql, args).await? {
        0 => Err(AppError::NotFound("user")),
        _ => Ok(()),
    }
}
