//! Why an upload was refused, as sentences an editor can act on. The integrator shows
//! `to_string()` as it is; the variants are there for tests and for picking an HTTP status.

use crate::{settings::decimal, sniff::SourceFormat};

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{name} is {size}; the limit is {limit}")]
    TooBig {
        name: String,
        size: String,
        limit: String,
    },
    #[error("{name} is not a JPEG, PNG, GIF or WebP image")]
    NotAnImage { name: String },
    #[error(
        "{name} is too large: {width}×{height} pixels; the limit is {max_side} pixels a side and {mp} megapixels in all",
        mp = decimal(*.max_pixels, 1_000_000)
    )]
    TooManyPixels {
        name: String,
        width: u32,
        height: u32,
        max_side: u32,
        max_pixels: u64,
    },
    #[error(
        "{name} would need more than {limit} of memory to open; it may be a decompression bomb"
    )]
    TooMuchMemory { name: String, limit: String },
    #[error("{name} looks like a {format} image but could not be read: {detail}")]
    Unreadable {
        name: String,
        format: SourceFormat,
        detail: String,
    },
    /// Encoding our own pixels failed: a bug or an out-of-memory, not the uploader's fault.
    #[error("could not write the {what} version of {name}: {detail}")]
    Encode {
        name: String,
        what: String,
        detail: String,
    },
}

impl MediaError {
    /// True when the upload itself is at fault (answer 4xx); false for our own failures (5xx).
    pub fn is_upload_fault(&self) -> bool {
        !matches!(self, Self::Encode { .. })
    }
}
