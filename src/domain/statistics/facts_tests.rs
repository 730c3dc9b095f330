use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap_or_default()
}

fn notice(kind: NoticeKind, on: &str) -> NoticeFact {
    NoticeFact {
        kind: Some(kind),
        on: Some(d(on)),
        ..NoticeFact::default()
    }
}

fn value(facts: &[Fact], figure: Figure) -> i64 {
    facts
        .iter()
        .filter(|f| f.figure == figure)
        .map(|f| f.value)
        .sum()
}

#[test]
fn an_executed_eviction_counts_the_minor_children_living_there_by_residence() {
    let child = |residence: Option<&str>, minor_until: &str, moved: Option<&str>| Child {
        residence: residence.map(Into::into),
        minor_until: Some(d(minor_until)),
        moved_out_on: moved.map(d),
    };
    let rows = CaseRows {
        notices: vec![NoticeFact {
            execution_outcome: Some("executed".into()),
            children_present: Some(true),
            social_services_present: Some(false),
            children_registered: Some(2),
            children_not_registered: Some(1),
            ..notice(NoticeKind::KfmExecuted, "2026-03-10")
        }],
        children: vec![
            child(None, "2030-01-01", None),
            child(Some("alternating"), "2030-01-01", None),
            child(Some("visiting"), "2030-01-01", None),
            child(Some("permanent"), "2026-03-10", None), // 18 that day
            child(Some("permanent"), "2030-01-01", Some("2026-01-01")), // moved out
        ],
        ..CaseRows::default()
    };
    let f = facts(&rows);
    assert!(f.iter().all(|x| x.month == d("2026-03-01")));
    assert_eq!(value(&f, Figure::EvictionsExecuted), 1);
    assert_eq!(value(&f, Figure::EvictionsWithChildren), 1);
    assert_eq!(value(&f, Figure::ChildrenAffected), 3);
    assert_eq!(value(&f, Figure::ChildrenPermanent), 1);
    assert_eq!(value(&f, Figure::ChildrenAlternating), 1);
    assert_eq!(value(&f, Figure::ChildrenVisiting), 1);
    assert_eq!(value(&f, Figure::ChildrenRegistered), 2);
    assert_eq!(value(&f, Figure::ChildrenNotRegistered), 1);
    assert_eq!(value(&f, Figure::EvictionsChildrenPresent), 1);
    assert_eq!(
        value(&f, Figure::EvictionsChildrenPresentWithoutSocialServices),
        1
    );
}

#[test]
fn an_abandoned_flat_counts_no_children() {
    let rows = CaseRows {
        notices: vec![NoticeFact {
            execution_outcome: Some("abandoned".into()),
            ..notice(NoticeKind::KfmExecuted, "2026-03-10")
        }],
        children: vec![Child {
            residence: None,
            minor_until: Some(d("2030-01-01")),
            moved_out_on: None,
        }],
        ..CaseRows::default()
    };
    let f = facts(&rows);
    assert_eq!(value(&f, Figure::EvictionsAbandoned), 1);
    assert_eq!(value(&f, Figure::EvictionsExecuted), 0);
    assert_eq!(value(&f, Figure::ChildrenAffected), 0);
}

#[test]
fn the_first_contact_after_a_formular_3_and_the_reinstatement_end() {
    let rows = CaseRows {
        notices: vec![notice(NoticeKind::SocialNoticeReceived, "2026-01-30")],
        contacts: vec![d("2026-01-20"), d("2026-02-04"), d("2026-02-10")],
        reinstatement_ends: vec![d("2026-02-20")],
        ..CaseRows::default()
    };
    let f = facts(&rows);
    assert!(f.contains(&Fact {
        figure: Figure::DaysToFirstContact,
        month: d("2026-01-01"),
        bucket: 5,
        value: 1
    }));
    assert_eq!(value(&f, Figure::ReinstatementPeriods), 1);
    assert_eq!(value(&f, Figure::ContactedBeforeReinstatementEnd), 1);
    let late = CaseRows {
        contacts: vec![d("2026-02-21")],
        ..rows
    };
    assert_eq!(
        value(&facts(&late), Figure::ContactedBeforeReinstatementEnd),
        0
    );
}

#[test]
fn closures_by_outcome_situation_and_repeat_signals_within_twelve_months() {
    let rows = CaseRows {
        notices: vec![
            notice(NoticeKind::TerminationServed, "2026-05-01"),
            notice(NoticeKind::ArrearsReported, "2027-06-01"),
        ],
        closures: vec![Closure {
            on: d("2026-02-01"),
            outcome: Some(Outcome::EvictedHomeless),
            homelessness_situation: Some(1),
        }],
        commitments: vec![(d("2026-04-03"), 12_000)],
        ..CaseRows::default()
    };
    let f = facts(&rows);
    assert_eq!(value(&f, Figure::Closures), 1);
    assert_eq!(value(&f, Figure::ClosedEvictedHomeless), 1);
    assert_eq!(value(&f, Figure::HomelessnessSituation1), 1);
    assert_eq!(value(&f, Figure::RepeatSignals12m), 1);
    assert_eq!(value(&f, Figure::RentCommitmentAmount), 12_000);
}

#[test]
fn the_delta_takes_away_what_changed_only() {
    let a = Fact {
        figure: Figure::Closures,
        month: d("2026-01-01"),
        bucket: 0,
        value: 1,
    };
    let b = Fact {
        figure: Figure::ApplicationsReceived,
        ..a
    };
    assert_eq!(delta(&[a, b], &[a]), vec![Fact { value: -1, ..b }]);
    assert_eq!(delta(&[a], &[a]), vec![]);
}

fn legal(id: &str, kind: NoticeKind, on: &str) -> NoticeFacts {
    let mut n = NoticeFacts::new(id, kind);
    n.sent_on = Some(d(on));
    n.served_on = Some(d(on));
    n.received_on = Some(d(on));
    n
}

/// A termination served on 2026-01-12 and its formulär 3 received the same day: the period
/// ends on 2026-02-02 (three weeks, a Monday).
fn cycle_with(extra: Vec<NoticeFacts>) -> Vec<NoticeFacts> {
    let mut t = legal("t", NoticeKind::TerminationServed, "2026-01-12");
    t.amount_to_reinstate = Some(9_000);
    let mut v = vec![
        t,
        legal("s", NoticeKind::SocialNoticeReceived, "2026-01-12"),
    ];
    v.extend(extra);
    v
}

#[test]
fn a_cycle_counts_once_decided_by_how_it_ended() {
    let today = d("2026-06-01");
    let mut paid = legal("p", NoticeKind::PaymentConfirmed, "2026-01-20");
    paid.amount_paid = Some(9_000);
    let mut short = legal("p", NoticeKind::PaymentConfirmed, "2026-01-20");
    short.amount_paid = Some(8_999);
    let mut committed = legal("c", NoticeKind::RentCommitmentIssued, "2026-01-25");
    committed.delivered_on = Some(d("2026-01-26"));
    let outcome = |notices: Vec<NoticeFacts>, plans: &[NaiveDate], today: NaiveDate| {
        cycle_facts(&notices, None, plans, today)
    };
    let end = d("2026-02-02");
    let fact = |o| {
        vec![CycleFact {
            on: end,
            outcome: o,
        }]
    };
    assert_eq!(
        outcome(cycle_with(vec![paid.clone()]), &[], today),
        fact(CycleOutcome::Paid)
    );
    assert_eq!(
        outcome(cycle_with(vec![paid]), &[], d("2026-01-21")),
        fact(CycleOutcome::Paid),
        "met before the end: decided already"
    );
    assert_eq!(
        outcome(cycle_with(vec![committed]), &[], today),
        fact(CycleOutcome::RentCommitment)
    );
    assert_eq!(
        outcome(cycle_with(vec![short.clone()]), &[], today),
        fact(CycleOutcome::Lapsed)
    );
    assert_eq!(
        outcome(cycle_with(vec![short.clone()]), &[], end),
        vec![],
        "unmet and still running: not decided"
    );
    assert_eq!(
        outcome(cycle_with(vec![short]), &[d("2026-02-10")], today),
        fact(CycleOutcome::PaymentPlan)
    );
    assert_eq!(
        outcome(cycle_with(vec![]), &[d("2025-12-31")], today),
        fact(CycleOutcome::Lapsed),
        "a payment plan before the cycle opened is not its"
    );
    // Without a formulär 3 there is no period: nothing to decide.
    assert_eq!(
        outcome(
            vec![legal("t", NoticeKind::TerminationServed, "2026-01-12")],
            &[],
            today
        ),
        vec![]
    );
    let rows = CaseRows {
        cycles: [
            CycleOutcome::Paid,
            CycleOutcome::RentCommitment,
            CycleOutcome::PaymentPlan,
            CycleOutcome::Lapsed,
            CycleOutcome::Lapsed,
        ]
        .iter()
        .map(|o| CycleFact {
            on: end,
            outcome: *o,
        })
        .collect(),
        ..CaseRows::default()
    };
    let f = facts(&rows);
    assert!(f.iter().all(|x| x.month == d("2026-02-01")));
    assert_eq!(value(&f, Figure::CyclesReinstated), 3);
    assert_eq!(value(&f, Figure::CyclesReinstatedPaid), 1);
    assert_eq!(value(&f, Figure::CyclesReinstatedRentCommitment), 1);
    assert_eq!(value(&f, Figure::CyclesReinstatedPaymentPlan), 1);
    assert_eq!(value(&f, Figure::CyclesLapsed), 2);
}

#[test]
fn conversions_count_in_their_month_within_18_and_24_months_and_amounts_in_a_histogram() {
    let conv = |start: Option<&str>, on: &str| Conversion {
        start_on: start.map(d),
        converted_on: d(on),
    };
    let rows = CaseRows {
        conversions: vec![
            conv(Some("2025-01-15"), "2026-07-15"), // 18 months to the day
            conv(Some("2024-09-01"), "2026-07-20"), // 22.5 months
            conv(Some("2024-07-01"), "2026-07-02"), // past 24 months
            conv(None, "2026-07-31"),
        ],
        commitments: vec![(d("2026-07-01"), 12_000), (d("2026-07-09"), 12_000)],
        ..CaseRows::default()
    };
    let f = facts(&rows);
    assert!(f.iter().all(|x| x.month == d("2026-07-01")));
    assert_eq!(value(&f, Figure::SecondHandConversions), 4);
    assert_eq!(value(&f, Figure::SecondHandConvertedWithin18m), 1);
    assert_eq!(value(&f, Figure::SecondHandConvertedWithin24m), 2);
    assert_eq!(value(&f, Figure::RentCommitmentsIssued), 2);
    assert_eq!(value(&f, Figure::RentCommitmentAmount), 24_000);
    let hist: Vec<(i32, i64)> = f
        .iter()
        .filter(|x| x.figure == Figure::RentCommitmentAmounts)
        .map(|x| (x.bucket, x.value))
        .collect();
    assert_eq!(hist, [(12_000, 2)]);
}
