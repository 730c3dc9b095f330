//! Receipts: what a landlord or an integration gets back, and nothing about the case.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::submitter::{Submits, Submitter};
use crate::auth::policy::OperationMarker;
use crate::auth::scope::{self, SubmissionReach};
use crate::db::schema::receipts;
use crate::db::{AnyConnection, types};
use crate::error::ApiError;
use crate::pagination::{Cursor, Page};
use crate::state::AppState;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = receipts)]
pub struct ReceiptRow {
    pub id: String,
    pub principal: String,
    pub organization_id: String,
    pub kind: String,
    pub status: String,
    pub reason: Option<String>,
    pub notice_id: Option<String>,
    pub received_at: NaiveDateTime,
}

/// The same shape and status whether or not the person is known to social services.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptResponse {
    pub receipt_id: String,
    pub received_at: DateTime<Utc>,
    /// `accepted`.
    pub status: String,
    pub kind: String,
}

impl From<ReceiptRow> for ReceiptResponse {
    fn from(r: ReceiptRow) -> Self {
        ReceiptResponse {
            receipt_id: r.id,
            received_at: types::utc(r.received_at),
            status: r.status,
            kind: r.kind,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptList {
    pub items: Vec<ReceiptResponse>,
    pub next_cursor: Option<String>,
}

pub fn insert(
    conn: &mut AnyConnection,
    who: &Submitter,
    kind: &str,
    notice_id: &str,
) -> QueryResult<ReceiptRow> {
    let row = ReceiptRow {
        id: types::new_id(),
        principal: who.key.clone(),
        organization_id: who.organization_id.clone(),
        kind: kind.into(),
        status: "accepted".into(),
        reason: None,
        notice_id: Some(notice_id.into()),
        received_at: types::now(),
    };
    diesel::insert_into(receipts::table)
        .values((
            receipts::id.eq(&row.id),
            receipts::principal.eq(&row.principal),
            receipts::organization_id.eq(&row.organization_id),
            receipts::kind.eq(&row.kind),
            receipts::status.eq(&row.status),
            receipts::reason.eq(&row.reason),
            receipts::notice_id.eq(&row.notice_id),
            receipts::received_at.eq(row.received_at),
        ))
        .execute(conn)?;
    Ok(row)
}

/// The receipts a submitter reaches for `O` ([`scope::submissions`]).
fn scoped<O: OperationMarker>(
    who: &Submitter,
) -> receipts::BoxedQuery<'static, crate::db::MultiBackend> {
    let q = receipts::table.into_boxed();
    match scope::submissions(O::OP, &who.organization_id, &who.key) {
        SubmissionReach::Organization(org) => {
            q.filter(receipts::organization_id.eq(org.to_owned()))
        }
        SubmissionReach::Submitter(key) => q.filter(receipts::principal.eq(key.to_owned())),
    }
}

pub async fn list<O: OperationMarker + 'static>(
    state: &AppState,
    who: Submits<O>,
    page: Page,
) -> Result<ReceiptList, ApiError> {
    let (limit, after) = page.parse()?;
    state
        .db
        .run(move |conn| {
            let mut q = scoped::<O>(&who.0).select(ReceiptRow::as_select());
            if let Some(a) = after {
                q = q.filter(receipts::id.lt(a));
            }
            let mut rows: Vec<ReceiptRow> =
                q.order(receipts::id.desc()).limit(limit + 1).load(conn)?;
            let next = Cursor::next(&mut rows, limit, |r| r.id.clone());
            Ok(ReceiptList {
                items: rows.into_iter().map(Into::into).collect(),
                next_cursor: next,
            })
        })
        .await
}

pub async fn get<O: OperationMarker + 'static>(
    state: &AppState,
    who: Submits<O>,
    id: String,
) -> Result<ReceiptResponse, ApiError> {
    state
        .db
        .run(move |conn| {
            Ok(scoped::<O>(&who.0)
                .filter(receipts::id.eq(id))
                .select(ReceiptRow::as_select())
                .first::<ReceiptRow>(conn)?
                .into())
        })
        .await
}
