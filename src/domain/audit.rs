//! Reading the audit log: who changed what, when, with the record before and after.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::page::{Order, fetch_page};
use super::{Page, PageRequest, UnitId, UserId};
use crate::authz::{Scope, under};
use crate::db::sql::Args;
use crate::error::Result;

#[derive(Clone, Debug, FromQueryResult)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<UserId>,
    pub actor: String,
    pub operation: String,
    pub entity: String,
    pub entity_id: i64,
    pub unit_id: UnitId,
    pub unit_path: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// Entries recorded at units in scope (and under `under_path`), newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    under_path: Option<&str>,
    page: PageRequest,
) -> Result<Page<AuditEntry>> {
    if scope.is_empty() {
        return Ok(Page::empty());
    }
    let from = |args: &mut Args| {
        let mut sql = format!(
            "FROM audit_entry a JOIN admin_unit u ON u.id = a.unit_id WHERE {}",
            scope.sql("u.path", args)
        );
        if let Some(path) = under_path {
            sql.push_str(&format!(" AND {}", under(path, "u.path", args)));
        }
        sql
    };
    let columns = "a.id, a.at, a.user_id, a.actor, a.operation, a.entity, a.entity_id, a.unit_id, \
                   u.path AS unit_path, a.before_json, a.after_json";
    fetch_page(
        conn,
        columns,
        from,
        ("a.id", Order::Newest),
        page,
        |e: &AuditEntry| e.id,
    )
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
