use super::*;

#[test]
fn every_operation_has_exactly_one_row_and_a_unique_id() {
    for &op in Operation::ALL {
        assert_eq!(POLICY.iter().filter(|(o, _)| *o == op).count(), 1, "{op:?}");
        assert_eq!(Operation::from_operation_id(op.operation_id()), Some(op));
    }
    assert_eq!(POLICY.len(), Operation::ALL.len());
}

#[test]
fn administrators_get_no_case_content_and_landlords_no_administration() {
    assert_eq!(scope_for(Role::Landlord, O::CreateUser), None);
    assert_eq!(scope_for(Role::Caseworker, O::CreateOrganization), None);
    assert_eq!(
        scope_for(Role::Auditor, O::VerifyAudit),
        Some(Scope::Installation)
    );
    assert_eq!(scope_for(Role::Analyst, O::VerifyAudit), None);
    assert_eq!(
        scope_for(Role::Admin, O::CreateOrganization),
        Some(Scope::Platform)
    );
}

#[test]
fn only_supervisors_decide_rent_commitments_and_landlords_read_only_the_letters() {
    assert_eq!(
        scope_for(Role::Supervisor, O::DecideRentCommitment),
        Some(Scope::UnitOrStandIn)
    );
    assert_eq!(scope_for(Role::Caseworker, O::DecideRentCommitment), None);
    assert_eq!(
        scope_for(Role::Landlord, O::ListLandlordRentCommitments),
        Some(Scope::AddressedToOrganization)
    );
    assert_eq!(scope_for(Role::Landlord, O::ListRentCommitments), None);
    assert_eq!(scope_for(Role::Landlord, O::GetRentCommitmentLetter), None);
    assert_eq!(
        client_scope(O::ListLandlordRentCommitments),
        Some("landlord:commitments")
    );
}

#[test]
fn statistics_are_for_analysts_only() {
    for op in [O::GetEnforcementStats, O::GetPreventionStats] {
        assert_eq!(scope_for(Role::Analyst, op), Some(Scope::Statistics));
        for role in [
            Role::Admin,
            Role::Auditor,
            Role::Supervisor,
            Role::Caseworker,
            Role::Landlord,
        ] {
            assert_eq!(scope_for(role, op), None, "{role:?} {op:?}");
        }
        assert_eq!(client_scope(op), None);
    }
}

#[test]
fn consents_are_for_the_social_services_staff_only() {
    for op in [O::CreateConsent, O::WithdrawConsent, O::ListCaseConsents] {
        assert_eq!(scope_for(Role::Supervisor, op), Some(Scope::Unit));
        assert_eq!(
            scope_for(Role::Caseworker, op),
            Some(Scope::AssignedOrUnassigned)
        );
        for role in [Role::Landlord, Role::Admin, Role::Auditor, Role::Analyst] {
            assert_eq!(scope_for(role, op), None, "{role:?} {op:?}");
        }
        assert_eq!(client_scope(op), None);
    }
}
