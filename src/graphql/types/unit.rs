//! `AdminUnit`: a province, district, commune or village, with its parent, children and targets.

use crate::graphql::context::Parts;
use crate::graphql::cost;
use async_graphql::{Context, ID, Object, Result};

use super::{AdminLevel, connection};
use crate::domain::{PageRequest, UnitId, units};
use crate::graphql::loaders::{Loaders, one};
use crate::graphql::scalars::Date;

/// An administrative unit (đơn vị hành chính): province, district, commune or village.
pub struct AdminUnit(pub units::Unit);

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
        Ok(one(&Loaders::of(ctx).units, id).await?.map(AdminUnit))
    }
}

#[Object]
impl AdminUnit {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }

    /// The official code (GSO/NSO); villages: `<commune code>.<NN>`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn level(&self) -> AdminLevel {
        self.0.level
    }

    /// tỉnh, thành phố trung ương, huyện, thị xã, quận, thành phố, xã, phường, thị trấn, thôn,
    /// buôn, tổ dân phố…
    async fn division_type(&self) -> &str {
        &self.0.division_type
    }

    async fn valid_from(&self) -> Date {
        self.0.valid_from.into()
    }

    /// Set once a reform merged, split or abolished the unit.
    async fn valid_to(&self) -> Option<Date> {
        self.0.valid_to.map(Date)
    }

    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        AdminUnit::load_optional(ctx, self.0.parent_id).await
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
        let page = units::children(&db.conn, self.0.id, page).await?;
        Ok(AdminUnitConnection::from_page(page, AdminUnit))
    }
}
