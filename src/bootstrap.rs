//! First start: with no user in the database, create the platform organization and the `admin`
//! user (SPEC §13). The password is `KVAR_BOOTSTRAP_ADMIN_PASSWORD` if set, otherwise a random
//! one that the caller prints once to the terminal (never to the log). Race-free across
//! instances: the creation runs under an advisory lock and checks again for users under it.

use crate::audit::AuditAction;
use crate::audit::{self, Actor, NewEvent};
use crate::auth::{Role, password};
use crate::db::advisory::{self, Lock};
use crate::db::{AnyConnection, types, write_tx};
use crate::domain::states::OrganizationKind;
use crate::error::ApiError;
use crate::organizations::repo::{self as orgs, OrgRow};
use crate::users::{repo as users, service as user_service};

pub enum FirstStart {
    Generated(String),
    FromEnvironment,
}

/// The platform organization, created on first start.
pub const PLATFORM_ORG_NAME: &str = "kvar platform";

pub fn ensure_platform_admin(
    conn: &mut AnyConnection,
    from_env: Option<&str>,
) -> Result<Option<FirstStart>, ApiError> {
    if users::count(conn)? > 0 {
        return Ok(None);
    }
    let (pw, first) = match from_env {
        Some(pw) => {
            password::check_strength(pw)
                .map_err(|m| ApiError::BadRequest(format!("KVAR_BOOTSTRAP_ADMIN_PASSWORD {m}")))?;
            (pw.to_owned(), FirstStart::FromEnvironment)
        }
        None => {
            let pw = crate::crypto::random::token();
            (pw.clone(), FirstStart::Generated(pw))
        }
    };
    let hash = password::hash(&pw)?;
    let created = write_tx(conn, |tx| {
        // Instances starting together on an empty database: one creates the admin, the others
        // wait here and then find it (the count is read again under the lock).
        advisory::lock_xact(tx, Lock::Bootstrap)?;
        if users::count(tx)? > 0 {
            return Ok::<_, ApiError>(false);
        }
        let actor = Actor::system();
        let org = match orgs::find_by_kind(tx, OrganizationKind::Platform)? {
            Some(org) => org,
            None => {
                let now = types::now();
                let org = OrgRow {
                    id: types::new_id(),
                    kind: OrganizationKind::Platform,
                    name: PLATFORM_ORG_NAME.into(),
                    org_number: None,
                    municipality_code: None,
                    county_code: None,
                    research_sample_days: crate::domain::retention::DEFAULT_SAMPLE_DAYS.into(),
                    intake_unit_id: None,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                };
                orgs::insert_org(tx, &org)?;
                audit::record(
                    tx,
                    NewEvent {
                        actor: &actor,
                        action: AuditAction::OrganizationCreate,
                        entity_type: "organization",
                        entity_id: Some(&org.id),
                        case_id: None,
                        changes: audit::Changes::new()
                            .created("kind", org.kind.as_str())
                            .created("name", PLATFORM_ORG_NAME),
                    },
                )?;
                org
            }
        };
        let user = user_service::insert_user(
            tx,
            "admin",
            "Platform administrator",
            &hash,
            Role::Admin,
            &org.id,
            None,
        )?;
        audit::record(
            tx,
            NewEvent {
                actor: &actor,
                action: AuditAction::UserCreate,
                entity_type: "user",
                entity_id: Some(&user.id),
                case_id: None,
                changes: user_service::created_changes(&user),
            },
        )?;
        Ok(true)
    })?;
    Ok(created.then_some(first))
}
