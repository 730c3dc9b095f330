//! Legal deadlines computed from the notice ledger, rule set [`RULE_VERSION`] (`jb12_44_v1`).
//!
//! Pure functions over `chrono::NaiveDate` (calendar dates in Swedish time); no I/O. Every
//! [`Deadline`] carries the rule version and the sorted ids of the notices it was computed from, so
//! it can be reproduced. Superseded notices (named by another notice's `supersedes`) are ignored.
//! The output never depends on the order of the input.
//!
//! # Rules
//!
//! - **Reinstatement period** (återvinningsfrist, jordabalken 12 kap. 44 §): a tenant terminated
//!   for rent arrears keeps the flat if the rent is paid, or socialnämnden commits in writing to pay
//!   it, within three weeks from the later of (a) service (delgivning) of formulär 1 on the tenant,
//!   `termination_served.served_on`, and (b) the notice to socialnämnden (formulär 3),
//!   `social_notice_received.received_on`. The end is start + 21 days (lag (1930:173) 1 §: a period
//!   in weeks ends on the same weekday), moved to the next business day by lag (1930:173) 2 § when
//!   it falls on a Saturday, Sunday, public holiday, Midsummer Eve, Christmas Eve or New Year's Eve
//!   (see [`super::holidays`]). If either date is missing there is **no** reinstatement deadline:
//!   the period has not started (a `sent_on` without `served_on` is not service; formulär 1 must be
//!   delgiven, NJA 1988 s. 420). With several current notices of one kind the earliest date counts,
//!   which gives the earliest, safest end.
//! - **Cycles** (issue 12, [`super::cycles`]): the period above is computed per arrears cycle;
//!   each cycle's `reinstatement_end` has its own status. `due_on` is the earliest reading of the
//!   end (formulär 3 sent or received, a defective notice or its correction), every reading is
//!   listed in `readings`; without a service date the period is `provisional`. Payments meet it
//!   only when they cover the amount to reinstate, a commitment only once delivered in time.
//! - **Rent commitment** (förbindelse): must reach the landlord within the same period, so
//!   `rent_commitment_due` is the same day as `reinstatement_end`.
//! - **Informational dates** [U]: `earliest_decision` (third business day after the end, per
//!   cycle) and `kfm_execution_target` (order + 28 days, rule `ub16_3_v1`); flagged
//!   `informational` and `unsettled`. The forfeiture date ([`forfeiture_date`]) needs rent due
//!   dates, which the ledger does not hold yet.
//! - **Review of a Kronofogden order** (återvinning av utslag): one month from the order date, the
//!   same day number in the next month or that month's last day (lag (1930:173) 1 §), rolled forward
//!   like every statutory period (2 §). domain.md gives only "order date + 1 month"; the roll follows
//!   from 2 § applying to all statutory periods. The order date is the earliest of the notice's
//!   `sent_on`, `served_on`, `received_on` (the decision precedes its delivery). One deadline per
//!   current `kfm_order_issued` notice (debt and eviction are separate mål).
//! - **Eviction date**: the date part of `eviction_at` on the newest current `kfm_eviction_scheduled`
//!   (or `kfm_postponed` carrying a new `eviction_at`), newest by the earliest of its dates. A later
//!   or same-day `kfm_withdrawn`, or `kfm_postponed` without a new date, cancels it (an undated
//!   notice counts as the oldest); `kfm_executed` does not. Alerts at T-14, T-7, T-3 and T-1
//!   calendar days: internal reminders, not statutory periods, so they are not rolled.
//! - **Defects** (per notice of kind `termination_served` or `social_notice_received`):
//!   `material_defect` when `amount_to_reinstate` differs from the latest arrears-report total (a
//!   wrong amount in the notice to socialnämnden made the eviction fail in RH 1995:34); the amount is
//!   not compared when either is missing (`amount_checked == false`). `minor_defect` when a
//!   `social_notice_received` lacks the flat size: formulär 3 asks for it, but NJA 1985 s. 586 held
//!   the notice valid without it. Formulär 1 has no flat size, so no minor defect there.
//! - **Both readings** of a material defect ([`ReinstatementReadings`]): "defective notices valid"
//!   counts materially defective notices from their own date even when a correction superseded
//!   them (the Supreme Court's approach to the incomplete first notice in NJA 1985 s. 586; in
//!   domain.md §1.8 the end stays 2025-05-07); "defective notices invalid" ignores them, so the
//!   period runs from the correction (2025-05-16) or has not started (`None`). The primary
//!   [`Deadline`] follows the ledger: current notices count, corrections replace what they
//!   supersede. The social worker or a lawyer decides; the earlier date is the safe one to act on,
//!   so the deadline's `due_on` is the earlier reading (issue 12 item 4).
//!
//! # Open legal questions this code does not decide (domain.md §1.9 and its `[U]` marks)
//!
//! 1. The current wording of JB 12:44: whether the notice to socialnämnden counts when sent or when
//!    received (this code uses `received_on`, as the SPEC says; "sent" would give an earlier end),
//!    and any "earliest eviction decision on the third weekday after the period" rule (not computed).
//! 2. The full field list of formulär 3 (SFS 1978:314): whether further missing fields are defects.
//! 3. Förklaringstid in avhysning cases and UB 16 kap. (the "within 4 weeks" target): not computed.
//! 4. New SoL (2025:400) numbering and the social-services data act: outside this module.
//! 5. Sharing outcomes with landlords without consent: outside this module.
//!
//! Also undecided: whether a re-sent corrected notice restarts the period (hence both readings);
//! whether the amount should be compared with the arrears as of the notice date rather than the
//! latest report (in RH 1995:34 a part payment the day before made the stated amount wrong; a payment
//! after the notice will flag it here); whether day 7 of forfeiture is inclusive; the illness
//! exception of JB 12:44; bostadsrätt periods; whether a commitment "before" the end (SPEC) means on
//! or before it (this code: on or before, as "within three weeks" includes the last day).

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate, NaiveDateTime};

use super::cycles::{self, Flag, Reading};
use super::text_enum::text_enum;

mod dates;
mod defects;
mod status;

pub use dates::{earliest_decision, forfeiture_date, order_review_end, reinstatement_end};
pub use defects::{Defect, NoticeAssessment, ReinstatementReadings, assess};
pub use status::{DeadlineState, deadline_state, deadline_status, same_deadline};

/// The version of these rules; stored with every computed deadline.
pub const RULE_VERSION: &str = "jb12_44_v1";
/// The rule version of Kronofogden's four-week execution target (UB 16:3) [U].
pub const KFM_TARGET_RULE_VERSION: &str = "ub16_3_v1";
/// "If possible within four weeks" (UB 16:3).
pub const KFM_TARGET_DAYS: u64 = 28;
/// The reinstatement period, three weeks (JB 12:44).
pub const REINSTATEMENT_PERIOD_DAYS: u64 = 21;

text_enum! {
    /// Notice kinds: the legal-track events of SPEC §4.2.
    #[derive(PartialOrd, Ord)]
    pub enum NoticeKind ("notice kind", UnknownNoticeKind) {
        /// The landlord reports arrears.
        ArrearsReported => "arrears_reported",
        /// Uppsägning + formulär 1 served on the tenant.
        TerminationServed => "termination_served",
        /// Formulär 3 received by socialnämnden.
        SocialNoticeReceived => "social_notice_received",
        /// The landlord confirms payment.
        PaymentConfirmed => "payment_confirmed",
        /// Socialnämnden's written commitment to pay the rent (förbindelse).
        RentCommitmentIssued => "rent_commitment_issued",
        /// Kronofogden received an application.
        KfmApplicationReceived => "kfm_application_received",
        /// Kronofogden's decision (utslag).
        KfmOrderIssued => "kfm_order_issued",
        /// Kronofogden scheduled the eviction (`eviction_at`).
        KfmEvictionScheduled => "kfm_eviction_scheduled",
        /// The eviction was postponed (with a new `eviction_at` when known).
        KfmPostponed => "kfm_postponed",
        /// The landlord withdrew the application.
        KfmWithdrawn => "kfm_withdrawn",
        /// Kronofogden carried out (or closed) the eviction.
        KfmExecuted => "kfm_executed",
    }
}

text_enum! {
    /// What a computed deadline is about.
    #[derive(PartialOrd, Ord)]
    pub enum DeadlineKind ("deadline kind", UnknownDeadlineKind) {
        /// Last day to pay and win back the lease (återvinningsfrist).
        ReinstatementEnd => "reinstatement_end",
        /// Last day for socialnämnden's rent commitment to reach the landlord.
        RentCommitmentDue => "rent_commitment_due",
        /// Last day for the tenant to apply for review of a Kronofogden order.
        KfmOrderReviewEnd => "kfm_order_review_end",
        /// The scheduled eviction.
        EvictionDate => "eviction_date",
        /// 14 days before the eviction.
        EvictionAlertT14 => "eviction_alert_t14",
        /// 7 days before the eviction.
        EvictionAlertT7 => "eviction_alert_t7",
        /// 3 days before the eviction.
        EvictionAlertT3 => "eviction_alert_t3",
        /// 1 day before the eviction.
        EvictionAlertT1 => "eviction_alert_t1",
        /// Informational [U]: the third weekday after the reinstatement end, the earliest day
        /// an eviction may reportedly be decided (domain.md §1.3).
        EarliestDecision => "earliest_decision",
        /// Informational [U]: Kronofogden's target, "if possible within four weeks" of the
        /// enforcement request (UB 16:3); counted from the order (utslag).
        KfmExecutionTarget => "kfm_execution_target",
    }
}

text_enum! {
    /// How serious a notice's defects are; ordered from none to material.
    #[derive(PartialOrd, Ord)]
    pub enum DefectGrade ("defect grade", UnknownDefectGrade) {
        /// Nothing found.
        NoDefect => "none",
        /// A missing field that does not invalidate the notice (NJA 1985 s. 586).
        MinorDefect => "minor_defect",
        /// The period may not have started (RH 1995:34).
        MaterialDefect => "material_defect",
    }
}

text_enum! {
    /// A deadline's status (SPEC §3).
    #[derive(PartialOrd, Ord)]
    pub enum DeadlineStatus ("deadline status", UnknownDeadlineStatus) {
        /// Not yet due, nothing recorded that meets it.
        Open => "open",
        /// A recorded event meets it, or (alerts) its day has passed.
        Met => "met",
        /// Its day passed without a recorded event that meets it.
        Missed => "missed",
        /// The current notices no longer produce it (superseded input, withdrawal, reschedule).
        Void => "void",
    }
}

/// The facts of one notice that the rules read. Dates are Swedish calendar dates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NoticeFacts {
    /// The notice id (a UUID string in kvar).
    pub id: String,
    /// What happened.
    pub kind: NoticeKind,
    /// When the sender sent it.
    pub sent_on: Option<NaiveDate>,
    /// When it was served (delgiven) on the recipient.
    pub served_on: Option<NaiveDate>,
    /// When the recipient received it.
    pub received_on: Option<NaiveDate>,
    /// The scheduled eviction, in Swedish local time; only the date is used.
    pub eviction_at: Option<NaiveDateTime>,
    /// The amount the notice says the tenant must pay to win back the lease, in öre.
    pub amount_to_reinstate: Option<i64>,
    /// The flat size stated in the notice, in whole m²; only its presence is checked.
    pub apartment_size_m2: Option<u32>,
    /// The id of the notice this one corrects; that notice is then ignored.
    pub supersedes: Option<String>,
    /// `payment_confirmed`: the amount paid, in the same unit as `amount_to_reinstate`.
    pub amount_paid: Option<i64>,
    /// `rent_commitment_issued`: the day the commitment reached the landlord.
    pub delivered_on: Option<NaiveDate>,
}

impl NoticeFacts {
    /// A notice with only an id and a kind; set the other fields with struct-update syntax.
    pub fn new(id: impl Into<String>, kind: NoticeKind) -> Self {
        Self {
            id: id.into(),
            kind,
            sent_on: None,
            served_on: None,
            received_on: None,
            eviction_at: None,
            amount_to_reinstate: None,
            apartment_size_m2: None,
            supersedes: None,
            amount_paid: None,
            delivered_on: None,
        }
    }

    /// The earliest recorded date: when the event itself happened at the latest.
    pub fn first_date(&self) -> Option<NaiveDate> {
        [self.sent_on, self.served_on, self.received_on]
            .into_iter()
            .flatten()
            .min()
    }

    /// The latest recorded date: by then it had certainly reached its recipient.
    pub fn last_date(&self) -> Option<NaiveDate> {
        [self.sent_on, self.served_on, self.received_on]
            .into_iter()
            .flatten()
            .max()
    }
}

/// One computed deadline.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Deadline {
    /// What it is about.
    pub kind: DeadlineKind,
    /// The last day (inclusive), after any roll-forward.
    pub due_on: NaiveDate,
    /// The rule set that computed it ([`RULE_VERSION`]).
    pub rule_version: String,
    /// The ids of the notices it was computed from, sorted and without duplicates.
    pub computed_from: Vec<String>,
    /// The arrears cycle it belongs to (1-based), when it belongs to one.
    pub cycle: Option<u32>,
    /// Computed without the service date; replaced when it arrives.
    pub provisional: bool,
    /// Every reading of the date (reinstatement period); `due_on` is the earliest.
    pub readings: Vec<Reading>,
    /// Static flags: repeat, unsettled, provisional, informational.
    pub flags: Vec<Flag>,
}

/// Everything computed from one case's notices.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Computation {
    /// [`RULE_VERSION`].
    pub rule_version: &'static str,
    /// Sorted by due date, then kind.
    pub deadlines: Vec<Deadline>,
    /// One per input notice, sorted by notice id.
    pub assessments: Vec<NoticeAssessment>,
    /// Present when a materially defective notice bears on the reinstatement period.
    pub reinstatement_readings: Option<ReinstatementReadings>,
}

/// Computes the deadlines, the defect grading and the readings for one case's notices.
/// `latest_arrears_total` is the landlord's latest arrears-report total in öre.
pub fn compute(notices: &[NoticeFacts], latest_arrears_total: Option<i64>) -> Computation {
    let superseded = superseded_ids(notices);
    let mut assessments: Vec<NoticeAssessment> = notices
        .iter()
        .map(|n| assess(n, latest_arrears_total, superseded.contains(n.id.as_str())))
        .collect();
    assessments.sort();
    let material: BTreeSet<&str> = assessments
        .iter()
        .filter(|a| a.grade == DefectGrade::MaterialDefect)
        .map(|a| a.notice_id.as_str())
        .collect();
    let reinstatement_readings = (!material.is_empty()).then(|| {
        let current = |n: &NoticeFacts| !superseded.contains(n.id.as_str());
        let defective = |n: &NoticeFacts| material.contains(n.id.as_str());
        let end = |start: Option<(NaiveDate, [&str; 2])>| reinstatement_end(start?.0);
        ReinstatementReadings {
            defective_notice_ids: material.iter().map(|id| (*id).to_owned()).collect(),
            if_defective_notices_valid: end(reinstatement_start(notices, |n| {
                current(n) || defective(n)
            })),
            if_defective_notices_invalid: end(reinstatement_start(notices, |n| {
                current(n) && !defective(n)
            })),
        }
    });
    Computation {
        rule_version: RULE_VERSION,
        deadlines: deadlines_for(notices, latest_arrears_total),
        assessments,
        reinstatement_readings,
    }
}

/// The deadlines with no arrears total known (no notice is then materially defective).
pub fn compute_deadlines(notices: &[NoticeFacts]) -> Vec<Deadline> {
    deadlines_for(notices, None)
}

/// The deadlines, sorted by due date, then kind. The arrears total only decides which superseded
/// notices are materially defective (and so still give a reading).
pub fn deadlines_for(notices: &[NoticeFacts], latest_arrears_total: Option<i64>) -> Vec<Deadline> {
    let superseded = superseded_ids(notices);
    let current: Vec<&NoticeFacts> = notices
        .iter()
        .filter(|n| !superseded.contains(n.id.as_str()))
        .collect();
    let cycles = cycles::cycles(notices, latest_arrears_total);
    let mut out = Vec::new();
    for c in &cycles {
        let Some(period) = &c.period else { continue };
        let from = c.computed_from();
        let ids: Vec<&str> = from.iter().map(String::as_str).collect();
        for kind in [
            DeadlineKind::ReinstatementEnd,
            DeadlineKind::RentCommitmentDue,
        ] {
            out.push(Deadline {
                provisional: period.provisional,
                readings: period.readings.clone(),
                ..deadline(kind, period.due_on, &ids, Some(c.number), c.flags())
            });
        }
        if let Some(day) = earliest_decision(period.due_on) {
            let flags = vec![Flag::Informational, Flag::Unsettled];
            let info = deadline(
                DeadlineKind::EarliestDecision,
                day,
                &ids,
                Some(c.number),
                flags,
            );
            out.push(info);
        }
    }
    let mut push = |kind, due_on, ids: &[&str], on: Option<NaiveDate>, flags| {
        let cycle = cycles::cycle_at(&cycles, on);
        out.push(deadline(kind, due_on, ids, cycle, flags));
    };

    for order in current
        .iter()
        .filter(|n| n.kind == NoticeKind::KfmOrderIssued)
    {
        let on = order.first_date();
        if let Some(due) = on.and_then(order_review_end) {
            push(
                DeadlineKind::KfmOrderReviewEnd,
                due,
                &[order.id.as_str()],
                on,
                Vec::new(),
            );
        }
        if let Some(due) = on.and_then(|d| d.checked_add_days(Days::new(KFM_TARGET_DAYS))) {
            push(
                DeadlineKind::KfmExecutionTarget,
                due,
                &[order.id.as_str()],
                on,
                vec![Flag::Informational, Flag::Unsettled],
            );
        }
    }

    if let Some((eviction, id)) = current_eviction(&current) {
        let on = current
            .iter()
            .find(|n| n.id == id)
            .and_then(|n| n.first_date());
        push(DeadlineKind::EvictionDate, eviction, &[id], on, Vec::new());
        for (kind, days) in [
            (DeadlineKind::EvictionAlertT14, 14),
            (DeadlineKind::EvictionAlertT7, 7),
            (DeadlineKind::EvictionAlertT3, 3),
            (DeadlineKind::EvictionAlertT1, 1),
        ] {
            if let Some(alert) = eviction.checked_sub_days(Days::new(days)) {
                push(kind, alert, &[id], on, Vec::new());
            }
        }
    }

    out.sort_by(|a, b| {
        (a.due_on, a.kind, &a.computed_from).cmp(&(b.due_on, b.kind, &b.computed_from))
    });
    out
}

fn deadline(
    kind: DeadlineKind,
    due_on: NaiveDate,
    ids: &[&str],
    cycle: Option<u32>,
    flags: Vec<Flag>,
) -> Deadline {
    let mut computed_from: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
    computed_from.sort();
    computed_from.dedup();
    let rule_version = match kind {
        DeadlineKind::KfmExecutionTarget => KFM_TARGET_RULE_VERSION,
        _ => RULE_VERSION,
    };
    Deadline {
        kind,
        due_on,
        rule_version: rule_version.to_owned(),
        computed_from,
        cycle,
        provisional: false,
        readings: Vec::new(),
        flags,
    }
}

/// Ids named by some notice's `supersedes`.
fn superseded_ids(notices: &[NoticeFacts]) -> BTreeSet<&str> {
    notices
        .iter()
        .filter_map(|n| n.supersedes.as_deref())
        .collect()
}

/// The period start (the later of the earliest service and the earliest social notice among the
/// notices `counts` accepts) and the two notices that set it.
fn reinstatement_start(
    notices: &[NoticeFacts],
    counts: impl Fn(&NoticeFacts) -> bool,
) -> Option<(NaiveDate, [&str; 2])> {
    let earliest = |kind: NoticeKind, date: fn(&NoticeFacts) -> Option<NaiveDate>| {
        notices
            .iter()
            .filter(|n| n.kind == kind && counts(n))
            .filter_map(|n| Some((date(n)?, n.id.as_str())))
            .min()
    };
    let served = earliest(NoticeKind::TerminationServed, |n| n.served_on)?;
    let social = earliest(NoticeKind::SocialNoticeReceived, |n| n.received_on)?;
    Some((served.0.max(social.0), [served.1, social.1]))
}

/// The scheduled eviction date and the notice that set it, unless cancelled.
fn current_eviction<'a>(current: &[&'a NoticeFacts]) -> Option<(NaiveDate, &'a str)> {
    let schedule = current
        .iter()
        .filter(|n| {
            matches!(
                n.kind,
                NoticeKind::KfmEvictionScheduled | NoticeKind::KfmPostponed
            )
        })
        .filter_map(|n| {
            Some((
                n.first_date(),
                std::cmp::Reverse(n.eviction_at?),
                std::cmp::Reverse(n.id.as_str()),
            ))
        })
        .max()?;
    let cancelled = current.iter().any(|n| {
        let cancels = n.kind == NoticeKind::KfmWithdrawn
            || (n.kind == NoticeKind::KfmPostponed && n.eviction_at.is_none());
        cancels && n.first_date() >= schedule.0
    });
    (!cancelled).then_some((schedule.1.0.date(), schedule.2.0))
}

#[cfg(test)]
mod tests;
