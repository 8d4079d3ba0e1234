//! [`WriteGrant`]: the proof that a caller may change one kind of thing, where, and who they
//! are for the audit log ([`Actor`]).

use super::{Grant, Scope};
use crate::domain::units::AdminLevel;
use crate::domain::{TeamId, UnitId, UserId};
use crate::error::{AppError, Result};

/// Who made a change, as the audit log records it.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub name: String,
}

impl Actor {
    /// Changes made from the command line by whoever runs it on the server.
    pub fn command_line() -> Actor {
        Actor {
            user_id: None,
            name: "command line".to_owned(),
        }
    }
}

/// Proof that the caller may change one kind of thing, and where.
///
/// Every edit in `domain` takes one, and outside this module there is no way to make one but
/// [`Access::write`] (the policy and the caller's assignments) and, for the command line only,
/// [`WriteGrant::operator`]. A write without a grant does not compile:
///
/// ```compile_fail,E0061
/// use steering_gateway::domain::team_edits::{self, NewTeam};
/// use steering_gateway::domain::write::Tx;
///
/// async fn register(tx: &mut Tx, input: NewTeam) {
///     let _ = team_edits::create(tx, input).await;
/// }
/// ```
///
/// nor does a grant made up on the spot, with its fields or with the operator's constructor:
///
/// ```compile_fail,E0451
/// use steering_gateway::authz::{Actor, WriteGrant};
///
/// let forged = WriteGrant { actor: Actor::command_line(), operator: true };
/// ```
///
/// ```compile_fail,E0603
/// use steering_gateway::authz::WriteGrant;
/// use steering_gateway::cli::CommandLine;
///
/// let forged = WriteGrant::operator(&CommandLine(()));
/// ```
///
/// and neither does a scope wider than the caller's:
///
/// ```compile_fail,E0624
/// use steering_gateway::authz::Scope;
///
/// let everywhere = Scope::all();
/// ```
pub struct WriteGrant {
    scope: Scope,
    read: Scope,
    actor: Actor,
    grants: Vec<Grant>,
    /// The command line, which acts with no assignment and no limit.
    operator: bool,
}

impl WriteGrant {
    /// The right of a signed-in caller, as [`super::Access::write`] finds it.
    pub(super) fn new(scope: Scope, read: Scope, actor: Actor, grants: Vec<Grant>) -> WriteGrant {
        WriteGrant {
            scope,
            read,
            actor,
            grants,
            operator: false,
        }
    }

    /// For the command line: changes anywhere, attributed to the operator. Only the command
    /// line can show the [`CommandLine`](crate::cli::CommandLine) this takes.
    pub fn operator(_: &crate::cli::CommandLine) -> WriteGrant {
        WriteGrant {
            scope: Scope::all(),
            read: Scope::all(),
            actor: Actor::command_line(),
            grants: Vec::new(),
            operator: true,
        }
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The scope for finding the rows to change: those the caller may read. A row found there
    /// but outside [`WriteGrant::scope`] is `FORBIDDEN`; one not found is `NOT_FOUND`.
    pub fn read_scope(&self) -> &Scope {
        &self.read
    }

    /// Refuses a unit outside the caller's reach for writing.
    pub fn check_unit(&self, path: &str) -> Result<()> {
        if self.scope.contains(path) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Refuses a team outside the caller's reach for writing.
    pub fn check_team(&self, team: TeamId, path: &str) -> Result<()> {
        if self.scope.contains_team(team, path) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whether one of the grants behind this right is held at a unit of one of `levels` (or
    /// over the whole country) whose area holds `path`: its subtree, or for a unit closed by
    /// a reorganisation, the villages it held.
    pub fn held_at_level(&self, path: &str, levels: &[AdminLevel]) -> bool {
        if self.operator {
            return true;
        }
        self.grants
            .iter()
            .any(|g| match (&g.unit_path, g.unit_level) {
                (None, _) => true,
                (Some(p), Some(level)) => {
                    levels.contains(&level)
                        && (path.starts_with(p.as_str()) || g.held.iter().any(|h| h == path))
                }
                _ => false,
            })
    }

    /// The deepest unit, strictly above `path`, at which a grant behind this right is held.
    pub fn unit_above(&self, path: &str) -> Option<UnitId> {
        self.grants
            .iter()
            .filter_map(|g| Some((g.unit_path.as_ref()?, g.unit_id?)))
            .filter(|(p, _)| path.starts_with(p.as_str()) && path != p.as_str())
            .max_by_key(|(p, _)| p.len())
            .map(|(_, id)| id)
    }

    /// Whether a grant behind this right is held strictly above the unit at `path`.
    pub fn held_above(&self, path: &str) -> bool {
        if self.operator {
            return true;
        }
        self.grants.iter().any(|g| match &g.unit_path {
            None => true,
            Some(p) => path.starts_with(p.as_str()) && path != p,
        })
    }
}
