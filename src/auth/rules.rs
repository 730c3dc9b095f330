//! The conditional rules beside the policy table: what a permitted caller may do with a
//! particular object. The table ([`super::policy`]) says whether a role may call an operation at
//! all and its scope ([`super::scope`]) which rows it reaches; these functions decide the cases
//! that depend on the object too. Services call them by name; each is pure and tested here.

use super::{Principal, Role};

/// Whether `who` may change a case's assignee from `current` to `next`. A supervisor assigns
/// anyone (the assignee must still fit the unit: [`may_be_assigned`]); anyone else may only take
/// an unassigned case or give their own back.
pub fn may_assign(who: &Principal, current: Option<&str>, next: Option<&str>) -> bool {
    if current == next || who.role == Role::Supervisor {
        return true;
    }
    let me = Some(who.user_id.as_str());
    let taking_it = next == me && current.is_none();
    let giving_back = next.is_none() && current == me;
    taking_it || giving_back
}

/// Whether `who` may move a case to another unit (of the same municipality): supervisors only.
pub fn may_move_unit(who: &Principal) -> bool {
    who.role == Role::Supervisor
}

/// Whether a user may hold cases of `case_unit`: an active caseworker or supervisor of that unit.
pub fn may_be_assigned(role: Role, active: bool, unit: Option<&str>, case_unit: &str) -> bool {
    active && unit == Some(case_unit) && matches!(role, Role::Caseworker | Role::Supervisor)
}

/// Whether a closure by `who` counts as approved by a supervisor (SPEC §4.3): a supervisor's own
/// closure needs no second decision; anyone else's becomes a closure request.
pub fn closes_as_supervisor(who: &Principal) -> bool {
    who.role == Role::Supervisor
}

/// Whether `who` may decide the closure request `requested_by` filed: a supervisor (the table)
/// who did not file it.
pub fn may_decide_closure(who: &Principal, requested_by: &str) -> bool {
    who.role == Role::Supervisor && who.user_id != requested_by
}

/// Which of its cases a caller's worklist shows (SPEC §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorklistView {
    /// The caller's own cases and the unit's new unassigned ones, and the escalation list.
    Supervisor,
    /// The caller's own cases.
    Caseworker,
}

pub fn worklist_view(who: &Principal) -> WorklistView {
    if who.role == Role::Supervisor {
        WorklistView::Supervisor
    } else {
        WorklistView::Caseworker
    }
}

/// Whether an administrator may make this change to their own account: never a role change or
/// a disable (an installation must not lose its last administrator by accident).
pub fn may_change_own_account(changes_role: bool, disables: bool) -> bool {
    !changes_role && !disables
}

/// Who may decide a rent commitment, for a supervisor the table let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitmentDecider {
    /// A supervisor of the case's unit who did not draft it.
    UnitSupervisor,
    /// A supervisor of another unit of the municipality, standing in because the case's unit
    /// has no active supervisor other than the drafter.
    StandIn,
    /// The drafter: never (four eyes), even a supervisor; 403.
    OwnDraft,
    /// Another unit's supervisor while the case's unit has someone to decide: out of scope, 404.
    OutOfScope,
}

/// Whether `who` may decide a rent commitment drafted by `drafted_by` on a case of `case_unit`,
/// where `unit_has_other_supervisor` says whether that unit has an active supervisor other than
/// the drafter (SPEC §4.6: four eyes; domain.md §1.2 step 7).
pub fn rent_commitment_decider(
    who: &Principal,
    drafted_by: &str,
    case_unit: &str,
    unit_has_other_supervisor: bool,
) -> CommitmentDecider {
    let same_unit = who.unit_id.as_deref() == Some(case_unit);
    if who.role != Role::Supervisor || (!same_unit && unit_has_other_supervisor) {
        CommitmentDecider::OutOfScope
    } else if who.user_id == drafted_by {
        CommitmentDecider::OwnDraft
    } else if same_unit {
        CommitmentDecider::UnitSupervisor
    } else {
        CommitmentDecider::StandIn
    }
}

/// Whether `who` may draft a rent commitment of `amount` kronor in a unit whose limit is
/// `limit`: anyone the table allows up to the limit; above it, supervisors only.
pub fn may_draft_rent_commitment(who: &Principal, amount: i64, limit: Option<i64>) -> bool {
    who.role == Role::Supervisor || limit.is_none_or(|l| amount <= l)
}

/// Whether `who` may see the address of a protected household (skyddad identitet, SPEC §9)
/// through one of its cases, of `case_unit` and assigned to `case_assignee`: the case's assigned
/// caseworker (or supervisor) and the supervisors of the case's unit. Everyone else who reaches
/// the case sees that the address is withheld, not the address.
pub fn may_see_protected_address(
    who: &Principal,
    case_unit: &str,
    case_assignee: Option<&str>,
) -> bool {
    let social = matches!(who.role, Role::Caseworker | Role::Supervisor);
    let assigned = case_assignee == Some(who.user_id.as_str());
    let unit_supervisor = who.role == Role::Supervisor && who.unit_id.as_deref() == Some(case_unit);
    social && (assigned || unit_supervisor)
}

/// Whether `who` may see the address of a protected household with these cases (unit,
/// assignee) that `created_by` registered: through any of its cases
/// ([`may_see_protected_address`]); a household without a case yet only by the one who
/// registered it (they typed it a moment ago).
pub fn may_see_household_address(
    who: &Principal,
    cases: &[(String, Option<String>)],
    created_by: &str,
) -> bool {
    if cases.is_empty() {
        return created_by == who.user_id;
    }
    cases
        .iter()
        .any(|(unit, assignee)| may_see_protected_address(who, unit, assignee.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(role: Role) -> Principal {
        Principal {
            user_id: "me".into(),
            username: "me".into(),
            display_name: "Me".into(),
            role,
            organization_id: "o".into(),
            organization_kind: crate::domain::states::OrganizationKind::Municipality,
            unit_id: Some("n".into()),
            request_id: "r".into(),
        }
    }

    #[test]
    fn caseworkers_take_unassigned_cases_and_give_back_their_own_only() {
        let cw = who(Role::Caseworker);
        assert!(may_assign(&cw, None, Some("me")));
        assert!(may_assign(&cw, Some("me"), None));
        assert!(may_assign(&cw, Some("other"), Some("other")), "no change");
        assert!(!may_assign(&cw, None, Some("other")));
        assert!(!may_assign(&cw, Some("other"), Some("me")));
        assert!(!may_assign(&cw, Some("other"), None));
        assert!(!may_assign(&cw, Some("me"), Some("other")));
        let sup = who(Role::Supervisor);
        assert!(may_assign(&sup, Some("other"), Some("third")));
        assert!(may_assign(&sup, None, Some("other")));
    }

    #[test]
    fn only_supervisors_move_units_and_close_without_a_request() {
        assert!(may_move_unit(&who(Role::Supervisor)));
        assert!(!may_move_unit(&who(Role::Caseworker)));
        assert!(closes_as_supervisor(&who(Role::Supervisor)));
        assert!(!closes_as_supervisor(&who(Role::Caseworker)));
    }

    #[test]
    fn a_closure_request_is_decided_by_another_supervisor() {
        assert!(may_decide_closure(&who(Role::Supervisor), "someone"));
        assert!(!may_decide_closure(&who(Role::Supervisor), "me"));
        assert!(!may_decide_closure(&who(Role::Caseworker), "someone"));
    }

    #[test]
    fn assignees_are_active_social_workers_of_the_case_unit() {
        assert!(may_be_assigned(Role::Caseworker, true, Some("n"), "n"));
        assert!(may_be_assigned(Role::Supervisor, true, Some("n"), "n"));
        assert!(!may_be_assigned(Role::Caseworker, false, Some("n"), "n"));
        assert!(!may_be_assigned(Role::Caseworker, true, Some("x"), "n"));
        assert!(!may_be_assigned(Role::Caseworker, true, None, "n"));
        assert!(!may_be_assigned(Role::Auditor, true, Some("n"), "n"));
    }

    #[test]
    fn worklists_and_own_accounts() {
        assert_eq!(
            worklist_view(&who(Role::Supervisor)),
            WorklistView::Supervisor
        );
        assert_eq!(
            worklist_view(&who(Role::Caseworker)),
            WorklistView::Caseworker
        );
        assert!(may_change_own_account(false, false));
        assert!(!may_change_own_account(true, false));
        assert!(!may_change_own_account(false, true));
    }

    #[test]
    fn a_rent_commitment_is_decided_by_a_supervisor_other_than_its_drafter() {
        let sup = who(Role::Supervisor); // user "me" of unit "n"
        use CommitmentDecider as D;
        assert_eq!(
            rent_commitment_decider(&sup, "drafter", "n", true),
            D::UnitSupervisor
        );
        assert_eq!(
            rent_commitment_decider(&sup, "drafter", "n", false),
            D::UnitSupervisor
        );
        // Four eyes, also for a supervisor who drafted it, also when nobody else is there.
        assert_eq!(rent_commitment_decider(&sup, "me", "n", true), D::OwnDraft);
        assert_eq!(rent_commitment_decider(&sup, "me", "n", false), D::OwnDraft);
        // Another unit's supervisor stands in only when the case's unit has nobody else.
        assert_eq!(
            rent_commitment_decider(&sup, "drafter", "other", false),
            D::StandIn
        );
        assert_eq!(
            rent_commitment_decider(&sup, "drafter", "other", true),
            D::OutOfScope
        );
        assert_eq!(
            rent_commitment_decider(&who(Role::Caseworker), "drafter", "n", false),
            D::OutOfScope
        );
    }

    #[test]
    fn above_the_unit_limit_only_a_supervisor_drafts() {
        let (cw, sup) = (who(Role::Caseworker), who(Role::Supervisor));
        assert!(may_draft_rent_commitment(&cw, 30_000, None));
        assert!(may_draft_rent_commitment(&cw, 30_000, Some(30_000)));
        assert!(!may_draft_rent_commitment(&cw, 30_001, Some(30_000)));
        assert!(may_draft_rent_commitment(&sup, 30_001, Some(30_000)));
    }
    #[test]
    fn a_protected_address_is_for_the_assigned_worker_and_the_unit_supervisors() {
        let (cw, sup) = (who(Role::Caseworker), who(Role::Supervisor)); // "me" of unit "n"
        assert!(may_see_protected_address(&cw, "n", Some("me")));
        assert!(!may_see_protected_address(&cw, "n", None), "triage");
        assert!(!may_see_protected_address(&cw, "n", Some("other")));
        assert!(may_see_protected_address(&sup, "n", None));
        assert!(may_see_protected_address(&sup, "n", Some("other")));
        assert!(
            !may_see_protected_address(&sup, "x", Some("other")),
            "another unit"
        );
        assert!(
            may_see_protected_address(&sup, "x", Some("me")),
            "assigned to me"
        );
        for role in [Role::Auditor, Role::Admin, Role::Analyst, Role::Landlord] {
            assert!(
                !may_see_protected_address(&who(role), "n", Some("me")),
                "{role:?}"
            );
        }
    }

    #[test]
    fn a_household_address_is_seen_through_any_of_its_cases_or_by_its_registrar() {
        let cw = who(Role::Caseworker);
        let case = |unit: &str, a: Option<&str>| (unit.to_owned(), a.map(str::to_owned));
        assert!(may_see_household_address(&cw, &[], "me"));
        assert!(!may_see_household_address(&cw, &[], "other"));
        assert!(!may_see_household_address(&cw, &[case("n", None)], "me"));
        assert!(may_see_household_address(
            &cw,
            &[case("n", None), case("n", Some("me"))],
            "other"
        ));
        let sup = who(Role::Supervisor);
        assert!(may_see_household_address(
            &sup,
            &[case("x", None), case("n", Some("other"))],
            "other"
        ));
        assert!(!may_see_household_address(
            &sup,
            &[case("x", None)],
            "other"
        ));
    }
}
