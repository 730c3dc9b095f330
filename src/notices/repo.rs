//! Notice and deadline rows.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{deadlines, notices};
use crate::domain::consent::ConsentMethod;
use crate::domain::deadlines::{DeadlineKind, DeadlineStatus, DefectGrade, NoticeKind};

/// The blind index of a Kronofogden case number in one municipality (what intake matches on:
/// the number itself is sealed under the case's key).
pub fn kfm_case_index(
    blind: &crate::crypto::field::BlindIndex,
    organization_id: &str,
    number: &str,
) -> String {
    blind.of(&format!("kfm_case_number/{organization_id}"), number.trim())
}

/// The number's index under every configured blind-index version (what intake looks for): the
/// indexes on `notices` are append-only and never recomputed by `kvar keys rotate-blind-index`,
/// so an older version stays configured while open cases depend on numbers indexed under it.
pub fn kfm_case_indexes(
    blind: &crate::crypto::field::BlindIndex,
    organization_id: &str,
    number: &str,
) -> Vec<String> {
    blind.all_of(&format!("kfm_case_number/{organization_id}"), number.trim())
}

// `None` is written as NULL, not DEFAULT (these columns have no default): the insert is then one
// static statement, which PostgreSQL keeps prepared, and deadlines go in as one multi-row insert.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notices, treat_none_as_default_value = false)]
pub struct NoticeRow {
    pub id: String,
    pub case_id: String,
    pub kind: NoticeKind,
    pub source: String,
    pub external_ref: Option<String>,
    /// The Kronofogden case number, sealed under the case's key, and its blind index.
    pub kfm_case_enc: Option<Vec<u8>>,
    pub kfm_case_index: Option<String>,
    pub arrears_amount: Option<i64>,
    pub amount_to_reinstate: Option<i64>,
    pub apartment_size_m2: Option<i32>,
    pub sent_on: Option<NaiveDate>,
    pub served_on: Option<NaiveDate>,
    pub service_method: Option<String>,
    pub received_on: Option<NaiveDate>,
    pub eviction_at: Option<NaiveDateTime>,
    pub execution_outcome: Option<String>,
    pub children_present: Option<bool>,
    pub social_services_present: Option<bool>,
    pub supersedes: Option<String>,
    pub out_of_order: bool,
    pub defect_grade: DefectGrade,
    pub defects: String,
    pub submitted_by: String,
    pub created_at: NaiveDateTime,
    pub amount_paid: Option<i64>,
    pub delivered_on: Option<NaiveDate>,
    pub termination_served: Option<bool>,
    pub tenant_consent_given_on: Option<NaiveDate>,
    pub tenant_consent_method: Option<ConsentMethod>,
    /// The tenant's name as a landlord or Kronofogden typed it (encrypted, bound to the
    /// notice): kept as reported, never written over the municipality's record.
    pub reported_name_enc: Option<Vec<u8>>,
    pub children_registered: Option<i32>,
    pub children_not_registered: Option<i32>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = deadlines, treat_none_as_default_value = false)]
pub struct DeadlineRow {
    pub id: String,
    pub case_id: String,
    pub kind: DeadlineKind,
    pub due_on: NaiveDate,
    pub alternative_due_on: Option<NaiveDate>,
    pub rule_version: String,
    pub computed_from: String,
    pub status: DeadlineStatus,
    pub computed_at: NaiveDateTime,
    pub cycle: Option<i32>,
    pub provisional: bool,
    /// JSON: `[{due_on, rule, notice_id}]`.
    pub readings: String,
    /// JSON: `["flag", ...]`.
    pub flags: String,
    pub paid: Option<i64>,
}

pub fn insert_notice(conn: &mut AnyConnection, n: &NoticeRow) -> QueryResult<()> {
    diesel::insert_into(notices::table)
        .values(n)
        .execute(conn)
        .map(drop)
}

pub fn for_case(conn: &mut AnyConnection, case_id: &str) -> QueryResult<Vec<NoticeRow>> {
    notices::table
        .filter(notices::case_id.eq(case_id))
        .select(NoticeRow::as_select())
        .order(notices::id)
        .load(conn)
}

pub fn deadlines_for_case(
    conn: &mut AnyConnection,
    case_id: &str,
) -> QueryResult<Vec<DeadlineRow>> {
    deadlines::table
        .filter(deadlines::case_id.eq(case_id))
        .select(DeadlineRow::as_select())
        .order((deadlines::due_on, deadlines::id))
        .load(conn)
}

/// Non-void deadlines of many cases (worklist).
pub fn live_deadlines(
    conn: &mut AnyConnection,
    case_ids: &[String],
) -> QueryResult<Vec<DeadlineRow>> {
    deadlines::table
        .filter(deadlines::case_id.eq_any(case_ids))
        .filter(deadlines::status.ne(DeadlineStatus::Void))
        .select(DeadlineRow::as_select())
        .load(conn)
}

/// New deadlines of a case, in one statement.
pub fn insert_deadlines(conn: &mut AnyConnection, rows: &[DeadlineRow]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    // MultiBackend has no batch insert: run it on the inner connection.
    crate::on_inner!(conn, |c| diesel::insert_into(deadlines::table)
        .values(rows)
        .execute(c))
    .map(drop)
}

pub fn set_deadline_status(
    conn: &mut AnyConnection,
    id: &str,
    status: DeadlineStatus,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(deadlines::table.find(id))
        .set((deadlines::status.eq(status), deadlines::computed_at.eq(now)))
        .execute(conn)
        .map(drop)
}

/// A live deadline's state as of a recomputation: status, flags and the sum paid.
pub fn set_deadline_state(
    conn: &mut AnyConnection,
    d: &DeadlineRow,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(deadlines::table.find(&d.id))
        .set((
            deadlines::status.eq(d.status),
            deadlines::flags.eq(&d.flags),
            deadlines::paid.eq(d.paid),
            deadlines::computed_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}
