//! Integration tests: the real app over HTTP, on SQLite and (when configured) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod admin;
mod audit;
mod auth;
mod authz;
pub mod casework;
mod cli;
mod demo;
mod errors;
mod hygiene;
mod integrations;
mod legal_clock;
mod openapi_doc;
mod ops;
mod schema_parity;
mod support;
