//! `/worklist`.

use actix_web::{get, web};

use super::service::{self, WorklistResponse};
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Your cases by legal urgency (children first at equal urgency); supervisors also see the
/// unit's unassigned new cases and the escalation list.
#[utoipa::path(tag = "cases", security(("bearer" = [])),
    responses((status = 200, body = WorklistResponse), (status = "4XX", body = Problem)))]
#[get("/worklist")]
pub async fn get_worklist(
    who: Authorized<ops::GetWorklist>,
    state: web::Data<AppState>,
) -> Result<web::Json<WorklistResponse>, ApiError> {
    Ok(web::Json(service::get(&state, who).await?))
}
