//! Several instances on one database (issue 16 item 4, SPEC §2): two apps prepared at the same
//! moment on an empty database (migrations, data steps, bootstrap), the sign-in and search
//! limits counted across them, an idempotency key in flight on one answered 409 by the other,
//! background work under its advisory lock. The failure test `tests/failure/instances.py` runs
//! two real processes and kills one.

use std::sync::Barrier;

use diesel::prelude::*;
use serde_json::json;

use crate::casework::world;
use crate::integrations::{clients, event, submit};
use crate::support::{ADMIN_PASSWORD, Backend, Options, Resp, TestApp, backends, each_backend};

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

fn two(b: Backend, opts: Options) -> (TestApp, TestApp) {
    let mut apps = TestApp::spawn_together(b, 2, opts);
    let second = apps.pop().expect("two apps");
    (apps.pop().expect("two apps"), second)
}

#[test]
fn instances_starting_together_on_an_empty_database_both_come_up_with_one_admin() {
    // SQLite is one process by design; the race is PostgreSQL's.
    for b in backends().into_iter().filter(|b| *b == Backend::Postgres) {
        for _ in 0..3 {
            let mut apps = TestApp::spawn_together(b, 3, Options::default());
            let a = &apps[0];
            assert_eq!(
                count(
                    a,
                    "SELECT COUNT(*) AS n FROM users WHERE username = 'admin'"
                ),
                1
            );
            assert_eq!(
                count(
                    a,
                    "SELECT COUNT(*) AS n FROM organizations WHERE kind = 'platform'"
                ),
                1
            );
            assert_eq!(
                count(
                    a,
                    "SELECT COUNT(*) AS n FROM (SELECT version FROM __diesel_schema_migrations \
                     GROUP BY version HAVING COUNT(*) > 1) d"
                ),
                0
            );
            // One user.create audit event for the one admin, and every instance serves.
            assert_eq!(
                count(
                    a,
                    "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'user.create'"
                ),
                1
            );
            for app in &apps {
                app.login("admin", ADMIN_PASSWORD);
            }
            // The first drops the database: the others stop before it.
            apps.reverse();
        }
    }
}

#[test]
fn the_sign_in_limit_per_ip_holds_across_instances() {
    each_backend(|b| {
        let opts = Options {
            auth_rate_per_minute: 4,
            ..Options::default()
        };
        let (a, c) = two(b, opts);
        // Four attempts from this address, alternating between the instances: each is counted
        // once by the shared limit; the fifth is refused on either.
        for i in 0..4 {
            let app = if i % 2 == 0 { &a } else { &c };
            app.req("POST", "/api/v1/auth/refresh")
                .json(json!({"refresh_token": "x"}))
                .send()
                .problem(401);
        }
        for app in [&a, &c] {
            let r = app
                .req("POST", "/api/v1/auth/login")
                .json(json!({"username": "nobody", "password": "whatever it is"}))
                .send();
            r.problem(429);
            let wait: u64 = r
                .header("retry-after")
                .and_then(|v| v.parse().ok())
                .expect("Retry-After");
            // 4 a minute: the next one fits after at most 15 s.
            assert!((1..=16).contains(&wait), "Retry-After {wait}");
        }
        assert_eq!(
            count(
                &a,
                "SELECT COUNT(*) AS n FROM rate_limits WHERE key = 'auth/127.0.0.1'"
            ),
            1
        );
        drop(c);
    });
}

#[test]
fn the_person_search_limit_per_user_holds_across_instances() {
    each_backend(|b| {
        let opts = Options {
            search_rate_per_minute: 3,
            ..Options::default()
        };
        let (a, c) = two(b, opts);
        let w = world(&a);
        let search = |app: &TestApp, token: &str| -> Resp {
            app.post(
                "/api/v1/persons/search",
                token,
                json!({"personnummer": "19121212-1212"}),
            )
        };
        let me = &w.worker_a1.1;
        for i in 0..3 {
            let r = search(if i % 2 == 0 { &a } else { &c }, me);
            assert_eq!(r.status, 200, "{}", r.body);
        }
        search(&c, me).problem(429);
        search(&a, me).problem(429);
        // Another user has a limit of their own.
        assert_eq!(search(&c, &w.worker_a2.1).status, 200);
        drop(c);
    });
}

#[test]
fn a_key_in_flight_on_one_instance_gets_409_on_the_other_then_replays() {
    each_backend(|b| {
        let (a, c) = two(b, Options::default());
        let w = world(&a);
        let cl = clients(&a, &w);
        let path = "/api/v1/enforcement/events";
        let body = event(
            "19121212-1212",
            "Tolvan Tolvansson",
            "kfm_application_received",
            "12-800-26",
        );
        // Forty requests with one key, half to each instance, all at once.
        let gate = Barrier::new(40);
        let answers: Vec<Resp> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..40)
                .map(|i| {
                    let (gate, body, token) = (&gate, body.clone(), &cl.kfm);
                    let app = if i % 2 == 0 { &a } else { &c };
                    s.spawn(move || {
                        gate.wait();
                        submit(app, token, path, "multi-1", body)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().expect("thread")).collect()
        });
        let bodies: std::collections::HashSet<&str> = answers
            .iter()
            .filter(|r| r.status == 202)
            .map(|r| r.body.as_str())
            .collect();
        assert_eq!(bodies.len(), 1, "every 202 carries the one stored answer");
        for r in answers.iter().filter(|r| r.status != 202) {
            assert_eq!(r.status, 409, "{}", r.body);
            assert_eq!(r.json["type"], "urn:kvar:problem:idempotency-in-flight");
        }
        assert_eq!(a.notices_with_case_number("0180", "12-800-26"), 1);
        if b == Backend::Postgres {
            // What another instance holds while it works: the key's transaction lock. Held here
            // by a connection of the test, a request with the key answers 409 on either app…
            let principal = format!(
                "client:{}",
                cl.kfm_client["id"].as_str().expect("client id")
            );
            let mut conn = a.connect();
            let other = event(
                "19121212-1212",
                "Tolvan",
                "kfm_application_received",
                "12-801-26",
            );
            conn.transaction::<_, diesel::result::Error, _>(|tx| {
                assert!(
                    kvar::db::advisory::try_xact_idempotency(tx, &principal, "multi-2")?,
                    "the test takes the lock"
                );
                for app in [&a, &c] {
                    let r = submit(app, &cl.kfm, path, "multi-2", other.clone());
                    r.problem(409);
                    assert!(r.header("retry-after").is_some());
                }
                Ok(())
            })
            .expect("transaction");
            // …and once it is released, the key is processed once and then replays.
            let first = submit(&c, &cl.kfm, path, "multi-2", other.clone());
            assert_eq!(first.status, 202, "{}", first.body);
            let again = submit(&a, &cl.kfm, path, "multi-2", other);
            assert_eq!((again.status, &again.body), (202, &first.body));
            assert_eq!(again.header("idempotent-replayed"), Some("true"));
        }
        drop(c);
    });
}

#[test]
fn the_daily_jobs_run_on_one_instance_at_a_time() {
    for b in backends().into_iter().filter(|b| *b == Backend::Postgres) {
        let (a, c) = two(b, Options::default());
        use kvar::db::advisory::{Lock, run_exclusive};
        let mut holder = a.connect();
        let mut other = c.connect();
        // While one connection (an instance) holds the retention lock, another skips the job.
        let held = run_exclusive(&mut holder, Lock::Retention, |h| {
            let skipped = run_exclusive(&mut other, Lock::Retention, |_| {
                Ok::<_, diesel::result::Error>(())
            })?;
            assert!(skipped.is_none(), "the second instance must skip");
            // A different job is not blocked by it.
            let purge = run_exclusive(&mut other, Lock::Purge, |_| {
                Ok::<_, diesel::result::Error>(())
            })?;
            assert!(purge.is_some());
            let _ = h;
            Ok::<_, diesel::result::Error>(())
        })
        .expect("lock");
        assert!(held.is_some());
        // Released after the job: the other instance gets it now.
        let now = run_exclusive(&mut other, Lock::Retention, |_| {
            Ok::<_, diesel::result::Error>(())
        })
        .expect("lock");
        assert!(now.is_some());
        // The worklist's daily sweep at the first request of a day on both instances at once.
        let w = world(&a);
        let gate = Barrier::new(2);
        std::thread::scope(|s| {
            for app in [&a, &c] {
                let (gate, token) = (&gate, &w.supervisor_a.1);
                s.spawn(move || {
                    gate.wait();
                    let r = app.get("/api/v1/worklist", token);
                    assert_eq!(r.status, 200, "{}", r.body);
                });
            }
        });
        assert_eq!(
            count(
                &a,
                "SELECT COUNT(*) AS n FROM worklist_sweeps WHERE swept_on = (SELECT MAX(swept_on) FROM worklist_sweeps)"
            ),
            1,
            "one sweep for the day"
        );
        drop(c);
    }
}
