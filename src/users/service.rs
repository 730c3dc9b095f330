//! User administration: validation, scope, the transaction and its audit event.

use super::dto::{
    CreateUserRequest, MeResponse, OrganizationRef, UpdateUserRequest, UserList, UserResponse,
};
use super::repo::{self, NewUserRow, UserChanges};
use crate::audit::AuditAction;
use crate::audit::{self, Changes, NewEvent};
use crate::auth::policy::{Authorized, ops};
use crate::auth::scope;
use crate::auth::{Role, password, repo as tokens_repo, rules};
use crate::db::{AnyConnection, Db, types};
use crate::domain::states::{OrganizationKind, UserStatus};
use crate::error::{ApiError, FieldError};
use crate::http::etag::IfMatch;
use crate::organizations::repo as orgs;
use crate::pagination::{Cursor, Page};
use crate::state::AppState;

fn check_username(name: &str, errors: &mut Vec<FieldError>) {
    let ok = (3..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if !ok {
        errors.push(FieldError::new(
            "username",
            "must be 3–64 characters of a–z, 0–9, '.', '_' or '-'",
        ));
    }
}

fn check_display_name(name: &str, errors: &mut Vec<FieldError>) {
    if name.trim().is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new("display_name", "must be 1–200 characters"));
    }
}

fn check_password(pw: &str, errors: &mut Vec<FieldError>) {
    if let Err(m) = password::check_strength(pw) {
        errors.push(FieldError::new("password", m));
    }
}

fn done(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Which roles fit which organization kinds, and whether a unit is needed.
pub fn check_placement(
    conn: &mut AnyConnection,
    who_org: Option<&str>,
    role: Role,
    organization_id: &str,
    unit_id: Option<&str>,
) -> Result<(), ApiError> {
    let org = orgs::find_scoped(conn, organization_id, who_org).map_err(|e| match e {
        diesel::result::Error::NotFound => {
            ApiError::field("organization_id", "no such organization")
        }
        other => other.into(),
    })?;
    let mut errors = Vec::new();
    let fits = match role {
        Role::Supervisor | Role::Caseworker => org.kind == OrganizationKind::Municipality,
        Role::Landlord => org.kind == OrganizationKind::Landlord,
        Role::Admin | Role::Auditor | Role::Analyst => true,
    };
    if !fits {
        errors.push(FieldError::new(
            "role",
            "does not fit the organization's kind",
        ));
    }
    let unit_found = match unit_id {
        Some(unit) => orgs::find_unit(conn, unit)?.is_some_and(|u| u.organization_id == org.id),
        None => false,
    };
    match unit_id {
        Some(_) if !unit_found => {
            errors.push(FieldError::new(
                "unit_id",
                "no such unit in the organization",
            ));
        }
        Some(_) => {}
        None if role.needs_unit() => {
            errors.push(FieldError::new("unit_id", "is required for this role"));
        }
        None => {}
    }
    done(errors)
}

/// Validate a new user's fields (API and CLI); returns the normalized username.
pub fn validate_new_user(
    username: &str,
    display_name: &str,
    password: &str,
) -> Result<String, ApiError> {
    let username = username.trim().to_lowercase();
    let mut errors = Vec::new();
    check_username(&username, &mut errors);
    check_display_name(display_name, &mut errors);
    check_password(password, &mut errors);
    done(errors)?;
    Ok(username)
}

/// `POST /users`.
pub async fn create(
    state: &AppState,
    who: Authorized<ops::CreateUser>,
    req: CreateUserRequest,
) -> Result<UserResponse, ApiError> {
    let username = validate_new_user(&req.username, &req.display_name, &req.password)?;
    let hash = state.hasher.hash(req.password).await?;
    state
        .db
        .write(move |tx| {
            check_placement(
                tx,
                scope::organization_filter(&who),
                req.role,
                &req.organization_id,
                req.unit_id.as_deref(),
            )?;
            if repo::find_by_username(tx, &username)?.is_some() {
                return Err(ApiError::conflict("The username is taken."));
            }
            let user = insert_user(
                tx,
                &username,
                &req.display_name,
                &hash,
                req.role,
                &req.organization_id,
                req.unit_id.as_deref(),
            )?;
            audit::record(
                tx,
                NewEvent {
                    actor: &who.actor(),
                    action: AuditAction::UserCreate,
                    entity_type: "user",
                    entity_id: Some(&user.id),
                    case_id: None,
                    changes: created_changes(&user),
                },
            )?;
            Ok(user.into())
        })
        .await
}

pub fn created_changes(user: &repo::UserRow) -> Changes {
    Changes::new()
        .created("username", user.username.as_str())
        .created("display_name", user.display_name.as_str())
        .created("role", user.role.as_str())
        .created("organization_id", user.organization_id.as_str())
        .created("unit_id", user.unit_id.clone())
        .created("status", user.status.as_str())
        .secret("password", true)
}

/// Insert an active user (shared by the API, the CLI and the bootstrap).
pub fn insert_user(
    conn: &mut AnyConnection,
    username: &str,
    display_name: &str,
    password_hash: &str,
    role: Role,
    organization_id: &str,
    unit_id: Option<&str>,
) -> Result<repo::UserRow, ApiError> {
    let now = types::now();
    let id = types::new_id();
    Ok(repo::insert(
        conn,
        &NewUserRow {
            id: &id,
            username,
            display_name: display_name.trim(),
            password_hash,
            role,
            organization_id,
            unit_id,
            status: UserStatus::Active,
            token_version: 1,
            version: 1,
            created_at: now,
            updated_at: now,
        },
    )?)
}

/// `PATCH /users/{id}`.
pub async fn update(
    state: &AppState,
    who: Authorized<ops::UpdateUser>,
    id: String,
    if_match: IfMatch,
    req: UpdateUserRequest,
) -> Result<UserResponse, ApiError> {
    let expected = if_match.version()?;
    let mut errors = Vec::new();
    if let Some(name) = &req.display_name {
        check_display_name(name, &mut errors);
    }
    if let Some(pw) = &req.password {
        check_password(pw, &mut errors);
    }
    done(errors)?;
    let new_hash = match req.password.clone() {
        Some(pw) => Some(state.hasher.hash(pw).await?),
        None => None,
    };
    state
        .db
        .write(move |tx| {
            let before = repo::find_scoped(tx, &id, scope::organization_filter(&who))?;
            if before.version != expected {
                return Err(ApiError::PreconditionFailed);
            }
            let role = req.role.unwrap_or(before.role);
            let unit = req.unit_id.clone().unwrap_or(before.unit_id.clone());
            if before.id == who.user_id
                && !rules::may_change_own_account(
                    role != before.role,
                    req.status == Some(super::dto::UserStatus::Disabled),
                )
            {
                return Err(ApiError::conflict(
                    "You cannot demote or disable your own account.",
                ));
            }
            if req.role.is_some() || req.unit_id.is_some() {
                check_placement(
                    tx,
                    scope::organization_filter(&who),
                    role,
                    &before.organization_id,
                    unit.as_deref(),
                )?;
            }
            let status = req.status.unwrap_or(before.status);
            let display = req
                .display_name
                .as_deref()
                .map(str::trim)
                .unwrap_or(&before.display_name)
                .to_owned();
            let changes = Changes::new()
                .field("role", before.role.as_str(), role.as_str())
                .field("unit_id", before.unit_id.clone(), unit.clone())
                .field("status", before.status.as_str(), status.as_str())
                .field(
                    "display_name",
                    before.display_name.as_str(),
                    display.as_str(),
                )
                .secret("password", new_hash.is_some());
            if changes.is_empty() {
                return Ok(before.into());
            }
            // Role, unit, status and password changes refuse every access token issued before.
            let bump = role != before.role
                || unit != before.unit_id
                || status != before.status
                || new_hash.is_some();
            let set = UserChanges {
                role: Some(role),
                unit_id: Some(unit.as_deref()),
                status: Some(status),
                display_name: Some(&display),
                password_hash: new_hash.as_deref(),
            };
            let now = types::now();
            if !repo::update_versioned(tx, &id, expected, &set, bump, now)? {
                return Err(ApiError::PreconditionFailed);
            }
            if bump {
                // And every refresh token: no session outlives the change (0 s grace).
                tokens_repo::revoke_user(tx, &id, now)?;
            }
            audit::record(
                tx,
                NewEvent {
                    actor: &who.actor(),
                    action: AuditAction::UserUpdate,
                    entity_type: "user",
                    entity_id: Some(&id),
                    case_id: None,
                    changes,
                },
            )?;
            Ok(repo::find(tx, &id)?.into())
        })
        .await
}

/// `GET /users/{id}`.
pub async fn get(
    db: &Db,
    who: Authorized<ops::GetUser>,
    id: String,
) -> Result<UserResponse, ApiError> {
    db.run(move |conn| Ok(repo::find_scoped(conn, &id, scope::organization_filter(&who))?.into()))
        .await
}

/// `GET /users`.
pub async fn list(
    db: &Db,
    who: Authorized<ops::ListUsers>,
    page: Page,
) -> Result<UserList, ApiError> {
    let (limit, after) = page.parse()?;
    db.run(move |conn| {
        let mut rows = repo::list_scoped(
            conn,
            scope::organization_filter(&who),
            after.as_deref(),
            limit + 1,
        )?;
        let next = Cursor::next(&mut rows, limit, |u| u.id.clone());
        Ok(UserList {
            items: rows.into_iter().map(Into::into).collect(),
            next_cursor: next,
        })
    })
    .await
}

/// `GET /me`.
pub async fn me(db: &Db, who: Authorized<ops::GetMe>) -> Result<MeResponse, ApiError> {
    let who = who.into_grant().into_principal();
    db.run(move |conn| {
        let org = orgs::find_scoped(conn, &who.organization_id, None)?;
        Ok(MeResponse {
            id: who.user_id,
            username: who.username,
            display_name: who.display_name,
            role: who.role,
            organization: OrganizationRef {
                id: org.id,
                name: org.name,
                kind: org.kind.as_str().into(),
            },
            unit_id: who.unit_id,
        })
    })
    .await
}
