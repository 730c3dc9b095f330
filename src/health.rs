//! Liveness, readiness and metrics.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up (never touches the database).
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/health/live")]
pub async fn health_live() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// Ready to serve: the database answers and the server is not shutting down; 503 otherwise.
#[utoipa::path(tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Problem)))]
#[get("/health/ready")]
pub async fn health_ready(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    if state.is_shutting_down() {
        return Err(ApiError::Unavailable("shutting down".into()));
    }
    if !state.db.ping(Duration::from_secs(1)).await {
        return Err(ApiError::Unavailable("database did not answer".into()));
    }
    Ok(web::Json(Health { status: "ok" }))
}

/// Prometheus text exposition: requests by route and status, latency, pool state.
#[utoipa::path(tag = "operations",
    responses((status = 200, content_type = "text/plain", body = String)))]
#[get("/metrics")]
pub async fn get_metrics(state: web::Data<AppState>) -> HttpResponse {
    state.hasher.report_metrics();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(crate::metrics::render(state.db.pool()))
}
