//! Swedish local time without a time-zone database: CET (UTC+1), and CEST (UTC+2) from 01:00 UTC
//! on the last Sunday of March to 01:00 UTC on the last Sunday of October (EU rule since 1996).
//! The law counts Swedish calendar dates, so a timestamp near midnight UTC can be another date.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};

fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }?;
    let last = next.pred_opt()?;
    let back = last.weekday().num_days_from_sunday();
    Some(last - Duration::days(i64::from(back)))
}

/// The UTC offset in force in Sweden at `utc`.
pub fn offset_hours(utc: NaiveDateTime) -> i64 {
    let year = utc.year();
    let start = last_sunday(year, 3).and_then(|d| d.and_hms_opt(1, 0, 0));
    let end = last_sunday(year, 10).and_then(|d| d.and_hms_opt(1, 0, 0));
    match (start, end) {
        (Some(s), Some(e)) if utc >= s && utc < e => 2,
        _ => 1,
    }
}

/// The Swedish calendar date at `utc`.
pub fn date_at(utc: DateTime<Utc>) -> NaiveDate {
    let naive = utc.naive_utc();
    (naive + Duration::hours(offset_hours(naive))).date()
}

/// The UTC instant at which the Swedish date `date` begins (midnight is never in a summer-time
/// change, which happens at 01:00 UTC).
pub fn start_of_day_utc(date: NaiveDate) -> NaiveDateTime {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    // The evening before, in UTC, has the offset in force at local midnight.
    let offset = offset_hours(midnight - Duration::hours(1));
    midnight - Duration::hours(offset)
}

/// Today's date in Sweden.
pub fn today() -> NaiveDate {
    date_at(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn utc(s: &str) -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
            .expect("time")
            .and_utc()
    }

    #[test]
    fn a_swedish_day_starts_at_23_or_22_utc_the_day_before() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("d");
        assert_eq!(
            start_of_day_utc(d(2026, 1, 16)),
            utc("2026-01-15 23:00").naive_utc()
        );
        assert_eq!(
            start_of_day_utc(d(2026, 7, 16)),
            utc("2026-07-15 22:00").naive_utc()
        );
        // The day of the change to summer time still begins at winter time.
        assert_eq!(
            start_of_day_utc(d(2026, 3, 29)),
            utc("2026-03-28 23:00").naive_utc()
        );
        assert_eq!(date_at(utc("2026-03-28 23:00")), d(2026, 3, 29));
    }

    #[test]
    fn a_timestamp_near_midnight_utc_is_the_next_swedish_date() {
        assert_eq!(
            date_at(utc("2026-01-15 23:30")),
            NaiveDate::from_ymd_opt(2026, 1, 16).expect("d")
        );
        assert_eq!(
            date_at(utc("2026-07-15 22:30")),
            NaiveDate::from_ymd_opt(2026, 7, 16).expect("d")
        );
        assert_eq!(
            date_at(utc("2026-07-15 21:59")),
            NaiveDate::from_ymd_opt(2026, 7, 15).expect("d")
        );
    }

    #[test]
    fn summer_time_follows_the_eu_rule() {
        assert_eq!(last_sunday(2026, 3), NaiveDate::from_ymd_opt(2026, 3, 29));
        assert_eq!(last_sunday(2026, 10), NaiveDate::from_ymd_opt(2026, 10, 25));
        assert_eq!(offset_hours(utc("2026-03-29 00:59").naive_utc()), 1);
        assert_eq!(offset_hours(utc("2026-03-29 01:00").naive_utc()), 2);
        assert_eq!(offset_hours(utc("2026-10-25 00:59").naive_utc()), 2);
        assert_eq!(offset_hours(utc("2026-10-25 01:00").naive_utc()), 1);
        assert_eq!(Weekday::Sun, last_sunday(2030, 10).expect("d").weekday());
    }
}
