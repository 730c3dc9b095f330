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
mod tests;
