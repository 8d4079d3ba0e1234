//! Result reports and targets.

use async_graphql::{Context, ID, InputObject, Object, Result};

use super::apply;
use crate::authz::Resource;
use crate::domain::TeamId;
use crate::domain::report_edits::{self, Results};
use crate::graphql::types::{Indicator, ResultReport, Target, parse_id};

#[derive(InputObject)]
pub struct ResultsInput {
    pub households_reached: i64,
    pub vneid_activations: i64,
    pub online_applications: i64,
    pub cashless_accounts: i64,
    pub ecommerce_accounts: i64,
}

impl From<ResultsInput> for Results {
    fn from(input: ResultsInput) -> Self {
        Results {
            households_reached: input.households_reached,
            vneid_activations: input.vneid_activations,
            online_applications: input.online_applications,
            cashless_accounts: input.cashless_accounts,
            ecommerce_accounts: input.ecommerce_accounts,
        }
    }
}

#[derive(InputObject)]
pub struct CreateResultReportInput {
    pub team_id: ID,
    /// `YYYY-MM`.
    pub period: String,
    pub results: ResultsInput,
}

#[derive(InputObject)]
pub struct SetTargetInput {
    pub unit_code: String,
    /// `YYYY` or `YYYY-MM`.
    pub period: String,
    pub indicator: Indicator,
    pub value: i64,
}

#[derive(Default)]
pub struct ReportMutations;

#[Object]
impl ReportMutations {
    /// A team's results for a month, as a draft.
    async fn create_result_report(
        &self,
        ctx: &Context<'_>,
        input: CreateResultReportInput,
    ) -> Result<ResultReport> {
        let team = TeamId(parse_id(&input.team_id, "teamId")?);
        let report = apply(ctx, Resource::Report, move |tx, grant| {
            Box::pin(async move {
                report_edits::create(tx, grant, team, &input.period, input.results.into()).await
            })
        })
        .await?;
        Ok(ResultReport(report))
    }

    /// Corrects a draft or submitted report; an approved one is read-only.
    async fn update_result_report(
        &self,
        ctx: &Context<'_>,
        id: ID,
        results: ResultsInput,
        expected_version: Option<i32>,
    ) -> Result<ResultReport> {
        let id = parse_id(&id, "id")?;
        let report = apply(ctx, Resource::Report, move |tx, grant| {
            Box::pin(report_edits::update(
                tx,
                grant,
                id,
                results.into(),
                expected_version,
            ))
        })
        .await?;
        Ok(ResultReport(report))
    }

    async fn submit_result_report(&self, ctx: &Context<'_>, id: ID) -> Result<ResultReport> {
        let id = parse_id(&id, "id")?;
        let report = apply(ctx, Resource::Report, move |tx, grant| {
            Box::pin(report_edits::submit(tx, grant, id))
        })
        .await?;
        Ok(ResultReport(report))
    }

    /// For an officer of the district or a higher level.
    async fn approve_result_report(&self, ctx: &Context<'_>, id: ID) -> Result<ResultReport> {
        let id = parse_id(&id, "id")?;
        let report = apply(ctx, Resource::Report, move |tx, grant| {
            Box::pin(report_edits::approve(tx, grant, id))
        })
        .await?;
        Ok(ResultReport(report))
    }

    /// Sets a target for a unit below the caller's own.
    async fn set_target(&self, ctx: &Context<'_>, input: SetTargetInput) -> Result<Target> {
        let target = apply(ctx, Resource::Report, move |tx, grant| {
            Box::pin(async move {
                report_edits::set_target(
                    tx,
                    grant,
                    &input.unit_code,
                    &input.period,
                    input.indicator.into(),
                    input.value,
                )
                .await
            })
        })
        .await?;
        Ok(Target(target))
    }
}
