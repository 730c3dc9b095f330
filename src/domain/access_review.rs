//! The access review (logguppföljning, SPEC §9): which access-log entries a unit's review set
//! holds, and when a set may be signed off.
//!
//! Municipalities review the access logs of social-services systems monthly "and as needed",
//! by the unit manager (research/domain.md §3.5, after IMY's guidance for health care; the duty
//! for social services follows at least from GDPR art. 5(2), 24 and 32). A set is a random
//! sample of the period's entries plus every flagged one:
//!
//! - `protected`: a read of a protected person's data (skyddad identitet);
//! - `outside_assignment`: a caseworker's single-subject read of a case assigned to someone else
//!   (the case's assignment when the set is generated, not at the time of the read);
//! - `volume`: more than the configured number of single-subject views by one reader within an
//!   hour (a view is one request; rows of multi-subject lists do not count). The first row of
//!   each view in such an hour is flagged;
//! - `person_search`: every row of a person search;
//! - `reader_gone`: the reader is now disabled, or now in another unit than when reading.
//!
//! Flags apply to granted reads; a denied read (404 by scope) can be drawn in the sample. The
//! sample is drawn with a seed stored on the review, so the same entries and seed give the same
//! sample again. A reviewer never gives a verdict on their own reads, and a set is signed off
//! only when every entry has a verdict.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rng::Rng;
use super::text_enum::text_enum;

text_enum! {
    /// Why an entry is in a review set.
    #[derive(PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ReviewReason ("access review reason", UnknownReviewReason) {
        /// Drawn in the random sample.
        Sample => "sample",
        /// A read of a protected person's data.
        Protected => "protected",
        /// A caseworker read a case assigned to someone else.
        OutsideAssignment => "outside_assignment",
        /// One of more single-subject views in an hour than the threshold.
        Volume => "volume",
        /// A person search.
        PersonSearch => "person_search",
        /// The reader is now disabled or in another unit.
        ReaderGone => "reader_gone",
    }
}

text_enum! {
    /// A reviewer's verdict on one entry.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Verdict ("verdict", UnknownVerdict) {
        /// The read had a reason in the reader's work.
        Ok => "ok",
        /// To be asked about (the reader, their manager).
        Question => "question",
        /// An unauthorised read: handled as a personal-data incident.
        Incident => "incident",
    }
}

text_enum! {
    /// Where a review set is.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ReviewStatus ("access review status", UnknownReviewStatus) {
        Open => "open",
        SignedOff => "signed_off",
    }
}

text_enum! {
    /// What made the set.
    #[derive(Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ReviewTrigger ("access review trigger", UnknownReviewTrigger) {
        /// `kvar access-review generate` (cron), one per unit and month.
        Monthly => "monthly",
        /// `POST /access-reviews`.
        OnDemand => "on_demand",
    }
}

/// The operation id of a person search, as the access log records it.
pub const PERSON_SEARCH: &str = "search_persons";

/// The role name of caseworkers, as the access log records it.
const CASEWORKER: &str = "caseworker";

/// One access-log entry, with what the rules need to know now about its case and reader.
#[derive(Debug, Clone)]
pub struct LoggedRead {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: String,
    pub actor_role: String,
    /// The reader's unit when reading (None before the column existed).
    pub actor_unit_id: Option<String>,
    pub operation: String,
    pub request_id: Option<String>,
    pub granted: bool,
    pub protected: bool,
    pub list_read: bool,
    /// The read's case, and to whom it is assigned now (None: no case, or unassigned).
    pub case_assigned_to: Option<String>,
    /// The reader is disabled now.
    pub reader_disabled: bool,
    /// The reader's unit now.
    pub reader_unit_now: Option<String>,
}

/// The configurable sizes of a set.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub sample_size: usize,
    pub volume_per_hour: usize,
}

/// The reasons other than the sample and volume that flag `read` (see the module docs).
pub fn flags(read: &LoggedRead) -> Vec<ReviewReason> {
    let mut out = Vec::new();
    if !read.granted {
        return out;
    }
    if read.protected {
        out.push(ReviewReason::Protected);
    }
    let single = !read.list_read && read.operation != PERSON_SEARCH;
    if single
        && read.actor_role == CASEWORKER
        && read
            .case_assigned_to
            .as_deref()
            .is_some_and(|a| a != read.actor_id)
    {
        out.push(ReviewReason::OutsideAssignment);
    }
    if read.operation == PERSON_SEARCH {
        out.push(ReviewReason::PersonSearch);
    }
    let moved = read
        .actor_unit_id
        .as_deref()
        .is_some_and(|then| read.reader_unit_now.as_deref() != Some(then));
    if read.reader_disabled || moved {
        out.push(ReviewReason::ReaderGone);
    }
    out
}

/// One view: its request id, or (no request id) its own row id.
type ViewKey<'a> = (&'a str, i64);

/// The ids of the rows flagged `volume`: for each reader, every view (one request's granted
/// single-subject rows; its first row stands for it) in a 60-minute window holding more than
/// `per_hour` views.
pub fn volume_flagged(reads: &[LoggedRead], per_hour: usize) -> HashSet<i64> {
    // reader → request → (time, first row id) of the view.
    let mut views: HashMap<&str, BTreeMap<ViewKey<'_>, (NaiveDateTime, i64)>> = HashMap::new();
    for r in reads
        .iter()
        .filter(|r| r.granted && !r.list_read && r.operation != PERSON_SEARCH)
    {
        // A row without a request id is a view of its own.
        let key = (
            r.request_id.as_deref().unwrap_or(""),
            match r.request_id {
                Some(_) => 0,
                None => r.id,
            },
        );
        let view = views
            .entry(&r.actor_id)
            .or_default()
            .entry(key)
            .or_insert((r.at, r.id));
        *view = (view.0.min(r.at), view.1.min(r.id));
    }
    let hour = TimeDelta::hours(1);
    let mut out = HashSet::new();
    for per_reader in views.into_values() {
        let mut times: Vec<(NaiveDateTime, i64)> = per_reader.into_values().collect();
        times.sort_unstable();
        let mut end = 0;
        for start in 0..times.len() {
            while end < times.len() && times[end].0 < times[start].0 + hour {
                end += 1;
            }
            if end - start > per_hour {
                out.extend(times[start..end].iter().map(|(_, id)| *id));
            }
        }
    }
    out
}

/// `n` of `ids` drawn at random with `seed`, in ascending order. The same ids (in any order) and
/// seed give the same sample.
pub fn sample(ids: &[i64], n: usize, seed: u64) -> Vec<i64> {
    let mut pool = ids.to_vec();
    pool.sort_unstable();
    pool.dedup();
    let n = n.min(pool.len());
    let mut rng = Rng(seed);
    // A partial Fisher–Yates shuffle: the first n places are the sample.
    for i in 0..n {
        let j = i + rng.below(pool.len() - i);
        pool.swap(i, j);
    }
    pool.truncate(n);
    pool.sort_unstable();
    pool
}

/// The review set of `reads`: (access-log id, reasons), by id.
pub fn select(reads: &[LoggedRead], t: Thresholds, seed: u64) -> Vec<(i64, Vec<ReviewReason>)> {
    let ids: Vec<i64> = reads.iter().map(|r| r.id).collect();
    let sampled: HashSet<i64> = sample(&ids, t.sample_size, seed).into_iter().collect();
    let volume = volume_flagged(reads, t.volume_per_hour);
    let mut out: Vec<(i64, Vec<ReviewReason>)> = reads
        .iter()
        .filter_map(|r| {
            let mut reasons = flags(r);
            if volume.contains(&r.id) {
                reasons.push(ReviewReason::Volume);
            }
            if sampled.contains(&r.id) {
                reasons.push(ReviewReason::Sample);
            }
            reasons.sort_unstable();
            (!reasons.is_empty()).then_some((r.id, reasons))
        })
        .collect();
    out.sort_unstable_by_key(|(id, _)| *id);
    out.dedup_by_key(|(id, _)| *id);
    out
}

/// Whether `reviewer` may give a verdict on a read by `reader`: never on their own reads.
pub fn may_judge(reviewer: &str, reader: &str) -> bool {
    reviewer != reader
}

/// Why a set may not be signed off now, if it may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOffRefusal {
    AlreadySignedOff,
    /// This many entries have no verdict yet.
    Undecided(usize),
}

/// Whether a set in `status` whose entries have `verdicts` may be signed off.
pub fn may_sign_off(
    status: ReviewStatus,
    verdicts: impl IntoIterator<Item = Option<Verdict>>,
) -> Result<(), SignOffRefusal> {
    if status == ReviewStatus::SignedOff {
        return Err(SignOffRefusal::AlreadySignedOff);
    }
    match verdicts.into_iter().filter(Option::is_none).count() {
        0 => Ok(()),
        n => Err(SignOffRefusal::Undecided(n)),
    }
}

/// The first and last day of the month before the one holding `today` (the monthly run's
/// period).
pub fn previous_month(today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let first_of_this = today.with_day(1)?;
    let last = first_of_this.pred_opt()?;
    Some((last.with_day(1)?, last))
}

/// The first and last day of `year`-`month`.
pub fn month(year: i32, month: u32) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some((first, next.pred_opt()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 2)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .expect("time")
            + TimeDelta::minutes(minute)
    }

    fn read(id: i64, actor: &str) -> LoggedRead {
        LoggedRead {
            id,
            at: at(id),
            actor_id: actor.into(),
            actor_role: "supervisor".into(),
            actor_unit_id: Some("n1".into()),
            operation: "get_case".into(),
            request_id: Some(format!("r{id}")),
            granted: true,
            protected: false,
            list_read: false,
            case_assigned_to: None,
            reader_disabled: false,
            reader_unit_now: Some("n1".into()),
        }
    }

    #[test]
    fn an_ordinary_read_is_not_flagged() {
        assert_eq!(flags(&read(1, "u")), []);
    }

    #[test]
    fn protected_reads_and_person_searches_are_flagged() {
        let p = LoggedRead {
            protected: true,
            ..read(1, "u")
        };
        assert_eq!(flags(&p), [ReviewReason::Protected]);
        let s = LoggedRead {
            operation: PERSON_SEARCH.into(),
            ..read(2, "u")
        };
        assert_eq!(flags(&s), [ReviewReason::PersonSearch]);
        // A refused read is no read: not flagged (it can still be sampled).
        let denied = LoggedRead {
            granted: false,
            ..p
        };
        assert_eq!(flags(&denied), []);
    }

    #[test]
    fn a_caseworker_reading_a_case_assigned_to_someone_else_is_outside_the_assignment() {
        let cw = |assigned: Option<&str>, list: bool| LoggedRead {
            actor_role: "caseworker".into(),
            case_assigned_to: assigned.map(Into::into),
            list_read: list,
            ..read(1, "u")
        };
        assert_eq!(
            flags(&cw(Some("other"), false)),
            [ReviewReason::OutsideAssignment]
        );
        assert_eq!(flags(&cw(Some("u"), false)), [], "their own case");
        assert_eq!(flags(&cw(None, false)), [], "unassigned: triage");
        assert_eq!(flags(&cw(Some("other"), true)), [], "a list row");
        // A supervisor reads all of the unit's cases.
        let sup = LoggedRead {
            case_assigned_to: Some("other".into()),
            ..read(1, "u")
        };
        assert_eq!(flags(&sup), []);
    }

    #[test]
    fn a_reader_disabled_or_moved_since_is_gone() {
        let disabled = LoggedRead {
            reader_disabled: true,
            ..read(1, "u")
        };
        assert_eq!(flags(&disabled), [ReviewReason::ReaderGone]);
        let moved = LoggedRead {
            reader_unit_now: Some("n2".into()),
            ..read(1, "u")
        };
        assert_eq!(flags(&moved), [ReviewReason::ReaderGone]);
        // Before the unit was recorded, only disabling shows.
        let unknown = LoggedRead {
            actor_unit_id: None,
            reader_unit_now: Some("n2".into()),
            ..read(1, "u")
        };
        assert_eq!(flags(&unknown), []);
    }

    #[test]
    fn more_views_in_an_hour_than_the_threshold_flags_the_burst_and_list_rows_do_not_count() {
        // Four views a minute apart by u, threshold 3: all four flagged.
        let mut reads: Vec<LoggedRead> = (1..=4).map(|i| read(i, "u")).collect();
        assert_eq!(
            volume_flagged(&reads, 3),
            HashSet::from([1, 2, 3, 4]),
            "four views within the hour"
        );
        assert!(
            volume_flagged(&reads, 4).is_empty(),
            "exactly the threshold"
        );
        // A second row of the same request is the same view, not another.
        reads.push(LoggedRead {
            request_id: Some("r4".into()),
            ..read(5, "u")
        });
        assert!(volume_flagged(&reads, 4).is_empty());
        // List rows and another reader's views do not count.
        reads.extend((6..=20).map(|i| LoggedRead {
            list_read: true,
            ..read(i, "u")
        }));
        reads.extend((21..=30).map(|i| read(i, "v")));
        assert!(!volume_flagged(&reads, 10).contains(&21));
        assert!(volume_flagged(&reads, 4).iter().all(|id| *id >= 21));
        // Views spread over more than an hour are not a burst.
        let spread: Vec<LoggedRead> = (0..4)
            .map(|i| LoggedRead {
                at: at(i * 25),
                ..read(i + 1, "u")
            })
            .collect();
        assert!(volume_flagged(&spread, 3).is_empty());
    }

    #[test]
    fn the_sample_is_reproducible_from_its_seed_and_bounded_by_the_entries() {
        let ids: Vec<i64> = (1..=200).collect();
        let a = sample(&ids, 25, 42);
        assert_eq!(a.len(), 25);
        let mut shuffled = ids.clone();
        shuffled.reverse();
        assert_eq!(sample(&shuffled, 25, 42), a, "same ids, same seed");
        assert_ne!(sample(&ids, 25, 43), a, "another seed, another sample");
        assert!(a.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
        assert_eq!(sample(&ids[..10], 25, 42).len(), 10);
        assert!(sample(&[], 25, 42).is_empty());
        assert!(sample(&ids, 0, 42).is_empty());
    }

    #[test]
    fn the_set_holds_the_sample_and_every_flagged_entry_with_all_their_reasons() {
        let mut reads: Vec<LoggedRead> = (1..=50).map(|i| read(i * 10, "u")).collect();
        reads[0].protected = true;
        let t = Thresholds {
            sample_size: 5,
            volume_per_hour: 1000,
        };
        let set = select(&reads, t, 7);
        let sampled = sample(&reads.iter().map(|r| r.id).collect::<Vec<_>>(), 5, 7);
        for id in &sampled {
            assert!(
                set.iter()
                    .any(|(i, r)| i == id && r.contains(&ReviewReason::Sample))
            );
        }
        assert!(
            set.iter()
                .any(|(i, r)| *i == 10 && r.contains(&ReviewReason::Protected))
        );
        assert_eq!(
            set.len(),
            sampled.len() + usize::from(!sampled.contains(&10))
        );
    }

    #[test]
    fn a_reviewer_never_judges_their_own_reads() {
        assert!(!may_judge("u", "u"));
        assert!(may_judge("u", "v"));
    }

    #[test]
    fn a_set_is_signed_off_once_and_only_when_every_entry_has_a_verdict() {
        use Verdict::*;
        assert_eq!(
            may_sign_off(ReviewStatus::Open, [Some(Ok), None, None]),
            Err(SignOffRefusal::Undecided(2))
        );
        assert_eq!(
            may_sign_off(ReviewStatus::Open, [Some(Ok), Some(Incident)]),
            Result::Ok(())
        );
        assert_eq!(may_sign_off(ReviewStatus::Open, []), Result::Ok(()));
        assert_eq!(
            may_sign_off(ReviewStatus::SignedOff, [Some(Question)]),
            Err(SignOffRefusal::AlreadySignedOff)
        );
    }

    #[test]
    fn the_monthly_period_is_the_previous_calendar_month() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(
            previous_month(d(2026, 3, 1)),
            Some((d(2026, 2, 1), d(2026, 2, 28)))
        );
        assert_eq!(
            previous_month(d(2026, 1, 31)),
            Some((d(2025, 12, 1), d(2025, 12, 31)))
        );
        assert_eq!(month(2028, 2), Some((d(2028, 2, 1), d(2028, 2, 29))));
        assert_eq!(month(2028, 13), None);
    }

    #[test]
    fn the_names_match_serde() {
        for r in ReviewReason::ALL {
            assert_eq!(
                serde_json::to_value(r).expect("json"),
                serde_json::json!(r.as_str())
            );
        }
        for v in Verdict::ALL {
            assert_eq!(
                serde_json::to_value(v).expect("json"),
                serde_json::json!(v.as_str())
            );
        }
    }
}
