//! Splitting the persons of before per municipality (issue 13 item 1), run after the schema
//! migrations, at start and by `kvar migrate`: it holds the keys that SQL does not. A person row
//! without a municipality is given the municipality of its earliest household and the blind
//! index of that municipality; every other municipality whose households have the person as a
//! member gets a copy of its own (re-encrypted under the copy's id, flagged `needs_review`:
//! what that municipality typed was not kept), and its memberships and consents move to the
//! copy. Each copy is audited as the system's. Idempotent: only rows without a municipality are
//! looked at; a row in no household keeps none (no lookup finds it).

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::repo::{self, NewPerson, PersonRow};
use crate::audit::{self, Actor, AuditAction, Changes, NewEvent};
use crate::crypto::field::BlindIndex;
use crate::crypto::subjects::Keyring;
use crate::db::schema::{consents, household_members, households, persons};
use crate::db::{AnyConnection, Tx, write_tx};
use crate::error::ApiError;

/// Split the unsplit persons; returns how many copies were made.
pub fn run(
    conn: &mut AnyConnection,
    keyring: &Keyring,
    blind: &BlindIndex,
) -> Result<usize, ApiError> {
    let unsplit: Vec<PersonRow> = persons::table
        .filter(persons::organization_id.is_null())
        .select(PersonRow::as_select())
        .order(persons::id)
        .load(conn)?;
    let mut copies = 0;
    for person in unsplit {
        copies += write_tx(conn, |tx| split_one(tx, keyring, blind, &person))?;
    }
    Ok(copies)
}

/// The municipalities whose households have the person, earliest household first.
fn municipalities(tx: &mut Tx<'_>, person_id: &str) -> QueryResult<Vec<String>> {
    let rows: Vec<(String, chrono::NaiveDateTime)> = household_members::table
        .inner_join(households::table)
        .filter(household_members::person_id.eq(person_id))
        .select((households::organization_id, households::created_at))
        .load(&mut **tx)?;
    let mut first: BTreeMap<String, chrono::NaiveDateTime> = BTreeMap::new();
    for (org, at) in rows {
        let e = first.entry(org).or_insert(at);
        *e = (*e).min(at);
    }
    let mut orgs: Vec<(String, chrono::NaiveDateTime)> = first.into_iter().collect();
    orgs.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    Ok(orgs.into_iter().map(|(o, _)| o).collect())
}

fn split_one(
    tx: &mut Tx<'_>,
    keyring: &Keyring,
    blind: &BlindIndex,
    person: &PersonRow,
) -> Result<usize, ApiError> {
    let orgs = municipalities(tx, &person.id)?;
    let Some((first, others)) = orgs.split_first() else {
        return Ok(0);
    };
    let clear = repo::decrypt(keyring, tx, person)?;
    diesel::update(persons::table.find(&person.id))
        .set((
            persons::organization_id.eq(first),
            persons::pnr_index.eq(repo::pnr_index(blind, first, &clear.personnummer)),
        ))
        .execute(&mut **tx)?;
    for org in others {
        let copy = repo::insert(
            tx,
            keyring,
            blind,
            &NewPerson {
                organization_id: org,
                pnr: &clear.personnummer,
                name: &clear.name,
                protected_identity: person.protected_identity,
                needs_review: true,
            },
        )?;
        let theirs = households::table
            .filter(households::organization_id.eq(org))
            .select(households::id);
        diesel::update(
            household_members::table
                .filter(household_members::person_id.eq(&person.id))
                .filter(household_members::household_id.eq_any(theirs)),
        )
        .set(household_members::person_id.eq(&copy.id))
        .execute(&mut **tx)?;
        diesel::update(
            consents::table
                .filter(consents::person_id.eq(&person.id))
                .filter(consents::organization_id.eq(org)),
        )
        .set(consents::person_id.eq(&copy.id))
        .execute(&mut **tx)?;
        audit::record(
            tx,
            NewEvent {
                actor: &Actor::system(),
                action: AuditAction::PersonSplit,
                entity_type: "person",
                entity_id: Some(&copy.id),
                case_id: None,
                changes: Changes::new()
                    .created("copied_from", person.id.as_str())
                    .created("organization_id", org.as_str())
                    .created("needs_review", true),
            },
        )?;
    }
    Ok(others.len())
}

/// The schema migrations, then this split: what start-up and `kvar migrate` run. All of it under
/// the migrations' advisory lock: instances starting together run it one after the other, and
/// the later ones find nothing left to do.
pub fn migrate(
    conn: &mut AnyConnection,
    keys: &crate::crypto::Keys,
) -> Result<Vec<String>, String> {
    use crate::db::advisory::{Lock, run_waiting};
    run_waiting::<_, crate::db::advisory::Failure, _>(conn, Lock::Migrations, |c| {
        migrate_locked(c, keys).map_err(Into::into)
    })
    .map_err(|e| e.to_string())
}

fn migrate_locked(
    conn: &mut AnyConnection,
    keys: &crate::crypto::Keys,
) -> Result<Vec<String>, String> {
    let applied = crate::db::run_migrations(conn)?;
    let keyring = Keyring::from_keys(keys);
    crate::db::scrub::zero_what_is_deleted(conn)
        .map_err(|e| format!("PRAGMA secure_delete: {e}"))?;
    let sealed = crate::crypto::reseal::run(conn, &keyring)
        .map_err(|e| format!("sealing personal data under data keys: {e}"))?;
    if sealed > 0 {
        tracing::info!(
            fields = sealed,
            "personal data sealed under per-subject data keys"
        );
    }
    let blind = BlindIndex::from_keys(keys)?;
    let clear = crate::crypto::plain_step::run(conn, &keyring, &blind)
        .map_err(|e| format!("sealing addresses, case numbers and reasons: {e}"))?;
    if clear > 0 {
        tracing::info!(fields = clear, "addresses, case numbers and reasons sealed");
    }
    if sealed + clear > 0 {
        crate::db::scrub::drop_old_pages(conn).map_err(|e| format!("wal_checkpoint: {e}"))?;
    }
    let copies = run(conn, &keyring, &blind).map_err(|e| format!("splitting persons: {e}"))?;
    if copies > 0 {
        tracing::info!(copies, "persons split per municipality");
    }
    let days = crate::retention::backfill_birth_days(conn, &keyring)
        .map_err(|e| format!("backfilling birth days: {e}"))?;
    if days > 0 {
        tracing::info!(persons = days, "research-sample birth days backfilled");
    }
    if applied
        .iter()
        .any(|m| m.contains("000020") || m.contains("000021"))
    {
        let cases = crate::stats::facts::backfill(conn)?;
        tracing::info!(cases, "statistics facts computed for the existing cases");
    }
    Ok(applied)
}
