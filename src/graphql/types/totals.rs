//! `Totals`: the aggregate counts of a unit's subtree that leadership asks for, read through the cache.

use crate::graphql::context::Parts;
use std::sync::Arc;

use crate::graphql::cost;
use async_graphql::{Context, Object, Result, SimpleObject};

use super::{AdminUnit, Affiliation, Indicator, TeamRole};
use crate::authz::{Action, Resource};
use crate::cache::ResultsKey;
use crate::domain::reports::{self, Indicator as DomainIndicator};
use crate::domain::totals::{self, ResultTotals};

/// Aggregate figures for a unit's subtree.
pub struct Totals(pub Arc<totals::Totals>);

impl Totals {
    async fn results_for(&self, ctx: &Context<'_>, period: &str) -> Result<Arc<ResultTotals>> {
        let period = totals::parse_period(period)?;
        let db = ctx.service().db();
        let cache = ctx.service().cache();
        let unit = &self.0.unit;
        // The totals themselves were authorised for this unit's subtree; the figures are
        // read with the caller's own reach, which holds it.
        let scope = ctx.caller()?.scope(Resource::Totals, Action::Read)?;
        Ok(cache
            .get_or_compute(
                &ResultsKey(unit.id, period.clone()),
                totals::results(&db.conn, &scope, unit, &period),
            )
            .await?)
    }
}

#[Object]
impl Totals {
    async fn unit(&self) -> AdminUnit {
        self.0.unit.clone()
    }

    /// Active teams (as of the last change: figures are cached, and every change invalidates
    /// them before it answers).
    async fn teams(&self) -> i64 {
        self.0.teams
    }

    /// Current members of active teams.
    async fn members(&self) -> i64 {
        self.0.members
    }

    /// Current members who completed at least one training session.
    async fn members_trained(&self) -> i64 {
        self.0.members_trained
    }

    /// Training sessions organised by units of the subtree.
    async fn training_sessions(&self) -> i64 {
        self.0.training_sessions
    }

    async fn committees(&self) -> i64 {
        self.0.committees
    }

    async fn villages(&self) -> i64 {
        self.0.villages
    }

    /// Villages with an active team.
    async fn villages_with_team(&self) -> i64 {
        self.0.villages_with_team
    }

    async fn members_by_role(&self) -> Vec<RoleCount> {
        self.0
            .members_by_role
            .iter()
            .map(|(role, count)| RoleCount {
                role: (*role),
                count: *count,
            })
            .collect()
    }

    async fn members_by_affiliation(&self) -> Vec<AffiliationCount> {
        self.0
            .members_by_affiliation
            .iter()
            .map(|(affiliation, count)| AffiliationCount {
                affiliation: (*affiliation),
                count: *count,
            })
            .collect()
    }

    /// The same figures for each unit directly below.
    #[graphql(complexity = "cost::list(cost::UNIT_CHILDREN, child_complexity)")]
    async fn children(&self) -> Vec<ChildTotals> {
        self.0.children.iter().cloned().map(ChildTotals).collect()
    }

    /// Sums of the approved result reports for a month (`YYYY-MM`) or a year (`YYYY`).
    #[graphql(complexity = "cost::COMPUTED + child_complexity")]
    async fn results(&self, ctx: &Context<'_>, period: String) -> Result<Arc<ResultTotals>> {
        self.results_for(ctx, &period).await
    }

    /// The targets set for this unit for a period, against what was achieved.
    #[graphql(complexity = "cost::COMPUTED + child_complexity")]
    async fn progress(&self, ctx: &Context<'_>, period: String) -> Result<Vec<TargetProgress>> {
        let period = totals::parse_period(&period)?;
        let db = ctx.service().db();
        let scope = ctx.caller()?.scope(Resource::Totals, Action::Read)?;
        let targets = reports::targets(&db.conn, &scope, &self.0.unit, Some(&period)).await?;
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let results = self.results_for(ctx, &period).await?;
        Ok(targets
            .into_iter()
            .map(|t| {
                let actual = match t.indicator {
                    DomainIndicator::Teams => self.0.teams,
                    DomainIndicator::Members => self.0.members,
                    DomainIndicator::MembersTrained => self.0.members_trained,
                    DomainIndicator::HouseholdsReached => results.households_reached,
                    DomainIndicator::VneidActivations => results.vneid_activations,
                    DomainIndicator::OnlineApplications => results.online_applications,
                    DomainIndicator::CashlessAccounts => results.cashless_accounts,
                    DomainIndicator::EcommerceAccounts => results.ecommerce_accounts,
                };
                TargetProgress {
                    indicator: t.indicator,
                    target: t.target_value,
                    actual,
                    ratio: if t.target_value > 0 {
                        Some(actual as f64 / t.target_value as f64)
                    } else {
                        None
                    },
                }
            })
            .collect())
    }
}

/// One target against what was achieved.
#[derive(SimpleObject)]
pub struct TargetProgress {
    pub indicator: Indicator,
    pub target: i64,
    pub actual: i64,
    /// `actual / target`; none for a target of zero.
    pub ratio: Option<f64>,
}

#[derive(SimpleObject)]
pub struct RoleCount {
    pub role: TeamRole,
    pub count: i64,
}

#[derive(SimpleObject)]
pub struct AffiliationCount {
    pub affiliation: Affiliation,
    pub count: i64,
}

pub struct ChildTotals(pub totals::ChildTotals);

#[Object]
impl ChildTotals {
    async fn unit(&self) -> AdminUnit {
        self.0.unit.clone()
    }

    async fn teams(&self) -> i64 {
        self.0.teams
    }

    async fn members(&self) -> i64 {
        self.0.members
    }

    async fn villages(&self) -> i64 {
        self.0.villages
    }

    async fn villages_with_team(&self) -> i64 {
        self.0.villages_with_team
    }
}
