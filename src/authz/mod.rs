//! Who may do what. The casbin policy under `policies/` says which role may read or write which
//! kind of thing; a caller's assignments say where. [`Access::scope`] combines the two into a
//! [`Scope`], and every finder in `domain` takes one and turns it into an indexed SQL condition,
//! so a caller can only reach rows through a check that has already been made.

mod grant;
mod policy;
mod scope;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use grant::{Actor, WriteGrant};
pub use policy::{Policy, PolicyStore};
pub use scope::{Places, Scope, ancestors, subtree_range};

use crate::domain::units::AdminLevel;
use crate::domain::{TeamId, UnitId, UserId};
use crate::error::{AppError, Result};
use crate::text_enum;

// A role held at an administrative unit (or, for team leaders, at a team).
text_enum!(Role {
    Admin,
    /// Lãnh đạo: reads totals and everything in scope, changes nothing.
    Leader,
    /// Cán bộ chuyên trách: reads and edits the programme's data in scope.
    Officer,
    /// Tổ trưởng: their own team.
    TeamLeader,
});

impl Role {
    /// The role's name in the policy files.
    pub fn policy_name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Leader => "leader",
            Role::Officer => "officer",
            Role::TeamLeader => "team_leader",
        }
    }
}

/// The policy name of callers who have not signed in.
pub const ANONYMOUS: &str = "anonymous";

/// The kinds of things the policy speaks of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    Unit,
    Committee,
    Team,
    Member,
    /// Members' phone numbers and birth years.
    MemberPii,
    Training,
    Attendance,
    Report,
    Totals,
    User,
    Audit,
    /// The reorganisations of the tree and their reports.
    Reorganisation,
}

impl Resource {
    pub const ALL: &'static [Resource] = &[
        Resource::Unit,
        Resource::Committee,
        Resource::Team,
        Resource::Member,
        Resource::MemberPii,
        Resource::Training,
        Resource::Attendance,
        Resource::Report,
        Resource::Totals,
        Resource::User,
        Resource::Audit,
        Resource::Reorganisation,
    ];

    /// Why a caller whose roles change none of this kind of thing is refused.
    pub fn not_yours_to_change(self) -> &'static str {
        match self {
            Resource::Unit => "your roles do not change administrative units",
            Resource::Committee => "your roles do not change steering committees",
            Resource::Team => "your roles do not change teams",
            Resource::Member | Resource::MemberPii => "your roles do not change team members",
            Resource::Training => "your roles do not change training sessions",
            Resource::Attendance => "your roles do not record attendance",
            Resource::Report => "your roles do not change result reports or targets",
            Resource::Totals | Resource::Audit | Resource::Reorganisation => {
                "these are read, not changed"
            }
            Resource::User => "only administrators change accounts",
        }
    }

    pub fn policy_name(self) -> &'static str {
        match self {
            Resource::Unit => "unit",
            Resource::Committee => "committee",
            Resource::Team => "team",
            Resource::Member => "member",
            Resource::MemberPii => "member_pii",
            Resource::Training => "training",
            Resource::Attendance => "attendance",
            Resource::Report => "report",
            Resource::Totals => "totals",
            Resource::User => "user",
            Resource::Audit => "audit",
            Resource::Reorganisation => "reorganisation",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    Write,
}

impl Action {
    pub fn policy_name(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Write => "write",
        }
    }
}

/// One assignment of a signed-in user.
#[derive(Clone, Debug)]
pub struct Grant {
    pub role: Role,
    /// `None`: the whole country.
    pub unit_id: Option<UnitId>,
    pub unit_path: Option<String>,
    pub unit_level: Option<AdminLevel>,
    /// Set for team leaders: the team they lead.
    pub team_id: Option<TeamId>,
    /// For an assignment at a closed unit: today's paths of the villages the unit held when
    /// it closed, which the assignment goes on reaching until it is changed.
    pub held: Vec<String>,
}

impl Grant {
    /// Where this assignment reaches.
    fn reach(&self) -> Scope {
        match (self.role, self.team_id, &self.unit_path) {
            (Role::TeamLeader, Some(team), _) => Scope::team(team),
            (Role::TeamLeader, None, _) => Scope::nothing(),
            (_, _, Some(path)) if self.held.is_empty() => Scope::subtree(path),
            (_, _, Some(path)) => Scope::subtree(path).union(Scope::units(self.held.clone())),
            (_, _, None) => Scope::all(),
        }
    }

    /// The casbin domain of the assignment: its unit's path, `/` for the whole country.
    fn domain(&self) -> &str {
        self.unit_path.as_deref().unwrap_or("/")
    }
}

/// A signed-in user, as loaded for one request. Only the accounts' finder
/// ([`crate::domain::users::principal`]) makes one, from what the database holds, so the
/// assignments a scope is computed from are the account's own:
///
/// ```compile_fail,E0451
/// use steering_gateway::authz::Principal;
/// use steering_gateway::domain::UserId;
///
/// let forged = Principal { user_id: UserId(1), username: "admin".into(), grants: Vec::new(), token_epoch: 0 };
/// ```
#[derive(Clone, Debug)]
pub struct Principal {
    user_id: UserId,
    username: String,
    grants: Vec<Grant>,
    /// Tokens of another epoch were ended (see [`crate::auth::Claims::ep`]).
    token_epoch: i64,
}

impl Principal {
    pub(crate) fn new(
        user_id: UserId,
        username: String,
        grants: Vec<Grant>,
        token_epoch: i64,
    ) -> Principal {
        Principal {
            user_id,
            username,
            grants,
            token_epoch,
        }
    }

    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    /// The epoch of the account's tokens: a token of another one was ended.
    pub fn token_epoch(&self) -> i64 {
        self.token_epoch
    }

    /// Whether one of the assignments is an administrator's.
    pub fn is_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role == Role::Admin)
    }
}

/// What the current caller may do, for one request. Scopes are computed once per kind of
/// question and remembered, so nested fields cost no further policy evaluation.
pub struct Access {
    principal: Option<Principal>,
    policy: Arc<Policy>,
    memo: Mutex<HashMap<(Resource, Action), Scope>>,
}

impl Access {
    pub fn new(principal: Option<Principal>, policy: Arc<Policy>) -> Access {
        Access {
            principal,
            policy,
            memo: Mutex::new(HashMap::new()),
        }
    }

    /// Everything that decides what this caller may see, as text: who they are, each of their
    /// assignments (with the villages a closed unit's assignment holds) and the policy in force.
    /// Callers with the same fingerprint are answered alike. `None` for an anonymous caller.
    pub fn fingerprint(&self) -> Option<String> {
        let principal = self.principal.as_ref()?;
        Some(format!(
            "{}|{}|{:?}",
            principal.user_id.0,
            self.policy.serial(),
            principal.grants
        ))
    }

    /// The signed-in user, or `UNAUTHENTICATED`.
    pub fn require_principal(&self) -> Result<&Principal> {
        self.principal.as_ref().ok_or(AppError::Unauthenticated)
    }

    /// Where the caller may do `action` on `resource`; possibly nothing.
    pub fn reach(&self, resource: Resource, action: Action) -> Scope {
        let key = (resource, action);
        if let Some(scope) = self.memo.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return scope;
        }
        let scope = match &self.principal {
            None => {
                if self.policy.allows(ANONYMOUS, "/", resource, action) {
                    Scope::all()
                } else {
                    Scope::nothing()
                }
            }
            Some(principal) => self
                .allowing(principal, resource, action)
                .fold(Scope::nothing(), |acc, g| acc.union(g.reach())),
        };
        if let Ok(mut memo) = self.memo.lock() {
            memo.insert(key, scope.clone());
        }
        scope
    }

    /// The principal's assignments under which the policy allows `action` on `resource`.
    fn allowing<'a>(
        &'a self,
        principal: &'a Principal,
        resource: Resource,
        action: Action,
    ) -> impl Iterator<Item = &'a Grant> {
        principal.grants.iter().filter(move |g| {
            self.policy
                .allows(g.role.policy_name(), g.domain(), resource, action)
        })
    }

    /// The one unit the caller's reach over `resource` is held at: `Some(None)` for the whole
    /// country, none when it is held at several units (or at teams).
    pub fn home(&self, resource: Resource) -> Option<Option<UnitId>> {
        let principal = self.principal.as_ref()?;
        let mut homes =
            self.allowing(principal, resource, Action::Read)
                .map(|g| match (g.role, g.unit_id) {
                    (Role::TeamLeader, _) => Err(()),
                    (_, unit) => Ok(unit),
                });
        let first = homes.next()?.ok()?;
        if first.is_none() {
            return Some(None);
        }
        homes.all(|h| h == Ok(first)).then_some(first)
    }

    /// The right to change `resource`: where, and by whom. Mutations in `domain` take one, so
    /// a write cannot be reached without this check.
    pub fn write(&self, resource: Resource) -> Result<WriteGrant> {
        let scope = self
            .scope(resource, Action::Write)
            .map_err(|err| match err {
                // Signed in, with no right to change this anywhere: say so.
                AppError::Forbidden => AppError::ForbiddenBecause(resource.not_yours_to_change()),
                other => other,
            })?;
        let principal = self.require_principal()?;
        let grants = self
            .allowing(principal, resource, Action::Write)
            .cloned()
            .collect();
        let actor = Actor {
            user_id: Some(principal.user_id),
            name: principal.username.clone(),
        };
        Ok(WriteGrant::new(
            scope,
            self.reach(resource, Action::Read),
            actor,
            grants,
        ))
    }

    /// Like [`Access::reach`], but a caller granted nothing anywhere is refused outright:
    /// `UNAUTHENTICATED` when not signed in, `FORBIDDEN` otherwise.
    pub fn scope(&self, resource: Resource, action: Action) -> Result<Scope> {
        let scope = self.reach(resource, action);
        if !scope.is_empty() {
            Ok(scope)
        } else if self.principal.is_none() {
            Err(AppError::Unauthenticated)
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// Scopes for the unit tests of other modules (only this module makes them otherwise).
#[cfg(test)]
pub(crate) mod testing {
    use super::Scope;

    pub fn units(paths: Vec<String>) -> Scope {
        Scope::units(paths)
    }

    pub fn everywhere() -> Scope {
        Scope::all()
    }
}
