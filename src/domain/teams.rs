//! Community digital technology teams (Tổ công nghệ số cộng đồng) and their members.

use chrono::NaiveDate;
use sea_orm::sea_query::{
    self, Alias, Condition, Expr, ExprTrait, JoinType, LikeExpr, SelectStatement,
};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, QueryResult};

use super::page::{Keyed, Listing, Order, carried_total, count_alongside, encode_place_cursor};
use super::units::{AdminLevel, Unit, unit_columns};
use super::{MemberId, Page, TeamId, UnitId};
use crate::authz::{Places, Scope, subtree_range};
use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::entities::team::{Column as T, Entity as Teams};
use crate::db::entities::team_member::{Column as M, Entity as Members};
use crate::db::query;
use crate::error::{AppError, Result};
use crate::text::{fold, like_contains};
use crate::text_enum;

text_enum!(TeamStatus { Active, Dissolved });

text_enum!(TeamRole {
    /// Tổ trưởng
    Leader,
    /// Tổ phó
    Deputy,
    Member,
});

// The organisation a member comes from: most teams draw on the village head, the police, the
// mass organisations, telecom staff and teachers.
text_enum!(Affiliation {
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
});

text_enum!(Gender {
    Male,
    Female,
    Other
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

/// A member of a team, current or past, as recorded (the audit log keeps this shape).
#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub id: MemberId,
    pub team_id: TeamId,
    /// As typed, cleaned: trimmed, inner spaces collapsed, NFC.
    pub full_name: String,
    pub role: TeamRole,
    pub affiliation: Affiliation,
    /// Personal data, shown only to callers the policy lets read it: the national form
    /// (`0` and nine or ten digits).
    pub phone: Option<String>,
    pub gender: Option<Gender>,
    /// Personal data, like the phone.
    pub birth_year: Option<i32>,
    pub joined_on: Option<NaiveDate>,
    /// Set when the member left: the row stays, for their training record.
    pub left_on: Option<NaiveDate>,
    pub version: i32,
}

/// A team with its unit, read in one statement: a page of teams shows both.
#[derive(Clone, Debug)]
pub struct TeamWithUnit {
    pub team: Team,
    pub unit: Unit,
}

/// The columns a [`Team`] is read from: the team's own and its unit's path. The statement
/// joins the team's unit ([`teams_with_units`]).
pub(crate) fn team_columns(select: &mut SelectStatement) -> &mut SelectStatement {
    query::with_unit_path(select, Teams, "unit_path")
}

/// `FROM team JOIN admin_unit`, no columns yet.
pub(crate) fn teams_with_units() -> SelectStatement {
    query::joined_to_unit(Teams, T::UnitId)
}

/// The columns a [`Member`] is read from.
pub(crate) fn member_columns(select: &mut SelectStatement) -> &mut SelectStatement {
    query::every_column(select, Members)
}

impl FromQueryResult for TeamWithUnit {
    fn from_query_result(row: &QueryResult, pre: &str) -> std::result::Result<Self, DbErr> {
        Ok(TeamWithUnit {
            team: Team::from_query_result(row, pre)?,
            unit: Unit::from_query_result(row, &format!("{pre}unit_"))?,
        })
    }
}

/// The teams of a list: in scope, matching its search.
fn filtered(scope: &Scope, search: Option<&str>) -> SelectStatement {
    let mut select = teams_with_units();
    select.cond_where(scope.over_teams((Units, U::Path), (Teams, T::Id)));
    if let Some(search) = search {
        // A village's parent is its commune; a team set up at commune level matches on the
        // commune's own name.
        let parent = Alias::new("p");
        select.join_as(
            JoinType::LeftJoin,
            Units,
            parent.clone(),
            Condition::all()
                .add(Expr::col((parent.clone(), U::Id)).equals((Units, U::ParentId)))
                .add(Expr::col((Units, U::Level)).eq(AdminLevel::Village.as_str())),
        );
        let pattern = like_contains(search);
        let like = || LikeExpr::new(pattern.clone()).escape('\\');
        select.cond_where(
            Condition::any()
                .add(Expr::col((Teams, T::NameFolded)).like(like()))
                .add(Expr::col((Units, U::NameFolded)).like(like()))
                .add(Expr::col((parent, U::NameFolded)).like(like())),
        );
    }
    select
}

/// Teams of `status` in the caller's list (on the listing's day: active then, or dissolved by
/// then); `search` is free text matched, without case or accents, against
/// the team's name, its village's name and its commune's name.
///
/// Today's list is walked by place: by its unit's path, then by id. The database reads the
/// subtree's units in path order through the path index and each unit's teams through the
/// team's unit index, and stops at the end of the page: a page of 50 reads about 50 teams,
/// whatever the size of the subtree. A list as of a past day is walked by id (its units are
/// found through that day's shapes).
pub async fn list(
    conn: &impl ConnectionTrait,
    list: &Listing,
    search: Option<&str>,
    status: TeamStatus,
) -> Result<Page<TeamWithUnit>> {
    let search = search.map(fold).filter(|s| !s.is_empty());
    let mut select = filtered(&list.scope, search.as_deref());
    team_columns(&mut select);
    // The unit's other columns, named `unit_<field>` so that, with the `unit_id` and
    // `unit_path` the team's columns already hold, they read as a [`Unit`] under that prefix.
    unit_columns(&mut select, "unit_", &[U::Id, U::Path]);
    let Some(day) = list.day else {
        select.and_where(Expr::col((Teams, T::Status)).eq(status.as_str()));
        // The counters know how many active teams a place has; a search or the dissolved
        // teams are counted with the page.
        let counted = match (status, &search) {
            (TeamStatus::Active, None) => list.scope.places_under(list.under.as_deref()),
            _ => None,
        };
        return by_place(conn, list, select, counted).await;
    };
    match status {
        TeamStatus::Active => select.cond_where(active_on(day)),
        TeamStatus::Dissolved => select.cond_where(dissolved_by(day)),
    };
    list.fetch(conn, select, Order::Oldest((Teams, T::Id)))
        .await
}

/// A page of today's teams walked by place (see [`list`]). `counted`: the places whose
/// counters give the list's size; without them it is counted with the page.
async fn by_place(
    conn: &impl ConnectionTrait,
    list: &Listing,
    mut select: SelectStatement,
    counted: Option<Places>,
) -> Result<Page<TeamWithUnit>> {
    let page = &list.page;
    page.expect_place(true)?;
    if list.scope.is_empty() {
        return Ok(Page::empty());
    }
    if let Some(under) = &list.under {
        if list.scope.teams().is_empty() && !list.scope.reaches_into(under) {
            // Nothing of the unit is in reach: nothing to read.
            return Ok(Page::empty());
        }
        select.cond_where(subtree_range((Units, U::Path), under));
    }
    let path = || Expr::col((Units, U::Path));
    let filter = select.clone();
    if counted.is_none() {
        count_alongside(&mut select);
    }
    if let (Some(id), Some(place)) = (page.after, &page.after_place) {
        // After the cursor's row: a later place, or the same place and a later id. The first
        // condition alone is a range of the path index.
        select.and_where(path().gte(place.as_str())).cond_where(
            Condition::any()
                .add(path().gt(place.as_str()))
                .add(Expr::col((Teams, T::Id)).gt(id)),
        );
    }
    select
        .order_by((Units, U::Path), sea_query::Order::Asc)
        .order_by((Teams, T::Id), sea_query::Order::Asc)
        .limit(u64::try_from(page.first + 1).unwrap_or(1));
    let from_counters = async {
        match &counted {
            Some(places) => crate::domain::totals::teams_in(conn, places)
                .await
                .map(Some),
            None => Ok(None),
        }
    };
    let page_rows = async { Ok::<_, AppError>(query::rows(conn, &select).await?) };
    let (rows, from_counters) = tokio::try_join!(page_rows, from_counters)?;
    let nodes = rows
        .iter()
        .map(|row| TeamWithUnit::from_query_result(row, ""))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let total = match from_counters {
        Some(total) => total,
        None => carried_total(conn, &rows, page, &filter).await?,
    };
    Ok(Page::from_rows_by(nodes, page, total, |t| {
        encode_place_cursor(&t.unit.path, t.team.id.0)
    }))
}

/// Teams active on `day`: founded by then (or undated) and not dissolved by then.
pub(crate) fn active_on(day: chrono::NaiveDate) -> sea_orm::sea_query::Condition {
    let col = |c: T| Expr::col((Teams, c));
    sea_orm::sea_query::Condition::all()
        .add(col(T::FoundedOn).is_null().or(col(T::FoundedOn).lte(day)))
        .add(
            col(T::DissolvedOn)
                .is_null()
                .or(col(T::DissolvedOn).gt(day)),
        )
        .add(
            col(T::Status)
                .eq(TeamStatus::Active.as_str())
                .or(col(T::DissolvedOn).is_not_null()),
        )
}

/// Teams dissolved by `day`: founded by then (or undated) and dissolved on or before it.
fn dissolved_by(day: chrono::NaiveDate) -> sea_orm::sea_query::Condition {
    let col = |c: T| Expr::col((Teams, c));
    sea_orm::sea_query::Condition::all()
        .add(col(T::FoundedOn).is_null().or(col(T::FoundedOn).lte(day)))
        .add(col(T::DissolvedOn).lte(day))
}

/// One team, if it exists and is in scope; otherwise the same `NOT_FOUND` either way.
pub async fn get(conn: &impl ConnectionTrait, scope: &Scope, id: TeamId) -> Result<Team> {
    let mut select = teams_with_units();
    team_columns(&mut select)
        .and_where(Expr::col((Teams, T::Id)).eq(id.0))
        .cond_where(scope.over_teams((Units, U::Path), (Teams, T::Id)));
    super::found(conn, &select, "team").await
}

/// Members of teams in `scope`, with the columns a [`Member`] is read from.
fn members_in(scope: &Scope, id: MemberId) -> SelectStatement {
    let mut select = teams_with_units();
    member_columns(&mut select)
        .inner_join(
            Members,
            Expr::col((Members, M::TeamId)).equals((Teams, T::Id)),
        )
        .and_where(Expr::col((Members, M::Id)).eq(id.0))
        .cond_where(scope.over_teams((Units, U::Path), (Teams, T::Id)));
    select
}

/// One current member, with their team, if the team is in scope; otherwise `NOT_FOUND`,
/// whichever it was.
pub async fn member(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: MemberId,
) -> Result<(Member, Team)> {
    let select = members_in(scope, id)
        .and_where(Expr::col((Members, M::LeftOn)).is_null())
        .to_owned();
    let member: Member = super::found(conn, &select, "team member").await?;
    // Found through the team, so the team is in the same scope.
    let team = get(conn, scope, member.team_id).await?;
    Ok((member, team))
}

/// A member on record, current or not, if their team is in `scope`: what a change to a member
/// reads back.
pub async fn member_on_record(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: MemberId,
) -> Result<Member> {
    super::found(conn, &members_in(scope, id), "team member").await
}

impl Keyed for TeamWithUnit {
    fn key(&self) -> i64 {
        self.team.id.0
    }
}
