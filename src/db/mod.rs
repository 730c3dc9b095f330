//! Database access: one diesel `MultiConnection` over SQLite (the embedded default) and
//! PostgreSQL, an r2d2 pool with per-connection setup, SQLite-safe write transactions, embedded
//! migrations, and [`Db::run`], the one bridge from async handlers to the blocking pool.

pub mod advisory;
mod bridge;
mod conn;
mod migrate;
pub mod privileges;
pub mod schema;
pub mod scrub;
mod tx;
pub mod types;
mod writer;

pub use bridge::{Db, append};
pub use conn::{AnyConnection, Backend, MultiBackend, Pool, backend_of, build_pool};
pub use migrate::run_migrations;
pub use tx::{Tx, write_tx};

/// Run the same generic diesel code on the inner connection, for what `MultiBackend` cannot
/// express (batch inserts, `ON CONFLICT`).
#[macro_export]
macro_rules! on_inner {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql($c) => $body,
            $crate::db::AnyConnection::Sqlite($c) => $body,
        }
    };
}
