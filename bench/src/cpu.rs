//! Where the machine's CPU went during a measured window, from /proc: the server, the bench
//! itself, PostgreSQL, and everything else (other work sharing the cores makes a run unreliable,
//! and the report says so rather than hiding it).

use std::fs;

/// Busy CPU counters at one moment (clock ticks; only differences matter).
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    /// All ticks of all cores, idle included.
    total: u64,
    /// Non-idle ticks of all cores.
    busy: u64,
    server: u64,
    bench: u64,
    postgres: u64,
    cores: usize,
}

/// CPU use over a window, in percent of one core (200 % = both cores of a 2-core machine).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    pub server: Option<f64>,
    pub bench: f64,
    pub postgres: f64,
    /// Busy time of every other process on the machine.
    pub other: f64,
}

/// Read the counters now; `None` where /proc is not available. `postgres_db` names the database
/// whose PostgreSQL backends count as "postgres" (other PostgreSQL work counts as "other").
pub fn snapshot(server_pid: Option<u32>, postgres_db: Option<&str>) -> Option<Snapshot> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|v| v.parse().ok())
        .collect();
    if fields.len() < 8 {
        return None;
    }
    // user nice system idle iowait irq softirq steal
    let total: u64 = fields.iter().sum();
    let busy = total - fields[3] - fields[4];
    let cores = stat
        .lines()
        .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
        .count()
        .max(1);
    Some(Snapshot {
        total,
        busy,
        server: server_pid.and_then(process_ticks).unwrap_or(0),
        bench: process_ticks(std::process::id()).unwrap_or(0),
        postgres: postgres_db.map_or(0, postgres_ticks),
        cores,
    })
}

/// utime + stime of process `pid` (all its threads).
fn process_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces: count fields after it.
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After ")": state(3) … utime(14) stime(15), i.e. indexes 11 and 12 here.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Ticks of the PostgreSQL backends connected to database `db` (their command line reads
/// `postgres: 15/main: USER DB 127.0.0.1(PORT) STATE`).
fn postgres_ticks(db: &str) -> u64 {
    let needle = format!(" {db} ");
    let Ok(entries) = fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres")
                && fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&needle))
        })
        .filter_map(process_ticks)
        .sum()
}

/// CPU use between two snapshots (`server` only when the server's pid was known).
pub fn usage(a: &Snapshot, b: &Snapshot, with_server: bool) -> Usage {
    let total = b.total.saturating_sub(a.total).max(1) as f64;
    let pct = |ticks: u64| ticks as f64 / total * a.cores as f64 * 100.0;
    let server = b.server.saturating_sub(a.server);
    let bench = b.bench.saturating_sub(a.bench);
    let postgres = b.postgres.saturating_sub(a.postgres);
    let other = b
        .busy
        .saturating_sub(a.busy)
        .saturating_sub(server + bench + postgres);
    Usage {
        server: with_server.then(|| pct(server)),
        bench: pct(bench),
        postgres: pct(postgres),
        other: pct(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_counters() {
        let a = snapshot(Some(std::process::id()), None).expect("/proc");
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        assert!(x > 0);
        let b = snapshot(Some(std::process::id()), None).expect("/proc");
        let u = usage(&a, &b, true);
        assert!(u.server.is_some_and(|s| s >= 0.0));
        assert!(u.other >= 0.0);
    }
}
