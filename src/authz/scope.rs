//! [`Scope`]: where a caller may read or write one kind of thing, as administrative subtrees
//! (each given by the materialised path of its root unit) and, for team leaders, single teams.

use crate::db::sql::{Args, in_list};
use crate::domain::TeamId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The whole country.
    All,
    /// These subtrees and these teams; both empty: nothing at all.
    Limited {
        subtrees: Vec<String>,
        teams: Vec<TeamId>,
    },
}

impl Scope {
    pub fn nothing() -> Scope {
        Scope::Limited {
            subtrees: Vec::new(),
            teams: Vec::new(),
        }
    }

    pub fn subtree(path: &str) -> Scope {
        Scope::Limited {
            subtrees: vec![path.to_owned()],
            teams: Vec::new(),
        }
    }

    pub fn team(team: TeamId) -> Scope {
        Scope::Limited {
            subtrees: Vec::new(),
            teams: vec![team],
        }
    }

    /// Everything either scope covers.
    pub fn union(self, other: Scope) -> Scope {
        match (self, other) {
            (Scope::All, _) | (_, Scope::All) => Scope::All,
            (
                Scope::Limited {
                    mut subtrees,
                    mut teams,
                },
                Scope::Limited {
                    subtrees: more_subtrees,
                    teams: more_teams,
                },
            ) => {
                subtrees.extend(more_subtrees);
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
                Scope::Limited {
                    subtrees: roots,
                    teams,
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Scope::Limited { subtrees, teams } if subtrees.is_empty() && teams.is_empty())
    }

    /// Whether the whole subtree of the unit at `path` lies inside the scope.
    pub fn contains(&self, path: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Limited { subtrees, .. } => {
                subtrees.iter().any(|root| path.starts_with(root.as_str()))
            }
        }
    }

    /// Whether a team (serving the unit at `path`) lies inside the scope.
    pub fn contains_team(&self, team: TeamId, path: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Limited { teams, .. } => teams.contains(&team) || self.contains(path),
        }
    }

    /// An SQL condition that holds for rows whose unit path (`path_column`) is in scope. Each
    /// subtree is a range `[path, path || '~')`: paths hold digits and slashes only, all below
    /// `~`, so the range is exactly the subtree and the path index serves it. Team grants are
    /// ignored here: use [`Scope::sql_with_teams`] for rows that belong to a team.
    pub fn sql(&self, path_column: &str, args: &mut Args) -> String {
        self.condition(path_column, None, args)
    }

    /// Like [`Scope::sql`], also admitting rows whose team (`team_column`) is granted.
    pub fn sql_with_teams(&self, path_column: &str, team_column: &str, args: &mut Args) -> String {
        self.condition(path_column, Some(team_column), args)
    }

    fn condition(&self, path_column: &str, team_column: Option<&str>, args: &mut Args) -> String {
        let (subtrees, teams) = match self {
            Scope::All => return "1 = 1".to_owned(),
            Scope::Limited { subtrees, teams } => (subtrees, teams),
        };
        let mut parts: Vec<String> = subtrees
            .iter()
            .map(|root| {
                let lo = args.bind(root.clone());
                let hi = args.bind(format!("{root}~"));
                format!("({path_column} >= {lo} AND {path_column} < {hi})")
            })
            .collect();
        if let Some(team_column) = team_column
            && !teams.is_empty()
        {
            let ids: Vec<i64> = teams.iter().map(|t| t.0).collect();
            parts.push(format!("{team_column} IN {}", in_list(args, &ids)));
        }
        if parts.is_empty() {
            "1 = 0".to_owned()
        } else {
            format!("({})", parts.join(" OR "))
        }
    }
}

/// A subtree condition for an explicit unit filter (`unitCode`), combined with the scope.
pub fn under(path: &str, path_column: &str, args: &mut Args) -> String {
    Scope::subtree(path).sql(path_column, args)
}

#[cfg(test)]
mod tests {
    use super::*;

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
            Scope::Limited {
                subtrees: vec!["/1/".into()],
                teams: vec![TeamId(3)]
            }
        );
        assert_eq!(Scope::subtree("/1/").union(Scope::All), Scope::All);
        assert!(Scope::nothing().union(Scope::nothing()).is_empty());
    }

    #[test]
    fn sql_binds_a_range_per_subtree() {
        let mut args = Args::new();
        let sql = Scope::subtree("/1/").sql("u.path", &mut args);
        assert_eq!(sql, "((u.path >= $1 AND u.path < $2))");
        assert_eq!(Scope::nothing().sql("u.path", &mut Args::new()), "1 = 0");
        assert_eq!(
            Scope::team(TeamId(4)).sql("u.path", &mut Args::new()),
            "1 = 0",
            "a team grant alone admits no unit-level rows"
        );
        let mut args = Args::new();
        assert_eq!(
            Scope::team(TeamId(4)).sql_with_teams("u.path", "t.id", &mut args),
            "(t.id IN ($1))"
        );
    }
}
