//! Sign-in throttling per username (security table rows 12 and 13): after [`FREE_FAILURES`]
//! failures a name waits 1 s, doubling per failure up to [`MAX_BACKOFF_SECS`], answered with 429
//! before any hashing. The counter is kept the same way for every name typed, whether an account
//! has it or not, keyed by a keyed hash of the name: a 429 after five tries says nothing about
//! whether the account exists. A name left alone for [`DECAY`] starts over (and its row is
//! purged), so no lock is permanent and the table does not grow without bound.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::crypto::field::BlindIndex;
use crate::db::AnyConnection;
use crate::db::schema::login_throttle;

/// Failures allowed before the backoff starts.
pub const FREE_FAILURES: i32 = 5;
/// The longest a name waits between attempts.
pub const MAX_BACKOFF_SECS: i64 = 900;
/// After this long without a failure a name starts over.
pub const DECAY: Duration = Duration::hours(24);

/// How long a name waits after `failures` consecutive failures.
pub fn backoff_secs(failures: i32) -> Option<i64> {
    (failures >= FREE_FAILURES).then(|| {
        let exp = (failures - FREE_FAILURES).min(20) as u32;
        2_i64.saturating_pow(exp).min(MAX_BACKOFF_SECS)
    })
}

/// The count after one more failure at `now`, given the last (count, time), if any.
pub fn failures_after(last: Option<(i32, NaiveDateTime)>, now: NaiveDateTime) -> i32 {
    match last {
        Some((n, at)) if now - at < DECAY => n.saturating_add(1),
        _ => 1,
    }
}

/// The throttle key of a (normalized) username: never the name itself.
pub fn key(blind: &BlindIndex, username: &str) -> String {
    blind.of("login-throttle", username)
}

/// Until when the name must wait, if it must.
pub fn locked_until(
    conn: &mut AnyConnection,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    let until: Option<Option<NaiveDateTime>> = login_throttle::table
        .find(key)
        .select(login_throttle::locked_until)
        .first(conn)
        .optional()?;
    Ok(until.flatten().filter(|t| *t > now))
}

/// Count a failure (in the caller's transaction).
pub fn record_failure(conn: &mut AnyConnection, key: &str, now: NaiveDateTime) -> QueryResult<()> {
    let last: Option<(i32, NaiveDateTime)> = login_throttle::table
        .find(key)
        .select((login_throttle::failures, login_throttle::last_failure_at))
        .first(conn)
        .optional()?;
    let failures = failures_after(last, now);
    let until = backoff_secs(failures).map(|s| now + Duration::seconds(s));
    let values = (
        login_throttle::key.eq(key),
        login_throttle::failures.eq(failures),
        login_throttle::locked_until.eq(until),
        login_throttle::last_failure_at.eq(now),
    );
    crate::on_inner!(conn, |c| diesel::insert_into(login_throttle::table)
        .values(values)
        .on_conflict(login_throttle::key)
        .do_update()
        .set((
            login_throttle::failures.eq(failures),
            login_throttle::locked_until.eq(until),
            login_throttle::last_failure_at.eq(now),
        ))
        .execute(c))
    .map(drop)
}

/// A successful sign-in starts the name over.
pub fn clear(conn: &mut AnyConnection, key: &str) -> QueryResult<()> {
    diesel::delete(login_throttle::table.find(key))
        .execute(conn)
        .map(drop)
}

/// Remove names that have decayed and are not waiting; returns how many.
pub fn purge(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        login_throttle::table
            .filter(login_throttle::last_failure_at.lt(now - DECAY))
            .filter(
                login_throttle::locked_until
                    .is_null()
                    .or(login_throttle::locked_until.lt(now)),
            ),
    )
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("time")
    }

    #[test]
    fn backoff_starts_after_free_failures_doubles_and_is_capped() {
        assert_eq!(backoff_secs(4), None);
        assert_eq!(backoff_secs(5), Some(1));
        assert_eq!(backoff_secs(6), Some(2));
        assert_eq!(backoff_secs(9), Some(16));
        assert_eq!(backoff_secs(40), Some(MAX_BACKOFF_SECS));
        assert_eq!(backoff_secs(i32::MAX), Some(MAX_BACKOFF_SECS));
    }

    #[test]
    fn failures_count_up_and_start_over_after_a_quiet_day() {
        let now = t("2026-11-24 12:00:00");
        assert_eq!(failures_after(None, now), 1);
        assert_eq!(failures_after(Some((7, t("2026-11-24 11:00:00"))), now), 8);
        assert_eq!(failures_after(Some((7, t("2026-11-23 12:00:01"))), now), 8);
        assert_eq!(failures_after(Some((7, t("2026-11-23 12:00:00"))), now), 1);
        assert_eq!(failures_after(Some((i32::MAX, now)), now), i32::MAX);
    }
}
