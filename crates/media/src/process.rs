//! The pipeline: decode upright, then resize, crop and re-encode. Outputs are encoded from
//! pixels alone, so no EXIF, XMP, ICC profile or comment of the upload can survive.

use image::{DynamicImage, ExtendedColorType, ImageEncoder, ImageError, imageops::FilterType};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    FocalPoint, MediaError, MediaKey, MediaSettings, decode::decode_upright, focal::focal_crop,
    sniff::SourceFormat,
};

/// Sharp enough for downscaling photos, and cheaper than Lanczos3.
const FILTER: FilterType = FilterType::CatmullRom;

/// What the integrator keeps in the database: enough to build `<img>`/`<picture>` markup
/// and to find or delete every stored file, with no image bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// SHA-256 of the uploaded bytes, hex: the same upload always gets the same keys.
    pub hash: String,
    pub source_format: SourceFormat,
    /// Upright size of the original, in pixels.
    pub width: u32,
    pub height: u32,
    /// Renditions for `srcset`, narrowest first.
    pub responsive: Vec<Rendition>,
    /// The social-card crop (`og:image`), at most `social_width × social_height`.
    pub social: Rendition,
}

/// One size of the image. `key` is JPEG (opaque images) or PNG (images with transparency);
/// `webp_key` is set only when the WebP file came out smaller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendition {
    pub width: u32,
    pub height: u32,
    pub key: MediaKey,
    pub webp_key: Option<MediaKey>,
}

impl Rendition {
    /// The smallest file of this rendition: the WebP when one was kept.
    pub fn smallest_key(&self) -> &MediaKey {
        self.webp_key.as_ref().unwrap_or(&self.key)
    }
}

impl Manifest {
    /// Every key this image stored, for deleting it.
    pub fn keys(&self) -> impl Iterator<Item = &MediaKey> {
        self.responsive
            .iter()
            .chain(std::iter::once(&self.social))
            .flat_map(|r| std::iter::once(&r.key).chain(r.webp_key.as_ref()))
    }

    /// The widest rendition: the `src` and `width`/`height` of a plain `<img>`.
    pub fn largest(&self) -> Option<&Rendition> {
        self.responsive.last()
    }
}

/// A file to put in storage under `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    pub key: MediaKey,
    pub format: OutputFormat,
    pub bytes: Vec<u8>,
}

/// The result of processing: the record to keep and the files to store.
#[derive(Debug, Clone)]
pub struct ProcessedImage {
    pub manifest: Manifest,
    pub files: Vec<MediaFile>,
}

/// Formats we write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    Jpeg,
    Png,
    WebP,
}

impl OutputFormat {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::WebP => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::WebP => "image/webp",
        }
    }

    pub(crate) fn from_extension(ext: &str) -> Option<Self> {
        [Self::Jpeg, Self::Png, Self::WebP]
            .into_iter()
            .find(|f| f.extension() == ext)
    }
}

/// Checks an upload and makes every rendition of it. CPU-bound and synchronous: call it
/// inside `tokio::task::spawn_blocking`. `name` is the uploader's file name, used only in
/// error messages.
pub fn process_upload(
    bytes: &[u8],
    name: &str,
    focal: FocalPoint,
    settings: &MediaSettings,
) -> Result<ProcessedImage, MediaError> {
    let decoded = decode_upright(bytes, name, settings)?;
    let hash = content_hash(bytes);
    let image = flatten(decoded.image);
    let (width, height) = (image.width(), image.height());
    let mut out = Writer {
        name,
        hash: &hash,
        settings,
        files: Vec::new(),
    };

    let widths = plan_widths(width, &settings.widths);
    let mut responsive = Vec::with_capacity(widths.len());
    // Widest first; each narrower one is made from the widest, so a huge original is
    // resampled once rather than once per width.
    let mut widest: Option<DynamicImage> = None;
    for &w in widths.iter().rev() {
        let h = scaled_height(width, height, w);
        let resized = match &widest {
            Some(base) => base.resize_exact(w, h, FILTER),
            None if w == width => image.clone(),
            None => image.resize_exact(w, h, FILTER),
        };
        responsive.push(out.rendition(&resized, &format!("w{w}"))?);
        widest.get_or_insert(resized);
    }
    responsive.reverse();

    let crop = focal_crop(
        width,
        height,
        settings.social_width,
        settings.social_height,
        focal,
    );
    let mut social = image.crop_imm(crop.x, crop.y, crop.width, crop.height);
    if crop.width > settings.social_width {
        social = social.resize_exact(settings.social_width, settings.social_height, FILTER);
    }
    let (fx, fy) = focal.per_mille();
    let social = out.rendition(&social, &format!("social-{fx}-{fy}"))?;
    let files = out.files;

    Ok(ProcessedImage {
        manifest: Manifest {
            hash,
            source_format: decoded.format,
            width,
            height,
            responsive,
            social,
        },
        files,
    })
}

/// SHA-256 of the bytes, lower-case hex.
pub fn content_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The configured widths no wider than the original, narrowest first; the original's own
/// width when it is narrower than all of them. Never upscales.
pub fn plan_widths(original: u32, configured: &[u32]) -> Vec<u32> {
    let mut widths: Vec<u32> = configured
        .iter()
        .copied()
        .filter(|&w| w > 0 && w <= original)
        .collect();
    widths.sort_unstable();
    widths.dedup();
    if widths.is_empty() {
        widths.push(original);
    }
    widths
}

fn scaled_height(width: u32, height: u32, new_width: u32) -> u32 {
    let h = (u64::from(height) * u64::from(new_width) + u64::from(width) / 2) / u64::from(width);
    u32::try_from(h).unwrap_or(u32::MAX).max(1)
}

/// 8-bit RGB when every pixel is opaque (written as JPEG), 8-bit RGBA otherwise (PNG).
/// An alpha channel with nothing transparent in it — common in PNG exports and every GIF —
/// does not count.
fn flatten(image: DynamicImage) -> DynamicImage {
    if image.color().has_alpha() {
        let rgba = image.into_rgba8();
        if rgba.pixels().any(|p| p.0[3] < u8::MAX) {
            return DynamicImage::ImageRgba8(rgba);
        }
        return DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(rgba).into_rgb8());
    }
    DynamicImage::ImageRgb8(image.into_rgb8())
}

/// Encodes renditions and collects their files.
struct Writer<'a> {
    name: &'a str,
    hash: &'a str,
    settings: &'a MediaSettings,
    files: Vec<MediaFile>,
}

impl Writer<'_> {
    fn rendition(&mut self, image: &DynamicImage, stem: &str) -> Result<Rendition, MediaError> {
        let primary = if image.color().has_alpha() {
            OutputFormat::Png
        } else {
            OutputFormat::Jpeg
        };
        let bytes = self.encode(image, primary, stem)?;
        let webp = self.encode(image, OutputFormat::WebP, stem)?;
        let key = MediaKey::for_rendition(self.hash, stem, primary);
        let webp_key = (webp.len() < bytes.len()).then(|| {
            let key = MediaKey::for_rendition(self.hash, stem, OutputFormat::WebP);
            self.files.push(MediaFile {
                key: key.clone(),
                format: OutputFormat::WebP,
                bytes: webp,
            });
            key
        });
        self.files.push(MediaFile {
            key: key.clone(),
            format: primary,
            bytes,
        });
        Ok(Rendition {
            width: image.width(),
            height: image.height(),
            key,
            webp_key,
        })
    }

    fn encode(
        &self,
        image: &DynamicImage,
        format: OutputFormat,
        stem: &str,
    ) -> Result<Vec<u8>, MediaError> {
        let mut out = Vec::new();
        let (w, h) = (image.width(), image.height());
        let color = ExtendedColorType::from(image.color());
        let pixels = image.as_bytes();
        let written: Result<(), ImageError> = match format {
            OutputFormat::Jpeg => image::codecs::jpeg::JpegEncoder::new_with_quality(
                &mut out,
                self.settings.jpeg_quality.clamp(1, 100),
            )
            .write_image(pixels, w, h, color),
            OutputFormat::Png => {
                image::codecs::png::PngEncoder::new(&mut out).write_image(pixels, w, h, color)
            }
            OutputFormat::WebP => image::codecs::webp::WebPEncoder::new_lossless(&mut out)
                .write_image(pixels, w, h, color),
        };
        written.map_err(|e| MediaError::Encode {
            name: self.name.to_owned(),
            what: format!("{stem}.{}", format.extension()),
            detail: e.to_string(),
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_never_exceed_the_original() {
        let widths = [320, 640, 1024, 1600];
        assert_eq!(plan_widths(4000, &widths), [320, 640, 1024, 1600]);
        assert_eq!(plan_widths(1600, &widths), [320, 640, 1024, 1600]);
        assert_eq!(plan_widths(1200, &widths), [320, 640, 1024]);
        assert_eq!(plan_widths(320, &widths), [320]);
        assert_eq!(plan_widths(200, &widths), [200]);
        assert_eq!(plan_widths(500, &[640, 320, 320, 0]), [320]);
    }

    #[test]
    fn heights_keep_the_aspect_ratio() {
        assert_eq!(scaled_height(1600, 900, 320), 180);
        assert_eq!(scaled_height(3000, 1, 320), 1);
        assert_eq!(scaled_height(1000, 333, 500), 167);
    }

    #[test]
    fn the_hash_is_sha256_hex() {
        assert_eq!(
            content_hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
