//! Creating, listing, rotating and revoking integration clients, and their token endpoint.

use diesel::prelude::*;

use super::dto::{
    ClientList, ClientResponse, ClientSecretResponse, ClientTokenResponse, CreateClientRequest,
    TokenRequest,
};
use super::repo::{ClientRow, find_scoped};
use crate::audit::AuditAction;
use crate::audit::{self, Actor, Changes, NewEvent};
use crate::auth::Principal;
use crate::auth::policy::{Authorized, ops};
use crate::auth::scope;
use crate::auth::tokens::INTEGRATION_AUDIENCE;
use crate::crypto::random;
use crate::db::schema::integration_clients;
use crate::db::{types, write_tx};
use crate::domain::states::{ClientStatus, OrganizationKind};
use crate::error::{ApiError, FieldError};
use crate::organizations::repo as orgs;
use crate::state::AppState;

/// The scopes an organization kind may hold.
pub fn allowed_scopes(kind: OrganizationKind) -> &'static [&'static str] {
    match kind {
        OrganizationKind::Landlord => &[
            "landlord:submit",
            "landlord:receipts",
            "landlord:commitments",
        ],
        OrganizationKind::EnforcementAuthority => &["enforcement:submit", "enforcement:receipts"],
        _ => &[],
    }
}

fn audit_client(
    tx: &mut crate::db::Tx<'_>,
    who: &Principal,
    action: AuditAction,
    id: &str,
    changes: Changes,
) -> Result<(), ApiError> {
    audit::record_outside_case(tx, &who.actor(), action, "integration_client", id, changes)?;
    Ok(())
}

/// `POST /integration-clients`.
pub async fn create(
    state: &AppState,
    who: Authorized<ops::CreateIntegrationClient>,
    req: CreateClientRequest,
) -> Result<ClientSecretResponse, ApiError> {
    if req.name.trim().is_empty() || req.name.chars().count() > 200 {
        return Err(ApiError::field("name", "must be 1–200 characters"));
    }
    state
        .db
        .write(move |tx| {
            let org = orgs::find_scoped(tx, &req.organization_id, scope::organization_filter(&who))
                .map_err(|_| ApiError::field("organization_id", "no such organization"))?;
            let allowed = allowed_scopes(org.kind);
            let mut errors = Vec::new();
            if allowed.is_empty() {
                errors.push(FieldError::new(
                    "organization_id",
                    "must be a landlord or the enforcement authority",
                ));
            }
            if req.scopes.is_empty() || req.scopes.iter().any(|s| !allowed.contains(&s.as_str())) {
                errors.push(FieldError::new(
                    "scopes",
                    "must be non-empty scopes of the organization's kind",
                ));
            }
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            let mut scopes = req.scopes.clone();
            scopes.sort();
            scopes.dedup();
            let secret = random::token();
            let now = types::now();
            let id = types::new_id();
            let client_id = format!("kvar_{}", uuid::Uuid::now_v7().simple());
            diesel::insert_into(integration_clients::table)
                .values((
                    integration_clients::id.eq(&id),
                    integration_clients::client_id.eq(&client_id),
                    integration_clients::name.eq(req.name.trim()),
                    integration_clients::organization_id.eq(&org.id),
                    integration_clients::secret_hash.eq(random::token_hash(&secret)),
                    integration_clients::scopes.eq(serde_json::to_string(&scopes)
                        .map_err(|e| ApiError::Internal(format!("scopes as JSON: {e}")))?),
                    integration_clients::status.eq(ClientStatus::Active),
                    integration_clients::version.eq(1),
                    integration_clients::created_at.eq(now),
                    integration_clients::updated_at.eq(now),
                ))
                .execute(&mut **tx)?;
            let changes = Changes::new()
                .created("client_id", client_id.as_str())
                .created("organization_id", org.id.as_str())
                .created("scopes", scopes)
                .secret("client_secret", true);
            audit_client(tx, &who, AuditAction::IntegrationClientCreate, &id, changes)?;
            Ok(ClientSecretResponse {
                client: super::repo::find(tx, &id)?.into(),
                client_secret: secret,
            })
        })
        .await
}

/// `GET /integration-clients`.
pub async fn list(
    state: &AppState,
    who: Authorized<ops::ListIntegrationClients>,
) -> Result<ClientList, ApiError> {
    state
        .db
        .run(move |conn| {
            let mut q = integration_clients::table
                .select(ClientRow::as_select())
                .into_boxed();
            if let Some(org) = scope::organization_filter(&who) {
                q = q.filter(integration_clients::organization_id.eq(org.to_owned()));
            }
            let rows: Vec<ClientRow> = q.order(integration_clients::id).limit(500).load(conn)?;
            Ok(ClientList {
                items: rows.into_iter().map(Into::into).collect(),
                next_cursor: None,
            })
        })
        .await
}

/// `POST /integration-clients/{id}/rotate`: a new secret; old tokens and the old secret stop
/// working.
pub async fn rotate(
    state: &AppState,
    who: Authorized<ops::RotateIntegrationClient>,
    id: String,
) -> Result<ClientSecretResponse, ApiError> {
    state
        .db
        .write(move |tx| {
            let row = find_scoped(tx, &id, &who)?;
            if row.status != ClientStatus::Active {
                return Err(ApiError::conflict("The client is revoked."));
            }
            let secret = random::token();
            diesel::update(integration_clients::table.find(&id))
                .set((
                    integration_clients::secret_hash.eq(random::token_hash(&secret)),
                    integration_clients::version.eq(integration_clients::version + 1),
                    integration_clients::updated_at.eq(types::now()),
                ))
                .execute(&mut **tx)?;
            audit_client(
                tx,
                &who,
                AuditAction::IntegrationClientRotate,
                &id,
                Changes::new().secret("client_secret", true),
            )?;
            Ok(ClientSecretResponse {
                client: super::repo::find(tx, &id)?.into(),
                client_secret: secret,
            })
        })
        .await
}

/// `POST /integration-clients/{id}/revoke`.
pub async fn revoke(
    state: &AppState,
    who: Authorized<ops::RevokeIntegrationClient>,
    id: String,
) -> Result<ClientResponse, ApiError> {
    state
        .db
        .write(move |tx| {
            let row = find_scoped(tx, &id, &who)?;
            if row.status != ClientStatus::Revoked {
                diesel::update(integration_clients::table.find(&id))
                    .set((
                        integration_clients::status.eq(ClientStatus::Revoked),
                        integration_clients::version.eq(integration_clients::version + 1),
                        integration_clients::updated_at.eq(types::now()),
                    ))
                    .execute(&mut **tx)?;
                audit_client(
                    tx,
                    &who,
                    AuditAction::IntegrationClientRevoke,
                    &id,
                    Changes::new().field(
                        "status",
                        ClientStatus::Active.as_str(),
                        ClientStatus::Revoked.as_str(),
                    ),
                )?;
            }
            Ok(super::repo::find(tx, &id)?.into())
        })
        .await
}

/// `POST /auth/token`: client credentials → a short-lived token for the integration API.
pub async fn token(
    state: &AppState,
    ip: Option<std::net::IpAddr>,
    req: TokenRequest,
    request_id: String,
) -> Result<ClientTokenResponse, ApiError> {
    state.auth_limit.check(&state.db, ip).await?;
    if req.grant_type != "client_credentials" {
        return Err(ApiError::field("grant_type", "must be client_credentials"));
    }
    let st = state.clone();
    let found = state
        .db
        .write(move |conn| {
            let row: Option<ClientRow> = integration_clients::table
                .filter(integration_clients::client_id.eq(&req.client_id))
                .select(ClientRow::as_select())
                .first(&mut **conn)
                .optional()?;
            // Constant-time comparison of the secret's hash.
            let presented = random::token_hash(&req.client_secret);
            let ok = row.as_ref().is_some_and(|r| {
                r.status == ClientStatus::Active
                    && r.secret_hash.len() == presented.len()
                    && r.secret_hash
                        .bytes()
                        .zip(presented.bytes())
                        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                        == 0
            });
            write_tx(conn, |tx| {
                let actor = Actor {
                    kind: "client",
                    id: row.as_ref().map(|r| r.id.clone()),
                    request_id: Some(request_id.clone()),
                    ..Actor::default()
                };
                let action = if ok {
                    AuditAction::AuthClientToken
                } else {
                    AuditAction::AuthClientTokenFailed
                };
                audit::record(
                    tx,
                    NewEvent {
                        actor: &actor,
                        action,
                        entity_type: "integration_client",
                        entity_id: row.as_ref().map(|r| r.id.as_str()),
                        case_id: None,
                        changes: Changes::new(),
                    },
                )?;
                if ok && let Some(r) = &row {
                    diesel::update(integration_clients::table.find(&r.id))
                        .set(integration_clients::last_used_at.eq(types::now()))
                        .execute(&mut **tx)?;
                }
                Ok::<_, ApiError>(())
            })?;
            Ok(row.filter(|_| ok))
        })
        .await?;
    let row = found.ok_or(ApiError::Unauthorized)?;
    let access = st
        .tokens
        .issue_for(INTEGRATION_AUDIENCE, &row.client_id, row.version)
        .map_err(|e| ApiError::Internal(format!("jwt: {e}")))?;
    Ok(ClientTokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in: st.tokens.ttl().as_secs(),
        scope: row.scopes().join(" "),
    })
}
