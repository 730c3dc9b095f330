//! Access-review requests and responses: ids, roles, units, times, operations, reasons and
//! verdicts; never case content.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::access_review::{ReviewReason, ReviewStatus, ReviewTrigger, Verdict};
use crate::error::{ApiError, FieldError};

/// The longest period one on-demand review covers.
const MAX_PERIOD_DAYS: i64 = 366;
const MAX_COMMENT_CHARS: usize = 2_000;

/// `POST /access-reviews`: build a review set now, for a unit and a period of Swedish dates.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccessReviewRequest {
    /// The unit whose reads to review; a supervisor may leave it out (their own unit).
    pub unit_id: Option<String>,
    /// First day of the period (inclusive).
    pub period_start: NaiveDate,
    /// Last day of the period (inclusive), not after today.
    pub period_end: NaiveDate,
}

impl CreateAccessReviewRequest {
    /// Every field error at once.
    pub fn validate(self, today: NaiveDate) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        if self.period_end < self.period_start {
            errors.push(FieldError::new(
                "period_end",
                "must not be before period_start",
            ));
        } else if (self.period_end - self.period_start).num_days() >= MAX_PERIOD_DAYS {
            errors.push(FieldError::new(
                "period_end",
                "the period is at most 366 days",
            ));
        }
        if self.period_end > today {
            errors.push(FieldError::new("period_end", "must not be in the future"));
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// `POST /access-reviews/{id}/entries/{entry_id}/verdict`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerdictRequest {
    pub verdict: Verdict,
    /// Free text for the review (stored encrypted; not in the inspection export).
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

impl VerdictRequest {
    pub fn validate(self) -> Result<Self, ApiError> {
        if self
            .comment
            .as_deref()
            .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
        {
            return Err(ApiError::field(
                "comment",
                "must be at most 2000 characters",
            ));
        }
        Ok(self)
    }
}

/// A review set without its entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessReviewSummary {
    pub id: String,
    pub organization_id: String,
    pub unit_id: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub trigger: ReviewTrigger,
    pub status: ReviewStatus,
    /// The sample's seed: the same access-log entries and seed draw the same sample.
    pub seed: i64,
    pub sample_size: i32,
    pub volume_per_hour: i32,
    /// Access-log entries of the unit in the period.
    pub reads_in_period: i64,
    pub entries: i64,
    pub undecided: i64,
    pub generated_by: Option<String>,
    pub generated_at: DateTime<Utc>,
    pub signed_off_by: Option<String>,
    pub signed_off_at: Option<DateTime<Utc>>,
    pub version: i32,
}

/// One entry of a set: the access-log row it stands for, why it is there, and its verdict.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessReviewEntry {
    pub id: String,
    pub access_log_id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: String,
    pub actor_role: String,
    /// The reader's unit when reading.
    pub actor_unit_id: Option<String>,
    pub operation: String,
    pub subject_type: String,
    pub subject_id: String,
    pub case_id: Option<String>,
    /// `granted` or `denied`.
    pub decision: String,
    pub reasons: Vec<ReviewReason>,
    pub verdict: Option<Verdict>,
    pub comment: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The entry is the caller's own read: someone else gives its verdict.
    pub own_read: bool,
}

/// A review set with every entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessReviewResponse {
    #[serde(flatten)]
    pub review: AccessReviewSummary,
    pub items: Vec<AccessReviewEntry>,
}

/// A page of review sets, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessReviewList {
    pub items: Vec<AccessReviewSummary>,
    pub next_cursor: Option<String>,
}
