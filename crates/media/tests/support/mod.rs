//! Builders for the test uploads: every file is made here, byte by byte where the point is
//! a malformed or hostile header. Nothing binary is committed.

#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

pub const RED: Rgb<u8> = Rgb([230, 20, 20]);
pub const GREEN: Rgb<u8> = Rgb([20, 200, 20]);
pub const BLUE: Rgb<u8> = Rgb([20, 20, 220]);

/// Strings planted in the metadata of test uploads; none may reach an output.
pub const SECRETS: &[&[u8]] = &[
    b"Exif",
    b"MastheadCam",
    b"MASTHEAD-GPS-DATUM",
    b"xmp-secret-location",
    b"camera-comment-secret",
];

#[derive(Debug, Clone, Copy)]
pub enum Corner {
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
}

pub const MARK: u32 = 12;

/// A blue `w × h` image with a red and a green `MARK`-sized square in the given corners.
pub fn marked(w: u32, h: u32, red: Corner, green: Corner) -> RgbImage {
    let mut img = RgbImage::from_pixel(w, h, BLUE);
    for (corner, colour) in [(red, RED), (green, GREEN)] {
        let (x0, y0) = corner_origin(w, h, corner);
        for y in y0..y0 + MARK {
            for x in x0..x0 + MARK {
                img.put_pixel(x, y, colour);
            }
        }
    }
    img
}

fn corner_origin(w: u32, h: u32, corner: Corner) -> (u32, u32) {
    match corner {
        Corner::TopLeft => (0, 0),
        Corner::TopRight => (w - MARK, 0),
        Corner::BottomLeft => (0, h - MARK),
        Corner::BottomRight => (w - MARK, h - MARK),
    }
}

/// The colour at the middle of the marker square in `corner`.
pub fn colour_at(img: &RgbImage, corner: Corner) -> Rgb<u8> {
    let (x, y) = corner_origin(img.width(), img.height(), corner);
    *img.get_pixel(x + MARK / 2, y + MARK / 2)
}

/// Roughly `want`, allowing for JPEG's losses.
pub fn looks_like(got: Rgb<u8>, want: Rgb<u8>) -> bool {
    got.0.iter().zip(want.0).all(|(&g, w)| g.abs_diff(w) < 60)
}

pub fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// A PNG of any image the crate can hold: RGB, RGBA, grey.
pub fn png(img: impl Into<image::DynamicImage>) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.into()
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// A half-transparent image: the left half fully transparent, the right half opaque red.
pub fn half_transparent(w: u32, h: u32) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([230, 20, 20, 255])
        }
    })
}

/// Deterministic noise: the worst case for lossless compression.
pub fn noise(w: u32, h: u32) -> RgbImage {
    let mut state: u32 = 0x9E37_79B9;
    RgbImage::from_fn(w, h, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        Rgb([a, b, c])
    })
}

/// A JPEG carrying EXIF (orientation, camera make, GPS position), XMP with a location and
/// a comment, inserted right after the start-of-image marker.
pub fn jpeg_with_metadata(img: &RgbImage, orientation: u16) -> Vec<u8> {
    let encoded = jpeg(img);
    assert_eq!(&encoded[..2], [0xFF, 0xD8]);
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(tiff_with_gps(orientation));
    let xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>xmp-secret-location</exif:GPSLatitude></x:xmpmeta>";
    let mut out = encoded[..2].to_vec();
    out.extend(segment(0xE1, &exif));
    out.extend(segment(0xE1, xmp));
    out.extend(segment(0xFE, b"camera-comment-secret"));
    out.extend(&encoded[2..]);
    out
}

fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len() + 2).unwrap();
    let mut out = vec![0xFF, marker];
    out.extend(len.to_be_bytes());
    out.extend(payload);
    out
}

/// One IFD entry: tag, type (2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL), count, value bytes.
type Entry = (u16, u16, u32, Vec<u8>);

/// A little-endian TIFF block: IFD0 with Make, Orientation and a pointer to a GPS IFD.
fn tiff_with_gps(orientation: u16) -> Vec<u8> {
    let rational = |parts: &[(u32, u32)]| -> Vec<u8> {
        parts
            .iter()
            .flat_map(|(n, d)| [n.to_le_bytes(), d.to_le_bytes()])
            .flatten()
            .collect()
    };
    let gps: Vec<Entry> = vec![
        (0x0001, 2, 2, b"N\0".to_vec()),
        (0x0002, 5, 3, rational(&[(51, 1), (30, 1), (1234, 100)])),
        (0x0003, 2, 2, b"W\0".to_vec()),
        (0x0004, 5, 3, rational(&[(0, 1), (7, 1), (3912, 100)])),
        (0x0012, 2, 19, b"MASTHEAD-GPS-DATUM\0".to_vec()),
    ];
    let ifd0 = |gps_offset: u32| -> Vec<Entry> {
        vec![
            (0x010F, 2, 12, b"MastheadCam\0".to_vec()),
            (0x0112, 3, 1, orientation.to_le_bytes().to_vec()),
            (0x8825, 4, 1, gps_offset.to_le_bytes().to_vec()),
        ]
    };
    let ifd0_len = u32::try_from(ifd(8, &ifd0(0)).len()).unwrap();
    let mut tiff = b"II\x2A\0\x08\0\0\0".to_vec();
    tiff.extend(ifd(8, &ifd0(8 + ifd0_len)));
    tiff.extend(ifd(8 + ifd0_len, &gps));
    tiff
}

/// An IFD that will sit at `start` in the TIFF block, followed by its out-of-line values.
fn ifd(start: u32, entries: &[Entry]) -> Vec<u8> {
    let count = u16::try_from(entries.len()).unwrap();
    let table_len = 2 + 12 * u32::from(count) + 4;
    let mut table = count.to_le_bytes().to_vec();
    let mut data: Vec<u8> = Vec::new();
    for (tag, kind, n, value) in entries {
        table.extend(tag.to_le_bytes());
        table.extend(kind.to_le_bytes());
        table.extend(n.to_le_bytes());
        if value.len() <= 4 {
            let mut inline = value.clone();
            inline.resize(4, 0);
            table.extend(inline);
        } else {
            let offset = start + table_len + u32::try_from(data.len()).unwrap();
            table.extend(offset.to_le_bytes());
            data.extend(value);
        }
    }
    table.extend(0u32.to_le_bytes());
    table.extend(data);
    table
}

/// A PNG whose IHDR claims `w × h` RGBA pixels, with a token IDAT: decoding it for real
/// would need w·h·4 bytes.
pub fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(png_chunk(b"IHDR", &ihdr));
    out.extend(png_chunk(b"IDAT", &[0x78, 0x9C, 0x63, 0x00, 0x00]));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    out.extend(kind);
    out.extend(data);
    out.extend(crc32(&out[4..]).to_be_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A GIF whose logical screen is `screen` and whose frames claim the given sizes, each
/// with a two-colour table and a few bytes of image data: the canvas a frame asks for is
/// the bomb, not its content.
pub fn gif_claiming(screen: (u16, u16), frames: &[(u16, u16)]) -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend(screen.0.to_le_bytes());
    out.extend(screen.1.to_le_bytes());
    out.extend([0, 0, 0]);
    for &frame in frames {
        out.extend(gif_frame(frame));
    }
    out.push(0x3B);
    out
}

/// One frame descriptor claiming `w × h` pixels, with its colour table and token data.
pub fn gif_frame((w, h): (u16, u16)) -> Vec<u8> {
    let mut out = vec![0x2C, 0, 0, 0, 0];
    out.extend(w.to_le_bytes());
    out.extend(h.to_le_bytes());
    out.push(0x80);
    out.extend([0, 0, 0, 255, 255, 255]);
    out.extend([2, 2, 0x4C, 0x01, 0]);
    out
}

/// A real, small GIF from the image crate's encoder, without its trailer so more frames
/// can be appended.
pub fn gif_without_trailer(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut out);
        let rgba = image::DynamicImage::ImageRgb8(img.clone()).into_rgba8();
        encoder.encode_frame(image::Frame::new(rgba)).unwrap();
    }
    assert_eq!(out.pop(), Some(0x3B), "a GIF ends with its trailer");
    out
}
