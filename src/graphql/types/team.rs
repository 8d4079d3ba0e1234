//! `Team` and `TeamMember`: a community digital technology team, its members and their training.

use std::sync::Arc;

use crate::graphql::context::Parts;
use crate::graphql::cost;
use async_graphql::{Context, ID, Object, Result};

use super::{
    AdminUnit, Affiliation, Gender, TeamRole, TeamStatus, TrainingSession, connection, shows,
};
use crate::authz::{Action, Resource};
use crate::domain::{teams, training};
use crate::graphql::loaders::{Loaders, one, required};
use crate::graphql::scalars::Date;

shows!(
    /// A community digital technology team (Tổ công nghệ số cộng đồng).
    Team(teams::Team)
);

connection!(TeamConnection, Team);

#[Object]
impl Team {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn status(&self) -> TeamStatus {
        self.0.status
    }

    async fn founded_on(&self) -> Option<Date> {
        self.0.founded_on.map(Date)
    }

    /// Number of the commune chairman's founding decision.
    async fn decision_no(&self) -> Option<&str> {
        self.0.decision_no.as_deref()
    }

    /// Increases with every change.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// The village (or commune) the team serves.
    async fn unit(&self, ctx: &Context<'_>) -> Result<AdminUnit> {
        let units = &Loaders::of(ctx).units;
        required(units, self.0.unit_id, "team without a unit").await
    }

    /// Current members, leader first.
    #[graphql(complexity = "cost::list(cost::TEAM_MEMBERS, child_complexity)")]
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<TeamMember>> {
        let access = ctx.caller()?;
        let team = &self.0;
        if !access
            .scope(Resource::Member, Action::Read)?
            .contains_team(team.id, &team.unit_path)
        {
            return Ok(Vec::new());
        }
        let personal_data = access
            .reach(Resource::MemberPii, Action::Read)
            .contains_team(team.id, &team.unit_path);
        let unit_path: Arc<str> = Arc::from(team.unit_path.as_str());
        let members = one(&Loaders::of(ctx).team_members, self.0.id).await?;
        Ok(members
            .unwrap_or_default()
            .into_iter()
            .map(|member| TeamMember {
                member,
                unit_path: unit_path.clone(),
                personal_data: Some(personal_data),
            })
            .collect())
    }
}

/// A member just changed, with their team: whether the caller may see their personal fields is
/// asked when one is.
impl From<(teams::Member, teams::Team)> for TeamMember {
    fn from((member, team): (teams::Member, teams::Team)) -> Self {
        TeamMember {
            member: Arc::new(member),
            unit_path: Arc::from(team.unit_path.as_str()),
            personal_data: None,
        }
    }
}

impl TeamMember {
    /// A member of a team serving the unit at `unit_path`, read through another record (a
    /// session's attendee list): whether the caller may see their personal fields is asked
    /// when one is.
    pub fn at(member: teams::Member, unit_path: &str) -> TeamMember {
        TeamMember {
            member: Arc::new(member),
            unit_path: Arc::from(unit_path),
            personal_data: None,
        }
    }

    /// Whether the caller may see this member's phone and birth year: decided once for a whole
    /// team read through its members, else here.
    fn personal_data(&self, ctx: &Context<'_>) -> Result<bool> {
        if let Some(known) = self.personal_data {
            return Ok(known);
        }
        let reach = ctx.caller()?.reach(Resource::MemberPii, Action::Read);
        Ok(reach.contains_team(self.member.team_id, &self.unit_path))
    }
}

/// A member of a team (thành viên tổ).
pub struct TeamMember {
    member: Arc<teams::Member>,
    /// The path of the team's unit, for scope checks on the member's own nested data.
    unit_path: Arc<str>,
    /// Whether the caller may see this member's phone and birth year, when already known.
    personal_data: Option<bool>,
}

#[Object]
impl TeamMember {
    async fn id(&self) -> ID {
        ID(self.member.id.0.to_string())
    }

    async fn full_name(&self) -> &str {
        &self.member.full_name
    }

    async fn role(&self) -> TeamRole {
        self.member.role
    }

    async fn affiliation(&self) -> Affiliation {
        self.member.affiliation
    }

    /// Personal data: `null` unless the caller may see it.
    async fn phone(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        let shown = self.personal_data(ctx)?;
        Ok(self.member.phone.as_deref().filter(|_| shown))
    }

    /// Personal data: `null` unless the caller may see it.
    async fn birth_year(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        let shown = self.personal_data(ctx)?;
        Ok(self.member.birth_year.filter(|_| shown))
    }

    async fn gender(&self) -> Option<Gender> {
        self.member.gender
    }

    async fn joined_on(&self) -> Option<Date> {
        self.member.joined_on.map(Date)
    }

    async fn left_on(&self) -> Option<Date> {
        self.member.left_on.map(Date)
    }

    async fn version(&self) -> i32 {
        self.member.version
    }

    /// The sessions this member was registered for, oldest first.
    #[graphql(complexity = "cost::list(cost::MEMBER_TRAININGS, child_complexity)")]
    async fn trainings(&self, ctx: &Context<'_>) -> Result<Vec<TrainingRecord>> {
        if !ctx
            .caller()?
            .scope(Resource::Attendance, Action::Read)?
            .contains_team(self.member.team_id, &self.unit_path)
        {
            return Ok(Vec::new());
        }
        let records = one(&Loaders::of(ctx).attendance, self.member.id).await?;
        Ok(records
            .unwrap_or_default()
            .into_iter()
            .map(TrainingRecord)
            .collect())
    }
}

/// One member's attendance at one session.
pub struct TrainingRecord(pub training::Attendance);

#[Object]
impl TrainingRecord {
    /// The session. One organised outside the caller's area (neither in it nor above it) is
    /// shown without its details: its title says so, and its topic, place and link are null.
    async fn session(&self, ctx: &Context<'_>) -> Result<TrainingSession> {
        let sessions = &Loaders::of(ctx).sessions;
        let session = required(sessions, self.0.session_id, "attendance without a session").await?;
        let caller = ctx.caller()?;
        let read = caller.reach(Resource::Training, Action::Read);
        let attendance = caller.reach(Resource::Attendance, Action::Read);
        if training::is_visible(&read, &attendance, &session.organizer_path) {
            Ok(session)
        } else {
            Ok(TrainingSession {
                title: training::OUTSIDE_AREA.to_owned(),
                topic: None,
                location: None,
                link: None,
                ..session
            })
        }
    }

    async fn attended(&self) -> bool {
        self.0.attended
    }

    async fn completed(&self) -> bool {
        self.0.completed
    }

    async fn certificate_no(&self) -> Option<&str> {
        self.0.certificate_no.as_deref()
    }
}
