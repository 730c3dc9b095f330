//! `/closure-requests` and `/rent-commitments`: what waits for the unit's supervisor.

use actix_web::{get, web};

use super::dto::{
    ClosureRequestFilter, ClosureRequestList, RentCommitmentFilter, UnitRentCommitmentList,
};
use super::service;
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// The closure requests of your unit's cases (supervisors), `pending` by default, oldest first,
/// each with its reason and a summary of its case. Decide one with
/// `POST /cases/{case_id}/closure-approvals`.
#[utoipa::path(tag = "cases", params(ClosureRequestFilter), security(("bearer" = [])),
    responses((status = 200, body = ClosureRequestList), (status = "4XX", body = Problem)))]
#[get("/closure-requests")]
pub async fn list_closure_requests(
    who: Authorized<ops::ListClosureRequests>,
    state: web::Data<AppState>,
    filter: web::Query<ClosureRequestFilter>,
) -> Result<web::Json<ClosureRequestList>, ApiError> {
    Ok(web::Json(
        service::closure_requests(&state, who, filter.into_inner()).await?,
    ))
}

/// The rent commitments of your unit's cases (supervisors), `pending` by default, oldest first,
/// each with its case's reinstatement period and a summary of its case. Decide one with
/// `POST /cases/{case_id}/rent-commitments/{commitment_id}/decision`.
#[utoipa::path(tag = "rent-commitments", params(RentCommitmentFilter), security(("bearer" = [])),
    responses((status = 200, body = UnitRentCommitmentList), (status = "4XX", body = Problem)))]
#[get("/rent-commitments")]
pub async fn list_unit_rent_commitments(
    who: Authorized<ops::ListUnitRentCommitments>,
    state: web::Data<AppState>,
    filter: web::Query<RentCommitmentFilter>,
) -> Result<web::Json<UnitRentCommitmentList>, ApiError> {
    Ok(web::Json(
        service::rent_commitments(&state, who, filter.into_inner()).await?,
    ))
}
