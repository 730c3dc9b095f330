//! Set-up over the HTTP API: as the platform admin a municipality, a unit, a landlord and the
//! bench's users; then, as caseworkers on several threads, households with a tenancy and a case.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::bail;
use crate::client::{Client, Credentials, Request, field, unexpected};
use crate::error::{BenchError, Result};
use crate::people::{Generator, Household};
use crate::rng::{Rng, secret_hex};

/// What to create.
/// Writes households straight into the database of the unit it is given.
pub type BulkSeeder<'a> = dyn Fn(&str) -> Result<()> + Sync + 'a;

pub struct SeedOptions<'a> {
    pub households: usize,
    /// Called with the new unit's id before the API seeding (the bulk seeder).
    pub bulk: Option<&'a BulkSeeder<'a>>,
    pub threads: usize,
    pub caseworkers: usize,
    pub municipality_code: String,
    /// Makes names unique, so the bench can run again against the same server.
    pub run_id: String,
}

/// A user the bench created.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub creds: Credentials,
}

/// What the scenarios work on.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub supervisor: User,
    /// An analyst of the municipality (the `stats` scenario).
    pub analyst: User,
    pub caseworkers: Vec<User>,
    pub case_ids: Vec<String>,
    pub personnummer: Vec<String>,
    pub seeding: SeedingSummary,
}

#[derive(Debug, Clone)]
pub struct SeedingSummary {
    pub households: usize,
    pub persons: usize,
    pub requests: usize,
    pub elapsed: Duration,
}

impl SeedingSummary {
    pub fn households_per_sec(&self) -> f64 {
        self.households as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    pub fn requests_per_sec(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The organization ids the households are created in and against.
struct Organizations {
    municipality: String,
    unit: String,
    landlord: String,
}

/// Create everything and seed `opts.households` households.
pub fn run(base: &str, admin: &Credentials, opts: &SeedOptions<'_>) -> Result<Fixture> {
    let mut admin_client = Client::new(base);
    admin_client.login(admin)?;
    let orgs = organizations(&mut admin_client, opts)?;
    if let Some(bulk) = opts.bulk {
        bulk(&orgs.unit)?;
    }
    let supervisor = create_user(&mut admin_client, &orgs, opts, "supervisor", "supervisor")?;
    let analyst = create_user(&mut admin_client, &orgs, opts, "analyst", "analyst")?;
    let caseworkers = (1..=opts.caseworkers.max(1))
        .map(|k| {
            create_user(
                &mut admin_client,
                &orgs,
                opts,
                "caseworker",
                &format!("cw{k}"),
            )
        })
        .collect::<Result<Vec<_>>>()?;
    println!(
        "  set-up: municipality {} ({}), unit {}, landlord {}, 1 supervisor, {} caseworkers",
        opts.municipality_code,
        orgs.municipality,
        orgs.unit,
        orgs.landlord,
        caseworkers.len()
    );

    let mut generator = Generator::new(Rng::from_clock(0).next_u64());
    let households: Vec<Household> = (0..opts.households)
        .map(|i| generator.household(i))
        .collect();
    let personnummer: Vec<String> = households
        .iter()
        .flat_map(|h| h.members.iter().map(|m| m.personnummer.clone()))
        .collect();

    let started = Instant::now();
    let (case_ids, requests) = seed_households(base, &orgs, &caseworkers, &households, opts)?;
    let seeding = SeedingSummary {
        households: households.len(),
        persons: personnummer.len(),
        requests,
        elapsed: started.elapsed(),
    };
    Ok(Fixture {
        supervisor,
        analyst,
        caseworkers,
        case_ids,
        personnummer,
        seeding,
    })
}

/// The municipality (reused when one with the code exists), a new unit and a new landlord.
fn organizations(admin: &mut Client, opts: &SeedOptions<'_>) -> Result<Organizations> {
    let req = Request::post(
        "/api/v1/organizations",
        &json!({
            "kind": "municipality",
            "name": format!("Bänkeby kommun ({})", opts.municipality_code),
            "municipality_code": opts.municipality_code,
        }),
    );
    let reply = admin.call(&req)?;
    let municipality = match reply.status {
        201 => field(&reply.json()?, "id")?,
        409 => find_municipality(admin, &opts.municipality_code)?,
        _ => return Err(unexpected("create the municipality", &req, &reply)),
    };
    let unit_req = Request::post(
        format!("/api/v1/organizations/{municipality}/units"),
        &json!({"name": format!("Bench {}", opts.run_id)}),
    );
    let unit = field(
        &admin.expect("create the unit", &unit_req, 201)?.json()?,
        "id",
    )?;
    let landlord_req = Request::post(
        "/api/v1/organizations",
        &json!({"kind": "landlord", "name": format!("Bänkebyhem {}", opts.run_id)}),
    );
    let landlord = field(
        &admin
            .expect("create the landlord", &landlord_req, 201)?
            .json()?,
        "id",
    )?;
    Ok(Organizations {
        municipality,
        unit,
        landlord,
    })
}

/// The id of the municipality with `code`, paging through `GET /organizations`.
fn find_municipality(admin: &mut Client, code: &str) -> Result<String> {
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/organizations?limit=100&cursor={}", encode_query(c)),
            None => "/api/v1/organizations?limit=100".to_owned(),
        };
        let page = admin
            .expect("list organizations", &Request::get(path), 200)?
            .json()?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if let Some(org) = items
            .iter()
            .find(|o| o["municipality_code"].as_str() == Some(code))
        {
            return field(org, "id");
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => {
                bail!("municipality code {code} is taken (409) but no such organization is listed")
            }
        }
    }
}

fn create_user(
    admin: &mut Client,
    orgs: &Organizations,
    opts: &SeedOptions<'_>,
    role: &str,
    suffix: &str,
) -> Result<User> {
    let creds = Credentials {
        username: format!("bench-{}-{suffix}", opts.run_id),
        password: secret_hex(16)?,
    };
    let req = Request::post(
        "/api/v1/users",
        &json!({
            "username": creds.username,
            "password": creds.password,
            "display_name": format!("Bench {suffix}"),
            "role": role,
            "organization_id": orgs.municipality,
            "unit_id": orgs.unit,
        }),
    );
    let reply = admin.call(&req)?;
    if reply.status != 201 {
        // The request body holds the password: describe it without.
        bail!(
            "create user {}: unexpected answer\nPOST /api/v1/users (role {role}, unit {})\n{}",
            creds.username,
            orgs.unit,
            reply.describe()
        );
    }
    Ok(User {
        id: field(&reply.json()?, "id")?,
        creds,
    })
}

/// Seed on `opts.threads` threads, each signed in as a caseworker; returns the case ids and the
/// number of requests made.
fn seed_households(
    base: &str,
    orgs: &Organizations,
    caseworkers: &[User],
    households: &[Household],
    opts: &SeedOptions<'_>,
) -> Result<(Vec<String>, usize)> {
    let threads = opts.threads.clamp(1, 64);
    let done = AtomicUsize::new(0);
    let requests = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let first_error: Mutex<Option<BenchError>> = Mutex::new(None);
    let case_ids: Mutex<Vec<(usize, String)>> = Mutex::new(Vec::with_capacity(households.len()));
    let started = Instant::now();

    thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let worker = &caseworkers[t % caseworkers.len()];
                let (done, requests, stop) = (&done, &requests, &stop);
                let (first_error, case_ids) = (&first_error, &case_ids);
                s.spawn(move || {
                    let result = (|| -> Result<()> {
                        let mut client = Client::new(base);
                        client.login(&worker.creds)?;
                        for i in (t..households.len()).step_by(threads) {
                            if stop.load(Ordering::Relaxed) {
                                return Ok(());
                            }
                            let (id, n) =
                                seed_one(&mut client, orgs, worker, &households[i], i, opts)?;
                            lock(case_ids).push((i, id));
                            requests.fetch_add(n, Ordering::Relaxed);
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(())
                    })();
                    if let Err(e) = result {
                        stop.store(true, Ordering::Relaxed);
                        lock(first_error).get_or_insert(e);
                    }
                })
            })
            .collect();
        let mut last_report = Instant::now();
        while !handles.iter().all(|h| h.is_finished()) {
            thread::sleep(Duration::from_millis(50));
            if last_report.elapsed() >= Duration::from_secs(5) {
                last_report = Instant::now();
                let n = done.load(Ordering::Relaxed);
                println!(
                    "  seeding: {n}/{} households ({:.0}/s)",
                    households.len(),
                    n as f64 / started.elapsed().as_secs_f64()
                );
            }
        }
    });

    if let Some(e) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(BenchError(format!("seeding failed: {e}")));
    }
    let mut ids = case_ids.into_inner().unwrap_or_else(|p| p.into_inner());
    ids.sort();
    Ok((
        ids.into_iter().map(|(_, id)| id).collect(),
        requests.into_inner(),
    ))
}

/// One household, its tenancy, its case and (for some) an assignment and a risk level: the case
/// id and the number of requests made.
fn seed_one(
    client: &mut Client,
    orgs: &Organizations,
    worker: &User,
    h: &Household,
    i: usize,
    opts: &SeedOptions<'_>,
) -> Result<(String, usize)> {
    let code = &opts.municipality_code;
    let household_req = Request::post("/api/v1/households", &h.create_request(code));
    let household = field(
        &client
            .expect("create a household", &household_req, 201)?
            .json()?,
        "id",
    )?;
    let tenancy_req = Request::post(
        "/api/v1/tenancies",
        &json!({
            "household_id": household,
            "landlord_organization_id": orgs.landlord,
            "address": h.address(code),
            "apartment_number": h.apartment_number,
            "monthly_rent": h.monthly_rent,
            "contract_type": if i % 10 == 9 { "municipal_second_hand" } else { "first_hand" },
            "rooms": h.rooms,
            "size_m2": h.size_m2,
        }),
    );
    let tenancy = field(
        &client
            .expect("create a tenancy", &tenancy_req, 201)?
            .json()?,
        "id",
    )?;
    let case_req = Request::post(
        "/api/v1/cases",
        &json!({"household_id": household, "tenancy_id": tenancy}),
    );
    let reply = client.expect("create a case", &case_req, 201)?;
    let case = field(&reply.json()?, "id")?;
    let Some(etag) = reply.etag.clone() else {
        return Err(unexpected("create a case (no ETag)", &case_req, &reply));
    };

    // A realistic mix for the list filters: a third taken by the caseworker, 60% re-assessed.
    let mut change = serde_json::Map::new();
    if i.is_multiple_of(3) {
        change.insert("assigned_to".into(), json!(worker.id));
    }
    if let Some(risk) = match i % 5 {
        0 => Some("low"),
        1 => Some("high"),
        2 => Some("critical"),
        _ => None,
    } {
        change.insert("risk_level".into(), json!(risk));
    }
    if change.is_empty() {
        return Ok((case, 3));
    }
    let patch = Request::patch(
        format!("/api/v1/cases/{case}"),
        &serde_json::Value::Object(change),
        &etag,
    );
    client.expect("assess a new case", &patch, 200)?;
    Ok((case, 4))
}

/// Percent-encode the characters of an opaque cursor that mean something in a query string.
fn encode_query(v: &str) -> String {
    v.chars()
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' | '.' | '~' => c.to_string(),
            other => other
                .to_string()
                .bytes()
                .map(|b| format!("%{b:02X}"))
                .collect(),
        })
        .collect()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
