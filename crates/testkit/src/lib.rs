//! Test support shared by every crate's tests: a fresh database per test on either
//! backend, a fake clock, and paths to the shared corpora.
//!
//! PostgreSQL comes from the cluster that `scripts/with-postgres` starts (it exports
//! `MASTHEAD_TEST_PG_URL`); each test gets a database of its own on it. Without that
//! variable the PostgreSQL half of a test is skipped with a loud message, except under
//! `CI=true`, where it fails.
#![expect(
    clippy::unwrap_used,
    reason = "test support: a failure here is a failed test"
)]

pub mod moto;
pub mod xmllint;

use chrono::{DateTime, TimeZone, Utc};
use masthead_core::FakeClock;
use masthead_store::{Store, StoreOptions};
use sqlx::Connection;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// The fixed "now" tests start at, unless they move the clock.
pub fn test_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 15, 12, 0, 0).unwrap()
}

/// Whether this run must not skip anything (CI sets `CI=true`).
pub fn strict() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Says loudly that something was skipped, or fails under CI.
pub fn skip(what: &str) {
    assert!(!strict(), "CI=true but {what}");
    eprintln!("\n!!! SKIPPED: {what} !!!\n");
}

/// A database for one test: a SQLite file in a temporary folder, or a fresh database
/// on the test PostgreSQL cluster.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("masthead.db").display());
        Self {
            url,
            _dir: Some(dir),
        }
    }

    /// A new, empty database on the test cluster, or `None` (after a loud skip message)
    /// when no cluster is running.
    pub async fn postgres() -> Option<Self> {
        let Ok(base) = std::env::var("MASTHEAD_TEST_PG_URL") else {
            skip("PostgreSQL tests need MASTHEAD_TEST_PG_URL (run them through scripts/test)");
            return None;
        };
        let name = format!(
            "t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            Utc::now().timestamp_subsec_nanos()
        );
        let mut admin = sqlx::PgConnection::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL at {base}: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let url = match base.rsplit_once('/') {
            Some((head, _)) => format!("{head}/{name}"),
            None => panic!("MASTHEAD_TEST_PG_URL must end in /DBNAME"),
        };
        Some(Self { url, _dir: None })
    }

    /// Opens a migrated store on this database with a fake clock at [`test_now`].
    pub async fn store(&self) -> TestStore {
        self.store_with(StoreOptions::new(&self.url)).await
    }

    /// Like [`TestDb::store`], with options of the test's choosing (the URL is this
    /// database's).
    pub async fn store_with(&self, mut opts: StoreOptions) -> TestStore {
        opts.url = self.url.clone();
        let clock = FakeClock::at(test_now());
        let store = Store::open(&opts, Arc::new(clock.clone())).await.unwrap();
        store.migrate().await.unwrap();
        TestStore { store, clock }
    }
}

/// A store and the fake clock it reads.
pub struct TestStore {
    pub store: Store,
    pub clock: FakeClock,
}

/// Writes one test function per backend for each named `async fn(TestStore)`:
/// `sqlite::name` and `postgres::name`, so the two halves always have equal counts.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = $crate::TestDb::sqlite();
                    super::$name(db.store().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = $crate::TestDb::postgres().await else { return };
                    super::$name(db.store().await).await;
                }
            )*
        }
    };
}

/// The shared folder beside the repository (corpora, fixtures, schemas), if present.
pub fn shared_dir() -> Option<PathBuf> {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidate = here.join("../../../shared");
    candidate
        .is_dir()
        .then(|| candidate.canonicalize().unwrap())
}

/// A file from the shared corpus, or `None` after a loud skip (a failure under CI).
pub fn corpus_file(name: &str) -> Option<PathBuf> {
    let path = shared_dir().map(|d| d.join("corpus").join(name));
    match path {
        Some(p) if p.is_file() => Some(p),
        _ => {
            skip(&format!("../shared/corpus/{name} is not here"));
            None
        }
    }
}
