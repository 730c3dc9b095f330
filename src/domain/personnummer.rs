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

use chrono::{Datelike, NaiveDate};

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
    /// Parse any accepted form, resolving the century of ten-digit forms against today's Swedish
    /// date (not the machine's: a server on UTC would read a number differently for an hour).
    pub fn parse(input: &str) -> Result<Self, PersonnummerError> {
        Self::parse_at(input, crate::domain::sweden::today())
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
mod tests;
