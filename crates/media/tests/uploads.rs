//! Uploads as an editor (or an attacker) would send them, through the whole pipeline.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod support;

use std::time::{Duration, Instant};

use image::{DynamicImage, GenericImageView, RgbImage};
use masthead_media::{
    FocalPoint, FsStorage, MediaError, MediaFile, MediaSettings, MediaStorage, OutputFormat,
    ProcessedImage, process_upload,
};
use support::*;

fn process(bytes: &[u8], name: &str) -> Result<ProcessedImage, MediaError> {
    process_upload(bytes, name, FocalPoint::CENTRE, &MediaSettings::default())
}

fn decode(file: &MediaFile) -> DynamicImage {
    image::load_from_memory(&file.bytes).unwrap()
}

fn file<'a>(processed: &'a ProcessedImage, key: &masthead_media::MediaKey) -> &'a MediaFile {
    processed.files.iter().find(|f| &f.key == key).unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Refused, quickly, with exactly this sentence.
fn assert_refused_fast(bytes: &[u8], name: &str, settings: &MediaSettings, sentence: &str) {
    let started = Instant::now();
    let err = process_upload(bytes, name, FocalPoint::CENTRE, settings).unwrap_err();
    assert_eq!(err.to_string(), sentence);
    assert!(err.is_upload_fault());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn every_exif_orientation_comes_out_upright_and_without_metadata() {
    use Corner::*;
    // Upright, the image is 60×40 with red top left and green top right. Each row is how a
    // camera stores that picture for the orientation: (value, sideways?, red, green).
    let stored = [
        (1, false, TopLeft, TopRight),
        (2, false, TopRight, TopLeft),
        (3, false, BottomRight, BottomLeft),
        (4, false, BottomLeft, BottomRight),
        (5, true, TopLeft, BottomLeft),
        (6, true, BottomLeft, TopLeft),
        (7, true, BottomRight, TopRight),
        (8, true, TopRight, BottomRight),
    ];
    for (orientation, sideways, red, green) in stored {
        let (w, h) = if sideways { (40, 60) } else { (60, 40) };
        let upload = jpeg_with_metadata(&marked(w, h, red, green), orientation);
        for secret in SECRETS {
            assert!(
                contains(&upload, secret),
                "the test upload should carry its metadata"
            );
        }

        let processed = process(&upload, "camera.jpg").unwrap();
        let m = &processed.manifest;
        assert_eq!((m.width, m.height), (60, 40), "orientation {orientation}");
        let only = &m.responsive[0];
        assert_eq!((m.responsive.len(), only.width, only.height), (1, 60, 40));

        let upright = decode(file(&processed, &only.key)).into_rgb8();
        let at = |corner| colour_at(&upright, corner);
        assert!(
            looks_like(at(TopLeft), RED),
            "orientation {orientation}: {:?}",
            at(TopLeft)
        );
        assert!(
            looks_like(at(TopRight), GREEN),
            "orientation {orientation}: {:?}",
            at(TopRight)
        );
        assert!(
            looks_like(at(BottomLeft), BLUE),
            "orientation {orientation}"
        );
        assert!(
            looks_like(at(BottomRight), BLUE),
            "orientation {orientation}"
        );

        for output in &processed.files {
            for secret in SECRETS {
                assert!(
                    !contains(&output.bytes, secret),
                    "orientation {orientation}: {} contains {:?}",
                    output.key,
                    String::from_utf8_lossy(secret)
                );
            }
        }
    }
}

#[test]
fn a_png_claiming_60000_pixels_a_side_is_refused_before_decoding() {
    assert_refused_fast(
        &png_claiming(60_000, 60_000),
        "huge.png",
        &MediaSettings::default(),
        "huge.png is too large: 60000×60000 pixels; the limit is 12000 pixels a side and 50 megapixels in all",
    );
}

#[test]
fn too_many_pixels_in_all_is_refused_even_when_each_side_fits() {
    assert_refused_fast(
        &png_claiming(9_000, 9_000),
        "square.png",
        &MediaSettings::default(),
        "square.png is too large: 9000×9000 pixels; the limit is 12000 pixels a side and 50 megapixels in all",
    );
}

#[test]
fn a_gif_with_a_huge_canvas_is_refused_before_decoding() {
    let bomb = gif_claiming((65_535, 65_535), &[(1, 1)]);
    assert!(bomb.len() < 100);
    assert_refused_fast(
        &bomb,
        "bomb.gif",
        &MediaSettings::default(),
        "bomb.gif is too large: 65535×65535 pixels; the limit is 12000 pixels a side and 50 megapixels in all",
    );
}

#[test]
fn a_gif_frame_far_bigger_than_its_canvas_is_refused_by_the_memory_limit() {
    // The header says 100×100, so it passes the dimension check; the frame inside asks
    // for 65535×65535 RGBA pixels (17 GB). Only the decoding limits can catch it.
    let bomb = gif_claiming((100, 100), &[(65_535, 65_535)]);
    assert_refused_fast(
        &bomb,
        "bomb.gif",
        &MediaSettings::default(),
        "bomb.gif would need more than 256 MB of memory to open; it may be a decompression bomb",
    );
}

#[test]
fn only_the_first_gif_frame_is_decoded_so_huge_later_frames_cost_nothing() {
    let mut gif = gif_without_trailer(&marked(40, 30, Corner::TopLeft, Corner::TopRight));
    for _ in 0..1000 {
        gif.extend(gif_frame((65_535, 65_535)));
    }
    gif.push(0x3B);
    let started = Instant::now();
    let processed = process(&gif, "animated.gif").unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    let m = &processed.manifest;
    assert_eq!((m.width, m.height), (40, 30));
    let still = decode(file(&processed, &m.responsive[0].key)).into_rgb8();
    assert!(looks_like(colour_at(&still, Corner::TopLeft), RED));
    assert_eq!(
        m.responsive[0].key.format(),
        Some(OutputFormat::Jpeg),
        "an opaque GIF becomes a JPEG"
    );
}

#[test]
fn an_html_page_named_jpg_is_refused() {
    assert_refused_fast(
        b"<!doctype html><html><script>alert(document.cookie)</script></html>",
        "photo.jpg",
        &MediaSettings::default(),
        "photo.jpg is not a JPEG, PNG, GIF or WebP image",
    );
}

#[test]
fn a_damaged_image_is_refused_with_its_format_named() {
    let mut truncated = jpeg(&marked(60, 40, Corner::TopLeft, Corner::TopRight));
    truncated.truncate(20);
    let err = process(&truncated, "cut.jpg").unwrap_err();
    assert!(matches!(err, MediaError::Unreadable { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("cut.jpg looks like a JPEG image but could not be read: ")
    );
}

#[test]
fn uploads_over_the_size_limit_are_refused_unread() {
    let mut upload = vec![0u8; 25_000_000];
    upload[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
    assert_refused_fast(
        &upload,
        "big.jpg",
        &MediaSettings::default(),
        "big.jpg is 25 MB; the limit is 20 MB",
    );
    upload.truncate(20_000_001);
    assert_refused_fast(
        &upload,
        "big.jpg",
        &MediaSettings::default(),
        "big.jpg is 20000001 bytes; the limit is 20000000 bytes",
    );
    let small = MediaSettings {
        max_upload_bytes: 1_000,
        ..MediaSettings::default()
    };
    assert_refused_fast(
        &upload[..1_001],
        "big.jpg",
        &small,
        "big.jpg is 1001 bytes; the limit is 1000 bytes",
    );
}

#[test]
fn a_png_with_transparency_stays_png() {
    let processed = process(&png(half_transparent(40, 30)), "logo.png").unwrap();
    let m = &processed.manifest;
    for rendition in m.responsive.iter().chain([&m.social]) {
        assert_eq!(rendition.key.format(), Some(OutputFormat::Png));
        let out = decode(file(&processed, &rendition.key)).into_rgba8();
        let (w, h) = out.dimensions();
        assert_eq!(
            out.get_pixel(1, h / 2).0[3],
            0,
            "transparent stays transparent"
        );
        assert_eq!(out.get_pixel(w - 2, h / 2).0[3], 255);
    }
}

#[test]
fn a_png_whose_alpha_is_all_opaque_becomes_jpeg() {
    let opaque =
        DynamicImage::ImageRgb8(marked(40, 30, Corner::TopLeft, Corner::TopRight)).into_rgba8();
    let processed = process(&png(opaque), "export.png").unwrap();
    assert_eq!(
        processed.manifest.responsive[0].key.format(),
        Some(OutputFormat::Jpeg)
    );
}

#[test]
fn widths_are_made_up_to_the_original_and_never_upscaled() {
    // Wide, short strips: all the widths, with few pixels to process.
    type Size = (u32, u32);
    let cases: [(Size, &[Size]); 4] = [
        ((1700, 20), &[(320, 4), (640, 8), (1024, 12), (1600, 19)]),
        ((1024, 20), &[(320, 6), (640, 13), (1024, 20)]),
        ((700, 20), &[(320, 9), (640, 18)]),
        ((200, 100), &[(200, 100)]),
    ];
    for ((w, h), expected) in cases {
        let processed = process(&png(noise(w, h)), "strip.png").unwrap();
        let made: Vec<(u32, u32)> = processed
            .manifest
            .responsive
            .iter()
            .map(|r| (r.width, r.height))
            .collect();
        assert_eq!(made, expected, "original {w}×{h}");
        for r in &processed.manifest.responsive {
            let out = decode(file(&processed, &r.key));
            assert_eq!(
                out.dimensions(),
                (r.width, r.height),
                "recorded size is the file's size"
            );
            assert!(r.key.as_str().ends_with(&format!("/w{}.jpg", r.width)));
        }
    }
}

#[test]
fn the_social_crop_keeps_the_focal_point_in_frame() {
    // A wide 2400×700 white picture with a magenta square near its right edge. Only the
    // social crop matters here, so one narrow width keeps the test quick.
    let (cx, cy) = (2040, 350);
    let picture = RgbImage::from_fn(2400, 700, |x, y| {
        if x.abs_diff(cx) < 40 && y.abs_diff(cy) < 40 {
            image::Rgb([255, 0, 255])
        } else {
            image::Rgb([250, 250, 250])
        }
    });
    let upload = png(picture);
    let settings = MediaSettings {
        widths: vec![320],
        ..MediaSettings::default()
    };
    let is_magenta = |p: &image::Rgb<u8>| p.0[0] > 180 && p.0[1] < 90 && p.0[2] > 180;
    let social = |focal: FocalPoint| {
        let processed = process_upload(&upload, "wide.png", focal, &settings).unwrap();
        let rendition = processed.manifest.social.clone();
        let image = decode(file(&processed, &rendition.key)).into_rgb8();
        (rendition, image)
    };

    let (rendition, image) = social(FocalPoint::new(0.85, 0.5).unwrap());
    assert_eq!((rendition.width, rendition.height), (1200, 630));
    assert_eq!(image.dimensions(), (1200, 630));
    assert!(rendition.key.as_str().ends_with("/social-850-500.jpg"));
    let magenta: Vec<(u32, u32)> = image
        .enumerate_pixels()
        .filter(|(_, _, p)| is_magenta(p))
        .map(|(x, y, _)| (x, y))
        .collect();
    assert!(
        magenta.len() > 60 * 60,
        "the whole focal square is in frame"
    );
    // The crop is 1333×700 from x=1067 (stopped by the right edge), scaled by 1200/1333:
    // the square's centre lands at (876, 315).
    let n = magenta.len() as u32;
    let (sx, sy) = magenta
        .iter()
        .fold((0, 0), |(sx, sy), (x, y)| (sx + x, sy + y));
    assert!(
        (sx / n).abs_diff(876) < 5 && (sy / n).abs_diff(315) < 5,
        "{:?}",
        (sx / n, sy / n)
    );

    let (_, centred) = social(FocalPoint::CENTRE);
    assert!(
        !centred.pixels().any(is_magenta),
        "a centred crop leaves the square out"
    );
}

#[test]
fn a_small_original_gives_a_smaller_social_image_rather_than_an_upscaled_one() {
    let processed = process(&png(noise(300, 300)), "small.png").unwrap();
    let social = &processed.manifest.social;
    assert_eq!((social.width, social.height), (300, 158));
}

#[test]
fn webp_is_kept_only_when_smaller() {
    // Flat colour: lossless WebP beats JPEG.
    let flat = process(
        &png(marked(400, 300, Corner::TopLeft, Corner::BottomRight)),
        "flat.png",
    )
    .unwrap();
    let kept = &flat.manifest.responsive[0];
    let webp_key = kept
        .webp_key
        .as_ref()
        .expect("a flat image's WebP is smaller");
    assert_eq!(webp_key.format(), Some(OutputFormat::WebP));
    assert!(file(&flat, webp_key).bytes.len() < file(&flat, &kept.key).bytes.len());
    assert_eq!(
        decode(file(&flat, webp_key)).dimensions(),
        (kept.width, kept.height)
    );

    // Noise: lossless WebP is far bigger than a JPEG, so it is dropped.
    let noisy = process(&jpeg(&noise(400, 300)), "noise.jpg").unwrap();
    assert!(
        noisy
            .manifest
            .responsive
            .iter()
            .all(|r| r.webp_key.is_none())
    );
    assert!(noisy.files.iter().all(|f| f.format != OutputFormat::WebP));
    assert_eq!(noisy.manifest.webp_srcset("/media"), None);
}

#[test]
fn srcset_lists_the_renditions_by_url_and_width() {
    let processed = process(&png(noise(700, 20)), "strip.png").unwrap();
    let m = &processed.manifest;
    let base = format!("/media/{}/{}", &m.hash[..2], m.hash);
    assert_eq!(
        m.srcset("/media/"),
        format!("{base}/w320.jpg 320w, {base}/w640.jpg 640w")
    );
    assert_eq!(
        masthead_media::sizes(720),
        "(max-width: 720px) 100vw, 720px"
    );
}

#[tokio::test]
async fn the_same_upload_twice_has_the_same_keys_and_round_trips_through_storage() {
    let upload = jpeg(&marked(60, 40, Corner::TopLeft, Corner::TopRight));
    let first = process(&upload, "a.jpg").unwrap();
    let again = process(&upload, "copy of a.jpg").unwrap();
    assert_eq!(first.manifest, again.manifest);

    let dir = tempfile::tempdir().unwrap();
    let storage = FsStorage::open(dir.path()).unwrap();
    for f in &first.files {
        storage.put(&f.key, f.bytes.clone()).await.unwrap();
    }
    let keys: Vec<_> = first.manifest.keys().collect();
    assert_eq!(
        keys.len(),
        first.files.len(),
        "the manifest names every stored file"
    );
    for f in &first.files {
        assert_eq!(storage.get(&f.key).await.unwrap().as_ref(), Some(&f.bytes));
    }
    for key in keys {
        storage.delete(key).await.unwrap();
        assert!(!storage.exists(key).await.unwrap());
    }
}
