//! Gathering the worklist; the order and escalation rules are `domain::worklist`.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::access::{self, Access};
use crate::auth::policy::{Authorized, ops};
use crate::auth::rules::{self as access_rules, WorklistView};
use crate::auth::scope;
use crate::cases::repo::CaseRow;
use crate::db::AnyConnection;
use crate::db::schema::{cases, deadlines, interventions};
use crate::domain::deadlines::{DeadlineKind, DeadlineStatus};
use crate::domain::states::{InterventionKind, RiskLevel};
use crate::domain::sweden;
use crate::domain::workflow::CaseStatus;
use crate::domain::worklist::{self as rules, EVICTION_OR_REINSTATEMENT, Facts};
use crate::error::ApiError;
use crate::notices::deadlines::LEGAL_KINDS;
use crate::state::AppState;

/// Most cases a worklist shows.
pub const MAX_ITEMS: i64 = 200;

#[derive(Debug, Serialize, ToSchema)]
pub struct NextDeadline {
    pub kind: String,
    pub due_on: NaiveDate,
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
    /// overdue, due_soon, unassigned, stale or other.
    pub bucket: String,
    pub next_deadline: Option<NextDeadline>,
    pub escalated: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorklistResponse {
    pub items: Vec<WorklistItem>,
    /// Supervisors: the unit's cases with children, an eviction or reinstatement end within 7
    /// days and no home visit logged.
    pub escalation: Vec<WorklistItem>,
}

fn items(
    conn: &mut AnyConnection,
    rows: Vec<CaseRow>,
    today: NaiveDate,
) -> Result<Vec<WorklistItem>, ApiError> {
    let ids: Vec<String> = rows.iter().map(|c| c.id.clone()).collect();
    let open: Vec<(String, DeadlineKind, NaiveDate)> = deadlines::table
        .filter(deadlines::case_id.eq_any(&ids))
        .filter(deadlines::status.eq(DeadlineStatus::Open))
        .filter(deadlines::kind.eq_any(LEGAL_KINDS))
        .select((deadlines::case_id, deadlines::kind, deadlines::due_on))
        .load(conn)?;
    let visited: Vec<String> = interventions::table
        .filter(interventions::case_id.eq_any(&ids))
        .filter(interventions::kind.eq(InterventionKind::HomeVisit))
        .select(interventions::case_id)
        .load(conn)?;
    let mut out: Vec<(Facts, WorklistItem)> = rows
        .into_iter()
        .map(|c| {
            let mine: Vec<&(String, DeadlineKind, NaiveDate)> =
                open.iter().filter(|(id, _, _)| *id == c.id).collect();
            let next = mine.iter().min_by_key(|(_, _, d)| *d);
            let facts = Facts {
                children: c.children_involved,
                assigned: c.assigned_to.is_some(),
                is_new: c.status == CaseStatus::New,
                last_activity: sweden::date_at(c.last_activity_at.and_utc()),
                next_due: next.map(|(_, _, d)| *d),
                eviction_or_reinstatement_due: mine
                    .iter()
                    .filter(|(_, k, _)| EVICTION_OR_REINSTATEMENT.contains(k))
                    .map(|(_, _, d)| *d)
                    .min(),
                home_visit_logged: visited.contains(&c.id),
            };
            let escalated = rules::escalated(&facts, today);
            let item = WorklistItem {
                bucket: rules::bucket(&facts, today).as_str().into(),
                next_deadline: next.map(|(_, k, d)| NextDeadline {
                    kind: k.as_str().into(),
                    due_on: *d,
                }),
                risk_level: if escalated {
                    RiskLevel::Critical
                } else {
                    c.risk_level
                }
                .as_str()
                .into(),
                escalated,
                case_id: c.id,
                status: c.status.as_str().into(),
                legal_stage: c.legal_stage.as_str().into(),
                children_involved: c.children_involved,
                assigned_to: c.assigned_to,
            };
            (facts, item)
        })
        .collect();
    out.sort_by(|(a, ai), (b, bi)| {
        rules::urgency(a, today)
            .cmp(&rules::urgency(b, today))
            .then_with(|| ai.case_id.cmp(&bi.case_id))
    });
    Ok(out.into_iter().map(|(_, i)| i).collect())
}

pub async fn get(
    state: &AppState,
    who: Authorized<ops::GetWorklist>,
) -> Result<WorklistResponse, ApiError> {
    state
        .db
        .run(move |conn| {
            let today = sweden::today();
            let supervisor = access_rules::worklist_view(&who) == WorklistView::Supervisor;
            let open = scope::visible_cases(&who).filter(cases::status.ne(CaseStatus::Closed));
            let open = if supervisor {
                open.filter(
                    cases::assigned_to
                        .eq(who.user_id.clone())
                        .or(cases::assigned_to
                            .is_null()
                            .and(cases::status.eq(CaseStatus::New))),
                )
            } else {
                open.filter(cases::assigned_to.eq(who.user_id.clone()))
            };
            let mine = open
                .select(CaseRow::as_select())
                .order(cases::id.desc())
                .limit(MAX_ITEMS)
                .load(conn)?;
            let list = items(conn, mine, today)?;
            let escalation = if supervisor {
                let soon = today + chrono::Duration::days(rules::ESCALATION_DAYS);
                let near = deadlines::table
                    .filter(deadlines::status.eq(DeadlineStatus::Open))
                    .filter(deadlines::kind.eq_any(EVICTION_OR_REINSTATEMENT))
                    .filter(deadlines::due_on.between(today, soon))
                    .select(deadlines::case_id);
                let candidates = scope::visible_cases(&who)
                    .filter(cases::status.ne(CaseStatus::Closed))
                    .filter(cases::children_involved.eq(true))
                    .filter(cases::id.eq_any(near))
                    .select(CaseRow::as_select())
                    .limit(MAX_ITEMS)
                    .load(conn)?;
                items(conn, candidates, today)?
                    .into_iter()
                    .filter(|i| i.escalated)
                    .collect()
            } else {
                Vec::new()
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
            access::granted(conn, &who, who.operation_id(), &logged)?;
            Ok(WorklistResponse {
                items: list,
                escalation,
            })
        })
        .await
}
