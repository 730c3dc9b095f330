//! `GET /persons/{id}` and `PATCH /persons/{id}`: a person as the staff who reach them see it
//! (a member of a household they reach, `auth::scope::person_reachable`; anyone else gets the
//! 404 of a missing id), and the one thing staff set on a person: protected identity (skyddad
//! identitet, SPEC §9). Raising or clearing it is audited (`person.update`) and raises the
//! person's version (the ETag); while it is set, the addresses of the person's households are
//! withheld from everyone but their cases' assigned caseworkers and the units' supervisors
//! (`households::protection`). Registering a member with `protected_identity: true` raises it
//! too ([`raise_protection`]); only this PATCH clears it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::repo::{self, PersonRow};
use crate::audit::access::{self, Access};
use crate::audit::{self, Actor, AuditAction, Changes};
use crate::auth::Principal;
use crate::auth::policy::{Authorized, Grant, ops};
use crate::auth::scope::{self, scoped_write};
use crate::crypto::subjects::Subject;
use crate::db::{AnyConnection, Tx, types};
use crate::error::ApiError;
use crate::http::etag::IfMatch;
use crate::state::AppState;

/// A person (the household view's rule: staff who reach the person see the full number).
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonResponse {
    pub id: String,
    /// In full, as in the household view.
    pub personnummer: String,
    pub name: String,
    /// Skyddad identitet: the addresses of the person's households are shown only to the
    /// assigned caseworker and the unit's supervisors.
    pub protected_identity: bool,
    /// A copy made when persons were split per municipality (what this municipality once typed
    /// was not kept): check the name, then clear the flag with `PATCH` (`needs_review: false`).
    pub needs_review: bool,
    pub version: i32,
}

/// `PATCH /persons/{id}` (If-Match: the person's ETag). Absent fields stay (`{}` changes
/// nothing and is not audited).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePersonRequest {
    /// Raise (true) or clear (false) protected identity.
    pub protected_identity: Option<bool>,
    /// The municipality's record of the name (encrypted).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"[^\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    )]
    pub name: Option<String>,
    /// false: staff have checked a copy made by the split per municipality.
    pub needs_review: Option<bool>,
}

impl UpdatePersonRequest {
    /// The checked change, every field error at once.
    pub(crate) fn validate(&self) -> Result<Option<String>, ApiError> {
        let mut errors = Vec::new();
        if let Some(name) = &self.name {
            crate::households::dto::text(&mut errors, "name", name, 200);
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(self.name.as_ref().map(|n| n.trim().to_owned()))
    }
}

/// The person if the caller reaches them; None otherwise (out of reach or missing).
fn reachable(
    conn: &mut AnyConnection,
    who: &Grant,
    id: &str,
) -> Result<Option<PersonRow>, ApiError> {
    if !scope::person_reachable(conn, who, id)? {
        return Ok(None);
    }
    Ok(repo::find(conn, id)?)
}

fn to_response(
    st: &AppState,
    conn: &mut AnyConnection,
    who: &Principal,
    operation: &str,
    row: &PersonRow,
) -> Result<PersonResponse, ApiError> {
    let p = repo::decrypt(&st.keyring, conn, row)?;
    access::granted(
        conn,
        who,
        operation,
        &[Access {
            subject_type: "person",
            subject_id: &p.id,
            case_id: None,
        }],
    )?;
    Ok(PersonResponse {
        id: p.id,
        personnummer: p.personnummer.formatted(),
        name: p.name,
        protected_identity: p.protected_identity,
        needs_review: row.needs_review,
        version: row.version,
    })
}

/// `GET /persons/{id}`: logged; out of reach is a logged denial and a 404.
pub async fn get(
    state: &AppState,
    who: Authorized<ops::GetPerson>,
    id: String,
) -> Result<PersonResponse, ApiError> {
    let st = state.clone();
    state
        .db
        .run(move |conn| match reachable(conn, &who, &id)? {
            Some(row) => to_response(&st, conn, &who, who.operation_id(), &row),
            None => {
                access::denied(conn, &who, who.operation_id(), "person", &id)?;
                Err(ApiError::NotFound)
            }
        })
        .await
}

/// `PATCH /persons/{id}`: set or clear protected identity (If-Match: 428 without, 412 stale).
pub async fn update(
    state: &AppState,
    who: Authorized<ops::UpdatePerson>,
    id: String,
    if_match: IfMatch,
    req: UpdatePersonRequest,
) -> Result<PersonResponse, ApiError> {
    let expected = if_match.version()?;
    let name = req.validate()?;
    let st = state.clone();
    let grant = (*who).clone();
    scoped_write(state, &grant, move |tx| {
        let before = reachable(tx, &who, &id)?.ok_or_else(|| ApiError::NotVisible {
            subject_type: "person",
            subject_id: id.clone(),
        })?;
        if before.version != expected {
            return Err(ApiError::PreconditionFailed);
        }
        if req.protected_identity.is_none() && name.is_none() && req.needs_review.is_none() {
            return to_response(&st, tx, &who, who.operation_id(), &before);
        }
        let change = repo::PersonChange {
            protected_identity: req.protected_identity,
            name_enc: match &name {
                Some(n) => Some(st.keyring.seal(
                    tx,
                    Subject::person(&before.id),
                    "persons",
                    "name",
                    &before.id,
                    n,
                )?),
                None => None,
            },
            needs_review: req.needs_review,
        };
        if !repo::update(tx, &before.id, expected, &change, types::now())? {
            return Err(ApiError::PreconditionFailed);
        }
        let changes = Changes::new()
            .field(
                "protected_identity",
                before.protected_identity,
                req.protected_identity.unwrap_or(before.protected_identity),
            )
            .secret("name", name.is_some())
            .field(
                "needs_review",
                before.needs_review,
                req.needs_review.unwrap_or(before.needs_review),
            );
        audit::record_outside_case(
            tx,
            &who.actor(),
            AuditAction::PersonUpdate,
            "person",
            &before.id,
            changes,
        )?;
        let after = repo::find(tx, &before.id)?.ok_or(ApiError::NotFound)?;
        to_response(&st, tx, &who, who.operation_id(), &after)
    })
    .await
}

/// Raise an existing person's protected identity when a member registration says so (`false`
/// never clears it: only `PATCH /persons/{id}` does), audited in the caller's transaction.
pub fn raise_protection(
    tx: &mut Tx<'_>,
    actor: &Actor,
    person: &PersonRow,
    household_id: &str,
) -> Result<(), ApiError> {
    if !person.protected_identity {
        set_protection(tx, actor, person, true, Some(household_id))?;
    }
    Ok(())
}

/// Store the flag (when it changes) with its `person.update` event; the person as stored.
fn set_protection(
    tx: &mut Tx<'_>,
    actor: &Actor,
    before: &PersonRow,
    value: bool,
    household_id: Option<&str>,
) -> Result<PersonRow, ApiError> {
    if before.protected_identity == value {
        return Ok(before.clone());
    }
    if !repo::set_protected_identity(tx, &before.id, before.version, value, types::now())? {
        return Err(ApiError::PreconditionFailed);
    }
    let mut changes = Changes::new().field("protected_identity", before.protected_identity, value);
    if let Some(h) = household_id {
        changes = changes.created("household_id", h);
    }
    audit::record_outside_case(
        tx,
        actor,
        AuditAction::PersonUpdate,
        "person",
        &before.id,
        changes,
    )?;
    repo::find(tx, &before.id)?.ok_or(ApiError::NotFound)
}
