//! Arrears cycles: each termination for arrears opens a cycle with its own reinstatement period,
//! payments, commitment and outcome (SPEC §4.6). Pure; the output never depends on input order.
//!
//! # Rules (`jb12_44_v1`)
//!
//! - **Openers.** Every current `termination_served` opens a cycle. A `kfm_application_received`
//!   counts as the termination (domain.md §1.2 step 4), so it opens a cycle too, unless it follows
//!   a termination whose cycle is still unresolved (then it is that cycle's next step, not a new
//!   one). A cycle's date is the opener's `sent_on` (else its earliest date).
//! - **Formulär 3 belongs** to the latest opener sent on or before the notice's *earliest* date
//!   (sent, served or received), unless that cycle had already been met by then (the notice is
//!   about new arrears); else to the next opener when the notice came first; else it opens a
//!   cycle of its own, without a termination (a provisional one, see below), until a later
//!   termination is registered, which adopts it.
//! - **Readings.** Each formulär 3 in the cycle gives a reading per recorded date (`received_on`,
//!   and `sent_on`, which may be the date that counts, domain.md §1.9 q1): the end of three weeks
//!   from the later of the service date and that date, rolled forward. A materially defective
//!   notice superseded by its correction still gives its reading (it may be the one that counts).
//!   `due_on` is the earliest reading (the safest date to act by); `latest` the latest.
//! - **Provisional.** Without a known service date (no opener, or an opener without `served_on`)
//!   the readings run from the formulär 3 dates alone: the earliest the period can end. They are
//!   marked provisional and replaced once the service date is registered.
//! - **Payments** (`payment_confirmed`, its latest date counts) made from the cycle's date until the
//!   period's latest end add up; they meet the cycle only when they cover its amount to reinstate
//!   (the highest stated on its current notices). A payment without `amount_paid` is
//!   `payment_reported_unverified`; an amount short by 1 kr is `partial_payment`.
//! - **Rent commitment** (`rent_commitment_issued`) meets the cycle only with a `delivered_on` on or
//!   before `due_on`; delivered by the latest reading it is `possibly_late`, after it `late`.
//! - **Status** on `today`: `met`; else `open` until `due_on`, `possibly_lapsed` until the latest
//!   reading, then `reinstatement_lapsed`. A period covered only by the latest reading is `met`
//!   with `possibly_late`.
//! - **Repeat.** A cycle opened within 12 months of the previous one is flagged `repeat` and
//!   `unsettled` [U]: whether repeated late payment bars reinstatement is for the court.

use std::collections::BTreeSet;

use chrono::{Months, NaiveDate};

use super::deadlines::{DefectGrade, NoticeFacts, NoticeKind, assess, reinstatement_end};
use super::text_enum::text_enum;

text_enum! {
    /// Which date a reading of a period's end was computed from.
    #[derive(PartialOrd, Ord)]
    pub enum ReadingRule ("reading rule", UnknownReadingRule) {
        /// Service and formulär 3 received (SPEC §4.4).
        Formular3Received => "formular3_received",
        /// Service and formulär 3 sent (if the sending counts, domain.md §1.9 q1).
        Formular3Sent => "formular3_sent",
        /// No service date known: formulär 3 received + 21 days.
        ProvisionalFormular3Received => "provisional_formular3_received",
        /// No service date known: formulär 3 sent + 21 days.
        ProvisionalFormular3Sent => "provisional_formular3_sent",
    }
}

text_enum! {
    /// Signals carried by a cycle and its deadlines.
    #[derive(PartialOrd, Ord)]
    pub enum Flag ("flag", UnknownFlag) {
        /// Opened within 12 months of the previous cycle.
        Repeat => "repeat",
        /// The rule is not settled law (research `[U]`).
        Unsettled => "unsettled",
        /// Computed without the service date.
        Provisional => "provisional",
        /// Payments recorded, but short of the amount to reinstate.
        PartialPayment => "partial_payment",
        /// A payment reported without an amount.
        PaymentReportedUnverified => "payment_reported_unverified",
        /// Payments recorded, but the cycle's amount to reinstate is unknown.
        AmountToReinstateUnknown => "amount_to_reinstate_unknown",
        /// Met only under the latest reading of the end.
        PossiblyLate => "possibly_late",
        /// A commitment delivered after the latest reading.
        Late => "late",
        /// A commitment issued without a delivery date.
        CommitmentNotDelivered => "commitment_not_delivered",
        /// Past the earliest reading, not past the latest: keep acting.
        PossiblyLapsed => "possibly_lapsed",
        /// A date for information, not a statutory period.
        Informational => "informational",
    }
}

text_enum! {
    /// A cycle's status on a given day.
    #[derive(PartialOrd, Ord)]
    pub enum CycleStatus ("cycle status", UnknownCycleStatus) {
        /// Termination known, no formulär 3 yet: the period has not started.
        Pending => "pending",
        /// The period runs.
        Open => "open",
        /// Paid in full, or a commitment delivered, in time.
        Met => "met",
        /// Past the earliest reading of the end, not the latest.
        PossiblyLapsed => "possibly_lapsed",
        /// Past the latest reading, unmet.
        ReinstatementLapsed => "reinstatement_lapsed",
    }
}

text_enum! {
    /// What met a cycle.
    #[derive(PartialOrd, Ord)]
    pub enum MetBy ("met by", UnknownMetBy) {
        /// Payments covering the amount to reinstate.
        Payment => "payment",
        /// Socialnämnden's commitment, delivered.
        RentCommitment => "rent_commitment",
    }
}

/// One reading of a period's end.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reading {
    /// The end under this reading, rolled forward.
    pub due_on: NaiveDate,
    /// Which dates it was computed from.
    pub rule: ReadingRule,
    /// The formulär 3 it comes from.
    pub notice_id: String,
}

/// A cycle's reinstatement period.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Period {
    /// The earliest reading.
    pub due_on: NaiveDate,
    /// The latest reading.
    pub latest: NaiveDate,
    /// No service date known.
    pub provisional: bool,
    /// Every reading, sorted by date, rule, notice.
    pub readings: Vec<Reading>,
}

/// One arrears cycle.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cycle {
    /// 1-based, in date order.
    pub number: u32,
    /// The termination or Kronofogden application; `None` when only formulär 3 is known.
    pub opened_by: Option<String>,
    /// The opener's `sent_on` (or earliest date); the formulär 3 date without one.
    pub opened_on: NaiveDate,
    /// The next cycle's date: payments and commitments from then on belong to it.
    pub until: Option<NaiveDate>,
    /// Further terminations of the same cycle (served again before its period ended), sorted.
    pub also_terminations: Vec<String>,
    /// The formulär 3 notices that belong to it (superseded defective ones included), sorted.
    pub social_notice_ids: Vec<String>,
    /// The highest amount to reinstate on its current notices (whole kronor).
    pub amount_to_reinstate: Option<i64>,
    /// Opened within 12 months of the previous cycle.
    pub repeat: bool,
    /// `None` until a formulär 3 belongs to it.
    pub period: Option<Period>,
}

impl Cycle {
    /// The notices it was computed from: opener and formulär 3, sorted.
    pub fn computed_from(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.opened_by.iter().cloned().collect();
        ids.extend(self.also_terminations.iter().cloned());
        ids.extend(self.social_notice_ids.iter().cloned());
        ids.sort();
        ids.dedup();
        ids
    }

    /// Static flags (not depending on today or on payments).
    pub fn flags(&self) -> Vec<Flag> {
        let mut f = Vec::new();
        if self.repeat {
            f.extend([Flag::Repeat, Flag::Unsettled]);
        }
        if self.period.as_ref().is_some_and(|p| p.provisional) {
            f.push(Flag::Provisional);
        }
        f
    }
}

/// A cycle's state on a day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CycleState {
    pub status: CycleStatus,
    pub met_by: Option<MetBy>,
    /// Static and computed flags, sorted.
    pub flags: Vec<Flag>,
    /// Sum of the verified payments counted for the cycle (whole kronor).
    pub paid: i64,
}

fn opener_date(n: &NoticeFacts) -> Option<NaiveDate> {
    n.sent_on.or_else(|| n.first_date())
}

struct Draft<'a> {
    opener: Option<&'a NoticeFacts>,
    /// Further terminations served while the cycle was unresolved (re-service, duplicates).
    also: Vec<&'a NoticeFacts>,
    opened_on: NaiveDate,
    socials: Vec<&'a NoticeFacts>,
}

/// The cycles of a case's notices, in date order. `latest_arrears_total` grades defects.
pub fn cycles<'a>(notices: &'a [NoticeFacts], latest_arrears_total: Option<i64>) -> Vec<Cycle> {
    let mut sorted: Vec<&'a NoticeFacts> = notices.iter().collect();
    sorted.sort();
    let superseded: BTreeSet<&str> = sorted
        .iter()
        .filter_map(|n| n.supersedes.as_deref())
        .collect();
    let current = |n: &NoticeFacts| !superseded.contains(n.id.as_str());
    let counts = |n: &NoticeFacts| {
        current(n) || assess(n, latest_arrears_total, true).grade == DefectGrade::MaterialDefect
    };
    // Openers before formulär 3 on the same day: the notice then belongs to that termination.
    let mut events: Vec<(NaiveDate, u8, &NoticeFacts)> = sorted
        .iter()
        .filter_map(|n| match n.kind {
            NoticeKind::TerminationServed | NoticeKind::KfmApplicationReceived if current(n) => {
                Some((opener_date(n)?, 0, *n))
            }
            NoticeKind::SocialNoticeReceived if counts(n) => Some((n.first_date()?, 1, *n)),
            _ => None,
        })
        .collect();
    events.sort_by(|a, b| (a.0, a.1, &a.2.id).cmp(&(b.0, b.1, &b.2.id)));
    let mut drafts: Vec<Draft> = Vec::new();
    // Formulär 3 that came before any opener that could take it.
    let mut pending: Vec<&NoticeFacts> = Vec::new();
    let provisional = |socials: Vec<&'a NoticeFacts>| Draft {
        opener: None,
        also: Vec::new(),
        opened_on: socials
            .iter()
            .filter_map(|n| n.first_date())
            .min()
            .unwrap_or(NaiveDate::MIN),
        socials,
    };
    // Waiting formulär 3 already met by `date` are a cycle of their own: what follows is new.
    let close_if_met = |pending: &mut Vec<&'a NoticeFacts>, drafts: &mut Vec<Draft<'a>>, date| {
        if !pending.is_empty() && met_by(&provisional(pending.clone()), &sorted, &current, date) {
            drafts.push(provisional(std::mem::take(pending)));
        }
    };
    for (date, rank, n) in events {
        if rank == 1 {
            match drafts.last_mut() {
                Some(d) if pending.is_empty() && !met_by(d, &sorted, &current, date) => {
                    d.socials.push(n)
                }
                _ => {
                    close_if_met(&mut pending, &mut drafts, date);
                    pending.push(n)
                }
            }
            continue;
        }
        // A step of the cycle still running, not new arrears: a Kronofogden application after
        // an unresolved termination, or a termination served again before the period ended.
        let running = pending.is_empty()
            && drafts.last().is_some_and(|d| {
                !met_by(d, &sorted, &current, date)
                    && (n.kind == NoticeKind::KfmApplicationReceived
                        || period_of(d).is_none_or(|p| date <= p.latest))
            });
        if running {
            if let Some(d) = drafts.last_mut()
                && n.kind == NoticeKind::TerminationServed
            {
                d.also.push(n);
            }
            continue;
        }
        // A termination adopts the formulär 3 that came first (service often drags out; the
        // period runs from the later of the two dates anyway).
        close_if_met(&mut pending, &mut drafts, date);
        let socials = std::mem::take(&mut pending);
        drafts.push(Draft {
            opener: Some(n),
            also: Vec::new(),
            opened_on: date,
            socials,
        });
    }
    if !pending.is_empty() {
        drafts.push(provisional(pending));
    }
    drafts.sort_by_key(|d| (d.opened_on, d.opener.map(|o| o.id.clone())));
    let dates: Vec<NaiveDate> = drafts.iter().map(|d| d.opened_on).collect();
    drafts
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut ids: Vec<String> = d.socials.iter().map(|n| n.id.clone()).collect();
            ids.sort();
            let mut also: Vec<String> = d.also.iter().map(|n| n.id.clone()).collect();
            also.sort();
            Cycle {
                also_terminations: also,
                number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                opened_by: d.opener.map(|o| o.id.clone()),
                opened_on: d.opened_on,
                until: dates.get(i + 1).copied(),
                social_notice_ids: ids,
                amount_to_reinstate: amount_of(d, &current),
                repeat: i > 0
                    && dates[i - 1]
                        .checked_add_months(Months::new(12))
                        .is_some_and(|limit| d.opened_on < limit),
                period: period_of(d),
            }
        })
        .collect()
}

fn amount_of(d: &Draft, current: &dyn Fn(&NoticeFacts) -> bool) -> Option<i64> {
    d.opener
        .into_iter()
        .chain(d.also.iter().copied())
        .chain(d.socials.iter().copied())
        .filter(|n| current(n))
        .filter_map(|n| n.amount_to_reinstate)
        .max()
}

fn period_of(d: &Draft) -> Option<Period> {
    // With several terminations the earliest service counts (the earliest, safest end).
    let service = d
        .opener
        .into_iter()
        .chain(d.also.iter().copied())
        .filter_map(|o| o.served_on)
        .min();
    let mut readings: Vec<Reading> = d
        .socials
        .iter()
        .flat_map(|n| {
            let (recv, sent) = match service {
                Some(_) => (ReadingRule::Formular3Received, ReadingRule::Formular3Sent),
                None => (
                    ReadingRule::ProvisionalFormular3Received,
                    ReadingRule::ProvisionalFormular3Sent,
                ),
            };
            [(n.received_on, recv), (n.sent_on, sent)]
                .into_iter()
                .filter_map(move |(date, rule)| {
                    let date = date?;
                    let start = service.map_or(date, |s| s.max(date));
                    Some(Reading {
                        due_on: reinstatement_end(start)?,
                        rule,
                        notice_id: n.id.clone(),
                    })
                })
        })
        .collect();
    readings.sort();
    // The sent date adds a reading only where it gives another end than the received date.
    let received: BTreeSet<(NaiveDate, String)> = readings
        .iter()
        .filter(|r| {
            matches!(
                r.rule,
                ReadingRule::Formular3Received | ReadingRule::ProvisionalFormular3Received
            )
        })
        .map(|r| (r.due_on, r.notice_id.clone()))
        .collect();
    readings.retain(|r| {
        matches!(
            r.rule,
            ReadingRule::Formular3Received | ReadingRule::ProvisionalFormular3Received
        ) || !received.contains(&(r.due_on, r.notice_id.clone()))
    });
    Some(Period {
        due_on: readings.first()?.due_on,
        latest: readings.iter().map(|r| r.due_on).max()?,
        provisional: service.is_none(),
        readings,
    })
}

/// Whether the draft cycle was met on or before `day` (by payment or delivered commitment).
fn met_by(
    d: &Draft,
    notices: &[&NoticeFacts],
    current: &dyn Fn(&NoticeFacts) -> bool,
    day: NaiveDate,
) -> bool {
    let paid: i64 = notices
        .iter()
        .filter(|n| n.kind == NoticeKind::PaymentConfirmed && current(n))
        .filter(|n| n.last_date().is_some_and(|p| d.opened_on <= p && p <= day))
        .filter_map(|n| n.amount_paid)
        .sum();
    let paid_enough = amount_of(d, current).is_some_and(|a| paid >= a && paid > 0);
    let committed = notices.iter().any(|n| {
        n.kind == NoticeKind::RentCommitmentIssued
            && current(n)
            && n.delivered_on.is_some_and(|p| d.opened_on <= p && p <= day)
    });
    paid_enough || committed
}

/// The state of `cycle` on `today`, given the case's notices.
pub fn state(cycle: &Cycle, notices: &[NoticeFacts], today: NaiveDate) -> CycleState {
    let superseded: BTreeSet<&str> = notices
        .iter()
        .filter_map(|n| n.supersedes.as_deref())
        .collect();
    let mut flags: BTreeSet<Flag> = cycle.flags().into_iter().collect();
    let Some(period) = &cycle.period else {
        return CycleState {
            status: CycleStatus::Pending,
            met_by: None,
            flags: flags.into_iter().collect(),
            paid: 0,
        };
    };
    let inside = |date: NaiveDate| cycle.opened_on <= date && cycle.until.is_none_or(|u| date < u);
    let ours = |kind: NoticeKind| -> Vec<&NoticeFacts> {
        notices
            .iter()
            .filter(|n| {
                n.kind == kind
                    && !superseded.contains(n.id.as_str())
                    && n.first_date().or(n.delivered_on).is_some_and(inside)
            })
            .collect()
    };
    let (mut by_due, mut by_latest) = (0i64, 0i64);
    for p in ours(NoticeKind::PaymentConfirmed) {
        let (Some(on), Some(amount)) = (p.last_date(), p.amount_paid) else {
            flags.insert(Flag::PaymentReportedUnverified);
            continue;
        };
        if on <= period.due_on {
            by_due += amount;
        }
        if on <= period.latest {
            by_latest += amount;
        }
    }
    let covers = |sum: i64| cycle.amount_to_reinstate.is_some_and(|a| sum >= a);
    let mut delivered = Vec::new();
    for c in ours(NoticeKind::RentCommitmentIssued) {
        match c.delivered_on {
            Some(on) => delivered.push(on),
            None => {
                flags.insert(Flag::CommitmentNotDelivered);
            }
        }
    }
    let first_delivery = delivered.iter().min().copied();
    let met_by = if covers(by_due) {
        Some(MetBy::Payment)
    } else if first_delivery.is_some_and(|on| on <= period.due_on) {
        Some(MetBy::RentCommitment)
    } else if covers(by_latest) {
        flags.insert(Flag::PossiblyLate);
        Some(MetBy::Payment)
    } else if first_delivery.is_some_and(|on| on <= period.latest) {
        flags.insert(Flag::PossiblyLate);
        Some(MetBy::RentCommitment)
    } else {
        if first_delivery.is_some() {
            flags.insert(Flag::Late);
        }
        None
    };
    if met_by.is_none() && by_latest > 0 {
        flags.insert(match cycle.amount_to_reinstate {
            Some(_) => Flag::PartialPayment,
            None => Flag::AmountToReinstateUnknown,
        });
    }
    let status = match met_by {
        Some(_) => CycleStatus::Met,
        None if today <= period.due_on => CycleStatus::Open,
        None if today <= period.latest => {
            flags.insert(Flag::PossiblyLapsed);
            CycleStatus::PossiblyLapsed
        }
        None => CycleStatus::ReinstatementLapsed,
    };
    CycleState {
        status,
        met_by,
        flags: flags.into_iter().collect(),
        paid: by_latest,
    }
}

/// The number of the cycle a notice dated `on` falls in (the latest opened on or before it).
pub fn cycle_at(cycles: &[Cycle], on: Option<NaiveDate>) -> Option<u32> {
    let on = on?;
    cycles
        .iter()
        .rev()
        .find(|c| c.opened_on <= on)
        .map(|c| c.number)
}

#[cfg(test)]
mod tests;
