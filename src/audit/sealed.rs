//! Free text in audit events (transition, closure and reopening reasons) is personal data: it
//! is recorded sealed under the case's data key as `{"sealed": "<base64>"}` (issue 14). The
//! chain hashes the stored text, so it still verifies after the key is destroyed, when the
//! value can no longer be opened. Events written before this rule hold their reasons in clear:
//! the chain forbids rewriting them (see the README on retention).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::crypto::subjects::{Keyring, SealError, Subject};
use crate::db::AnyConnection;

const KEY: &str = "sealed";

fn bound_to(field: &str) -> (&'static str, &str) {
    ("audit_events", field)
}

/// `text`, a field of an event about case `case_id`, sealed for the event's JSON.
pub fn seal(
    ring: &Keyring,
    conn: &mut AnyConnection,
    case_id: &str,
    field: &str,
    text: &str,
) -> Result<Value, SealError> {
    let (table, column) = bound_to(field);
    let blob = ring.seal(conn, Subject::case(case_id), table, column, case_id, text)?;
    Ok(json!({ KEY: STANDARD.encode(blob) }))
}

/// Open the sealed values of an event's `before`/`after` object in place, for staff who may
/// read the case's history; a value whose key was destroyed becomes `{"erased": true}`.
pub fn open_in(ring: &Keyring, conn: &mut AnyConnection, case_id: Option<&str>, v: &mut Value) {
    let (Some(case_id), Value::Object(fields)) = (case_id, v) else {
        return;
    };
    for (field, value) in fields.iter_mut() {
        let Some(b64) = value.get(KEY).and_then(Value::as_str) else {
            continue;
        };
        let (table, column) = bound_to(field);
        let opened = STANDARD
            .decode(b64)
            .ok()
            .map(|blob| ring.open(conn, table, column, case_id, &blob));
        *value = match opened {
            Some(Ok(text)) => Value::String(text),
            Some(Err(SealError::Erased)) => json!({"erased": true}),
            _ => json!({"unreadable": true}),
        };
    }
}
