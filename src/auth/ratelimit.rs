//! Keyed rate limits: per client IP on `/auth/*`, per user on person search. Kept in the
//! database (`rate_limits`), so they hold across every instance on it (kvar keeps no state
//! outside the database); the same table on SQLite, so there is one code path.
//!
//! The rule is GCRA (what the in-memory `governor` did before): a key allowed `n` requests per
//! minute has an emission interval `T = 60 s / n` and a theoretical arrival time `tat`; a request
//! at `now` is allowed when `max(tat, now) + T - now <= 60 s` (a burst of `n`, then one per `T`),
//! and then moves `tat` to `max(tat, now) + T`. One UPSERT … RETURNING per check decides and
//! records it. Rows whose `tat` has passed hold nothing and are purged with the sign-in throttle.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};

use crate::db::{AnyConnection, Db};
use crate::error::ApiError;

/// The window of a per-minute limit, in microseconds.
const MINUTE_US: i64 = 60_000_000;

/// One check: `$1` key, `$2` now, `$3` emission interval, `$4` window (all µs). Parameters
/// appear first in that order, so SQLite's `$N` names bind by position as PostgreSQL's do.
const CHECK_SQL: &str = "INSERT INTO rate_limits (key, tat_us, denied) VALUES ($1, $2 + $3, FALSE) \
     ON CONFLICT (key) DO UPDATE SET \
     denied = (CASE WHEN rate_limits.tat_us > $2 THEN rate_limits.tat_us ELSE $2 END) + $3 - $2 > $4, \
     tat_us = CASE WHEN (CASE WHEN rate_limits.tat_us > $2 THEN rate_limits.tat_us ELSE $2 END) + $3 - $2 > $4 \
     THEN rate_limits.tat_us \
     ELSE (CASE WHEN rate_limits.tat_us > $2 THEN rate_limits.tat_us ELSE $2 END) + $3 END \
     RETURNING tat_us, denied";

#[derive(QueryableByName)]
struct Checked {
    #[diesel(sql_type = BigInt)]
    tat_us: i64,
    #[diesel(sql_type = Bool)]
    denied: bool,
}

/// Microseconds since the Unix epoch.
fn micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

/// The emission interval of `n` per minute (at least one request a minute).
fn interval_us(per_minute: u32) -> i64 {
    MINUTE_US / i64::from(per_minute.max(1))
}

/// Seconds to wait (rounded up, at least 1) before a refused key is allowed again.
pub fn retry_after_secs(tat_us: i64, now_us: i64, per_minute: u32) -> u64 {
    let wait = tat_us + interval_us(per_minute) - MINUTE_US - now_us;
    u64::try_from(wait.max(0) / 1_000_000).unwrap_or(0) + 1
}

/// Count one request for `key` at `now`; 429 with Retry-After when over `per_minute`.
pub fn check(
    conn: &mut AnyConnection,
    key: &str,
    per_minute: u32,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let now_us = micros(now);
    let q = diesel::sql_query(CHECK_SQL)
        .bind::<Text, _>(key)
        .bind::<BigInt, _>(now_us)
        .bind::<BigInt, _>(interval_us(per_minute))
        .bind::<BigInt, _>(MINUTE_US);
    let row: Checked = crate::on_inner!(conn, |c| q.get_result(c))?;
    if row.denied {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: retry_after_secs(row.tat_us, now_us, per_minute),
        });
    }
    Ok(())
}

/// Delete the rows whose arrival time has passed (they allow a full burst, as no row does).
pub fn purge(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    use crate::db::schema::rate_limits;
    diesel::delete(rate_limits::table.filter(rate_limits::tat_us.lt(micros(now)))).execute(conn)
}

/// A limit of `n` requests per minute per key, under a prefix that names what is limited.
#[derive(Clone)]
pub struct KeyedLimit {
    prefix: &'static str,
    per_minute: u32,
}

impl KeyedLimit {
    pub fn per_minute(prefix: &'static str, n: u32) -> Self {
        KeyedLimit {
            prefix,
            per_minute: n,
        }
    }

    /// Count one request for `key` (one statement, in its own transaction).
    pub async fn check(&self, db: &Db, key: &str) -> Result<(), ApiError> {
        let (key, n) = (format!("{}/{key}", self.prefix), self.per_minute);
        db.write(move |tx| check(tx, &key, n, crate::clock::now()))
            .await
    }
}

/// The limit on `/auth/*`, keyed by the client address (`KVAR_TRUSTED_PROXIES`).
#[derive(Clone)]
pub struct AuthRateLimit(KeyedLimit);

impl AuthRateLimit {
    pub fn per_minute(n: u32) -> Self {
        AuthRateLimit(KeyedLimit::per_minute("auth", n))
    }

    pub async fn check(&self, db: &Db, ip: Option<std::net::IpAddr>) -> Result<(), ApiError> {
        let ip = ip.unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
        self.0.check(db, &ip.to_string()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_is_until_one_more_fits_in_the_window() {
        // 10 a minute: T = 6 s. A key whose arrival time is 60 s ahead waits T (6 s, + 1).
        let now = 1_000_000_000;
        assert_eq!(retry_after_secs(now + MINUTE_US, now, 10), 7);
        // Just within the window: at least 1 s.
        assert_eq!(retry_after_secs(now + MINUTE_US - 6_000_000, now, 10), 1);
    }

    #[test]
    fn the_interval_never_divides_by_zero() {
        assert_eq!(interval_us(0), MINUTE_US);
        assert_eq!(interval_us(60), 1_000_000);
    }
}
