//! A bulk job's SQLite store: its write-ahead log is copied into the database by a
//! thread of its own, not by the writer, and the log's file is emptied when it closes.

use masthead_core::clock::SystemClock;
use masthead_store::{NewAuthor, Store, StoreOptions};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn bulk_store(dir: &Path, every: Duration) -> Store {
    let mut opts = StoreOptions::new(format!("sqlite://{}", dir.join("masthead.db").display()));
    opts.memory_map = false;
    opts.checkpoint_every = every;
    let store = Store::open(&opts, Arc::new(SystemClock))
        .await
        .expect("the store opens");
    store.migrate().await.expect("the schema is made");
    store
}

/// Enough rows to add pages to the database.
async fn write_bylines(store: &Store, from: usize) {
    for i in from..from + 200 {
        let a = NewAuthor {
            slug: format!("byline-{i}"),
            name: format!("Byline {i}"),
            bio: "A correspondent who files long biographies. ".repeat(20),
        };
        store
            .upsert_author(&a)
            .await
            .expect("the byline is written");
    }
}

fn len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[tokio::test]
async fn the_writer_leaves_the_copy_to_the_checkpoint_thread() {
    let dir = tempfile::tempdir().unwrap();
    let (db, wal) = (
        dir.path().join("masthead.db"),
        dir.path().join("masthead.db-wal"),
    );
    // A thread that never wakes during the test: the writer's commits alone.
    let store = bulk_store(dir.path(), Duration::from_secs(3600)).await;
    let before = len(&db);
    write_bylines(&store, 0).await;
    assert!(len(&wal) > 0, "the commits went to the log");
    assert_eq!(
        len(&db),
        before,
        "and the writer copied nothing into the database"
    );
    store.close().await;
    assert_eq!(len(&wal), 0, "closing empties the log");
    assert!(len(&db) > before, "into the database");

    // The same store, its rows all there.
    let store = bulk_store(dir.path(), Duration::from_secs(3600)).await;
    assert_eq!(store.authors().await.unwrap().len(), 200);
    store.close().await;
}

#[tokio::test]
async fn the_checkpoint_thread_copies_the_log_while_the_job_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("masthead.db");
    let store = bulk_store(dir.path(), Duration::from_millis(5)).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    // The schema reaches the database first; then the bylines do.
    while len(&db) == 0 {
        assert!(Instant::now() < deadline, "the schema was never copied");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let before = len(&db);
    write_bylines(&store, 0).await;
    while len(&db) == before {
        assert!(Instant::now() < deadline, "the log was never copied");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    store.close().await;
}
