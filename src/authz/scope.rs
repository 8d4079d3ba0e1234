//! [`Scope`]: where a caller may read or write one kind of thing, as administrative subtrees
//! (each given by the materialised path of its root unit) and, for team leaders, single teams.
//!
//! A scope is a proof: only this module's parent makes one, from the policy and the caller's
//! assignments. Finders take it and turn it into a [`Condition`] on the rows they select.

use sea_orm::sea_query::{Condition, Expr, ExprTrait, IntoColumnRef};

use crate::domain::TeamId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope(Reach);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Reach {
    /// The whole country.
    All,
    /// These subtrees, these single units (by path: the villages an assignment at a closed
    /// unit held) and these teams; all empty: nothing at all.
    Limited {
        subtrees: Vec<String>,
        units: Vec<String>,
        teams: Vec<TeamId>,
    },
}

impl Scope {
    pub(super) fn all() -> Scope {
        Scope(Reach::All)
    }

    pub(super) fn nothing() -> Scope {
        Scope(Reach::Limited {
            subtrees: Vec::new(),
            units: Vec::new(),
            teams: Vec::new(),
        })
    }

    pub(super) fn subtree(path: &str) -> Scope {
        Scope(Reach::Limited {
            subtrees: vec![path.to_owned()],
            units: Vec::new(),
            teams: Vec::new(),
        })
    }

    /// These units alone, by path (leaves of the tree: what is attached to them, not below).
    pub(super) fn units(paths: Vec<String>) -> Scope {
        Scope(Reach::Limited {
            subtrees: Vec::new(),
            units: paths,
            teams: Vec::new(),
        })
    }

    pub(super) fn team(team: TeamId) -> Scope {
        Scope(Reach::Limited {
            subtrees: Vec::new(),
            units: Vec::new(),
            teams: vec![team],
        })
    }

    /// Everything either scope covers.
    pub(super) fn union(self, other: Scope) -> Scope {
        match (self.0, other.0) {
            (Reach::All, _) | (_, Reach::All) => Scope::all(),
            (
                Reach::Limited {
                    mut subtrees,
                    mut units,
                    mut teams,
                },
                Reach::Limited {
                    subtrees: more_subtrees,
                    units: more_units,
                    teams: more_teams,
                },
            ) => {
                subtrees.extend(more_subtrees);
                units.extend(more_units);
                teams.extend(more_teams);
                // A subtree inside another adds nothing.
                subtrees.sort();
                subtrees.dedup();
                let roots: Vec<String> = subtrees
                    .iter()
                    .filter(|p| {
                        !subtrees
                            .iter()
                            .any(|q| q != *p && p.starts_with(q.as_str()))
                    })
                    .cloned()
                    .collect();
                teams.sort();
                teams.dedup();
                // A unit inside a subtree adds nothing either.
                units.sort();
                units.dedup();
                units.retain(|u| !roots.iter().any(|root| u.starts_with(root.as_str())));
                Scope(Reach::Limited {
                    subtrees: roots,
                    units,
                    teams,
                })
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(&self.0, Reach::Limited { subtrees, units, teams }
            if subtrees.is_empty() && units.is_empty() && teams.is_empty())
    }

    /// Whether the scope is the whole country.
    pub fn is_everywhere(&self) -> bool {
        self.0 == Reach::All
    }

    /// Whether the whole subtree of the unit at `path` lies inside the scope.
    pub fn contains(&self, path: &str) -> bool {
        match &self.0 {
            Reach::All => true,
            Reach::Limited {
                subtrees, units, ..
            } => {
                subtrees.iter().any(|root| path.starts_with(root.as_str()))
                    || units.iter().any(|unit| unit == path)
            }
        }
    }

    /// Whether the scope reaches anything under the unit at `path` (all of it, or a part: a
    /// subtree below it, or a village an assignment at a closed unit still holds there).
    pub fn reaches_into(&self, path: &str) -> bool {
        match &self.0 {
            Reach::All => true,
            Reach::Limited {
                subtrees, units, ..
            } => {
                subtrees
                    .iter()
                    .any(|root| path.starts_with(root.as_str()) || root.starts_with(path))
                    || units.iter().any(|unit| unit.starts_with(path))
            }
        }
    }

    /// Whether a team (serving the unit at `path`) lies inside the scope.
    pub fn contains_team(&self, team: TeamId, path: &str) -> bool {
        match &self.0 {
            Reach::All => true,
            Reach::Limited { teams, .. } => teams.contains(&team) || self.contains(path),
        }
    }

    /// The paths of the units above the scope's own: the ancestors of each subtree root and
    /// single unit (the province above a commune's officer). Empty for the whole country.
    pub fn paths_above(&self) -> Vec<String> {
        let Reach::Limited {
            subtrees, units, ..
        } = &self.0
        else {
            return Vec::new();
        };
        let mut above: Vec<String> = subtrees
            .iter()
            .chain(units)
            .flat_map(|path| ancestors(path))
            .collect();
        above.sort();
        above.dedup();
        above
    }

    /// What the scope reaches under the unit at `under` (the whole country when none), by
    /// place: the whole subtrees (by root path) and the single units, disjoint. `None` when the
    /// scope also grants single teams, which no place describes.
    pub fn places_under(&self, under: Option<&str>) -> Option<Places> {
        let root = under.unwrap_or("/");
        match &self.0 {
            Reach::All => Some(Places {
                subtrees: vec![root.to_owned()],
                units: Vec::new(),
            }),
            Reach::Limited { teams, .. } if !teams.is_empty() => None,
            Reach::Limited {
                subtrees, units, ..
            } => {
                let mut inside: Vec<String> = subtrees
                    .iter()
                    .filter_map(|s| {
                        if root.starts_with(s.as_str()) {
                            Some(root.to_owned())
                        } else if s.starts_with(root) {
                            Some(s.clone())
                        } else {
                            None
                        }
                    })
                    .collect();
                inside.sort();
                inside.dedup();
                Some(Places {
                    subtrees: inside,
                    units: units
                        .iter()
                        .filter(|u| u.starts_with(root))
                        .cloned()
                        .collect(),
                })
            }
        }
    }

    /// The teams granted one by one (to team leaders), beside the subtrees.
    pub fn teams(&self) -> &[TeamId] {
        match &self.0 {
            Reach::All => &[],
            Reach::Limited { teams, .. } => teams,
        }
    }

    /// The condition that holds for rows whose unit path (`path`) is in scope. Team grants
    /// are ignored here: use [`Scope::over_teams`] for rows that belong to a team.
    pub fn over_units(&self, path: impl IntoColumnRef + Clone) -> Condition {
        self.condition(path, None::<Expr>)
    }

    /// Like [`Scope::over_units`], also admitting rows whose team (`team`) is granted.
    pub fn over_teams(
        &self,
        path: impl IntoColumnRef + Clone,
        team: impl IntoColumnRef,
    ) -> Condition {
        self.condition(path, Some(Expr::col(team)))
    }

    fn condition(&self, path: impl IntoColumnRef + Clone, team: Option<Expr>) -> Condition {
        let (subtrees, units, teams) = match &self.0 {
            Reach::All => return Condition::all(),
            Reach::Limited {
                subtrees,
                units,
                teams,
            } => (subtrees, units, teams),
        };
        let mut any = Condition::any();
        for root in subtrees {
            any = any.add(subtree_range(path.clone(), root));
        }
        if !units.is_empty() {
            // One lookup of the path index per unit.
            any = any.add(Expr::col(path.clone()).is_in(units.iter().cloned()));
        }
        if let Some(team) = team
            && !teams.is_empty()
        {
            any = any.add(team.is_in(teams.iter().map(|t| t.0)));
        }
        if any.is_empty() {
            // Nothing: a condition no row meets.
            return Condition::all().add(Expr::val(1).eq(0));
        }
        any
    }
}

/// Where a scope reaches under a unit, by place ([`Scope::places_under`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Places {
    /// Roots of whole subtrees, none inside another.
    pub subtrees: Vec<String>,
    /// Single units, outside every subtree.
    pub units: Vec<String>,
}

impl Places {
    pub fn is_empty(&self) -> bool {
        self.subtrees.is_empty() && self.units.is_empty()
    }
}

/// The paths of the units strictly above the unit at `path` (`/1/5/9/`: `/1/` and `/1/5/`).
pub fn ancestors(path: &str) -> impl Iterator<Item = String> + '_ {
    path.match_indices('/')
        .skip(1)
        .map(|(i, _)| path[..=i].to_owned())
        .filter(move |p| p.len() < path.len())
}

/// Rows whose unit path lies in the subtree rooted at `root`: the range `[root, root || '~')`.
/// Paths hold digits and slashes only, all below `~`, so the range is exactly the subtree and
/// the path index serves it. This is a filter (a list narrowed to a unit), not a permission.
pub fn subtree_range(path: impl IntoColumnRef + Clone, root: &str) -> Condition {
    Condition::all()
        .add(Expr::col(path.clone()).gte(root))
        .add(Expr::col(path).lt(format!("{root}~")))
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{Alias, PostgresQueryBuilder, Query};

    use super::*;

    #[test]
    fn the_units_above_a_scope_are_its_roots_ancestors() {
        assert_eq!(ancestors("/1/5/9/").collect::<Vec<_>>(), ["/1/", "/1/5/"]);
        assert_eq!(ancestors("/1/").count(), 0);
        let scope = Scope::subtree("/1/5/").union(Scope::units(vec!["/1/7/8/".to_owned()]));
        assert_eq!(scope.paths_above(), ["/1/", "/1/7/"]);
        assert!(Scope::all().paths_above().is_empty());
    }

    #[test]
    fn a_scope_reaches_into_a_unit_it_holds_part_of() {
        let held = Scope::subtree("/1/2/21/").union(Scope::units(vec!["/1/22/5/".to_owned()]));
        assert!(held.reaches_into("/1/22/"), "a village it still holds");
        assert!(held.reaches_into("/1/2/"), "a commune below the unit");
        assert!(held.reaches_into("/1/2/21/7/"), "inside its subtree");
        assert!(!held.reaches_into("/1/96/"));
        assert!(!Scope::nothing().reaches_into("/1/"));
    }

    #[test]
    fn the_places_a_scope_reaches_under_a_unit() {
        let held = Scope::subtree("/1/2/21/").union(Scope::units(vec!["/1/22/5/".to_owned()]));
        let places = |under| held.places_under(under).unwrap();
        assert_eq!(places(None).subtrees, ["/1/2/21/"]);
        assert_eq!(places(None).units, ["/1/22/5/"]);
        // Asked for a unit inside its subtree: that unit's subtree alone.
        assert_eq!(places(Some("/1/2/21/7/")).subtrees, ["/1/2/21/7/"]);
        assert!(places(Some("/1/2/21/7/")).units.is_empty());
        // Asked for the province: both parts.
        assert_eq!(places(Some("/1/")).subtrees, ["/1/2/21/"]);
        assert_eq!(places(Some("/1/")).units, ["/1/22/5/"]);
        // A sibling whose id starts with the same digits holds nothing of it.
        assert!(places(Some("/1/2/2/")).is_empty());
        assert!(places(Some("/96/")).is_empty());
        assert_eq!(
            Scope::all().places_under(None).unwrap().subtrees,
            ["/"],
            "the whole country"
        );
        assert_eq!(
            Scope::team(TeamId(3)).places_under(None),
            None,
            "a team granted alone has no place to count"
        );
    }

    fn render(condition: Condition) -> String {
        Query::select()
            .expr(Expr::val(1))
            .cond_where(condition)
            .to_string(PostgresQueryBuilder)
    }

    fn path() -> (Alias, Alias) {
        (Alias::new("u"), Alias::new("path"))
    }

    #[test]
    fn containment_respects_path_segments() {
        let district = Scope::subtree("/1/2/");
        assert!(district.contains("/1/2/7/"));
        assert!(district.contains("/1/2/"));
        // A sibling whose id starts with the same digits is not inside.
        assert!(!district.contains("/1/20/7/"));
        assert!(!district.contains("/1/"));
        assert!(Scope::team(TeamId(9)).contains_team(TeamId(9), "/5/"));
        assert!(!Scope::team(TeamId(9)).contains_team(TeamId(8), "/5/"));
        assert!(!Scope::team(TeamId(9)).contains("/5/"));
    }

    #[test]
    fn union_drops_nested_subtrees() {
        let scope = Scope::subtree("/1/2/")
            .union(Scope::subtree("/1/"))
            .union(Scope::team(TeamId(3)));
        assert_eq!(
            scope,
            Scope(Reach::Limited {
                subtrees: vec!["/1/".into()],
                units: Vec::new(),
                teams: vec![TeamId(3)]
            })
        );
        assert_eq!(Scope::subtree("/1/").union(Scope::all()), Scope::all());
        assert!(Scope::nothing().union(Scope::nothing()).is_empty());
    }

    #[test]
    fn conditions_bind_a_range_per_subtree() {
        assert_eq!(
            render(Scope::subtree("/1/").over_units(path())),
            r#"SELECT 1 WHERE "u"."path" >= '/1/' AND "u"."path" < '/1/~'"#
        );
        assert_eq!(
            render(Scope::nothing().over_units(path())),
            "SELECT 1 WHERE 1 = 0"
        );
        assert_eq!(
            render(Scope::team(TeamId(4)).over_units(path())),
            "SELECT 1 WHERE 1 = 0",
            "a team grant alone admits no unit-level rows"
        );
        assert_eq!(
            render(Scope::team(TeamId(4)).over_teams(path(), (Alias::new("t"), Alias::new("id")))),
            r#"SELECT 1 WHERE "t"."id" IN (4)"#
        );
        assert_eq!(
            render(Scope::all().over_units(path())),
            "SELECT 1 WHERE TRUE"
        );
        assert_eq!(
            render(Scope::units(vec!["/1/5/".into(), "/1/6/".into()]).over_units(path())),
            r#"SELECT 1 WHERE "u"."path" IN ('/1/5/', '/1/6/')"#
        );
    }

    #[test]
    fn single_units_are_exactly_themselves() {
        let held = Scope::units(vec!["/1/5/".into()]);
        assert!(held.contains("/1/5/"));
        assert!(
            !held.contains("/1/5/9/"),
            "a unit alone, not what is below it"
        );
        assert!(!held.contains("/1/"));
        assert!(!held.is_empty());
        let merged = held.union(Scope::subtree("/1/"));
        assert_eq!(
            merged,
            Scope::subtree("/1/"),
            "inside a subtree it adds nothing"
        );
    }
}
