//! A bulk job's write-ahead log, copied into the database on a thread of its own.
//!
//! SQLite copies its log into the database (a checkpoint) on the connection whose commit
//! made the log long enough, before that commit returns: the copy and the two fsyncs that
//! make it durable stall the one writer, and with it everything queued behind the writer.
//! Measured on a 142,000-post WordPress import: 134 fsyncs on the writer's path, 4 s of a
//! 35 s import spent waiting for the disk (with fsyncs made free the import took 10% less
//! time). Here a thread with its own connection makes a passive checkpoint every
//! `StoreOptions::checkpoint_every` (half a second) while the job runs — a passive checkpoint takes no lock the writer needs, so
//! the writer goes on committing meanwhile — and the writer's own automatic checkpoint
//! stays, at a longer log, as the backstop should this thread fall behind.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Whether the thread should stop, and the condition it waits on.
struct Stop {
    asked: Mutex<bool>,
    wake: Condvar,
    /// How long to wait between checkpoints. Shorter keeps the log small, but pages a
    /// job changes again and again are copied more often.
    every: Duration,
}

impl Stop {
    fn ask(&self) {
        *self.asked.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.wake.notify_all();
    }

    /// Waits up to `every`; whether stopping was asked.
    fn wait(&self) -> bool {
        let asked = self.asked.lock().unwrap_or_else(|p| p.into_inner());
        if *asked {
            return true;
        }
        match self.wake.wait_timeout(asked, self.every) {
            Ok((asked, _)) => *asked,
            Err(p) => *p.into_inner().0,
        }
    }
}

/// The checkpointing thread of one store; stops when the last clone of the store goes
/// or when the store closes.
pub(crate) struct Checkpointer {
    stop: Arc<Stop>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpointer").finish_non_exhaustive()
    }
}

impl Checkpointer {
    /// Starts checkpointing the database file at `path` (which exists and is in WAL mode).
    pub(crate) fn start(path: PathBuf, every: Duration) -> std::io::Result<Self> {
        let stop = Arc::new(Stop {
            asked: Mutex::new(false),
            wake: Condvar::new(),
            every,
        });
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn({
                let stop = stop.clone();
                move || run(&path, &stop)
            })?;
        Ok(Self {
            stop,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Stops the thread and waits for its checkpoint in progress, if any.
    pub(crate) async fn finish(&self) {
        self.stop.ask();
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            // Joining blocks until the copy in progress ends: not on an async worker.
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.ask();
    }
}

fn run(path: &std::path::Path, stop: &Stop) {
    let conn = match rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "cannot open the database for checkpoints; the writer makes them");
            return;
        }
    };
    while !stop.wait() {
        // Passive: copies what no reader still needs and never waits for a lock; what it
        // cannot copy now, a later round does.
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        });
        match done {
            Ok((log, copied)) => tracing::trace!(log, copied, "checkpoint"),
            Err(e) => tracing::debug!(error = %e, "checkpoint skipped"),
        }
    }
    // The job is over (the store closes its pools before stopping this thread): copy the
    // rest and empty the log's file, which would otherwise stay as long as it grew.
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
        tracing::debug!(error = %e, "final checkpoint skipped");
    }
}
