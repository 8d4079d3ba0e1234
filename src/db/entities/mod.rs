//! The tables, one entity each, as the migrations under `migrations/` create them. Columns
//! holding one of the contract's enumerations are text here; the domain's records read them
//! as their enum types.

pub mod admin_unit;
pub mod app_user;
pub mod assignment;
pub mod attendance;
pub mod audit_entry;
pub mod committee_member;
pub mod result_report;
pub mod steering_committee;
pub mod target;
pub mod team;
pub mod team_member;
pub mod training_session;
