//! Commenters' avatars, drawn here rather than fetched from Gravatar: asking a third
//! party for a picture would tell it who reads and comments on which article, and a
//! Gravatar URL carries an unsalted hash of the email address that anyone can match.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The side of the grid; only the left three columns are chosen, the rest mirror them,
/// because symmetric shapes read as faces and emblems rather than noise.
const GRID: u8 = 5;

/// An identicon as a standalone SVG: a 5×5 grid mirrored left to right in one colour on
/// a light tint of it, 48 pixels square, the same picture for the same seed every time.
///
/// The web layer passes an HMAC-SHA256 of the commenter's email under a site secret, so
/// the picture can neither be reversed to the address nor matched against another site.
/// The seed is hashed again here, so any seed (even an empty one) gives well-spread bits.
/// There is no `role` or title: it is shown through `<img alt="">`, beside the name.
pub fn identicon_svg(seed: &[u8]) -> String {
    let d = Sha256::digest(seed);
    let hue = u16::from_be_bytes([d[0], d[1]]) % 360;
    let saturation = 45 + u16::from(d[2] % 21);
    let paper = hsl_rgb(hue, 30, 95);
    // Yellows and greens are bright at any given lightness: darken until the shape has
    // the contrast WCAG asks of graphics (3:1) against its background.
    let mut lightness = 40 + u16::from(d[3] % 11);
    while lightness > 20 && contrast(hsl_rgb(hue, saturation, lightness), paper) < 3.0 {
        lightness -= 2;
    }
    let ink = hex(hsl_rgb(hue, saturation, lightness));
    let paper = hex(paper);

    let bits = u16::from_be_bytes([d[4], d[5]]);
    let half = GRID.div_ceil(2);
    let filled = |row: u8, col: u8| bits & (1 << (row * half + col)) != 0;
    // One seed in 32,768 chooses nothing; a blank square would look like a broken image.
    let empty = (0..GRID).all(|r| (0..half).all(|c| !filled(r, c)));

    let mut path = String::with_capacity(400);
    for row in 0..GRID {
        for col in 0..GRID {
            let source = col.min(GRID - 1 - col);
            let on = if empty {
                source == half - 1
            } else {
                filled(row, source)
            };
            if on {
                // Writing to a String cannot fail.
                let _ = write!(path, "M{col} {row}h1v1h-1z");
            }
        }
    }
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48" "#,
            r#"viewBox="-0.5 -0.5 6 6" shape-rendering="crispEdges">"#,
            r#"<rect x="-0.5" y="-0.5" width="6" height="6" fill="{paper}"/>"#,
            r#"<path fill="{ink}" d="{path}"/></svg>"#
        ),
        paper = paper,
        ink = ink,
        path = path
    )
}

/// An HSL colour (hue in degrees, saturation and lightness in percent) as sRGB.
fn hsl_rgb(hue: u16, saturation: u16, lightness: u16) -> [u8; 3] {
    let h = f32::from(hue % 360) / 60.0;
    let s = f32::from(saturation.min(100)) / 100.0;
    let l = f32::from(lightness.min(100)) / 100.0;
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u8 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let byte = |v: f32| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    [byte(r), byte(g), byte(b)]
}

/// `#rrggbb`, which every SVG renderer understands.
fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// WCAG's contrast ratio between two sRGB colours, from 1 (none) to 21.
fn contrast(a: [u8; 3], b: [u8; 3]) -> f32 {
    let luminance = |rgb: [u8; 3]| {
        let lin = |v: u8| {
            let v = f32::from(v) / 255.0;
            if v <= 0.040_45 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2])
    };
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The filled cells of an identicon, read back from its path.
    fn cells(svg: &str) -> HashSet<(u8, u8)> {
        let d = svg
            .split(" d=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a path");
        d.split('M')
            .filter(|s| !s.is_empty())
            .map(|cell| {
                let (xy, _) = cell.split_once('h').expect("a cell");
                let (x, y) = xy.split_once(' ').expect("x and y");
                (x.parse().expect("x"), y.parse().expect("y"))
            })
            .collect()
    }

    #[test]
    fn the_same_seed_draws_the_same_picture() {
        assert_eq!(identicon_svg(b"seed"), identicon_svg(b"seed"));
        assert_ne!(identicon_svg(b"seed"), identicon_svg(b"seed2"));
        let many: HashSet<String> = (0u32..200)
            .map(|i| identicon_svg(&i.to_be_bytes()))
            .collect();
        assert!(many.len() > 190, "{} distinct of 200", many.len());
    }

    #[test]
    fn it_is_a_standalone_svg() {
        for seed in [&b""[..], b"a", &[0xff; 64]] {
            let svg = identicon_svg(seed);
            assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg""#));
            assert!(svg.ends_with("</svg>"));
            assert!(svg.contains(r#"width="48" height="48""#));
            assert_eq!(svg.matches('<').count(), svg.matches('>').count());
            assert_eq!(svg.matches('"').count() % 2, 0);
            assert!(!svg.contains("script"));
        }
    }

    #[test]
    fn the_grid_is_mirrored_and_never_blank() {
        for i in 0u32..500 {
            let svg = identicon_svg(&i.to_le_bytes());
            let on = cells(&svg);
            assert!(!on.is_empty(), "seed {i} is blank");
            for &(x, y) in &on {
                assert!(x < GRID && y < GRID);
                assert!(
                    on.contains(&(GRID - 1 - x, y)),
                    "seed {i}: {x},{y} unmirrored"
                );
            }
        }
    }

    #[test]
    fn colours_are_converted_correctly() {
        let hsl = |h, s, l| hex(hsl_rgb(h, s, l));
        assert_eq!(hsl(0, 100, 50), "#ff0000");
        assert_eq!(hsl(120, 100, 50), "#00ff00");
        assert_eq!(hsl(240, 100, 50), "#0000ff");
        assert_eq!(hsl(0, 0, 100), "#ffffff");
        assert_eq!(hsl(359, 0, 0), "#000000");
        assert_eq!(hsl(60, 100, 25), "#808000");
        let ratio = contrast([0, 0, 0], [255, 255, 255]);
        assert!((ratio - 21.0).abs() < 0.01, "{ratio}");
    }

    #[test]
    fn the_shape_stands_out_from_its_background() {
        let rgb = |hex: &str| {
            let v = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex");
            [v(1), v(3), v(5)]
        };
        for i in 0u32..1000 {
            let svg = identicon_svg(&i.to_be_bytes());
            let colour = |attr: &str| {
                let at = svg.find(attr).expect("a fill") + attr.len();
                rgb(&svg[at..at + 7])
            };
            let paper = colour(r#"height="6" fill=""#);
            let ink = colour(r#"<path fill=""#);
            let ratio = contrast(ink, paper);
            assert!(ratio >= 3.0, "seed {i}: {ink:?} on {paper:?} is {ratio}");
        }
    }
}
