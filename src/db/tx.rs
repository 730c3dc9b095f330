//! Write transactions. On SQLite a write transaction starts with `BEGIN IMMEDIATE`, so it takes
//! the write lock up front and waits on `busy_timeout` instead of failing on a lock upgrade.
//! [`Tx`] can only be made here: code that takes a `&mut Tx` (such as `audit::record`) can only
//! run inside a transaction.

use std::ops::{Deref, DerefMut};

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};

use super::AnyConnection;

/// A connection inside an open write transaction.
pub struct Tx<'c> {
    pub(super) conn: &'c mut AnyConnection,
}

impl Deref for Tx<'_> {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        self.conn
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.conn
    }
}

/// Run `f` in a write transaction: committed when it returns `Ok`, rolled back on `Err`.
/// Nested calls become savepoints.
pub fn write_tx<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut Tx<'_>) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    // The statistics cells a body changes are written at its end, in one order.
    let f = move |tx: &mut Tx<'_>| crate::stats::facts::batched(tx, f);
    let fresh_sqlite = match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::transaction_manager_status_mut(c)
            .transaction_depth()?
            .is_none(),
        AnyConnection::Postgresql(_) => false,
    };
    if !fresh_sqlite {
        return conn.transaction(|c| f(&mut Tx { conn: c }));
    }
    if let AnyConnection::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    match f(&mut Tx { conn }) {
        Ok(v) => {
            <AnyConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(v)
        }
        Err(e) => {
            // A failed rollback leaves the connection broken; r2d2 then discards it.
            let _ = <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn);
            Err(e)
        }
    }
}
