//! Deciding a reorganisation: the database's open units and what is attached to them, against
//! the new tree, the official table and the villages file, give every unit opened, closed or
//! reshaped, every village's new commune, and every question the files leave open. Nothing is
//! written here.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::FromQueryResult;

use super::files::{Decision, Pair};
use super::report::{self, AssignmentChange, Attached, Move, Named, Report};
use crate::domain::import_units::Row;
use crate::domain::units::AdminLevel;

/// An open unit as the database holds it.
#[derive(Clone, Debug, FromQueryResult)]
pub(super) struct Current {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub level: AdminLevel,
    pub division_type: String,
    pub parent_id: Option<i64>,
    pub path: String,
    pub valid_from: NaiveDate,
}

/// Counts of what is attached to one unit.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Load {
    pub teams: usize,
    pub members: usize,
    pub reports: usize,
    pub sessions: usize,
    pub targets: usize,
}

#[derive(Clone, Debug, FromQueryResult)]
pub(super) struct OpenCommittee {
    pub id: i64,
    pub unit_id: i64,
    pub name: String,
}

#[derive(Clone, Debug, FromQueryResult)]
pub(super) struct Holder {
    pub username: String,
    pub role: String,
    pub unit_id: i64,
}

/// What the database holds, as far as a reorganisation needs it.
pub(super) struct State {
    pub units: Vec<Current>,
    pub load: HashMap<i64, Load>,
    pub committees: Vec<OpenCommittee>,
    pub holders: Vec<Holder>,
    /// Codes of closed units.
    pub closed_codes: HashSet<String>,
    /// The first free unit id.
    pub next_id: i64,
}

/// A unit the reorganisation creates.
pub(super) struct NewUnit {
    pub id: i64,
    pub row_code: String,
    pub name: String,
    pub level: AdminLevel,
    pub division_type: String,
    pub parent_id: Option<i64>,
    pub path: String,
}

/// An open unit's next shape, from the effective date.
pub(super) struct NextShape {
    pub old: Current,
    pub name: String,
    pub division_type: String,
    pub parent_id: Option<i64>,
    pub path: String,
}

pub(super) struct Plan {
    pub effective_on: NaiveDate,
    pub opened: Vec<NewUnit>,
    pub closed: Vec<i64>,
    /// Provinces, districts and communes that go on under their code in a new shape.
    pub reshaped: Vec<NextShape>,
    /// Villages whose place in the tree changes.
    pub villages: Vec<NextShape>,
    /// (predecessor, successor) pairs between distinct units.
    pub lineage: Vec<(i64, i64)>,
    pub committees_closed: Vec<i64>,
    pub report: Report,
}

struct Tree<'a> {
    /// New-tree units in the area, in file order (parents first).
    rows: Vec<&'a Row>,
    id: HashMap<&'a str, i64>,
    path: HashMap<&'a str, String>,
}

pub(super) fn decide(
    state: &State,
    tree: &[Row],
    pairs: &[Pair],
    decisions: &[Decision],
    effective_on: NaiveDate,
    accept_defaults: bool,
) -> Result<Plan, Vec<String>> {
    let mut problems = Vec::new();
    let by_id: HashMap<i64, &Current> = state.units.iter().map(|u| (u.id, u)).collect();
    let open: HashMap<&str, &Current> = state
        .units
        .iter()
        .filter(|u| u.level != AdminLevel::Village)
        .map(|u| (u.code.as_str(), u))
        .collect();
    let mut villages_of: HashMap<i64, Vec<&Current>> = HashMap::new();
    let mut village_by_code: HashMap<&str, &Current> = HashMap::new();
    for village in state
        .units
        .iter()
        .filter(|u| u.level == AdminLevel::Village)
    {
        if let Some(parent) = village.parent_id {
            villages_of.entry(parent).or_default().push(village);
        }
        village_by_code.insert(village.code.as_str(), village);
    }
    let mut rows_of: HashMap<&str, Vec<&Pair>> = HashMap::new();
    for pair in pairs {
        rows_of
            .entry(pair.old_code.as_str())
            .or_default()
            .push(pair);
    }
    let new_by_code: HashMap<&str, &Row> = tree.iter().map(|r| (r.code.as_str(), r)).collect();

    // The area: the database's provinces the files speak of.
    let province_of = |unit: &Current| -> Option<&Current> {
        let root: i64 = unit.path.split('/').find(|s| !s.is_empty())?.parse().ok()?;
        by_id.get(&root).copied()
    };
    let mut new_provinces: BTreeSet<&str> = BTreeSet::new();
    let mut affected: HashSet<i64> = HashSet::new();
    for province in state
        .units
        .iter()
        .filter(|u| u.level == AdminLevel::Province)
    {
        if new_by_code
            .get(province.code.as_str())
            .is_some_and(|r| r.level == AdminLevel::Province)
        {
            affected.insert(province.id);
            new_provinces.insert(province.code.as_str());
        }
    }
    // The table speaks of the units in force before the date: a unit whose shape began on it
    // (or later) is already of the new tree, and a second run leaves it alone.
    let before = |u: &Current| u.valid_from < effective_on;
    for unit in state
        .units
        .iter()
        .filter(|u| u.level == AdminLevel::Commune && before(u))
    {
        if let (Some(rows), Some(province)) = (rows_of.get(unit.code.as_str()), province_of(unit)) {
            affected.insert(province.id);
            new_provinces.extend(rows.iter().map(|p| p.new_province.as_str()));
        }
    }
    if affected.is_empty() {
        return Err(vec![
            "no province of this database is in the new tree or the table".to_owned(),
        ]);
    }
    let in_area = |u: &Current| province_of(u).is_some_and(|p| affected.contains(&p.id));
    let old_units: Vec<&Current> = state
        .units
        .iter()
        .filter(|u| u.level != AdminLevel::Village && in_area(u) && before(u))
        .collect();

    // The new tree of the area, with ids and paths.
    let mut next_id = state.next_id;
    let mut new = Tree {
        rows: Vec::new(),
        id: HashMap::new(),
        path: HashMap::new(),
    };
    let mut opened = Vec::new();
    for row in tree {
        let parent = match &row.parent_code {
            None if new_provinces.contains(row.code.as_str()) => None,
            None => continue,
            Some(code) => match new.path.get(code.as_str()) {
                Some(path) => Some((code.as_str(), path.clone())),
                None if new_provinces.contains(province_code(tree, &new_by_code, row)) => {
                    problems.push(format!(
                        "new tree, line {}: parent {code} must come before {}",
                        row.line, row.code
                    ));
                    continue;
                }
                None => continue,
            },
        };
        let existing = open
            .get(row.code.as_str())
            .filter(|c| c.level == row.level)
            .map(|c| c.id);
        let id = existing.unwrap_or_else(|| {
            next_id += 1;
            next_id - 1
        });
        let path = match &parent {
            Some((_, path)) => format!("{path}{id}/"),
            None => format!("/{id}/"),
        };
        if existing.is_none() {
            opened.push(NewUnit {
                id,
                row_code: row.code.clone(),
                name: row.name.clone(),
                level: row.level,
                division_type: row.division_type.clone(),
                parent_id: parent.as_ref().map(|(code, _)| new.id[code]),
                path: path.clone(),
            });
        }
        new.rows.push(row);
        new.id.insert(row.code.as_str(), id);
        new.path.insert(row.code.as_str(), path);
    }
    for pair in pairs {
        let in_db = open.get(pair.old_code.as_str()).is_some_and(|c| in_area(c));
        if in_db && !new.id.contains_key(pair.new_code.as_str()) {
            problems.push(format!(
                "table, line {}: {} goes to {}, which is not in the new tree",
                pair.line, pair.old_code, pair.new_code
            ));
        }
    }
    let continuing: HashSet<i64> = new.id.values().copied().collect();
    let code_of_id: HashMap<i64, &str> = state
        .units
        .iter()
        .map(|u| (u.id, u.code.as_str()))
        .chain(opened.iter().map(|n| (n.id, n.row_code.as_str())))
        .collect();

    // Every village of the area: where it goes.
    let mut decided: HashMap<&str, (&Decision, bool)> = HashMap::new();
    for decision in decisions {
        let known_village = village_by_code
            .get(decision.code.as_str())
            .is_some_and(|v| in_area(v));
        let known_commune = open
            .get(decision.code.as_str())
            .is_some_and(|c| c.level == AdminLevel::Commune && in_area(c));
        let settled = village_by_code.contains_key(decision.code.as_str())
            || state.closed_codes.contains(&decision.code);
        if !known_village && !known_commune && settled {
            // A village already in a new commune, or a commune already closed: a decision for
            // a reorganisation already applied.
            continue;
        }
        if !known_village && !known_commune {
            problems.push(format!(
                "villages file, line {}: no open village or commune of the area has code {}",
                decision.line, decision.code
            ));
        } else if new_by_code
            .get(decision.new_code.as_str())
            .is_none_or(|r| r.level != AdminLevel::Commune || !new.id.contains_key(r.code.as_str()))
        {
            problems.push(format!(
                "villages file, line {}: {} is not a commune of the new tree in the area",
                decision.line, decision.new_code
            ));
        } else {
            decided.insert(decision.code.as_str(), (decision, known_village));
        }
    }

    let mut report = Report {
        effective_on: Some(effective_on),
        ..Report::default()
    };
    let mut moves: HashMap<(&str, &str, &str), usize> = HashMap::new();
    let mut villages = Vec::new();
    let mut successors_of: HashMap<i64, Vec<String>> = HashMap::new();
    let mut new_path_of: HashMap<i64, String> = HashMap::new();
    for commune in old_units.iter().filter(|u| u.level == AdminLevel::Commune) {
        let rows = rows_of.get(commune.code.as_str());
        let split = rows.is_some_and(|r| r.len() > 1 || r.iter().any(|p| p.partly));
        let table_target: Option<&str> = match rows {
            Some(rows) if !split => Some(rows[0].new_code.as_str()),
            Some(_) => None,
            None if continuing.contains(&commune.id) => Some(commune.code.as_str()),
            None => None,
        };
        let mut successors: Vec<String> = rows
            .map(|r| r.iter().map(|p| p.new_code.clone()).collect())
            .unwrap_or_default();
        let mut undecided = 0usize;
        for village in villages_of.get(&commune.id).into_iter().flatten() {
            let by_file = decided
                .get(village.code.as_str())
                .or_else(|| decided.get(commune.code.as_str()));
            let (target, by) =
                match (by_file, table_target, rows) {
                    (Some((d, _)), _, _) => (d.new_code.as_str(), "file"),
                    (None, Some(target), _) => (target, "table"),
                    (None, None, Some(rows)) if accept_defaults => {
                        report.defaults.push(format!(
                        "village {} {} of {} {} (split between {}) goes to {}, its first successor",
                        village.code,
                        village.name,
                        commune.code,
                        commune.name,
                        rows.iter().map(|p| p.new_code.as_str()).collect::<Vec<_>>().join(", "),
                        rows[0].new_code
                    ));
                        (rows[0].new_code.as_str(), "default")
                    }
                    (None, None, _) => {
                        undecided += 1;
                        continue;
                    }
                };
            if !successors.iter().any(|s| s == target) {
                successors.push(target.to_owned());
            }
            let Some(parent_path) = new.path.get(target) else {
                problems.push(format!(
                    "{} {} goes to {target}, which is not in the new tree",
                    commune.code, commune.name
                ));
                continue;
            };
            let path = format!("{parent_path}{}/", village.id);
            if path == village.path {
                continue;
            }
            if target != commune.code {
                *moves
                    .entry((commune.code.as_str(), target, by))
                    .or_default() += 1;
            }
            new_path_of.insert(village.id, path.clone());
            villages.push(NextShape {
                old: (*village).clone(),
                name: village.name.clone(),
                division_type: village.division_type.clone(),
                parent_id: Some(new.id[target]),
                path,
            });
        }
        if undecided > 0 {
            let why = match rows {
                Some(rows) if rows.len() == 1 => format!(
                    "is flagged as partly merged, yet the table names only {} (the rest of it went elsewhere)",
                    rows[0].new_code
                ),
                Some(rows) => format!(
                    "was split between {} (the table does not say which village went where)",
                    rows.iter()
                        .map(|p| p.new_code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => {
                    "is not in the table (it was merged away before the table's date)".to_owned()
                }
            };
            let hint = if rows.is_some() {
                "add a line per village to --villages, or run with --accept-defaults"
            } else {
                "add a line for the commune or each village to --villages"
            };
            report.questions.push(format!(
                "{} {} {why}: {undecided} of its villages have no new commune; {hint}",
                commune.code, commune.name
            ));
        }
        successors.retain(|s| s != &commune.code || continuing.contains(&commune.id));
        successors_of.insert(commune.id, successors);
    }

    // Closed units and their successors; lineage.
    let mut closed = Vec::new();
    let mut lineage: BTreeSet<(i64, i64)> = BTreeSet::new();
    let mut old_children: HashMap<i64, Vec<&Current>> = HashMap::new();
    for unit in &old_units {
        if let Some(parent) = unit.parent_id {
            old_children.entry(parent).or_default().push(unit);
        }
    }
    // Deepest first, so that a district's communes are settled before it.
    let mut by_depth = old_units.clone();
    by_depth.sort_by_key(|u| std::cmp::Reverse(u.path.matches('/').count()));
    for unit in by_depth {
        let successors: Vec<String> = match unit.level {
            AdminLevel::Commune => successors_of.get(&unit.id).cloned().unwrap_or_default(),
            _ => {
                let mut all: Vec<String> = Vec::new();
                for child in old_children.get(&unit.id).into_iter().flatten() {
                    let next: Vec<String> = if continuing.contains(&child.id) {
                        vec![child.code.clone()]
                    } else {
                        successors_of.get(&child.id).cloned().unwrap_or_default()
                    };
                    for code in next {
                        let code = match (unit.level, new_by_code.get(code.as_str())) {
                            (AdminLevel::Province, Some(row)) => {
                                province_code(tree, &new_by_code, row).to_owned()
                            }
                            (AdminLevel::Province, None) => continue,
                            _ => code,
                        };
                        if !all.contains(&code) {
                            all.push(code);
                        }
                    }
                }
                all
            }
        };
        for code in &successors {
            if let Some(&id) = new.id.get(code.as_str())
                && id != unit.id
            {
                lineage.insert((unit.id, id));
            }
        }
        successors_of.insert(unit.id, successors.clone());
        if !continuing.contains(&unit.id) {
            closed.push(unit.id);
            report.closed.push(report::Closed {
                unit: named(unit),
                successors,
            });
        }
    }
    report.closed.sort_by(|a, b| a.unit.code.cmp(&b.unit.code));

    // A commune's predecessors are the communes it was formed from; the districts whose ground
    // it took list it among their successors, not the other way round.
    let level_of: HashMap<i64, AdminLevel> = state
        .units
        .iter()
        .map(|u| (u.id, u.level))
        .chain(opened.iter().map(|n| (n.id, n.level)))
        .collect();
    let predecessors_of = |id: i64| -> Vec<String> {
        let mut codes: Vec<String> = lineage
            .iter()
            .filter(|(p, s)| *s == id && level_of.get(p) == level_of.get(s))
            .filter_map(|(p, _)| code_of_id.get(p).map(|c| c.to_string()))
            .collect();
        codes.sort();
        codes
    };

    // Continuing units in a new shape: another name or place, other units merged in, or other
    // units below (its ground changed).
    let mut old_kids: HashMap<i64, BTreeSet<i64>> = HashMap::new();
    for unit in &state.units {
        if let Some(parent) = unit.parent_id {
            old_kids.entry(parent).or_default().insert(unit.id);
        }
    }
    let mut new_kids = old_kids.clone();
    let mut regroup = |id: i64, from: Option<i64>, to: Option<i64>| {
        if from != to {
            if let Some(from) = from {
                new_kids.entry(from).or_default().remove(&id);
            }
            if let Some(to) = to {
                new_kids.entry(to).or_default().insert(id);
            }
        }
    };
    for village in &villages {
        regroup(village.old.id, village.old.parent_id, village.parent_id);
    }
    for row in &new.rows {
        let id = new.id[row.code.as_str()];
        let from = by_id.get(&id).and_then(|u| u.parent_id);
        regroup(id, from, row.parent_code.as_deref().map(|c| new.id[c]));
    }
    for id in &closed {
        regroup(*id, by_id[id].parent_id, None);
    }
    new_kids.retain(|_, kids| !kids.is_empty());
    old_kids.retain(|_, kids| !kids.is_empty());

    let mut reshaped = Vec::new();
    for row in &new.rows {
        let Some(current) = open.get(row.code.as_str()).filter(|c| c.level == row.level) else {
            continue;
        };
        let parent_id = row.parent_code.as_deref().map(|c| new.id[c]);
        let path = new.path[row.code.as_str()].clone();
        let predecessors = predecessors_of(current.id);
        if current.name == row.name
            && current.division_type == row.division_type
            && current.parent_id == parent_id
            && current.path == path
            && predecessors.is_empty()
            && old_kids.get(&current.id) == new_kids.get(&current.id)
        {
            continue;
        }
        let code_of = |id: Option<i64>| id.and_then(|i| code_of_id.get(&i).map(|c| c.to_string()));
        report.reshaped.push(report::Reshaped {
            unit: Named {
                code: row.code.clone(),
                name: row.name.clone(),
                level: row.level.as_str().to_owned(),
            },
            old_parent: code_of(current.parent_id),
            new_parent: code_of(parent_id),
            renamed_from: (current.name != row.name).then(|| current.name.clone()),
            predecessors,
        });
        new_path_of.insert(current.id, path.clone());
        reshaped.push(NextShape {
            old: (*current).clone(),
            name: row.name.clone(),
            division_type: row.division_type.clone(),
            parent_id,
            path,
        });
    }
    for unit in &opened {
        report.opened.push(report::Opened {
            unit: Named {
                code: unit.row_code.clone(),
                name: unit.name.clone(),
                level: unit.level.as_str().to_owned(),
            },
            parent: unit
                .parent_id
                .and_then(|p| code_of_id.get(&p).map(|c| c.to_string())),
            predecessors: predecessors_of(unit.id),
        });
    }

    // A shape starts on the date: the one it ends must have started before.
    let ending = reshaped
        .iter()
        .chain(villages.iter())
        .map(|s| &s.old)
        .chain(closed.iter().map(|id| by_id[id]));
    for unit in ending {
        if unit.valid_from >= effective_on {
            problems.push(format!(
                "{} {}: its current shape starts on {}, not before {effective_on}",
                unit.code, unit.name, unit.valid_from
            ));
        }
    }
    if !problems.is_empty() {
        return Err(crate::domain::import_units::summarise(problems));
    }

    // What is attached, and who reaches it.
    let closed_set: HashSet<i64> = closed.iter().copied().collect();
    let mut attached = Attached::default();
    for village in villages.iter().filter(|v| v.parent_id != v.old.parent_id) {
        let load = state.load.get(&village.old.id).copied().unwrap_or_default();
        attached.teams_moved += load.teams;
        attached.members_moved += load.members;
        attached.reports_moved += load.reports;
    }
    for id in &closed {
        let load = state.load.get(id).copied().unwrap_or_default();
        attached.teams_at_closed_units += load.teams;
        attached.sessions_of_closed_units += load.sessions;
        attached.targets_of_closed_units += load.targets;
    }
    report.attached = attached;
    report.villages_moved = villages
        .iter()
        .filter(|v| v.parent_id != v.old.parent_id)
        .count();
    report.villages_replaced = villages.len();
    let mut moves: Vec<Move> = moves
        .into_iter()
        .map(|((from, to, by), villages)| Move {
            from: from.to_owned(),
            to: to.to_owned(),
            villages,
            by: by.to_owned(),
        })
        .collect();
    moves.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    report.moves = moves;

    let committees_closed: Vec<&OpenCommittee> = state
        .committees
        .iter()
        .filter(|c| closed_set.contains(&c.unit_id))
        .collect();
    report.committees_closed = committees_closed
        .iter()
        .map(|c| {
            format!(
                "{} ({})",
                c.name,
                code_of_id.get(&c.unit_id).unwrap_or(&"?")
            )
        })
        .collect();
    let with_committee: HashSet<i64> = state.committees.iter().map(|c| c.unit_id).collect();
    report.without_committee = new
        .rows
        .iter()
        .filter(|r| !with_committee.contains(&new.id[r.code.as_str()]))
        .map(|r| format!("{} {}", r.code, r.name))
        .collect();

    report.assignments = reach_changes(state, &new_path_of, &closed_set, &code_of_id);

    Ok(Plan {
        effective_on,
        opened,
        closed,
        reshaped,
        villages,
        lineage: lineage.into_iter().collect(),
        committees_closed: committees_closed.iter().map(|c| c.id).collect(),
        report,
    })
}

/// The code of the province a new-tree row belongs to.
fn province_code<'a>(tree: &'a [Row], by_code: &HashMap<&str, &'a Row>, row: &'a Row) -> &'a str {
    let mut row = row;
    for _ in 0..tree.len().min(8) {
        match row.parent_code.as_deref().and_then(|p| by_code.get(p)) {
            Some(parent) => row = parent,
            None => break,
        }
    }
    row.code.as_str()
}

fn named(unit: &Current) -> Named {
    Named {
        code: unit.code.clone(),
        name: unit.name.clone(),
        level: unit.level.as_str().to_owned(),
    }
}

/// Every assignment at a unit that closes, or whose subtree holds a different number of active
/// teams after the change.
fn reach_changes(
    state: &State,
    new_path_of: &HashMap<i64, String>,
    closed: &HashSet<i64>,
    code_of_id: &HashMap<i64, &str>,
) -> Vec<AssignmentChange> {
    let held: HashSet<i64> = state.holders.iter().map(|h| h.unit_id).collect();
    let mut before: HashMap<i64, usize> = HashMap::new();
    let mut after: HashMap<i64, usize> = HashMap::new();
    let ancestors = |path: &str| -> Vec<i64> {
        path.split('/')
            .filter_map(|s| s.parse::<i64>().ok())
            .filter(|id| held.contains(id))
            .collect()
    };
    for unit in &state.units {
        let teams = state.load.get(&unit.id).map_or(0, |l| l.teams);
        if teams == 0 {
            continue;
        }
        for id in ancestors(&unit.path) {
            *before.entry(id).or_default() += teams;
        }
        let path = new_path_of.get(&unit.id).unwrap_or(&unit.path);
        for id in ancestors(path) {
            *after.entry(id).or_default() += teams;
        }
    }
    let mut changes: Vec<AssignmentChange> = state
        .holders
        .iter()
        .filter_map(|h| {
            let unit_closed = closed.contains(&h.unit_id);
            let teams_before = before.get(&h.unit_id).copied().unwrap_or(0);
            // A closed unit's assignment keeps reaching exactly the villages it held.
            let teams_after = if unit_closed {
                teams_before
            } else {
                after.get(&h.unit_id).copied().unwrap_or(0)
            };
            (unit_closed || teams_before != teams_after).then(|| AssignmentChange {
                username: h.username.clone(),
                role: h.role.clone(),
                unit: code_of_id.get(&h.unit_id).unwrap_or(&"?").to_string(),
                unit_closed,
                teams_before,
                teams_after,
            })
        })
        .collect();
    changes.sort_by(|a, b| (&a.unit, &a.username).cmp(&(&b.unit, &b.username)));
    changes
}
