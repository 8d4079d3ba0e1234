//! Monthly result reports of the teams (the five basic skills) and the targets set for units.

use async_graphql::SimpleObject;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::page::{self, Keyed, Listing};
use super::units::Unit;
use super::{Page, ReportId, TargetId, TeamId, UnitId};
use crate::authz::Scope;
use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::entities::result_report::{Column as R, Entity as Reports};
use crate::db::entities::target::{Column as TG, Entity as Targets};
use crate::db::entities::team::{Column as T, Entity as Teams};
use crate::db::query;
use crate::error::{AppError, Result};
use crate::text_enum;

text_enum!(ReportState {
    Draft,
    Submitted,
    /// Read-only from now on.
    Approved,
});

// What a target is set for.
text_enum!(Indicator {
    Teams,
    Members,
    MembersTrained,
    HouseholdsReached,
    VneidActivations,
    OnlineApplications,
    CashlessAccounts,
    EcommerceAccounts,
});

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub id: ReportId,
    pub team_id: TeamId,
    #[serde(skip)]
    pub unit_id: UnitId,
    #[serde(skip)]
    pub unit_path: String,
    pub period: String,
    /// Households the team reached.
    pub households_reached: i32,
    /// Residents guided to activate their VNeID (level 2).
    pub vneid_activations: i32,
    /// Online public-service applications made with the team's help.
    pub online_applications: i32,
    /// Cashless-payment accounts opened.
    pub cashless_accounts: i32,
    /// E-commerce accounts or shops opened.
    pub ecommerce_accounts: i32,
    pub state: ReportState,
    pub version: i32,
}

/// Reports with their teams and units, in `scope`, and the columns a [`Report`] is read from.
fn in_scope(scope: &Scope) -> SelectStatement {
    let mut select = Query::select();
    query::every_column(&mut select, Reports)
        .column((Teams, T::UnitId))
        .expr_as(Expr::col((Units, U::Path)), "unit_path")
        .from(Reports)
        .inner_join(
            Teams,
            Expr::col((Teams, T::Id)).equals((Reports, R::TeamId)),
        )
        .inner_join(Units, Expr::col((Units, U::Id)).equals((Teams, T::UnitId)))
        .cond_where(scope.over_teams((Units, U::Path), (Teams, T::Id)));
    select
}

/// Reports of teams in scope (and under `under_path`, of `period` and in `state`, when given).
pub async fn list(
    conn: &impl ConnectionTrait,
    list: &Listing,
    period: Option<&str>,
    state: Option<ReportState>,
) -> Result<Page<Report>> {
    let mut select = in_scope(&list.scope);
    if let Some(state) = state {
        select.and_where(Expr::col((Reports, R::State)).eq(state.as_str()));
    }
    if let Some(period) = period {
        select.and_where(Expr::col((Reports, R::Period)).eq(period));
    }
    if let Some(day) = list.day {
        // Reports of the months up to that day's.
        let month = day.format("%Y-%m").to_string();
        select.and_where(Expr::col((Reports, R::Period)).lte(month));
    }
    list.fetch(conn, select, page::Order::Oldest((Reports, R::Id)))
        .await
}

pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: ReportId) -> Result<Report> {
    let select = in_scope(scope)
        .and_where(Expr::col((Reports, R::Id)).eq(id))
        .to_owned();
    super::found(conn, &select, "result report").await
}

// A target set for a unit by a level above it.
#[derive(Clone, Debug, FromQueryResult, serde::Serialize, SimpleObject)]
#[serde(rename_all = "camelCase")]
#[graphql(complex)]
pub struct Target {
    pub id: TargetId,
    #[graphql(skip)]
    pub unit_id: UnitId,
    /// The unit whose officer set the target; none when set over the whole country.
    #[graphql(skip)]
    pub set_by_unit_id: Option<UnitId>,
    /// `YYYY` or `YYYY-MM`.
    pub period: String,
    pub indicator: Indicator,
    #[graphql(name = "value")]
    pub target_value: i64,
    pub version: i32,
}

/// The targets set for a unit in `scope`, optionally for one period; `FORBIDDEN` for a unit
/// outside it.
pub async fn targets(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    unit: &Unit,
    period: Option<&str>,
) -> Result<Vec<Target>> {
    if !scope.contains(&unit.path) {
        return Err(AppError::Forbidden);
    }
    let mut select = Query::select();
    query::every_column(&mut select, Targets)
        .from(Targets)
        .and_where(Expr::col(TG::UnitId).eq(unit.id.0));
    if let Some(period) = period {
        select.and_where(Expr::col(TG::Period).eq(period));
    }
    select
        .order_by(TG::Period, Order::Asc)
        .order_by(TG::Indicator, Order::Asc);
    Ok(query::all(conn, &select).await?)
}

impl Keyed for Report {
    fn key(&self) -> i64 {
        self.id.0
    }
}
