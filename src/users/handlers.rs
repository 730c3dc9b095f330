//! `/users`.

use actix_web::{get, patch, post, web};

use super::dto::{CreateUserRequest, UpdateUserRequest, UserList, UserResponse};
use super::service;
use crate::auth::policy::{Authorized, ops};
use crate::error::{ApiError, Problem};
use crate::http::etag::{IfMatch, Tagged};
use crate::http::extract::Body;
use crate::pagination::Page;
use crate::state::AppState;

/// Create a staff user (admin; within the admin's organization unless platform admin).
#[utoipa::path(tag = "users", request_body = CreateUserRequest, security(("bearer" = [])),
    responses((status = 201, body = UserResponse), (status = "4XX", body = Problem)))]
#[post("/users")]
pub async fn create_user(
    who: Authorized<ops::CreateUser>,
    state: web::Data<AppState>,
    body: Body<CreateUserRequest>,
) -> Result<Tagged<UserResponse>, ApiError> {
    let user = service::create(&state, who, body.into_inner()?).await?;
    Ok(Tagged::created(user.version, user))
}

/// List users in scope.
#[utoipa::path(tag = "users", params(Page), security(("bearer" = [])),
    responses((status = 200, body = UserList), (status = "4XX", body = Problem)))]
#[get("/users")]
pub async fn list_users(
    who: Authorized<ops::ListUsers>,
    state: web::Data<AppState>,
    page: web::Query<Page>,
) -> Result<web::Json<UserList>, ApiError> {
    Ok(web::Json(
        service::list(&state.db, who, page.into_inner()).await?,
    ))
}

/// One user (ETag).
#[utoipa::path(tag = "users", params(("user_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = UserResponse), (status = "4XX", body = Problem)))]
#[get("/users/{user_id}")]
pub async fn get_user(
    who: Authorized<ops::GetUser>,
    state: web::Data<AppState>,
    user_id: web::Path<String>,
) -> Result<Tagged<UserResponse>, ApiError> {
    let user = service::get(&state.db, who, user_id.into_inner()).await?;
    Ok(Tagged::ok(user.version, user))
}

/// Change role, unit, status, display name or password (If-Match required).
#[utoipa::path(tag = "users", request_body = UpdateUserRequest, security(("bearer" = [])),
    params(("user_id" = String, Path), ("If-Match" = String, Header, description = "ETag of the user as read", pattern = r#"^(W/)?"(0|[1-9][0-9]{0,8})"$"#)),
    responses((status = 200, body = UserResponse), (status = "4XX", body = Problem)))]
#[patch("/users/{user_id}")]
pub async fn update_user(
    who: Authorized<ops::UpdateUser>,
    state: web::Data<AppState>,
    user_id: web::Path<String>,
    if_match: IfMatch,
    body: Body<UpdateUserRequest>,
) -> Result<Tagged<UserResponse>, ApiError> {
    let user = service::update(
        &state,
        who,
        user_id.into_inner(),
        if_match,
        body.into_inner()?,
    )
    .await?;
    Ok(Tagged::ok(user.version, user))
}
