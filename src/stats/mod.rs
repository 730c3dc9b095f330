//! `GET /stats/enforcement` and `GET /stats/prevention` (SPEC §9, issue 15): aggregate series
//! for analysts, read from the fact table [`facts`] keeps on write, with small cells suppressed
//! (`domain::suppression`). No series reads personal data or writes access-log rows.

pub mod dto;
pub mod facts;
pub mod handlers;
pub mod repo;
pub mod service;
