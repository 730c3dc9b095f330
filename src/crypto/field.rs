//! Field encryption for personal data (SPEC §9): AES-256-GCM with a random 96-bit nonce and the
//! associated data bound to table, column and row, so a ciphertext copied to another row or
//! column does not decrypt. Stored as `version byte ‖ nonce ‖ ciphertext+tag`; the version byte
//! names the key, so keys can be rotated (old rows stay readable with the old key).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

/// The key version written by this build.
pub const CURRENT_KEY_VERSION: u8 = 1;

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

/// Encrypts and decrypts personal-data fields.
#[derive(Clone)]
pub struct FieldCipher {
    current: Aes256Gcm,
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

impl FieldCipher {
    /// From a 32-byte key (longer keys use their first 32 bytes).
    pub fn new(key: &[u8]) -> Self {
        let mut k = [0u8; 32];
        let n = key.len().min(32);
        k[..n].copy_from_slice(&key[..n]);
        FieldCipher {
            current: Aes256Gcm::new(&k.into()),
        }
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
        out.push(CURRENT_KEY_VERSION);
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
        if version != CURRENT_KEY_VERSION {
            return Err(FieldError::UnknownKey(version));
        }
        open_with(&self.current, table, column, row, rest)
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
/// HMAC-SHA256 with its own key over the canonical 12-digit form.
#[derive(Clone)]
pub struct BlindIndex {
    /// HMAC-SHA256 already keyed: each index clones it, so computing one cannot fail.
    mac: hmac::Hmac<sha2::Sha256>,
}

impl std::fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlindIndex(<redacted>)")
    }
}

impl BlindIndex {
    /// HMAC takes keys of any length (RFC 2104), so this fails only if the hmac crate broke that
    /// promise; the caller then refuses to start rather than index under an empty string.
    pub fn new(key: &[u8]) -> Result<Self, hmac::digest::InvalidLength> {
        use hmac::Mac;
        Ok(BlindIndex {
            mac: <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key)?,
        })
    }

    pub fn of(&self, purpose: &str, canonical: &str) -> String {
        use hmac::Mac;
        let mut mac = self.mac.clone();
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(canonical.as_bytes());
        base16ct::lower::encode_string(&mac.finalize().into_bytes())
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
        assert_eq!(blob[0], CURRENT_KEY_VERSION);
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
}
