use super::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

const FIXTURE: &str = include_str!("../../../tests/fixtures/swedish-holidays-2024-2030.json");

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
