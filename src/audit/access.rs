//! The access log (SPEC §8): every read of personal data, one entry per subject, written before
//! the response leaves; scope denials too. Each entry keeps the reader's unit at the time (the
//! access review finds readers moved or disabled since), and marks reads of protected persons'
//! data ([`granted_protected`]) and rows of multi-subject lists ([`granted_list`]), which the
//! review's hourly volume rule does not count.

use diesel::prelude::*;

use crate::auth::Principal;
use crate::db::schema::access_log;
use crate::db::{self, AnyConnection, types};
use crate::error::ApiError;

/// One subject read (or refused).
pub struct Access<'a> {
    pub subject_type: &'a str,
    pub subject_id: &'a str,
    pub case_id: Option<&'a str>,
}

#[derive(Insertable)]
#[diesel(table_name = access_log)]
struct NewEntry {
    at: chrono::NaiveDateTime,
    actor_id: String,
    actor_role: &'static str,
    operation: String,
    subject_type: String,
    subject_id: String,
    case_id: Option<String>,
    request_id: Option<String>,
    decision: &'static str,
    actor_unit_id: Option<String>,
    protected: bool,
    list_read: bool,
}

/// What kind of read a batch of rows records.
#[derive(Clone, Copy)]
struct Kind {
    decision: &'static str,
    protected: bool,
    list_read: bool,
}

const GRANTED: Kind = Kind {
    decision: "granted",
    protected: false,
    list_read: false,
};
const PROTECTED: Kind = Kind {
    protected: true,
    ..GRANTED
};
const LIST: Kind = Kind {
    list_read: true,
    ..GRANTED
};
const DENIED: Kind = Kind {
    decision: "denied",
    ..GRANTED
};

fn write(
    conn: &mut AnyConnection,
    who: &Principal,
    operation: &str,
    subjects: &[Access<'_>],
    kind: Kind,
) -> Result<(), ApiError> {
    if subjects.is_empty() {
        return Ok(());
    }
    let at = types::now();
    let rows: Vec<NewEntry> = subjects
        .iter()
        .map(|s| NewEntry {
            at,
            actor_id: who.user_id.clone(),
            actor_role: who.role.as_str(),
            operation: operation.to_owned(),
            subject_type: s.subject_type.to_owned(),
            subject_id: s.subject_id.to_owned(),
            case_id: s.case_id.map(str::to_owned),
            request_id: Some(who.request_id.clone()),
            decision: kind.decision,
            actor_unit_id: who.unit_id.clone(),
            protected: kind.protected,
            list_read: kind.list_read,
        })
        .collect();
    // One statement for a whole list page (MultiBackend has no batch insert: run it on the inner
    // connection); on SQLite it is group-committed by the single writer.
    db::append(conn, move |conn| {
        crate::on_inner!(conn, |c| diesel::insert_into(access_log::table)
            .values(&rows)
            .execute(c))
        .map(drop)
        .map_err(ApiError::from)
    })
}

/// Log reads that were granted.
pub fn granted(
    conn: &mut AnyConnection,
    who: &Principal,
    operation: &str,
    subjects: &[Access<'_>],
) -> Result<(), ApiError> {
    write(conn, who, operation, subjects, GRANTED)
}

/// Log granted reads of a protected person's data (skyddad identitet, SPEC §9): the access
/// review flags every one of them.
pub fn granted_protected(
    conn: &mut AnyConnection,
    who: &Principal,
    operation: &str,
    subjects: &[Access<'_>],
) -> Result<(), ApiError> {
    write(conn, who, operation, subjects, PROTECTED)
}

/// Log the rows of a multi-subject list (a page of cases, the worklist): one row per subject,
/// not counted as single-subject views by the access review's volume rule.
pub fn granted_list(
    conn: &mut AnyConnection,
    who: &Principal,
    operation: &str,
    subjects: &[Access<'_>],
) -> Result<(), ApiError> {
    write(conn, who, operation, subjects, LIST)
}

/// Log a read refused by scope (the caller saw a 404).
pub fn denied(
    conn: &mut AnyConnection,
    who: &Principal,
    operation: &str,
    subject_type: &str,
    subject_id: &str,
) -> Result<(), ApiError> {
    write(
        conn,
        who,
        operation,
        &[Access {
            subject_type,
            subject_id,
            case_id: None,
        }],
        DENIED,
    )
}

/// Log a granted read of a case's content that shows these persons: one row for the case and
/// one for each person, all under the case.
pub fn granted_case_and_persons<'a>(
    conn: &mut AnyConnection,
    who: &Principal,
    operation: &str,
    case_id: &str,
    persons: impl IntoIterator<Item = &'a str>,
) -> Result<(), ApiError> {
    let mut logged = vec![Access {
        subject_type: "case",
        subject_id: case_id,
        case_id: Some(case_id),
    }];
    logged.extend(persons.into_iter().map(|p| Access {
        subject_type: "person",
        subject_id: p,
        case_id: Some(case_id),
    }));
    granted(conn, who, operation, &logged)
}
