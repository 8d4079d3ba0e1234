//! What sign-in safety and separation of duties need from existing tables, added in place.
//!
//! - `app_user.token_epoch`: every access token carries the epoch of its account when it was
//!   issued; changing the password or disabling or re-enabling the account moves the epoch on,
//!   which ends every token issued before. Existing accounts start at 0, as do tokens issued
//!   before this migration, so nobody is signed out by the upgrade itself.
//! - An index on the audit log by record: approving a report asks who wrote or submitted it.

use sea_orm_migration::prelude::*;

use super::run_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "ALTER TABLE app_user ADD COLUMN token_epoch BIGINT NOT NULL DEFAULT 0",
    "CREATE INDEX audit_entry_record ON audit_entry (entity, entity_id)",
];

const DOWN: &[&str] = &[
    "DROP INDEX audit_entry_record",
    "ALTER TABLE app_user DROP COLUMN token_epoch",
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_all(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_all(manager, DOWN).await
    }
}
