//! Access-review queries. Reviews are reached through `scope::visible_reviews`; the reads of a
//! period are found by the reader's unit at the time or by the case's unit.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::policy::Grant;
use crate::auth::scope;
use crate::db::schema::{access_log, access_review_entries, access_reviews, cases, users};
use crate::db::{AnyConnection, types};
use crate::domain::access_review::{
    LoggedRead, ReviewReason, ReviewStatus, ReviewTrigger, Verdict,
};
use crate::domain::states::UserStatus;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_reviews)]
pub struct ReviewRow {
    pub id: String,
    pub organization_id: String,
    pub unit_id: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub trigger: ReviewTrigger,
    pub seed: i64,
    pub sample_size: i32,
    pub volume_per_hour: i32,
    pub reads_in_period: i64,
    pub status: ReviewStatus,
    pub generated_by: Option<String>,
    pub generated_at: NaiveDateTime,
    pub signed_off_by: Option<String>,
    pub signed_off_at: Option<NaiveDateTime>,
    pub version: i32,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_review_entries)]
pub struct EntryRow {
    pub id: String,
    pub review_id: String,
    pub access_log_id: i64,
    pub reasons: String,
    pub verdict: Option<Verdict>,
    pub comment_enc: Option<Vec<u8>>,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
}

/// The access-log row behind an entry (ids, roles, times: no content).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = access_log)]
pub struct LogRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: String,
    pub actor_role: String,
    pub actor_unit_id: Option<String>,
    pub operation: String,
    pub subject_type: String,
    pub subject_id: String,
    pub case_id: Option<String>,
    pub decision: String,
}

/// Stored reasons: comma-separated names.
pub fn encode_reasons(reasons: &[ReviewReason]) -> String {
    reasons
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn decode_reasons(stored: &str) -> Vec<ReviewReason> {
    stored.split(',').filter_map(ReviewReason::parse).collect()
}

type ReadTuple = (
    (
        i64,
        NaiveDateTime,
        String,
        String,
        Option<String>,
        String,
        Option<String>,
        String,
        bool,
        bool,
    ),
    Option<String>,
    Option<(UserStatus, Option<String>)>,
);

/// The access-log rows of `[from, until)` read by a member of `unit` (at the time) or about a
/// case of `unit`, with the case's assignment and the reader's status and unit now.
pub fn reads_for_unit(
    conn: &mut AnyConnection,
    unit: &str,
    from: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Vec<LoggedRead>> {
    let rows: Vec<ReadTuple> = access_log::table
        .left_join(cases::table.on(access_log::case_id.eq(cases::id.nullable())))
        .left_join(users::table.on(users::id.eq(access_log::actor_id)))
        .filter(access_log::at.ge(from))
        .filter(access_log::at.lt(until))
        .filter(
            access_log::actor_unit_id
                .eq(unit)
                .or(cases::unit_id.nullable().eq(unit)),
        )
        .select((
            (
                access_log::id,
                access_log::at,
                access_log::actor_id,
                access_log::actor_role,
                access_log::actor_unit_id,
                access_log::operation,
                access_log::request_id,
                access_log::decision,
                access_log::protected,
                access_log::list_read,
            ),
            cases::assigned_to.nullable(),
            (users::status, users::unit_id).nullable(),
        ))
        .order(access_log::id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(r, assigned, reader)| LoggedRead {
            id: r.0,
            at: r.1,
            actor_id: r.2,
            actor_role: r.3,
            actor_unit_id: r.4,
            operation: r.5,
            request_id: r.6,
            granted: r.7 == "granted",
            protected: r.8,
            list_read: r.9,
            case_assigned_to: assigned,
            reader_disabled: reader
                .as_ref()
                .is_some_and(|(s, _)| *s == UserStatus::Disabled),
            reader_unit_now: reader.and_then(|(_, u)| u),
        })
        .collect())
}

pub fn insert_review(conn: &mut AnyConnection, row: &ReviewRow) -> QueryResult<()> {
    diesel::insert_into(access_reviews::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Insert the entries in statements of a few hundred rows (SQLite's variable limit).
pub fn insert_entries(conn: &mut AnyConnection, rows: &[EntryRow]) -> QueryResult<()> {
    for chunk in rows.chunks(500) {
        crate::on_inner!(conn, |c| diesel::insert_into(access_review_entries::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// Whether the monthly review of `unit` for the month starting `period_start` exists.
pub fn monthly_exists(
    conn: &mut AnyConnection,
    unit: &str,
    period_start: NaiveDate,
) -> QueryResult<bool> {
    let n: i64 = access_reviews::table
        .filter(access_reviews::unit_id.eq(unit))
        .filter(access_reviews::period_start.eq(period_start))
        .filter(access_reviews::trigger.eq(ReviewTrigger::Monthly))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// A review in `grant`'s reach.
pub fn find_visible(
    conn: &mut AnyConnection,
    grant: &Grant,
    id: &str,
) -> QueryResult<Option<ReviewRow>> {
    scope::visible_reviews(grant)
        .filter(access_reviews::id.eq(id.to_owned()))
        .select(ReviewRow::as_select())
        .first(conn)
        .optional()
}

/// A page of the reviews in `grant`'s reach, newest first, after `after`.
pub fn list_visible(
    conn: &mut AnyConnection,
    grant: &Grant,
    after: Option<String>,
    limit: i64,
) -> QueryResult<Vec<ReviewRow>> {
    let mut q = scope::visible_reviews(grant);
    if let Some(after) = after {
        q = q.filter(access_reviews::id.lt(after));
    }
    q.select(ReviewRow::as_select())
        .order(access_reviews::id.desc())
        .limit(limit)
        .load(conn)
}

/// The entries of a review with their access-log rows, by access-log id.
pub fn entries(conn: &mut AnyConnection, review_id: &str) -> QueryResult<Vec<(EntryRow, LogRow)>> {
    access_review_entries::table
        .inner_join(access_log::table)
        .filter(access_review_entries::review_id.eq(review_id))
        .select((EntryRow::as_select(), LogRow::as_select()))
        .order(access_log::id)
        .load(conn)
}

/// (entries, entries without a verdict) of a review.
pub fn counts(conn: &mut AnyConnection, review_id: &str) -> QueryResult<(i64, i64)> {
    let all: i64 = access_review_entries::table
        .filter(access_review_entries::review_id.eq(review_id))
        .count()
        .get_result(conn)?;
    let open: i64 = access_review_entries::table
        .filter(access_review_entries::review_id.eq(review_id))
        .filter(access_review_entries::verdict.is_null())
        .count()
        .get_result(conn)?;
    Ok((all, open))
}

/// One entry of a review with its access-log row.
pub fn entry(
    conn: &mut AnyConnection,
    review_id: &str,
    entry_id: &str,
) -> QueryResult<Option<(EntryRow, LogRow)>> {
    access_review_entries::table
        .inner_join(access_log::table)
        .filter(access_review_entries::review_id.eq(review_id))
        .filter(access_review_entries::id.eq(entry_id))
        .select((EntryRow::as_select(), LogRow::as_select()))
        .first(conn)
        .optional()
}

/// Record a verdict on an entry and raise the review's version (false: the review changed).
pub fn set_verdict(
    conn: &mut AnyConnection,
    review: &ReviewRow,
    entry_id: &str,
    verdict: Verdict,
    comment_enc: Option<Vec<u8>>,
    by: &str,
) -> QueryResult<bool> {
    diesel::update(access_review_entries::table.find(entry_id))
        .set((
            access_review_entries::verdict.eq(Some(verdict)),
            access_review_entries::comment_enc.eq(comment_enc),
            access_review_entries::decided_by.eq(Some(by)),
            access_review_entries::decided_at.eq(Some(types::now())),
        ))
        .execute(conn)?;
    bump(conn, review, ReviewStatus::Open, None)
}

/// Move the review to `status` (signed off by `by`) if it is still at its version.
pub fn bump(
    conn: &mut AnyConnection,
    review: &ReviewRow,
    status: ReviewStatus,
    signed_off_by: Option<&str>,
) -> QueryResult<bool> {
    let n = diesel::update(
        access_reviews::table
            .filter(access_reviews::id.eq(&review.id))
            .filter(access_reviews::version.eq(review.version)),
    )
    .set((
        access_reviews::status.eq(status),
        access_reviews::signed_off_by.eq(signed_off_by),
        access_reviews::signed_off_at.eq(signed_off_by.map(|_| types::now())),
        access_reviews::version.eq(review.version + 1),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
