//! PostgreSQL advisory locks: what makes several `kvar serve` on one database safe (SPEC §2).
//! Every lock kvar takes is a [`Lock`] here, one key per kind of work, so the table below is the
//! whole list. On SQLite (one process, one writer by design) every lock is granted at once: the
//! write transaction is already exclusive.
//!
//! | lock | scope | taken by |
//! |---|---|---|
//! | [`Lock::Migrations`] | session, waits | schema migrations and the data steps at start (`kvar serve`, `kvar migrate`) |
//! | [`Lock::AuditChain`] | transaction, waits | the audit sealer and checkpoint writer |
//! | [`Lock::Bootstrap`] | transaction, waits | creating the platform admin on first start |
//! | [`Lock::AccessSealer`] | transaction, waits | writing a sealed batch of the access log |
//! | [`Lock::AccessHorizon`] | transaction, shared by every insert into `access_log` (migration 000028's trigger), exclusive for an instant | the access sealer reading the id below which no access row can still appear |
//! | [`Lock::DailySweep`] | transaction, waits | the worklist's daily sweep |
//! | [`Lock::Retention`] | session, skips if held | the daily retention job |
//! | [`Lock::Purge`] | session, skips if held | purging expired idempotency keys, sign-in throttle and rate-limit rows |
//! | idempotency keys | transaction, 409 if held | an integration submission, keyed by a hash of (client, key) |
//! | letter numbers | transaction, waits | numbering a municipality's rent-commitment letters of a year (count + 1), keyed by a hash of (organization, prefix) |
//!
//! Session locks are released by [`run_exclusive`] / [`run_waiting`] when the work ends, and by
//! PostgreSQL when the connection closes (a killed instance leaves no lock behind).
//! Transaction locks end with the transaction. Session locks need a session: behind PgBouncer,
//! session pooling (see the README).

use diesel::QueryResult;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use sha2::{Digest, Sha256};

use super::AnyConnection;

/// The kinds of work that run on one instance at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lock {
    Migrations,
    AuditChain,
    Bootstrap,
    DailySweep,
    Retention,
    Purge,
    AccessSealer,
    AccessHorizon,
}

impl Lock {
    /// The 64-bit key: "kvar" and a number (the sealer's, the migrations' and the retention
    /// job's keys are kept, so a mixed-version fleet still excludes itself). The access log's
    /// horizon key is written into migration 000028's trigger; the access sealer and the
    /// bootstrap had shared keys with the migrations and the horizon until 2026-11-30 (each
    /// waited for the other's unrelated work), and moved.
    pub const fn key(self) -> i64 {
        match self {
            Lock::AuditChain => 0x6b76_6172_0001,
            Lock::Migrations => 0x6b76_6172_0002,
            Lock::AccessHorizon => 0x6b76_6172_0003,
            Lock::DailySweep => 0x6b76_6172_0004,
            Lock::Purge => 0x6b76_6172_0005,
            Lock::Bootstrap => 0x6b76_6172_0006,
            Lock::AccessSealer => 0x6b76_6172_0007,
            Lock::Retention => 0x6b76_6172_2d72_6574,
        }
    }
}

/// An error of work run under a lock, for callers whose errors are strings.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The first argument of the two-key form used for idempotency keys ("kv"); the one-key and
/// two-key spaces of PostgreSQL do not overlap, so these never meet a [`Lock`].
const IDEMPOTENCY_SPACE: i32 = 0x6b76;

fn select_bool(conn: &mut AnyConnection, sql: &str) -> QueryResult<bool> {
    match conn {
        AnyConnection::Postgresql(c) => diesel::select(diesel::dsl::sql::<Bool>(sql)).get_result(c),
        AnyConnection::Sqlite(_) => Ok(true),
    }
}

/// Run a statement that waits for a lock (the functions return `void`).
fn wait_for(conn: &mut AnyConnection, sql: &str) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(c) => c.batch_execute(&format!("SELECT {sql}")),
        AnyConnection::Sqlite(_) => Ok(()),
    }
}

/// Take `lock` for the rest of the open transaction, waiting while another holds it.
pub fn lock_xact(conn: &mut AnyConnection, lock: Lock) -> QueryResult<()> {
    wait_for(conn, &format!("pg_advisory_xact_lock({})", lock.key()))
}

/// Take the transaction lock of one idempotency key (`principal`, `key`) if free.
pub fn try_xact_idempotency(
    conn: &mut AnyConnection,
    principal: &str,
    key: &str,
) -> QueryResult<bool> {
    select_bool(
        conn,
        &format!(
            "pg_try_advisory_xact_lock({IDEMPOTENCY_SPACE}, {})",
            hash32(principal, key)
        ),
    )
}

/// The first argument of the two-key form for a series of numbers ("nr").
const NUMBERING_SPACE: i32 = 0x6e72;

/// Take the transaction lock of one numbered series (an organization's letters of a year),
/// waiting while another transaction numbers in it: two approvals at the same moment would
/// otherwise both count the same letters and take the same number (a unique violation on
/// PostgreSQL; SQLite's single writer already serializes them).
pub fn lock_xact_numbering(
    conn: &mut AnyConnection,
    organization: &str,
    series: &str,
) -> QueryResult<()> {
    wait_for(
        conn,
        &format!(
            "pg_advisory_xact_lock({NUMBERING_SPACE}, {})",
            hash32(organization, series)
        ),
    )
}

/// 32 bits of SHA-256 of `principal` NUL `key`: two keys in flight at the same moment that
/// share them only make the second wait for a retry (409), never share an answer.
fn hash32(principal: &str, key: &str) -> i32 {
    let d = Sha256::digest(format!("{principal}\0{key}").as_bytes());
    i32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Run `f` under the session lock `lock` if it is free; `None` (without running) when another
/// instance holds it. The lock is released after `f`, whatever it returns.
pub fn run_exclusive<T, E, F>(conn: &mut AnyConnection, lock: Lock, f: F) -> Result<Option<T>, E>
where
    E: From<diesel::result::Error>,
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
{
    let key = lock.key();
    if !select_bool(conn, &format!("pg_try_advisory_lock({key})"))? {
        return Ok(None);
    }
    let out = f(conn);
    unlock(conn, key)?;
    out.map(Some)
}

/// Run `f` under the session lock `lock`, waiting for it while another instance holds it.
pub fn run_waiting<T, E, F>(conn: &mut AnyConnection, lock: Lock, f: F) -> Result<T, E>
where
    E: From<diesel::result::Error>,
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
{
    let key = lock.key();
    wait_for(conn, &format!("pg_advisory_lock({key})"))?;
    let out = f(conn);
    unlock(conn, key)?;
    out
}

fn unlock(conn: &mut AnyConnection, key: i64) -> QueryResult<()> {
    select_bool(conn, &format!("pg_advisory_unlock({key})")).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lock_has_its_own_key() {
        let all = [
            Lock::Migrations,
            Lock::AuditChain,
            Lock::Bootstrap,
            Lock::DailySweep,
            Lock::Retention,
            Lock::Purge,
            Lock::AccessSealer,
            Lock::AccessHorizon,
        ];
        let mut keys: Vec<i64> = all.iter().map(|l| l.key()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), all.len());
    }

    #[test]
    fn the_access_log_trigger_takes_the_horizon_key() {
        let trigger =
            include_str!("../../migrations/postgres/2026-11-29-000028_access_seals/up.sql");
        let call = format!(
            "pg_advisory_xact_lock_shared({})",
            Lock::AccessHorizon.key()
        );
        assert!(
            trigger.contains(&call),
            "the trigger takes another key than {call}"
        );
    }

    #[test]
    fn idempotency_hashes_depend_on_principal_and_key() {
        assert_eq!(hash32("a", "k"), hash32("a", "k"));
        assert_ne!(hash32("a", "k"), hash32("b", "k"));
        assert_ne!(hash32("a", "k1"), hash32("a", "k2"));
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(hash32("ab", "c"), hash32("a", "bc"));
    }
}
