use super::*;
use CaseStatus::*;

/// SPEC §4.1's table, copied by hand as text so a change to `allowed_targets` must be
/// matched here (and in the spec).
const SPEC_TABLE: &[(&str, &[&str])] = &[
    ("new", &["triage", "closed"]),
    ("triage", &["outreach", "active", "closed"]),
    ("outreach", &["active", "closed"]),
    ("active", &["follow_up", "closed"]),
    ("follow_up", &["active", "closed"]),
    ("closed", &["reopened"]),
    ("reopened", &["triage", "active"]),
];

fn in_spec(from: CaseStatus, to: CaseStatus) -> bool {
    SPEC_TABLE
        .iter()
        .any(|(f, targets)| *f == from.as_str() && targets.contains(&to.as_str()))
}

fn closing(outcome: Option<Outcome>) -> ClosureContext {
    ClosureContext {
        outcome,
        ..ClosureContext::default()
    }
}

#[test]
fn transition_table_matches_spec_for_every_pair() {
    assert_eq!(SPEC_TABLE.len(), CaseStatus::ALL.len());
    let ctx = closing(Some(Outcome::RetainedPaid));
    for from in CaseStatus::ALL {
        for to in CaseStatus::ALL {
            let expected = in_spec(from, to);
            assert_eq!(is_allowed(from, to), expected, "{from} -> {to}");
            let result = check_transition(from, to, &ctx);
            if expected {
                assert_eq!(result, Ok(TransitionEffect::Apply), "{from} -> {to}");
            } else {
                assert_eq!(
                    result,
                    Err(TransitionError::NotAllowed {
                        from,
                        to,
                        allowed: allowed_targets(from)
                    }),
                    "{from} -> {to}"
                );
            }
        }
    }
}

#[test]
fn transition_table_has_no_duplicates_or_self_loops() {
    for from in CaseStatus::ALL {
        let targets = allowed_targets(from);
        assert!(!targets.contains(&from), "{from} loops to itself");
        for (i, t) in targets.iter().enumerate() {
            assert!(!targets[i + 1..].contains(t), "{from} lists {t} twice");
        }
    }
}

#[test]
fn every_open_status_can_reach_closed_and_closed_leaves_only_by_reopening() {
    for start in CaseStatus::ALL {
        let mut seen = vec![start];
        let mut i = 0;
        while let Some(&s) = seen.get(i) {
            for &t in allowed_targets(s) {
                if !seen.contains(&t) {
                    seen.push(t);
                }
            }
            i += 1;
        }
        assert!(seen.contains(&Closed), "{start} cannot reach closed");
    }
    assert_eq!(allowed_targets(Closed), &[Reopened]);
    for from in CaseStatus::ALL {
        assert_eq!(is_allowed(from, Reopened), from == Closed, "{from}");
    }
}

#[test]
fn illegal_transition_error_lists_allowed_targets() {
    let err = check_transition(New, FollowUp, &ClosureContext::default()).unwrap_err();
    assert_eq!(
        err,
        TransitionError::NotAllowed {
            from: New,
            to: FollowUp,
            allowed: &[Triage, Closed]
        }
    );
    assert_eq!(
        err.to_string(),
        "a case cannot move from new to follow_up; allowed: triage, closed"
    );
}

#[test]
fn closing_requires_an_outcome() {
    for from in CaseStatus::ALL
        .into_iter()
        .filter(|&f| is_allowed(f, Closed))
    {
        let ctx = ClosureContext {
            approved_by_supervisor: true,
            ..ClosureContext::default()
        };
        assert_eq!(
            check_transition(from, Closed, &ctx),
            Err(TransitionError::OutcomeRequired),
            "{from}"
        );
    }
}

#[test]
fn closing_an_already_closed_case_is_not_allowed_even_without_outcome() {
    assert!(matches!(
        check_transition(Closed, Closed, &ClosureContext::default()),
        Err(TransitionError::NotAllowed { .. })
    ));
}

#[test]
fn closing_with_children_or_open_deadline_needs_supervisor_unless_approved() {
    for children_involved in [false, true] {
        for open_legal_deadline in [false, true] {
            for approved_by_supervisor in [false, true] {
                let ctx = ClosureContext {
                    outcome: Some(Outcome::MovedNewTenancy),
                    children_involved,
                    open_legal_deadline,
                    approved_by_supervisor,
                };
                let expected =
                    if (children_involved || open_legal_deadline) && !approved_by_supervisor {
                        TransitionEffect::NeedsSupervisorApproval {
                            children_involved,
                            open_legal_deadline,
                        }
                    } else {
                        TransitionEffect::Apply
                    };
                for from in CaseStatus::ALL
                    .into_iter()
                    .filter(|&f| is_allowed(f, Closed))
                {
                    assert_eq!(
                        check_transition(from, Closed, &ctx),
                        Ok(expected),
                        "{ctx:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn closure_context_is_ignored_for_other_transitions() {
    let ctx = ClosureContext {
        outcome: None,
        children_involved: true,
        open_legal_deadline: true,
        approved_by_supervisor: false,
    };
    assert_eq!(
        check_transition(Active, FollowUp, &ctx),
        Ok(TransitionEffect::Apply)
    );
    assert_eq!(
        check_transition(Closed, Reopened, &ctx),
        Ok(TransitionEffect::Apply)
    );
}

#[test]
fn case_status_as_str_from_str_and_serde_agree() {
    let names: Vec<&str> = CaseStatus::ALL.iter().map(|s| s.as_str()).collect();
    let spec: Vec<&str> = SPEC_TABLE.iter().map(|(f, _)| *f).collect();
    assert_eq!(names, spec);
    for s in CaseStatus::ALL {
        assert_eq!(s.as_str().parse::<CaseStatus>(), Ok(s));
        assert_eq!(s.to_string(), s.as_str());
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, format!("\"{}\"", s.as_str()));
        assert_eq!(serde_json::from_str::<CaseStatus>(&json).unwrap(), s);
    }
    for bad in ["", "New", "followup", "follow-up", "open"] {
        assert_eq!(bad.parse::<CaseStatus>(), Err(UnknownCaseStatus), "{bad}");
    }
}

#[test]
fn case_status_all_lists_every_variant() {
    // Fails to compile when a variant is added without updating this match.
    fn index(s: CaseStatus) -> usize {
        match s {
            New => 0,
            Triage => 1,
            Outreach => 2,
            Active => 3,
            FollowUp => 4,
            Closed => 5,
            Reopened => 6,
        }
    }
    for (i, s) in CaseStatus::ALL.into_iter().enumerate() {
        assert_eq!(index(s), i);
    }
}
