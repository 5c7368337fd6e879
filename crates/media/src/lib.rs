//! Masthead's image pipeline: an untrusted upload in, safe responsive renditions out.
//! Pure processing plus a storage trait — no routes, no database — so the newsroom and the
//! API can both use it.
//!
//! # What happens to an upload
//!
//! 1. **Size**: more than [`MediaSettings::max_upload_bytes`] (20 MB) is refused unread.
//! 2. **Format** from the bytes' signature, never the file name: JPEG, PNG, GIF and WebP
//!    only. An HTML page named `photo.jpg` is "photo.jpg is not a JPEG, PNG, GIF or WebP image".
//! 3. **Dimensions** from the header, before any pixel is decoded: more than
//!    [`MediaSettings::max_side`] a side or [`MediaSettings::max_pixels`] in all is refused.
//! 4. **Decoding** under the `image` crate's `Limits` (`max_decode_bytes`), so a
//!    decompression bomb — a GIF frame far bigger than its canvas, say — is refused
//!    instead of eating memory. GIF and animated WebP: **only the first frame is used**;
//!    later frames are never decoded, and the renditions are still images.
//! 5. **Upright**: the EXIF orientation (all eight values) is applied to the pixels.
//! 6. **Renditions** are encoded from pixels alone, so nothing of the upload's metadata
//!    survives: no EXIF (camera, GPS), XMP, comments or ICC profile.
//!    - responsive widths ([`MediaSettings::widths`], 320/640/1024/1600), never upscaled:
//!      wider ones are skipped, and an original narrower than all of them gets one
//!      rendition at its own width;
//!    - a social-card crop (1200×630) placed around the editor's [`FocalPoint`] (the
//!      centre by default), scaled down but never up;
//!    - JPEG (quality 82) for opaque images, PNG when some pixel is transparent, plus a
//!      lossless WebP of each, kept only when it is smaller.
//!
//! Every file is addressed by the SHA-256 of the upload (`ab/abcd…/w640.jpg`), so the
//! same upload twice stores nothing new and a URL's content never changes: serve them
//! with `Cache-Control: public, max-age=31536000, immutable`. The social crop's name
//! carries the focal point (`social-500-500.jpg`), so moving the point makes a new URL.
//! The original upload is not among the files: it still holds the metadata we strip.
//! Keep it only if you need to reprocess, and never serve it.
//!
//! # Integrating
//!
//! - **App state**: an `Arc<dyn MediaStorage>` from [`storage_from_url`] (an
//!   [`FsStorage`] under the data dir by default; an [`S3Storage`] bucket, or a shared
//!   mount, for several nodes) and the [`MediaSettings`] (it derives `Deserialize`,
//!   with defaults for missing keys, for a `[media]` config table).
//! - **Upload handler** (newsroom form or API): raise axum's body limit for that route
//!   (`DefaultBodyLimit` is 2 MB) to a little over `max_upload_bytes`; validate the
//!   editor's [`ImageMetadata`]; run [`process_upload`] in `spawn_blocking` (it is
//!   CPU-bound); put each of `files`; keep the [`Manifest`] and the [`ImageMetadata`]
//!   (both serde structs: JSON columns, or columns of their fields). Refusals are
//!   [`MediaError`]s whose `to_string()` is the sentence to show; `is_upload_fault()`
//!   tells 4xx from 5xx.
//! - **Serving**: a route such as `/media/{*key}`: [`MediaKey::parse`] (refuse → 404),
//!   [`MediaStorage::get`], `Content-Type` from [`MediaKey::format`].
//! - **Markup**: [`Manifest::srcset`], [`Manifest::webp_srcset`], [`sizes`],
//!   [`Manifest::largest`] for `src`/`width`/`height`, [`ImageMetadata::alt_attribute`];
//!   `manifest.social` for `og:image`. See the [`srcset`] module for the
//!   `<picture>` markup.
//! - **Deleting**: [`MediaStorage::delete`] each of [`Manifest::keys`] — unless another
//!   image record has the same `hash` (the same file uploaded twice shares its files).
//! - **Changing the focal point** needs the original, or a new upload: the crop is made
//!   at upload time.
//!
//! ```no_run
//! use std::sync::Arc;
//! use masthead_media::{ImageMetadata, Manifest, MediaSettings, MediaStorage, process_upload, sizes};
//!
//! type Error = Box<dyn std::error::Error + Send + Sync>;
//!
//! async fn accept_upload(
//!     storage: Arc<dyn MediaStorage>,
//!     settings: Arc<MediaSettings>,
//!     file_name: String,
//!     bytes: Vec<u8>,
//!     meta: ImageMetadata,
//! ) -> Result<Manifest, Error> {
//!     if let Err(problems) = meta.validate() {
//!         return Err(problems[0].to_string().into());
//!     }
//!     let focal = meta.focal;
//!     let processed = tokio::task::spawn_blocking(move || {
//!         process_upload(&bytes, &file_name, focal, &settings)
//!     })
//!     .await??;
//!     for file in processed.files {
//!         if !storage.exists(&file.key).await? {
//!             storage.put(&file.key, file.bytes).await?;
//!         }
//!     }
//!     // Store `processed.manifest` and `meta` with the article's image record; later:
//!     let m = &processed.manifest;
//!     let _img_attrs = (m.srcset("/media"), m.webp_srcset("/media"), sizes(800));
//!     Ok(processed.manifest)
//! }
//! ```

mod decode;
mod error;
pub mod focal;
#[cfg(feature = "library")]
pub mod library;
pub mod metadata;
mod process;
pub mod s3;
mod settings;
pub mod sigv4;
mod sniff;
pub mod srcset;
pub mod storage;

pub use error::MediaError;
pub use focal::{FocalPoint, focal_crop};
pub use metadata::{ImageMetadata, MetadataError};
pub use process::{
    Manifest, MediaFile, OutputFormat, ProcessedImage, Rendition, content_hash, plan_widths,
    process_upload,
};
pub use s3::{S3Config, S3Storage};
pub use settings::MediaSettings;
pub use sniff::SourceFormat;
pub use srcset::sizes;
pub use storage::{
    FsStorage, MediaKey, MediaStorage, StorageConfigError, StorageError, storage_from_url,
};
