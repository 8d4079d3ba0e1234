//! What editing needs: an audit trail written in the same transaction as each change, committees
//! that can be dissolved without losing their record, and versions on committee members for
//! optimistic concurrency like every other editable row.

use sea_orm_migration::prelude::*;

use super::run_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    // `unit_id` is the unit the change belongs to, so that the log is filtered by the same
    // subtree rule as everything else. The actor is kept by name too: accounts may be removed.
    r#"CREATE TABLE audit_entry (
        id {pk},
        at {ts} NOT NULL DEFAULT {now},
        user_id BIGINT REFERENCES app_user (id) ON DELETE SET NULL,
        actor TEXT NOT NULL,
        operation TEXT NOT NULL,
        entity TEXT NOT NULL,
        entity_id BIGINT NOT NULL,
        unit_id BIGINT NOT NULL REFERENCES admin_unit (id),
        before_json TEXT,
        after_json TEXT
    )"#,
    "CREATE INDEX audit_entry_unit ON audit_entry (unit_id, id)",
    "ALTER TABLE steering_committee ADD COLUMN dissolved_on {date}",
    "ALTER TABLE committee_member ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
];

const DOWN: &[&str] = &["DROP TABLE audit_entry"];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_all(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_all(manager, DOWN).await
    }
}
