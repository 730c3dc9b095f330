//! `/organizations` and their units.

use actix_web::{get, patch, post, web};

use super::dto::{
    CreateOrganizationRequest, CreateUnitRequest, OrganizationList, OrganizationResponse, UnitList,
    UnitResponse, UpdateOrganizationRequest,
};
use super::service;
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::http::etag::{IfMatch, Tagged};
use crate::http::extract::Body;
use crate::pagination::Page;
use crate::state::AppState;

/// Create an organization (platform admin).
#[utoipa::path(tag = "organizations", request_body = CreateOrganizationRequest, security(("bearer" = [])),
    responses((status = 201, body = OrganizationResponse), (status = "4XX", body = Problem)))]
#[post("/organizations")]
pub async fn create_organization(
    who: Authorized<ops::CreateOrganization>,
    state: web::Data<AppState>,
    body: Body<CreateOrganizationRequest>,
) -> Result<Tagged<OrganizationResponse>, ApiError> {
    let org = service::create(&state.db, who, body.into_inner()?).await?;
    Ok(Tagged::created(org.version, org))
}

/// List organizations in scope.
#[utoipa::path(tag = "organizations", params(Page), security(("bearer" = [])),
    responses((status = 200, body = OrganizationList), (status = "4XX", body = Problem)))]
#[get("/organizations")]
pub async fn list_organizations(
    who: Authorized<ops::ListOrganizations>,
    state: web::Data<AppState>,
    page: web::Query<Page>,
) -> Result<web::Json<OrganizationList>, ApiError> {
    Ok(web::Json(
        service::list(&state.db, who, page.into_inner()).await?,
    ))
}

/// One organization.
#[utoipa::path(tag = "organizations", params(("organization_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrganizationResponse), (status = "4XX", body = Problem)))]
#[get("/organizations/{organization_id}")]
pub async fn get_organization(
    who: Authorized<ops::GetOrganization>,
    state: web::Data<AppState>,
    organization_id: web::Path<String>,
) -> Result<Tagged<OrganizationResponse>, ApiError> {
    let org = service::get(&state.db, who, organization_id.into_inner()).await?;
    Ok(Tagged::ok(org.version, org))
}

/// Set an organization's county (länskod; platform admin, If-Match: its ETag), validated as at
/// creation. Audited. A county board's analysts see the statistics of its county.
#[utoipa::path(tag = "organizations", request_body = UpdateOrganizationRequest, security(("bearer" = [])),
    params(("organization_id" = String, Path), ("If-Match" = String, Header, description = "ETag of the organization as read", pattern = r#"^(W/)?"(0|[1-9][0-9]{0,8})"$"#)),
    responses((status = 200, body = OrganizationResponse), (status = "4XX", body = Problem)))]
#[patch("/organizations/{organization_id}")]
pub async fn update_organization(
    who: Authorized<ops::UpdateOrganization>,
    state: web::Data<AppState>,
    organization_id: web::Path<String>,
    if_match: IfMatch,
    body: Body<UpdateOrganizationRequest>,
) -> Result<Tagged<OrganizationResponse>, ApiError> {
    let org = service::update(
        &state.db,
        who,
        organization_id.into_inner(),
        if_match,
        body.into_inner()?,
    )
    .await?;
    Ok(Tagged::ok(org.version, org))
}

/// Create a unit in a municipality (its first unit becomes the intake unit).
#[utoipa::path(tag = "organizations", request_body = CreateUnitRequest, security(("bearer" = [])),
    params(("organization_id" = String, Path)),
    responses((status = 201, body = UnitResponse), (status = "4XX", body = Problem)))]
#[post("/organizations/{organization_id}/units")]
pub async fn create_unit(
    who: Authorized<ops::CreateUnit>,
    state: web::Data<AppState>,
    organization_id: web::Path<String>,
    body: Body<CreateUnitRequest>,
) -> Result<Tagged<UnitResponse>, ApiError> {
    let unit = service::create_unit(
        &state.db,
        who,
        organization_id.into_inner(),
        body.into_inner()?,
    )
    .await?;
    Ok(Tagged::created(unit.version, unit))
}

/// The units of an organization.
#[utoipa::path(tag = "organizations", params(("organization_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = UnitList), (status = "4XX", body = Problem)))]
#[get("/organizations/{organization_id}/units")]
pub async fn list_units(
    who: Authorized<ops::ListUnits>,
    state: web::Data<AppState>,
    organization_id: web::Path<String>,
) -> Result<web::Json<UnitList>, ApiError> {
    Ok(web::Json(
        service::list_units(&state.db, who, organization_id.into_inner()).await?,
    ))
}
