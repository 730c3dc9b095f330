//! What every handler shares: the database, the token issuer, the password hasher, the auth rate
//! limit, the keys, and the shutdown flag that readiness reports.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::auth::password::Hasher;
use crate::auth::ratelimit::AuthRateLimit;
use crate::auth::tokens::TokenIssuer;
use crate::config::Settings;
use crate::crypto::Keys;
use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub tokens: TokenIssuer,
    pub hasher: Hasher,
    pub auth_limit: AuthRateLimit,
    pub keys: Arc<Keys>,
    pub settings: Arc<Settings>,
    pub shutting_down: Arc<AtomicBool>,
}

impl AppState {
    pub fn new(db: Db, keys: Keys, settings: Settings) -> Self {
        crate::metrics::init();
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        AppState {
            db,
            tokens: TokenIssuer::new(&keys.jwt, settings.access_token_ttl),
            hasher: Hasher::new(cores),
            auth_limit: AuthRateLimit::per_minute(settings.auth_rate_per_minute),
            keys: Arc::new(keys),
            settings: Arc::new(settings),
            shutting_down: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Relaxed)
    }
}
