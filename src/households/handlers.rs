//! `/households` and `/tenancies`.

use actix_web::{get, post, web};

use super::dto::{
    CreateHouseholdRequest, CreateTenancyRequest, HouseholdResponse, TenancyResponse,
};
use super::{service, tenancy};
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::http::etag::Tagged;
use crate::http::extract::Body;
use crate::state::AppState;

/// Register a household and its members (personnummer in any common form).
#[utoipa::path(tag = "households", request_body = CreateHouseholdRequest, security(("bearer" = [])),
    responses((status = 201, body = HouseholdResponse), (status = "4XX", body = Problem)))]
#[post("/households")]
pub async fn create_household(
    who: Authorized<ops::CreateHousehold>,
    state: web::Data<AppState>,
    body: Body<CreateHouseholdRequest>,
) -> Result<Tagged<HouseholdResponse>, ApiError> {
    let h = service::create(&state, who, body.into_inner()?).await?;
    Ok(Tagged::created(h.version, h))
}

/// A household with its members (the one view with full personnummer; every read is logged).
#[utoipa::path(tag = "households", params(("household_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = HouseholdResponse), (status = "4XX", body = Problem)))]
#[get("/households/{household_id}")]
pub async fn get_household(
    who: Authorized<ops::GetHousehold>,
    state: web::Data<AppState>,
    household_id: web::Path<String>,
) -> Result<Tagged<HouseholdResponse>, ApiError> {
    let h = service::get(&state, who, household_id.into_inner()).await?;
    Ok(Tagged::ok(h.version, h))
}

/// Register a household's tenancy (amounts in whole kronor).
#[utoipa::path(tag = "households", request_body = CreateTenancyRequest, security(("bearer" = [])),
    responses((status = 201, body = TenancyResponse), (status = "4XX", body = Problem)))]
#[post("/tenancies")]
pub async fn create_tenancy(
    who: Authorized<ops::CreateTenancy>,
    state: web::Data<AppState>,
    body: Body<CreateTenancyRequest>,
) -> Result<Tagged<TenancyResponse>, ApiError> {
    let t = tenancy::create(&state, who, body.into_inner()?).await?;
    Ok(Tagged::created(t.version, t))
}
