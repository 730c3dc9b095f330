//! A computed deadline's status on a day: void when the ledger no longer produces it, the
//! cycle's state for the reinstatement period, reminders met once passed.

use chrono::NaiveDate;

use super::{Deadline, DeadlineKind, DeadlineStatus, NoticeFacts, deadlines_for};
use crate::domain::cycles::{self, Flag};

/// The status of `deadline` on `today`, with no arrears total known.
pub fn deadline_status(
    deadline: &Deadline,
    notices: &[NoticeFacts],
    today: NaiveDate,
) -> DeadlineStatus {
    deadline_state(deadline, notices, None, today).status
}

/// A deadline's status, flags and the sum paid towards its cycle, on a day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeadlineState {
    pub status: DeadlineStatus,
    /// The deadline's static flags and its cycle's computed ones, sorted.
    pub flags: Vec<Flag>,
    /// Reinstatement and commitment deadlines: the verified sum paid inside the period.
    pub paid: Option<i64>,
}

/// The state of `deadline` on `today`, given the case's notices now.
///
/// - `void`: the current notices no longer produce this deadline (same kind, due date, cycle,
///   readings and inputs), e.g. after a correction, a withdrawal or a reschedule;
/// - reinstatement end and rent commitment: from the cycle ([`cycles::state`]): `met`; `open`
///   while the period runs or may still run (`possibly_lapsed`); `missed` once lapsed;
/// - eviction alerts and informational dates: `met` once their day has passed;
/// - otherwise `missed` after the due date, else `open`.
pub fn deadline_state(
    deadline: &Deadline,
    notices: &[NoticeFacts],
    latest_arrears_total: Option<i64>,
    today: NaiveDate,
) -> DeadlineState {
    let still_produced = deadlines_for(notices, latest_arrears_total)
        .iter()
        .any(|d| same_deadline(d, deadline));
    let flags = deadline.flags.clone();
    if !still_produced {
        return DeadlineState {
            status: DeadlineStatus::Void,
            flags,
            paid: None,
        };
    }
    let passed = today > deadline.due_on;
    let status = match deadline.kind {
        DeadlineKind::ReinstatementEnd | DeadlineKind::RentCommitmentDue => {
            let cycle = cycles::cycles(notices, latest_arrears_total)
                .into_iter()
                .find(|c| Some(c.number) == deadline.cycle);
            if let Some(c) = cycle {
                let state = cycles::state(&c, notices, today);
                let status = match state.status {
                    cycles::CycleStatus::Met => DeadlineStatus::Met,
                    cycles::CycleStatus::ReinstatementLapsed => DeadlineStatus::Missed,
                    _ => DeadlineStatus::Open,
                };
                return DeadlineState {
                    status,
                    flags: state.flags,
                    paid: Some(state.paid),
                };
            }
            DeadlineStatus::Void
        }
        DeadlineKind::EvictionAlertT14
        | DeadlineKind::EvictionAlertT7
        | DeadlineKind::EvictionAlertT3
        | DeadlineKind::EvictionAlertT1
        | DeadlineKind::EarliestDecision
        | DeadlineKind::KfmExecutionTarget
            if passed =>
        {
            DeadlineStatus::Met
        }
        _ if passed => DeadlineStatus::Missed,
        _ => DeadlineStatus::Open,
    };
    DeadlineState {
        status,
        flags,
        paid: None,
    }
}

/// Whether two computed deadlines are the same one (a stored deadline is matched this way).
pub fn same_deadline(a: &Deadline, b: &Deadline) -> bool {
    let mut from = b.computed_from.clone();
    from.sort();
    from.dedup();
    a.kind == b.kind
        && a.due_on == b.due_on
        && a.computed_from == from
        && a.cycle == b.cycle
        && a.provisional == b.provisional
        && a.readings == b.readings
}
