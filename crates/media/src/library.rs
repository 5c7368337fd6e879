//! Adding an image to the site's media library: process the upload, put every
//! rendition into storage, record it in the store. One function for every way an image
//! arrives — the newsroom's form, the API, an import — so they all store the same files
//! and the same record.
//!
//! This is the crate's only database-aware part, behind the `library` feature: the
//! pipeline itself stays free of the store.

use crate::{ImageMetadata, Manifest, MediaError, MediaSettings, MediaStorage, StorageError};
use crate::{content_hash, process_upload};
use masthead_store::{NewMedia, Store, StoreError};

/// Why an image did not reach the library.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    /// The upload itself was refused (not an image, too large...), or could not be
    /// encoded; [`MediaError::is_upload_fault`] tells which.
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The processing task failed (panicked or was cancelled).
    #[error("the image could not be processed: {0}")]
    Task(String),
    #[error("the image's record could not be written: {0}")]
    Json(#[from] serde_json::Error),
}

impl LibraryError {
    /// Whether the upload is at fault (a 4xx), rather than the server (a 5xx).
    pub fn is_upload_fault(&self) -> bool {
        matches!(self, Self::Media(e) if e.is_upload_fault())
    }
}

/// An image in the library.
#[derive(Debug, Clone)]
pub struct Added {
    /// The media record's id.
    pub id: i64,
    pub manifest: Manifest,
}

/// An uploaded file's name as the library keeps it: no control characters, at most 200
/// characters, `upload` when nothing is left.
pub fn clean_file_name(file_name: &str) -> String {
    let name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    if name.trim().is_empty() {
        "upload".to_owned()
    } else {
        name
    }
}

/// Processes `bytes` (off the async threads: it is CPU work), stores every rendition
/// that storage does not hold yet, and records the image with `meta`. The caller checks
/// `meta` first ([`ImageMetadata::validate`]) when a person wrote it.
pub async fn add_to_library(
    store: &Store,
    storage: &dyn MediaStorage,
    settings: &MediaSettings,
    file_name: &str,
    bytes: Vec<u8>,
    meta: &ImageMetadata,
    uploaded_by: Option<i64>,
) -> Result<Added, LibraryError> {
    let name = clean_file_name(file_name);
    let focal = meta.focal;
    let for_processing = name.clone();
    let settings = settings.clone();
    let processed = tokio::task::spawn_blocking(move || {
        process_upload(&bytes, &for_processing, focal, &settings)
    })
    .await
    .map_err(|e| LibraryError::Task(e.to_string()))??;
    for f in processed.files {
        if !storage.exists(&f.key).await? {
            storage.put(&f.key, f.bytes).await?;
        }
    }
    let m = processed.manifest;
    let record = NewMedia {
        hash: m.hash.clone(),
        file_name: name.clone(),
        width: i32::try_from(m.width).unwrap_or(i32::MAX),
        height: i32::try_from(m.height).unwrap_or(i32::MAX),
        manifest: serde_json::to_string(&m)?,
        meta: serde_json::to_string(meta)?,
        search_text: format!("{name} {} {} {}", meta.alt, meta.caption, meta.credit),
        uploaded_by,
    };
    let id = store.add_media(&record).await?;
    Ok(Added { id, manifest: m })
}

/// The library's image with these exact bytes, if one was recorded before (the same file
/// imported twice is one image).
pub async fn find_in_library(store: &Store, bytes: &[u8]) -> Result<Option<i64>, StoreError> {
    store.media_id_by_hash(&content_hash(bytes)).await
}
