//! `AuditEntry`: one recorded change, who made it, when, and the record before and after.

use crate::graphql::cost;
use crate::graphql::scalars::Timestamp;
use async_graphql::{Context, ID, Json, Object, Result};

use super::{AdminUnit, connection};
use crate::domain::audit;
use crate::graphql::loaders::{Loaders, one};

/// One recorded change.
pub struct AuditEntry {
    pub entry: audit::AuditEntry,
    /// Whether the reader may see personal fields in the snapshots.
    pub personal_data: bool,
}

connection!(AuditEntryConnection, AuditEntry);

impl AuditEntry {
    fn snapshot(&self, raw: &Option<String>) -> Option<Json<serde_json::Value>> {
        let mut value: serde_json::Value = serde_json::from_str(raw.as_deref()?).ok()?;
        if !self.personal_data {
            audit::redact(&mut value);
        }
        Some(Json(value))
    }
}

#[Object]
impl AuditEntry {
    async fn id(&self) -> ID {
        ID(self.entry.id.to_string())
    }

    async fn at(&self) -> Timestamp {
        self.entry.at.into()
    }

    /// The account that made the change (or `command line`).
    async fn actor(&self) -> &str {
        &self.entry.actor
    }

    /// The mutation, e.g. `addTeamMember`.
    async fn operation(&self) -> &str {
        &self.entry.operation
    }

    /// The kind of record: team, member, committee, committeeMember, trainingSession,
    /// attendance, report, target.
    async fn entity(&self) -> &str {
        &self.entry.entity
    }

    async fn entity_id(&self) -> ID {
        ID(self.entry.entity_id.to_string())
    }

    /// The unit the change belongs to.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        one(&Loaders::of(ctx).units, self.entry.unit_id).await
    }

    /// The record before the change (none for a creation); personal fields are `null` for
    /// readers not granted them.
    #[graphql(complexity = "cost::DOCUMENT")]
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.snapshot(&self.entry.before_json)
    }

    /// The record after the change (none for a deletion).
    #[graphql(complexity = "cost::DOCUMENT")]
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.snapshot(&self.entry.after_json)
    }
}
