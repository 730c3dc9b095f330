//! Embedded migrations, one folder per backend, kept in lockstep (a test compares the tables and
//! columns both produce with schema.rs).

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::AnyConnection;
use super::advisory::{Failure, Lock, run_waiting};

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Apply pending migrations under the migrations' advisory lock (instances starting together on
/// an empty database migrate one after the other); returns the versions applied.
pub fn run_migrations(conn: &mut AnyConnection) -> Result<Vec<String>, String> {
    let source = match conn {
        AnyConnection::Postgresql(_) => PG_MIGRATIONS,
        AnyConnection::Sqlite(_) => SQLITE_MIGRATIONS,
    };
    run_waiting::<_, Failure, _>(conn, Lock::Migrations, |c| {
        c.run_pending_migrations(source)
            .map(|v| v.iter().map(|m| m.to_string()).collect())
            .map_err(|e| e.to_string().into())
    })
    .map_err(|e| e.to_string())
}
