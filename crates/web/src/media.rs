//! The media library's web side: one way to accept an upload (the newsroom's form and
//! the API both use it), serving the renditions, and the views pages draw images from.

use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use masthead_media::{ImageMetadata, Manifest, MediaKey, sizes};
use masthead_store::MediaRecord;
use serde::Serialize;

/// Where renditions are served from.
pub const URL_PREFIX: &str = "/media";

/// Why an upload was not accepted: a status and a sentence for the person uploading.
#[derive(Debug)]
pub struct UploadRefused {
    pub status: StatusCode,
    pub message: String,
}

impl UploadRefused {
    fn bad(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: message.into(),
        }
    }

    fn internal(e: &dyn std::fmt::Display) -> Self {
        tracing::error!("media: {e}");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "The image could not be stored just now; nothing was kept. Please try again."
                .into(),
        }
    }
}

/// Checks the editor's words, processes the file (off the async threads: it is CPU
/// work), stores every rendition and records the image. Returns its id.
pub async fn accept(
    state: &AppState,
    uploaded_by: i64,
    file_name: &str,
    bytes: Vec<u8>,
    meta: ImageMetadata,
) -> Result<i64, UploadRefused> {
    if let Err(problems) = meta.validate() {
        let words: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(UploadRefused::bad(capitalise(&words.join("; "))));
    }
    let settings = state.settings().media.clone();
    let added = masthead_media::library::add_to_library(
        state.store(),
        state.0.media.as_ref(),
        &settings,
        file_name,
        bytes,
        &meta,
        Some(uploaded_by),
    )
    .await
    .map_err(|e| {
        if e.is_upload_fault() {
            // These sentences may start with the file's own name: keep its case.
            UploadRefused::bad(e.to_string())
        } else {
            UploadRefused::internal(&e)
        }
    })?;
    Ok(added.id)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// An image as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct ImageView {
    pub id: i64,
    pub src: String,
    pub width: u32,
    pub height: u32,
    pub srcset: String,
    pub webp_srcset: Option<String>,
    pub sizes: String,
    /// The smallest rendition, for the library's thumbnails.
    pub thumbnail: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub licence: String,
    pub file_name: String,
}

impl ImageView {
    /// The view of a stored record; `None` when its JSON is unreadable (logged).
    pub fn of(r: &MediaRecord, column_px: u32) -> Option<Self> {
        let manifest: Manifest = serde_json::from_str(&r.manifest)
            .map_err(|e| tracing::error!("media {} has an unreadable manifest: {e}", r.id))
            .ok()?;
        let meta: ImageMetadata = serde_json::from_str(&r.meta).unwrap_or_default();
        let largest = manifest.largest()?;
        let thumbnail = manifest.responsive.first().unwrap_or(largest);
        Some(Self {
            id: r.id,
            src: largest.key.url(URL_PREFIX),
            width: largest.width,
            height: largest.height,
            srcset: manifest.srcset(URL_PREFIX),
            webp_srcset: manifest.webp_srcset(URL_PREFIX),
            sizes: sizes(column_px),
            thumbnail: thumbnail.key.url(URL_PREFIX),
            alt: meta.alt_attribute().to_owned(),
            caption: meta.caption,
            credit: meta.credit,
            licence: meta.licence,
            file_name: r.file_name.clone(),
        })
    }
}

/// `GET /media/{*key}`: a rendition. Keys are content-addressed, so a URL's bytes never
/// change and browsers and CDNs may keep them for a year.
pub async fn serve(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let Ok(key) = MediaKey::parse(&key) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(format) = key.format() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.0.media.get(&key).await {
        Ok(Some(bytes)) => {
            let mut res = bytes.into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
            res
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!("media: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
