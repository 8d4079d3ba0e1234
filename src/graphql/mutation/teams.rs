//! Teams and their members.

use crate::graphql::context::Parts;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};

use super::{apply, change};
use crate::authz::Resource;
use crate::domain::member_edits::{self, MemberChange, NewMember};
use crate::domain::team_edits::{self, NewTeam, TeamChange};
use crate::domain::{MemberId, TeamId};
use crate::graphql::scalars::Date;
use crate::graphql::types::{
    Affiliation, Gender, Team, TeamMember, TeamRole, TeamStatus, parse_id,
};

#[derive(InputObject)]
pub struct CreateTeamInput {
    /// The village (or commune) the team serves.
    pub unit_code: String,
    pub name: String,
    pub founded_on: Option<Date>,
    /// Number of the commune chairman's founding decision.
    pub decision_no: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateTeamInput {
    pub name: Option<String>,
    pub founded_on: MaybeUndefined<Date>,
    pub decision_no: MaybeUndefined<String>,
    /// Moves the team to another village or commune; both must be in the caller's area.
    pub unit_code: Option<String>,
    pub status: Option<TeamStatus>,
    /// The `version` the change was made against; a newer one is `CONFLICT`.
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct AddTeamMemberInput {
    pub team_id: ID,
    pub full_name: String,
    pub role: TeamRole,
    pub affiliation: Affiliation,
    /// A Vietnamese number: 0 or +84, then 9 digits (mobile) or 10 (landline).
    pub phone: Option<String>,
    pub gender: Option<Gender>,
    pub birth_year: Option<i32>,
    pub joined_on: Option<Date>,
}

#[derive(InputObject)]
pub struct UpdateTeamMemberInput {
    pub full_name: Option<String>,
    pub role: Option<TeamRole>,
    pub affiliation: Option<Affiliation>,
    pub phone: MaybeUndefined<String>,
    pub gender: MaybeUndefined<Gender>,
    pub birth_year: MaybeUndefined<i32>,
    pub joined_on: MaybeUndefined<Date>,
    pub expected_version: Option<i32>,
}

#[derive(Default)]
pub struct TeamMutations;

#[Object]
impl TeamMutations {
    /// Registers a team for a village (or commune) in the caller's area.
    async fn create_team(&self, ctx: &Context<'_>, input: CreateTeamInput) -> Result<Team> {
        let team = apply(ctx, Resource::Team, move |tx, grant| {
            Box::pin(team_edits::create(
                tx,
                grant,
                NewTeam {
                    unit_code: input.unit_code,
                    name: input.name,
                    founded_on: input.founded_on.map(|d| d.0),
                    decision_no: input.decision_no,
                },
            ))
        })
        .await?;
        Ok(Team(team))
    }

    async fn update_team(&self, ctx: &Context<'_>, id: ID, input: UpdateTeamInput) -> Result<Team> {
        let id = TeamId(parse_id(&id, "id")?);
        let team = apply(ctx, Resource::Team, move |tx, grant| {
            Box::pin(team_edits::update(
                tx,
                grant,
                id,
                TeamChange {
                    name: input.name,
                    founded_on: change(input.founded_on, |d| d.0),
                    decision_no: change(input.decision_no, |d| d),
                    unit_code: input.unit_code,
                    status: input.status.map(Into::into),
                    expected_version: input.expected_version,
                },
            ))
        })
        .await?;
        Ok(Team(team))
    }

    /// Marks a team dissolved; its record and members' history stay.
    async fn dissolve_team(&self, ctx: &Context<'_>, id: ID) -> Result<Team> {
        let id = TeamId(parse_id(&id, "id")?);
        let team = apply(ctx, Resource::Team, move |tx, grant| {
            Box::pin(team_edits::dissolve(tx, grant, id))
        })
        .await?;
        Ok(Team(team))
    }

    async fn add_team_member(
        &self,
        ctx: &Context<'_>,
        input: AddTeamMemberInput,
    ) -> Result<TeamMember> {
        let team_id = TeamId(parse_id(&input.team_id, "teamId")?);
        let access = ctx.caller()?;
        let rules = *ctx.service().rules();
        let (member, team) = apply(ctx, Resource::Member, move |tx, grant| {
            Box::pin(async move {
                member_edits::add(
                    tx,
                    grant,
                    NewMember {
                        team_id,
                        full_name: input.full_name,
                        role: input.role.into(),
                        affiliation: input.affiliation.into(),
                        phone: input.phone,
                        gender: input.gender.map(Into::into),
                        birth_year: input.birth_year,
                        joined_on: input.joined_on.map(|d| d.0),
                    },
                    &rules,
                )
                .await
            })
        })
        .await?;
        Ok(TeamMember::seen_by(access, member, &team))
    }

    async fn update_team_member(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateTeamMemberInput,
    ) -> Result<TeamMember> {
        let id = MemberId(parse_id(&id, "id")?);
        let access = ctx.caller()?;
        let (member, team) = apply(ctx, Resource::Member, move |tx, grant| {
            Box::pin(member_edits::update(
                tx,
                grant,
                id,
                MemberChange {
                    full_name: input.full_name,
                    role: input.role.map(Into::into),
                    affiliation: input.affiliation.map(Into::into),
                    phone: change(input.phone, |p| p),
                    gender: change(input.gender, Into::into),
                    birth_year: change(input.birth_year, |y| y),
                    joined_on: change(input.joined_on, |d| d.0),
                    expected_version: input.expected_version,
                },
            ))
        })
        .await?;
        Ok(TeamMember::seen_by(access, member, &team))
    }

    /// The member leaves the team; their training record stays.
    async fn remove_team_member(&self, ctx: &Context<'_>, id: ID) -> Result<TeamMember> {
        let id = MemberId(parse_id(&id, "id")?);
        let access = ctx.caller()?;
        let (member, team) = apply(ctx, Resource::Member, move |tx, grant| {
            Box::pin(member_edits::remove(tx, grant, id))
        })
        .await?;
        Ok(TeamMember::seen_by(access, member, &team))
    }
}
