//! Community digital technology teams (Tổ công nghệ số cộng đồng) and their members.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, QueryResult};

use super::page::{Order, fetch_page};
use super::units::Unit;
use super::{MemberId, Page, PageRequest, TeamId, UnitId};
use crate::authz::{Scope, under};
use crate::db::sql::{Args, fetch_all, fetch_optional, in_list};
use crate::error::{AppError, Result};
use crate::text::{fold, like_contains};
use crate::text_enum;

text_enum!(TeamStatus {
    Active = "ACTIVE",
    Dissolved = "DISSOLVED",
});

text_enum!(TeamRole {
    Leader = "LEADER",
    Deputy = "DEPUTY",
    Member = "MEMBER",
});

text_enum!(
    /// The organisation a member comes from: most teams draw on the village head, the police,
    /// the mass organisations, telecom staff and teachers.
    Affiliation {
        VillageHead = "VILLAGE_HEAD",
        Police = "POLICE",
        YouthUnion = "YOUTH_UNION",
        WomenUnion = "WOMEN_UNION",
        FarmersUnion = "FARMERS_UNION",
        Veterans = "VETERANS",
        Telecom = "TELECOM",
        Teacher = "TEACHER",
        Other = "OTHER",
    }
);

text_enum!(Gender {
    Male = "MALE",
    Female = "FEMALE",
    Other = "OTHER",
});

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Team {
    pub id: TeamId,
    pub unit_id: UnitId,
    /// The materialised path of the team's unit, for scope checks on nested data.
    #[serde(skip)]
    pub unit_path: String,
    pub name: String,
    pub decision_no: Option<String>,
    pub founded_on: Option<NaiveDate>,
    pub status: TeamStatus,
    pub version: i32,
}

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub id: MemberId,
    pub team_id: TeamId,
    pub full_name: String,
    pub role: TeamRole,
    pub affiliation: Affiliation,
    pub phone: Option<String>,
    pub gender: Option<Gender>,
    pub birth_year: Option<i32>,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub version: i32,
}

pub(crate) const TEAM_COLUMNS: &str = "t.id, t.unit_id, u.path AS unit_path, t.name, t.decision_no, t.founded_on, t.status, t.version";
/// A team with its unit, read in one statement: a page of teams shows both.
#[derive(Clone, Debug)]
pub struct TeamWithUnit {
    pub team: Team,
    pub unit: Unit,
}

/// The unit's columns beside [`TEAM_COLUMNS`], named `unit_<field>` so that, with the
/// `unit_id` and `unit_path` those already hold, they read as a [`Unit`] under that prefix.
const TEAM_UNIT_COLUMNS: &str = "u.code AS unit_code, u.name AS unit_name, u.level AS unit_level, \
     u.division_type AS unit_division_type, u.parent_id AS unit_parent_id, \
     u.valid_from AS unit_valid_from, u.valid_to AS unit_valid_to";

impl FromQueryResult for TeamWithUnit {
    fn from_query_result(row: &QueryResult, pre: &str) -> std::result::Result<Self, DbErr> {
        Ok(TeamWithUnit {
            team: Team::from_query_result(row, pre)?,
            unit: Unit::from_query_result(row, &format!("{pre}unit_"))?,
        })
    }
}

pub(crate) const MEMBER_COLUMNS: &str = "m.id, m.team_id, m.full_name, m.role, m.affiliation, m.phone, \
     m.gender, m.birth_year, m.joined_on, m.left_on, m.version";

/// What a team list is narrowed to besides the caller's scope.
#[derive(Clone, Debug, Default)]
pub struct TeamFilter {
    /// Path of the unit whose subtree the caller asked for.
    pub under: Option<String>,
    /// Free text matched, without case or accents, against the team's name, its village's name
    /// and its commune's name.
    pub search: Option<String>,
}

/// `FROM … WHERE …` shared by the count and the page, so both see exactly the same rows.
fn from_where(
    scope: &Scope,
    under_path: Option<&str>,
    search: Option<&str>,
    args: &mut Args,
) -> String {
    let mut sql = String::from("FROM team t JOIN admin_unit u ON u.id = t.unit_id");
    if search.is_some() {
        // A village's parent is its commune; a team set up at commune level matches on the
        // commune's own name.
        sql.push_str(" LEFT JOIN admin_unit p ON p.id = u.parent_id AND u.level = 'VILLAGE'");
    }
    sql.push_str(" WHERE ");
    sql.push_str(&scope.sql_with_teams("u.path", "t.id", args));
    if let Some(path) = under_path {
        sql.push_str(" AND ");
        sql.push_str(&under(path, "u.path", args));
    }
    if let Some(search) = search {
        let pattern = args.bind(like_contains(search));
        sql.push_str(&format!(
            " AND (t.name_folded LIKE {pattern} ESCAPE '\\' OR u.name_folded LIKE {pattern} ESCAPE '\\' \
             OR p.name_folded LIKE {pattern} ESCAPE '\\')"
        ));
    }
    sql
}

pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    filter: &TeamFilter,
    page: PageRequest,
) -> Result<Page<TeamWithUnit>> {
    if scope.is_empty() {
        return Ok(Page::empty());
    }
    let under_path = filter.under.as_deref();
    let search = filter.search.as_deref().map(fold).filter(|s| !s.is_empty());
    let search = search.as_deref();

    let from = |args: &mut Args| from_where(scope, under_path, search, args);
    fetch_page(
        conn,
        &format!("{TEAM_COLUMNS}, {TEAM_UNIT_COLUMNS}"),
        from,
        ("t.id", Order::Oldest),
        page,
        |t: &TeamWithUnit| t.team.id.0,
    )
    .await
}

/// One team, if it exists and is in scope; otherwise the same `NOT_FOUND` either way.
pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: TeamId) -> Result<Team> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT {TEAM_COLUMNS} FROM team t JOIN admin_unit u ON u.id = t.unit_id \
         WHERE t.id = {} AND {}",
        args.bind(id),
        scope.sql_with_teams("u.path", "t.id", &mut args)
    );
    fetch_optional(conn, sql, args)
        .await?
        .ok_or(AppError::NotFound("team"))
}

/// The current members (those who have not left) of each team, leader first.
pub async fn members_of(
    conn: &impl ConnectionTrait,
    teams: &[TeamId],
) -> Result<HashMap<TeamId, Vec<Member>>> {
    let mut args = Args::new();
    let ids: Vec<i64> = teams.iter().map(|t| t.0).collect();
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM team_member m WHERE m.team_id IN {} AND m.left_on IS NULL \
         ORDER BY m.team_id, CASE m.role WHEN 'LEADER' THEN 0 WHEN 'DEPUTY' THEN 1 ELSE 2 END, m.id",
        in_list(&mut args, &ids)
    );
    let members: Vec<Member> = fetch_all(conn, sql, args).await?;
    let mut out: HashMap<TeamId, Vec<Member>> = HashMap::new();
    for member in members {
        out.entry(member.team_id).or_default().push(member);
    }
    Ok(out)
}

/// One current member, if their team is in scope; otherwise `NOT_FOUND`, whichever it was.
pub async fn member(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: MemberId,
) -> Result<(Member, Team)> {
    let mut args = Args::new();
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM team_member m JOIN team t ON t.id = m.team_id \
         JOIN admin_unit u ON u.id = t.unit_id \
         WHERE m.id = {} AND m.left_on IS NULL AND {}",
        args.bind(id),
        scope.sql_with_teams("u.path", "t.id", &mut args)
    );
    let member: Member = fetch_optional(conn, sql, args)
        .await?
        .ok_or(AppError::NotFound("team member"))?;
    let team = get(conn, &Scope::All, member.team_id).await?;
    Ok((member, team))
}

/// Teams by id, without a scope: only for relations of rows already found in scope.
pub async fn by_ids(conn: &impl ConnectionTrait, ids: &[TeamId]) -> Result<HashMap<TeamId, Team>> {
    let mut args = Args::new();
    let raw: Vec<i64> = ids.iter().map(|t| t.0).collect();
    let sql = format!(
        "SELECT {TEAM_COLUMNS} FROM team t JOIN admin_unit u ON u.id = t.unit_id WHERE t.id IN {}",
        in_list(&mut args, &raw)
    );
    let rows: Vec<Team> = fetch_all(conn, sql, args).await?;
    Ok(rows.into_iter().map(|t| (t.id, t)).collect())
}
