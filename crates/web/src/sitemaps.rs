//! Sitemaps for search engines: `/sitemap.xml` (an index of monthly article sitemaps
//! and the sitemaps of sections, tags, bylines and pages), `/news-sitemap.xml` (Google
//! News: the last 48 hours) and `/robots.txt`.
//!
//! Article sitemaps are split by the month of first publication in UTC.

use crate::AppState;
use crate::route::encode_segment;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt::Write as _;

/// The most URLs one sitemap file may hold (the sitemaps.org protocol).
pub const MAX_URLS: i64 = 50_000;
/// The most URLs a Google News sitemap may hold.
pub const MAX_NEWS: i64 = 1_000;
/// Tags with fewer articles carry `noindex` on the site, so sitemaps leave them out.
const MIN_TAG_ARTICLES: i64 = 2;

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

/// Escapes text for XML content and attribute values.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A W3C datetime (`2024-05-01T10:00:00Z`).
pub(crate) fn w3c(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The site's address without a trailing slash.
pub(crate) fn site_root(state: &AppState) -> String {
    state.settings().site_url.trim_end_matches('/').to_owned()
}

/// An absolute URL for a site path, with anything outside printable ASCII percent-encoded.
pub(crate) fn absolute(root: &str, path: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'<')
        .add(b'>');
    format!(
        "{root}{}",
        percent_encoding::utf8_percent_encode(path, KEEP)
    )
}

fn xml(body: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/xml; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        body,
    )
        .into_response()
}

fn failed(e: impl std::fmt::Display) -> Response {
    tracing::error!("sitemap failed: {e}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CACHE_CONTROL, "no-store")],
        "The sitemap could not be made just now.\n",
    )
        .into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "No such sitemap.\n",
    )
        .into_response()
}

fn push_url(out: &mut String, loc: &str, lastmod: Option<DateTime<Utc>>) {
    let _ = write!(out, "<url><loc>{}</loc>", xml_escape(loc));
    if let Some(t) = lastmod {
        let _ = write!(out, "<lastmod>{}</lastmod>", w3c(t));
    }
    out.push_str("</url>\n");
}

fn urlset(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"{SITEMAP_NS}\">\n{body}</urlset>\n"
    )
}

/// The file names of one month's article sitemaps: one per 50,000 articles.
fn month_files(m: &masthead_store::SitemapMonth) -> Vec<String> {
    let parts = ((m.articles + MAX_URLS - 1) / MAX_URLS).max(1);
    (1..=parts)
        .map(|n| {
            if n == 1 {
                format!("articles-{:04}-{:02}.xml", m.year, m.month)
            } else {
                format!("articles-{:04}-{:02}-{n}.xml", m.year, m.month)
            }
        })
        .collect()
}

/// `/sitemap.xml`: the sitemap index.
pub(crate) async fn index(State(state): State<AppState>) -> Response {
    let store = state.store();
    let root = site_root(&state);
    let months = match store.sitemap_months().await {
        Ok(m) => m,
        Err(e) => return failed(e),
    };
    let mut entries: Vec<(String, Option<DateTime<Utc>>)> = Vec::new();
    for m in &months {
        for file in month_files(m) {
            entries.push((file, Some(m.updated_at)));
        }
    }
    let newest_article = months.iter().map(|m| m.updated_at).max();
    for (file, kind, min) in [
        ("sections.xml", "section", 1),
        ("tags.xml", "tag", MIN_TAG_ARTICLES),
        ("authors.xml", "author", 1),
    ] {
        match store.sitemap_terms(kind, min).await {
            Ok(terms) => {
                let lastmod = terms.iter().map(|t| t.published_at).max();
                entries.push((file.to_owned(), lastmod));
            }
            Err(e) => return failed(e),
        }
    }
    let pages_lastmod = match store.public_pages().await {
        Ok(pages) => pages
            .iter()
            .map(|p| p.updated_at)
            .chain(newest_article)
            .max(),
        Err(e) => return failed(e),
    };
    entries.push(("pages.xml".to_owned(), pages_lastmod));
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"{SITEMAP_NS}\">\n"
    );
    for (file, lastmod) in entries {
        let _ = write!(
            out,
            "<sitemap><loc>{}</loc>",
            xml_escape(&format!("{root}/sitemaps/{file}"))
        );
        if let Some(t) = lastmod {
            let _ = write!(out, "<lastmod>{}</lastmod>", w3c(t));
        }
        out.push_str("</sitemap>\n");
    }
    out.push_str("</sitemapindex>\n");
    xml(out)
}

/// `articles-YYYY-MM.xml` or `articles-YYYY-MM-N.xml` as (year, month, part).
fn parse_month_file(file: &str) -> Option<(i32, u32, i64)> {
    let rest = file.strip_prefix("articles-")?.strip_suffix(".xml")?;
    let mut parts = rest.split('-');
    let y = parts.next()?;
    let m = parts.next()?;
    let n = parts.next();
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 {
        return None;
    }
    if !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let part = match n {
        None => 1,
        Some(n) if !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()) => {
            n.parse().ok().filter(|&n: &i64| n >= 2)?
        }
        Some(_) => return None,
    };
    let month: u32 = m.parse().ok()?;
    (1..=12)
        .contains(&month)
        .then_some((y.parse().ok()?, month, part))
}

/// `/sitemaps/{file}`: one month of articles, or the sections, tags, authors or pages.
pub(crate) async fn file(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let store = state.store();
    let root = site_root(&state);
    let mut body = String::new();
    let term = match file.as_str() {
        "sections.xml" => Some(("section", "section", 1)),
        "tags.xml" => Some(("tag", "tag", MIN_TAG_ARTICLES)),
        "authors.xml" => Some(("author", "author", 1)),
        _ => None,
    };
    if let Some((kind, prefix, min)) = term {
        let terms = match store.sitemap_terms(kind, min).await {
            Ok(t) => t,
            Err(e) => return failed(e),
        };
        for t in terms {
            let path = format!("/{prefix}/{}/", encode_segment(&t.slug));
            push_url(&mut body, &absolute(&root, &path), Some(t.published_at));
        }
        return xml(urlset(&body));
    }
    if file == "pages.xml" {
        let months = match store.sitemap_months().await {
            Ok(m) => m,
            Err(e) => return failed(e),
        };
        let newest = months.iter().map(|m| m.updated_at).max();
        push_url(&mut body, &format!("{root}/"), newest);
        let pages = match store.public_pages().await {
            Ok(p) => p,
            Err(e) => return failed(e),
        };
        for p in pages {
            let path = format!("/{}/", encode_segment(&p.slug));
            push_url(&mut body, &absolute(&root, &path), Some(p.updated_at));
        }
        return xml(urlset(&body));
    }
    let Some((year, month, part)) = parse_month_file(&file) else {
        return not_found();
    };
    let articles = match store
        .sitemap_month(year, month, (part - 1) * MAX_URLS, MAX_URLS)
        .await
    {
        Ok(a) => a,
        Err(e) => return failed(e),
    };
    if articles.is_empty() && part > 1 {
        return not_found();
    }
    for a in articles {
        push_url(&mut body, &absolute(&root, &a.path), Some(a.updated_at));
    }
    xml(urlset(&body))
}

/// The site language as Google News wants it: ISO 639 (`en`, `pt`), or `zh-cn` / `zh-tw`.
pub(crate) fn news_language(language: &str) -> String {
    let lower = language.trim().to_ascii_lowercase().replace('_', "-");
    if lower == "zh-cn" || lower == "zh-tw" {
        return lower;
    }
    match lower.split('-').next() {
        Some(l) if (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()) => {
            l.to_owned()
        }
        _ => "en".to_owned(),
    }
}

/// `/news-sitemap.xml`: articles first published in the last 48 hours, newest first.
pub(crate) async fn news(State(state): State<AppState>) -> Response {
    let settings = state.settings();
    let root = site_root(&state);
    let since = state.now() - chrono::Duration::hours(48);
    let articles = match state.store().sitemap_news(since, MAX_NEWS).await {
        Ok(a) => a,
        Err(e) => return failed(e),
    };
    let name = xml_escape(&settings.title);
    let language = news_language(&settings.language);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"{SITEMAP_NS}\" xmlns:news=\"{NEWS_NS}\">\n"
    );
    for a in articles {
        let _ = writeln!(
            out,
            "<url><loc>{}</loc><news:news><news:publication><news:name>{name}</news:name><news:language>{language}</news:language></news:publication><news:publication_date>{}</news:publication_date><news:title>{}</news:title></news:news></url>",
            xml_escape(&absolute(&root, &a.path)),
            w3c(a.published_at),
            xml_escape(&a.title),
        );
    }
    out.push_str("</urlset>\n");
    xml(out)
}

/// `/robots.txt`: everything but the newsroom, previews and search, and where the
/// sitemaps are.
pub(crate) async fn robots(State(state): State<AppState>) -> Response {
    let root = site_root(&state);
    let body = format!(
        "User-agent: *\nAllow: /\nDisallow: /newsroom/\nDisallow: /preview/\nDisallow: /search\n\nSitemap: {root}/sitemap.xml\nSitemap: {root}/news-sitemap.xml\n"
    );
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_files_parse() {
        assert_eq!(parse_month_file("articles-2024-05.xml"), Some((2024, 5, 1)));
        assert_eq!(
            parse_month_file("articles-2024-05-2.xml"),
            Some((2024, 5, 2))
        );
        assert_eq!(parse_month_file("articles-2024-13.xml"), None);
        assert_eq!(parse_month_file("articles-2024-05-1.xml"), None);
        assert_eq!(parse_month_file("articles-2024-5.xml"), None);
    }

    #[test]
    fn languages() {
        assert_eq!(news_language("en-GB"), "en");
        assert_eq!(news_language("zh-CN"), "zh-cn");
        assert_eq!(news_language("pt_BR"), "pt");
    }

    #[test]
    fn escapes() {
        assert_eq!(xml_escape("A & B <c>"), "A &amp; B &lt;c&gt;");
    }
}
