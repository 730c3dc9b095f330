//! `GET /worklist` (SPEC §4.5): the caller's cases by urgency; supervisors also get the unit's
//! unassigned new cases and the escalation list.

pub mod handlers;
pub mod repo;
pub mod service;
