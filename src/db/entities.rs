//! The tables, one SeaORM entity each, as the migrations under `migrations/` create them: the
//! typed columns every statement is built from. Every table has an `id` primary key; the rest
//! is declared here once. Columns holding one of the contract's enumerations are text here; the
//! domain's records read them as their enum types.

/// Declares the entity of one table: `table! { module "table", "what a row is": columns }`.
macro_rules! table {
    ($module:ident $table:literal, $doc:literal: $($column:ident: $ty:ty),+ $(,)?) => {
        #[doc = concat!("`", $table, "`: ", $doc)]
        pub mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                #[sea_orm(primary_key)]
                pub id: i64,
                $(pub $column: $ty,)+
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

table! { admin_unit "admin_unit",
"an administrative unit: province, district (until July 2025), commune or village.":
code: String, name: String, name_folded: String, level: String, division_type: String,
parent_id: Option<i64>, path: String, valid_from: Date, valid_to: Option<Date> }

table! { steering_committee "steering_committee",
"a steering committee for digital transformation, at one unit.":
unit_id: i64, name: String, decision_no: Option<String>, founded_on: Option<Date>,
version: i32, created_at: DateTimeUtc, updated_at: DateTimeUtc, dissolved_on: Option<Date> }

table! { committee_member "committee_member",
"a member of a steering committee.":
committee_id: i64, full_name: String, position: String, title: Option<String>,
sort_order: i32, version: i32 }

table! { team "team",
"a community digital technology team, serving a village or a commune.":
unit_id: i64, name: String, name_folded: String, decision_no: Option<String>,
founded_on: Option<Date>, status: String, dissolved_on: Option<Date>, version: i32,
created_at: DateTimeUtc, updated_at: DateTimeUtc }

table! { team_member "team_member",
"a member of a team; those who left keep their row with `left_on` set.":
team_id: i64, full_name: String, role: String, affiliation: String, phone: Option<String>,
gender: Option<String>, birth_year: Option<i32>, joined_on: Option<Date>,
left_on: Option<Date>, version: i32, created_at: DateTimeUtc, updated_at: DateTimeUtc }

table! { training_session "training_session",
"a training session, organised by a unit.":
organizer_unit_id: i64, title: String, topic: Option<String>, format: String,
starts_at: DateTimeUtc, ends_at: Option<DateTimeUtc>, location: Option<String>,
link: Option<String>, version: i32, created_at: DateTimeUtc, updated_at: DateTimeUtc }

table! { attendance "attendance",
"a member's attendance of a training session.":
session_id: i64, member_id: i64, attended: bool, completed: bool,
certificate_no: Option<String> }

table! { result_report "result_report",
"a team's monthly report of the five basic skills' results.":
team_id: i64, period: String, households_reached: i32, vneid_activations: i32,
online_applications: i32, cashless_accounts: i32, ecommerce_accounts: i32, state: String,
version: i32, created_at: DateTimeUtc, updated_at: DateTimeUtc }

table! { target "target",
"a target set for a unit, a period and an indicator.":
unit_id: i64, set_by_unit_id: Option<i64>, period: String, indicator: String,
target_value: i64, version: i32 }

table! { app_user "app_user",
"an account that signs in.":
username: String, display_name: Option<String>, password_hash: String, active: bool,
created_at: DateTimeUtc, updated_at: DateTimeUtc, token_epoch: i64 }

table! { assignment "assignment",
"a role an account holds at a unit (or, for team leaders, at a team).":
user_id: i64, role: String, unit_id: Option<i64>, team_id: Option<i64>,
created_at: DateTimeUtc }

table! { account_change "account_change",
"a change to an account's roles, with who made it and the roles before and after (JSON).":
at: DateTimeUtc, actor_user_id: Option<i64>, actor: String, user_id: i64, operation: String,
before_json: Option<String>, after_json: Option<String> }

table! { audit_entry "audit_entry",
"one change, as the audit log records it.":
at: DateTimeUtc, user_id: Option<i64>, actor: String, operation: String, entity: String,
entity_id: i64, unit_id: i64, before_json: Option<String>, after_json: Option<String> }

table! { reorganisation "reorganisation",
"a reorganisation of the tree, as applied, with its report (JSON).":
effective_on: Date, title: String, units_opened: i32, units_closed: i32, units_reshaped: i32,
villages_moved: i32, assignments_changed: i32, report: String, applied_at: DateTimeUtc }

table! { unit_shape "unit_shape",
"an earlier shape of a unit: its name and place in the tree over `[valid_from, valid_to)`.":
unit_id: i64, name: String, division_type: String, parent_id: Option<i64>, path: String,
valid_from: Date, valid_to: Date, reorganisation_id: Option<i64> }

table! { unit_lineage "unit_lineage",
"a link from a unit a reform took from to one it gave to, on the date it took effect.":
predecessor_id: i64, successor_id: i64, effective_on: Date, reorganisation_id: Option<i64> }
