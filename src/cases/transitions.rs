//! Moving a case through its workflow (SPEC §4.1): the rules are `domain::workflow`; here the
//! transaction, the closure requests supervisors decide, and the audit events.

use serde_json::json;

use super::dto::{
    CaseResponse, ClosureDecisionRequest, ClosureDecisionResponse, ClosureRequestResponse,
    Decision, TransitionRequest,
};
use super::repo::{self, CaseChanges, CaseClosureRow, CaseRow, ClosureRow};
use super::service::{audit_case, visible_for_write};
use crate::audit::AuditAction;
use crate::audit::Changes;
use crate::audit::sealed;
use crate::auth::policy::{Authorized, Operation, ops, scope_for};
use crate::auth::{Principal, Role, rules};
use crate::crypto::subjects::{Keyring, Subject};
use crate::db::{Tx, types};
use crate::domain::outcome::{HomelessnessSituation, Outcome};
use crate::domain::states::ClosureRequestStatus;
use crate::domain::workflow::{
    CaseStatus, ClosureContext, TransitionEffect, TransitionError, allowed_targets,
    check_transition,
};
use crate::error::ApiError;
use crate::http::etag::IfMatch;
use crate::state::AppState;

/// What a transition request led to.
pub enum Transitioned {
    /// The case moved (200 with the case; boxed, it is the larger answer by far).
    Moved(Box<CaseResponse>),
    /// Closing needs a supervisor: a closure request was filed (202).
    AwaitingApproval(ClosureRequestResponse),
}

impl From<ClosureRow> for ClosureRequestResponse {
    fn from(r: ClosureRow) -> Self {
        ClosureRequestResponse {
            id: r.id,
            case_id: r.case_id,
            requested_by: r.requested_by,
            outcome: r.outcome.as_str().into(),
            homelessness_situation: r.homelessness_situation,
            status: r.status.as_str().into(),
            decided_by: r.decided_by,
            decided_at: r.decided_at.map(types::utc),
            created_at: types::utc(r.created_at),
        }
    }
}

/// The statuses a caller of `role` may ask a case in `status` to move to now: the workflow's
/// targets ([`allowed_targets`], the one table) when the policy lets the role transition cases
/// at all, without `closed` while a closure request already waits for a supervisor (a second
/// one is refused). Closing may still become a closure request (202): that is the request.
pub fn allowed_transitions(
    role: Role,
    status: CaseStatus,
    closure_pending: bool,
) -> Vec<CaseStatus> {
    if scope_for(role, Operation::TransitionCase).is_none() {
        return Vec::new();
    }
    allowed_targets(status)
        .iter()
        .copied()
        .filter(|t| !(closure_pending && *t == CaseStatus::Closed))
        .collect()
}

fn illegal(e: TransitionError) -> ApiError {
    match e {
        TransitionError::NotAllowed { allowed, .. } => ApiError::Conflict {
            detail: e.to_string(),
            extra: Some(
                json!({ "allowed": allowed.iter().map(|s| s.as_str()).collect::<Vec<_>>() }),
            ),
        },
        TransitionError::OutcomeRequired => {
            ApiError::field("outcome", "is required when closing a case")
        }
    }
}

pub(crate) fn validate(req: &TransitionRequest) -> Result<Option<HomelessnessSituation>, ApiError> {
    let mut errors = Vec::new();
    if req.reason.trim().is_empty() || req.reason.chars().count() > 1000 {
        errors.push(crate::error::FieldError::new(
            "reason",
            "must be 1–1000 characters",
        ));
    }
    let situation = match req.homelessness_situation.map(HomelessnessSituation::new) {
        Some(Ok(s)) => Some(s),
        Some(Err(_)) => {
            errors.push(crate::error::FieldError::new(
                "homelessness_situation",
                "must be 1–4",
            ));
            None
        }
        None => None,
    };
    if req.to != CaseStatus::Closed && (req.outcome.is_some() || situation.is_some()) {
        errors.push(crate::error::FieldError::new(
            "outcome",
            "is only for closing a case",
        ));
    }
    if errors.is_empty() {
        Ok(situation)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// A status change to apply.
struct Move<'a> {
    to: CaseStatus,
    outcome: Option<Outcome>,
    situation: Option<i32>,
    reason: &'a str,
    action: AuditAction,
    /// A closure approved on request: (the request, who filed it).
    approved_request: Option<(&'a str, &'a str)>,
}

/// Apply a status change with the version check and its audit event.
fn apply(
    tx: &mut Tx<'_>,
    ring: &Keyring,
    who: &Principal,
    before: &CaseRow,
    m: Move<'_>,
) -> Result<CaseRow, ApiError> {
    let Move {
        to,
        outcome,
        situation,
        reason,
        action,
        approved_request,
    } = m;
    let now = types::now();
    // Closures are rows: closing adds one, reopening stamps it; the case's own outcome columns
    // describe the current closure only (SPEC §4.3).
    let action = match (to, outcome) {
        (CaseStatus::Closed, Some(o)) => {
            let (closed_by, approved_by, request) = match approved_request {
                Some((request, filed_by)) => (filed_by, Some(who.user_id.clone()), Some(request)),
                None => (who.user_id.as_str(), None, None),
            };
            repo::insert_case_closure(
                tx,
                &CaseClosureRow {
                    id: types::new_id(),
                    case_id: before.id.clone(),
                    outcome: o,
                    homelessness_situation: situation,
                    closed_at: now,
                    closed_by: Some(closed_by.into()),
                    approved_by,
                    closure_request_id: request.map(Into::into),
                    reopened_at: None,
                    reopened_by: None,
                    reopen_reason_enc: None,
                },
            )?;
            action
        }
        (CaseStatus::Reopened, _) => {
            repo::stamp_reopened(tx, ring, &before.id, &who.user_id, reason, now)?;
            AuditAction::CaseReopened
        }
        _ => action,
    };
    let closing = to == CaseStatus::Closed;
    let set = CaseChanges {
        status: Some(to),
        outcome: Some(outcome),
        homelessness_situation: Some(situation),
        closed_at: Some(closing.then_some(now)),
        ..CaseChanges::default()
    };
    if repo::update_versioned(tx, &before.id, before.version, &set, now)?.is_none() {
        return Err(ApiError::PreconditionFailed);
    }
    let changes = Changes::new()
        .field("status", before.status.as_str(), to.as_str())
        .field(
            "outcome",
            before.outcome.map(|o| o.as_str()),
            outcome.map(|o| o.as_str()),
        )
        .field(
            "homelessness_situation",
            before.homelessness_situation,
            situation,
        )
        .created(
            "reason",
            sealed::seal(ring, tx, &before.id, "reason", reason)?,
        );
    audit_case(tx, who, action, &before.id, ("case", &before.id), changes)?;
    Ok(repo::find(tx, &before.id)?)
}

/// `POST /cases/{id}/transitions`.
pub async fn transition(
    state: &AppState,
    who: Authorized<ops::TransitionCase>,
    id: String,
    if_match: IfMatch,
    req: TransitionRequest,
) -> Result<Transitioned, ApiError> {
    let expected = if_match.version()?;
    let situation = validate(&req)?.map(|s| i32::from(s.get()));
    let grant = who.clone();
    let st = state.clone();
    super::service::scoped_write(state, &grant, move |tx| {
        let before = visible_for_write(tx, &who, &id)?;
        if before.version != expected {
            return Err(ApiError::PreconditionFailed);
        }
        let from = before.status;
        let ctx = ClosureContext {
            outcome: req.outcome,
            children_involved: before.children_involved,
            open_legal_deadline: req.to == CaseStatus::Closed
                && crate::notices::deadlines::has_open_legal_deadline(tx, &before.id)?,
            approved_by_supervisor: rules::closes_as_supervisor(&who),
        };
        match check_transition(from, req.to, &ctx).map_err(illegal)? {
            TransitionEffect::Apply => {
                let reason = req.reason.trim();
                Ok(Transitioned::Moved(Box::new(
                    apply(
                        tx,
                        &st.keyring,
                        &who,
                        &before,
                        Move {
                            to: req.to,
                            outcome: req.outcome,
                            situation,
                            reason,
                            action: AuditAction::CaseTransition,
                            approved_request: None,
                        },
                    )?
                    .into(),
                )))
            }
            TransitionEffect::NeedsSupervisorApproval { .. } => {
                if repo::pending_closure(tx, &before.id)?.is_some() {
                    return Err(ApiError::conflict(
                        "A closure request for this case is already waiting for a supervisor.",
                    ));
                }
                let outcome = req
                    .outcome
                    .ok_or_else(|| ApiError::field("outcome", "is required when closing a case"))?;
                let id = types::new_id();
                let reason = req.reason.trim();
                let subject = Subject::case(&before.id);
                let reason_enc =
                    st.keyring
                        .seal(tx, subject, "closure_requests", "reason", &id, reason)?;
                let row = ClosureRow {
                    id,
                    case_id: before.id.clone(),
                    requested_by: who.user_id.clone(),
                    outcome,
                    homelessness_situation: situation,
                    reason_enc: Some(reason_enc),
                    status: ClosureRequestStatus::Pending,
                    decided_by: None,
                    decided_at: None,
                    created_at: types::now(),
                };
                repo::insert_closure(tx, &row)?;
                let changes = Changes::new().created("outcome", outcome.as_str()).created(
                    "reason",
                    sealed::seal(&st.keyring, tx, &before.id, "reason", reason)?,
                );
                audit_case(
                    tx,
                    &who,
                    AuditAction::CaseClosureRequested,
                    &before.id,
                    ("closure_request", &row.id),
                    changes,
                )?;
                Ok(Transitioned::AwaitingApproval(row.into()))
            }
        }
    })
    .await
}

/// `POST /cases/{id}/closure-approvals`: a supervisor approves (the case closes) or rejects.
pub async fn decide(
    state: &AppState,
    who: Authorized<ops::DecideClosure>,
    id: String,
    req: ClosureDecisionRequest,
) -> Result<ClosureDecisionResponse, ApiError> {
    if req.reason.trim().is_empty() || req.reason.chars().count() > 1000 {
        return Err(ApiError::field("reason", "must be 1–1000 characters"));
    }
    let grant = who.clone();
    let st = state.clone();
    super::service::scoped_write(state, &grant, move |tx| {
        let case = visible_for_write(tx, &who, &id)?;
        let pending = repo::pending_closure(tx, &case.id)?
            .filter(|r| r.id == req.closure_request_id)
            .ok_or_else(|| {
                ApiError::field(
                    "closure_request_id",
                    "no pending closure request of this case",
                )
            })?;
        if !rules::may_decide_closure(&who, &pending.requested_by) {
            return Err(ApiError::conflict(
                "A closure request is decided by a supervisor other than the one who filed it.",
            ));
        }
        let now = types::now();
        let status = match req.decision {
            Decision::Approve => ClosureRequestStatus::Approved,
            Decision::Reject => ClosureRequestStatus::Rejected,
        };
        if !repo::decide_closure(tx, &pending.id, status, &who.user_id, now)? {
            return Err(ApiError::conflict(
                "The closure request was decided meanwhile.",
            ));
        }
        let case = match req.decision {
            Decision::Approve => {
                let outcome = pending.outcome;
                let from = case.status;
                let ctx = ClosureContext {
                    outcome: Some(outcome),
                    approved_by_supervisor: true,
                    ..ClosureContext::default()
                };
                check_transition(from, CaseStatus::Closed, &ctx).map_err(illegal)?;
                let reason = format!(
                    "closure request {} approved: {}",
                    pending.id,
                    req.reason.trim()
                );
                apply(
                    tx,
                    &st.keyring,
                    &who,
                    &case,
                    Move {
                        to: CaseStatus::Closed,
                        outcome: Some(outcome),
                        situation: pending.homelessness_situation,
                        reason: &reason,
                        action: AuditAction::CaseClosureApproved,
                        approved_request: Some((&pending.id, &pending.requested_by)),
                    },
                )?
            }
            Decision::Reject => {
                let changes = Changes::new()
                    .field(
                        "status",
                        ClosureRequestStatus::Pending.as_str(),
                        status.as_str(),
                    )
                    .created(
                        "reason",
                        sealed::seal(&st.keyring, tx, &case.id, "reason", req.reason.trim())?,
                    );
                audit_case(
                    tx,
                    &who,
                    AuditAction::CaseClosureRejected,
                    &case.id,
                    ("closure_request", &pending.id),
                    changes,
                )?;
                case
            }
        };
        Ok(ClosureDecisionResponse {
            closure_request: repo::find_closure(tx, &pending.id)?.into(),
            case: case.into(),
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseStatus::*;

    #[test]
    fn allowed_transitions_follow_the_table_and_the_policy() {
        assert_eq!(
            allowed_transitions(Role::Caseworker, Triage, false),
            [Outreach, Active, Closed]
        );
        assert_eq!(
            allowed_transitions(Role::Supervisor, Closed, false),
            [Reopened]
        );
        assert_eq!(
            allowed_transitions(Role::Supervisor, New, false),
            [Triage, Closed]
        );
        // A closure request already waits: closing again is not offered.
        assert_eq!(
            allowed_transitions(Role::Caseworker, Active, true),
            [FollowUp]
        );
        // Roles the policy does not let transition cases get nothing, whatever the status.
        for role in [Role::Auditor, Role::Analyst, Role::Admin, Role::Landlord] {
            assert_eq!(allowed_transitions(role, Active, false), []);
        }
    }
}
