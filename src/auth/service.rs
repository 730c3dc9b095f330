//! Sign-in, token refresh and sign-out: the rules, the transactions, the audit events.

use std::net::IpAddr;

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{password, repo as tokens_repo, throttle};
use crate::audit::AuditAction;
use crate::audit::{self, Actor, Changes, NewEvent};
use crate::crypto::random;
use crate::db::{Tx, types};
use crate::domain::states::UserStatus;
use crate::error::ApiError;
use crate::state::AppState;
use crate::users::repo::{self as users, UserRow};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

fn user_actor(u: &UserRow, request_id: &str) -> Actor {
    Actor {
        kind: "user",
        id: Some(u.id.clone()),
        role: Some(u.role.as_str().into()),
        unit_id: u.unit_id.clone(),
        request_id: Some(request_id.to_owned()),
    }
}

/// When a refresh token issued at `now` in a session that began at `started` stops working:
/// after `idle` without use, and never later than `absolute` after the session began
/// (ASVS 7.3: idle and absolute session timeouts).
pub fn refresh_expiry(
    started: NaiveDateTime,
    now: NaiveDateTime,
    idle: std::time::Duration,
    absolute: std::time::Duration,
) -> NaiveDateTime {
    let idle = Duration::from_std(idle).unwrap_or(Duration::minutes(30));
    let absolute = Duration::from_std(absolute).unwrap_or(Duration::hours(8));
    (now + idle).min(started + absolute)
}

/// Issue a refresh token in `family` (a session that began at `started`) and an access token;
/// both stored/returned in `tx`.
fn issue_pair(
    tx: &mut Tx<'_>,
    state: &AppState,
    user: &UserRow,
    (family, started): (&str, NaiveDateTime),
    now: NaiveDateTime,
) -> Result<TokenResponse, ApiError> {
    let refresh = random::token();
    let s = &state.settings;
    tokens_repo::insert(
        tx,
        &user.id,
        family,
        &random::token_hash(&refresh),
        refresh_expiry(started, now, s.refresh_idle, s.refresh_token_ttl),
        now,
    )?;
    let access = state
        .tokens
        .issue(&user.id, user.token_version)
        .map_err(|e| ApiError::Internal(format!("jwt: {e}")))?;
    Ok(TokenResponse {
        access_token: access,
        refresh_token: refresh,
        token_type: "Bearer",
        expires_in: state.tokens.ttl().as_secs(),
    })
}

enum LoginOutcome {
    Success(TokenResponse),
    Refused,
}

/// `POST /auth/login`.
pub async fn login(
    state: &AppState,
    ip: Option<IpAddr>,
    req: LoginRequest,
    request_id: String,
) -> Result<TokenResponse, ApiError> {
    state.auth_limit.check(&state.db, ip).await?;
    let username = req.username.trim().to_lowercase();
    let lookup = username.clone();
    let key = throttle::key(&state.blind, &username);
    // The throttle reads the clock tests can move (src/clock.rs); tokens keep the system time.
    let (k, now) = (key.clone(), crate::clock::now());
    let (found, locked) = state
        .db
        .run(move |c| {
            Ok((
                users::find_by_username(c, &lookup)?,
                throttle::locked_until(c, &k, now)?,
            ))
        })
        .await?;
    if let Some(until) = locked {
        // Checked before hashing: a locked account costs the server nothing.
        return Err(ApiError::TooManyRequests {
            retry_after_secs: (until - now).num_seconds().max(1) as u64,
        });
    }
    let phc = match found.as_ref() {
        Some(u) => u.password_hash.clone(),
        None => password::dummy_hash()?.to_owned(),
    };
    let password_ok = state.hasher.verify(req.password, phc).await?;

    let st = state.clone();
    let outcome = state
        .db
        .write(move |tx| {
            let user = match &found {
                Some(u) => Some(users::find(tx, &u.id)?),
                None => None,
            };
            let now = types::now();
            let throttle_now = crate::clock::now();
            match user {
                Some(u) if password_ok && u.status == UserStatus::Active => {
                    users::record_login_success(tx, &u.id, now)?;
                    throttle::clear(tx, &key)?;
                    let pair = issue_pair(tx, &st, &u, (&types::new_id(), now), now)?;
                    audit_login(
                        tx,
                        &user_actor(&u, &request_id),
                        AuditAction::AuthLogin,
                        Some(&u.id),
                        None,
                    )?;
                    Ok(LoginOutcome::Success(pair))
                }
                Some(u) => {
                    let reason = if password_ok {
                        "disabled"
                    } else {
                        "bad_password"
                    };
                    // A right password for a disabled account is no guessing failure.
                    if !password_ok {
                        throttle::record_failure(tx, &key, throttle_now)?;
                    }
                    let actor = Actor::anonymous(request_id.clone());
                    audit_login(
                        tx,
                        &actor,
                        AuditAction::AuthLoginFailed,
                        Some(&u.id),
                        Some(reason),
                    )?;
                    Ok(LoginOutcome::Refused)
                }
                None => {
                    throttle::record_failure(tx, &key, throttle_now)?;
                    let actor = Actor::anonymous(request_id.clone());
                    audit_login(
                        tx,
                        &actor,
                        AuditAction::AuthLoginFailed,
                        None,
                        Some("unknown_user"),
                    )?;
                    Ok(LoginOutcome::Refused)
                }
            }
        })
        .await?;
    match outcome {
        LoginOutcome::Success(pair) => Ok(pair),
        LoginOutcome::Refused => Err(ApiError::Unauthorized),
    }
}

fn audit_login(
    tx: &mut Tx<'_>,
    actor: &Actor,
    action: AuditAction,
    user_id: Option<&str>,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    let changes = match reason {
        Some(r) => Changes::new().created("reason", r),
        None => Changes::new(),
    };
    audit::record(
        tx,
        NewEvent {
            actor,
            action,
            entity_type: "user",
            entity_id: user_id,
            case_id: None,
            changes,
        },
    )?;
    Ok(())
}

enum RefreshOutcome {
    Success(TokenResponse),
    Refused,
}

/// `POST /auth/refresh`: rotate a refresh token; a reused one revokes its family.
pub async fn refresh(
    state: &AppState,
    ip: Option<IpAddr>,
    req: RefreshRequest,
    request_id: String,
) -> Result<TokenResponse, ApiError> {
    state.auth_limit.check(&state.db, ip).await?;
    let hash = random::token_hash(&req.refresh_token);
    let st = state.clone();
    let outcome = state
        .db
        .write(move |tx| refresh_in_tx(tx, &st, &hash, &request_id))
        .await?;
    match outcome {
        RefreshOutcome::Success(pair) => Ok(pair),
        RefreshOutcome::Refused => Err(ApiError::Unauthorized),
    }
}

fn refresh_in_tx(
    tx: &mut Tx<'_>,
    state: &AppState,
    hash: &str,
    request_id: &str,
) -> Result<RefreshOutcome, ApiError> {
    let now = types::now();
    let Some(found) = tokens_repo::find_by_hash(tx, hash)? else {
        return Ok(RefreshOutcome::Refused);
    };
    // Lock the user, then read the token again: a role, unit, status or password change (or a
    // logout) racing this refresh then either committed first, and is seen here, or waits and
    // revokes what this refresh issues.
    users::lock(tx, &found.user_id)?;
    let Some(token) = tokens_repo::find_by_hash(tx, hash)? else {
        return Ok(RefreshOutcome::Refused);
    };
    if token.revoked_at.is_some() || token.expires_at <= now {
        return Ok(RefreshOutcome::Refused);
    }
    let user = users::find(tx, &token.user_id)?;
    if token.used_at.is_some() || !tokens_repo::mark_used(tx, &token.id, now)? {
        // Reuse: someone holds a copy of a rotated token. Revoke the whole family.
        tokens_repo::revoke_family(tx, &token.family_id, now)?;
        let actor = Actor::anonymous(request_id.to_owned());
        audit::record(
            tx,
            NewEvent {
                actor: &actor,
                action: AuditAction::AuthRefreshReuse,
                entity_type: "user",
                entity_id: Some(&user.id),
                case_id: None,
                changes: Changes::new().created("family_revoked", true),
            },
        )?;
        return Ok(RefreshOutcome::Refused);
    }
    if user.status != UserStatus::Active {
        return Ok(RefreshOutcome::Refused);
    }
    let started = tokens_repo::family_started(tx, &token.family_id)?.unwrap_or(now);
    let s = &state.settings;
    if refresh_expiry(started, now, s.refresh_idle, s.refresh_token_ttl) <= now {
        return Ok(RefreshOutcome::Refused); // the session's absolute limit has passed
    }
    let pair = issue_pair(tx, state, &user, (&token.family_id, started), now)?;
    audit::record(
        tx,
        NewEvent {
            actor: &user_actor(&user, request_id),
            action: AuditAction::AuthRefresh,
            entity_type: "user",
            entity_id: Some(&user.id),
            case_id: None,
            changes: Changes::new(),
        },
    )?;
    Ok(RefreshOutcome::Success(pair))
}

/// `POST /auth/logout`: revoke the refresh token's family and refuse every access token the
/// user holds (token_version moves; the user's other sessions get a new access token on their
/// next refresh). Always succeeds (no oracle).
pub async fn logout(
    state: &AppState,
    ip: Option<IpAddr>,
    req: RefreshRequest,
    request_id: String,
) -> Result<(), ApiError> {
    state.auth_limit.check(&state.db, ip).await?;
    let hash = random::token_hash(&req.refresh_token);
    state
        .db
        .write(move |tx| logout_in_tx(tx, &hash, &request_id))
        .await
}

fn logout_in_tx(tx: &mut Tx<'_>, hash: &str, request_id: &str) -> Result<(), ApiError> {
    let Some(token) = tokens_repo::find_by_hash(tx, hash)? else {
        return Ok(());
    };
    users::lock(tx, &token.user_id)?; // the user first, as everywhere (see `refresh_in_tx`)
    if tokens_repo::revoke_family(tx, &token.family_id, types::now())? > 0 {
        let user = users::find(tx, &token.user_id)?;
        users::bump_token_version(tx, &user.id)?;
        audit::record(
            tx,
            NewEvent {
                actor: &user_actor(&user, request_id),
                action: AuditAction::AuthLogout,
                entity_type: "user",
                entity_id: Some(&user.id),
                case_id: None,
                changes: Changes::new(),
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_expire_after_the_idle_window_and_never_past_the_session_limit() {
        let t0 = chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .expect("date");
        let idle = std::time::Duration::from_secs(1800);
        let absolute = std::time::Duration::from_secs(12 * 3600);
        // A fresh session: the idle window decides.
        assert_eq!(
            refresh_expiry(t0, t0, idle, absolute),
            t0 + Duration::minutes(30)
        );
        // 11 h 45 min in: the absolute limit cuts the idle window short.
        let late = t0 + Duration::minutes(11 * 60 + 45);
        assert_eq!(
            refresh_expiry(t0, late, idle, absolute),
            t0 + Duration::hours(12)
        );
    }
}
