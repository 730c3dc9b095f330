//! Key rotation (issue 14 item 5). The master field key and the blind-index key each have a
//! version (`KVAR_FIELD_KEY_VERSION`, `KVAR_BLIND_INDEX_KEY_VERSION`); older versions stay
//! usable while they are configured (`KVAR_FIELD_KEYS_OLD`, `KVAR_BLIND_INDEX_KEYS_OLD`).
//!
//! - [`field::rotate`] (`kvar keys rotate-field-key`) wraps every data key that is not under the
//!   current master version again under it; the data keys themselves, and so every field sealed
//!   under them, do not change.
//! - [`field::retire`] (`kvar keys retire-field-key VERSION`) records that a version is no longer
//!   used, once nothing is wrapped under it; [`retired::enforce`] then refuses it as the current
//!   key and ignores it (with a warning) among the older ones.
//! - [`blind::rotate`] (`kvar keys rotate-blind-index`) recomputes every person's blind index
//!   under the current blind-index key; lookups try the current key and the older ones still
//!   configured, so finding a person by personnummer works throughout.
//!
//! Both rotations work in batches, each batch in its own transaction, and each row is updated
//! only if it is still what the batch read: a crash leaves a consistent mix of old and new
//! versions (both readable) and the next run finishes the rest (resumable). Each run is one
//! audit event with counts only; a run that crashed is accounted for by the run that finishes it.

pub mod blind;
pub mod field;
pub mod retired;

/// Rows per transaction unless `--batch-size` says otherwise.
pub const DEFAULT_BATCH: u32 = 500;

/// The test-only crash hook: in debug builds, the process aborts (as a crash would) once this
/// many batches have committed. Release builds ignore it.
pub const CRASH_VAR: &str = "KVAR_TEST_CRASH_AFTER_BATCHES";

/// Whether a run that has committed `batches` batches should crash now under the hook `value`.
pub fn crash_due(value: Option<&str>, batches: u32) -> bool {
    value
        .and_then(|v| v.trim().parse::<u32>().ok())
        .is_some_and(|n| n >= 1 && batches >= n)
}

/// Called after each committed batch: see [`CRASH_VAR`].
pub fn crash_point(batches: u32) {
    if cfg!(debug_assertions) && crash_due(std::env::var(CRASH_VAR).ok().as_deref(), batches) {
        eprintln!("kvar: {CRASH_VAR}: aborting after {batches} batches (test hook)");
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crash_hook_fires_only_when_asked_and_only_after_enough_batches() {
        assert!(!crash_due(None, 5));
        assert!(!crash_due(Some("x"), 5));
        assert!(!crash_due(Some("0"), 5));
        assert!(!crash_due(Some("2"), 1));
        assert!(crash_due(Some("2"), 2));
        assert!(crash_due(Some(" 1 "), 3));
    }
}
