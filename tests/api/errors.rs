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
