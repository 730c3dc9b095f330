//! `/audit/*`.

use actix_web::{get, web};

use super::verify::VerifyReport;
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Verify the audit chain: seals what is committed, then walks every event (auditor, admin).
#[utoipa::path(tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = VerifyReport), (status = "4XX", body = Problem)))]
#[get("/audit/verify")]
pub async fn verify_audit(
    who: Authorized<ops::VerifyAudit>,
    state: web::Data<AppState>,
) -> Result<web::Json<VerifyReport>, ApiError> {
    let _ = who; // the extractor has checked the policy
    let key = state.keys.audit.clone();
    let report = state
        .db
        .run(move |conn| {
            super::sealer::seal_all(conn, &key)?;
            Ok(super::verify::verify(conn, &key)?)
        })
        .await?;
    Ok(web::Json(report))
}
