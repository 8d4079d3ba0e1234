//! Accounts and their assignments: a role held at an administrative unit (the whole country when
//! the unit is empty) or, for a team leader, at a team.

use sea_orm_migration::prelude::*;

use super::run_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    // Usernames are compared as typed; the CLI lower-cases them on the way in.
    r#"CREATE TABLE app_user (
        id {pk},
        username TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 64),
        display_name TEXT,
        password_hash TEXT NOT NULL,
        active BOOLEAN NOT NULL DEFAULT TRUE,
        created_at {ts} NOT NULL DEFAULT {now},
        updated_at {ts} NOT NULL DEFAULT {now}
    )"#,
    // Only an administrator may hold a role over the whole country (no unit); a team leader's
    // assignment names the team, whose unit is recorded too so that the assignment reads the
    // same way as the others.
    r#"CREATE TABLE assignment (
        id {pk},
        user_id BIGINT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('ADMIN', 'LEADER', 'OFFICER', 'TEAM_LEADER')),
        unit_id BIGINT REFERENCES admin_unit (id),
        team_id BIGINT REFERENCES team (id),
        created_at {ts} NOT NULL DEFAULT {now},
        CHECK (unit_id IS NOT NULL OR role = 'ADMIN'),
        CHECK ((role = 'TEAM_LEADER') = (team_id IS NOT NULL))
    )"#,
    "CREATE INDEX assignment_user ON assignment (user_id)",
    "CREATE UNIQUE INDEX assignment_once ON assignment (user_id, role, COALESCE(unit_id, 0), COALESCE(team_id, 0))",
];

const DOWN: &[&str] = &["DROP TABLE assignment", "DROP TABLE app_user"];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_all(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_all(manager, DOWN).await
    }
}
