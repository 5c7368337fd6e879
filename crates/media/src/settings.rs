//! The thresholds an upload is held to and the renditions made from it. Every number is a
//! setting so a site can tune it and tests can lower it.

use serde::Deserialize;

/// How uploads are checked and which renditions are made. `Default` gives the product's
/// values; the binary can read it from a `[media]` table, missing keys keeping defaults.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaSettings {
    /// Largest upload accepted, in bytes, checked before anything is parsed.
    pub max_upload_bytes: u64,
    /// Longest side accepted, in pixels, read from the file's header before decoding.
    pub max_side: u32,
    /// Most pixels accepted (width × height), read from the header before decoding.
    pub max_pixels: u64,
    /// Most memory decoding may take, in bytes: the decoded image plus the decoder's own
    /// buffers. Guards against files whose header looks modest but whose frames are not.
    pub max_decode_bytes: u64,
    /// Widths of the responsive renditions, in pixels. Widths wider than the original are
    /// skipped; an original narrower than all of them gets one rendition at its own width.
    pub widths: Vec<u32>,
    /// Size of the social-card image (Open Graph, Twitter cards), cropped around the focal point.
    pub social_width: u32,
    pub social_height: u32,
    /// JPEG quality, 1–100.
    pub jpeg_quality: u8,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            max_upload_bytes: 20_000_000,
            max_side: 12_000,
            max_pixels: 50_000_000,
            // A 50-megapixel RGBA image is 200 MB; the rest is room for decoder buffers.
            max_decode_bytes: 256_000_000,
            widths: vec![320, 640, 1024, 1600],
            social_width: 1200,
            social_height: 630,
            jpeg_quality: 82,
        }
    }
}

/// Bytes as a short, human figure for error messages: "20 MB", "1.5 MB", "900 bytes".
pub(crate) fn human_bytes(bytes: u64) -> String {
    const MB: u64 = 1_000_000;
    if bytes < MB {
        format!("{bytes} bytes")
    } else {
        format!("{} MB", decimal(bytes, MB))
    }
}

/// `value / unit` rounded to one decimal, the decimal left out when it is zero: "20", "1.5".
pub(crate) fn decimal(value: u64, unit: u64) -> String {
    let tenth = (unit / 10).max(1);
    let tenths = (value + tenth / 2) / tenth;
    if tenths.is_multiple_of(10) {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_read_as_people_say_them() {
        assert_eq!(human_bytes(900), "900 bytes");
        assert_eq!(human_bytes(20_000_000), "20 MB");
        assert_eq!(human_bytes(1_540_000), "1.5 MB");
        assert_eq!(human_bytes(20_000_001), "20 MB");
        assert_eq!(decimal(500_000, 1_000_000), "0.5");
        assert_eq!(decimal(2_560_000, 1_000_000), "2.6");
    }
}
