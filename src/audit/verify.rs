//! Walks the chain and reports the first broken sequence number.

use chrono::Duration as ChronoDuration;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::chain::{self, GENESIS};
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
}

impl std::fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.ok, self.first_broken_seq) {
            (true, _) => write!(f, "ok n={}", self.events),
            (false, Some(seq)) => write!(f, "broken at seq={} (checked n={})", seq, self.events),
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

/// Verify the whole chain.
pub fn verify(conn: &mut AnyConnection, key: &[u8]) -> QueryResult<VerifyReport> {
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
                && event.as_ref().is_some_and(|e| {
                    e.id == event_id && chain::hash(key, seq, &prev_hash, &e.fields()) == hash
                });
            if !good {
                first_broken = Some(expected_seq);
                break 'pages;
            }
            prev = hash;
            expected_seq += 1;
        }
        if (n as i64) < PAGE {
            break;
        }
    }
    let cutoff = types::now() - ChronoDuration::from_std(BOUND).unwrap_or_default();
    let unsealed_overdue: i64 = audit_events::table
        .left_join(audit_chain::table)
        .filter(audit_chain::seq.is_null())
        .filter(audit_events::at.lt(cutoff))
        .count()
        .get_result(conn)?;
    Ok(VerifyReport {
        ok: first_broken.is_none() && unsealed_overdue == 0,
        events: expected_seq - 1,
        first_broken_seq: first_broken,
        unsealed_overdue,
    })
}
