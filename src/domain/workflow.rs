//! The case status workflow (SPEC §4.1): one transition table and the closure rules.
//!
//! [`allowed_targets`] is the only place the table lives; the service asks [`check_transition`]
//! before it changes a row, and an illegal move becomes a 409 whose body lists the allowed targets.
//! Closing needs an outcome (§4.3). Closing a case with children involved, or with a legal deadline
//! still open, needs a supervisor: without one the check answers
//! [`TransitionEffect::NeedsSupervisorApproval`] and the service files a closure request instead of
//! closing. A supervisor approving that request calls the check again with
//! [`ClosureContext::approved_by_supervisor`] set.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::outcome::Outcome;
use super::text_enum::text_enum;

text_enum! {
    /// Where a case is in the social-services work.
    #[derive(Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum CaseStatus ("case status", UnknownCaseStatus) {
        /// Created by a person or an inbound notice; in the unit's triage queue until assigned.
        New => "new",
        /// Being assessed.
        Triage => "triage",
        /// Trying to reach the household.
        Outreach => "outreach",
        /// Working with the household.
        Active => "active",
        /// Work done, watching that it holds.
        FollowUp => "follow_up",
        /// Closed with an outcome.
        Closed => "closed",
        /// Opened again after closure (by hand, or by a new notice within 12 months).
        Reopened => "reopened",
    }
}

/// The transition table of SPEC §4.1: the statuses a case may move to from `from`.
pub const fn allowed_targets(from: CaseStatus) -> &'static [CaseStatus] {
    use CaseStatus::*;
    match from {
        New => &[Triage, Closed],
        Triage => &[Outreach, Active, Closed],
        Outreach => &[Active, Closed],
        Active => &[FollowUp, Closed],
        FollowUp => &[Active, Closed],
        Closed => &[Reopened],
        Reopened => &[Triage, Active],
    }
}

/// Whether the table allows `from → to` (closure rules not considered).
pub fn is_allowed(from: CaseStatus, to: CaseStatus) -> bool {
    allowed_targets(from).contains(&to)
}

/// What the service knows when it asks for a transition. Only read when the target is
/// [`CaseStatus::Closed`]; other transitions ignore it (use `ClosureContext::default()`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClosureContext {
    /// The outcome requested with this transition (not the case's stored one).
    pub outcome: Option<Outcome>,
    /// The case's `children_involved` (derived from the household).
    pub children_involved: bool,
    /// The case has at least one legal deadline with status `open`.
    pub open_legal_deadline: bool,
    /// The actor is a supervisor approving this closure (a closure request).
    pub approved_by_supervisor: bool,
}

/// What the service should do with an allowed transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionEffect {
    /// Change the status now.
    Apply,
    /// Do not close yet: file a closure request for a supervisor. The flags say why (both may hold).
    NeedsSupervisorApproval {
        /// The case has children involved.
        children_involved: bool,
        /// The case has an open legal deadline.
        open_legal_deadline: bool,
    },
}

/// Why a transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionError {
    /// `from → to` is not in the table (409; put `allowed` in the problem body).
    NotAllowed {
        /// The case's current status.
        from: CaseStatus,
        /// The status asked for.
        to: CaseStatus,
        /// The statuses the case may move to, from [`allowed_targets`].
        allowed: &'static [CaseStatus],
    },
    /// Closing without an outcome (§4.3).
    OutcomeRequired,
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransitionError::NotAllowed { from, to, allowed } => {
                write!(f, "a case cannot move from {from} to {to}; allowed: ")?;
                write_list(f, allowed)
            }
            TransitionError::OutcomeRequired => f.write_str("closing a case requires an outcome"),
        }
    }
}

impl std::error::Error for TransitionError {}

/// Check `from → to` against the table and the closure rules.
///
/// The table is checked first, so an illegal move is always [`TransitionError::NotAllowed`]
/// whatever the context says.
pub fn check_transition(
    from: CaseStatus,
    to: CaseStatus,
    ctx: &ClosureContext,
) -> Result<TransitionEffect, TransitionError> {
    if !is_allowed(from, to) {
        return Err(TransitionError::NotAllowed {
            from,
            to,
            allowed: allowed_targets(from),
        });
    }
    if to != CaseStatus::Closed {
        return Ok(TransitionEffect::Apply);
    }
    if ctx.outcome.is_none() {
        return Err(TransitionError::OutcomeRequired);
    }
    let needs_supervisor = ctx.children_involved || ctx.open_legal_deadline;
    if needs_supervisor && !ctx.approved_by_supervisor {
        return Ok(TransitionEffect::NeedsSupervisorApproval {
            children_involved: ctx.children_involved,
            open_legal_deadline: ctx.open_legal_deadline,
        });
    }
    Ok(TransitionEffect::Apply)
}

fn write_list(f: &mut fmt::Formatter<'_>, statuses: &[CaseStatus]) -> fmt::Result {
    if statuses.is_empty() {
        return f.write_str("none");
    }
    for (i, status) in statuses.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_str(status.as_str())?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;
