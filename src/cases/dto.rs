//! Request and response shapes for cases.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::repo::CaseRow;
use crate::db::types::utc;
use crate::domain::outcome::Outcome;
use crate::domain::workflow::CaseStatus;
use crate::households::dto::MemberResponse;

pub use crate::domain::states::RiskLevel;

/// `POST /cases`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCaseRequest {
    pub household_id: String,
    pub tenancy_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseResponse {
    pub id: String,
    pub organization_id: String,
    pub unit_id: String,
    pub household_id: String,
    pub tenancy_id: Option<String>,
    pub status: String,
    pub legal_stage: String,
    pub risk_level: String,
    /// A member of the household is under 18 (derived from birth dates).
    pub children_involved: bool,
    pub assigned_to: Option<String>,
    pub outcome: Option<String>,
    pub homelessness_situation: Option<i32>,
    pub closed_at: Option<DateTime<Utc>>,
    pub last_activity_at: DateTime<Utc>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// In the single-case view only: the household's members, personnummer masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<MemberResponse>>,
    /// In the single-case view only: the case's tenancy (`GET`/`PATCH /tenancies/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenancy: Option<TenancyLink>,
    /// In the single-case view only: every closure of the case, oldest first; a reopening
    /// stamps its closure and never erases it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closures: Option<Vec<ClosureResponse>>,
    /// In the single-case view only: the statuses you may ask the case to move to now
    /// (`POST /cases/{id}/transitions`), from the workflow's one table and the policy; `closed`
    /// is left out while a closure request waits for a supervisor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_transitions: Option<Vec<CaseStatus>>,
}

/// The case's tenancy, with what is still missing or a placeholder (what intake could not know).
#[derive(Debug, Serialize, ToSchema)]
pub struct TenancyLink {
    pub id: String,
    /// `/api/v1/tenancies/{id}`.
    pub href: String,
    /// Fields to complete: `monthly_rent` (0), `contract_type` (`other`), `rooms`, `size_m2`,
    /// `start_on`, `apartment_number` (`unknown`).
    pub incomplete: Vec<String>,
}

/// One closure of a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureResponse {
    pub id: String,
    pub outcome: Outcome,
    /// Socialstyrelsen's homelessness situation 1–4, where known.
    pub homelessness_situation: Option<i32>,
    pub closed_at: DateTime<Utc>,
    /// Who closed it or filed the approved closure request (unknown for closures recorded
    /// before closures were kept as rows).
    pub closed_by: Option<String>,
    /// The supervisor who approved the closure request.
    pub approved_by: Option<String>,
    pub closure_request_id: Option<String>,
    pub reopened_at: Option<DateTime<Utc>>,
    /// A user id, or the submitter (`client:<id>`, `user:<id>`) whose notice reopened it.
    pub reopened_by: Option<String>,
    pub reopen_reason: Option<String>,
}

impl ClosureResponse {
    /// The closure with its reopening reason opened (`reopen_reason`).
    pub fn of(c: super::repo::CaseClosureRow, reopen_reason: Option<String>) -> Self {
        ClosureResponse {
            id: c.id,
            outcome: c.outcome,
            homelessness_situation: c.homelessness_situation,
            closed_at: utc(c.closed_at),
            closed_by: c.closed_by,
            approved_by: c.approved_by,
            closure_request_id: c.closure_request_id,
            reopened_at: c.reopened_at.map(utc),
            reopened_by: c.reopened_by,
            reopen_reason,
        }
    }
}

impl From<CaseRow> for CaseResponse {
    fn from(c: CaseRow) -> Self {
        CaseResponse {
            id: c.id,
            organization_id: c.organization_id,
            unit_id: c.unit_id,
            household_id: c.household_id,
            tenancy_id: c.tenancy_id,
            status: c.status.as_str().into(),
            legal_stage: c.legal_stage.as_str().into(),
            risk_level: c.risk_level.as_str().into(),
            children_involved: c.children_involved,
            assigned_to: c.assigned_to,
            outcome: c.outcome.map(|o| o.as_str().into()),
            homelessness_situation: c.homelessness_situation,
            closed_at: c.closed_at.map(utc),
            last_activity_at: utc(c.last_activity_at),
            version: c.version,
            created_at: utc(c.created_at),
            updated_at: utc(c.updated_at),
            members: None,
            tenancy: None,
            closures: None,
            allowed_transitions: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList {
    pub items: Vec<CaseResponse>,
    pub next_cursor: Option<String>,
}

/// `GET /cases` filters (never personal data).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub legal_stage: Option<String>,
    /// A user id, `me`, or `none` for unassigned cases.
    pub assigned_to: Option<String>,
    pub children_involved: Option<bool>,
    pub risk_level: Option<RiskLevel>,
    /// Items per page, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `PATCH /cases/{id}` (If-Match). Absent fields stay; `assigned_to: null` unassigns.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCaseRequest {
    pub risk_level: Option<RiskLevel>,
    #[serde(default, deserialize_with = "crate::users::dto::double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub assigned_to: Option<Option<String>>,
    pub unit_id: Option<String>,
}

/// `POST /cases/{id}/transitions` (If-Match).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub to: CaseStatus,
    /// Why (kept in the audit trail: write no personal data here).
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub reason: String,
    /// Required when closing.
    pub outcome: Option<Outcome>,
    /// Socialstyrelsen's homelessness situation 1–4, where known.
    #[schema(minimum = 1, maximum = 4)]
    pub homelessness_situation: Option<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureRequestResponse {
    pub id: String,
    pub case_id: String,
    pub requested_by: String,
    pub outcome: String,
    pub homelessness_situation: Option<i32>,
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

/// `POST /cases/{id}/closure-approvals` (supervisor).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureDecisionRequest {
    pub closure_request_id: String,
    pub decision: Decision,
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub reason: String,
}

/// The result of a closure decision: the request and the case as it is now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureDecisionResponse {
    pub closure_request: ClosureRequestResponse,
    pub case: CaseResponse,
}
