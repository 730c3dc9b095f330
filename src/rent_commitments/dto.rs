//! Rent-commitment requests and responses. Amounts are whole kronor, dates Swedish calendar
//! dates. The landlord's view ([`LandlordLetter`]) is the letter's contents and nothing else.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::consent::DisclosureBasis;
use crate::domain::rent_commitment::{
    DeliveryChannel, DeliveryTimeliness, RentCommitmentDecision, RentCommitmentStatus,
};
use crate::error::{ApiError, FieldError};

const MAX_AMOUNT: i64 = 100_000_000;
const MAX_MONTHS: i32 = 24;
const MAX_REASON_CHARS: usize = 2_000;

fn check_reason(errors: &mut Vec<FieldError>, reason: &str) {
    if reason.trim().is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        errors.push(FieldError::new("reason", "must be 1–2000 characters"));
    }
}

fn done<T>(errors: Vec<FieldError>, ok: T) -> Result<T, ApiError> {
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// `POST /cases/{id}/rent-commitments`: the social board's promise to pay the landlord of the
/// case's tenancy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRentCommitmentRequest {
    /// Whole kronor the board promises to pay.
    #[schema(minimum = 1, maximum = 100000000)]
    pub amount: i64,
    /// How many months of rent the amount covers.
    #[schema(minimum = 1, maximum = 24)]
    pub months_covered: i32,
    /// Why (for the decider; never shown to the landlord).
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub reason: String,
}

impl DraftRentCommitmentRequest {
    /// Every field error at once.
    pub fn validate(self) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        if !(1..=MAX_AMOUNT).contains(&self.amount) {
            errors.push(FieldError::new("amount", "must be 1–100000000 kronor"));
        }
        if !(1..=MAX_MONTHS).contains(&self.months_covered) {
            errors.push(FieldError::new("months_covered", "must be 1–24"));
        }
        check_reason(&mut errors, &self.reason);
        done(errors, self)
    }
}

/// `POST .../rent-commitments/{id}/decision`: single-shot; 409 once decided. An approval
/// tells the landlord that social services act: it needs the tenant's `share_with_landlord`
/// consent valid today, or `legal_basis` (409 with neither).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RentCommitmentDecisionRequest {
    pub decision: RentCommitmentDecision,
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub reason: String,
    /// Approve only: the legal basis for telling the landlord without the tenant's consent
    /// (recorded encrypted, audited as given).
    pub legal_basis: Option<LegalBasis>,
}

/// A legal basis for a disclosure, with its reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub reason: String,
}

impl RentCommitmentDecisionRequest {
    pub fn validate(self) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        check_reason(&mut errors, &self.reason);
        if let Some(basis) = &self.legal_basis {
            if self.decision != RentCommitmentDecision::Approve {
                errors.push(FieldError::new("legal_basis", "is only for approve"));
            }
            if basis.reason.trim().is_empty() || basis.reason.chars().count() > MAX_REASON_CHARS {
                errors.push(FieldError::new(
                    "legal_basis.reason",
                    "must be 1–2000 characters",
                ));
            }
        }
        done(errors, self)
    }
}

/// `POST .../rent-commitments/{id}/delivery`: when and how the letter reached the landlord.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RentCommitmentDeliveryRequest {
    pub delivered_on: NaiveDate,
    pub channel: DeliveryChannel,
}

/// A rent commitment as staff see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RentCommitmentResponse {
    pub id: String,
    pub case_id: String,
    pub status: RentCommitmentStatus,
    pub amount: i64,
    pub months_covered: i32,
    pub reason: String,
    pub landlord_organization_id: String,
    pub tenancy_id: String,
    pub drafted_by: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    /// The letter's number, from approval.
    pub number: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub delivered_on: Option<NaiveDate>,
    pub delivery_channel: Option<DeliveryChannel>,
    /// The case's current reinstatement period end (`due_on`: the earliest reading) and, when
    /// the readings differ, the latest one.
    pub reinstatement_due_on: Option<NaiveDate>,
    pub reinstatement_latest_due_on: Option<NaiveDate>,
    /// Delivered against that end: in_time, possibly_late or late.
    pub delivery_timeliness: Option<DeliveryTimeliness>,
    /// What the approval's disclosure to the landlord rests on: the tenant's consent
    /// (`consent_id`) or a legal basis (`legal_basis`, its reason).
    pub disclosure_basis: Option<DisclosureBasis>,
    pub consent_id: Option<String>,
    pub legal_basis: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RentCommitmentList {
    pub items: Vec<RentCommitmentResponse>,
}

/// The tenancy's address, as the landlord already holds it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LetterAddress {
    pub street: String,
    pub postal_code: String,
    pub city: String,
}

/// What a landlord sees of an approved rent commitment: the letter's contents, nothing else
/// about the case (no case id, status, reason, notes or other persons; SPEC §5, §7).
#[derive(Debug, Serialize, ToSchema)]
pub struct LandlordLetter {
    pub number: String,
    pub tenant_name: String,
    /// The landlord's own apartment reference.
    pub apartment_reference: String,
    /// Null when the address may not be disclosed (the apartment reference identifies the
    /// apartment).
    pub address: Option<LetterAddress>,
    pub amount: i64,
    pub months_covered: i32,
    pub issued_on: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LandlordLetterList {
    pub items: Vec<LandlordLetter>,
    pub next_cursor: Option<String>,
}
