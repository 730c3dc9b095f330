//! The operations the scenario workers repeat: one request (or, for an update, a read and a
//! conditional write) and its outcome.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;

use crate::client::{Client, Credentials, Reply, Request};
use crate::error::Result;
use crate::rng::Rng;
use crate::seed::Fixture;

/// A PATCH retried this many times on 412 without success counts as an error.
const MAX_UPDATE_ATTEMPTS: u32 = 10;
const RISK_CYCLE: [&str; 4] = ["low", "medium", "high", "critical"];
/// The rotating filters of `case_list` (the empty one lists everything).
pub const LIST_FILTERS: [&str; 5] = [
    "&status=new",
    "&children_involved=true",
    "&assigned_to=none",
    "&risk_level=medium",
    "",
];

/// The current calendar year (UTC, to the day: good enough for a range of whole years).
fn this_year() -> u64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    1970 + secs / 31_556_952
}

/// The `stats` scenario's two requests.
pub fn stats_path(enforcement: bool) -> String {
    let y = this_year();
    if enforcement {
        format!(
            "/api/v1/stats/enforcement?from={}-01-01&to={y}-12-31&period=quarter",
            y - 2
        )
    } else {
        format!("/api/v1/stats/prevention?from={y}-01-01&to={y}-12-31&period=month")
    }
}

/// One operation: the latency to report, or what went wrong; and the 412s on the way.
pub struct Outcome {
    pub result: std::result::Result<Duration, String>,
    pub conflicts: u64,
}

impl Outcome {
    fn of(req: &Request, reply: Result<Reply>, expected: u16) -> Outcome {
        Outcome {
            result: match reply {
                Ok(r) if r.status == expected => Ok(r.elapsed),
                Ok(r) => Err(format!("{}\n{}", req.describe(), r.describe())),
                Err(e) => Err(e.to_string()),
            },
            conflicts: 0,
        }
    }

    fn failed(sample: String, conflicts: u64) -> Outcome {
        Outcome {
            result: Err(sample),
            conflicts,
        }
    }
}

pub struct WorkerState {
    pub rng: Rng,
    pub counter: usize,
    /// case id → (ETag, risk level) as this worker last saw them.
    pub etags: HashMap<String, (String, String)>,
    /// (this worker, all workers): updates go to this worker's own share of the cases, so the
    /// scenario measures the server rather than workers racing each other's ETags.
    pub slice: (usize, usize),
}

impl WorkerState {
    fn pick_case<'a>(&mut self, fixture: &'a Fixture) -> &'a str {
        self.rng.pick(&fixture.case_ids).as_str()
    }

    /// A case of this worker's share (every `workers`-th, from `index`); any case when there
    /// are fewer cases than workers.
    fn pick_own_case<'a>(&mut self, fixture: &'a Fixture) -> &'a str {
        let (index, workers) = self.slice;
        let n = fixture.case_ids.len();
        if workers == 0 || n <= index || n < workers {
            return self.pick_case(fixture);
        }
        let share = (n - index).div_ceil(workers);
        fixture.case_ids[index + workers * self.rng.below(share)].as_str()
    }

    pub fn case_get(&mut self, client: &mut Client, fixture: &Fixture) -> Outcome {
        let req = Request::get(format!("/api/v1/cases/{}", self.pick_case(fixture)));
        Outcome::of(&req, client.call(&req), 200)
    }

    pub fn case_list(&mut self, client: &mut Client) -> Outcome {
        self.counter += 1;
        let filter = LIST_FILTERS[self.counter % LIST_FILTERS.len()];
        let req = Request::get(format!("/api/v1/cases?limit=50{filter}"));
        Outcome::of(&req, client.call(&req), 200)
    }

    /// A statistics series as the municipality's analyst, alternately the enforcement series by
    /// quarter over the last three calendar years and the prevention series by month over this
    /// one (both read the fact table; disclosure control over the county's whole cube).
    pub fn stats(&mut self, client: &mut Client) -> Outcome {
        self.counter += 1;
        let req = Request::get(stats_path(self.counter.is_multiple_of(2)));
        Outcome::of(&req, client.call(&req), 200)
    }

    /// The first page of the caller's worklist (the default limit, 50).
    pub fn worklist(&mut self, client: &mut Client) -> Outcome {
        let req = Request::get("/api/v1/worklist");
        Outcome::of(&req, client.call(&req), 200)
    }

    pub fn note_append(&mut self, client: &mut Client, fixture: &Fixture) -> Outcome {
        self.counter += 1;
        let req = Request::post(
            format!("/api/v1/cases/{}/notes", self.pick_case(fixture)),
            &json!({"body": format!(
                "Bench note {}: phoned the tenant, agreed a repayment plan with the landlord.",
                self.counter
            )}),
        );
        Outcome::of(&req, client.call(&req), 201)
    }

    pub fn person_search(&mut self, client: &mut Client, fixture: &Fixture) -> Outcome {
        let pnr = self.rng.pick(&fixture.personnummer);
        let req = Request::post("/api/v1/persons/search", &json!({"personnummer": pnr}));
        Outcome::of(&req, client.call(&req), 200)
    }

    /// PATCH the risk level to the next one in the cycle, with If-Match from this worker's last
    /// view of the case (GET when it has none; on 412 GET again and retry). The latency is the
    /// successful PATCH's.
    pub fn case_update(&mut self, client: &mut Client, fixture: &Fixture) -> Outcome {
        let id = self.pick_own_case(fixture).to_owned();
        let mut conflicts = 0;
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            let (etag, risk) = match self.etags.get(&id) {
                Some(seen) => seen.clone(),
                None => match read_version(client, &id) {
                    Ok(seen) => seen,
                    Err(sample) => return Outcome::failed(sample, conflicts),
                },
            };
            let next = next_risk(&risk);
            let req = Request::patch(
                format!("/api/v1/cases/{id}"),
                &json!({"risk_level": next}),
                &etag,
            );
            match client.call(&req) {
                Ok(reply) if reply.status == 200 => {
                    match reply.etag.clone() {
                        Some(tag) => self.etags.insert(id, (tag, next.to_owned())),
                        None => self.etags.remove(&id),
                    };
                    return Outcome {
                        result: Ok(reply.elapsed),
                        conflicts,
                    };
                }
                Ok(reply) if reply.status == 412 => {
                    conflicts += 1;
                    self.etags.remove(&id);
                }
                Ok(reply) => {
                    self.etags.remove(&id);
                    return Outcome::failed(
                        format!("{}\n{}", req.describe(), reply.describe()),
                        conflicts,
                    );
                }
                Err(e) => return Outcome::failed(e.to_string(), conflicts),
            }
        }
        Outcome::failed(
            format!("PATCH /api/v1/cases/{id}: still 412 after {MAX_UPDATE_ATTEMPTS} attempts"),
            conflicts,
        )
    }
}

/// The case's ETag and risk level, from a GET.
fn read_version(client: &mut Client, id: &str) -> std::result::Result<(String, String), String> {
    let req = Request::get(format!("/api/v1/cases/{id}"));
    let reply = client.call(&req).map_err(|e| e.to_string())?;
    let describe = || format!("{}\n{}", req.describe(), reply.describe());
    if reply.status != 200 {
        return Err(describe());
    }
    let risk = reply
        .json()
        .ok()
        .and_then(|v| v["risk_level"].as_str().map(str::to_owned));
    match (reply.etag.clone(), risk) {
        (Some(tag), Some(risk)) => Ok((tag, risk)),
        _ => Err(format!("no ETag or risk_level in\n{}", describe())),
    }
}

fn next_risk(current: &str) -> &'static str {
    let i = RISK_CYCLE.iter().position(|r| *r == current).unwrap_or(0);
    RISK_CYCLE[(i + 1) % RISK_CYCLE.len()]
}

/// One login of the storm (the password is left out of error samples).
pub fn login(client: &Client, creds: &Credentials) -> Outcome {
    match client.login_once(creds) {
        Ok(r) if r.status == 200 => Outcome {
            result: Ok(r.elapsed),
            conflicts: 0,
        },
        Ok(r) => Outcome::failed(
            format!(
                "POST /api/v1/auth/login {{\"username\":\"{}\",\"password\":\"…\"}}\n{}",
                creds.username,
                r.describe()
            ),
            0,
        ),
        Err(e) => Outcome::failed(e.to_string(), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_cycles_through_all_levels() {
        assert_eq!(next_risk("low"), "medium");
        assert_eq!(next_risk("medium"), "high");
        assert_eq!(next_risk("high"), "critical");
        assert_eq!(next_risk("critical"), "low");
    }
}
