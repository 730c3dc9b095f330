//! Field encryption for personal data (SPEC §9): AES-256-GCM with a random 96-bit nonce and the
//! associated data bound to table, column and row, so a ciphertext copied to another row or
//! column does not decrypt. Stored as `version byte ‖ nonce ‖ ciphertext+tag`; the version byte
//! names the key, so keys can be rotated (old rows stay readable with the old key while it is
//! configured: `KVAR_FIELD_KEY_VERSION`, `KVAR_FIELD_KEYS_OLD`; `kvar keys rotate-field-key`).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

/// The version of a key configured without `KVAR_FIELD_KEY_VERSION` (and of every blob written
/// before keys had versions). Fields sealed directly under the master key before per-subject
/// data keys start with this byte too ([`super::reseal`]).
pub const DEFAULT_KEY_VERSION: u8 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("ciphertext is malformed")]
    Malformed,
    #[error("no key for version {0}")]
    UnknownKey(u8),
    #[error("ciphertext does not authenticate (wrong key, row or column)")]
    Authentication,
    #[error("AES-256-GCM refused to encrypt (plaintext beyond the cipher's limit)")]
    Encryption,
}

impl From<FieldError> for crate::error::ApiError {
    fn from(e: FieldError) -> Self {
        crate::error::ApiError::Internal(format!("field encryption: {e}"))
    }
}

impl From<FieldError> for diesel::result::Error {
    fn from(e: FieldError) -> Self {
        diesel::result::Error::SerializationError(Box::new(e))
    }
}

/// Encrypts and decrypts personal-data fields: writes under the current key version, reads
/// every version it holds (the blob's first byte names it).
#[derive(Clone)]
pub struct FieldCipher {
    version: u8,
    current: Aes256Gcm,
    old: Vec<(u8, Aes256Gcm)>,
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FieldCipher(<redacted>)")
    }
}

/// A 96-bit nonce from 12 bytes (shorter input is zero-padded; callers pass exactly 12).
fn nonce_of(bytes: &[u8]) -> Nonce<aes_gcm::aead::consts::U12> {
    let mut n = [0u8; 12];
    let len = bytes.len().min(12);
    n[..len].copy_from_slice(&bytes[..len]);
    Nonce::from(n)
}

fn associated(table: &str, column: &str, row: &str) -> Vec<u8> {
    format!("kvar/{table}/{column}/{row}").into_bytes()
}

/// Seal `plaintext` with `cipher` under a fresh nonce, bound to table, column and row:
/// `nonce ‖ ciphertext+tag` (the caller adds what names the key).
pub fn seal_with(
    cipher: &Aes256Gcm,
    table: &str,
    column: &str,
    row: &str,
    plaintext: &[u8],
) -> Result<Vec<u8>, FieldError> {
    let nonce_bytes = super::random::bytes(12);
    let aad = associated(table, column, row);
    let ct = cipher
        .encrypt(
            &nonce_of(&nonce_bytes),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| FieldError::Encryption)?;
    let mut out = Vec::with_capacity(12 + ct.len());
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Open what [`seal_with`] made.
pub fn open_with(
    cipher: &Aes256Gcm,
    table: &str,
    column: &str,
    row: &str,
    sealed: &[u8],
) -> Result<Vec<u8>, FieldError> {
    if sealed.len() < 12 + 16 {
        return Err(FieldError::Malformed);
    }
    let (nonce, ct) = sealed.split_at(12);
    let aad = associated(table, column, row);
    cipher
        .decrypt(&nonce_of(nonce), Payload { msg: ct, aad: &aad })
        .map_err(|_| FieldError::Authentication)
}

/// AES-256 from a key of 32 bytes (longer keys use their first 32 bytes).
fn aes(key: &[u8]) -> Aes256Gcm {
    let mut k = [0u8; 32];
    let n = key.len().min(32);
    k[..n].copy_from_slice(&key[..n]);
    Aes256Gcm::new(&k.into())
}

impl FieldCipher {
    /// From a 32-byte key of version [`DEFAULT_KEY_VERSION`] (longer keys use their first 32
    /// bytes).
    pub fn new(key: &[u8]) -> Self {
        Self::versioned(DEFAULT_KEY_VERSION, key, &[])
    }

    /// The current key of `version` and older keys that stay readable (a version equal to the
    /// current one is ignored: config refuses it).
    pub fn versioned(version: u8, key: &[u8], old: &[(u8, Vec<u8>)]) -> Self {
        FieldCipher {
            version,
            current: aes(key),
            old: old
                .iter()
                .filter(|(v, _)| *v != version)
                .map(|(v, k)| (*v, aes(k)))
                .collect(),
        }
    }

    /// The master field key of the configuration: `KVAR_FIELD_KEY` (of
    /// `KVAR_FIELD_KEY_VERSION`) and `KVAR_FIELD_KEYS_OLD`.
    pub fn from_keys(keys: &crate::crypto::Keys) -> Self {
        Self::versioned(keys.field_version, &keys.field, &keys.field_old)
    }

    /// The version new blobs are written under.
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Whether blobs of `version` can be read.
    pub fn reads(&self, version: u8) -> bool {
        version == self.version || self.old.iter().any(|(v, _)| *v == version)
    }

    fn key_of(&self, version: u8) -> Option<&Aes256Gcm> {
        if version == self.version {
            return Some(&self.current);
        }
        self.old.iter().find(|(v, _)| *v == version).map(|(_, k)| k)
    }

    /// Encrypt a field; an error only if AES-GCM refuses the input (beyond its size limit of
    /// 64 GiB, which no field reaches): never an empty ciphertext.
    pub fn encrypt(
        &self,
        table: &str,
        column: &str,
        row: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, FieldError> {
        let sealed = seal_with(&self.current, table, column, row, plaintext)?;
        let mut out = Vec::with_capacity(1 + sealed.len());
        out.push(self.version);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn decrypt(
        &self,
        table: &str,
        column: &str,
        row: &str,
        blob: &[u8],
    ) -> Result<Vec<u8>, FieldError> {
        let (&version, rest) = blob.split_first().ok_or(FieldError::Malformed)?;
        let key = self
            .key_of(version)
            .ok_or(FieldError::UnknownKey(version))?;
        open_with(key, table, column, row, rest)
    }

    pub fn encrypt_str(
        &self,
        table: &str,
        column: &str,
        row: &str,
        s: &str,
    ) -> Result<Vec<u8>, FieldError> {
        self.encrypt(table, column, row, s.as_bytes())
    }

    pub fn decrypt_str(
        &self,
        table: &str,
        column: &str,
        row: &str,
        blob: &[u8],
    ) -> Result<String, FieldError> {
        String::from_utf8(self.decrypt(table, column, row, blob)?)
            .map_err(|_| FieldError::Malformed)
    }
}

/// The keyed blind index used to find a person by personnummer without storing it in clear:
/// HMAC-SHA256 with its own key over the canonical 12-digit form. The key has a version
/// (`KVAR_BLIND_INDEX_KEY_VERSION`): an index of version 1 is the bare hex digest, of a later
/// version `v{N}:` and the digest, so a stored index says which key made it and lookups try the
/// current key and the older ones still configured while `kvar keys rotate-blind-index` runs.
#[derive(Clone)]
pub struct BlindIndex {
    version: u8,
    /// HMAC-SHA256 already keyed: each index clones it, so computing one cannot fail.
    mac: hmac::Hmac<sha2::Sha256>,
    old: Vec<(u8, hmac::Hmac<sha2::Sha256>)>,
}

impl std::fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlindIndex(<redacted>)")
    }
}

fn hmac_of(key: &[u8]) -> Result<hmac::Hmac<sha2::Sha256>, hmac::digest::InvalidLength> {
    use hmac::Mac;
    <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
}

/// The stored form of a blind index of key `version`: bare hex for version 1, `v{N}:hex` after.
pub fn blind_value(version: u8, hex: &str) -> String {
    if version == DEFAULT_KEY_VERSION {
        hex.to_owned()
    } else {
        format!("v{version}:{hex}")
    }
}

/// The key version of a stored blind index (see [`blind_value`]); None when malformed.
pub fn blind_version(value: &str) -> Option<u8> {
    match value.strip_prefix('v') {
        Some(rest) => {
            let (n, _) = rest.split_once(':')?;
            n.parse().ok().filter(|v| *v != DEFAULT_KEY_VERSION)
        }
        None => Some(DEFAULT_KEY_VERSION),
    }
}

impl BlindIndex {
    /// HMAC takes keys of any length (RFC 2104), so this fails only if the hmac crate broke that
    /// promise; the caller then refuses to start rather than index under an empty string.
    pub fn new(key: &[u8]) -> Result<Self, hmac::digest::InvalidLength> {
        Self::versioned(DEFAULT_KEY_VERSION, key, &[])
    }

    /// The current key of `version` and the older keys lookups still try.
    pub fn versioned(
        version: u8,
        key: &[u8],
        old: &[(u8, Vec<u8>)],
    ) -> Result<Self, hmac::digest::InvalidLength> {
        let mut olds = Vec::with_capacity(old.len());
        for (v, k) in old.iter().filter(|(v, _)| *v != version) {
            olds.push((*v, hmac_of(k)?));
        }
        Ok(BlindIndex {
            version,
            mac: hmac_of(key)?,
            old: olds,
        })
    }

    /// The blind-index key of the configuration: `KVAR_BLIND_INDEX_KEY` (of
    /// `KVAR_BLIND_INDEX_KEY_VERSION`) and `KVAR_BLIND_INDEX_KEYS_OLD`.
    pub fn from_keys(keys: &crate::crypto::Keys) -> Result<Self, String> {
        Self::versioned(
            keys.blind_index_version,
            &keys.blind_index,
            &keys.blind_index_old,
        )
        .map_err(|e| format!("KVAR_BLIND_INDEX_KEY: HMAC refused the key: {e}"))
    }

    /// The version new indexes are computed under.
    pub fn version(&self) -> u8 {
        self.version
    }

    fn digest(mac: &hmac::Hmac<sha2::Sha256>, purpose: &str, canonical: &str) -> String {
        use hmac::Mac;
        let mut mac = mac.clone();
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(canonical.as_bytes());
        base16ct::lower::encode_string(&mac.finalize().into_bytes())
    }

    /// The index under the current key (what is stored from now on).
    pub fn of(&self, purpose: &str, canonical: &str) -> String {
        blind_value(self.version, &Self::digest(&self.mac, purpose, canonical))
    }

    /// The index under the current key, then under each older key still configured: what a
    /// lookup matches while a rotation is incomplete.
    pub fn all_of(&self, purpose: &str, canonical: &str) -> Vec<String> {
        let mut out = vec![self.of(purpose, canonical)];
        for (v, mac) in &self.old {
            out.push(blind_value(*v, &Self::digest(mac, purpose, canonical)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_is_bound_to_table_column_and_row() {
        let c = FieldCipher::new(&[3u8; 32]);
        let blob = c
            .encrypt_str("persons", "name", "row1", "Anna Svensson")
            .expect("encrypts");
        assert_eq!(blob[0], DEFAULT_KEY_VERSION);
        assert!(
            !blob.windows(4).any(|w| w == b"Anna"),
            "no clear text in the blob"
        );
        assert_eq!(
            c.decrypt_str("persons", "name", "row1", &blob).as_deref(),
            Ok("Anna Svensson")
        );
        assert_eq!(
            c.decrypt_str("persons", "name", "row2", &blob),
            Err(FieldError::Authentication)
        );
        assert_eq!(
            c.decrypt_str("persons", "pnr", "row1", &blob),
            Err(FieldError::Authentication)
        );
        assert_eq!(
            c.decrypt_str("notes", "name", "row1", &blob),
            Err(FieldError::Authentication)
        );
        let other = FieldCipher::new(&[4u8; 32]);
        assert_eq!(
            other.decrypt_str("persons", "name", "row1", &blob),
            Err(FieldError::Authentication)
        );
    }

    #[test]
    fn nonces_differ_and_tampering_is_detected() {
        let c = FieldCipher::new(&[3u8; 32]);
        let a = c.encrypt_str("t", "c", "r", "same").expect("encrypts");
        let b = c.encrypt_str("t", "c", "r", "same").expect("encrypts");
        assert_ne!(a, b);
        let mut t = a.clone();
        let last = t.len() - 1;
        t[last] ^= 1;
        assert_eq!(
            c.decrypt("t", "c", "r", &t),
            Err(FieldError::Authentication)
        );
        assert_eq!(
            c.decrypt("t", "c", "r", &[2, 0, 0]),
            Err(FieldError::UnknownKey(2))
        );
        assert!(!c.reads(2) && c.reads(1));
        assert_eq!(
            c.decrypt("t", "c", "r", &[1, 0, 0]),
            Err(FieldError::Malformed)
        );
    }

    #[test]
    fn blind_index_is_stable_keyed_and_purpose_bound() {
        let i = BlindIndex::new(&[4u8; 32]).unwrap();
        let a = i.of("personnummer", "191212121212");
        assert_eq!(a, i.of("personnummer", "191212121212"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, i.of("personnummer", "191212121213"));
        assert_ne!(a, i.of("other", "191212121212"));
        assert_ne!(
            a,
            BlindIndex::new(&[5u8; 32])
                .unwrap()
                .of("personnummer", "191212121212")
        );
    }

    #[test]
    fn old_versions_stay_readable_and_new_blobs_use_the_current_one() {
        let v1 = FieldCipher::new(&[3u8; 32]);
        let old = v1.encrypt_str("t", "c", "r", "kept").expect("encrypts");
        let v2 = FieldCipher::versioned(2, &[7u8; 32], &[(1, vec![3u8; 32])]);
        assert_eq!(v2.version(), 2);
        assert_eq!(v2.decrypt_str("t", "c", "r", &old).as_deref(), Ok("kept"));
        let new = v2.encrypt_str("t", "c", "r", "new").expect("encrypts");
        assert_eq!(new[0], 2);
        assert_eq!(
            v1.decrypt_str("t", "c", "r", &new),
            Err(FieldError::UnknownKey(2))
        );
        let only_v2 = FieldCipher::versioned(2, &[7u8; 32], &[]);
        assert_eq!(
            only_v2.decrypt_str("t", "c", "r", &new).as_deref(),
            Ok("new")
        );
        assert_eq!(
            only_v2.decrypt_str("t", "c", "r", &old),
            Err(FieldError::UnknownKey(1))
        );
        // An old key under the wrong version number does not authenticate.
        let swapped = FieldCipher::versioned(2, &[7u8; 32], &[(1, vec![9u8; 32])]);
        assert_eq!(
            swapped.decrypt_str("t", "c", "r", &old),
            Err(FieldError::Authentication)
        );
    }

    #[test]
    fn blind_indexes_carry_their_key_version_and_lookups_try_the_old_keys() {
        let v1 = BlindIndex::new(&[4u8; 32]).expect("key");
        let a1 = v1.of("p", "191212121212");
        assert_eq!(
            a1.len(),
            64,
            "version 1 is the bare digest, as stored before"
        );
        assert_eq!(blind_version(&a1), Some(1));
        let v2 = BlindIndex::versioned(2, &[8u8; 32], &[(1, vec![4u8; 32])]).expect("key");
        let a2 = v2.of("p", "191212121212");
        assert!(a2.starts_with("v2:") && a2.len() == 67, "{a2}");
        assert_eq!(blind_version(&a2), Some(2));
        assert_eq!(v2.all_of("p", "191212121212"), vec![a2.clone(), a1.clone()]);
        assert_eq!(v1.all_of("p", "191212121212"), vec![a1]);
        assert_eq!(blind_version("v1:abc"), None, "version 1 has no prefix");
        assert_eq!(blind_version("vx:abc"), None);
        assert_eq!(blind_value(12, "ab"), "v12:ab");
    }
}
