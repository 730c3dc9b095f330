//! The connection enum, a pool manager that dispatches strictly on the URL scheme, and the
//! setup every pooled connection gets.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, CustomizeConnection, ManageConnection};
use diesel::{Connection, PgConnection, SqliteConnection};

use crate::domain::text_enum::text_enum;

/// Either backend, picked at run time from `DATABASE_URL`.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    // Last: SQLite accepts any string as a path, so the derive's own `establish` must try it last.
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<AnyManager>;

text_enum! {
    /// Which backend a URL names.
    pub enum Backend ("backend", UnknownBackend) {
        Sqlite => "sqlite",
        Postgres => "postgres",
    }
}

/// Strict scheme check: a libpq `host=… dbname=…` string must never become a SQLite file name.
pub fn backend_of(url: &str) -> Result<Backend, String> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else if url.starts_with("sqlite:") || url.starts_with("file:") || url == ":memory:" {
        Ok(Backend::Sqlite)
    } else {
        Err("must start with sqlite://, file: or postgres://".into())
    }
}

/// Path of the SQLite file a URL names, if it names one (used to create the parent folder).
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .or_else(|| url.strip_prefix("file:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| path.into())
}

/// diesel's SQLite driver understands `file:` URIs and plain paths, not `sqlite://`.
fn sqlite_target(url: &str) -> String {
    match url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Some(rest) => rest.to_owned(),
        None => url.to_owned(),
    }
}

pub struct AnyManager {
    url: String,
    backend: Backend,
}

impl ManageConnection for AnyManager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url).map(AnyConnection::Postgresql),
            Backend::Sqlite => {
                SqliteConnection::establish(&sqlite_target(&self.url)).map(AnyConnection::Sqlite)
            }
        }
        .map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

/// After a unit of work failed as if the server had gone away, have the pool drop `conn` when
/// it comes back. Diesel cannot tell that a PostgreSQL connection died (only a broken
/// transaction), and the pool does not test connections on checkout (that costs a round trip
/// per request), so without this a connection that lived through an outage would fail every
/// request it serves afterwards. Marking its transaction state as failed is what makes
/// `has_broken` say so.
pub fn discard_on_return(conn: &mut AnyConnection) {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if let AnyConnection::Postgresql(c) = conn {
        AnsiTransactionManager::transaction_manager_status_mut(c).set_in_error();
    }
}

/// Runs once per new physical connection.
#[derive(Debug)]
struct ConnectionSetup;

impl CustomizeConnection<AnyConnection, r2d2::Error> for ConnectionSetup {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        match conn {
            // journal_mode=WAL is a property of the file, set once before the pool opens (a
            // switch here from N concurrent connections deadlocks on the lock upgrade).
            AnyConnection::Sqlite(c) => c.batch_execute(
                // secure_delete: what is deleted or overwritten (erasure, sealed columns of
                // before) is zeroed in the file, not left in free pages.
                "PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                 PRAGMA secure_delete = ON;",
            ),
            // Columns are timestamptz while schema.rs says Timestamp: the session must be UTC.
            AnyConnection::Postgresql(c) => c.batch_execute("SET TIME ZONE 'UTC'"),
        }
        .map_err(r2d2::Error::QueryError)
    }
}

/// Build the pool. For SQLite the parent folder is created and WAL switched on first.
pub fn build_pool(url: &str, max_size: u32, timeout: Duration) -> Result<Pool, String> {
    let backend = backend_of(url)?;
    if backend == Backend::Sqlite {
        let path = sqlite_path(url);
        if let Some(parent) = path
            .as_deref()
            .and_then(|p| p.parent())
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let mut c = SqliteConnection::establish(&sqlite_target(url)).map_err(|e| e.to_string())?;
        c.batch_execute("PRAGMA journal_mode = WAL")
            .map_err(|e| e.to_string())?;
    }
    let max_size = if url.contains(":memory:") {
        1
    } else {
        max_size
    };
    // Unchecked: the first use reports an unreachable server with its real error, and the
    // service keeps running (503) until the database comes back. No `SELECT 1` on every
    // checkout (a round trip per request on PostgreSQL): a connection that broke answers its
    // next query with an error (503) and is then dropped ([`discard_on_return`]).
    Ok(r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .test_on_check_out(false)
        .connection_timeout(timeout)
        .connection_customizer(Box::new(ConnectionSetup))
        .error_handler(Box::new(r2d2::LoggingErrorHandler))
        .build_unchecked(AnyManager {
            url: url.to_owned(),
            backend,
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_check_is_strict() {
        assert_eq!(backend_of("postgres://u@h/db"), Ok(Backend::Postgres));
        assert_eq!(backend_of("postgresql://u@h/db"), Ok(Backend::Postgres));
        assert_eq!(backend_of("sqlite://./data/kvar.db"), Ok(Backend::Sqlite));
        assert_eq!(backend_of("file:data/x.db?mode=rwc"), Ok(Backend::Sqlite));
        assert!(backend_of("host=localhost dbname=kvar").is_err());
        assert!(backend_of("mysql://x").is_err());
        assert!(backend_of("./data/kvar.db").is_err());
    }

    #[test]
    fn sqlite_path_is_found_for_folder_creation() {
        assert_eq!(
            sqlite_path("sqlite://./data/kvar.db"),
            Some("./data/kvar.db".into())
        );
        assert_eq!(sqlite_path("file:x/y.db?mode=rwc"), Some("x/y.db".into()));
        assert_eq!(sqlite_path("sqlite://:memory:"), None);
    }
}
