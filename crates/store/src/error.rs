//! The store's one error type; its messages are sentences an operator can act on.

use crate::Backend;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database URL is not usable: {0}")]
    BadUrl(String),
    #[error("cannot open the {backend} database: {detail}")]
    Connect {
        backend: &'static str,
        detail: String,
    },
    #[error(
        "the database schema (version {found}) is newer than this Masthead binary understands (version {known}); run a newer Masthead"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("{0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// Would break a uniqueness rule (an email already in use).
    #[error("{0}")]
    Conflict(String),
    /// A save based on an outdated version of an article (someone saved meanwhile).
    #[error(
        "the article was changed by someone else while you were editing (it is now at version {current}); your version was kept as a revision"
    )]
    Stale { current: i64 },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From a read on the caller's thread (SQLite only, `inline.rs`).
    #[error("database error: {0}")]
    Inline(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub(crate) fn connect(backend: Backend, e: sqlx::Error) -> Self {
        let detail = match &e {
            sqlx::Error::Io(io) => io.to_string(),
            sqlx::Error::Database(db) => db.message().to_owned(),
            sqlx::Error::PoolTimedOut => "timed out waiting for the server".to_owned(),
            other => other.to_string(),
        };
        Self::Connect {
            backend: backend.name(),
            detail,
        }
    }
}
