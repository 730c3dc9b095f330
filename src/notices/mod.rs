//! The notice ledger (SPEC §3 Notice, §4.2, §4.4): immutable notices, corrections that supersede,
//! defect grading, the legal stage, and deadlines recomputed whenever a notice arrives.

pub mod deadlines;
pub mod dto;
pub mod handlers;
pub mod repo;
pub mod service;
