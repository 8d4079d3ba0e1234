//! Argon2id password hashes.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordVerifier, SaltString};
use argon2::{Argon2, PasswordHasher as _};

use crate::error::{AppError, Result};

/// Hashes and verifies passwords. Holds a hash of a random password so that signing in as an
/// unknown user costs the same time as a wrong password for a known one.
pub struct PasswordHasher {
    dummy: String,
}

impl PasswordHasher {
    pub fn new() -> anyhow::Result<PasswordHasher> {
        let dummy = hash(SaltString::generate(&mut OsRng).as_str())?;
        Ok(PasswordHasher { dummy })
    }

    /// Checks `password` against a stored hash, or against the dummy when there is none.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let matched = verify(password, stored.unwrap_or(&self.dummy));
        matched && stored.is_some()
    }
}

pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// The rules for a password being set.
pub fn validate_new_password(password: &str) -> Result<()> {
    let length = password.chars().count();
    if !(8..=256).contains(&length) {
        return Err(AppError::bad_input(
            "password",
            "must have between 8 and 256 characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let hasher = PasswordHasher::new().unwrap();
        let stored = hash("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(hasher.verify("correct horse", Some(&stored)));
        assert!(!hasher.verify("wrong horse", Some(&stored)));
        assert!(!hasher.verify("correct horse", None));
        assert!(!hasher.verify("x", Some("not a hash")));
    }
}
