//! Organizations (municipalities, landlords, the enforcement authority, county boards) and the
//! units of a municipality's social services.

pub mod dto;
pub mod handlers;
pub mod repo;
pub mod service;
