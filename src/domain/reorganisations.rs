//! Reading the reorganisations applied: public to administrators and leaders, newest first.

use async_graphql::SimpleObject;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::page::{Keyed, Order, Walk, fetch_page};
use super::{Page, PageRequest, ReorganisationId};
use crate::db::entities::reorganisation::{Column as R, Entity as Reorganisations};
use crate::db::query;
use crate::error::Result;
use crate::scalars::{Date, Timestamp};

// A reorganisation of the tree, as applied.
#[derive(Clone, Debug, FromQueryResult, SimpleObject)]
#[graphql(complex)]
pub struct Reorganisation {
    pub id: ReorganisationId,
    /// The day the new tree took effect.
    pub effective_on: Date,
    pub title: String,
    pub units_opened: i32,
    pub units_closed: i32,
    /// Units that went on under their code with another parent, name or ground.
    pub units_reshaped: i32,
    /// Villages that moved to another commune.
    pub villages_moved: i32,
    /// Assignments at a unit that closed, or whose unit's ground changed.
    pub assignments_changed: i32,
    pub applied_at: Timestamp,
    #[graphql(skip)]
    pub report: String,
}

impl Keyed for Reorganisation {
    fn key(&self) -> i64 {
        self.id.0
    }
}

pub async fn list(conn: &impl ConnectionTrait, page: PageRequest) -> Result<Page<Reorganisation>> {
    let mut select = Query::select();
    query::every_column(&mut select, Reorganisations)
        .expr_as(Expr::col((Reorganisations, R::AppliedAt)), "applied_at")
        .from(Reorganisations);
    fetch_page(
        conn,
        select,
        None,
        page,
        Order::Newest((Reorganisations, R::Id)),
        Walk::ById,
    )
    .await
}
