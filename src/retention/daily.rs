//! The retention job of `serve` (issue 14 item 2): once a day (Swedish date), run every approved
//! plan not yet run (only approved municipalities are erased: the scheduled job never erases
//! without a second person's approval) and the shorter retentions. On PostgreSQL one instance
//! at a time: the session advisory lock [`Lock::Retention`] taken if free; an instance that does
//! not get it leaves the day to the one that did.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use diesel::prelude::*;

use crate::config::Settings;
use crate::db::advisory::{Failure, Lock, run_exclusive};
use crate::db::schema::{retention_plan_approvals, retention_plans};
use crate::db::{AnyConnection, Pool};

/// Plans with at least one approval and not run yet, oldest first.
pub fn approved_pending(conn: &mut AnyConnection) -> QueryResult<Vec<String>> {
    let approved = retention_plan_approvals::table.select(retention_plan_approvals::plan_id);
    retention_plans::table
        .filter(retention_plans::executed_at.is_null())
        .filter(retention_plans::id.eq_any(approved))
        .order(retention_plans::created_at)
        .select(retention_plans::id)
        .load(conn)
}

/// One day's job: returns how many plans ran, or None when another instance holds the lock.
pub fn run_once(conn: &mut AnyConnection, settings: &Settings) -> Result<Option<usize>, String> {
    run_exclusive::<_, Failure, _>(conn, Lock::Retention, |c| {
        run_approved(c, settings).map_err(Into::into)
    })
    .map_err(|e| e.to_string())
}

/// Every approved plan not run yet, then the shorter retentions; returns how many plans ran.
fn run_approved(conn: &mut AnyConnection, settings: &Settings) -> Result<usize, String> {
    let mut ran = 0;
    for id in approved_pending(conn).map_err(|e| e.to_string())? {
        let summary = super::plan::run(conn, &id, false).map_err(|e| e.to_string())?;
        tracing::info!(
            plan = %id,
            clusters = summary.total.clusters,
            persons = summary.total.persons,
            "retention plan run"
        );
        ran += 1;
    }
    super::short_retention(conn, settings).map_err(|e| e.to_string())?;
    Ok(ran)
}

/// Run [`run_once`] on the first check of every day until `stop` is set.
pub fn spawn(pool: Pool, settings: Settings, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let tick = Duration::from_millis(500);
        let mut done_on: Option<chrono::NaiveDate> = None;
        let mut waited = Duration::from_secs(60);
        while !stop.load(Ordering::Relaxed) {
            let today = crate::domain::sweden::today();
            if waited >= Duration::from_secs(60) && done_on != Some(today) {
                waited = Duration::ZERO;
                match pool
                    .get()
                    .map_err(|e| e.to_string())
                    .and_then(|mut c| run_once(&mut c, &settings))
                {
                    Ok(Some(_)) => done_on = Some(today),
                    Ok(None) => done_on = Some(today),
                    Err(e) => {
                        tracing::warn!(error = %e, "retention job could not run; retrying later")
                    }
                }
            }
            std::thread::sleep(tick);
            waited += tick;
        }
    })
}
