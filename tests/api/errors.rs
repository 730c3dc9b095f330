use serde_json::json;

use crate::support::{Backend, TestApp};

#[test]
fn every_error_is_problem_json_with_the_security_headers() {
    let app = TestApp::spawn(Backend::Sqlite);
    let admin = app.admin_token();
    let r = app.req("GET", "/api/v1/no-such-thing").send();
    r.problem(404);
    let r = app.req("DELETE", "/api/v1/users").token(&admin).send();
    r.problem(405);
    assert_eq!(r.header("allow"), Some("GET, POST"));
    let r = app.req("PUT", "/api/v1/users/abc").send();
    r.problem(405);
    // Malformed JSON, wrong content type, too large a body.
    app.req("POST", "/api/v1/auth/login")
        .raw("application/json", b"{not json".to_vec())
        .send()
        .problem(400);
    app.req("POST", "/api/v1/auth/login")
        .raw("text/plain", b"{}".to_vec())
        .send()
        .problem(415);
    let big = format!(
        "{{\"username\":\"{}\",\"password\":\"x\"}}",
        "a".repeat(70 * 1024)
    );
    app.req("POST", "/api/v1/auth/login")
        .raw("application/json", big.into_bytes())
        .send()
        .problem(413);
    // A missing field names it.
    let r = app
        .req("POST", "/api/v1/auth/login")
        .json(json!({"username": "admin"}))
        .send();
    assert!(
        r.problem(422)["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("password"))
    );
    for r in [
        app.req("GET", "/health/live").send(),
        app.get("/api/v1/me", &admin),
        app.req("GET", "/nope").send(),
    ] {
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert!(r.header("x-request-id").is_some_and(|id| id.len() == 36));
    }
}

#[test]
fn a_panicking_handler_is_a_500_problem_and_the_server_lives_on() {
    let app = TestApp::spawn(Backend::Sqlite);
    for _ in 0..3 {
        let r = app.req("GET", "/__test/panic").send();
        r.problem(500);
        assert!(
            !r.body.contains("test panic"),
            "the panic message stays out of the body"
        );
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
    assert_eq!(app.req("GET", "/health/live").send().status, 200);
}

/// Row 15: page size, body size on every body-reading path, and an oversized request head.
#[test]
fn limits_on_page_size_body_size_and_header_size_hold() {
    use std::io::{Read, Write};
    let app = TestApp::spawn(Backend::Sqlite);
    let w = crate::casework::world(&app);
    let c = crate::integrations::clients(&app, &w);
    for (path, token) in [
        ("/api/v1/cases?limit=10000", &w.supervisor_a.1),
        ("/api/v1/users?limit=10000", &w.admin),
        ("/api/v1/audit/events?limit=10000", &w.auditor.1),
        ("/api/v1/enforcement/receipts?limit=10000", &c.kfm),
    ] {
        let r = app.get(path, token);
        assert!(r.status == 400 || r.status == 422, "{path}: {}", r.body);
        r.problem(r.status);
    }
    assert_eq!(
        app.get("/api/v1/cases?limit=100", &w.supervisor_a.1).status,
        200
    );
    // 65 KiB of JSON: the extractor path and the raw-payload path of the submissions.
    let big = format!("{{\"body\":\"{}\"}}", "a".repeat(65 * 1024));
    for (path, token) in [
        ("/api/v1/households", &w.supervisor_a.1),
        ("/api/v1/enforcement/events", &c.kfm),
    ] {
        app.req("POST", path)
            .token(token)
            .header("idempotency-key", "big")
            .raw("application/json", big.clone().into_bytes())
            .send()
            .problem(413);
    }
    // A 200 KiB header: refused (431/400) or the connection closed, never a hang or a crash.
    let addr = app.base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    let head = format!(
        "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200 * 1024)
    );
    let _ = s.write_all(head.as_bytes());
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || text.starts_with("HTTP/1.1 431") || text.starts_with("HTTP/1.1 400"),
        "{text}"
    );
    assert_eq!(
        app.req("GET", "/health/live").send().status,
        200,
        "the server lives on"
    );
}

/// Security table row 16: an `Accept` that rules out JSON is 406; every textual answer names
/// its charset.
#[test]
fn an_accept_without_json_is_406_and_every_answer_names_its_charset() {
    let app = TestApp::spawn(Backend::Sqlite);
    let admin = app.admin_token();
    for accept in ["text/html", "application/xml", "application/json;q=0"] {
        app.req("GET", "/api/v1/me")
            .token(&admin)
            .header("accept", accept)
            .send()
            .problem(406);
    }
    for accept in [
        "application/json",
        "application/problem+json",
        "*/*",
        "text/html, application/*;q=0.2",
    ] {
        let r = app
            .req("GET", "/api/v1/me")
            .token(&admin)
            .header("accept", accept)
            .send();
        assert_eq!(r.status, 200, "{accept}: {}", r.body);
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
    }
    // Outside the API (metrics, health, the document) Accept is not policed, and the charset is named.
    for path in ["/health/live", "/metrics", "/openapi.json"] {
        let r = app.req("GET", path).header("accept", "text/html").send();
        assert_eq!(r.status, 200, "{path}");
        let ctype = r.header("content-type").unwrap_or("");
        assert!(ctype.contains("charset=utf-8"), "{path}: {ctype}");
    }
}

/// Security table row 15: a body that trickles in is cut off with 408 and a closed connection
/// (KVAR_BODY_TIMEOUT_SECS, 1 s here); a handler that outlives KVAR_REQUEST_TIMEOUT_SECS (2 s
/// here) is a 503 problem with Retry-After; the server then answers normally.
#[test]
fn a_slow_body_is_408_on_a_closed_connection_and_a_slow_handler_is_503() {
    use std::io::{Read, Write};
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        crate::support::Options {
            request_timeout_secs: 2,
            body_timeout_secs: 1,
            ..Default::default()
        },
    );
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut s = std::net::TcpStream::connect(&addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("timeout");
    let started = std::time::Instant::now();
    s.write_all(
        format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"username\":"
        )
        .as_bytes(),
    )
    .expect("send head");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer)
        .expect("read until the server closes");
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
    assert!(
        took < std::time::Duration::from_secs(5),
        "closed after {took:?}"
    );

    let r = app.req("GET", "/__test/sleep/3500").send();
    r.problem(503);
    assert_eq!(r.header("retry-after"), Some("5"));
    assert_eq!(r.json["type"], "urn:kvar:problem:timeout");
    assert_eq!(app.req("GET", "/__test/sleep/10").send().status, 200);
    assert_eq!(app.req("GET", "/health/live").send().status, 200);
}
