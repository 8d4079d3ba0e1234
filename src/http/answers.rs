//! Whole answers of the reads leaders repeat all day (`totals`, `teams`), kept in memory as the
//! bytes sent.
//!
//! An answer is kept under everything that decides it: the caller's fingerprint (who they are,
//! their assignments, the policy in force), today's date, the document, the operation's name and
//! the variables. Beside the bytes it keeps the counters of the units it read, as they stood
//! before the operation ran (the cache's generations: a change moves the counter of its unit and
//! of every unit above it, the country's too, before the change answers). It is sent again only
//! while those counters have not moved: a change under a unit read makes the next request run
//! the operation again. Memory is bounded by `ANSWER_CACHE_MB`; the cache's TTL bounds the life
//! of every answer.
//!
//! Only operations whose every field is known to be covered by those counters are kept: the
//! roots `totals` and `teams` and what lies under them, except the fields that read sessions
//! and targets, which are kept elsewhere. A `teams` list is read under the unit it names, or
//! under the deepest unit above everything the caller reaches; a list or total of a past day
//! or of a closed unit, under the country.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Variables};
use axum::body::Bytes;

use crate::authz::{Access, Action, Resource, Scope};
use crate::cache::{COUNTRY, Cache, Epoch};
use crate::db::Db;
use crate::domain::UnitId;
use crate::domain::units::Unit;
use crate::graphql::query::remembered_unit;

/// The root fields whose answers may be kept.
const ROOTS: &[&str] = &["totals", "teams"];

/// Fields that read what the units' counters do not version: kept answers never hold them.
const UNKEPT: &[&str] = &["progress", "trainings", "session", "__schema", "__type"];

/// The largest single answer kept, in bytes.
const LARGEST: usize = 1024 * 1024;

/// Answers kept, and how often they were used.
pub struct Answers {
    kept: moka::sync::Cache<String, Arc<Kept>>,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

/// A kept answer: its bytes and the versions it was computed under.
pub struct Kept {
    units: Vec<UnitId>,
    versions: (u64, Vec<u64>),
    body: Bytes,
}

/// What a request reads, known before it runs: the key of its answer, and the root fields
/// whose units version it.
pub struct Reading {
    key: String,
    roots: Vec<Root>,
}

/// A root field of a kept operation, with the arguments that say where it reads.
struct Root {
    teams: bool,
    unit_code: Option<String>,
    dated: bool,
}

impl Reading {
    /// The units whose counters version the answer (looked up only when it must be computed);
    /// `None` when a unit named is unknown (the operation says so). The units looked up by
    /// code are added to `found`, for the operation to use rather than read them again.
    pub async fn units(
        &self,
        db: &Db,
        cache: &Cache,
        epoch: Option<Epoch>,
        access: &Access,
        found: &mut Vec<Unit>,
    ) -> Option<Vec<UnitId>> {
        let mut units = Vec::new();
        for root in &self.roots {
            let read_under = match (&root.unit_code, root.dated) {
                (_, true) => COUNTRY,
                (Some(code), false) => {
                    let looked_up = remembered_unit(db, cache, epoch, code).await;
                    let Ok(Some(unit)) = looked_up else {
                        return None;
                    };
                    let read_under = if unit.valid_to.is_none() {
                        unit.id
                    } else {
                        COUNTRY
                    };
                    found.push(unit);
                    read_under
                }
                (None, false) => {
                    let resource = if root.teams {
                        Resource::Team
                    } else {
                        Resource::Totals
                    };
                    above_all(&access.reach(resource, Action::Read))
                }
            };
            units.push(read_under);
        }
        units.sort();
        units.dedup();
        Some(units)
    }
}

impl Answers {
    /// `None` when no memory is given to answers.
    pub fn new(megabytes: u64, ttl: Duration) -> Option<Answers> {
        if megabytes == 0 {
            return None;
        }
        let kept = moka::sync::Cache::builder()
            .max_capacity(megabytes * 1024 * 1024)
            .weigher(|key: &String, kept: &Arc<Kept>| {
                let bytes = key.len() + kept.body.len() + 16 * kept.units.len() + 128;
                u32::try_from(bytes).unwrap_or(u32::MAX)
            })
            .time_to_live(ttl)
            .build();
        Some(Answers {
            kept,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        })
    }

    /// The kept answer of `reading`, if the units it read have not changed since.
    pub async fn find(&self, reading: &Reading, cache: &Cache) -> Option<Bytes> {
        let Some(kept) = self.kept.get(&reading.key) else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        match cache.versions_of(&kept.units).await {
            Some(now) if now == kept.versions => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                Some(kept.body.clone())
            }
            _ => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Keeps `body` as the answer of `reading`, computed after the `versions` of `units` were
    /// read.
    pub fn keep(
        &self,
        reading: Reading,
        units: Vec<UnitId>,
        versions: (u64, Vec<u64>),
        body: Bytes,
    ) {
        if body.len() > LARGEST {
            return;
        }
        self.kept.insert(
            reading.key,
            Arc::new(Kept {
                units,
                versions,
                body,
            }),
        );
    }
}

/// What the request reads, if its answer may be kept: a query of a signed-in caller whose
/// root fields are all `totals` or `teams` and which selects nothing the counters do not
/// version. Reads nothing: a kept answer is found without a statement.
pub fn reading(
    access: &Access,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    query: &str,
    variables: &Variables,
) -> Option<Reading> {
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name)?,
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next()?,
        _ => return None,
    };
    if operation.node.ty != OperationType::Query {
        return None;
    }
    let mut roots = Vec::new();
    for selection in &operation.node.selection_set.node.items {
        let Selection::Field(field) = &selection.node else {
            return None;
        };
        let field = &field.node;
        let name = field.name.node.as_str();
        if name == "__typename" {
            continue;
        }
        if !ROOTS.contains(&name) {
            return None;
        }
        // An argument's value, variables put in; `Some(None)` when absent or null.
        let argument = |wanted: &str| -> Option<Option<async_graphql::Value>> {
            let value = field
                .arguments
                .iter()
                .find(|(n, _)| n.node.as_str() == wanted)
                .map(|(_, v)| v.node.clone());
            match value {
                None => Some(None),
                Some(value) => value
                    // A variable not sent is null: the argument is absent.
                    .into_const_with(|var: Name| {
                        Ok::<_, ()>(variables.get(&var).cloned().unwrap_or_default())
                    })
                    .ok()
                    .map(|v| match v {
                        async_graphql::Value::Null => None,
                        other => Some(other),
                    }),
            }
        };
        let dated = argument("asOf")?.is_some();
        let unit_code = match argument("unitCode")? {
            Some(async_graphql::Value::String(code)) => Some(code),
            Some(_) => return None,
            None => None,
        };
        roots.push(Root {
            teams: name == "teams",
            unit_code,
            dated,
        });
    }
    // The whole document is walked only for an operation whose roots may be kept.
    if roots.is_empty() || !only_kept_fields(&operation.node.selection_set, document, 0) {
        return None;
    }
    let fingerprint = access.fingerprint()?;
    let today = crate::scalars::today();
    let variables = serde_json::to_string(variables).ok()?;
    let key = format!(
        "{fingerprint}\n{today}\n{}\n{variables}\n{query}",
        operation_name.unwrap_or("")
    );
    Some(Reading { key, roots })
}

/// The deepest unit above every place the scope reaches (the country for a scope of the whole
/// country, of teams granted alone, or of places in several provinces).
fn above_all(scope: &Scope) -> UnitId {
    let Some(places) = scope.places_under(None) else {
        return COUNTRY;
    };
    let mut paths = places.subtrees.iter().chain(&places.units);
    let Some(first) = paths.next() else {
        return COUNTRY;
    };
    let mut common: &str = first;
    for path in paths {
        let shared = common
            .bytes()
            .zip(path.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        // Back to the last whole segment both share.
        let cut = common[..shared].rfind('/').map_or(0, |i| i + 1);
        common = &common[..cut];
    }
    common
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .map_or(COUNTRY, UnitId)
}

/// Whether every field the selection reaches (through fragments too) may be kept.
fn only_kept_fields(
    set: &Positioned<SelectionSet>,
    document: &ExecutableDocument,
    depth: usize,
) -> bool {
    if depth > 32 {
        return false;
    }
    set.node
        .items
        .iter()
        .all(|selection| match &selection.node {
            Selection::Field(field) => {
                !UNKEPT.contains(&field.node.name.node.as_str())
                    && only_kept_fields(&field.node.selection_set, document, depth + 1)
            }
            Selection::InlineFragment(fragment) => {
                only_kept_fields(&fragment.node.selection_set, document, depth + 1)
            }
            Selection::FragmentSpread(spread) => document
                .fragments
                .get(&spread.node.fragment_name.node)
                .is_some_and(|f| only_kept_fields(&f.node.selection_set, document, depth + 1)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_answers_stay_within_their_memory() {
        let answers = Answers::new(1, Duration::from_secs(60)).unwrap();
        let body = Bytes::from(vec![b' '; 300 * 1024]);
        for n in 0..10 {
            let reading = Reading {
                key: format!("caller {n}"),
                roots: Vec::new(),
            };
            answers.keep(reading, vec![COUNTRY], (1, vec![1]), body.clone());
        }
        answers.kept.run_pending_tasks();
        assert!(
            answers.kept.weighted_size() <= 1024 * 1024,
            "{} bytes kept in 1 MiB",
            answers.kept.weighted_size()
        );
        // Each weighs 300 KiB: three fit in 1 MiB, not ten.
        assert!(
            (1..=3).contains(&answers.kept.entry_count()),
            "{} answers of 300 KiB kept in 1 MiB",
            answers.kept.entry_count()
        );
        // One answer larger than the largest kept is not kept at all.
        let huge = Bytes::from(vec![b' '; LARGEST + 1]);
        let reading = Reading {
            key: "huge".to_owned(),
            roots: Vec::new(),
        };
        answers.keep(reading, vec![COUNTRY], (1, vec![1]), huge);
        answers.kept.run_pending_tasks();
        assert!(answers.kept.get("huge").is_none());
    }

    #[test]
    fn a_scope_is_read_under_the_deepest_unit_above_all_it_reaches() {
        let scope = |paths: &[&str]| {
            crate::authz::testing::units(paths.iter().map(|p| (*p).to_owned()).collect())
        };
        assert_eq!(above_all(&scope(&["/1/22/5/", "/1/22/7/"])), UnitId(22));
        assert_eq!(above_all(&scope(&["/1/22/5/", "/1/2/7/"])), UnitId(1));
        assert_eq!(above_all(&scope(&["/1/22/5/"])), UnitId(5));
        assert_eq!(above_all(&scope(&["/1/22/5/", "/3/4/"])), COUNTRY);
        assert_eq!(above_all(&crate::authz::testing::everywhere()), COUNTRY);
    }
}
