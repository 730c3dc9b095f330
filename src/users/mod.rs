//! Staff accounts: created and changed by administrators (SPEC §13), each change audited.

pub mod dto;
pub mod handlers;
pub mod members;
pub mod repo;
pub mod service;
