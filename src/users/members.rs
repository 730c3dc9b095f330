//! `GET /units/{unit_id}/members`: who a supervisor may assign the unit's cases to (an active
//! caseworker or supervisor of the unit, `rules::may_be_assigned`): id, display name and role,
//! nothing more.

use actix_web::{get, web};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Role;
use crate::auth::policy::{Authorized, ops};
use crate::auth::scope;
use crate::db::AnyConnection;
use crate::db::schema::users;
use crate::domain::states::UserStatus;
use crate::error::{ApiError, Problem};
use crate::pagination::{Cursor, Page};
use crate::state::AppState;

/// A member of a unit who may hold its cases.
#[derive(Debug, Serialize, ToSchema, Queryable)]
pub struct UnitMember {
    pub id: String,
    pub display_name: String,
    pub role: Role,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitMemberList {
    /// By id.
    pub items: Vec<UnitMember>,
    pub next_cursor: Option<String>,
}

/// The assignable members of `unit_id`, by id after `after`.
fn assignable(
    conn: &mut AnyConnection,
    unit_id: &str,
    after: Option<String>,
    limit: i64,
) -> QueryResult<Vec<UnitMember>> {
    let mut q = users::table
        .filter(users::unit_id.eq(unit_id.to_owned()))
        .filter(users::status.eq(UserStatus::Active))
        .filter(users::role.eq_any([Role::Caseworker, Role::Supervisor]))
        .select((users::id, users::display_name, users::role))
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(users::id.gt(a));
    }
    q.order(users::id).limit(limit).load(conn)
}

/// The caseworkers and supervisors of your unit who may be assigned its cases (supervisors;
/// another unit is 404). Assign with `PATCH /cases/{case_id}` (`assigned_to`).
#[utoipa::path(tag = "users", params(("unit_id" = String, Path), Page), security(("bearer" = [])),
    responses((status = 200, body = UnitMemberList), (status = "4XX", body = Problem)))]
#[get("/units/{unit_id}/members")]
pub async fn list_unit_members(
    who: Authorized<ops::ListUnitMembers>,
    state: web::Data<AppState>,
    unit_id: web::Path<String>,
    page: web::Query<Page>,
) -> Result<web::Json<UnitMemberList>, ApiError> {
    let (limit, after) = page.parse()?;
    let unit_id = unit_id.into_inner();
    if scope::own_unit(&who) != Some(unit_id.as_str()) {
        return Err(ApiError::NotFound);
    }
    let list = state
        .db
        .run(move |conn| {
            let mut items = assignable(conn, &unit_id, after, limit + 1)?;
            let next_cursor = Cursor::next(&mut items, limit, |m| m.id.clone());
            Ok(UnitMemberList { items, next_cursor })
        })
        .await?;
    Ok(web::Json(list))
}
