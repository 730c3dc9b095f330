//! Person rows. Personnummer and name are AES-GCM ciphertexts bound to their row and column.

use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;

use crate::crypto::field::BlindIndex;
use crate::crypto::subjects::{Keyring, Subject};
use crate::db::schema::persons;
use crate::db::{AnyConnection, types};
use crate::domain::personnummer::Personnummer;
use crate::error::ApiError;

pub const BLIND_PURPOSE: &str = "personnummer";

/// The blind index of a personnummer in one municipality: keyed with the organization, so the
/// same number has another index in every municipality and a lookup finds only the caller's
/// municipality's record (issue 13 item 1).
pub fn pnr_index(blind: &BlindIndex, organization_id: &str, pnr: &Personnummer) -> String {
    blind.of(
        &format!("{BLIND_PURPOSE}/{organization_id}"),
        &pnr.canonical(),
    )
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = persons)]
pub struct PersonRow {
    pub id: String,
    pub pnr_enc: Vec<u8>,
    pub pnr_index: String,
    pub name_enc: Vec<u8>,
    pub birth_year: i32,
    pub protected_identity: bool,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The municipality whose record this is (None only before `persons::split` ran).
    pub organization_id: Option<String>,
    /// A copy made when persons were split per municipality: staff check name and flag.
    pub needs_review: bool,
}

/// A person decrypted for a response (only in views that may show it).
pub struct ClearPerson {
    pub id: String,
    pub personnummer: Personnummer,
    pub name: String,
    pub protected_identity: bool,
}

pub fn decrypt(
    keyring: &Keyring,
    conn: &mut AnyConnection,
    row: &PersonRow,
) -> Result<ClearPerson, ApiError> {
    let fail = |e: crate::crypto::subjects::SealError| e.about(format_args!("person {}", row.id));
    let pnr = keyring
        .open(conn, "persons", "pnr", &row.id, &row.pnr_enc)
        .map_err(fail)?;
    let name = keyring
        .open(conn, "persons", "name", &row.id, &row.name_enc)
        .map_err(fail)?;
    // Stored numbers are canonical 12-digit forms; the century is already fixed.
    let personnummer = Personnummer::parse(&pnr)
        .map_err(|_| ApiError::Internal(format!("person {}: stored number", row.id)))?;
    Ok(ClearPerson {
        id: row.id.clone(),
        personnummer,
        name,
        protected_identity: row.protected_identity,
    })
}

/// The blind indexes a lookup matches: under the current key, then under the older keys still
/// configured (a blind-index rotation in progress, `kvar keys rotate-blind-index`).
pub fn pnr_indexes(blind: &BlindIndex, organization_id: &str, pnr: &Personnummer) -> Vec<String> {
    blind.all_of(
        &format!("{BLIND_PURPOSE}/{organization_id}"),
        &pnr.canonical(),
    )
}

/// The person with this number in the municipality `organization_id`, if it registered one.
pub fn find_by_pnr(
    conn: &mut AnyConnection,
    blind: &BlindIndex,
    organization_id: &str,
    pnr: &Personnummer,
) -> QueryResult<Option<PersonRow>> {
    persons::table
        .filter(persons::pnr_index.eq_any(pnr_indexes(blind, organization_id, pnr)))
        .filter(persons::organization_id.eq(organization_id))
        .select(PersonRow::as_select())
        .first(conn)
        .optional()
}

/// The municipality's person with this number, created when new (name and flag of an existing
/// record are kept). Returns the row and whether it was created.
pub fn find_or_create(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    blind: &BlindIndex,
    organization_id: &str,
    pnr: &Personnummer,
    name: &str,
    protected_identity: bool,
) -> QueryResult<(PersonRow, bool)> {
    if let Some(existing) = find_by_pnr(conn, blind, organization_id, pnr)? {
        return Ok((existing, false));
    }
    let new = NewPerson {
        organization_id,
        pnr,
        name,
        protected_identity,
        needs_review: false,
    };
    insert(conn, keyring, blind, &new).map(|p| (p, true))
}

/// What a new person row holds.
pub struct NewPerson<'a> {
    pub organization_id: &'a str,
    pub pnr: &'a Personnummer,
    pub name: &'a str,
    pub protected_identity: bool,
    pub needs_review: bool,
}

/// Insert a person known not to exist yet in its municipality (the caller has looked it up).
pub fn insert(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    blind: &BlindIndex,
    p: &NewPerson<'_>,
) -> QueryResult<PersonRow> {
    let id = types::new_id();
    let now = types::now();
    let key = keyring.key_for_new(conn, Subject::person(&id))?;
    let row = PersonRow {
        pnr_enc: key.seal("persons", "pnr", &id, &p.pnr.canonical())?,
        pnr_index: pnr_index(blind, p.organization_id, p.pnr),
        name_enc: key.seal("persons", "name", &id, p.name)?,
        birth_year: p.pnr.birth_year(),
        protected_identity: p.protected_identity,
        version: 1,
        created_at: now,
        updated_at: now,
        organization_id: Some(p.organization_id.to_owned()),
        needs_review: p.needs_review,
        id,
    };
    diesel::insert_into(persons::table)
        .values((
            (
                persons::id.eq(&row.id),
                persons::pnr_enc.eq(&row.pnr_enc),
                persons::pnr_index.eq(&row.pnr_index),
                persons::name_enc.eq(&row.name_enc),
                persons::birth_year.eq(row.birth_year),
                persons::protected_identity.eq(row.protected_identity),
            ),
            (
                persons::version.eq(row.version),
                persons::created_at.eq(row.created_at),
                persons::updated_at.eq(row.updated_at),
                persons::organization_id.eq(&row.organization_id),
                persons::needs_review.eq(row.needs_review),
                // The research sample's day of the month (retention), not the birth date.
                persons::birth_day.eq(Some(p.pnr.birth_date().day() as i32)),
            ),
        ))
        .execute(conn)?;
    Ok(row)
}

/// A person by id (callers check the scope: `scope::person_reachable`).
pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<PersonRow>> {
    persons::table
        .find(id)
        .select(PersonRow::as_select())
        .first(conn)
        .optional()
}

/// Set a person's protected-identity flag when its version is still `expected`, raising the
/// version; false when it moved on.
pub fn set_protected_identity(
    conn: &mut AnyConnection,
    id: &str,
    expected: i32,
    value: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        persons::table
            .filter(persons::id.eq(id))
            .filter(persons::version.eq(expected)),
    )
    .set((
        persons::protected_identity.eq(value),
        persons::version.eq(persons::version + 1),
        persons::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// What `PATCH /persons/{id}` changes (None: unchanged).
pub struct PersonChange {
    pub protected_identity: Option<bool>,
    pub name_enc: Option<Vec<u8>>,
    pub needs_review: Option<bool>,
}

/// Apply `change` when the person's version is still `expected`, raising it; false when it
/// moved on.
pub fn update(
    conn: &mut AnyConnection,
    id: &str,
    expected: i32,
    change: &PersonChange,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let current: Option<PersonRow> = persons::table
        .filter(persons::id.eq(id))
        .filter(persons::version.eq(expected))
        .select(PersonRow::as_select())
        .first(conn)
        .optional()?;
    let Some(current) = current else {
        return Ok(false);
    };
    let n = diesel::update(
        persons::table
            .filter(persons::id.eq(id))
            .filter(persons::version.eq(expected)),
    )
    .set((
        persons::protected_identity.eq(change
            .protected_identity
            .unwrap_or(current.protected_identity)),
        persons::name_enc.eq(change.name_enc.as_ref().unwrap_or(&current.name_enc)),
        persons::needs_review.eq(change.needs_review.unwrap_or(current.needs_review)),
        persons::version.eq(persons::version + 1),
        persons::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
