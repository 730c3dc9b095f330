//! Which cases a caller reaches (SPEC §5), applied in the query itself so an out-of-scope case
//! is indistinguishable from a missing one.

use diesel::prelude::*;

use crate::auth::{Principal, Role};
use crate::db::schema::cases;
use crate::db::{AnyConnection, MultiBackend};

use super::repo::CaseRow;

/// The cases `who` may see, as a boxed query to filter further.
pub fn visible(who: &Principal) -> cases::BoxedQuery<'static, MultiBackend> {
    let q = cases::table.into_boxed();
    match (who.role, who.unit_id.clone()) {
        (Role::Supervisor, Some(unit)) => q.filter(cases::unit_id.eq(unit)),
        (Role::Caseworker, Some(unit)) => q.filter(cases::unit_id.eq(unit)).filter(
            cases::assigned_to
                .eq(who.user_id.clone())
                .or(cases::assigned_to.is_null()),
        ),
        // Auditors reach their organization's cases for history and access logs only (the
        // policy table keeps them away from content).
        (Role::Auditor, _) => q.filter(cases::organization_id.eq(who.organization_id.clone())),
        _ => q.filter(cases::id.is_null()), // nothing: ids are never null
    }
}

/// One case by id if `who` may see it: the same rule as [`visible`], written as one static query
/// per role so the database keeps it prepared (a boxed query is parsed and planned every time,
/// and this one runs on every case request).
pub fn find(conn: &mut AnyConnection, who: &Principal, id: &str) -> QueryResult<Option<CaseRow>> {
    let by_id = cases::table
        .filter(cases::id.eq(id))
        .select(CaseRow::as_select());
    match (who.role, who.unit_id.as_deref()) {
        (Role::Supervisor, Some(unit)) => {
            by_id.filter(cases::unit_id.eq(unit)).first(conn).optional()
        }
        (Role::Caseworker, Some(unit)) => by_id
            .filter(cases::unit_id.eq(unit))
            .filter(
                cases::assigned_to
                    .eq(&who.user_id)
                    .or(cases::assigned_to.is_null()),
            )
            .first(conn)
            .optional(),
        (Role::Auditor, _) => by_id
            .filter(cases::organization_id.eq(&who.organization_id))
            .first(conn)
            .optional(),
        _ => Ok(None),
    }
}
