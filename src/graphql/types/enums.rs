//! The contract's enumerations, mirrored from the domain.

use async_graphql::Enum;

use crate::authz;
use crate::domain::{committees, reports, teams, training, units};

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "units::AdminLevel")]
pub enum AdminLevel {
    Province,
    District,
    Commune,
    Village,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "teams::TeamStatus")]
pub enum TeamStatus {
    Active,
    Dissolved,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "teams::TeamRole")]
pub enum TeamRole {
    /// Tổ trưởng
    Leader,
    /// Tổ phó
    Deputy,
    Member,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "teams::Affiliation")]
pub enum Affiliation {
    /// Trưởng thôn
    VillageHead,
    /// Công an
    Police,
    /// Đoàn thanh niên
    YouthUnion,
    /// Hội phụ nữ
    WomenUnion,
    /// Hội nông dân
    FarmersUnion,
    /// Cựu chiến binh
    Veterans,
    /// Viễn thông
    Telecom,
    /// Giáo viên
    Teacher,
    Other,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "teams::Gender")]
pub enum Gender {
    Male,
    Female,
    Other,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "committees::CommitteePosition")]
pub enum CommitteePosition {
    /// Trưởng ban
    Head,
    /// Phó trưởng ban
    DeputyHead,
    /// Thành viên
    Member,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "training::TrainingFormat")]
pub enum TrainingFormat {
    Online,
    InPerson,
    Hybrid,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "authz::Role")]
pub enum Role {
    Admin,
    /// Lãnh đạo: reads totals and everything in scope, changes nothing.
    Leader,
    /// Cán bộ chuyên trách: reads and edits the programme's data in scope.
    Officer,
    /// Tổ trưởng: their own team.
    TeamLeader,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "reports::ReportState")]
pub enum ReportState {
    Draft,
    Submitted,
    /// Read-only from now on.
    Approved,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "reports::Indicator")]
pub enum Indicator {
    Teams,
    Members,
    MembersTrained,
    HouseholdsReached,
    VneidActivations,
    OnlineApplications,
    CashlessAccounts,
    EcommerceAccounts,
}
