//! `/access-reviews/*`.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};

use super::dto::{
    AccessReviewEntry, AccessReviewList, AccessReviewResponse, AccessReviewSummary,
    CreateAccessReviewRequest, VerdictRequest,
};
use super::{export, service};
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::http::etag::{IfMatch, Tagged};
use crate::http::extract::Body;
use crate::pagination::Page;
use crate::state::AppState;

/// Build a review set now for a unit and a period (Swedish dates, inclusive): a random sample
/// of the unit's access-log entries plus every flagged one. A supervisor reviews their own
/// unit; auditors and administrators name a unit of their organization.
#[utoipa::path(tag = "access-reviews", request_body = CreateAccessReviewRequest, security(("bearer" = [])),
    responses((status = 201, body = AccessReviewSummary), (status = "4XX", body = Problem)))]
#[post("/access-reviews")]
pub async fn create_access_review(
    who: Authorized<ops::CreateAccessReview>,
    state: web::Data<AppState>,
    body: Body<CreateAccessReviewRequest>,
) -> Result<Tagged<AccessReviewSummary>, ApiError> {
    let review = service::create(&state, who, body.into_inner()?).await?;
    Ok(Tagged::created(review.version, review))
}

/// The review sets in your reach (a supervisor's unit, an auditor's organization), newest
/// first.
#[utoipa::path(tag = "access-reviews", params(Page), security(("bearer" = [])),
    responses((status = 200, body = AccessReviewList), (status = "4XX", body = Problem)))]
#[get("/access-reviews")]
pub async fn list_access_reviews(
    who: Authorized<ops::ListAccessReviews>,
    state: web::Data<AppState>,
    page: web::Query<Page>,
) -> Result<web::Json<AccessReviewList>, ApiError> {
    Ok(web::Json(
        service::list(&state, who, page.into_inner()).await?,
    ))
}

/// A review set with every entry: the access-log row (ids, roles, times, operation), the
/// reasons it is in the set, and its verdict.
#[utoipa::path(tag = "access-reviews", params(("review_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = AccessReviewResponse), (status = "4XX", body = Problem)))]
#[get("/access-reviews/{review_id}")]
pub async fn get_access_review(
    who: Authorized<ops::GetAccessReview>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<Tagged<AccessReviewResponse>, ApiError> {
    let review = service::get(&state, who, id.into_inner()).await?;
    Ok(Tagged::ok(review.review.version, review))
}

/// Give (or change, while the set is open) the verdict on one entry: `ok`, `question` or
/// `incident`, with an optional comment. Never on your own read (403).
#[utoipa::path(tag = "access-reviews", request_body = VerdictRequest,
    params(("review_id" = String, Path), ("entry_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = AccessReviewEntry), (status = "4XX", body = Problem)))]
#[post("/access-reviews/{review_id}/entries/{entry_id}/verdict")]
pub async fn decide_access_review_entry(
    who: Authorized<ops::DecideAccessReviewEntry>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body<VerdictRequest>,
) -> Result<web::Json<AccessReviewEntry>, ApiError> {
    let entry = service::decide(&state, who, path.into_inner(), body.into_inner()?).await?;
    Ok(web::Json(entry))
}

/// Sign the set off (If-Match: the set's version): once, and only when every entry has a
/// verdict (409 says how many have none).
#[utoipa::path(tag = "access-reviews", security(("bearer" = [])),
    params(("review_id" = String, Path), ("If-Match" = String, Header, description = "ETag of the review as read", pattern = r#"^(W/)?"(0|[1-9][0-9]{0,8})"$"#)),
    responses((status = 200, body = AccessReviewSummary), (status = "4XX", body = Problem)))]
#[post("/access-reviews/{review_id}/sign-off")]
pub async fn sign_off_access_review(
    who: Authorized<ops::SignOffAccessReview>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<Tagged<AccessReviewSummary>, ApiError> {
    let review = service::sign_off(&state, who, id.into_inner(), if_match).await?;
    Ok(Tagged::ok(review.version, review))
}

/// The set as CSV for an inspection (IMY, IVO; `Accept: text/csv`): ids, roles, units, times,
/// operations, reasons and verdicts; no case content and no comments.
#[utoipa::path(tag = "access-reviews", params(("review_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The review set", content_type = "text/csv", body = String),
        (status = "4XX", body = Problem)))]
#[get("/access-reviews/{review_id}/export")]
pub async fn export_access_review(
    who: Authorized<ops::ExportAccessReview>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let csv = export::csv(&state, who, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"access-review.csv\"",
        ))
        .body(csv))
}
