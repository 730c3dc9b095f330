//! `/persons/search`, `/persons/access-extract`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};

use super::extract::{self, AccessExtractRequest, AccessExtractResponse, Format};
use super::service::{self, PersonSearchRequest, PersonSearchResponse};
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::http::extract::Body;
use crate::http::negotiate;
use crate::state::AppState;

/// Find a person's cases in your scope by personnummer (in the body, never the URL).
#[utoipa::path(tag = "persons", request_body = PersonSearchRequest, security(("bearer" = [])),
    responses((status = 200, body = PersonSearchResponse), (status = "4XX", body = Problem)))]
#[post("/persons/search")]
pub async fn search_persons(
    who: Authorized<ops::SearchPersons>,
    state: web::Data<AppState>,
    body: Body<PersonSearchRequest>,
) -> Result<web::Json<PersonSearchResponse>, ApiError> {
    Ok(web::Json(
        service::search(&state, who, body.into_inner()?).await?,
    ))
}

/// The access-log part of a data subject's request for access (GDPR art. 15), for auditors:
/// every read of the person's data by your organization's staff (when, role and unit,
/// operation), including reads of their cases, household and tenancies while they were a
/// member. JSON, or CSV with `Accept: text/csv`. The personnummer goes in the body.
#[utoipa::path(tag = "persons", request_body = AccessExtractRequest, security(("bearer" = [])),
    responses((status = 200, description = "The reads, oldest first",
            content((AccessExtractResponse = "application/json"), (String = "text/csv"))),
        (status = "4XX", body = Problem)))]
#[post("/persons/access-extract")]
pub async fn extract_person_access(
    who: Authorized<ops::ExtractPersonAccess>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body<AccessExtractRequest>,
) -> Result<HttpResponse, ApiError> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let format = if negotiate::prefers(accept, "text/csv") {
        Format::Csv
    } else {
        Format::Json
    };
    let found = extract::extract(&state, who, body.into_inner()?, format).await?;
    Ok(match format {
        Format::Csv => HttpResponse::Ok()
            .content_type("text/csv")
            .insert_header((
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"access-extract.csv\"",
            ))
            .body(extract::to_csv(&found)),
        Format::Json => HttpResponse::Ok().json(found),
    })
}
