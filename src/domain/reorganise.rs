//! Reorganisations of the tree (DESIGN §8): on an effective date, from the official files,
//! units open and close, continuing units take a new shape, and every village goes to its new
//! commune; what is attached to a village stays on it. One transaction, dry-run first, and
//! idempotent: applied twice, the second run finds nothing to change.
//!
//! How the tree keeps its history is told in `migrations/m20261205_000005_unit_history.rs`
//! and ARCHITECTURE.md: a unit is one row for as long as its code names it, and each earlier
//! shape is kept in `unit_shape`.

mod apply;
mod files;
mod plan;
mod report;

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};

pub use report::{AssignmentChange, Attached, Closed, Move, Named, Opened, Report, Reshaped};

use crate::db::bulk::next_id;
use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::entities::app_user::{Column as AU, Entity as AppUsers};
use crate::db::entities::assignment::{Column as A, Entity as Assignments};
use crate::db::entities::result_report::{Column as R, Entity as Reports};
use crate::db::entities::steering_committee::{Column as C, Entity as Committees};
use crate::db::entities::target::{Column as G, Entity as Targets};
use crate::db::entities::team::{Column as T, Entity as Teams};
use crate::db::entities::team_member::{Column as M, Entity as Members};
use crate::db::entities::training_session::{Column as S, Entity as Sessions};
use crate::db::query;
use plan::{Current, Holder, Load, OpenCommittee, State};

/// The files of one reorganisation, as text.
pub struct Files {
    /// The new tree: `code,name,level,parent_code,division_type`.
    pub tree: String,
    /// The official table: `old_code,new_code,old_district_code,old_province_code,new_province_code,is_partly_merged`.
    pub mapping: String,
    /// Decisions for villages the table leaves open: `code,new_code`.
    pub villages: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub effective_on: NaiveDate,
    pub title: Option<String>,
    /// Villages of a split commune without a decision go to its first successor.
    pub accept_defaults: bool,
    pub dry_run: bool,
}

#[derive(Debug)]
pub enum Outcome {
    /// The tree already is what the files say.
    NothingToChange(Report),
    /// A dry run: what an application would do.
    Planned(Report),
    /// Refused: the report's open questions need answers.
    Refused(Report),
    Applied {
        id: i64,
        report: Report,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ReorganiseError {
    #[error("the files were refused, nothing was written:\n{}", .0.join("\n"))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Decides, and unless it is a dry run or something is left open, applies.
pub async fn run(
    conn: &DatabaseConnection,
    files: &Files,
    options: &Options,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Outcome, ReorganiseError> {
    // The tree as it is today is the units' current rows: a change that has not yet taken
    // effect would show early.
    let today = crate::scalars::today();
    if options.effective_on > today {
        return Err(ReorganiseError::Invalid(vec![format!(
            "the effective date {} is after today ({today}): apply a reorganisation on or after \
             the day it takes effect",
            options.effective_on
        )]));
    }
    let tree = crate::domain::import_units::parse(&files.tree).map_err(|e| match e {
        crate::domain::import_units::ImportError::Invalid(p) => {
            ReorganiseError::Invalid(p.into_iter().map(|l| format!("new tree, {l}")).collect())
        }
        crate::domain::import_units::ImportError::Db(e) => ReorganiseError::Db(e),
    })?;
    let prefixed = |file: &str, problems: Vec<String>| {
        ReorganiseError::Invalid(
            problems
                .into_iter()
                .map(|l| format!("{file}, {l}"))
                .collect(),
        )
    };
    let pairs = files::mapping(&files.mapping).map_err(|p| prefixed("table", p))?;
    let decisions = match &files.villages {
        Some(text) => files::villages(text).map_err(|p| prefixed("villages file", p))?,
        None => Vec::new(),
    };
    progress(&format!(
        "read {} units of the new tree, {} pairs of the table, {} decisions",
        tree.len(),
        pairs.len(),
        decisions.len()
    ));
    let txn = conn.begin().await?;
    let state = load(&txn).await?;
    progress(&format!("read {} open units", state.units.len()));
    let mut plan = plan::decide(
        &state,
        &tree,
        &pairs,
        &decisions,
        options.effective_on,
        options.accept_defaults,
    )
    .map_err(ReorganiseError::Invalid)?;
    plan.report.title = options
        .title
        .clone()
        .unwrap_or_else(|| format!("Reorganisation of {}", options.effective_on));
    let report = plan.report.clone();
    if report.is_empty() && report.questions.is_empty() {
        return Ok(Outcome::NothingToChange(report));
    }
    if options.dry_run {
        return Ok(Outcome::Planned(report));
    }
    if !report.questions.is_empty() {
        return Ok(Outcome::Refused(report));
    }
    let id = apply::apply(&txn, &plan, progress).await?;
    // Committees of closed units were dissolved, villages counted afresh: every unit's
    // counters are recounted with the rows, in the same transaction.
    super::counters::recount_everything(&txn).await?;
    progress("counters recounted");
    txn.commit().await?;
    progress("committed");
    tidy(conn).await?;
    progress("tables vacuumed and analysed");
    Ok(Outcome::Applied { id, report })
}

/// After a reorganisation rewrote the place of every village, PostgreSQL holds a dead version of
/// each row and plans with the statistics of the old tree until autovacuum catches up: the
/// first reads after it would pay for both. Clean up and re-plan now (outside the transaction:
/// `VACUUM` cannot run inside one).
async fn tidy(conn: &DatabaseConnection) -> Result<(), DbErr> {
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        conn.execute_unprepared(
            "VACUUM (ANALYZE) admin_unit, unit_shape, unit_lineage, steering_committee, unit_total",
        )
        .await?;
    }
    Ok(())
}

async fn load(conn: &impl ConnectionTrait) -> Result<State, DbErr> {
    let units = Query::select()
        .columns([
            U::Id,
            U::Code,
            U::Name,
            U::Level,
            U::DivisionType,
            U::ParentId,
            U::Path,
            U::ValidFrom,
        ])
        .from(Units)
        .and_where(Expr::col(U::ValidTo).is_null())
        .to_owned();
    let units: Vec<Current> = query::all(conn, &units).await?;

    let mut load: HashMap<i64, Load> = HashMap::new();
    let active = Expr::col((Teams, T::Status)).eq("ACTIVE");
    let teams = grouped(Teams, T::UnitId, None, Some(active.clone()));
    for (unit, n) in counts(conn, &teams).await? {
        load.entry(unit).or_default().teams = n;
    }
    let members = grouped(
        Members,
        M::Id,
        Some((M::TeamId, T::UnitId)),
        Some(active.and(Expr::col((Members, M::LeftOn)).is_null())),
    );
    for (unit, n) in counts(conn, &members).await? {
        load.entry(unit).or_default().members = n;
    }
    let reports = grouped(Reports, R::Id, Some((R::TeamId, T::UnitId)), None);
    for (unit, n) in counts(conn, &reports).await? {
        load.entry(unit).or_default().reports = n;
    }
    let sessions = grouped(Sessions, S::OrganizerUnitId, None, None);
    for (unit, n) in counts(conn, &sessions).await? {
        load.entry(unit).or_default().sessions = n;
    }
    let targets = grouped(Targets, G::UnitId, None, None);
    for (unit, n) in counts(conn, &targets).await? {
        load.entry(unit).or_default().targets = n;
    }

    let committees = Query::select()
        .columns([C::Id, C::UnitId, C::Name])
        .from(Committees)
        .and_where(Expr::col(C::DissolvedOn).is_null())
        .to_owned();
    let committees: Vec<OpenCommittee> = query::all(conn, &committees).await?;
    let holders = Query::select()
        .column((AppUsers, AU::Username))
        .columns([(Assignments, A::Role), (Assignments, A::UnitId)])
        .from(Assignments)
        .inner_join(
            AppUsers,
            Expr::col((AppUsers, AU::Id)).equals((Assignments, A::UserId)),
        )
        .and_where(Expr::col((Assignments, A::UnitId)).is_not_null())
        .to_owned();
    let holders: Vec<Holder> = query::all(conn, &holders).await?;
    let closed = Query::select()
        .column(U::Code)
        .from(Units)
        .and_where(Expr::col(U::ValidTo).is_not_null())
        .to_owned();
    let closed_codes = query::rows(conn, &closed)
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect::<Result<_, _>>()?;
    Ok(State {
        closed_codes,
        units,
        load,
        committees,
        holders,
        next_id: next_id::<Units>(conn).await?,
    })
}

/// `SELECT <unit>, COUNT(*) FROM <table> [JOIN team] [WHERE …] GROUP BY <unit>`: rows counted
/// per unit; `via` joins the row's team and counts by the team's unit.
fn grouped<E: sea_orm::EntityTrait>(
    table: E,
    unit: E::Column,
    via: Option<(E::Column, T)>,
    condition: Option<Expr>,
) -> SelectStatement {
    let mut select = Query::select();
    select.from(table);
    match via {
        Some((team, team_unit)) => {
            select
                .inner_join(Teams, Expr::col((Teams, T::Id)).equals((table, team)))
                .expr_as(Expr::col((Teams, team_unit)), "unit");
            select.group_by_col((Teams, team_unit));
        }
        None => {
            select.expr_as(Expr::col((table, unit)), "unit");
            select.group_by_col((table, unit));
        }
    }
    select.expr_as(query::count_all(), "n");
    if let Some(condition) = condition {
        select.and_where(condition);
    }
    select
}

async fn counts(
    conn: &impl ConnectionTrait,
    select: &SelectStatement,
) -> Result<Vec<(i64, usize)>, DbErr> {
    let rows = query::rows(conn, select).await?;
    rows.iter()
        .map(|row| {
            let unit: i64 = row.try_get("", "unit")?;
            let n: i64 = row.try_get("", "n")?;
            Ok((unit, usize::try_from(n).unwrap_or(0)))
        })
        .collect()
}
