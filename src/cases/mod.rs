//! Cases (ärenden): the social-services work on a household at risk of eviction.

pub mod dto;
pub mod handlers;
pub mod interventions;
pub mod logs;
pub mod notes;
pub mod repo;
pub mod service;
pub mod transitions;
