//! Gathering the worklist; the order and escalation rules are `domain::worklist`, the stored
//! order `worklist::repo`. A page is one range scan of `cases_unit_worklist` (unit, key) after
//! the cursor's key, whatever the number of cases.

use std::sync::atomic::Ordering;

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::access::{self, Access};
use crate::auth::policy::{Authorized, ops};
use crate::auth::rules::{self as access_rules, WorklistView};
use crate::auth::scope::{self, CaseReach};
use crate::cases::repo::CaseRow;
use crate::db::AnyConnection;
use crate::db::schema::{cases, deadlines};
use crate::domain::deadlines::{DeadlineKind, DeadlineStatus};
use crate::domain::states::RiskLevel;
use crate::domain::sweden;
use crate::domain::workflow::CaseStatus;
use crate::domain::worklist::{self as rules, Bucket};
use crate::error::ApiError;
use crate::notices::deadlines::LEGAL_KINDS;
use crate::pagination::{Cursor, Page};
use crate::state::AppState;

use super::repo;

#[derive(Debug, Serialize, ToSchema)]
pub struct NextDeadline {
    pub kind: String,
    /// The earliest reading: the safest date to act by.
    pub due_on: NaiveDate,
    /// The latest reading, when the readings differ (a period between the two is possibly
    /// lapsed: keep acting).
    pub latest_due_on: Option<NaiveDate>,
    /// Computed from formulär 3 without the service date; replaced when it is registered.
    pub provisional: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorklistItem {
    pub case_id: String,
    pub status: String,
    pub legal_stage: String,
    /// `critical` when the case is escalated, else the case's own level.
    pub risk_level: String,
    pub children_involved: bool,
    pub assigned_to: Option<String>,
    /// overdue, possibly_lapsed, due_soon, commitment_pending, lapsed, assignee_gone,
    /// reopened, unassigned, stale or other, in that order.
    pub bucket: String,
    pub next_deadline: Option<NextDeadline>,
    pub escalated: bool,
    /// The case's own risk level (`risk_level` says `critical` when escalated).
    pub case_risk_level: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorklistResponse {
    /// One page of the caller's open cases in urgency order (a caseworker: assigned to them or
    /// unassigned; a supervisor: every case of the unit).
    pub items: Vec<WorklistItem>,
    /// Supervisors, on the first page: the unit's cases with children, an eviction or
    /// reinstatement end within 7 days and no completed home visit in the current cycle, the
    /// earliest first, at most `limit` of them (each is in `items` too, in urgency order).
    pub escalation: Vec<WorklistItem>,
    /// More escalated cases exist than `escalation` shows.
    pub escalation_more: bool,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// An open deadline of a listed case: case, kind, earliest and latest reading, provisional.
type OpenRow = (String, DeadlineKind, NaiveDate, Option<NaiveDate>, bool);

/// The worklist items of `rows` (already in order), with their next deadline.
fn items(
    conn: &mut AnyConnection,
    rows: Vec<CaseRow>,
    keys: Vec<Option<String>>,
    escalation: Vec<Option<NaiveDate>>,
    today: NaiveDate,
) -> Result<Vec<WorklistItem>, ApiError> {
    let ids: Vec<String> = rows.iter().map(|c| c.id.clone()).collect();
    let open: Vec<OpenRow> = deadlines::table
        .filter(deadlines::case_id.eq_any(&ids))
        .filter(deadlines::status.eq(DeadlineStatus::Open))
        .filter(deadlines::kind.eq_any(LEGAL_KINDS))
        .select((
            deadlines::case_id,
            deadlines::kind,
            deadlines::due_on,
            deadlines::alternative_due_on,
            deadlines::provisional,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .zip(keys)
        .zip(escalation)
        .map(|((c, key), esc)| {
            let next = open
                .iter()
                .filter(|(id, ..)| *id == c.id)
                .min_by_key(|(_, _, d, ..)| *d);
            let escalated = rules::in_escalation_window(esc, today);
            let bucket = key
                .as_deref()
                .and_then(rules::bucket_of_key)
                .unwrap_or(Bucket::Other);
            WorklistItem {
                bucket: bucket.as_str().into(),
                next_deadline: next.map(|(_, k, d, latest, provisional)| NextDeadline {
                    kind: k.as_str().into(),
                    due_on: *d,
                    latest_due_on: *latest,
                    provisional: *provisional,
                }),
                risk_level: if escalated {
                    RiskLevel::Critical
                } else {
                    c.risk_level
                }
                .as_str()
                .into(),
                case_risk_level: c.risk_level.as_str().into(),
                escalated,
                case_id: c.id,
                status: c.status.as_str().into(),
                legal_stage: c.legal_stage.as_str().into(),
                children_involved: c.children_involved,
                assigned_to: c.assigned_to,
            }
        })
        .collect())
}

/// Run the daily sweep once a day, on the first worklist or statistics series of the day.
pub(crate) async fn sweep_if_due(state: &AppState, today: NaiveDate) -> Result<(), ApiError> {
    let day = today.num_days_from_ce();
    if state.swept_on.load(Ordering::Relaxed) == day {
        return Ok(());
    }
    state
        .db
        .write(move |tx| {
            // Instances at the first request of a day: one sweeps, the others wait, then find
            // the day swept.
            crate::db::advisory::lock_xact(tx, crate::db::advisory::Lock::DailySweep)?;
            if let Some(since) = repo::due_since(tx, today)? {
                crate::households::members::children_grown_up(tx, since, today)?;
                crate::stats::facts::sweep(tx, since, today)?;
            }
            Ok(repo::sweep(tx, today)?)
        })
        .await?;
    state.swept_on.store(day, Ordering::Relaxed);
    Ok(())
}

type Keyed = (CaseRow, Option<String>, Option<NaiveDate>);

pub async fn get(
    state: &AppState,
    who: Authorized<ops::GetWorklist>,
    page: Page,
) -> Result<WorklistResponse, ApiError> {
    let (limit, after) = page.parse()?;
    let today = sweden::today();
    sweep_if_due(state, today).await?;
    state
        .db
        .run(move |conn| {
            let supervisor = access_rules::worklist_view(&who) == WorklistView::Supervisor;
            let mut page = page_after(conn, &who, after.clone().unwrap_or_default(), limit + 1)?;
            let next_cursor =
                Cursor::next(&mut page, limit, |(_, k, _)| k.clone().unwrap_or_default());
            let list = keyed_items(conn, page, today)?;
            let (escalation, escalation_more) = if supervisor && after.is_none() {
                // One range of `cases_unit_escalation_order` (unit, date, id), stopped at the
                // page size: the order needs no sort, however many cases are escalated.
                let soon = today + chrono::Duration::days(rules::ESCALATION_DAYS);
                let mut candidates: Vec<Keyed> = scope::visible_cases(&who)
                    .filter(cases::escalation_due_on.between(today, soon))
                    .filter(cases::status.ne(CaseStatus::Closed))
                    .order((cases::escalation_due_on, cases::id))
                    .limit(limit + 1)
                    .select((
                        CaseRow::as_select(),
                        cases::worklist_key,
                        cases::escalation_due_on,
                    ))
                    .load(conn)?;
                let more = candidates.len() > usize::try_from(limit).unwrap_or(usize::MAX);
                candidates.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
                (keyed_items(conn, candidates, today)?, more)
            } else {
                (Vec::new(), false)
            };
            let logged: Vec<Access<'_>> = list
                .iter()
                .chain(escalation.iter())
                .map(|i| Access {
                    subject_type: "case",
                    subject_id: &i.case_id,
                    case_id: Some(&i.case_id),
                })
                .collect();
            access::granted_list(conn, &who, who.operation_id(), &logged)?;
            Ok(WorklistResponse {
                items: list,
                escalation,
                escalation_more,
                next_cursor,
            })
        })
        .await
}

/// Up to `n` of the caller's cases after the key `after`, in key order. Closed cases have no
/// key; the range skips them. A caseworker's reach is two ranges (assigned to them, unassigned),
/// each read from its own index range and merged here.
fn page_after(
    conn: &mut AnyConnection,
    who: &Authorized<ops::GetWorklist>,
    after: String,
    n: i64,
) -> QueryResult<Vec<Keyed>> {
    let select = (
        CaseRow::as_select(),
        cases::worklist_key,
        cases::escalation_due_on,
    );
    match scope::cases(who) {
        CaseReach::AssignedOrUnassigned { unit, user } => {
            let mut mine: Vec<Keyed> = cases::table
                .filter(cases::unit_id.eq(unit))
                .filter(cases::assigned_to.eq(user))
                .filter(cases::worklist_key.gt(&after))
                .order(cases::worklist_key)
                .limit(n)
                .select(select)
                .load(conn)?;
            let free: Vec<Keyed> = cases::table
                .filter(cases::unit_id.eq(unit))
                .filter(cases::assigned_to.is_null())
                .filter(cases::worklist_key.gt(&after))
                .order(cases::worklist_key)
                .limit(n)
                .select(select)
                .load(conn)?;
            mine.extend(free);
            mine.sort_by(|a, b| a.1.cmp(&b.1));
            mine.truncate(usize::try_from(n).unwrap_or(usize::MAX));
            Ok(mine)
        }
        _ => scope::visible_cases(who)
            .filter(cases::worklist_key.gt(after))
            .order(cases::worklist_key)
            .limit(n)
            .select(select)
            .load(conn),
    }
}

fn keyed_items(
    conn: &mut AnyConnection,
    rows: Vec<Keyed>,
    today: NaiveDate,
) -> Result<Vec<WorklistItem>, ApiError> {
    let mut cases = Vec::with_capacity(rows.len());
    let mut keys = Vec::with_capacity(rows.len());
    let mut esc = Vec::with_capacity(rows.len());
    for (c, k, e) in rows {
        cases.push(c);
        keys.push(k);
        esc.push(e);
    }
    items(conn, cases, keys, esc, today)
}
