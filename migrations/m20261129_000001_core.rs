//! The programme's core data: administrative units, steering committees, teams and their
//! members, training and attendance, result reports and targets.

use sea_orm_migration::prelude::*;

use super::run_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    // Units are merged, split and re-parented by reforms (July 2025 abolished districts), and
    // codes are reused across editions: a code is unique only within its validity period, and
    // only one current unit (valid_to IS NULL) may hold a code.
    //
    // `path` is the materialised path of ids from the province down, `/1/16/240/`: everything
    // under a unit is the range [path, path || '~'), one index range scan on both databases.
    // `name_folded` is the accent-free lower-case name that search compares with.
    r#"CREATE TABLE admin_unit (
        id {pk},
        code TEXT NOT NULL CHECK (length(code) BETWEEN 2 AND 16),
        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        name_folded TEXT NOT NULL,
        level TEXT NOT NULL CHECK (level IN ('PROVINCE', 'DISTRICT', 'COMMUNE', 'VILLAGE')),
        division_type TEXT NOT NULL,
        parent_id BIGINT REFERENCES admin_unit (id),
        path {path} NOT NULL,
        valid_from {date} NOT NULL,
        valid_to {date},
        CHECK ((level = 'PROVINCE') = (parent_id IS NULL)),
        CHECK (valid_to IS NULL OR valid_to > valid_from)
    )"#,
    "CREATE UNIQUE INDEX admin_unit_code_period ON admin_unit (code, valid_from)",
    "CREATE UNIQUE INDEX admin_unit_current_code ON admin_unit (code) WHERE valid_to IS NULL",
    "CREATE UNIQUE INDEX admin_unit_path ON admin_unit (path)",
    "CREATE INDEX admin_unit_parent ON admin_unit (parent_id)",
    r#"CREATE TABLE steering_committee (
        id {pk},
        unit_id BIGINT NOT NULL REFERENCES admin_unit (id),
        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        decision_no TEXT,
        founded_on {date},
        version INTEGER NOT NULL DEFAULT 1,
        created_at {ts} NOT NULL DEFAULT {now},
        updated_at {ts} NOT NULL DEFAULT {now}
    )"#,
    "CREATE INDEX steering_committee_unit ON steering_committee (unit_id)",
    r#"CREATE TABLE committee_member (
        id {pk},
        committee_id BIGINT NOT NULL REFERENCES steering_committee (id) ON DELETE CASCADE,
        full_name TEXT NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
        position TEXT NOT NULL CHECK (position IN ('HEAD', 'DEPUTY_HEAD', 'MEMBER')),
        title TEXT,
        sort_order INTEGER NOT NULL DEFAULT 0
    )"#,
    "CREATE INDEX committee_member_committee ON committee_member (committee_id, sort_order)",
    // A village has at most one active team (793/BTTTT-THH: one team per village); dissolved
    // teams stay for the record.
    r#"CREATE TABLE team (
        id {pk},
        unit_id BIGINT NOT NULL REFERENCES admin_unit (id),
        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        name_folded TEXT NOT NULL,
        decision_no TEXT,
        founded_on {date},
        status TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'DISSOLVED')),
        dissolved_on {date},
        version INTEGER NOT NULL DEFAULT 1,
        created_at {ts} NOT NULL DEFAULT {now},
        updated_at {ts} NOT NULL DEFAULT {now}
    )"#,
    "CREATE INDEX team_unit ON team (unit_id)",
    "CREATE UNIQUE INDEX team_one_active_per_unit ON team (unit_id) WHERE status = 'ACTIVE'",
    // Members who leave keep their row (left_on set) so that training history stays whole.
    r#"CREATE TABLE team_member (
        id {pk},
        team_id BIGINT NOT NULL REFERENCES team (id),
        full_name TEXT NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
        role TEXT NOT NULL CHECK (role IN ('LEADER', 'DEPUTY', 'MEMBER')),
        affiliation TEXT NOT NULL CHECK (affiliation IN ('VILLAGE_HEAD', 'POLICE', 'YOUTH_UNION',
            'WOMEN_UNION', 'FARMERS_UNION', 'VETERANS', 'TELECOM', 'TEACHER', 'OTHER')),
        phone TEXT,
        gender TEXT CHECK (gender IN ('MALE', 'FEMALE', 'OTHER')),
        birth_year INTEGER CHECK (birth_year BETWEEN 1900 AND 2100),
        joined_on {date},
        left_on {date},
        version INTEGER NOT NULL DEFAULT 1,
        created_at {ts} NOT NULL DEFAULT {now},
        updated_at {ts} NOT NULL DEFAULT {now},
        CHECK (left_on IS NULL OR joined_on IS NULL OR left_on >= joined_on)
    )"#,
    "CREATE INDEX team_member_team ON team_member (team_id)",
    "CREATE UNIQUE INDEX team_member_one_leader ON team_member (team_id) WHERE role = 'LEADER' AND left_on IS NULL",
    r#"CREATE TABLE training_session (
        id {pk},
        organizer_unit_id BIGINT NOT NULL REFERENCES admin_unit (id),
        title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        topic TEXT,
        format TEXT NOT NULL CHECK (format IN ('ONLINE', 'IN_PERSON', 'HYBRID')),
        starts_at {ts} NOT NULL,
        ends_at {ts},
        location TEXT,
        link TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        created_at {ts} NOT NULL DEFAULT {now},
        updated_at {ts} NOT NULL DEFAULT {now},
        CHECK (ends_at IS NULL OR ends_at > starts_at)
    )"#,
    "CREATE INDEX training_session_organizer ON training_session (organizer_unit_id)",
    r#"CREATE TABLE attendance (
        id {pk},
        session_id BIGINT NOT NULL REFERENCES training_session (id) ON DELETE CASCADE,
        member_id BIGINT NOT NULL REFERENCES team_member (id),
        attended BOOLEAN NOT NULL DEFAULT TRUE,
        completed BOOLEAN NOT NULL DEFAULT FALSE,
        certificate_no TEXT,
        UNIQUE (session_id, member_id)
    )"#,
    "CREATE INDEX attendance_member ON attendance (member_id)",
    // The five basic skills of the community teams, reported monthly per team.
    r#"CREATE TABLE result_report (
        id {pk},
        team_id BIGINT NOT NULL REFERENCES team (id),
        period TEXT NOT NULL CHECK (length(period) = 7),
        households_reached INTEGER NOT NULL DEFAULT 0 CHECK (households_reached >= 0),
        vneid_activations INTEGER NOT NULL DEFAULT 0 CHECK (vneid_activations >= 0),
        online_applications INTEGER NOT NULL DEFAULT 0 CHECK (online_applications >= 0),
        cashless_accounts INTEGER NOT NULL DEFAULT 0 CHECK (cashless_accounts >= 0),
        ecommerce_accounts INTEGER NOT NULL DEFAULT 0 CHECK (ecommerce_accounts >= 0),
        state TEXT NOT NULL DEFAULT 'DRAFT' CHECK (state IN ('DRAFT', 'SUBMITTED', 'APPROVED')),
        version INTEGER NOT NULL DEFAULT 1,
        created_at {ts} NOT NULL DEFAULT {now},
        updated_at {ts} NOT NULL DEFAULT {now},
        UNIQUE (team_id, period)
    )"#,
    r#"CREATE TABLE target (
        id {pk},
        unit_id BIGINT NOT NULL REFERENCES admin_unit (id),
        set_by_unit_id BIGINT REFERENCES admin_unit (id),
        period TEXT NOT NULL CHECK (length(period) BETWEEN 4 AND 7),
        indicator TEXT NOT NULL CHECK (indicator IN ('TEAMS', 'MEMBERS', 'MEMBERS_TRAINED',
            'HOUSEHOLDS_REACHED', 'VNEID_ACTIVATIONS', 'ONLINE_APPLICATIONS', 'CASHLESS_ACCOUNTS',
            'ECOMMERCE_ACCOUNTS')),
        target_value BIGINT NOT NULL CHECK (target_value >= 0),
        version INTEGER NOT NULL DEFAULT 1,
        UNIQUE (unit_id, period, indicator)
    )"#,
];

const DOWN: &[&str] = &[
    "DROP TABLE target",
    "DROP TABLE result_report",
    "DROP TABLE attendance",
    "DROP TABLE training_session",
    "DROP TABLE team_member",
    "DROP TABLE team",
    "DROP TABLE committee_member",
    "DROP TABLE steering_committee",
    "DROP TABLE admin_unit",
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
