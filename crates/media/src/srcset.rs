//! `srcset` and `sizes` attribute values, built from a stored `Manifest` so a page can be
//! rendered without touching the files.
//!
//! Markup the integrator writes (attribute values HTML-escaped by the template as usual):
//!
//! ```html
//! <picture>
//!   <source type="image/webp" srcset="{{ webp_srcset }}" sizes="{{ sizes }}">
//!   <img src="{{ largest.url }}" srcset="{{ srcset }}" sizes="{{ sizes }}"
//!        width="{{ largest.width }}" height="{{ largest.height }}" alt="{{ alt }}">
//! </picture>
//! ```

use crate::{Manifest, MediaKey, Rendition};

impl Manifest {
    /// `srcset` for `<img>`: the JPEG or PNG of every rendition, `"<url> <width>w, …"`.
    pub fn srcset(&self, url_prefix: &str) -> String {
        srcset(&self.responsive, url_prefix, |r| &r.key)
    }

    /// `srcset` for `<source type="image/webp">`: per width the smallest file, WebP where
    /// one was kept, so a browser taking this source never gets a bigger file. `None` when
    /// no rendition has a WebP; then leave the `<source>` out.
    pub fn webp_srcset(&self, url_prefix: &str) -> Option<String> {
        self.responsive
            .iter()
            .any(|r| r.webp_key.is_some())
            .then(|| srcset(&self.responsive, url_prefix, Rendition::smallest_key))
    }
}

fn srcset(
    renditions: &[Rendition],
    url_prefix: &str,
    key: impl Fn(&Rendition) -> &MediaKey,
) -> String {
    renditions
        .iter()
        .map(|r| format!("{} {}w", key(r).url(url_prefix), r.width))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `sizes` for an image that fills the viewport's width up to `column_px`, the width of
/// the content column: `"(max-width: 800px) 100vw, 800px"`.
pub fn sizes(column_px: u32) -> String {
    format!("(max-width: {column_px}px) 100vw, {column_px}px")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceFormat;

    fn rendition(width: u32, webp: bool) -> Rendition {
        let key = |ext| MediaKey::parse(&format!("ab/abc/w{width}.{ext}")).unwrap();
        Rendition {
            width,
            height: width / 2,
            key: key("jpg"),
            webp_key: webp.then(|| key("webp")),
        }
    }

    fn manifest(responsive: Vec<Rendition>) -> Manifest {
        Manifest {
            hash: "abc".into(),
            source_format: SourceFormat::Jpeg,
            width: 2000,
            height: 1000,
            responsive,
            social: rendition(1200, false),
        }
    }

    #[test]
    fn srcset_lists_every_width_with_its_url() {
        let m = manifest(vec![rendition(320, true), rendition(640, false)]);
        assert_eq!(
            m.srcset("/media/"),
            "/media/ab/abc/w320.jpg 320w, /media/ab/abc/w640.jpg 640w"
        );
        assert_eq!(
            m.webp_srcset("https://cdn.example/media").as_deref(),
            Some(
                "https://cdn.example/media/ab/abc/w320.webp 320w, https://cdn.example/media/ab/abc/w640.jpg 640w"
            )
        );
        assert_eq!(m.largest().map(|r| r.width), Some(640));
    }

    #[test]
    fn no_webp_means_no_webp_source() {
        let m = manifest(vec![rendition(320, false)]);
        assert_eq!(m.webp_srcset("/media"), None);
    }

    #[test]
    fn sizes_caps_at_the_column() {
        assert_eq!(sizes(800), "(max-width: 800px) 100vw, 800px");
    }
}
