//! Walks the chain and reports the first broken sequence number, holding it to the signed
//! checkpoints it is given (a checkpoint past the end of the chain means the tail was cut off;
//! a different hash at a checkpoint means the chain was rewritten up to there).

use chrono::Duration as ChronoDuration;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::access_verify::AccessLogReport;
use super::chain::{self, GENESIS};
use super::checkpoint::{self, Checkpoint};
use super::sealer::{BOUND, EventRow};
use crate::db::schema::{audit_chain, audit_events};
use crate::db::{AnyConnection, types};

/// The result of a verification.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct VerifyReport {
    /// True when every sealed event verifies and no event is overdue for sealing.
    pub ok: bool,
    /// Events in the chain that were checked.
    pub events: i64,
    /// The first sequence number whose event, hash, link or position is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_broken_seq: Option<i64>,
    /// Events older than the sealing bound that are not in the chain.
    pub unsealed_overdue: i64,
    /// Signed checkpoints the chain was held to (from the database and the external sink).
    pub checkpoints: i64,
    /// What is wrong, in words (no event content).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The sealed access log (`ok` above includes it).
    pub access_log: AccessLogReport,
}

impl std::fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = &self.access_log;
        if self.first_broken_seq.is_none() && self.unsealed_overdue == 0 && !a.ok {
            return write!(
                f,
                "broken access log at batch={} (checked batches={}): {}",
                a.first_broken_batch.unwrap_or(0),
                a.batches,
                a.problem.as_deref().unwrap_or("")
            );
        }
        match (self.ok, self.first_broken_seq) {
            (true, _) => write!(
                f,
                "ok n={} checkpoints={} access_batches={} access_rows={}",
                self.events, self.checkpoints, a.batches, a.rows
            ),
            (false, Some(seq)) => write!(
                f,
                "broken at seq={} (checked n={}): {}",
                seq,
                self.events,
                self.problem.as_deref().unwrap_or("")
            ),
            (false, None) => write!(
                f,
                "broken: {} event(s) unsealed past the bound (checked n={})",
                self.unsealed_overdue, self.events
            ),
        }
    }
}

const PAGE: i64 = 1000;

/// (seq, event_id, prev_hash, hash) of a chain row, and its event if it still exists.
type ChainRow = ((i64, i64, String, String), Option<EventRow>);

/// What the chain is held to: signed checkpoints and the key that must have signed them.
pub struct Anchors<'a> {
    /// The current checkpoint key first, then retired ones.
    pub public_keys: &'a [ed25519_dalek::VerifyingKey],
    pub checkpoints: &'a [Checkpoint],
}

/// [`BOUND`] as a chrono duration, converted when the program is compiled: a bound chrono could
/// not hold would fail the build instead of silently becoming zero.
const BOUND_AS_CHRONO: ChronoDuration =
    match ChronoDuration::new(BOUND.as_secs() as i64, BOUND.subsec_nanos()) {
        Some(d) => d,
        None => panic!("sealer::BOUND does not fit a chrono duration"),
    };

/// The earliest finding wins.
fn note(found: &mut Option<(i64, String)>, seq: i64, problem: String) {
    if found.as_ref().is_none_or(|(s, _)| seq < *s) {
        *found = Some((seq, problem));
    }
}

/// Seal what is committed, then verify the chain against every checkpoint this installation
/// knows (database and sink) and `extra` ones (files an auditor kept).
pub fn seal_and_verify(
    conn: &mut AnyConnection,
    key: &[u8],
    cfg: &checkpoint::Config,
    extra: Vec<Checkpoint>,
) -> Result<VerifyReport, crate::error::ApiError> {
    // Access batches are anchored by audit events: seal them first, then the chain.
    super::access_seal::seal_all(conn, key)?;
    super::sealer::seal_all(conn, key)?;
    let mut all = cfg.all(conn).map_err(crate::error::ApiError::Internal)?;
    all.extend(extra);
    let public_keys = cfg.verifying_keys();
    let anchors = Anchors {
        public_keys: &public_keys,
        checkpoints: &all,
    };
    Ok(verify(conn, key, &anchors)?)
}

/// Verify the whole chain against `anchors`.
pub fn verify(
    conn: &mut AnyConnection,
    key: &[u8],
    anchors: &Anchors<'_>,
) -> QueryResult<VerifyReport> {
    let mut found: Option<(i64, String)> = None;
    let mut signed = std::collections::BTreeMap::new();
    for cp in anchors.checkpoints {
        if !checkpoint::signature_ok(anchors.public_keys, cp) {
            note(
                &mut found,
                cp.seq,
                format!(
                    "the checkpoint at seq={} is not signed by this installation's key (nor a retired one)",
                    cp.seq
                ),
            );
        } else if signed
            .insert(cp.seq, cp.hash.as_str())
            .is_some_and(|h| h != cp.hash)
        {
            note(
                &mut found,
                cp.seq,
                format!("two signed checkpoints disagree at seq={}", cp.seq),
            );
        }
    }
    let mut expected_seq = 1_i64;
    let mut prev = GENESIS.to_owned();
    let mut first_broken = None;
    'pages: loop {
        let rows: Vec<ChainRow> = audit_chain::table
            .left_join(audit_events::table)
            .select((
                (
                    audit_chain::seq,
                    audit_chain::event_id,
                    audit_chain::prev_hash,
                    audit_chain::hash,
                ),
                audit_events::all_columns.nullable(),
            ))
            .filter(audit_chain::seq.ge(expected_seq))
            .order(audit_chain::seq)
            .limit(PAGE)
            .load(conn)?;
        let n = rows.len();
        for ((seq, event_id, prev_hash, hash), event) in rows {
            let good = seq == expected_seq
                && prev_hash == prev
                && match &event {
                    Some(e) if e.id == event_id => {
                        chain::hash(key, seq, &prev_hash, &e.fields())? == hash
                    }
                    _ => false,
                };
            if !good {
                first_broken = Some(expected_seq);
                break 'pages;
            }
            if signed.get(&seq).is_some_and(|h| *h != hash) {
                note(
                    &mut found,
                    seq,
                    format!(
                        "the chain differs from the signed checkpoint at seq={seq}: rewritten at or before it"
                    ),
                );
            }
            prev = hash;
            expected_seq += 1;
        }
        if (n as i64) < PAGE {
            break;
        }
    }
    let cutoff = types::now() - BOUND_AS_CHRONO;
    let unsealed_overdue: i64 = audit_events::table
        .left_join(audit_chain::table)
        .filter(audit_chain::seq.is_null())
        .filter(audit_events::at.lt(cutoff))
        .count()
        .get_result(conn)?;
    let events = expected_seq - 1;
    if let Some(seq) = first_broken {
        note(
            &mut found,
            seq,
            format!("the event, hash, link or position at seq={seq} is wrong"),
        );
    } else if let Some((&last, _)) = signed.last_key_value()
        && last > events
    {
        note(
            &mut found,
            events + 1,
            format!(
                "the chain ends at seq={events} but a signed checkpoint covers seq={last}: the tail was cut off"
            ),
        );
    }
    let (first_broken_seq, problem) = match found {
        Some((seq, p)) => (Some(seq), Some(p)),
        None if unsealed_overdue > 0 => (
            None,
            Some(format!(
                "{unsealed_overdue} event(s) unsealed past the bound"
            )),
        ),
        None => (None, None),
    };
    let access_log = super::access_verify::verify(conn, key)?;
    Ok(VerifyReport {
        ok: first_broken_seq.is_none() && unsealed_overdue == 0 && access_log.ok,
        events,
        first_broken_seq,
        unsealed_overdue,
        checkpoints: signed.len() as i64,
        problem,
        access_log,
    })
}
