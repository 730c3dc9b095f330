//! Recomputing and reading a case's deadlines. The rules are `domain::deadlines` (pure); here
//! the ledger is turned into its facts and the stored deadlines are brought in line: unchanged
//! ones keep their row, changed ones become `void` and the new ones are inserted, so the
//! history of what was shown stays.

use chrono::{Duration, NaiveDate};

use super::dto::{CycleResponse, DeadlineList, DeadlineResponse, ReadingResponse};
use super::repo::{self, DeadlineRow, NoticeRow};
use crate::audit::access::{self, Access};
use crate::auth::policy::{Authorized, ops};
use crate::db::{AnyConnection, types};
use crate::domain::cycles::{self, Flag, Reading, ReadingRule};
use crate::domain::deadlines::{
    self as rules, Deadline, DeadlineKind, DeadlineState, DeadlineStatus, NoticeFacts, NoticeKind,
};
use crate::domain::sweden;
use crate::error::ApiError;
use crate::state::AppState;

/// Deadlines whose being open stops a caseworker from closing a case alone.
pub const LEGAL_KINDS: &[DeadlineKind] = &[
    DeadlineKind::ReinstatementEnd,
    DeadlineKind::RentCommitmentDue,
    DeadlineKind::KfmOrderReviewEnd,
    DeadlineKind::EvictionDate,
];

/// The rules' view of a stored notice. `eviction_at` becomes Swedish local time.
pub fn facts(n: &NoticeRow) -> NoticeFacts {
    let mut f = NoticeFacts::new(n.id.clone(), n.kind);
    f.sent_on = n.sent_on;
    f.served_on = n.served_on;
    f.received_on = n.received_on;
    f.eviction_at = n
        .eviction_at
        .map(|t| t + Duration::hours(sweden::offset_hours(t)));
    f.amount_to_reinstate = n.amount_to_reinstate;
    f.apartment_size_m2 = n.apartment_size_m2.and_then(|s| u32::try_from(s).ok());
    f.supersedes = n.supersedes.clone();
    f.amount_paid = n.amount_paid;
    f.delivered_on = n.delivered_on;
    f
}

/// The latest arrears total reported in the ledger (what a notice's amount is compared with).
pub fn latest_arrears(notices: &[NoticeRow]) -> Option<i64> {
    notices
        .iter()
        .filter(|n| n.kind == NoticeKind::ArrearsReported)
        .max_by(|a, b| a.id.cmp(&b.id))
        .and_then(|n| n.arrears_amount)
}

fn computed_from(d: &Deadline) -> String {
    serde_json::to_string(&d.computed_from).unwrap_or_else(|_| "[]".into())
}

fn readings_json(readings: &[Reading]) -> String {
    let out: Vec<ReadingResponse> = readings.iter().map(reading_response).collect();
    serde_json::to_string(&out).unwrap_or_else(|_| "[]".into())
}

fn reading_response(r: &Reading) -> ReadingResponse {
    ReadingResponse {
        due_on: r.due_on,
        rule: r.rule.as_str().into(),
        notice_id: r.notice_id.clone(),
    }
}

fn flags_json(flags: &[Flag]) -> String {
    serde_json::to_string(&flags.iter().map(|f| f.as_str()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

fn rule_deadline(row: &DeadlineRow) -> Option<Deadline> {
    let readings: Vec<ReadingResponse> = serde_json::from_str(&row.readings).ok()?;
    let flags: Vec<String> = serde_json::from_str(&row.flags).ok()?;
    Some(Deadline {
        kind: row.kind,
        due_on: row.due_on,
        rule_version: row.rule_version.clone(),
        computed_from: serde_json::from_str(&row.computed_from).ok()?,
        cycle: row.cycle.and_then(|c| u32::try_from(c).ok()),
        provisional: row.provisional,
        readings: readings
            .into_iter()
            .map(|r| {
                Some(Reading {
                    due_on: r.due_on,
                    rule: ReadingRule::parse(&r.rule)?,
                    notice_id: r.notice_id,
                })
            })
            .collect::<Option<_>>()?,
        // Only the static flags belong to the deadline itself; the rest are recomputed.
        flags: flags
            .iter()
            .filter_map(|f| Flag::parse(f))
            .filter(|f| {
                matches!(
                    f,
                    Flag::Repeat | Flag::Unsettled | Flag::Provisional | Flag::Informational
                )
            })
            .collect(),
    })
}

/// A stored deadline with its status, flags and sum paid as of `today`, given the ledger.
pub fn with_state(
    mut row: DeadlineRow,
    facts: &[NoticeFacts],
    arrears: Option<i64>,
    today: NaiveDate,
) -> DeadlineRow {
    if row.status == DeadlineStatus::Void {
        return row;
    }
    if let Some(d) = rule_deadline(&row) {
        let state = rules::deadline_state(&d, facts, arrears, today);
        apply(&mut row, &state);
    }
    row
}

fn apply(row: &mut DeadlineRow, state: &DeadlineState) {
    row.status = state.status;
    row.flags = flags_json(&state.flags);
    row.paid = state.paid;
}

/// Bring the stored deadlines of a case in line with its ledger. Returns the live deadlines.
/// `notices` is the case's whole ledger, as the caller has just loaded it.
pub fn recompute(
    conn: &mut AnyConnection,
    case_id: &str,
    notices: &[NoticeRow],
) -> Result<Vec<DeadlineRow>, ApiError> {
    let facts: Vec<NoticeFacts> = notices.iter().map(facts).collect();
    let arrears = latest_arrears(notices);
    let computed = rules::deadlines_for(&facts, arrears);
    let today = sweden::today();
    let now = types::now();
    let stored = repo::deadlines_for_case(conn, case_id)?;
    let mut live = Vec::new();
    let mut new = Vec::new();
    for d in &computed {
        let state = rules::deadline_state(d, &facts, arrears, today);
        let existing = stored.iter().find(|s| {
            s.status != DeadlineStatus::Void
                && rule_deadline(s).is_some_and(|r| rules::same_deadline(d, &r))
        });
        match existing {
            Some(s) => {
                let mut row = s.clone();
                apply(&mut row, &state);
                if (&row.status, &row.flags, row.paid) != (&s.status, &s.flags, s.paid) {
                    repo::set_deadline_state(conn, &row, now)?;
                }
                live.push(row);
            }
            None => {
                let latest = d.readings.iter().map(|r| r.due_on).max();
                let mut row = DeadlineRow {
                    id: types::new_id(),
                    case_id: case_id.to_owned(),
                    kind: d.kind,
                    due_on: d.due_on,
                    alternative_due_on: latest.filter(|l| *l != d.due_on),
                    rule_version: d.rule_version.clone(),
                    computed_from: computed_from(d),
                    status: state.status,
                    computed_at: now,
                    cycle: d.cycle.and_then(|c| i32::try_from(c).ok()),
                    provisional: d.provisional,
                    readings: readings_json(&d.readings),
                    flags: String::new(),
                    paid: None,
                };
                apply(&mut row, &state);
                // The static flags are stored too, so the row can be matched and reproduced.
                let mut all = state.flags.clone();
                all.extend(d.flags.iter().copied());
                all.sort();
                all.dedup();
                row.flags = flags_json(&all);
                new.push(row.clone());
                live.push(row);
            }
        }
    }
    repo::insert_deadlines(conn, &new)?;
    for s in stored.iter().filter(|s| s.status != DeadlineStatus::Void) {
        if !live.iter().any(|l| l.id == s.id) {
            repo::set_deadline_status(conn, &s.id, DeadlineStatus::Void, now)?;
        }
    }
    Ok(live)
}

/// Whether the case has an open legal deadline today (closing then needs a supervisor).
pub fn has_open_legal_deadline(conn: &mut AnyConnection, case_id: &str) -> Result<bool, ApiError> {
    let notices = repo::for_case(conn, case_id)?;
    let facts: Vec<NoticeFacts> = notices.iter().map(facts).collect();
    let arrears = latest_arrears(&notices);
    let today = sweden::today();
    let rows = repo::deadlines_for_case(conn, case_id)?;
    Ok(rows.into_iter().any(|r| {
        LEGAL_KINDS.contains(&r.kind)
            && with_state(r, &facts, arrears, today).status == DeadlineStatus::Open
    }))
}

impl From<DeadlineRow> for DeadlineResponse {
    fn from(d: DeadlineRow) -> Self {
        let flags: Vec<String> = serde_json::from_str(&d.flags).unwrap_or_default();
        DeadlineResponse {
            computed_from: serde_json::from_str(&d.computed_from).unwrap_or_default(),
            id: d.id,
            case_id: d.case_id,
            kind: d.kind.as_str().into(),
            due_on: d.due_on,
            alternative_due_on: d.alternative_due_on,
            status: d.status.as_str().into(),
            rule_version: d.rule_version,
            computed_at: types::utc(d.computed_at),
            cycle: d.cycle,
            provisional: d.provisional,
            readings: serde_json::from_str(&d.readings).unwrap_or_default(),
            unsettled: flags.iter().any(|f| f == Flag::Unsettled.as_str()),
            flags,
            paid: d.paid,
        }
    }
}

/// `GET /cases/{id}/deadlines`: every deadline ever shown (void ones too), status as of today.
pub async fn list(
    state: &AppState,
    who: Authorized<ops::ListDeadlines>,
    case_id: String,
) -> Result<DeadlineList, ApiError> {
    state
        .db
        .run(move |conn| {
            let case = crate::cases::service::visible_or_404(conn, &who, &case_id)?;
            let notices = repo::for_case(conn, &case.id)?;
            let facts: Vec<NoticeFacts> = notices.iter().map(facts).collect();
            let arrears = latest_arrears(&notices);
            let today = sweden::today();
            let items = repo::deadlines_for_case(conn, &case.id)?
                .into_iter()
                .map(|d| with_state(d, &facts, arrears, today).into())
                .collect();
            let cycles = cycles_of(&facts, arrears, today);
            access::granted(
                conn,
                &who,
                who.operation_id(),
                &[Access {
                    subject_type: "case",
                    subject_id: &case.id,
                    case_id: Some(&case.id),
                }],
            )?;
            Ok(DeadlineList { items, cycles })
        })
        .await
}

/// The case's cycles as of `today`.
pub fn cycles_of(
    facts: &[NoticeFacts],
    arrears: Option<i64>,
    today: NaiveDate,
) -> Vec<CycleResponse> {
    cycles::cycles(facts, arrears)
        .into_iter()
        .map(|c| {
            let state = cycles::state(&c, facts, today);
            CycleResponse {
                number: i32::try_from(c.number).unwrap_or(i32::MAX),
                opened_by: c.opened_by.clone(),
                opened_on: c.opened_on,
                social_notice_ids: c.social_notice_ids.clone(),
                amount_to_reinstate: c.amount_to_reinstate,
                repeat: c.repeat,
                provisional: c.period.as_ref().is_some_and(|p| p.provisional),
                due_on: c.period.as_ref().map(|p| p.due_on),
                latest_due_on: c.period.as_ref().map(|p| p.latest),
                status: state.status.as_str().into(),
                met_by: state.met_by.map(|m| m.as_str().into()),
                flags: state.flags.iter().map(|f| f.as_str().into()).collect(),
                paid: state.paid,
            }
        })
        .collect()
}
