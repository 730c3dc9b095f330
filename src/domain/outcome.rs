//! How a case ended (SPEC §4.3), recorded when it is closed.
//!
//! The wire names (`retained_paid`, …) are part of the API and of the statistics exports: never
//! rename a variant's `as_str`/serde name, add a new one instead.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::text_enum::text_enum;

text_enum! {
    /// The outcome of a case, required when it is closed (§4.1, §4.3).
    #[derive(Serialize, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Outcome ("outcome", UnknownOutcome) {
        /// The household kept the tenancy: the arrears were paid.
        RetainedPaid => "retained_paid",
        /// The household kept the tenancy under a payment plan with the landlord.
        RetainedPaymentPlan => "retained_payment_plan",
        /// The household kept the tenancy because social services issued a rent commitment
        /// (förbindelse).
        RetainedRentCommitment => "retained_rent_commitment",
        /// The household moved to a new tenancy of its own.
        MovedNewTenancy => "moved_new_tenancy",
        /// The household moved to a municipal (second-hand, social) contract.
        MovedMunicipalContract => "moved_municipal_contract",
        /// The household moved in with family or friends.
        MovedFamilyFriends => "moved_family_friends",
        /// The household was evicted and became homeless.
        EvictedHomeless => "evicted_homeless",
        /// The household was evicted and found some other housing.
        EvictedOther => "evicted_other",
        /// Social services never reached the household.
        NoContact => "no_contact",
        /// The case turned out not to need an eviction-prevention outcome (wrong household, error…).
        NotApplicable => "not_applicable",
    }
}

impl Outcome {
    /// The household kept its tenancy (the goal of the work).
    pub const fn is_tenancy_retained(self) -> bool {
        matches!(
            self,
            Outcome::RetainedPaid | Outcome::RetainedPaymentPlan | Outcome::RetainedRentCommitment
        )
    }

    /// The tenancy ended by an executed eviction.
    pub const fn is_evicted(self) -> bool {
        matches!(self, Outcome::EvictedHomeless | Outcome::EvictedOther)
    }
}

/// Socialstyrelsen's homelessness situation (hemlöshetssituation) 1–4, recorded at closure where
/// known. Can only hold 1..=4; serialized as the bare number.
///
/// 1. Acute homelessness: sleeping rough, in shelters or emergency accommodation.
/// 2. In an institution or supported housing, due to leave within three months with no housing.
/// 3. Long-term housing arranged by social services (training flat, social contract, …).
/// 4. A short-term arrangement of one's own: staying with family or friends, a short sublet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct HomelessnessSituation(u8);

impl HomelessnessSituation {
    /// The lowest situation number.
    pub const MIN: u8 = 1;
    /// The highest situation number.
    pub const MAX: u8 = 4;

    /// `Ok` only for 1..=4.
    pub const fn new(situation: u8) -> Result<Self, InvalidHomelessnessSituation> {
        if situation >= Self::MIN && situation <= Self::MAX {
            Ok(Self(situation))
        } else {
            Err(InvalidHomelessnessSituation)
        }
    }

    /// The situation number, 1..=4.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for HomelessnessSituation {
    type Error = InvalidHomelessnessSituation;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<HomelessnessSituation> for u8 {
    fn from(value: HomelessnessSituation) -> Self {
        value.0
    }
}

/// A homelessness situation outside 1..=4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidHomelessnessSituation;

impl fmt::Display for InvalidHomelessnessSituation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("homelessness situation must be 1, 2, 3 or 4")
    }
}

impl std::error::Error for InvalidHomelessnessSituation {}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn outcome_names_are_the_spec_names_in_order() {
        let spec = [
            "retained_paid",
            "retained_payment_plan",
            "retained_rent_commitment",
            "moved_new_tenancy",
            "moved_municipal_contract",
            "moved_family_friends",
            "evicted_homeless",
            "evicted_other",
            "no_contact",
            "not_applicable",
        ];
        let names: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
        assert_eq!(names, spec);
    }

    #[test]
    fn outcome_all_lists_every_variant() {
        // Fails to compile when a variant is added without updating ALL's length and this match.
        fn index(o: Outcome) -> usize {
            match o {
                Outcome::RetainedPaid => 0,
                Outcome::RetainedPaymentPlan => 1,
                Outcome::RetainedRentCommitment => 2,
                Outcome::MovedNewTenancy => 3,
                Outcome::MovedMunicipalContract => 4,
                Outcome::MovedFamilyFriends => 5,
                Outcome::EvictedHomeless => 6,
                Outcome::EvictedOther => 7,
                Outcome::NoContact => 8,
                Outcome::NotApplicable => 9,
            }
        }
        for (i, o) in Outcome::ALL.into_iter().enumerate() {
            assert_eq!(index(o), i);
        }
    }

    #[test]
    fn outcome_as_str_from_str_and_serde_agree() {
        for o in Outcome::ALL {
            assert_eq!(o.as_str().parse::<Outcome>(), Ok(o));
            assert_eq!(o.to_string(), o.as_str());
            let json = serde_json::to_string(&o).unwrap();
            assert_eq!(json, format!("\"{}\"", o.as_str()));
            assert_eq!(serde_json::from_str::<Outcome>(&json).unwrap(), o);
        }
    }

    #[test]
    fn outcome_from_str_is_exact() {
        for bad in [
            "",
            "Retained_paid",
            "retained-paid",
            " retained_paid",
            "evicted",
        ] {
            assert_eq!(bad.parse::<Outcome>(), Err(UnknownOutcome));
        }
        assert!(serde_json::from_str::<Outcome>("\"RetainedPaid\"").is_err());
        assert!(UnknownOutcome.to_string().contains("not_applicable"));
    }

    #[test]
    fn outcome_categories() {
        let retained: Vec<_> = Outcome::ALL
            .into_iter()
            .filter(|o| o.is_tenancy_retained())
            .collect();
        assert_eq!(
            retained,
            [
                Outcome::RetainedPaid,
                Outcome::RetainedPaymentPlan,
                Outcome::RetainedRentCommitment
            ]
        );
        let evicted: Vec<_> = Outcome::ALL
            .into_iter()
            .filter(|o| o.is_evicted())
            .collect();
        assert_eq!(evicted, [Outcome::EvictedHomeless, Outcome::EvictedOther]);
    }

    #[test]
    fn homelessness_situation_holds_only_one_to_four() {
        for n in 0..=u8::MAX {
            let parsed = HomelessnessSituation::new(n);
            assert_eq!(parsed.is_ok(), (1..=4).contains(&n), "{n}");
            assert_eq!(HomelessnessSituation::try_from(n), parsed);
            if let Ok(s) = parsed {
                assert_eq!(s.get(), n);
                assert_eq!(u8::from(s), n);
            }
        }
    }

    #[test]
    fn homelessness_situation_serde_is_a_validated_number() {
        let s = HomelessnessSituation::new(3).unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "3");
        assert_eq!(
            serde_json::from_str::<HomelessnessSituation>("4").unwrap(),
            HomelessnessSituation::new(4).unwrap()
        );
        for bad in ["0", "5", "-1", "256", "\"2\"", "null"] {
            assert!(
                serde_json::from_str::<HomelessnessSituation>(bad).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            serde_json::from_str::<Option<HomelessnessSituation>>("null").unwrap(),
            None
        );
    }
}
