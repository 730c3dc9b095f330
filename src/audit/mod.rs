//! The audit trail (SPEC §8).
//!
//! Every state change writes an [`record::NewEvent`] in the same transaction as the change
//! ([`record::record`] takes a [`crate::db::Tx`], which only exists inside one). A trigger on
//! its insert puts the event row on a pending queue; a single sealer ([`sealer`]) places pending
//! events in the chain in commit order within a bounded delay: `seq` (gap-free), `prev_hash` and
//! `hash = HMAC-SHA256(audit_key, prev_hash ‖ length-prefixed fields)`, with the key outside the
//! database. Sealing after commit, instead of taking a chain-head lock in every business
//! transaction, keeps commits from serializing on PostgreSQL (as Certificate Transparency logs
//! merge entries). Triggers make `audit_events` and `audit_chain` append-only on both backends.
//! [`verify`] walks the chain and reports the first broken sequence number, and unsealed events
//! older than the bound, and holds the chain to the signed [`checkpoint`]s (in the database and
//! in the external sink), which catches a cut-off tail or a rewrite by someone holding the key.

pub mod access;
pub mod access_seal;
pub mod access_verify;
pub mod action;
pub mod chain;
pub mod checkpoint;
pub mod handlers;
pub mod record;
pub mod sealed;
pub mod sealer;
pub mod verify;

pub use action::AuditAction;
pub use record::{Actor, Changes, NewEvent, record, record_outside_case};
