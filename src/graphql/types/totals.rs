use async_graphql::{Object, SimpleObject};

use super::{AdminUnit, Affiliation, TeamRole};
use crate::domain::totals;

/// Aggregate figures for a unit's subtree.
pub struct Totals(pub totals::Totals);

#[Object]
impl Totals {
    async fn unit(&self) -> AdminUnit {
        AdminUnit(self.0.unit.clone())
    }

    /// Active teams.
    async fn teams(&self) -> i64 {
        self.0.teams
    }

    /// Current members of active teams.
    async fn members(&self) -> i64 {
        self.0.members
    }

    /// Current members who completed at least one training session.
    async fn members_trained(&self) -> i64 {
        self.0.members_trained
    }

    /// Training sessions organised by units of the subtree.
    async fn training_sessions(&self) -> i64 {
        self.0.training_sessions
    }

    async fn committees(&self) -> i64 {
        self.0.committees
    }

    async fn villages(&self) -> i64 {
        self.0.villages
    }

    /// Villages with an active team.
    async fn villages_with_team(&self) -> i64 {
        self.0.villages_with_team
    }

    async fn members_by_role(&self) -> Vec<RoleCount> {
        self.0
            .members_by_role
            .iter()
            .map(|(role, count)| RoleCount {
                role: (*role).into(),
                count: *count,
            })
            .collect()
    }

    async fn members_by_affiliation(&self) -> Vec<AffiliationCount> {
        self.0
            .members_by_affiliation
            .iter()
            .map(|(affiliation, count)| AffiliationCount {
                affiliation: (*affiliation).into(),
                count: *count,
            })
            .collect()
    }

    /// The same figures for each unit directly below.
    async fn children(&self) -> Vec<ChildTotals> {
        self.0.children.iter().cloned().map(ChildTotals).collect()
    }
}

#[derive(SimpleObject)]
pub struct RoleCount {
    pub role: TeamRole,
    pub count: i64,
}

#[derive(SimpleObject)]
pub struct AffiliationCount {
    pub affiliation: Affiliation,
    pub count: i64,
}

pub struct ChildTotals(pub totals::ChildTotals);

#[Object]
impl ChildTotals {
    async fn unit(&self) -> AdminUnit {
        AdminUnit(self.0.unit.clone())
    }

    async fn teams(&self) -> i64 {
        self.0.teams
    }

    async fn members(&self) -> i64 {
        self.0.members
    }

    async fn villages(&self) -> i64 {
        self.0.villages
    }

    async fn villages_with_team(&self) -> i64 {
        self.0.villages_with_team
    }
}
