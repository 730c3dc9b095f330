//! Integrations (SPEC §7): machine clients with scopes, the inbound notices of landlords and
//! Kronofogden (idempotent, matched to a case), and receipts that reveal nothing about social
//! services.

pub mod arrears;
pub mod clients;
pub mod handlers;
pub mod idempotency;
pub mod inbound;
pub mod matching;
pub mod receipts;
pub mod submitter;
