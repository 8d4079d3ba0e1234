//! The tree as it was: earlier shapes of units, the lineage between units a reform merged or
//! split, and the reorganisations applied.
//!
//! - `admin_unit` keeps one row per unit (one code, one id, for as long as the code names it).
//!   Its columns are the unit's *current shape*: its name, parent and path since `valid_from`,
//!   and `valid_to` once the unit closed. Rows attached to a unit (teams, committees, sessions,
//!   targets, assignments) never move when the tree above them changes.
//! - `unit_shape` holds every earlier shape: a unit re-parented, renamed or enlarged on a date
//!   keeps its old shape here, `[valid_from, valid_to)`, with the path it had then, so that the
//!   subtree of a unit on a past day is one range over the paths of that day.
//! - `unit_lineage` links the units one reform took from (`predecessor`) to the units it gave
//!   to (`successor`), on the date it took effect. A unit that continues under its own code is
//!   its own successor without a row here: its next shape starts on that date.
//! - `reorganisation` records what was applied, when, by which file, with its report.
//!
//! Existing databases have no history yet: nothing to copy.

use sea_orm_migration::prelude::*;

use super::run_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    r#"CREATE TABLE reorganisation (
        id {pk},
        effective_on {date} NOT NULL,
        title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        units_opened INTEGER NOT NULL,
        units_closed INTEGER NOT NULL,
        units_reshaped INTEGER NOT NULL,
        villages_moved INTEGER NOT NULL,
        assignments_changed INTEGER NOT NULL,
        report TEXT NOT NULL,
        applied_at {ts} NOT NULL DEFAULT {now}
    )"#,
    "CREATE INDEX reorganisation_effective ON reorganisation (effective_on)",
    r#"CREATE TABLE unit_shape (
        id {pk},
        unit_id BIGINT NOT NULL REFERENCES admin_unit (id),
        name TEXT NOT NULL,
        division_type TEXT NOT NULL,
        parent_id BIGINT REFERENCES admin_unit (id),
        path {path} NOT NULL,
        valid_from {date} NOT NULL,
        valid_to {date} NOT NULL,
        reorganisation_id BIGINT REFERENCES reorganisation (id),
        CHECK (valid_to > valid_from),
        UNIQUE (unit_id, valid_from)
    )"#,
    "CREATE INDEX unit_shape_path ON unit_shape (path, valid_from)",
    r#"CREATE TABLE unit_lineage (
        id {pk},
        predecessor_id BIGINT NOT NULL REFERENCES admin_unit (id),
        successor_id BIGINT NOT NULL REFERENCES admin_unit (id),
        effective_on {date} NOT NULL,
        reorganisation_id BIGINT REFERENCES reorganisation (id),
        CHECK (predecessor_id <> successor_id),
        UNIQUE (predecessor_id, successor_id, effective_on)
    )"#,
    "CREATE INDEX unit_lineage_successor ON unit_lineage (successor_id, effective_on)",
];

const DOWN: &[&str] = &[
    "DROP TABLE unit_lineage",
    "DROP TABLE unit_shape",
    "DROP TABLE reorganisation",
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
