//! Worklist order and escalation (SPEC §4.5), pure, `today` injected: overdue deadlines first,
//! then possibly lapsed periods, then deadlines in the next 14 days, then lapsed periods, cases
//! whose assignee was disabled or moved, reopened cases, unassigned new cases, stale cases (no
//! activity for 14 days), then the rest; children first at equal urgency; then the earliest date;
//! then the case id. A case with children and an eviction or reinstatement end within 7 days and
//! no completed home visit in the current cycle is `critical`.
//!
//! The order is stored: [`sort_key`] is one string per case (bucket, children, date, id) kept on
//! the case row (`cases.worklist_key`), so a worklist page is one index range scan.

use chrono::{Duration, NaiveDate};

use super::deadlines::DeadlineKind;
use super::text_enum::text_enum;

/// How soon a deadline counts as near.
pub const DUE_SOON_DAYS: i64 = 14;
/// After how long without activity a case is stale.
pub const STALE_DAYS: i64 = 14;
/// The escalation window for cases with children.
pub const ESCALATION_DAYS: i64 = 7;
/// The deadlines that escalate a case with children: the eviction and the reinstatement end.
pub const EVICTION_OR_REINSTATEMENT: [DeadlineKind; 2] =
    [DeadlineKind::EvictionDate, DeadlineKind::ReinstatementEnd];

text_enum! {
    #[derive(PartialOrd, Ord)]
    pub enum Bucket ("worklist bucket", UnknownBucket) {
        Overdue => "overdue",
        /// Between the earliest and the latest reading of a period's end (keep acting).
        PossiblyLapsed => "possibly_lapsed",
        DueSoon => "due_soon",
        /// A period computed from formulär 3 without the service date: find out when the
        /// tenant was served (the real end may be earlier).
        Provisional => "provisional",
        /// A rent commitment awaits a supervisor's decision or its delivery to the landlord.
        CommitmentPending => "commitment_pending",
        /// The reinstatement period ended unmet.
        Lapsed => "lapsed",
        /// Assigned to a user who was disabled or moved to another unit.
        AssigneeGone => "assignee_gone",
        Reopened => "reopened",
        Unassigned => "unassigned",
        Stale => "stale",
        Other => "other",
    }
}

/// What the rules need to know about a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub children: bool,
    pub assigned: bool,
    pub is_new: bool,
    pub last_activity: NaiveDate,
    /// The earliest open legal deadline.
    pub next_due: Option<NaiveDate>,
    /// The earliest open eviction date or reinstatement end.
    pub eviction_or_reinstatement_due: Option<NaiveDate>,
    /// A completed home visit inside the current cycle (since the latest termination).
    pub home_visit_logged: bool,
    /// A period between its earliest and latest reading.
    pub possibly_lapsed: bool,
    /// A rent commitment awaits a decision or its delivery.
    pub commitment_pending: bool,
    /// An open period computed without the service date.
    pub provisional: bool,
    /// A reinstatement period that ended unmet.
    pub lapsed: bool,
    pub reopened: bool,
    /// The assignee is disabled or no longer in the case's unit.
    pub assignee_gone: bool,
}

pub fn bucket(f: &Facts, today: NaiveDate) -> Bucket {
    match f.next_due {
        Some(d) if d < today => Bucket::Overdue,
        _ if f.possibly_lapsed => Bucket::PossiblyLapsed,
        Some(d) if d <= today + Duration::days(DUE_SOON_DAYS) => Bucket::DueSoon,
        _ if f.provisional => Bucket::Provisional,
        _ if f.commitment_pending => Bucket::CommitmentPending,
        _ if f.lapsed => Bucket::Lapsed,
        _ if f.assignee_gone => Bucket::AssigneeGone,
        _ if f.reopened => Bucket::Reopened,
        _ if !f.assigned && f.is_new => Bucket::Unassigned,
        _ if f.last_activity + Duration::days(STALE_DAYS) < today => Bucket::Stale,
        _ => Bucket::Other,
    }
}

/// An open legal deadline as stored: its earliest reading (`due_on`) and its latest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenDeadline {
    pub kind: DeadlineKind,
    pub due_on: NaiveDate,
    pub latest: NaiveDate,
    /// Computed without the service date.
    pub provisional: bool,
}

/// What the open deadlines say on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Clock {
    /// The earliest date still to act by: a reinstatement end past its earliest reading but
    /// not its latest counts with its latest; one past its latest no longer counts.
    pub next_due: Option<NaiveDate>,
    /// The same, over eviction dates and reinstatement ends only (escalation).
    pub eviction_or_reinstatement_due: Option<NaiveDate>,
    /// A period end between its earliest and latest reading.
    pub possibly_lapsed: bool,
    /// A period end past its latest reading, still open (unmet).
    pub period_lapsed: bool,
    /// A provisional period still counting.
    pub provisional: bool,
}

/// The ends of the reinstatement period (for paying, and for the rent commitment to reach the
/// landlord): they have readings, and an unmet one past its latest reading has lapsed.
pub const PERIOD_ENDS: [DeadlineKind; 2] = [
    DeadlineKind::ReinstatementEnd,
    DeadlineKind::RentCommitmentDue,
];

/// The date a deadline still counts by on `today` (None: a period that lapsed).
fn acting_date(d: &OpenDeadline, today: NaiveDate) -> Option<NaiveDate> {
    if !PERIOD_ENDS.contains(&d.kind) || today <= d.due_on {
        Some(d.due_on)
    } else if today <= d.latest {
        Some(d.latest)
    } else {
        None
    }
}

/// Read the open deadlines of a case as of `today` (time alone moves a period from open to
/// possibly lapsed to lapsed; the daily sweep stores the change).
pub fn clock(open: &[OpenDeadline], today: NaiveDate) -> Clock {
    let mut c = Clock::default();
    for d in open {
        let Some(date) = acting_date(d, today) else {
            c.period_lapsed = true;
            continue;
        };
        if date != d.due_on {
            c.possibly_lapsed = true;
        }
        c.provisional |= d.provisional;
        c.next_due = Some(c.next_due.map_or(date, |n| n.min(date)));
        if EVICTION_OR_REINSTATEMENT.contains(&d.kind) {
            c.eviction_or_reinstatement_due = Some(
                c.eviction_or_reinstatement_due
                    .map_or(date, |n| n.min(date)),
            );
        }
    }
    c
}

/// The sort key: bucket, children first, earliest date.
pub fn urgency(f: &Facts, today: NaiveDate) -> (Bucket, bool, NaiveDate) {
    (
        bucket(f, today),
        !f.children,
        f.next_due.unwrap_or(f.last_activity),
    )
}

/// The bucket's position in the order.
pub fn rank(b: Bucket) -> usize {
    Bucket::ALL
        .iter()
        .position(|x| *x == b)
        .unwrap_or(Bucket::ALL.len() - 1)
}

/// The bucket's one character in the stored key: its rank as a base-36 digit (`0`-`9`, then
/// `a`-`z`), which sorts in rank order.
fn code(b: Bucket) -> char {
    char::from_digit(u32::try_from(rank(b)).unwrap_or(35), 36).unwrap_or('z')
}

/// The bucket a stored key starts with.
pub fn bucket_of_key(key: &str) -> Option<Bucket> {
    let digit = key.chars().next()?.to_digit(36)?;
    Bucket::ALL.get(usize::try_from(digit).ok()?).copied()
}

/// The stored sort key: the [`urgency`] order as one string (bucket character, `0` with children or
/// `1` without, the date, the case id), so that string order is worklist order.
pub fn sort_key(f: &Facts, today: NaiveDate, case_id: &str) -> String {
    let (b, no_children, date) = urgency(f, today);
    format!(
        "{}{}{}{}",
        code(b),
        u8::from(no_children),
        date.format("%Y-%m-%d"),
        case_id
    )
}

/// The date the case's escalation window looks at: its earliest eviction or reinstatement end,
/// when it has children and no completed home visit in the current cycle; else none. Stored on
/// the case (`cases.escalation_due_on`), so that the escalation list is a date-range query.
pub fn escalation_due(f: &Facts) -> Option<NaiveDate> {
    if f.children && !f.home_visit_logged {
        f.eviction_or_reinstatement_due
    } else {
        None
    }
}

/// Whether an escalation date falls in the window on `today`.
pub fn in_escalation_window(due: Option<NaiveDate>, today: NaiveDate) -> bool {
    due.is_some_and(|d| d >= today && d <= today + Duration::days(ESCALATION_DAYS))
}

pub fn escalated(f: &Facts, today: NaiveDate) -> bool {
    in_escalation_window(escalation_due(f), today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("date")
    }

    fn facts() -> Facts {
        Facts {
            children: false,
            assigned: true,
            is_new: false,
            last_activity: day(20),
            next_due: None,
            eviction_or_reinstatement_due: None,
            home_visit_logged: false,
            possibly_lapsed: false,
            commitment_pending: false,
            provisional: false,
            lapsed: false,
            reopened: false,
            assignee_gone: false,
        }
    }

    #[test]
    fn buckets_follow_the_spec_order() {
        let today = day(24);
        assert_eq!(
            bucket(
                &Facts {
                    next_due: Some(day(23)),
                    ..facts()
                },
                today
            ),
            Bucket::Overdue
        );
        assert_eq!(
            bucket(
                &Facts {
                    next_due: Some(day(30)),
                    ..facts()
                },
                today
            ),
            Bucket::DueSoon
        );
        assert_eq!(
            bucket(
                &Facts {
                    assigned: false,
                    is_new: true,
                    ..facts()
                },
                today
            ),
            Bucket::Unassigned
        );
        assert_eq!(
            bucket(
                &Facts {
                    last_activity: day(1),
                    ..facts()
                },
                today
            ),
            Bucket::Stale
        );
        assert_eq!(bucket(&facts(), today), Bucket::Other);
        assert!(
            Bucket::Overdue < Bucket::DueSoon
                && Bucket::DueSoon < Bucket::Unassigned
                && Bucket::Unassigned < Bucket::Stale
        );
    }

    #[test]
    fn children_come_first_at_equal_urgency() {
        let today = day(24);
        let with = Facts {
            children: true,
            next_due: Some(day(28)),
            ..facts()
        };
        let without = Facts {
            next_due: Some(day(26)),
            ..facts()
        };
        assert!(urgency(&with, today) < urgency(&without, today));
        let overdue_adult = Facts {
            next_due: Some(day(20)),
            ..facts()
        };
        assert!(
            urgency(&overdue_adult, today) < urgency(&with, today),
            "urgency before children"
        );
    }

    #[test]
    fn children_with_an_eviction_within_a_week_and_no_home_visit_escalate() {
        let today = day(24);
        let f = Facts {
            children: true,
            eviction_or_reinstatement_due: Some(day(30)),
            ..facts()
        };
        assert!(escalated(&f, today));
        assert!(!escalated(
            &Facts {
                home_visit_logged: true,
                ..f.clone()
            },
            today
        ));
        assert!(!escalated(
            &Facts {
                children: false,
                ..f.clone()
            },
            today
        ));
        assert!(!escalated(
            &Facts {
                eviction_or_reinstatement_due: NaiveDate::from_ymd_opt(2026, 12, 2),
                ..f.clone()
            },
            today
        ));
    }

    #[test]
    fn the_stored_key_orders_like_urgency() {
        let today = day(24);
        let cases = [
            (
                "a",
                Facts {
                    next_due: Some(day(20)),
                    ..facts()
                },
            ),
            (
                "b",
                Facts {
                    next_due: Some(day(22)),
                    children: true,
                    ..facts()
                },
            ),
            (
                "c",
                Facts {
                    possibly_lapsed: true,
                    ..facts()
                },
            ),
            (
                "d",
                Facts {
                    next_due: Some(day(30)),
                    ..facts()
                },
            ),
            (
                "e",
                Facts {
                    next_due: Some(day(30)),
                    children: true,
                    ..facts()
                },
            ),
            (
                "f",
                Facts {
                    lapsed: true,
                    ..facts()
                },
            ),
            (
                "g",
                Facts {
                    assignee_gone: true,
                    ..facts()
                },
            ),
            (
                "h",
                Facts {
                    reopened: true,
                    ..facts()
                },
            ),
            (
                "i",
                Facts {
                    assigned: false,
                    is_new: true,
                    ..facts()
                },
            ),
            (
                "j",
                Facts {
                    last_activity: day(1),
                    ..facts()
                },
            ),
            ("k", facts()),
            (
                "m",
                Facts {
                    commitment_pending: true,
                    ..facts()
                },
            ),
            (
                "n",
                Facts {
                    provisional: true,
                    next_due: NaiveDate::from_ymd_opt(2026, 12, 20),
                    ..facts()
                },
            ),
            (
                "l",
                Facts {
                    next_due: NaiveDate::from_ymd_opt(2027, 3, 1),
                    children: true,
                    ..facts()
                },
            ),
        ];
        let mut by_key: Vec<(String, &str)> = cases
            .iter()
            .map(|(id, f)| (sort_key(f, today, id), *id))
            .collect();
        by_key.sort();
        let mut by_urgency: Vec<&(&str, Facts)> = cases.iter().collect();
        by_urgency.sort_by(|(x, a), (y, b)| {
            urgency(a, today)
                .cmp(&urgency(b, today))
                .then_with(|| x.cmp(y))
        });
        let keyed: Vec<&str> = by_key.iter().map(|(_, id)| *id).collect();
        let ranked: Vec<&str> = by_urgency.iter().map(|(id, _)| *id).collect();
        assert_eq!(keyed, ranked);
        // Overdue children before overdue adults, whatever the date.
        assert_eq!(&keyed[..2], ["b", "a"]);
        assert_eq!(&keyed[3..5], ["e", "d"]);
        for (key, id) in &by_key {
            let f = &cases.iter().find(|(c, _)| c == id).expect("case").1;
            assert_eq!(bucket_of_key(key), Some(bucket(f, today)));
        }
    }

    #[test]
    fn time_alone_moves_a_case_between_buckets() {
        let f = Facts {
            next_due: Some(day(20)),
            ..facts()
        };
        assert_eq!(bucket(&f, day(1)), Bucket::Other);
        assert_eq!(bucket(&f, day(6)), Bucket::DueSoon);
        assert_eq!(bucket(&f, day(21)), Bucket::Overdue);
        assert_ne!(sort_key(&f, day(1), "x"), sort_key(&f, day(21), "x"));
    }

    #[test]
    fn only_a_completed_visit_in_the_cycle_clears_escalation() {
        let f = Facts {
            children: true,
            eviction_or_reinstatement_due: Some(day(26)),
            ..facts()
        };
        assert_eq!(escalation_due(&f), Some(day(26)));
        assert!(in_escalation_window(escalation_due(&f), day(24)));
        assert!(!in_escalation_window(escalation_due(&f), day(27)), "passed");
        assert!(
            !in_escalation_window(escalation_due(&f), day(10)),
            "not yet"
        );
        let visited = Facts {
            home_visit_logged: true,
            ..f
        };
        assert_eq!(escalation_due(&visited), None);
    }

    #[test]
    fn a_period_past_its_earliest_reading_is_possibly_lapsed_then_lapsed() {
        let period = OpenDeadline {
            kind: DeadlineKind::ReinstatementEnd,
            due_on: day(20),
            latest: day(23),
            provisional: false,
        };
        let before = clock(&[period], day(20));
        assert_eq!(before.next_due, Some(day(20)));
        assert!(!before.possibly_lapsed && !before.period_lapsed);
        let between = clock(&[period], day(21));
        assert_eq!(between.next_due, Some(day(23)), "act by the latest reading");
        assert_eq!(between.eviction_or_reinstatement_due, Some(day(23)));
        assert!(between.possibly_lapsed && !between.period_lapsed);
        let f = Facts {
            next_due: between.next_due,
            possibly_lapsed: true,
            ..facts()
        };
        assert_eq!(
            bucket(&f, day(21)),
            Bucket::PossiblyLapsed,
            "not nothing due"
        );
        let after = clock(&[period], day(24));
        assert_eq!(after.next_due, None);
        assert!(after.period_lapsed && !after.possibly_lapsed);
        // Another overdue deadline still wins over a possibly lapsed period.
        let hearing = OpenDeadline {
            kind: DeadlineKind::EvictionDate,
            due_on: day(19),
            latest: day(19),
            provisional: false,
        };
        let both = clock(&[period, hearing], day(21));
        assert_eq!(both.next_due, Some(day(19)));
        assert_eq!(
            bucket(
                &Facts {
                    next_due: both.next_due,
                    possibly_lapsed: both.possibly_lapsed,
                    ..facts()
                },
                day(21)
            ),
            Bucket::Overdue
        );
    }

    #[test]
    fn a_single_reading_period_goes_from_open_to_lapsed() {
        let period = OpenDeadline {
            kind: DeadlineKind::ReinstatementEnd,
            due_on: day(20),
            latest: day(20),
            provisional: false,
        };
        assert_eq!(clock(&[period], day(20)).next_due, Some(day(20)));
        let after = clock(&[period], day(21));
        assert!(after.period_lapsed && !after.possibly_lapsed && after.next_due.is_none());
    }

    #[test]
    fn a_pending_commitment_comes_after_near_deadlines_and_before_lapsed_periods() {
        let today = day(24);
        let pending = Facts {
            commitment_pending: true,
            lapsed: true,
            ..facts()
        };
        assert_eq!(bucket(&pending, today), Bucket::CommitmentPending);
        let near = Facts {
            next_due: Some(day(30)),
            ..pending.clone()
        };
        assert_eq!(bucket(&near, today), Bucket::DueSoon);
        assert!(
            Bucket::ALL.len() <= 36,
            "the stored key holds the bucket in one base-36 digit"
        );
    }
}
