//! What waits for a supervisor's decision in the unit (SPEC §4.1, §4.6): the pending closure
//! requests and rent commitments of the cases the caller reaches, as keyset-paginated lists, so
//! that the supervisor's screen needs no walk over the worklist. The decisions themselves stay
//! where they were: `POST /cases/{id}/closure-approvals` and
//! `POST /cases/{id}/rent-commitments/{cid}/decision`.

pub mod dto;
pub mod handlers;
pub mod repo;
pub mod service;
