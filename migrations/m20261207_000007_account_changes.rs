//! The record of changes to accounts and their assignments (who gave or took a role, when,
//! and the account's roles before and after), beside the audit log of the programme's data,
//! whose entries each belong to a unit: a role over the whole country belongs to none. Adds a
//! table only; existing accounts and assignments are untouched.

use sea_orm_migration::prelude::*;

use super::run_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    r#"CREATE TABLE account_change (
        id {pk},
        at {ts} NOT NULL DEFAULT {now},
        actor_user_id BIGINT REFERENCES app_user (id) ON DELETE SET NULL,
        actor TEXT NOT NULL,
        user_id BIGINT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
        operation TEXT NOT NULL,
        before_json TEXT,
        after_json TEXT
    )"#,
    "CREATE INDEX account_change_user ON account_change (user_id, id)",
];

const DOWN: &[&str] = &["DROP TABLE account_change"];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_all(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_all(manager, DOWN).await
    }
}
