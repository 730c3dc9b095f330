//! `kvar demo`: a demo municipality (two units, a user of every role, households with tenancies
//! and cases in every status, some with children) so a newcomer can explore the API at once.
//!
//! Everything goes through the service functions the HTTP handlers call, acting as the demo
//! users, so the data is what the API itself would have written: encrypted identities with their
//! blind index, an audit event in every transaction, an access-log entry for every person shown,
//! statuses reached only by legal transitions, closures of cases with children filed by the
//! caseworker and approved by the supervisor. Only the content is made up here, by a seeded
//! SplitMix64: the same `--seed` on a fresh database on the same day (ages are relative to today)
//! gives the same households.

mod cast;
mod people;
mod runner;
mod story;

use std::time::Instant;

use crate::config::{Environment, Settings};
use crate::crypto::Keys;

pub(crate) use people::{FEMALE, MALE, Rng, STREETS, SURNAMES, format_personnummer};
use runner::seed_all;

/// The demo municipality's kommunkod: four digits no real Swedish municipality has.
pub const MUNICIPALITY_CODE: &str = "9999";
pub const MUNICIPALITY_NAME: &str = "Kvarby kommun";
pub const LANDLORD_NAME: &str = "Kvarby Bostäder AB";
const UNITS: [&str; 2] = ["Bostadsteamet Norr", "Bostadsteamet Söder"];

/// What `kvar demo` was asked for.
pub struct Options {
    pub households: u32,
    pub seed: Option<u64>,
}

/// `kvar demo`: Ok(true) when seeded; Err with a message for the terminal otherwise.
pub fn run(settings: Settings, keys: Keys, opts: Options) -> Result<bool, String> {
    if settings.env == Environment::Production {
        return Err(
            "refusing to create demo users with a shared password where \
                    KVAR_ENV=production"
                .into(),
        );
    }
    let started = Instant::now();
    let seed = opts.seed.unwrap_or_else(clock_seed);
    let (state, first) = crate::app::prepare(settings, keys)?;
    if let Some(crate::bootstrap::FirstStart::Generated(pw)) = first {
        println!(
            "First start: created the platform admin \"admin\", password \"{pw}\" (shown once)."
        );
    }
    let report = actix_web::rt::System::new().block_on(seed_all(&state, opts.households, seed))?;
    report.print(seed, started);
    Ok(true)
}

pub(crate) fn clock_seed() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    now.as_secs() ^ u64::from(now.subsec_nanos()).rotate_left(32)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
