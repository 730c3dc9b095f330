//! Access reviews (logguppföljning, SPEC §9): monthly and on-demand review sets per unit, a
//! random sample plus every flagged read ([`crate::domain::access_review`]), verdicts by the
//! unit's supervisors and the organization's auditors, sign-off, and a CSV export for
//! inspections. The monthly sets come from `kvar access-review generate` run by cron: kvar has
//! no scheduler thread of its own.

pub mod dto;
pub mod export;
pub mod generate;
pub mod handlers;
pub mod repo;
pub mod service;

use crate::audit::{self, Actor, AuditAction, Changes, NewEvent};
use crate::config::Settings;
use crate::db::Tx;
use crate::domain::access_review::Thresholds;
use crate::error::ApiError;

/// The audit and access-log entity names.
pub const ENTITY: &str = "access_review";
pub const ENTRY_ENTITY: &str = "access_review_entry";

/// The configured sample size and hourly volume threshold.
pub fn thresholds(settings: &Settings) -> Thresholds {
    Thresholds {
        sample_size: usize::try_from(settings.access_review_sample).unwrap_or(usize::MAX),
        volume_per_hour: usize::try_from(settings.access_review_volume_per_hour)
            .unwrap_or(usize::MAX),
    }
}

/// Append the audit event of a step on a review (`entity_type` [`ENTITY`]) or one of its
/// entries ([`ENTRY_ENTITY`]); reviews are about no single case.
fn record(
    tx: &mut Tx<'_>,
    actor: &Actor,
    action: AuditAction,
    (entity_type, entity_id): (&str, &str),
    changes: Changes,
) -> Result<(), ApiError> {
    audit::record(
        tx,
        NewEvent {
            actor,
            action,
            entity_type,
            entity_id: Some(entity_id),
            case_id: None,
            changes,
        },
    )?;
    Ok(())
}
