//! The single sealer: places committed, pending events in the chain in the order it sees them.
//! On PostgreSQL a transaction-scoped advisory lock ([`crate::db::advisory::Lock::AuditChain`])
//! makes one sealer or checkpoint writer run at a time across every kvar instance and the CLI;
//! on SQLite the write transaction itself is exclusive. Every instance runs the loop; whichever
//! takes the lock seals what is pending, the others then find nothing.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::chain::{self, EventFields, GENESIS};
use super::checkpoint;
use crate::db::schema::{audit_chain, audit_events, audit_pending};
use crate::db::{AnyConnection, Db, Tx, types, write_tx};

/// Events sealed per transaction.
pub const BATCH: i64 = 500;
/// How often the background sealer looks for pending events.
pub const INTERVAL: Duration = Duration::from_millis(200);
/// The bound within which every committed event is sealed (verify reports older unsealed ones).
pub const BOUND: Duration = Duration::from_secs(5);

#[derive(Queryable)]
pub struct EventRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub actor_unit_id: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub case_id: Option<String>,
    pub request_id: Option<String>,
    pub changed_fields: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

impl EventRow {
    pub fn fields(&self) -> EventFields {
        EventFields {
            id: self.id,
            at: self.at.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
            actor_type: self.actor_type.clone(),
            actor_id: self.actor_id.clone(),
            actor_role: self.actor_role.clone(),
            actor_unit_id: self.actor_unit_id.clone(),
            action: self.action.clone(),
            entity_type: self.entity_type.clone(),
            entity_id: self.entity_id.clone(),
            case_id: self.case_id.clone(),
            request_id: self.request_id.clone(),
            changed_fields: self.changed_fields.clone(),
            before_json: self.before_json.clone(),
            after_json: self.after_json.clone(),
        }
    }
}

/// Seal up to [`BATCH`] pending events; returns how many were sealed.
pub fn seal_pending(conn: &mut AnyConnection, key: &[u8]) -> QueryResult<usize> {
    write_tx(conn, |tx| seal_in(tx, key))
}

/// On PostgreSQL, take the chain's advisory lock for the rest of the transaction (one sealer or
/// checkpointer at a time across instances and the CLI; taking it twice is harmless).
pub fn lock_chain(tx: &mut Tx<'_>) -> QueryResult<()> {
    crate::db::advisory::lock_xact(tx, crate::db::advisory::Lock::AuditChain)
}

/// Seal up to [`BATCH`] pending events in the caller's transaction.
fn seal_in(tx: &mut Tx<'_>, key: &[u8]) -> QueryResult<usize> {
    {
        lock_chain(tx)?;
        let pending: Vec<i64> = audit_pending::table
            .select(audit_pending::event_id)
            .order(audit_pending::event_id)
            .limit(BATCH)
            .load(&mut **tx)?;
        if pending.is_empty() {
            return Ok(0);
        }
        let head: Option<(i64, String)> = audit_chain::table
            .select((audit_chain::seq, audit_chain::hash))
            .order(audit_chain::seq.desc())
            .first(&mut **tx)
            .optional()?;
        let (mut seq, mut prev) = head.unwrap_or((0, GENESIS.to_owned()));
        // The range as well as the list: SQLite, on statistics taken when the table was small,
        // planned `id IN (500 ids)` as a scan of every event (1.2 s a batch at 3.5 million
        // events, ~1,000 sealed/s); a range on the key is searched whatever the statistics say.
        let (first, last) = (pending[0], pending[pending.len() - 1]);
        let events: Vec<EventRow> = audit_events::table
            .filter(audit_events::id.between(first, last))
            .filter(audit_events::id.eq_any(&pending))
            .order(audit_events::id)
            .load(&mut **tx)?;
        let now = types::now();
        for e in &events {
            seq += 1;
            let hash = chain::hash(key, seq, &prev, &e.fields())?;
            diesel::insert_into(audit_chain::table)
                .values((
                    audit_chain::seq.eq(seq),
                    audit_chain::event_id.eq(e.id),
                    audit_chain::prev_hash.eq(&prev),
                    audit_chain::hash.eq(&hash),
                    audit_chain::sealed_at.eq(now),
                ))
                .execute(&mut **tx)?;
            prev = hash;
        }
        diesel::delete(
            audit_pending::table
                .filter(audit_pending::event_id.between(first, last))
                .filter(audit_pending::event_id.eq_any(&pending)),
        )
        .execute(&mut **tx)?;
        Ok(events.len())
    }
}

/// Seal until nothing is pending (used before verify and at shutdown).
pub fn seal_all(conn: &mut AnyConnection, key: &[u8]) -> QueryResult<usize> {
    let mut total = 0;
    loop {
        let n = seal_pending(conn, key)?;
        total += n;
        if n < BATCH as usize {
            return Ok(total);
        }
    }
}

/// Seal everything pending, then sign a checkpoint of the head if the chain moved since the
/// last one (at shutdown, and `kvar audit checkpoint`). The checkpoint is exported to the sink
/// after it is committed.
pub fn seal_and_checkpoint(
    conn: &mut AnyConnection,
    key: &[u8],
    cfg: &checkpoint::Config,
) -> QueryResult<Option<checkpoint::Checkpoint>> {
    seal_all(conn, key)?;
    let cp = write_tx(conn, |tx| {
        checkpoint::write_if_due(tx, &cfg.signer, &cfg.policy, types::now(), true)
    })?;
    if let Some(cp) = &cp {
        cfg.export(cp);
    }
    Ok(cp)
}

/// Start the background sealer thread; it stops when `stop` is set. Its transactions go
/// through [`Db::write_blocking`] (on SQLite the single writer, so it never polls for the lock).
/// After each batch it signs a checkpoint when one is due, and exports it once committed.
pub fn spawn(
    db: Db,
    key: Vec<u8>,
    checkpoints: checkpoint::Config,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let key = std::sync::Arc::new(key);
    let cfg = std::sync::Arc::new(checkpoints);
    std::thread::spawn(move || {
        use std::sync::atomic::Ordering;
        while !stop.load(Ordering::Relaxed) {
            let (k, c) = (key.clone(), cfg.clone());
            let sealed = db
                .write_blocking(move |tx| {
                    let n = seal_in(tx, &k)?;
                    let cp =
                        checkpoint::write_if_due(tx, &c.signer, &c.policy, types::now(), false)?;
                    Ok((n, cp))
                })
                .map_err(|e| e.to_string());
            match sealed {
                Ok((n, cp)) => {
                    if let Some(cp) = cp {
                        cfg.export(&cp);
                    }
                    if n == BATCH as usize {
                        continue;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "audit sealer could not run; retrying"),
            }
            std::thread::sleep(INTERVAL);
        }
        if let Ok(mut c) = db.pool().get()
            && let Err(e) = seal_and_checkpoint(&mut c, &key, &cfg)
        {
            tracing::warn!(error = %e, "audit sealer could not seal or checkpoint at shutdown");
        }
    })
}
