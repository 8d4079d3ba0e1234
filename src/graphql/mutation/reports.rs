//! Result reports and targets.

use crate::authz::Resource;
use crate::domain::ReportId;
use crate::domain::report_edits::{self as edits, NewReport, NewTarget, Results};
use crate::graphql::types::{ResultReport, Target};

mutations!(ReportMutations {
    /// A team's results for a month, as a draft.
    create_result_report(input: NewReport) -> ResultReport =
        Resource::Report => edits::create(input);
    /// Corrects a draft or submitted report; an approved one is read-only.
    update_result_report(id: ReportId, results: Results, expected_version: Option<i32>)
        -> ResultReport = Resource::Report => edits::update(id, results, expected_version);
    submit_result_report(id: ReportId) -> ResultReport = Resource::Report => edits::submit(id);
    /// For an officer whose area holds the team, of the commune or a level above it, other
    /// than who wrote or submitted the report; a refusal says why in `extensions.reason`.
    approve_result_report(id: ReportId) -> ResultReport = Resource::Report => edits::approve(id);
    /// Removes a draft (its author, or an officer whose area holds the team); a submitted or
    /// approved report stays.
    delete_result_report(id: ReportId) -> bool = Resource::Report => edits::delete(id);
    /// Sets a target for a unit below the caller's own.
    set_target(input: NewTarget) -> Target = Resource::Report => edits::set_target(input);
});
