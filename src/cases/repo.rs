//! Case queries; every read goes through `scope::visible`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::policy::Grant;
use crate::auth::scope::{self, CaseReach};
use crate::db::AnyConnection;
use crate::db::schema::{case_closures, cases, closure_requests, tenancies};
use crate::domain::legal_stage::LegalStage;
use crate::domain::outcome::Outcome;
use crate::domain::states::{ClosureRequestStatus, RiskLevel};
use crate::domain::workflow::CaseStatus;
use crate::households::repo::TenancyRow;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cases)]
pub struct CaseRow {
    pub id: String,
    pub organization_id: String,
    pub unit_id: String,
    pub household_id: String,
    pub tenancy_id: Option<String>,
    pub status: CaseStatus,
    pub legal_stage: LegalStage,
    pub risk_level: RiskLevel,
    pub children_involved: bool,
    pub assigned_to: Option<String>,
    pub outcome: Option<Outcome>,
    pub homelessness_situation: Option<i32>,
    pub closed_at: Option<NaiveDateTime>,
    pub last_activity_at: NaiveDateTime,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = closure_requests)]
pub struct ClosureRow {
    pub id: String,
    pub case_id: String,
    pub requested_by: String,
    pub outcome: Outcome,
    pub homelessness_situation: Option<i32>,
    /// The requester's reason, sealed under the case's key.
    pub reason_enc: Option<Vec<u8>>,
    pub status: ClosureRequestStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl CaseRow {
    /// A new case (SPEC §4.1): status `new`, no legal stage yet, medium risk, unassigned.
    pub fn opened(
        organization_id: String,
        unit_id: String,
        household_id: String,
        tenancy_id: Option<String>,
        children_involved: bool,
        now: NaiveDateTime,
    ) -> CaseRow {
        CaseRow {
            id: crate::db::types::new_id(),
            organization_id,
            unit_id,
            household_id,
            tenancy_id,
            status: CaseStatus::New,
            legal_stage: LegalStage::None,
            risk_level: RiskLevel::INITIAL,
            children_involved,
            assigned_to: None,
            outcome: None,
            homelessness_situation: None,
            closed_at: None,
            last_activity_at: now,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

/// A new case, its worklist columns computed.
pub fn insert(conn: &mut AnyConnection, c: &CaseRow) -> QueryResult<()> {
    insert_row(conn, c)?;
    crate::worklist::repo::refresh(conn, &c.id)
}

/// A new case made by intake for a notice: the notice registered next, in the same transaction,
/// computes its worklist columns (`notices::service::register`), so they are not computed twice.
pub fn insert_for_notice(conn: &mut AnyConnection, c: &CaseRow) -> QueryResult<()> {
    insert_row(conn, c)
}

fn insert_row(conn: &mut AnyConnection, c: &CaseRow) -> QueryResult<()> {
    diesel::insert_into(cases::table)
        .values((
            (
                cases::id.eq(&c.id),
                cases::organization_id.eq(&c.organization_id),
                cases::unit_id.eq(&c.unit_id),
                cases::household_id.eq(&c.household_id),
                cases::tenancy_id.eq(&c.tenancy_id),
                cases::status.eq(&c.status),
                cases::legal_stage.eq(&c.legal_stage),
                cases::risk_level.eq(&c.risk_level),
                cases::children_involved.eq(c.children_involved),
            ),
            (
                cases::assigned_to.eq(&c.assigned_to),
                cases::outcome.eq(&c.outcome),
                cases::homelessness_situation.eq(c.homelessness_situation),
                cases::closed_at.eq(c.closed_at),
                cases::last_activity_at.eq(c.last_activity_at),
                cases::version.eq(c.version),
                cases::created_at.eq(c.created_at),
                cases::updated_at.eq(c.updated_at),
            ),
        ))
        .execute(conn)
        .map(drop)
}

/// A case in the caller's scope (None: missing or out of scope, indistinguishably): the rule of
/// [`scope::visible_cases`], written as one static query per reach so the database keeps it
/// prepared (a boxed query is parsed and planned every time, and this one runs on every case
/// request).
pub fn find_visible(
    conn: &mut AnyConnection,
    who: &Grant,
    id: &str,
) -> QueryResult<Option<CaseRow>> {
    let by_id = cases::table
        .filter(cases::id.eq(id))
        .select(CaseRow::as_select());
    match scope::cases(who) {
        CaseReach::Unit(unit) => by_id.filter(cases::unit_id.eq(unit)).first(conn).optional(),
        CaseReach::AssignedOrUnassigned { unit, user } => by_id
            .filter(cases::unit_id.eq(unit))
            .filter(cases::assigned_to.eq(user).or(cases::assigned_to.is_null()))
            .first(conn)
            .optional(),
        CaseReach::Organization(org) => by_id
            .filter(cases::organization_id.eq(org))
            .first(conn)
            .optional(),
        CaseReach::Nothing => Ok(None),
    }
}

/// The columns of [`CaseRow`], in its order.
#[rustfmt::skip]
type CaseRowColumns = (cases::id, cases::organization_id, cases::unit_id, cases::household_id, cases::tenancy_id, cases::status, cases::legal_stage, cases::risk_level, cases::children_involved, cases::assigned_to, cases::outcome, cases::homelessness_situation, cases::closed_at, cases::last_activity_at, cases::version, cases::created_at, cases::updated_at);
#[rustfmt::skip]
const CASE_ROW: CaseRowColumns = (cases::id, cases::organization_id, cases::unit_id, cases::household_id, cases::tenancy_id, cases::status, cases::legal_stage, cases::risk_level, cases::children_involved, cases::assigned_to, cases::outcome, cases::homelessness_situation, cases::closed_at, cases::last_activity_at, cases::version, cases::created_at, cases::updated_at);

/// A case as `GET /cases/{id}` shows it: the case, its tenancy, whether a closure request is
/// pending, and its closures (oldest first).
pub struct CaseView {
    pub case: CaseRow,
    pub tenancy: Option<TenancyRow>,
    pub closure_pending: bool,
    pub closures: Vec<CaseClosureRow>,
}

/// One row of the view's query: the case joined to its tenancy, a pending closure request and
/// one of its closures (a case with two closures comes as two rows).
type ViewRow = (
    CaseRow,
    Option<TenancyRow>,
    Option<String>,
    Option<CaseClosureRow>,
);

/// [`find_visible`] with what a get shows, in one statement instead of four (the case, its
/// tenancy, the pending closure request, the closures): on PostgreSQL each statement is a round
/// trip, and they were most of a get's cost.
pub fn find_visible_view(
    conn: &mut AnyConnection,
    who: &Grant,
    id: &str,
) -> QueryResult<Option<CaseView>> {
    let by_id = cases::table
        .left_join(tenancies::table.on(tenancies::id.nullable().eq(cases::tenancy_id)))
        .left_join(
            closure_requests::table.on(closure_requests::case_id
                .eq(cases::id)
                .and(closure_requests::status.eq(ClosureRequestStatus::Pending))),
        )
        .left_join(case_closures::table.on(case_closures::case_id.eq(cases::id)))
        .filter(cases::id.eq(id))
        .select((
            CaseRow::as_select(),
            Option::<TenancyRow>::as_select(),
            closure_requests::id.nullable(),
            Option::<CaseClosureRow>::as_select(),
        ))
        .order((case_closures::closed_at, case_closures::id));
    let rows: Vec<ViewRow> = match scope::cases(who) {
        CaseReach::Unit(unit) => by_id.filter(cases::unit_id.eq(unit)).load(conn)?,
        CaseReach::AssignedOrUnassigned { unit, user } => by_id
            .filter(cases::unit_id.eq(unit))
            .filter(cases::assigned_to.eq(user).or(cases::assigned_to.is_null()))
            .load(conn)?,
        CaseReach::Organization(org) => by_id.filter(cases::organization_id.eq(org)).load(conn)?,
        CaseReach::Nothing => Vec::new(),
    };
    Ok(fold_view(rows))
}

/// The view's rows folded into one case (the joins repeat the case per closure).
fn fold_view(rows: Vec<ViewRow>) -> Option<CaseView> {
    let mut rows = rows.into_iter();
    let (case, tenancy, pending, first) = rows.next()?;
    let mut view = CaseView {
        case,
        tenancy,
        closure_pending: pending.is_some(),
        closures: first.into_iter().collect(),
    };
    for (_, _, pending, closure) in rows {
        view.closure_pending |= pending.is_some();
        if let Some(c) = closure
            && !view.closures.iter().any(|k| k.id == c.id)
        {
            view.closures.push(c);
        }
    }
    Some(view)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<CaseRow> {
    cases::table
        .find(id)
        .select(CaseRow::as_select())
        .first(conn)
}

/// Filters of a case list, already validated.
pub struct ListFilter {
    pub status: Option<CaseStatus>,
    pub legal_stage: Option<String>,
    /// Some(None): unassigned only.
    pub assigned_to: Option<Option<String>>,
    pub children_involved: Option<bool>,
    pub risk_level: Option<RiskLevel>,
    pub after: Option<String>,
    pub limit: i64,
}

/// A page of visible cases, newest first (UUIDv7 ids are time-ordered).
pub fn list(conn: &mut AnyConnection, who: &Grant, f: &ListFilter) -> QueryResult<Vec<CaseRow>> {
    let mut q = scope::visible_cases(who).select(CaseRow::as_select());
    if let Some(s) = f.status {
        q = q.filter(cases::status.eq(s));
    }
    if let Some(s) = &f.legal_stage {
        q = q.filter(cases::legal_stage.eq(s.clone()));
    }
    match &f.assigned_to {
        Some(Some(u)) => q = q.filter(cases::assigned_to.eq(u.clone())),
        Some(None) => q = q.filter(cases::assigned_to.is_null()),
        None => {}
    }
    if let Some(c) = f.children_involved {
        q = q.filter(cases::children_involved.eq(c));
    }
    if let Some(r) = f.risk_level {
        q = q.filter(cases::risk_level.eq(r));
    }
    if let Some(after) = &f.after {
        q = q.filter(cases::id.lt(after.clone()));
    }
    q.order(cases::id.desc()).limit(f.limit).load(conn)
}

/// Changes of an update; `None` leaves a column as it is.
#[derive(AsChangeset, Default)]
#[diesel(table_name = cases)]
pub struct CaseChanges<'a> {
    pub status: Option<CaseStatus>,
    pub risk_level: Option<RiskLevel>,
    pub assigned_to: Option<Option<&'a str>>,
    pub unit_id: Option<&'a str>,
    pub outcome: Option<Option<Outcome>>,
    pub homelessness_situation: Option<Option<i32>>,
    pub closed_at: Option<Option<NaiveDateTime>>,
}

/// Optimistic update: only when the version still matches; the case as written, or None when
/// the version had moved.
pub fn update_versioned(
    conn: &mut AnyConnection,
    id: &str,
    expected: i32,
    changes: &CaseChanges<'_>,
    now: NaiveDateTime,
) -> QueryResult<Option<CaseRow>> {
    let after: Option<CaseRow> = diesel::update(
        cases::table
            .filter(cases::id.eq(id))
            .filter(cases::version.eq(expected)),
    )
    .set((
        changes,
        cases::version.eq(cases::version + 1),
        cases::updated_at.eq(now),
        cases::last_activity_at.eq(now),
    ))
    // `as_returning()` does not build through MultiBackend: the columns of `CaseRow`, in order.
    .returning(CASE_ROW)
    .get_result(conn)
    .optional()?;
    if let Some(c) = &after {
        crate::worklist::repo::refresh_row(conn, c, crate::domain::sweden::today())?;
        // Closing, reopening and moving to another unit change what the case counts for.
        if changes.status.is_some() || changes.unit_id.is_some() || changes.closed_at.is_some() {
            crate::stats::facts::refresh(conn, id)?;
        }
    }
    Ok(after)
}

/// Record activity without changing the case's version or refreshing its worklist columns
/// (for a caller that refreshes them itself once its other writes are done).
pub fn touch_only(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(cases::table.find(id))
        .set(cases::last_activity_at.eq(now))
        .execute(conn)
        .map(drop)
}

/// Record activity (a note, an intervention) without changing the case's version; refreshes the
/// case's worklist columns. Writers of rows the statistics read (interventions, rent
/// commitments) refresh the case's facts themselves: a note changes none.
pub fn touch(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(cases::table.find(id))
        .set(cases::last_activity_at.eq(now))
        .execute(conn)?;
    crate::worklist::repo::refresh(conn, id)
}

pub fn insert_closure(conn: &mut AnyConnection, r: &ClosureRow) -> QueryResult<()> {
    diesel::insert_into(closure_requests::table)
        .values((
            closure_requests::id.eq(&r.id),
            closure_requests::case_id.eq(&r.case_id),
            closure_requests::requested_by.eq(&r.requested_by),
            closure_requests::outcome.eq(&r.outcome),
            closure_requests::homelessness_situation.eq(r.homelessness_situation),
            closure_requests::reason_enc.eq(&r.reason_enc),
            closure_requests::status.eq(&r.status),
            closure_requests::created_at.eq(r.created_at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn pending_closure(conn: &mut AnyConnection, case_id: &str) -> QueryResult<Option<ClosureRow>> {
    closure_requests::table
        .filter(closure_requests::case_id.eq(case_id))
        .filter(closure_requests::status.eq(ClosureRequestStatus::Pending))
        .select(ClosureRow::as_select())
        .first(conn)
        .optional()
}

/// Decide a pending request; false when it was no longer pending.
pub fn decide_closure(
    conn: &mut AnyConnection,
    id: &str,
    status: ClosureRequestStatus,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        closure_requests::table
            .filter(closure_requests::id.eq(id))
            .filter(closure_requests::status.eq(ClosureRequestStatus::Pending)),
    )
    .set((
        closure_requests::status.eq(status),
        closure_requests::decided_by.eq(by),
        closure_requests::decided_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn find_closure(conn: &mut AnyConnection, id: &str) -> QueryResult<ClosureRow> {
    closure_requests::table
        .find(id)
        .select(ClosureRow::as_select())
        .first(conn)
}

/// One closure of a case: kept when the case is reopened (stamped, never erased).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = case_closures)]
pub struct CaseClosureRow {
    pub id: String,
    pub case_id: String,
    pub outcome: Outcome,
    pub homelessness_situation: Option<i32>,
    pub closed_at: NaiveDateTime,
    pub closed_by: Option<String>,
    pub approved_by: Option<String>,
    pub closure_request_id: Option<String>,
    pub reopened_at: Option<NaiveDateTime>,
    pub reopened_by: Option<String>,
    /// Why it was reopened, sealed under the case's key.
    pub reopen_reason_enc: Option<Vec<u8>>,
}

pub fn insert_case_closure(conn: &mut AnyConnection, c: &CaseClosureRow) -> QueryResult<()> {
    diesel::insert_into(case_closures::table)
        .values((
            case_closures::id.eq(&c.id),
            case_closures::case_id.eq(&c.case_id),
            case_closures::outcome.eq(&c.outcome),
            case_closures::homelessness_situation.eq(c.homelessness_situation),
            case_closures::closed_at.eq(c.closed_at),
            case_closures::closed_by.eq(&c.closed_by),
            case_closures::approved_by.eq(&c.approved_by),
            case_closures::closure_request_id.eq(&c.closure_request_id),
            case_closures::reopened_at.eq(c.reopened_at),
            case_closures::reopened_by.eq(&c.reopened_by),
            case_closures::reopen_reason_enc.eq(&c.reopen_reason_enc),
        ))
        .execute(conn)
        .map(drop)
}

/// Stamp the case's current closure (the one not reopened yet) as reopened, its reason sealed
/// under the case's key; false when there was none (a case closed before closures were rows
/// and without an outcome).
pub fn stamp_reopened(
    conn: &mut AnyConnection,
    ring: &crate::crypto::subjects::Keyring,
    case_id: &str,
    by: &str,
    reason: &str,
    now: NaiveDateTime,
) -> Result<bool, crate::crypto::subjects::SealError> {
    let current: Vec<String> = case_closures::table
        .filter(case_closures::case_id.eq(case_id))
        .filter(case_closures::reopened_at.is_null())
        .select(case_closures::id)
        .load(conn)?;
    let mut n = 0;
    for id in current {
        let subject = crate::crypto::subjects::Subject::case(case_id);
        let sealed = ring.seal(conn, subject, "case_closures", "reopen_reason", &id, reason)?;
        n += diesel::update(case_closures::table.find(&id))
            .set((
                case_closures::reopened_at.eq(now),
                case_closures::reopened_by.eq(by),
                case_closures::reopen_reason_enc.eq(sealed),
            ))
            .execute(conn)?;
    }
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, day)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("a date")
    }

    fn case() -> CaseRow {
        CaseRow {
            id: "c".into(),
            organization_id: "o".into(),
            unit_id: "u".into(),
            household_id: "h".into(),
            tenancy_id: None,
            status: CaseStatus::Reopened,
            legal_stage: LegalStage::None,
            risk_level: RiskLevel::Medium,
            children_involved: false,
            assigned_to: None,
            outcome: None,
            homelessness_situation: None,
            closed_at: None,
            last_activity_at: at(1),
            version: 1,
            created_at: at(1),
            updated_at: at(1),
        }
    }

    fn closure(id: &str, day: u32) -> CaseClosureRow {
        CaseClosureRow {
            id: id.into(),
            case_id: "c".into(),
            outcome: Outcome::RetainedPaid,
            homelessness_situation: None,
            closed_at: at(day),
            closed_by: None,
            approved_by: None,
            closure_request_id: None,
            reopened_at: None,
            reopened_by: None,
            reopen_reason_enc: None,
        }
    }

    fn ids(v: &CaseView) -> Vec<&str> {
        v.closures.iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn the_view_folds_the_joined_rows_into_one_case_with_each_closure_once() {
        assert!(fold_view(Vec::new()).is_none());
        let plain = fold_view(vec![(case(), None, None, None)]).expect("a view");
        assert!(!plain.closure_pending && plain.closures.is_empty());
        // Two closures: two rows, the pending request repeated on each.
        let p = || Some("req".to_owned());
        let v = fold_view(vec![
            (case(), None, p(), Some(closure("k1", 2))),
            (case(), None, p(), Some(closure("k2", 5))),
        ])
        .expect("a view");
        assert!(v.closure_pending);
        assert_eq!(ids(&v), ["k1", "k2"]);
        // Two rows per closure (two pending requests): each closure once, in order.
        let v = fold_view(vec![
            (case(), None, None, Some(closure("k1", 2))),
            (case(), None, p(), Some(closure("k1", 2))),
            (case(), None, None, Some(closure("k2", 5))),
            (case(), None, p(), Some(closure("k2", 5))),
        ])
        .expect("a view");
        assert!(v.closure_pending);
        assert_eq!(ids(&v), ["k1", "k2"]);
    }
}
