//! `/cases/{id}/notices` and `/cases/{id}/deadlines`.

use actix_web::{HttpResponse, get, post, web};

use super::dto::{CreateNoticeRequest, DeadlineList, NoticeList, NoticeResponse};
use super::{deadlines, service};
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::http::extract::Body;
use crate::state::AppState;

/// Register a notice that reached social services on paper (immutable; a correction
/// supersedes). Deadlines are recomputed and the legal stage follows.
#[utoipa::path(tag = "notices", request_body = CreateNoticeRequest, security(("bearer" = [])), params(("case_id" = String, Path)),
    responses((status = 201, body = NoticeResponse), (status = "4XX", body = Problem)))]
#[post("/cases/{case_id}/notices")]
pub async fn create_notice(
    who: Authorized<ops::CreateNotice>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
    body: Body<CreateNoticeRequest>,
) -> Result<HttpResponse, ApiError> {
    let n = service::create(&state, who, case_id.into_inner(), body.into_inner()?).await?;
    Ok(HttpResponse::Created().json(n))
}

/// The case's notice ledger.
#[utoipa::path(tag = "notices", params(("case_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = NoticeList), (status = "4XX", body = Problem)))]
#[get("/cases/{case_id}/notices")]
pub async fn list_notices(
    who: Authorized<ops::ListNotices>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
) -> Result<web::Json<NoticeList>, ApiError> {
    Ok(web::Json(
        service::list(&state, who, case_id.into_inner()).await?,
    ))
}

/// The case's legal deadlines (rule version and input notices on each), status as of today.
#[utoipa::path(tag = "notices", params(("case_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = DeadlineList), (status = "4XX", body = Problem)))]
#[get("/cases/{case_id}/deadlines")]
pub async fn list_deadlines(
    who: Authorized<ops::ListDeadlines>,
    state: web::Data<AppState>,
    case_id: web::Path<String>,
) -> Result<web::Json<DeadlineList>, ApiError> {
    Ok(web::Json(
        deadlines::list(&state, who, case_id.into_inner()).await?,
    ))
}
