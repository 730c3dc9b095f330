//! The web client at `/`: static files embedded at compile time, served with a strict
//! Content-Security-Policy. The client is plain JavaScript modules and CSS (no build step); it
//! talks to the public JSON API under `/api/v1` only and keeps its tokens in memory.
//!
//! Routing in the browser uses the URL fragment (`/#/cases/…`), so the server serves one page at
//! `/` and the assets under `/app/`; anything else is the API's 404.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

/// The policy on every web-client response: scripts, styles, images and connections from this
/// origin only; no inline script or style, no `eval`, no framing, no plugins, forms post nowhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

/// (path under `/app/`, content type, contents).
const ASSETS: &[(&str, &str, &str)] = &[
    ("app.css", "text/css", include_str!("static/app.css")),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("static/favicon.svg"),
    ),
    ("js/main.js", JS, include_str!("static/js/main.js")),
    ("js/api.js", JS, include_str!("static/js/api.js")),
    ("js/dom.js", JS, include_str!("static/js/dom.js")),
    ("js/i18n.js", JS, include_str!("static/js/i18n.js")),
    ("js/session.js", JS, include_str!("static/js/session.js")),
    ("js/forms.js", JS, include_str!("static/js/forms.js")),
    (
        "js/screens/signin.js",
        JS,
        include_str!("static/js/screens/signin.js"),
    ),
    (
        "js/screens/worklist.js",
        JS,
        include_str!("static/js/screens/worklist.js"),
    ),
    (
        "js/screens/case.js",
        JS,
        include_str!("static/js/screens/case.js"),
    ),
    (
        "js/screens/case_forms.js",
        JS,
        include_str!("static/js/screens/case_forms.js"),
    ),
    (
        "js/screens/supervisor.js",
        JS,
        include_str!("static/js/screens/supervisor.js"),
    ),
    (
        "js/screens/landlord.js",
        JS,
        include_str!("static/js/screens/landlord.js"),
    ),
    (
        "js/screens/analyst.js",
        JS,
        include_str!("static/js/screens/analyst.js"),
    ),
    (
        "js/screens/auditor.js",
        JS,
        include_str!("static/js/screens/auditor.js"),
    ),
    (
        "js/screens/admin.js",
        JS,
        include_str!("static/js/screens/admin.js"),
    ),
];

const JS: &str = "text/javascript";
const INDEX: &str = include_str!("static/index.html");

/// The asset at `path` (relative to `/app/`): content type and contents.
pub fn asset(path: &str) -> Option<(&'static str, &'static str)> {
    ASSETS
        .iter()
        .find(|(p, ..)| *p == path)
        .map(|(_, ct, body)| (*ct, *body))
}

/// Registers `/` and `/app/{path}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/app/{path:.*}", web::get().to(static_file));
}

async fn index() -> HttpResponse {
    page("text/html", INDEX)
}

async fn static_file(req: HttpRequest) -> HttpResponse {
    let path = req.match_info().query("path");
    match asset(path) {
        Some((ct, body)) => page(ct, body),
        None => actix_web::ResponseError::error_response(&crate::error::ApiError::NotFound),
    }
}

fn page(content_type: &'static str, body: &'static str) -> HttpResponse {
    let mut res = HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .body(body);
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_the_page_imports_is_embedded() {
        // Each `import … from "./x.js"` in an embedded module names an embedded asset.
        for (path, ct, body) in ASSETS.iter().filter(|(_, ct, _)| *ct == JS) {
            assert_eq!(*ct, JS);
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            for line in body
                .lines()
                .filter(|l| l.trim_start().starts_with("import "))
            {
                let Some(spec) = line.split(['"', '\'']).nth(1) else {
                    continue;
                };
                let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
                for seg in spec.split('/') {
                    match seg {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        s => parts.push(s),
                    }
                }
                let resolved = parts.join("/");
                assert!(
                    asset(&resolved).is_some(),
                    "{path} imports {spec}: not embedded"
                );
            }
        }
    }

    #[test]
    fn no_embedded_file_uses_inline_script_style_or_html_sinks() {
        assert!(!INDEX.contains("<script>") && !INDEX.contains("style="));
        for (path, _, body) in ASSETS {
            for sink in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "eval(",
                "new Function",
                "localStorage",
                "sessionStorage",
                "document.write",
            ] {
                assert!(!body.contains(sink), "{path} uses {sink}");
            }
        }
    }

    #[test]
    fn the_policy_forbids_inline_code_and_framing() {
        assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self';"));
        assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    }
}
