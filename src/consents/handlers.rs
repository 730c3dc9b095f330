//! `/persons/{id}/consents/*` and `/cases/{id}/consents`.

use actix_web::{get, post, web};

use super::dto::{ConsentList, ConsentResponse, CreateConsentRequest, WithdrawConsentRequest};
use super::service;
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::http::etag::Tagged;
use crate::http::extract::Body;
use crate::state::AppState;

/// Record a person's consent (samtycke) for the caller's municipality. The person must be a
/// member of a household the caller reaches (404 otherwise, as for a missing person).
#[utoipa::path(tag = "consents", request_body = CreateConsentRequest,
    params(("person_id" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = ConsentResponse), (status = "4XX", body = Problem)))]
#[post("/persons/{person_id}/consents")]
pub async fn create_consent(
    who: Authorized<ops::CreateConsent>,
    state: web::Data<AppState>,
    person_id: web::Path<String>,
    body: Body<CreateConsentRequest>,
) -> Result<Tagged<ConsentResponse>, ApiError> {
    let c = service::create(&state, who, person_id.into_inner(), body.into_inner()?).await?;
    Ok(Tagged::created(c.version, c))
}

/// Record that the person withdrew a consent, from `withdrawn_on` (default today); once (409
/// after).
#[utoipa::path(tag = "consents", request_body = WithdrawConsentRequest,
    params(("person_id" = String, Path), ("consent_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ConsentResponse), (status = "4XX", body = Problem)))]
#[post("/persons/{person_id}/consents/{consent_id}/withdraw")]
pub async fn withdraw_consent(
    who: Authorized<ops::WithdrawConsent>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body<WithdrawConsentRequest>,
) -> Result<Tagged<ConsentResponse>, ApiError> {
    let c = service::withdraw(&state, who, path.into_inner(), body.into_inner()?).await?;
    Ok(Tagged::ok(c.version, c))
}

/// The consents of the case's household members recorded by the caller's municipality, each
/// with its validity today (valid, expired, withdrawn). Every read is logged.
#[utoipa::path(tag = "consents", params(("case_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ConsentList), (status = "4XX", body = Problem)))]
#[get("/cases/{case_id}/consents")]
pub async fn list_case_consents(
    who: Authorized<ops::ListCaseConsents>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
) -> Result<web::Json<ConsentList>, ApiError> {
    Ok(web::Json(
        service::list_for_case(&state, who, case_id.into_inner()).await?,
    ))
}
