//! The test harness: `TestApp::spawn(backend)` starts the real app on a fresh database (a SQLite
//! file in a temp dir, or a new PostgreSQL database when `KVAR_TEST_POSTGRES_URL` is set) on a
//! loopback port, and speaks HTTP to it.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::mpsc;

use actix_web::{HttpServer, web};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};

use kvar::config::Settings;
use kvar::crypto::Keys;

pub const ADMIN_PASSWORD: &str = "platform-admin-password";
pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backends every integration test runs on: SQLite always, PostgreSQL when configured.
/// A configured but unreachable server fails the test (it is never skipped).
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if std::env::var("KVAR_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
        v.push(Backend::Postgres);
    }
    v
}

/// Run `f` once per backend.
pub fn each_backend(f: impl Fn(Backend)) {
    for b in backends() {
        f(b);
    }
}

async fn panics() -> &'static str {
    panic!("test panic")
}

/// A handler that takes `ms` milliseconds (the request-timeout test).
async fn sleeps(ms: web::Path<u64>) -> &'static str {
    actix_web::rt::time::sleep(std::time::Duration::from_millis(ms.into_inner())).await;
    "slept"
}

pub struct TestApp {
    pub base: String,
    pub backend: Backend,
    pub database_url: String,
    pg_admin: Option<(String, String)>,
    handle: Option<actix_web::dev::ServerHandle>,
    /// The real binary, when started by [`TestApp::spawn_binary`].
    child: Option<std::process::Child>,
    agent: ureq::Agent,
    _dir: tempfile::TempDir,
}

/// A fresh database URL for `backend`.
fn fresh_database(backend: Backend, dir: &std::path::Path) -> (String, Option<(String, String)>) {
    match backend {
        Backend::Sqlite => (format!("sqlite://{}/kvar.db", dir.display()), None),
        Backend::Postgres => {
            let admin = std::env::var("KVAR_TEST_POSTGRES_URL").expect("KVAR_TEST_POSTGRES_URL");
            let name = format!("kvar_test_{}", uuid::Uuid::now_v7().simple());
            let mut c = diesel::PgConnection::establish(&admin)
                .expect("KVAR_TEST_POSTGRES_URL is set but PostgreSQL is unreachable");
            c.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create database");
            let (base, _) = admin
                .rsplit_once('/')
                .expect("postgres url with a database");
            (format!("{base}/{name}"), Some((admin, name)))
        }
    }
}

/// The settings of a test app on `database_url` with its data in `dir`.
fn test_settings(database_url: &str, dir: &std::path::Path, opts: &Options) -> Settings {
    let mut env: HashMap<&str, String> = HashMap::new();
    env.insert("DATABASE_URL", database_url.to_owned());
    env.insert("KVAR_DATA_DIR", dir.display().to_string());
    env.insert("KVAR_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD.into());
    env.insert(
        "KVAR_AUTH_RATE_PER_MINUTE",
        opts.auth_rate_per_minute.to_string(),
    );
    env.insert(
        "KVAR_SEARCH_RATE_PER_MINUTE",
        opts.search_rate_per_minute.to_string(),
    );
    env.insert("KVAR_DB_POOL_SIZE", "4".into());
    env.insert(
        "KVAR_REQUEST_TIMEOUT_SECS",
        opts.request_timeout_secs.to_string(),
    );
    env.insert("KVAR_BODY_TIMEOUT_SECS", opts.body_timeout_secs.to_string());
    env.insert("KVAR_TRUSTED_PROXIES", opts.trusted_proxies.into());
    // The timing floor is measured against the release binary (tests/failure); the API
    // tests need no wait.
    env.insert("KVAR_SUBMISSION_FLOOR_MS", "0".into());
    // Erasures by the tests' own connections show at once (no cached keys).
    env.insert("KVAR_KEY_CACHE_SECS", "0".into());
    // Generous under a loaded CI machine: the races queue many requests on few connections.
    env.insert("KVAR_DB_TIMEOUT_MS", "15000".into());
    Settings::from_lookup(|k| env.get(k).cloned()).expect("settings")
}

pub struct Options {
    pub auth_rate_per_minute: u32,
    pub search_rate_per_minute: u32,
    /// `KVAR_REQUEST_TIMEOUT_SECS` and `KVAR_BODY_TIMEOUT_SECS`.
    pub request_timeout_secs: u32,
    pub body_timeout_secs: u32,
    /// `KVAR_TRUSTED_PROXIES` (empty: none; the tests connect from 127.0.0.1).
    pub trusted_proxies: &'static str,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            auth_rate_per_minute: 100_000,
            search_rate_per_minute: 30,
            // Generous: a loaded CI machine must not turn slow requests into 503s.
            request_timeout_secs: 120,
            body_timeout_secs: 60,
            trusted_proxies: "",
        }
    }
}

impl TestApp {
    pub fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, Options::default())
    }

    pub fn spawn_with(backend: Backend, opts: Options) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let (database_url, pg_admin) = fresh_database(backend, dir.path());
        let settings = test_settings(&database_url, dir.path(), &opts);
        let (state, _) = kvar::app::prepare(settings, Keys::for_tests()).expect("prepare");
        Self::serve(state, backend, database_url, pg_admin, dir)
    }

    /// `n` apps on one fresh database, prepared at the same moment as instances of one
    /// deployment starting together (migrations, data steps and bootstrap race). They share
    /// the keys; the first drops the database. On SQLite (one process by design: two processes
    /// migrating one file is not a supported start) they are prepared one after the other.
    pub fn spawn_together(backend: Backend, n: usize, opts: Options) -> Vec<TestApp> {
        let first = tempfile::tempdir().expect("tempdir");
        let (database_url, pg_admin) = fresh_database(backend, first.path());
        let mut dirs = vec![first];
        dirs.extend((1..n).map(|_| tempfile::tempdir().expect("tempdir")));
        let together = backend == Backend::Postgres;
        let go = std::sync::Barrier::new(if together { n } else { 1 });
        let states: Vec<_> = std::thread::scope(|s| {
            let mut started = Vec::new();
            let mut done = Vec::new();
            for d in &dirs {
                let settings = test_settings(&database_url, d.path(), &opts);
                let go = &go;
                let h = s.spawn(move || {
                    go.wait();
                    kvar::app::prepare(settings, Keys::for_tests())
                });
                if together {
                    started.push(h);
                } else {
                    done.push(h.join().expect("prepare thread").expect("prepare"));
                }
            }
            done.extend(
                started
                    .into_iter()
                    .map(|h| h.join().expect("prepare thread").expect("prepare")),
            );
            done
        });
        let mut admin = pg_admin;
        states
            .into_iter()
            .zip(dirs)
            .map(|((state, _), dir)| {
                Self::serve(state, backend, database_url.clone(), admin.take(), dir)
            })
            .collect()
    }

    fn serve(
        state: kvar::state::AppState,
        backend: Backend,
        database_url: String,
        pg_admin: Option<(String, String)>,
        dir: tempfile::TempDir,
    ) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let sys = actix_web::rt::System::new();
            sys.block_on(async move {
                let data = web::Data::new(state);
                let server = HttpServer::new(move || {
                    kvar::app::build(data.clone())
                        .route("/__test/panic", web::get().to(panics))
                        .route("/__test/sleep/{ms}", web::get().to(sleeps))
                })
                .workers(1)
                .disable_signals()
                .listen(listener)
                .expect("listen")
                .run();
                tx.send(server.handle()).expect("send handle");
                let _ = server.await;
            });
        });
        let handle = rx.recv().expect("server handle");
        TestApp {
            base: format!("http://{addr}"),
            backend,
            database_url,
            pg_admin,
            handle: Some(handle),
            child: None,
            agent: agent(),
            _dir: dir,
        }
    }

    /// The real binary (`kvar serve`) on a fresh database, logging at debug level as JSON to a
    /// file ([`TestApp::log`]), with the tests' JWT key so that tests can sign tokens.
    pub fn spawn_binary(backend: Backend) -> TestApp {
        use base64::Engine;
        let dir = tempfile::tempdir().expect("tempdir");
        let (database_url, pg_admin) = fresh_database(backend, dir.path());
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let file = |name: &str| std::fs::File::create(dir.path().join(name)).expect("log file");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_kvar"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &database_url)
            .env("KVAR_DATA_DIR", dir.path())
            .env("KVAR_BIND", format!("127.0.0.1:{port}"))
            .env("KVAR_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("KVAR_AUTH_RATE_PER_MINUTE", "100000")
            .env("KVAR_SHUTDOWN_GRACE_MS", "0")
            .env(
                "KVAR_JWT_KEY",
                base64::engine::general_purpose::STANDARD.encode(Keys::for_tests().jwt),
            )
            .env("RUST_LOG", "debug")
            .env("LOG_FORMAT", "json")
            .arg("serve")
            .stdout(file("stdout.log"))
            .stderr(file("stderr.log"))
            .spawn()
            .expect("spawn kvar");
        let mut app = TestApp {
            base: format!("http://127.0.0.1:{port}"),
            backend,
            database_url,
            pg_admin,
            handle: None,
            child: Some(child),
            agent: agent(),
            _dir: dir,
        };
        let stdout = app._dir.path().join("stdout.log");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !std::fs::read_to_string(&stdout)
            .unwrap_or_default()
            .contains("kvar listening")
        {
            let exited = app.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
            assert!(
                exited.is_none() && std::time::Instant::now() < deadline,
                "kvar did not start ({exited:?}):\n{}",
                app.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        app
    }

    /// What the binary started by [`TestApp::spawn_binary`] has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("stderr.log")).unwrap_or_default()
    }

    pub fn req(&self, method: &str, path: &str) -> Req<'_> {
        Req {
            app: self,
            method: method.into(),
            path: path.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn get(&self, path: &str, token: &str) -> Resp {
        self.req("GET", path).token(token).send()
    }

    pub fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.req("POST", path).token(token).json(body).send()
    }

    /// Sign in; panics unless 200.
    pub fn login(&self, username: &str, password: &str) -> Tokens {
        let r = self
            .req("POST", "/api/v1/auth/login")
            .json(json!({"username": username, "password": password}))
            .send();
        assert_eq!(r.status, 200, "login {username}: {}", r.body);
        Tokens {
            access: r.str("access_token"),
            refresh: r.str("refresh_token"),
        }
    }

    pub fn admin_token(&self) -> String {
        self.login("admin", ADMIN_PASSWORD).access
    }

    /// Create a municipality with one unit; returns (organization id, unit id).
    pub fn municipality(&self, admin: &str, code: &str) -> (String, String) {
        let org = self.post(
            "/api/v1/organizations",
            admin,
            json!({"kind": "municipality", "name": format!("Kommun {code}"), "municipality_code": code}),
        );
        assert_eq!(org.status, 201, "{}", org.body);
        let org_id = org.str("id");
        let unit = self.post(
            &format!("/api/v1/organizations/{org_id}/units"),
            admin,
            json!({"name": "Försörjningsstöd"}),
        );
        assert_eq!(unit.status, 201, "{}", unit.body);
        (org_id, unit.str("id"))
    }

    /// Create a user; returns its id.
    pub fn user(
        &self,
        admin: &str,
        username: &str,
        role: &str,
        org: &str,
        unit: Option<&str>,
    ) -> String {
        let r = self.post(
            "/api/v1/users",
            admin,
            json!({"username": username, "password": PASSWORD, "display_name": username,
                   "role": role, "organization_id": org, "unit_id": unit}),
        );
        assert_eq!(r.status, 201, "create user {username}: {}", r.body);
        r.str("id")
    }

    /// The app's data directory (its dev key files and the checkpoint sink live there).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// A direct connection to the app's database (for tampering tests).
    pub fn connect(&self) -> kvar::db::AnyConnection {
        match self.backend {
            Backend::Sqlite => {
                let path = self.database_url.trim_start_matches("sqlite://").to_owned();
                kvar::db::AnyConnection::Sqlite(
                    diesel::SqliteConnection::establish(&path).expect("sqlite"),
                )
            }
            Backend::Postgres => kvar::db::AnyConnection::Postgresql(
                diesel::PgConnection::establish(&self.database_url).expect("pg"),
            ),
        }
    }

    /// Notices of the municipality `code` carrying Kronofogden case number `number`, found
    /// through its blind index as intake finds them (the number itself is sealed).
    pub fn notices_with_case_number(&self, code: &str, number: &str) -> i64 {
        use diesel::prelude::*;
        use kvar::db::schema::{notices as n, organizations as o};
        let mut conn = self.connect();
        let org: String = o::table
            .filter(o::municipality_code.eq(code))
            .select(o::id)
            .first(&mut conn)
            .expect("municipality");
        let blind =
            kvar::crypto::field::BlindIndex::new(&kvar::crypto::Keys::for_tests().blind_index)
                .expect("blind index");
        n::table
            .filter(n::kfm_case_index.eq(kvar::notices::repo::kfm_case_index(&blind, &org, number)))
            .count()
            .get_result(&mut conn)
            .expect("count")
    }

    /// Whether `needle` is stored in clear anywhere in the database: on SQLite in the bytes of
    /// the database file and its write-ahead log, on PostgreSQL in the text form of every row of
    /// every table (a clear value in a `bytea` column shows there as its hex).
    pub fn stores_in_clear(&self, needle: &str) -> bool {
        match self.backend {
            Backend::Sqlite => {
                let path = self.database_url.trim_start_matches("sqlite://").to_owned();
                [path.clone(), format!("{path}-wal")].iter().any(|p| {
                    std::fs::read(p).is_ok_and(|bytes| {
                        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
                    })
                })
            }
            Backend::Postgres => {
                use diesel::prelude::*;
                #[derive(diesel::QueryableByName)]
                struct N {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    n: i64,
                }
                let mut conn = self.connect();
                let hex: String = needle.bytes().map(|b| format!("{b:02x}")).collect();
                kvar::db::privileges::TABLES.iter().any(|(table, _)| {
                    let sql = format!(
                        "SELECT COUNT(*) AS n FROM {table} t \
                         WHERE t::text LIKE '%' || $1 || '%' OR t::text LIKE '%' || $2 || '%'"
                    );
                    diesel::sql_query(sql)
                        .bind::<diesel::sql_types::Text, _>(needle)
                        .bind::<diesel::sql_types::Text, _>(&hex)
                        .get_result::<N>(&mut conn)
                        .expect("scan")
                        .n
                        > 0
                })
            }
        }
    }

    /// `GET /audit/verify` as the platform admin.
    pub fn verify(&self) -> Value {
        let r = self.get("/api/v1/audit/verify", &self.admin_token());
        assert_eq!(r.status, 200, "{}", r.body);
        r.json
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
        if let Some(h) = self.handle.take() {
            actix_web::rt::System::new().block_on(h.stop(false));
        }
        if let Some((admin, name)) = self.pg_admin.take()
            && let Ok(mut c) = diesel::PgConnection::establish(&admin)
        {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

pub struct Req<'a> {
    app: &'a TestApp,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Req<'_> {
    pub fn token(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }

    pub fn json(mut self, v: Value) -> Self {
        self.body = Some(v.to_string().into_bytes());
        self.header("content-type", "application/json")
    }

    pub fn raw(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.body = Some(body);
        self.header("content-type", content_type)
    }

    pub fn send(self) -> Resp {
        let mut b = ureq::http::Request::builder()
            .method(self.method.as_str())
            .uri(format!("{}{}", self.app.base, self.path));
        for (k, v) in &self.headers {
            b = b.header(k, v);
        }
        let res = match self.body {
            Some(body) => self.app.agent.run(b.body(body).expect("request")),
            None => self.app.agent.run(b.body(()).expect("request")),
        }
        .expect("http");
        let status = res.status().as_u16();
        let headers = res
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let bytes = res.into_body().read_to_vec().unwrap_or_default();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_str(&body).unwrap_or(Value::Null);
        let resp = Resp {
            status,
            headers,
            body,
            json,
            bytes,
        };
        if status >= 400 && self.method != "HEAD" {
            resp.assert_problem_shape();
        }
        resp
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
    pub json: Value,
    /// The body as sent (binary answers such as PDF letters).
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn str(&self, key: &str) -> String {
        self.json[key]
            .as_str()
            .unwrap_or_else(|| panic!("no string {key} in {}", self.body))
            .to_owned()
    }

    pub fn header(&self, k: &str) -> Option<&str> {
        self.headers.get(k).map(String::as_str)
    }

    /// Security table row 26: every 4xx/5xx any test sees is problem+json with type, title and
    /// status, and shows no stack trace or source location.
    fn assert_problem_shape(&self) {
        let ctype = self.header("content-type").unwrap_or("");
        assert!(
            ctype.starts_with("application/problem+json") && ctype.contains("charset=utf-8"),
            "{} answered as {ctype:?}: {}",
            self.status,
            self.body
        );
        assert_eq!(self.json["status"], self.status, "{}", self.body);
        assert!(
            self.json["type"].is_string() && self.json["title"].is_string(),
            "{}",
            self.body
        );
        for sign in [
            "panicked at",
            "stack backtrace",
            "src/",
            ".rs:",
            "RUST_BACKTRACE",
        ] {
            assert!(!self.body.contains(sign), "{sign} in {}", self.body);
        }
    }

    /// Assert a problem+json error with this status; returns the body.
    pub fn problem(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "expected {status}: {}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json; charset=utf-8"),
            "{}",
            self.body
        );
        assert_eq!(self.json["status"], status);
        assert!(
            self.json["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("urn:kvar:problem:"))
        );
        assert_eq!(
            self.json["request_id"].as_str(),
            self.header("x-request-id"),
            "request id in body and header"
        );
        &self.json
    }
}
