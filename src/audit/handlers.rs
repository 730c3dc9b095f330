//! `/audit/*`.

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::checkpoint::Checkpoint;
use super::verify::VerifyReport;
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::pagination::{Cursor, Page};
use crate::state::AppState;

/// Verify the audit chain: seals what is committed, then walks every event and holds the chain
/// to every signed checkpoint (database and external sink) (auditor, admin).
#[utoipa::path(tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = VerifyReport), (status = "4XX", body = Problem)))]
#[get("/audit/verify")]
pub async fn verify_audit(
    who: Authorized<ops::VerifyAudit>,
    state: web::Data<AppState>,
) -> Result<web::Json<VerifyReport>, ApiError> {
    let _ = who; // the extractor has checked the policy
    let key = state.keys.audit.clone();
    let cfg = state.checkpoints.clone();
    let report = state
        .db
        .run(move |conn| super::verify::seal_and_verify(conn, &key, &cfg, Vec::new()))
        .await?;
    Ok(web::Json(report))
}

/// A page of signed checkpoints, oldest first, with the key that verifies them.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointPage {
    /// Ed25519 public key of this installation (base64, 32 bytes).
    pub public_key: String,
    /// First 8 bytes of SHA-256 over the public key (hex), as in every checkpoint.
    pub key_id: String,
    pub items: Vec<Checkpoint>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Export the signed audit checkpoints (auditor, admin). Each signs
/// `kvar-audit-checkpoint/v1\nkvar audit chain\n{seq}\n{hash}\n{at}\n` with Ed25519; keep copies
/// outside this installation to detect a truncated or rewritten chain later.
#[utoipa::path(tag = "audit", security(("bearer" = [])), params(Page),
    responses((status = 200, body = CheckpointPage), (status = "4XX", body = Problem)))]
#[get("/audit/checkpoints")]
pub async fn list_audit_checkpoints(
    who: Authorized<ops::ListAuditCheckpoints>,
    state: web::Data<AppState>,
    page: web::Query<Page>,
) -> Result<web::Json<CheckpointPage>, ApiError> {
    let _ = who;
    let (limit, after) = page.parse()?;
    let after: i64 = match after {
        None => 0,
        Some(k) => k
            .parse()
            .map_err(|_| ApiError::field("cursor", "is not a cursor from this API"))?,
    };
    let mut items = state
        .db
        .run(move |conn| Ok(super::checkpoint::list(conn, after, limit + 1)?))
        .await?;
    let next_cursor = Cursor::next(&mut items, limit, |c| c.seq.to_string());
    Ok(web::Json(CheckpointPage {
        public_key: state.checkpoints.signer.public_key_base64(),
        key_id: state.checkpoints.signer.key_id(),
        items,
        next_cursor,
    }))
}
