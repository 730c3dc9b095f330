//! Retention (gallring, SPEC §9; domain.md §3.6): when the personal data of a set of persons,
//! households and cases may be erased, and when it must be.
//!
//! - **Cluster.** Nothing about a person is erased while other live data about them remains
//!   (anti-fragmentation): the unit of erasure is the connected set of persons, their households
//!   (through household membership) and those households' cases. [`clusters`] builds it.
//! - **Limit.** A cluster is erasable when none of its cases is open and its last entry (the
//!   latest timestamp of anything written about it) is more than `KVAR_RETENTION_YEARS` (default
//!   5) years before the as-of date ([`limit_passed_on`]).
//! - **Due.** Erasure is due by the end of the calendar year following the day the limit passed
//!   ([`due_by`]); a cluster still kept after that is overdue.
//! - **Legal hold.** A hold on any case of the cluster protects the whole cluster.
//! - **Research sample.** Persons born on given days of a month (per municipality, default the
//!   5th, 15th and 25th, following the municipality's archive plan) are kept for the archive
//!   authority: their clusters are listed in an archive package and erased only once the package
//!   is confirmed.
//!
//! Only this module decides; the retention service gathers the facts and acts on the verdict.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};

/// The statutory default: five years after the last entry (SoL 26 kap. / SoF).
pub const DEFAULT_YEARS: u32 = 5;

/// The research sample of the default archive plan.
pub const DEFAULT_SAMPLE_DAYS: &str = "5,15,25";

/// Why a cluster is erased (the erasure record and the summaries count per rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// Last entry older than the retention period, nothing open, held or sampled.
    Limit,
    /// A research-sample cluster whose archive package has been confirmed.
    ArchivedSample,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Limit => "limit",
            Rule::ArchivedSample => "archived_sample",
        }
    }

    pub fn parse(s: &str) -> Option<Rule> {
        match s {
            "limit" => Some(Rule::Limit),
            "archived_sample" => Some(Rule::ArchivedSample),
            _ => None,
        }
    }
}

/// Why a cluster is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Keep {
    /// A case of the cluster is open.
    Open,
    /// The last entry is within the retention period.
    Recent,
    /// A case of the cluster is under legal hold.
    LegalHold,
    /// The limit has passed, but a person of the cluster is in the research sample and the
    /// archive package listing it is not confirmed yet.
    ResearchSample,
}

impl Keep {
    pub fn as_str(self) -> &'static str {
        match self {
            Keep::Open => "open",
            Keep::Recent => "recent",
            Keep::LegalHold => "legal_hold",
            Keep::ResearchSample => "research_sample",
        }
    }
}

/// The verdict on one cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Erase(Rule),
    Keep(Keep),
}

/// What the rules need to know about a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterFacts {
    /// Any case of the cluster not closed.
    pub any_open: bool,
    /// The latest timestamp of anything written about the cluster.
    pub last_entry: NaiveDateTime,
    /// Any case of the cluster under an unreleased legal hold.
    pub held: bool,
    /// Any person of the cluster in the municipality's research sample.
    pub sample: bool,
    /// Every sample person of the cluster is in a confirmed archive package.
    pub sample_archived: bool,
}

/// The day the retention limit passes: `years` after the day of the last entry (29 February
/// rolls to 28 February in a common year).
pub fn limit_passed_on(last_entry: NaiveDateTime, years: u32) -> NaiveDate {
    let day = last_entry.date();
    day.checked_add_months(Months::new(years.saturating_mul(12)))
        .unwrap_or(NaiveDate::MAX)
}

/// Erasure is due by the end of the calendar year following the day the limit passed.
pub fn due_by(limit_passed: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(limit_passed.year().saturating_add(1), 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Whether a cluster whose limit passed on `limit_passed` is overdue on `as_of`.
pub fn overdue(limit_passed: NaiveDate, as_of: NaiveDate) -> bool {
    as_of > due_by(limit_passed)
}

/// The verdict on a cluster on `as_of`: open first (a live case wins over everything), then the
/// retention period, then a legal hold, then the research sample.
pub fn verdict(f: &ClusterFacts, as_of: NaiveDate, years: u32) -> Verdict {
    if f.any_open {
        return Verdict::Keep(Keep::Open);
    }
    if as_of <= limit_passed_on(f.last_entry, years) {
        return Verdict::Keep(Keep::Recent);
    }
    if f.held {
        return Verdict::Keep(Keep::LegalHold);
    }
    if f.sample {
        return if f.sample_archived {
            Verdict::Erase(Rule::ArchivedSample)
        } else {
            Verdict::Keep(Keep::ResearchSample)
        };
    }
    Verdict::Erase(Rule::Limit)
}

/// A municipality's research-sample days: comma-separated days of the month, 1–31, at least one,
/// no repeats (e.g. `5,15,25`). Returns them sorted.
pub fn parse_sample_days(s: &str) -> Result<Vec<u8>, &'static str> {
    let mut days = BTreeSet::new();
    for part in s.split(',') {
        let d: u8 = part
            .trim()
            .parse()
            .map_err(|_| "must be days of the month (1–31), comma-separated")?;
        if !(1..=31).contains(&d) {
            return Err("must be days of the month (1–31), comma-separated");
        }
        if !days.insert(d) {
            return Err("names a day twice");
        }
    }
    if days.is_empty() {
        return Err("must name at least one day");
    }
    Ok(days.into_iter().collect())
}

/// Whether a person born on day `birth_day` of a month is in the sample. A person whose birth
/// day is unknown is not (it is stored at creation and backfilled at start).
pub fn in_sample(birth_day: Option<u32>, days: &[u8]) -> bool {
    birth_day.is_some_and(|d| days.iter().any(|s| u32::from(*s) == d))
}

/// Whether a legal hold is past its review date on `as_of` (listed for renewal or release).
pub fn hold_needs_review(review_on: NaiveDate, as_of: NaiveDate) -> bool {
    as_of > review_on
}

/// One cluster: its persons, households and cases (ids, each sorted).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cluster {
    pub persons: Vec<String>,
    pub households: Vec<String>,
    pub cases: Vec<String>,
}

impl Cluster {
    /// A stable name for the cluster's exact membership: a plan's cluster is erased only if it
    /// still has this key when the plan runs (a new case or member makes it another cluster).
    pub fn key(&self) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for (tag, ids) in [
            ("p", &self.persons),
            ("h", &self.households),
            ("c", &self.cases),
        ] {
            for id in ids {
                h.update(tag.as_bytes());
                h.update(id.as_bytes());
                h.update(b"\n");
            }
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Every subject of the cluster (persons, households, cases).
    pub fn subjects(&self) -> Vec<String> {
        self.persons
            .iter()
            .chain(&self.households)
            .chain(&self.cases)
            .cloned()
            .collect()
    }
}

/// A cluster's first id (persons, then households, then cases): the order clusters come in.
fn first_id(c: &Cluster) -> Option<&String> {
    c.persons
        .first()
        .or_else(|| c.households.first())
        .or_else(|| c.cases.first())
}

/// Union–find over indexes.
struct Sets(Vec<usize>);

impl Sets {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
}

/// The clusters of `persons`, `households` (ids) linked by `members` (household, person) and
/// `cases` (case, household). A link to an id not listed is ignored. Clusters come out sorted by
/// their first id, each with sorted members.
pub fn clusters(
    persons: &[String],
    households: &[String],
    members: &[(String, String)],
    cases: &[(String, String)],
) -> Vec<Cluster> {
    let mut index: BTreeMap<(u8, &str), usize> = BTreeMap::new();
    let mut names: Vec<(u8, &str)> = Vec::new();
    for (kind, ids) in [(0u8, persons), (1, households)] {
        for id in ids {
            index.entry((kind, id.as_str())).or_insert_with(|| {
                names.push((kind, id.as_str()));
                names.len() - 1
            });
        }
    }
    let mut case_of: Vec<(&str, usize)> = Vec::new();
    for (case, household) in cases {
        if let Some(&h) = index.get(&(1, household.as_str())) {
            case_of.push((case.as_str(), h));
        }
    }
    let mut sets = Sets((0..names.len()).collect());
    for (household, person) in members {
        if let (Some(&h), Some(&p)) = (
            index.get(&(1, household.as_str())),
            index.get(&(0, person.as_str())),
        ) {
            sets.union(h, p);
        }
    }
    let mut by_root: BTreeMap<usize, Cluster> = BTreeMap::new();
    for (i, (kind, id)) in names.iter().enumerate() {
        let c = by_root.entry(sets.find(i)).or_default();
        match kind {
            0 => c.persons.push((*id).to_owned()),
            _ => c.households.push((*id).to_owned()),
        }
    }
    for (case, h) in case_of {
        let root = sets.find(h);
        by_root.entry(root).or_default().cases.push(case.to_owned());
    }
    let mut out: Vec<Cluster> = by_root
        .into_values()
        .map(|mut c| {
            c.persons.sort();
            c.households.sort();
            c.cases.sort();
            c
        })
        .collect();
    out.sort_by(|a, b| first_id(a).cmp(&first_id(b)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .expect("date")
            .and_hms_opt(12, 0, 0)
            .expect("time")
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn facts(last: NaiveDateTime) -> ClusterFacts {
        ClusterFacts {
            any_open: false,
            last_entry: last,
            held: false,
            sample: false,
            sample_archived: false,
        }
    }

    #[test]
    fn the_limit_passes_five_years_after_the_last_entry_and_leap_days_roll_back() {
        assert_eq!(limit_passed_on(at(2020, 3, 1), 5), day(2025, 3, 1));
        assert_eq!(limit_passed_on(at(2020, 2, 29), 5), day(2025, 2, 28));
        assert_eq!(limit_passed_on(at(2020, 2, 29), 4), day(2024, 2, 29));
    }

    #[test]
    fn erasure_is_due_by_the_end_of_the_following_calendar_year() {
        assert_eq!(due_by(day(2025, 3, 1)), day(2026, 12, 31));
        assert_eq!(due_by(day(2025, 12, 31)), day(2026, 12, 31));
        assert!(!overdue(day(2025, 3, 1), day(2026, 12, 31)));
        assert!(overdue(day(2025, 3, 1), day(2027, 1, 1)));
    }

    #[test]
    fn a_closed_cluster_is_erased_only_after_the_limit() {
        let f = facts(at(2020, 6, 1));
        assert_eq!(verdict(&f, day(2025, 6, 1), 5), Verdict::Keep(Keep::Recent));
        assert_eq!(verdict(&f, day(2025, 6, 2), 5), Verdict::Erase(Rule::Limit));
        assert_eq!(verdict(&f, day(2024, 6, 2), 3), Verdict::Erase(Rule::Limit));
    }

    #[test]
    fn an_open_case_keeps_the_whole_cluster_however_old() {
        let f = ClusterFacts {
            any_open: true,
            held: true,
            ..facts(at(2000, 1, 1))
        };
        assert_eq!(verdict(&f, day(2030, 1, 1), 5), Verdict::Keep(Keep::Open));
    }

    #[test]
    fn a_legal_hold_keeps_an_expired_cluster() {
        let f = ClusterFacts {
            held: true,
            sample: true,
            sample_archived: true,
            ..facts(at(2010, 1, 1))
        };
        assert_eq!(
            verdict(&f, day(2030, 1, 1), 5),
            Verdict::Keep(Keep::LegalHold)
        );
    }

    #[test]
    fn a_sample_cluster_waits_for_its_confirmed_archive_package() {
        let mut f = ClusterFacts {
            sample: true,
            ..facts(at(2010, 1, 1))
        };
        assert_eq!(
            verdict(&f, day(2030, 1, 1), 5),
            Verdict::Keep(Keep::ResearchSample)
        );
        f.sample_archived = true;
        assert_eq!(
            verdict(&f, day(2030, 1, 1), 5),
            Verdict::Erase(Rule::ArchivedSample)
        );
        // A recent sample cluster is simply recent.
        assert_eq!(verdict(&f, day(2012, 1, 1), 5), Verdict::Keep(Keep::Recent));
    }

    #[test]
    fn sample_days_parse_strictly() {
        assert_eq!(parse_sample_days("5,15,25"), Ok(vec![5, 15, 25]));
        assert_eq!(parse_sample_days(" 25 , 5"), Ok(vec![5, 25]));
        for bad in ["", "0", "32", "5,5", "a", "5;15"] {
            assert!(parse_sample_days(bad).is_err(), "{bad}");
        }
        let days = parse_sample_days(DEFAULT_SAMPLE_DAYS).expect("default");
        assert!(in_sample(Some(15), &days));
        assert!(!in_sample(Some(16), &days));
        assert!(!in_sample(None, &days));
    }

    #[test]
    fn a_hold_is_listed_for_review_the_day_after_its_review_date() {
        assert!(!hold_needs_review(day(2026, 1, 1), day(2026, 1, 1)));
        assert!(hold_needs_review(day(2026, 1, 1), day(2026, 1, 2)));
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn a_person_in_two_households_joins_them_and_their_cases_into_one_cluster() {
        let got = clusters(
            &s(&["p1", "p2", "p3", "p4"]),
            &s(&["h1", "h2", "h3"]),
            &pairs(&[("h1", "p1"), ("h1", "p2"), ("h2", "p2"), ("h3", "p3")]),
            &pairs(&[("c1", "h1"), ("c2", "h2"), ("c3", "h3"), ("cx", "nowhere")]),
        );
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].persons, s(&["p1", "p2"]));
        assert_eq!(got[0].households, s(&["h1", "h2"]));
        assert_eq!(got[0].cases, s(&["c1", "c2"]));
        assert_eq!(got[1].persons, s(&["p3"]));
        assert_eq!(got[1].cases, s(&["c3"]));
        // A person in no household is a cluster of its own.
        assert_eq!(got[2].persons, s(&["p4"]));
        assert!(got[2].cases.is_empty());
    }

    #[test]
    fn the_cluster_key_changes_when_the_membership_does() {
        let a = Cluster {
            persons: s(&["p1"]),
            households: s(&["h1"]),
            cases: s(&["c1"]),
        };
        let mut b = a.clone();
        assert_eq!(a.key(), b.key());
        b.cases.push("c2".into());
        assert_ne!(a.key(), b.key());
        let moved = Cluster {
            persons: s(&[]),
            households: s(&["p1", "h1"]),
            cases: s(&["c1"]),
        };
        assert_ne!(a.key(), moved.key());
    }
}
