//! `/persons/search`.

use actix_web::{post, web};

use super::service::{self, PersonSearchRequest, PersonSearchResponse};
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::http::extract::Body;
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
