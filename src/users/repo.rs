//! User queries. Every query that serves a caller takes the organization filter it must apply.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::Role;
use crate::db::AnyConnection;
use crate::db::schema::{organizations, users};
use crate::domain::states::UserStatus;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub organization_id: String,
    pub unit_id: Option<String>,
    pub status: UserStatus,
    pub token_version: i32,
    pub last_login_at: Option<NaiveDateTime>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUserRow<'a> {
    pub id: &'a str,
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub organization_id: &'a str,
    pub unit_id: Option<&'a str>,
    pub status: UserStatus,
    pub token_version: i32,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The fields an update may change; `None` leaves a field as it is.
#[derive(AsChangeset, Default)]
#[diesel(table_name = users)]
pub struct UserChanges<'a> {
    pub role: Option<Role>,
    pub unit_id: Option<Option<&'a str>>,
    pub status: Option<UserStatus>,
    pub display_name: Option<&'a str>,
    pub password_hash: Option<&'a str>,
}

pub fn insert(conn: &mut AnyConnection, row: &NewUserRow<'_>) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)?;
    find(conn, row.id)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<UserRow> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
}

pub fn find_by_username(conn: &mut AnyConnection, username: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// A user and the kind of its organization (for the principal).
pub fn find_with_org_kind(
    conn: &mut AnyConnection,
    id: &str,
) -> QueryResult<Option<(UserRow, crate::domain::states::OrganizationKind)>> {
    users::table
        .inner_join(organizations::table)
        .filter(users::id.eq(id))
        .select((UserRow::as_select(), organizations::kind))
        .first(conn)
        .optional()
}

/// A user in scope: `org` None means every organization (platform administrators).
pub fn find_scoped(conn: &mut AnyConnection, id: &str, org: Option<&str>) -> QueryResult<UserRow> {
    let mut q = users::table
        .filter(users::id.eq(id))
        .select(UserRow::as_select())
        .into_boxed();
    if let Some(org) = org {
        q = q.filter(users::organization_id.eq(org));
    }
    q.first(conn)
}

/// A page of users in scope, ordered by id, after `after`.
pub fn list_scoped(
    conn: &mut AnyConnection,
    org: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut q = users::table.select(UserRow::as_select()).into_boxed();
    if let Some(org) = org {
        q = q.filter(users::organization_id.eq(org));
    }
    if let Some(after) = after {
        q = q.filter(users::id.gt(after));
    }
    q.order(users::id).limit(limit).load(conn)
}

/// Optimistic update: applies only when the version still matches; bumps version and, when
/// `bump_tokens`, token_version (which refuses every token issued before).
pub fn update_versioned(
    conn: &mut AnyConnection,
    id: &str,
    expected_version: i32,
    changes: &UserChanges<'_>,
    bump_tokens: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let target = users::table
        .filter(users::id.eq(id))
        .filter(users::version.eq(expected_version));
    let bump = if bump_tokens { 1 } else { 0 };
    let n = diesel::update(target)
        .set((
            changes,
            users::version.eq(users::version + 1),
            users::token_version.eq(users::token_version + bump),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Take the user's row lock for the rest of the transaction (a no-op update). Changes to a user
/// and the refresh and logout of its sessions all lock this row before touching refresh tokens,
/// so on PostgreSQL they serialize (SQLite has one writer anyway).
pub fn lock(conn: &mut AnyConnection, id: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::token_version.eq(users::token_version))
        .execute(conn)
        .map(drop)
}

/// Bump token_version alone (not the row's version): every access token issued before is
/// refused.
pub fn bump_token_version(conn: &mut AnyConnection, id: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::token_version.eq(users::token_version + 1))
        .execute(conn)
        .map(drop)
}

pub fn record_login_success(
    conn: &mut AnyConnection,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::last_login_at.eq(now))
        .execute(conn)
        .map(drop)
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}
