//! Loading, validating and hot-reloading the casbin model and policy.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{Context, bail};
use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};

use super::{ANONYMOUS, Action, Resource, Role};

/// One loaded policy. Immutable: a reload builds a new one and swaps it in.
pub struct Policy {
    enforcer: Enforcer,
    /// Decisions already evaluated. A policy never changes, so neither do its answers; the
    /// questions are few (roles × assignment units × resources × actions), and the matcher is
    /// an interpreted expression worth evaluating once per question rather than per request.
    decisions: RwLock<HashMap<Question, bool>>,
    /// Tells this policy from every other loaded by the process (a reload makes a new one).
    serial: u64,
}

/// Hands out [`Policy::serial`].
static POLICIES_LOADED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

type Question = (String, String, Resource, Action);

/// Beyond this many remembered decisions the memo starts again (a bound, never reached by the
/// assignments of a real deployment).
const MAX_DECISIONS: usize = 100_000;

impl Policy {
    /// The number of this policy among those the process loaded.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// Reads `model.conf` and `policy.csv` from `dir`. A line naming an unknown role, resource
    /// or action is an error, with its line number.
    pub async fn load(dir: &Path) -> anyhow::Result<Policy> {
        let model_path = dir.join("model.conf");
        let policy_path = dir.join("policy.csv");
        let model_text = std::fs::read_to_string(&model_path).with_context(|| {
            format!(
                "cannot read the authorization model {} (set POLICY_DIR)",
                model_path.display()
            )
        })?;
        let policy_text = std::fs::read_to_string(&policy_path).with_context(|| {
            format!(
                "cannot read the authorization policy {} (set POLICY_DIR)",
                policy_path.display()
            )
        })?;
        Policy::from_text(&model_text, &policy_text)
            .await
            .with_context(|| format!("in {}", dir.display()))
    }

    pub async fn from_text(model_text: &str, policy_text: &str) -> anyhow::Result<Policy> {
        let (rules, groupings) = parse(policy_text)?;
        let model = DefaultModel::from_str(model_text)
            .await
            .map_err(|e| anyhow::anyhow!("model.conf: {e}"))?;
        let mut enforcer = Enforcer::new(model, MemoryAdapter::default())
            .await
            .map_err(|e| anyhow::anyhow!("model.conf: {e}"))?;
        if !rules.is_empty() {
            enforcer
                .add_policies(rules)
                .await
                .map_err(|e| anyhow::anyhow!("policy.csv: {e}"))?;
        }
        if !groupings.is_empty() {
            enforcer
                .add_grouping_policies(groupings)
                .await
                .map_err(|e| anyhow::anyhow!("policy.csv: {e}"))?;
        }
        let policy = Policy {
            enforcer,
            decisions: RwLock::new(HashMap::new()),
            serial: POLICIES_LOADED.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        };
        // Evaluate once so that a matcher that does not fit the request shape fails at start,
        // not on the first request.
        policy
            .enforcer
            .enforce((ANONYMOUS, "/", "unit", "read"))
            .map_err(|e| anyhow::anyhow!("model.conf: the matcher cannot be evaluated: {e}"))?;
        Ok(policy)
    }

    /// Whether `role`, holding an assignment whose domain (unit path) is `domain`, may do
    /// `action` on `resource`. Evaluation errors deny.
    pub fn allows(&self, role: &str, domain: &str, resource: Resource, action: Action) -> bool {
        let question = (role.to_owned(), domain.to_owned(), resource, action);
        if let Ok(known) = self.decisions.read()
            && let Some(allowed) = known.get(&question)
        {
            return *allowed;
        }
        let allowed = match self.enforcer.enforce((
            role,
            domain,
            resource.policy_name(),
            action.policy_name(),
        )) {
            Ok(allowed) => allowed,
            Err(err) => {
                tracing::error!(%err, role, resource = resource.policy_name(), "policy evaluation failed: denied");
                false
            }
        };
        if let Ok(mut known) = self.decisions.write() {
            if known.len() >= MAX_DECISIONS {
                known.clear();
            }
            known.insert(question, allowed);
        }
        allowed
    }
}

fn known_role(name: &str) -> bool {
    name == ANONYMOUS
        || [Role::Admin, Role::Leader, Role::Officer, Role::TeamLeader]
            .iter()
            .any(|r| r.policy_name() == name)
}

type Lines = Vec<Vec<String>>;

/// Splits `policy.csv` into `p` rules and `g` groupings, refusing anything unknown.
fn parse(text: &str) -> anyhow::Result<(Lines, Lines)> {
    let mut rules = Vec::new();
    let mut groupings = Vec::new();
    let mut problems = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<String> = line.split(',').map(|f| f.trim().to_owned()).collect();
        let at = n + 1;
        match fields.first().map(String::as_str) {
            Some("p") if fields.len() == 5 => {
                let (role, resource, action) = (&fields[1], &fields[3], &fields[4]);
                if !known_role(role) {
                    problems.push(format!("policy.csv line {at}: unknown role {role:?}"));
                }
                if !Resource::ALL.iter().any(|r| r.policy_name() == resource) {
                    problems.push(format!(
                        "policy.csv line {at}: unknown resource {resource:?}"
                    ));
                }
                if !["read", "write"].contains(&action.as_str()) {
                    problems.push(format!("policy.csv line {at}: unknown action {action:?}"));
                }
                rules.push(fields[1..].to_vec());
            }
            Some("g") if fields.len() == 4 => {
                for role in &fields[1..3] {
                    if !known_role(role) {
                        problems.push(format!("policy.csv line {at}: unknown role {role:?}"));
                    }
                }
                groupings.push(fields[1..].to_vec());
            }
            _ => problems.push(format!(
                "policy.csv line {at}: expected `p, role, domain, resource, action` or \
                 `g, role, inherited role, domain`"
            )),
        }
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("; "));
    }
    Ok((rules, groupings))
}

/// The policy in force, replaced whole on reload so that requests in flight keep the one they
/// started with.
pub struct PolicyStore {
    dir: PathBuf,
    current: RwLock<Arc<Policy>>,
}

impl PolicyStore {
    pub async fn open(dir: &Path) -> anyhow::Result<PolicyStore> {
        let policy = Policy::load(dir).await?;
        Ok(PolicyStore {
            dir: dir.to_owned(),
            current: RwLock::new(Arc::new(policy)),
        })
    }

    pub fn current(&self) -> Arc<Policy> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reads the files again; on any error the policy in force stays.
    pub async fn reload(&self) -> anyhow::Result<()> {
        let policy = Arc::new(Policy::load(&self.dir).await?);
        match self.current.write() {
            Ok(mut guard) => *guard = policy,
            Err(poisoned) => *poisoned.into_inner() = policy,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = include_str!("../../policies/model.conf");
    const POLICY: &str = include_str!("../../policies/policy.csv");

    #[tokio::test]
    async fn the_default_policy_expresses_the_role_table() {
        let policy = Policy::from_text(MODEL, POLICY).await.unwrap();
        let allows = |role, resource, action| policy.allows(role, "/1/16/", resource, action);
        assert!(allows("leader", Resource::Totals, Action::Read));
        assert!(!allows("leader", Resource::MemberPii, Action::Read));
        assert!(!allows("leader", Resource::Team, Action::Write));
        assert!(allows("officer", Resource::MemberPii, Action::Read));
        assert!(allows("officer", Resource::Team, Action::Write));
        assert!(!allows("officer", Resource::User, Action::Write));
        assert!(allows("team_leader", Resource::Member, Action::Write));
        assert!(!allows("team_leader", Resource::Team, Action::Write));
        assert!(allows("admin", Resource::User, Action::Write));
        assert!(!policy.allows(ANONYMOUS, "/", Resource::Team, Action::Read));
        assert!(!policy.allows("nobody", "/", Resource::Unit, Action::Read));
    }

    #[tokio::test]
    async fn unknown_names_are_refused_with_their_line() {
        let err = Policy::from_text(
            MODEL,
            "p, leader, *, totals, read\np, mayor, *, teams, read\n",
        )
        .await
        .err()
        .unwrap()
        .to_string();
        assert!(err.contains("line 2: unknown role \"mayor\""), "{err}");
        assert!(err.contains("line 2: unknown resource \"teams\""), "{err}");
    }

    #[tokio::test]
    async fn lines_of_the_wrong_length_are_refused() {
        // One field too many would shift a grant's meaning (a domain read as a resource).
        for (text, line) in [
            (
                "p, leader, *, totals, read\np, leader, *, totals, read, extra\n",
                2,
            ),
            ("p, leader, *, totals\n", 1),
            ("g, officer, leader, *, extra\n", 1),
            ("g, officer, leader\n", 1),
        ] {
            let err = Policy::from_text(MODEL, text)
                .await
                .err()
                .unwrap_or_else(|| panic!("{text:?} was accepted"))
                .to_string();
            assert!(
                err.contains(&format!(
                    "line {line}: expected `p, role, domain, resource, action`"
                )),
                "{text:?}: {err}"
            );
        }
    }

    #[tokio::test]
    async fn a_domain_pattern_limits_a_grant_to_a_subtree() {
        let policy = Policy::from_text(MODEL, "p, leader, /1/*, totals, read\n")
            .await
            .unwrap();
        assert!(policy.allows("leader", "/1/16/", Resource::Totals, Action::Read));
        assert!(!policy.allows("leader", "/2/", Resource::Totals, Action::Read));
    }
}
