//! The audit trail's canonical form: the text of an event's changes (`changed_fields`,
//! `before_json`, `after_json`) as stored and hashed, and the chain hash's field framing.

use serde_json::Value;

use crate::audit::chain::{self, EventFields, GENESIS};
use crate::audit::record::{Changes, encode};

const KEY: &[u8] = b"fuzz-audit-key";

/// The input, if it is JSON, is the new value of the changed fields (an object: one field per
/// key; anything else: one field `value`).
pub fn audit(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    // The compact text is a fixed point: it parses back to the same value and text.
    let text = v.to_string();
    let again = serde_json::from_str::<Value>(&text);
    assert!(again.is_ok(), "canonical text does not parse");
    let again = again.unwrap_or_default();
    assert_eq!(again.to_string(), text, "canonical text is not stable");

    let changes = match &v {
        Value::Object(m) => m.iter().fold(Changes::new(), |c, (k, x)| {
            c.field(k, Value::Null, x.clone())
        }),
        other => Changes::new().created("value", other.clone()),
    };
    let names = changes.field_names().to_vec();
    let (changed, before, after) = encode(changes.clone());
    assert_eq!(
        encode(changes),
        (changed.clone(), before.clone(), after.clone())
    );
    let listed = serde_json::from_str::<Vec<String>>(&changed).unwrap_or_default();
    assert_eq!(listed, names, "changed_fields lists the fields in order");
    for stored in [&before, &after].into_iter().flatten() {
        let parsed = serde_json::from_str::<Value>(stored).unwrap_or_default();
        assert!(parsed.is_object(), "stored changes are an object");
        assert_eq!(&parsed.to_string(), stored, "stored changes are canonical");
        let keys: Vec<&String> = parsed
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "keys sorted");
    }

    let event = EventFields {
        id: 1,
        at: "2026-01-01T00:00:00Z".into(),
        actor_type: "user".into(),
        actor_id: None,
        actor_role: None,
        actor_unit_id: None,
        action: "case.updated".into(),
        entity_type: "case".into(),
        entity_id: None,
        case_id: None,
        request_id: None,
        changed_fields: changed,
        before_json: before,
        after_json: after,
    };
    let h = chain::hash(KEY, 1, GENESIS, &event).unwrap_or_default();
    assert_eq!(h.len(), 64);
    assert_eq!(chain::hash(KEY, 1, GENESIS, &event).ok(), Some(h.clone()));
    // Framing: moving text from one field to its neighbour, or writing "" for an absent field,
    // changes the hash.
    let mut shifted = event.clone();
    shifted.before_json = Some(format!(
        "{}{}",
        event.before_json.as_deref().unwrap_or_default(),
        event.after_json.as_deref().unwrap_or_default()
    ));
    shifted.after_json = Some(String::new());
    if shifted != event {
        assert_ne!(chain::hash(KEY, 1, GENESIS, &shifted).ok(), Some(h.clone()));
    }
    let mut split = event.clone();
    let cut = text
        .char_indices()
        .nth(data.len() % (text.chars().count() + 1))
        .map_or(text.len(), |(i, _)| i);
    split.entity_id = Some(text[..cut].to_owned());
    split.case_id = Some(text[cut..].to_owned());
    let mut other = event.clone();
    other.entity_id = Some(text.clone());
    other.case_id = Some(String::new());
    if split != other {
        assert_ne!(
            chain::hash(KEY, 1, GENESIS, &split).ok(),
            chain::hash(KEY, 1, GENESIS, &other).ok(),
            "field framing"
        );
    }
    let mut empty = event.clone();
    empty.actor_id = Some(String::new());
    assert_ne!(chain::hash(KEY, 1, GENESIS, &empty).ok(), Some(h));
}
