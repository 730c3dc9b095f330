//! Tests that need time to pass (security table rows 11, 12 and 24): the real app over HTTP with
//! the test clock (`kvar::clock`, the `test-clock` feature of test builds only) moved forward by
//! hours and days. The clock is the process's, so these tests live in their own binary and run
//! one at a time ([`serial`]); the `api` tests never move it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

#[path = "../api/support.rs"]
#[allow(dead_code)]
mod support;

mod brute_force;
mod idempotency;

/// One test at a time: they move the one clock of this process.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Move the app's clock (the throttle's and the idempotency keys') forward.
pub fn advance(by: chrono::Duration) {
    kvar::clock::advance(by);
}
