//! Rent commitments (förbindelser, JB 12:44): the social board's written promise to pay that
//! saves a tenancy when it reaches the landlord within the reinstatement period (SPEC §4.6).

pub mod disclosure;
pub mod dto;
pub mod handlers;
pub mod landlord;
pub mod letter;
pub mod repo;
pub mod service;
