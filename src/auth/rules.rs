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
}
