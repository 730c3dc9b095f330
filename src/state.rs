//! What every handler shares: the database, the token issuer, the password hasher, the auth rate
//! limit, the keys, and the shutdown flag that readiness reports.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::auth::password::Hasher;
use crate::auth::ratelimit::{AuthRateLimit, KeyedLimit};
use crate::auth::tokens::TokenIssuer;
use crate::config::Settings;
use crate::crypto::Keys;
use crate::crypto::field::BlindIndex;
use crate::crypto::subjects::Keyring;
use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub tokens: TokenIssuer,
    pub hasher: Hasher,
    pub auth_limit: AuthRateLimit,
    /// Person searches per user per minute.
    pub search_limit: KeyedLimit,
    /// Personal fields: sealed under per-subject data keys wrapped by the master field key.
    pub keyring: Keyring,
    pub blind: BlindIndex,
    pub keys: Arc<Keys>,
    pub settings: Arc<Settings>,
    pub shutting_down: Arc<AtomicBool>,
    /// Idempotency keys being processed by this instance (across instances: an advisory lock).
    pub inflight: crate::integrations::idempotency::InFlight,
    /// Signed audit checkpoints: signer, schedule, external sink.
    pub checkpoints: crate::audit::checkpoint::Config,
    /// The day (days from CE) this instance last ran the worklist's daily sweep; 0: not yet.
    /// The `worklist_sweeps` table decides across instances; this only saves the query.
    pub swept_on: Arc<std::sync::atomic::AtomicI32>,
}

impl AppState {
    pub fn new(db: Db, keys: Keys, settings: Settings) -> Result<Self, String> {
        crate::metrics::init();
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let checkpoints = crate::audit::checkpoint::Config::new(&settings, &keys)?;
        // Unknown-user logins verify against this hash to take as long as real ones. It is made
        // here, so that argon2 failing stops the start instead of answering them at once.
        crate::auth::password::init()?;
        Ok(AppState {
            db,
            tokens: TokenIssuer::new(&keys.jwt, settings.access_token_ttl),
            // Hashes may take half the cores at most: reads keep the rest during a login storm.
            hasher: Hasher::new((cores / 2).max(1)),
            auth_limit: AuthRateLimit::per_minute(settings.auth_rate_per_minute),
            search_limit: KeyedLimit::per_minute("search", settings.search_rate_per_minute),
            keyring: Keyring::from_keys(&keys).with_cache_ttl(settings.key_cache),
            blind: BlindIndex::from_keys(&keys)?,
            keys: Arc::new(keys),
            settings: Arc::new(settings),
            shutting_down: Arc::new(AtomicBool::new(false)),
            inflight: Default::default(),
            checkpoints,
            swept_on: Arc::default(),
        })
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Relaxed)
    }
}
