//! Idempotency keys (SPEC §6): the response of a submission is stored in the same transaction
//! as the notice, keyed by (submitter, key); a replay returns it, a different body under the
//! same key is 422. While the first request with a key is being processed, a duplicate gets 409
//! with `Retry-After` ([`InFlight`] within an instance, [`hold_in_tx`] across instances on
//! PostgreSQL); once it has committed, duplicates replay. Keys are kept [`RETENTION_DAYS`] days
//! by [`crate::clock::now`] (which tests can move forward): a replay within it returns the
//! stored answer, after it the same key is a new request.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::idempotency_keys;
use crate::db::{AnyConnection, types};
use crate::error::ApiError;

pub const RETENTION_DAYS: i64 = 7;

/// The keys this instance is processing right now, as `principal` + NUL + key.
#[derive(Clone, Default)]
pub struct InFlight(Arc<Mutex<HashSet<String>>>);

/// A key held while its request runs; released on drop (after the commit, or on failure).
pub struct Held {
    set: Arc<Mutex<HashSet<String>>>,
    id: String,
}

impl InFlight {
    /// Hold `key` for `principal`, or 409 (with Retry-After) when a request with it is running.
    pub fn hold(&self, principal: &str, key: &str) -> Result<Held, ApiError> {
        let id = format!("{principal}\0{key}");
        let mut set = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !set.insert(id.clone()) {
            return Err(ApiError::InFlight);
        }
        Ok(Held {
            set: Arc::clone(&self.0),
            id,
        })
    }
}

/// Across instances: the first statement of the submission's transaction takes the key's
/// transaction-scoped advisory lock, or answers 409 (with Retry-After) when another instance's
/// transaction holds it, as [`InFlight`] does within one instance. Released by the commit or
/// rollback, so a duplicate after that replays. On SQLite (one process) [`InFlight`] suffices.
pub fn hold_in_tx(conn: &mut AnyConnection, principal: &str, key: &str) -> Result<(), ApiError> {
    if crate::db::advisory::try_xact_idempotency(conn, principal, key)? {
        Ok(())
    } else {
        Err(ApiError::InFlight)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.id);
    }
}

/// A stored answer.
pub struct Stored {
    pub status: u16,
    pub body: String,
}

/// The key from the header: 1–200 visible ASCII characters.
pub fn parse_key(v: Option<&str>) -> Result<String, ApiError> {
    match v.map(str::trim) {
        Some(k) if !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(k.to_owned())
        }
        Some(_) => Err(ApiError::BadRequest(
            "Idempotency-Key must be 1–200 visible ASCII characters.".into(),
        )),
        None => Err(ApiError::BadRequest(
            "This operation needs an Idempotency-Key header.".into(),
        )),
    }
}

/// SHA-256 of the body's canonical JSON (keys sorted), so whitespace does not matter.
pub fn request_hash(body: &serde_json::Value) -> String {
    base16ct::lower::encode_string(&Sha256::digest(body.to_string().as_bytes()))
}

/// The stored answer for this key, or 422 when the key was used with another body.
pub fn lookup(
    conn: &mut AnyConnection,
    principal: &str,
    key: &str,
    hash: &str,
) -> Result<Option<Stored>, ApiError> {
    let cutoff = crate::clock::now() - chrono::Duration::days(RETENTION_DAYS);
    let row: Option<(String, i32, String)> = idempotency_keys::table
        .filter(idempotency_keys::principal.eq(principal))
        .filter(idempotency_keys::idem_key.eq(key))
        .filter(idempotency_keys::created_at.gt(cutoff))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_status,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()?;
    match row {
        Some((h, _, _)) if h != hash => {
            Err(ApiError::Validation(vec![crate::error::FieldError::new(
                "Idempotency-Key",
                "was used with a different body",
            )]))
        }
        Some((_, status, body)) => Ok(Some(Stored {
            status: status as u16,
            body,
        })),
        None => Ok(None),
    }
}

/// Claim the key (first statement of the transaction); expired rows of the key are removed.
pub fn claim(
    conn: &mut AnyConnection,
    principal: &str,
    key: &str,
    hash: &str,
) -> QueryResult<String> {
    let cutoff = crate::clock::now() - chrono::Duration::days(RETENTION_DAYS);
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::principal.eq(principal))
            .filter(idempotency_keys::idem_key.eq(key))
            .filter(idempotency_keys::created_at.le(cutoff)),
    )
    .execute(conn)?;
    let id = types::new_id();
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::id.eq(&id),
            idempotency_keys::principal.eq(principal),
            idempotency_keys::idem_key.eq(key),
            idempotency_keys::request_hash.eq(hash),
            idempotency_keys::response_status.eq(0),
            idempotency_keys::response_body.eq(""),
            idempotency_keys::created_at.eq(crate::clock::now()),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Store the answer on the claimed row (same transaction as the notice).
pub fn store(conn: &mut AnyConnection, id: &str, status: u16, body: &str) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find(id))
        .set((
            idempotency_keys::response_status.eq(i32::from(status)),
            idempotency_keys::response_body.eq(body),
        ))
        .execute(conn)
        .map(drop)
}

/// Delete keys older than the retention (run periodically by `serve`); returns how many.
pub fn purge_expired(conn: &mut AnyConnection) -> QueryResult<usize> {
    let cutoff = crate::clock::now() - chrono::Duration::days(RETENTION_DAYS);
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.le(cutoff)))
        .execute(conn)
}

/// Purge expired keys every `every` until `stop` is set; one instance at a time
/// ([`Lock::Purge`](crate::db::advisory::Lock::Purge)), the others skip the round.
pub fn spawn_purger(
    pool: crate::db::Pool,
    every: std::time::Duration,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let tick = std::time::Duration::from_millis(500);
        let mut waited = every;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            if waited >= every {
                waited = std::time::Duration::ZERO;
                match pool.get().map_err(|e| e.to_string()).and_then(|mut c| {
                    use crate::db::advisory::{Lock, run_exclusive};
                    run_exclusive(&mut c, Lock::Purge, |c| {
                        // Decayed sign-in throttle and rate-limit rows go on the same schedule.
                        let now = crate::clock::now();
                        crate::auth::throttle::purge(c, now)?;
                        crate::auth::ratelimit::purge(c, now)?;
                        purge_expired(c)
                    })
                    .map(Option::unwrap_or_default)
                    .map_err(|e: diesel::result::Error| e.to_string())
                }) {
                    Ok(n) if n > 0 => {
                        tracing::info!(purged = n, "expired idempotency keys removed")
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "idempotency purge could not run; retrying later")
                    }
                }
            }
            std::thread::sleep(tick);
            waited += tick;
        }
    })
}
