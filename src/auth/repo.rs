//! Refresh-token storage: only SHA-256 hashes are stored; tokens of one login form a family.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::refresh_tokens;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshRow {
    pub id: String,
    pub user_id: String,
    pub family_id: String,
    pub token_hash: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut AnyConnection,
    user_id: &str,
    family_id: &str,
    token_hash: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(crate::db::types::new_id()),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::expires_at.eq(expires_at),
            refresh_tokens::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

pub fn find_by_hash(conn: &mut AnyConnection, token_hash: &str) -> QueryResult<Option<RefreshRow>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshRow::as_select())
        .first(conn)
        .optional()
}

/// Mark a token used, only if it was unused (false: someone else used it first).
pub fn mark_used(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(id))
            .filter(refresh_tokens::used_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// When the session of `family_id` began: its first refresh token.
pub fn family_started(
    conn: &mut AnyConnection,
    family_id: &str,
) -> QueryResult<Option<NaiveDateTime>> {
    refresh_tokens::table
        .filter(refresh_tokens::family_id.eq(family_id))
        .select(diesel::dsl::min(refresh_tokens::created_at))
        .first(conn)
}

pub fn revoke_family(
    conn: &mut AnyConnection,
    family_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
}

/// Revoke every refresh token of a user: all of its sessions end.
pub fn revoke_user(
    conn: &mut AnyConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
}
