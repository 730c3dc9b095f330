use super::*;
use chrono::TimeDelta;
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The fixed reference date of the example tests.
fn today() -> NaiveDate {
    date(2026, 6, 15)
}

fn parse(s: &str) -> Result<Personnummer, PersonnummerError> {
    Personnummer::parse_at(s, today())
}

fn ok(s: &str) -> Personnummer {
    match parse(s) {
        Ok(p) => p,
        Err(e) => panic!("{s}: {e}"),
    }
}

/// Luhn as usually stated (from the right, double every second digit, total divisible by
/// ten), written apart from the code under test.
fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                [0, 2, 4, 6, 8, 1, 3, 5, 7, 9][d as usize]
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// `nine` (`YYMMDDNNN`) followed by its check digit.
fn with_check(nine: &str) -> String {
    let c = (0..10).find(|c| luhn_valid(&format!("{nine}{c}"))).unwrap();
    format!("{nine}{c}")
}

fn no_ascii_digit(s: &str) -> bool {
    !s.bytes().any(|b| b.is_ascii_digit())
}

#[test]
fn skatteverket_test_numbers_are_valid() {
    let p = ok("19121212-1212");
    assert_eq!(p.birth_date(), date(1912, 12, 12));
    assert!(!p.is_coordination_number());
    assert_eq!(ok("811228-9874").birth_date(), date(1981, 12, 28));
    assert_eq!(ok("670919-9530").birth_date(), date(1967, 9, 19));
    let s = ok("701063-2391");
    assert!(s.is_coordination_number());
    assert_eq!(s.birth_date(), date(1970, 10, 3));
}

#[test]
fn every_form_parses_to_the_same_number() {
    let forms = ["19811228-9874", "198112289874", "811228-9874", "8112289874"];
    for form in forms {
        assert_eq!(ok(form), ok(forms[0]), "{form}");
    }
    assert_eq!(ok("121212+1212"), ok("19121212-1212"));
    assert_eq!(ok("7010632391"), ok("19701063-2391"));
}

#[test]
fn output_forms() {
    let p = ok("811228-9874");
    assert_eq!(p.canonical(), "198112289874");
    assert_eq!(p.formatted(), "19811228-9874");
    assert_eq!(p.masked(), "19811228-****");
    assert_eq!(p.birth_year(), 1981);
    let s = ok("701063-2391");
    assert_eq!(s.canonical(), "197010632391");
    assert_eq!(s.formatted(), "19701063-2391");
    assert_eq!(s.masked(), "19701063-****");
    assert_eq!(ok("000101-0008").canonical(), "200001010008");
}

#[test]
fn minus_or_no_separator_takes_the_latest_century_not_in_the_future() {
    // today() is 2026-06-15.
    let cases = [
        ("260615", date(2026, 6, 15)), // born today
        ("260614", date(2026, 6, 14)),
        ("260616", date(1926, 6, 16)), // 2026-06-16 is tomorrow: 99 years old
        ("270101", date(1927, 1, 1)),
        ("991231", date(1999, 12, 31)),
        ("000101", date(2000, 1, 1)),
    ];
    for (ymd, born) in cases {
        let ten = with_check(&format!("{ymd}123"));
        assert_eq!(ok(&ten).birth_date(), born, "{ten}");
        let dashed = format!("{}-{}", &ten[..6], &ten[6..]);
        assert_eq!(ok(&dashed).birth_date(), born, "{dashed}");
    }
}

#[test]
fn plus_means_a_hundred_or_older_counted_in_calendar_years() {
    // today() is 2026-06-15: `+` means born in 1926 or earlier.
    let cases = [
        ("260615", date(1926, 6, 15)), // 100 today
        ("260616", date(1926, 6, 16)), // turns 100 tomorrow: already `+` this year
        ("251231", date(1925, 12, 31)),
        ("270101", date(1827, 1, 1)), // 1927 would be 99
        ("000101", date(1900, 1, 1)),
    ];
    for (ymd, born) in cases {
        let ten = with_check(&format!("{ymd}123"));
        let plus = format!("{}+{}", &ten[..6], &ten[6..]);
        assert_eq!(ok(&plus).birth_date(), born, "{plus}");
    }
}

#[test]
fn leap_day_depends_on_the_resolved_century() {
    let ten = with_check("000229123");
    assert_eq!(ok(&ten).birth_date(), date(2000, 2, 29));
    let plus = format!("{}+{}", &ten[..6], &ten[6..]);
    assert_eq!(parse(&plus), Err(PersonnummerError::Date)); // 1900 is no leap year
    assert_eq!(
        ok(&format!("20{}", with_check("240229123"))).birth_year(),
        2024
    );
    for nine in ["230229123", "000229123"] {
        let century = if nine.starts_with("00") { "19" } else { "20" };
        let twelve = format!("{century}{}", with_check(nine));
        assert_eq!(parse(&twelve), Err(PersonnummerError::Date), "{twelve}");
    }
}

#[test]
fn twelve_digit_birth_date_after_today_is_refused() {
    let tomorrow = format!("20{}", with_check("260616123"));
    assert_eq!(parse(&tomorrow), Err(PersonnummerError::FutureBirthDate));
    let today_ = format!("20{}", with_check("260615123"));
    assert_eq!(ok(&today_).birth_date(), today());
}

#[test]
fn twelve_digit_form_with_plus_is_refused() {
    assert_eq!(parse("19121212+1212"), Err(PersonnummerError::Format));
}

#[test]
fn wrong_check_digit_is_refused() {
    for bad in ["19121212-1213", "811228-9875", "6709199531", "701063-2390"] {
        assert_eq!(parse(bad), Err(PersonnummerError::Checksum), "{bad}");
    }
}

#[test]
fn samordningsnummer_check_digit_covers_the_day_as_written() {
    // The personnummer crate computes it over day - 60, accepting the first and refusing
    // Skatteverket's 701063-2391.
    assert_eq!(parse("800161-3294"), Err(PersonnummerError::Checksum));
    assert_eq!(parse("701003-2391"), Err(PersonnummerError::Checksum));
    assert!(ok("800161-3291").is_coordination_number());
}

#[test]
fn invalid_calendar_dates_are_refused() {
    // Check digits are right, so only the date can be at fault.
    let nines = [
        "900230123", // 30 February
        "901301123", // month 13
        "900001123", // month 00
        "900100123", // day 00
        "900132123", // day 32
        "900160123", // samordning day 60 = day 00
        "900192123", // samordning day 92 = day 32
        "900290123", // samordning 30 February
        "910289123", // samordning 29 February in a common year
    ];
    for nine in nines {
        let ten = with_check(nine);
        assert_eq!(parse(&ten), Err(PersonnummerError::Date), "{ten}");
        assert_eq!(
            parse(&format!("19{ten}")),
            Err(PersonnummerError::Date),
            "19{ten}"
        );
    }
}

#[test]
fn garbage_is_a_format_error() {
    let inputs = [
        "",
        "   ",
        "abc",
        "19121212-121",
        "19121212-12122",
        "1912121212",
        "19121212--1212",
        "1912121-21212",
        "19121212_1212",
        "121212-12121",
        "121212 1212",
        "19121212 1212",
        "+121212-1212",
        "121212*1212",
        "1912-12-12-1212",
        "١٩١٢١٢١٢١٢١٢",
        "１２１２１２１２１２",
        "-1212121212",
    ];
    for input in inputs {
        let result = parse(input);
        // "1912121212" is ten digits: 12 December 2019, checked and refused by Luhn.
        if input == "1912121212" {
            assert_eq!(result, Err(PersonnummerError::Checksum));
        } else {
            assert_eq!(result, Err(PersonnummerError::Format), "{input:?}");
        }
    }
}

#[test]
fn surrounding_whitespace_is_trimmed_and_nothing_else() {
    assert_eq!(ok("  19121212-1212\n"), ok("191212121212"));
    assert_eq!(ok("\t8112289874 "), ok("811228-9874"));
    assert_eq!(parse("811228 -9874"), Err(PersonnummerError::Format));
    assert_eq!(parse("81 12 28-9874"), Err(PersonnummerError::Format));
}

#[test]
fn debug_is_redacted() {
    let p = ok("19121212-1212");
    assert_eq!(format!("{p:?}"), "Personnummer(****)");
    assert_eq!(format!("{:?}", Some(p)), "Some(Personnummer(****))");
    assert_eq!(format!("{p:#?}"), "Personnummer(****)");
}

#[test]
fn error_messages_contain_no_digits() {
    let all = [
        PersonnummerError::Format,
        PersonnummerError::Date,
        PersonnummerError::FutureBirthDate,
        PersonnummerError::Checksum,
    ];
    for e in all {
        assert!(no_ascii_digit(&e.to_string()), "{e}");
        assert!(no_ascii_digit(&format!("{e:?}")), "{e:?}");
    }
}

#[test]
fn minor_until_the_eighteenth_birthday() {
    let p = ok(&format!("20{}", with_check("080615123")));
    assert!(p.is_minor_at(date(2026, 6, 14)));
    assert!(!p.is_minor_at(date(2026, 6, 15)));
    assert_eq!(p.age_at(date(2026, 6, 14)), Some(17));
    assert_eq!(p.age_at(date(2026, 6, 15)), Some(18));
    assert_eq!(p.age_at(date(2008, 6, 15)), Some(0));
    assert_eq!(p.age_at(date(2008, 6, 14)), None);
    assert!(p.is_minor_at(date(2000, 1, 1)));
}

#[test]
fn leap_day_child_comes_of_age_on_first_of_march() {
    let p = ok(&format!("20{}", with_check("080229123")));
    assert!(p.is_minor_at(date(2026, 2, 28)));
    assert!(!p.is_minor_at(date(2026, 3, 1)));
    assert!(!p.is_minor_at(date(2028, 2, 29)));
}

#[test]
fn samordningsnummer_age_uses_the_real_birth_date() {
    let s = ok(&format!("20{}", with_check("080675123"))); // born 2008-06-15
    assert_eq!(s.birth_date(), date(2008, 6, 15));
    assert!(s.is_minor_at(date(2026, 6, 14)));
    assert!(!s.is_minor_at(date(2026, 6, 15)));
}

#[test]
fn from_str_and_try_from_use_the_current_date() {
    assert_eq!(
        "19121212-1212".parse::<Personnummer>(),
        Ok(ok("19121212-1212"))
    );
    assert_eq!(
        Personnummer::try_from("121212+1212"),
        Ok(ok("19121212-1212"))
    );
    assert_eq!(Personnummer::parse("x"), Err(PersonnummerError::Format));
}

/// A reference date, a birth date at most 199 calendar years before it (so every ten-digit
/// form can name it), samordningsnummer or not, and a birth number.
fn arb_number() -> impl Strategy<Value = (NaiveDate, NaiveDate, bool, u16)> {
    let first = date(1950, 1, 1);
    let span = (date(2150, 12, 31) - first).num_days();
    (0..=span)
        .prop_flat_map(move |t| {
            let today = first + TimeDelta::days(t);
            let back = (today - date(today.year() - 199, 1, 1)).num_days();
            (Just(today), 0..=back, any::<bool>(), 0u16..1000)
        })
        .prop_map(|(today, back, coord, n)| (today, today - TimeDelta::days(back), coord, n))
}

/// The twelve digits of a number, built here without the code under test.
fn twelve_digits(born: NaiveDate, coord: bool, n: u16) -> String {
    let day = born.day() + if coord { 60 } else { 0 };
    let nine = format!("{:02}{:02}{day:02}{n:03}", born.year() % 100, born.month());
    format!("{:02}{}", born.year() / 100, with_check(&nine))
}

proptest! {
    #[test]
    fn valid_numbers_round_trip_through_every_form((today, born, coord, n) in arb_number()) {
        let twelve = twelve_digits(born, coord, n);
        let ten = &twelve[2..];
        let (ymd, tail) = ten.split_at(6);
        let at = |s: &str| Personnummer::parse_at(s, today);
        let p = at(&twelve).unwrap();
        prop_assert_eq!(p.canonical(), twelve.clone());
        prop_assert_eq!(p.birth_date(), born);
        prop_assert_eq!(p.is_coordination_number(), coord);
        prop_assert_eq!(p.formatted(), format!("{}-{}", &twelve[..8], tail));
        prop_assert_eq!(p.masked(), format!("{}-****", &twelve[..8]));
        prop_assert_eq!(at(&p.formatted()), Ok(p));
        prop_assert_eq!(at(&p.canonical()), Ok(p));
        let age = today.year() - born.year()
            - i32::from((today.month(), today.day()) < (born.month(), born.day()));
        if age < 100 {
            prop_assert_eq!(at(ten), Ok(p));
            prop_assert_eq!(at(&format!("{ymd}-{tail}")), Ok(p));
        }
        if today.year() - born.year() >= 100 {
            prop_assert_eq!(at(&format!("{ymd}+{tail}")), Ok(p));
        }
        let debug = format!("{p:?}");
        prop_assert!(no_ascii_digit(&debug));
    }

    #[test]
    fn any_single_digit_change_after_the_century_is_refused(
        (today, born, coord, n) in arb_number(),
        pos in 2usize..12,
        delta in 1u8..10,
    ) {
        let mut bytes = twelve_digits(born, coord, n).into_bytes();
        bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(Personnummer::parse_at(&changed, today).is_err());
    }

    #[test]
    fn errors_never_show_the_input(input in any::<String>(), near in "[0-9+ -]{0,14}") {
        for s in [&input, &near] {
            if let Err(e) = Personnummer::parse_at(s, today()) {
                prop_assert!(no_ascii_digit(&e.to_string()));
                let debug = format!("{e:?}");
                prop_assert!(no_ascii_digit(&debug));
            }
        }
    }
}
