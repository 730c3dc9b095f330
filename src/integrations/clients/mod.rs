//! Integration clients: created by an administrator for a landlord or enforcement-authority
//! organization; the secret is shown once and stored as SHA-256 (it is 256 random bits);
//! rotating or revoking moves the client's version, which refuses every token issued before.

//!
//! The usual layers of a resource: [`dto`] (requests and responses), [`repo`] (the client row and
//! its queries), [`service`] (the rules, the transaction, the audit event); the HTTP handlers are
//! in `integrations::handlers` with the rest of the integration API.

pub mod dto;
pub mod repo;
pub mod service;

pub use dto::{
    ClientList, ClientResponse, ClientSecretResponse, ClientTokenResponse, CreateClientRequest,
    TokenRequest,
};
pub use repo::{ClientRow, active_client};
pub use service::{allowed_scopes, create, list, revoke, rotate, token};
