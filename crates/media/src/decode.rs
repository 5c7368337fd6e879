//! From untrusted bytes to upright pixels, refusing anything too big before memory is spent
//! on it: size first, then the format's signature, then the header's dimensions, then the
//! decoder's own allocation limits for whatever the header did not reveal (GIF frames).

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits, metadata::Orientation};

use crate::{MediaError, MediaSettings, settings::human_bytes, sniff::SourceFormat};

/// The upload's pixels, turned the way its camera meant, with every byte of metadata gone.
pub(crate) struct Decoded {
    pub format: SourceFormat,
    pub image: DynamicImage,
}

pub(crate) fn decode_upright(
    bytes: &[u8],
    name: &str,
    settings: &MediaSettings,
) -> Result<Decoded, MediaError> {
    let size = bytes.len() as u64;
    if size > settings.max_upload_bytes {
        let limit = settings.max_upload_bytes;
        // "20 MB; the limit is 20 MB" would read as a bug: be exact when rounding hides it.
        let (size, limit) = match (human_bytes(size), human_bytes(limit)) {
            (s, l) if s == l => (format!("{size} bytes"), format!("{limit} bytes")),
            pair => pair,
        };
        return Err(MediaError::TooBig {
            name: name.to_owned(),
            size,
            limit,
        });
    }
    let format = SourceFormat::sniff(bytes).ok_or_else(|| MediaError::NotAnImage {
        name: name.to_owned(),
    })?;
    let unreadable = |e: ImageError| classify(e, name, format, settings);

    // Open with only the memory limit so the header's dimensions can be read whatever they
    // are, and refused in our own words below.
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    let mut header_limits = Limits::no_limits();
    header_limits.max_alloc = Some(settings.max_decode_bytes);
    reader.limits(header_limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;

    let (width, height) = decoder.dimensions();
    check_dimensions(name, width, height, settings)?;

    // Then the full limits, counting the output image against the memory budget the way
    // `ImageReader::decode` does, so frame buffers (GIF) must fit in what is left.
    let mut limits = Limits::default();
    limits.max_image_width = Some(settings.max_side);
    limits.max_image_height = Some(settings.max_side);
    limits.max_alloc = Some(settings.max_decode_bytes);
    limits.reserve(decoder.total_bytes()).map_err(unreadable)?;
    decoder.set_limits(limits).map_err(unreadable)?;

    // A damaged EXIF block is no reason to refuse a photo: show it as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    // For GIF and animated WebP this is the first frame; later frames are never decoded.
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);
    Ok(Decoded { format, image })
}

fn check_dimensions(
    name: &str,
    width: u32,
    height: u32,
    settings: &MediaSettings,
) -> Result<(), MediaError> {
    let pixels = u64::from(width) * u64::from(height);
    if width > settings.max_side || height > settings.max_side || pixels > settings.max_pixels {
        return Err(MediaError::TooManyPixels {
            name: name.to_owned(),
            width,
            height,
            max_side: settings.max_side,
            max_pixels: settings.max_pixels,
        });
    }
    Ok(())
}

/// Turns the image crate's error into our sentence: a hit limit is a memory refusal, the
/// rest is a damaged file.
fn classify(
    e: ImageError,
    name: &str,
    format: SourceFormat,
    settings: &MediaSettings,
) -> MediaError {
    if matches!(e, ImageError::Limits(_)) {
        MediaError::TooMuchMemory {
            name: name.to_owned(),
            limit: human_bytes(settings.max_decode_bytes),
        }
    } else {
        MediaError::Unreadable {
            name: name.to_owned(),
            format,
            detail: e.to_string(),
        }
    }
}
