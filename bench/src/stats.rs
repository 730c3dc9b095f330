//! Latencies and counts per worker, merged into one summary per scenario run.

use std::time::Duration;

/// Error examples kept per worker (and per merged summary).
const MAX_SAMPLES: usize = 3;

/// What one worker (or one group of workers, after merging) observed in the measured window.
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    latencies_us: Vec<u32>,
    /// Completed operations that failed: a non-2xx answer other than an expected 412, or no
    /// answer at all.
    pub errors: u64,
    /// 412 Precondition Failed answers (stale ETag), retried; not errors.
    pub conflicts: u64,
    /// Sign-ins after a 401 (an expired access token).
    pub relogins: u64,
    /// A few failed requests with the server's answer, to show the person running the bench.
    pub samples: Vec<String>,
}

impl Recorder {
    pub fn ok(&mut self, latency: Duration) {
        self.latencies_us
            .push(latency.as_micros().min(u128::from(u32::MAX)) as u32);
    }

    pub fn error(&mut self, describe: impl FnOnce() -> String) {
        self.errors += 1;
        if self.samples.len() < MAX_SAMPLES {
            let sample = describe();
            if !self.samples.contains(&sample) {
                self.samples.push(sample);
            }
        }
    }

    pub fn merge(&mut self, other: Recorder) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        self.conflicts += other.conflicts;
        self.relogins += other.relogins;
        for s in other.samples {
            if self.samples.len() < MAX_SAMPLES && !self.samples.contains(&s) {
                self.samples.push(s);
            }
        }
    }

    /// Throughput and latency percentiles over a window of `window`.
    pub fn summarize(mut self, window: Duration) -> Summary {
        self.latencies_us.sort_unstable();
        let ok = self.latencies_us.len() as u64;
        let ms = |us: u32| f64::from(us) / 1000.0;
        Summary {
            ok,
            errors: self.errors,
            conflicts: self.conflicts,
            relogins: self.relogins,
            per_sec: ok as f64 / window.as_secs_f64().max(1e-9),
            p50_ms: percentile(&self.latencies_us, 50.0).map_or(0.0, ms),
            p99_ms: percentile(&self.latencies_us, 99.0).map_or(0.0, ms),
            max_ms: self.latencies_us.last().copied().map_or(0.0, ms),
            samples: self.samples,
        }
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// One row of the report.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Successful operations in the window.
    pub ok: u64,
    pub errors: u64,
    pub conflicts: u64,
    pub relogins: u64,
    /// Successful operations per second.
    pub per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub samples: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn summary_counts_successes_per_second() {
        let mut r = Recorder::default();
        for ms in [1, 2, 3, 4] {
            r.ok(Duration::from_millis(ms));
        }
        r.error(|| "boom".into());
        r.error(|| "boom".into());
        let s = r.summarize(Duration::from_secs(2));
        assert_eq!(s.ok, 4);
        assert_eq!(s.errors, 2);
        assert_eq!(s.samples, vec!["boom".to_string()]);
        assert!((s.per_sec - 2.0).abs() < 1e-9);
        assert!((s.max_ms - 4.0).abs() < 1e-9);
    }
}
