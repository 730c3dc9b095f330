//! Fixed-rate (open-loop) load: `--rate 200` sends 200 requests a second in all, whatever the
//! server does, and measures each request's latency from the moment it was due, so a slow
//! answer that delays the next request counts against the server (no coordinated omission).
//! `--rate 50%` first measures the scenario's closed-loop maximum, then runs at half of it.

use std::thread;
use std::time::{Duration, Instant};

use crate::error::{BenchError, Result};

/// The `--rate` option.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// Requests per second across all the run's workers.
    PerSec(f64),
    /// A share (0–1] of the closed-loop maximum measured just before.
    ShareOfMax(f64),
}

impl Rate {
    /// `200` (requests per second) or `50%` (of the measured maximum).
    pub fn parse(flag: &str, v: &str) -> Result<Rate> {
        let v = v.trim();
        let bad = || BenchError(format!("{flag}: {v:?} is not a rate such as 200 or 50%"));
        let rate = match v.strip_suffix('%') {
            Some(p) => Rate::ShareOfMax(p.trim().parse::<f64>().map_err(|_| bad())? / 100.0),
            None => Rate::PerSec(v.parse::<f64>().map_err(|_| bad())?),
        };
        let value = match rate {
            Rate::PerSec(r) => r,
            Rate::ShareOfMax(s) if s > 1.0 => return Err(bad()),
            Rate::ShareOfMax(s) => s,
        };
        if !(value.is_finite() && value > 0.0) {
            return Err(bad());
        }
        Ok(rate)
    }
}

/// One worker's schedule: slot `k` is due at `start + offset + k × interval`.
#[derive(Debug, Clone)]
pub struct Pacer {
    next: Instant,
    interval: Duration,
}

impl Pacer {
    /// A worker that sends `per_sec` requests a second, its first slot `offset` after `start`
    /// (workers are offset so that the run's requests are spread evenly).
    pub fn new(start: Instant, offset: Duration, per_sec: f64) -> Pacer {
        Pacer {
            next: start + offset,
            interval: Duration::from_secs_f64(1.0 / per_sec.max(1e-6)),
        }
    }

    /// The next slot's due time, without waiting.
    pub fn due(&self) -> Instant {
        self.next
    }

    /// Wait until the next slot is due (not at all when the worker is behind) and return its
    /// due time, from which the request's latency counts.
    pub fn wait(&mut self) -> Instant {
        let due = self.next;
        let now = Instant::now();
        if due > now {
            thread::sleep(due - now);
        }
        self.next += self.interval;
        due
    }
}

/// Per-worker rates for groups of workers sharing `total` requests a second by `weights`
/// (one per group; normalised here): a group of `n` workers with weight `w` gives each worker
/// `total × w / Σw / n`.
pub fn per_worker(total: f64, groups: &[(usize, f64)]) -> Vec<f64> {
    let sum: f64 = groups.iter().map(|&(_, w)| w).sum();
    groups
        .iter()
        .map(|&(n, w)| {
            if n == 0 || sum <= 0.0 {
                0.0
            } else {
                total * w / sum / n as f64
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_as_numbers_or_shares() {
        assert_eq!(Rate::parse("r", "200").ok(), Some(Rate::PerSec(200.0)));
        assert_eq!(Rate::parse("r", "50%").ok(), Some(Rate::ShareOfMax(0.5)));
        for bad in ["", "0", "-5", "150%", "0%", "fast", "NaN"] {
            assert!(Rate::parse("r", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn slots_are_evenly_spaced_and_a_late_worker_does_not_skip_any() {
        let start = Instant::now();
        let mut p = Pacer::new(start, Duration::from_millis(3), 100.0);
        let first = p.wait();
        assert_eq!(first, start + Duration::from_millis(3));
        assert!(Instant::now() >= first);
        let second = p.due();
        assert_eq!(second - first, Duration::from_millis(10));
        // Behind schedule: the slot is returned at once, still with its own due time.
        thread::sleep(Duration::from_millis(25));
        let before = Instant::now();
        assert_eq!(p.wait(), second);
        assert!(before.elapsed() < Duration::from_millis(5));
        assert_eq!(p.wait(), second + Duration::from_millis(10));
    }

    #[test]
    fn weights_split_the_total_between_groups() {
        let r = per_worker(200.0, &[(16, 0.8), (4, 0.2)]);
        assert!((r[0] - 10.0).abs() < 1e-9);
        assert!((r[1] - 10.0).abs() < 1e-9);
        let r = per_worker(100.0, &[(13, 0.4), (13, 0.4), (3, 0.1), (3, 0.1)]);
        let total: f64 = r[0] * 13.0 + r[1] * 13.0 + r[2] * 3.0 + r[3] * 3.0;
        assert!((total - 100.0).abs() < 1e-9);
        assert_eq!(per_worker(10.0, &[(0, 1.0)]), vec![0.0]);
    }
}
