//! `/auth/*` and `/me`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};

use super::policy::{Authorized, ops};
use super::service::{self, LoginRequest, RefreshRequest, TokenResponse};
use crate::error::{ApiError, Problem};
use crate::http::context;
use crate::http::extract::Body;
use crate::state::AppState;
use crate::users::dto::MeResponse;

/// The client's address for the per-address limits (`KVAR_TRUSTED_PROXIES`).
pub fn ip(req: &HttpRequest) -> Option<std::net::IpAddr> {
    let proxies = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.trusted_proxies.clone())
        .unwrap_or_default();
    crate::http::client_ip::of_request(req, &proxies)
}

/// Sign in with username and password.
#[utoipa::path(tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = "4XX", body = Problem)))]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body<LoginRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let pair = service::login(&state, ip(&req), body.into_inner()?, context::request_id()).await?;
    Ok(web::Json(pair))
}

/// Exchange a refresh token for a new pair (the old one stops working).
#[utoipa::path(tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = "4XX", body = Problem)))]
#[post("/auth/refresh")]
pub async fn refresh_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let pair =
        service::refresh(&state, ip(&req), body.into_inner()?, context::request_id()).await?;
    Ok(web::Json(pair))
}

/// Sign out: the session's refresh tokens and all the user's access tokens stop working.
///
/// The user's other sessions keep their refresh tokens and get a new access token from them.
#[utoipa::path(tag = "auth", request_body = RefreshRequest,
    responses((status = 204), (status = "4XX", body = Problem)))]
#[post("/auth/logout")]
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Body<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    service::logout(&state, ip(&req), body.into_inner()?, context::request_id()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user, with role, organization and unit.
#[utoipa::path(tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = "4XX", body = Problem)))]
#[get("/me")]
pub async fn get_me(
    who: Authorized<ops::GetMe>,
    state: web::Data<AppState>,
) -> Result<web::Json<MeResponse>, ApiError> {
    let me = crate::users::service::me(&state.db, who).await?;
    Ok(web::Json(me))
}
