//! The role × operation policy (SPEC §5): one table, used by every service. A role without a row
//! for an operation gets 403; a row names the scope the repository must filter by, so an object
//! outside it is a 404 identical to a missing id.

use super::{Principal, Role};
use crate::error::ApiError;

macro_rules! operations {
    ($($variant:ident => $id:literal),* $(,)?) => {
        /// Every operation of the API; the name is the OpenAPI operation id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation { $($variant),* }

        impl Operation {
            pub const ALL: &'static [Operation] = &[$(Operation::$variant),*];

            /// The OpenAPI operation id (= handler name).
            pub fn operation_id(self) -> &'static str {
                match self { $(Operation::$variant => $id),* }
            }
        }
    };
}

operations!(
    HealthLive => "health_live",
    HealthReady => "health_ready",
    GetMetrics => "get_metrics",
    Login => "login",
    RefreshToken => "refresh_token",
    Logout => "logout",
    GetMe => "get_me",
    CreateOrganization => "create_organization",
    ListOrganizations => "list_organizations",
    GetOrganization => "get_organization",
    UpdateOrganization => "update_organization",
    CreateUnit => "create_unit",
    ListUnits => "list_units",
    CreateUser => "create_user",
    ListUsers => "list_users",
    GetUser => "get_user",
    UpdateUser => "update_user",
    VerifyAudit => "verify_audit",
    ListAuditCheckpoints => "list_audit_checkpoints",
    ListAuditEvents => "list_audit_events",
    CreateHousehold => "create_household",
    GetHousehold => "get_household",
    CreateTenancy => "create_tenancy",
    CreateHouseholdMember => "create_household_member",
    UpdateHouseholdMember => "update_household_member",
    GetTenancy => "get_tenancy",
    ListHouseholdTenancies => "list_household_tenancies",
    UpdateTenancy => "update_tenancy",
    CreateCase => "create_case",
    ListCases => "list_cases",
    GetCase => "get_case",
    UpdateCase => "update_case",
    TransitionCase => "transition_case",
    DecideClosure => "decide_closure",
    CreateNote => "create_note",
    ListNotes => "list_notes",
    CreateIntervention => "create_intervention",
    ListInterventions => "list_interventions",
    SearchPersons => "search_persons",
    GetPerson => "get_person",
    UpdatePerson => "update_person",
    GetCaseHistory => "get_case_history",
    GetCaseAccessLog => "get_case_access_log",
    CreateNotice => "create_notice",
    ListNotices => "list_notices",
    ListDeadlines => "list_deadlines",
    GetWorklist => "get_worklist",
    CreateIntegrationClient => "create_integration_client",
    ListIntegrationClients => "list_integration_clients",
    RotateIntegrationClient => "rotate_integration_client",
    RevokeIntegrationClient => "revoke_integration_client",
    IssueClientToken => "issue_client_token",
    SubmitEnforcementEvent => "submit_enforcement_event",
    SubmitEnforcementEvents => "submit_enforcement_events",
    SubmitArrearsReport => "submit_arrears_report",
    SubmitLandlordNotice => "submit_landlord_notice",
    ListLandlordReceipts => "list_landlord_receipts",
    GetLandlordReceipt => "get_landlord_receipt",
    ListEnforcementReceipts => "list_enforcement_receipts",
    GetEnforcementReceipt => "get_enforcement_receipt",
    CreateRentCommitment => "create_rent_commitment",
    ListRentCommitments => "list_rent_commitments",
    DecideRentCommitment => "decide_rent_commitment",
    GetRentCommitmentLetter => "get_rent_commitment_letter",
    DeliverRentCommitment => "deliver_rent_commitment",
    ListLandlordRentCommitments => "list_landlord_rent_commitments",
    CreateAccessReview => "create_access_review",
    ListAccessReviews => "list_access_reviews",
    GetAccessReview => "get_access_review",
    DecideAccessReviewEntry => "decide_access_review_entry",
    SignOffAccessReview => "sign_off_access_review",
    ExportAccessReview => "export_access_review",
    ExtractPersonAccess => "extract_person_access",
    CreateConsent => "create_consent",
    WithdrawConsent => "withdraw_consent",
    ListCaseConsents => "list_case_consents",
    GetEnforcementStats => "get_enforcement_stats",
    GetPreventionStats => "get_prevention_stats",
    PlaceLegalHold => "place_legal_hold",
    ReleaseLegalHold => "release_legal_hold",
    ListClosureRequests => "list_closure_requests",
    ListUnitRentCommitments => "list_unit_rent_commitments",
    ListUnitMembers => "list_unit_members",
);

/// What part of the data a permitted caller reaches: the table's scope column. [`super::scope`]
/// turns it into the filter every repository applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Anyone, signed in or not.
    Public,
    /// Only platform administrators (the operator of the kvar installation).
    Platform,
    /// Objects of the caller's own organization; a platform administrator reaches all.
    Organization,
    /// The caller's own account.
    OwnAccount,
    /// The whole installation (read-only checks such as audit verification).
    Installation,
    /// Every case of the caller's unit.
    Unit,
    /// The cases of the caller's unit assigned to the caller or to nobody.
    AssignedOrUnassigned,
    /// The submissions and receipts of the caller's own organization.
    OwnSubmissions,
    /// Every case of the caller's unit, and a case of another unit of the caller's organization
    /// when that unit has nobody else to act: the object decides
    /// ([`super::rules::rent_commitment_decider`]); otherwise it is out of scope (404).
    UnitOrStandIn,
    /// Letters addressed to the caller's organization (approved rent commitments to a
    /// landlord): their contents only, never the case behind them.
    AddressedToOrganization,
    /// Aggregate statistics only: the caller's municipality's, or a county board's county's
    /// (its municipalities and the county total); never a row of a case.
    Statistics,
}

use Operation as O;
use Role as R;
use Scope as S;

const SOCIAL: &[(Role, Scope)] = &[
    (R::Supervisor, S::Unit),
    (R::Caseworker, S::AssignedOrUnassigned),
];
const CASE_LOGS: &[(Role, Scope)] = &[(R::Supervisor, S::Unit), (R::Auditor, S::Organization)];
/// Access reviews (logguppföljning): a unit's supervisors review their unit's sets, auditors
/// every set of their organization (`scope::access_reviews`).
const REVIEWERS: &[(Role, Scope)] = CASE_LOGS;

/// The table. Public operations have no rows: they apply to every caller.
const POLICY: &[(Operation, &[(Role, Scope)])] = &[
    (O::HealthLive, &[]),
    (O::HealthReady, &[]),
    (O::GetMetrics, &[]),
    (O::Login, &[]),
    (O::RefreshToken, &[]),
    (O::Logout, &[]),
    (
        O::GetMe,
        &[
            (R::Admin, S::OwnAccount),
            (R::Supervisor, S::OwnAccount),
            (R::Caseworker, S::OwnAccount),
            (R::Auditor, S::OwnAccount),
            (R::Analyst, S::OwnAccount),
            (R::Landlord, S::OwnAccount),
        ],
    ),
    (O::CreateOrganization, &[(R::Admin, S::Platform)]),
    (O::ListOrganizations, &[(R::Admin, S::Organization)]),
    (O::GetOrganization, &[(R::Admin, S::Organization)]),
    (O::UpdateOrganization, &[(R::Admin, S::Platform)]),
    (O::CreateUnit, &[(R::Admin, S::Organization)]),
    (O::ListUnits, &[(R::Admin, S::Organization)]),
    (O::CreateUser, &[(R::Admin, S::Organization)]),
    (O::ListUsers, &[(R::Admin, S::Organization)]),
    (O::GetUser, &[(R::Admin, S::Organization)]),
    (O::UpdateUser, &[(R::Admin, S::Organization)]),
    (
        O::VerifyAudit,
        &[(R::Admin, S::Installation), (R::Auditor, S::Installation)],
    ),
    (
        O::ListAuditCheckpoints,
        &[(R::Admin, S::Installation), (R::Auditor, S::Installation)],
    ),
    (O::ListAuditEvents, &[(R::Auditor, S::Organization)]),
    (O::CreateHousehold, SOCIAL),
    (O::GetHousehold, SOCIAL),
    (O::CreateTenancy, SOCIAL),
    (O::CreateHouseholdMember, SOCIAL),
    (O::UpdateHouseholdMember, SOCIAL),
    (O::GetTenancy, SOCIAL),
    (O::ListHouseholdTenancies, SOCIAL),
    (O::UpdateTenancy, SOCIAL),
    (O::CreateCase, SOCIAL),
    (O::ListCases, SOCIAL),
    (O::GetCase, SOCIAL),
    (O::UpdateCase, SOCIAL),
    (O::TransitionCase, SOCIAL),
    (O::DecideClosure, &[(R::Supervisor, S::Unit)]),
    (O::CreateNote, SOCIAL),
    (O::ListNotes, SOCIAL),
    (O::CreateIntervention, SOCIAL),
    (O::ListInterventions, SOCIAL),
    (O::SearchPersons, SOCIAL),
    // A person reached through a household the caller reaches (`scope::person_reachable`);
    // the update sets or clears protected identity, which `rules::may_see_protected_address`
    // then applies to the person's households' addresses.
    (O::GetPerson, SOCIAL),
    (O::UpdatePerson, SOCIAL),
    (O::GetCaseHistory, CASE_LOGS),
    (O::GetCaseAccessLog, CASE_LOGS),
    (O::CreateNotice, SOCIAL),
    (O::ListNotices, SOCIAL),
    (O::ListDeadlines, SOCIAL),
    (O::GetWorklist, SOCIAL),
    (O::CreateIntegrationClient, &[(R::Admin, S::Organization)]),
    (O::ListIntegrationClients, &[(R::Admin, S::Organization)]),
    (O::RotateIntegrationClient, &[(R::Admin, S::Organization)]),
    (O::RevokeIntegrationClient, &[(R::Admin, S::Organization)]),
    (O::IssueClientToken, &[]),
    // Submissions: landlord users by role; machine clients by scope (see `client_scope`).
    (O::SubmitEnforcementEvent, &[]),
    (O::SubmitEnforcementEvents, &[]),
    (O::SubmitArrearsReport, &[(R::Landlord, S::OwnSubmissions)]),
    (O::SubmitLandlordNotice, &[(R::Landlord, S::OwnSubmissions)]),
    (O::ListLandlordReceipts, &[(R::Landlord, S::OwnSubmissions)]),
    (O::GetLandlordReceipt, &[(R::Landlord, S::OwnSubmissions)]),
    (O::ListEnforcementReceipts, &[]),
    (O::GetEnforcementReceipt, &[]),
    // Rent commitments (förbindelser): drafted and delivered by the case's staff, decided by a
    // supervisor other than the drafter (four eyes, `rules::rent_commitment_decider`; a unit
    // without another supervisor borrows one of the municipality), read by the landlord.
    (O::CreateRentCommitment, SOCIAL),
    (O::ListRentCommitments, SOCIAL),
    (
        O::DecideRentCommitment,
        &[(R::Supervisor, S::UnitOrStandIn)],
    ),
    (O::GetRentCommitmentLetter, SOCIAL),
    (O::DeliverRentCommitment, SOCIAL),
    (
        O::ListLandlordRentCommitments,
        &[(R::Landlord, S::AddressedToOrganization)],
    ),
    // Access reviews: generated on demand by the unit's supervisor, an auditor or an
    // administrator (who sees the summary, not the entries); reviewed and signed off by
    // supervisors and auditors, never on the reviewer's own reads (the entry decides:
    // `domain::access_review::may_judge`, 403).
    (
        O::CreateAccessReview,
        &[
            (R::Supervisor, S::Unit),
            (R::Auditor, S::Organization),
            (R::Admin, S::Organization),
        ],
    ),
    (O::ListAccessReviews, REVIEWERS),
    (O::GetAccessReview, REVIEWERS),
    (O::DecideAccessReviewEntry, REVIEWERS),
    (O::SignOffAccessReview, REVIEWERS),
    (O::ExportAccessReview, REVIEWERS),
    // A data subject's access extract (GDPR art. 15): auditors of the organization.
    (O::ExtractPersonAccess, &[(R::Auditor, S::Organization)]),
    // Consents (samtycken): recorded, withdrawn and read by the staff who reach the person
    // (a member of a household they reach) or the case. Never by landlords or Kronofogden:
    // no answer to them depends on these records (SPEC §9).
    (O::CreateConsent, SOCIAL),
    (O::WithdrawConsent, SOCIAL),
    (O::ListCaseConsents, SOCIAL),
    // Statistics (SPEC §1, §9): analysts only; administrators and auditors see none.
    (O::GetEnforcementStats, &[(R::Analyst, S::Statistics)]),
    (O::GetPreventionStats, &[(R::Analyst, S::Statistics)]),
    // Legal holds (retention, issue 14): placed and released by a supervisor of the case's
    // unit; a hold keeps the case's whole cluster from erasure until released.
    (O::PlaceLegalHold, &[(R::Supervisor, S::Unit)]),
    (O::ReleaseLegalHold, &[(R::Supervisor, S::Unit)]),
    // What waits for the unit's supervisor (closure requests, rent commitments) and whom the
    // supervisor may assign the unit's cases to: the supervisor's own unit only.
    (O::ListClosureRequests, &[(R::Supervisor, S::Unit)]),
    (O::ListUnitRentCommitments, &[(R::Supervisor, S::Unit)]),
    (O::ListUnitMembers, &[(R::Supervisor, S::Unit)]),
];

/// The scope an integration client needs for an operation (None: not for clients).
pub fn client_scope(op: Operation) -> Option<&'static str> {
    match op {
        O::SubmitEnforcementEvent | O::SubmitEnforcementEvents => Some("enforcement:submit"),
        O::ListEnforcementReceipts | O::GetEnforcementReceipt => Some("enforcement:receipts"),
        O::SubmitArrearsReport | O::SubmitLandlordNotice => Some("landlord:submit"),
        O::ListLandlordReceipts | O::GetLandlordReceipt => Some("landlord:receipts"),
        O::ListLandlordRentCommitments => Some("landlord:commitments"),
        _ => None,
    }
}

/// Operations anyone may call without a token.
const PUBLIC: &[Operation] = &[
    O::HealthLive,
    O::HealthReady,
    O::GetMetrics,
    O::Login,
    O::RefreshToken,
    O::Logout,
    O::IssueClientToken,
];

impl Operation {
    pub fn from_operation_id(id: &str) -> Option<Operation> {
        Operation::ALL
            .iter()
            .copied()
            .find(|o| o.operation_id() == id)
    }

    pub fn is_public(self) -> bool {
        PUBLIC.contains(&self)
    }
}

/// The scope `role` has for `op`, or None when the role may not call it.
pub fn scope_for(role: Role, op: Operation) -> Option<Scope> {
    if op.is_public() {
        return Some(Scope::Public);
    }
    POLICY
        .iter()
        .find(|(o, _)| *o == op)
        .and_then(|(_, rows)| rows.iter().find(|(r, _)| *r == role).map(|(_, s)| *s))
}

/// Whether `op` has a row in the table at all (a test fails for any operation without one).
pub fn has_row(op: Operation) -> bool {
    POLICY.iter().any(|(o, _)| *o == op)
}

/// Check that `who` may perform `op`; returns the scope to filter by. 403 otherwise. Only
/// [`Authorized`] calls it: services receive its proof instead of checking again.
fn ensure(who: &Principal, op: Operation) -> Result<Scope, ApiError> {
    match scope_for(who.role, op) {
        Some(Scope::Platform) if !who.is_platform_admin() => Err(ApiError::Forbidden),
        Some(scope) => Ok(scope),
        None => Err(ApiError::Forbidden),
    }
}

#[cfg(test)]
mod tests;

/// An operation as a type, so a handler can demand it in its signature ([`Authorized`]).
pub trait OperationMarker {
    const OP: Operation;
}

/// Marker types, one per non-public operation.
pub mod ops {
    use super::{Operation, OperationMarker};

    macro_rules! markers {
        ($($name:ident),* $(,)?) => {$(
            #[doc = concat!("Marker for [`Operation::", stringify!($name), "`].")]
            pub struct $name;
            impl OperationMarker for $name {
                const OP: Operation = Operation::$name;
            }
        )*};
    }

    markers!(
        ListAuditEvents,
        CreateHousehold,
        GetHousehold,
        CreateTenancy,
        CreateHouseholdMember,
        UpdateHouseholdMember,
        GetTenancy,
        ListHouseholdTenancies,
        UpdateTenancy,
        CreateCase,
        ListCases,
        GetCase,
        UpdateCase,
        TransitionCase,
        DecideClosure,
        CreateNote,
        ListNotes,
        CreateIntervention,
        ListInterventions,
        SearchPersons,
        GetPerson,
        UpdatePerson,
        GetCaseHistory,
        GetCaseAccessLog,
        CreateNotice,
        ListNotices,
        ListDeadlines,
        GetWorklist,
        CreateIntegrationClient,
        ListIntegrationClients,
        RotateIntegrationClient,
        RevokeIntegrationClient,
        SubmitEnforcementEvent,
        SubmitEnforcementEvents,
        SubmitArrearsReport,
        SubmitLandlordNotice,
        ListLandlordReceipts,
        GetLandlordReceipt,
        ListEnforcementReceipts,
        GetEnforcementReceipt,
        GetMe,
        CreateOrganization,
        ListOrganizations,
        GetOrganization,
        UpdateOrganization,
        CreateUnit,
        ListUnits,
        CreateUser,
        ListUsers,
        GetUser,
        UpdateUser,
        VerifyAudit,
        ListAuditCheckpoints,
        CreateRentCommitment,
        ListRentCommitments,
        DecideRentCommitment,
        GetRentCommitmentLetter,
        DeliverRentCommitment,
        ListLandlordRentCommitments,
        CreateAccessReview,
        ListAccessReviews,
        GetAccessReview,
        DecideAccessReviewEntry,
        SignOffAccessReview,
        ExportAccessReview,
        ExtractPersonAccess,
        CreateConsent,
        WithdrawConsent,
        ListCaseConsents,
        GetEnforcementStats,
        GetPreventionStats,
        PlaceLegalHold,
        ReleaseLegalHold,
        ListClosureRequests,
        ListUnitRentCommitments,
        ListUnitMembers,
    );
}

/// What [`Authorized`] proves: the caller, the operation it may perform and the scope the
/// table gives it. Only this module makes one, so holding a `Grant` is the proof; it derefs to
/// the [`Principal`] for the caller's ids.
#[derive(Debug, Clone)]
pub struct Grant {
    who: Principal,
    scope: Scope,
    op: Operation,
}

impl Grant {
    pub fn principal(&self) -> &Principal {
        &self.who
    }

    pub fn scope(&self) -> Scope {
        self.scope
    }

    pub fn operation(&self) -> Operation {
        self.op
    }

    pub fn into_principal(self) -> Principal {
        self.who
    }

    /// The operation id, as the access log records it.
    pub fn operation_id(&self) -> &'static str {
        self.op.operation_id()
    }
}

impl std::ops::Deref for Grant {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.who
    }
}

/// The caller, authenticated and allowed to perform `O`: the only role check of the API. As an
/// extractor it runs before the body is parsed, so a role without the right gets 403 whatever it
/// sends; services take it as their first argument and never check the role again.
pub struct Authorized<O> {
    grant: Grant,
    _op: std::marker::PhantomData<fn() -> O>,
}

impl<O> Clone for Authorized<O> {
    fn clone(&self) -> Self {
        Authorized {
            grant: self.grant.clone(),
            _op: std::marker::PhantomData,
        }
    }
}

impl<O: OperationMarker> Authorized<O> {
    /// Check `who` against the table for `O` (the extractor, and callers outside HTTP such as
    /// `kvar demo`).
    pub fn check(who: Principal) -> Result<Self, ApiError> {
        let scope = ensure(&who, O::OP)?;
        Ok(Authorized {
            grant: Grant {
                who,
                scope,
                op: O::OP,
            },
            _op: std::marker::PhantomData,
        })
    }
}

impl<O> Authorized<O> {
    pub fn into_grant(self) -> Grant {
        self.grant
    }
}

impl<O> std::ops::Deref for Authorized<O> {
    type Target = Grant;

    fn deref(&self) -> &Grant {
        &self.grant
    }
}

impl<O: OperationMarker + 'static> actix_web::FromRequest for Authorized<O> {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, ApiError>>>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let principal = Principal::from_request(req, payload);
        Box::pin(async move { Authorized::check(principal.await?) })
    }
}
