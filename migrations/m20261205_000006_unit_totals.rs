//! Totals kept by every write: per unit, the figures `totals` answers for what is attached to
//! that unit itself (its teams and their members, the sessions it organised, its committees,
//! whether it is a village and has a team), and the approved results of each period. A unit's
//! subtree totals are then the sum of its units' rows, instead of a count over every member.
//!
//! - `unit_total` has one row per unit. The columns per role and affiliation are named after
//!   the contract's values (`role_leader`, `from_village_head`). `change_seq` is raised by every
//!   change of the unit's rows, in the change's own transaction; `delivered_seq` says up to
//!   which change the shared cache was told. A row with `change_seq > delivered_seq` is a change
//!   whose invalidation is still owed, and the partial index finds those.
//! - `commune_total` has one row per commune: the sum of the `unit_total` rows of its subtree
//!   (the commune and its villages), so that a province or the country adds up a few thousand
//!   communes rather than every village. A change adds its difference to its commune's row.
//! - `unit_result` has one row per unit and period with approved reports.
//!
//! The rows of an existing database are computed when the gateway next starts (see
//! `domain::counters::fill_missing`), from the rows already there: nothing is lost.

use sea_orm_migration::prelude::*;

use super::run_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The counted columns, the same in `unit_total` and `commune_total` (`{counted}` below).
const COUNTED: &str = "teams BIGINT NOT NULL DEFAULT 0,
        members BIGINT NOT NULL DEFAULT 0,
        members_trained BIGINT NOT NULL DEFAULT 0,
        training_sessions BIGINT NOT NULL DEFAULT 0,
        committees BIGINT NOT NULL DEFAULT 0,
        villages BIGINT NOT NULL DEFAULT 0,
        villages_with_team BIGINT NOT NULL DEFAULT 0,
        role_leader BIGINT NOT NULL DEFAULT 0,
        role_deputy BIGINT NOT NULL DEFAULT 0,
        role_member BIGINT NOT NULL DEFAULT 0,
        from_village_head BIGINT NOT NULL DEFAULT 0,
        from_police BIGINT NOT NULL DEFAULT 0,
        from_youth_union BIGINT NOT NULL DEFAULT 0,
        from_women_union BIGINT NOT NULL DEFAULT 0,
        from_farmers_union BIGINT NOT NULL DEFAULT 0,
        from_veterans BIGINT NOT NULL DEFAULT 0,
        from_telecom BIGINT NOT NULL DEFAULT 0,
        from_teacher BIGINT NOT NULL DEFAULT 0,
        from_other BIGINT NOT NULL DEFAULT 0";

const UP: &[&str] = &[
    r#"CREATE TABLE unit_total (
        unit_id BIGINT PRIMARY KEY REFERENCES admin_unit (id),
        {counted},
        change_seq BIGINT NOT NULL DEFAULT 0,
        delivered_seq BIGINT NOT NULL DEFAULT 0
    )"#,
    "CREATE INDEX unit_total_owed ON unit_total (unit_id) WHERE change_seq > delivered_seq",
    r#"CREATE TABLE commune_total (
        unit_id BIGINT PRIMARY KEY REFERENCES admin_unit (id),
        {counted}
    )"#,
    "CREATE INDEX admin_unit_level_path ON admin_unit (level, path)",
    r#"CREATE TABLE unit_result (
        unit_id BIGINT NOT NULL REFERENCES admin_unit (id),
        period TEXT NOT NULL,
        reports BIGINT NOT NULL,
        households_reached BIGINT NOT NULL,
        vneid_activations BIGINT NOT NULL,
        online_applications BIGINT NOT NULL,
        cashless_accounts BIGINT NOT NULL,
        ecommerce_accounts BIGINT NOT NULL,
        PRIMARY KEY (unit_id, period)
    )"#,
    "CREATE INDEX unit_result_period ON unit_result (period, unit_id)",
];

const DOWN: &[&str] = &[
    "DROP INDEX admin_unit_level_path",
    "DROP TABLE unit_result",
    "DROP TABLE commune_total",
    "DROP TABLE unit_total",
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements: Vec<String> = UP.iter().map(|s| s.replace("{counted}", COUNTED)).collect();
        let statements: Vec<&str> = statements.iter().map(String::as_str).collect();
        run_all(manager, &statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_all(manager, DOWN).await
    }
}
