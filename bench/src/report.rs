//! The Markdown report: one section per backend, a table of scenario × concurrency, the SPEC §12
//! targets checked against the 16-client rows, and examples of any errors.

use std::fmt::Write;

use crate::scenarios::Row;

/// The concurrency the SPEC §12 targets are stated for.
const TARGET_CLIENTS: usize = 16;

/// Everything measured against one server.
#[derive(Debug, Clone)]
pub struct Section {
    /// "SQLite", "PostgreSQL", or the server's address when the bench did not start it.
    pub title: String,
    /// `Some("SQLite")` / `Some("PostgreSQL")` when known: picks the case-update target.
    pub backend: Option<&'static str>,
    /// Facts about the run (seeding rate, start-up time, idle memory, audit verification).
    pub facts: Vec<String>,
    pub rows: Vec<Row>,
}

fn num(v: f64) -> String {
    if v >= 100.0 {
        // Thousands separated by commas, for the eye.
        let s = format!("{:.0}", v);
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The Markdown table of `rows`.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| scenario | clients | ops | ops/s | p50 ms | p99 ms | max ms | errors | 412s | server RSS MB (peak) | CPU % kvar / pg / bench / other |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let s = &r.summary;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.scenario,
            r.threads,
            s.ok,
            num(s.per_sec),
            num(s.p50_ms),
            num(s.p99_ms),
            num(s.max_ms),
            s.errors,
            s.conflicts,
            r.rss_peak_mb.map_or("–".into(), |mb| format!("{mb:.0}")),
            r.cpu.map_or("–".into(), |c| format!(
                "{} / {:.0} / {:.0} / {:.0}",
                c.server.map_or("–".into(), |s| format!("{s:.0}")),
                c.postgres,
                c.bench,
                c.other
            )),
        );
    }
    out
}

/// For a paced row: the rate asked for, the rate achieved, and the server's memory over the
/// window (the soak's growth).
pub fn paced(r: &Row) -> Option<String> {
    let rate = r.paced_at?;
    let memory = r.rss_start_end_mb.map_or(String::new(), |(a, b)| {
        format!(
            "; server RSS {a:.0} MB at the start of the window, {b:.0} MB at its end ({:+.1} %)",
            (b - a) / a.max(1e-9) * 100.0
        )
    });
    Some(format!(
        "paced at {} requests/s, achieved {} /s, errors {}{memory}",
        num(rate),
        num(r.summary.per_sec),
        r.summary.errors
    ))
}

fn find<'a>(rows: &'a [Row], prefix: &str, level: usize) -> Option<&'a Row> {
    rows.iter()
        .find(|r| r.level == level && r.scenario.starts_with(prefix))
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

/// The SPEC §12 targets next to what was measured with 16 clients.
pub fn targets(section: &Section) -> Vec<String> {
    let rows = &section.rows;
    let mut out = Vec::new();
    if let Some(r) = find(rows, "case_update", TARGET_CLIENTS) {
        let floor = match section.backend {
            Some("PostgreSQL") => 1_400.0,
            _ => 2_000.0,
        };
        let s = &r.summary;
        out.push(format!(
            "case_update: {} /s, p99 {} ms (target ≥ {} /s, p99 ≤ 20 ms): {}",
            num(s.per_sec),
            num(s.p99_ms),
            num(floor),
            verdict(s.per_sec >= floor && s.p99_ms <= 20.0)
        ));
    }
    if let Some(r) = find(rows, "case_get", TARGET_CLIENTS) {
        let s = &r.summary;
        out.push(format!(
            "case_get: {} /s (target ≥ 5,000 /s): {}",
            num(s.per_sec),
            verdict(s.per_sec >= 5_000.0)
        ));
    }
    if let Some(r) = find(rows, "case_list", TARGET_CLIENTS) {
        let s = &r.summary;
        out.push(format!(
            "case_list: {} /s, p99 {} ms (target ≥ 2,000 /s, p99 ≤ 10 ms; SPEC states it over \
             1,000,000 cases): {}",
            num(s.per_sec),
            num(s.p99_ms),
            verdict(s.per_sec >= 2_000.0 && s.p99_ms <= 10.0)
        ));
    }
    let mut levels: Vec<usize> = rows.iter().map(|r| r.level).collect();
    levels.sort_unstable();
    levels.dedup();
    for level in levels {
        if let (Some(quiet), Some(storm)) = (
            find(rows, "login_storm_reads, quiet", level),
            find(rows, "login_storm_reads, storm", level),
        ) {
            let ratio = storm.summary.p99_ms / quiet.summary.p99_ms.max(1e-9);
            out.push(format!(
                "login storm at {level} clients: case_get p99 {} ms quiet → {} ms during the \
                 storm, {ratio:.1}× (target ≤ 2×): {}",
                num(quiet.summary.p99_ms),
                num(storm.summary.p99_ms),
                verdict(ratio <= 2.0)
            ));
        }
    }
    let peak = rows
        .iter()
        .filter_map(|r| r.rss_peak_mb)
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    let first_at_target = rows
        .iter()
        .find(|r| r.level == TARGET_CLIENTS)
        .and_then(|r| r.rss_peak_mb.map(|mb| (r, mb)));
    if let (Some(peak), Some((first, at_target))) = (peak, first_at_target) {
        out.push(format!(
            "memory under load: peak RSS {at_target:.0} MB in the first {TARGET_CLIENTS}-client \
             run ({}), {peak:.0} MB over all runs (target ≤ 200 MB): {}",
            first.scenario,
            verdict(peak <= 200.0)
        ));
    }
    out
}

/// The whole section as Markdown.
pub fn section(section: &Section) -> String {
    let mut out = format!("### {}\n\n", section.title);
    for fact in &section.facts {
        let _ = writeln!(out, "- {fact}");
    }
    out.push('\n');
    out.push_str(&table(&section.rows));
    let targets = targets(section);
    if !targets.is_empty() {
        out.push_str("\nSPEC §12 targets (16 clients unless stated):\n\n");
        for t in targets {
            let _ = writeln!(out, "- {t}");
        }
    }
    let with_errors: Vec<&Row> = section
        .rows
        .iter()
        .filter(|r| !r.summary.samples.is_empty())
        .collect();
    if !with_errors.is_empty() {
        out.push_str("\nErrors (examples):\n\n```text\n");
        for r in with_errors {
            for sample in &r.summary.samples {
                let _ = writeln!(out, "[{} @ {}]\n{sample}\n", r.scenario, r.threads);
            }
        }
        out.push_str("```\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(num(12_345.6), "12,346");
        assert_eq!(num(999.0), "999");
        assert_eq!(num(1_000.0), "1,000");
        assert_eq!(num(12.34), "12.3");
        assert_eq!(num(1.234), "1.23");
    }
}
