//! Rent commitments (förbindelser, JB 12:44): the social board's written promise to pay the
//! arrears, which saves the tenancy only if it *reaches* the landlord within the reinstatement
//! period (SPEC §4.4, §4.6). Pure states and rules, no I/O.
//!
//! A commitment is drafted (`pending`), decided once by a supervisor other than the drafter
//! (`approved` or `rejected`), and an approved one is delivered once (date and channel).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::text_enum::text_enum;

text_enum! {
    /// Where a commitment is in its workflow.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum RentCommitmentStatus ("rent commitment status", UnknownRentCommitmentStatus) {
        /// Drafted, awaiting a supervisor's decision.
        Pending => "pending",
        /// Approved: the letter exists and may be delivered.
        Approved => "approved",
        /// Rejected; kept for the record.
        Rejected => "rejected",
    }
}

/// A supervisor's decision on a pending commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RentCommitmentDecision {
    Approve,
    Reject,
}

impl RentCommitmentDecision {
    /// The status a pending commitment moves to.
    pub const fn status(self) -> RentCommitmentStatus {
        match self {
            Self::Approve => RentCommitmentStatus::Approved,
            Self::Reject => RentCommitmentStatus::Rejected,
        }
    }
}

text_enum! {
    /// How the letter reached the landlord.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum DeliveryChannel ("delivery channel", UnknownDeliveryChannel) {
        /// Read by the landlord in kvar's landlord API (recorded automatically on first read).
        Portal => "portal",
        Email => "email",
        Post => "post",
        Hand => "hand",
    }
}

/// Whether a delivered commitment reached the landlord in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryTimeliness {
    /// On or before the earliest reading of the period's end: it meets the period.
    InTime,
    /// After the earliest but on or before the latest reading: possibly late (the readings
    /// differ, e.g. a materially defective formulär 3 and its correction; a court decides).
    PossiblyLate,
    /// After the latest reading of the end.
    Late,
}

/// Compare a delivery date with the reinstatement period's end: `earliest` is the deadline's
/// `due_on` (the safest reading), `latest` the other reading when the readings differ.
pub fn timeliness(
    delivered_on: NaiveDate,
    earliest: NaiveDate,
    latest: Option<NaiveDate>,
) -> DeliveryTimeliness {
    let latest = latest.map_or(earliest, |l| l.max(earliest));
    if delivered_on <= earliest {
        DeliveryTimeliness::InTime
    } else if delivered_on <= latest {
        DeliveryTimeliness::PossiblyLate
    } else {
        DeliveryTimeliness::Late
    }
}

/// The letter's number: the municipality's running number within the issue year
/// (`F-2026-0007`).
pub fn letter_number(year: i32, sequence: i64) -> String {
    format!("{}{sequence:04}", letter_prefix(year))
}

/// What every letter number of `year` starts with.
pub fn letter_prefix(year: i32) -> String {
    format!("F-{year}-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn a_delivery_on_the_earliest_end_is_in_time_between_readings_possibly_late_after_late() {
        let (early, late) = (d("2026-05-11"), Some(d("2026-05-25")));
        assert_eq!(
            timeliness(d("2026-05-01"), early, late),
            DeliveryTimeliness::InTime
        );
        assert_eq!(timeliness(early, early, late), DeliveryTimeliness::InTime);
        assert_eq!(
            timeliness(d("2026-05-12"), early, late),
            DeliveryTimeliness::PossiblyLate
        );
        assert_eq!(
            timeliness(d("2026-05-25"), early, late),
            DeliveryTimeliness::PossiblyLate
        );
        assert_eq!(
            timeliness(d("2026-05-26"), early, late),
            DeliveryTimeliness::Late
        );
    }

    #[test]
    fn with_one_reading_a_day_after_the_end_is_late() {
        let end = d("2026-05-11");
        assert_eq!(timeliness(end, end, None), DeliveryTimeliness::InTime);
        assert_eq!(
            timeliness(d("2026-05-12"), end, None),
            DeliveryTimeliness::Late
        );
        // A "latest" reading before the earliest is read as the earliest.
        assert_eq!(
            timeliness(d("2026-05-12"), end, Some(d("2026-05-01"))),
            DeliveryTimeliness::Late
        );
    }

    #[test]
    fn states_round_trip_through_their_names() {
        for s in RentCommitmentStatus::ALL {
            assert_eq!(RentCommitmentStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::json!(s.as_str()))
            );
        }
        for c in DeliveryChannel::ALL {
            assert_eq!(DeliveryChannel::parse(c.as_str()), Some(c));
            assert_eq!(
                serde_json::to_value(c).ok(),
                Some(serde_json::json!(c.as_str()))
            );
        }
        assert_eq!(
            RentCommitmentDecision::Approve.status(),
            RentCommitmentStatus::Approved
        );
        assert_eq!(letter_number(2026, 7), "F-2026-0007");
        assert!(letter_number(2030, 12345).starts_with(&letter_prefix(2030)));
    }
}
