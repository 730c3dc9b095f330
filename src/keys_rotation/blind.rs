//! `kvar keys rotate-blind-index`: every person's `pnr_index` (the only blind index of the
//! schema: keyed per municipality, purpose `personnummer/{org}`) recomputed under the current
//! blind-index key. The stored value names its key version (bare hex: version 1, `v{N}:hex`
//! after), so the rows still to do are found by their prefix and lookups try every configured
//! version meanwhile ([`crate::persons::repo::pnr_indexes`]).
//!
//! A person whose data key was destroyed (erased) cannot be recomputed: the number is
//! unreadable. Such rows are counted and left as they are; once the old key is removed from the
//! configuration their index matches nothing. The login-throttle rows, keyed by the same key,
//! are not recomputed (they hold no personal data and decay within minutes): after the switch
//! a name's failure count starts again.

use diesel::prelude::*;

use crate::audit::{self, Actor, AuditAction, Changes, NewEvent};
use crate::crypto::field::BlindIndex;
use crate::crypto::subjects::{Keyring, SealError};
use crate::db::schema::persons;
use crate::db::{AnyConnection, write_tx};
use crate::domain::personnummer::Personnummer;
use crate::persons::repo::pnr_index;

/// What a rotation run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlindRotation {
    pub version: u8,
    /// Indexes already under the current version when the run started.
    pub already_current: i64,
    /// Indexes recomputed by this run.
    pub recomputed: i64,
    /// Persons whose data key is destroyed (erased): left as they are.
    pub erased: i64,
    /// Rows that changed under the run: left alone (the next run looks again).
    pub skipped: i64,
    pub batches: u32,
    /// Indexes under another version after the run (the erased ones, and any written meanwhile
    /// by an instance still configured with the old key as current: run again).
    pub left: i64,
}

impl std::fmt::Display for BlindRotation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "blind-index key version {}: {} indexes recomputed in {} batches, {} already under it, {} of erased persons left as they are, {} changed meanwhile, {} left under older versions",
            self.version,
            self.recomputed,
            self.batches,
            self.already_current,
            self.erased,
            self.skipped,
            self.left
        )
    }
}

/// The LIKE pattern of indexes of `version`, and whether rows *matching* it are the current
/// ones (version 1 has no prefix: its rows are those *not* starting with `v`).
pub fn current_pattern(version: u8) -> (String, bool) {
    if version == crate::crypto::field::DEFAULT_KEY_VERSION {
        ("v%".to_owned(), false)
    } else {
        (format!("v{version}:%"), true)
    }
}

fn count(conn: &mut AnyConnection, version: u8, current: bool) -> QueryResult<i64> {
    let (pattern, matching_is_current) = current_pattern(version);
    let q = persons::table.into_boxed();
    let q = if matching_is_current == current {
        q.filter(persons::pnr_index.like(pattern))
    } else {
        q.filter(persons::pnr_index.not_like(pattern))
    };
    q.count().get_result(conn)
}

type Row = (String, Option<String>, Vec<u8>, String);

/// Recompute every blind index not under the current key, `batch` persons per transaction
/// (keyset by person id). Audited as one `keys.blind_index_rotated` event.
pub fn rotate(
    conn: &mut AnyConnection,
    ring: &Keyring,
    blind: &BlindIndex,
    batch: u32,
) -> Result<BlindRotation, SealError> {
    let version = blind.version();
    let (pattern, matching_is_current) = current_pattern(version);
    let mut r = BlindRotation {
        version,
        already_current: count(conn, version, true)?,
        recomputed: 0,
        erased: 0,
        skipped: 0,
        batches: 0,
        left: 0,
    };
    let mut after = String::new();
    loop {
        let q = persons::table
            .filter(persons::id.gt(&after))
            .select((
                persons::id,
                persons::organization_id,
                persons::pnr_enc,
                persons::pnr_index,
            ))
            .into_boxed();
        let q = if matching_is_current {
            q.filter(persons::pnr_index.not_like(&pattern))
        } else {
            q.filter(persons::pnr_index.like(&pattern))
        };
        let rows: Vec<Row> = q
            .order(persons::id)
            .limit(i64::from(batch.max(1)))
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after = last.0.clone();
        let (done, erased, gone) = write_tx(conn, |tx| {
            let (mut done, mut erased, mut gone) = (0i64, 0i64, 0i64);
            for (id, org, pnr_enc, old) in &rows {
                // Not yet split per municipality: the split computes it (at start).
                let Some(org) = org else { continue };
                let clear = match ring.open(tx, "persons", "pnr", id, pnr_enc) {
                    Ok(c) => c,
                    Err(SealError::Erased) => {
                        erased += 1;
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                let pnr = Personnummer::parse(&clear)
                    .map_err(|_| SealError::Field(crate::crypto::field::FieldError::Malformed))?;
                let n = diesel::update(
                    persons::table
                        .filter(persons::id.eq(id))
                        .filter(persons::pnr_index.eq(old)),
                )
                .set(persons::pnr_index.eq(pnr_index(blind, org, &pnr)))
                .execute(&mut **tx)?;
                if n == 1 {
                    done += 1;
                } else {
                    gone += 1;
                }
            }
            Ok::<_, SealError>((done, erased, gone))
        })?;
        r.recomputed += done;
        r.erased += erased;
        r.skipped += gone;
        r.batches += 1;
        super::crash_point(r.batches);
    }
    r.left = count(conn, version, false)?;
    write_tx(conn, |tx| {
        audit::record(
            tx,
            NewEvent {
                actor: &Actor::system(),
                action: AuditAction::KeysBlindIndexRotated,
                entity_type: "key",
                entity_id: Some("blind_index"),
                case_id: None,
                changes: Changes::new()
                    .created("version", i64::from(version))
                    .created("recomputed", r.recomputed)
                    .created("already_current", r.already_current)
                    .created("erased", r.erased)
                    .created("skipped", r.skipped)
                    .created("batches", i64::from(r.batches))
                    .created("left", r.left),
            },
        )
    })?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::field::blind_value;

    fn like(pattern: &str, value: &str) -> bool {
        // The two shapes used here: `v%` and `vN:%`.
        value.starts_with(pattern.trim_end_matches('%'))
    }

    #[test]
    fn the_pattern_tells_current_rows_from_the_rest() {
        let hex = "ab".repeat(32);
        for (version, others) in [(1u8, vec![2u8, 3]), (2, vec![1, 3, 12]), (12, vec![1, 2])] {
            let (p, matching_is_current) = current_pattern(version);
            let mine = blind_value(version, &hex);
            assert_eq!(like(&p, &mine), matching_is_current, "v{version}");
            for o in others {
                let theirs = blind_value(o, &hex);
                assert_eq!(
                    like(&p, &theirs),
                    !matching_is_current,
                    "v{version} vs v{o}"
                );
            }
        }
    }
}
