//! Consent rows. Every query is bounded by the recording municipality: a consent given to one
//! municipality is nothing to another. Callers have already checked that the person or case is
//! in their scope.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{consents, household_members};
use crate::domain::consent::{ConsentMethod, ConsentScope, ConsentTerm};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = consents)]
pub struct ConsentRow {
    pub id: String,
    pub person_id: String,
    pub organization_id: String,
    pub scope: ConsentScope,
    pub method: ConsentMethod,
    pub given_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub note_enc: Option<Vec<u8>>,
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawn_by: Option<String>,
    pub recorded_by: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ConsentRow {
    /// The dates that decide its validity.
    pub fn term(&self) -> ConsentTerm {
        ConsentTerm {
            given_on: self.given_on,
            expires_on: self.expires_on,
            withdrawn_on: self.withdrawn_on,
        }
    }
}

pub fn insert(conn: &mut AnyConnection, row: &ConsentRow) -> QueryResult<()> {
    diesel::insert_into(consents::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// One consent of a person, recorded by `organization_id`.
pub fn find(
    conn: &mut AnyConnection,
    organization_id: &str,
    person_id: &str,
    id: &str,
) -> QueryResult<Option<ConsentRow>> {
    consents::table
        .filter(consents::id.eq(id))
        .filter(consents::person_id.eq(person_id))
        .filter(consents::organization_id.eq(organization_id))
        .select(ConsentRow::as_select())
        .first(conn)
        .optional()
}

/// The consents `organization_id` recorded for these persons, by person, oldest first.
pub fn for_persons(
    conn: &mut AnyConnection,
    organization_id: &str,
    person_ids: &[String],
) -> QueryResult<Vec<ConsentRow>> {
    consents::table
        .filter(consents::organization_id.eq(organization_id))
        .filter(consents::person_id.eq_any(person_ids))
        .select(ConsentRow::as_select())
        .order((consents::person_id, consents::id))
        .load(conn)
}

/// A consent of the person for `scope` that holds on `day` (the most recently recorded one).
pub fn holding_on(
    conn: &mut AnyConnection,
    organization_id: &str,
    person_id: &str,
    scope: ConsentScope,
    day: NaiveDate,
) -> QueryResult<Option<ConsentRow>> {
    let rows: Vec<ConsentRow> = consents::table
        .filter(consents::organization_id.eq(organization_id))
        .filter(consents::person_id.eq(person_id))
        .filter(consents::scope.eq(scope))
        .select(ConsentRow::as_select())
        .order(consents::id.desc())
        .load(conn)?;
    Ok(rows.into_iter().find(|r| r.term().holds_on(day)))
}

/// Withdraw a consent at `version`; false when it was withdrawn or changed meanwhile.
pub fn withdraw(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    withdrawn_on: NaiveDate,
    withdrawn_by: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        consents::table
            .filter(consents::id.eq(id))
            .filter(consents::version.eq(version))
            .filter(consents::withdrawn_on.is_null()),
    )
    .set((
        consents::withdrawn_on.eq(withdrawn_on),
        consents::withdrawn_by.eq(withdrawn_by),
        consents::version.eq(version + 1),
        consents::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The persons who are or were members of the household.
pub fn household_persons(conn: &mut AnyConnection, household_id: &str) -> QueryResult<Vec<String>> {
    household_members::table
        .filter(household_members::household_id.eq(household_id))
        .select(household_members::person_id)
        .load(conn)
}
