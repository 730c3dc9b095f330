//! Households (members with their relation, minors derived from birth dates) and tenancies.

pub mod address;
pub mod dto;
pub mod handlers;
pub mod members;
pub mod protection;
pub mod repo;
pub mod service;
pub mod tenancy;
