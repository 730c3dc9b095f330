//! Consent (samtycke, SPEC §9): what a person agreed social services may do, how it was given,
//! and whether it holds on a given day. Pure rules, no I/O.
//!
//! Social services keep their own consent records; they decide what *social services* may do
//! (contact the landlord, tell the landlord that social services act, share with Kronofogden).
//! They never decide an answer to a landlord or Kronofogden: an early-warning arrears report is
//! judged by the landlord's own attestation in the submission, never by these records, so a
//! submission's answer reveals nothing about them (SPEC §5).
//!
//! Dates are Swedish calendar dates. `expires_on` is the last day the consent holds ("gäller
//! till och med"); `withdrawn_on` is the first day it no longer holds. A withdrawal outranks an
//! expiry: a consent withdrawn before it ran out is shown as withdrawn.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::text_enum::text_enum;

text_enum! {
    /// What the person consented to.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ConsentScope ("consent scope", UnknownConsentScope) {
        /// Social services may contact the landlord about the tenancy.
        ContactLandlord => "contact_landlord",
        /// Social services may tell the landlord what they do for the tenant (a rent commitment
        /// letter discloses that social services act).
        ShareWithLandlord => "share_with_landlord",
        /// Social services may share information with Kronofogden.
        ShareWithEnforcementAuthority => "share_with_enforcement_authority",
        /// The tenant agreed that the landlord reports arrears early, before any termination.
        EarlyWarning => "early_warning",
    }
}

text_enum! {
    /// How the consent was given (or, for a landlord's attestation, how the tenant gave it to
    /// the landlord).
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ConsentMethod ("consent method", UnknownConsentMethod) {
        /// Signed on paper.
        Written => "written",
        /// Said to a member of staff (documented by the one who heard it).
        Oral => "oral",
        /// Given through a digital service (e-legitimation, portal).
        Digital => "digital",
    }
}

text_enum! {
    /// Whether a consent holds on a day.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ConsentValidity ("consent validity", UnknownConsentValidity) {
        /// It holds.
        Valid => "valid",
        /// Its last day (`expires_on`) has passed.
        Expired => "expired",
        /// The person withdrew it.
        Withdrawn => "withdrawn",
        /// Given after the day asked about (never as of today: `given_on` cannot be in the
        /// future).
        NotYetGiven => "not_yet_given",
    }
}

text_enum! {
    /// What an approved rent commitment's disclosure to the landlord rests on: the letter tells
    /// the landlord that social services act for the tenant.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum DisclosureBasis ("disclosure basis", UnknownDisclosureBasis) {
        /// The tenant's `share_with_landlord` consent, valid on the day of the decision.
        Consent => "consent",
        /// A legal basis recorded with the decision, with its reason.
        LegalBasis => "legal_basis",
    }
}

/// The dates that decide a consent's validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentTerm {
    pub given_on: NaiveDate,
    /// The last day it holds; None: until withdrawn.
    pub expires_on: Option<NaiveDate>,
    /// The first day it no longer holds.
    pub withdrawn_on: Option<NaiveDate>,
}

impl ConsentTerm {
    /// The consent's validity on `day`.
    pub fn validity_on(&self, day: NaiveDate) -> ConsentValidity {
        if self.withdrawn_on.is_some_and(|w| w <= day) {
            ConsentValidity::Withdrawn
        } else if day < self.given_on {
            ConsentValidity::NotYetGiven
        } else if self.expires_on.is_some_and(|e| e < day) {
            ConsentValidity::Expired
        } else {
            ConsentValidity::Valid
        }
    }

    /// Whether the consent holds on `day`.
    pub fn holds_on(&self, day: NaiveDate) -> bool {
        self.validity_on(day) == ConsentValidity::Valid
    }
}

/// Why a new consent's dates are refused: (field, message), for a 422.
pub fn check_new(
    given_on: NaiveDate,
    expires_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Vec<(&'static str, &'static str)> {
    let mut errors = Vec::new();
    if given_on > today {
        errors.push(("given_on", "must not be in the future"));
    }
    if expires_on.is_some_and(|e| e < given_on) {
        errors.push(("expires_on", "must not be before given_on"));
    }
    errors
}

/// Why a withdrawal on `withdrawn_on` is refused: the message for `withdrawn_on`, for a 422.
pub fn check_withdrawal(
    given_on: NaiveDate,
    withdrawn_on: NaiveDate,
    today: NaiveDate,
) -> Option<&'static str> {
    if withdrawn_on > today {
        Some("must not be in the future")
    } else if withdrawn_on < given_on {
        Some("must not be before given_on")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("a test date")
    }

    fn term(given: &str, expires: Option<&str>, withdrawn: Option<&str>) -> ConsentTerm {
        ConsentTerm {
            given_on: d(given),
            expires_on: expires.map(d),
            withdrawn_on: withdrawn.map(d),
        }
    }

    #[test]
    fn a_consent_holds_from_the_day_given_through_its_last_day() {
        let t = term("2026-03-01", Some("2026-08-31"), None);
        assert_eq!(t.validity_on(d("2026-02-28")), ConsentValidity::NotYetGiven);
        assert_eq!(t.validity_on(d("2026-03-01")), ConsentValidity::Valid);
        assert_eq!(t.validity_on(d("2026-08-31")), ConsentValidity::Valid);
        assert_eq!(t.validity_on(d("2026-09-01")), ConsentValidity::Expired);
        assert!(t.holds_on(d("2026-05-05")));
        assert!(!t.holds_on(d("2026-09-01")));
    }

    #[test]
    fn without_an_expiry_a_consent_holds_until_withdrawn() {
        let t = term("2026-03-01", None, None);
        assert_eq!(t.validity_on(d("2036-01-01")), ConsentValidity::Valid);
        let w = term("2026-03-01", None, Some("2026-04-10"));
        assert_eq!(w.validity_on(d("2026-04-09")), ConsentValidity::Valid);
        assert_eq!(w.validity_on(d("2026-04-10")), ConsentValidity::Withdrawn);
    }

    #[test]
    fn a_withdrawal_outranks_an_expiry() {
        let t = term("2026-03-01", Some("2026-04-30"), Some("2026-04-10"));
        assert_eq!(t.validity_on(d("2026-05-15")), ConsentValidity::Withdrawn);
        // A consent withdrawn the day it was given never held.
        let same_day = term("2026-03-01", None, Some("2026-03-01"));
        assert_eq!(
            same_day.validity_on(d("2026-03-01")),
            ConsentValidity::Withdrawn
        );
    }

    #[test]
    fn new_consents_and_withdrawals_are_not_dated_in_the_future_or_out_of_order() {
        let today = d("2026-05-01");
        assert!(check_new(d("2026-05-01"), Some(d("2026-05-01")), today).is_empty());
        assert_eq!(
            check_new(d("2026-05-02"), Some(d("2026-04-01")), today),
            [
                ("given_on", "must not be in the future"),
                ("expires_on", "must not be before given_on")
            ]
        );
        assert_eq!(
            check_withdrawal(d("2026-04-01"), d("2026-04-01"), today),
            None
        );
        assert_eq!(
            check_withdrawal(d("2026-04-01"), d("2026-03-31"), today),
            Some("must not be before given_on")
        );
        assert_eq!(
            check_withdrawal(d("2026-04-01"), d("2026-05-02"), today),
            Some("must not be in the future")
        );
    }

    #[test]
    fn serde_names_are_the_stored_names() {
        for s in ConsentScope::ALL {
            assert_eq!(serde_json::to_value(s).expect("serializes"), s.as_str());
        }
        for m in ConsentMethod::ALL {
            assert_eq!(serde_json::to_value(m).expect("serializes"), m.as_str());
        }
        for v in ConsentValidity::ALL {
            assert_eq!(serde_json::to_value(v).expect("serializes"), v.as_str());
        }
    }
}
