//! The scenarios of SPEC §12: worker threads, each with its own connection and token, hammer one
//! endpoint for a warm-up and then a measured window.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::bail;
use crate::client::{Client, Request, field, unexpected};
use crate::cpu::{self, Usage};
use crate::error::{BenchError, Result};
use crate::ops::{LIST_FILTERS, WorkerState, login};
use crate::pace::{self, Pacer, Rate};
use crate::rng::Rng;
use crate::seed::Fixture;
use crate::server::rss_mb;
use crate::stats::{Recorder, Summary};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    CaseGet,
    CaseList,
    CaseUpdate,
    NoteAppend,
    PersonSearch,
    LoginStormReads,
    Worklist,
    /// The statistics series as an analyst (issue 15).
    Stats,
    /// 80 % reads (case get and list), 20 % writes (case update and note append), each kind
    /// its own row: the load baseline and the soak (security table rows 32 and 33). Not in the
    /// default set.
    Mixed,
}

impl Scenario {
    pub const ALL: [Scenario; 8] = [
        Scenario::CaseGet,
        Scenario::CaseList,
        Scenario::CaseUpdate,
        Scenario::NoteAppend,
        Scenario::PersonSearch,
        Scenario::LoginStormReads,
        Scenario::Worklist,
        Scenario::Stats,
    ];

    /// Scenarios run only when named.
    pub const OPTIONAL: [Scenario; 1] = [Scenario::Mixed];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Mixed => "mixed",
            Scenario::CaseGet => "case_get",
            Scenario::CaseList => "case_list",
            Scenario::CaseUpdate => "case_update",
            Scenario::NoteAppend => "note_append",
            Scenario::PersonSearch => "person_search",
            Scenario::LoginStormReads => "login_storm_reads",
            Scenario::Worklist => "worklist",
            Scenario::Stats => "stats",
        }
    }

    pub fn parse(s: &str) -> Option<Scenario> {
        Scenario::ALL
            .into_iter()
            .chain(Scenario::OPTIONAL)
            .find(|sc| sc.name() == s)
    }
}

/// What one worker thread does in a loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    CaseGet,
    CaseList,
    CaseUpdate,
    NoteAppend,
    PersonSearch,
    Login,
    /// The first page of `GET /worklist` as the unit's supervisor (every case of the unit).
    WorklistSupervisor,
    /// The same as a caseworker (assigned to them or unassigned).
    WorklistCaseworker,
    /// A statistics series as the municipality's analyst.
    Stats,
}

/// Timing and the server to measure.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub base: String,
    pub warmup: Duration,
    pub duration: Duration,
    pub server_pid: Option<u32>,
    /// The PostgreSQL database of a spawned server, to tell its backends' CPU from other work.
    pub postgres_db: Option<String>,
    /// `--rate`: fixed-rate load instead of closed-loop workers.
    pub rate: Option<Rate>,
}

/// One row of the report.
#[derive(Debug, Clone)]
pub struct Row {
    pub scenario: String,
    /// Concurrency level the row belongs to.
    pub level: usize,
    /// Worker threads in this row's group.
    pub threads: usize,
    pub summary: Summary,
    /// Peak VmRSS of the server during the measured window.
    pub rss_peak_mb: Option<f64>,
    /// VmRSS at the start and at the end of the measured window (the soak's growth).
    pub rss_start_end_mb: Option<(f64, f64)>,
    /// The fixed rate this row's workers were paced at (requests/s), if any.
    pub paced_at: Option<f64>,
    /// Where the machine's CPU went during the window.
    pub cpu: Option<Usage>,
}

/// One request of each kind, checked field by field, before any load: a server bug shows up
/// here as the exact request and response rather than as an error count.
pub fn preflight(base: &str, fixture: &Fixture) -> Result<()> {
    let mut client = Client::new(base);
    client.login(&fixture.supervisor.creds)?;
    let Some(case) = fixture.case_ids.first() else {
        bail!("no cases were seeded (use --households 1 or more)");
    };
    let get = Request::get(format!("/api/v1/cases/{case}"));
    let reply = client.expect("get a case", &get, 200)?;
    if reply.etag.is_none() || field(&reply.json()?, "id")? != *case {
        return Err(unexpected(
            "get a case (ETag and id expected)",
            &get,
            &reply,
        ));
    }
    for filter in LIST_FILTERS {
        let list = Request::get(format!("/api/v1/cases?limit=50{filter}"));
        let reply = client.expect("list cases", &list, 200)?;
        if !reply.json()?["items"].is_array() {
            return Err(unexpected("list cases (items expected)", &list, &reply));
        }
    }
    let Some(pnr) = fixture.personnummer.first() else {
        bail!("no persons were seeded");
    };
    let search = Request::post("/api/v1/persons/search", &json!({"personnummer": pnr}));
    let reply = client.expect("search a person", &search, 200)?;
    let hits = reply.json()?["items"].as_array().map_or(0, Vec::len);
    if hits == 0 {
        return Err(unexpected(
            "search a seeded person as the supervisor of the unit (a hit expected)",
            &search,
            &reply,
        ));
    }
    let mut analyst = Client::new(base);
    analyst.login(&fixture.analyst.creds)?;
    for enforcement in [true, false] {
        let req = Request::get(crate::ops::stats_path(enforcement));
        let reply = analyst.expect("a statistics series", &req, 200)?;
        if !reply.json()?["rows"].is_array() {
            return Err(unexpected(
                "a statistics series (rows expected)",
                &req,
                &reply,
            ));
        }
    }
    Ok(())
}

/// Run `scenario` with `clients` concurrent workers: its rows. With `--rate N%` the closed-loop
/// maximum is measured first (its rows come first), then the paced run.
pub fn run(
    scenario: Scenario,
    clients: usize,
    cfg: &RunConfig,
    fixture: &Fixture,
) -> Result<Vec<Row>> {
    match cfg.rate {
        None => run_closed_or_paced(scenario, clients, cfg, fixture, None),
        Some(Rate::PerSec(r)) => run_closed_or_paced(scenario, clients, cfg, fixture, Some(r)),
        Some(Rate::ShareOfMax(share)) => {
            let probe = RunConfig {
                duration: cfg.duration.min(Duration::from_secs(10)),
                ..cfg.clone()
            };
            let mut rows = run_closed_or_paced(scenario, clients, &probe, fixture, None)?;
            let max: f64 = rows.iter().map(|r| r.summary.per_sec).sum();
            for r in &mut rows {
                r.scenario = format!("{} (closed loop: the maximum)", r.scenario);
            }
            thread::sleep(Duration::from_secs(1));
            let paced = (max * share).max(1.0);
            rows.extend(run_closed_or_paced(
                scenario,
                clients,
                cfg,
                fixture,
                Some(paced),
            )?);
            Ok(rows)
        }
    }
}

fn run_closed_or_paced(
    scenario: Scenario,
    clients: usize,
    cfg: &RunConfig,
    fixture: &Fixture,
    pace: Option<f64>,
) -> Result<Vec<Row>> {
    let clients = clients.max(1);
    let run_groups = |cfg: &RunConfig, fixture: &Fixture, groups: &[(Job, usize)], level| {
        run_weighted(cfg, fixture, groups, None, level, pace)
    };
    let single = |job| -> Result<Vec<Row>> {
        let mut rows = run_groups(cfg, fixture, &[(job, clients)], clients)?;
        rows[0].scenario = scenario.name().to_owned();
        Ok(rows)
    };
    match scenario {
        Scenario::CaseGet => single(Job::CaseGet),
        Scenario::CaseList => single(Job::CaseList),
        Scenario::CaseUpdate => single(Job::CaseUpdate),
        Scenario::NoteAppend => single(Job::NoteAppend),
        Scenario::PersonSearch => single(Job::PersonSearch),
        Scenario::Stats => single(Job::Stats),
        Scenario::Mixed => {
            // 80/20 by requests, whatever the split of workers: each kind gets its share of
            // the rate (closed loop: the workers' split, 40/40/10/10 of the clients).
            let groups = mixed_groups(clients);
            let weights = [0.4, 0.4, 0.1, 0.1];
            let mut rows = run_weighted(cfg, fixture, &groups, Some(&weights), clients, pace)?;
            for (row, kind) in rows.iter_mut().zip(["read", "read", "write", "write"]) {
                row.scenario = format!("mixed {kind}: {}", row.scenario);
            }
            Ok(rows)
        }
        Scenario::LoginStormReads => {
            // Half the workers read, half sign in; the same readers first run alone.
            let readers = (clients / 2).max(1);
            let loggers = (clients - readers).max(1);
            let mut quiet = run_groups(cfg, fixture, &[(Job::CaseGet, readers)], clients)?;
            quiet[0].scenario = format!("login_storm_reads, quiet ({})", plural(readers, "reader"));
            let mut storm = run_groups(
                cfg,
                fixture,
                &[(Job::CaseGet, readers), (Job::Login, loggers)],
                clients,
            )?;
            storm[0].scenario = format!(
                "login_storm_reads, storm ({} + {})",
                plural(readers, "reader"),
                plural(loggers, "login worker")
            );
            storm[1].scenario = format!("login_storm logins ({})", plural(loggers, "worker"));
            quiet.extend(storm);
            Ok(quiet)
        }
        Scenario::Worklist => {
            // Each view alone at the full concurrency: the supervisor's, then a caseworker's.
            let mut rows =
                run_groups(cfg, fixture, &[(Job::WorklistSupervisor, clients)], clients)?;
            rows[0].scenario = "worklist (supervisor, first page)".to_owned();
            let mut cw = run_groups(cfg, fixture, &[(Job::WorklistCaseworker, clients)], clients)?;
            cw[0].scenario = "worklist (caseworker, first page)".to_owned();
            rows.extend(cw);
            Ok(rows)
        }
    }
}

/// The mixed scenario's workers: 40 % get, 40 % list, 10 % update, 10 % note (at least one of
/// each).
fn mixed_groups(clients: usize) -> [(Job, usize); 4] {
    let writes = (clients / 10).max(1);
    let reads = clients.saturating_sub(2 * writes).max(2);
    [
        (Job::CaseGet, reads / 2),
        (Job::CaseList, reads - reads / 2),
        (Job::CaseUpdate, writes),
        (Job::NoteAppend, writes),
    ]
}

/// Run groups of workers side by side; one row per group. With `pace` (requests/s in all),
/// each group gets its `weights` share of it (by default its share of the workers).
fn run_weighted(
    cfg: &RunConfig,
    fixture: &Fixture,
    groups: &[(Job, usize)],
    weights: Option<&[f64]>,
    level: usize,
    pace: Option<f64>,
) -> Result<Vec<Row>> {
    let total: usize = groups.iter().map(|(_, n)| n).sum();
    let shares: Vec<(usize, f64)> = groups
        .iter()
        .enumerate()
        .map(|(g, &(_, n))| {
            (
                n,
                weights.and_then(|w| w.get(g).copied()).unwrap_or(n as f64),
            )
        })
        .collect();
    let rates: Vec<Option<f64>> = match pace {
        Some(r) => pace::per_worker(r, &shares).into_iter().map(Some).collect(),
        None => vec![None; groups.len()],
    };
    let barrier = Barrier::new(total + 1); // the workers and the monitor
    let cpu_use: Mutex<Option<Usage>> = Mutex::new(None);
    let failed = AtomicBool::new(false);
    let rss_peak: Mutex<Option<f64>> = Mutex::new(None);
    let rss_start_end: Mutex<Option<(f64, f64)>> = Mutex::new(None);

    let results: Vec<Result<(usize, Recorder)>> = thread::scope(|s| {
        let mut handles = Vec::new();
        let mut index = 0;
        for (g, &(job, n)) in groups.iter().enumerate() {
            for _ in 0..n {
                let (barrier, failed) = (&barrier, &failed);
                let worker_index = index;
                let per_sec = rates[g];
                handles.push(s.spawn(move || {
                    let slot = (worker_index, total);
                    worker(job, slot, per_sec, cfg, fixture, barrier, failed).map(|r| (g, r))
                }));
                index += 1;
            }
        }
        {
            let (barrier, rss_peak, cpu_use) = (&barrier, &rss_peak, &cpu_use);
            let rss_start_end = &rss_start_end;
            s.spawn(move || {
                barrier.wait();
                let measure_from = Instant::now() + cfg.warmup;
                let end = measure_from + cfg.duration;
                thread::sleep(cfg.warmup);
                let before = cpu::snapshot(cfg.server_pid, cfg.postgres_db.as_deref());
                let mut peak: Option<f64> = None;
                let mut first_last: Option<(f64, f64)> = None;
                while Instant::now() < end {
                    if let Some(mb) = cfg.server_pid.and_then(rss_mb) {
                        peak = Some(peak.map_or(mb, |p: f64| p.max(mb)));
                        first_last = Some((first_last.map_or(mb, |(f, _)| f), mb));
                    }
                    thread::sleep(
                        end.saturating_duration_since(Instant::now())
                            .min(Duration::from_millis(100)),
                    );
                }
                let after = cpu::snapshot(cfg.server_pid, cfg.postgres_db.as_deref());
                *lock(rss_peak) = peak;
                *lock(rss_start_end) = first_last;
                *lock(cpu_use) = before
                    .zip(after)
                    .map(|(a, b)| cpu::usage(&a, &b, cfg.server_pid.is_some()));
            });
        }
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(BenchError("a worker thread panicked".into())))
            })
            .collect()
    });

    let mut merged: Vec<Recorder> = vec![Recorder::default(); groups.len()];
    for result in results {
        let (g, recorder) = result?;
        merged[g].merge(recorder);
    }
    let peak = rss_peak.into_inner().unwrap_or_else(|p| p.into_inner());
    let cpu = cpu_use.into_inner().unwrap_or_else(|p| p.into_inner());
    let start_end = rss_start_end
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    Ok(merged
        .into_iter()
        .zip(groups)
        .zip(&rates)
        .map(|((recorder, &(job, threads)), rate)| Row {
            scenario: format!("{job:?}"),
            level,
            threads,
            summary: recorder.summarize(cfg.duration),
            rss_peak_mb: peak,
            rss_start_end_mb: start_end,
            paced_at: rate.map(|r| r * threads as f64),
            cpu,
        })
        .collect())
}

/// One worker: sign in, wait for the others, warm up, measure.
fn worker(
    job: Job,
    (index, workers): (usize, usize),
    per_sec: Option<f64>,
    cfg: &RunConfig,
    fixture: &Fixture,
    barrier: &Barrier,
    failed: &AtomicBool,
) -> Result<Recorder> {
    let mut client = Client::new(&cfg.base);
    let storm_user = &fixture.caseworkers[index % fixture.caseworkers.len()].creds;
    let signed_in = match job {
        Job::Login => Ok(()),
        Job::WorklistCaseworker => client.login(storm_user),
        Job::Stats => client.login(&fixture.analyst.creds),
        _ => client.login(&fixture.supervisor.creds),
    };
    if signed_in.is_err() {
        failed.store(true, Ordering::SeqCst);
    }
    barrier.wait();
    signed_in?;
    let mut recorder = Recorder::default();
    if failed.load(Ordering::SeqCst) {
        return Ok(recorder); // another worker could not sign in; it reports why
    }

    let mut state = WorkerState {
        rng: Rng::from_clock(index as u64 + 1),
        counter: index,
        etags: HashMap::new(),
        slice: (index, workers),
    };
    let start = Instant::now();
    let measure_from = start + cfg.warmup;
    let end = measure_from + cfg.duration;
    // Paced: workers' first slots spread over one interval, so the requests arrive evenly.
    let mut pacer = per_sec.map(|r| {
        let offset = Duration::from_secs_f64(index as f64 / workers.max(1) as f64 / r);
        Pacer::new(start, offset, r)
    });
    loop {
        if pacer.as_ref().is_some_and(|p| p.due() >= end) || Instant::now() >= end {
            break;
        }
        // A paced request's latency counts from when it was due.
        let started = match pacer.as_mut() {
            Some(p) => p.wait(),
            None => Instant::now(),
        };
        let outcome = match job {
            Job::CaseGet => state.case_get(&mut client, fixture),
            Job::CaseList => state.case_list(&mut client),
            Job::CaseUpdate => state.case_update(&mut client, fixture),
            Job::NoteAppend => state.note_append(&mut client, fixture),
            Job::PersonSearch => state.person_search(&mut client, fixture),
            Job::Login => login(&client, storm_user),
            Job::WorklistSupervisor | Job::WorklistCaseworker => state.worklist(&mut client),
            Job::Stats => state.stats(&mut client),
        };
        if started < measure_from || Instant::now() > end {
            continue; // warm-up, or finished after the window closed
        }
        recorder.conflicts += outcome.conflicts;
        match outcome.result {
            Ok(_) if pacer.is_some() => recorder.ok(started.elapsed()),
            Ok(latency) => recorder.ok(latency),
            Err(sample) => recorder.error(|| sample),
        }
    }
    recorder.relogins = client.relogins;
    Ok(recorder)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_parse_back() {
        for s in Scenario::ALL {
            assert_eq!(Scenario::parse(s.name()), Some(s));
        }
        assert_eq!(Scenario::parse("nope"), None);
    }
}
