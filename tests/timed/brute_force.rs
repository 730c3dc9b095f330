//! Security table rows 12 and 11: one account attacked from 50 addresses for a simulated hour
//! gets at most 100 password verifications, its owner signs in within 15 minutes after the
//! attack, and nothing locks for good; in a storm of sign-ins the hashes running at once never
//! exceed the hasher's permits. Verifications and the high-water mark come from `/metrics`.

use serde_json::json;

use crate::support::{Backend, Options, PASSWORD, TestApp, each_backend};
use crate::{advance, serial};

fn gauge(app: &TestApp, name: &str) -> f64 {
    let r = app.req("GET", "/metrics").send();
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} not in /metrics"))
}

struct Status {
    code: u16,
    retry_after: Option<i64>,
}

fn sign_in(app: &TestApp, from: &str, username: &str, password: &str) -> Status {
    let r = app
        .req("POST", "/api/v1/auth/login")
        .header("x-forwarded-for", from)
        .json(json!({"username": username, "password": password}))
        .send();
    Status {
        code: r.status,
        retry_after: r.header("retry-after").and_then(|v| v.parse().ok()),
    }
}

fn victim(app: &TestApp) {
    let admin = app.admin_token();
    let (org, unit) = app.municipality(&admin, "0180");
    app.user(&admin, "victim", "caseworker", &org, Some(&unit));
}

#[test]
fn one_account_from_50_addresses_for_an_hour_gets_at_most_100_verifications() {
    let _one = serial();
    each_backend(|b| {
        let app = TestApp::spawn_with(
            b,
            Options {
                trusted_proxies: "127.0.0.1/32",
                ..Options::default()
            },
        );
        victim(&app);
        let before = gauge(&app, "kvar_password_verifications");
        // Two guesses every 5 simulated seconds, from 50 addresses in turn, for an hour.
        let (mut refused, mut throttled, mut longest_wait) = (0, 0, 0);
        for step in 0..720 {
            for k in 0..2 {
                let from = format!("198.51.100.{}", (step * 2 + k) % 50 + 1);
                let s = sign_in(&app, &from, "victim", &format!("guess-{step}-{k}-xxxxxx"));
                match s.code {
                    401 => refused += 1,
                    429 => {
                        throttled += 1;
                        longest_wait = longest_wait.max(s.retry_after.expect("Retry-After"));
                    }
                    other => panic!("step {step}: {other}"),
                }
            }
            advance(chrono::Duration::seconds(5));
        }
        let verified = gauge(&app, "kvar_password_verifications") - before;
        eprintln!(
            "{b:?}: {verified} verifications, {refused} refused, {throttled} throttled, longest wait {longest_wait} s"
        );
        assert_eq!(
            verified,
            f64::from(refused),
            "every 401 is one verification"
        );
        assert!(
            (6.0..=100.0).contains(&verified),
            "{verified} verifications in the hour"
        );
        assert!(throttled > 1000, "{throttled}");
        assert!(longest_wait <= 900, "a wait of {longest_wait} s");
        // The attack stops; 15 minutes later the owner signs in with the right password.
        advance(chrono::Duration::minutes(15));
        let owner = sign_in(&app, "192.0.2.10", "victim", PASSWORD);
        assert_eq!(owner.code, 200, "the owner 15 minutes after the attack");
    });
}

#[test]
fn a_storm_of_sign_ins_never_runs_more_hashes_than_the_permits() {
    let _one = serial();
    let app = TestApp::spawn(Backend::Sqlite);
    victim(&app);
    let permits = gauge(&app, "kvar_password_hash_permits");
    let before = gauge(&app, "kvar_password_verifications");
    const STORM: usize = 24;
    std::thread::scope(|s| {
        for i in 0..STORM {
            let app = &app;
            s.spawn(move || {
                let (user, password) = if i % 4 == 0 {
                    ("victim".to_owned(), PASSWORD.to_owned())
                } else {
                    (format!("storm-{i}"), "a wrong password".to_owned())
                };
                let s = sign_in(app, &format!("203.0.113.{i}"), &user, &password);
                assert!(matches!(s.code, 200 | 401), "{}", s.code);
            });
        }
    });
    let ran = gauge(&app, "kvar_password_verifications") - before;
    let high_water = gauge(&app, "kvar_password_hashes_in_flight_max");
    eprintln!("storm: {ran} verifications, at most {high_water} at once, {permits} permits");
    assert_eq!(ran, STORM as f64);
    assert!(
        (1.0..=permits).contains(&high_water),
        "{high_water} hashes at once with {permits} permits"
    );
    assert_eq!(gauge(&app, "kvar_password_hashes_in_flight"), 0.0);
}
