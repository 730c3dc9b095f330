//! Recomputing and reading a case's deadlines. The rules are `domain::deadlines` (pure); here
//! the ledger is turned into its facts and the stored deadlines are brought in line: unchanged
//! ones keep their row, changed ones become `void` and the new ones are inserted, so the
//! history of what was shown stays.

use chrono::{Duration, NaiveDate};

use super::dto::{DeadlineList, DeadlineResponse};
use super::repo::{self, DeadlineRow, NoticeRow};
use crate::audit::access::{self, Access};
use crate::auth::policy::{Authorized, ops};
use crate::db::{AnyConnection, types};
use crate::domain::deadlines::{
    self as rules, Deadline, DeadlineKind, DeadlineStatus, NoticeFacts, NoticeKind,
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

fn rule_deadline(row: &DeadlineRow) -> Option<Deadline> {
    Some(Deadline {
        kind: row.kind,
        due_on: row.due_on,
        rule_version: row.rule_version.clone(),
        computed_from: serde_json::from_str(&row.computed_from).ok()?,
    })
}

/// The status of a stored deadline on `today`, given the ledger.
pub fn status_of(row: &DeadlineRow, facts: &[NoticeFacts], today: NaiveDate) -> DeadlineStatus {
    if row.status == DeadlineStatus::Void {
        return row.status;
    }
    match rule_deadline(row) {
        Some(d) => rules::deadline_status(&d, facts, today),
        None => row.status,
    }
}

/// Bring the stored deadlines of a case in line with its ledger. Returns the live deadlines.
/// `notices` is the case's whole ledger, as the caller has just loaded it.
pub fn recompute(
    conn: &mut AnyConnection,
    case_id: &str,
    notices: &[NoticeRow],
) -> Result<Vec<DeadlineRow>, ApiError> {
    let facts: Vec<NoticeFacts> = notices.iter().map(facts).collect();
    let computation = rules::compute(&facts, latest_arrears(notices));
    // The other reading of a reinstatement period built on a materially defective notice.
    let readings: Vec<NaiveDate> = computation
        .reinstatement_readings
        .as_ref()
        .map(|r| {
            [r.if_defective_notices_valid, r.if_defective_notices_invalid]
                .into_iter()
                .flatten()
                .collect()
        })
        .unwrap_or_default();
    let today = sweden::today();
    let now = types::now();
    let stored = repo::deadlines_for_case(conn, case_id)?;
    let mut live = Vec::new();
    for d in &computation.deadlines {
        let from = computed_from(d);
        let status = rules::deadline_status(d, &facts, today);
        let existing = stored.iter().find(|s| {
            s.status != DeadlineStatus::Void
                && s.kind == d.kind
                && s.due_on == d.due_on
                && s.computed_from == from
        });
        match existing {
            Some(s) => {
                if s.status != status {
                    repo::set_deadline_status(conn, &s.id, status, now)?;
                }
                live.push(DeadlineRow {
                    status,
                    ..s.clone()
                });
            }
            None => {
                let row = DeadlineRow {
                    id: types::new_id(),
                    case_id: case_id.to_owned(),
                    kind: d.kind,
                    due_on: d.due_on,
                    alternative_due_on: if d.kind == DeadlineKind::ReinstatementEnd {
                        readings.iter().copied().find(|a| *a != d.due_on)
                    } else {
                        None
                    },
                    rule_version: d.rule_version.clone(),
                    computed_from: from,
                    status,
                    computed_at: now,
                };
                repo::insert_deadline(conn, &row)?;
                live.push(row);
            }
        }
    }
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
    let today = sweden::today();
    let rows = repo::deadlines_for_case(conn, case_id)?;
    Ok(rows.iter().any(|r| {
        LEGAL_KINDS.contains(&r.kind) && status_of(r, &facts, today) == DeadlineStatus::Open
    }))
}

impl From<DeadlineRow> for DeadlineResponse {
    fn from(d: DeadlineRow) -> Self {
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
            let today = sweden::today();
            let items = repo::deadlines_for_case(conn, &case.id)?
                .into_iter()
                .map(|mut d| {
                    d.status = status_of(&d, &facts, today);
                    d.into()
                })
                .collect();
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
            Ok(DeadlineList { items })
        })
        .await
}
