//! Building a review set: the unit's access-log entries of the period, the rules of
//! [`crate::domain::access_review`], one transaction with its audit event. Used by
//! `POST /access-reviews` (on demand) and `kvar access-review generate` (monthly, from cron).

use chrono::{NaiveDate, TimeDelta};
use diesel::prelude::*;

use super::repo::{self, EntryRow, ReviewRow};
use crate::audit::{Actor, AuditAction, Changes};
use crate::db::schema::{organizations, units};
use crate::db::{AnyConnection, Tx, types, write_tx};
use crate::domain::access_review::{self as rules, ReviewStatus, ReviewTrigger, Thresholds};
use crate::domain::states::OrganizationKind;
use crate::domain::sweden;
use crate::error::ApiError;

/// What to build.
pub struct Request<'a> {
    pub organization_id: &'a str,
    pub unit_id: &'a str,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub trigger: ReviewTrigger,
    pub generated_by: Option<&'a str>,
    pub thresholds: Thresholds,
}

/// A random seed for a new review (stored on it, so its sample can be drawn again).
fn new_seed() -> i64 {
    let b = crate::crypto::random::bytes(8);
    let mut a = [0u8; 8];
    a.copy_from_slice(&b);
    i64::from_le_bytes(a)
}

/// Build and store the set with a new seed; `None` when the monthly set of the unit and month
/// exists already (the monthly run is idempotent).
pub fn generate(
    tx: &mut Tx<'_>,
    actor: &Actor,
    req: &Request<'_>,
) -> Result<Option<(ReviewRow, usize)>, ApiError> {
    if req.trigger == ReviewTrigger::Monthly
        && repo::monthly_exists(tx, req.unit_id, req.period_start)?
    {
        return Ok(None);
    }
    let from = sweden::start_of_day_utc(req.period_start);
    let until = sweden::start_of_day_utc(req.period_end + TimeDelta::days(1));
    let reads = repo::reads_for_unit(tx, req.unit_id, from, until)?;
    let seed = new_seed();
    let selected = rules::select(
        &reads,
        req.thresholds,
        u64::from_le_bytes(seed.to_le_bytes()),
    );
    let review = ReviewRow {
        id: types::new_id(),
        organization_id: req.organization_id.to_owned(),
        unit_id: req.unit_id.to_owned(),
        period_start: req.period_start,
        period_end: req.period_end,
        trigger: req.trigger,
        seed,
        sample_size: i32::try_from(req.thresholds.sample_size).unwrap_or(i32::MAX),
        volume_per_hour: i32::try_from(req.thresholds.volume_per_hour).unwrap_or(i32::MAX),
        reads_in_period: i64::try_from(reads.len()).unwrap_or(i64::MAX),
        status: ReviewStatus::Open,
        generated_by: req.generated_by.map(str::to_owned),
        generated_at: types::now(),
        signed_off_by: None,
        signed_off_at: None,
        version: 1,
    };
    repo::insert_review(tx, &review)?;
    let entries: Vec<EntryRow> = selected
        .iter()
        .map(|(log_id, reasons)| EntryRow {
            id: types::new_id(),
            review_id: review.id.clone(),
            access_log_id: *log_id,
            reasons: repo::encode_reasons(reasons),
            verdict: None,
            comment_enc: None,
            decided_by: None,
            decided_at: None,
        })
        .collect();
    repo::insert_entries(tx, &entries)?;
    super::record(
        tx,
        actor,
        AuditAction::AccessReviewCreate,
        (super::ENTITY, &review.id),
        Changes::new()
            .created("unit_id", review.unit_id.as_str())
            .created("period_start", review.period_start.to_string())
            .created("period_end", review.period_end.to_string())
            .created("trigger", review.trigger.as_str())
            .created("seed", review.seed)
            .created("reads_in_period", review.reads_in_period)
            .created("entries", entries.len()),
    )?;
    Ok(Some((review, entries.len())))
}

/// What the monthly run did for one unit.
pub struct MonthlyOutcome {
    pub unit_id: String,
    /// The new review and its entry count; None: the unit's review of the month existed.
    pub built: Option<(String, usize)>,
}

/// The monthly run (`kvar access-review generate`): the review of `period` for every unit of
/// every municipality, one transaction per unit, skipping units whose review exists.
pub fn monthly(
    conn: &mut AnyConnection,
    (period_start, period_end): (NaiveDate, NaiveDate),
    thresholds: Thresholds,
) -> Result<Vec<MonthlyOutcome>, ApiError> {
    let all: Vec<(String, String)> = units::table
        .inner_join(organizations::table)
        .filter(organizations::kind.eq(OrganizationKind::Municipality))
        .select((units::id, units::organization_id))
        .order(units::id)
        .load(conn)?;
    let mut out = Vec::with_capacity(all.len());
    for (unit_id, organization_id) in all {
        let built = write_tx(conn, |tx| {
            generate(
                tx,
                &Actor::system(),
                &Request {
                    organization_id: &organization_id,
                    unit_id: &unit_id,
                    period_start,
                    period_end,
                    trigger: ReviewTrigger::Monthly,
                    generated_by: None,
                    thresholds,
                },
            )
        })?;
        out.push(MonthlyOutcome {
            unit_id,
            built: built.map(|(r, n)| (r.id, n)),
        });
    }
    Ok(out)
}
