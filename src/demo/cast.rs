//! The demo municipality, its organisations and users, and the people already in the database.

use crate::auth::policy::Authorized;
use crate::auth::{Principal, Role};
use crate::error::ApiError;
use crate::organizations::dto::{CreateOrganizationRequest, CreateUnitRequest, OrganizationKind};
use crate::state::AppState;
use crate::users::dto::{CreateUserRequest, UserResponse};

use super::people::org_number;
use super::{LANDLORD_NAME, MUNICIPALITY_CODE, MUNICIPALITY_NAME, UNITS};

pub(super) fn problem(e: ApiError) -> String {
    match e {
        ApiError::Conflict { detail, .. } => detail,
        ApiError::Validation(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Who acts in the demo.
pub(super) struct Cast {
    pub(super) landlord_id: String,
    /// Per unit: the supervisor and the caseworkers.
    pub(super) units: Vec<(Principal, Vec<Principal>)>,
    /// (username, role, where) for the summary.
    pub(super) users: Vec<(String, Role, String)>,
}

/// (username, display name, role, unit).
pub(super) const USERS: [(&str, &str, Role, Option<usize>); 10] = [
    ("demo.admin", "Karin Lind", Role::Admin, None),
    ("demo.supervisor1", "Eva Lund", Role::Supervisor, Some(0)),
    ("demo.supervisor2", "Johan Berg", Role::Supervisor, Some(1)),
    ("demo.caseworker1", "Sara Ek", Role::Caseworker, Some(0)),
    ("demo.caseworker2", "Ali Abdi", Role::Caseworker, Some(0)),
    ("demo.caseworker3", "Ida Holm", Role::Caseworker, Some(1)),
    ("demo.caseworker4", "Nils Ström", Role::Caseworker, Some(1)),
    ("demo.auditor", "Per Lindqvist", Role::Auditor, None),
    ("demo.analyst", "Maria Sjögren", Role::Analyst, None),
    ("demo.landlord", "Anders Forsberg", Role::Landlord, None),
];

pub(super) fn principal(
    u: UserResponse,
    role: Role,
    org_kind: OrganizationKind,
    request_id: &str,
) -> Principal {
    Principal {
        user_id: u.id,
        username: u.username,
        display_name: u.display_name,
        role,
        organization_id: u.organization_id,
        organization_kind: org_kind,
        unit_id: u.unit_id,
        request_id: request_id.into(),
    }
}

/// The installation's platform administrator, who creates the demo organizations and users.
pub(super) async fn platform_admin(st: &AppState, request_id: &str) -> Result<Principal, ApiError> {
    let request_id = request_id.to_owned();
    st.db
        .run(move |conn| {
            let org = crate::organizations::repo::find_by_kind(conn, OrganizationKind::Platform)?
                .ok_or_else(|| ApiError::BadRequest("no platform organization".into()))?;
            let admin = crate::users::repo::list_scoped(conn, Some(&org.id), None, 1000)?
                .into_iter()
                .find(|u| {
                    u.role == Role::Admin && u.status == crate::domain::states::UserStatus::Active
                })
                .ok_or_else(|| ApiError::BadRequest("no active platform admin".into()))?;
            Ok(Principal {
                user_id: admin.id,
                username: admin.username,
                display_name: admin.display_name,
                role: Role::Admin,
                organization_id: org.id,
                organization_kind: org.kind,
                unit_id: None,
                request_id,
            })
        })
        .await
}

/// Whether the demo municipality exists, and which demo usernames are taken.
pub(super) async fn already_seeded(st: &AppState) -> Result<(bool, Vec<String>), ApiError> {
    st.db
        .run(|conn| {
            use crate::db::schema::organizations as o;
            use diesel::prelude::*;
            let municipality: i64 = o::table
                .filter(o::municipality_code.eq(MUNICIPALITY_CODE))
                .count()
                .get_result(conn)?;
            let mut taken = Vec::new();
            for (name, ..) in USERS {
                if crate::users::repo::find_by_username(conn, name)?.is_some() {
                    taken.push(name.to_owned());
                }
            }
            Ok((municipality > 0, taken))
        })
        .await
}

/// The organizations, units and users. Nothing is created when the demo municipality or a demo
/// username exists already.
pub(super) async fn cast(st: &AppState, admin: &Principal, password: &str) -> Result<Cast, String> {
    let already = format!(
        "the demo municipality (municipality code {MUNICIPALITY_CODE}) already exists: `kvar demo` \
         seeds a database once; point DATABASE_URL at a fresh database for another demo"
    );
    let (exists, taken) = already_seeded(st).await.map_err(problem)?;
    if exists {
        return Err(already);
    }
    if !taken.is_empty() {
        return Err(format!(
            "demo usernames already in use: {}",
            taken.join(", ")
        ));
    }
    let org = |kind, name: &str, nine: &str, code: Option<&str>| CreateOrganizationRequest {
        kind,
        name: name.into(),
        org_number: Some(org_number(nine)),
        municipality_code: code.map(Into::into),
        county_code: None,
        research_sample_days: None,
    };
    let orgs = crate::organizations::service::create;
    let municipality = orgs(
        &st.db,
        Authorized::check(admin.clone()).map_err(|e| e.to_string())?,
        org(
            OrganizationKind::Municipality,
            MUNICIPALITY_NAME,
            "212000999",
            Some(MUNICIPALITY_CODE),
        ),
    )
    .await
    .map_err(|e| match e {
        ApiError::Conflict { .. } => already.clone(), // another `kvar demo` got there first
        other => problem(other),
    })?;
    let landlord_org = org(OrganizationKind::Landlord, LANDLORD_NAME, "559999999", None);
    let landlord = orgs(
        &st.db,
        Authorized::check(admin.clone()).map_err(|e| e.to_string())?,
        landlord_org,
    )
    .await
    .map_err(problem)?;
    let mut unit_ids = Vec::new();
    for name in UNITS {
        let req = CreateUnitRequest {
            name: name.into(),
            rent_commitment_limit: None,
        };
        let unit = crate::organizations::service::create_unit(
            &st.db,
            Authorized::check(admin.clone()).map_err(|e| e.to_string())?,
            municipality.id.clone(),
            req,
        )
        .await
        .map_err(problem)?;
        unit_ids.push(unit.id);
    }
    // Hashing is the slow part and the hasher runs one per core: create the users together.
    let created = futures_util::future::join_all(USERS.into_iter().map(
        |(username, display_name, role, unit)| {
            let (org_id, org_kind, place) = match (role, unit) {
                (Role::Landlord, _) => (&landlord.id, OrganizationKind::Landlord, LANDLORD_NAME),
                (_, Some(u)) => (&municipality.id, OrganizationKind::Municipality, UNITS[u]),
                (_, None) => (
                    &municipality.id,
                    OrganizationKind::Municipality,
                    MUNICIPALITY_NAME,
                ),
            };
            let req = CreateUserRequest {
                username: username.into(),
                password: password.into(),
                display_name: display_name.into(),
                role,
                organization_id: org_id.clone(),
                unit_id: unit.map(|u| unit_ids[u].clone()),
            };
            async move {
                let user =
                    crate::users::service::create(st, Authorized::check(admin.clone())?, req)
                        .await?;
                Ok::<_, ApiError>((
                    principal(user, role, org_kind, &admin.request_id),
                    unit,
                    place,
                ))
            }
        },
    ))
    .await;
    let mut units: Vec<(Option<Principal>, Vec<Principal>)> = vec![(None, Vec::new()); UNITS.len()];
    let mut users = Vec::new();
    for r in created {
        let (p, unit, place) = r.map_err(problem)?;
        users.push((p.username.clone(), p.role, place.to_owned()));
        match (p.role, unit) {
            (Role::Supervisor, Some(u)) => units[u].0 = Some(p),
            (Role::Caseworker, Some(u)) => units[u].1.push(p),
            _ => {}
        }
    }
    let units = units
        .into_iter()
        .map(|(s, c)| s.map(|s| (s, c)))
        .collect::<Option<Vec<_>>>()
        .ok_or("a demo unit has no supervisor")?;
    Ok(Cast {
        landlord_id: landlord.id,
        units,
        users,
    })
}
