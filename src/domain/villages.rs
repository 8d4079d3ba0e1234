//! Villages (thôn, buôn, tổ dân phố) of an area, with or without an active team: where a
//! leader looks for the next team to set up.

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement};

use super::page::{Order, Walk, fetch_page};
use super::teams::{TeamStatus, active_on};
use super::units::history::from_shapes_on;
use super::units::{AdminLevel, Unit, unit_columns};
use super::{Listing, Page};
use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::entities::team::{Column as T, Entity as Teams};
use crate::error::Result;
use crate::scalars::Date;

/// The villages of a listing: in force today (or on its day, as they stood then), in the
/// caller's scope by where they lie today, under the unit it names; `has_team` keeps those
/// with (or without) a team active that day. In id order.
pub async fn list(
    conn: &impl ConnectionTrait,
    list: &Listing,
    has_team: Option<bool>,
) -> Result<Page<Unit>> {
    if list.scope.is_empty() {
        return Ok(Page::empty());
    }
    let mut select = match list.day {
        None => {
            let mut select = Query::select();
            unit_columns(&mut select, "", &[])
                .from(Units)
                .and_where(Expr::col((Units, U::ValidTo)).is_null());
            select.cond_where(list.scope.over_units((Units, U::Path)));
            select
        }
        Some(day) => {
            // That day's shapes, in scope by today's place of the same unit.
            let now = Alias::new("now");
            let mut select = from_shapes_on(day);
            select.join_as(
                JoinType::InnerJoin,
                Units,
                now.clone(),
                Expr::col((now.clone(), U::Id)).equals((Units, U::Id)),
            );
            select.cond_where(list.scope.over_units((now, U::Path)));
            select
        }
    };
    select.and_where(Expr::col((Units, U::Level)).eq(AdminLevel::Village.as_str()));
    if let Some(has_team) = has_team {
        let team = team_at(list.day);
        select.and_where(if has_team {
            Expr::exists(team)
        } else {
            Expr::exists(team).not()
        });
    }
    let page: Page<Unit> = fetch_page(
        conn,
        select,
        list.under.as_deref(),
        list.page.clone(),
        Order::Oldest((Units, U::Id)),
        Walk::Filtered,
    )
    .await?;
    Ok(match list.day {
        Some(day) => page.map(|mut unit: Unit| {
            unit.as_of = Some(Date(day));
            unit
        }),
        None => page,
    })
}

/// A team serving the village of the outer statement, active today (or on `day`).
fn team_at(day: Option<NaiveDate>) -> SelectStatement {
    let mut select = Query::select();
    select
        .expr(Expr::val(1))
        .from(Teams)
        .and_where(Expr::col((Teams, T::UnitId)).equals((Units, U::Id)));
    match day {
        None => select.and_where(Expr::col((Teams, T::Status)).eq(TeamStatus::Active.as_str())),
        Some(day) => select.cond_where(active_on(day)),
    };
    select
}
