//! The unit's decision lists: the rows of the cases the caller reaches, each read logged (one
//! access-log row per item, under its case, as the case lists do).

use std::collections::HashMap;

use super::dto::{
    CaseSummary, ClosureRequestFilter, ClosureRequestItem, ClosureRequestList,
    RentCommitmentFilter, UnitRentCommitment, UnitRentCommitmentList,
};
use super::repo;
use crate::audit::access::{self, Access};
use crate::auth::policy::{Authorized, ops};
use crate::domain::rent_commitment::RentCommitmentStatus;
use crate::domain::states::ClosureRequestStatus;
use crate::error::ApiError;
use crate::notices::repo as notices;
use crate::pagination::{Cursor, Page};
use crate::rent_commitments::service::{period_end, to_response};
use crate::state::AppState;

/// `GET /closure-requests`: the closure requests (pending by default) of the caller's unit.
pub async fn closure_requests(
    state: &AppState,
    who: Authorized<ops::ListClosureRequests>,
    filter: ClosureRequestFilter,
) -> Result<ClosureRequestList, ApiError> {
    let (limit, after) = Page {
        limit: filter.limit,
        cursor: filter.cursor,
    }
    .parse()?;
    let status = filter.status.unwrap_or(ClosureRequestStatus::Pending);
    let st = state.clone();
    state
        .db
        .run(move |conn| {
            let mut rows = repo::closure_requests(conn, &who, status, after, limit + 1)?;
            let next_cursor = Cursor::next(&mut rows, limit, |(r, _)| r.id.clone());
            let logged: Vec<Access<'_>> = rows
                .iter()
                .map(|(r, _)| Access {
                    subject_type: "closure_request",
                    subject_id: &r.id,
                    case_id: Some(&r.case_id),
                })
                .collect();
            access::granted_list(conn, &who, who.operation_id(), &logged)?;
            let mut items = Vec::with_capacity(rows.len());
            for (r, case) in rows {
                let reason = match &r.reason_enc {
                    Some(enc) => Some(
                        st.keyring
                            .open(conn, "closure_requests", "reason", &r.id, enc)
                            .map_err(|e| e.about(format_args!("closure request {}", r.id)))?,
                    ),
                    None => None,
                };
                items.push(ClosureRequestItem {
                    case: CaseSummary::from(&case),
                    reason,
                    closure_request: r.into(),
                });
            }
            Ok(ClosureRequestList { items, next_cursor })
        })
        .await
}

/// `GET /rent-commitments`: the rent commitments (pending by default) of the caller's unit,
/// each with its case's reinstatement period (one query for the page's deadlines).
pub async fn rent_commitments(
    state: &AppState,
    who: Authorized<ops::ListUnitRentCommitments>,
    filter: RentCommitmentFilter,
) -> Result<UnitRentCommitmentList, ApiError> {
    let (limit, after) = Page {
        limit: filter.limit,
        cursor: filter.cursor,
    }
    .parse()?;
    let status = filter.status.unwrap_or(RentCommitmentStatus::Pending);
    let st = state.clone();
    state
        .db
        .run(move |conn| {
            let mut rows = repo::rent_commitments(conn, &who, status, after, limit + 1)?;
            let next_cursor = Cursor::next(&mut rows, limit, |(r, _)| r.id.clone());
            let logged: Vec<Access<'_>> = rows
                .iter()
                .map(|(r, _)| Access {
                    subject_type: "rent_commitment",
                    subject_id: &r.id,
                    case_id: Some(&r.case_id),
                })
                .collect();
            access::granted_list(conn, &who, who.operation_id(), &logged)?;
            let ids: Vec<String> = rows.iter().map(|(r, _)| r.case_id.clone()).collect();
            let mut deadlines: HashMap<String, Vec<notices::DeadlineRow>> = HashMap::new();
            for d in notices::live_deadlines(conn, &ids)? {
                deadlines.entry(d.case_id.clone()).or_default().push(d);
            }
            let mut items = Vec::with_capacity(rows.len());
            for (r, case) in rows {
                let end = deadlines.get(&r.case_id).and_then(|d| period_end(d));
                items.push(UnitRentCommitment {
                    commitment: to_response(&st, conn, r, end)?,
                    case: CaseSummary::from(&case),
                });
            }
            Ok(UnitRentCommitmentList { items, next_cursor })
        })
        .await
}
