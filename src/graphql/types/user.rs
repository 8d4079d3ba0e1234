//! `User` and `Assignment`: an account and the roles it holds over units.

use async_graphql::{ComplexObject, Context, ID, Object, Result};

use crate::graphql::context::Parts;

use super::{AdminUnit, Role};
use crate::db::Db;
use crate::domain::{UserId, users};
use crate::error::AppError;

pub use users::User;

impl User {
    pub async fn load(db: &Db, id: UserId) -> Result<User, AppError> {
        let all = users::list_by_ids(&db.conn, &[id]).await?;
        all.into_iter().next().ok_or(AppError::NotFound("user"))
    }
}

#[ComplexObject]
impl User {
    async fn assignments(&self, ctx: &Context<'_>) -> Result<Vec<Assignment>> {
        let db = ctx.service().db();
        let assignments = users::assignments_of(&db.conn, &[self.id]).await?;
        Ok(assignments.into_iter().map(Assignment).collect())
    }
}

/// A role held at an administrative unit (no unit: the whole country) or at a team.
pub struct Assignment(users::Assignment);

#[Object]
impl Assignment {
    async fn role(&self) -> Role {
        self.0.role
    }

    /// The unit whose subtree the role covers; `null` for the whole country.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        AdminUnit::load_optional(ctx, self.0.unit_id).await
    }

    /// For a team leader: the team led.
    async fn team_id(&self) -> Option<ID> {
        self.0.team_id.map(|t| ID(t.0.to_string()))
    }
}
