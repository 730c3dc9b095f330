//! Making erased data physically gone on SQLite (issue 14): with `secure_delete` the content of
//! deleted rows and of rewritten pages is zeroed instead of left in free pages, and a truncating
//! checkpoint empties the write-ahead log, whose old frames would otherwise still hold the
//! previous page images. PostgreSQL keeps dead tuples until `VACUUM` reuses their space (see
//! the README on retention).

use diesel::connection::SimpleConnection;

use super::AnyConnection;

/// Zero deleted content on this connection from now on (SQLite; nothing on PostgreSQL).
pub fn zero_what_is_deleted(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute("PRAGMA secure_delete = ON;"),
        AnyConnection::Postgresql(_) => Ok(()),
    }
}

/// Move the write-ahead log into the database and truncate it (SQLite; nothing on PostgreSQL).
pub fn drop_old_pages(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);"),
        AnyConnection::Postgresql(_) => Ok(()),
    }
}
