//! `AdminUnit`: a province, district, commune or village, with its parent, children and targets.

use crate::graphql::context::Parts;
use crate::graphql::cost;
use async_graphql::{ComplexObject, Context, Result};

use super::connection;
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
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        AdminUnit::load_optional(ctx, self.parent_id).await
    }

    /// The current units directly below this one.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn children(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<AdminUnitConnection> {
        let page = PageRequest::parse(first, after.as_deref())?;
        let db = ctx.service().db();
        let page = units::children(&db.conn, self.id, page).await?;
        Ok(AdminUnitConnection::from_page(page, |unit| unit))
    }
}
