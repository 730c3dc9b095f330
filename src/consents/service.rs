//! Recording, withdrawing and listing consents (SPEC §9). A person is reached through a
//! household the caller reaches (`auth::scope::person_reachable`); out of reach is the same 404
//! as a missing person, with a denied access-log row. Every change writes its audit event in its
//! transaction; every list writes access-log rows before it leaves.

use chrono::NaiveDate;

use super::dto::{ConsentList, ConsentResponse, CreateConsentRequest, WithdrawConsentRequest};
use super::repo::{self, ConsentRow};
use crate::audit::access;
use crate::audit::{self, AuditAction, Changes};
use crate::auth::policy::{Authorized, Grant, ops};
use crate::auth::scope::{self, scoped_write};
use crate::cases::service::visible_or_404;
use crate::db::{Tx, types};
use crate::domain::consent;
use crate::domain::sweden;
use crate::error::ApiError;
use crate::state::AppState;

const ENTITY: &str = "consent";
const TABLE: &str = "consents";

/// The person, if the caller reaches them, inside a write ([`scoped_write`] logs a miss).
fn person_for_write(tx: &mut Tx<'_>, who: &Grant, person_id: &str) -> Result<(), ApiError> {
    if scope::person_reachable(tx, who, person_id)? {
        Ok(())
    } else {
        Err(ApiError::NotVisible {
            subject_type: "person",
            subject_id: person_id.to_owned(),
        })
    }
}

/// The staff view, with its validity on `today`.
fn to_response(
    st: &AppState,
    conn: &mut crate::db::AnyConnection,
    row: ConsentRow,
    today: NaiveDate,
) -> Result<ConsentResponse, ApiError> {
    let note = row
        .note_enc
        .as_deref()
        .map(|enc| {
            st.keyring
                .open(conn, TABLE, "note", &row.id, enc)
                .map_err(|e| e.about(format_args!("consent {}", row.id)))
        })
        .transpose()?;
    Ok(ConsentResponse {
        validity: row.term().validity_on(today),
        validity_on: today,
        note,
        id: row.id,
        person_id: row.person_id,
        scope: row.scope,
        method: row.method,
        given_on: row.given_on,
        expires_on: row.expires_on,
        withdrawn_on: row.withdrawn_on,
        withdrawn_by: row.withdrawn_by,
        recorded_by: row.recorded_by,
        version: row.version,
        created_at: types::utc(row.created_at),
    })
}

/// `POST /persons/{id}/consents`: 201 with the consent, recorded for the caller's municipality.
pub async fn create(
    state: &AppState,
    who: Authorized<ops::CreateConsent>,
    person_id: String,
    req: CreateConsentRequest,
) -> Result<ConsentResponse, ApiError> {
    let today = sweden::today();
    let req = req.validate(today)?;
    let st = state.clone();
    let grant = who.clone();
    scoped_write(state, &grant, move |tx| {
        person_for_write(tx, &who, &person_id)?;
        let now = types::now();
        let id = types::new_id();
        let note_enc = req
            .note
            .as_deref()
            .map(|n| {
                st.keyring.seal(
                    tx,
                    crate::crypto::subjects::Subject::person(&person_id),
                    TABLE,
                    "note",
                    &id,
                    n.trim(),
                )
            })
            .transpose()?;
        let row = ConsentRow {
            id,
            person_id,
            organization_id: who.organization_id.clone(),
            scope: req.scope,
            method: req.method,
            given_on: req.given_on,
            expires_on: req.expires_on,
            note_enc,
            withdrawn_on: None,
            withdrawn_by: None,
            recorded_by: who.user_id.clone(),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        repo::insert(tx, &row)?;
        let changes = Changes::new()
            .created("person_id", row.person_id.as_str())
            .created("scope", row.scope.as_str())
            .created("method", row.method.as_str())
            .created("given_on", row.given_on.to_string())
            .created("expires_on", row.expires_on.map(|d| d.to_string()))
            .secret("note", row.note_enc.is_some());
        // A consent belongs to the person, not to one of their cases.
        audit::record_outside_case(
            tx,
            &who.actor(),
            AuditAction::ConsentCreate,
            ENTITY,
            &row.id,
            changes,
        )?;
        to_response(&st, tx, row, today)
    })
    .await
}

/// `POST /persons/{id}/consents/{consent_id}/withdraw`: once; 409 when already withdrawn.
pub async fn withdraw(
    state: &AppState,
    who: Authorized<ops::WithdrawConsent>,
    (person_id, consent_id): (String, String),
    req: WithdrawConsentRequest,
) -> Result<ConsentResponse, ApiError> {
    let today = sweden::today();
    let st = state.clone();
    let grant = who.clone();
    scoped_write(state, &grant, move |tx| {
        person_for_write(tx, &who, &person_id)?;
        let before = repo::find(tx, &who.organization_id, &person_id, &consent_id)?
            .ok_or(ApiError::NotFound)?;
        let already = || ApiError::conflict("The consent is already withdrawn.");
        if before.withdrawn_on.is_some() {
            return Err(already());
        }
        let on = req.withdrawn_on.unwrap_or(today);
        if let Some(message) = consent::check_withdrawal(before.given_on, on, today) {
            return Err(ApiError::field("withdrawn_on", message));
        }
        let now = types::now();
        if !repo::withdraw(tx, &before.id, before.version, on, &who.user_id, now)? {
            return Err(already());
        }
        let changes = Changes::new()
            .field("withdrawn_on", None::<String>, on.to_string())
            .field("withdrawn_by", None::<String>, who.user_id.as_str())
            .field(
                "validity",
                before.term().validity_on(today).as_str(),
                consent::ConsentTerm {
                    withdrawn_on: Some(on),
                    ..before.term()
                }
                .validity_on(today)
                .as_str(),
            )
            .created("person_id", before.person_id.as_str());
        audit::record_outside_case(
            tx,
            &who.actor(),
            AuditAction::ConsentWithdraw,
            ENTITY,
            &before.id,
            changes,
        )?;
        let after = repo::find(tx, &who.organization_id, &person_id, &before.id)?
            .ok_or(ApiError::NotFound)?;
        to_response(&st, tx, after, today)
    })
    .await
}

/// `GET /cases/{id}/consents`: the consents of the case's household members recorded by the
/// caller's municipality, each with its validity today. Logged: the case, and every person
/// whose consents are shown.
pub async fn list_for_case(
    state: &AppState,
    who: Authorized<ops::ListCaseConsents>,
    case_id: String,
) -> Result<ConsentList, ApiError> {
    let st = state.clone();
    state
        .db
        .run(move |conn| {
            let case = visible_or_404(conn, &who, &case_id)?;
            let members = repo::household_persons(conn, &case.household_id)?;
            let rows = repo::for_persons(conn, &who.organization_id, &members)?;
            let mut shown: Vec<&str> = rows.iter().map(|r| r.person_id.as_str()).collect();
            shown.dedup(); // ordered by person
            access::granted_case_and_persons(conn, &who, who.operation_id(), &case.id, shown)?;
            let today = sweden::today();
            let items = rows
                .into_iter()
                .map(|r| to_response(&st, conn, r, today))
                .collect::<Result<_, _>>()?;
            Ok(ConsentList { items })
        })
        .await
}
