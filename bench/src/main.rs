//! `kvar-bench`: the load generator of SPEC §12. Seeds a municipality through kvar's HTTP API,
//! runs each scenario at fixed concurrency levels and prints a Markdown report.

mod client;
mod cpu;
mod error;
mod ops;
mod pace;
mod people;
mod report;
mod rng;
mod runner;
mod scenarios;
mod seed;
mod server;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::error::{BenchError, Result};
use crate::scenarios::Scenario;
use crate::server::{Database, PgUrl};

const HELP: &str = "\
kvar-bench: load generator for kvar (SPEC §12)

Usage:
  kvar-bench --base http://127.0.0.1:8080 [--server-pid PID] [options]
      against a running kvar; the platform admin's password in KVAR_BENCH_ADMIN_PASSWORD
      (and its username in KVAR_BENCH_ADMIN_USERNAME when it is not `admin`)
  kvar-bench --spawn [--backends sqlite,postgres] [options]
      starts target/release/kvar serve itself, once per backend, on a temporary data
      directory (and a fresh PostgreSQL database made with createdb), with the auth and
      search rate limits raised; stops it and cleans up afterwards

Target:
  --base URL              a running server
  --server-pid PID        its process id, to report its memory (VmRSS)
  --spawn                 start the server (one per backend)
  --backends LIST         with --spawn: sqlite, postgres or both (default: sqlite)
  --pg-server URL         with --spawn: PostgreSQL server for the fresh databases
                          (default: postgres://postgres@127.0.0.1:5432)
  --database-url URL      with --spawn: one server on exactly this postgres:// database,
                          created with createdb first and dropped afterwards
  --server-bin PATH       the kvar binary (default: ../target/release/kvar from bench/)
  --keep                  keep the spawned server's data directory, log and database

Load:
  --households N          households (each with a tenancy and a case) to seed (default: 1000)
  --bulk N                with --spawn: also write N households with cases into the bench unit with
                          `kvar seed` (through kvar's domain code, straight into the database)
                          before the API seeding, then seal and verify the audit chain; on SQLite
                          the server is stopped meanwhile and started again (one writer)
  --seed-threads N        parallel seeding threads (default: 4)
  --caseworkers N         caseworkers to create; the seeding threads sign in as them (default: 4)
  --municipality-code C   kommunkod of the bench municipality, reused if it exists (default: 0999)
  --concurrency LIST      concurrency levels (default: 1,16,64)
  --warmup D              warm-up before each measurement, e.g. 2s or 500ms (default: 2s)
  --duration D            measured window (default: 10s)
  --scenarios LIST        any of case_get, case_list, case_update, note_append, person_search,
                          login_storm_reads, worklist, stats (default: all), and mixed (80 %
                          reads, 20 % writes; only when named)
  --rate R                fixed-rate load: R requests/s in all (e.g. 200), or R% of the
                          scenario's closed-loop maximum measured just before (e.g. 50%);
                          latency counts from when each request was due
  --out FILE              also write the Markdown report to FILE
  -h, --help              this text
";

/// Which server(s) to measure.
#[derive(Debug, Clone)]
pub enum Target {
    External {
        base: String,
        pid: Option<u32>,
    },
    Spawn {
        databases: Vec<Database>,
        bin: PathBuf,
        keep: bool,
    },
}

/// Everything the command line says.
#[derive(Debug, Clone)]
pub struct Options {
    pub target: Target,
    pub households: usize,
    /// Extra households written by `kvar seed` straight into the database (spawned servers).
    pub bulk: usize,
    pub seed_threads: usize,
    pub caseworkers: usize,
    pub municipality_code: String,
    pub concurrency: Vec<usize>,
    pub warmup: Duration,
    pub duration: Duration,
    pub scenarios: Vec<Scenario>,
    pub rate: Option<pace::Rate>,
    pub out: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    }
    let opts = match parse(&args) {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("kvar-bench: {e}\nRun kvar-bench --help for the options.");
            return ExitCode::from(2);
        }
    };
    match runner::run(&opts) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("kvar-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse(args: &[String]) -> Result<Options> {
    let mut base = None;
    let mut pid = None;
    let mut spawn = false;
    let mut backends = vec!["sqlite".to_owned()];
    let mut pg_server = "postgres://postgres@127.0.0.1:5432".to_owned();
    let mut database_url = None;
    let mut bin = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/release/kvar"
    ));
    let mut keep = false;
    let mut opts = Options {
        target: Target::Spawn {
            databases: Vec::new(),
            bin: PathBuf::new(),
            keep: false,
        },
        households: 1000,
        bulk: 0,
        seed_threads: 4,
        caseworkers: 4,
        municipality_code: "0999".into(),
        concurrency: vec![1, 16, 64],
        warmup: Duration::from_secs(2),
        duration: Duration::from_secs(10),
        scenarios: Scenario::ALL.to_vec(),
        rate: None,
        out: None,
    };

    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| BenchError(format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--base" => base = Some(value()?),
            "--server-pid" => pid = Some(number(flag, &value()?)?),
            "--spawn" => spawn = true,
            "--backends" => backends = list(&value()?),
            "--pg-server" => pg_server = value()?,
            "--database-url" => database_url = Some(value()?),
            "--server-bin" => bin = PathBuf::from(value()?),
            "--keep" => keep = true,
            "--households" => opts.households = number(flag, &value()?)?,
            "--bulk" => opts.bulk = number(flag, &value()?)?,
            "--seed-threads" => opts.seed_threads = number(flag, &value()?)?,
            "--caseworkers" => opts.caseworkers = number(flag, &value()?)?,
            "--municipality-code" => opts.municipality_code = value()?,
            "--concurrency" => {
                opts.concurrency = list(&value()?)
                    .iter()
                    .map(|n| number(flag, n))
                    .collect::<Result<_>>()?;
            }
            "--warmup" => opts.warmup = duration(flag, &value()?)?,
            "--duration" => opts.duration = duration(flag, &value()?)?,
            "--scenarios" => {
                opts.scenarios = list(&value()?)
                    .iter()
                    .map(|s| {
                        Scenario::parse(s)
                            .ok_or_else(|| BenchError(format!("unknown scenario {s:?}")))
                    })
                    .collect::<Result<_>>()?;
            }
            "--rate" => opts.rate = Some(pace::Rate::parse(flag, &value()?)?),
            "--out" => opts.out = Some(PathBuf::from(value()?)),
            other => return Err(BenchError(format!("unknown argument {other:?}"))),
        }
    }

    if opts.concurrency.is_empty() || opts.concurrency.contains(&0) {
        return Err(BenchError("--concurrency needs levels of 1 or more".into()));
    }
    if opts.duration.is_zero() {
        return Err(BenchError("--duration must be more than zero".into()));
    }
    if opts.households == 0 {
        return Err(BenchError("--households must be 1 or more".into()));
    }
    opts.target = match (base, spawn) {
        (Some(_), true) => return Err(BenchError("give --base or --spawn, not both".into())),
        (None, false) => return Err(BenchError("give --base URL or --spawn".into())),
        (Some(base), false) => Target::External { base, pid },
        (None, true) => {
            let databases = match database_url {
                Some(url) => vec![Database::Postgres(PgUrl::parse(&url)?)],
                None => {
                    let server = PgUrl::parse(&pg_server)?;
                    backends
                        .iter()
                        .map(|b| match b.as_str() {
                            "sqlite" => Ok(Database::Sqlite),
                            // The name is filled in per run (runner).
                            "postgres" | "postgresql" => {
                                Ok(Database::Postgres(server.with_dbname("")))
                            }
                            other => Err(BenchError(format!(
                                "unknown backend {other:?} (sqlite or postgres)"
                            ))),
                        })
                        .collect::<Result<_>>()?
                }
            };
            Target::Spawn {
                databases,
                bin,
                keep,
            }
        }
    };
    Ok(opts)
}

fn list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T> {
    v.trim()
        .parse()
        .map_err(|_| BenchError(format!("{flag}: {v:?} is not a number")))
}

/// `10s`, `500ms`, `1m` or plain seconds.
fn duration(flag: &str, v: &str) -> Result<Duration> {
    let v = v.trim();
    let parsed = if let Some(ms) = v.strip_suffix("ms") {
        ms.parse().ok().map(Duration::from_millis)
    } else if let Some(s) = v.strip_suffix('s') {
        s.parse().ok().map(Duration::from_secs_f64)
    } else if let Some(m) = v.strip_suffix('m') {
        m.parse::<f64>()
            .ok()
            .map(|m| Duration::from_secs_f64(m * 60.0))
    } else {
        v.parse().ok().map(Duration::from_secs_f64)
    };
    parsed.ok_or_else(|| BenchError(format!("{flag}: {v:?} is not a duration such as 10s")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn durations_take_units() {
        assert_eq!(duration("d", "2s").ok(), Some(Duration::from_secs(2)));
        assert_eq!(
            duration("d", "500ms").ok(),
            Some(Duration::from_millis(500))
        );
        assert_eq!(duration("d", "1m").ok(), Some(Duration::from_secs(60)));
        assert_eq!(duration("d", "3").ok(), Some(Duration::from_secs(3)));
        assert!(duration("d", "soon").is_err());
    }

    #[test]
    fn spawn_with_both_backends() {
        let o = parse(&args(
            "--spawn --backends sqlite,postgres --concurrency 2,8",
        ))
        .expect("ok");
        assert_eq!(o.concurrency, vec![2, 8]);
        match o.target {
            Target::Spawn { databases, .. } => assert_eq!(databases.len(), 2),
            Target::External { .. } => panic!("expected spawn"),
        }
    }

    #[test]
    fn base_or_spawn_but_not_both() {
        assert!(parse(&args("--base http://x --spawn")).is_err());
        assert!(parse(&args("--households 5")).is_err());
        assert!(parse(&args("--base http://x --scenarios nope")).is_err());
        assert!(parse(&args("--base http://x --server-pid 12")).is_ok());
    }
}
