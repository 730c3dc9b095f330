//! The access log sealed in batches (security table row 22): rows of `access_log` are chained in
//! batches, one hash per batch over every row of the batch in id order and the previous batch's
//! hash, each batch anchored in the audit chain by an `access_log.sealed` event. A batch covers
//! every id after the previous batch's `last_id` up to its own, so a row deleted, altered or
//! inserted inside a sealed range changes the batch's hash or count ([`super::access_verify`]).
//!
//! Sealing runs in the background, set-based (up to [`BATCH`] rows a statement), and adds nothing
//! to the read path: on PostgreSQL a statement trigger takes a shared advisory lock for every
//! insert into `access_log` (ids are drawn before commit, so a smaller id may commit later); the
//! sealer takes it exclusively for an instant to read a horizon below which no row can still
//! appear. On SQLite the single writer commits ids in order. The batch is read and hashed outside
//! the write; the write (seal row + audit event) checks that the head has not moved meanwhile.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::AuditAction;
use super::chain::{GENESIS, KeyRefused, put};
use super::record::{Actor, Changes, record_outside_case};
use crate::db::advisory::{Lock, lock_xact};
use crate::db::schema::{access_log, access_seals};
use crate::db::{AnyConnection, Db, Tx, types, write_tx};
use crate::error::ApiError;

/// Rows sealed per batch at most.
pub const BATCH: i64 = 20_000;
/// How often the background sealer looks for unsealed rows.
pub const INTERVAL: Duration = Duration::from_millis(500);
/// The bound within which every access row is sealed (verify reports older unsealed ones).
pub const BOUND: Duration = Duration::from_secs(5);

/// An `access_log` row, in hashing order.
#[derive(Queryable)]
pub struct AccessRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: String,
    pub actor_role: String,
    pub operation: String,
    pub subject_type: String,
    pub subject_id: String,
    pub case_id: Option<String>,
    pub request_id: Option<String>,
    pub decision: String,
    pub actor_unit_id: Option<String>,
    pub protected: bool,
    pub list_read: bool,
}

/// The columns of [`AccessRow`].
pub type AccessColumns = (
    access_log::id,
    access_log::at,
    access_log::actor_id,
    access_log::actor_role,
    access_log::operation,
    access_log::subject_type,
    access_log::subject_id,
    access_log::case_id,
    access_log::request_id,
    access_log::decision,
    access_log::actor_unit_id,
    access_log::protected,
    access_log::list_read,
);

pub const ACCESS_COLUMNS: AccessColumns = (
    access_log::id,
    access_log::at,
    access_log::actor_id,
    access_log::actor_role,
    access_log::operation,
    access_log::subject_type,
    access_log::subject_id,
    access_log::case_id,
    access_log::request_id,
    access_log::decision,
    access_log::actor_unit_id,
    access_log::protected,
    access_log::list_read,
);

/// A sealed batch as stored in `access_seals`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Seal {
    pub seq: i64,
    pub first_id: i64,
    pub last_id: i64,
    pub row_count: i64,
    pub prev_hash: String,
    pub hash: String,
}

pub const SEAL_COLUMNS: (
    access_seals::seq,
    access_seals::first_id,
    access_seals::last_id,
    access_seals::row_count,
    access_seals::prev_hash,
    access_seals::hash,
) = (
    access_seals::seq,
    access_seals::first_id,
    access_seals::last_id,
    access_seals::row_count,
    access_seals::prev_hash,
    access_seals::hash,
);

/// Where the sealed log ends: the last batch's number, last id and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub last_id: i64,
    pub hash: String,
}

impl Head {
    /// Before the first batch.
    pub fn start() -> Head {
        Head {
            seq: 0,
            last_id: 0,
            hash: GENESIS.to_owned(),
        }
    }
}

/// The hash of batch `seq` covering ids (`after`, `last_id`] with these rows (in id order).
pub fn batch_hash(
    key: &[u8],
    seq: i64,
    prev_hash: &str,
    after: i64,
    last_id: i64,
    rows: &[AccessRow],
) -> Result<String, KeyRefused> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(KeyRefused)?;
    put(&mut mac, Some(prev_hash));
    for n in [seq, after, last_id, rows.len() as i64] {
        put(&mut mac, Some(&n.to_string()));
    }
    for r in rows {
        let (id, at) = (r.id.to_string(), r.at.format("%Y-%m-%d %H:%M:%S%.6f"));
        for f in [
            Some(id.as_str()),
            Some(&at.to_string()),
            Some(r.actor_id.as_str()),
            Some(r.actor_role.as_str()),
            Some(r.operation.as_str()),
            Some(r.subject_type.as_str()),
            Some(r.subject_id.as_str()),
            r.case_id.as_deref(),
            r.request_id.as_deref(),
            Some(r.decision.as_str()),
            r.actor_unit_id.as_deref(),
            Some(if r.protected { "1" } else { "0" }),
            Some(if r.list_read { "1" } else { "0" }),
        ] {
            put(&mut mac, f);
        }
    }
    Ok(base16ct::lower::encode_string(&mac.finalize().into_bytes()))
}

/// The last sealed batch.
pub fn head(conn: &mut AnyConnection) -> QueryResult<Head> {
    let last: Option<(i64, i64, String)> = access_seals::table
        .select((access_seals::seq, access_seals::last_id, access_seals::hash))
        .order(access_seals::seq.desc())
        .first(conn)
        .optional()?;
    Ok(last.map_or_else(Head::start, |(seq, last_id, hash)| Head {
        seq,
        last_id,
        hash,
    }))
}

/// The highest id below which no access row can still appear (none when the log is empty).
fn horizon(conn: &mut AnyConnection) -> QueryResult<Option<i64>> {
    let max = |c: &mut AnyConnection| {
        access_log::table
            .select(diesel::dsl::max(access_log::id))
            .first::<Option<i64>>(c)
    };
    match conn {
        AnyConnection::Postgresql(_) => conn.transaction(|c| {
            // Waits for the inserts in flight (each holds the shared lock to its commit); new
            // ones wait an instant, until this transaction ends.
            lock_xact(c, Lock::AccessHorizon)?;
            max(c)
        }),
        AnyConnection::Sqlite(_) => max(conn),
    }
}

/// A batch read and hashed, ready to be written.
pub struct Batch {
    seal: Seal,
}

/// Read and hash the next batch (up to [`BATCH`] rows), if any row is unsealed.
fn prepare(conn: &mut AnyConnection, key: &[u8]) -> QueryResult<Option<Batch>> {
    let Some(top) = horizon(conn)? else {
        return Ok(None);
    };
    let head = head(conn)?;
    if top <= head.last_id {
        return Ok(None);
    }
    let rows: Vec<AccessRow> = access_log::table
        .select(ACCESS_COLUMNS)
        .filter(access_log::id.gt(head.last_id))
        .filter(access_log::id.le(top))
        .order(access_log::id)
        .limit(BATCH)
        .load(conn)?;
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok(None);
    };
    let seq = head.seq + 1;
    let hash = batch_hash(key, seq, &head.hash, head.last_id, last.id, &rows)?;
    Ok(Some(Batch {
        seal: Seal {
            seq,
            first_id: first.id,
            last_id: last.id,
            row_count: rows.len() as i64,
            prev_hash: head.hash,
            hash,
        },
    }))
}

/// Write a prepared batch and its audit anchor, unless another sealer moved the head meanwhile;
/// returns the rows sealed.
fn commit(tx: &mut Tx<'_>, batch: &Batch) -> QueryResult<usize> {
    // One access sealer at a time across instances.
    lock_xact(tx, Lock::AccessSealer)?;
    let s = &batch.seal;
    let now = head(tx)?;
    if now.seq + 1 != s.seq || now.hash != s.prev_hash {
        return Ok(0);
    }
    diesel::insert_into(access_seals::table)
        .values((
            access_seals::seq.eq(s.seq),
            access_seals::first_id.eq(s.first_id),
            access_seals::last_id.eq(s.last_id),
            access_seals::row_count.eq(s.row_count),
            access_seals::prev_hash.eq(&s.prev_hash),
            access_seals::hash.eq(&s.hash),
            access_seals::sealed_at.eq(types::now()),
        ))
        .execute(&mut **tx)?;
    record_outside_case(
        tx,
        &Actor::system(),
        AuditAction::AccessLogSealed,
        "access_seal",
        &s.seq.to_string(),
        anchor(s),
    )?;
    Ok(s.row_count as usize)
}

/// What the anchoring audit event records of a batch (the verifier compares it).
pub fn anchor(s: &Seal) -> Changes {
    Changes::new()
        .created("first_id", s.first_id)
        .created("last_id", s.last_id)
        .created("row_count", s.row_count)
        .created("hash", s.hash.clone())
}

/// Seal one batch on a plain connection (the CLI, verify); returns the rows sealed.
pub fn seal_batch(conn: &mut AnyConnection, key: &[u8]) -> QueryResult<usize> {
    match prepare(conn, key)? {
        Some(b) => write_tx(conn, |tx| commit(tx, &b)),
        None => Ok(0),
    }
}

/// Seal until nothing is left (before verify, at shutdown).
pub fn seal_all(conn: &mut AnyConnection, key: &[u8]) -> QueryResult<usize> {
    let mut total = 0;
    loop {
        let n = seal_batch(conn, key)?;
        total += n;
        if n == 0 {
            return Ok(total);
        }
    }
}

/// One round of the background sealer: read and hash on a pooled connection, write through
/// [`Db::write_blocking`] (on SQLite the single writer). Returns the rows sealed.
fn seal_round(db: &Db, key: &std::sync::Arc<Vec<u8>>) -> Result<usize, ApiError> {
    let mut conn = db
        .pool()
        .get()
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let Some(batch) = prepare(&mut conn, key)? else {
        return Ok(0);
    };
    drop(conn);
    db.write_blocking(move |tx| Ok(commit(tx, &batch)?))
}

/// Start the background access sealer; it stops when `stop` is set (sealing what is left).
pub fn spawn(
    db: Db,
    key: Vec<u8>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let key = std::sync::Arc::new(key);
    std::thread::spawn(move || {
        use std::sync::atomic::Ordering;
        while !stop.load(Ordering::Relaxed) {
            match seal_round(&db, &key) {
                Ok(n) if n == BATCH as usize => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "access sealer could not run; retrying"),
            }
            std::thread::sleep(INTERVAL);
        }
        // The anchors of the last batches go into the chain too (the audit sealer may have
        // stopped already; both take their locks, so running together is safe).
        if let Ok(mut c) = db.pool().get()
            && let Err(e) =
                seal_all(&mut c, &key).and_then(|_| super::sealer::seal_all(&mut c, &key))
        {
            tracing::warn!(error = %e, "access sealer could not seal at shutdown");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64) -> AccessRow {
        AccessRow {
            id,
            at: chrono::DateTime::from_timestamp(1_800_000_000, 0)
                .map(|t| t.naive_utc())
                .unwrap_or_default(),
            actor_id: "u".into(),
            actor_role: "caseworker".into(),
            operation: "get_case".into(),
            subject_type: "case".into(),
            subject_id: "c".into(),
            case_id: Some("c".into()),
            request_id: None,
            decision: "granted".into(),
            actor_unit_id: None,
            protected: false,
            list_read: false,
        }
    }

    #[test]
    fn any_row_change_deletion_insertion_or_link_change_changes_the_hash() {
        let rows = vec![row(1), row(2), row(3)];
        let h = |rows: &[AccessRow], prev: &str, after: i64| {
            batch_hash(b"k", 1, prev, after, 3, rows).unwrap()
        };
        let base = h(&rows, GENESIS, 0);
        assert_eq!(base, h(&[row(1), row(2), row(3)], GENESIS, 0));
        assert_ne!(base, h(&[row(1), row(3)], GENESIS, 0));
        assert_ne!(base, h(&[row(1), row(2), row(3), row(3)], GENESIS, 0));
        assert_ne!(base, h(&rows, &"1".repeat(64), 0));
        assert_ne!(base, h(&rows, GENESIS, 1));
        let mut altered = vec![row(1), row(2), row(3)];
        altered[1].list_read = true;
        assert_ne!(base, h(&altered, GENESIS, 0));
        altered[1].list_read = false;
        altered[1].case_id = None;
        assert_ne!(base, h(&altered, GENESIS, 0));
        assert_ne!(base, batch_hash(b"k2", 1, GENESIS, 0, 3, &rows).unwrap());
    }
}
