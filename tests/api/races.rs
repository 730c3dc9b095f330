//! Races over HTTP (security table rows 17, 19, 24, 25): one idempotency key sent 100 times at
//! once, update pairs racing on one ETag, and many clients updating many cases while the audit
//! chain keeps up. Counts come from the environment so a human can run the full figures:
//! `KVAR_RACE_PAIRS` (row 25, default and table figure 1000) and `KVAR_RACE_UPDATES` (row 19,
//! default 2000 to keep CI short; the table's figure is 10000, about 40 s per backend).

use std::collections::HashMap;
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::casework::{World, open_case, world};
use crate::integrations::{clients, event, submit};
use crate::support::{Backend, Resp, TestApp, each_backend};

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(app: &TestApp, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(&mut app.connect())
        .expect(sql)
        .n
}

#[test]
fn one_key_sent_100_times_at_once_creates_one_notice_in_flight_duplicates_get_409_then_replay() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let c = clients(&app, &w);
        let path = "/api/v1/enforcement/events";
        let body = event(
            "19121212-1212",
            "Tolvan Tolvansson",
            "kfm_application_received",
            "12-700-26",
        );
        let gate = Barrier::new(100);
        let answers: Vec<Resp> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..100)
                .map(|_| {
                    s.spawn(|| {
                        gate.wait();
                        submit(&app, &c.kfm, path, "race-1", body.clone())
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().expect("thread")).collect()
        });
        let created: Vec<&Resp> = answers
            .iter()
            .filter(|r| r.status == 202 && r.header("idempotent-replayed").is_none())
            .collect();
        assert_eq!(created.len(), 1, "exactly one original answer");
        let original = created[0].body.clone();
        let mut in_flight = 0;
        for r in &answers {
            match r.status {
                202 => assert_eq!(r.body, original, "a replay is the stored answer"),
                409 => {
                    r.problem(409);
                    assert_eq!(r.json["type"], "urn:kvar:problem:idempotency-in-flight");
                    assert!(
                        r.header("retry-after")
                            .is_some_and(|v| v.parse::<u64>().is_ok_and(|s| s >= 1)),
                        "409 carries Retry-After"
                    );
                    in_flight += 1;
                }
                other => panic!("unexpected {other}: {}", r.body),
            }
        }
        assert!(
            in_flight >= 1,
            "100 simultaneous duplicates: some arrive while the first is in flight"
        );
        // Done: every duplicate now replays the identical status and body.
        for _ in 0..in_flight {
            let r = submit(&app, &c.kfm, path, "race-1", body.clone());
            assert_eq!((r.status, &r.body), (202, &original));
            assert_eq!(r.header("idempotent-replayed"), Some("true"));
        }
        assert_eq!(
            app.notices_with_case_number("0180", "12-700-26"),
            1,
            "one notice for 100 requests"
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) AS n FROM idempotency_keys WHERE idem_key = 'race-1'"
            ),
            1
        );
        // Same key, other body: 422. No key: 400. Both problem+json, nothing stored.
        let mut other = body.clone();
        other["kfm_case_number"] = json!("12-701-26");
        submit(&app, &c.kfm, path, "race-1", other.clone()).problem(422);
        app.req("POST", path)
            .token(&c.kfm)
            .json(other)
            .send()
            .problem(400);
        assert_eq!(app.notices_with_case_number("0180", "12-701-26"), 0);
        // 25 hours later the key still replays; after the 7-day retention it is a new request.
        let backdate = |hours: i64| {
            use kvar::db::schema::idempotency_keys as k;
            diesel::update(k::table.filter(k::idem_key.eq("race-1")))
                .set(k::created_at.eq(kvar::db::types::now() - chrono::Duration::hours(hours)))
                .execute(&mut app.connect())
                .expect("backdate");
        };
        backdate(25);
        let day_later = submit(&app, &c.kfm, path, "race-1", body.clone());
        assert_eq!((day_later.status, &day_later.body), (202, &original));
        assert_eq!(day_later.header("idempotent-replayed"), Some("true"));
        backdate(8 * 24);
        let expired = submit(&app, &c.kfm, path, "race-1", body.clone());
        assert_eq!(expired.status, 202, "{}", expired.body);
        assert_eq!(expired.header("idempotent-replayed"), None);
        assert_ne!(expired.body, original, "a new receipt after the retention");
        eprintln!(
            "{b:?} row 24: 100 concurrent → 1 created, {in_flight} × 409 in flight, {} replays",
            99 - in_flight
        );
    });
}

fn patch_case(app: &TestApp, token: &str, case: &str, etag: Option<&str>, body: Value) -> Resp {
    let mut r = app
        .req("PATCH", &format!("/api/v1/cases/{case}"))
        .token(token);
    if let Some(e) = etag {
        r = r.header("if-match", e);
    }
    r.json(body).send()
}

const LEVELS: [&str; 4] = ["low", "medium", "high", "critical"];

fn next_level(level: &str, step: usize) -> &'static str {
    let i = LEVELS.iter().position(|l| *l == level).expect("level");
    LEVELS[(i + step) % 4]
}

/// The risk levels written by the case's `case.update` events, oldest first.
fn updates_of(app: &TestApp, case: &str) -> Vec<String> {
    #[derive(QueryableByName)]
    struct After {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        after_json: Option<String>,
    }
    diesel::sql_query(format!(
        "SELECT after_json FROM audit_events WHERE action = 'case.update' AND entity_id = '{case}' ORDER BY id"
    ))
    .load::<After>(&mut app.connect())
    .expect("updates")
    .into_iter()
    .map(|a| {
        let v: Value = serde_json::from_str(a.after_json.as_deref().unwrap_or("{}")).expect("json");
        v["risk_level"].as_str().unwrap_or("?").to_owned()
    })
    .collect()
}

#[test]
fn racing_update_pairs_on_one_etag_have_one_winner_each_and_lose_nothing() {
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let token = &w.supervisor_a.1;
        let pairs = env_count("KVAR_RACE_PAIRS", 1000);
        let lanes = 10.min(pairs.max(1));
        let cases: Vec<String> = (0..lanes)
            .map(|_| {
                open_case(&app, &w, token)["id"]
                    .as_str()
                    .expect("id")
                    .to_owned()
            })
            .collect();
        // Without If-Match: 428, nothing changes.
        patch_case(&app, token, &cases[0], None, json!({"risk_level": "high"})).problem(428);
        let stale = AtomicUsize::new(0);
        let winners: Vec<Vec<String>> = std::thread::scope(|s| {
            let hs: Vec<_> = cases
                .iter()
                .enumerate()
                .map(|(lane, case)| {
                    let n = pairs / lanes + usize::from(lane < pairs % lanes);
                    let stale = &stale;
                    let app = &app;
                    s.spawn(move || {
                        let mut won = Vec::with_capacity(n);
                        for _ in 0..n {
                            let cur = app.get(&format!("/api/v1/cases/{case}"), token);
                            let etag = cur.header("etag").expect("etag").to_owned();
                            let level = cur.json["risk_level"].as_str().expect("risk").to_owned();
                            let gate = Barrier::new(2);
                            let rs: Vec<(String, Resp)> = std::thread::scope(|s2| {
                                let hs: Vec<_> = [1, 2]
                                    .map(|step| {
                                        let (gate, etag) = (&gate, &etag);
                                        let want = next_level(&level, step);
                                        s2.spawn(move || {
                                            gate.wait();
                                            let r = patch_case(
                                                app,
                                                token,
                                                case,
                                                Some(etag),
                                                json!({"risk_level": want}),
                                            );
                                            (want.to_owned(), r)
                                        })
                                    })
                                    .into_iter()
                                    .collect();
                                hs.into_iter().map(|h| h.join().expect("thread")).collect()
                            });
                            let ok: Vec<&(String, Resp)> =
                                rs.iter().filter(|(_, r)| r.status == 200).collect();
                            assert_eq!(
                                ok.len(),
                                1,
                                "one winner: {:?}",
                                rs.iter()
                                    .map(|(_, r)| (r.status, &r.body))
                                    .collect::<Vec<_>>()
                            );
                            for (_, r) in rs.iter().filter(|(_, r)| r.status != 200) {
                                r.problem(412);
                                stale.fetch_add(1, Ordering::Relaxed);
                            }
                            won.push(ok[0].0.clone());
                        }
                        won
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().expect("lane")).collect()
        });
        let mut lost = 0;
        for (case, won) in cases.iter().zip(&winners) {
            let fin = app.get(&format!("/api/v1/cases/{case}"), token);
            assert_eq!(
                fin.json["version"],
                1 + won.len() as i64,
                "one version per winner"
            );
            let history = updates_of(&app, case);
            lost += won.len().saturating_sub(history.len());
            assert_eq!(
                &history, won,
                "each winner's change is in the history, in order"
            );
            assert_eq!(
                fin.json["risk_level"].as_str(),
                won.last().map(String::as_str)
            );
        }
        let won: usize = winners.iter().map(Vec::len).sum();
        let stale = stale.into_inner();
        assert_eq!((won, stale, lost), (pairs, pairs, 0));
        assert_eq!(app.verify()["ok"], true);
        eprintln!("{b:?} row 25: {pairs} pairs → {won} winners, {stale} × 412, {lost} lost");
    });
}

/// 50 clients update 100 cases; every update that got a 2xx is exactly one audit event, and the
/// chain is whole and gap-free.
fn many_updates(b: Backend) {
    let app = TestApp::spawn(b);
    let w: World = world(&app);
    let token = &w.supervisor_a.1;
    let total = env_count("KVAR_RACE_UPDATES", 2000);
    let (clients, ncases) = (50, 100);
    let cases: Vec<String> = (0..ncases)
        .map(|_| {
            open_case(&app, &w, token)["id"]
                .as_str()
                .expect("id")
                .to_owned()
        })
        .collect();
    let before = count(&app, "SELECT COUNT(*) AS n FROM audit_events");
    let (ok, stale) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let started = std::time::Instant::now();
    std::thread::scope(|s| {
        for t in 0..clients {
            let (app, cases, ok, stale) = (&app, &cases, &ok, &stale);
            let n = total / clients + usize::from(t < total % clients);
            s.spawn(move || {
                let mut tags: HashMap<usize, (String, String)> = HashMap::new();
                let mut i = 0;
                while i < n {
                    let c = (t * 7 + i * 3) % ncases;
                    let case = &cases[c];
                    let (etag, level) = match tags.get(&c) {
                        Some(v) => v.clone(),
                        None => {
                            let cur = app.get(&format!("/api/v1/cases/{case}"), token);
                            (
                                cur.header("etag").expect("etag").to_owned(),
                                cur.json["risk_level"].as_str().expect("risk").to_owned(),
                            )
                        }
                    };
                    let want = next_level(&level, 1);
                    let r = patch_case(app, token, case, Some(&etag), json!({"risk_level": want}));
                    match r.status {
                        200 => {
                            ok.fetch_add(1, Ordering::Relaxed);
                            i += 1;
                            tags.insert(
                                c,
                                (r.header("etag").expect("etag").to_owned(), want.to_owned()),
                            );
                        }
                        // Someone else updated the case: read it again and retry.
                        412 => {
                            r.problem(412);
                            stale.fetch_add(1, Ordering::Relaxed);
                            tags.remove(&c);
                        }
                        other => panic!("unexpected {other}: {}", r.body),
                    }
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let (ok, stale) = (ok.into_inner(), stale.into_inner());
    assert_eq!(ok, total, "every client made its updates (retrying on 412)");
    let v = app.verify();
    assert_eq!(v["ok"], true, "{v}");
    let events = count(&app, "SELECT COUNT(*) AS n FROM audit_events");
    let updates = count(
        &app,
        "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'case.update'",
    );
    assert_eq!(updates as usize, ok, "one update event per 2xx");
    let chained = count(&app, "SELECT COUNT(*) AS n FROM audit_chain");
    let min = count(&app, "SELECT COALESCE(MIN(seq), 0) AS n FROM audit_chain");
    let max = count(&app, "SELECT COALESCE(MAX(seq), 0) AS n FROM audit_chain");
    let forks = count(
        &app,
        "SELECT COUNT(*) AS n FROM (SELECT event_id FROM audit_chain GROUP BY event_id HAVING COUNT(*) > 1) f",
    );
    assert_eq!((min, max, forks), (1, chained, 0), "seq contiguous 1..N");
    assert_eq!(chained, events, "every event is in the chain once");
    // verify() also seals the access log of the reads: one `access_log.sealed` event a batch.
    let anchors = count(
        &app,
        "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'access_log.sealed'",
    );
    assert_eq!(
        events - before,
        ok as i64 + 1 + anchors,
        "the updates plus verify()'s own login and its access-log anchors"
    );
    eprintln!(
        "{b:?} row 19: {total} updates from {clients} clients over {ncases} cases in {:.1}s → {ok} × 200 (+ {stale} × 412 retried), {updates} update events, chain 1..{max} verifies",
        elapsed.as_secs_f64()
    );
}

#[test]
fn updates_from_50_clients_across_100_cases_keep_the_audit_chain_whole() {
    each_backend(many_updates);
}

/// Supervisors approving rent commitments of one municipality at the same moment: every letter
/// takes its own number of the year (on PostgreSQL two approvals used to count the same letters
/// and collide on the unique number: a 500 for one of them).
#[test]
fn letters_approved_at_the_same_moment_take_distinct_numbers() {
    const N: usize = 8;
    each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = world(&app);
        let drafts: Vec<(String, String)> = (0..N)
            .map(|_| {
                let case = open_case(&app, &w, &w.worker_a1.1)["id"]
                    .as_str()
                    .expect("id")
                    .to_owned();
                let rc = app
                    .post(
                        &format!("/api/v1/cases/{case}/rent-commitments"),
                        &w.worker_a1.1,
                        json!({"amount": 9000, "months_covered": 1, "reason": "En månads hyra."}),
                    )
                    .str("id");
                (case, rc)
            })
            .collect();
        let gate = Barrier::new(N);
        let answers: Vec<Resp> = std::thread::scope(|s| {
            let handles: Vec<_> = drafts
                .iter()
                .map(|(case, rc)| {
                    let (app, gate, token) = (&app, &gate, &w.supervisor_a.1);
                    s.spawn(move || {
                        gate.wait();
                        app.post(
                            &format!("/api/v1/cases/{case}/rent-commitments/{rc}/decision"),
                            token,
                            json!({"decision": "approve", "reason": "Underlaget räcker.",
                                   "legal_basis": {"reason": "Prövat enligt OSL 26:1."}}),
                        )
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("approval thread"))
                .collect()
        });
        let mut numbers: Vec<String> = answers
            .iter()
            .map(|a| {
                assert_eq!(a.status, 200, "{}", a.body);
                a.str("number")
            })
            .collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), N, "letter numbers taken twice: {numbers:?}");
    });
}
