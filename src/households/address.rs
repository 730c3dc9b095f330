//! Addresses are personal data (issue 14): a household's, a tenancy's and a rent commitment
//! letter's copy are stored as one field sealed under the subject's data key (the household's;
//! the case's for the letter), never in clear.

use serde::{Deserialize, Serialize};

use crate::crypto::subjects::{Keyring, SealError, Subject, SubjectKey};
use crate::db::AnyConnection;
use crate::error::ApiError;

/// An address as stored: street and city trimmed, the postal code without spaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAddress {
    pub street: String,
    pub postal_code: String,
    pub city: String,
}

impl StoredAddress {
    /// The stored form of an address given to the API.
    pub fn of(a: &super::dto::Address) -> StoredAddress {
        StoredAddress {
            street: a.street.trim().into(),
            postal_code: a.postal_code.replace(' ', ""),
            city: a.city.trim().into(),
        }
    }

    /// Sealed for `table`'s row `row` under `subject`'s key.
    pub fn seal(
        &self,
        ring: &Keyring,
        conn: &mut AnyConnection,
        subject: Subject<'_>,
        (table, column, row): (&str, &str, &str),
    ) -> Result<Vec<u8>, SealError> {
        self.seal_with(&ring.key_for_write(conn, subject)?, (table, column, row))
    }

    /// Sealed with a subject's key in hand (a household made in this transaction).
    pub fn seal_with(
        &self,
        key: &SubjectKey<'_>,
        (table, column, row): (&str, &str, &str),
    ) -> Result<Vec<u8>, SealError> {
        let json = serde_json::to_string(self)
            .map_err(|_| SealError::Field(crate::crypto::field::FieldError::Encryption))?;
        key.seal(table, column, row, &json)
    }

    /// Open a stored address (a row without one is a broken database: 500).
    pub fn open(
        ring: &Keyring,
        conn: &mut AnyConnection,
        (table, column, row): (&str, &str, &str),
        blob: Option<&[u8]>,
    ) -> Result<StoredAddress, ApiError> {
        let blob =
            blob.ok_or_else(|| ApiError::Internal(format!("{table} {row}: no sealed address")))?;
        let json = ring
            .open(conn, table, column, row, blob)
            .map_err(|e| e.about(format_args!("{table} {row} address")))?;
        serde_json::from_str(&json)
            .map_err(|_| ApiError::Internal(format!("{table} {row}: stored address")))
    }
}
