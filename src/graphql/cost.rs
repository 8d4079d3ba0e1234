//! What an operation costs before it runs, and the budget every operation must fit.
//!
//! A field costs 1 plus what it selects. A list costs its length times what each element
//! selects: a page its `first` (20 when left out), a team's members the most a team may hold,
//! and so on. Fields that reach the database or the cache on their own, or return free-form
//! documents, cost more. The engine adds the costs up while it validates, following every alias
//! and fragment; an operation over the budget is refused before anything runs, and the costing
//! schema ([`super::schema::build_costing_schema`]) tells the caller its cost.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult};

use crate::domain::page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// The most an operation may cost. The contract's largest operation, a page of 100 teams with
/// their units and members, costs about 13,000.
pub const BUDGET: usize = 20_000;

/// Members a team is assumed to hold when costing `members` (the default team size cap).
pub const TEAM_MEMBERS: usize = 20;
/// Sessions a member is assumed to have attended, when costing `trainings`.
pub const MEMBER_TRAININGS: usize = 10;
/// Members of a steering committee, when costing its `members`.
pub const COMMITTEE_MEMBERS: usize = 50;
/// Targets of a unit (a few indicators for each year and month), when costing `targets`.
pub const UNIT_TARGETS: usize = 100;
/// Children of a unit, when costing `totals.children`.
pub const UNIT_CHILDREN: usize = 100;
/// A figure computed by its own statements and kept under its own cache key
/// (`totals.results`, `totals.progress`).
pub const COMPUTED: usize = 500;
/// A figure of one element of a list that the list reads for all its elements in one
/// statement (`totals.children.results`).
pub const BATCHED: usize = 5;
/// A free-form snapshot (an audit entry's `before` or `after`).
pub const DOCUMENT: usize = 20;

/// Keeps sums of costs far from overflowing, whatever the nesting.
const CEILING: usize = 1 << 40;

/// A list of `count` elements each costing `child`.
pub fn list(count: usize, child: usize) -> usize {
    count.saturating_mul(child.max(1)).min(CEILING)
}

/// A page: `first` elements (the default when left out, at most the largest page).
pub fn page(first: Option<i32>, child: usize) -> usize {
    let first = first.map_or(DEFAULT_PAGE_SIZE, |n| i64::from(n).clamp(0, MAX_PAGE_SIZE));
    list(first as usize, child)
}

/// A month-by-month series: one statement, and an entry per month, costed at the most a
/// series may span. (Its bounds are not read here: the cost of every operation of a document
/// is computed, with the variables of the one that runs, so another operation's arguments may
/// be missing.)
pub fn series(child: usize) -> usize {
    COMPUTED.saturating_add(list(crate::domain::totals::MAX_SERIES_MONTHS, child))
}

/// Whether the engine refused an operation for going over [`BUDGET`] (in its own words,
/// which carry no cost).
pub fn is_over_budget(error: &ServerError) -> bool {
    error.message == "Query is too complex."
}

/// Refuses every operation once validated, with what it costs: for the costing schema only.
pub struct CostMeter;

impl ExtensionFactory for CostMeter {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostMeterCheck)
    }
}

struct CostMeterCheck;

#[async_trait::async_trait]
impl Extension for CostMeterCheck {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        Err(vec![over_budget(result.complexity)])
    }
}

fn over_budget(cost: usize) -> ServerError {
    let mut error = ServerError::new(
        format!(
            "the operation costs {cost}, over the budget of {BUDGET}: ask for smaller pages \
             (`first`) or fewer nested lists, or split it into several requests"
        ),
        None,
    );
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    extensions.set("cost", cost as u64);
    extensions.set("budget", BUDGET as u64);
    error.extensions = Some(extensions);
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_multiply_and_never_overflow() {
        assert_eq!(list(20, 6), 120);
        assert_eq!(list(5, 0), 5, "an element costs at least 1");
        assert_eq!(page(None, 3), 60);
        assert_eq!(page(Some(-5), 3), 0);
        assert_eq!(page(Some(1_000_000), 3), 300);
        assert_eq!(list(usize::MAX, usize::MAX), CEILING);
    }
}
