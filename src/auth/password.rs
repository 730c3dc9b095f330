//! argon2id password hashing at the OWASP floor (m = 19 MiB, t = 2, p = 1), run on the blocking
//! pool behind a semaphore: at most one hash per two cores at a time, so logins cannot starve
//! reads (SPEC §12: a case get's p99 within 2× of its quiet value during a login storm).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::Semaphore;

use crate::error::ApiError;

/// Shortest password accepted for staff accounts.
pub const MIN_PASSWORD_LEN: usize = 12;

/// 19456 KiB, 2 passes, 1 lane: the OWASP minimum for argon2id. Checked once at start-up by
/// [`init`]; argon2 accepts these constants, so the fallback below is never taken (and it
/// would be argon2's own defaults, the same figures).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hash a password into a PHC string.
pub fn hash(password: &str) -> Result<String, ApiError> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("argon2 hash failed: {e}")))
}

/// Verify a password against a PHC string; malformed hashes never verify.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

static DUMMY: OnceLock<String> = OnceLock::new();

/// Check the parameters and make the dummy hash; called once at start-up, so that argon2
/// failing stops the start with its reason instead of answering unknown users at once.
pub fn init() -> Result<(), String> {
    Params::new(19 * 1024, 2, 1, None).map_err(|e| format!("argon2 parameters: {e}"))?;
    if DUMMY.get().is_none() {
        let h = hash(&crate::crypto::random::token())
            .map_err(|e| format!("argon2 could not hash the dummy password: {e}"))?;
        let _ = DUMMY.set(h); // another thread may have set it meanwhile: either hash serves
    }
    Ok(())
}

/// A hash of a random password, verified against when the user does not exist so that the
/// response takes as long as for a real user. Made by [`init`] at start-up.
pub fn dummy_hash() -> Result<&'static str, ApiError> {
    DUMMY.get().map(String::as_str).ok_or_else(|| {
        ApiError::Internal("the dummy password hash was not made at start-up".into())
    })
}

/// Password checks for new or changed passwords (never echoes the password).
pub fn check_strength(password: &str) -> Result<(), &'static str> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err("must be at least 12 characters");
    }
    if password.len() > 1024 {
        return Err("must be at most 1024 bytes");
    }
    Ok(())
}

/// Runs hashes off the async threads, at most `permits` at a time (security table row 11).
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    size: usize,
    stats: Arc<HashStats>,
}

/// What `/metrics` shows of the hasher: hashes running now and at most so far, verifications.
#[derive(Default)]
struct HashStats {
    in_flight: AtomicUsize,
    high_water: AtomicUsize,
    verifications: AtomicU64,
}

/// Counts one hash as running while it lives.
struct Running<'a>(&'a HashStats);

impl<'a> Running<'a> {
    fn start(stats: &'a HashStats) -> Self {
        let n = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        stats.high_water.fetch_max(n, Ordering::SeqCst);
        Running(stats)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Hasher {
    pub fn new(permits: usize) -> Self {
        let size = permits.max(1);
        Hasher {
            permits: Arc::new(Semaphore::new(size)),
            size,
            stats: Arc::default(),
        }
    }

    pub async fn verify(&self, password: String, phc: String) -> Result<bool, ApiError> {
        self.stats.verifications.fetch_add(1, Ordering::SeqCst);
        self.run(move || Ok(verify(&password, &phc))).await
    }

    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move || hash(&password)).await
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ApiError::Internal("hasher closed".into()))?;
        let _running = Running::start(&self.stats);
        actix_web::web::block(f)
            .await
            .map_err(|_| ApiError::Internal("hash task failed".into()))?
    }

    /// Set the hasher's gauges for `/metrics`: permits, hashes running, the most that ever ran
    /// at once (never above the permits), password verifications since the start.
    pub fn report_metrics(&self) {
        let s = &self.stats;
        metrics::gauge!("kvar_password_hash_permits").set(self.size as f64);
        metrics::gauge!("kvar_password_hashes_in_flight")
            .set(s.in_flight.load(Ordering::SeqCst) as f64);
        metrics::gauge!("kvar_password_hashes_in_flight_max")
            .set(s.high_water.load(Ordering::SeqCst) as f64);
        metrics::gauge!("kvar_password_verifications")
            .set(s.verifications.load(Ordering::SeqCst) as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_argon2id_at_the_owasp_floor_and_verifies() {
        let h = hash("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong horse battery", &h));
        assert!(!verify("x", "not a phc string"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_strength("short").is_err());
        assert!(check_strength("long enough pass").is_ok());
    }
}
