//! Giving and taking an account's roles, each change recorded with who made it and the
//! account's roles before and after (`account_change`), for the command line and for
//! administrators over GraphQL alike.

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, Func, Order, Query};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, TransactionTrait};

use super::{Assignment, User, assign, assignments_of, find};
use crate::authz::{Actor, Role};
use crate::db::Db;
use crate::db::entities::account_change::{self, Column as C, Entity as Changes};
use crate::db::entities::assignment::{Column as A, Entity as Assignments};
use crate::db::query;
use crate::domain::{TeamId, UnitId, units};
use crate::error::{AppError, Result};

/// A role at a unit (none: the whole country) or, for a team leader, at a team.
#[derive(Clone, Debug)]
pub struct RoleAt {
    pub role: Role,
    /// The unit's official code.
    pub unit_code: Option<String>,
    pub team: Option<TeamId>,
}

/// What is done with a [`RoleAt`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleChange {
    /// Added beside the account's other roles.
    Add,
    /// Becomes the account's only role: every other is taken away in the same change.
    Replace,
    /// Taken away; the account keeps its other roles.
    Remove,
}

impl RoleChange {
    fn operation(self) -> &'static str {
        match self {
            RoleChange::Add => "assignRole",
            RoleChange::Replace => "replaceRoles",
            RoleChange::Remove => "unassignRole",
        }
    }
}

/// An assignment as the record keeps it: the role and where, by code.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Held {
    pub role: Role,
    pub unit: Option<String>,
    pub team: Option<i64>,
}

impl From<&Assignment> for Held {
    fn from(a: &Assignment) -> Held {
        Held {
            role: a.role,
            unit: a.unit_code.clone(),
            team: a.team_id.map(|t| t.0),
        }
    }
}

/// Changes `username`'s roles in one transaction, with its record; answers the account and
/// its roles after. Adding a role held already changes nothing (and records nothing); taking
/// away a role not held is `NOT_FOUND`. A role is given at an open unit; one held at a unit a
/// reorganisation closed can still be taken away by that unit's code.
pub async fn change(
    db: &Db,
    actor: &Actor,
    username: &str,
    change: RoleChange,
    at: &RoleAt,
) -> Result<(User, Vec<Assignment>)> {
    let txn = db.conn.begin().await?;
    let user = find(&txn, username)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    let unit = match (&at.unit_code, change) {
        (None, _) => None,
        (Some(code), RoleChange::Remove) => Some(
            units::any_by_code(&txn, code)
                .await?
                .ok_or_else(|| {
                    AppError::bad_input("unitCode", format!("no unit has the code {code}"))
                })?
                .id,
        ),
        (Some(code), _) => Some(
            units::open_for_change(&txn, code, "unitCode")
                .await?
                .ok_or_else(|| {
                    AppError::bad_input("unitCode", format!("no current unit has the code {code}"))
                })?
                .id,
        ),
    };
    let before = assignments_of(&txn, &[user.id]).await?;
    match change {
        RoleChange::Add => assign(&txn, user.id, at.role, unit, at.team).await?,
        RoleChange::Replace => {
            let all = Query::delete()
                .from_table(Assignments)
                .and_where(Expr::col(A::UserId).eq(user.id.0))
                .to_owned();
            query::execute(&txn, &all).await?;
            assign(&txn, user.id, at.role, unit, at.team).await?;
        }
        RoleChange::Remove => remove(&txn, user.id.0, at.role, unit, at.team).await?,
    }
    let after = assignments_of(&txn, &[user.id]).await?;
    let held = |list: &[Assignment]| list.iter().map(Held::from).collect::<Vec<_>>();
    let (was, is) = (held(&before), held(&after));
    if was != is {
        let row = account_change::ActiveModel {
            actor_user_id: Set(actor.user_id.map(|u| u.0)),
            actor: Set(actor.name.clone()),
            user_id: Set(user.id.0),
            operation: Set(change.operation().to_owned()),
            before_json: Set(Some(
                serde_json::to_string(&was).map_err(anyhow::Error::from)?,
            )),
            after_json: Set(Some(
                serde_json::to_string(&is).map_err(anyhow::Error::from)?,
            )),
            ..Default::default()
        };
        Changes::insert(row).exec(&txn).await?;
    }
    txn.commit().await?;
    Ok((user, after))
}

async fn remove(
    conn: &impl ConnectionTrait,
    user: i64,
    role: Role,
    unit: Option<UnitId>,
    team: Option<TeamId>,
) -> Result<()> {
    let delete = Query::delete()
        .from_table(Assignments)
        .and_where(Expr::col(A::UserId).eq(user))
        .and_where(Expr::col(A::Role).eq(role.as_str()))
        .and_where(Func::coalesce([Expr::col(A::UnitId), Expr::val(0)]).eq(unit.map_or(0, |u| u.0)))
        .and_where(Func::coalesce([Expr::col(A::TeamId), Expr::val(0)]).eq(team.map_or(0, |t| t.0)))
        .to_owned();
    match query::execute(conn, &delete).await? {
        0 => Err(AppError::NotFound("assignment")),
        _ => Ok(()),
    }
}

/// One change of an account's roles, as recorded.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Recorded {
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub operation: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// The changes of `username`'s roles, oldest first.
pub async fn history(conn: &impl ConnectionTrait, username: &str) -> Result<Vec<Recorded>> {
    let user = find(conn, username)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    let select = Query::select()
        .columns([C::At, C::Actor, C::Operation, C::BeforeJson, C::AfterJson])
        .from(Changes)
        .and_where(Expr::col(C::UserId).eq(user.id.0))
        .order_by(C::Id, Order::Asc)
        .to_owned();
    Ok(query::all(conn, &select).await?)
}
