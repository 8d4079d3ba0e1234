//! `ResultReport` and `Target`: a team's or unit's monthly results, their review, and the targets set for a unit.

use async_graphql::{ComplexObject, Context, ID, Object, Result};

use super::{AdminUnit, ReportState, Team};
use crate::domain::reports;
use crate::graphql::loaders::{Loaders, one};

use super::{connection, shows};

shows!(
    /// A team's results for one month: the five basic skills.
    ResultReport(reports::Report)
);

connection!(ResultReportConnection, ResultReport);

#[Object]
impl ResultReport {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn team(&self, ctx: &Context<'_>) -> Result<Option<Team>> {
        Ok(one(&Loaders::of(ctx).teams, self.0.team_id)
            .await?
            .map(Team))
    }

    /// `YYYY-MM`.
    async fn period(&self) -> &str {
        &self.0.period
    }

    /// Households the team reached.
    async fn households_reached(&self) -> i32 {
        self.0.households_reached
    }

    /// Residents guided to activate VNeID (level 2).
    async fn vneid_activations(&self) -> i32 {
        self.0.vneid_activations
    }

    /// Online public-service applications.
    async fn online_applications(&self) -> i32 {
        self.0.online_applications
    }

    /// Cashless-payment accounts opened.
    async fn cashless_accounts(&self) -> i32 {
        self.0.cashless_accounts
    }

    /// E-commerce accounts or shops opened.
    async fn ecommerce_accounts(&self) -> i32 {
        self.0.ecommerce_accounts
    }

    async fn state(&self) -> ReportState {
        self.0.state
    }

    async fn version(&self) -> i32 {
        self.0.version
    }
}

pub use reports::Target;

#[ComplexObject]
impl Target {
    /// The unit at whose level the target was set (the deepest assignment of the setter above
    /// the target's unit); none when it was set over the whole country.
    async fn set_by(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        AdminUnit::load_optional(ctx, self.set_by_unit_id).await
    }
}
