//! Appending an audit event inside the caller's transaction.

use diesel::prelude::*;
use serde_json::{Map, Value};

use super::AuditAction;
use crate::db::schema::audit_events;
use crate::db::{Tx, types};

/// Who did it.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// `user`, `client`, `system` or `anonymous`.
    pub kind: &'static str,
    pub id: Option<String>,
    pub role: Option<String>,
    pub unit_id: Option<String>,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            kind: "system",
            ..Actor::default()
        }
    }

    pub fn anonymous(request_id: String) -> Actor {
        Actor {
            kind: "anonymous",
            request_id: Some(request_id),
            ..Actor::default()
        }
    }
}

/// What changed: field names, with before/after values only for non-secret fields.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    fields: Vec<String>,
    before: Map<String, Value>,
    after: Map<String, Value>,
}

impl Changes {
    pub fn new() -> Self {
        Changes::default()
    }

    /// A field whose values may be recorded; ignored when unchanged.
    pub fn field(mut self, name: &str, before: impl Into<Value>, after: impl Into<Value>) -> Self {
        let (b, a) = (before.into(), after.into());
        if b != a {
            self.fields.push(name.into());
            self.before.insert(name.into(), b);
            self.after.insert(name.into(), a);
        }
        self
    }

    /// A secret field (password, personal data): recorded as changed, never by value.
    pub fn secret(mut self, name: &str, changed: bool) -> Self {
        if changed {
            self.fields.push(name.into());
        }
        self
    }

    /// Values of a newly created object (non-secret fields only).
    pub fn created(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.fields.push(name.into());
        self.after.insert(name.into(), value.into());
        self
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn field_names(&self) -> &[String] {
        &self.fields
    }
}

/// One event to append.
pub struct NewEvent<'a> {
    pub actor: &'a Actor,
    pub action: AuditAction,
    pub entity_type: &'a str,
    pub entity_id: Option<&'a str>,
    pub case_id: Option<&'a str>,
    pub changes: Changes,
}

fn json_or_none(m: Map<String, Value>) -> Option<String> {
    (!m.is_empty()).then(|| Value::Object(m).to_string())
}

/// The stored text of `changes`, hashed into the chain as written: `changed_fields`,
/// `before_json`, `after_json` (objects with sorted keys, compact).
pub fn encode(changes: Changes) -> (String, Option<String>, Option<String>) {
    let changed = serde_json::to_string(&changes.fields).unwrap_or_else(|_| "[]".into());
    (
        changed,
        json_or_none(changes.before),
        json_or_none(changes.after),
    )
}

/// Append `event` in the caller's transaction; the database queues it for the sealer, which
/// seals it into the chain after commit.
pub fn record(tx: &mut Tx<'_>, event: NewEvent<'_>) -> QueryResult<i64> {
    let (changed, before_json, after_json) = encode(event.changes);
    let id: i64 = diesel::insert_into(audit_events::table)
        .values((
            audit_events::at.eq(types::now()),
            audit_events::actor_type.eq(event.actor.kind),
            audit_events::actor_id.eq(event.actor.id.as_deref()),
            audit_events::actor_role.eq(event.actor.role.as_deref()),
            audit_events::actor_unit_id.eq(event.actor.unit_id.as_deref()),
            audit_events::action.eq(event.action),
            audit_events::entity_type.eq(event.entity_type),
            audit_events::entity_id.eq(event.entity_id),
            audit_events::case_id.eq(event.case_id),
            audit_events::request_id.eq(event.actor.request_id.as_deref()),
            audit_events::changed_fields.eq(changed),
            audit_events::before_json.eq(before_json),
            audit_events::after_json.eq(after_json),
        ))
        .returning(audit_events::id)
        .get_result(&mut **tx)?;
    // The trigger `audit_events_queue` (migration 000029) has queued it in `audit_pending`.
    Ok(id)
}

/// [`record`] an event about an object that belongs to no case (a person's consent, a household
/// member, an integration client).
pub fn record_outside_case(
    tx: &mut Tx<'_>,
    actor: &Actor,
    action: AuditAction,
    entity_type: &str,
    entity_id: &str,
    changes: Changes,
) -> QueryResult<i64> {
    record(
        tx,
        NewEvent {
            actor,
            action,
            entity_type,
            entity_id: Some(entity_id),
            case_id: None,
            changes,
        },
    )
}
