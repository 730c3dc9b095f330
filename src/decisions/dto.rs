//! The unit-wide decision lists.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::cases::dto::ClosureRequestResponse;
use crate::cases::repo::CaseRow;
use crate::domain::rent_commitment::RentCommitmentStatus;
use crate::domain::states::ClosureRequestStatus;
use crate::domain::workflow::CaseStatus;
use crate::rent_commitments::dto::RentCommitmentResponse;

/// What a decider needs of the case beside the item: no personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSummary {
    pub id: String,
    pub status: CaseStatus,
    pub legal_stage: String,
    pub risk_level: String,
    /// A member of the household is under 18.
    pub children_involved: bool,
    pub assigned_to: Option<String>,
}

impl From<&CaseRow> for CaseSummary {
    fn from(c: &CaseRow) -> Self {
        CaseSummary {
            id: c.id.clone(),
            status: c.status,
            legal_stage: c.legal_stage.as_str().into(),
            risk_level: c.risk_level.as_str().into(),
            children_involved: c.children_involved,
            assigned_to: c.assigned_to.clone(),
        }
    }
}

/// `GET /closure-requests` filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClosureRequestFilter {
    /// `pending` (the default), `approved` or `rejected`.
    #[param(inline)]
    pub status: Option<ClosureRequestStatus>,
    /// Items per page, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A closure request with its reason (for the decider) and its case.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureRequestItem {
    pub closure_request: ClosureRequestResponse,
    /// Why the requester wants the case closed.
    pub reason: Option<String>,
    pub case: CaseSummary,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureRequestList {
    /// Oldest first (the longest waiting on top).
    pub items: Vec<ClosureRequestItem>,
    pub next_cursor: Option<String>,
}

/// `GET /rent-commitments` filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RentCommitmentFilter {
    /// `pending` (the default), `approved` or `rejected`.
    pub status: Option<RentCommitmentStatus>,
    /// Items per page, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A rent commitment (with its delivery measured against the case's reinstatement period) and
/// its case.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitRentCommitment {
    pub commitment: RentCommitmentResponse,
    pub case: CaseSummary,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitRentCommitmentList {
    /// Oldest first (the longest waiting on top).
    pub items: Vec<UnitRentCommitment>,
    pub next_cursor: Option<String>,
}
