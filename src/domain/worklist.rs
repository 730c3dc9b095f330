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
    /// A period between its earliest and latest reading (set once cycles record it).
    pub possibly_lapsed: bool,
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
        _ if f.lapsed => Bucket::Lapsed,
        _ if f.assignee_gone => Bucket::AssigneeGone,
        _ if f.reopened => Bucket::Reopened,
        _ if !f.assigned && f.is_new => Bucket::Unassigned,
        _ if f.last_activity + Duration::days(STALE_DAYS) < today => Bucket::Stale,
        _ => Bucket::Other,
    }
}

/// The sort key: bucket, children first, earliest date.
pub fn urgency(f: &Facts, today: NaiveDate) -> (Bucket, bool, NaiveDate) {
    (
        bucket(f, today),
        !f.children,
        f.next_due.unwrap_or(f.last_activity),
    )
}

/// The bucket's position in the order (one digit of the stored key).
pub fn rank(b: Bucket) -> usize {
    Bucket::ALL
        .iter()
        .position(|x| *x == b)
        .unwrap_or(Bucket::ALL.len() - 1)
}

/// The bucket a stored key starts with.
pub fn bucket_of_key(key: &str) -> Option<Bucket> {
    let digit = key.chars().next()?.to_digit(10)?;
    Bucket::ALL.get(usize::try_from(digit).ok()?).copied()
}

/// The stored sort key: the [`urgency`] order as one string (bucket digit, `0` with children or
/// `1` without, the date, the case id), so that string order is worklist order.
pub fn sort_key(f: &Facts, today: NaiveDate, case_id: &str) -> String {
    let (b, no_children, date) = urgency(f, today);
    format!(
        "{}{}{}{}",
        rank(b),
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
}
