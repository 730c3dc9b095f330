//! Security table row 14 end to end: the per-address sign-in limit believes `X-Forwarded-For`
//! only from a trusted proxy (`KVAR_TRUSTED_PROXIES`), and then takes the right-most address that
//! is not a trusted proxy. Written against the HTTP answers (401 until the limit, then 429 with
//! `Retry-After`), not against how the limit is kept.

use serde_json::json;

use crate::support::{Backend, Options, TestApp, each_backend};

const LIMIT: u32 = 3;

fn app(b: Backend, trusted_proxies: &'static str) -> TestApp {
    TestApp::spawn_with(
        b,
        Options {
            auth_rate_per_minute: LIMIT,
            trusted_proxies,
            ..Options::default()
        },
    )
}

/// One failed sign-in (a fresh unknown name each time, so the per-name throttle stays out of
/// it) that says it comes from `forwarded`; returns the status.
fn attempt(app: &TestApp, forwarded: Option<&str>) -> u16 {
    let mut r = app.req("POST", "/api/v1/auth/login").json(json!({
        "username": format!("nobody-{}", uuid::Uuid::now_v7().simple()),
        "password": "wrong password, surely"
    }));
    if let Some(f) = forwarded {
        r = r.header("x-forwarded-for", f);
    }
    let resp = r.send();
    if resp.status == 429 {
        assert!(
            resp.header("retry-after").is_some(),
            "429 without Retry-After"
        );
    }
    resp.status
}

/// `LIMIT` attempts from `forwarded` pass (401), the next is 429.
fn exhaust(app: &TestApp, forwarded: &str) {
    for i in 0..LIMIT {
        assert_eq!(
            attempt(app, Some(forwarded)),
            401,
            "attempt {i} from {forwarded}"
        );
    }
    assert_eq!(
        attempt(app, Some(forwarded)),
        429,
        "over the limit from {forwarded}"
    );
}

#[test]
fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored() {
    each_backend(|b| {
        // No trusted proxy: the limit is the TCP peer's (127.0.0.1), whatever the header says.
        let app = app(b, "");
        for i in 0..LIMIT {
            let spoofed = format!("198.51.100.{i}");
            assert_eq!(attempt(&app, Some(&spoofed)), 401, "attempt {i}");
        }
        assert_eq!(attempt(&app, Some("198.51.100.200")), 429);
        assert_eq!(attempt(&app, Some("203.0.113.1, 198.51.100.201")), 429);
        assert_eq!(attempt(&app, None), 429);
    });
}

#[test]
fn behind_a_trusted_proxy_the_right_most_untrusted_address_gets_its_own_limit() {
    each_backend(|b| {
        // The tests connect from 127.0.0.1; 10.0.0.0/8 stands for a second proxy hop.
        let app = app(b, "127.0.0.1/32, 10.0.0.0/8");
        exhaust(&app, "203.0.113.7");
        // Another client behind the same proxy is not limited by the first one.
        assert_eq!(attempt(&app, Some("203.0.113.8")), 401);
        // The right-most untrusted address counts, not a left-most one the client wrote itself.
        assert_eq!(attempt(&app, Some("203.0.113.7, 203.0.113.9")), 401);
        assert_eq!(attempt(&app, Some("203.0.113.9, 203.0.113.7")), 429);
        // Trusted hops on the right are skipped.
        assert_eq!(attempt(&app, Some("203.0.113.7, 10.1.2.3")), 429);
        assert_eq!(
            attempt(&app, Some("203.0.113.7, 203.0.113.10, 10.1.2.3")),
            401
        );
    });
}
