//! `Totals`: the aggregate counts of a unit's subtree that leadership asks for, read through the cache.

use crate::graphql::context::Parts;
use std::sync::Arc;

use crate::graphql::cost;
use async_graphql::{ComplexObject, Context, Result, SimpleObject};

use super::Indicator;
use crate::authz::{Action, Resource};
use crate::cache::{ResultsKey, SeriesKey};
use crate::domain::reports::{self, Indicator as DomainIndicator};
use crate::domain::totals::{self, ChildTotals, ResultTotals};
use crate::graphql::loaders::{ChildResults, Loaders, required};
use crate::scalars::Date;

pub use totals::Totals;

impl Totals {
    fn subject(&self) -> totals::Subject {
        totals::Subject {
            unit: self.unit.clone(),
            day: self.as_of.map(|d| d.0),
        }
    }

    async fn results_for(&self, ctx: &Context<'_>, period: &str) -> Result<Arc<ResultTotals>> {
        let period = totals::parse_period(period)?;
        let db = ctx.service().db();
        let cache = ctx.service().cache();
        // The totals themselves were authorised for this subtree; the figures are read with
        // the caller's own reach, which holds it.
        let scope = ctx.caller()?.scope(Resource::Totals, Action::Read)?;
        let subject = self.subject();
        match (&self.unit, self.as_of) {
            (Some(unit), None) => Ok(cache
                .get_or_compute(
                    &ResultsKey(unit.id, period.clone()),
                    totals::results(&db.conn, &scope, &subject, &period),
                )
                .await?),
            _ => Ok(Arc::new(
                totals::results(&db.conn, &scope, &subject, &period).await?,
            )),
        }
    }
}

#[ComplexObject]
impl Totals {
    /// The day the figures are for: the tree of that day, and the teams and members active
    /// then. Today unless asked for another day.
    async fn as_of(&self) -> Date {
        self.as_of.unwrap_or_else(|| Date(crate::scalars::today()))
    }

    /// The same figures for each unit directly below.
    #[graphql(complexity = "cost::list(cost::UNIT_CHILDREN, child_complexity)")]
    async fn children(&self, ctx: &Context<'_>) -> Result<&[ChildTotals]> {
        // Each month the selection asks of the children is read for all of them in one batch
        // (the loader would batch them anyway, but a slow moment could split a batch).
        for field in ctx.field().selection_set() {
            if field.name() != "results" {
                continue;
            }
            let period = field.arguments()?.into_iter().find_map(|(name, value)| {
                match (name.as_str(), value) {
                    ("period", async_graphql::Value::String(p)) => Some(p),
                    _ => None,
                }
            });
            let Some(Ok(period)) = period.map(|p| totals::parse_period(&p)) else {
                // Refused where the field resolves, with the field named.
                continue;
            };
            let keys = self.children.iter().map(|c| c.results_key(period.clone()));
            Loaders::of(ctx)
                .child_results
                .load_many(keys)
                .await
                .map_err(crate::graphql::loaders::load_error)?;
        }
        Ok(&self.children)
    }

    /// Sums of the approved result reports for a month (`YYYY-MM`) or a year (`YYYY`).
    #[graphql(complexity = "cost::COMPUTED + child_complexity")]
    async fn results(&self, ctx: &Context<'_>, period: String) -> Result<Arc<ResultTotals>> {
        self.results_for(ctx, &period).await
    }

    /// Approved results month by month from `from` to `to` (`YYYY-MM`, at most ten years),
    /// one entry per month, months without reports as zeros: the trend of the five results.
    #[graphql(complexity = "cost::series(child_complexity)")]
    async fn result_series(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
    ) -> Result<Vec<ResultTotals>> {
        let months = totals::months(&from, &to)?;
        let db = ctx.service().db();
        let scope = ctx.caller()?.scope(Resource::Totals, Action::Read)?;
        let subject = self.subject();
        let read = totals::result_series(&db.conn, &scope, &subject, &months);
        match (&self.unit, self.as_of, months.first(), months.last()) {
            // Today's, of a unit: kept in the cache until something under it changes.
            (Some(unit), None, Some(first), Some(last)) => {
                let key = SeriesKey(unit.id, first.clone(), last.clone());
                Ok(ctx
                    .service()
                    .cache()
                    .get_or_compute(&key, read)
                    .await?
                    .to_vec())
            }
            _ => Ok(read.await?),
        }
    }

    /// The targets set for this unit for a period, against what was achieved.
    #[graphql(complexity = "cost::COMPUTED + child_complexity")]
    async fn progress(&self, ctx: &Context<'_>, period: String) -> Result<Vec<TargetProgress>> {
        let period = totals::parse_period(&period)?;
        let db = ctx.service().db();
        let scope = ctx.caller()?.scope(Resource::Totals, Action::Read)?;
        // The country, and a unit as of a past day, have no targets of their own.
        let (Some(unit), None) = (&self.unit, self.as_of) else {
            return Ok(Vec::new());
        };
        let targets = reports::targets(&db.conn, &scope, unit, Some(&period)).await?;
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let results = self.results_for(ctx, &period).await?;
        Ok(targets
            .into_iter()
            .map(|t| {
                let actual = match t.indicator {
                    DomainIndicator::Teams => self.teams,
                    DomainIndicator::Members => self.members,
                    DomainIndicator::MembersTrained => self.members_trained,
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

#[ComplexObject]
impl ChildTotals {
    /// Sums of the approved result reports of this unit's subtree for a month (`YYYY-MM`) or
    /// a year (`YYYY`); every child's are read together, in one statement.
    #[graphql(complexity = "cost::BATCHED + child_complexity")]
    async fn results(&self, ctx: &Context<'_>, period: String) -> Result<ResultTotals> {
        let key = self.results_key(totals::parse_period(&period)?);
        required(&Loaders::of(ctx).child_results, key, "results of a child").await
    }
}

impl ChildTotals {
    /// What this child's results for `period` are loaded by.
    fn results_key(&self, period: String) -> ChildResults {
        let path = self.unit.path.trim_end_matches('/');
        let parent = match path.rfind('/') {
            Some(cut) => path[..=cut].to_owned(),
            None => "/".to_owned(),
        };
        ChildResults {
            parent,
            parent_id: self.unit.parent_id,
            day: self.as_of.map(|d| d.0),
            period,
            child: self.unit.id,
        }
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
