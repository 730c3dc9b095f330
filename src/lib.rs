//! kvar: case management for eviction prevention in Swedish municipalities.

pub mod app;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod cases;
pub mod cli;
pub mod commands;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod error;
pub mod health;
pub mod households;
pub mod http;
pub mod metrics;
pub mod openapi;
pub mod organizations;
pub mod pagination;
pub mod persons;
pub mod routes;
pub mod state;
pub mod telemetry;
pub mod users;
