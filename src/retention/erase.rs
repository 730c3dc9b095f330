//! Erasing clusters (issue 14 item 3): what goes, what stays.
//!
//! Goes: the subjects' data keys (crypto-shredding: every ciphertext of theirs, including the
//! append-only notes, notices' encrypted fields and audit reasons, becomes unreadable with any
//! key kvar holds), the personnummer's blind index (a non-identifying tombstone keeps the column
//! NOT NULL and UNIQUE), the encrypted columns of mutable rows (overwritten: they are gone even
//! before the key is), addresses, apartment references, free text, the date a child turns 18
//! (with the birth year it is the birth date), consent records (pure personal data no figure
//! reads).
//!
//! Stays (the statistical skeleton): municipality and unit, year of birth, household composition
//! (relation, residence, moved-out date), the legal stages and statuses, notices' kinds and
//! dates, execution outcome, children present and social services present, deadlines and their
//! outcomes, interventions' kinds, dates and amounts, rent-commitment amounts, months and the
//! tenancy's contract type, rooms, size and rent, closure outcomes and homelessness situations,
//! and `stats_facts`, untouched.
//!
//! Cannot be touched: notes and notices are append-only (trigger and grant), as is the audit
//! trail. Their personal content is encrypted under the subjects' keys, so shredding the keys
//! erases it. What the append-only tables hold in clear from before the data-key layer
//! (Kronofogden's case number on notices, transition reasons in old audit events) is listed in
//! the README under Retention.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::{self, Actor, AuditAction, Changes, NewEvent};
use crate::db::schema::{
    case_closures, cases, closure_requests, consents, household_members, households, legal_holds,
    persons, rent_commitments, tenancies,
};
use crate::db::{AnyConnection, Tx};
use crate::domain::retention::{Cluster, Rule};

/// The one call into the crypto-shredding layer: destroys the data keys of `subjects` (ids of
/// persons, households and cases), so that every ciphertext of theirs, in whatever row, is
/// unreadable with any key kvar holds. Returns how many keys were destroyed.
pub fn shred_keys(conn: &mut AnyConnection, subjects: &[String]) -> QueryResult<usize> {
    crate::crypto::subjects::shred(conn, subjects)
}

/// The blind-index tombstone of an erased person: unique (the id), identifies no one.
pub fn tombstone(person_id: &str) -> String {
    format!("erased:{person_id}")
}

/// Erase `batch` (clusters with the rule that erases each) in the caller's transaction; one
/// `retention.erased` event per subject, naming the rule and the plan and nothing personal.
pub fn erase(
    tx: &mut Tx<'_>,
    batch: &[(&Cluster, Rule)],
    plan_id: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let person_ids: Vec<&str> = batch
        .iter()
        .flat_map(|(c, _)| c.persons.iter().map(String::as_str))
        .collect();
    let household_ids: Vec<&str> = batch
        .iter()
        .flat_map(|(c, _)| c.households.iter().map(String::as_str))
        .collect();
    let case_ids: Vec<&str> = batch
        .iter()
        .flat_map(|(c, _)| c.cases.iter().map(String::as_str))
        .collect();
    let subjects: Vec<String> = batch.iter().flat_map(|(c, _)| c.subjects()).collect();
    shred_keys(tx, &subjects)?;

    // Persons: identity overwritten, blind index tombstoned, birth day dropped (the birth year
    // stays).
    for id in &person_ids {
        diesel::update(persons::table.find(*id))
            .set((
                persons::pnr_enc.eq(Vec::<u8>::new()),
                persons::name_enc.eq(Vec::<u8>::new()),
                persons::pnr_index.eq(tombstone(id)),
                persons::birth_day.eq(None::<i32>),
                persons::needs_review.eq(false),
                persons::erased_at.eq(Some(now)),
            ))
            .execute(&mut **tx)?;
    }
    diesel::update(
        household_members::table.filter(household_members::person_id.eq_any(&person_ids)),
    )
    .set(household_members::minor_until.eq(None::<chrono::NaiveDate>))
    .execute(&mut **tx)?;
    // Consents are pure personal data: the commitment keeps its disclosure basis, not the link.
    diesel::update(rent_commitments::table.filter(rent_commitments::case_id.eq_any(&case_ids)))
        .set(rent_commitments::consent_id.eq(None::<String>))
        .execute(&mut **tx)?;
    diesel::delete(consents::table.filter(consents::person_id.eq_any(&person_ids)))
        .execute(&mut **tx)?;

    // Households and tenancies: the address goes (its key is shredded and the sealed value
    // dropped), the municipality and the tenancy's kind stay.
    diesel::update(households::table.filter(households::id.eq_any(&household_ids)))
        .set((
            households::address_enc.eq(None::<Vec<u8>>),
            households::erased_at.eq(Some(now)),
        ))
        .execute(&mut **tx)?;
    diesel::update(tenancies::table.filter(tenancies::household_id.eq_any(&household_ids)))
        .set((
            tenancies::address_enc.eq(None::<Vec<u8>>),
            tenancies::apartment_number.eq(""),
            tenancies::conversion_conditions.eq(None::<String>),
        ))
        .execute(&mut **tx)?;

    // Cases: free text goes; statuses, stages, outcomes, dates and amounts stay.
    diesel::update(cases::table.filter(cases::id.eq_any(&case_ids)))
        .set(cases::erased_at.eq(Some(now)))
        .execute(&mut **tx)?;
    diesel::update(closure_requests::table.filter(closure_requests::case_id.eq_any(&case_ids)))
        .set(closure_requests::reason_enc.eq(None::<Vec<u8>>))
        .execute(&mut **tx)?;
    diesel::update(case_closures::table.filter(case_closures::case_id.eq_any(&case_ids)))
        .set(case_closures::reopen_reason_enc.eq(None::<Vec<u8>>))
        .execute(&mut **tx)?;
    diesel::update(rent_commitments::table.filter(rent_commitments::case_id.eq_any(&case_ids)))
        .set((
            rent_commitments::reason_enc.eq(Vec::<u8>::new()),
            rent_commitments::decision_reason_enc.eq(None::<Vec<u8>>),
            rent_commitments::tenant_name_enc.eq(None::<Vec<u8>>),
            rent_commitments::legal_basis_enc.eq(None::<Vec<u8>>),
            rent_commitments::apartment_ref.eq(None::<String>),
            rent_commitments::letter_address_enc.eq(None::<Vec<u8>>),
        ))
        .execute(&mut **tx)?;
    diesel::update(legal_holds::table.filter(legal_holds::case_id.eq_any(&case_ids)))
        .set(legal_holds::reason_enc.eq(None::<Vec<u8>>))
        .execute(&mut **tx)?;

    let actor = Actor::system();
    for (cluster, rule) in batch {
        for (kind, ids) in [
            ("person", &cluster.persons),
            ("household", &cluster.households),
            ("case", &cluster.cases),
        ] {
            for id in ids {
                audit::record(
                    tx,
                    NewEvent {
                        actor: &actor,
                        action: AuditAction::RetentionErased,
                        entity_type: kind,
                        entity_id: Some(id),
                        case_id: (kind == "case").then_some(id.as_str()),
                        changes: Changes::new()
                            .created("rule", rule.as_str())
                            .created("plan_id", plan_id),
                    },
                )?;
            }
        }
    }
    Ok(())
}
