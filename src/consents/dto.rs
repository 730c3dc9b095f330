//! Consent requests and responses. Dates are Swedish calendar dates; the note is free text,
//! stored encrypted and shown only to the staff who reach the person.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::consent::{self, ConsentMethod, ConsentScope, ConsentValidity};
use crate::error::{ApiError, FieldError};

const MAX_NOTE_CHARS: usize = 2_000;

/// `POST /persons/{id}/consents`: what the person agreed to, how and when.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConsentRequest {
    pub scope: ConsentScope,
    pub method: ConsentMethod,
    /// The day the person gave it (not in the future).
    pub given_on: NaiveDate,
    /// The last day it holds (not before `given_on`); absent: until withdrawn.
    pub expires_on: Option<NaiveDate>,
    /// Free text, e.g. where the signed form is kept (encrypted; never logged).
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub note: Option<String>,
}

impl CreateConsentRequest {
    /// Every field error at once; `today` is the Swedish date.
    pub fn validate(self, today: NaiveDate) -> Result<Self, ApiError> {
        let mut errors: Vec<FieldError> = consent::check_new(self.given_on, self.expires_on, today)
            .into_iter()
            .map(|(f, m)| FieldError::new(f, m))
            .collect();
        if self
            .note
            .as_ref()
            .is_some_and(|n| n.trim().is_empty() || n.chars().count() > MAX_NOTE_CHARS)
        {
            errors.push(FieldError::new("note", "must be 1–2000 characters"));
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// `POST /persons/{id}/consents/{consent_id}/withdraw`: once (409 after).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawConsentRequest {
    /// The first day the consent no longer holds (not in the future, not before `given_on`);
    /// absent: today.
    pub withdrawn_on: Option<NaiveDate>,
}

/// A consent as staff see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentResponse {
    pub id: String,
    pub person_id: String,
    pub scope: ConsentScope,
    pub method: ConsentMethod,
    pub given_on: NaiveDate,
    /// The last day it holds.
    pub expires_on: Option<NaiveDate>,
    pub note: Option<String>,
    /// The first day it no longer holds.
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawn_by: Option<String>,
    pub recorded_by: String,
    /// As of `validity_on`: valid, expired, withdrawn (or not_yet_given).
    pub validity: ConsentValidity,
    /// The Swedish date the validity is computed for (today).
    pub validity_on: NaiveDate,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// The consents of a case's household members, by person, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentList {
    pub items: Vec<ConsentResponse>,
}
