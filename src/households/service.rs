//! Creating and reading households. Identity numbers and names are encrypted; the full
//! personnummer is shown only here, in the household view, and every person shown is logged.
//! The address follows protected identity ([`protection`]).

use chrono::Months;

use super::dto::{Address, CreateHouseholdRequest, HouseholdResponse, MemberResponse, NewMember};
use super::protection;
use super::repo::{self, HouseholdRow, MemberRow};
use crate::audit::AuditAction;
use crate::audit::access::{self, Access};
use crate::audit::{self, Actor, Changes, NewEvent};
use crate::auth::Principal;
use crate::auth::policy::{Authorized, Grant, ops};
use crate::db::{AnyConnection, Tx, types};
use crate::domain::sweden;
use crate::error::{ApiError, FieldError};
use crate::organizations::repo as orgs;
use crate::persons::repo as persons;
use crate::state::AppState;

/// The municipality code of the caller's organization (staff of social services only).
pub fn caller_municipality(conn: &mut AnyConnection, who: &Principal) -> Result<String, ApiError> {
    orgs::find_scoped(conn, &who.organization_id, None)?
        .municipality_code
        .ok_or(ApiError::Forbidden)
}

/// `POST /households`.
pub async fn create(
    state: &AppState,
    who: Authorized<ops::CreateHousehold>,
    req: CreateHouseholdRequest,
) -> Result<HouseholdResponse, ApiError> {
    let members = req.validate().map_err(ApiError::Validation)?;
    let st = state.clone();
    state
        .db
        .write(move |tx| {
            if caller_municipality(tx, &who)? != req.address.municipality_code {
                return Err(ApiError::field(
                    "address.municipality_code",
                    "is not your municipality",
                ));
            }
            let now = types::now();
            let household = HouseholdRow::at(
                who.organization_id.clone(),
                &req.address,
                who.user_id.clone(),
                now,
            );
            repo::insert_household(tx, &household)?;
            let mut person_ids = Vec::new();
            for m in &members {
                let member =
                    add_member(tx, &st, &who.actor(), &household, m, now).map_err(|e| match e {
                        ApiError::Conflict { .. } => {
                            ApiError::field("members", "lists a person twice")
                        }
                        other => other,
                    })?;
                person_ids.push(member.person_id);
            }
            let changes = Changes::new()
                .created("municipality_code", household.municipality_code.as_str())
                .created("person_ids", person_ids)
                .secret("address", true)
                .secret("members", true);
            audit::record(
                tx,
                NewEvent {
                    actor: &who.actor(),
                    action: AuditAction::HouseholdCreate,
                    entity_type: "household",
                    entity_id: Some(&household.id),
                    case_id: None,
                    changes,
                },
            )?;
            view(tx, &st, &who, household, "create_household")
        })
        .await
}

/// Insert `m` as a member of the household, finding the person by blind index or creating them
/// (encrypted): how household creation and `POST /households/{id}/members` add a member. A
/// person already in the household is a 409. `protected_identity: true` raises an existing
/// person's flag (audited by `actor`); `false` leaves it.
pub fn add_member(
    tx: &mut Tx<'_>,
    st: &AppState,
    actor: &Actor,
    household: &HouseholdRow,
    m: &NewMember,
    now: chrono::NaiveDateTime,
) -> Result<MemberRow, ApiError> {
    // The household's municipality's own record of the person (never another's).
    let (person, created) = persons::find_or_create(
        tx,
        &st.keyring,
        &st.blind,
        &household.organization_id,
        &m.personnummer,
        &m.name,
        m.protected_identity,
    )?;
    if !created && m.protected_identity {
        crate::persons::profile::raise_protection(tx, actor, &person, &household.id)?;
    }
    let row = MemberRow {
        id: types::new_id(),
        household_id: household.id.clone(),
        person_id: person.id,
        relation: m.relation.as_str().into(),
        residence: m.residence.map(|r| r.as_str().into()),
        minor_until: minor_until(m.personnummer.birth_date()),
        created_at: now,
        moved_out_on: None,
    };
    repo::insert_member(tx, &row)?;
    Ok(row)
}

/// The first day someone born on `birth` is no longer a minor (their 18th birthday).
pub fn minor_until(birth: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
    birth.checked_add_months(Months::new(18 * 12))
}

pub use crate::auth::scope::scoped_write;

/// A household the caller reaches, inside a write ([`scoped_write`] logs a miss).
pub fn visible_for_write(tx: &mut Tx<'_>, who: &Grant, id: &str) -> Result<HouseholdRow, ApiError> {
    repo::find_visible(tx, who, id)?.ok_or_else(|| ApiError::NotVisible {
        subject_type: "household",
        subject_id: id.to_owned(),
    })
}

/// `GET /households/{id}`.
pub async fn get(
    state: &AppState,
    who: Authorized<ops::GetHousehold>,
    id: String,
) -> Result<HouseholdResponse, ApiError> {
    let st = state.clone();
    state
        .db
        .run(move |conn| match repo::find_visible(conn, &who, &id)? {
            Some(h) => view(conn, &st, &who, h, "get_household"),
            None => {
                access::denied(conn, &who, "get_household", "household", &id)?;
                Err(ApiError::NotFound)
            }
        })
        .await
}

/// The full household view, with an access-log entry for every person shown.
pub fn view(
    conn: &mut AnyConnection,
    st: &AppState,
    who: &Principal,
    h: HouseholdRow,
    operation: &str,
) -> Result<HouseholdResponse, ApiError> {
    let members = member_views(conn, st, &h.id, true)?;
    let logged: Vec<Access<'_>> = members
        .iter()
        .map(|m| Access {
            subject_type: "person",
            subject_id: &m.person_id,
            case_id: None,
        })
        .collect();
    let shown = protection::address_view(conn, who, &h.id)?;
    shown.log_read(conn, who, operation, &logged)?;
    Ok(HouseholdResponse {
        id: h.id,
        address: shown.render(Address {
            street: h.street,
            postal_code: h.postal_code,
            city: h.city,
            municipality_code: h.municipality_code,
        }),
        address_protected: shown.protected(),
        members,
        version: h.version,
        created_at: types::utc(h.created_at),
    })
}

/// The members of a household, decrypted; the personnummer in full or masked.
pub fn member_views(
    conn: &mut AnyConnection,
    st: &AppState,
    household_id: &str,
    full: bool,
) -> Result<Vec<MemberResponse>, ApiError> {
    let rows = repo::members_with_persons(conn, household_id)?;
    let today = sweden::today();
    rows.into_iter()
        .map(|(m, row)| {
            let p = persons::decrypt(&st.keyring, conn, &row)?;
            Ok(MemberResponse {
                member_id: m.id,
                person_id: p.id,
                personnummer: if full {
                    p.personnummer.formatted()
                } else {
                    p.personnummer.masked()
                },
                name: p.name,
                relation: m.relation,
                is_minor: m.minor_until.is_some_and(|d| d > today),
                residence: m.residence,
                protected_identity: p.protected_identity,
                moved_out_on: m.moved_out_on,
            })
        })
        .collect()
}

/// Field error for a referenced household the caller cannot see (same as missing).
pub fn no_household(field: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(field, "no such household")])
}
