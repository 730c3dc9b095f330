//! The worklist's stored order: [`refresh_case`] is the one function that brings a case's
//! denormalized worklist columns (`next_due_on`, `escalation_due_on`, `worklist_key`) in line
//! with its deadlines, interventions, notices, assignee and status. Every write that can change
//! them calls it in its own transaction (case insert/update/touch, a notice's deadline
//! recompute, an intake reopening, a user disabled or moved); new write paths (household
//! members, arrears cycles, rent commitments) call it too. [`sweep_if_due`] is the daily job:
//! it refreshes the cases that time alone moved to another bucket since the last sweep.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::cases::repo::CaseRow;
use crate::db::AnyConnection;
use crate::db::schema::{
    cases, deadlines, interventions, notices, rent_commitments, users, worklist_sweeps,
};
use crate::domain::deadlines::{DeadlineKind, DeadlineStatus, NoticeKind};
use crate::domain::legal_stage::LegalStage;
use crate::domain::rent_commitment::RentCommitmentStatus;
use crate::domain::states::{InterventionKind, InterventionStatus, UserStatus};
use crate::domain::sweden;
use crate::domain::workflow::CaseStatus;
use crate::domain::worklist::{self as rules, Facts};
use crate::notices::deadlines::LEGAL_KINDS;

/// The stages in which a missed reinstatement end means the period lapsed (later stages have
/// moved on to Kronofogden).
const LAPSE_STAGES: [LegalStage; 3] = [
    LegalStage::Terminated,
    LegalStage::ReinstatementRunning,
    LegalStage::ReinstatementLapsed,
];

/// Where the current cycle starts: the latest termination (its service, else its sending,
/// else its registration date); None when the case has had none.
fn cycle_start(conn: &mut AnyConnection, case_id: &str) -> QueryResult<Option<NaiveDate>> {
    let terminations: Vec<(Option<NaiveDate>, Option<NaiveDate>, NaiveDateTime)> = notices::table
        .filter(notices::case_id.eq(case_id))
        .filter(notices::kind.eq(NoticeKind::TerminationServed))
        .select((notices::served_on, notices::sent_on, notices::created_at))
        .load(conn)?;
    Ok(terminations
        .into_iter()
        .map(|(served, sent, at)| served.or(sent).unwrap_or(at.date()))
        .max())
}

/// A completed home visit inside the current cycle.
fn visited_in_cycle(conn: &mut AnyConnection, case_id: &str) -> QueryResult<bool> {
    let visits: Vec<(Option<NaiveDate>, Option<NaiveDate>, NaiveDateTime)> = interventions::table
        .filter(interventions::case_id.eq(case_id))
        .filter(interventions::kind.eq(InterventionKind::HomeVisit))
        .filter(interventions::status.eq(InterventionStatus::Completed))
        .select((
            interventions::ended_on,
            interventions::started_on,
            interventions::created_at,
        ))
        .load(conn)?;
    if visits.is_empty() {
        return Ok(false);
    }
    let since = cycle_start(conn, case_id)?;
    Ok(visits.into_iter().any(|(ended, started, at)| {
        let on = ended.or(started).unwrap_or(at.date());
        since.is_none_or(|s| on >= s)
    }))
}

/// A rent commitment awaiting a supervisor's decision, or approved and not yet delivered.
fn commitment_pending(conn: &mut AnyConnection, case_id: &str) -> QueryResult<bool> {
    let pending: i64 = rent_commitments::table
        .filter(rent_commitments::case_id.eq(case_id))
        .filter(
            rent_commitments::status
                .eq(RentCommitmentStatus::Pending)
                .or(rent_commitments::status
                    .eq(RentCommitmentStatus::Approved)
                    .and(rent_commitments::delivered_on.is_null())),
        )
        .count()
        .get_result(conn)?;
    Ok(pending > 0)
}

/// A stored deadline: kind, earliest and latest reading, status, provisional.
type DeadlineFacts = (
    DeadlineKind,
    NaiveDate,
    Option<NaiveDate>,
    DeadlineStatus,
    bool,
);

/// The rules' view of a case, read from its rows.
pub fn facts(conn: &mut AnyConnection, c: &CaseRow, today: NaiveDate) -> QueryResult<Facts> {
    // Every live deadline row, whatever its kind or flags: new kinds (provisional periods,
    // commitments awaiting delivery) join the next-due date by being open legal deadlines.
    let rows: Vec<DeadlineFacts> = deadlines::table
        .filter(deadlines::case_id.eq(&c.id))
        .filter(deadlines::status.ne(DeadlineStatus::Void))
        .filter(deadlines::kind.eq_any(LEGAL_KINDS))
        .select((
            deadlines::kind,
            deadlines::due_on,
            deadlines::alternative_due_on,
            deadlines::status,
            deadlines::provisional,
        ))
        .load(conn)?;
    let open: Vec<rules::OpenDeadline> = rows
        .iter()
        .filter(|(_, _, _, s, _)| *s == DeadlineStatus::Open)
        .map(
            |(kind, due_on, latest, _, provisional)| rules::OpenDeadline {
                kind: *kind,
                due_on: *due_on,
                latest: latest.unwrap_or(*due_on),
                provisional: *provisional,
            },
        )
        .collect();
    let clock = rules::clock(&open, today);
    let eviction_or_reinstatement_due = clock.eviction_or_reinstatement_due;
    let in_lapse_stage = LAPSE_STAGES.contains(&c.legal_stage);
    let lapsed = c.legal_stage == LegalStage::ReinstatementLapsed
        || clock.period_lapsed
        || (in_lapse_stage
            && rows.iter().any(|(k, _, _, s, _)| {
                *k == DeadlineKind::ReinstatementEnd && *s == DeadlineStatus::Missed
            }));
    let home_visit_logged = c.children_involved
        && eviction_or_reinstatement_due.is_some()
        && visited_in_cycle(conn, &c.id)?;
    let assignee_gone = match &c.assigned_to {
        None => false,
        Some(user) => {
            let found: Option<(UserStatus, Option<String>)> = users::table
                .find(user)
                .select((users::status, users::unit_id))
                .first(conn)
                .optional()?;
            !found.is_some_and(|(status, unit)| {
                status == UserStatus::Active && unit.as_deref() == Some(c.unit_id.as_str())
            })
        }
    };
    Ok(Facts {
        children: c.children_involved,
        assigned: c.assigned_to.is_some(),
        is_new: c.status == CaseStatus::New,
        last_activity: sweden::date_at(c.last_activity_at.and_utc()),
        next_due: clock.next_due,
        eviction_or_reinstatement_due,
        home_visit_logged,
        possibly_lapsed: clock.possibly_lapsed,
        provisional: clock.provisional,
        commitment_pending: commitment_pending(conn, &c.id)?,
        lapsed,
        reopened: c.status == CaseStatus::Reopened,
        assignee_gone,
    })
}

/// Bring one case's worklist columns in line with its rows, as of `today`. Call it in the
/// transaction of every write that changes a deadline, an intervention, the assignee, the
/// status, the children or the last activity of a case.
pub fn refresh_case(conn: &mut AnyConnection, case_id: &str, today: NaiveDate) -> QueryResult<()> {
    let Some(c) = cases::table
        .find(case_id)
        .select(CaseRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(());
    };
    refresh_row(conn, &c, today)
}

/// [`refresh_case`] for a case row in hand (as the caller's update has just returned it).
pub fn refresh_row(conn: &mut AnyConnection, c: &CaseRow, today: NaiveDate) -> QueryResult<()> {
    let (next_due, escalation, key) = if c.status == CaseStatus::Closed {
        (None, None, None)
    } else {
        let f = facts(conn, c, today)?;
        (
            f.next_due,
            rules::escalation_due(&f),
            Some(rules::sort_key(&f, today, &c.id)),
        )
    };
    diesel::update(cases::table.find(&c.id))
        .set((
            cases::next_due_on.eq(next_due),
            cases::escalation_due_on.eq(escalation),
            cases::worklist_key.eq(key),
        ))
        .execute(conn)
        .map(drop)
}

/// [`refresh_case`] as of today (Swedish date): the one-line hook for write paths.
pub fn refresh(conn: &mut AnyConnection, case_id: &str) -> QueryResult<()> {
    refresh_case(conn, case_id, sweden::today())
}

/// Refresh every open case assigned to `user_id` (the user was disabled, enabled or moved).
pub fn refresh_assigned_to(conn: &mut AnyConnection, user_id: &str) -> QueryResult<()> {
    let ids: Vec<String> = cases::table
        .filter(cases::assigned_to.eq(user_id))
        .filter(cases::status.ne(CaseStatus::Closed))
        .select(cases::id)
        .load(conn)?;
    let today = sweden::today();
    for id in ids {
        refresh_case(conn, &id, today)?;
    }
    Ok(())
}

/// The last day the sweep ran.
pub fn last_sweep(conn: &mut AnyConnection) -> QueryResult<Option<NaiveDate>> {
    worklist_sweeps::table
        .select(diesel::dsl::max(worklist_sweeps::swept_on))
        .first(conn)
}

/// The day the last sweep covered (the day before `today` when there was none), or None when
/// today's sweep has run.
pub fn due_since(conn: &mut AnyConnection, today: NaiveDate) -> QueryResult<Option<NaiveDate>> {
    let last = last_sweep(conn)?;
    Ok(match last {
        Some(l) if l >= today => None,
        Some(l) => Some(l),
        None => Some(today - Duration::days(1)),
    })
}

/// The daily job: refresh the open cases whose bucket time alone may have changed since the
/// last sweep (a deadline became overdue or came within 14 days, a case became stale), then
/// record `today`. Returns how many cases were refreshed. Idempotent; the candidate sets are
/// index range scans (`cases_next_due`, `cases_last_activity`), with a day's margin for time
/// zones.
pub fn sweep(conn: &mut AnyConnection, today: NaiveDate) -> QueryResult<usize> {
    let Some(since) = due_since(conn, today)? else {
        return Ok(0);
    };
    let soon = Duration::days(rules::DUE_SOON_DAYS);
    let stale = Duration::days(rules::STALE_DAYS);
    let mut ids: Vec<String> = cases::table
        .filter(cases::status.ne(CaseStatus::Closed))
        .filter(
            cases::next_due_on
                .between(since - Duration::days(1), today)
                .or(cases::next_due_on.between(since + soon, today + soon + Duration::days(1))),
        )
        .select(cases::id)
        .load(conn)?;
    let from = (since - stale - Duration::days(2)).and_hms_opt(0, 0, 0);
    let to = (today - stale + Duration::days(1)).and_hms_opt(0, 0, 0);
    if let (Some(from), Some(to)) = (from, to) {
        let idle: Vec<String> = cases::table
            .filter(cases::status.ne(CaseStatus::Closed))
            .filter(cases::last_activity_at.between(from, to))
            .select(cases::id)
            .load(conn)?;
        ids.extend(idle);
    }
    ids.sort();
    ids.dedup();
    for id in &ids {
        refresh_case(conn, id, today)?;
    }
    diesel::insert_into(worklist_sweeps::table)
        .values(worklist_sweeps::swept_on.eq(today))
        .execute(conn)?;
    Ok(ids.len())
}
