//! Which rows a caller reaches (SPEC §5): the policy table's scope column, turned into the filter
//! every repository applies, so an object outside it is a 404 identical to a missing id. This is
//! the only place that knows what a scope means:
//!
//! | scope | cases (and their households, persons, notices, notes, interventions, logs) |
//! |---|---|
//! | `Unit` | every case of the caller's unit |
//! | `AssignedOrUnassigned` | cases of the caller's unit assigned to the caller or to nobody |
//! | `Organization` | every case of the caller's organization (auditors: logs only, by the table) |
//! | `UnitOrStandIn` | every case of the caller's organization; outside the caller's unit only where the object lets a stand-in act (`rules::rent_commitment_decider`, else 404) |
//! | anything else | none |
//!
//! Access reviews are reached by [`access_reviews`]: a supervisor's unit's sets, an auditor's
//! (or an administrator's) organization's, a platform administrator's every set.
//! A person is reached through a household the caller reaches ([`person_reachable`]).
//!
//! Rent-commitment letters are reached by [`letters_to`]: a landlord sees the approved letters
//! addressed to its organization, never the case behind them.
//!
//! Organizations, units, users and integration clients are reached by [`organization_filter`];
//! receipts by [`submissions`]. Repositories keep one static query per reach (the database keeps
//! a static query prepared; a boxed one is planned on every call): they match on [`CaseReach`]
//! instead of asking for the role.

use diesel::prelude::*;

use super::policy::{Grant, Operation, Scope};
use crate::audit::access;
use crate::db::schema::{access_reviews, cases, household_members, households};
use crate::db::{AnyConnection, MultiBackend, Tx};
use crate::domain::states::OrganizationKind;
use crate::error::ApiError;
use crate::state::AppState;

/// The cases a grant reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseReach<'a> {
    Unit(&'a str),
    AssignedOrUnassigned { unit: &'a str, user: &'a str },
    Organization(&'a str),
    Nothing,
}

/// The cases `grant` reaches.
pub fn cases(grant: &Grant) -> CaseReach<'_> {
    let unit = grant.unit_id.as_deref();
    match (grant.scope(), unit) {
        (Scope::Unit, Some(unit)) => CaseReach::Unit(unit),
        (Scope::AssignedOrUnassigned, Some(unit)) => CaseReach::AssignedOrUnassigned {
            unit,
            user: &grant.user_id,
        },
        (Scope::Organization, _) => CaseReach::Organization(&grant.organization_id),
        // The query reaches the municipality; the service narrows it to the unit or a stand-in
        // with `rules::rent_commitment_decider` and answers anything else as missing.
        (Scope::UnitOrStandIn, Some(_)) => CaseReach::Organization(&grant.organization_id),
        _ => CaseReach::Nothing,
    }
}

/// The unit whose members a grant reaches (`Unit`: the caller's own), or None.
pub fn own_unit(grant: &Grant) -> Option<&str> {
    match grant.scope() {
        Scope::Unit => grant.unit_id.as_deref(),
        _ => None,
    }
}

/// The landlord organization whose rent-commitment letters a submitter reaches (a landlord
/// user's or integration client's own organization), for the operations that read letters.
pub fn letters_to(op: Operation, organization_id: &str) -> Option<&str> {
    match op {
        Operation::ListLandlordRentCommitments => Some(organization_id),
        _ => None,
    }
}

/// The cases `grant` reaches, as a boxed query to filter further (lists, counts, subqueries).
pub fn visible_cases(grant: &Grant) -> cases::BoxedQuery<'static, MultiBackend> {
    let q = cases::table.into_boxed();
    match cases(grant) {
        CaseReach::Unit(unit) => q.filter(cases::unit_id.eq(unit.to_owned())),
        CaseReach::AssignedOrUnassigned { unit, user } => {
            q.filter(cases::unit_id.eq(unit.to_owned())).filter(
                cases::assigned_to
                    .eq(user.to_owned())
                    .or(cases::assigned_to.is_null()),
            )
        }
        CaseReach::Organization(org) => q.filter(cases::organization_id.eq(org.to_owned())),
        CaseReach::Nothing => q.filter(cases::id.is_null()), // nothing: ids are never null
    }
}

/// A write transaction that starts with a scoped lookup answering [`ApiError::NotVisible`]: the
/// denial is logged here, once, after the transaction rolled back (a row written inside it would
/// roll back with it), and answered 404 like a missing id.
pub async fn scoped_write<T, F>(state: &AppState, grant: &Grant, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut Tx<'_>) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    match state.db.write(f).await {
        Err(ApiError::NotVisible {
            subject_type,
            subject_id,
        }) => {
            let grant = grant.clone();
            state
                .db
                .run(move |conn| {
                    access::denied(
                        conn,
                        &grant,
                        grant.operation_id(),
                        subject_type,
                        &subject_id,
                    )
                })
                .await?;
            Err(ApiError::NotFound)
        }
        other => other,
    }
}

/// Whether `grant` reaches a household: one with a case the grant reaches, or one the caller
/// created that has no case yet (registered a moment before its case).
pub fn household_reachable(
    conn: &mut AnyConnection,
    grant: &Grant,
    household_id: &str,
    created_by: &str,
) -> QueryResult<bool> {
    let in_scope: i64 = visible_cases(grant)
        .filter(cases::household_id.eq(household_id.to_owned()))
        .count()
        .get_result(conn)?;
    if in_scope > 0 {
        return Ok(true);
    }
    if created_by != grant.user_id || cases(grant) == CaseReach::Nothing {
        return Ok(false);
    }
    let any_case: i64 = cases::table
        .filter(cases::household_id.eq(household_id))
        .count()
        .get_result(conn)?;
    Ok(any_case == 0)
}

/// The access reviews (and units to review) a grant reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewReach<'a> {
    Unit(&'a str),
    Organization(&'a str),
    Everything,
    Nothing,
}

/// The access reviews `grant` reaches.
pub fn access_reviews(grant: &Grant) -> ReviewReach<'_> {
    match (grant.scope(), grant.unit_id.as_deref()) {
        (Scope::Unit, Some(unit)) => ReviewReach::Unit(unit),
        (Scope::Organization, _) => match organization_filter(grant) {
            Some(org) => ReviewReach::Organization(org),
            None => ReviewReach::Everything,
        },
        _ => ReviewReach::Nothing,
    }
}

/// The access reviews `grant` reaches, as a boxed query to filter further.
pub fn visible_reviews(grant: &Grant) -> access_reviews::BoxedQuery<'static, MultiBackend> {
    let q = access_reviews::table.into_boxed();
    match access_reviews(grant) {
        ReviewReach::Unit(unit) => q.filter(access_reviews::unit_id.eq(unit.to_owned())),
        ReviewReach::Organization(org) => {
            q.filter(access_reviews::organization_id.eq(org.to_owned()))
        }
        ReviewReach::Everything => q,
        ReviewReach::Nothing => q.filter(access_reviews::id.is_null()),
    }
}

/// Whether `grant` reaches a person: a member (living there or moved out) of a household of the
/// caller's organization that the grant reaches ([`household_reachable`]). Persons are shared
/// by personnummer across municipalities; a membership elsewhere reaches nothing.
pub fn person_reachable(
    conn: &mut AnyConnection,
    grant: &Grant,
    person_id: &str,
) -> QueryResult<bool> {
    let homes: Vec<(String, String)> = household_members::table
        .inner_join(households::table)
        .filter(household_members::person_id.eq(person_id))
        .filter(households::organization_id.eq(&grant.organization_id))
        .select((households::id, households::created_by))
        .load(conn)?;
    for (household_id, created_by) in homes {
        if household_reachable(conn, grant, &household_id, &created_by)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The organization filter for administration (organizations, units, users, integration
/// clients): None reaches every organization. `Organization` scope reaches the caller's own
/// organization, and every one for a platform administrator; `Platform` and `Installation`
/// reach all; any other scope only the caller's own.
pub fn organization_filter(grant: &Grant) -> Option<&str> {
    match grant.scope() {
        Scope::Organization if grant.is_platform_admin() => None,
        Scope::Platform | Scope::Installation => None,
        _ => Some(grant.organization_id.as_str()),
    }
}

/// Whose statistics an analyst reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsReach<'a> {
    /// One municipality (organization id): its own analysts.
    Municipality(&'a str),
    /// Every municipality of a county (county code) and the county total: a county board's.
    County(&'a str),
    Nothing,
}

/// The statistics `grant` reaches; `county` is the caller's organization's county code.
pub fn statistics<'a>(grant: &'a Grant, county: Option<&'a str>) -> StatsReach<'a> {
    match (grant.scope(), grant.organization_kind, county) {
        (Scope::Statistics, OrganizationKind::Municipality, _) => {
            StatsReach::Municipality(&grant.organization_id)
        }
        (Scope::Statistics, OrganizationKind::CountyBoard, Some(c)) => StatsReach::County(c),
        _ => StatsReach::Nothing,
    }
}

/// Whose receipts a submitter reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionReach<'a> {
    /// Every submission of the organization (a landlord's users and clients share them).
    Organization(&'a str),
    /// Only the submitter's own (Kronofogden's clients, one per integration).
    Submitter(&'a str),
}

/// The receipts a submitter (`key` = `client:<id>` or `user:<id>`) reaches for `op`.
pub fn submissions<'a>(
    op: Operation,
    organization_id: &'a str,
    key: &'a str,
) -> SubmissionReach<'a> {
    match op {
        Operation::ListLandlordReceipts | Operation::GetLandlordReceipt => {
            SubmissionReach::Organization(organization_id)
        }
        _ => SubmissionReach::Submitter(key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::policy::{Authorized, ops};
    use crate::auth::{Principal, Role};
    use crate::domain::states::OrganizationKind;

    fn principal(role: Role, org_kind: OrganizationKind, unit: Option<&str>) -> Principal {
        Principal {
            user_id: "u1".into(),
            username: "x".into(),
            display_name: "X".into(),
            role,
            organization_id: "o1".into(),
            organization_kind: org_kind,
            unit_id: unit.map(Into::into),
            request_id: "r".into(),
        }
    }

    fn grant<O: crate::auth::policy::OperationMarker>(p: Principal) -> Grant {
        match Authorized::<O>::check(p) {
            Ok(a) => a.into_grant(),
            Err(e) => panic!("not allowed: {e:?}"),
        }
    }

    #[test]
    fn the_scope_column_decides_which_cases() {
        let sup = grant::<ops::GetCase>(principal(
            Role::Supervisor,
            OrganizationKind::Municipality,
            Some("n1"),
        ));
        assert_eq!(cases(&sup), CaseReach::Unit("n1"));
        let cw = grant::<ops::GetCase>(principal(
            Role::Caseworker,
            OrganizationKind::Municipality,
            Some("n1"),
        ));
        assert_eq!(
            cases(&cw),
            CaseReach::AssignedOrUnassigned {
                unit: "n1",
                user: "u1"
            }
        );
        let aud = grant::<ops::GetCaseHistory>(principal(
            Role::Auditor,
            OrganizationKind::Municipality,
            None,
        ));
        assert_eq!(cases(&aud), CaseReach::Organization("o1"));
        // A unit-scoped role without a unit reaches nothing.
        let lost = grant::<ops::GetCase>(principal(
            Role::Supervisor,
            OrganizationKind::Municipality,
            None,
        ));
        assert_eq!(cases(&lost), CaseReach::Nothing);
        // Scopes that are not about cases reach none.
        let me = grant::<ops::GetMe>(principal(Role::Landlord, OrganizationKind::Landlord, None));
        assert_eq!(cases(&me), CaseReach::Nothing);
        let own = grant::<ops::ListLandlordReceipts>(principal(
            Role::Landlord,
            OrganizationKind::Landlord,
            None,
        ));
        assert_eq!(cases(&own), CaseReach::Nothing);
        // Landlords reach letters, never cases.
        let letters = grant::<ops::ListLandlordRentCommitments>(principal(
            Role::Landlord,
            OrganizationKind::Landlord,
            None,
        ));
        assert_eq!(cases(&letters), CaseReach::Nothing);
        assert_eq!(
            letters_to(Operation::ListLandlordRentCommitments, "o1"),
            Some("o1")
        );
        assert_eq!(letters_to(Operation::ListLandlordReceipts, "o1"), None);
    }

    #[test]
    fn a_deciding_supervisor_reaches_the_municipality_for_the_rules_to_narrow() {
        let sup = grant::<ops::DecideRentCommitment>(principal(
            Role::Supervisor,
            OrganizationKind::Municipality,
            Some("n1"),
        ));
        assert_eq!(cases(&sup), CaseReach::Organization("o1"));
        let lost = grant::<ops::DecideRentCommitment>(principal(
            Role::Supervisor,
            OrganizationKind::Municipality,
            None,
        ));
        assert_eq!(cases(&lost), CaseReach::Nothing);
    }

    #[test]
    fn supervisors_review_their_unit_auditors_their_organization() {
        let sup = grant::<ops::GetAccessReview>(principal(
            Role::Supervisor,
            OrganizationKind::Municipality,
            Some("n1"),
        ));
        assert_eq!(access_reviews(&sup), ReviewReach::Unit("n1"));
        let aud = grant::<ops::GetAccessReview>(principal(
            Role::Auditor,
            OrganizationKind::Municipality,
            None,
        ));
        assert_eq!(access_reviews(&aud), ReviewReach::Organization("o1"));
        let platform = grant::<ops::CreateAccessReview>(principal(
            Role::Admin,
            OrganizationKind::Platform,
            None,
        ));
        assert_eq!(access_reviews(&platform), ReviewReach::Everything);
        let lost = grant::<ops::GetAccessReview>(principal(
            Role::Supervisor,
            OrganizationKind::Municipality,
            None,
        ));
        assert_eq!(access_reviews(&lost), ReviewReach::Nothing);
    }

    #[test]
    fn platform_administrators_reach_every_organization_others_their_own() {
        let platform =
            grant::<ops::ListUsers>(principal(Role::Admin, OrganizationKind::Platform, None));
        assert_eq!(organization_filter(&platform), None);
        let local =
            grant::<ops::ListUsers>(principal(Role::Admin, OrganizationKind::Municipality, None));
        assert_eq!(organization_filter(&local), Some("o1"));
    }

    #[test]
    fn analysts_reach_their_municipality_or_their_county() {
        let muni = grant::<ops::GetEnforcementStats>(principal(
            Role::Analyst,
            OrganizationKind::Municipality,
            None,
        ));
        assert_eq!(
            statistics(&muni, Some("14")),
            StatsReach::Municipality("o1")
        );
        let board = grant::<ops::GetPreventionStats>(principal(
            Role::Analyst,
            OrganizationKind::CountyBoard,
            None,
        ));
        assert_eq!(statistics(&board, Some("14")), StatsReach::County("14"));
        assert_eq!(statistics(&board, None), StatsReach::Nothing);
        let landlord = grant::<ops::GetPreventionStats>(principal(
            Role::Analyst,
            OrganizationKind::Landlord,
            None,
        ));
        assert_eq!(statistics(&landlord, Some("14")), StatsReach::Nothing);
    }

    #[test]
    fn landlords_share_receipts_kronofogden_clients_keep_their_own() {
        assert_eq!(
            submissions(Operation::GetLandlordReceipt, "o", "user:u"),
            SubmissionReach::Organization("o")
        );
        assert_eq!(
            submissions(Operation::ListEnforcementReceipts, "o", "client:c"),
            SubmissionReach::Submitter("client:c")
        );
    }
}
