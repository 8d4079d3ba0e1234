//! `Reorganisation`: a change of the tree as applied, with its report.

use async_graphql::{ComplexObject, Result};

use super::connection;
use crate::domain::reorganise::Report;

pub use crate::domain::reorganisations::Reorganisation;

connection!(ReorganisationConnection, Reorganisation);

#[ComplexObject]
impl Reorganisation {
    /// The report of what it did, in full, as the command printed it: units opened, closed and
    /// reshaped; villages moved; what was attached; assignments whose reach changed.
    async fn report(&self) -> Result<String> {
        let report: Report = serde_json::from_str(&self.report)?;
        Ok(format!("{report:#}"))
    }
}
