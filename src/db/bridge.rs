//! [`Db::run`]: the one bridge from async handlers to the pool. It checks out a connection and
//! runs the whole unit of work on the blocking thread pool; never a query on an async worker.

use std::time::Duration;

use crate::error::ApiError;

use super::{AnyConnection, Backend, Pool};

/// Shared database handle (cheap to clone).
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
}

impl Db {
    pub fn new(pool: Pool, backend: Backend) -> Self {
        Db { pool, backend }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Run `f` with a pooled connection on the blocking pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let mut conn = pool
                .get()
                .map_err(|e| ApiError::Unavailable(e.to_string()))?;
            f(&mut conn)
        })
        .await
        .map_err(|_| ApiError::Internal("blocking task failed".into()))?
    }

    /// Check out a connection and run `SELECT 1`, waiting at most `timeout` (readiness probe).
    pub async fn ping(&self, timeout: Duration) -> bool {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            use diesel::connection::SimpleConnection;
            pool.get_timeout(timeout)
                .map(|mut c| c.batch_execute("SELECT 1").is_ok())
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false)
    }
}
