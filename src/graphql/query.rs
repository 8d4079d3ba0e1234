//! The query root. Resolvers stay thin: read the caller's access, call the domain, wrap.

use std::sync::Arc;

use crate::graphql::context::Parts;
use crate::graphql::cost;
use async_graphql::{Context, Lookahead, Object, Result};

use super::loaders::{Loaders, prime};
use super::types::{
    AdminUnit, AdminUnitConnection, AuditEntry, AuditEntryConnection, CommitteeConnection,
    ReorganisationConnection, ReportState, ResultReport, ResultReportConnection, Target, Team,
    TeamConnection, TeamStatus, Totals, TrainingSession, TrainingSessionConnection, User,
};

use crate::authz::{Access, Action, Resource};
use crate::cache::{Epoch, TotalsKey};
use crate::db::Db;
use crate::domain::units::Unit;
use crate::domain::{
    Listing, PageRequest, SessionId, TeamId, audit, committees, reorganisations, reports, teams,
    totals, training, units, validate, villages,
};
use crate::error::AppError;
use crate::scalars::Date;

pub struct QueryRoot;

fn parts<'a>(ctx: &Context<'a>) -> Result<(&'a Db, &'a Access)> {
    let db = ctx.service().db();
    let access = ctx.caller()?;
    Ok((db, access))
}

/// The unit holding `code` (the open one, else the one closed last: a closed unit is still
/// found by its code), or `NOT_FOUND`. Remembered between requests while the shared store's
/// epoch holds (see [`crate::cache::Memo`]); a reorganisation moves the epoch on.
pub(crate) async fn unit_by_code(ctx: &Context<'_>, code: &str) -> Result<Unit, AppError> {
    let db = ctx.service().db();
    let cache = ctx.service().cache();
    let epoch = ctx.data_opt::<Epoch>().copied();
    let code = code.trim();
    // Looked up for this request already (to version its kept answer).
    if let Some(unit) = ctx
        .data_opt::<crate::graphql::context::UnitsFound>()
        .and_then(|found| found.0.iter().find(|u| u.code == code))
    {
        return Ok(unit.clone());
    }
    remembered_unit(db, cache, epoch, code)
        .await?
        .ok_or(AppError::NotFound("administrative unit"))
}

/// The unit holding `code` as [`unit_by_code`] finds it, read through the units remembered
/// between requests; `None` when no unit holds it.
pub(crate) async fn remembered_unit(
    db: &Db,
    cache: &crate::cache::Cache,
    epoch: Option<Epoch>,
    code: &str,
) -> Result<Option<Unit>, AppError> {
    let code = code.trim();
    cache
        .units
        .get_or_load(epoch, code.to_owned(), units::any_by_code(&db.conn, code))
        .await
}

/// The path of the unit a list is narrowed to, if the caller named one, and the day the list
/// is of: `as_of`, or for a closed unit its last day. The path is the unit's on that day.
async fn unit_filter(
    ctx: &Context<'_>,
    code: Option<&str>,
    as_of: Option<Date>,
) -> Result<(Option<String>, Option<chrono::NaiveDate>), AppError> {
    let day = as_of.map(|d| d.0);
    let Some(code) = code else {
        return Ok((None, day));
    };
    let db = ctx.service().db();
    let unit = unit_by_code(ctx, code).await?;
    let day = day.or_else(|| unit.valid_to.and_then(|to| to.0.pred_opt()));
    match day {
        None => Ok((Some(unit.path), None)),
        Some(day) => {
            let shape = units::history::unit_on(&db.conn, unit, day)
                .await?
                .ok_or(AppError::NotFound("administrative unit"))?;
            Ok((Some(shape.path), Some(day)))
        }
    }
}

/// Loads, in one batch per relation, what the selection will ask of a page of teams.
async fn prefetch_teams(
    ctx: &Context<'_>,
    selection: Lookahead<'_>,
    teams: &[teams::Team],
) -> Result<()> {
    let loaders = Loaders::of(ctx);
    prime(
        &selection,
        "unit",
        &loaders.units,
        teams.iter().map(|t| t.unit_id),
    )
    .await?;
    let keys = teams.iter().map(|t| t.id);
    let members = prime(&selection, "members", &loaders.team_members, keys).await?;
    let selection = selection.field("members");
    let keys = members.values().flatten().map(|m| m.id);
    let records = prime(&selection, "trainings", &loaders.attendance, keys).await?;
    let selection = selection.field("trainings");
    let keys = records.values().flatten().map(|a| a.session_id);
    prime(&selection, "session", &loaders.sessions, keys).await?;
    Ok(())
}

/// What every list starts from: the caller's scope for `resource`, the page asked for, and the
/// path of the unit `unit_code` narrows it to.
async fn listing<'a>(
    ctx: &Context<'a>,
    resource: Resource,
    unit_code: Option<String>,
    as_of: Option<Date>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<(&'a Db, Listing)> {
    let (db, access) = parts(ctx)?;
    let scope = access.scope(resource, Action::Read)?;
    let page = PageRequest::parse(first, after.as_deref())?;
    let (under, day) = unit_filter(ctx, unit_code.as_deref(), as_of).await?;
    Ok((
        db,
        Listing {
            scope,
            under,
            day,
            page,
        },
    ))
}

#[Object]
impl QueryRoot {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let (db, access) = parts(ctx)?;
        let principal = access.require_principal()?;
        Ok(User::load(db, principal.user_id()).await?)
    }

    /// An administrative unit by its official code, as it stands today or, with `asOf`, as it
    /// stood that day (its name, parent and children then). A closed unit is still found by
    /// its code, with its successors. Units are reference data: any signed-in caller may read
    /// the whole tree.
    async fn admin_unit(
        &self,
        ctx: &Context<'_>,
        code: String,
        as_of: Option<Date>,
    ) -> Result<Option<AdminUnit>> {
        let (db, access) = parts(ctx)?;
        access.scope(Resource::Unit, Action::Read)?;
        let unit = unit_by_code(ctx, &code).await?;
        let Some(day) = as_of else {
            return Ok(Some(unit));
        };
        match units::history::unit_on(&db.conn, unit, day.0).await? {
            Some(shape) => Ok(Some(shape)),
            None => Err(AppError::NotFound("administrative unit").into()),
        }
    }

    /// The reorganisations of the tree applied, newest first: the date each took effect and
    /// what it did.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn reorganisations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ReorganisationConnection> {
        let (db, access) = parts(ctx)?;
        access.scope(Resource::Reorganisation, Action::Read)?;
        let page = PageRequest::parse(first, after.as_deref())?;
        let page = reorganisations::list(&db.conn, page).await?;
        Ok(ReorganisationConnection::from_page(page, |r| r))
    }

    /// Teams in the caller's scope, the active ones unless `status` says otherwise; `unitCode`
    /// narrows to a subtree, `search` matches the team's, village's or commune's name without
    /// regard to case or accents. With `asOf`, the teams active that day, under the unit as it
    /// stood then. Today's teams come place by place (a village's teams together); a list
    /// with `asOf` in the order the teams were set up. A cursor goes on only the list it came from.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    // The contract's arguments, one per filter.
    #[allow(clippy::too_many_arguments)]
    async fn teams(
        &self,
        ctx: &Context<'_>,
        unit_code: Option<String>,
        search: Option<String>,
        #[graphql(
            desc = "`ACTIVE` (the default: the teams `totals` counts) or `DISSOLVED`; with `asOf`, active that day or dissolved by then."
        )]
        status: Option<TeamStatus>,
        as_of: Option<Date>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<TeamConnection> {
        let (db, list) = listing(ctx, Resource::Team, unit_code, as_of, first, after).await?;
        let search = search.map(|s| validate::search("search", &s)).transpose()?;
        let status = status.unwrap_or(TeamStatus::Active);
        let page = teams::list(&db.conn, &list, search.as_deref(), status).await?;
        // The page brought each team's unit along: the loader need not ask again.
        Loaders::of(ctx)
            .units
            .feed_many(page.nodes.iter().map(|n| (n.unit.id, n.unit.clone())))
            .await;
        let page = page.map(|n| n.team);
        prefetch_teams(ctx, ctx.look_ahead().field("nodes"), &page.nodes).await?;
        Ok(TeamConnection::from_page(page, Team))
    }

    async fn team(&self, ctx: &Context<'_>, id: TeamId) -> Result<Option<Team>> {
        let (db, access) = parts(ctx)?;
        let scope = access.scope(Resource::Team, Action::Read)?;
        let team = teams::get(&db.conn, &scope, id).await?;
        prefetch_teams(ctx, ctx.look_ahead(), std::slice::from_ref(&team)).await?;
        Ok(Some(Team(team)))
    }

    /// Steering committees in the caller's scope; `unitCode` narrows to a subtree. With `asOf`,
    /// the committees that existed that day, under the unit as it stood then.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn steering_committees(
        &self,
        ctx: &Context<'_>,
        unit_code: Option<String>,
        as_of: Option<Date>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<CommitteeConnection> {
        let (db, list) = listing(ctx, Resource::Committee, unit_code, as_of, first, after).await?;
        let page = committees::list(&db.conn, &list).await?;
        let (nodes, loaders) = (ctx.look_ahead().field("nodes"), Loaders::of(ctx));
        let units = page.nodes.iter().map(|c| c.unit_id);
        prime(&nodes, "unit", &loaders.units, units).await?;
        let keys = page.nodes.iter().map(|c| c.id);
        prime(&nodes, "members", &loaders.committee_members, keys).await?;
        Ok(CommitteeConnection::from_page(page, |c| c))
    }

    /// Training sessions organised in the caller's scope; `unitCode` narrows to a subtree. With
    /// `asOf`, the sessions held by that day, organised under the unit as it stood then.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn training_sessions(
        &self,
        ctx: &Context<'_>,
        unit_code: Option<String>,
        #[graphql(
            desc = "The sessions whose attendance the caller may record instead: organised in their area or above it (the province's conference)."
        )]
        for_attendance: Option<bool>,
        as_of: Option<Date>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<TrainingSessionConnection> {
        let page = if for_attendance == Some(true) {
            let (db, access) = parts(ctx)?;
            let (under, day) = unit_filter(ctx, unit_code.as_deref(), as_of).await?;
            let list = Listing {
                scope: access.reach(Resource::Attendance, Action::Write),
                under,
                day,
                page: PageRequest::parse(first, after.as_deref())?,
            };
            training::for_attendance(&db.conn, &list).await?
        } else {
            let (db, list) =
                listing(ctx, Resource::Training, unit_code, as_of, first, after).await?;
            training::list(&db.conn, &list).await?
        };
        let (nodes, loaders) = (ctx.look_ahead().field("nodes"), Loaders::of(ctx));
        let units = page.nodes.iter().map(|s| s.organizer_unit_id);
        prime(&nodes, "organizer", &loaders.units, units).await?;
        let keys = page.nodes.iter().map(|s| s.id);
        prime(&nodes, "attendeeCount", &loaders.attendee_counts, keys).await?;
        Ok(TrainingSessionConnection::from_page(page, |s| s))
    }

    /// One training session the caller may see: organised in their area, or above it for
    /// their members to attend (the province's conference).
    async fn training_session(
        &self,
        ctx: &Context<'_>,
        id: SessionId,
    ) -> Result<Option<TrainingSession>> {
        let (db, access) = parts(ctx)?;
        let read = access.reach(Resource::Training, Action::Read);
        let attendance = access.reach(Resource::Attendance, Action::Read);
        if read.is_empty() && attendance.is_empty() {
            access.scope(Resource::Training, Action::Read)?;
        }
        let session = training::get_visible(&db.conn, &read, &attendance, id).await?;
        Ok(Some(session))
    }

    /// Teams' monthly result reports in the caller's area; `period` is `YYYY-MM`, `state` one
    /// of `DRAFT`, `SUBMITTED` (waiting for approval) or `APPROVED`. With `asOf`, the reports
    /// of months up to that day's, of teams under the unit as it stood then.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    // The contract's arguments, one per filter.
    #[allow(clippy::too_many_arguments)]
    async fn result_reports(
        &self,
        ctx: &Context<'_>,
        unit_code: Option<String>,
        period: Option<String>,
        state: Option<ReportState>,
        as_of: Option<Date>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ResultReportConnection> {
        let (db, list) = listing(ctx, Resource::Report, unit_code, as_of, first, after).await?;
        let period = period
            .as_deref()
            .map(|p| validate::period("period", p))
            .transpose()?;
        let page = reports::list(&db.conn, &list, period.as_deref(), state).await?;
        Ok(ResultReportConnection::from_page(page, ResultReport))
    }

    /// Villages (thôn, buôn, tổ dân phố) in the caller's area; `unitCode` narrows to a
    /// subtree, `hasTeam: false` keeps those without an active team (where the next team is
    /// needed), `hasTeam: true` those with one. With `asOf`, the villages of that day, as they
    /// stood then, and the teams active then.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn villages(
        &self,
        ctx: &Context<'_>,
        unit_code: Option<String>,
        has_team: Option<bool>,
        as_of: Option<Date>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<AdminUnitConnection> {
        let (db, list) = listing(ctx, Resource::Totals, unit_code, as_of, first, after).await?;
        let page = villages::list(&db.conn, &list, has_team).await?;
        Ok(AdminUnitConnection::from_page(page, |unit| unit))
    }

    /// The targets set for a unit in the caller's area.
    #[graphql(complexity = "cost::list(cost::UNIT_TARGETS, child_complexity)")]
    async fn targets(
        &self,
        ctx: &Context<'_>,
        unit_code: String,
        period: Option<String>,
    ) -> Result<Vec<Target>> {
        let (db, access) = parts(ctx)?;
        let scope = access.scope(Resource::Report, Action::Read)?;
        let unit = unit_by_code(ctx, &unit_code).await?;
        let targets = reports::targets(&db.conn, &scope, &unit, period.as_deref()).await?;
        Ok(targets)
    }

    /// Recorded changes in the caller's area, newest first.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        unit_code: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<AuditEntryConnection> {
        let (db, list) = listing(ctx, Resource::Audit, unit_code, None, first, after).await?;
        let page = audit::list(&db.conn, &list).await?;
        let personal = ctx.caller()?.reach(Resource::MemberPii, Action::Read);
        Ok(AuditEntryConnection::from_page(page, |entry| AuditEntry {
            personal_data: personal.contains(&entry.unit_path),
            entry,
        }))
    }

    /// Aggregate figures for a unit's subtree and for each of its children: as of today, or
    /// with `asOf` as of that day (the tree of that day; the teams and members active then).
    /// Without `unitCode`, the caller's whole area: for an administrator, the country by
    /// province. A closed unit's figures are those of its last day unless `asOf` says otherwise.
    async fn totals(
        &self,
        ctx: &Context<'_>,
        unit_code: Option<String>,
        as_of: Option<Date>,
    ) -> Result<Arc<Totals>> {
        let (db, access) = parts(ctx)?;
        let scope = access.scope(Resource::Totals, Action::Read)?;
        let unit = match unit_code {
            Some(code) => Some(unit_by_code(ctx, &code).await?),
            None => match access.home(Resource::Totals) {
                Some(None) => None,
                Some(Some(id)) => Some(
                    units::by_ids(&db.conn, &[id])
                        .await?
                        .remove(&id)
                        .ok_or(AppError::NotFound("administrative unit"))?,
                ),
                None => {
                    return Err(AppError::bad_input(
                        "unitCode",
                        "your area is held at several units or teams: name one",
                    )
                    .into());
                }
            },
        };
        let last_day = unit
            .as_ref()
            .and_then(|u| u.valid_to)
            .and_then(|to| to.0.pred_opt());
        let day = as_of.map(|d| d.0).or(last_day);
        // Authorization before the cache: a cached value never crosses scope. An open unit is
        // in reach by its place today; a closed one by the villages it held, which the
        // computation checks one by one.
        let path = unit.as_ref().map_or("/", |u| u.path.as_str());
        let closed = unit.as_ref().is_some_and(|u| u.valid_to.is_some());
        let past_of_closed = closed && day.is_some();
        if !past_of_closed && !scope.contains(path) {
            return Err(AppError::Forbidden.into());
        }
        let cache = ctx.service().cache();
        match (unit, day) {
            (Some(unit), None) => {
                let subject = totals::Subject {
                    unit: Some(unit.clone()),
                    day: None,
                };
                Ok(cache
                    .get_or_compute(
                        &TotalsKey(unit.id),
                        totals::compute(&db.conn, &scope, subject),
                    )
                    .await?)
            }
            (None, day) => {
                let subject = totals::Subject { unit: None, day };
                Ok(Arc::new(totals::compute(&db.conn, &scope, subject).await?))
            }
            (Some(unit), Some(day)) => {
                let shape = units::history::unit_on(&db.conn, unit, day)
                    .await?
                    .ok_or(AppError::NotFound("administrative unit"))?;
                let subject = totals::Subject {
                    unit: Some(shape),
                    day: Some(day),
                };
                Ok(Arc::new(totals::compute(&db.conn, &scope, subject).await?))
            }
        }
    }
}
