//! Request and response shapes for organizations and units.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::repo::{OrgRow, UnitRow};
use crate::db::types::utc;

pub use crate::domain::states::OrganizationKind;

/// `POST /organizations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganizationRequest {
    pub kind: OrganizationKind,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub name: String,
    /// Swedish organisationsnummer, `NNNNNN-NNNN`.
    pub org_number: Option<String>,
    /// The 4-digit kommunkod; required for municipalities, refused for other kinds.
    #[schema(pattern = "^[0-9]{4}$")]
    pub municipality_code: Option<String>,
    /// The county (länskod, 2 digits): required for a county board, whose analysts see the
    /// statistics of the county's municipalities; for a municipality the first two digits of
    /// its kommunkod (the default); refused for other kinds.
    #[schema(pattern = "^[0-9]{2}$")]
    pub county_code: Option<String>,
    /// A municipality's research sample under its archive plan (retention): the days of the
    /// month whose persons are kept for the archive authority, comma-separated (default
    /// `5,15,25`); refused for other kinds.
    #[schema(pattern = "^(0?[1-9]|[12][0-9]|3[01])(,(0?[1-9]|[12][0-9]|3[01]))*$")]
    pub research_sample_days: Option<String>,
}

/// `PATCH /organizations/{id}` (platform admin; If-Match: the organization's ETag): set the
/// county (länskod), validated as at creation: a county board's any two digits, a
/// municipality's the first two of its kommunkod, refused for other kinds.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganizationRequest {
    #[schema(pattern = "^[0-9]{2}$")]
    pub county_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationResponse {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub org_number: Option<String>,
    pub municipality_code: Option<String>,
    pub county_code: Option<String>,
    /// The research sample's days of the month (retention; municipalities).
    pub research_sample_days: String,
    /// The unit that receives new cases from inbound notices (its first unit by default).
    pub intake_unit_id: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<OrgRow> for OrganizationResponse {
    fn from(o: OrgRow) -> Self {
        OrganizationResponse {
            id: o.id,
            kind: o.kind.as_str().into(),
            name: o.name,
            org_number: o.org_number,
            municipality_code: o.municipality_code,
            county_code: o.county_code,
            research_sample_days: o.research_sample_days,
            intake_unit_id: o.intake_unit_id,
            version: o.version,
            created_at: utc(o.created_at),
            updated_at: utc(o.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationList {
    pub items: Vec<OrganizationResponse>,
    pub next_cursor: Option<String>,
}

/// `POST /organizations/{id}/units`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnitRequest {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub name: String,
    /// Above this amount (whole kronor) only a supervisor may draft a rent commitment;
    /// absent: no limit.
    #[schema(minimum = 1, maximum = 100000000)]
    pub rent_commitment_limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitResponse {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub rent_commitment_limit: Option<i64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UnitRow> for UnitResponse {
    fn from(u: UnitRow) -> Self {
        UnitResponse {
            id: u.id,
            organization_id: u.organization_id,
            name: u.name,
            rent_commitment_limit: u.rent_commitment_limit,
            version: u.version,
            created_at: utc(u.created_at),
            updated_at: utc(u.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitList {
    pub items: Vec<UnitResponse>,
    pub next_cursor: Option<String>,
}
