//! [`Db`]: the one bridge from async handlers to the database. [`Db::run`] checks out a
//! connection and runs a unit of reading on the blocking thread pool (never a query on an async
//! worker); [`Db::write`] runs a write transaction — on SQLite through the single writer with
//! group commit ([`super::writer`]), on PostgreSQL on a pooled connection.

use std::cell::RefCell;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, TransactionManager};

use crate::error::ApiError;

use super::writer::Writer;
use super::{AnyConnection, Backend, Pool, Tx, write_tx};

thread_local! {
    /// The writer of the `Db::run` closure running on this thread, for [`append`].
    static CURRENT_WRITER: RefCell<Option<Writer>> = const { RefCell::new(None) };
}

/// Shared database handle (cheap to clone).
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    writer: Option<Writer>,
}

impl Db {
    /// On a SQLite file every write goes through one writer thread; an in-memory SQLite
    /// database (one connection) and PostgreSQL write on pooled connections.
    pub fn new(pool: Pool, backend: Backend) -> Self {
        let writer = (backend == Backend::Sqlite && pool.max_size() > 1)
            .then(|| Writer::start(pool.clone()));
        Db {
            pool,
            backend,
            writer,
        }
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
        let writer = self.writer.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let mut conn = pool
                .get()
                .map_err(|e| ApiError::Unavailable(e.to_string()))?;
            CURRENT_WRITER.with(|w| *w.borrow_mut() = writer);
            let out = f(&mut conn);
            CURRENT_WRITER.with(|w| *w.borrow_mut() = None);
            if matches!(out, Err(ApiError::Unavailable(_))) {
                super::conn::discard_on_return(&mut conn);
            }
            out
        })
        .await
        .map_err(|_| ApiError::Internal("blocking task failed".into()))?
    }

    /// Run `f` in a write transaction and wait until it is committed (rolled back on `Err`).
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        match &self.writer {
            Some(w) => w.run(f).await,
            None => self.run(move |conn| write_tx(conn, f)).await,
        }
    }

    /// [`Db::write`] from a plain thread (background jobs), never from an async worker.
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        match &self.writer {
            Some(w) => w.run_blocking(f),
            None => {
                let mut conn = self
                    .pool
                    .get()
                    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
                let out = write_tx(&mut conn, f);
                if matches!(out, Err(ApiError::Unavailable(_))) {
                    super::conn::discard_on_return(&mut conn);
                }
                out
            }
        }
    }

    /// Check out a connection and run `SELECT 1`, waiting at most `timeout` (readiness probe).
    pub async fn ping(&self, timeout: Duration) -> bool {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            use diesel::connection::SimpleConnection;
            pool.get_timeout(timeout)
                .map(|mut c| {
                    let ok = c.batch_execute("SELECT 1").is_ok();
                    if !ok {
                        super::conn::discard_on_return(&mut c);
                    }
                    ok
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false)
    }
}

/// A small write made while reading (the access log): inside a transaction it joins it; on a
/// SQLite connection of [`Db::run`] outside any transaction it goes to the single writer and
/// waits for its commit (a second writer would queue by polling the file lock); otherwise it
/// runs on `conn` as its own statement.
pub fn append<F>(conn: &mut AnyConnection, f: F) -> Result<(), ApiError>
where
    F: FnOnce(&mut AnyConnection) -> Result<(), ApiError> + Send + 'static,
{
    let idle_sqlite = match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::transaction_manager_status_mut(c)
            .transaction_depth()
            .map_err(ApiError::from)?
            .is_none(),
        AnyConnection::Postgresql(_) => false,
    };
    let writer = if idle_sqlite {
        CURRENT_WRITER.with(|w| w.borrow().clone())
    } else {
        None
    };
    match writer {
        Some(w) => w.run_blocking(move |tx| f(tx)),
        None => f(conn),
    }
}
