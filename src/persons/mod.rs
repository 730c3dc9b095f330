//! Persons: identity numbers and names stored encrypted, found through a keyed blind index.

pub mod extract;
pub mod handlers;
pub mod profile;
pub mod repo;
pub mod service;
pub mod split;
