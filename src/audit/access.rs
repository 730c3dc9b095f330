//! The access log (SPEC §8): every read of personal data, one entry per subject, written before
//! the response leaves; scope denials too.

use diesel::prelude::*;

use crate::auth::Principal;
use crate::db::schema::access_log;
use crate::db::{AnyConnection, types};

/// One subject read (or refused).
pub struct Access<'a> {
    pub subject_type: &'a str,
    pub subject_id: &'a str,
    pub case_id: Option<&'a str>,
}

#[derive(Insertable)]
#[diesel(table_name = access_log)]
struct NewEntry<'a> {
    at: chrono::NaiveDateTime,
    actor_id: &'a str,
    actor_role: &'a str,
    operation: &'a str,
    subject_type: &'a str,
    subject_id: &'a str,
    case_id: Option<&'a str>,
    request_id: Option<&'a str>,
    decision: &'a str,
}

fn write(
    conn: &mut AnyConnection,
    who: &Principal,
    operation: &str,
    subjects: &[Access<'_>],
    decision: &str,
) -> QueryResult<()> {
    if subjects.is_empty() {
        return Ok(());
    }
    let at = types::now();
    let rows: Vec<NewEntry<'_>> = subjects
        .iter()
        .map(|s| NewEntry {
            at,
            actor_id: &who.user_id,
            actor_role: who.role.as_str(),
            operation,
            subject_type: s.subject_type,
            subject_id: s.subject_id,
            case_id: s.case_id,
            request_id: Some(&who.request_id),
            decision,
        })
        .collect();
    // One statement for a whole list page (MultiBackend has no batch insert: run it on the inner
    // connection).
    crate::on_inner!(conn, |c| diesel::insert_into(access_log::table)
        .values(&rows)
        .execute(c))
    .map(drop)
}

/// Log reads that were granted.
pub fn granted(
    conn: &mut AnyConnection,
    who: &Principal,
    operation: &str,
    subjects: &[Access<'_>],
) -> QueryResult<()> {
    write(conn, who, operation, subjects, "granted")
}

/// Log a read refused by scope (the caller saw a 404).
pub fn denied(
    conn: &mut AnyConnection,
    who: &Principal,
    operation: &str,
    subject_type: &str,
    subject_id: &str,
) -> QueryResult<()> {
    write(
        conn,
        who,
        operation,
        &[Access {
            subject_type,
            subject_id,
            case_id: None,
        }],
        "denied",
    )
}
