//! Accounts and their assignments.

pub mod roles;

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, Func, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult};

use super::units::{self, AdminLevel};
use super::{TeamId, UnitId, UserId};
use crate::authz::{Grant, Principal, Role};
use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::entities::app_user::{self, Column as AU, Entity as AppUsers};
use crate::db::entities::assignment::{self, Column as A, Entity as Assignments};
use crate::db::entities::team::{Column as T, Entity as Teams};
use crate::db::{conflict_on_unique, query};
use crate::error::{AppError, Result};
use crate::scalars::Date;

// An account; where it holds which role is read beside it.
#[derive(Clone, Debug, FromQueryResult, async_graphql::SimpleObject)]
#[graphql(complex)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: Option<String>,
    #[graphql(skip)]
    pub active: bool,
}

/// An assignment as shown to people: the role and the unit's code and name.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Assignment {
    pub user_id: UserId,
    pub role: Role,
    /// The unit the role is held at; none for an administrator, who holds it everywhere.
    pub unit_id: Option<UnitId>,
    /// The unit's path, code and level, read with it.
    pub unit_path: Option<String>,
    pub unit_code: Option<String>,
    pub unit_level: Option<AdminLevel>,
    /// For a team leader: their team.
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

/// The columns a [`User`] is read from.
fn users() -> SelectStatement {
    Query::select()
        .columns([AU::Id, AU::Username, AU::DisplayName, AU::Active])
        .from(AppUsers)
        .to_owned()
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
    let row = app_user::ActiveModel {
        username: Set(username),
        display_name: Set(display_name.map(str::to_owned)),
        password_hash: Set(password_hash.to_owned()),
        ..Default::default()
    };
    let id = AppUsers::insert(row)
        .exec(conn)
        .await
        .map_err(|e| conflict_on_unique(e, "username", "already taken"))?
        .last_insert_id;
    Ok(UserId(id))
}

pub async fn find(conn: &impl ConnectionTrait, username: &str) -> Result<Option<User>> {
    let select = users()
        .and_where(Expr::col(AU::Username).eq(username.trim().to_lowercase()))
        .to_owned();
    Ok(query::one(conn, &select).await?)
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
    let select = Query::select()
        .columns([AU::Id, AU::PasswordHash, AU::TokenEpoch])
        .from(AppUsers)
        .and_where(Expr::col(AU::Username).eq(username))
        .and_where(Expr::col(AU::Active))
        .to_owned();
    let rows = query::rows(conn, &select).await?;
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
    let select = users().order_by(AU::Username, Order::Asc).to_owned();
    Ok(query::all(conn, &select).await?)
}

pub async fn list_by_ids(conn: &impl ConnectionTrait, ids: &[UserId]) -> Result<Vec<User>> {
    let select = users()
        .and_where(Expr::col(AU::Id).is_in(ids.iter().map(|u| u.0)))
        .order_by(AU::Id, Order::Asc)
        .to_owned();
    Ok(query::all(conn, &select).await?)
}

pub async fn assignments_of(
    conn: &impl ConnectionTrait,
    users: &[UserId],
) -> Result<Vec<Assignment>> {
    let mut select = Query::select();
    select.from(Assignments);
    assignments_with_units(&mut select)
        .and_where(Expr::col((Assignments, A::UserId)).is_in(users.iter().map(|u| u.0)))
        .order_by((Assignments, A::UserId), Order::Asc)
        .order_by((Assignments, A::Id), Order::Asc);
    Ok(query::all(conn, &select).await?)
}

/// The columns an [`Assignment`] is read from, its unit joined: for a statement that already
/// holds the assignments.
fn assignments_with_units(select: &mut SelectStatement) -> &mut SelectStatement {
    select
        .columns([A::UserId, A::Role, A::UnitId, A::TeamId].map(|c| (Assignments, c)))
        .expr_as(Expr::col((Units, U::Path)), "unit_path")
        .expr_as(Expr::col((Units, U::Code)), "unit_code")
        .expr_as(Expr::col((Units, U::Level)), "unit_level")
        .expr_as(Expr::col((Units, U::ValidTo)), "unit_closed_on")
        .left_join(
            Units,
            Expr::col((Units, U::Id)).equals((Assignments, A::UnitId)),
        )
}

/// The signed-in user behind a token, if the account still exists and is active. One
/// statement: it runs on every request.
pub async fn principal(conn: &impl ConnectionTrait, id: UserId) -> Result<Option<Principal>> {
    let mut select = Query::select();
    select
        .columns([(AppUsers, AU::Username), (AppUsers, AU::TokenEpoch)])
        .from(AppUsers)
        .left_join(
            Assignments,
            Expr::col((Assignments, A::UserId)).equals((AppUsers, AU::Id)),
        );
    assignments_with_units(&mut select)
        .and_where(Expr::col((AppUsers, AU::Id)).eq(id.0))
        .and_where(Expr::col((AppUsers, AU::Active)))
        .order_by((Assignments, A::Id), Order::Asc);
    let rows = query::rows(conn, &select).await?;
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
        let unit_path: Option<String> = row.try_get("", "unit_path")?;
        let closed_on: Option<Date> = row.try_get("", "unit_closed_on")?;
        // An assignment at a closed unit reaches the villages the unit held when it closed.
        let held = match (&unit_path, closed_on) {
            (Some(path), Some(on)) => units::held_when_closed(conn, path, on).await?,
            _ => Vec::new(),
        };
        grants.push(Grant {
            role,
            unit_id: row.try_get("", "unit_id")?,
            unit_path,
            unit_level: row.try_get("", "unit_level")?,
            team_id: row.try_get("", "team_id")?,
            held,
        });
    }
    Ok(Some(Principal::new(id, username, grants, token_epoch)))
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
            let select = Query::select()
                .column(T::UnitId)
                .from(Teams)
                .and_where(Expr::col(T::Id).eq(team.0))
                .to_owned();
            let rows = query::rows(conn, &select).await?;
            let row = rows.first().ok_or(AppError::NotFound("team"))?;
            Some(UnitId(row.try_get("", "unit_id")?))
        }
        _ => unit,
    };
    let held = Query::select()
        .from(Assignments)
        .and_where(Expr::col(A::UserId).eq(user.0))
        .and_where(Expr::col(A::Role).eq(role.as_str()))
        .and_where(Func::coalesce([Expr::col(A::UnitId), Expr::val(0)]).eq(unit.map_or(0, |u| u.0)))
        .and_where(Func::coalesce([Expr::col(A::TeamId), Expr::val(0)]).eq(team.map_or(0, |t| t.0)))
        .to_owned();
    if query::exists(conn, &held).await? {
        return Ok(());
    }
    let row = assignment::ActiveModel {
        user_id: Set(user.0),
        role: Set(role.as_str().to_owned()),
        unit_id: Set(unit.map(|u| u.0)),
        team_id: Set(team.map(|t| t.0)),
        ..Default::default()
    };
    Assignments::insert(row).exec(conn).await?;
    Ok(())
}

/// Changes an account and ends its tokens (sessions signed in before the change).
async fn change_account(
    conn: &impl ConnectionTrait,
    username: &str,
    column: AU,
    value: impl Into<Expr>,
) -> Result<()> {
    let update = Query::update()
        .table(AppUsers)
        .value(column, value)
        .value(AU::TokenEpoch, Expr::col(AU::TokenEpoch).add(1))
        .and_where(Expr::col(AU::Username).eq(username.trim().to_lowercase()))
        .to_owned();
    match query::execute(conn, &update).await? {
        0 => Err(AppError::NotFound("user")),
        _ => Ok(()),
    }
}

pub async fn set_active(conn: &impl ConnectionTrait, username: &str, active: bool) -> Result<()> {
    change_account(conn, username, AU::Active, active).await
}

pub async fn set_password_hash(
    conn: &impl ConnectionTrait,
    username: &str,
    password_hash: &str,
) -> Result<()> {
    change_account(conn, username, AU::PasswordHash, password_hash).await
}
