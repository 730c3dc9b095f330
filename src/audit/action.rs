//! What an audit event records, by the exact name stored in `audit_events.action`.
//!
//! The names are part of the hash chain: events already stored keep their text, and the chain
//! hashes the stored text (the sealer and the verifier read `action` as a plain string, so an
//! event with a name not listed here still seals and verifies). Never rename one; add a new one.

use crate::domain::text_enum::text_enum;

text_enum! {
    pub enum AuditAction ("audit action", UnknownAuditAction) {
        AuthLogin => "auth.login",
        AuthLoginFailed => "auth.login_failed",
        AuthRefresh => "auth.refresh",
        AuthRefreshReuse => "auth.refresh_reuse",
        AuthLogout => "auth.logout",
        AuthClientToken => "auth.client_token",
        AuthClientTokenFailed => "auth.client_token_failed",
        OrganizationCreate => "organization.create",
        OrganizationUpdate => "organization.update",
        UnitCreate => "unit.create",
        UserCreate => "user.create",
        UserUpdate => "user.update",
        HouseholdCreate => "household.create",
        HouseholdMemberAdded => "household.member_added",
        HouseholdMemberUpdated => "household.member_updated",
        TenancyCreate => "tenancy.create",
        TenancyUpdate => "tenancy.update",
        CaseCreate => "case.create",
        CaseUpdate => "case.update",
        CaseTransition => "case.transition",
        CaseClosureRequested => "case.closure_requested",
        CaseClosureApproved => "case.closure_approved",
        CaseClosureRejected => "case.closure_rejected",
        CaseReopened => "case.reopened",
        CaseChildrenInvolvedChanged => "case.children_involved_changed",
        NoteCreate => "note.create",
        InterventionCreate => "intervention.create",
        NoticeCreate => "notice.create",
        IntakeMatch => "intake.match",
        IntegrationClientCreate => "integration_client.create",
        IntegrationClientRotate => "integration_client.rotate",
        IntegrationClientRevoke => "integration_client.revoke",
        RentCommitmentDraft => "rent_commitment.draft",
        RentCommitmentApprove => "rent_commitment.approve",
        RentCommitmentReject => "rent_commitment.reject",
        RentCommitmentDeliver => "rent_commitment.deliver",
        AccessReviewCreate => "access_review.create",
        AccessReviewVerdict => "access_review.verdict",
        AccessReviewSignOff => "access_review.sign_off",
        AccessReviewExport => "access_review.export",
        PersonAccessExtract => "person.access_extract",
        /// A person's record copied for another municipality (persons per municipality).
        PersonSplit => "person.split",
        /// The fields written before per-subject data keys sealed again under them (000023).
        DataKeysSealed => "data_keys.sealed",
        /// A run of `kvar keys rotate-field-key` (counts only).
        KeysFieldRotated => "keys.field_rotated",
        /// A master field-key version retired (`kvar keys retire-field-key`).
        KeysFieldRetired => "keys.field_retired",
        /// A run of `kvar keys rotate-blind-index` (counts only).
        KeysBlindIndexRotated => "keys.blind_index_rotated",
        ConsentCreate => "consent.create",
        ConsentWithdraw => "consent.withdraw",
        PersonUpdate => "person.update",
        /// A subject's (person, household or case) personal data erased by retention.
        RetentionErased => "retention.erased",
        /// A retention plan approved for a municipality by a second person.
        RetentionPlanApproved => "retention.plan_approved",
        /// An archive package of the research sample confirmed as received.
        RetentionArchiveConfirmed => "retention.archive_confirmed",
        LegalHoldPlaced => "legal_hold.placed",
        LegalHoldReleased => "legal_hold.released",
        /// A batch of access-log rows sealed (its range, count and hash: the anchor).
        AccessLogSealed => "access_log.sealed",
    }
}
