//! Notice requests and responses, and their validation.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::consent::ConsentMethod;
use crate::domain::deadlines::NoticeKind;
use crate::domain::states::NoticeSource;
use crate::error::FieldError;

/// The service methods of SPEC §3.
pub const SERVICE_METHODS: &[&str] = &[
    "personal",
    "substitute",
    "public_notice",
    "by_enforcement_authority",
    "unknown",
];
/// The outcomes of a `kfm_executed` notice.
pub const EXECUTION_OUTCOMES: &[&str] = &["executed", "abandoned", "moved_voluntarily"];

/// `POST /cases/{id}/notices`: a notice that reached social services on paper. Dates are
/// Swedish calendar dates; amounts whole kronor.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNoticeRequest {
    /// One of the events of SPEC §4.2: arrears_reported, termination_served,
    /// social_notice_received, payment_confirmed, rent_commitment_issued,
    /// kfm_application_received, kfm_order_issued, kfm_eviction_scheduled, kfm_postponed,
    /// kfm_withdrawn, kfm_executed.
    #[schema(
        pattern = "^(arrears_reported|termination_served|social_notice_received|payment_confirmed|rent_commitment_issued|kfm_application_received|kfm_order_issued|kfm_eviction_scheduled|kfm_postponed|kfm_withdrawn|kfm_executed)$"
    )]
    pub kind: String,
    pub sent_on: Option<NaiveDate>,
    pub served_on: Option<NaiveDate>,
    /// personal, substitute, public_notice, by_enforcement_authority or unknown.
    #[schema(pattern = "^(personal|substitute|public_notice|by_enforcement_authority|unknown)$")]
    pub service_method: Option<String>,
    pub received_on: Option<NaiveDate>,
    #[schema(minimum = 0, maximum = 100000000)]
    pub arrears_amount: Option<i64>,
    #[schema(minimum = 0, maximum = 100000000)]
    pub amount_to_reinstate: Option<i64>,
    #[schema(minimum = 1, maximum = 1000)]
    pub apartment_size_m2: Option<i32>,
    /// Kronofogden's målnummer.
    #[schema(
        min_length = 1,
        max_length = 40,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub kfm_case_number: Option<String>,
    /// The landlord's reference.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub external_ref: Option<String>,
    pub eviction_at: Option<DateTime<Utc>>,
    /// For kfm_executed: executed, abandoned or moved_voluntarily.
    pub execution_outcome: Option<String>,
    pub children_present: Option<bool>,
    pub social_services_present: Option<bool>,
    /// For kfm_executed: how many children Kronofogden found registered at the address.
    #[schema(minimum = 0, maximum = 100)]
    pub children_registered: Option<i32>,
    /// For kfm_executed: how many children Kronofogden found living there but registered
    /// elsewhere.
    #[schema(minimum = 0, maximum = 100)]
    pub children_not_registered: Option<i32>,
    /// The notice this one corrects.
    pub supersedes: Option<String>,
    /// For payment_confirmed: the amount paid, whole kronor. Without it the payment is shown as
    /// `payment_reported_unverified` and meets no period; register a corrected notice (with
    /// `supersedes`) once staff have confirmed the amount.
    #[schema(minimum = 0, maximum = 100000000)]
    pub amount_paid: Option<i64>,
    /// For rent_commitment_issued: the day the commitment reached the landlord. Without it the
    /// commitment meets no period.
    pub delivered_on: Option<NaiveDate>,
}

/// A validated notice, whatever its channel (paper, landlord, Kronofogden).
#[derive(Debug, Clone)]
pub struct NoticeInput {
    pub kind: NoticeKind,
    pub source: NoticeSource,
    pub req: CreateNoticeRequest,
    /// What a landlord's arrears report states (nothing for any other notice).
    pub attestation: LandlordAttestation,
    /// A submission's tenant name as reported, encrypted for the notice id it names.
    pub reported: Option<ReportedName>,
}

/// The name a submission reported for the tenant, encrypted under the id the notice will get.
#[derive(Debug, Clone)]
pub struct ReportedName {
    pub notice_id: String,
    pub name_enc: Vec<u8>,
}

/// A landlord's attestation that the tenant consented to an early warning: when and how the
/// tenant gave the consent to the landlord. Kept with the report; never checked against social
/// services' own consent records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantConsentAttestation {
    /// The day the tenant consented (not in the future).
    pub given_on: NaiveDate,
    pub method: ConsentMethod,
}

/// What a landlord's arrears report states, stored on its notice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LandlordAttestation {
    /// The landlord's statement whether a termination has been served (false: an early
    /// warning).
    pub termination_served: Option<bool>,
    pub tenant_consent: Option<TenantConsentAttestation>,
}

fn check_date(errors: &mut Vec<FieldError>, field: &str, d: Option<NaiveDate>, today: NaiveDate) {
    if d.is_some_and(|d| d > today) {
        errors.push(FieldError::new(field, "must not be in the future"));
    }
}

fn check_amount(errors: &mut Vec<FieldError>, field: &str, a: Option<i64>) {
    if a.is_some_and(|a| !(0..=100_000_000).contains(&a)) {
        errors.push(FieldError::new(field, "must be 0–100000000 kronor"));
    }
}

impl CreateNoticeRequest {
    /// Every field error at once; `today` is the Swedish date.
    pub fn validate(
        self,
        source: NoticeSource,
        today: NaiveDate,
    ) -> Result<NoticeInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = NoticeKind::parse(&self.kind);
        if kind.is_none() {
            errors.push(FieldError::new(
                "kind",
                "must be one of the notice kinds of SPEC §4.2",
            ));
        }
        check_date(&mut errors, "sent_on", self.sent_on, today);
        check_date(&mut errors, "served_on", self.served_on, today);
        check_date(&mut errors, "received_on", self.received_on, today);
        check_date(&mut errors, "delivered_on", self.delivered_on, today);
        check_amount(&mut errors, "amount_paid", self.amount_paid);
        check_amount(&mut errors, "arrears_amount", self.arrears_amount);
        check_amount(&mut errors, "amount_to_reinstate", self.amount_to_reinstate);
        if self
            .apartment_size_m2
            .is_some_and(|s| !(1..=1000).contains(&s))
        {
            errors.push(FieldError::new("apartment_size_m2", "must be 1–1000"));
        }
        if self
            .service_method
            .as_deref()
            .is_some_and(|m| !SERVICE_METHODS.contains(&m))
        {
            errors.push(FieldError::new(
                "service_method",
                "must be personal, substitute, public_notice, by_enforcement_authority or unknown",
            ));
        }
        for (field, v, max) in [
            ("kfm_case_number", &self.kfm_case_number, 40),
            ("external_ref", &self.external_ref, 100),
        ] {
            if v.as_ref()
                .is_some_and(|v| v.trim().is_empty() || v.chars().count() > max)
            {
                errors.push(FieldError::new(
                    field,
                    format!("must be 1–{max} characters"),
                ));
            }
        }
        let any_date =
            self.sent_on.is_some() || self.served_on.is_some() || self.received_on.is_some();
        match kind {
            Some(NoticeKind::ArrearsReported) if self.arrears_amount.is_none() => {
                errors.push(FieldError::new(
                    "arrears_amount",
                    "is required for arrears_reported",
                ));
            }
            // Sent but not yet known to be served: the period is then provisional.
            Some(NoticeKind::TerminationServed)
                if self.served_on.is_none() && self.sent_on.is_none() =>
            {
                errors.push(FieldError::new(
                    "served_on",
                    "is required for termination_served (or sent_on while service is unknown)",
                ));
            }
            Some(NoticeKind::SocialNoticeReceived) if self.received_on.is_none() => {
                errors.push(FieldError::new(
                    "received_on",
                    "is required for social_notice_received",
                ));
            }
            Some(NoticeKind::KfmEvictionScheduled) if self.eviction_at.is_none() => {
                errors.push(FieldError::new(
                    "eviction_at",
                    "is required for kfm_eviction_scheduled",
                ));
            }
            Some(NoticeKind::KfmExecuted)
                if !self
                    .execution_outcome
                    .as_deref()
                    .is_some_and(|o| EXECUTION_OUTCOMES.contains(&o)) =>
            {
                errors.push(FieldError::new(
                    "execution_outcome",
                    "must be executed, abandoned or moved_voluntarily",
                ));
            }
            Some(
                NoticeKind::PaymentConfirmed
                | NoticeKind::RentCommitmentIssued
                | NoticeKind::KfmOrderIssued
                | NoticeKind::KfmApplicationReceived,
            ) if !any_date => {
                errors.push(FieldError::new(
                    "sent_on",
                    "a date (sent_on, served_on or received_on) is required",
                ));
            }
            _ => {}
        }
        if self.amount_paid.is_some() && kind != Some(NoticeKind::PaymentConfirmed) {
            errors.push(FieldError::new(
                "amount_paid",
                "is only for payment_confirmed",
            ));
        }
        if self.delivered_on.is_some() && kind != Some(NoticeKind::RentCommitmentIssued) {
            errors.push(FieldError::new(
                "delivered_on",
                "is only for rent_commitment_issued",
            ));
        }
        for (field, value) in [
            ("execution_outcome", self.execution_outcome.is_some()),
            ("children_registered", self.children_registered.is_some()),
            (
                "children_not_registered",
                self.children_not_registered.is_some(),
            ),
        ] {
            if value && kind != Some(NoticeKind::KfmExecuted) {
                errors.push(FieldError::new(field, "is only for kfm_executed"));
            }
        }
        for (field, value) in [
            ("children_registered", self.children_registered),
            ("children_not_registered", self.children_not_registered),
        ] {
            if value.is_some_and(|n| !(0..=100).contains(&n)) {
                errors.push(FieldError::new(field, "must be 0–100"));
            }
        }
        match kind {
            Some(kind) if errors.is_empty() => Ok(NoticeInput {
                kind,
                source,
                req: self,
                attestation: LandlordAttestation::default(),
                reported: None,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeResponse {
    pub id: String,
    pub case_id: String,
    pub kind: String,
    pub source: String,
    pub external_ref: Option<String>,
    pub kfm_case_number: Option<String>,
    pub arrears_amount: Option<i64>,
    pub amount_to_reinstate: Option<i64>,
    pub apartment_size_m2: Option<i32>,
    pub sent_on: Option<NaiveDate>,
    pub served_on: Option<NaiveDate>,
    pub service_method: Option<String>,
    pub received_on: Option<NaiveDate>,
    pub eviction_at: Option<DateTime<Utc>>,
    pub execution_outcome: Option<String>,
    pub children_present: Option<bool>,
    pub social_services_present: Option<bool>,
    pub children_registered: Option<i32>,
    pub children_not_registered: Option<i32>,
    pub supersedes: Option<String>,
    /// Superseded by a later correction.
    pub superseded: bool,
    /// Arrived after a notice of a later stage (accepted, flagged).
    pub out_of_order: bool,
    /// none, minor_defect or material_defect.
    pub defect_grade: String,
    pub defects: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// payment_confirmed: the amount paid, whole kronor.
    pub amount_paid: Option<i64>,
    /// rent_commitment_issued: the day it reached the landlord.
    pub delivered_on: Option<NaiveDate>,
    /// A landlord's arrears report: whether the landlord stated a termination had been served
    /// (false: an early warning).
    pub termination_served: Option<bool>,
    /// A landlord's early warning: its attestation of the tenant's consent.
    pub tenant_consent: Option<TenantConsentAttestation>,
    /// A landlord's or Kronofogden's submission: the tenant's name as they typed it (the
    /// municipality's own record of the person is never changed by it).
    pub reported_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeList {
    pub items: Vec<NoticeResponse>,
}

/// One reading of a date: the deadline's `due_on` is the earliest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReadingResponse {
    pub due_on: NaiveDate,
    /// formular3_received, formular3_sent, provisional_formular3_received or
    /// provisional_formular3_sent.
    pub rule: String,
    /// The formulär 3 it comes from.
    pub notice_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineResponse {
    pub id: String,
    pub case_id: String,
    pub kind: String,
    /// The earliest reading: the safest date to act by.
    pub due_on: NaiveDate,
    /// For a reinstatement period with several readings: the latest one (the social worker
    /// decides which counts). Kept for clients of v1; `readings` lists them all.
    pub alternative_due_on: Option<NaiveDate>,
    /// open, met, missed or void. A period past its earliest reading but not its latest stays
    /// open with the flag `possibly_lapsed`.
    pub status: String,
    pub rule_version: String,
    /// The notices it was computed from.
    pub computed_from: Vec<String>,
    pub computed_at: DateTime<Utc>,
    /// The arrears cycle (1-based) it belongs to.
    pub cycle: Option<i32>,
    /// Computed without the service date; replaced when it is registered.
    pub provisional: bool,
    /// Every reading of the date, with its rule and notice.
    pub readings: Vec<ReadingResponse>,
    /// repeat, unsettled, provisional, partial_payment, payment_reported_unverified,
    /// amount_to_reinstate_unknown, possibly_late, late, commitment_not_delivered,
    /// possibly_lapsed, informational.
    pub flags: Vec<String>,
    /// The rule is not settled law (research `[U]`).
    pub unsettled: bool,
    /// Reinstatement and commitment deadlines: the verified sum paid towards the cycle, kronor.
    pub paid: Option<i64>,
}

/// One arrears cycle (SPEC §4.6), as of today.
#[derive(Debug, Serialize, ToSchema)]
pub struct CycleResponse {
    pub number: i32,
    /// The termination or Kronofogden application that opened it; null when only formulär 3
    /// is known.
    pub opened_by: Option<String>,
    pub opened_on: NaiveDate,
    /// The formulär 3 notices that belong to it.
    pub social_notice_ids: Vec<String>,
    /// Whole kronor.
    pub amount_to_reinstate: Option<i64>,
    /// Opened within 12 months of the previous cycle (a risk signal; unsettled).
    pub repeat: bool,
    pub provisional: bool,
    /// The earliest reading of the period's end.
    pub due_on: Option<NaiveDate>,
    /// The latest reading of the period's end.
    pub latest_due_on: Option<NaiveDate>,
    /// pending, open, met, possibly_lapsed or reinstatement_lapsed.
    pub status: String,
    /// payment or rent_commitment.
    pub met_by: Option<String>,
    pub flags: Vec<String>,
    /// The verified sum paid inside the period, kronor.
    pub paid: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineList {
    pub items: Vec<DeadlineResponse>,
    /// The case's arrears cycles, oldest first.
    pub cycles: Vec<CycleResponse>,
}
