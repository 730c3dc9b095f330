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
    stats_cells, stats_facts,
};
use crate::domain::deadlines::{DeadlineKind, DeadlineStatus, NoticeKind};
use crate::domain::outcome::Outcome;
use crate::domain::rent_commitment::RentCommitmentStatus;
use crate::domain::states::{InterventionKind, InterventionStatus};
use crate::domain::statistics::Figure;
use crate::domain::statistics::facts::{self, CaseRows, Child, Closure, Fact, NoticeFact};
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
);

fn notice_facts(conn: &mut AnyConnection, case_id: &str) -> QueryResult<Vec<NoticeFact>> {
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
        ))
        .load(conn)?;
    let superseded: Vec<String> = rows.iter().filter_map(|r| r.8.clone()).collect();
    Ok(rows
        .into_iter()
        .filter(|r| !superseded.contains(&r.0))
        .map(
            |(_, kind, sent, served, received, at, outcome, kids, _)| NoticeFact {
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
        .collect())
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
    let contacts = interventions::table
        .filter(interventions::case_id.eq(case_id))
        .filter(interventions::kind.eq_any([
            InterventionKind::OutreachLetter,
            InterventionKind::PhoneCall,
            InterventionKind::HomeVisit,
        ]))
        .filter(
            interventions::status
                .ne_all([InterventionStatus::Planned, InterventionStatus::Cancelled]),
        )
        .select((
            interventions::started_on,
            interventions::ended_on,
            interventions::created_at,
        ))
        .load::<(Option<NaiveDate>, Option<NaiveDate>, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(s, e, at)| {
            s.or(e)
                .unwrap_or(sweden::date_at(crate::db::types::utc(at)))
        })
        .collect();
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
    Ok(CaseRows {
        notices: notice_facts(conn, case_id)?,
        children,
        contacts,
        reinstatement_ends,
        closures,
        commitments,
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
    if same_place {
        let delta = facts::delta(&old, &new);
        if delta.is_empty() {
            return Ok(());
        }
        add(conn, &org, &unit, &delta)?;
    } else {
        for (o, u, figure, month, bucket, value) in &stored {
            if let Some(figure) = Figure::parse(figure) {
                let f = Fact {
                    figure,
                    month: *month,
                    bucket: *bucket,
                    value: -value,
                };
                add(conn, o, u, &[f])?;
            }
        }
        add(conn, &org, &unit, &new)?;
    }
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

/// Add `facts` to the unit's cells (a cell that comes back to zero is removed).
fn add(conn: &mut AnyConnection, org: &str, unit: &str, facts: &[Fact]) -> QueryResult<()> {
    if DEFER_CELLS.with(|d| d.get()) {
        return Ok(());
    }
    for f in facts {
        let key = stats_cells::table
            .filter(stats_cells::unit_id.eq(unit))
            .filter(stats_cells::figure.eq(f.figure.as_str()))
            .filter(stats_cells::month.eq(f.month))
            .filter(stats_cells::bucket.eq(f.bucket));
        let value = (
            stats_cells::organization_id.eq(org),
            stats_cells::unit_id.eq(unit),
            stats_cells::figure.eq(f.figure.as_str()),
            stats_cells::month.eq(f.month),
            stats_cells::bucket.eq(f.bucket),
            stats_cells::value.eq(f.value),
        );
        crate::on_inner!(conn, |c| diesel::insert_into(stats_cells::table)
            .values(value)
            .on_conflict((
                stats_cells::unit_id,
                stats_cells::figure,
                stats_cells::month,
                stats_cells::bucket,
            ))
            .do_update()
            .set(stats_cells::value.eq(stats_cells::value + f.value))
            .execute(c))?;
        diesel::delete(key.filter(stats_cells::value.eq(0))).execute(conn)?;
    }
    Ok(())
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
