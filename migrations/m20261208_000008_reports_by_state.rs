//! Reports of a team in one state (`resultReports(state: SUBMITTED)`: the reports waiting for
//! approval) found through an index: without it SQLite built an index of every report's state
//! for each unit of a province's subtree, and a page of 20 took a second. Adds an index only.

use sea_orm_migration::prelude::*;

use super::run_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &["CREATE INDEX result_report_team_state ON result_report (team_id, state)"];

const DOWN: &[&str] = &["DROP INDEX result_report_team_state"];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_all(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_all(manager, DOWN).await
    }
}
