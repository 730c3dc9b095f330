//! `/cases/{id}/rent-commitments/*` (staff) and `/landlord/rent-commitments` (landlords).

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};

use super::dto::{
    DraftRentCommitmentRequest, LandlordLetterList, RentCommitmentDecisionRequest,
    RentCommitmentDeliveryRequest, RentCommitmentList, RentCommitmentResponse,
};
use super::{landlord, letter, service};
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::http::etag::Tagged;
use crate::http::extract::Body;
use crate::integrations::submitter::Submits;
use crate::pagination::Page;
use crate::state::AppState;

/// Draft a rent commitment to the landlord of the case's tenancy (status `pending`). Above the
/// unit's `rent_commitment_limit` only a supervisor may draft (403).
#[utoipa::path(tag = "rent-commitments", request_body = DraftRentCommitmentRequest,
    params(("case_id" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = RentCommitmentResponse), (status = "4XX", body = Problem)))]
#[post("/cases/{case_id}/rent-commitments")]
pub async fn create_rent_commitment(
    who: Authorized<ops::CreateRentCommitment>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
    body: Body<DraftRentCommitmentRequest>,
) -> Result<Tagged<RentCommitmentResponse>, ApiError> {
    let req = body.into_inner()?.validate()?;
    let rc = service::draft(&state, who, case_id.into_inner(), req).await?;
    Ok(Tagged::created(rc.version, rc))
}

/// The case's rent commitments, oldest first, each with its delivery measured against the
/// current reinstatement period.
#[utoipa::path(tag = "rent-commitments", params(("case_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = RentCommitmentList), (status = "4XX", body = Problem)))]
#[get("/cases/{case_id}/rent-commitments")]
pub async fn list_rent_commitments(
    who: Authorized<ops::ListRentCommitments>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
) -> Result<web::Json<RentCommitmentList>, ApiError> {
    Ok(web::Json(
        service::list(&state, who, case_id.into_inner()).await?,
    ))
}

/// Approve or reject a pending commitment, once (409 after). A supervisor of the case's unit
/// other than the drafter (403 for the drafter), or of another unit of the municipality when
/// the case's unit has no other active supervisor. Approval issues the letter.
#[utoipa::path(tag = "rent-commitments", request_body = RentCommitmentDecisionRequest,
    params(("case_id" = String, Path), ("commitment_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = RentCommitmentResponse), (status = "4XX", body = Problem)))]
#[post("/cases/{case_id}/rent-commitments/{commitment_id}/decision")]
pub async fn decide_rent_commitment(
    who: Authorized<ops::DecideRentCommitment>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body<RentCommitmentDecisionRequest>,
) -> Result<Tagged<RentCommitmentResponse>, ApiError> {
    let req = body.into_inner()?.validate()?;
    let (case_id, rc_id) = path.into_inner();
    let rc = service::decide(&state, who, case_id, rc_id, req).await?;
    Ok(Tagged::ok(rc.version, rc))
}

/// The approved letter as a PDF (`Accept: application/pdf`; 409 before approval).
#[utoipa::path(tag = "rent-commitments",
    params(("case_id" = String, Path), ("commitment_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The letter", content_type = "application/pdf", body = Vec<u8>),
        (status = "4XX", body = Problem)))]
#[get("/cases/{case_id}/rent-commitments/{commitment_id}/letter")]
pub async fn get_rent_commitment_letter(
    who: Authorized<ops::GetRentCommitmentLetter>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (case_id, rc_id) = path.into_inner();
    let pdf = letter::pdf(&state, who, case_id, rc_id).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "inline; filename=\"forbindelse.pdf\"",
        ))
        .body(pdf))
}

/// Record when and how an approved letter reached the landlord (once; 409 after). Registers
/// `rent_commitment_issued` with `delivered_on` on the case's notice ledger.
#[utoipa::path(tag = "rent-commitments", request_body = RentCommitmentDeliveryRequest,
    params(("case_id" = String, Path), ("commitment_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = RentCommitmentResponse), (status = "4XX", body = Problem)))]
#[post("/cases/{case_id}/rent-commitments/{commitment_id}/delivery")]
pub async fn deliver_rent_commitment(
    who: Authorized<ops::DeliverRentCommitment>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body<RentCommitmentDeliveryRequest>,
) -> Result<Tagged<RentCommitmentResponse>, ApiError> {
    let req = body.into_inner()?;
    service::check_delivery_date(req.delivered_on)?;
    let (case_id, rc_id) = path.into_inner();
    let rc = service::deliver(&state, who, case_id, rc_id, req).await?;
    Ok(Tagged::ok(rc.version, rc))
}

/// The approved rent-commitment letters addressed to your organization (landlord users, and
/// integration clients with `landlord:commitments`): the letter's contents only. The first
/// read of a letter records its delivery (channel `portal`).
#[utoipa::path(tag = "rent-commitments", params(Page), security(("bearer" = [])),
    responses((status = 200, body = LandlordLetterList), (status = "4XX", body = Problem)))]
#[get("/landlord/rent-commitments")]
pub async fn list_landlord_rent_commitments(
    who: Submits<ops::ListLandlordRentCommitments>,
    state: web::Data<AppState>,
    page: web::Query<Page>,
) -> Result<web::Json<LandlordLetterList>, ApiError> {
    Ok(web::Json(
        landlord::list(&state, who, page.into_inner()).await?,
    ))
}
