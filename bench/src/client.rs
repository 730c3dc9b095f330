//! A blocking HTTP client for kvar's API: one ureq `Agent` (one kept-alive connection) per
//! worker, the worker's own access token, and a fresh login when the token has expired.

use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use ureq::Agent;
use ureq::http;

use crate::bail;
use crate::error::{BenchError, Result};

/// How many times a login answered 429 is retried (after its Retry-After) before giving up.
const LOGIN_429_RETRIES: u32 = 5;
/// Longest Retry-After the bench is willing to sleep for.
const MAX_RETRY_AFTER_SECS: u64 = 65;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
}

impl Method {
    fn as_http(self) -> http::Method {
        match self {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
            Method::Patch => http::Method::PATCH,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
        }
    }
}

/// One API request: method, path under the base URL, optional JSON body and If-Match.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub body: Option<String>,
    pub if_match: Option<String>,
}

impl Request {
    pub fn get(path: impl Into<String>) -> Self {
        Request {
            method: Method::Get,
            path: path.into(),
            body: None,
            if_match: None,
        }
    }

    pub fn post(path: impl Into<String>, body: &Value) -> Self {
        Request {
            method: Method::Post,
            path: path.into(),
            body: Some(body.to_string()),
            if_match: None,
        }
    }

    pub fn patch(path: impl Into<String>, body: &Value, etag: &str) -> Self {
        Request {
            method: Method::Patch,
            path: path.into(),
            body: Some(body.to_string()),
            if_match: Some(etag.to_owned()),
        }
    }

    /// The request as text, for error reports.
    pub fn describe(&self) -> String {
        let mut out = format!("{} {}", self.method.as_str(), self.path);
        if let Some(tag) = &self.if_match {
            out.push_str(&format!("\nIf-Match: {tag}"));
        }
        if let Some(body) = &self.body {
            out.push_str(&format!("\n{}", truncate(body, 1500)));
        }
        out
    }
}

/// The parts of a response the bench looks at.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub etag: Option<String>,
    pub retry_after: Option<u64>,
    pub body: String,
    /// From sending the request to having read the whole body.
    pub elapsed: Duration,
}

impl Reply {
    pub fn json(&self) -> Result<Value> {
        serde_json::from_str(&self.body).map_err(|e| {
            BenchError(format!(
                "response is not JSON ({e}): {}",
                truncate(&self.body, 500)
            ))
        })
    }

    /// The response as text, for error reports.
    pub fn describe(&self) -> String {
        format!("→ {}\n{}", self.status, truncate(&self.body, 1500))
    }
}

/// A user the bench signs in as.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// A request the server answered unexpectedly: the exact request and response.
pub fn unexpected(what: &str, req: &Request, reply: &Reply) -> BenchError {
    BenchError(format!(
        "{what}: unexpected answer\n{}\n{}",
        req.describe(),
        reply.describe()
    ))
}

/// A string of the JSON field `key` of `v`, or an error naming the field.
pub fn field(v: &Value, key: &str) -> Result<String> {
    match v.get(key).and_then(Value::as_str) {
        Some(s) => Ok(s.to_owned()),
        None => bail!(
            "response has no string field `{key}`: {}",
            truncate(&v.to_string(), 500)
        ),
    }
}

pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

/// One worker's connection to kvar.
pub struct Client {
    agent: Agent,
    base: String,
    creds: Option<Credentials>,
    token: Option<String>,
    /// Logins made because a token expired (401) mid-run.
    pub relogins: u64,
}

impl Client {
    pub fn new(base: &str) -> Self {
        Self::with_timeout(base, Duration::from_secs(60))
    }

    /// A client whose requests may take up to `timeout` (the audit verification over millions
    /// of events after `--bulk`).
    pub fn with_timeout(base: &str, timeout: Duration) -> Self {
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(timeout))
            .max_idle_connections_per_host(4)
            .build();
        Client {
            agent: Agent::from(config),
            base: base.trim_end_matches('/').to_owned(),
            creds: None,
            token: None,
            relogins: 0,
        }
    }

    /// Send `req` with the current token (if any), exactly once.
    pub fn send(&self, req: &Request) -> Result<Reply> {
        let url = format!("{}{}", self.base, req.path);
        let mut builder = http::Request::builder()
            .method(req.method.as_http())
            .uri(&url)
            .header("accept", "application/json");
        if let Some(token) = &self.token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        if let Some(tag) = &req.if_match {
            builder = builder.header("if-match", tag.as_str());
        }
        let started = Instant::now();
        let sent = match &req.body {
            None => builder.body(()).map(|r| self.agent.run(r)),
            Some(body) => builder
                .header("content-type", "application/json")
                .body(body.as_bytes())
                .map(|r| self.agent.run(r)),
        };
        let mut response = match sent {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => bail!("{} {}: {e}", req.method.as_str(), url),
            Err(e) => bail!(
                "{} {}: cannot build the request: {e}",
                req.method.as_str(),
                url
            ),
        };
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header("etag");
        let retry_after = header("retry-after").and_then(|v| v.trim().parse().ok());
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string().map_err(|e| {
            BenchError(format!(
                "{} {url}: reading the body: {e}",
                req.method.as_str()
            ))
        })?;
        Ok(Reply {
            status,
            etag,
            retry_after,
            body,
            elapsed: started.elapsed(),
        })
    }

    /// One login attempt, as the login storm makes them (the token is not kept).
    pub fn login_once(&self, creds: &Credentials) -> Result<Reply> {
        let no_token = Client {
            agent: self.agent.clone(),
            base: self.base.clone(),
            creds: None,
            token: None,
            relogins: 0,
        };
        no_token.send(&login_request(creds))
    }

    /// Sign in as `creds` and keep the token (and the credentials, to sign in again on a 401).
    /// A 429 (the per-IP limit on /auth/*) or a 503 (every password-hashing permit busy past the
    /// request timeout, as when many workers sign in at once on a loaded machine) is waited out
    /// a few times; sign-ins before the clock starts are not measured.
    pub fn login(&mut self, creds: &Credentials) -> Result<()> {
        self.token = None;
        let mut tries = 0;
        loop {
            let reply = self.send(&login_request(creds))?;
            if matches!(reply.status, 429 | 503) && tries < LOGIN_429_RETRIES {
                tries += 1;
                let wait = reply.retry_after.unwrap_or(1).min(MAX_RETRY_AFTER_SECS);
                thread::sleep(Duration::from_secs(wait));
                continue;
            }
            if reply.status != 200 {
                bail!(
                    "login as {} failed:\nPOST /api/v1/auth/login {{\"username\":\"{}\",\"password\":\"…\"}}\n{}{}",
                    creds.username,
                    creds.username,
                    reply.describe(),
                    if reply.status == 429 {
                        "\n(the server limits /auth/* per client IP: start it with a higher \
                         KVAR_AUTH_RATE_PER_MINUTE, or use --spawn)"
                    } else {
                        ""
                    }
                );
            }
            self.token = Some(field(&reply.json()?, "access_token")?);
            self.creds = Some(creds.clone());
            return Ok(());
        }
    }

    /// Send `req` authenticated; on a 401 (expired token) sign in again and resend once.
    pub fn call(&mut self, req: &Request) -> Result<Reply> {
        let reply = self.send(req)?;
        if reply.status != 401 {
            return Ok(reply);
        }
        let Some(creds) = self.creds.clone() else {
            return Ok(reply);
        };
        self.login(&creds)?;
        self.relogins += 1;
        self.send(req)
    }

    /// `call`, and fail with the exact request and response unless the status is `expected`.
    pub fn expect(&mut self, what: &str, req: &Request, expected: u16) -> Result<Reply> {
        let reply = self.call(req)?;
        if reply.status != expected {
            return Err(unexpected(what, req, &reply));
        }
        Ok(reply)
    }
}

fn login_request(creds: &Credentials) -> Request {
    Request::post(
        "/api/v1/auth/login",
        &json!({"username": creds.username, "password": creds.password}),
    )
}
