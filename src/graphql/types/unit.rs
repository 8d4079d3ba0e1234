//! `AdminUnit`: a province, district, commune or village, with its parent, children and targets.

use crate::graphql::context::Parts;
use crate::graphql::cost;
use async_graphql::{ComplexObject, Context, Result};

use super::connection;
use crate::domain::units::history;
use crate::domain::{PageRequest, UnitId, units};
use crate::graphql::loaders::{Loaders, one};

pub use crate::domain::units::Unit as AdminUnit;

connection!(AdminUnitConnection, AdminUnit);

impl AdminUnit {
    /// The unit `id` names, through the request's loader; none for no id.
    pub(crate) async fn load_optional(
        ctx: &Context<'_>,
        id: Option<UnitId>,
    ) -> Result<Option<AdminUnit>> {
        let Some(id) = id else {
            return Ok(None);
        };
        one(&Loaders::of(ctx).units, id).await
    }
}

#[ComplexObject]
impl AdminUnit {
    /// The unit above this one, on the same day as this one is shown.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        match (self.as_of, self.parent_id) {
            (Some(day), Some(parent)) => {
                let db = ctx.service().db();
                Ok(history::by_ids_on(&db.conn, &[parent], day.0).await?.pop())
            }
            _ => AdminUnit::load_optional(ctx, self.parent_id).await,
        }
    }

    /// The units directly below this one: today's, or those of the day this one is shown as of
    /// (for a closed unit, those of its last day).
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn children(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<AdminUnitConnection> {
        let page = PageRequest::parse(first, after.as_deref())?;
        let db = ctx.service().db();
        let page = match self.as_of {
            Some(day) => history::children_on(&db.conn, self.id, day.0, page).await?,
            // A closed unit shows the children of its last day.
            None => match self.valid_to.and_then(|to| to.0.pred_opt()) {
                Some(last) => history::children_on(&db.conn, self.id, last, page).await?,
                None => units::children(&db.conn, self.id, page).await?,
            },
        };
        Ok(AdminUnitConnection::from_page(page, |unit| unit))
    }

    /// The units this shape was formed from by a reorganisation, each as it stood the day
    /// before `validFrom`; a unit that continued under its code lists its own earlier shape.
    #[graphql(complexity = "5 * child_complexity")]
    async fn predecessors(&self, ctx: &Context<'_>) -> Result<Vec<AdminUnit>> {
        let db = ctx.service().db();
        Ok(history::predecessors(&db.conn, self).await?)
    }

    /// The units this shape went to on `validTo`, each as it stood that day; a unit that
    /// continued under its code lists its own next shape. Empty while open.
    #[graphql(complexity = "5 * child_complexity")]
    async fn successors(&self, ctx: &Context<'_>) -> Result<Vec<AdminUnit>> {
        let db = ctx.service().db();
        Ok(history::successors(&db.conn, self).await?)
    }
}
