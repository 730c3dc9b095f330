//! `/persons/search`, `/persons/access-extract`, `/persons/{id}`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use super::extract::{self, AccessExtractRequest, AccessExtractResponse, Format};
use super::profile::{self, PersonResponse, UpdatePersonRequest};
use super::service::{self, PersonSearchRequest, PersonSearchResponse};
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::http::etag::{IfMatch, Tagged};
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

/// `/persons/search` and `/persons/access-extract` are not ids: other methods on them stay a 405
/// with their own `Allow`.
fn not_a_sibling(ctx: &actix_web::guard::GuardContext<'_>) -> bool {
    let last = ctx.head().uri.path().rsplit('/').next().unwrap_or("");
    !matches!(last, "search" | "access-extract")
}

/// A person id is a UUID; anything else (a personnummer typed into the URL, say) is a missing
/// person, answered 404 without a lookup or an access-log row.
fn an_id(path: web::Path<String>) -> Result<String, ApiError> {
    let id = path.into_inner();
    uuid::Uuid::try_parse(&id)
        .map(|_| id)
        .map_err(|_| ApiError::NotFound)
}

/// A person you reach through a household (full personnummer, as in the household view; the
/// read is logged). The ETag is the person's version, for `PATCH /persons/{id}`.
#[utoipa::path(tag = "persons", params(("person_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = PersonResponse), (status = "4XX", body = Problem)))]
#[get("/persons/{person_id}", guard = "not_a_sibling")]
pub async fn get_person(
    who: Authorized<ops::GetPerson>,
    state: web::Data<AppState>,
    person_id: web::Path<String>,
) -> Result<Tagged<PersonResponse>, ApiError> {
    let p = profile::get(&state, who, an_id(person_id)?).await?;
    Ok(Tagged::ok(p.version, p))
}

/// Set or clear a person's protected identity (skyddad identitet; If-Match: the person's ETag).
/// Audited. While it is set, the addresses of the person's households are shown only to their
/// cases' assigned caseworkers and the units' supervisors.
#[utoipa::path(tag = "persons", request_body = UpdatePersonRequest, security(("bearer" = [])),
    params(("person_id" = String, Path), ("If-Match" = String, Header, description = "ETag of the person as read", pattern = r#"^(W/)?"(0|[1-9][0-9]{0,8})"$"#)),
    responses((status = 200, body = PersonResponse), (status = "4XX", body = Problem)))]
#[patch("/persons/{person_id}", guard = "not_a_sibling")]
pub async fn update_person(
    who: Authorized<ops::UpdatePerson>,
    state: web::Data<AppState>,
    person_id: web::Path<String>,
    if_match: IfMatch,
    body: Body<UpdatePersonRequest>,
) -> Result<Tagged<PersonResponse>, ApiError> {
    let p = profile::update(&state, who, an_id(person_id)?, if_match, body.into_inner()?).await?;
    Ok(Tagged::ok(p.version, p))
}
