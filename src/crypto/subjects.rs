//! Per-subject data keys (envelope encryption, issue 14): every personal field is encrypted under
//! a random 256-bit key of its *subject* (a person, a household, a case, or an organization for
//! staff texts), and that key is stored only wrapped by the master field key
//! (`KVAR_FIELD_KEY`, versioned). [`shred`] destroys a subject's wrapped key: from then on every
//! ciphertext of that subject, wherever it is stored (append-only rows included), is unreadable
//! with any key kvar holds (crypto-shredding).
//!
//! A sealed field is `2 ‖ len ‖ subject id ‖ nonce(12) ‖ ciphertext+tag`, with the associated
//! data bound to table, column and row as before ([`super::field`]); the subject id in the blob
//! names the key, so reading needs nothing but the blob. Unwrapped keys are cached for
//! [`CACHE_TTL`] on reads; writes always read the key row, so a key made in a transaction that
//! rolled back is never used again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::KeyInit;
use diesel::prelude::*;

use super::field::{self, FieldCipher, FieldError};
use crate::db::AnyConnection;
use crate::db::schema::data_keys;

/// The format byte of a field sealed under a subject's data key.
pub const ENVELOPE_VERSION: u8 = 2;

/// How long an unwrapped key stays in memory for reads by default (`KVAR_KEY_CACHE_SECS`).
/// After [`shred`] another process may still read the subject's fields for at most this long
/// (the erasing process forgets at once).
pub const CACHE_TTL: Duration = Duration::from_secs(60);

/// Whose key a field is sealed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Person,
    Household,
    Case,
    /// Staff texts that concern no data subject (an access-review verdict's comment).
    Organization,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Person => "person",
            SubjectKind::Household => "household",
            SubjectKind::Case => "case",
            SubjectKind::Organization => "organization",
        }
    }
}

/// A subject: its kind (recorded when its key is made) and the id of its row.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub kind: SubjectKind,
    pub id: &'a str,
}

impl<'a> Subject<'a> {
    pub fn person(id: &'a str) -> Self {
        Subject {
            kind: SubjectKind::Person,
            id,
        }
    }
    pub fn household(id: &'a str) -> Self {
        Subject {
            kind: SubjectKind::Household,
            id,
        }
    }
    pub fn case(id: &'a str) -> Self {
        Subject {
            kind: SubjectKind::Case,
            id,
        }
    }
    pub fn organization(id: &'a str) -> Self {
        Subject {
            kind: SubjectKind::Organization,
            id,
        }
    }
}

/// A subject's data key in hand, for sealing one or several of its fields within the
/// transaction that read or made it.
pub struct SubjectKey<'a> {
    subject: Subject<'a>,
    cipher: Aes256Gcm,
}

impl SubjectKey<'_> {
    /// Seal a field (bound to table, column and row) as `2 ‖ len ‖ subject id ‖ sealed`.
    pub fn seal(
        &self,
        table: &str,
        column: &str,
        row: &str,
        plaintext: &str,
    ) -> Result<Vec<u8>, SealError> {
        let id = self.subject.id.as_bytes();
        let len = u8::try_from(id.len()).map_err(|_| SealError::Field(FieldError::Malformed))?;
        let sealed = field::seal_with(&self.cipher, table, column, row, plaintext.as_bytes())?;
        let mut out = Vec::with_capacity(2 + id.len() + sealed.len());
        out.push(ENVELOPE_VERSION);
        out.push(len);
        out.extend_from_slice(id);
        out.extend_from_slice(&sealed);
        Ok(out)
    }
}

#[derive(Clone)]
struct Cached {
    cipher: Aes256Gcm,
    at: Instant,
}

/// The master key and the cache of unwrapped data keys; cheap to clone (shared cache).
#[derive(Clone)]
pub struct Keyring {
    master: FieldCipher,
    cache: Arc<Mutex<HashMap<String, Cached>>>,
    ttl: Duration,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(<redacted>)")
    }
}

/// The stored row of a data key: `wrapped` is gone once the key is destroyed.
type KeyRow = (Option<Vec<u8>>, i32);

fn load(conn: &mut AnyConnection, subject: &str) -> QueryResult<Option<KeyRow>> {
    data_keys::table
        .find(subject)
        .select((data_keys::wrapped, data_keys::master_version))
        .first(conn)
        .optional()
}

/// Split a sealed field into its subject id and the rest (nonce ‖ ciphertext).
pub fn subject_of(blob: &[u8]) -> Result<(&str, &[u8]), FieldError> {
    let (&version, rest) = blob.split_first().ok_or(FieldError::Malformed)?;
    if version != ENVELOPE_VERSION {
        return Err(FieldError::UnknownKey(version));
    }
    let (&len, rest) = rest.split_first().ok_or(FieldError::Malformed)?;
    let len = usize::from(len);
    if rest.len() < len {
        return Err(FieldError::Malformed);
    }
    let (id, sealed) = rest.split_at(len);
    let id = std::str::from_utf8(id).map_err(|_| FieldError::Malformed)?;
    Ok((id, sealed))
}

impl Keyring {
    /// A master key of version 1 alone (tests).
    pub fn new(master_key: &[u8]) -> Self {
        Self::with_master(FieldCipher::new(master_key))
    }

    /// Over a master cipher that may hold several versions.
    pub fn with_master(master: FieldCipher) -> Self {
        Keyring {
            master,
            cache: Arc::default(),
            ttl: CACHE_TTL,
        }
    }

    /// The same with keys cached for `ttl` (zero: never).
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The configuration's master field keys (current and older versions).
    pub fn from_keys(keys: &crate::crypto::Keys) -> Self {
        Self::with_master(FieldCipher::from_keys(keys))
    }

    /// A wrapped data key wrapped again under the current master version (key rotation): the
    /// data key itself, and so every field sealed under it, is unchanged.
    pub fn rewrap(&self, subject: &str, wrapped: &[u8]) -> Result<Vec<u8>, FieldError> {
        let key = self.master.decrypt("data_keys", "key", subject, wrapped)?;
        self.master.encrypt("data_keys", "key", subject, &key)
    }

    fn unwrap_key(&self, subject: &str, wrapped: &[u8]) -> Result<Aes256Gcm, FieldError> {
        let key = self.master.decrypt("data_keys", "key", subject, wrapped)?;
        Aes256Gcm::new_from_slice(&key).map_err(|_| FieldError::Malformed)
    }

    /// The subject's key, made (and stored, in the caller's transaction) if it has none yet.
    /// Refused for a subject whose key was destroyed: nothing is written about an erased subject.
    pub fn key_for_write<'s>(
        &self,
        conn: &mut AnyConnection,
        subject: Subject<'s>,
    ) -> Result<SubjectKey<'s>, SealError> {
        if let Some((wrapped, _)) = load(conn, subject.id)? {
            let wrapped = wrapped.ok_or(SealError::Erased)?;
            let cipher = self.unwrap_key(subject.id, &wrapped)?;
            return Ok(SubjectKey { subject, cipher });
        }
        self.key_for_new(conn, subject)
    }

    /// The key of a subject whose row is made in this transaction (a new id): made and stored
    /// without first looking for one, which cannot exist (a duplicate id fails the insert).
    pub fn key_for_new<'s>(
        &self,
        conn: &mut AnyConnection,
        subject: Subject<'s>,
    ) -> Result<SubjectKey<'s>, SealError> {
        let key = super::random::bytes(32);
        let wrapped = self.master.encrypt("data_keys", "key", subject.id, &key)?;
        diesel::insert_into(data_keys::table)
            .values((
                data_keys::subject_id.eq(subject.id),
                data_keys::subject_type.eq(subject.kind.as_str()),
                data_keys::master_version.eq(i32::from(self.master.version())),
                data_keys::wrapped.eq(Some(&wrapped)),
                data_keys::created_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        let cipher =
            Aes256Gcm::new_from_slice(&key).map_err(|_| SealError::Field(FieldError::Malformed))?;
        Ok(SubjectKey { subject, cipher })
    }

    /// Seal a field of `subject`'s (bound to table, column and row).
    pub fn seal(
        &self,
        conn: &mut AnyConnection,
        subject: Subject<'_>,
        table: &str,
        column: &str,
        row: &str,
        plaintext: &str,
    ) -> Result<Vec<u8>, SealError> {
        self.key_for_write(conn, subject)?
            .seal(table, column, row, plaintext)
    }

    fn cached(&self, subject: &str) -> Option<Aes256Gcm> {
        let cache = self.cache.lock().ok()?;
        cache
            .get(subject)
            .filter(|c| c.at.elapsed() < self.ttl)
            .map(|c| c.cipher.clone())
    }

    fn remember(&self, subject: &str, cipher: &Aes256Gcm) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= 100_000 {
                cache.retain(|_, c| c.at.elapsed() < self.ttl);
                if cache.len() >= 100_000 {
                    cache.clear();
                }
            }
            cache.insert(
                subject.to_owned(),
                Cached {
                    cipher: cipher.clone(),
                    at: Instant::now(),
                },
            );
        }
    }

    /// Forget cached keys (after [`shred`] in this process).
    pub fn forget(&self, subjects: &[String]) {
        if let Ok(mut cache) = self.cache.lock() {
            for s in subjects {
                cache.remove(s);
            }
        }
    }

    /// Open a sealed field. A cached key that fails is dropped and the stored one tried.
    pub fn open(
        &self,
        conn: &mut AnyConnection,
        table: &str,
        column: &str,
        row: &str,
        blob: &[u8],
    ) -> Result<String, SealError> {
        let (subject, sealed) = subject_of(blob)?;
        if let Some(cipher) = self.cached(subject)
            && let Ok(clear) = field::open_with(&cipher, table, column, row, sealed)
        {
            return text(clear);
        }
        let (wrapped, _) =
            load(conn, subject)?.ok_or(SealError::Field(FieldError::Authentication))?;
        let wrapped = wrapped.ok_or(SealError::Erased)?;
        let cipher = self.unwrap_key(subject, &wrapped)?;
        let clear = field::open_with(&cipher, table, column, row, sealed)?;
        self.remember(subject, &cipher);
        text(clear)
    }

    /// The master cipher (wrapping data keys; reading fields written before data keys).
    pub fn master(&self) -> &FieldCipher {
        &self.master
    }
}

fn text(clear: Vec<u8>) -> Result<String, SealError> {
    String::from_utf8(clear).map_err(|_| SealError::Field(FieldError::Malformed))
}

/// Destroy the data keys of these subjects (crypto-shredding): returns how many keys were
/// destroyed now. Subjects without a key (nothing of theirs was ever sealed) are skipped.
pub fn shred(conn: &mut AnyConnection, subject_ids: &[String]) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in subject_ids.chunks(500) {
        n += diesel::update(
            data_keys::table
                .filter(data_keys::subject_id.eq_any(chunk))
                .filter(data_keys::wrapped.is_not_null()),
        )
        .set((
            data_keys::wrapped.eq(None::<Vec<u8>>),
            data_keys::destroyed_at.eq(Some(chrono::Utc::now().naive_utc())),
        ))
        .execute(conn)?;
    }
    Ok(n)
}

/// Why a field could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("field encryption: {0}")]
    Field(#[from] FieldError),
    #[error("the subject's data was erased")]
    Erased,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl From<SealError> for crate::error::ApiError {
    fn from(e: SealError) -> Self {
        match e {
            SealError::Db(e) => e.into(),
            SealError::Erased => crate::error::ApiError::Conflict {
                detail: "the subject's personal data was erased".into(),
                extra: None,
            },
            SealError::Field(e) => e.into(),
        }
    }
}

impl SealError {
    /// As an API error naming the field's owner for the log: an erased subject is a 409 (the
    /// skeleton is there, its personal data is not), anything else a 500.
    pub fn about(self, what: std::fmt::Arguments<'_>) -> crate::error::ApiError {
        match self {
            SealError::Erased | SealError::Db(_) => self.into(),
            SealError::Field(e) => crate::error::ApiError::Internal(format!("{what}: {e}")),
        }
    }
}

impl From<SealError> for diesel::result::Error {
    fn from(e: SealError) -> Self {
        match e {
            SealError::Db(e) => e,
            other => diesel::result::Error::SerializationError(Box::new(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_is_read_back_from_the_blob_and_bad_blobs_are_refused() {
        let mut blob = vec![ENVELOPE_VERSION, 3];
        blob.extend_from_slice(b"abc");
        blob.extend_from_slice(&[9; 30]);
        let (id, rest) = subject_of(&blob).expect("parses");
        assert_eq!(id, "abc");
        assert_eq!(rest.len(), 30);
        assert_eq!(subject_of(&[1, 0]).err(), Some(FieldError::UnknownKey(1)));
        assert_eq!(subject_of(&[2]).err(), Some(FieldError::Malformed));
        assert_eq!(subject_of(&[2, 5, b'a']).err(), Some(FieldError::Malformed));
    }
}
