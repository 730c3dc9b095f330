//! `kvar seed`: fill a database with many realistic households fast, for the benchmark
//! (SPEC §12 measures lists at 10,000 and 1,000,000 cases).
//!
//! It writes through kvar's own domain code and row functions, so the data is what the API
//! would have stored: valid personnummer (Luhn), names and numbers AES-GCM encrypted and bound
//! to their rows, the blind index, members with `minor_until`, a tenancy, a case, for a quarter
//! of the cases a served termination and a received formulär 3 registered through the notice
//! ledger (legal stage and reinstatement deadline computed by `jb12_44_v1`), and an audit event
//! for every object (sealed into the chain by the server's sealer or `kvar audit verify`).
//! It skips the HTTP layer, argon2 and per-household commits: 500 households a transaction, one
//! transaction stream per thread.

use std::time::Instant;

use chrono::{Months, NaiveDate, TimeDelta};
use diesel::prelude::*;

use crate::audit::AuditAction;
use crate::audit::{self, Actor, Changes, NewEvent};
use crate::cases::repo::{self as cases, CaseRow};
use crate::config::{Environment, Settings};
use crate::crypto::Keys;
use crate::crypto::field::BlindIndex;
use crate::crypto::subjects::Keyring;
use crate::db::schema::units;
use crate::db::{self, AnyConnection, Tx, types, write_tx};
use crate::demo::{FEMALE, MALE, Rng, STREETS, SURNAMES, format_personnummer};
use crate::domain::deadlines::NoticeKind;
use crate::domain::personnummer::Personnummer;
use crate::domain::states::{OrganizationKind, RiskLevel};
use crate::domain::sweden;
use crate::domain::workflow::CaseStatus;
use crate::error::ApiError;
use crate::households::repo::{self as households, HouseholdRow, MemberRow, TenancyRow};
use crate::notices::dto::CreateNoticeRequest;
use crate::organizations::repo as orgs;
use crate::persons::repo as persons;

/// Households written in one transaction.
const CHUNK: u32 = 500;

/// SQLite has one writer: the other threads wait on `busy_timeout` (5 s) for each transaction,
/// so its transactions stay short.
const SQLITE_CHUNK: u32 = 50;
/// The page cache of a seeding SQLite connection (256 MiB).
const SQLITE_CACHE_KIB: u32 = 256 * 1024;
/// Attempts of a chunk that found the database locked.
const RETRIES: u64 = 70;
/// Distinct birth dates of adults (1950 onwards) and of children (2010 onwards).
const ADULT_DAYS: u64 = 20_000;
const CHILD_DAYS: u64 = 5_000;
/// Birth numbers 002–998 are used; the number's last digit gives the sex.
const SERIALS: u64 = 997;

pub struct Options {
    pub households: u32,
    /// The unit whose cases these are (its municipality owns the households).
    pub unit: String,
    /// Parallel transaction streams (PostgreSQL gains from several; SQLite has one writer).
    pub threads: u32,
}

/// Where the households go.
struct Target {
    organization_id: String,
    municipality_code: String,
    unit_id: String,
    landlord_id: String,
}

/// `kvar seed`.
pub fn run(settings: Settings, keys: Keys, opts: Options) -> Result<bool, String> {
    if settings.env == Environment::Production {
        return Err("refusing to seed fictional households where KVAR_ENV=production".into());
    }
    let threads = opts.threads.clamp(1, 16);
    let pool = db::build_pool(&settings.database_url, threads + 1, settings.db_timeout)?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("DATABASE_URL: cannot connect: {e}"))?;
    if settings.migrate_on_start {
        db::run_migrations(&mut conn)?;
    }
    let target = target(&mut conn, &opts.unit)?;
    drop(conn);
    let cipher = Keyring::from_keys(&keys);
    let blind = BlindIndex::from_keys(&keys)?;
    let run_id = types::new_id();
    // Counters start at a random place so that a second run makes other people.
    let start = Rng(u64::from(std::process::id()) ^ crate::demo::clock_seed()).next_u64();
    let started = Instant::now();
    let per_thread = opts.households.div_ceil(threads);
    let written: Result<Vec<u32>, String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (pool, target, cipher, blind, run_id) =
                    (&pool, &target, &cipher, &blind, &run_id);
                let from = t * per_thread;
                let to = ((t + 1) * per_thread).min(opts.households);
                s.spawn(move || -> Result<u32, String> {
                    let mut conn = pool.get().map_err(|e| e.to_string())?;
                    let chunk = match *conn {
                        db::AnyConnection::Sqlite(ref mut c) => {
                            // Every household inserts into a dozen indexes keyed by random ids
                            // and blind indexes; SQLite's default page cache (2 MiB) holds a
                            // small part of them once the database grows past a few hundred
                            // MB, and every other page is read back from the file. (The seed
                            // slowed from 600/s at 50,000 households to 300/s past 250,000;
                            // the server's sealer taking the one writer is the other part.)
                            diesel::connection::SimpleConnection::batch_execute(
                                c,
                                &format!("PRAGMA cache_size = -{SQLITE_CACHE_KIB}"),
                            )
                            .map_err(|e| format!("PRAGMA cache_size: {e}"))?;
                            SQLITE_CHUNK
                        }
                        db::AnyConnection::Postgresql(_) => CHUNK,
                    };
                    let mut maker = Generator {
                        rng: Rng(start.wrapping_add(u64::from(t))),
                        adult: start.wrapping_add(u64::from(from) * 3),
                        child: start.wrapping_add(u64::from(from) * 2),
                        cipher,
                        blind,
                        target,
                        actor: Actor {
                            request_id: Some(format!("seed-{run_id}")),
                            ..Actor::system()
                        },
                        today: sweden::today(),
                    };
                    let mut done = 0;
                    while from + done < to {
                        let n = chunk.min(to - from - done);
                        // A chunk that met a locked database (SQLite's busy_timeout ran out
                        // behind the server's sealer, which on a busy machine can hold the
                        // writer longer) rolled back whole: it is made again after a pause
                        // that grows to 2 s, for up to ~2 minutes.
                        let mut attempt: u64 = 0;
                        loop {
                            let made = crate::stats::facts::deferring_cells(|| {
                                write_tx(&mut conn, |tx| {
                                    (0..n).try_for_each(|_| maker.household(tx))
                                })
                            });
                            match made {
                                Err(ApiError::Unavailable(_)) if attempt < RETRIES => {
                                    attempt += 1;
                                    std::thread::sleep(std::time::Duration::from_millis(
                                        (attempt * 100).min(2_000),
                                    ));
                                }
                                other => break other.map_err(|e: ApiError| e.to_string())?,
                            }
                        }
                        done += n;
                        let chunks = done / chunk;
                        if t == 0 && chunks.is_power_of_two() {
                            refresh_statistics(&mut conn)?;
                        }
                        if t == 0 && chunks.is_multiple_of(20 * CHUNK / chunk) {
                            let total = done * threads;
                            let rate = f64::from(total) / started.elapsed().as_secs_f64();
                            eprintln!("  … {total} households ({rate:.0}/s)");
                        }
                    }
                    Ok(done)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .map_err(|_| "a seeding thread panicked".to_owned())?
            })
            .collect()
    });
    let total: u32 = written?.iter().sum();
    let secs = started.elapsed().as_secs_f64();
    // Fresh planner statistics: with a million rows the planner otherwise still believes the
    // unit holds a handful of cases (PostgreSQL's lists took 100 ms instead of 0.1 ms until
    // autovacuum caught up).
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    // The statistics cells the threads deferred, from the cases' fact rows, at once.
    write_tx(&mut conn, |tx| {
        crate::stats::facts::rebuild_cells(tx, &target.unit_id)
    })
    .map_err(|e: diesel::result::Error| format!("statistics cells: {e}"))?;
    refresh_statistics(&mut conn)?;
    println!(
        "Seeded {total} households (with persons, members, tenancy, case; a quarter with notices \
         and deadlines) into unit {} in {secs:.1} s: {:.0} households/s, {threads} thread(s); \
         planner statistics refreshed.",
        target.unit_id,
        f64::from(total) / secs
    );
    Ok(true)
}

/// Fresh planner statistics. At the end, and on PostgreSQL also while the tables grow (after 1,
/// 2, 4, 8, … chunks): a plan made while `persons` was empty looks a number up through the
/// organization index, reading every person of the municipality for each new one (the seed
/// fell to ~70 households/s at 20,000 on a server with autovacuum off, as on this machine).
fn refresh_statistics(conn: &mut AnyConnection) -> Result<(), String> {
    // ANALYZE on SQLite too: `PRAGMA optimize` analyzed the tables while they were tiny and
    // then left them (a million-case database said 50 cases and 186 audit events), and the
    // planner trusted that over its defaults (an audit-sealer batch became a scan of every event).
    diesel::connection::SimpleConnection::batch_execute(conn, "ANALYZE")
        .map_err(|e| format!("ANALYZE: {e}"))
}

/// The unit, its municipality and a landlord organization for the tenancies.
fn target(conn: &mut AnyConnection, unit: &str) -> Result<Target, String> {
    let org_id: Option<String> = units::table
        .find(unit)
        .select(units::organization_id)
        .first(conn)
        .optional()
        .map_err(|e| e.to_string())?;
    let org_id = org_id.ok_or_else(|| format!("--unit: no unit {unit}"))?;
    let org = orgs::find_scoped(conn, &org_id, None).map_err(|e| format!("{e:?}"))?;
    let municipality_code = org
        .municipality_code
        .filter(|_| org.kind == OrganizationKind::Municipality)
        .ok_or("--unit: the unit must belong to a municipality")?;
    let landlord = orgs::find_by_kind(conn, OrganizationKind::Landlord)
        .map_err(|e| e.to_string())?
        .ok_or("no landlord organization yet: create one first (POST /api/v1/organizations)")?;
    Ok(Target {
        organization_id: org.id,
        municipality_code,
        unit_id: unit.to_owned(),
        landlord_id: landlord.id,
    })
}

struct Generator<'a> {
    rng: Rng,
    /// Running numbers of the adults and children made; each maps to one personnummer.
    adult: u64,
    child: u64,
    cipher: &'a Keyring,
    blind: &'a BlindIndex,
    target: &'a Target,
    actor: Actor,
    today: NaiveDate,
}

impl Generator<'_> {
    /// The next unused personnummer of an adult or a child (skipping any already stored).
    fn person(
        &mut self,
        tx: &mut Tx<'_>,
        child: bool,
    ) -> Result<(Personnummer, NaiveDate), ApiError> {
        loop {
            let (k, days, first) = if child {
                self.child += 1;
                (self.child, CHILD_DAYS, NaiveDate::from_ymd_opt(2010, 1, 1))
            } else {
                self.adult += 1;
                (self.adult, ADULT_DAYS, NaiveDate::from_ymd_opt(1950, 1, 1))
            };
            let first = first.ok_or_else(|| ApiError::Internal("calendar".into()))?;
            let born = first + TimeDelta::days((k % days) as i64);
            let serial = 2 + (k / days) % SERIALS;
            let pnr = Personnummer::parse(&format_personnummer(born, serial as usize, false))
                .map_err(|_| ApiError::Internal("seed made an invalid personnummer".into()))?;
            if persons::find_by_pnr(tx, self.blind, &self.target.organization_id, &pnr)?.is_none() {
                return Ok((pnr, born));
            }
        }
    }

    fn name(&mut self, pnr: &Personnummer) -> String {
        let male = pnr
            .canonical()
            .as_bytes()
            .get(10)
            .is_some_and(|d| d % 2 == 1);
        let first = self.rng.word(if male { MALE } else { FEMALE });
        format!("{first} {}", self.rng.word(SURNAMES))
    }

    fn event(
        &self,
        tx: &mut Tx<'_>,
        action: AuditAction,
        entity: (&str, &str),
        case: Option<&str>,
    ) -> Result<(), ApiError> {
        audit::record(
            tx,
            NewEvent {
                actor: &self.actor,
                action,
                entity_type: entity.0,
                entity_id: Some(entity.1),
                case_id: case,
                changes: Changes::new().created("source", "seed"),
            },
        )?;
        Ok(())
    }

    fn household(&mut self, tx: &mut Tx<'_>) -> Result<(), ApiError> {
        let now = types::now();
        let t = self.target;
        let street = format!("{} {}", self.rng.word(STREETS), self.rng.range(1, 80));
        let address = crate::households::dto::Address {
            street: street.clone(),
            postal_code: format!("{} {:02}", self.rng.range(100, 989), self.rng.range(0, 99)),
            city: "Bänkeby".into(),
            municipality_code: t.municipality_code.clone(),
        };
        let h = HouseholdRow::at(
            (self.cipher, tx),
            t.organization_id.clone(),
            &address,
            "system:seed".into(),
            now,
        )?;
        households::insert_household(tx, &h)?;
        self.event(tx, AuditAction::HouseholdCreate, ("household", &h.id), None)?;
        let adults = 1 + usize::from(self.rng.chance(45));
        let children = if self.rng.chance(50) {
            self.rng.range(1, 3) as usize
        } else {
            0
        };
        for k in 0..adults + children {
            let child = k >= adults;
            let (pnr, born) = self.person(tx, child)?;
            let name = self.name(&pnr);
            let protected_identity = self.rng.chance(1);
            let p = persons::insert(
                tx,
                self.cipher,
                self.blind,
                &persons::NewPerson {
                    organization_id: &self.target.organization_id,
                    pnr: &pnr,
                    name: &name,
                    protected_identity,
                    needs_review: false,
                },
            )?;
            let m = MemberRow {
                id: types::new_id(),
                household_id: h.id.clone(),
                person_id: p.id,
                relation: match (child, k) {
                    (true, _) => "child",
                    (false, 0) => "self",
                    _ => "partner",
                }
                .into(),
                residence: child.then(|| "permanent".into()),
                minor_until: child
                    .then(|| born.checked_add_months(Months::new(18 * 12)))
                    .flatten(),
                created_at: now,
                moved_out_on: None,
            };
            households::insert_member(tx, &m)?;
        }
        let tenancy_id = types::new_id();
        let stored = crate::households::address::StoredAddress::of(&address);
        let at = (h.id.as_str(), tenancy_id.as_str());
        let address_enc = TenancyRow::seal_address(self.cipher, tx, at, &stored)?;
        let tenancy = TenancyRow {
            id: tenancy_id,
            household_id: h.id.clone(),
            landlord_organization_id: t.landlord_id.clone(),
            address_enc: Some(address_enc),
            municipality_code: t.municipality_code.clone(),
            apartment_number: format!("{}", self.rng.range(1001, 1999)),
            rooms: Some(self.rng.range(1, 5) as i32),
            size_m2: Some(self.rng.range(25, 110) as i32),
            monthly_rent: self.rng.range(4_000, 14_000),
            contract_type: "first_hand".into(),
            start_on: Some(self.rng.days_ago(self.today, 200, 6_000)),
            end_on: None,
            conversion_months: None,
            conversion_conditions: None,
            conversion_review_on: None,
            converted_on: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        households::insert_tenancy(tx, &tenancy)?;
        self.event(
            tx,
            AuditAction::TenancyCreate,
            ("tenancy", &tenancy.id),
            None,
        )?;
        let mut case = CaseRow::opened(
            t.organization_id.clone(),
            t.unit_id.clone(),
            h.id.clone(),
            Some(tenancy.id.clone()),
            children > 0,
            now,
        );
        case.status = self.rng.weighted(&[
            (CaseStatus::New, 40),
            (CaseStatus::Triage, 20),
            (CaseStatus::Outreach, 15),
            (CaseStatus::Active, 15),
            (CaseStatus::FollowUp, 10),
        ]);
        case.risk_level = self.rng.weighted(&[
            (RiskLevel::Low, 30),
            (RiskLevel::Medium, 40),
            (RiskLevel::High, 20),
            (RiskLevel::Critical, 10),
        ]);
        cases::insert(tx, &case)?;
        self.event(
            tx,
            AuditAction::CaseCreate,
            ("case", &case.id),
            Some(&case.id),
        )?;
        if self.rng.chance(25) {
            self.notices(tx, case)?;
        }
        Ok(())
    }

    /// A served termination and the social-services notice, through the ledger.
    fn notices(&mut self, tx: &mut Tx<'_>, mut case: CaseRow) -> Result<(), ApiError> {
        let served = self.rng.days_ago(self.today, 3, 40);
        let received = (served + TimeDelta::days(self.rng.range(0, 3))).min(self.today);
        let arrears = self.rng.range(8_000, 60_000);
        for (kind, field, date) in [
            (NoticeKind::TerminationServed, "served_on", served),
            (NoticeKind::SocialNoticeReceived, "received_on", received),
        ] {
            let req: CreateNoticeRequest = serde_json::from_value(serde_json::json!({
                "kind": kind.as_str(),
                field: date,
                "arrears_amount": arrears,
                "apartment_size_m2": 60,
            }))
            .map_err(|e| ApiError::Internal(format!("seed notice: {e}")))?;
            let input = req
                .validate(
                    crate::domain::states::NoticeSource::SocialServices,
                    self.today,
                )
                .map_err(ApiError::Validation)?;
            let registered = crate::notices::service::register(
                tx,
                (self.cipher, self.blind),
                &self.actor,
                &case,
                input,
            )?;
            case.legal_stage = registered.legal_stage;
        }
        Ok(())
    }
}
