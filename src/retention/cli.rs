//! `kvar retention plan | approve | run | archive`.

use chrono::NaiveDate;

use super::{archive, plan, survey};
use crate::cli::RetentionCommand;
use crate::config::{Environment, Settings};
use crate::crypto::Keys;
use crate::crypto::subjects::Keyring;
use crate::db::AnyConnection;
use crate::error::ApiError;

fn message(e: ApiError) -> String {
    match e {
        ApiError::BadRequest(m) => m,
        ApiError::Conflict { detail, .. } => detail,
        other => other.to_string(),
    }
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| "--as-of must be YYYY-MM-DD".into())
}

fn print(summary: &plan::Summary, json: bool) -> Result<(), String> {
    if json {
        println!(
            "{}",
            serde_json::to_string(summary).map_err(|e| e.to_string())?
        );
    } else {
        for line in summary.lines() {
            println!("{line}");
        }
    }
    Ok(())
}

/// Run a retention subcommand.
pub fn run(
    conn: &mut AnyConnection,
    settings: &Settings,
    keys: &Keys,
    command: RetentionCommand,
) -> Result<bool, String> {
    let today = crate::domain::sweden::today();
    let years = settings.retention_years;
    let production = settings.env == Environment::Production;
    // What an erasure deletes or overwrites is zeroed in SQLite's file, and the write-ahead log
    // is truncated afterwards (`db::scrub`).
    crate::db::scrub::zero_what_is_deleted(conn).map_err(|e| e.to_string())?;
    let done = command_run(conn, (settings, keys), command, (today, years, production));
    crate::db::scrub::drop_old_pages(conn).map_err(|e| e.to_string())?;
    done
}

fn command_run(
    conn: &mut AnyConnection,
    (settings, keys): (&Settings, &Keys),
    command: RetentionCommand,
    (today, years, production): (chrono::NaiveDate, u32, bool),
) -> Result<bool, String> {
    match command {
        RetentionCommand::Plan { as_of, json, by } => {
            let as_of = as_of
                .as_deref()
                .map(parse_date)
                .transpose()?
                .unwrap_or(today);
            if production && as_of != today {
                return Err("--as-of is for tests and dry runs: refused for a plan when KVAR_ENV=production".into());
            }
            let s = survey::survey(conn, as_of, years).map_err(|e| e.to_string())?;
            let summary = plan::store(conn, &s, as_of, &by).map_err(message)?;
            print(&summary, json)?;
            Ok(true)
        }
        RetentionCommand::Approve { plan: id, by } => {
            let (org, clusters) = plan::approve(conn, &id, &by).map_err(message)?;
            println!("plan {id} approved by {by} for organization {org}: {clusters} clusters");
            Ok(true)
        }
        RetentionCommand::Run {
            plan: Some(id),
            dry_run,
            as_of,
            json,
        } => {
            if dry_run || as_of.is_some() {
                return Err("--plan runs the plan as planned: no --dry-run or --as-of".into());
            }
            let summary = plan::run(conn, &id, false).map_err(message)?;
            super::short_retention(conn, settings).map_err(|e| e.to_string())?;
            print(&summary, json)?;
            Ok(true)
        }
        RetentionCommand::Run {
            plan: None,
            dry_run,
            as_of,
            json,
        } => {
            let given = as_of.as_deref().map(parse_date).transpose()?;
            if !dry_run && production {
                if given.is_some() {
                    return Err("--as-of is for tests and dry runs: refused for a real run when KVAR_ENV=production".into());
                }
                return Err("in production an erasure needs an approved plan: kvar retention plan, approval (kvar retention approve PLAN --by USERNAME), then kvar retention run --plan ID".into());
            }
            let as_of = given.unwrap_or(today);
            let s = survey::survey(conn, as_of, years).map_err(|e| e.to_string())?;
            let summary = if dry_run {
                plan::summarise(&s, as_of, true, None, |_| true)
            } else {
                // Development: plan and run at once, without a second person.
                let planned = plan::store(conn, &s, as_of, "development").map_err(message)?;
                let id = planned.plan_id.unwrap_or_default();
                let done = plan::run(conn, &id, true).map_err(message)?;
                super::short_retention(conn, settings).map_err(|e| e.to_string())?;
                done
            };
            print(&summary, json)?;
            Ok(true)
        }
        RetentionCommand::Archive {
            out,
            confirm,
            as_of,
        } => {
            let as_of = as_of
                .as_deref()
                .map(parse_date)
                .transpose()?
                .unwrap_or(today);
            match (out, confirm) {
                (Some(dir), None) => {
                    let ring = Keyring::new(&keys.field);
                    let (id, n) =
                        archive::write(conn, &ring, &dir, as_of, years).map_err(message)?;
                    println!(
                        "archive package {id}: {n} clusters written to {} ({} and {})",
                        dir.display(),
                        archive::DATA_FILE,
                        archive::MANIFEST
                    );
                    Ok(true)
                }
                (None, Some(dir)) => {
                    let (id, n) = archive::confirm(conn, &dir).map_err(message)?;
                    println!(
                        "archive package {id} confirmed: its {n} clusters are erased by the next run"
                    );
                    Ok(true)
                }
                _ => Err("give exactly one of --out DIR and --confirm DIR".into()),
            }
        }
    }
}
