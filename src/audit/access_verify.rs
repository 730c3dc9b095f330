//! Verifies the sealed access log ([`super::access_seal`]): every batch links to the one before,
//! covers the ids after it with the rows it sealed (count and hash), and is anchored by its
//! `access_log.sealed` audit event; no row is left unsealed past the bound. A deleted, altered or
//! inserted row in a sealed range, or a broken link, names the first bad batch.

use std::collections::HashMap;

use chrono::Duration as ChronoDuration;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::AuditAction;
use super::access_seal::{ACCESS_COLUMNS, AccessRow, BOUND, Head, SEAL_COLUMNS, Seal, batch_hash};
use crate::db::schema::{access_log, access_seals, audit_events};
use crate::db::{AnyConnection, types};

/// The access log's part of a verification.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct AccessLogReport {
    /// True when every batch verifies and no row is overdue for sealing.
    pub ok: bool,
    /// Sealed batches checked.
    pub batches: i64,
    /// Access rows in the sealed batches.
    pub rows: i64,
    /// The first batch whose rows, hash, link or anchor is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_broken_batch: Option<i64>,
    /// Access rows older than the sealing bound that no batch covers.
    pub unsealed_overdue: i64,
    /// What is wrong, in words (no row content).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

const PAGE: i64 = 200;

const BOUND_AS_CHRONO: ChronoDuration =
    match ChronoDuration::new(BOUND.as_secs() as i64, BOUND.subsec_nanos()) {
        Some(d) => d,
        None => panic!("access_seal::BOUND does not fit a chrono duration"),
    };

/// The hash each batch's anchoring audit event records, by batch number (None when the event
/// has no hash, or when two events anchor the same number: a batch removed and sealed again).
fn anchors(conn: &mut AnyConnection) -> QueryResult<HashMap<i64, Option<String>>> {
    let events: Vec<(Option<String>, Option<String>)> = audit_events::table
        .filter(audit_events::action.eq(AuditAction::AccessLogSealed.as_str()))
        .select((audit_events::entity_id, audit_events::after_json))
        .load(conn)?;
    let mut map = HashMap::new();
    for (seq, after) in events {
        let Some(seq) = seq.and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        let hash = after
            .and_then(|a| serde_json::from_str::<serde_json::Value>(&a).ok())
            .and_then(|v| v.get("hash").and_then(|h| h.as_str()).map(str::to_owned));
        map.entry(seq)
            .and_modify(|h: &mut Option<String>| *h = None)
            .or_insert(hash);
    }
    Ok(map)
}

/// What is wrong with `seal`, following `head`, given its rows (None: it verifies).
fn check(
    key: &[u8],
    head: &Head,
    seal: &Seal,
    rows: &[AccessRow],
    anchor: Option<&Option<String>>,
) -> QueryResult<Option<String>> {
    let n = seal.seq;
    Ok(if seal.seq != head.seq + 1 || seal.prev_hash != head.hash {
        Some(format!(
            "batch {n}: the link to the previous batch is broken"
        ))
    } else if rows.len() as i64 != seal.row_count {
        Some(format!(
            "batch {n}: {} row(s) where {} were sealed (rows deleted or inserted)",
            rows.len(),
            seal.row_count
        ))
    } else if rows.first().map(|r| r.id) != Some(seal.first_id) {
        Some(format!("batch {n}: its first row is not the one sealed"))
    } else if batch_hash(
        key,
        seal.seq,
        &seal.prev_hash,
        head.last_id,
        seal.last_id,
        rows,
    )? != seal.hash
    {
        Some(format!(
            "batch {n}: the rows differ from the sealed hash (a row altered, deleted or inserted)"
        ))
    } else if anchor != Some(&Some(seal.hash.clone())) {
        Some(format!(
            "batch {n}: its audit anchor is missing, records another hash or is doubled"
        ))
    } else {
        None
    })
}

/// Verify every sealed batch of the access log (seal first: see [`super::verify::seal_and_verify`]).
pub fn verify(conn: &mut AnyConnection, key: &[u8]) -> QueryResult<AccessLogReport> {
    let mut anchored = anchors(conn)?;
    let mut head = Head::start();
    let (mut rows_checked, mut broken) = (0_i64, None);
    'pages: loop {
        let seals: Vec<Seal> = access_seals::table
            .select(SEAL_COLUMNS)
            .filter(access_seals::seq.gt(head.seq))
            .order(access_seals::seq)
            .limit(PAGE)
            .load(conn)?;
        for seal in &seals {
            let rows: Vec<AccessRow> = access_log::table
                .select(ACCESS_COLUMNS)
                .filter(access_log::id.gt(head.last_id))
                .filter(access_log::id.le(seal.last_id))
                .order(access_log::id)
                .load(conn)?;
            let anchor = anchored.remove(&seal.seq);
            if let Some(problem) = check(key, &head, seal, &rows, anchor.as_ref())? {
                broken = Some((head.seq + 1, problem));
                break 'pages;
            }
            rows_checked += seal.row_count;
            head = Head {
                seq: seal.seq,
                last_id: seal.last_id,
                hash: seal.hash.clone(),
            };
        }
        if (seals.len() as i64) < PAGE {
            break;
        }
    }
    if broken.is_none()
        && let Some(seq) = anchored.keys().min()
    {
        broken = Some((
            *seq,
            format!("batch {seq}: anchored in the audit chain but missing (batches removed)"),
        ));
    }
    let unsealed_overdue: i64 = access_log::table
        .filter(access_log::id.gt(head.last_id))
        .filter(access_log::at.lt(types::now() - BOUND_AS_CHRONO))
        .count()
        .get_result(conn)?;
    let (first_broken_batch, problem) = match broken {
        Some((seq, p)) => (Some(seq), Some(p)),
        None if unsealed_overdue > 0 => (
            None,
            Some(format!(
                "{unsealed_overdue} access row(s) unsealed past the bound"
            )),
        ),
        None => (None, None),
    };
    Ok(AccessLogReport {
        ok: first_broken_batch.is_none() && unsealed_overdue == 0,
        batches: head.seq,
        rows: rows_checked,
        first_broken_batch,
        unsealed_overdue,
        problem,
    })
}
