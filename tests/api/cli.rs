//! The binary itself: configuration errors, `admin create-user`, `serve` start-up and SIGTERM.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Backend, TestApp};

fn kvar(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kvar"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KVAR_DATA_DIR", dir)
        .env("RUST_LOG", "warn");
    c
}

#[test]
fn bad_configuration_stops_with_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (var, value) in [
        ("KVAR_BIND", "not-an-address"),
        ("DATABASE_URL", "host=db dbname=kvar"),
        ("LOG_FORMAT", "xml"),
    ] {
        let out = kvar(dir.path())
            .env(var, value)
            .arg("migrate")
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{var}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!("kvar: configuration error: {var}: ")),
            "{err}"
        );
        assert!(!err.contains(value), "the value is not echoed: {err}");
    }
    let out = kvar(dir.path())
        .env("KVAR_ENV", "production")
        .arg("migrate")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("KVAR_JWT_KEY: is required when KVAR_ENV=production")
    );
}

#[test]
fn admin_create_user_on_the_cli_makes_a_user_who_can_sign_in() {
    let app = TestApp::spawn(Backend::Sqlite);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = kvar(dir.path())
        .env("DATABASE_URL", &app.database_url)
        .args([
            "admin",
            "create-user",
            "--username",
            "Auditor.One",
            "--display-name",
            "Auditor One",
            "--role",
            "auditor",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"an auditor password\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("created user auditor.one (auditor)"));
    let t = app.login("auditor.one", "an auditor password");
    assert_eq!(app.get("/api/v1/me", &t.access).json["role"], "auditor");
    // Generated password, printed once.
    let out = kvar(dir.path())
        .env("DATABASE_URL", &app.database_url)
        .args([
            "admin",
            "create-user",
            "--username",
            "analyst",
            "--display-name",
            "A",
            "--role",
            "analyst",
        ])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let pw = stdout
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once): "))
        .expect("password line");
    app.login("analyst", pw);
    // A duplicate is refused with a clear message.
    let out = kvar(dir.path())
        .env("DATABASE_URL", &app.database_url)
        .args([
            "admin",
            "create-user",
            "--username",
            "analyst",
            "--display-name",
            "A",
            "--role",
            "analyst",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(app.verify()["ok"], true);
}

#[test]
fn serve_prints_where_it_listens_and_the_first_login_then_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut child = kvar(dir.path())
        .env("KVAR_BIND", format!("127.0.0.1:{port}"))
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("line").expect("utf8");
    assert!(
        first.starts_with(&format!(
            "kvar listening on http://127.0.0.1:{port} (sqlite database)"
        )),
        "{first}"
    );
    let _docs = lines.next();
    let login = lines.next().expect("line").expect("utf8");
    assert!(login.contains("username \"admin\", password \""), "{login}");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let ready = agent
        .get(format!("http://127.0.0.1:{port}/health/ready"))
        .call()
        .expect("http");
    assert_eq!(ready.status().as_u16(), 200);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // A second start does not create another admin (and prints no password).
    let mut child = kvar(dir.path())
        .env("KVAR_BIND", format!("127.0.0.1:{port}"))
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    assert!(
        lines
            .next()
            .expect("line")
            .expect("utf8")
            .starts_with("kvar listening")
    );
    let _docs = lines.next();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().all(|l| !l.contains("password")), "{rest:?}");
    let _ = child.wait();
}

/// `kvar seed` on parallel threads writes each case's statistics facts and rebuilds the unit's
/// cells once at the end (deferred: on PostgreSQL, four bulk transactions updating the same
/// cells deadlocked); the cells equal the facts' sums.
#[test]
fn seed_on_four_threads_leaves_cells_that_sum_the_facts() {
    use diesel::prelude::*;
    use kvar::db::schema::{stats_cells, stats_facts};
    crate::support::each_backend(|b| {
        let app = TestApp::spawn(b);
        let w = crate::casework::world(&app);
        let dir = tempfile::tempdir().expect("tempdir");
        let out = kvar(dir.path())
            .env("DATABASE_URL", &app.database_url)
            .args([
                "seed",
                "--households",
                "400",
                "--unit",
                &w.unit_a,
                "--threads",
                "4",
            ])
            .output()
            .expect("seed");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut conn = app.connect();
        let facts: Vec<(String, chrono::NaiveDate, i32, i64)> = stats_facts::table
            .filter(stats_facts::unit_id.eq(&w.unit_a))
            .select((
                stats_facts::figure,
                stats_facts::month,
                stats_facts::bucket,
                stats_facts::value,
            ))
            .load(&mut conn)
            .expect("facts");
        let mut sums = std::collections::BTreeMap::new();
        for (figure, month, bucket, value) in facts {
            *sums.entry((figure, month, bucket)).or_insert(0i64) += value;
        }
        sums.retain(|_, v| *v != 0);
        let cells: std::collections::BTreeMap<(String, chrono::NaiveDate, i32), i64> =
            stats_cells::table
                .filter(stats_cells::unit_id.eq(&w.unit_a))
                .select((
                    stats_cells::figure,
                    stats_cells::month,
                    stats_cells::bucket,
                    stats_cells::value,
                ))
                .load::<(String, chrono::NaiveDate, i32, i64)>(&mut conn)
                .expect("cells")
                .into_iter()
                .map(|(f, m, b, v)| ((f, m, b), v))
                .collect();
        assert!(!cells.is_empty(), "the seeded cases count");
        assert_eq!(cells, sums);
    });
}
