//! Decision-list queries: rows joined with their case, filtered by the reach of the caller's
//! grant (`scope::cases`, matched like every case query), oldest first after a key. Each row
//! comes with its case, in one query.

use diesel::prelude::*;

use crate::auth::policy::Grant;
use crate::auth::scope::{self, CaseReach};
use crate::cases::repo::{CaseRow, ClosureRow};
use crate::db::AnyConnection;
use crate::db::schema::{cases, closure_requests, rent_commitments};
use crate::domain::rent_commitment::RentCommitmentStatus;
use crate::domain::states::ClosureRequestStatus;
use crate::rent_commitments::repo::RentCommitmentRow;

/// Narrow a boxed query joined with `cases` to the cases `who` reaches; None when it reaches
/// none.
macro_rules! within_reach {
    ($q:expr, $who:expr) => {
        match scope::cases($who) {
            CaseReach::Unit(unit) => Some($q.filter(cases::unit_id.eq(unit.to_owned()))),
            CaseReach::AssignedOrUnassigned { unit, user } => Some(
                $q.filter(cases::unit_id.eq(unit.to_owned())).filter(
                    cases::assigned_to
                        .eq(user.to_owned())
                        .or(cases::assigned_to.is_null()),
                ),
            ),
            CaseReach::Organization(org) => {
                Some($q.filter(cases::organization_id.eq(org.to_owned())))
            }
            CaseReach::Nothing => None,
        }
    };
}

/// Closure requests with `status` on cases `who` reaches, by id after `after`, with their case.
pub fn closure_requests(
    conn: &mut AnyConnection,
    who: &Grant,
    status: ClosureRequestStatus,
    after: Option<String>,
    limit: i64,
) -> QueryResult<Vec<(ClosureRow, CaseRow)>> {
    let mut q = closure_requests::table
        .inner_join(cases::table.on(cases::id.eq(closure_requests::case_id)))
        .filter(closure_requests::status.eq(status))
        .select((ClosureRow::as_select(), CaseRow::as_select()))
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(closure_requests::id.gt(a));
    }
    match within_reach!(q, who) {
        Some(q) => q.order(closure_requests::id).limit(limit).load(conn),
        None => Ok(Vec::new()),
    }
}

/// Rent commitments with `status` on cases `who` reaches, by id after `after`, with their case.
pub fn rent_commitments(
    conn: &mut AnyConnection,
    who: &Grant,
    status: RentCommitmentStatus,
    after: Option<String>,
    limit: i64,
) -> QueryResult<Vec<(RentCommitmentRow, CaseRow)>> {
    let mut q = rent_commitments::table
        .inner_join(cases::table.on(cases::id.eq(rent_commitments::case_id)))
        .filter(rent_commitments::status.eq(status))
        .select((RentCommitmentRow::as_select(), CaseRow::as_select()))
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(rent_commitments::id.gt(a));
    }
    match within_reach!(q, who) {
        Some(q) => q.order(rent_commitments::id).limit(limit).load(conn),
        None => Ok(Vec::new()),
    }
}
