//! Worklist order and escalation (SPEC §4.5), pure: overdue deadlines first, then deadlines in
//! the next 14 days, then unassigned new cases, then stale cases (no activity for 14 days),
//! then the rest; children first at equal urgency; then the earliest date. A case with children
//! and an eviction or reinstatement end within 7 days and no home visit logged is `critical`.

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
        DueSoon => "due_soon",
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
    pub home_visit_logged: bool,
}

pub fn bucket(f: &Facts, today: NaiveDate) -> Bucket {
    match f.next_due {
        Some(d) if d < today => Bucket::Overdue,
        Some(d) if d <= today + Duration::days(DUE_SOON_DAYS) => Bucket::DueSoon,
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

pub fn escalated(f: &Facts, today: NaiveDate) -> bool {
    f.children
        && !f.home_visit_logged
        && f.eviction_or_reinstatement_due
            .is_some_and(|d| d >= today && d <= today + Duration::days(ESCALATION_DAYS))
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
}
