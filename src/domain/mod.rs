//! Pure rules with no I/O: they carry most unit tests.

pub mod access_review;
pub mod consent;
pub mod cycles;
pub mod deadlines;
pub mod holidays;
pub mod legal_stage;
pub mod outcome;
pub mod personnummer;
pub mod rent_commitment;
pub mod retention;
pub mod rng;
pub mod states;
pub mod statistics;
pub mod suppression;
pub mod sweden;
pub mod text_enum;
pub mod workflow;
pub mod worklist;
