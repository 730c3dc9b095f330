//! The statistics fact table, kept on write: [`refresh`] recomputes what one case contributes
//! (`domain::statistics::facts`) and moves the difference into the per-unit monthly cells the
//! series read, in the caller's transaction. Every write that can change a case's facts calls
//! it: a notice registered (staff or integration), a case closed, reopened or moved to another
//! unit, an intervention logged, a household member changed, a rent commitment decided or
//! delivered. A case whose row is gone (erased) keeps its facts: erasure never changes a past
//! figure.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{
    case_closures, cases, deadlines, household_members, interventions, notices, rent_commitments,
    stats_cells, stats_facts, tenancies,
};
use crate::domain::deadlines::{DeadlineKind, DeadlineStatus, NoticeFacts, NoticeKind};
use crate::domain::outcome::Outcome;
use crate::domain::rent_commitment::RentCommitmentStatus;
use crate::domain::states::{InterventionKind, InterventionStatus};
use crate::domain::statistics::Figure;
use crate::domain::statistics::facts::{
    self, CaseRows, Child, Closure, Conversion, Fact, NoticeFact,
};
use crate::domain::sweden;

type NoticeCols = (
    String,
    NoticeKind,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<NaiveDate>,
    NaiveDateTime,
    Option<String>,
    (Option<bool>, Option<bool>, Option<i32>, Option<i32>),
    Option<String>,
    (
        Option<i64>,
        Option<i64>,
        Option<i32>,
        Option<i64>,
        Option<NaiveDate>,
    ),
);

/// The case's current notices as the statistics count them, and every notice as the cycle
/// rules read them (with the latest arrears total they grade defects by).
fn notice_facts(
    conn: &mut AnyConnection,
    case_id: &str,
) -> QueryResult<(Vec<NoticeFact>, Vec<NoticeFacts>, Option<i64>)> {
    let rows: Vec<NoticeCols> = notices::table
        .filter(notices::case_id.eq(case_id))
        .select((
            notices::id,
            notices::kind,
            notices::sent_on,
            notices::served_on,
            notices::received_on,
            notices::created_at,
            notices::execution_outcome,
            (
                notices::children_present,
                notices::social_services_present,
                notices::children_registered,
                notices::children_not_registered,
            ),
            notices::supersedes,
            (
                notices::arrears_amount,
                notices::amount_to_reinstate,
                notices::apartment_size_m2,
                notices::amount_paid,
                notices::delivered_on,
            ),
        ))
        .order(notices::id)
        .load(conn)?;
    let arrears = rows
        .iter()
        .filter(|r| r.1 == NoticeKind::ArrearsReported)
        .max_by(|a, b| a.0.cmp(&b.0))
        .and_then(|r| r.9.0);
    let rules: Vec<NoticeFacts> = rows
        .iter()
        .map(|r| {
            let mut f = NoticeFacts::new(r.0.clone(), r.1);
            f.sent_on = r.2;
            f.served_on = r.3;
            f.received_on = r.4;
            f.supersedes = r.8.clone();
            f.amount_to_reinstate = r.9.1;
            f.apartment_size_m2 = r.9.2.and_then(|s| u32::try_from(s).ok());
            f.amount_paid = r.9.3;
            f.delivered_on = r.9.4;
            f
        })
        .collect();
    let superseded: Vec<String> = rows.iter().filter_map(|r| r.8.clone()).collect();
    let current = rows
        .into_iter()
        .filter(|r| !superseded.contains(&r.0))
        .map(
            |(_, kind, sent, served, received, at, outcome, kids, _, _)| NoticeFact {
                kind: Some(kind),
                on: [sent, served, received]
                    .into_iter()
                    .flatten()
                    .min()
                    .or(Some(sweden::date_at(crate::db::types::utc(at)))),
                execution_outcome: outcome,
                children_present: kids.0,
                social_services_present: kids.1,
                children_registered: kids.2,
                children_not_registered: kids.3,
            },
        )
        .collect();
    Ok((current, rules, arrears))
}

/// The conversions of the household's municipal second-hand contracts, when `case_id` is the
/// household's first case (by creation, then id); else none.
fn conversions(
    conn: &mut AnyConnection,
    case_id: &str,
    household_id: &str,
) -> QueryResult<Vec<Conversion>> {
    let converted: Vec<(Option<NaiveDate>, Option<NaiveDate>)> = tenancies::table
        .filter(tenancies::household_id.eq(household_id))
        .filter(tenancies::converted_on.is_not_null())
        .select((tenancies::start_on, tenancies::converted_on))
        .load(conn)?;
    if converted.is_empty() {
        return Ok(Vec::new());
    }
    let first: Option<String> = cases::table
        .filter(cases::household_id.eq(household_id))
        .order((cases::created_at, cases::id))
        .select(cases::id)
        .first(conn)
        .optional()?;
    if first.as_deref() != Some(case_id) {
        return Ok(Vec::new());
    }
    Ok(converted
        .into_iter()
        .filter_map(|(start_on, on)| {
            on.map(|converted_on| Conversion {
                start_on,
                converted_on,
            })
        })
        .collect())
}

/// Refresh the facts of the household's first case (a tenancy's conversion changed).
pub fn refresh_household(conn: &mut AnyConnection, household_id: &str) -> QueryResult<()> {
    let first: Option<String> = cases::table
        .filter(cases::household_id.eq(household_id))
        .order((cases::created_at, cases::id))
        .select(cases::id)
        .first(conn)
        .optional()?;
    match first {
        Some(id) => refresh(conn, &id),
        None => Ok(()),
    }
}

/// Everything the statistics read about a case.
fn load(conn: &mut AnyConnection, case_id: &str, household_id: &str) -> QueryResult<CaseRows> {
    let children = household_members::table
        .filter(household_members::household_id.eq(household_id))
        .filter(household_members::minor_until.is_not_null())
        .select((
            household_members::residence,
            household_members::minor_until,
            household_members::moved_out_on,
        ))
        .load::<(Option<String>, Option<NaiveDate>, Option<NaiveDate>)>(conn)?
        .into_iter()
        .map(|(residence, minor_until, moved_out_on)| Child {
            residence,
            minor_until,
            moved_out_on,
        })
        .collect();
    let steps = interventions::table
        .filter(interventions::case_id.eq(case_id))
        .filter(interventions::kind.eq_any([
            InterventionKind::OutreachLetter,
            InterventionKind::PhoneCall,
            InterventionKind::HomeVisit,
            InterventionKind::PaymentPlan,
        ]))
        .filter(
            interventions::status
                .ne_all([InterventionStatus::Planned, InterventionStatus::Cancelled]),
        )
        .select((
            interventions::kind,
            interventions::started_on,
            interventions::ended_on,
            interventions::created_at,
        ))
        .load::<(
            InterventionKind,
            Option<NaiveDate>,
            Option<NaiveDate>,
            NaiveDateTime,
        )>(conn)?;
    let (plans, contacts): (Vec<_>, Vec<_>) = steps
        .into_iter()
        .map(|(kind, s, e, at)| {
            let on = s
                .or(e)
                .unwrap_or(sweden::date_at(crate::db::types::utc(at)));
            (kind == InterventionKind::PaymentPlan, on)
        })
        .partition(|(plan, _)| *plan);
    let contacts = contacts.into_iter().map(|(_, on)| on).collect();
    let plans: Vec<NaiveDate> = plans.into_iter().map(|(_, on)| on).collect();
    let reinstatement_ends = deadlines::table
        .filter(deadlines::case_id.eq(case_id))
        .filter(deadlines::kind.eq(DeadlineKind::ReinstatementEnd))
        .filter(deadlines::status.ne(DeadlineStatus::Void))
        .select(deadlines::due_on)
        .load(conn)?;
    let closures = case_closures::table
        .filter(case_closures::case_id.eq(case_id))
        .select((
            case_closures::closed_at,
            case_closures::outcome,
            case_closures::homelessness_situation,
        ))
        .load::<(NaiveDateTime, String, Option<i32>)>(conn)?
        .into_iter()
        .map(|(at, outcome, situation)| Closure {
            on: sweden::date_at(crate::db::types::utc(at)),
            outcome: Outcome::parse(&outcome),
            homelessness_situation: situation,
        })
        .collect();
    let commitments = rent_commitments::table
        .filter(rent_commitments::case_id.eq(case_id))
        .filter(rent_commitments::status.eq(RentCommitmentStatus::Approved))
        .filter(rent_commitments::issued_on.is_not_null())
        .select((rent_commitments::issued_on, rent_commitments::amount))
        .load::<(Option<NaiveDate>, i64)>(conn)?
        .into_iter()
        .filter_map(|(on, amount)| on.map(|on| (on, amount)))
        .collect();
    let (notices, rules, arrears) = notice_facts(conn, case_id)?;
    Ok(CaseRows {
        notices,
        children,
        contacts,
        reinstatement_ends,
        closures,
        commitments,
        cycles: facts::cycle_facts(&rules, arrears, &plans, sweden::today()),
        conversions: conversions(conn, case_id, household_id)?,
    })
}

type StoredFact = (String, String, String, NaiveDate, i32, i64);

/// Bring the case's facts, and the cells they add up to, in line with its rows.
pub fn refresh(conn: &mut AnyConnection, case_id: &str) -> QueryResult<()> {
    let Some((org, unit, household)) = cases::table
        .find(case_id)
        .select((cases::organization_id, cases::unit_id, cases::household_id))
        .first::<(String, String, String)>(conn)
        .optional()?
    else {
        return Ok(());
    };
    let new = facts::facts(&load(conn, case_id, &household)?);
    let stored: Vec<StoredFact> = stats_facts::table
        .filter(stats_facts::case_id.eq(case_id))
        .select((
            stats_facts::organization_id,
            stats_facts::unit_id,
            stats_facts::figure,
            stats_facts::month,
            stats_facts::bucket,
            stats_facts::value,
        ))
        .load(conn)?;
    let same_place = stored.iter().all(|s| s.0 == org && s.1 == unit);
    let mut cells = Cells::new();
    if same_place {
        let old: Vec<Fact> = stored
            .iter()
            .filter_map(|(_, _, figure, month, bucket, value)| {
                Figure::parse(figure).map(|figure| Fact {
                    figure,
                    month: *month,
                    bucket: *bucket,
                    value: *value,
                })
            })
            .collect();
        let delta = facts::delta(&old, &new);
        if delta.is_empty() {
            return Ok(());
        }
        for f in &delta {
            put(&mut cells, &org, &unit, f);
        }
    } else {
        for (o, u, figure, month, bucket, value) in &stored {
            if let Some(figure) = Figure::parse(figure) {
                let f = Fact {
                    figure,
                    month: *month,
                    bucket: *bucket,
                    value: -value,
                };
                put(&mut cells, o, u, &f);
            }
        }
        for f in &new {
            put(&mut cells, &org, &unit, f);
        }
    }
    add(conn, cells)?;
    diesel::delete(stats_facts::table.filter(stats_facts::case_id.eq(case_id))).execute(conn)?;
    let rows: Vec<_> = new
        .iter()
        .map(|f| {
            (
                stats_facts::case_id.eq(case_id),
                stats_facts::organization_id.eq(&org),
                stats_facts::unit_id.eq(&unit),
                stats_facts::figure.eq(f.figure.as_str()),
                stats_facts::month.eq(f.month),
                stats_facts::bucket.eq(f.bucket),
                stats_facts::value.eq(f.value),
            )
        })
        .collect();
    if !rows.is_empty() {
        crate::on_inner!(conn, |c| diesel::insert_into(stats_facts::table)
            .values(&rows)
            .execute(c))?;
    }
    Ok(())
}

thread_local! {
    /// Set on a bulk loader's thread (`kvar seed`): the cells are rebuilt once at the end.
    static DEFER_CELLS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `f` with the cell updates of this thread deferred: only each case's own fact rows are
/// written (no shared row is locked), and the caller rebuilds the cells afterwards with
/// [`rebuild_cells`]. For `kvar seed`'s parallel bulk transactions, whose cell updates in one
/// unit would otherwise wait on (and deadlock with) each other on PostgreSQL.
pub fn deferring_cells<T>(f: impl FnOnce() -> T) -> T {
    DEFER_CELLS.with(|d| d.set(true));
    let out = f();
    DEFER_CELLS.with(|d| d.set(false));
    out
}

/// Recompute a unit's cells from its cases' fact rows, in one statement each.
pub fn rebuild_cells(conn: &mut AnyConnection, unit: &str) -> QueryResult<()> {
    use diesel::dsl::sql;
    use diesel::sql_types::{BigInt, Nullable};
    diesel::delete(stats_cells::table.filter(stats_cells::unit_id.eq(unit))).execute(conn)?;
    let sums: Vec<(String, String, String, chrono::NaiveDate, i32, Option<i64>)> =
        stats_facts::table
            .filter(stats_facts::unit_id.eq(unit))
            .group_by((
                stats_facts::organization_id,
                stats_facts::unit_id,
                stats_facts::figure,
                stats_facts::month,
                stats_facts::bucket,
            ))
            .select((
                stats_facts::organization_id,
                stats_facts::unit_id,
                stats_facts::figure,
                stats_facts::month,
                stats_facts::bucket,
                // SUM of a BIGINT is NUMERIC on PostgreSQL: back to whole numbers.
                sql::<Nullable<BigInt>>("CAST(SUM(stats_facts.value) AS BIGINT)"),
            ))
            .load(conn)?;
    let rows: Vec<_> = sums
        .into_iter()
        .filter_map(|(org, unit, figure, month, bucket, value)| {
            value.filter(|v| *v != 0).map(|v| {
                (
                    stats_cells::organization_id.eq(org),
                    stats_cells::unit_id.eq(unit),
                    stats_cells::figure.eq(figure),
                    stats_cells::month.eq(month),
                    stats_cells::bucket.eq(bucket),
                    stats_cells::value.eq(v),
                )
            })
        })
        .collect();
    for chunk in rows.chunks(1000) {
        crate::on_inner!(conn, |c| diesel::insert_into(stats_cells::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// A cell's key: (unit, figure, month, bucket).
type CellKey = (String, &'static str, NaiveDate, i32);
/// Changes to cells, by key (so in one order whoever writes them): (organization, amount).
type Cells = std::collections::BTreeMap<CellKey, (String, i64)>;

fn put(cells: &mut Cells, org: &str, unit: &str, f: &Fact) {
    cells
        .entry((unit.to_owned(), f.figure.as_str(), f.month, f.bucket))
        .or_insert_with(|| (org.to_owned(), 0))
        .1 += f.value;
}

thread_local! {
    /// The cell changes of the write transaction running on this thread ([`batched`]).
    static BATCH: std::cell::RefCell<Option<Cells>> = const { std::cell::RefCell::new(None) };
}

/// Empties [`BATCH`] when the outermost transaction ends, even by a panic.
struct BatchGuard;

impl Drop for BatchGuard {
    fn drop(&mut self) {
        BATCH.with(|b| *b.borrow_mut() = None);
    }
}

/// Run a write transaction's body with its cell changes gathered and written at its end, in
/// key order (unit, figure, month, bucket): two PostgreSQL transactions that update cells of
/// the same units then lock them in the same order, so neither can wait on the other in a
/// cycle (deadlock), however many cases or units each touches. [`crate::db::write_tx`] runs
/// every transaction body through it; a nested call (a savepoint) keeps its changes only if it
/// succeeds.
pub fn batched<T, E, F>(tx: &mut crate::db::Tx<'_>, f: F) -> Result<T, E>
where
    F: FnOnce(&mut crate::db::Tx<'_>) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let snapshot = BATCH.with(|b| b.borrow().clone());
    if let Some(before) = snapshot {
        let out = f(tx);
        if out.is_err() {
            BATCH.with(|b| *b.borrow_mut() = Some(before));
        }
        return out;
    }
    BATCH.with(|b| *b.borrow_mut() = Some(Cells::new()));
    let _guard = BatchGuard;
    let out = f(tx)?;
    let cells = BATCH.with(|b| b.borrow_mut().take()).unwrap_or_default();
    write_cells(tx, &cells)?;
    Ok(out)
}

/// Add `cells` to the units' cells: now, or at the end of the transaction when batched.
fn add(conn: &mut AnyConnection, cells: Cells) -> QueryResult<()> {
    if DEFER_CELLS.with(|d| d.get()) {
        return Ok(());
    }
    let cells = BATCH.with(|b| match b.borrow_mut().as_mut() {
        Some(pending) => {
            for (k, (org, v)) in cells {
                pending.entry(k).or_insert_with(|| (org, 0)).1 += v;
            }
            None
        }
        None => Some(cells),
    });
    match cells {
        Some(cells) => write_cells(conn, &cells),
        None => Ok(()),
    }
}

/// Write cell changes in key order (a cell that comes back to zero is removed).
fn write_cells(conn: &mut AnyConnection, cells: &Cells) -> QueryResult<()> {
    for ((unit, figure, month, bucket), (org, value)) in cells {
        if *value == 0 {
            continue;
        }
        let key = stats_cells::table
            .filter(stats_cells::unit_id.eq(unit))
            .filter(stats_cells::figure.eq(*figure))
            .filter(stats_cells::month.eq(*month))
            .filter(stats_cells::bucket.eq(*bucket));
        let row = (
            stats_cells::organization_id.eq(org),
            stats_cells::unit_id.eq(unit),
            stats_cells::figure.eq(*figure),
            stats_cells::month.eq(*month),
            stats_cells::bucket.eq(*bucket),
            stats_cells::value.eq(*value),
        );
        crate::on_inner!(conn, |c| diesel::insert_into(stats_cells::table)
            .values(row)
            .on_conflict((
                stats_cells::unit_id,
                stats_cells::figure,
                stats_cells::month,
                stats_cells::bucket,
            ))
            .do_update()
            .set(stats_cells::value.eq(stats_cells::value + *value))
            .execute(c))?;
        diesel::delete(key.filter(stats_cells::value.eq(0))).execute(conn)?;
    }
    Ok(())
}

/// The daily job's part: refresh the cases with an unmet reinstatement period whose latest
/// reading passed since the last sweep (`since`, exclusive, to `today`), so their cycles count
/// as decided (lapsed, or kept by a payment plan). The candidates are a range of the
/// `deadlines_open_due` index (status, due_on); the latest reading is at most weeks after the
/// earliest.
pub fn sweep(conn: &mut AnyConnection, since: NaiveDate, today: NaiveDate) -> QueryResult<usize> {
    let window = chrono::Duration::days(120);
    let rows: Vec<(String, NaiveDate, Option<NaiveDate>)> = deadlines::table
        .filter(deadlines::status.eq_any([DeadlineStatus::Open, DeadlineStatus::Missed]))
        .filter(deadlines::due_on.between(since - window, today))
        .filter(deadlines::kind.eq(DeadlineKind::ReinstatementEnd))
        .select((
            deadlines::case_id,
            deadlines::due_on,
            deadlines::alternative_due_on,
        ))
        .load(conn)?;
    let mut ids: Vec<String> = rows
        .into_iter()
        .filter(|(_, due, alt)| {
            let latest = alt.unwrap_or(*due).max(*due);
            since <= latest && latest < today
        })
        .map(|(id, _, _)| id)
        .collect();
    ids.sort();
    ids.dedup();
    for id in &ids {
        refresh(conn, id)?;
    }
    Ok(ids.len())
}

/// Compute the facts of every case (once, when the fact table arrives with migration 000020 on
/// a database that already has cases). Returns how many cases were read.
pub fn backfill(conn: &mut AnyConnection) -> Result<usize, String> {
    let ids: Vec<String> = cases::table
        .select(cases::id)
        .order(cases::id)
        .load(conn)
        .map_err(|e| format!("statistics backfill: {e}"))?;
    for chunk in ids.chunks(500) {
        crate::db::write_tx(conn, |tx| {
            for id in chunk {
                refresh(tx, id)?;
            }
            Ok::<_, crate::error::ApiError>(())
        })
        .map_err(|e| format!("statistics backfill: {e}"))?;
    }
    Ok(ids.len())
}
