//! Swedish public holidays and the days that extend a statutory deadline.
//!
//! - Public holidays (allmänna helgdagar) follow lag (1989:253) om allmänna helgdagar: the fixed
//!   days (New Year's Day, Epiphany, May Day, National Day, Christmas Day, Boxing Day), the
//!   Easter-based days (Good Friday, Easter Sunday, Easter Monday, Ascension Day, Whitsun) and the
//!   weekday-based days (Midsummer Day, All Saints' Day). Easter uses the Gregorian computus.
//! - Lag (1930:173) om beräkning av lagstadgad tid, 2 §: when the last day for an action falls on
//!   a Sunday, another public holiday, a Saturday, Midsummer Eve, Christmas Eve or New Year's Eve,
//!   the action may be taken on the next weekday (vardag) that is none of those.
//!
//! The current rules are applied to every year (the proleptic Gregorian calendar), also to years
//! before they took effect: National Day has been a holiday, and Whit Monday not, since 2005.
//! All functions are pure and work for any year `chrono::NaiveDate` can represent; the few that
//! could step past `NaiveDate::MAX` return `Option`.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// A Swedish public holiday, or one of the three eves that extend a deadline like a holiday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HolidayKind {
    /// Nyårsdagen, 1 January.
    NewYearsDay,
    /// Trettondedag jul, 6 January.
    Epiphany,
    /// Långfredagen, the Friday before Easter Sunday.
    GoodFriday,
    /// Påskdagen.
    EasterSunday,
    /// Annandag påsk, the Monday after Easter Sunday.
    EasterMonday,
    /// Första maj, 1 May.
    MayDay,
    /// Kristi himmelsfärdsdag, the sixth Thursday after Easter Sunday.
    AscensionDay,
    /// Pingstdagen, the seventh Sunday after Easter Sunday.
    Whitsun,
    /// Sveriges nationaldag, 6 June.
    NationalDay,
    /// Midsommardagen, the Saturday between 20 and 26 June.
    MidsummerDay,
    /// Alla helgons dag, the Saturday between 31 October and 6 November.
    AllSaintsDay,
    /// Juldagen, 25 December.
    ChristmasDay,
    /// Annandag jul, 26 December.
    BoxingDay,
    /// Midsommarafton, the Friday between 19 and 25 June (not a public holiday; extends deadlines).
    MidsummerEve,
    /// Julafton, 24 December (not a public holiday; extends deadlines).
    ChristmasEve,
    /// Nyårsafton, 31 December (not a public holiday; extends deadlines).
    NewYearsEve,
}

impl HolidayKind {
    /// Every kind, public holidays first, in calendar order within each group.
    pub const ALL: [HolidayKind; 16] = [
        Self::NewYearsDay,
        Self::Epiphany,
        Self::GoodFriday,
        Self::EasterSunday,
        Self::EasterMonday,
        Self::MayDay,
        Self::AscensionDay,
        Self::Whitsun,
        Self::NationalDay,
        Self::MidsummerDay,
        Self::AllSaintsDay,
        Self::ChristmasDay,
        Self::BoxingDay,
        Self::MidsummerEve,
        Self::ChristmasEve,
        Self::NewYearsEve,
    ];

    /// Stable snake_case name (ASCII Swedish), as used in the holiday fixture and in APIs.
    pub const fn name(self) -> &'static str {
        match self {
            Self::NewYearsDay => "nyarsdagen",
            Self::Epiphany => "trettondedag_jul",
            Self::GoodFriday => "langfredagen",
            Self::EasterSunday => "paskdagen",
            Self::EasterMonday => "annandag_pask",
            Self::MayDay => "forsta_maj",
            Self::AscensionDay => "kristi_himmelsfardsdag",
            Self::Whitsun => "pingstdagen",
            Self::NationalDay => "nationaldagen",
            Self::MidsummerDay => "midsommardagen",
            Self::AllSaintsDay => "alla_helgons_dag",
            Self::ChristmasDay => "juldagen",
            Self::BoxingDay => "annandag_jul",
            Self::MidsummerEve => "midsommarafton",
            Self::ChristmasEve => "julafton",
            Self::NewYearsEve => "nyarsafton",
        }
    }

    /// The kind with this [`name`](Self::name), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Swedish display name.
    pub const fn swedish_name(self) -> &'static str {
        match self {
            Self::NewYearsDay => "Nyårsdagen",
            Self::Epiphany => "Trettondedag jul",
            Self::GoodFriday => "Långfredagen",
            Self::EasterSunday => "Påskdagen",
            Self::EasterMonday => "Annandag påsk",
            Self::MayDay => "Första maj",
            Self::AscensionDay => "Kristi himmelsfärdsdag",
            Self::Whitsun => "Pingstdagen",
            Self::NationalDay => "Sveriges nationaldag",
            Self::MidsummerDay => "Midsommardagen",
            Self::AllSaintsDay => "Alla helgons dag",
            Self::ChristmasDay => "Juldagen",
            Self::BoxingDay => "Annandag jul",
            Self::MidsummerEve => "Midsommarafton",
            Self::ChristmasEve => "Julafton",
            Self::NewYearsEve => "Nyårsafton",
        }
    }

    /// English display name.
    pub const fn english_name(self) -> &'static str {
        match self {
            Self::NewYearsDay => "New Year's Day",
            Self::Epiphany => "Epiphany",
            Self::GoodFriday => "Good Friday",
            Self::EasterSunday => "Easter Sunday",
            Self::EasterMonday => "Easter Monday",
            Self::MayDay => "May Day",
            Self::AscensionDay => "Ascension Day",
            Self::Whitsun => "Whitsun",
            Self::NationalDay => "National Day of Sweden",
            Self::MidsummerDay => "Midsummer Day",
            Self::AllSaintsDay => "All Saints' Day",
            Self::ChristmasDay => "Christmas Day",
            Self::BoxingDay => "Boxing Day",
            Self::MidsummerEve => "Midsummer Eve",
            Self::ChristmasEve => "Christmas Eve",
            Self::NewYearsEve => "New Year's Eve",
        }
    }

    /// True for the public holidays of lag (1989:253); false for the three eves.
    pub const fn is_public_holiday(self) -> bool {
        !matches!(
            self,
            Self::MidsummerEve | Self::ChristmasEve | Self::NewYearsEve
        )
    }

    /// The date of this day in `year`, or `None` outside the range `NaiveDate` can represent.
    pub fn date_in(self, year: i32) -> Option<NaiveDate> {
        self.date_with_easter(year, easter_sunday(year))
    }

    fn date_with_easter(self, year: i32, easter: Option<NaiveDate>) -> Option<NaiveDate> {
        let fixed = |month, day| NaiveDate::from_ymd_opt(year, month, day);
        let after_easter = |days| easter?.checked_add_days(Days::new(days));
        match self {
            Self::NewYearsDay => fixed(1, 1),
            Self::Epiphany => fixed(1, 6),
            Self::GoodFriday => easter?.checked_sub_days(Days::new(2)),
            Self::EasterSunday => easter,
            Self::EasterMonday => after_easter(1),
            Self::MayDay => fixed(5, 1),
            Self::AscensionDay => after_easter(39),
            Self::Whitsun => after_easter(49),
            Self::NationalDay => fixed(6, 6),
            Self::MidsummerDay => first_on_or_after(fixed(6, 20)?, Weekday::Sat),
            Self::AllSaintsDay => first_on_or_after(fixed(10, 31)?, Weekday::Sat),
            Self::ChristmasDay => fixed(12, 25),
            Self::BoxingDay => fixed(12, 26),
            Self::MidsummerEve => first_on_or_after(fixed(6, 19)?, Weekday::Fri),
            Self::ChristmasEve => fixed(12, 24),
            Self::NewYearsEve => fixed(12, 31),
        }
    }
}

/// One dated occurrence of a [`HolidayKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Holiday {
    /// The calendar date.
    pub date: NaiveDate,
    /// Which day it is.
    pub kind: HolidayKind,
}

/// Easter Sunday of `year` (Gregorian computus, the anonymous "Meeus/Jones/Butcher" algorithm).
/// `None` only outside the range `NaiveDate` can represent.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    // Euclidean division keeps the algorithm correct for years <= 0 as well.
    let y = i64::from(year);
    let a = y.rem_euclid(19);
    let (b, c) = (y.div_euclid(100), y.rem_euclid(100));
    let (d, e) = (b.div_euclid(4), b.rem_euclid(4));
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let (i, k) = (c.div_euclid(4), c.rem_euclid(4));
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    let month = u32::try_from(n.div_euclid(31)).ok()?;
    let day = u32::try_from(n.rem_euclid(31) + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Every public holiday and deadline-extending eve of `year`, sorted by date (then kind). Two kinds
/// can share a date (Ascension Day on May Day, as in 2008; Whitsun on National Day): both are listed.
pub fn holidays_in_year(year: i32) -> Vec<Holiday> {
    let easter = easter_sunday(year);
    let mut days: Vec<Holiday> = HolidayKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let date = kind.date_with_easter(year, easter)?;
            Some(Holiday { date, kind })
        })
        .collect();
    days.sort_unstable();
    days
}

/// The public holidays and deadline-extending eves falling on `date` (usually none, at most two).
pub fn holidays_on(date: NaiveDate) -> Vec<HolidayKind> {
    let easter = easter_sunday(date.year());
    HolidayKind::ALL
        .into_iter()
        .filter(|kind| kind.date_with_easter(date.year(), easter) == Some(date))
        .collect()
}

/// True when `date` is a public holiday under lag (1989:253) (the eves are not).
pub fn is_public_holiday(date: NaiveDate) -> bool {
    holidays_on(date)
        .iter()
        .any(|kind| kind.is_public_holiday())
}

/// True when a statutory deadline ending on `date` moves on (lag (1930:173) 2 §): a Saturday,
/// a Sunday, a public holiday, Midsummer Eve, Christmas Eve or New Year's Eve.
pub fn is_deadline_extending_day(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun) || !holidays_on(date).is_empty()
}

/// True when `date` is a weekday on which a statutory deadline can end.
pub fn is_business_day(date: NaiveDate) -> bool {
    !is_deadline_extending_day(date)
}

/// The first business day strictly after `date`. `None` only past `NaiveDate::MAX`.
pub fn next_business_day(date: NaiveDate) -> Option<NaiveDate> {
    roll_forward(date.succ_opt()?)
}

/// A deadline ending on `date` as extended by lag (1930:173) 2 §: `date` itself when it is a
/// business day, otherwise the next business day. `None` only past `NaiveDate::MAX`.
pub fn roll_forward(date: NaiveDate) -> Option<NaiveDate> {
    let mut day = date;
    // At most five days in a row extend a deadline (Christmas Eve on a Wednesday through Sunday).
    while is_deadline_extending_day(day) {
        day = day.succ_opt()?;
    }
    Some(day)
}

/// The first `weekday` on or after `from`.
fn first_on_or_after(from: NaiveDate, weekday: Weekday) -> Option<NaiveDate> {
    let ahead = (7 + weekday.num_days_from_monday() - from.weekday().num_days_from_monday()) % 7;
    from.checked_add_days(Days::new(u64::from(ahead)))
}

#[cfg(test)]
#[allow(clippy::expect_used)] // a failed expectation is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    const FIXTURE: &str = include_str!("../../tests/fixtures/swedish-holidays-2024-2030.json");

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("valid test date")
    }

    /// `(name, date)` for every day the fixture lists in `year`, and which of them are eves.
    fn fixture_year(year: i32) -> (BTreeSet<(String, NaiveDate)>, BTreeSet<NaiveDate>) {
        let json: serde_json::Value = serde_json::from_str(FIXTURE).expect("fixture is JSON");
        let entry = &json["years"][year.to_string()];
        let mut all = BTreeSet::new();
        let mut eves = BTreeSet::new();
        for group in ["public_holidays", "also_extend_statutory_deadlines"] {
            let days = entry[group]
                .as_object()
                .expect("fixture group is an object");
            for (name, day) in days {
                let day = date(day.as_str().expect("fixture date is a string"));
                all.insert((name.clone(), day));
                if group != "public_holidays" {
                    eves.insert(day);
                }
            }
        }
        (all, eves)
    }

    #[test]
    fn computed_holidays_equal_the_fixture_2024_to_2030() {
        for year in 2024..=2030 {
            let (expected, expected_eves) = fixture_year(year);
            assert_eq!(
                expected.len(),
                16,
                "fixture {year} has 13 holidays + 3 eves"
            );
            let computed: BTreeSet<(String, NaiveDate)> = holidays_in_year(year)
                .into_iter()
                .map(|h| (h.kind.name().to_owned(), h.date))
                .collect();
            assert_eq!(computed, expected, "year {year}");
            let computed_eves: BTreeSet<NaiveDate> = holidays_in_year(year)
                .into_iter()
                .filter(|h| !h.kind.is_public_holiday())
                .map(|h| h.date)
                .collect();
            assert_eq!(computed_eves, expected_eves, "eves {year}");
        }
    }

    #[test]
    fn every_day_2024_to_2030_extends_a_deadline_exactly_when_the_fixture_or_weekend_says_so() {
        for year in 2024..=2030 {
            let (expected, eves) = fixture_year(year);
            let listed: BTreeSet<NaiveDate> = expected.iter().map(|(_, d)| *d).collect();
            let mut day = date(&format!("{year}-01-01"));
            while day.year() == year {
                let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
                assert_eq!(
                    is_deadline_extending_day(day),
                    weekend || listed.contains(&day)
                );
                let holiday = listed.contains(&day) && !eves.contains(&day);
                assert_eq!(is_public_holiday(day), holiday, "{day}");
                day = day.succ_opt().expect("inside the calendar");
            }
        }
    }

    #[test]
    fn easter_sunday_matches_known_dates_including_the_extremes() {
        for (year, expected) in [
            (1818, "1818-03-22"),
            (1943, "1943-04-25"),
            (2000, "2000-04-23"),
            (2008, "2008-03-23"),
            (2019, "2019-04-21"),
            (2038, "2038-04-25"),
            (2285, "2285-03-22"),
        ] {
            assert_eq!(easter_sunday(year), Some(date(expected)), "{year}");
        }
    }

    #[test]
    fn coinciding_holidays_are_all_reported() {
        // 2008: Easter 23 March, so Ascension Day fell on May Day.
        assert_eq!(
            holidays_on(date("2008-05-01")),
            vec![HolidayKind::MayDay, HolidayKind::AscensionDay]
        );
        assert_eq!(holidays_in_year(2008).len(), 16);
    }

    #[test]
    fn whit_monday_and_easter_saturday_are_ordinary_days() {
        assert!(is_business_day(date("2025-06-09"))); // annandag pingst, abolished 2005
        assert!(is_deadline_extending_day(date("2025-04-19"))); // påskafton: only as a Saturday
        assert!(holidays_on(date("2025-04-19")).is_empty());
    }

    #[test]
    fn roll_forward_and_next_business_day() {
        let cases = [
            ("2025-05-07", "2025-05-07", "2025-05-08"), // ordinary Wednesday
            ("2025-06-06", "2025-06-09", "2025-06-09"), // National Day (Fri) → Mon
            ("2025-06-20", "2025-06-23", "2025-06-23"), // Midsummer Eve → Mon
            ("2025-12-24", "2025-12-29", "2025-12-29"), // Christmas Eve (Wed) → Mon
            ("2025-12-31", "2026-01-02", "2026-01-02"), // New Year's Eve → Fri
            ("2025-04-18", "2025-04-22", "2025-04-22"), // Good Friday → Tue after Easter
            ("2025-05-29", "2025-05-30", "2025-05-30"), // Ascension Day (Thu) → Fri
            ("2025-11-01", "2025-11-03", "2025-11-03"), // All Saints' Day (Sat) → Mon
        ];
        for (from, rolled, next) in cases {
            assert_eq!(roll_forward(date(from)), Some(date(rolled)), "{from}");
            assert_eq!(next_business_day(date(from)), Some(date(next)), "{from}");
        }
        assert_eq!(roll_forward(NaiveDate::MAX), None); // 31 December is New Year's Eve
    }

    #[test]
    fn names_round_trip_and_are_unique() {
        let names: BTreeSet<&str> = HolidayKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), HolidayKind::ALL.len());
        for kind in HolidayKind::ALL {
            assert_eq!(HolidayKind::from_name(kind.name()), Some(kind));
            assert!(!kind.swedish_name().is_empty() && !kind.english_name().is_empty());
        }
        assert_eq!(HolidayKind::from_name("annandag_pingst"), None);
    }

    proptest! {
        #[test]
        fn holidays_keep_their_weekday_and_window(year in -4000i32..=200_000) {
            let easter = easter_sunday(year).expect("representable year");
            let (start, end) = (date_in(year, 3, 22), date_in(year, 4, 25));
            prop_assert!(easter >= start && easter <= end);
            let on = |kind: HolidayKind| kind.date_in(year).expect("representable year");
            prop_assert_eq!(on(HolidayKind::EasterSunday).weekday(), Weekday::Sun);
            prop_assert_eq!(on(HolidayKind::GoodFriday).weekday(), Weekday::Fri);
            prop_assert_eq!(on(HolidayKind::EasterMonday).weekday(), Weekday::Mon);
            prop_assert_eq!(on(HolidayKind::AscensionDay).weekday(), Weekday::Thu);
            prop_assert_eq!(on(HolidayKind::Whitsun).weekday(), Weekday::Sun);
            let eve = on(HolidayKind::MidsummerEve);
            prop_assert!(eve.weekday() == Weekday::Fri && (19..=25).contains(&eve.day()));
            prop_assert_eq!(on(HolidayKind::MidsummerDay), eve.succ_opt().expect("June"));
            let saints = on(HolidayKind::AllSaintsDay);
            prop_assert!(saints.weekday() == Weekday::Sat);
            prop_assert!(saints >= date_in(year, 10, 31) && saints <= date_in(year, 11, 6));
        }

        #[test]
        fn roll_forward_lands_on_the_first_business_day(days in 0u64..200_000) {
            let from = date("1900-01-01") + Days::new(days);
            let rolled = roll_forward(from).expect("inside the calendar");
            prop_assert!(rolled >= from && is_business_day(rolled));
            prop_assert!((rolled - from).num_days() <= 5);
            prop_assert!(from.iter_days().take_while(|d| *d < rolled).all(is_deadline_extending_day));
            prop_assert!(next_business_day(from).expect("inside the calendar") > from);
        }
    }

    fn date_in(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("valid date")
    }
}
