//! The focal point an editor marks on an image, and the crop it guides: every crop keeps
//! the focal point inside it and as close to the crop's centre as the image allows.

use serde::{Deserialize, Serialize};

/// A point on the image as fractions of its width and height, (0, 0) top left, (1, 1)
/// bottom right, measured on the upright image. Fields are private so a value is always
/// in range; deserialising checks it too.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawFocalPoint")]
pub struct FocalPoint {
    x: f32,
    y: f32,
}

#[derive(Deserialize)]
struct RawFocalPoint {
    x: f32,
    y: f32,
}

impl TryFrom<RawFocalPoint> for FocalPoint {
    type Error = FocalPointOutOfRange;
    fn try_from(raw: RawFocalPoint) -> Result<Self, Self::Error> {
        Self::new(raw.x, raw.y)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("a focal point is two numbers from 0 to 1; got ({x}, {y})")]
pub struct FocalPointOutOfRange {
    pub x: f32,
    pub y: f32,
}

impl FocalPoint {
    pub const CENTRE: Self = Self { x: 0.5, y: 0.5 };

    pub fn new(x: f32, y: f32) -> Result<Self, FocalPointOutOfRange> {
        if (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y) {
            Ok(Self { x, y })
        } else {
            Err(FocalPointOutOfRange { x, y })
        }
    }

    pub fn x(self) -> f32 {
        self.x
    }

    pub fn y(self) -> f32 {
        self.y
    }

    /// The point in thousandths, for file names: a new focal point gives the crop a new
    /// key, so caches never serve the old crop under the same URL.
    pub(crate) fn per_mille(self) -> (u32, u32) {
        let round = |v: f32| (v * 1000.0).round() as u32;
        (round(self.x), round(self.y))
    }
}

impl Default for FocalPoint {
    fn default() -> Self {
        Self::CENTRE
    }
}

/// A rectangle in pixels on the source image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crop {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The largest `target_w : target_h` rectangle that fits in a `width × height` image,
/// placed so the focal point is as central as the image's edges allow.
pub fn focal_crop(
    width: u32,
    height: u32,
    target_w: u32,
    target_h: u32,
    focal: FocalPoint,
) -> Crop {
    let (w, h) = (u64::from(width.max(1)), u64::from(height.max(1)));
    let (tw, th) = (u64::from(target_w.max(1)), u64::from(target_h.max(1)));
    // Compare aspect ratios in integers: w/h > tw/th ⇔ w·th > tw·h.
    let (crop_w, crop_h) = if w * th > tw * h {
        (((h * tw + th / 2) / th).clamp(1, w), h)
    } else {
        (w, ((w * th + tw / 2) / tw).clamp(1, h))
    };
    let place = |len: u64, crop: u64, f: f32| -> u64 {
        let centre = (f64::from(f) * len as f64).round() as u64;
        centre.saturating_sub(crop / 2).min(len - crop)
    };
    // Every value is at most the original u32 size, so the conversions cannot fail.
    let to_u32 = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    Crop {
        x: to_u32(place(w, crop_w, focal.x)),
        y: to_u32(place(h, crop_h, focal.y)),
        width: to_u32(crop_w),
        height: to_u32(crop_h),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn out_of_range_points_are_refused() {
        assert!(FocalPoint::new(1.2, 0.5).is_err());
        assert!(FocalPoint::new(0.5, -0.1).is_err());
        assert!(FocalPoint::new(f32::NAN, 0.5).is_err());
        assert!(serde_json::from_str::<FocalPoint>(r#"{"x": 2, "y": 0}"#).is_err());
        let p: FocalPoint = serde_json::from_str(r#"{"x": 0.25, "y": 1}"#).unwrap();
        assert_eq!((p.x(), p.y()), (0.25, 1.0));
    }

    #[test]
    fn a_wide_image_is_cut_at_the_sides_around_the_focal_point() {
        let focal = FocalPoint::new(0.9, 0.5).unwrap();
        // 3000×630 → 1200×630 keeps the full height; the right edge stops the window.
        assert_eq!(
            focal_crop(3000, 630, 1200, 630, focal),
            Crop {
                x: 1800,
                y: 0,
                width: 1200,
                height: 630
            }
        );
        assert_eq!(
            focal_crop(3000, 630, 1200, 630, FocalPoint::CENTRE),
            Crop {
                x: 900,
                y: 0,
                width: 1200,
                height: 630
            }
        );
    }

    #[test]
    fn a_tall_image_is_cut_at_top_and_bottom() {
        let focal = FocalPoint::new(0.5, 0.1).unwrap();
        assert_eq!(
            focal_crop(1200, 3000, 1200, 630, focal),
            Crop {
                x: 0,
                y: 0,
                width: 1200,
                height: 630
            }
        );
    }

    proptest! {
        #[test]
        fn the_crop_fits_keeps_the_shape_and_contains_the_focal_point(
            width in 1u32..20_000, height in 1u32..20_000,
            fx in 0.0f32..=1.0, fy in 0.0f32..=1.0,
        ) {
            let focal = FocalPoint::new(fx, fy).unwrap();
            let c = focal_crop(width, height, 1200, 630, focal);
            prop_assert!(c.width >= 1 && c.height >= 1);
            prop_assert!(c.x + c.width <= width && c.y + c.height <= height);
            prop_assert!(c.width == width || c.height == height, "the crop is as large as it can be");
            let (px, py) = (fx * width as f32, fy * height as f32);
            prop_assert!(c.x as f32 <= px + 1.0 && px <= (c.x + c.width) as f32 + 1.0);
            prop_assert!(c.y as f32 <= py + 1.0 && py <= (c.y + c.height) as f32 + 1.0);
            if c.width > 20 && c.height > 20 {
                let aspect = c.width as f64 / c.height as f64;
                prop_assert!((aspect - 1200.0 / 630.0).abs() < 0.1, "aspect {aspect}");
            }
        }
    }
}
