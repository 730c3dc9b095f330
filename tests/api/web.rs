//! The web client at `/`: served from the binary with its security headers; the API's answers
//! stay as they were (issue 17).

use crate::support::{Backend, TestApp};

#[test]
fn the_web_client_is_served_with_a_strict_content_security_policy() {
    let app = TestApp::spawn(Backend::Sqlite);
    let page = app.req("GET", "/").header("accept", "text/html").send();
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        page.body
            .contains(r#"<script type="module" src="/app/js/main.js"></script>"#)
    );
    let csp = page.header("content-security-policy").expect("a CSP");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(page.header("cache-control"), Some("no-store"));

    for (path, media) in [
        ("/app/js/main.js", "text/javascript; charset=utf-8"),
        ("/app/js/screens/case.js", "text/javascript; charset=utf-8"),
        ("/app/app.css", "text/css; charset=utf-8"),
        ("/app/favicon.svg", "image/svg+xml"),
    ] {
        let r = app.req("GET", path).send();
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(media), "{path}");
        assert!(r.header("content-security-policy").is_some(), "{path}");
    }
    // Unknown assets and paths are the API's 404 problem; nothing is read from the disk.
    app.req("GET", "/app/nope.js").send().problem(404);
    app.req("GET", "/app/../Cargo.toml").send().problem(404);
    app.req("GET", "/index.html").send().problem(404);
    // The API keeps answering 406 to a browser's HTML Accept.
    assert_eq!(
        app.req("GET", "/api/v1/me")
            .header("accept", "text/html")
            .send()
            .status,
        406
    );
}
