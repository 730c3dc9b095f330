//! Who changed a case (its audit history) and who looked at it (its access log), for
//! supervisors and auditors; the audit-event search for auditors. Ids only, no case content.
//!
//! Shape: read-only views over the audit trail and access log (their rows and writers live in
//! `audit/`), so there is no repository or write path of their own to split out: three DTO groups
//! and three service functions, one file, with the case's handlers.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::audit::sealer::EventRow;
use crate::auth::policy::{Authorized, ops};
use crate::db::schema::{access_log, audit_chain, audit_events, cases, users};
use crate::db::types;
use crate::error::ApiError;
use crate::pagination::{Cursor, Page};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventResponse {
    pub id: i64,
    /// Place in the hash chain (absent until sealed, within seconds).
    pub seq: Option<i64>,
    pub at: DateTime<Utc>,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub case_id: Option<String>,
    pub request_id: Option<String>,
    pub changed_fields: Vec<String>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventList {
    pub items: Vec<AuditEventResponse>,
    pub next_cursor: Option<String>,
}

fn to_response((e, seq): (EventRow, Option<i64>)) -> AuditEventResponse {
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    AuditEventResponse {
        id: e.id,
        seq,
        at: types::utc(e.at),
        actor_type: e.actor_type,
        actor_id: e.actor_id,
        actor_role: e.actor_role,
        action: e.action,
        entity_type: e.entity_type,
        entity_id: e.entity_id,
        case_id: e.case_id,
        request_id: e.request_id,
        changed_fields: serde_json::from_str(&e.changed_fields).unwrap_or_default(),
        before: parse(e.before_json),
        after: parse(e.after_json),
    }
}

fn page_key(after: Option<String>) -> Result<Option<i64>, ApiError> {
    after
        .map(|a| {
            a.parse::<i64>()
                .map_err(|_| ApiError::field("cursor", "is not a cursor from this API"))
        })
        .transpose()
}

/// `GET /cases/{id}/history`: the case's audit events, oldest first.
pub async fn history(
    state: &AppState,
    who: Authorized<ops::GetCaseHistory>,
    case_id: String,
    page: Page,
) -> Result<AuditEventList, ApiError> {
    let (limit, after) = page.parse()?;
    let after = page_key(after)?;
    let st = state.clone();
    state
        .db
        .run(move |conn| {
            let case = super::service::visible_or_404(conn, &who, &case_id)?;
            let mut q = audit_events::table
                .left_join(audit_chain::table)
                .filter(audit_events::case_id.eq(&case.id))
                .select((audit_events::all_columns, audit_chain::seq.nullable()))
                .into_boxed();
            if let Some(a) = after {
                q = q.filter(audit_events::id.gt(a));
            }
            let mut rows: Vec<(EventRow, Option<i64>)> =
                q.order(audit_events::id).limit(limit + 1).load(conn)?;
            let next = Cursor::next(&mut rows, limit, |(e, _)| e.id.to_string());
            // The reasons sealed under the case's key are opened for the case's history.
            let items = rows
                .into_iter()
                .map(|row| {
                    let mut e = to_response(row);
                    for v in [e.before.as_mut(), e.after.as_mut()].into_iter().flatten() {
                        crate::audit::sealed::open_in(&st.keyring, conn, Some(&case.id), v);
                    }
                    e
                })
                .collect();
            Ok(AuditEventList {
                items,
                next_cursor: next,
            })
        })
        .await
}

#[derive(Debug, Serialize, ToSchema, Queryable)]
pub struct AccessLogEntry {
    pub id: i64,
    #[serde(skip)]
    pub at_naive: NaiveDateTime,
    pub actor_id: String,
    pub actor_role: String,
    pub operation: String,
    pub subject_type: String,
    pub subject_id: String,
    pub case_id: Option<String>,
    pub request_id: Option<String>,
    pub decision: String,
    /// The reader's unit when reading (None for entries older than the column).
    pub actor_unit_id: Option<String>,
    /// A read of a protected person's data.
    pub protected: bool,
    /// A row of a multi-subject list (a page of cases, the worklist).
    pub list_read: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLogResponse {
    #[serde(flatten)]
    pub entry: AccessLogEntry,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLogList {
    pub items: Vec<AccessLogResponse>,
    pub next_cursor: Option<String>,
}

/// `GET /cases/{id}/access-log`: who read the case and its people, oldest first.
pub async fn access_log(
    state: &AppState,
    who: Authorized<ops::GetCaseAccessLog>,
    case_id: String,
    page: Page,
) -> Result<AccessLogList, ApiError> {
    let (limit, after) = page.parse()?;
    let after = page_key(after)?;
    state
        .db
        .run(move |conn| {
            let case = super::service::visible_or_404(conn, &who, &case_id)?;
            let mut q = access_log::table
                .filter(access_log::case_id.eq(&case.id))
                .into_boxed();
            if let Some(a) = after {
                q = q.filter(access_log::id.gt(a));
            }
            let mut rows: Vec<AccessLogEntry> =
                q.order(access_log::id).limit(limit + 1).load(conn)?;
            let next = Cursor::next(&mut rows, limit, |e| e.id.to_string());
            let items = rows
                .into_iter()
                .map(|e| AccessLogResponse {
                    at: types::utc(e.at_naive),
                    entry: e,
                })
                .collect();
            Ok(AccessLogList {
                items,
                next_cursor: next,
            })
        })
        .await
}

/// `GET /audit/events` filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditEventFilter {
    pub case_id: Option<String>,
    /// A user or client id.
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// `GET /audit/events` (auditors): events of the auditor's organization, that is events by its
/// users or on its cases, oldest first.
pub async fn audit_events(
    state: &AppState,
    who: Authorized<ops::ListAuditEvents>,
    f: AuditEventFilter,
) -> Result<AuditEventList, ApiError> {
    let (limit, after) = Page {
        limit: f.limit,
        cursor: f.cursor.clone(),
    }
    .parse()?;
    let after = page_key(after)?;
    state
        .db
        .run(move |conn| {
            let org = who.organization_id.clone();
            let org_users = users::table
                .filter(users::organization_id.eq(org.clone()))
                .select(users::id.nullable());
            let org_cases = cases::table
                .filter(cases::organization_id.eq(org))
                .select(cases::id.nullable());
            let mut q = audit_events::table
                .left_join(audit_chain::table)
                .filter(
                    audit_events::actor_id
                        .eq_any(org_users)
                        .or(audit_events::case_id.eq_any(org_cases)),
                )
                .select((audit_events::all_columns, audit_chain::seq.nullable()))
                .into_boxed();
            if let Some(c) = f.case_id {
                q = q.filter(audit_events::case_id.eq(c));
            }
            if let Some(a) = f.actor {
                q = q.filter(audit_events::actor_id.eq(a));
            }
            if let Some(from) = f.from {
                q = q.filter(audit_events::at.ge(from.naive_utc()));
            }
            if let Some(to) = f.to {
                q = q.filter(audit_events::at.lt(to.naive_utc()));
            }
            if let Some(a) = after {
                q = q.filter(audit_events::id.gt(a));
            }
            let mut rows: Vec<(EventRow, Option<i64>)> =
                q.order(audit_events::id).limit(limit + 1).load(conn)?;
            let next = Cursor::next(&mut rows, limit, |(e, _)| e.id.to_string());
            Ok(AuditEventList {
                items: rows.into_iter().map(to_response).collect(),
                next_cursor: next,
            })
        })
        .await
}
