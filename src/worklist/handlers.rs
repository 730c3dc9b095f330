//! `/worklist`.

use actix_web::{get, web};

use super::service::{self, WorklistResponse};
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::pagination::Page;
use crate::state::AppState;

/// Your open cases by legal urgency over all of them (children first at equal urgency),
/// keyset-paginated (`limit`, `cursor`); supervisors see every case of the unit and, on the
/// first page, the escalation list.
#[utoipa::path(tag = "cases", security(("bearer" = [])),
    params(Page),
    responses((status = 200, body = WorklistResponse), (status = "4XX", body = Problem)))]
#[get("/worklist")]
pub async fn get_worklist(
    who: Authorized<ops::GetWorklist>,
    state: web::Data<AppState>,
    page: web::Query<Page>,
) -> Result<web::Json<WorklistResponse>, ApiError> {
    Ok(web::Json(
        service::get(&state, who, page.into_inner()).await?,
    ))
}
