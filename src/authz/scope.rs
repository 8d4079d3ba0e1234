use crate::db::sql::Args;

/// A set of administrative subtrees, each given by the materialised path of its root unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The whole country.
    All,
    /// The subtrees under these paths (none: nothing at all).
    Subtrees(Vec<String>),
}

impl Scope {
    pub fn nothing() -> Scope {
        Scope::Subtrees(Vec::new())
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Scope::Subtrees(paths) if paths.is_empty())
    }

    /// Whether the unit at `path` lies inside the scope.
    pub fn contains(&self, path: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Subtrees(roots) => roots.iter().any(|root| path.starts_with(root.as_str())),
        }
    }

    /// The part of this scope that lies under `path`.
    pub fn narrow_to(&self, path: &str) -> Scope {
        match self {
            Scope::All => Scope::Subtrees(vec![path.to_owned()]),
            Scope::Subtrees(roots) => {
                let mut out: Vec<String> = Vec::new();
                for root in roots {
                    if path.starts_with(root.as_str()) {
                        out.push(path.to_owned());
                    } else if root.starts_with(path) {
                        out.push(root.clone());
                    }
                }
                out.sort();
                out.dedup();
                Scope::Subtrees(out)
            }
        }
    }

    /// An SQL condition that holds for rows whose unit path (`column`) is in scope. Each subtree
    /// is a range `[path, path || '~')`: paths hold digits, dots and slashes only, all below `~`,
    /// so the range is exactly the subtree and the path index serves it.
    pub fn sql(&self, column: &str, args: &mut Args) -> String {
        match self {
            Scope::All => "1 = 1".to_owned(),
            Scope::Subtrees(roots) if roots.is_empty() => "1 = 0".to_owned(),
            Scope::Subtrees(roots) => {
                let parts: Vec<String> = roots
                    .iter()
                    .map(|root| {
                        let lo = args.bind(root.clone());
                        let hi = args.bind(format!("{root}~"));
                        format!("({column} >= {lo} AND {column} < {hi})")
                    })
                    .collect();
                format!("({})", parts.join(" OR "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowing_keeps_only_the_overlap() {
        let district = Scope::Subtrees(vec!["/1/2/".into()]);
        assert_eq!(
            district.narrow_to("/1/2/5/"),
            Scope::Subtrees(vec!["/1/2/5/".into()])
        );
        assert_eq!(
            district.narrow_to("/1/"),
            Scope::Subtrees(vec!["/1/2/".into()])
        );
        assert!(district.narrow_to("/1/3/").is_empty());
        // A sibling whose id starts with the same digits is not inside.
        assert!(district.narrow_to("/1/20/").is_empty());
        assert!(!district.contains("/1/20/7/"));
        assert!(district.contains("/1/2/7/"));
    }

    #[test]
    fn sql_binds_a_range_per_subtree() {
        let mut args = Args::new();
        let sql = Scope::Subtrees(vec!["/1/".into()]).sql("u.path", &mut args);
        assert_eq!(sql, "((u.path >= $1 AND u.path < $2))");
        assert_eq!(Scope::nothing().sql("u.path", &mut Args::new()), "1 = 0");
    }
}
