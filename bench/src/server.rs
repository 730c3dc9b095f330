//! The server under test: spawned by the bench (`--spawn`: `kvar serve` on a temporary data
//! directory, a fresh SQLite file or a fresh PostgreSQL database) or already running. Also reads
//! its resident memory from /proc.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::bail;
use crate::client::{Client, Request};
use crate::error::{BenchError, Result};

/// How long a spawned server may take to answer /health/ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a spawned server may take to drain after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Rate limits given to a spawned server (the maximum kvar accepts): the bench signs in and
/// searches far more often than a person, from one IP and a few users.
pub const SPAWN_RATE_PER_MINUTE: &str = "1000000";

/// The database of a spawned server.
#[derive(Debug, Clone)]
pub enum Database {
    /// A new file in the temporary data directory.
    Sqlite,
    /// A database made with `createdb` (and dropped with `dropdb` afterwards).
    Postgres(PgUrl),
}

impl Database {
    pub fn label(&self) -> &'static str {
        match self {
            Database::Sqlite => "SQLite",
            Database::Postgres(_) => "PostgreSQL",
        }
    }
}

/// `postgres://user[:password]@host[:port]/dbname[?params]`, taken apart for createdb/dropdb.
#[derive(Debug, Clone)]
pub struct PgUrl {
    pub user: String,
    pub password: Option<String>,
    pub host: String,
    pub port: String,
    pub dbname: String,
    pub params: String,
}

impl PgUrl {
    pub fn parse(url: &str) -> Result<PgUrl> {
        let Some(rest) = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
        else {
            bail!("not a postgres:// URL: {url}");
        };
        let (rest, params) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, dbname) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hostport) = authority
            .rsplit_once('@')
            .unwrap_or(("postgres", authority));
        let (user, password) = match userinfo.split_once(':') {
            Some((u, p)) => (u, Some(p.to_owned())),
            None => (userinfo, None),
        };
        let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "5432"));
        if host.is_empty() || user.is_empty() {
            bail!("postgres URL needs a user and a host: {url}");
        }
        Ok(PgUrl {
            user: user.to_owned(),
            password,
            host: host.to_owned(),
            port: port.to_owned(),
            dbname: dbname.to_owned(),
            params: params.to_owned(),
        })
    }

    /// The same server, another database.
    pub fn with_dbname(&self, dbname: &str) -> PgUrl {
        PgUrl {
            dbname: dbname.to_owned(),
            ..self.clone()
        }
    }

    pub fn to_url(&self) -> String {
        let password = self
            .password
            .as_ref()
            .map_or(String::new(), |p| format!(":{p}"));
        let params = if self.params.is_empty() {
            String::new()
        } else {
            format!("?{}", self.params)
        };
        format!(
            "postgres://{}{password}@{}:{}/{}{params}",
            self.user, self.host, self.port, self.dbname
        )
    }

    /// Run `createdb` or `dropdb` on this database.
    fn pg_tool(&self, tool: &str) -> Result<()> {
        let mut cmd = Command::new(tool);
        cmd.args(["-h", &self.host, "-p", &self.port, "-U", &self.user]);
        if tool == "dropdb" {
            cmd.arg("--if-exists");
        }
        cmd.arg(&self.dbname);
        if let Some(p) = &self.password {
            cmd.env("PGPASSWORD", p);
        }
        let out = cmd
            .output()
            .map_err(|e| BenchError(format!("cannot run {tool}: {e}")))?;
        if !out.status.success() {
            bail!(
                "{tool} {} failed: {}",
                self.dbname,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }
}

/// A `kvar serve` started by the bench; stopped (SIGTERM) and cleaned up on drop.
pub struct Spawned {
    /// The running process; replaced when the server is restarted around a SQLite bulk seed.
    child: Mutex<Child>,
    pid: AtomicU32,
    pub base: String,
    port: u16,
    admin_password: String,
    pub ready_in: Duration,
    data_dir: PathBuf,
    database: Database,
    database_url: String,
    bin: PathBuf,
    keep: bool,
}

impl Spawned {
    /// Create the database, start the server and wait until /health/ready answers 200.
    pub fn start(
        bin: &Path,
        database: &Database,
        admin_password: &str,
        run_id: &str,
        keep: bool,
    ) -> Result<Spawned> {
        if !bin.is_file() {
            bail!(
                "no server binary at {}: build it first with `cargo build --release` in the \
                 repository root (or pass --server-bin)",
                bin.display()
            );
        }
        let tag = database.label().to_lowercase();
        let data_dir = std::env::temp_dir().join(format!("kvar-bench-{run_id}-{tag}"));
        fs::create_dir_all(&data_dir)?;
        let database_url = match database {
            Database::Sqlite => format!("sqlite://{}/kvar.db", data_dir.display()),
            Database::Postgres(pg) => {
                pg.pg_tool("createdb")?;
                pg.to_url()
            }
        };
        let port = free_port()?;
        let started = Instant::now();
        let child = launch(bin, &database_url, &data_dir, port, admin_password, false)?;
        let mut spawned = Spawned {
            pid: AtomicU32::new(child.id()),
            child: Mutex::new(child),
            base: format!("http://127.0.0.1:{port}"),
            port,
            admin_password: admin_password.to_owned(),
            ready_in: Duration::ZERO,
            data_dir,
            database: database.clone(),
            database_url,
            bin: bin.to_path_buf(),
            keep,
        };
        spawned.ready_in = spawned.wait_ready(started)?;
        Ok(spawned)
    }

    /// The server's process id now (it changes when the server is restarted).
    pub fn pid(&self) -> u32 {
        self.pid.load(Ordering::Relaxed)
    }

    fn wait_ready(&self, started: Instant) -> Result<Duration> {
        let client = Client::new(&self.base);
        let probe = Request::get("/health/ready");
        while started.elapsed() < READY_TIMEOUT {
            let exited = self
                .child
                .lock()
                .ok()
                .and_then(|mut c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                bail!(
                    "the server exited ({status}) before it was ready; its log:\n{}",
                    self.log_tail()
                );
            }
            if client.send(&probe).is_ok_and(|r| r.status == 200) {
                return Ok(started.elapsed());
            }
            thread::sleep(Duration::from_millis(5));
        }
        bail!(
            "the server was not ready after {READY_TIMEOUT:?}; its log:\n{}",
            self.log_tail()
        )
    }

    /// Start the server again on the same port, data directory and database (its log appended).
    fn restart(&self) -> Result<()> {
        let started = Instant::now();
        let child = launch(
            &self.bin,
            &self.database_url,
            &self.data_dir,
            self.port,
            &self.admin_password,
            true,
        )?;
        self.pid.store(child.id(), Ordering::Relaxed);
        if let Ok(mut c) = self.child.lock() {
            *c = child;
        }
        self.wait_ready(started).map(|_| ())
    }

    fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.data_dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// `kvar seed --households N --unit UNIT` on the server's database and keys (its data
    /// directory), then `kvar audit verify`; returns what they printed. On PostgreSQL the server
    /// runs meanwhile. On SQLite it is stopped and started again afterwards: SQLite has one
    /// writer, and the server's audit sealer, catching up on the seed's millions of events, took
    /// it batch after batch until the seed's transactions gave up (a million-case seed failed
    /// so at 960,000 households).
    pub fn bulk_seed(&self, unit: &str, households: usize) -> Result<String> {
        let sqlite = matches!(self.database, Database::Sqlite);
        if sqlite {
            self.stop();
        }
        let seeded = self.seed_and_seal(unit, households);
        if sqlite {
            self.restart()?;
        }
        seeded
    }

    fn seed_and_seal(&self, unit: &str, households: usize) -> Result<String> {
        let threads = match self.database {
            Database::Sqlite => "1",
            Database::Postgres(_) => "4",
        };
        let out = Command::new(&self.bin)
            .args([
                "seed",
                "--households",
                &households.to_string(),
                "--unit",
                unit,
            ])
            .args(["--threads", threads])
            .env("DATABASE_URL", &self.database_url)
            .env("KVAR_DATA_DIR", &self.data_dir)
            .env_remove("KVAR_ENV")
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| BenchError(format!("cannot run {} seed: {e}", self.bin.display())))?;
        let printed = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !out.status.success() {
            bail!("kvar seed failed ({}): {printed}", out.status);
        }
        // Seal and verify the chain now, so the sealer is idle while the scenarios run.
        let started = Instant::now();
        let verify = Command::new(&self.bin)
            .args(["audit", "verify"])
            .env("DATABASE_URL", &self.database_url)
            .env("KVAR_DATA_DIR", &self.data_dir)
            .env_remove("KVAR_ENV")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| {
                BenchError(format!(
                    "cannot run {} audit verify: {e}",
                    self.bin.display()
                ))
            })?;
        let verified = String::from_utf8_lossy(&verify.stdout).trim().to_owned();
        if !verify.status.success() {
            bail!(
                "kvar audit verify failed after seeding ({}): {verified}",
                verify.status
            );
        }
        Ok(format!(
            "{printed} Audit chain sealed and verified in {:.1} s: {verified}.",
            started.elapsed().as_secs_f64()
        ))
    }

    /// Where the server's log and (SQLite) database are.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// SIGTERM, wait for the drain, kill if it hangs.
    fn stop(&self) {
        let Ok(mut child) = self.child.lock() else {
            return;
        };
        let pid = child.id();
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        eprintln!(
            "kvar-bench: the server (pid {pid}) did not stop within {STOP_TIMEOUT:?} of SIGTERM; killing it"
        );
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.stop();
        if self.keep {
            eprintln!(
                "kvar-bench: kept {} (server log{})",
                self.data_dir.display(),
                match &self.database {
                    Database::Postgres(pg) => format!(", PostgreSQL database {}", pg.dbname),
                    Database::Sqlite => ", SQLite database".into(),
                }
            );
            return;
        }
        if let Database::Postgres(pg) = &self.database
            && let Err(e) = pg.pg_tool("dropdb")
        {
            eprintln!("kvar-bench: {e}");
        }
        let _ = fs::remove_dir_all(&self.data_dir);
    }
}

/// `kvar serve` on a data directory and database, its output to `server.log` there.
fn launch(
    bin: &Path,
    database_url: &str,
    data_dir: &Path,
    port: u16,
    admin_password: &str,
    append_log: bool,
) -> Result<Child> {
    let log = fs::OpenOptions::new()
        .create(true)
        .append(append_log)
        .write(true)
        .truncate(!append_log)
        .open(data_dir.join("server.log"))?;
    Command::new(bin)
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("KVAR_DATA_DIR", data_dir)
        .env("KVAR_BIND", format!("127.0.0.1:{port}"))
        .env("KVAR_BOOTSTRAP_ADMIN_PASSWORD", admin_password)
        .env("KVAR_AUTH_RATE_PER_MINUTE", SPAWN_RATE_PER_MINUTE)
        .env("KVAR_SEARCH_RATE_PER_MINUTE", SPAWN_RATE_PER_MINUTE)
        .env_remove("KVAR_ENV")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .map_err(|e| BenchError(format!("cannot start {}: {e}", bin.display())))
}

/// A loopback port nobody listens on right now.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Resident memory of process `pid` in MB (VmRSS from /proc), if it can be read.
pub fn rss_mb(pid: u32) -> Option<f64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_come_apart_and_back() {
        let pg = PgUrl::parse("postgres://postgres@127.0.0.1:5432/kvar").expect("valid");
        assert_eq!(
            (pg.user.as_str(), pg.host.as_str(), pg.port.as_str()),
            ("postgres", "127.0.0.1", "5432")
        );
        assert_eq!(pg.dbname, "kvar");
        assert_eq!(
            pg.with_dbname("b").to_url(),
            "postgres://postgres@127.0.0.1:5432/b"
        );
        let pg = PgUrl::parse("postgres://u:p@db/x?sslmode=require").expect("valid");
        assert_eq!(pg.password.as_deref(), Some("p"));
        assert_eq!(pg.port, "5432");
        assert_eq!(pg.to_url(), "postgres://u:p@db:5432/x?sslmode=require");
        assert!(PgUrl::parse("mysql://x").is_err());
    }

    #[test]
    fn reads_its_own_rss() {
        assert!(rss_mb(std::process::id()).is_some_and(|mb| mb > 0.0));
    }
}
