//! Interventions on a case (SPEC §3): letters, calls, home visits, payment plans, rent
//! commitments, referrals, …
//!
//! Shape: a sub-resource of a case in one file, like `notes` (see there why): handlers and scope
//! are the case's; validation, one row, two service functions.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{audit_case, visible_for_write, visible_or_404};
use crate::audit::AuditAction;
use crate::audit::Changes;
use crate::audit::access::{self, Access};
use crate::auth::policy::{Authorized, ops};
use crate::db::schema::interventions;
use crate::db::types;
use crate::error::{ApiError, FieldError};
use crate::state::AppState;

pub use crate::domain::states::{InterventionKind, InterventionStatus};

fn name<T: Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInterventionRequest {
    pub kind: InterventionKind,
    /// Default `completed` when `ended_on` is given, otherwise `planned`.
    pub status: Option<InterventionStatus>,
    pub started_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    /// Whole kronor (financial assistance, rent commitment).
    #[schema(minimum = 0, maximum = 10000000)]
    pub amount: Option<i64>,
    /// A short outcome code or phrase (no personal data).
    #[schema(max_length = 200)]
    pub outcome: Option<String>,
}

#[derive(Debug, Serialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = interventions)]
pub struct InterventionRow {
    pub id: String,
    pub case_id: String,
    #[schema(value_type = String)]
    pub kind: InterventionKind,
    #[schema(value_type = String)]
    pub status: InterventionStatus,
    pub started_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub amount: Option<i64>,
    pub outcome: Option<String>,
    pub created_by: String,
    pub version: i32,
    #[serde(skip)]
    pub created_at: NaiveDateTime,
    #[serde(skip)]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InterventionResponse {
    #[serde(flatten)]
    pub intervention: InterventionRow,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InterventionList {
    pub items: Vec<InterventionResponse>,
    pub next_cursor: Option<String>,
}

impl From<InterventionRow> for InterventionResponse {
    fn from(r: InterventionRow) -> Self {
        let created_at = types::utc(r.created_at);
        InterventionResponse {
            intervention: r,
            created_at,
        }
    }
}

pub(crate) fn validate(req: &CreateInterventionRequest) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if let (Some(s), Some(e)) = (req.started_on, req.ended_on)
        && e < s
    {
        errors.push(FieldError::new("ended_on", "must not be before started_on"));
    }
    if req.amount.is_some_and(|a| !(0..=10_000_000).contains(&a)) {
        errors.push(FieldError::new("amount", "must be 0–10000000 kronor"));
    }
    if req
        .outcome
        .as_ref()
        .is_some_and(|o| o.chars().count() > 200)
    {
        errors.push(FieldError::new("outcome", "must be at most 200 characters"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// `POST /cases/{id}/interventions`.
pub async fn create(
    state: &AppState,
    who: Authorized<ops::CreateIntervention>,
    case_id: String,
    req: CreateInterventionRequest,
) -> Result<InterventionResponse, ApiError> {
    validate(&req)?;
    let grant = who.clone();
    super::service::scoped_write(state, &grant, move |tx| {
        let case = visible_for_write(tx, &who, &case_id)?;
        let status = req.status.unwrap_or(if req.ended_on.is_some() {
            InterventionStatus::Completed
        } else {
            InterventionStatus::Planned
        });
        let id = types::new_id();
        let now = types::now();
        diesel::insert_into(interventions::table)
            .values((
                interventions::id.eq(&id),
                interventions::case_id.eq(&case.id),
                interventions::kind.eq(name(req.kind)),
                interventions::status.eq(name(status)),
                interventions::started_on.eq(req.started_on),
                interventions::ended_on.eq(req.ended_on),
                interventions::amount.eq(req.amount),
                interventions::outcome.eq(&req.outcome),
                interventions::created_by.eq(&who.user_id),
                interventions::version.eq(1),
                interventions::created_at.eq(now),
                interventions::updated_at.eq(now),
            ))
            .execute(&mut **tx)?;
        super::repo::touch(tx, &case.id, now)?;
        crate::stats::facts::refresh(tx, &case.id)?;
        let changes = Changes::new()
            .created("kind", name(req.kind))
            .created("status", name(status))
            .created("started_on", req.started_on.map(|d| d.to_string()))
            .created("ended_on", req.ended_on.map(|d| d.to_string()))
            .created("amount", req.amount)
            .secret("outcome", req.outcome.is_some());
        audit_case(
            tx,
            &who,
            AuditAction::InterventionCreate,
            &case.id,
            ("intervention", &id),
            changes,
        )?;
        let row = interventions::table
            .find(&id)
            .select(InterventionRow::as_select())
            .first(&mut **tx)?;
        Ok(row.into())
    })
    .await
}

/// `GET /cases/{id}/interventions`.
pub async fn list(
    state: &AppState,
    who: Authorized<ops::ListInterventions>,
    case_id: String,
) -> Result<InterventionList, ApiError> {
    state
        .db
        .run(move |conn| {
            let case = visible_or_404(conn, &who, &case_id)?;
            let rows: Vec<InterventionRow> = interventions::table
                .filter(interventions::case_id.eq(&case.id))
                .select(InterventionRow::as_select())
                .order(interventions::id)
                .load(conn)?;
            access::granted(
                conn,
                &who,
                who.operation_id(),
                &[Access {
                    subject_type: "case",
                    subject_id: &case.id,
                    case_id: Some(&case.id),
                }],
            )?;
            Ok(InterventionList {
                items: rows.into_iter().map(Into::into).collect(),
                next_cursor: None,
            })
        })
        .await
}
