//! The types clients see. Each wraps a domain value; relations resolve through the request's
//! loaders.

mod audit;
mod committee;
mod reorganisation;
mod report;
mod team;
mod totals;
mod training;
mod unit;
mod user;

/// The contract's enumerations: the domain's own, declared once (`text_enum!`).
pub use crate::authz::Role;
pub use crate::domain::committees::CommitteePosition;
pub use crate::domain::reports::{Indicator, ReportState};
pub use crate::domain::teams::{Affiliation, Gender, TeamRole, TeamStatus};
pub use crate::domain::training::TrainingFormat;
pub use crate::domain::units::AdminLevel;
pub use audit::{AuditEntry, AuditEntryConnection};
pub use committee::{CommitteeConnection, CommitteeMember, SteeringCommittee};
pub use reorganisation::{Reorganisation, ReorganisationConnection};
pub use report::{ResultReport, ResultReportConnection, Target};
pub use team::{Team, TeamConnection, TeamMember, TrainingRecord};
pub use totals::Totals;
pub use training::{TrainingSession, TrainingSessionConnection};
pub use unit::{AdminUnit, AdminUnitConnection};
pub use user::User;

use async_graphql::SimpleObject;

use crate::domain::Page;

#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    pub has_next_page: bool,
    /// Pass as `after` to fetch the next page.
    pub end_cursor: Option<String>,
}

/// Splits a domain page into the parts every connection has.
pub(crate) fn page_parts<T, G>(page: Page<T>, wrap: impl Fn(T) -> G) -> (i64, PageInfo, Vec<G>) {
    let info = PageInfo {
        has_next_page: page.has_next_page,
        end_cursor: page.end_cursor,
    };
    (
        page.total_count,
        info,
        page.nodes.into_iter().map(wrap).collect(),
    )
}

/// Declares a type that shows a domain record through resolvers of its own (for relations
/// that come in the middle of its fields, or fields shown under other names).
macro_rules! shows {
    ($(#[$doc:meta])* $name:ident($record:ty)) => {
        $(#[$doc])*
        pub struct $name(pub $record);

        impl From<$record> for $name {
            fn from(record: $record) -> Self {
                $name(record)
            }
        }
    };
}

macro_rules! connection {
    ($(#[$doc:meta])* $name:ident, $node:ty) => {
        $(#[$doc])*
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            /// How many rows the whole list holds.
            pub total_count: i64,
            pub page_info: $crate::graphql::types::PageInfo,
            pub nodes: Vec<$node>,
        }

        impl $name {
            pub fn from_page<T>(page: $crate::domain::Page<T>, wrap: impl Fn(T) -> $node) -> Self {
                let (total_count, page_info, nodes) = $crate::graphql::types::page_parts(page, wrap);
                $name { total_count, page_info, nodes }
            }
        }
    };
}
pub(crate) use {connection, shows};
