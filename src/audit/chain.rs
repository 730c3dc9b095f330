//! The chain hash: HMAC-SHA256 over the previous hash and the event's fields, each
//! length-prefixed so no two different events encode the same bytes.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The stored fields of an event, in hashing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFields {
    pub id: i64,
    pub at: String,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub actor_unit_id: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub case_id: Option<String>,
    pub request_id: Option<String>,
    pub changed_fields: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

pub(super) fn put(mac: &mut Hmac<Sha256>, field: Option<&str>) {
    match field {
        None => mac.update(&[0]),
        Some(s) => {
            mac.update(&[1]);
            mac.update(&(s.len() as u64).to_be_bytes());
            mac.update(s.as_bytes());
        }
    }
}

/// The audit key was refused by HMAC. HMAC takes keys of any length (RFC 2104), so this means
/// the hmac crate broke that promise: sealing and verifying stop with this reason instead of
/// chaining an empty hash.
#[derive(Debug, thiserror::Error)]
#[error("the audit key was refused by HMAC-SHA256: {0}")]
pub struct KeyRefused(pub(super) hmac::digest::InvalidLength);

impl From<KeyRefused> for diesel::result::Error {
    fn from(e: KeyRefused) -> Self {
        diesel::result::Error::QueryBuilderError(Box::new(e))
    }
}

/// The hash of the event at `seq` following `prev_hash`, as lowercase hex.
pub fn hash(key: &[u8], seq: i64, prev_hash: &str, e: &EventFields) -> Result<String, KeyRefused> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(KeyRefused)?;
    put(&mut mac, Some(prev_hash));
    put(&mut mac, Some(&seq.to_string()));
    put(&mut mac, Some(&e.id.to_string()));
    for f in [
        Some(e.at.as_str()),
        Some(e.actor_type.as_str()),
        e.actor_id.as_deref(),
        e.actor_role.as_deref(),
        e.actor_unit_id.as_deref(),
        Some(e.action.as_str()),
        Some(e.entity_type.as_str()),
        e.entity_id.as_deref(),
        e.case_id.as_deref(),
        e.request_id.as_deref(),
        Some(e.changed_fields.as_str()),
        e.before_json.as_deref(),
        e.after_json.as_deref(),
    ] {
        put(&mut mac, f);
    }
    Ok(base16ct::lower::encode_string(&mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> EventFields {
        EventFields {
            id: 1,
            at: "2026-11-24 10:00:00".into(),
            actor_type: "user".into(),
            actor_id: Some("u".into()),
            actor_role: Some("admin".into()),
            actor_unit_id: None,
            action: "user.create".into(),
            entity_type: "user".into(),
            entity_id: Some("x".into()),
            case_id: None,
            request_id: None,
            changed_fields: "[]".into(),
            before_json: None,
            after_json: Some("{}".into()),
        }
    }

    #[test]
    fn any_change_of_field_seq_prev_or_key_changes_the_hash() {
        let base = hash(b"k", 1, GENESIS, &event()).unwrap();
        assert_eq!(base.len(), 64);
        assert_eq!(base, hash(b"k", 1, GENESIS, &event()).unwrap());
        assert_ne!(base, hash(b"k2", 1, GENESIS, &event()).unwrap());
        assert_ne!(base, hash(b"k", 2, GENESIS, &event()).unwrap());
        assert_ne!(base, hash(b"k", 1, &"1".repeat(64), &event()).unwrap());
        let mut e = event();
        e.action = "user.update".into();
        assert_ne!(base, hash(b"k", 1, GENESIS, &e).unwrap());
    }

    #[test]
    fn none_and_empty_string_differ_and_fields_cannot_shift() {
        let mut a = event();
        a.actor_unit_id = Some(String::new());
        assert_ne!(
            hash(b"k", 1, GENESIS, &a).unwrap(),
            hash(b"k", 1, GENESIS, &event()).unwrap()
        );
        let (mut b, mut c) = (event(), event());
        b.entity_type = "ab".into();
        b.entity_id = Some("c".into());
        c.entity_type = "a".into();
        c.entity_id = Some("bc".into());
        assert_ne!(
            hash(b"k", 1, GENESIS, &b).unwrap(),
            hash(b"k", 1, GENESIS, &c).unwrap()
        );
    }
}
