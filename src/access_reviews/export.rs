//! `GET /access-reviews/{id}/export`: a review set as CSV for an inspection (IMY, IVO): ids,
//! roles, units, times, operations, reasons and verdicts. No case content, and no comments
//! (free text may hold some). The export is an audit event and an access-log entry.

use super::ENTITY;
use super::repo;
use crate::audit::access::{self, Access};
use crate::audit::{AuditAction, Changes};
use crate::auth::policy::{Authorized, ops};
use crate::auth::scope::scoped_write;
use crate::db::types;
use crate::error::ApiError;
use crate::http::csv::Csv;
use crate::state::AppState;

const HEADER: &[&str] = &[
    "review_id",
    "unit_id",
    "period_start",
    "period_end",
    "review_status",
    "signed_off_by",
    "signed_off_at",
    "entry_id",
    "access_log_id",
    "at",
    "actor_id",
    "actor_role",
    "actor_unit_id",
    "operation",
    "subject_type",
    "subject_id",
    "case_id",
    "decision",
    "reasons",
    "verdict",
    "decided_by",
    "decided_at",
];

fn time(t: Option<chrono::NaiveDateTime>) -> String {
    t.map(|t| types::utc(t).to_rfc3339()).unwrap_or_default()
}

/// The CSV of review `id`.
pub async fn csv(
    state: &AppState,
    who: Authorized<ops::ExportAccessReview>,
    id: String,
) -> Result<String, ApiError> {
    let grant = (*who).clone();
    scoped_write(state, &grant, move |tx| {
        let r = repo::find_visible(tx, &who, &id)?.ok_or_else(|| ApiError::NotVisible {
            subject_type: ENTITY,
            subject_id: id.clone(),
        })?;
        let entries = repo::entries(tx, &r.id)?;
        let mut out = Csv::new(HEADER);
        for (e, log) in &entries {
            let reasons: Vec<&str> = repo::decode_reasons(&e.reasons)
                .iter()
                .map(|r| r.as_str())
                .collect();
            out.row(&[
                r.id.clone(),
                r.unit_id.clone(),
                r.period_start.to_string(),
                r.period_end.to_string(),
                r.status.to_string(),
                r.signed_off_by.clone().unwrap_or_default(),
                time(r.signed_off_at),
                e.id.clone(),
                log.id.to_string(),
                time(Some(log.at)),
                log.actor_id.clone(),
                log.actor_role.clone(),
                log.actor_unit_id.clone().unwrap_or_default(),
                log.operation.clone(),
                log.subject_type.clone(),
                log.subject_id.clone(),
                log.case_id.clone().unwrap_or_default(),
                log.decision.clone(),
                reasons.join(";"),
                e.verdict.map(|v| v.to_string()).unwrap_or_default(),
                e.decided_by.clone().unwrap_or_default(),
                time(e.decided_at),
            ]);
        }
        access::granted(
            tx,
            &who,
            who.operation_id(),
            &[Access {
                subject_type: ENTITY,
                subject_id: &r.id,
                case_id: None,
            }],
        )?;
        super::record(
            tx,
            &who.actor(),
            AuditAction::AccessReviewExport,
            (ENTITY, &r.id),
            Changes::new()
                .created("format", "text/csv")
                .created("entries", entries.len()),
        )?;
        Ok(out.finish())
    })
    .await
}
