//! The published statistics (SPEC §9, issue 15): the figures, the periods they are counted in,
//! and medians from stored histograms. [`facts`] turns one case's rows into what it
//! contributes; [`super::suppression`] decides what may be shown.

use chrono::{Datelike, Months, NaiveDate};

use super::text_enum::text_enum;

pub mod facts;

text_enum! {
    /// A figure kept in the statistics fact table. Counts are published under their name;
    /// `days_to_first_contact` is a histogram (bucket = days) published as a median; amounts
    /// are sums in whole kronor.
    pub enum Figure ("statistics figure", UnknownFigure) {
        // Kronofogden-comparable (domain research §1.4).
        ApplicationsReceived => "applications_received",
        ApplicationsWithdrawn => "applications_withdrawn",
        EvictionsExecuted => "evictions_executed",
        EvictionsAbandoned => "evictions_abandoned",
        EvictionsMovedVoluntarily => "evictions_moved_voluntarily",
        EvictionsWithChildren => "evictions_with_children",
        ChildrenAffected => "children_affected",
        ChildrenPermanent => "children_permanent",
        ChildrenAlternating => "children_alternating",
        ChildrenVisiting => "children_visiting",
        ChildrenRegistered => "children_registered",
        ChildrenNotRegistered => "children_not_registered",
        EvictionsChildrenPresent => "evictions_children_present",
        EvictionsChildrenPresentWithSocialServices => "evictions_children_present_with_social_services",
        EvictionsChildrenPresentWithoutSocialServices => "evictions_children_present_without_social_services",
        // Prevention (domain research §3.8).
        SocialNoticesReceived => "social_notices_received",
        DaysToFirstContact => "days_to_first_contact",
        ReinstatementPeriods => "reinstatement_periods",
        ContactedBeforeReinstatementEnd => "contacted_before_reinstatement_end",
        CyclesReinstated => "cycles_reinstated",
        CyclesReinstatedPaid => "cycles_reinstated_paid",
        CyclesReinstatedRentCommitment => "cycles_reinstated_rent_commitment",
        CyclesReinstatedPaymentPlan => "cycles_reinstated_payment_plan",
        CyclesLapsed => "cycles_lapsed",
        RentCommitmentsIssued => "rent_commitments_issued",
        RentCommitmentAmount => "rent_commitment_amount",
        /// Histogram (bucket = whole kronor), published as a median.
        RentCommitmentAmounts => "rent_commitment_amounts",
        RepeatSignals12m => "repeat_signals_12m",
        SecondHandConversions => "second_hand_conversions",
        SecondHandConvertedWithin18m => "second_hand_converted_within_18m",
        SecondHandConvertedWithin24m => "second_hand_converted_within_24m",
        Closures => "closures",
        ClosedRetainedPaid => "closed_retained_paid",
        ClosedRetainedPaymentPlan => "closed_retained_payment_plan",
        ClosedRetainedRentCommitment => "closed_retained_rent_commitment",
        ClosedMovedNewTenancy => "closed_moved_new_tenancy",
        ClosedMovedMunicipalContract => "closed_moved_municipal_contract",
        ClosedMovedFamilyFriends => "closed_moved_family_friends",
        ClosedEvictedHomeless => "closed_evicted_homeless",
        ClosedEvictedOther => "closed_evicted_other",
        ClosedNoContact => "closed_no_contact",
        ClosedNotApplicable => "closed_not_applicable",
        HomelessnessSituation1 => "homelessness_situation_1",
        HomelessnessSituation2 => "homelessness_situation_2",
        HomelessnessSituation3 => "homelessness_situation_3",
        HomelessnessSituation4 => "homelessness_situation_4",
    }
}

use Figure as F;

/// The counts of the enforcement series, in column order.
pub const ENFORCEMENT: &[Figure] = &[
    F::ApplicationsReceived,
    F::ApplicationsWithdrawn,
    F::EvictionsExecuted,
    F::EvictionsAbandoned,
    F::EvictionsMovedVoluntarily,
    F::EvictionsWithChildren,
    F::ChildrenAffected,
    F::ChildrenPermanent,
    F::ChildrenAlternating,
    F::ChildrenVisiting,
    F::ChildrenRegistered,
    F::ChildrenNotRegistered,
    F::EvictionsChildrenPresent,
    F::EvictionsChildrenPresentWithSocialServices,
    F::EvictionsChildrenPresentWithoutSocialServices,
];

/// Figures that are the sum of others in every cell (by construction in [`facts`]).
pub const ENFORCEMENT_SUMS: &[(Figure, &[Figure])] = &[
    (
        F::ChildrenAffected,
        &[
            F::ChildrenPermanent,
            F::ChildrenAlternating,
            F::ChildrenVisiting,
        ],
    ),
    (
        F::EvictionsChildrenPresent,
        &[
            F::EvictionsChildrenPresentWithSocialServices,
            F::EvictionsChildrenPresentWithoutSocialServices,
        ],
    ),
];

/// The closure outcome figures, in [`crate::domain::outcome::Outcome::ALL`] order.
pub const CLOSED: &[Figure] = &[
    F::ClosedRetainedPaid,
    F::ClosedRetainedPaymentPlan,
    F::ClosedRetainedRentCommitment,
    F::ClosedMovedNewTenancy,
    F::ClosedMovedMunicipalContract,
    F::ClosedMovedFamilyFriends,
    F::ClosedEvictedHomeless,
    F::ClosedEvictedOther,
    F::ClosedNoContact,
    F::ClosedNotApplicable,
];

/// The counts of the prevention series, in column order (the medians, the share and the amount
/// are derived from the histograms and the counts, see `stats::service`).
pub const PREVENTION: &[Figure] = &[
    F::SocialNoticesReceived,
    F::ReinstatementPeriods,
    F::ContactedBeforeReinstatementEnd,
    F::CyclesReinstated,
    F::CyclesReinstatedPaid,
    F::CyclesReinstatedRentCommitment,
    F::CyclesReinstatedPaymentPlan,
    F::CyclesLapsed,
    F::RentCommitmentsIssued,
    F::RepeatSignals12m,
    F::SecondHandConversions,
    F::SecondHandConvertedWithin18m,
    F::SecondHandConvertedWithin24m,
    F::Closures,
    F::ClosedRetainedPaid,
    F::ClosedRetainedPaymentPlan,
    F::ClosedRetainedRentCommitment,
    F::ClosedMovedNewTenancy,
    F::ClosedMovedMunicipalContract,
    F::ClosedMovedFamilyFriends,
    F::ClosedEvictedHomeless,
    F::ClosedEvictedOther,
    F::ClosedNoContact,
    F::ClosedNotApplicable,
    F::HomelessnessSituation1,
    F::HomelessnessSituation2,
    F::HomelessnessSituation3,
    F::HomelessnessSituation4,
];

/// The ways a cycle is reinstated, in column order.
pub const REINSTATED: &[Figure] = &[
    F::CyclesReinstatedPaid,
    F::CyclesReinstatedRentCommitment,
    F::CyclesReinstatedPaymentPlan,
];

/// Prevention figures that are the sum of others.
pub const PREVENTION_SUMS: &[(Figure, &[Figure])] =
    &[(F::Closures, CLOSED), (F::CyclesReinstated, REINSTATED)];

text_enum! {
    /// The length of a statistics period.
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Period ("period", UnknownPeriod) {
        Month => "month",
        Quarter => "quarter",
        HalfYear => "half_year",
        Year => "year",
    }
}

/// The most periods one answer holds (ten years of months).
pub const MAX_PERIODS: usize = 120;

impl Period {
    fn months(self) -> u32 {
        match self {
            Period::Month => 1,
            Period::Quarter => 3,
            Period::HalfYear => 6,
            Period::Year => 12,
        }
    }

    /// Whether `day` is the first day of a period.
    pub fn starts_on(self, day: NaiveDate) -> bool {
        day.day() == 1 && day.month0().is_multiple_of(self.months())
    }

    /// The first day of the next period.
    pub fn next(self, start: NaiveDate) -> Option<NaiveDate> {
        start.checked_add_months(Months::new(self.months()))
    }

    /// The period's label: `2026`, `2026-H1`, `2026-Q3`, `2026-07`.
    pub fn label(self, start: NaiveDate) -> String {
        let (y, m) = (start.year(), start.month());
        match self {
            Period::Year => format!("{y}"),
            Period::HalfYear => format!("{y}-H{}", (m - 1) / 6 + 1),
            Period::Quarter => format!("{y}-Q{}", (m - 1) / 3 + 1),
            Period::Month => format!("{y}-{m:02}"),
        }
    }

    /// The periods from `from` to `to` (both inclusive: `from` the first day of a period, `to`
    /// the last day of one), as first days; None when either is off a boundary, `to` is before
    /// `from`, or there would be more than [`MAX_PERIODS`].
    pub fn span(self, from: NaiveDate, to: NaiveDate) -> Option<Vec<NaiveDate>> {
        let end = to.succ_opt()?;
        if !self.starts_on(from) || !self.starts_on(end) || end <= from {
            return None;
        }
        let mut out = Vec::new();
        let mut at = from;
        while at < end {
            if out.len() == MAX_PERIODS {
                return None;
            }
            out.push(at);
            at = self.next(at)?;
        }
        Some(out)
    }
}

/// The first day of `day`'s month: the fact table's time grain.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The median of a histogram of (value, count) pairs, and how many cases it covers.
pub fn median(histogram: &[(i64, i64)]) -> (Option<f64>, u64) {
    let mut h: Vec<(i64, i64)> = histogram.iter().copied().filter(|(_, n)| *n > 0).collect();
    h.sort_unstable();
    let n: i64 = h.iter().map(|(_, c)| c).sum();
    if n == 0 {
        return (None, 0);
    }
    let at = |k: i64| {
        let mut seen = 0;
        for (v, c) in &h {
            seen += c;
            if seen > k {
                return *v as f64;
            }
        }
        0.0
    };
    let m = if n % 2 == 1 {
        at(n / 2)
    } else {
        (at(n / 2 - 1) + at(n / 2)) / 2.0
    };
    (Some(m), n.unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn periods_start_on_their_boundaries_and_span_whole_periods() {
        assert!(Period::Quarter.starts_on(d("2026-04-01")));
        assert!(!Period::Quarter.starts_on(d("2026-05-01")));
        assert!(Period::HalfYear.starts_on(d("2026-07-01")));
        assert!(!Period::Year.starts_on(d("2026-07-01")));
        assert_eq!(
            Period::Quarter.span(d("2026-01-01"), d("2026-06-30")),
            Some(vec![d("2026-01-01"), d("2026-04-01")])
        );
        assert_eq!(Period::Quarter.span(d("2026-01-01"), d("2026-06-29")), None);
        assert_eq!(Period::Quarter.span(d("2026-02-01"), d("2026-06-30")), None);
        assert_eq!(Period::Year.span(d("2027-01-01"), d("2026-12-31")), None);
        assert_eq!(Period::Month.span(d("2016-01-01"), d("2026-12-31")), None);
        assert_eq!(Period::Year.label(d("2026-01-01")), "2026");
        assert_eq!(Period::HalfYear.label(d("2026-07-01")), "2026-H2");
        assert_eq!(Period::Quarter.label(d("2026-10-01")), "2026-Q4");
        assert_eq!(Period::Month.label(d("2026-03-01")), "2026-03");
    }

    #[test]
    fn the_median_of_a_histogram() {
        assert_eq!(median(&[]), (None, 0));
        assert_eq!(median(&[(3, 1)]), (Some(3.0), 1));
        assert_eq!(median(&[(1, 2), (10, 1)]), (Some(1.0), 3));
        assert_eq!(median(&[(10, 1), (1, 1), (4, 0)]), (Some(5.5), 2));
        assert_eq!(median(&[(0, 2), (7, 3)]), (Some(7.0), 5));
    }
}
