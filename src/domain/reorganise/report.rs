//! What a reorganisation does (or would do), as the command prints it and the
//! `reorganisation` table keeps it.

use std::fmt::{self, Display, Formatter};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A unit as the report names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub code: String,
    pub name: String,
    pub level: String,
}

impl Display for Named {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.name)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opened {
    pub unit: Named,
    pub parent: Option<String>,
    /// Codes of the units it takes from (other than itself).
    pub predecessors: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closed {
    pub unit: Named,
    pub successors: Vec<String>,
}

/// A unit that goes on under its code in a new shape: another parent, another name, or more
/// (or less) ground.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reshaped {
    pub unit: Named,
    pub old_parent: Option<String>,
    pub new_parent: Option<String>,
    pub renamed_from: Option<String>,
    pub predecessors: Vec<String>,
}

/// The villages of one old commune that go to one new commune.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    pub from: String,
    pub to: String,
    pub villages: usize,
    /// `table` (the official table), `file` (the villages file) or `default` (the first
    /// successor, taken under `--accept-defaults`).
    pub by: String,
}

/// An assignment whose reach changes with the tree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentChange {
    pub username: String,
    pub role: String,
    pub unit: String,
    /// The unit closes: the assignment keeps reaching the villages it held, until reassigned.
    pub unit_closed: bool,
    pub teams_before: usize,
    pub teams_after: usize,
}

/// What is attached to the units and villages the reorganisation touches. Nothing of it is
/// rewritten: only the tree above it changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attached {
    /// Active teams, their current members and all their result reports, in villages that move
    /// to another commune.
    pub teams_moved: usize,
    pub members_moved: usize,
    pub reports_moved: usize,
    /// Teams set up at a closing unit itself (not at a village): they stay on it.
    pub teams_at_closed_units: usize,
    /// Training sessions organised by, and targets set for, closing units: kept as history.
    pub sessions_of_closed_units: usize,
    pub targets_of_closed_units: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub effective_on: Option<NaiveDate>,
    pub title: String,
    pub opened: Vec<Opened>,
    pub closed: Vec<Closed>,
    pub reshaped: Vec<Reshaped>,
    /// Villages whose commune changes.
    pub villages_moved: usize,
    /// Villages whose place in the tree changes at all (their commune, or a unit above it).
    pub villages_replaced: usize,
    pub moves: Vec<Move>,
    pub attached: Attached,
    /// Committees of closing units, closed on the date with their history kept.
    pub committees_closed: Vec<String>,
    /// Units of the new tree (in the area) without an open steering committee.
    pub without_committee: Vec<String>,
    pub assignments: Vec<AssignmentChange>,
    /// What the files leave undecided: while any is open the reorganisation is refused.
    pub questions: Vec<String>,
    /// Decisions taken under `--accept-defaults`.
    pub defaults: Vec<String>,
}

impl Report {
    /// Whether applying it would change nothing.
    pub fn is_empty(&self) -> bool {
        self.opened.is_empty()
            && self.closed.is_empty()
            && self.reshaped.is_empty()
            && self.villages_replaced == 0
    }
}

/// At most this many lines per section; the rest are counted. The stored report has them all.
const SHOWN: usize = 25;

fn section<T>(
    f: &mut Formatter<'_>,
    title: &str,
    items: &[T],
    line: impl Fn(&T) -> String,
    all: bool,
) -> fmt::Result {
    if items.is_empty() {
        return Ok(());
    }
    writeln!(f, "{title} ({}):", items.len())?;
    let shown = if all { items.len() } else { SHOWN };
    for item in items.iter().take(shown) {
        writeln!(f, "  {}", line(item))?;
    }
    if items.len() > shown {
        writeln!(f, "  … and {} more", items.len() - shown)?;
    }
    Ok(())
}

fn codes(list: &[String]) -> String {
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}

impl Display for Report {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let all = f.alternate();
        let date = self.effective_on.map(|d| d.to_string()).unwrap_or_default();
        writeln!(f, "{} (effective {date})", self.title)?;
        writeln!(
            f,
            "units: {} opened, {} closed, {} continuing in a new shape",
            self.opened.len(),
            self.closed.len(),
            self.reshaped.len()
        )?;
        writeln!(
            f,
            "villages: {} move to another commune, {} change place in the tree",
            self.villages_moved, self.villages_replaced
        )?;
        let a = &self.attached;
        writeln!(
            f,
            "attached to moving villages (kept as they are): {} active teams, {} members, {} result reports",
            a.teams_moved, a.members_moved, a.reports_moved
        )?;
        writeln!(
            f,
            "attached to closing units (kept as history): {} committees (closed on the date), {} training sessions, {} targets, {} teams",
            self.committees_closed.len(),
            a.sessions_of_closed_units,
            a.targets_of_closed_units,
            a.teams_at_closed_units
        )?;
        writeln!(
            f,
            "assignments whose reach changes: {}",
            self.assignments.len()
        )?;
        section(
            f,
            "opened",
            &self.opened,
            |o| {
                format!(
                    "{} ({}) under {}, from {}",
                    o.unit,
                    o.unit.level.to_lowercase(),
                    o.parent.as_deref().unwrap_or("-"),
                    codes(&o.predecessors)
                )
            },
            all,
        )?;
        section(
            f,
            "closed",
            &self.closed,
            |c| {
                format!(
                    "{} ({}) → {}",
                    c.unit,
                    c.unit.level.to_lowercase(),
                    codes(&c.successors)
                )
            },
            all,
        )?;
        section(
            f,
            "continuing in a new shape",
            &self.reshaped,
            |r| {
                let mut line = format!("{} ({})", r.unit, r.unit.level.to_lowercase());
                if r.old_parent != r.new_parent {
                    line.push_str(&format!(
                        ", moves from {} to {}",
                        r.old_parent.as_deref().unwrap_or("-"),
                        r.new_parent.as_deref().unwrap_or("-")
                    ));
                }
                if let Some(old) = &r.renamed_from {
                    line.push_str(&format!(", renamed from {old}"));
                }
                if !r.predecessors.is_empty() {
                    line.push_str(&format!(", takes from {}", codes(&r.predecessors)));
                }
                line
            },
            all,
        )?;
        section(
            f,
            "villages moved",
            &self.moves,
            |m| format!("{} → {}: {} villages ({})", m.from, m.to, m.villages, m.by),
            all,
        )?;
        section(
            f,
            "committees closed",
            &self.committees_closed,
            |c| c.clone(),
            all,
        )?;
        section(
            f,
            "units without a steering committee",
            &self.without_committee,
            |c| c.clone(),
            all,
        )?;
        section(
            f,
            "assignments",
            &self.assignments,
            |a| {
                let how = if a.unit_closed {
                    "unit closes: keeps reaching the villages it held, until reassigned"
                } else {
                    "follows its unit"
                };
                format!(
                    "{} ({} at {}): teams {} → {}; {how}",
                    a.username,
                    a.role.to_lowercase(),
                    a.unit,
                    a.teams_before,
                    a.teams_after
                )
            },
            all,
        )?;
        section(
            f,
            "decided by --accept-defaults",
            &self.defaults,
            |d| d.clone(),
            all,
        )?;
        // Open questions are listed whole: each needs an answer.
        section(f, "open questions", &self.questions, |q| q.clone(), true)?;
        Ok(())
    }
}
