//! The data step of migration 000026 (issue 14): personal data that was stored in clear is
//! sealed under its subject's data key, then the clear columns are dropped, in one transaction:
//! household and tenancy addresses (the household's key), a rent commitment letter's copy of
//! the address, closure and reopening reasons (the case's key), Kronofogden case numbers (the
//! case's key, with a blind index per municipality so intake still matches on them). `notices`
//! is append-only: its no-update rule is lifted for this step's statements only
//! ([`super::reseal::lift_no_update`]).

use std::collections::HashMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::field::BlindIndex;
use super::subjects::{Keyring, SealError, Subject};
use crate::audit::{self, Actor, AuditAction, Changes, NewEvent};
use crate::db::schema::{
    case_closures, cases, closure_requests, households, notices, pending_data_steps,
    rent_commitments, tenancies,
};
use crate::db::{AnyConnection, Tx, write_tx};
use crate::households::address::StoredAddress;

/// The name of this step in `pending_data_steps`.
pub const STEP: &str = "seal_plain_fields";

/// The clear columns as they were before this step.
mod before {
    diesel::table! { households (id) { id -> Text, street -> Text, postal_code -> Text, city -> Text, } }
    diesel::table! { tenancies (id) { id -> Text, household_id -> Text, street -> Text, postal_code -> Text, city -> Text, } }
    diesel::table! { rent_commitments (id) { id -> Text, case_id -> Text, street -> Nullable<Text>, postal_code -> Nullable<Text>, city -> Nullable<Text>, } }
    diesel::table! { notices (id) { id -> Text, case_id -> Text, kfm_case_number -> Nullable<Text>, } }
    diesel::table! { closure_requests (id) { id -> Text, case_id -> Text, reason -> Text, } }
    diesel::table! { case_closures (id) { id -> Text, case_id -> Text, reopen_reason -> Nullable<Text>, } }
}

const DROP_CLEAR_COLUMNS: &str = "\
DROP INDEX notices_kfm_case;
ALTER TABLE notices DROP COLUMN kfm_case_number;
ALTER TABLE households DROP COLUMN street;
ALTER TABLE households DROP COLUMN postal_code;
ALTER TABLE households DROP COLUMN city;
ALTER TABLE tenancies DROP COLUMN street;
ALTER TABLE tenancies DROP COLUMN postal_code;
ALTER TABLE tenancies DROP COLUMN city;
ALTER TABLE rent_commitments DROP COLUMN street;
ALTER TABLE rent_commitments DROP COLUMN postal_code;
ALTER TABLE rent_commitments DROP COLUMN city;
ALTER TABLE closure_requests DROP COLUMN reason;
ALTER TABLE case_closures DROP COLUMN reopen_reason;
";

fn address(street: String, postal_code: String, city: String) -> StoredAddress {
    StoredAddress {
        street,
        postal_code,
        city,
    }
}

/// Seal what is in clear (if the step is pending); returns the number of fields sealed.
pub fn run(
    conn: &mut AnyConnection,
    ring: &Keyring,
    blind: &BlindIndex,
) -> Result<usize, SealError> {
    let pending: i64 = pending_data_steps::table
        .filter(pending_data_steps::name.eq(STEP))
        .count()
        .get_result(conn)?;
    if pending == 0 {
        return Ok(0);
    }
    write_tx(conn, |tx| {
        let mut n = addresses(tx, ring)?;
        n += reasons(tx, ring)?;
        super::reseal::lift_no_update(tx, true)?;
        n += case_numbers(tx, ring, blind)?;
        super::reseal::lift_no_update(tx, false)?;
        match &mut **tx {
            AnyConnection::Postgresql(c) => c.batch_execute(DROP_CLEAR_COLUMNS)?,
            AnyConnection::Sqlite(c) => c.batch_execute(DROP_CLEAR_COLUMNS)?,
        }
        diesel::delete(pending_data_steps::table.find(STEP)).execute(&mut **tx)?;
        if n > 0 {
            audit::record(
                tx,
                NewEvent {
                    actor: &Actor::system(),
                    action: AuditAction::DataKeysSealed,
                    entity_type: "database",
                    entity_id: None,
                    case_id: None,
                    changes: Changes::new()
                        .created("step", STEP)
                        .created("fields_resealed", n as i64),
                },
            )?;
        }
        Ok(n)
    })
}

fn addresses(tx: &mut Tx<'_>, ring: &Keyring) -> Result<usize, SealError> {
    let mut n = 0;
    let hs: Vec<(String, String, String, String)> = before::households::table
        .select((
            before::households::id,
            before::households::street,
            before::households::postal_code,
            before::households::city,
        ))
        .load(&mut **tx)?;
    for (id, street, postal_code, city) in hs {
        let at = ("households", "address", id.as_str());
        let sealed =
            address(street, postal_code, city).seal(ring, tx, Subject::household(&id), at)?;
        diesel::update(households::table.find(&id))
            .set(households::address_enc.eq(sealed))
            .execute(&mut **tx)?;
        n += 1;
    }
    let ts: Vec<(String, String, String, String, String)> = before::tenancies::table
        .select((
            before::tenancies::id,
            before::tenancies::household_id,
            before::tenancies::street,
            before::tenancies::postal_code,
            before::tenancies::city,
        ))
        .load(&mut **tx)?;
    for (id, household, street, postal_code, city) in ts {
        let at = ("tenancies", "address", id.as_str());
        let subject = Subject::household(&household);
        let sealed = address(street, postal_code, city).seal(ring, tx, subject, at)?;
        diesel::update(tenancies::table.find(&id))
            .set(tenancies::address_enc.eq(sealed))
            .execute(&mut **tx)?;
        n += 1;
    }
    type Letter = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rcs: Vec<Letter> = before::rent_commitments::table
        .select((
            before::rent_commitments::id,
            before::rent_commitments::case_id,
            before::rent_commitments::street,
            before::rent_commitments::postal_code,
            before::rent_commitments::city,
        ))
        .load(&mut **tx)?;
    for (id, case, street, postal_code, city) in rcs {
        let (Some(street), Some(postal_code), Some(city)) = (street, postal_code, city) else {
            continue;
        };
        let at = ("rent_commitments", "letter_address", id.as_str());
        let sealed = address(street, postal_code, city).seal(ring, tx, Subject::case(&case), at)?;
        diesel::update(rent_commitments::table.find(&id))
            .set(rent_commitments::letter_address_enc.eq(sealed))
            .execute(&mut **tx)?;
        n += 1;
    }
    Ok(n)
}

fn reasons(tx: &mut Tx<'_>, ring: &Keyring) -> Result<usize, SealError> {
    let mut n = 0;
    let rs: Vec<(String, String, String)> = before::closure_requests::table
        .select((
            before::closure_requests::id,
            before::closure_requests::case_id,
            before::closure_requests::reason,
        ))
        .load(&mut **tx)?;
    for (id, case, reason) in rs {
        let subject = Subject::case(&case);
        let sealed = ring.seal(tx, subject, "closure_requests", "reason", &id, &reason)?;
        diesel::update(closure_requests::table.find(&id))
            .set(closure_requests::reason_enc.eq(sealed))
            .execute(&mut **tx)?;
        n += 1;
    }
    let cs: Vec<(String, String, Option<String>)> = before::case_closures::table
        .filter(before::case_closures::reopen_reason.is_not_null())
        .select((
            before::case_closures::id,
            before::case_closures::case_id,
            before::case_closures::reopen_reason,
        ))
        .load(&mut **tx)?;
    for (id, case, reason) in cs {
        let Some(reason) = reason else { continue };
        let subject = Subject::case(&case);
        let sealed = ring.seal(tx, subject, "case_closures", "reopen_reason", &id, &reason)?;
        diesel::update(case_closures::table.find(&id))
            .set(case_closures::reopen_reason_enc.eq(sealed))
            .execute(&mut **tx)?;
        n += 1;
    }
    Ok(n)
}

fn case_numbers(tx: &mut Tx<'_>, ring: &Keyring, blind: &BlindIndex) -> Result<usize, SealError> {
    let mut n = 0;
    let rows: Vec<(String, String, Option<String>)> = before::notices::table
        .filter(before::notices::kfm_case_number.is_not_null())
        .select((
            before::notices::id,
            before::notices::case_id,
            before::notices::kfm_case_number,
        ))
        .load(&mut **tx)?;
    let mut orgs: HashMap<String, String> = HashMap::new();
    for (id, case, number) in rows {
        let Some(number) = number else { continue };
        let org = match orgs.get(&case) {
            Some(o) => o.clone(),
            None => {
                let o: String = cases::table
                    .find(&case)
                    .select(cases::organization_id)
                    .first(&mut **tx)?;
                orgs.insert(case.clone(), o.clone());
                o
            }
        };
        let subject = Subject::case(&case);
        let sealed = ring.seal(tx, subject, "notices", "kfm_case_number", &id, &number)?;
        diesel::update(notices::table.find(&id))
            .set((
                notices::kfm_case_enc.eq(sealed),
                notices::kfm_case_index
                    .eq(crate::notices::repo::kfm_case_index(blind, &org, &number)),
            ))
            .execute(&mut **tx)?;
        n += 1;
    }
    Ok(n)
}
