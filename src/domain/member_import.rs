//! Importing the member list a commune sends as a spreadsheet (CSV or XLSX) with Vietnamese
//! headers: `Họ và tên`, `Thôn`, `Vai trò`, `Lực lượng`, and optionally `Số điện thoại`,
//! `Năm sinh`, `Giới tính`. All or nothing: a file with any bad row is refused with every bad
//! row listed, and nothing is written.

mod cells;
mod sheet;
mod xlsx;

use std::collections::{BTreeMap, HashMap};

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, JoinType, Query};

use super::member_edits::{self, NewMember};
use super::teams::{Team, TeamRole, TeamStatus};
use super::units::AdminLevel;
use super::write::Tx;
use super::{MemberId, TeamId, relations, units, validate};
use crate::authz::{WriteGrant, subtree_range};
use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::entities::team::{Column as T, Entity as Teams};
use crate::db::query;
use crate::error::{AppError, Result};
use crate::text::fold;

use cells::{affiliation, gender, phone_text, role};
use sheet::{
    AFFILIATION, BIRTH_YEAR, GENDER, NAME, PHONE, ROLE, VILLAGE, VILLAGE_CODE, header_of, reason,
    refuse,
};
pub use sheet::{
    FileSummary, MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS, MAX_SHEET_CHARS, Sheet, SheetFormat,
};

#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamImport {
    pub team_id: TeamId,
    pub village_code: String,
    pub added: usize,
}

/// A row naming someone already on the team (the same name, and the same birth year or
/// phone number): kept as they are, not added again.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeptRow {
    pub line: u64,
    pub village_code: String,
    pub member_id: MemberId,
    pub full_name: String,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// Members added (for a preview: who would be).
    pub added: usize,
    pub teams: Vec<TeamImport>,
    /// Rows of people already on their team.
    pub kept: Vec<KeptRow>,
    /// Bad rows: in a preview, listed here; otherwise the import is refused with them.
    #[serde(skip)]
    pub refused: Vec<crate::error::RowProblem>,
}

/// Whether an import writes, or only tells what it would do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Write,
    Preview,
}

/// Who a row or a member is, for finding the same person twice: the folded name with the
/// birth year, and the folded name with the phone number.
fn identities(
    name: &str,
    birth_year: Option<i32>,
    phone: Option<&str>,
) -> impl Iterator<Item = String> {
    let name = fold(name);
    let by_year = birth_year.map(|y| format!("{name}|y{y}"));
    let by_phone = phone.map(|p| format!("{name}|p{p}"));
    by_year.into_iter().chain(by_phone)
}

/// The villages under the import's unit, by code and by folded name, with their active team.
struct Villages {
    by_code: HashMap<String, (String, Option<Team>)>,
    by_name: HashMap<String, Vec<String>>,
}

async fn villages_under(conn: &impl ConnectionTrait, path: &str) -> Result<Villages> {
    let select = Query::select()
        .column((Units, U::Code))
        .column((Units, U::Name))
        .expr_as(Expr::col((Teams, T::Id)), "team_id")
        .from(Units)
        .join(
            JoinType::LeftJoin,
            Teams,
            Condition::all()
                .add(Expr::col((Teams, T::UnitId)).equals((Units, U::Id)))
                .add(Expr::col((Teams, T::Status)).eq(TeamStatus::Active.as_str())),
        )
        .and_where(Expr::col((Units, U::Level)).eq(AdminLevel::Village.as_str()))
        .and_where(Expr::col((Units, U::ValidTo)).is_null())
        .cond_where(subtree_range((Units, U::Path), path))
        .to_owned();
    let rows = query::rows(conn, &select).await?;
    let mut team_ids = Vec::new();
    let mut raw = Vec::new();
    for row in rows {
        let code: String = row.try_get("", "code")?;
        let name: String = row.try_get("", "name")?;
        let team: Option<i64> = row.try_get("", "team_id")?;
        if let Some(t) = team {
            team_ids.push(TeamId(t));
        }
        raw.push((code, name, team));
    }
    let mut teams = relations::teams(conn, &team_ids).await?;
    let mut villages = Villages {
        by_code: HashMap::new(),
        by_name: HashMap::new(),
    };
    for (code, name, team) in raw {
        villages
            .by_name
            .entry(fold(&name))
            .or_default()
            .push(code.clone());
        let team = team.and_then(|t| teams.remove(&TeamId(t)));
        villages.by_code.insert(code, (name, team));
    }
    Ok(villages)
}

/// Adds the members of a sheet read by [`Sheet::read`]; people already on their team are
/// kept, not added again. With [`Mode::Preview`] nothing is written, and bad rows are listed in
/// the report instead of refusing the file.
pub async fn import(
    tx: &mut Tx,
    grant: &WriteGrant,
    unit_code: &str,
    sheet: &Sheet,
    mode: Mode,
) -> Result<ImportReport> {
    let rules = tx.rules;
    let unit = units::open_for_change(&tx.txn, unit_code, "unitCode")
        .await?
        .ok_or_else(|| AppError::bad_input("unitCode", "no current unit has this code"))?;
    // An officer who reaches only part of the unit (the villages an assignment at a closed
    // commune still holds) imports into that part; rows of other villages are refused.
    if !grant.scope().reaches_into(&unit.path) {
        return Err(AppError::Forbidden);
    }
    let rows = &sheet.rows;
    let villages = villages_under(&tx.txn, &unit.path).await?;

    let mut problems = Vec::new();
    let mut accepted: Vec<(u64, Team, NewMember, member_edits::CleanMember)> = Vec::new();
    let mut leaders: HashMap<TeamId, u64> = HashMap::new();
    for (line, row) in rows {
        let line = *line;
        let cell = |key: &'static str| row.get(key).map(String::as_str).unwrap_or("");
        let mut bad = |key: Option<&'static str>, message: String| {
            problems.push(refuse(line, key.map(header_of), message));
        };
        // A village code column, where the sheet has one, names the village whatever its name.
        let (village, village_column) = match cell(VILLAGE_CODE) {
            "" => (cell(VILLAGE), VILLAGE),
            code => (code, VILLAGE_CODE),
        };
        let code = match villages.by_code.get(village) {
            Some(_) => Some(village.to_owned()),
            None => match villages.by_name.get(&fold(village)).map(Vec::as_slice) {
                Some([only]) => Some(only.clone()),
                Some(several) => {
                    bad(
                        Some(village_column),
                        format!(
                            "{} villages here are called {village:?}; write the village code (e.g. {})",
                            several.len(),
                            several[0]
                        ),
                    );
                    None
                }
                None => {
                    bad(
                        Some(village_column),
                        format!("no village {village:?} in {}", unit.name),
                    );
                    None
                }
            },
        };
        let team = code.as_ref().and_then(|c| match &villages.by_code[c] {
            (_, Some(team)) if team.status == TeamStatus::Active => Some(team.clone()),
            (name, _) => {
                bad(
                    Some(village_column),
                    format!("{name} ({c}) has no active team"),
                );
                None
            }
        });
        let role = role(cell(ROLE));
        if role.is_none() {
            bad(
                Some(ROLE),
                format!("{:?} is not Tổ trưởng, Tổ phó or Thành viên", cell(ROLE)),
            );
        }
        let affiliation = affiliation(cell(AFFILIATION));
        if affiliation.is_none() {
            bad(
                Some(AFFILIATION),
                format!(
                    "{:?} is not one of Trưởng thôn, Công an, Đoàn thanh niên, Hội phụ nữ, \
                     Hội nông dân, Cựu chiến binh, Viễn thông, Giáo viên, Khác",
                    cell(AFFILIATION)
                ),
            );
        }
        let gender = gender(cell(GENDER));
        if gender.is_none() {
            bad(
                Some(GENDER),
                format!("{:?} is not Nam, Nữ or Khác", cell(GENDER)),
            );
        }
        let birth_year = match cell(BIRTH_YEAR) {
            "" => Some(None),
            text => match text.parse::<i32>() {
                Ok(year) => match validate::birth_year("birthYear", year) {
                    Ok(year) => Some(Some(year)),
                    Err(err) => {
                        bad(Some(BIRTH_YEAR), reason(err)?);
                        None
                    }
                },
                Err(_) => {
                    bad(Some(BIRTH_YEAR), format!("{text:?} is not a year"));
                    None
                }
            },
        };
        // Every cell is checked, so that a row's problems are all told at once.
        let full_name = match validate::name("fullName", cell(NAME)) {
            Ok(name) => Some(name),
            Err(err) => {
                bad(Some(NAME), reason(err)?);
                None
            }
        };
        let phone = match phone_text(cell(PHONE)) {
            text if text.trim().is_empty() => Some(None),
            text => match validate::phone("phone", &text) {
                Ok(phone) => Some(Some(phone)),
                Err(err) => {
                    bad(Some(PHONE), reason(err)?);
                    None
                }
            },
        };
        let (
            Some(team),
            Some(role),
            Some(affiliation),
            Some(gender),
            Some(birth_year),
            Some(full_name),
            Some(phone),
        ) = (
            team,
            role,
            affiliation,
            gender,
            birth_year,
            full_name,
            phone,
        )
        else {
            continue;
        };
        if let Err(AppError::Forbidden) = grant.check_team(team.id, &team.unit_path) {
            bad(Some(village_column), "outside your area".to_owned());
            continue;
        }
        let clean = member_edits::CleanMember {
            full_name: full_name.clone(),
            phone: phone.clone(),
            birth_year,
            joined_on: None,
        };
        let input = NewMember {
            team_id: team.id,
            full_name,
            role,
            affiliation,
            phone,
            gender,
            birth_year,
            joined_on: None,
        };
        accepted.push((line, team, input, clean));
    }
    // The same person twice: already on the team (kept), or twice in the file (refused).
    let team_ids: Vec<TeamId> = accepted.iter().map(|(_, t, ..)| t.id).collect();
    let on_teams = relations::team_members(&tx.txn, &team_ids).await?;
    let mut known: HashMap<(TeamId, String), (MemberId, String)> = HashMap::new();
    for (team, members) in &on_teams {
        for m in members {
            for id in identities(&m.full_name, m.birth_year, m.phone.as_deref()) {
                known.insert((*team, id), (m.id, m.full_name.clone()));
            }
        }
    }
    let codes: HashMap<TeamId, String> = villages
        .by_code
        .iter()
        .filter_map(|(code, (_, team))| team.as_ref().map(|t| (t.id, code.clone())))
        .collect();
    let mut kept = Vec::new();
    let mut in_file: HashMap<(TeamId, String), u64> = HashMap::new();
    accepted.retain(|(line, team, _, clean)| {
        let ids: Vec<String> =
            identities(&clean.full_name, clean.birth_year, clean.phone.as_deref()).collect();
        if let Some((member, name)) = ids.iter().find_map(|id| known.get(&(team.id, id.clone()))) {
            kept.push(KeptRow {
                line: *line,
                village_code: codes.get(&team.id).cloned().unwrap_or_default(),
                member_id: *member,
                full_name: name.clone(),
            });
            return false;
        }
        if let Some(first) = ids
            .iter()
            .find_map(|id| in_file.get(&(team.id, id.clone())))
        {
            problems.push(refuse(
                *line,
                Some(header_of(NAME)),
                format!("the same person as on line {first}"),
            ));
            return false;
        }
        for id in ids {
            in_file.insert((team.id, id), *line);
        }
        true
    });
    // One leader per team: of the rows to add, a second in the file or beside the team's own.
    let mut refused_leaders = Vec::new();
    for (line, team, input, _) in &accepted {
        if input.role != TeamRole::Leader {
            continue;
        }
        if let Some(first) = leaders.insert(team.id, *line) {
            refused_leaders.push(refuse(
                *line,
                Some(header_of(ROLE)),
                format!("the team already has a leader on line {first}"),
            ));
        } else if member_edits::leader_of(&tx.txn, team.id, None)
            .await?
            .is_some()
        {
            refused_leaders.push(refuse(
                *line,
                Some(header_of(ROLE)),
                "the team already has a leader",
            ));
        }
    }
    accepted.retain(|(line, ..)| !refused_leaders.iter().any(|p| p.line == *line));
    problems.extend(refused_leaders);
    // No team may end up over the size cap: the first row past it is named.
    let mut arriving: BTreeMap<TeamId, Vec<u64>> = BTreeMap::new();
    for (line, team, ..) in &accepted {
        arriving.entry(team.id).or_default().push(*line);
    }
    let mut no_room: Vec<u64> = Vec::new();
    for (team, lines) in &arriving {
        let room = rules
            .max_team_members
            .saturating_sub(member_edits::current_members(tx, *team).await?);
        no_room.extend(lines.iter().skip(room));
        if let Some(&line) = lines.get(room) {
            problems.push(refuse(
                line,
                Some(header_of(VILLAGE)),
                format!(
                    "{}; this file brings {} to a team that has room for {room}",
                    member_edits::team_full(rules.max_team_members),
                    lines.len()
                ),
            ));
        }
    }
    problems.sort_by_key(|p| p.line);
    kept.sort_by_key(|k| k.line);
    if mode == Mode::Preview {
        // Who would be added: not the rows a full team has no room for.
        accepted.retain(|(line, ..)| !no_room.contains(line));
        let mut per_team: BTreeMap<TeamId, TeamImport> = BTreeMap::new();
        for (_, team, ..) in &accepted {
            per_team
                .entry(team.id)
                .or_insert_with(|| TeamImport {
                    team_id: team.id,
                    village_code: codes.get(&team.id).cloned().unwrap_or_default(),
                    added: 0,
                })
                .added += 1;
        }
        return Ok(ImportReport {
            added: accepted.len(),
            teams: per_team.into_values().collect(),
            kept,
            refused: problems,
        });
    }
    if !problems.is_empty() {
        return Err(AppError::InvalidRows(problems));
    }

    let mut per_team: BTreeMap<TeamId, TeamImport> = BTreeMap::new();
    let mut added = 0;
    for (_, team, input, clean) in accepted {
        member_edits::insert(tx, grant, &team, &input, clean).await?;
        per_team
            .entry(team.id)
            .or_insert_with(|| TeamImport {
                team_id: team.id,
                village_code: String::new(),
                added: 0,
            })
            .added += 1;
        tx.touch(team.unit_id);
        added += 1;
    }
    let report = ImportReport {
        added,
        teams: per_team
            .into_values()
            .map(|mut t| {
                t.village_code = codes.get(&t.team_id).cloned().unwrap_or_default();
                t
            })
            .collect(),
        kept,
        refused: Vec::new(),
    };
    // A summary, not the rows: an import of thousands of members would otherwise make one
    // audit entry of megabytes that every reader of the log downloads.
    let detail = serde_json::json!({
        "file": &sheet.file,
        "rows": rows.len(),
        "added": report.added,
        "kept": report.kept.len(),
        "teams": &report.teams,
    });
    tx.audit_creation("importTeamMembers", "import", unit.id.0, unit.id, &detail)
        .await?;
    Ok(report)
}

#[cfg(test)]
mod tests;
