//! Authentication: password hashes and the signed access tokens that `login` issues.

mod limiter;
mod password;
mod token;

pub use limiter::{Outcome, SignInGuard, SignInRules};
pub use password::{PasswordHasher, hash as hash_password, validate_new_password};
pub use token::{Claims, TokenIssuer};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine;

/// 48 random bytes, base64: a signing key for the embedded default.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 48];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// What signing in needs: the password hasher, the token issuer and the guard on attempts.
pub struct Auth {
    pub passwords: PasswordHasher,
    pub tokens: TokenIssuer,
    pub sign_ins: SignInGuard,
}
