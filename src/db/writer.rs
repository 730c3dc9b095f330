//! The single SQLite writer with group commit.
//!
//! SQLite has one write lock per file. Writers from a pool of connections queue for it by
//! polling (`busy_timeout` sleeps 1, 2, 5, 10, … ms), and every commit pays its own fsync
//! (`synchronous = FULL`, about 1 ms here). So on SQLite every write of the server goes through
//! one thread that owns one connection: it takes the jobs waiting in its queue, runs each in
//! its own savepoint inside one `BEGIN IMMEDIATE` transaction, commits once, and only then
//! answers every job. A job that fails is rolled back to its savepoint alone; a commit that
//! fails fails every job of the batch. No caller hears "done" before its rows are durable.
//!
//! PostgreSQL has no such limit (its own group commit serves concurrent sessions), so there
//! [`crate::db::Db::write`] runs the transaction on a pooled connection.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};

use super::{AnyConnection, Pool, Tx};
use crate::error::ApiError;

/// Jobs taken into one transaction at most (a batch ingest is one job).
const MAX_BATCH: usize = 256;

/// One unit of work of a caller, with the way back to it.
trait Work: Send {
    /// Run in the open transaction, in a savepoint of its own (released on success).
    fn run(&mut self, conn: &mut AnyConnection);
    /// Answer the caller once the batch is decided (`Err` when the commit failed).
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

struct Job<T, F> {
    work: Option<F>,
    result: Option<Result<T, ApiError>>,
    reply: tokio::sync::oneshot::Sender<Result<T, ApiError>>,
}

impl<T, F> Work for Job<T, F>
where
    T: Send,
    F: FnOnce(&mut Tx<'_>) -> Result<T, ApiError> + Send,
{
    fn run(&mut self, conn: &mut AnyConnection) {
        let Some(work) = self.work.take() else {
            return;
        };
        // At depth ≥ 1 diesel's `transaction` is a savepoint: released on Ok, rolled back on Err.
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            conn.transaction(|c| work(&mut Tx { conn: c }))
        }));
        let result = match outcome {
            Ok(r) => r,
            Err(_) => {
                // The savepoint of the panicking job is still open: roll it back alone.
                let _ =
                    <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn);
                Err(ApiError::Internal("a write panicked".into()))
            }
        };
        self.result = Some(result);
    }

    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let answer = match (self.result, committed) {
            (Some(Ok(v)), Ok(())) => Ok(v),
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(_)) | None, Err(e)) => Err(ApiError::Unavailable(e)),
            (None, Ok(())) => Err(ApiError::Internal("write was not run".into())),
        };
        // The caller may have gone away (client disconnected); nothing to tell then.
        let _ = self.reply.send(answer);
    }
}

/// Page cache of the writer's connection (KiB): the indexes it appends to stay in memory.
const WRITER_CACHE_KIB: u32 = 32 * 1024;
/// How often the checkpointer copies the WAL back into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Handle to the writer thread (cheap to clone). The thread ends when the last handle is gone.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Box<dyn Work>>,
    /// Alive while any handle is: the checkpointer stops when it is gone.
    _alive: std::sync::Arc<()>,
}

impl Writer {
    /// Start the writer thread; it takes one connection from `pool` for as long as it runs.
    /// A second thread checkpoints the WAL, so the writer never pays for it in its commits.
    pub fn start(pool: Pool) -> Writer {
        let (queue, jobs) = mpsc::channel::<Box<dyn Work>>();
        let alive = std::sync::Arc::new(());
        let writer_pool = pool.clone();
        let started = std::thread::Builder::new()
            .name("kvar-sqlite-writer".into())
            .spawn(move || run_writer(&writer_pool, &jobs))
            .and_then(|_| {
                let weak = std::sync::Arc::downgrade(&alive);
                std::thread::Builder::new()
                    .name("kvar-sqlite-checkpoint".into())
                    .spawn(move || run_checkpointer(&pool, &weak))
            });
        if let Err(e) = started {
            tracing::error!(error = %e, "could not start the SQLite writer");
        }
        Writer {
            queue,
            _alive: alive,
        }
    }

    fn submit<T, F>(
        &self,
        f: F,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<T, ApiError>>, ApiError>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = Job {
            work: Some(f),
            result: None,
            reply,
        };
        self.queue
            .send(Box::new(job))
            .map_err(|_| ApiError::Unavailable("the database writer has stopped".into()))?;
        Ok(answer)
    }

    /// Run `f` in the writer's transaction and wait (async) until it is committed.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.submit(f)?
            .await
            .map_err(|_| ApiError::Unavailable("the database writer has stopped".into()))?
    }

    /// The same from a plain thread (never from an async worker).
    pub fn run_blocking<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.submit(f)?
            .blocking_recv()
            .map_err(|_| ApiError::Unavailable("the database writer has stopped".into()))?
    }
}

fn run_writer(pool: &Pool, jobs: &mpsc::Receiver<Box<dyn Work>>) {
    let mut conn = None;
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if conn.is_none() {
            conn = pool.get().ok().and_then(|mut c| {
                use diesel::connection::SimpleConnection;
                // Checkpoints are the checkpointer's job (see `run_checkpointer`).
                c.batch_execute(&format!(
                    "PRAGMA cache_size = -{WRITER_CACHE_KIB}; PRAGMA wal_autocheckpoint = 0;"
                ))
                .ok()
                .map(|()| c)
            });
        }
        let started = std::time::Instant::now();
        let committed = match conn.as_mut() {
            None => Err("no database connection".to_owned()),
            Some(c) => run_batch(c, &mut batch),
        };
        metrics::histogram!("kvar_db_write_batch_jobs").record(batch.len() as f64);
        metrics::histogram!("kvar_db_write_batch_seconds").record(started.elapsed().as_secs_f64());
        if committed.is_err() {
            // Start over on a fresh connection next time; a broken one is not reused.
            conn = None;
        }
        for job in batch {
            job.finish(committed.clone());
        }
    }
}

/// WAL frames (4 KiB pages: 64 MiB) past which the checkpointer also rewinds the WAL.
const REWIND_FRAMES: i32 = 16_384;

/// The one column of `PRAGMA wal_checkpoint`'s answer the checkpointer reads.
#[derive(diesel::QueryableByName)]
struct WalCheckpoint {
    /// Frames in the WAL file.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
}

/// `PRAGMA wal_checkpoint(mode)` (SQLite only): the WAL's length in frames afterwards.
fn wal_checkpoint(conn: &mut AnyConnection, mode: &str) -> diesel::QueryResult<Option<i32>> {
    use diesel::RunQueryDsl;
    match conn {
        AnyConnection::Sqlite(c) => diesel::sql_query(format!("PRAGMA wal_checkpoint({mode})"))
            .get_result::<WalCheckpoint>(c)
            .map(|r| Some(r.log)),
        AnyConnection::Postgresql(_) => Ok(None),
    }
}

/// Whether a WAL of `frames` must be rewound. A PASSIVE checkpoint copies the WAL back but
/// never waits for readers, and SQLite starts the WAL over only when no reader still uses it:
/// under a read load that never pauses it never does, and the file grows by every write (the
/// 30-minute soak of 2026-11-30 filled the disk with a 62.5 GB WAL).
fn must_rewind(frames: i32) -> bool {
    frames > REWIND_FRAMES
}

/// Copy the WAL into the database file every [`CHECKPOINT_EVERY`] (PASSIVE: never waits for
/// the writer or readers), and when the WAL has grown past [`REWIND_FRAMES`] rewind it
/// (TRUNCATE: waits, within the busy timeout, for the writer and for the readers of older
/// snapshots, then empties the file), until the last [`Writer`] handle is gone.
fn run_checkpointer(pool: &Pool, alive: &std::sync::Weak<()>) {
    while alive.upgrade().is_some() {
        std::thread::sleep(CHECKPOINT_EVERY);
        let Ok(mut c) = pool.get() else { continue };
        let rewound = match wal_checkpoint(&mut c, "PASSIVE") {
            Ok(Some(frames)) if must_rewind(frames) => {
                wal_checkpoint(&mut c, "TRUNCATE").map(|after| (frames, after))
            }
            Ok(_) => continue,
            Err(e) => Err(e),
        };
        match rewound {
            Ok((before, Some(0))) => tracing::info!(frames_before = before, "WAL rewound"),
            // Readers or the writer outlasted the busy timeout: tried again in 500 ms.
            Ok((before, after)) => tracing::warn!(
                frames_before = before,
                frames_after = ?after,
                "WAL not rewound yet; retrying"
            ),
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; retrying"),
        }
    }
}

/// One transaction for the whole batch: each job in its own savepoint, one commit.
fn run_batch(conn: &mut AnyConnection, batch: &mut [Box<dyn Work>]) -> Result<(), String> {
    let begin = match conn {
        AnyConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
        AnyConnection::Postgresql(_) => {
            <AnyConnection as Connection>::TransactionManager::begin_transaction(conn)
        }
    };
    begin.map_err(|e| format!("could not begin: {e}"))?;
    for job in batch.iter_mut() {
        job.run(conn);
    }
    <AnyConnection as Connection>::TransactionManager::commit_transaction(conn).map_err(|e| {
        let _ = <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn);
        format!("commit failed: {e}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wal_is_rewound_past_64_mib_only() {
        assert!(!must_rewind(0));
        assert!(!must_rewind(REWIND_FRAMES));
        assert!(must_rewind(REWIND_FRAMES + 1));
        assert_eq!(i64::from(REWIND_FRAMES) * 4096, 64 * 1024 * 1024);
    }
}
