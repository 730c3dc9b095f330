//! Settings from environment variables, validated at start-up. A bad value stops start-up with
//! one line naming the variable. Every variable is documented in the README.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A configuration error: which variable, and what is wrong with it (never its value).
#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

fn err(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Where the five secret keys come from.
#[derive(Clone)]
pub struct KeySettings {
    /// Base64 values from `KVAR_JWT_KEY`, `KVAR_AUDIT_KEY`, `KVAR_FIELD_KEY`,
    /// `KVAR_BLIND_INDEX_KEY`, `KVAR_CHECKPOINT_KEY`, in that order (None: not set).
    pub from_env: [Option<String>; 5],
    /// `KVAR_FIELD_KEY_VERSION`: the version of `KVAR_FIELD_KEY` (1–255, default 1).
    pub field_version: u8,
    /// `KVAR_FIELD_KEYS_OLD`: older field keys still readable, `VERSION:base64,…`.
    pub field_old: Option<String>,
    /// `KVAR_BLIND_INDEX_KEY_VERSION`: the version of `KVAR_BLIND_INDEX_KEY` (default 1).
    pub blind_index_version: u8,
    /// `KVAR_BLIND_INDEX_KEYS_OLD`: older blind-index keys lookups still try, `VERSION:base64,…`.
    pub blind_index_old: Option<String>,
}

impl std::fmt::Debug for KeySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeySettings(<redacted>)")
    }
}

#[derive(Clone)]
pub struct Settings {
    pub env: Environment,
    pub database_url: String,
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub bootstrap_admin_password: Option<String>,
    pub log_format: LogFormat,
    pub pool_size: u32,
    pub db_timeout: Duration,
    pub workers: usize,
    pub migrate_on_start: bool,
    pub auth_rate_per_minute: u32,
    pub search_rate_per_minute: u32,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// A refresh token unused this long is refused (idle timeout of a session).
    pub refresh_idle: Duration,
    /// After SIGTERM: how long readiness answers 503 while requests are still served, before
    /// the listener closes and in-flight requests drain.
    pub shutdown_grace: Duration,
    /// A landlord's or Kronofogden's single submission is answered no sooner than this after
    /// it arrived, so that matching a person the municipality knows and creating one it does
    /// not take the same time from outside (no timing oracle).
    pub submission_floor: Duration,
    /// How long an unwrapped data key stays cached for reads (`KVAR_KEY_CACHE_SECS`): after
    /// another process destroyed a key (an erasure run from the CLI) this instance may still
    /// open that subject's fields for at most this long; 0 caches nothing.
    pub key_cache: Duration,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`KVAR_TRUSTED_PROXIES`, CIDRs).
    pub trusted_proxies: Vec<crate::http::client_ip::Cidr>,
    /// A request not answered within this is 503 (`KVAR_REQUEST_TIMEOUT_SECS`).
    pub request_timeout: Duration,
    /// A body not received within this is 408 and the connection closes (`KVAR_BODY_TIMEOUT_SECS`).
    pub body_timeout: Duration,
    /// Signed audit checkpoints: at least this often while the chain grows...
    pub checkpoint_interval: Duration,
    /// ...and at least every this many events.
    pub checkpoint_every_events: u32,
    /// Public keys (base64) of retired checkpoint keys whose checkpoints still verify
    /// (`KVAR_CHECKPOINT_RETIRED_KEYS`, comma-separated).
    pub checkpoint_retired_keys: Vec<String>,
    /// The external sink every checkpoint is appended to (None: `KVAR_CHECKPOINT_FILE=off`).
    pub checkpoint_file: Option<PathBuf>,
    /// Random access-log entries per access review (`KVAR_ACCESS_REVIEW_SAMPLE`).
    pub access_review_sample: u32,
    /// More single-subject views than this by one reader within an hour are flagged
    /// (`KVAR_ACCESS_REVIEW_VOLUME_PER_HOUR`).
    pub access_review_volume_per_hour: u32,
    /// Personal data is erased this many years after the last entry (`KVAR_RETENTION_YEARS`).
    pub retention_years: u32,
    /// Submission receipts are deleted this many days after they were issued
    /// (`KVAR_RECEIPT_RETENTION_DAYS`).
    pub receipt_retention_days: u32,
    pub keys: KeySettings,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("env", &self.env)
            .field("backend", &crate::db::backend_of(&self.database_url).ok())
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("pool_size", &self.pool_size)
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

pub const KEY_VARS: [&str; 5] = [
    "KVAR_JWT_KEY",
    "KVAR_AUDIT_KEY",
    "KVAR_FIELD_KEY",
    "KVAR_BLIND_INDEX_KEY",
    "KVAR_CHECKPOINT_KEY",
];

impl Settings {
    /// Read the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Read settings through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let env = match get("KVAR_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(_) => return Err(err("KVAR_ENV", "must be development or production")),
        };
        let data_dir = PathBuf::from(get("KVAR_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = get("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}/kvar.db", data_dir.display()));
        crate::db::backend_of(&database_url).map_err(|m| err("DATABASE_URL", m))?;
        let bind = get("KVAR_BIND")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .map_err(|_| err("KVAR_BIND", "must be an address such as 127.0.0.1:8080"))?;
        let log_format = match get("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(err("LOG_FORMAT", "must be text or json")),
        };
        let version = |var: &'static str| -> Result<u8, ConfigError> {
            let n = number(&get, var, 1, 1, 255)?;
            u8::try_from(n).map_err(|_| err(var, "must be a whole number from 1 to 255"))
        };
        let keys = KeySettings {
            from_env: KEY_VARS.map(get),
            field_version: version("KVAR_FIELD_KEY_VERSION")?,
            field_old: get("KVAR_FIELD_KEYS_OLD"),
            blind_index_version: version("KVAR_BLIND_INDEX_KEY_VERSION")?,
            blind_index_old: get("KVAR_BLIND_INDEX_KEYS_OLD"),
        };
        if env == Environment::Production {
            for (var, value) in KEY_VARS.iter().zip(&keys.from_env) {
                if value.is_none() {
                    return Err(err(var, "is required when KVAR_ENV=production"));
                }
            }
        }
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let checkpoint_file = match get("KVAR_CHECKPOINT_FILE") {
            Some(v) if v.trim() == "off" => None,
            Some(v) => Some(PathBuf::from(v)),
            None => Some(data_dir.join("audit-checkpoints.jsonl")),
        };
        Ok(Settings {
            env,
            database_url,
            bind,
            data_dir,
            bootstrap_admin_password: get("KVAR_BOOTSTRAP_ADMIN_PASSWORD"),
            log_format,
            pool_size: number(&get, "KVAR_DB_POOL_SIZE", 16, 1, 512)?,
            db_timeout: Duration::from_millis(
                number(&get, "KVAR_DB_TIMEOUT_MS", 2000, 50, 60_000)?.into(),
            ),
            workers: number(&get, "KVAR_WORKERS", cores as u32, 1, 256)? as usize,
            migrate_on_start: match get("KVAR_MIGRATE_ON_START").as_deref() {
                None | Some("true") => true,
                Some("false") => false,
                Some(_) => return Err(err("KVAR_MIGRATE_ON_START", "must be true or false")),
            },
            auth_rate_per_minute: number(&get, "KVAR_AUTH_RATE_PER_MINUTE", 60, 1, 1_000_000)?,
            search_rate_per_minute: number(&get, "KVAR_SEARCH_RATE_PER_MINUTE", 30, 1, 1_000_000)?,
            access_token_ttl: Duration::from_secs(
                number(&get, "KVAR_ACCESS_TOKEN_TTL_SECS", 600, 30, 600)?.into(),
            ),
            refresh_token_ttl: Duration::from_secs(
                number(
                    &get,
                    "KVAR_REFRESH_TOKEN_TTL_SECS",
                    8 * 3600,
                    60,
                    30 * 24 * 3600,
                )?
                .into(),
            ),
            refresh_idle: Duration::from_secs(
                number(&get, "KVAR_REFRESH_IDLE_SECS", 1800, 60, 24 * 3600)?.into(),
            ),
            shutdown_grace: Duration::from_millis(
                number(&get, "KVAR_SHUTDOWN_GRACE_MS", 2000, 0, 60_000)?.into(),
            ),
            submission_floor: Duration::from_millis(
                number(&get, "KVAR_SUBMISSION_FLOOR_MS", 150, 0, 10_000)?.into(),
            ),
            trusted_proxies: crate::http::client_ip::parse_list(
                &get("KVAR_TRUSTED_PROXIES").unwrap_or_default(),
            )
            .map_err(|m| err("KVAR_TRUSTED_PROXIES", m))?,
            key_cache: Duration::from_secs(
                number(&get, "KVAR_KEY_CACHE_SECS", 60, 0, 3600)?.into(),
            ),
            request_timeout: Duration::from_secs(
                number(&get, "KVAR_REQUEST_TIMEOUT_SECS", 10, 1, 300)?.into(),
            ),
            body_timeout: Duration::from_secs(
                number(&get, "KVAR_BODY_TIMEOUT_SECS", 5, 1, 300)?.into(),
            ),
            checkpoint_interval: Duration::from_secs(
                number(&get, "KVAR_CHECKPOINT_INTERVAL_SECS", 300, 1, 86_400)?.into(),
            ),
            checkpoint_every_events: number(
                &get,
                "KVAR_CHECKPOINT_EVERY_EVENTS",
                10_000,
                1,
                10_000_000,
            )?,
            checkpoint_retired_keys: get("KVAR_CHECKPOINT_RETIRED_KEYS")
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|k| !k.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            checkpoint_file,
            access_review_sample: number(&get, "KVAR_ACCESS_REVIEW_SAMPLE", 25, 0, 10_000)?,
            access_review_volume_per_hour: number(
                &get,
                "KVAR_ACCESS_REVIEW_VOLUME_PER_HOUR",
                30,
                1,
                100_000,
            )?,
            retention_years: number(&get, "KVAR_RETENTION_YEARS", 5, 1, 100)?,
            receipt_retention_days: number(&get, "KVAR_RECEIPT_RETENTION_DAYS", 90, 1, 3650)?,
            keys,
        })
    }

    pub fn backend(&self) -> crate::db::Backend {
        crate::db::backend_of(&self.database_url).unwrap_or(crate::db::Backend::Sqlite)
    }
}

fn number(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32, ConfigError> {
    match get(var) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| err(var, format!("must be a whole number from {min} to {max}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_sqlite_in_data_on_loopback() {
        let s = settings(&[]).expect("defaults");
        assert_eq!(s.database_url, "sqlite://./data/kvar.db");
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.access_token_ttl, Duration::from_secs(600));
        assert_eq!(s.env, Environment::Development);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = settings(&[("KVAR_BIND", "nonsense")]).expect_err("error");
        assert_eq!(e.var, "KVAR_BIND");
        let e = settings(&[("DATABASE_URL", "host=x dbname=y")]).expect_err("error");
        assert_eq!(e.var, "DATABASE_URL");
        let e = settings(&[("KVAR_DB_POOL_SIZE", "0")]).expect_err("error");
        assert_eq!(e.var, "KVAR_DB_POOL_SIZE");
        let e = settings(&[("KVAR_ACCESS_TOKEN_TTL_SECS", "3600")]).expect_err("error");
        assert_eq!(e.var, "KVAR_ACCESS_TOKEN_TTL_SECS");
        let e = settings(&[("KVAR_FIELD_KEY_VERSION", "256")]).expect_err("error");
        assert_eq!(e.var, "KVAR_FIELD_KEY_VERSION");
        let e = settings(&[("KVAR_BLIND_INDEX_KEY_VERSION", "0")]).expect_err("error");
        assert_eq!(e.var, "KVAR_BLIND_INDEX_KEY_VERSION");
    }

    #[test]
    fn production_refuses_missing_keys() {
        let e = settings(&[("KVAR_ENV", "production")]).expect_err("error");
        assert_eq!(e.var, "KVAR_JWT_KEY");
        assert!(e.to_string().starts_with("KVAR_JWT_KEY: "));
    }
}
