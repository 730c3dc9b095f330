//! Consents (samtycken, SPEC §9): per person and municipality, with scope, method, validity and
//! withdrawal. They decide what social services may do (a rent commitment's disclosure to the
//! landlord), never what a landlord or Kronofogden is answered.

pub mod dto;
pub mod handlers;
pub mod repo;
pub mod service;
