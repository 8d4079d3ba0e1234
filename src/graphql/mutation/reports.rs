//! Result reports and targets.

use async_graphql::{Context, ID, Object, Result};

use crate::authz::Resource;
use crate::domain::parse_id;
use crate::domain::report_edits::{self, NewReport, NewTarget, Results};
use crate::graphql::types::{ResultReport, Target};

#[derive(Default)]
pub struct ReportMutations;

#[Object]
impl ReportMutations {
    /// A team's results for a month, as a draft.
    async fn create_result_report(
        &self,
        ctx: &Context<'_>,
        input: NewReport,
    ) -> Result<ResultReport> {
        let created = edit!(ctx, Resource::Report, report_edits::create(input)).await?;
        Ok(ResultReport(created))
    }

    /// Corrects a draft or submitted report; an approved one is read-only.
    async fn update_result_report(
        &self,
        ctx: &Context<'_>,
        id: ID,
        results: Results,
        expected_version: Option<i32>,
    ) -> Result<ResultReport> {
        let id = parse_id(&id, "id")?;
        let corrected = edit!(
            ctx,
            Resource::Report,
            report_edits::update(id, results, expected_version)
        );
        Ok(ResultReport(corrected.await?))
    }

    async fn submit_result_report(&self, ctx: &Context<'_>, id: ID) -> Result<ResultReport> {
        let id = parse_id(&id, "id")?;
        let submitted = edit!(ctx, Resource::Report, report_edits::submit(id)).await?;
        Ok(ResultReport(submitted))
    }

    /// For an officer of the district or a higher level.
    async fn approve_result_report(&self, ctx: &Context<'_>, id: ID) -> Result<ResultReport> {
        let id = parse_id(&id, "id")?;
        let approved = edit!(ctx, Resource::Report, report_edits::approve(id)).await?;
        Ok(ResultReport(approved))
    }

    /// Sets a target for a unit below the caller's own.
    async fn set_target(&self, ctx: &Context<'_>, input: NewTarget) -> Result<Target> {
        let set = edit!(ctx, Resource::Report, report_edits::set_target(input)).await?;
        Ok(Target(set))
    }
}
