//! Slugs: the readable, unique words in a URL. Made from titles (transliterated to ASCII),
//! or given by an editor or an import (kept, even in a non-Latin script).

use std::borrow::Cow;

/// The longest slug we make from a title; longer titles are cut on a word boundary.
pub const MAX_GENERATED_LEN: usize = 80;
/// The longest slug we accept from anyone, in bytes.
pub const MAX_LEN: usize = 200;

/// Makes an ASCII slug from a title: "Café Müller" → `cafe-muller`, "Łódź" → `lodz`.
/// Returns an empty string when the title has nothing to make a slug from; the caller
/// then falls back to the id.
pub fn from_title(title: &str) -> String {
    // Only letters and digits are transliterated: symbols such as "£" would otherwise
    // turn into words ("PS") that the title never said.
    let ascii: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                Cow::Borrowed(deunicode::deunicode_char(c).unwrap_or(" "))
            } else {
                Cow::Owned(c.to_string())
            }
        })
        .collect();
    let mut out = String::with_capacity(ascii.len());
    let mut pending_dash = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c.to_ascii_lowercase());
        } else if c == '\'' || c == '\u{2019}' {
            // "Council's" → "councils", not "council-s".
        } else {
            pending_dash = true;
        }
    }
    cut_on_dash(out, MAX_GENERATED_LEN)
}

fn cut_on_dash(s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let head = &s[..max];
    match head.rfind('-') {
        Some(i) if i > max / 2 => head[..i].to_owned(),
        _ => head.trim_end_matches('-').to_owned(),
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SlugError {
    #[error("a slug cannot be empty")]
    Empty,
    #[error("a slug can be at most {MAX_LEN} bytes long")]
    TooLong,
    #[error("the slug \"{0}\" is used by the site itself; choose another")]
    Reserved(String),
}

/// Normalises a slug given by an editor or an import: lower case, spaces and punctuation
/// become dashes, letters of any script are kept ("привет-мир" stays as it is).
pub fn normalize_given(given: &str) -> Result<String, SlugError> {
    let mut out = String::with_capacity(given.len());
    let mut pending_dash = false;
    for c in given.trim().chars() {
        if c.is_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.extend(c.to_lowercase());
        } else {
            pending_dash = true;
        }
    }
    if out.is_empty() {
        return Err(SlugError::Empty);
    }
    if out.len() > MAX_LEN {
        return Err(SlugError::TooLong);
    }
    Ok(out)
}

/// Path words the site uses itself; a static page may not take them.
const RESERVED: &[&str] = &[
    "api",
    "author",
    "authors",
    "category",
    "comments",
    "feed",
    "healthz",
    "media",
    "metrics",
    "newsroom",
    "page",
    "readyz",
    "robots-txt",
    "search",
    "section",
    "static",
    "tag",
    "uploads",
    "wp-admin",
    "wp-content",
    "wp-json",
    "wp-login-php",
    "xmlrpc-php",
    "favicon-ico",
];

/// Whether a top-level slug (a static page's) would collide with the site's own paths:
/// the reserved words, anything starting with `sitemap`, and four-digit years.
pub fn is_reserved(slug: &str) -> bool {
    RESERVED.contains(&slug)
        || slug.starts_with("sitemap")
        || slug.starts_with("news-sitemap")
        || (slug.len() == 4 && slug.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks a static page's slug: normalised and not reserved.
pub fn check_page_slug(given: &str) -> Result<String, SlugError> {
    let slug = normalize_given(given)?;
    if is_reserved(&slug) {
        return Err(SlugError::Reserved(slug));
    }
    Ok(slug)
}

/// Words a section or tag slug may not be: the words that follow a slug in archive paths
/// (`…/page/N/`, and `…/feed/` on most sites), kept free so that such a path can never
/// also name a term (as it would the day sections nest in their URLs).
const TERM_RESERVED: &[&str] = &["page", "feed"];

/// Checks a section's or tag's slug: normalised and not one of the archive path words.
pub fn check_term_slug(given: &str) -> Result<String, SlugError> {
    let slug = normalize_given(given)?;
    if TERM_RESERVED.contains(&slug.as_str()) {
        return Err(SlugError::Reserved(slug));
    }
    Ok(slug)
}

/// The `n`th candidate for a slug that is already taken: `base`, `base-2`, `base-3`…
pub fn candidate(base: &str, n: u32) -> Cow<'_, str> {
    if n <= 1 {
        Cow::Borrowed(base)
    } else {
        Cow::Owned(format!("{base}-{n}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn titles_are_transliterated() {
        assert_eq!(from_title("Café Müller"), "cafe-muller");
        assert_eq!(from_title("Łódź"), "lodz");
        assert_eq!(
            from_title("  Council's £11.2m gap: what next?  "),
            "councils-11-2m-gap-what-next"
        );
        assert_eq!(from_title("???"), "");
        assert_eq!(from_title(""), "");
    }

    #[test]
    fn long_titles_are_cut_on_a_word_boundary() {
        let title = "word ".repeat(40);
        let slug = from_title(&title);
        assert!(slug.len() <= MAX_GENERATED_LEN);
        assert!(slug.ends_with("word"));
    }

    #[test]
    fn given_non_latin_slugs_are_kept() {
        assert_eq!(normalize_given("Привет мир").as_deref(), Ok("привет-мир"));
        assert_eq!(normalize_given("東京"), Ok("東京".to_owned()));
        assert_eq!(normalize_given(" -- "), Err(SlugError::Empty));
    }

    #[test]
    fn site_paths_are_reserved_for_pages() {
        for s in [
            "feed",
            "search",
            "section",
            "tag",
            "author",
            "page",
            "newsroom",
            "api",
            "static",
            "media",
            "sitemap-news",
            "2024",
        ] {
            assert!(
                matches!(check_page_slug(s), Err(SlugError::Reserved(_))),
                "{s}"
            );
        }
        assert_eq!(check_page_slug("About Us").as_deref(), Ok("about-us"));
        assert_eq!(check_page_slug("12345").as_deref(), Ok("12345"));
    }

    #[test]
    fn term_slugs_avoid_the_archive_path_words() {
        assert_eq!(
            check_term_slug(" Harbour Bridge ").as_deref(),
            Ok("harbour-bridge")
        );
        assert_eq!(check_term_slug("2024").as_deref(), Ok("2024"));
        for s in ["page", "Feed", " page "] {
            assert!(
                matches!(check_term_slug(s), Err(SlugError::Reserved(_))),
                "{s}"
            );
        }
        assert_eq!(check_term_slug("--"), Err(SlugError::Empty));
    }

    #[test]
    fn clashing_slugs_get_numbered() {
        assert_eq!(candidate("a", 1), "a");
        assert_eq!(candidate("a", 3), "a-3");
    }

    proptest! {
        #[test]
        fn generated_slugs_are_url_safe(title in "\\PC{0,200}") {
            let s = from_title(&title);
            prop_assert!(s.len() <= MAX_GENERATED_LEN);
            prop_assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            prop_assert!(!s.starts_with('-') && !s.ends_with('-') && !s.contains("--"));
        }
    }
}
