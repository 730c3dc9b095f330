//! `/households` and `/tenancies`.

use actix_web::{get, patch, post, web};

use super::dto::{
    CreateHouseholdRequest, CreateTenancyRequest, HouseholdResponse, MemberInput, TenancyList,
    TenancyResponse, UpdateMemberRequest, UpdateTenancyRequest,
};
use super::{members, service, tenancy};
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::http::etag::{IfMatch, Tagged};
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

/// Add a member to a household (a person found by personnummer or registered); `children_involved`
/// of the household's cases follows. 201 with the household and its new ETag.
#[utoipa::path(tag = "households", request_body = MemberInput, params(("household_id" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = HouseholdResponse), (status = "4XX", body = Problem)))]
#[post("/households/{household_id}/members")]
pub async fn create_household_member(
    who: Authorized<ops::CreateHouseholdMember>,
    state: web::Data<AppState>,
    household_id: web::Path<String>,
    body: Body<MemberInput>,
) -> Result<Tagged<HouseholdResponse>, ApiError> {
    let h = members::add(&state, who, household_id.into_inner(), body.into_inner()?).await?;
    Ok(Tagged::created(h.version, h))
}

/// Change a member's relation, residence or move-out date (If-Match: the household's ETag);
/// `children_involved` of the household's cases follows.
#[utoipa::path(tag = "households", request_body = UpdateMemberRequest, security(("bearer" = [])),
    params(("household_id" = String, Path), ("member_id" = String, Path), ("If-Match" = String, Header, description = "ETag of the household as read", pattern = r#"^(W/)?"(0|[1-9][0-9]{0,8})"$"#)),
    responses((status = 200, body = HouseholdResponse), (status = "4XX", body = Problem)))]
#[patch("/households/{household_id}/members/{member_id}")]
pub async fn update_household_member(
    who: Authorized<ops::UpdateHouseholdMember>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
    body: Body<UpdateMemberRequest>,
) -> Result<Tagged<HouseholdResponse>, ApiError> {
    let h = members::update(&state, who, path.into_inner(), if_match, body.into_inner()?).await?;
    Ok(Tagged::ok(h.version, h))
}

/// A tenancy (every read is logged). ETag.
#[utoipa::path(tag = "households", params(("tenancy_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = TenancyResponse), (status = "4XX", body = Problem)))]
#[get("/tenancies/{tenancy_id}")]
pub async fn get_tenancy(
    who: Authorized<ops::GetTenancy>,
    state: web::Data<AppState>,
    tenancy_id: web::Path<String>,
) -> Result<Tagged<TenancyResponse>, ApiError> {
    let t = tenancy::get(&state, who, tenancy_id.into_inner()).await?;
    Ok(Tagged::ok(t.version, t))
}

/// A household's tenancies, oldest first.
#[utoipa::path(tag = "households", params(("household_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = TenancyList), (status = "4XX", body = Problem)))]
#[get("/households/{household_id}/tenancies")]
pub async fn list_household_tenancies(
    who: Authorized<ops::ListHouseholdTenancies>,
    state: web::Data<AppState>,
    household_id: web::Path<String>,
) -> Result<web::Json<TenancyList>, ApiError> {
    Ok(web::Json(
        tenancy::list(&state, who, household_id.into_inner()).await?,
    ))
}

/// Complete or correct a tenancy (rent, contract, rooms, size... that intake left as
/// placeholders), validated like a new one (If-Match).
#[utoipa::path(tag = "households", request_body = UpdateTenancyRequest, security(("bearer" = [])),
    params(("tenancy_id" = String, Path), ("If-Match" = String, Header, description = "ETag of the tenancy as read", pattern = r#"^(W/)?"(0|[1-9][0-9]{0,8})"$"#)),
    responses((status = 200, body = TenancyResponse), (status = "4XX", body = Problem)))]
#[patch("/tenancies/{tenancy_id}")]
pub async fn update_tenancy(
    who: Authorized<ops::UpdateTenancy>,
    state: web::Data<AppState>,
    tenancy_id: web::Path<String>,
    if_match: IfMatch,
    body: Body<UpdateTenancyRequest>,
) -> Result<Tagged<TenancyResponse>, ApiError> {
    let t = tenancy::update(
        &state,
        who,
        tenancy_id.into_inner(),
        if_match,
        body.into_inner()?,
    )
    .await?;
    Ok(Tagged::ok(t.version, t))
}
