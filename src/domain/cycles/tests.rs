//! Unit and property tests of the cycle rules (`super`).

#![allow(clippy::expect_used)] // a failed expectation is a failed test
use super::*;
use crate::domain::deadlines::{
    DeadlineKind, DeadlineStatus, NoticeFacts, NoticeKind as N, deadline_state, deadlines_for,
};
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    s.parse().expect("valid test date")
}

fn term(id: &str, sent: &str, served: Option<&str>) -> NoticeFacts {
    NoticeFacts {
        sent_on: Some(d(sent)),
        served_on: served.map(d),
        amount_to_reinstate: Some(9000),
        ..NoticeFacts::new(id, N::TerminationServed)
    }
}

fn f3(id: &str, sent: &str, received: &str) -> NoticeFacts {
    NoticeFacts {
        sent_on: Some(d(sent)),
        received_on: Some(d(received)),
        amount_to_reinstate: Some(9000),
        apartment_size_m2: Some(54),
        ..NoticeFacts::new(id, N::SocialNoticeReceived)
    }
}

fn paid(id: &str, on: &str, amount: Option<i64>) -> NoticeFacts {
    NoticeFacts {
        sent_on: Some(d(on)),
        amount_paid: amount,
        ..NoticeFacts::new(id, N::PaymentConfirmed)
    }
}

fn commitment(id: &str, issued: &str, delivered: Option<&str>) -> NoticeFacts {
    NoticeFacts {
        sent_on: Some(d(issued)),
        delivered_on: delivered.map(d),
        ..NoticeFacts::new(id, N::RentCommitmentIssued)
    }
}

fn worked() -> Vec<NoticeFacts> {
    vec![
        term("a1", "2025-04-10", Some("2025-04-14")),
        f3("a2", "2025-04-16", "2025-04-16"),
    ]
}

fn status_of(notices: &[NoticeFacts], today: &str) -> Vec<(u32, CycleStatus, Vec<Flag>)> {
    cycles(notices, None)
        .iter()
        .map(|c| {
            let s = state(c, notices, d(today));
            (c.number, s.status, s.flags)
        })
        .collect()
}

#[test]
fn the_worked_example_is_one_cycle_ending_2025_05_07() {
    let cs = cycles(&worked(), None);
    assert_eq!(cs.len(), 1);
    let p = cs[0].period.as_ref().expect("period");
    assert_eq!(
        (p.due_on, p.latest, p.provisional),
        (d("2025-05-07"), d("2025-05-07"), false)
    );
    assert_eq!(cs[0].opened_by.as_deref(), Some("a1"));
    assert!(!cs[0].repeat);
}

#[test]
fn a_second_termination_months_after_payment_opens_a_repeat_cycle_and_the_first_stays_met() {
    let mut ns = worked();
    ns.push(paid("a3", "2025-05-02", Some(9000)));
    ns.push(term("b1", "2025-09-01", Some("2025-09-03")));
    ns.push(f3("b2", "2025-09-02", "2025-09-04"));
    let cs = cycles(&ns, None);
    assert_eq!(cs.len(), 2);
    assert_eq!(cs[1].social_notice_ids, ["b2"]);
    assert!(cs[1].repeat && !cs[0].repeat);
    let st = status_of(&ns, "2025-09-10");
    assert_eq!(st[0].1, CycleStatus::Met);
    assert_eq!(st[1].1, CycleStatus::Open);
    assert!(st[1].2.contains(&Flag::Repeat) && st[1].2.contains(&Flag::Unsettled));
    // Both deadlines exist, each with its own status.
    let ds: Vec<_> = deadlines_for(&ns, None)
        .into_iter()
        .filter(|x| x.kind == DeadlineKind::ReinstatementEnd)
        .collect();
    assert_eq!(ds.len(), 2);
    let s: Vec<_> = ds
        .iter()
        .map(|x| deadline_state(x, &ns, None, d("2025-09-10")).status)
        .collect();
    assert_eq!(s, [DeadlineStatus::Met, DeadlineStatus::Open]);
}

#[test]
fn a_cycle_more_than_12_months_later_is_not_a_repeat() {
    let mut ns = worked();
    ns.push(paid("a3", "2025-05-02", Some(9000)));
    ns.push(term("b1", "2026-04-10", Some("2026-04-14")));
    assert!(!cycles(&ns, None)[1].repeat);
}

#[test]
fn a_payment_short_by_one_krona_is_partial_and_does_not_meet() {
    let mut ns = worked();
    ns.push(paid("p1", "2025-04-20", Some(5000)));
    ns.push(paid("p2", "2025-05-05", Some(3999)));
    let c = &cycles(&ns, None)[0];
    let s = state(c, &ns, d("2025-05-01"));
    assert_eq!((s.status, s.paid), (CycleStatus::Open, 8999));
    assert!(s.flags.contains(&Flag::PartialPayment));
    assert_eq!(
        state(c, &ns, d("2025-05-08")).status,
        CycleStatus::ReinstatementLapsed
    );
    ns.push(paid("p3", "2025-05-07", Some(1)));
    let s = state(&cycles(&ns, None)[0], &ns, d("2025-05-08"));
    assert_eq!(
        (s.status, s.met_by, s.paid),
        (CycleStatus::Met, Some(MetBy::Payment), 9000)
    );
}

#[test]
fn a_payment_without_an_amount_is_unverified_and_meets_nothing() {
    let mut ns = worked();
    ns.push(paid("p1", "2025-04-20", None));
    let s = state(&cycles(&ns, None)[0], &ns, d("2025-04-21"));
    assert_eq!(s.status, CycleStatus::Open);
    assert!(s.flags.contains(&Flag::PaymentReportedUnverified));
    // Staff confirm the amount with a correction that supersedes it.
    ns.push(NoticeFacts {
        supersedes: Some("p1".into()),
        ..paid("p2", "2025-04-20", Some(9000))
    });
    let s = state(&cycles(&ns, None)[0], &ns, d("2025-04-21"));
    assert_eq!(s.status, CycleStatus::Met);
    assert!(!s.flags.contains(&Flag::PaymentReportedUnverified));
}

#[test]
fn a_commitment_meets_only_when_delivered_by_the_earliest_reading() {
    // Formulär 3 sent 04-16, received 04-22: readings 05-07 (sent) and 05-13 (received).
    let ns = vec![
        term("a1", "2025-04-10", Some("2025-04-14")),
        f3("a2", "2025-04-16", "2025-04-22"),
    ];
    let with = |c: NoticeFacts| {
        let mut v = ns.clone();
        v.push(c);
        let s = state(&cycles(&v, None)[0], &v, d("2025-06-30"));
        (s.status, s.flags)
    };
    assert_eq!(
        with(commitment("c", "2025-05-01", Some("2025-05-07"))).0,
        CycleStatus::Met
    );
    let (st, fl) = with(commitment("c", "2025-05-01", Some("2025-05-12")));
    assert_eq!(st, CycleStatus::Met);
    assert!(fl.contains(&Flag::PossiblyLate));
    let (st, fl) = with(commitment("c", "2025-05-01", Some("2025-05-14")));
    assert_eq!(st, CycleStatus::ReinstatementLapsed);
    assert!(fl.contains(&Flag::Late));
    let (st, fl) = with(commitment("c", "2025-05-01", None));
    assert_eq!(st, CycleStatus::ReinstatementLapsed);
    assert!(fl.contains(&Flag::CommitmentNotDelivered));
}

#[test]
fn sent_and_received_dates_give_two_readings_and_the_earliest_is_due() {
    let ns = vec![
        term("a1", "2025-04-10", Some("2025-04-14")),
        f3("a2", "2025-04-16", "2025-04-22"),
    ];
    let p = cycles(&ns, None)[0].period.clone().expect("period");
    assert_eq!(p.due_on, d("2025-05-07"));
    assert_eq!(p.latest, d("2025-05-13"));
    let rules: Vec<_> = p.readings.iter().map(|r| (r.due_on, r.rule)).collect();
    assert_eq!(
        rules,
        [
            (d("2025-05-07"), ReadingRule::Formular3Sent),
            (d("2025-05-13"), ReadingRule::Formular3Received)
        ]
    );
    let c = &cycles(&ns, None)[0];
    assert_eq!(state(c, &ns, d("2025-05-07")).status, CycleStatus::Open);
    let s = state(c, &ns, d("2025-05-08"));
    assert_eq!(s.status, CycleStatus::PossiblyLapsed);
    assert!(s.flags.contains(&Flag::PossiblyLapsed));
    assert_eq!(
        state(c, &ns, d("2025-05-13")).status,
        CycleStatus::PossiblyLapsed
    );
    assert_eq!(
        state(c, &ns, d("2025-05-14")).status,
        CycleStatus::ReinstatementLapsed
    );
}

#[test]
fn a_defective_notice_and_its_correction_give_the_earliest_reading() {
    let mut first = f3("a2", "2025-04-16", "2025-04-16");
    first.amount_to_reinstate = Some(12000);
    let fixed = NoticeFacts {
        supersedes: Some("a2".into()),
        ..f3("a3", "2025-04-25", "2025-04-25")
    };
    let ns = vec![term("a1", "2025-04-10", Some("2025-04-14")), first, fixed];
    let p = cycles(&ns, Some(9000))[0].period.clone().expect("period");
    assert_eq!((p.due_on, p.latest), (d("2025-05-07"), d("2025-05-16")));
    assert!(p.readings.iter().any(|r| r.notice_id == "a2"));
    // Without the arrears total nothing is materially defective: the correction alone counts.
    let p = cycles(&ns, None)[0].period.clone().expect("period");
    assert_eq!((p.due_on, p.latest), (d("2025-05-16"), d("2025-05-16")));
}

#[test]
fn a_formulaer_3_without_a_service_date_gives_a_provisional_period_replaced_by_service() {
    let ns = vec![f3("a2", "2025-05-16", "2025-05-16")];
    let c = &cycles(&ns, None)[0];
    let p = c.period.as_ref().expect("period");
    assert!(p.provisional && c.opened_by.is_none());
    assert_eq!(p.due_on, d("2025-06-09"), "06-06 is National Day");
    // The termination sent before it, served after it: adopted, no longer provisional.
    let mut ns = ns;
    ns.push(term("a1", "2025-05-14", Some("2025-05-20")));
    let cs = cycles(&ns, None);
    assert_eq!(cs.len(), 1);
    let p = cs[0].period.as_ref().expect("period");
    assert!(!p.provisional);
    assert_eq!(p.due_on, d("2025-06-10"));
    // Sent but not yet served: still provisional.
    let ns = vec![
        term("a1", "2025-05-14", None),
        f3("a2", "2025-05-16", "2025-05-16"),
    ];
    let cs = cycles(&ns, None);
    assert_eq!(cs[0].opened_by.as_deref(), Some("a1"));
    assert!(cs[0].period.as_ref().is_some_and(|p| p.provisional));
}

#[test]
fn a_kfm_application_opens_a_cycle_only_when_the_last_one_is_resolved() {
    let kfm = |id: &str, on: &str| NoticeFacts {
        sent_on: Some(d(on)),
        served_on: Some(d(on)),
        ..NoticeFacts::new(id, N::KfmApplicationReceived)
    };
    let mut ns = worked();
    ns.push(kfm("k1", "2025-06-01"));
    assert_eq!(cycles(&ns, None).len(), 1, "the lapsed cycle's next step");
    let mut ns = worked();
    ns.push(paid("p", "2025-05-01", Some(9000)));
    ns.push(kfm("k1", "2025-10-01"));
    ns.push(f3("k2", "2025-10-02", "2025-10-02"));
    let cs = cycles(&ns, None);
    assert_eq!(cs.len(), 2, "counts as the termination of new arrears");
    assert_eq!(cs[1].opened_by.as_deref(), Some("k1"));
    assert_eq!(cs[1].social_notice_ids, ["k2"]);
}

#[test]
fn the_earliest_decision_and_the_kfm_target_are_informational_and_unsettled() {
    let ds = deadlines_for(&worked(), None);
    let e = ds
        .iter()
        .find(|x| x.kind == DeadlineKind::EarliestDecision)
        .expect("earliest decision");
    assert_eq!(e.due_on, d("2025-05-12"), "Thu 1, Fri 2, Mon 3");
    assert!(e.flags.contains(&Flag::Unsettled) && e.flags.contains(&Flag::Informational));
    let order = NoticeFacts {
        sent_on: Some(d("2025-06-02")),
        ..NoticeFacts::new("o", N::KfmOrderIssued)
    };
    let ds = deadlines_for(&[order], None);
    let t = ds
        .iter()
        .find(|x| x.kind == DeadlineKind::KfmExecutionTarget)
        .expect("target");
    assert_eq!(
        (t.due_on, t.rule_version.as_str()),
        (d("2025-06-30"), "ub16_3_v1")
    );
}

fn arb_date() -> impl Strategy<Value = NaiveDate> {
    (0u64..500).prop_map(|n| d("2025-01-01") + chrono::Days::new(n))
}

fn arb_notice() -> impl Strategy<Value = NoticeFacts> {
    (
        0u8..5,
        arb_date(),
        0u64..10,
        prop::option::of(prop::sample::select(vec![8000i64, 9000, 12000])),
        prop::option::of(0i64..10000),
        any::<bool>(),
    )
        .prop_map(|(k, on, lag, amount, paid_amount, has_service)| {
            let later = on + chrono::Days::new(lag);
            let mut n = NoticeFacts::new("", N::ArrearsReported);
            n.sent_on = Some(on);
            match k {
                0 => {
                    n.kind = N::TerminationServed;
                    n.served_on = has_service.then_some(later);
                    n.amount_to_reinstate = amount;
                }
                1 => {
                    n.kind = N::SocialNoticeReceived;
                    n.received_on = Some(later);
                    n.amount_to_reinstate = amount;
                }
                2 => {
                    n.kind = N::PaymentConfirmed;
                    n.amount_paid = paid_amount;
                }
                3 => {
                    n.kind = N::RentCommitmentIssued;
                    n.delivered_on = has_service.then_some(later);
                }
                _ => {
                    n.kind = N::KfmApplicationReceived;
                    n.served_on = Some(later);
                }
            }
            n
        })
}

fn arb_ledger() -> impl Strategy<Value = Vec<NoticeFacts>> {
    prop::collection::vec(arb_notice(), 0..10).prop_map(|mut v| {
        for (i, n) in v.iter_mut().enumerate() {
            n.id = format!("n{i:02}");
        }
        v
    })
}

proptest! {
    #[test]
    fn the_order_of_registration_never_changes_a_result(
        ns in arb_ledger(),
        seed in any::<u64>(),
        today in arb_date(),
    ) {
        let mut shuffled = ns.clone();
        // A deterministic shuffle from the seed.
        let len = shuffled.len();
        for i in (1..len).rev() {
            let j = usize::try_from((seed.rotate_left(u32::try_from(i).unwrap_or(0))) % (i as u64 + 1)).unwrap_or(0);
            shuffled.swap(i, j);
        }
        prop_assert_eq!(cycles(&ns, Some(9000)), cycles(&shuffled, Some(9000)));
        prop_assert_eq!(deadlines_for(&ns, Some(9000)), deadlines_for(&shuffled, Some(9000)));
        for c in cycles(&ns, Some(9000)) {
            prop_assert_eq!(state(&c, &ns, today), state(&c, &shuffled, today));
        }
    }

    #[test]
    fn due_on_is_always_the_minimum_of_the_readings(ns in arb_ledger()) {
        for c in cycles(&ns, Some(9000)) {
            if let Some(p) = c.period {
                let min = p.readings.iter().map(|r| r.due_on).min();
                let max = p.readings.iter().map(|r| r.due_on).max();
                prop_assert_eq!(Some(p.due_on), min);
                prop_assert_eq!(Some(p.latest), max);
            }
        }
    }

    #[test]
    fn a_cycles_deadline_never_disappears_because_a_later_cycle_started(
        ns in arb_ledger(),
        gap in 30u64..400,
        lag in 0u64..10,
    ) {
        let before = deadlines_for(&ns, None);
        let last = ns.iter().filter_map(|n| n.last_date()).max().unwrap_or(d("2025-01-01"));
        // New arrears after everything so far: a termination and its formulär 3.
        let start = last + chrono::Days::new(gap);
        let mut more = ns.clone();
        more.push(NoticeFacts {
            sent_on: Some(start),
            served_on: Some(start + chrono::Days::new(lag)),
            ..NoticeFacts::new("z1", N::TerminationServed)
        });
        more.push(NoticeFacts {
            sent_on: Some(start),
            received_on: Some(start + chrono::Days::new(lag)),
            ..NoticeFacts::new("z2", N::SocialNoticeReceived)
        });
        let after = deadlines_for(&more, None);
        for old in before.iter().filter(|x| x.kind == DeadlineKind::ReinstatementEnd) {
            // A cycle that met before the new one started keeps its deadline unchanged.
            let cycle = cycles(&ns, None).into_iter().find(|c| Some(c.number) == old.cycle);
            let met = cycle.is_some_and(|c| state(&c, &ns, start).status == CycleStatus::Met);
            if met {
                prop_assert!(after.iter().any(|a| a == old), "{:?} vanished", old);
            }
        }
    }

    #[test]
    fn a_payment_short_by_one_krona_never_meets(
        amount in 1i64..100_000,
        parts in 1usize..4,
    ) {
        let mut ns = vec![
            NoticeFacts { amount_to_reinstate: Some(amount), ..term("a1", "2025-04-10", Some("2025-04-14")) },
            NoticeFacts { amount_to_reinstate: Some(amount), ..f3("a2", "2025-04-16", "2025-04-16") },
        ];
        let short = amount - 1;
        let per = short / i64::try_from(parts).unwrap_or(1);
        let mut sum = 0;
        for i in 0..parts {
            let part = if i + 1 == parts { short - sum } else { per };
            sum += part;
            ns.push(paid(&format!("p{i}"), "2025-04-20", Some(part)));
        }
        let s = state(&cycles(&ns, None)[0], &ns, d("2025-05-01"));
        prop_assert_ne!(s.status, CycleStatus::Met);
        prop_assert_eq!(s.paid, short);
    }
}
