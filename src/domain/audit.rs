//! Reading the audit log: who changed what, when, with the record before and after.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::page::{Keyed, Listing, Order};
use super::{Page, UnitId, UserId};
use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::entities::audit_entry::{Column as E, Entity as Entries};
use crate::db::query;
use crate::error::Result;

/// One recorded change, with the path of its unit for scope checks.
#[derive(Clone, Debug, FromQueryResult)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The account that made the change; none for the command line's operator.
    pub user_id: Option<UserId>,
    /// Who made it, by name as it was then (`command line` for the operator).
    pub actor: String,
    /// The mutation, as the contract names it (`updateTeam`).
    pub operation: String,
    /// What changed: `team`, `member`, `committee`…
    pub entity: String,
    pub entity_id: i64,
    /// The unit the change belongs to, whose area may read it.
    pub unit_id: UnitId,
    pub unit_path: String,
    /// The record before the change, as JSON; none for a creation.
    pub before_json: Option<String>,
    /// The record after the change, as JSON; none for a deletion.
    pub after_json: Option<String>,
}

/// Entries recorded at units in scope (and under `under_path`), newest first.
pub async fn list(conn: &impl ConnectionTrait, list: &Listing) -> Result<Page<AuditEntry>> {
    let mut select = query::joined_to_unit(Entries, E::UnitId);
    query::with_unit_path(&mut select, Entries, "unit_path")
        .cond_where(list.scope.over_units((Units, U::Path)));
    list.fetch(conn, select, Order::Newest((Entries, E::Id)))
        .await
}

/// Removes personal fields from a recorded snapshot, at any depth.
pub fn redact(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for key in ["phone", "birthYear"] {
                if let Some(v) = map.get_mut(key) {
                    *v = serde_json::Value::Null;
                }
            }
            map.values_mut().for_each(redact);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

impl Keyed for AuditEntry {
    fn key(&self) -> i64 {
        self.id
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn personal_fields_are_blanked_at_any_depth() {
        let mut v = serde_json::json!({ "fullName": "A", "phone": "0912345678",
            "members": [{ "birthYear": 1990, "role": "LEADER" }] });
        super::redact(&mut v);
        assert_eq!(
            v,
            serde_json::json!({ "fullName": "A", "phone": null,
                "members": [{ "birthYear": null, "role": "LEADER" }] })
        );
    }
}
