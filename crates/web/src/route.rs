//! The public site's URL space, parsed by one pure function so every path a reader can
//! type has exactly one meaning, and malformed ones fail as 400 or 404, never 500.

use chrono::NaiveDate;
use masthead_core::paging::parse_page_number;
use percent_encoding::percent_decode_str;

/// A date archive's span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSpan {
    Year(i32),
    Month(i32, u32),
    Day(NaiveDate),
}

/// Which list an archive shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveKind {
    Latest,
    Section(String),
    Tag(String),
    Author(String),
    Date(DateSpan),
}

/// Which feed format: `feed/`, `feed/atom/` or `feed/json/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFormat {
    Rss,
    Atom,
    Json,
}

/// What a feed lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedScope {
    Site,
    Section(String),
    Tag(String),
    Author(String),
    /// An article's approved comments.
    Comments {
        date: NaiveDate,
        slug: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteRoute {
    Home,
    Archive {
        kind: ArchiveKind,
        page: u32,
    },
    Article {
        date: NaiveDate,
        slug: String,
    },
    Page {
        slug: String,
    },
    Feed {
        scope: FeedScope,
        format: FeedFormat,
    },
    /// The canonical form of the requested path (a missing trailing slash, `/page/1/`).
    Redirect(String),
    NotFound,
    BadRequest(&'static str),
}

/// The longest path segment we look at; longer ones cannot be ours.
const MAX_SEGMENT: usize = 400;

/// Parses a request path (still percent-encoded) into a route.
pub fn parse(raw_path: &str) -> SiteRoute {
    if raw_path == "/" {
        return SiteRoute::Home;
    }
    let trailing = raw_path.ends_with('/');
    let inner = raw_path.trim_start_matches('/');
    let inner = inner.strip_suffix('/').unwrap_or(inner);
    let mut segs: Vec<String> = Vec::new();
    for raw in inner.split('/') {
        if raw.is_empty() || raw.len() > MAX_SEGMENT * 3 {
            return SiteRoute::NotFound;
        }
        let Ok(seg) = percent_decode_str(raw).decode_utf8() else {
            return SiteRoute::BadRequest("The address is not valid UTF-8.");
        };
        if seg == "."
            || seg == ".."
            || seg.contains('/')
            || seg.chars().any(char::is_control)
            || seg.len() > MAX_SEGMENT
        {
            return SiteRoute::NotFound;
        }
        segs.push(seg.into_owned());
    }
    let route = route_segments(&segs);
    match route {
        SiteRoute::NotFound | SiteRoute::BadRequest(_) | SiteRoute::Redirect(_) => route,
        _ if !trailing => SiteRoute::Redirect(format!("{}/", raw_path)),
        _ => route,
    }
}

fn route_segments(segs: &[String]) -> SiteRoute {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    match s.as_slice() {
        ["feed", rest @ ..] => feed(FeedScope::Site, rest),
        [
            kind @ ("section" | "tag" | "author"),
            slug,
            "feed",
            rest @ ..,
        ] => feed(feed_scope(kind, slug), rest),
        [y, m, d, slug, "feed", rest @ ..] => match day(y, m, d) {
            Some(date) => feed(
                FeedScope::Comments {
                    date,
                    slug: (*slug).to_owned(),
                },
                rest,
            ),
            None => SiteRoute::NotFound,
        },
        ["page", n] => paged(ArchiveKind::Latest, n, "/"),
        [kind @ ("section" | "tag" | "author"), slug] => SiteRoute::Archive {
            kind: taxonomy(kind, slug),
            page: 1,
        },
        [kind @ ("section" | "tag" | "author"), slug, "page", n] => {
            let base = format!("/{kind}/{}/", encode_segment(slug));
            paged(taxonomy(kind, slug), n, &base)
        }
        [y] if is_year(y) => year(y).map_or(SiteRoute::NotFound, |y| SiteRoute::Archive {
            kind: ArchiveKind::Date(DateSpan::Year(y)),
            page: 1,
        }),
        [slug] if masthead_core::slug::is_reserved(slug) => SiteRoute::NotFound,
        [slug] => SiteRoute::Page {
            slug: (*slug).to_owned(),
        },
        [y, "page", n] if is_year(y) => match year(y) {
            Some(yv) => paged(ArchiveKind::Date(DateSpan::Year(yv)), n, &format!("/{y}/")),
            None => SiteRoute::NotFound,
        },
        [y, m] => match month(y, m) {
            Some((yv, mv)) => SiteRoute::Archive {
                kind: ArchiveKind::Date(DateSpan::Month(yv, mv)),
                page: 1,
            },
            None => SiteRoute::NotFound,
        },
        [y, m, "page", n] => match month(y, m) {
            Some((yv, mv)) => paged(
                ArchiveKind::Date(DateSpan::Month(yv, mv)),
                n,
                &format!("/{y}/{m}/"),
            ),
            None => SiteRoute::NotFound,
        },
        [y, m, d] => match day(y, m, d) {
            Some(date) => SiteRoute::Archive {
                kind: ArchiveKind::Date(DateSpan::Day(date)),
                page: 1,
            },
            None => SiteRoute::NotFound,
        },
        [y, m, d, "page", n] => match day(y, m, d) {
            Some(date) => paged(
                ArchiveKind::Date(DateSpan::Day(date)),
                n,
                &format!("/{y}/{m}/{d}/"),
            ),
            None => SiteRoute::NotFound,
        },
        [y, m, d, slug] => match day(y, m, d) {
            Some(date) => SiteRoute::Article {
                date,
                slug: (*slug).to_owned(),
            },
            None => SiteRoute::NotFound,
        },
        _ => SiteRoute::NotFound,
    }
}

fn taxonomy(kind: &str, slug: &str) -> ArchiveKind {
    match kind {
        "section" => ArchiveKind::Section(slug.to_owned()),
        "tag" => ArchiveKind::Tag(slug.to_owned()),
        _ => ArchiveKind::Author(slug.to_owned()),
    }
}

fn feed_scope(kind: &str, slug: &str) -> FeedScope {
    match kind {
        "section" => FeedScope::Section(slug.to_owned()),
        "tag" => FeedScope::Tag(slug.to_owned()),
        _ => FeedScope::Author(slug.to_owned()),
    }
}

/// `feed/`, `feed/atom/`, `feed/json/`; anything else under `feed/` is not ours.
fn feed(scope: FeedScope, rest: &[&str]) -> SiteRoute {
    let format = match rest {
        [] => FeedFormat::Rss,
        ["atom"] => FeedFormat::Atom,
        ["json"] => FeedFormat::Json,
        _ => return SiteRoute::NotFound,
    };
    SiteRoute::Feed { scope, format }
}

/// `…/page/1/` is the archive's first page under another name: send readers there.
fn paged(kind: ArchiveKind, n: &str, first_page: &str) -> SiteRoute {
    match parse_page_number(n) {
        Some(1) => SiteRoute::Redirect(first_page.to_owned()),
        Some(page) => SiteRoute::Archive { kind, page },
        None => SiteRoute::NotFound,
    }
}

fn is_year(s: &str) -> bool {
    s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())
}

fn year(s: &str) -> Option<i32> {
    let y: i32 = s.parse().ok()?;
    (1000..=9999).contains(&y).then_some(y)
}

fn two_digits(s: &str) -> Option<u32> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

fn month(y: &str, m: &str) -> Option<(i32, u32)> {
    if !is_year(y) {
        return None;
    }
    let (yv, mv) = (year(y)?, two_digits(m)?);
    NaiveDate::from_ymd_opt(yv, mv, 1).map(|_| (yv, mv))
}

fn day(y: &str, m: &str, d: &str) -> Option<NaiveDate> {
    let (yv, mv) = month(y, m)?;
    NaiveDate::from_ymd_opt(yv, mv, two_digits(d)?)
}

/// Percent-encodes one path segment for a link (non-ASCII slugs stay readable in the
/// address bar, but the HTML carries a valid URL either way).
pub fn encode_segment(s: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(kind: ArchiveKind, page: u32) -> SiteRoute {
        SiteRoute::Archive { kind, page }
    }

    #[test]
    fn the_sites_paths() {
        assert_eq!(parse("/"), SiteRoute::Home);
        assert_eq!(parse("/page/2/"), archive(ArchiveKind::Latest, 2));
        assert_eq!(
            parse("/section/politics/"),
            archive(ArchiveKind::Section("politics".into()), 1)
        );
        assert_eq!(
            parse("/tag/harbour-bridge/page/3/"),
            archive(ArchiveKind::Tag("harbour-bridge".into()), 3)
        );
        assert_eq!(
            parse("/author/maya-okafor/"),
            archive(ArchiveKind::Author("maya-okafor".into()), 1)
        );
        assert_eq!(
            parse("/2026/"),
            archive(ArchiveKind::Date(DateSpan::Year(2026)), 1)
        );
        assert_eq!(
            parse("/2026/page/2/"),
            archive(ArchiveKind::Date(DateSpan::Year(2026)), 2)
        );
        assert_eq!(
            parse("/2026/03/"),
            archive(ArchiveKind::Date(DateSpan::Month(2026, 3)), 1)
        );
        assert_eq!(
            parse("/2026/03/page/4/"),
            archive(ArchiveKind::Date(DateSpan::Month(2026, 3)), 4)
        );
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap_or_default();
        assert_eq!(
            parse("/2026/03/02/"),
            archive(ArchiveKind::Date(DateSpan::Day(d)), 1)
        );
        assert_eq!(
            parse("/2026/03/02/bridge-closes/"),
            SiteRoute::Article {
                date: d,
                slug: "bridge-closes".into()
            }
        );
        assert_eq!(
            parse("/about/"),
            SiteRoute::Page {
                slug: "about".into()
            }
        );
    }

    #[test]
    fn non_latin_slugs_are_decoded() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap_or_default();
        assert_eq!(
            parse("/2026/03/02/%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82/"),
            SiteRoute::Article {
                date: d,
                slug: "привет".into()
            }
        );
        assert_eq!(
            encode_segment("привет"),
            "%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82"
        );
    }

    #[test]
    fn canonical_forms_redirect() {
        assert_eq!(parse("/about"), SiteRoute::Redirect("/about/".into()));
        assert_eq!(
            parse("/section/politics/page/1/"),
            SiteRoute::Redirect("/section/politics/".into())
        );
        assert_eq!(parse("/page/1/"), SiteRoute::Redirect("/".into()));
    }

    #[test]
    fn feed_paths() {
        let feed = |scope, format| SiteRoute::Feed { scope, format };
        assert_eq!(parse("/feed/"), feed(FeedScope::Site, FeedFormat::Rss));
        assert_eq!(
            parse("/feed/atom/"),
            feed(FeedScope::Site, FeedFormat::Atom)
        );
        assert_eq!(
            parse("/feed/json/"),
            feed(FeedScope::Site, FeedFormat::Json)
        );
        assert_eq!(parse("/feed"), SiteRoute::Redirect("/feed/".into()));
        assert_eq!(
            parse("/section/city/feed/"),
            feed(FeedScope::Section("city".into()), FeedFormat::Rss)
        );
        assert_eq!(
            parse("/tag/harbour/feed/atom/"),
            feed(FeedScope::Tag("harbour".into()), FeedFormat::Atom)
        );
        assert_eq!(
            parse("/author/maya/feed/json/"),
            feed(FeedScope::Author("maya".into()), FeedFormat::Json)
        );
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap_or_default();
        assert_eq!(
            parse("/2026/03/02/bridge-closes/feed/"),
            feed(
                FeedScope::Comments {
                    date: d,
                    slug: "bridge-closes".into()
                },
                FeedFormat::Rss
            )
        );
        for p in [
            "/feed/rdf/",
            "/feed/atom/x/",
            "/section/city/feed/xml/",
            "/2026/13/02/x/feed/",
        ] {
            assert_eq!(parse(p), SiteRoute::NotFound, "{p}");
        }
    }

    #[test]
    fn bad_paths_are_404_or_400() {
        for p in [
            "/page/0/",
            "/page/02/",
            "/page/x/",
            "/page/99999999999/",
            "/2026/13/",
            "/2026/02/30/x/",
            "/2026/3/02/x/",
            "//",
            "/a//b/",
            "/../etc/passwd",
            "/%2e%2e/",
            "/a/b/c/d/e/f/",
            "/section/",
            "/0999/",
            "/section/x/page/-1/",
        ] {
            assert_eq!(parse(p), SiteRoute::NotFound, "{p}");
        }
        assert!(matches!(parse("/%ff%fe/"), SiteRoute::BadRequest(_)));
    }
}
