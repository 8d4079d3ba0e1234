//! Monthly result reports of the teams (the five basic skills) and the targets set for units.

use sea_orm::{ConnectionTrait, FromQueryResult};

use super::page::{Order, fetch_page};
use super::{Page, PageRequest, TeamId, UnitId};
use crate::authz::{Scope, under};
use crate::db::sql::{Args, fetch_all, fetch_optional};
use crate::error::{AppError, Result};
use crate::text_enum;

text_enum!(ReportState {
    Draft = "DRAFT",
    Submitted = "SUBMITTED",
    Approved = "APPROVED",
});

text_enum!(
    /// What a target is set for.
    Indicator {
        Teams = "TEAMS",
        Members = "MEMBERS",
        MembersTrained = "MEMBERS_TRAINED",
        HouseholdsReached = "HOUSEHOLDS_REACHED",
        VneidActivations = "VNEID_ACTIVATIONS",
        OnlineApplications = "ONLINE_APPLICATIONS",
        CashlessAccounts = "CASHLESS_ACCOUNTS",
        EcommerceAccounts = "ECOMMERCE_ACCOUNTS",
    }
);

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub id: i64,
    pub team_id: TeamId,
    #[serde(skip)]
    pub unit_id: UnitId,
    #[serde(skip)]
    pub unit_path: String,
    pub period: String,
    /// Households the team reached.
    pub households_reached: i32,
    /// Residents guided to activate their VNeID (level 2).
    pub vneid_activations: i32,
    /// Online public-service applications made with the team's help.
    pub online_applications: i32,
    /// Cashless-payment accounts opened.
    pub cashless_accounts: i32,
    /// E-commerce accounts or shops opened.
    pub ecommerce_accounts: i32,
    pub state: ReportState,
    pub version: i32,
}

pub(crate) const COLUMNS: &str = "r.id, r.team_id, t.unit_id, u.path AS unit_path, r.period, \
     r.households_reached, r.vneid_activations, r.online_applications, r.cashless_accounts, \
     r.ecommerce_accounts, r.state, r.version";
const FROM: &str =
    "FROM result_report r JOIN team t ON t.id = r.team_id JOIN admin_unit u ON u.id = t.unit_id";

/// Reports of teams in scope (and under `under_path`, and of `period`, when given).
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    under_path: Option<&str>,
    period: Option<&str>,
    page: PageRequest,
) -> Result<Page<Report>> {
    if scope.is_empty() {
        return Ok(Page::empty());
    }
    let filter = |args: &mut Args| {
        let mut sql = format!(
            "{FROM} WHERE {}",
            scope.sql_with_teams("u.path", "t.id", args)
        );
        if let Some(path) = under_path {
            sql.push_str(&format!(" AND {}", under(path, "u.path", args)));
        }
        if let Some(period) = period {
            sql.push_str(&format!(" AND r.period = {}", args.bind(period.to_owned())));
        }
        sql
    };
    fetch_page(
        conn,
        COLUMNS,
        filter,
        ("r.id", Order::Oldest),
        page,
        |r: &Report| r.id,
    )
    .await
}

pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Report> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT {COLUMNS} {FROM} WHERE r.id = {} AND {}",
        args.bind(id),
        scope.sql_with_teams("u.path", "t.id", &mut args)
    );
    fetch_optional(conn, sql, args)
        .await?
        .ok_or(AppError::NotFound("result report"))
}

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub id: i64,
    pub unit_id: UnitId,
    /// The unit whose officer set the target; none when set over the whole country.
    pub set_by_unit_id: Option<UnitId>,
    pub period: String,
    pub indicator: Indicator,
    pub target_value: i64,
    pub version: i32,
}

/// The targets set for a unit, optionally for one period.
pub async fn targets(
    conn: &impl ConnectionTrait,
    unit: UnitId,
    period: Option<&str>,
) -> Result<Vec<Target>> {
    let mut args = Args::new();
    let mut sql = format!(
        "SELECT id, unit_id, set_by_unit_id, period, indicator, target_value, version FROM target \
         WHERE unit_id = {}",
        args.bind(unit)
    );
    if let Some(period) = period {
        sql.push_str(&format!(" AND period = {}", args.bind(period.to_owned())));
    }
    sql.push_str(" ORDER BY period, indicator");
    Ok(fetch_all(conn, sql, args).await?)
}
