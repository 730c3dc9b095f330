//! The time the sign-in throttle and idempotency-key expiry read (security table rows 12 and 24).
//!
//! In every normal build [`now`] is the system time. Test builds (the `test-clock` feature, which
//! only the crate's own dev-dependency enables) can move it forward with [`advance`], so a test can
//! simulate an hour of brute force or an eight-day-old key in seconds. A release `kvar serve` has
//! no way to set the time: there is no setting, variable or route for it.

use chrono::NaiveDateTime;

#[cfg(feature = "test-clock")]
static OFFSET_MICROS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Now in UTC (see [`crate::db::types::now`]), moved by [`advance`] in test builds.
pub fn now() -> NaiveDateTime {
    let t = crate::db::types::now();
    #[cfg(feature = "test-clock")]
    let t =
        t + chrono::Duration::microseconds(OFFSET_MICROS.load(std::sync::atomic::Ordering::SeqCst));
    t
}

/// Move this process's clock forward by `by` (test builds only).
#[cfg(feature = "test-clock")]
pub fn advance(by: chrono::Duration) {
    let micros = by.num_microseconds().unwrap_or(i64::MAX);
    OFFSET_MICROS.fetch_add(micros, std::sync::atomic::Ordering::SeqCst);
}

#[cfg(all(test, feature = "test-clock"))]
mod tests {
    #[test]
    fn advance_moves_now_forward() {
        let before = super::now();
        super::advance(chrono::Duration::hours(25));
        let after = super::now();
        super::advance(chrono::Duration::hours(-25));
        assert!(after - before >= chrono::Duration::hours(25));
        assert!(after - before < chrono::Duration::hours(26));
    }
}
