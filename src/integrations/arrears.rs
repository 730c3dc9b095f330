//! `POST /landlord/arrears-reports`: a landlord's rent-arrears report. The landlord states
//! whether a termination has been served; without one the report is an early warning, which the
//! landlord may send only with the tenant's consent, so it must carry the landlord's attestation
//! of that consent. Whether a report is an early warning is decided from the submission alone,
//! never from kvar's records (its own consent records included), so the answer reveals nothing
//! about social services (SPEC §5, §9). Statutory notices (termination, formulär 3) and
//! Kronofogden's events need no consent and never ask for one.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::inbound::{Submission, Tenant, common, finish};
use crate::domain::states::NoticeSource;
use crate::domain::sweden;
use crate::error::{ApiError, FieldError};
use crate::households::dto::Address;
use crate::notices::dto::{
    CreateNoticeRequest, LandlordAttestation, NoticeInput, TenantConsentAttestation,
};

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArrearsPeriod {
    /// `YYYY-MM`.
    #[schema(pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub month: String,
    #[schema(minimum = 0, maximum = 1000000)]
    pub amount_due: i64,
    #[schema(minimum = 0, maximum = 1000000)]
    pub amount_paid: i64,
}

/// `POST /landlord/arrears-reports`. Amounts in whole kronor.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArrearsReport {
    pub tenant: Tenant,
    pub address: Address,
    pub apartment_number: String,
    #[schema(pattern = "^[0-9]{4}$")]
    pub municipality_code: String,
    #[schema(min_items = 1, max_items = 36)]
    pub periods: Vec<ArrearsPeriod>,
    /// The sum of `amount_due − amount_paid` over the periods.
    #[schema(minimum = 0, maximum = 36000000)]
    pub total_arrears: i64,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub reference: Option<String>,
    /// The landlord's statement whether a termination (uppsägning) has been served for these
    /// arrears. `false` makes the report an early warning, which needs `tenant_consent`.
    pub termination_served: bool,
    /// The landlord's attestation that the tenant consented to the early warning: required
    /// when `termination_served` is false (422 naming it otherwise, and nothing is stored).
    pub tenant_consent: Option<TenantConsentAttestation>,
}

/// 36 months of at most 1 000 000 kronor each.
const MAX_TOTAL_ARREARS: i64 = 36_000_000;

/// `YYYY-MM` exactly (four-digit year, month 01–12), as the schema's pattern says.
fn is_year_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
        && matches!(s[5..].parse::<u32>(), Ok(1..=12))
}

impl ArrearsReport {
    pub fn validate(self) -> Result<Submission, ApiError> {
        let (mut errors, pnr) = common(&self.tenant, &self.address, &self.municipality_code);
        if self.periods.is_empty() || self.periods.len() > 36 {
            errors.push(FieldError::new("periods", "must list 1–36 months"));
        }
        for (i, p) in self.periods.iter().enumerate() {
            if !is_year_month(&p.month) {
                errors.push(FieldError::new(
                    format!("periods[{i}].month"),
                    "must be YYYY-MM",
                ));
            }
            if !(0..=1_000_000).contains(&p.amount_due) || !(0..=1_000_000).contains(&p.amount_paid)
            {
                errors.push(FieldError::new(
                    format!("periods[{i}]"),
                    "amounts must be 0–1000000 kronor",
                ));
            }
        }
        let owed: i64 = self
            .periods
            .iter()
            .map(|p| p.amount_due - p.amount_paid)
            .sum();
        if !(0..=MAX_TOTAL_ARREARS).contains(&self.total_arrears) {
            errors.push(FieldError::new(
                "total_arrears",
                "must be 0–36000000 kronor",
            ));
        } else if self.total_arrears != owed {
            errors.push(FieldError::new(
                "total_arrears",
                "must equal the sum of amount_due − amount_paid",
            ));
        }
        let today = sweden::today();
        check_early_warning(
            self.termination_served,
            self.tenant_consent,
            today,
            &mut errors,
        );
        let req = CreateNoticeRequest {
            kind: "arrears_reported".into(),
            sent_on: Some(today),
            // In range whenever the report is valid; clamped so an out-of-range total is reported
            // once, as total_arrears, never as a field the client did not send.
            arrears_amount: Some(self.total_arrears.clamp(0, MAX_TOTAL_ARREARS)),
            external_ref: self.reference.clone(),
            ..CreateNoticeRequest::default()
        };
        let attestation = LandlordAttestation {
            termination_served: Some(self.termination_served),
            tenant_consent: self.tenant_consent,
        };
        let notice = req
            .validate(NoticeSource::Landlord, today)
            .map(|n| NoticeInput { attestation, ..n });
        finish(errors, pnr, notice, |p, n| Submission {
            personnummer: p,
            name: self.tenant.name.trim().into(),
            address: self.address.clone(),
            municipality_code: self.municipality_code.clone(),
            apartment_number: Some(self.apartment_number.clone()),
            landlord_org_number: None,
            landlord_is_submitter: true,
            notice: n,
            receipt_kind: "arrears_report",
        })
    }
}

/// An early warning (no termination served) needs the tenant's consent, attested by the
/// landlord and not dated in the future; a report after a termination needs none.
fn check_early_warning(
    termination_served: bool,
    consent: Option<TenantConsentAttestation>,
    today: NaiveDate,
    errors: &mut Vec<FieldError>,
) {
    match consent {
        None if !termination_served => errors.push(FieldError::new(
            "tenant_consent",
            "is required when no termination has been served (an early warning needs the \
             tenant's consent)",
        )),
        Some(c) if c.given_on > today => errors.push(FieldError::new(
            "tenant_consent.given_on",
            "must not be in the future",
        )),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::consent::ConsentMethod;

    fn fields(termination_served: bool, consent: Option<TenantConsentAttestation>) -> Vec<String> {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).expect("a calendar date");
        let mut errors = Vec::new();
        check_early_warning(termination_served, consent, today, &mut errors);
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn an_early_warning_needs_the_landlords_attestation_a_report_after_termination_does_not() {
        let attested = |day: u32| TenantConsentAttestation {
            given_on: NaiveDate::from_ymd_opt(2026, 11, day).expect("a calendar date"),
            method: ConsentMethod::Written,
        };
        assert_eq!(fields(false, None), ["tenant_consent"]);
        assert!(fields(false, Some(attested(2))).is_empty());
        assert!(fields(true, None).is_empty());
        assert!(fields(true, Some(attested(2))).is_empty());
        assert_eq!(
            fields(
                false,
                Some(attested(30)).map(|mut a| {
                    a.given_on = NaiveDate::from_ymd_opt(2026, 12, 1).expect("a calendar date");
                    a
                })
            ),
            ["tenant_consent.given_on"]
        );
    }
}
