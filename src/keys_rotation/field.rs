//! `kvar keys rotate-field-key` and `kvar keys retire-field-key VERSION`.
//!
//! The master field key wraps the per-subject data keys (`data_keys.wrapped`, whose first byte
//! and `master_version` name the master version). It wraps nothing else any more: the fields of
//! before data keys were sealed again under data keys by migration 000023's data step
//! ([`crate::crypto::reseal`]); while that step is pending, version 1 may not be retired.

use diesel::prelude::*;

use crate::audit::{self, Actor, AuditAction, Changes, NewEvent};
use crate::crypto::subjects::{Keyring, SealError};
use crate::db::schema::{data_keys, pending_data_steps, retired_keys};
use crate::db::{AnyConnection, write_tx};

/// What a rotation run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRotation {
    /// The master version everything is wrapped under now.
    pub version: u8,
    /// Data keys found already under it when the run started (a crashed run's work, or keys
    /// made since the new key was configured).
    pub already_current: i64,
    /// Data keys wrapped again by this run.
    pub rewrapped: i64,
    /// Data keys that changed under the run (destroyed, or rotated by another run): left alone.
    pub skipped: i64,
    /// Transactions committed.
    pub batches: u32,
    /// Live data keys still under another version after the run (0 unless keys were made under
    /// an old version meanwhile: run again).
    pub left: i64,
}

impl std::fmt::Display for FieldRotation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "field key version {}: {} data keys wrapped again in {} batches, {} already under it, {} changed meanwhile (left alone), {} left under older versions",
            self.version,
            self.rewrapped,
            self.batches,
            self.already_current,
            self.skipped,
            self.left
        )
    }
}

fn live_under(conn: &mut AnyConnection, version: i32, equal: bool) -> QueryResult<i64> {
    let q = data_keys::table
        .filter(data_keys::wrapped.is_not_null())
        .into_boxed();
    let q = if equal {
        q.filter(data_keys::master_version.eq(version))
    } else {
        q.filter(data_keys::master_version.ne(version))
    };
    q.count().get_result(conn)
}

/// Wrap every live data key not under the current master version again under it, `batch` keys
/// per transaction (keyset by subject id). Audited as one `keys.field_rotated` event.
pub fn rotate(
    conn: &mut AnyConnection,
    ring: &Keyring,
    batch: u32,
) -> Result<FieldRotation, SealError> {
    let version = ring.master().version();
    let cur = i32::from(version);
    let mut r = FieldRotation {
        version,
        already_current: live_under(conn, cur, true)?,
        rewrapped: 0,
        skipped: 0,
        batches: 0,
        left: 0,
    };
    let mut after = String::new();
    loop {
        let rows: Vec<(String, Option<Vec<u8>>)> = data_keys::table
            .filter(data_keys::wrapped.is_not_null())
            .filter(data_keys::master_version.ne(cur))
            .filter(data_keys::subject_id.gt(&after))
            .order(data_keys::subject_id)
            .limit(i64::from(batch.max(1)))
            .select((data_keys::subject_id, data_keys::wrapped))
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after = last.0.clone();
        let (done, gone) = write_tx(conn, |tx| {
            let (mut done, mut gone) = (0i64, 0i64);
            for (subject, wrapped) in &rows {
                let Some(old) = wrapped else { continue };
                let new = ring.rewrap(subject, old)?;
                // Only if the row is still what was read: a key destroyed meanwhile stays
                // destroyed, a key another run rotated is not rotated twice.
                let n = diesel::update(
                    data_keys::table
                        .filter(data_keys::subject_id.eq(subject))
                        .filter(data_keys::wrapped.eq(old)),
                )
                .set((
                    data_keys::wrapped.eq(Some(new)),
                    data_keys::master_version.eq(cur),
                ))
                .execute(&mut **tx)?;
                if n == 1 {
                    done += 1;
                } else {
                    gone += 1;
                }
            }
            Ok::<_, SealError>((done, gone))
        })?;
        r.rewrapped += done;
        r.skipped += gone;
        r.batches += 1;
        super::crash_point(r.batches);
    }
    r.left = live_under(conn, cur, false)?;
    write_tx(conn, |tx| {
        audit::record(
            tx,
            NewEvent {
                actor: &Actor::system(),
                action: AuditAction::KeysFieldRotated,
                entity_type: "key",
                entity_id: Some("field"),
                case_id: None,
                changes: Changes::new()
                    .created("version", i64::from(version))
                    .created("rewrapped", r.rewrapped)
                    .created("already_current", r.already_current)
                    .created("skipped", r.skipped)
                    .created("batches", i64::from(r.batches))
                    .created("left", r.left),
            },
        )
    })?;
    Ok(r)
}

/// Why a version may not be retired now (None: it may).
pub fn retire_refusal(
    version: u8,
    current: u8,
    still_wrapped: i64,
    pending_steps: i64,
) -> Option<String> {
    if version == current {
        return Some(format!(
            "version {version} is the current field key (KVAR_FIELD_KEY_VERSION)"
        ));
    }
    if still_wrapped > 0 {
        return Some(format!(
            "{still_wrapped} data keys are still wrapped under version {version}: run `kvar keys rotate-field-key` first"
        ));
    }
    if pending_steps > 0 && version == crate::crypto::field::DEFAULT_KEY_VERSION {
        return Some(
            "fields of before data keys may still be sealed under version 1: run `kvar migrate` first"
                .into(),
        );
    }
    None
}

/// What [`retire`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retired {
    Now,
    Already,
}

/// Record that master version `version` is retired (audited), unless something still needs it.
pub fn retire(
    conn: &mut AnyConnection,
    current: u8,
    version: u8,
) -> Result<Result<Retired, String>, diesel::result::Error> {
    write_tx(conn, |tx| {
        let known: i64 = retired_keys::table
            .filter(retired_keys::kind.eq(super::retired::FIELD))
            .filter(retired_keys::version.eq(i32::from(version)))
            .count()
            .get_result(&mut **tx)?;
        if known > 0 {
            return Ok(Ok(Retired::Already));
        }
        let still = live_under(tx, i32::from(version), true)?;
        let pending: i64 = pending_data_steps::table.count().get_result(&mut **tx)?;
        if let Some(why) = retire_refusal(version, current, still, pending) {
            return Ok(Err(why));
        }
        diesel::insert_into(retired_keys::table)
            .values((
                retired_keys::kind.eq(super::retired::FIELD),
                retired_keys::version.eq(i32::from(version)),
                retired_keys::retired_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .execute(&mut **tx)?;
        audit::record(
            tx,
            NewEvent {
                actor: &Actor::system(),
                action: AuditAction::KeysFieldRetired,
                entity_type: "key",
                entity_id: Some("field"),
                case_id: None,
                changes: Changes::new()
                    .created("version", i64::from(version))
                    .created("current_version", i64::from(current)),
            },
        )?;
        Ok(Ok(Retired::Now))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_is_retired_only_when_nothing_needs_it() {
        assert!(
            retire_refusal(2, 2, 0, 0)
                .expect("refused")
                .contains("current")
        );
        assert!(
            retire_refusal(1, 2, 3, 0)
                .expect("refused")
                .starts_with("3 data keys")
        );
        assert!(
            retire_refusal(1, 2, 0, 1)
                .expect("refused")
                .contains("kvar migrate")
        );
        assert_eq!(retire_refusal(3, 2, 0, 1), None);
        assert_eq!(retire_refusal(1, 2, 0, 0), None);
    }
}
