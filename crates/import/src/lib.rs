//! Importers. `jsonl`: one article per line, streamed in constant memory and written in
//! short batched transactions, so a running site keeps serving (and writing) meanwhile.

pub mod ghost;
pub mod jsonl;
pub mod markdown;
pub mod wxr;

pub use jsonl::{ImportReport, JsonlOptions, Skipped, import_jsonl};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    /// The input cannot be read as what it claims to be.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] masthead_store::StoreError),
}
