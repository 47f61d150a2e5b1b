//! Password hashing with argon2id (RustCrypto defaults: m=19 MiB, t=2, p=1, the OWASP minimum).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Failures of password hashing. Messages say how to fix the problem.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Hashing itself failed (no randomness available, or parameters
    /// rejected).
    #[error("password hashing failed: {0}; check that the OS random source is available")]
    Hash(String),
}

/// Hashes `password` with argon2id and a random salt, returning the PHC
/// string (`$argon2id$v=19$...`) to store. Slow on purpose (tens of
/// milliseconds): call it from `tokio::task::spawn_blocking` in busy
/// servers.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches a stored PHC `hash`. A malformed hash is a
/// mismatch, never an error.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}
