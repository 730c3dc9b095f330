//! Unit and property tests of the deadline rules (`super`).

#![allow(clippy::expect_used)] // a failed expectation is a failed test
use super::*;
use crate::domain::holidays;
use DeadlineKind as K;
use NoticeKind as N;
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    s.parse().expect("valid test date")
}

fn served(id: &str, on: &str) -> NoticeFacts {
    NoticeFacts {
        served_on: Some(d(on)),
        amount_to_reinstate: Some(1_250_000),
        ..NoticeFacts::new(id, N::TerminationServed)
    }
}

fn social(id: &str, on: &str) -> NoticeFacts {
    NoticeFacts {
        sent_on: Some(d(on)),
        received_on: Some(d(on)),
        amount_to_reinstate: Some(1_250_000),
        apartment_size_m2: Some(54),
        ..NoticeFacts::new(id, N::SocialNoticeReceived)
    }
}

fn dated(id: &str, kind: NoticeKind, on: &str) -> NoticeFacts {
    NoticeFacts {
        received_on: Some(d(on)),
        ..NoticeFacts::new(id, kind)
    }
}

fn scheduled(id: &str, kind: NoticeKind, sent: &str, at: Option<&str>) -> NoticeFacts {
    NoticeFacts {
        sent_on: Some(d(sent)),
        eviction_at: at.map(|t| t.parse().expect("valid test datetime")),
        ..NoticeFacts::new(id, kind)
    }
}

const ARREARS: Option<i64> = Some(1_250_000);

fn due(c: &[Deadline], kind: DeadlineKind) -> Option<NaiveDate> {
    c.iter().find(|x| x.kind == kind).map(|x| x.due_on)
}

fn find(c: &[Deadline], kind: DeadlineKind) -> Deadline {
    c.iter()
        .find(|x| x.kind == kind)
        .cloned()
        .expect("deadline present")
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn worked_example_1_8_period_runs_from_the_later_notice_and_ends_2025_05_07() {
    let notices = [served("f1", "2025-04-14"), social("f3", "2025-04-16")];
    let c = compute(&notices, ARREARS);
    assert_eq!(c.rule_version, "jb12_44_v1");
    // The two deadlines and the informational earliest decision date.
    assert_eq!(c.deadlines.len(), 3);
    assert_eq!(
        find(&c.deadlines, K::EarliestDecision).due_on,
        d("2025-05-12")
    );
    for kind in [K::ReinstatementEnd, K::RentCommitmentDue] {
        let deadline = find(&c.deadlines, kind);
        assert_eq!(deadline.due_on, d("2025-05-07"));
        assert_eq!(deadline.computed_from, ids(&["f1", "f3"]));
        assert_eq!(deadline.rule_version, RULE_VERSION);
    }
    assert!(
        c.assessments
            .iter()
            .all(|a| a.grade == DefectGrade::NoDefect && a.amount_checked)
    );
    assert_eq!(c.reinstatement_readings, None);
}

#[test]
fn worked_example_1_8_end_on_national_day_moves_to_monday_2025_06_09() {
    let c = compute_deadlines(&[served("f1", "2025-04-14"), social("f3", "2025-05-16")]);
    assert_eq!(due(&c, K::ReinstatementEnd), Some(d("2025-06-09")));
}

#[test]
fn worked_example_1_8_wrong_amount_corrected_shows_both_readings() {
    let wrong = NoticeFacts {
        amount_to_reinstate: Some(990_000),
        ..social("f3a", "2025-04-16")
    };
    let corrected = NoticeFacts {
        supersedes: Some("f3a".into()),
        ..social("f3b", "2025-04-25")
    };
    let c = compute(&[served("f1", "2025-04-14"), wrong, corrected], ARREARS);
    let end = find(&c.deadlines, K::ReinstatementEnd);
    // Issue 12 item 4: the earliest reading is due; the correction's is listed beside it.
    assert_eq!(end.due_on, d("2025-05-07"));
    assert_eq!(end.computed_from, ids(&["f1", "f3a", "f3b"]));
    let readings: Vec<(NaiveDate, &str)> = end
        .readings
        .iter()
        .map(|r| (r.due_on, r.notice_id.as_str()))
        .collect();
    assert_eq!(
        readings,
        [(d("2025-05-07"), "f3a"), (d("2025-05-16"), "f3b")]
    );
    let first = &c.assessments[1];
    assert_eq!(
        (first.notice_id.as_str(), first.grade),
        ("f3a", DefectGrade::MaterialDefect)
    );
    assert!(first.superseded);
    assert_eq!(
        first.defects,
        vec![Defect::AmountDiffersFromArrears {
            stated: 990_000,
            latest_arrears_total: 1_250_000
        }]
    );
    assert_eq!(
        c.reinstatement_readings,
        Some(ReinstatementReadings {
            defective_notice_ids: ids(&["f3a"]),
            if_defective_notices_valid: Some(d("2025-05-07")),
            if_defective_notices_invalid: Some(d("2025-05-16")),
        })
    );
}

#[test]
fn worked_example_1_8_commitment_delivered_2025_05_06_meets_the_deadline() {
    let mut notices = vec![served("f1", "2025-04-14"), social("f3", "2025-04-16")];
    let end = find(&compute_deadlines(&notices), K::ReinstatementEnd);
    assert_eq!(
        deadline_status(&end, &notices, d("2025-05-07")),
        DeadlineStatus::Open
    );
    assert_eq!(
        deadline_status(&end, &notices, d("2025-05-08")),
        DeadlineStatus::Missed
    );
    // Issue 12 item 2: a commitment meets the period only once delivered.
    notices.push(dated("c0", N::RentCommitmentIssued, "2025-05-06"));
    assert_eq!(
        deadline_status(&end, &notices, d("2025-05-20")),
        DeadlineStatus::Missed
    );
    notices.push(NoticeFacts {
        delivered_on: Some(d("2025-05-06")),
        ..dated("c1", N::RentCommitmentIssued, "2025-05-06")
    });
    assert_eq!(
        deadline_status(&end, &notices, d("2025-05-20")),
        DeadlineStatus::Met
    );
    let commitment = find(&compute_deadlines(&notices), K::RentCommitmentDue);
    assert_eq!(
        deadline_status(&commitment, &notices, d("2025-05-20")),
        DeadlineStatus::Met
    );
}

#[test]
fn payment_after_the_end_or_undated_does_not_meet_it() {
    let mut notices = vec![served("f1", "2025-04-14"), social("f3", "2025-04-16")];
    let end = find(&compute_deadlines(&notices), K::ReinstatementEnd);
    notices.push(dated("p1", N::PaymentConfirmed, "2025-05-08"));
    notices.push(NoticeFacts::new("p2", N::PaymentConfirmed));
    // Sent in time but received late: the latest recorded date counts.
    notices.push(NoticeFacts {
        sent_on: Some(d("2025-05-05")),
        ..dated("c1", N::RentCommitmentIssued, "2025-05-09")
    });
    assert_eq!(
        deadline_status(&end, &notices, d("2025-05-20")),
        DeadlineStatus::Missed
    );
    // Issue 12 item 2: only a payment covering the amount to reinstate meets it.
    notices.push(NoticeFacts {
        amount_paid: Some(1_249_999),
        ..dated("p3", N::PaymentConfirmed, "2025-05-07")
    });
    assert_eq!(
        deadline_status(&end, &notices, d("2025-05-20")),
        DeadlineStatus::Missed
    );
    notices.push(NoticeFacts {
        amount_paid: Some(1),
        ..dated("p4", N::PaymentConfirmed, "2025-05-07")
    });
    assert_eq!(
        deadline_status(&end, &notices, d("2025-05-20")),
        DeadlineStatus::Met
    );
}

#[test]
fn uncorrected_material_defect_reads_as_not_started_when_invalid() {
    let wrong = NoticeFacts {
        amount_to_reinstate: Some(1),
        ..served("f1", "2025-04-14")
    };
    let c = compute(&[wrong, social("f3", "2025-04-16")], ARREARS);
    assert_eq!(
        due(&c.deadlines, K::ReinstatementEnd),
        Some(d("2025-05-07"))
    );
    let readings = c.reinstatement_readings.expect("readings shown");
    assert_eq!(readings.defective_notice_ids, ids(&["f1"]));
    assert_eq!(readings.if_defective_notices_valid, Some(d("2025-05-07")));
    assert_eq!(readings.if_defective_notices_invalid, None);
}

#[test]
fn missing_flat_size_is_minor_only_on_the_social_notice_and_amounts_need_both_sides() {
    let no_size = NoticeFacts {
        apartment_size_m2: None,
        ..social("f3", "2025-04-16")
    };
    let c = compute(&[served("f1", "2025-04-14"), no_size], None);
    let grades: Vec<_> = c
        .assessments
        .iter()
        .map(|a| (a.grade, a.amount_checked))
        .collect();
    assert_eq!(
        grades,
        [
            (DefectGrade::NoDefect, false),
            (DefectGrade::MinorDefect, false)
        ]
    );
    assert_eq!(c.assessments[1].defects, [Defect::ApartmentSizeMissing]);
    assert_eq!(c.reinstatement_readings, None);
    let other = NoticeFacts {
        amount_to_reinstate: Some(5),
        ..dated("a", N::ArrearsReported, "2025-04-01")
    };
    let graded = assess(&other, ARREARS, false);
    assert_eq!(
        (graded.grade, graded.amount_checked),
        (DefectGrade::NoDefect, false)
    );
}

#[test]
fn reinstatement_end_rolls_past_eves_holidays_and_weekends() {
    for (start, end) in [
        ("2025-05-30", "2025-06-23"), // Midsummer Eve Fri 20 June → Mon 23
        ("2025-12-03", "2025-12-29"), // Christmas Eve Wed → Mon 29
        ("2025-12-10", "2026-01-02"), // New Year's Eve Wed, New Year's Day → Fri 2
        ("2025-03-28", "2025-04-22"), // Good Friday → Tuesday after Easter Monday
        ("2026-03-13", "2026-04-07"), // Good Friday 2026-04-03 → Tue 7 April
        ("2025-05-08", "2025-05-30"), // Ascension Day Thu 29 May → Fri 30
        ("2027-12-03", "2027-12-27"), // Christmas Eve Fri 2027 → Mon 27
        ("2027-12-16", "2028-01-07"), // Epiphany Thu 6 Jan 2028 → Fri 7
        ("2025-04-12", "2025-05-05"), // Saturday 3 May → Monday 5 May
    ] {
        assert_eq!(reinstatement_end(d(start)), Some(d(end)), "start {start}");
    }
}

#[test]
fn no_reinstatement_deadline_until_both_conditions_are_recorded() {
    assert!(compute_deadlines(&[served("f1", "2025-04-14")]).is_empty());
    // Issue 12 item 1a: formulär 3 alone gives a provisional period, not nothing.
    let alone = compute_deadlines(&[social("f3", "2025-04-16")]);
    assert!(find(&alone, K::ReinstatementEnd).provisional);
    let only_sent = NoticeFacts {
        served_on: None,
        sent_on: Some(d("2025-04-10")),
        ..served("f1", "2025-04-14")
    };
    let unreceived = NoticeFacts {
        received_on: None,
        ..social("f3", "2025-04-16")
    };
    let sent_only = compute_deadlines(&[only_sent, social("f3", "2025-04-16")]);
    assert!(find(&sent_only, K::ReinstatementEnd).provisional);
    // Issue 12 item 4: a formulär 3 known only as sent gives the sent reading.
    let sent = compute_deadlines(&[served("f1", "2025-04-14"), unreceived]);
    let rules: Vec<_> = find(&sent, K::ReinstatementEnd)
        .readings
        .iter()
        .map(|r| r.rule)
        .collect();
    assert_eq!(rules, [super::cycles::ReadingRule::Formular3Sent]);
}

#[test]
fn a_superseding_notice_replaces_the_old_one_and_voids_its_deadlines() {
    let old = served("f1", "2025-04-14");
    let fixed = NoticeFacts {
        supersedes: Some("f1".into()),
        ..served("f1b", "2025-04-22")
    };
    let before = [old.clone(), social("f3", "2025-04-16")];
    let stale = find(&compute_deadlines(&before), K::ReinstatementEnd);
    let after = [old, social("f3", "2025-04-16"), fixed];
    let now = find(&compute_deadlines(&after), K::ReinstatementEnd);
    assert_eq!(now.due_on, d("2025-05-13"));
    assert_eq!(now.computed_from, ids(&["f1b", "f3"]));
    assert_eq!(
        deadline_status(&stale, &after, d("2025-05-01")),
        DeadlineStatus::Void
    );
    assert_eq!(
        deadline_status(&now, &after, d("2025-05-01")),
        DeadlineStatus::Open
    );
    assert!(
        compute(&after, ARREARS)
            .assessments
            .iter()
            .any(|a| a.notice_id == "f1" && a.superseded)
    );
}

#[test]
fn several_current_notices_of_one_kind_use_the_earliest_date() {
    let notices = [
        served("f1", "2025-04-14"),
        served("f1x", "2025-04-10"),
        social("f3", "2025-04-16"),
        social("f3x", "2025-04-20"),
    ];
    let end = find(&compute_deadlines(&notices), K::ReinstatementEnd);
    // One cycle; every notice of it is listed, each formulär 3 with its reading.
    assert_eq!(
        (end.due_on, end.computed_from),
        (d("2025-05-07"), ids(&["f1", "f1x", "f3", "f3x"]))
    );
    assert_eq!(end.readings.last().map(|r| r.due_on), Some(d("2025-05-12")));
}

#[test]
fn order_review_is_one_month_clamped_and_rolled() {
    assert_eq!(order_review_end(d("2025-01-31")), Some(d("2025-02-28")));
    assert_eq!(order_review_end(d("2024-01-31")), Some(d("2024-02-29")));
    assert_eq!(order_review_end(d("2025-05-06")), Some(d("2025-06-09"))); // National Day
    assert_eq!(order_review_end(d("2025-11-24")), Some(d("2025-12-29"))); // Christmas Eve
    let order = NoticeFacts {
        sent_on: Some(d("2025-03-03")),
        received_on: Some(d("2025-03-05")),
        ..NoticeFacts::new("u1", N::KfmOrderIssued)
    };
    let c = compute_deadlines(&[order, dated("u2", N::KfmOrderIssued, "2025-03-10")]);
    let reviews: Vec<_> = c
        .iter()
        .filter(|x| x.kind == K::KfmOrderReviewEnd)
        .map(|x| (x.kind, x.due_on, x.computed_from.clone()))
        .collect();
    assert_eq!(
        reviews,
        [
            (K::KfmOrderReviewEnd, d("2025-04-03"), ids(&["u1"])),
            (K::KfmOrderReviewEnd, d("2025-04-10"), ids(&["u2"])),
        ]
    );
    let review = c[0].clone();
    assert_eq!(
        deadline_status(&review, &[], d("2025-04-01")),
        DeadlineStatus::Void
    );
}

#[test]
fn eviction_date_and_alerts_follow_the_newest_schedule() {
    let first = scheduled(
        "e1",
        N::KfmEvictionScheduled,
        "2025-08-01",
        Some("2025-09-15T09:00:00"),
    );
    let c = compute_deadlines(std::slice::from_ref(&first));
    let got: Vec<_> = c.iter().map(|x| (x.kind, x.due_on)).collect();
    assert_eq!(
        got,
        [
            (K::EvictionAlertT14, d("2025-09-01")),
            (K::EvictionAlertT7, d("2025-09-08")),
            (K::EvictionAlertT3, d("2025-09-12")),
            (K::EvictionAlertT1, d("2025-09-14")),
            (K::EvictionDate, d("2025-09-15")),
        ]
    );
    let eviction = find(&c, K::EvictionDate);
    let alert = find(&c, K::EvictionAlertT14);
    let notices = vec![first.clone()];
    assert_eq!(
        deadline_status(&alert, &notices, d("2025-09-02")),
        DeadlineStatus::Met
    );
    assert_eq!(
        deadline_status(&eviction, &notices, d("2025-09-15")),
        DeadlineStatus::Open
    );
    assert_eq!(
        deadline_status(&eviction, &notices, d("2025-09-16")),
        DeadlineStatus::Missed
    );

    let moved = scheduled(
        "e2",
        N::KfmPostponed,
        "2025-09-10",
        Some("2025-10-20T08:00:00"),
    );
    let rescheduled = [first.clone(), moved];
    let c2 = compute_deadlines(&rescheduled);
    assert_eq!(find(&c2, K::EvictionDate).computed_from, ids(&["e2"]));
    assert_eq!(due(&c2, K::EvictionDate), Some(d("2025-10-20")));
    assert_eq!(
        deadline_status(&eviction, &rescheduled, d("2025-09-11")),
        DeadlineStatus::Void
    );

    for cancel in [
        scheduled("w1", N::KfmWithdrawn, "2025-09-05", None),
        scheduled("p1", N::KfmPostponed, "2025-08-01", None), // same day counts
    ] {
        assert!(compute_deadlines(&[first.clone(), cancel]).is_empty());
    }
    let earlier_withdrawal = scheduled("w0", N::KfmWithdrawn, "2025-07-01", None);
    assert_eq!(compute_deadlines(&[first, earlier_withdrawal]).len(), 5);
}

#[test]
fn input_order_never_changes_the_worked_example() {
    let wrong = NoticeFacts {
        amount_to_reinstate: Some(1),
        ..social("f3a", "2025-04-16")
    };
    let notices = vec![
        served("f1", "2025-04-14"),
        wrong,
        NoticeFacts {
            supersedes: Some("f3a".into()),
            ..social("f3b", "2025-04-25")
        },
        dated("c1", N::RentCommitmentIssued, "2025-05-06"),
        scheduled(
            "e1",
            N::KfmEvictionScheduled,
            "2025-08-01",
            Some("2025-09-15T09:00:00"),
        ),
    ];
    let expected = compute(&notices, ARREARS);
    let mut order: Vec<usize> = (0..notices.len()).collect();
    // Every rotation and its reverse (10 orders), enough to move each notice everywhere.
    for _ in 0..notices.len() {
        order.rotate_left(1);
        for reversed in [false, true] {
            let mut permuted: Vec<NoticeFacts> =
                order.iter().map(|i| notices[*i].clone()).collect();
            if reversed {
                permuted.reverse();
            }
            assert_eq!(compute(&permuted, ARREARS), expected);
        }
    }
}

#[test]
fn names_round_trip() {
    for kind in &N::ALL {
        assert_eq!(N::parse(kind.as_str()), Some(*kind));
    }
    for kind in &K::ALL {
        assert_eq!(K::parse(kind.as_str()), Some(*kind));
    }
    assert_eq!(N::ALL.len(), 11);
    assert_eq!(K::parse("eviction_alert_t7"), Some(K::EvictionAlertT7));
    assert_eq!(
        DefectGrade::parse("material_defect"),
        Some(DefectGrade::MaterialDefect)
    );
    assert_eq!(DeadlineStatus::parse("void"), Some(DeadlineStatus::Void));
    assert_eq!(N::parse("Termination_Served"), None);
    assert_eq!(
        Defect::ApartmentSizeMissing.as_str(),
        "apartment_size_missing"
    );
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    (0u64..3_000).prop_map(|days| d("2024-01-01") + Days::new(days))
}

/// Case-sized ledgers: the reinstatement and eviction kinds weighted up, dates close together
/// (so ties and reorderings happen), a few corrections.
fn any_notices() -> impl Strategy<Value = Vec<NoticeFacts>> {
    let kind = prop_oneof![
        3 => Just(N::TerminationServed),
        3 => Just(N::SocialNoticeReceived),
        2 => Just(N::KfmEvictionScheduled),
        1 => Just(N::KfmPostponed),
        1 => Just(N::KfmWithdrawn),
        3 => proptest::sample::select(N::ALL.to_vec()),
    ];
    let day =
        || proptest::option::weighted(0.8, (0u64..40).prop_map(|n| d("2025-12-01") + Days::new(n)));
    let one = (
        kind,
        day(),
        day(),
        day(),
        proptest::option::of((any_date(), 0u32..24)),
        proptest::option::of(prop_oneof![Just(100i64), Just(200i64)]),
        proptest::option::of(Just(54u32)),
        proptest::option::weighted(0.2, 0usize..8),
    );
    proptest::collection::vec(one, 0..8).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(
                |(i, (kind, sent, served, received, at, amount, size, sup))| NoticeFacts {
                    id: format!("n{i}"),
                    kind,
                    sent_on: sent,
                    served_on: served,
                    received_on: received,
                    eviction_at: at.and_then(|(day, hour)| day.and_hms_opt(hour, 0, 0)),
                    amount_to_reinstate: amount,
                    apartment_size_m2: size,
                    supersedes: sup.filter(|j| *j != i).map(|j| format!("n{j}")),
                    amount_paid: None,
                    delivered_on: None,
                },
            )
            .collect()
    })
}

proptest! {
    #[test]
    fn reinstatement_end_is_a_business_day_at_least_21_days_on(start in any_date()) {
        let end = reinstatement_end(start).expect("inside the calendar");
        let earliest = start + Days::new(21);
        prop_assert!(holidays::is_business_day(end));
        prop_assert!(end >= earliest && end <= earliest + Days::new(5));
    }

    #[test]
    fn computed_reinstatement_end_follows_the_later_notice(a in any_date(), b in any_date()) {
        let c = compute_deadlines(&[
            NoticeFacts { served_on: Some(a), ..NoticeFacts::new("t", N::TerminationServed) },
            NoticeFacts { received_on: Some(b), ..NoticeFacts::new("s", N::SocialNoticeReceived) },
        ]);
        let end = due(&c, K::ReinstatementEnd).expect("both notices present");
        prop_assert!(holidays::is_business_day(end));
        prop_assert!(end >= a.max(b) + Days::new(21));
        prop_assert_eq!(due(&c, K::RentCommitmentDue), Some(end));
    }

    #[test]
    fn permuting_the_notices_never_changes_the_output(
        (notices, shuffled) in any_notices().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        arrears in proptest::option::of(prop_oneof![Just(100i64), Just(200i64)]),
        today in any_date(),
    ) {
        let expected = compute(&notices, arrears);
        prop_assert_eq!(&compute(&shuffled, arrears), &expected);
        for deadline in &expected.deadlines {
            prop_assert!(deadline.computed_from.windows(2).all(|w| w[0] < w[1]));
            prop_assert_eq!(
                deadline_status(deadline, &notices, today),
                deadline_status(deadline, &shuffled, today)
            );
            if matches!(deadline.kind, K::ReinstatementEnd | K::KfmOrderReviewEnd) {
                prop_assert!(holidays::is_business_day(deadline.due_on));
            }
        }
    }
}
