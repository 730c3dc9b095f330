//! Person rows. Personnummer and name are AES-GCM ciphertexts bound to their row and column.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::crypto::field::{BlindIndex, FieldCipher};
use crate::db::schema::persons;
use crate::db::{AnyConnection, types};
use crate::domain::personnummer::Personnummer;
use crate::error::ApiError;

pub const BLIND_PURPOSE: &str = "personnummer";

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
}

/// A person decrypted for a response (only in views that may show it).
pub struct ClearPerson {
    pub id: String,
    pub personnummer: Personnummer,
    pub name: String,
    pub protected_identity: bool,
}

pub fn decrypt(cipher: &FieldCipher, row: &PersonRow) -> Result<ClearPerson, ApiError> {
    let fail =
        |e: crate::crypto::field::FieldError| ApiError::Internal(format!("person {}: {e}", row.id));
    let pnr = cipher
        .decrypt_str("persons", "pnr", &row.id, &row.pnr_enc)
        .map_err(fail)?;
    let name = cipher
        .decrypt_str("persons", "name", &row.id, &row.name_enc)
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

pub fn find_by_pnr(
    conn: &mut AnyConnection,
    blind: &BlindIndex,
    pnr: &Personnummer,
) -> QueryResult<Option<PersonRow>> {
    persons::table
        .filter(persons::pnr_index.eq(blind.of(BLIND_PURPOSE, &pnr.canonical())))
        .select(PersonRow::as_select())
        .first(conn)
        .optional()
}

/// The person with this number, created when new (name and flag of an existing person are
/// kept). Returns the row and whether it was created.
pub fn find_or_create(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    blind: &BlindIndex,
    pnr: &Personnummer,
    name: &str,
    protected_identity: bool,
) -> QueryResult<(PersonRow, bool)> {
    if let Some(existing) = find_by_pnr(conn, blind, pnr)? {
        return Ok((existing, false));
    }
    insert(conn, cipher, blind, pnr, name, protected_identity).map(|p| (p, true))
}

/// Insert a person known not to exist yet (the caller has looked it up).
pub fn insert(
    conn: &mut AnyConnection,
    cipher: &FieldCipher,
    blind: &BlindIndex,
    pnr: &Personnummer,
    name: &str,
    protected_identity: bool,
) -> QueryResult<PersonRow> {
    let id = types::new_id();
    let now = types::now();
    let row = PersonRow {
        pnr_enc: cipher.encrypt_str("persons", "pnr", &id, &pnr.canonical())?,
        pnr_index: blind.of(BLIND_PURPOSE, &pnr.canonical()),
        name_enc: cipher.encrypt_str("persons", "name", &id, name)?,
        birth_year: pnr.birth_year(),
        protected_identity,
        version: 1,
        created_at: now,
        updated_at: now,
        id,
    };
    diesel::insert_into(persons::table)
        .values((
            persons::id.eq(&row.id),
            persons::pnr_enc.eq(&row.pnr_enc),
            persons::pnr_index.eq(&row.pnr_index),
            persons::name_enc.eq(&row.name_enc),
            persons::birth_year.eq(row.birth_year),
            persons::protected_identity.eq(row.protected_identity),
            persons::version.eq(row.version),
            persons::created_at.eq(row.created_at),
            persons::updated_at.eq(row.updated_at),
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
