//! What one case contributes to the statistics, from its rows (pure). An event counts in the
//! month of the date it happened: a notice's first date (for Kronofogden's events, the day
//! `occurred_at` fell on in Sweden), a closure's closing day, a commitment's issue day.
//!
//! - Children affected by an executed eviction are the household's members who are minors on
//!   that day and have not moved out, by residence (a child without one is counted as living
//!   there permanently, so the three add up to the total).
//! - An eviction with children present counts as "without social services" unless social
//!   services were recorded as present (Kronofogden's figure is "not present").
//! - The first contact attempt after a formulär 3 is the earliest outreach letter, phone call or
//!   home visit on or after the day it was received; it counts before the reinstatement end
//!   when on or before the first reinstatement-end deadline falling on or after that day.
//! - A repeat signal is an arrears report or a termination within 12 months after a closure of
//!   the same case.
//! - An arrears cycle (`domain::cycles`) with a reinstatement period counts once it is decided,
//!   in the month of the period's latest reading (the day its end can last fall on): reinstated
//!   when met by payment or by a delivered rent commitment (`cycles::state`, `possibly_late`
//!   included); otherwise, once that day has passed, reinstated by payment plan when a payment
//!   plan (an intervention, not planned or cancelled) was recorded while the cycle ran (from its
//!   opening to the next cycle's), else lapsed. A payment plan is the landlord's agreement to keep
//!   the tenancy, not a reinstatement under JB 12:44; it is its own column. A cycle still running
//!   counts nowhere yet (the daily sweep refreshes a case when a period's latest reading passes).
//! - A municipal second-hand contract converted to first hand counts in the month of its
//!   conversion, and within 18 or 24 months when converted by then after its start; the
//!   household's first case carries its tenancies' conversions (so a household with several
//!   cases counts each conversion once).
//! - A rent commitment counts in the month it was issued, with its amount (summed, and a
//!   histogram by whole kronor for the median).

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};

use super::{CLOSED, Figure, month_of};
use crate::domain::cycles::{self, MetBy};
use crate::domain::deadlines::{NoticeFacts, NoticeKind};
use crate::domain::outcome::Outcome;

/// A current (not superseded) notice of the case.
#[derive(Debug, Clone, Default)]
pub struct NoticeFact {
    pub kind: Option<NoticeKind>,
    pub on: Option<NaiveDate>,
    pub execution_outcome: Option<String>,
    pub children_present: Option<bool>,
    pub social_services_present: Option<bool>,
    pub children_registered: Option<i32>,
    pub children_not_registered: Option<i32>,
}

/// A child of the household (relation `child`).
#[derive(Debug, Clone)]
pub struct Child {
    pub residence: Option<String>,
    pub minor_until: Option<NaiveDate>,
    pub moved_out_on: Option<NaiveDate>,
}

/// A closure of the case.
#[derive(Debug, Clone)]
pub struct Closure {
    pub on: NaiveDate,
    pub outcome: Option<Outcome>,
    pub homelessness_situation: Option<i32>,
}

/// Everything about one case the statistics read; no person ids, names or personnummer.
#[derive(Debug, Clone, Default)]
pub struct CaseRows {
    pub notices: Vec<NoticeFact>,
    pub children: Vec<Child>,
    /// Days of contact attempts (outreach letter, phone call, home visit).
    pub contacts: Vec<NaiveDate>,
    /// Due days of the case's reinstatement-end deadlines.
    pub reinstatement_ends: Vec<NaiveDate>,
    pub closures: Vec<Closure>,
    /// Approved rent commitments: (issue day, amount).
    pub commitments: Vec<(NaiveDate, i64)>,
    /// The case's decided arrears cycles ([`cycle_facts`]).
    pub cycles: Vec<CycleFact>,
    /// Conversions of the household's municipal second-hand contracts (first case only).
    pub conversions: Vec<Conversion>,
}

/// How a decided cycle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleOutcome {
    Paid,
    RentCommitment,
    PaymentPlan,
    Lapsed,
}

/// A decided arrears cycle: how it ended, counted on the period's latest reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleFact {
    pub on: NaiveDate,
    pub outcome: CycleOutcome,
}

/// A municipal second-hand contract that became first-hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conversion {
    pub start_on: Option<NaiveDate>,
    pub converted_on: NaiveDate,
}

/// The decided cycles of a case's notices on `today`; `payment_plans` are the days payment
/// plans were recorded.
pub fn cycle_facts(
    notices: &[NoticeFacts],
    arrears: Option<i64>,
    payment_plans: &[NaiveDate],
    today: NaiveDate,
) -> Vec<CycleFact> {
    cycles::cycles(notices, arrears)
        .iter()
        .filter_map(|c| {
            let period = c.period.as_ref()?;
            let outcome = match cycles::state(c, notices, today).met_by {
                Some(MetBy::Payment) => CycleOutcome::Paid,
                Some(MetBy::RentCommitment) => CycleOutcome::RentCommitment,
                None if today <= period.latest => return None,
                None if payment_plans
                    .iter()
                    .any(|d| c.opened_on <= *d && c.until.is_none_or(|u| *d < u)) =>
                {
                    CycleOutcome::PaymentPlan
                }
                None => CycleOutcome::Lapsed,
            };
            Some(CycleFact {
                on: period.latest,
                outcome,
            })
        })
        .collect()
}

/// One cell's worth: `value` of `figure` in the month starting `month` (`bucket`: the value
/// of a histogram figure, else 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fact {
    pub figure: Figure,
    pub month: NaiveDate,
    pub bucket: i32,
    pub value: i64,
}

/// The longest wait the histogram keeps apart; longer ones share this bucket.
pub const MAX_DAYS: i64 = 366;

#[derive(Default)]
struct Acc(BTreeMap<(&'static str, NaiveDate, i32), (Figure, i64)>);

impl Acc {
    fn add(&mut self, figure: Figure, on: NaiveDate, bucket: i32, value: i64) {
        if value != 0 {
            let key = (figure.as_str(), month_of(on), bucket);
            self.0.entry(key).or_insert((figure, 0)).1 += value;
        }
    }
}

/// The case's facts, one per (figure, month, bucket), sorted.
pub fn facts(rows: &CaseRows) -> Vec<Fact> {
    let mut acc = Acc::default();
    for n in &rows.notices {
        let (Some(kind), Some(on)) = (n.kind, n.on) else {
            continue;
        };
        match kind {
            NoticeKind::KfmApplicationReceived => acc.add(Figure::ApplicationsReceived, on, 0, 1),
            NoticeKind::KfmWithdrawn => acc.add(Figure::ApplicationsWithdrawn, on, 0, 1),
            NoticeKind::KfmExecuted => executed(&mut acc, rows, n, on),
            NoticeKind::SocialNoticeReceived => social_notice(&mut acc, rows, on),
            NoticeKind::ArrearsReported | NoticeKind::TerminationServed => {
                let repeat = rows.closures.iter().any(|c| {
                    c.on <= on
                        && c.on
                            .checked_add_months(Months::new(12))
                            .is_some_and(|e| on <= e)
                });
                if repeat {
                    acc.add(Figure::RepeatSignals12m, on, 0, 1);
                }
            }
            _ => {}
        }
    }
    for c in &rows.closures {
        acc.add(Figure::Closures, c.on, 0, 1);
        if let Some(i) = c
            .outcome
            .and_then(|o| Outcome::ALL.iter().position(|x| *x == o))
        {
            acc.add(CLOSED[i], c.on, 0, 1);
        }
        let situation = match c.homelessness_situation {
            Some(1) => Some(Figure::HomelessnessSituation1),
            Some(2) => Some(Figure::HomelessnessSituation2),
            Some(3) => Some(Figure::HomelessnessSituation3),
            Some(4) => Some(Figure::HomelessnessSituation4),
            _ => None,
        };
        if let Some(f) = situation {
            acc.add(f, c.on, 0, 1);
        }
    }
    for (on, amount) in &rows.commitments {
        acc.add(Figure::RentCommitmentsIssued, *on, 0, 1);
        acc.add(Figure::RentCommitmentAmount, *on, 0, *amount);
        let bucket = i32::try_from((*amount).max(0)).unwrap_or(i32::MAX);
        acc.add(Figure::RentCommitmentAmounts, *on, bucket, 1);
    }
    for c in &rows.cycles {
        let figure = match c.outcome {
            CycleOutcome::Paid => Figure::CyclesReinstatedPaid,
            CycleOutcome::RentCommitment => Figure::CyclesReinstatedRentCommitment,
            CycleOutcome::PaymentPlan => Figure::CyclesReinstatedPaymentPlan,
            CycleOutcome::Lapsed => Figure::CyclesLapsed,
        };
        if figure != Figure::CyclesLapsed {
            acc.add(Figure::CyclesReinstated, c.on, 0, 1);
        }
        acc.add(figure, c.on, 0, 1);
    }
    for c in &rows.conversions {
        let on = c.converted_on;
        acc.add(Figure::SecondHandConversions, on, 0, 1);
        let within = |months: u32| {
            c.start_on
                .and_then(|s| s.checked_add_months(Months::new(months)))
                .is_some_and(|limit| on <= limit)
        };
        if within(18) {
            acc.add(Figure::SecondHandConvertedWithin18m, on, 0, 1);
        }
        if within(24) {
            acc.add(Figure::SecondHandConvertedWithin24m, on, 0, 1);
        }
    }
    acc.0
        .into_iter()
        .map(|((_, month, bucket), (figure, value))| Fact {
            figure,
            month,
            bucket,
            value,
        })
        .collect()
}

fn executed(acc: &mut Acc, rows: &CaseRows, n: &NoticeFact, on: NaiveDate) {
    let figure = match n.execution_outcome.as_deref() {
        Some("abandoned") => Figure::EvictionsAbandoned,
        Some("moved_voluntarily") => Figure::EvictionsMovedVoluntarily,
        _ => Figure::EvictionsExecuted,
    };
    acc.add(figure, on, 0, 1);
    if figure != Figure::EvictionsExecuted {
        return;
    }
    let mut by_residence = [0i64; 3];
    for c in rows
        .children
        .iter()
        .filter(|c| c.minor_until.is_some_and(|m| m > on) && c.moved_out_on.is_none_or(|m| m > on))
    {
        let i = match c.residence.as_deref() {
            Some("alternating") => 1,
            Some("visiting") => 2,
            _ => 0,
        };
        by_residence[i] += 1;
    }
    let children: i64 = by_residence.iter().sum();
    let registered = i64::from(n.children_registered.unwrap_or(0).max(0));
    let not_registered = i64::from(n.children_not_registered.unwrap_or(0).max(0));
    let with_children =
        children > 0 || registered + not_registered > 0 || n.children_present == Some(true);
    if with_children {
        acc.add(Figure::EvictionsWithChildren, on, 0, 1);
    }
    acc.add(Figure::ChildrenAffected, on, 0, children);
    acc.add(Figure::ChildrenPermanent, on, 0, by_residence[0]);
    acc.add(Figure::ChildrenAlternating, on, 0, by_residence[1]);
    acc.add(Figure::ChildrenVisiting, on, 0, by_residence[2]);
    acc.add(Figure::ChildrenRegistered, on, 0, registered);
    acc.add(Figure::ChildrenNotRegistered, on, 0, not_registered);
    if n.children_present == Some(true) {
        acc.add(Figure::EvictionsChildrenPresent, on, 0, 1);
        let f = if n.social_services_present == Some(true) {
            Figure::EvictionsChildrenPresentWithSocialServices
        } else {
            Figure::EvictionsChildrenPresentWithoutSocialServices
        };
        acc.add(f, on, 0, 1);
    }
}

fn social_notice(acc: &mut Acc, rows: &CaseRows, on: NaiveDate) {
    acc.add(Figure::SocialNoticesReceived, on, 0, 1);
    let first_contact = rows.contacts.iter().filter(|c| **c >= on).min();
    if let Some(c) = first_contact {
        let days = (*c - on).num_days().clamp(0, MAX_DAYS);
        acc.add(Figure::DaysToFirstContact, on, days as i32, 1);
    }
    if let Some(end) = rows.reinstatement_ends.iter().filter(|e| **e >= on).min() {
        acc.add(Figure::ReinstatementPeriods, on, 0, 1);
        if first_contact.is_some_and(|c| c <= end) {
            acc.add(Figure::ContactedBeforeReinstatementEnd, on, 0, 1);
        }
    }
}

/// The change from `old` to `new` facts: what to add to the cells (negative to take away).
pub fn delta(old: &[Fact], new: &[Fact]) -> Vec<Fact> {
    let mut d: BTreeMap<(&'static str, NaiveDate, i32), (Figure, i64)> = BTreeMap::new();
    for (f, sign) in old
        .iter()
        .map(|f| (f, -1))
        .chain(new.iter().map(|f| (f, 1)))
    {
        d.entry((f.figure.as_str(), f.month, f.bucket))
            .or_insert((f.figure, 0))
            .1 += sign * f.value;
    }
    d.into_iter()
        .filter(|(_, (_, v))| *v != 0)
        .map(|((_, month, bucket), (figure, value))| Fact {
            figure,
            month,
            bucket,
            value,
        })
        .collect()
}

#[cfg(test)]
#[path = "facts_tests.rs"]
mod tests;
