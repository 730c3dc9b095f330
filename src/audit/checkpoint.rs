//! Signed checkpoints of the audit chain (SPEC §8): every so often the sealer signs
//! `(origin, seq, hash, time)` of the chain head with Ed25519, stores the checkpoint in the
//! database and appends it to an external sink (a JSON-lines file meant to live on another
//! host or a write-once mount). A verifier holding an exported checkpoint catches what the HMAC
//! chain alone cannot: the tail cut off, or the whole chain rewritten by someone who also holds
//! the audit key, up to the last checkpoint it has.
//!
//! The signed message is text, one field per line, in the spirit of C2SP tlog-checkpoint:
//! `kvar-audit-checkpoint/v1`, the origin, the sequence number, the chain hash at it, the time
//! (RFC 3339, UTC, seconds).

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{NaiveDateTime, SubsecRound, TimeDelta};
use diesel::prelude::*;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::db::schema::{audit_chain, audit_checkpoints};
use crate::db::{AnyConnection, Tx};

/// The first line of every signed message.
pub const FORMAT: &str = "kvar-audit-checkpoint/v1";
/// The name of the log in the signed message.
pub const ORIGIN: &str = "kvar audit chain";

/// When a new checkpoint is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// A checkpoint at least this often while the chain grows.
    pub interval: Duration,
    /// ...and at least every this many events.
    pub every_events: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            interval: Duration::from_secs(300),
            every_events: 10_000,
        }
    }
}

/// A signed statement that the chain had `hash` at `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Checkpoint {
    /// Sequence number of the chain head that was signed.
    pub seq: i64,
    /// The chain hash at `seq` (lowercase hex).
    pub hash: String,
    /// When it was signed (RFC 3339, UTC).
    pub at: String,
    /// First 8 bytes of SHA-256 over the public key, hex: which key signed it.
    pub key_id: String,
    /// Ed25519 signature over the message (base64).
    pub signature: String,
}

/// The checkpoint signer: an Ed25519 key from a 32-byte seed.
#[derive(Clone)]
pub struct Signer32 {
    key: SigningKey,
}

impl std::fmt::Debug for Signer32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer32(key_id={})", self.key_id())
    }
}

impl Signer32 {
    /// From the first 32 bytes of `seed` (keys are at least 32 bytes; see crypto::keys).
    pub fn from_seed(seed: &[u8]) -> Option<Signer32> {
        let bytes: [u8; 32] = seed.get(..32)?.try_into().ok()?;
        Some(Signer32 {
            key: SigningKey::from_bytes(&bytes),
        })
    }

    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The public key, base64: what an external verifier needs.
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(self.public_key().as_bytes())
    }

    pub fn key_id(&self) -> String {
        key_id(&self.public_key())
    }

    /// Sign the chain head `(seq, hash)` at `at`.
    pub fn sign(&self, seq: i64, hash: &str, at: NaiveDateTime) -> Checkpoint {
        let at = format_time(at);
        let sig = self.key.sign(&message(seq, hash, &at));
        Checkpoint {
            seq,
            hash: hash.to_owned(),
            at,
            key_id: self.key_id(),
            signature: STANDARD.encode(sig.to_bytes()),
        }
    }
}

fn key_id(k: &VerifyingKey) -> String {
    let d = Sha256::digest(k.as_bytes());
    base16ct::lower::encode_string(&d[..8])
}

fn format_time(at: NaiveDateTime) -> String {
    at.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The exact bytes that are signed.
pub fn message(seq: i64, hash: &str, at: &str) -> Vec<u8> {
    format!("{FORMAT}\n{ORIGIN}\n{seq}\n{hash}\n{at}\n").into_bytes()
}

/// True when `cp` carries a valid signature by one of `keys` (the one its `key_id` names).
pub fn signature_ok(keys: &[VerifyingKey], cp: &Checkpoint) -> bool {
    let Ok(raw) = STANDARD.decode(&cp.signature) else {
        return false;
    };
    let Ok(sig) = Signature::from_slice(&raw) else {
        return false;
    };
    keys.iter().any(|key| {
        cp.key_id == key_id(key) && key.verify(&message(cp.seq, &cp.hash, &cp.at), &sig).is_ok()
    })
}

/// A public key from base64 (32 bytes).
pub fn parse_public_key(b64: &str) -> Option<VerifyingKey> {
    let raw: [u8; 32] = STANDARD.decode(b64.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&raw).ok()
}

/// Checkpointing as configured: the signer, when to sign, and the external sink.
#[derive(Debug, Clone)]
pub struct Config {
    pub signer: Signer32,
    /// Keys of earlier signers whose checkpoints still count.
    pub retired: Vec<VerifyingKey>,
    pub policy: Policy,
    pub sink: Option<std::path::PathBuf>,
}

impl Config {
    pub fn new(
        settings: &crate::config::Settings,
        keys: &crate::crypto::Keys,
    ) -> Result<Config, String> {
        Ok(Config {
            signer: Signer32::from_seed(&keys.checkpoint)
                .ok_or("KVAR_CHECKPOINT_KEY: must be at least 32 bytes")?,
            retired: settings
                .checkpoint_retired_keys
                .iter()
                .map(|k| {
                    parse_public_key(k).ok_or(
                        "KVAR_CHECKPOINT_RETIRED_KEYS: each must be a base64 Ed25519 public key",
                    )
                })
                .collect::<Result<_, _>>()?,
            policy: Policy {
                interval: settings.checkpoint_interval,
                every_events: settings.checkpoint_every_events.into(),
            },
            sink: settings.checkpoint_file.clone(),
        })
    }

    /// Append a committed checkpoint to the sink. A failure is logged, not fatal: the
    /// checkpoint is in the database, and the next one covers it.
    pub fn export(&self, cp: &Checkpoint) {
        if let Some(path) = &self.sink
            && let Err(e) = append_to_sink(path, cp)
        {
            tracing::error!(file = %path.display(), error = %e, seq = cp.seq,
                "audit checkpoint could not be written to the external sink");
        }
    }

    /// The keys a checkpoint may be signed by: the current one, then the retired ones.
    pub fn verifying_keys(&self) -> Vec<VerifyingKey> {
        std::iter::once(self.signer.public_key())
            .chain(self.retired.iter().copied())
            .collect()
    }

    /// Every checkpoint a verifier can hold us to: the database's and the sink's.
    pub fn all(&self, conn: &mut AnyConnection) -> Result<Vec<Checkpoint>, String> {
        let mut all = list(conn, 0, i64::MAX).map_err(|e| e.to_string())?;
        if let Some(path) = &self.sink {
            all.extend(read_sink(path)?);
        }
        all.sort_by(|a, b| (a.seq, &a.hash).cmp(&(b.seq, &b.hash)));
        all.dedup();
        Ok(all)
    }
}

/// Is a checkpoint due for a chain whose head is `head_seq`, given the last one (seq, time)?
pub fn due(
    policy: &Policy,
    last: Option<(i64, NaiveDateTime)>,
    head_seq: i64,
    now: NaiveDateTime,
) -> bool {
    match last {
        _ if head_seq <= 0 => false,
        None => true,
        Some((seq, _)) if head_seq <= seq => false,
        Some((seq, at)) => {
            head_seq - seq >= policy.every_events
                || now - at >= TimeDelta::from_std(policy.interval).unwrap_or(TimeDelta::MAX)
        }
    }
}

#[derive(Queryable)]
struct Row {
    seq: i64,
    hash: String,
    at: NaiveDateTime,
    key_id: String,
    signature: String,
}

impl From<Row> for Checkpoint {
    fn from(r: Row) -> Checkpoint {
        Checkpoint {
            seq: r.seq,
            hash: r.hash,
            at: format_time(r.at),
            key_id: r.key_id,
            signature: r.signature,
        }
    }
}

/// Sign the chain head into the database, in the caller's (sealer's) transaction, when one is
/// due or `force` is set and the head moved. Returns the new checkpoint (for the sink).
pub fn write_if_due(
    tx: &mut Tx<'_>,
    signer: &Signer32,
    policy: &Policy,
    now: NaiveDateTime,
    force: bool,
) -> QueryResult<Option<Checkpoint>> {
    super::sealer::lock_chain(tx)?;
    let head: Option<(i64, String)> = audit_chain::table
        .select((audit_chain::seq, audit_chain::hash))
        .order(audit_chain::seq.desc())
        .first(&mut **tx)
        .optional()?;
    let Some((seq, hash)) = head else {
        return Ok(None);
    };
    let last: Option<(i64, NaiveDateTime)> = audit_checkpoints::table
        .select((audit_checkpoints::seq, audit_checkpoints::at))
        .order(audit_checkpoints::seq.desc())
        .first(&mut **tx)
        .optional()?;
    let moved = last.is_none_or(|(s, _)| seq > s);
    if !(due(policy, last, seq, now) || force && moved) {
        return Ok(None);
    }
    // Whole seconds: the stored time and the signed text must say the same.
    let at = now.trunc_subsecs(0);
    let cp = signer.sign(seq, &hash, at);
    diesel::insert_into(audit_checkpoints::table)
        .values((
            audit_checkpoints::seq.eq(cp.seq),
            audit_checkpoints::hash.eq(&cp.hash),
            audit_checkpoints::at.eq(at),
            audit_checkpoints::key_id.eq(&cp.key_id),
            audit_checkpoints::signature.eq(&cp.signature),
        ))
        .execute(&mut **tx)?;
    Ok(Some(cp))
}

/// Checkpoints stored in the database, oldest first, after `after_seq`, at most `limit`.
pub fn list(conn: &mut AnyConnection, after_seq: i64, limit: i64) -> QueryResult<Vec<Checkpoint>> {
    let rows: Vec<Row> = audit_checkpoints::table
        .filter(audit_checkpoints::seq.gt(after_seq))
        .order(audit_checkpoints::seq)
        .limit(limit)
        .load(conn)?;
    Ok(rows.into_iter().map(Checkpoint::from).collect())
}

/// Append a checkpoint to the sink file as one JSON line, flushed to disk.
pub fn append_to_sink(path: &Path, cp: &Checkpoint) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let mut line = serde_json::to_string(cp).map_err(std::io::Error::other)?;
    line.push('\n');
    f.write_all(line.as_bytes())?;
    f.sync_data()
}

/// Read a JSON-lines checkpoint file (a missing file is no checkpoints). A line that does not
/// parse is an error naming its line number: a damaged sink must not pass silently.
pub fn read_sink(path: &Path) -> Result<Vec<Checkpoint>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| format!("{} line {}: not a checkpoint ({e})", path.display(), i + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests;
