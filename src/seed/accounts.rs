//! The contract's demo accounts.

use sea_orm::ConnectionTrait;

use crate::authz::Role;
use crate::domain::{units, users};

/// The demo accounts of the contract: username, role, unit code (`None`: the whole country).
pub const DEMO_USERS: &[(&str, Role, Option<&str>)] = &[
    ("admin", Role::Admin, None),
    ("leader.66", Role::Leader, Some("66")),
    ("officer.643", Role::Officer, Some("643")),
    ("officer.24172", Role::Officer, Some("24172")),
    ("officer.24355", Role::Officer, Some("24355")),
    // Created before the reorganisation, at the commune that then carried the code; the
    // assignment follows the code to the new Xã Hòa Phú.
    ("officer.24175", Role::Officer, Some("24175")),
];

/// Creates the demo accounts that do not exist yet.
pub(super) async fn create(txn: &impl ConnectionTrait, password: &str) -> anyhow::Result<usize> {
    let mut created = 0;
    for (username, role, unit_code) in DEMO_USERS {
        if users::find(txn, username)
            .await
            .map_err(app_error)?
            .is_some()
        {
            continue;
        }
        let hash = crate::auth::hash_password(password)?;
        let id = users::create(txn, username, None, &hash)
            .await
            .map_err(app_error)?;
        let unit = match unit_code {
            Some(code) => Some(
                units::require_by_code(txn, code)
                    .await
                    .map_err(app_error)?
                    .id,
            ),
            None => None,
        };
        users::assign(txn, id, *role, unit, None)
            .await
            .map_err(app_error)?;
        created += 1;
    }
    Ok(created)
}

fn app_error(err: crate::error::AppError) -> anyhow::Error {
    err.into_anyhow()
}
