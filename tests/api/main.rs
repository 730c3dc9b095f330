//! Integration tests: the real app over HTTP, on SQLite and (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod access_log;
mod access_reviews;
mod access_seal;
mod admin;
mod audit;
mod auth;
mod authz;
mod canary;
pub mod casework;
mod cli;
mod consents;
mod cycles;
mod data_keys;
mod decisions;
mod demo;
mod errors;
mod households;
mod hygiene;
mod instances;
pub mod integrations;
mod key_rotation;
mod legal_clock;
mod mass_assignment;
mod openapi_doc;
mod ops;
mod persons_municipality;
mod protected_identity;
mod proxies;
mod races;
mod rent_commitments;
mod retention;
mod schema_parity;
mod stats;
mod supply_chain;
mod support;
mod web;
mod worklist;
