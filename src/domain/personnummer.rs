//! Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer).
//!
//! A number is a birth date, a three-digit birth number and a Luhn check digit computed over the
//! ten-digit form `YYMMDDNNN`. A samordningsnummer adds 60 to the day, and the check digit is
//! computed over the digits as written (day + 60). Accepted forms, after trimming surrounding
//! whitespace only: `YYYYMMDD-NNNN`, `YYYYMMDDNNNN`, `YYMMDD-NNNN`, `YYMMDDNNNN`, `YYMMDD+NNNN`.
//!
//! The ten-digit forms leave out the century, so parsing them needs a reference date (`today`):
//! - `-` or no separator: the person is under 100, so the birth date is the latest one ending in
//!   `YY` that is not after `today`.
//! - `+`: the person is 100 or older. Skatteverket switches the separator on 1 January of the
//!   year the person turns 100, so `+` means a birth year at least 100 years before `today`'s
//!   year (someone turning 100 later this year is already written with `+`).
//!
//! A twelve-digit form with `+` is refused: the century is explicit, so the `+` can only
//! contradict it. A twelve-digit birth date after `today` is refused too.
//!
//! The number is personal data (SPEC §9): `Debug` and the errors never show its digits, and there
//! is no `Display` or serde. Use [`Personnummer::canonical`] for storage and the blind index,
//! [`Personnummer::masked`] for lists and logs, and [`Personnummer::formatted`] only where a
//! person must read the full number.
//!
//! Why not the `personnummer` crate (3.1.1, MIT): it computes the check digit over day − 60 for a
//! samordningsnummer, so it rejects Skatteverket's test number 701063-2391 and accepts 800161-3294,
//! whose check digit is wrong; it always puts ten-digit forms in the 1900s and ignores `+`;
//! parsing and validation are separate steps (a bad check digit still parses); and it brings
//! `regex` and `lazy_static` for twelve digits. The rules fit in the code below, on `std` and
//! `chrono`.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Local, NaiveDate};

/// Added to the day of birth in a samordningsnummer.
const COORDINATION_DAY_OFFSET: u32 = 60;

/// Age below which a person is a child (föräldrabalken 9:1).
const AGE_OF_MAJORITY: u32 = 18;

/// A valid personnummer or samordningsnummer. Can only be built by parsing.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Personnummer {
    birth_date: NaiveDate,
    coordination: bool,
    /// The three-digit birth number (födelsenummer), 0..=999.
    birth_number: u16,
    check_digit: u8,
}

/// Why a string is not a personnummer. The messages never contain the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PersonnummerError {
    /// Not one of the accepted textual forms.
    Format,
    /// The date part is not a calendar date (for a samordningsnummer, after taking 60 from the
    /// day), e.g. a 30th of February or a 13th month.
    Date,
    /// The birth date is after the reference date.
    FutureBirthDate,
    /// The last digit is not the Luhn check digit of the nine before it.
    Checksum,
}

impl fmt::Display for PersonnummerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PersonnummerError::Format => {
                "personnummer must be YYYYMMDD-NNNN, YYYYMMDDNNNN, YYMMDD-NNNN, YYMMDD+NNNN or \
                 YYMMDDNNNN"
            }
            PersonnummerError::Date => "personnummer does not contain a valid birth date",
            PersonnummerError::FutureBirthDate => "personnummer has a birth date in the future",
            PersonnummerError::Checksum => "personnummer check digit is wrong",
        })
    }
}

impl std::error::Error for PersonnummerError {}

impl Personnummer {
    /// Parse any accepted form, resolving the century of ten-digit forms against today's local
    /// date.
    pub fn parse(input: &str) -> Result<Self, PersonnummerError> {
        Self::parse_at(input, Local::now().date_naive())
    }

    /// Parse any accepted form, resolving the century of ten-digit forms against `today`.
    pub fn parse_at(input: &str, today: NaiveDate) -> Result<Self, PersonnummerError> {
        let raw = RawNumber::split(input.trim())?;
        let (day, coordination) = if raw.day_field > COORDINATION_DAY_OFFSET {
            (raw.day_field - COORDINATION_DAY_OFFSET, true)
        } else {
            (raw.day_field, false)
        };
        let year = match raw.century {
            Century::Explicit(year) => year,
            Century::UnderHundred => latest_year_not_after(raw.yy, (raw.month, day), today),
            Century::HundredOrOlder => {
                let limit = today.year() - 100;
                limit - (limit - raw.yy).rem_euclid(100)
            }
        };
        let birth_date =
            NaiveDate::from_ymd_opt(year, raw.month, day).ok_or(PersonnummerError::Date)?;
        if birth_date > today {
            return Err(PersonnummerError::FutureBirthDate);
        }
        let [y1, y2, m1, m2, d1, d2, n1, n2, n3, check_digit] = raw.ten;
        if luhn_check_digit([y1, y2, m1, m2, d1, d2, n1, n2, n3]) != check_digit {
            return Err(PersonnummerError::Checksum);
        }
        Ok(Self {
            birth_date,
            coordination,
            birth_number: u16::from(n1) * 100 + u16::from(n2) * 10 + u16::from(n3),
            check_digit,
        })
    }

    /// Twelve digits, `YYYYMMDDNNNN`: the form to encrypt and to feed the blind index.
    pub fn canonical(&self) -> String {
        format!(
            "{}{:03}{}",
            self.date_part(),
            self.birth_number,
            self.check_digit
        )
    }

    /// `YYYYMMDD-NNNN`, for a person who must read the full number.
    pub fn formatted(&self) -> String {
        format!(
            "{}-{:03}{}",
            self.date_part(),
            self.birth_number,
            self.check_digit
        )
    }

    /// `YYYYMMDD-****`: the date part as written (day + 60 for a samordningsnummer), last four
    /// hidden.
    pub fn masked(&self) -> String {
        format!("{}-****", self.date_part())
    }

    /// The real birth date (for a samordningsnummer, with 60 taken from the day).
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// The birth year, as stored on Person (§3).
    pub fn birth_year(&self) -> i32 {
        self.birth_date.year()
    }

    /// Whether this is a samordningsnummer (day + 60).
    pub fn is_coordination_number(&self) -> bool {
        self.coordination
    }

    /// Age in whole years on `on`, or `None` if `on` is before the birth date. Someone born on
    /// 29 February gets a year older on 1 March in common years.
    pub fn age_at(&self, on: NaiveDate) -> Option<u32> {
        if on < self.birth_date {
            return None;
        }
        let born = (self.birth_date.month(), self.birth_date.day());
        let birthday_passed = (on.month(), on.day()) >= born;
        let years = on.year() - self.birth_date.year() - i32::from(!birthday_passed);
        u32::try_from(years).ok()
    }

    /// Under 18 on `on`. A date before the birth date counts as a minor (the child-protection
    /// rules stay on rather than off).
    pub fn is_minor_at(&self, on: NaiveDate) -> bool {
        self.age_at(on).is_none_or(|age| age < AGE_OF_MAJORITY)
    }

    /// `YYYYMMDD` as written in the number.
    fn date_part(&self) -> String {
        let offset = if self.coordination {
            COORDINATION_DAY_OFFSET
        } else {
            0
        };
        format!(
            "{:04}{:02}{:02}",
            self.birth_date.year(),
            self.birth_date.month(),
            self.birth_date.day() + offset
        )
    }
}

impl fmt::Debug for Personnummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Personnummer(****)")
    }
}

impl FromStr for Personnummer {
    type Err = PersonnummerError;

    /// Same as [`Personnummer::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for Personnummer {
    type Error = PersonnummerError;

    /// Same as [`Personnummer::parse`].
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

/// How the century of the birth year is known.
enum Century {
    /// Written out: a twelve-digit form.
    Explicit(i32),
    /// Ten digits with `-` or no separator.
    UnderHundred,
    /// Ten digits with `+`.
    HundredOrOlder,
}

/// The digits of an input that has one of the accepted shapes, not yet checked for meaning.
struct RawNumber {
    century: Century,
    /// `YYMMDDNNNC`.
    ten: [u8; 10],
    yy: i32,
    month: u32,
    day_field: u32,
}

impl RawNumber {
    fn split(s: &str) -> Result<Self, PersonnummerError> {
        let b = s.as_bytes();
        // Lengths are in bytes; any non-ASCII byte fails the digit check below.
        let (digits, century) = match (b.len(), b.get(6), b.get(8)) {
            (13, _, Some(b'-')) => (digits::<12>(&[&b[..8], &b[9..]])?, None),
            (12, _, _) => (digits::<12>(&[b])?, None),
            (11, Some(b'-'), _) => (pad(digits::<10>(&[&b[..6], &b[7..]])?), Some(false)),
            (11, Some(b'+'), _) => (pad(digits::<10>(&[&b[..6], &b[7..]])?), Some(true)),
            (10, _, _) => (pad(digits::<10>(&[b])?), Some(false)),
            _ => return Err(PersonnummerError::Format),
        };
        let two = |i: usize| u16::from(digits[i]) * 10 + u16::from(digits[i + 1]);
        let century = match century {
            None => Century::Explicit(i32::from(two(0) * 100 + two(2))),
            Some(false) => Century::UnderHundred,
            Some(true) => Century::HundredOrOlder,
        };
        let mut ten = [0; 10];
        ten.copy_from_slice(&digits[2..]);
        Ok(Self {
            century,
            ten,
            yy: i32::from(two(2)),
            month: u32::from(two(4)),
            day_field: u32::from(two(6)),
        })
    }
}

/// Exactly `N` ASCII digits, taken in order from `parts`, as numbers 0..=9.
fn digits<const N: usize>(parts: &[&[u8]]) -> Result<[u8; N], PersonnummerError> {
    let mut out = [0; N];
    let mut n = 0;
    for &byte in parts.iter().flat_map(|p| p.iter()) {
        if !byte.is_ascii_digit() || n == N {
            return Err(PersonnummerError::Format);
        }
        out[n] = byte - b'0';
        n += 1;
    }
    if n == N {
        Ok(out)
    } else {
        Err(PersonnummerError::Format)
    }
}

/// A ten-digit number as the last ten of twelve (the century digits unused).
fn pad(ten: [u8; 10]) -> [u8; 12] {
    let mut out = [0; 12];
    out[2..].copy_from_slice(&ten);
    out
}

/// The latest year ending in `yy` whose `(month, day)` is not after `today`.
fn latest_year_not_after(yy: i32, (month, day): (u32, u32), today: NaiveDate) -> i32 {
    let year = today.year() - (today.year() - yy).rem_euclid(100);
    if year == today.year() && (month, day) > (today.month(), today.day()) {
        year - 100
    } else {
        year
    }
}

/// The Luhn check digit over `YYMMDDNNN` (weights 2, 1, 2, … from the left).
fn luhn_check_digit(digits: [u8; 9]) -> u8 {
    // Nine digits of at most 9 each: the sum stays far below u8::MAX.
    let sum: u8 = digits
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let v = if i % 2 == 0 { d * 2 } else { d };
            if v > 9 { v - 9 } else { v }
        })
        .sum();
    (10 - sum % 10) % 10
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
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
}
