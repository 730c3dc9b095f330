//! One benchmark per server: start it (or take the running one), seed, check, run every
//! scenario at every concurrency level, verify the audit chain, report.

use std::fs;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::bail;
use crate::client::{Client, Credentials, Request, unexpected};
use crate::error::{BenchError, Result};
use crate::people::Date;
use crate::report::{self, Section};
use crate::rng::secret_hex;
use crate::scenarios::{self, RunConfig};
use crate::seed::{self, SeedOptions};
use crate::server::{Database, SPAWN_RATE_PER_MINUTE, Spawned, rss_mb};
use crate::{Options, Target};

/// Pause between runs, so one run's tail (and the audit sealer) does not spill into the next.
const SETTLE: Duration = Duration::from_secs(1);

/// Run everything; `Ok(false)` when some backend failed (its section says why).
pub fn run(opts: &Options) -> Result<bool> {
    let run_id = secret_hex(3)?;
    let mut sections = Vec::new();
    let mut all_ok = true;
    match &opts.target {
        Target::External { base, pid } => {
            let password = std::env::var("KVAR_BENCH_ADMIN_PASSWORD").map_err(|_| {
                BenchError("set KVAR_BENCH_ADMIN_PASSWORD to the platform admin's password".into())
            })?;
            let admin = admin_creds(password);
            let mut section = Section {
                title: format!("kvar at {base}"),
                backend: None,
                facts: Vec::new(),
                rows: Vec::new(),
            };
            let server = Server {
                seeder: None,
                base,
                pid: *pid,
                postgres_db: None,
            };
            if let Err(e) = bench(&server, &admin, opts, &run_id, &mut section) {
                eprintln!("kvar-bench: {e}");
                section.facts.push(format!("**failed**: {e}"));
                all_ok = false;
            }
            sections.push(section);
        }
        Target::Spawn {
            databases,
            bin,
            keep,
        } => {
            for database in databases {
                let database = match database {
                    Database::Postgres(pg) if pg.dbname.is_empty() => {
                        Database::Postgres(pg.with_dbname(&format!("kvar_bench_{run_id}")))
                    }
                    other => other.clone(),
                };
                let label = database.label();
                println!("== {label}");
                let mut section = Section {
                    title: label.to_owned(),
                    backend: Some(label),
                    facts: Vec::new(),
                    rows: Vec::new(),
                };
                let password = match std::env::var("KVAR_BENCH_ADMIN_PASSWORD") {
                    Ok(p) => p,
                    Err(_) => secret_hex(16)?,
                };
                let outcome =
                    Spawned::start(bin, &database, &password, &run_id, *keep).and_then(|server| {
                        section.facts.push(format!(
                            "server `{}` (built {}) spawned by the bench (pid {}), ready in {} ms \
                             (SPEC §12: ≤ 1 s); KVAR_AUTH_RATE_PER_MINUTE and \
                             KVAR_SEARCH_RATE_PER_MINUTE = {}",
                            bin.canonicalize().unwrap_or_else(|_| bin.clone()).display(),
                            modified(bin),
                            server.pid(),
                            server.ready_in.as_millis(),
                            SPAWN_RATE_PER_MINUTE
                        ));
                        println!(
                            "  server pid {} on {}, ready in {} ms (data: {})",
                            server.pid(),
                            server.base,
                            server.ready_in.as_millis(),
                            server.data_dir().display()
                        );
                        let measured = Server {
                            seeder: Some(&server),
                            base: &server.base,
                            pid: None,
                            postgres_db: match &database {
                                Database::Postgres(pg) => Some(pg.dbname.clone()),
                                Database::Sqlite => None,
                            },
                        };
                        let result = bench(
                            &measured,
                            &admin_creds(password.clone()),
                            opts,
                            &run_id,
                            &mut section,
                        );
                        drop(server);
                        result
                    });
                if let Err(e) = outcome {
                    eprintln!("kvar-bench: {label}: {e}");
                    section.facts.push(format!("**failed**: {e}"));
                    all_ok = false;
                }
                println!("\n{}", report::section(&section));
                sections.push(section);
            }
        }
    }

    let markdown = document(opts, &sections);
    if let Some(path) = &opts.out {
        fs::write(path, &markdown)
            .map_err(|e| BenchError(format!("cannot write {}: {e}", path.display())))?;
        println!("report written to {}", path.display());
    } else if matches!(opts.target, Target::External { .. }) {
        println!("\n{markdown}");
    }
    Ok(all_ok)
}

/// When `path` was last written, `YYYY-MM-DD HH:MM UTC`.
fn modified(path: &std::path::Path) -> String {
    let Some(secs) = fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
    else {
        return "at an unknown time".into();
    };
    let day = Date::from_days((secs / 86_400) as i64);
    let minute = secs % 86_400 / 60;
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        day.year,
        day.month,
        day.day,
        minute / 60,
        minute % 60
    )
}

/// The platform admin: `admin` (the bootstrap's), or `KVAR_BENCH_ADMIN_USERNAME` (another admin
/// made with `kvar admin create-user`, e.g. on a database kept by `--keep`, whose bootstrap
/// password was random and is gone).
fn admin_creds(password: String) -> Credentials {
    Credentials {
        username: std::env::var("KVAR_BENCH_ADMIN_USERNAME").unwrap_or_else(|_| "admin".into()),
        password,
    }
}

/// Seed, check and measure one server, filling `section` as it goes.
/// The server being measured.
struct Server<'a> {
    /// The spawned server, for `kvar seed` on its database (`--bulk`).
    seeder: Option<&'a Spawned>,
    base: &'a str,
    pid: Option<u32>,
    /// The PostgreSQL database of a spawned server.
    postgres_db: Option<String>,
}

fn bench(
    server: &Server<'_>,
    admin: &Credentials,
    opts: &Options,
    run_id: &str,
    section: &mut Section,
) -> Result<()> {
    let base = server.base;
    let pid = || server.seeder.map(Spawned::pid).or(server.pid);
    let rss = |when: &str| {
        pid()
            .and_then(rss_mb)
            .map(|mb| format!("{when} {mb:.0} MB"))
    };
    let idle_rss = rss("idle before seeding:");

    println!(
        "  seeding {} households on {} threads…",
        opts.households, opts.seed_threads
    );
    let bulk_fact = std::sync::Mutex::new(None);
    let bulk = |unit: &str| -> Result<()> {
        let Some(spawned) = server.seeder else {
            bail!("--bulk needs --spawn (kvar seed writes into the server's database)");
        };
        println!("  bulk seeding {} households with kvar seed…", opts.bulk);
        let printed = spawned.bulk_seed(unit, opts.bulk)?;
        println!("  {printed}");
        if let Ok(mut f) = bulk_fact.lock() {
            *f = Some(format!("bulk: {printed}"));
        }
        Ok(())
    };
    let fixture = seed::run(
        base,
        admin,
        &SeedOptions {
            bulk: (opts.bulk > 0).then_some(&bulk as &seed::BulkSeeder<'_>),
            households: opts.households,
            threads: opts.seed_threads,
            caseworkers: opts.caseworkers,
            municipality_code: opts.municipality_code.clone(),
            run_id: run_id.to_owned(),
        },
    )?;
    let s = &fixture.seeding;
    let seeded = format!(
        "seeded {} households ({} persons; household + tenancy + case, and for 60% a PATCH) \
         on {} threads in {:.1} s: {:.0} households/s, {:.0} requests/s",
        s.households,
        s.persons,
        opts.seed_threads,
        s.elapsed.as_secs_f64(),
        s.households_per_sec(),
        s.requests_per_sec()
    );
    println!("  {seeded}");
    section
        .facts
        .extend(bulk_fact.lock().ok().and_then(|mut f| f.take()));
    section.facts.push(seeded);
    let memory: Vec<String> = [idle_rss, rss("after seeding:")]
        .into_iter()
        .flatten()
        .collect();

    scenarios::preflight(base, &fixture)?;
    let cfg = RunConfig {
        base: base.to_owned(),
        warmup: opts.warmup,
        duration: opts.duration,
        server_pid: pid(),
        postgres_db: server.postgres_db.clone(),
        rate: opts.rate,
    };
    for &scenario in &opts.scenarios {
        for &clients in &opts.concurrency {
            thread::sleep(SETTLE);
            for row in scenarios::run(scenario, clients, &cfg, &fixture)? {
                let s = &row.summary;
                println!(
                    "  {:<58} {:>3} clients: {:>8.0} ops/s  p50 {:>7.2} ms  p99 {:>7.2} ms  \
                     max {:>7.1} ms  errors {}  412s {}",
                    row.scenario,
                    row.threads,
                    s.per_sec,
                    s.p50_ms,
                    s.p99_ms,
                    s.max_ms,
                    s.errors,
                    s.conflicts
                );
                if let Some(c) = row.cpu {
                    println!(
                        "    CPU (% of one core): kvar {}, postgres {:.0}, bench {:.0}, other {:.0}",
                        c.server.map_or("–".into(), |v| format!("{v:.0}")),
                        c.postgres,
                        c.bench,
                        c.other
                    );
                }
                if let Some(line) = report::paced(&row) {
                    println!("    {line}");
                    section.facts.push(format!(
                        "{} ({} clients): {line}",
                        row.scenario, row.threads
                    ));
                }
                if s.relogins > 0 {
                    println!("    signed in again after a 401: {} times", s.relogins);
                }
                if let Some(sample) = s.samples.first() {
                    println!(
                        "    first error:\n      {}",
                        sample.replace('\n', "\n      ")
                    );
                }
                section.rows.push(row);
            }
        }
    }

    thread::sleep(SETTLE);
    let memory: Vec<String> = memory
        .into_iter()
        .chain(rss("idle after the scenarios:"))
        .collect();
    if !memory.is_empty() {
        section.facts.push(format!(
            "server RSS (VmRSS; SPEC §12: ≤ 60 MB idle): {}",
            memory.join(", ")
        ));
    }
    if let Ok(load) = fs::read_to_string("/proc/loadavg") {
        let load: Vec<&str> = load.split_whitespace().take(3).collect();
        section.facts.push(format!(
            "machine load average at the end (1, 5, 15 min): {} (the bench and the server \
             account for about 2 of it while they run; more means other work shared the cores)",
            load.join(", ")
        ));
    }
    let verified = verify_audit(base, admin)?;
    println!("  {verified}");
    section.facts.push(verified);
    Ok(())
}

/// `GET /api/v1/audit/verify` as the admin, timed. Over the 3.5 million events of a `--bulk`
/// million it takes minutes (65 s for `kvar audit verify` on PostgreSQL), past the 60 s the
/// scenarios' requests may take.
fn verify_audit(base: &str, admin: &Credentials) -> Result<String> {
    let mut client = Client::with_timeout(base, Duration::from_secs(1800));
    client.login(admin)?;
    let req = Request::get("/api/v1/audit/verify");
    let started = Instant::now();
    let reply = client.expect("verify the audit chain", &req, 200)?;
    let took = started.elapsed();
    let v = reply.json()?;
    if v["ok"].as_bool() != Some(true) {
        return Err(unexpected(
            "the audit chain does not verify after the load",
            &req,
            &reply,
        ));
    }
    Ok(format!(
        "audit chain verified after the load: {} events in {:.1} s",
        v["events"],
        took.as_secs_f64()
    ))
}

/// The report: a header with the machine and the settings, then one section per backend.
fn document(opts: &Options, sections: &[Section]) -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let today = Date::from_days((secs / 86_400) as i64);
    let cores = thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let commit = Command::new("git")
        .args([
            "-C",
            env!("CARGO_MANIFEST_DIR"),
            "rev-parse",
            "--short",
            "HEAD",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let levels: Vec<String> = opts.concurrency.iter().map(usize::to_string).collect();
    let mut out = format!(
        "## kvar-bench results, {:04}-{:02}-{:02} (UTC)\n\n\
         Machine: {cores} cores ({cpu}); the bench and the server share them over loopback. \
         Repository HEAD {commit} when the bench ran (the server is the binary named below). \
         {} households seeded; concurrency {}; warm-up {:?}, measured {:?} per run. CPU % is \
         of one core ({cores} cores = {}%): kvar, the PostgreSQL backends serving its database, \
         the bench itself, and everything else on the machine (more than a few % of \"other\" \
         means other work disturbed that run).\n\n",
        today.year,
        today.month,
        today.day,
        opts.households,
        levels.join(", "),
        opts.warmup,
        opts.duration,
        cores * 100,
    );
    for section in sections {
        out.push_str(&report::section(section));
        out.push('\n');
    }
    out
}
