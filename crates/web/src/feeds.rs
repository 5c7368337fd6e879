//! Syndication feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site, each section,
//! tag and author, and a comments feed per article. Only published articles appear
//! (the store's public listing), every link is absolute, and an item's id is its
//! article's permanent address. The page cache gives feeds an ETag, 304s and gzip;
//! `Last-Modified` is the newest item's update time.

use crate::AppState;
use crate::cache::PageTags;
use crate::error::SiteError;
use crate::route::{FeedFormat, FeedScope, encode_segment};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use masthead_core::paging::PageRequest;
use masthead_render::comment as comment_text;
use masthead_store::{Article, ArticleFilter, ArticleLookup, TermKind};
use serde::Serialize;
use std::fmt::Write;

const JSON_FEED_VERSION: &str = "https://jsonfeed.org/version/1.1";
const GENERATOR: &str = "Masthead";

/// A featured image as an enclosure: absolute URL, size in bytes, media type.
struct Enclosure {
    url: String,
    length: u64,
    mime: &'static str,
}

struct Author {
    name: String,
    url: Option<String>,
}

struct Item {
    id: String,
    url: String,
    title: String,
    /// HTML: the full text or the excerpt.
    content_html: String,
    summary: Option<String>,
    published: DateTime<Utc>,
    updated: DateTime<Utc>,
    authors: Vec<Author>,
    categories: Vec<String>,
    enclosure: Option<Enclosure>,
}

struct Feed {
    title: String,
    description: String,
    language: String,
    /// The page the feed follows (absolute).
    home: String,
    /// The feed's own address without its format suffix (absolute, ends in `feed/`).
    base: String,
    items: Vec<Item>,
    /// The articles shown, for the page cache.
    articles: Vec<i64>,
    /// Newest change among the items.
    updated: Option<DateTime<Utc>>,
}

/// Answers a feed request.
pub(crate) async fn feed(
    state: &AppState,
    scope: FeedScope,
    format: FeedFormat,
    headers: &HeaderMap,
) -> Result<Response, SiteError> {
    let feed = match scope {
        FeedScope::Comments { date, slug } => {
            match comments_feed(state, date, &slug, format).await? {
                Ok(f) => f,
                Err(redirect) => return Ok(redirect),
            }
        }
        scope => match articles_feed(state, scope, format).await? {
            Ok(f) => f,
            Err(redirect) => return Ok(redirect),
        },
    };
    if let (Some(updated), Some(since)) = (feed.updated, if_modified_since(headers))
        && updated.timestamp() <= since.timestamp()
        && !headers.contains_key(header::IF_NONE_MATCH)
    {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(v) = HeaderValue::from_str(&http_date(updated)) {
            res.headers_mut().insert(header::LAST_MODIFIED, v);
        }
        return Ok(res);
    }
    let (body, content_type) = match format {
        FeedFormat::Rss => (rss(&feed), "application/rss+xml; charset=utf-8"),
        FeedFormat::Atom => (atom(&feed), "application/atom+xml; charset=utf-8"),
        FeedFormat::Json => (json(&feed)?, "application/feed+json; charset=utf-8"),
    };
    let mut res = (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, crate::edge::PUBLIC_PAGE),
        ],
        body,
    )
        .into_response();
    if let Some(updated) = feed.updated
        && let Ok(v) = HeaderValue::from_str(&http_date(updated))
    {
        res.headers_mut().insert(header::LAST_MODIFIED, v);
    }
    res.extensions_mut().insert(PageTags {
        articles: feed.articles,
        fresh_until: None,
    });
    Ok(res)
}

fn if_modified_since(headers: &HeaderMap) -> Option<DateTime<Utc>> {
    let v = headers.get(header::IF_MODIFIED_SINCE)?.to_str().ok()?;
    DateTime::parse_from_rfc2822(v.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub(crate) fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn suffix(format: FeedFormat) -> &'static str {
    match format {
        FeedFormat::Rss => "",
        FeedFormat::Atom => "atom/",
        FeedFormat::Json => "json/",
    }
}

fn absolute(state: &AppState, path: &str) -> String {
    format!(
        "{}{}",
        state.settings().site_url.trim_end_matches('/'),
        path
    )
}

fn moved(to: String) -> Response {
    match HeaderValue::from_str(&to) {
        Ok(v) => (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, v)]).into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// A term's feed whose slug no term has now: 301 to its new slug's feed, or 404.
async fn moved_term(
    state: &AppState,
    kind: TermKind,
    slug: &str,
    format: FeedFormat,
) -> Result<Response, SiteError> {
    let base = crate::site::renamed_term_path(state, kind, slug).await?;
    Ok(moved(format!("{base}feed/{}", suffix(format))))
}

async fn articles_feed(
    state: &AppState,
    scope: FeedScope,
    format: FeedFormat,
) -> Result<Result<Feed, Response>, SiteError> {
    let store = state.store();
    let settings = state.settings();
    let mut filter = ArticleFilter::default();
    let (title, description, home) = match &scope {
        FeedScope::Site | FeedScope::Comments { .. } => (
            settings.title.clone(),
            settings.tagline.clone(),
            "/".to_owned(),
        ),
        FeedScope::Section(slug) => {
            let Some(s) = store.section_by_slug(slug).await? else {
                return Ok(Err(
                    moved_term(state, TermKind::Section, slug, format).await?
                ));
            };
            filter.section_ids = store.section_with_descendants(s.id).await?;
            (
                format!("{}: {}", settings.title, s.name),
                s.description.clone(),
                format!("/section/{}/", encode_segment(slug)),
            )
        }
        FeedScope::Tag(slug) => {
            let Some(t) = store.tag_by_slug(slug).await? else {
                return Ok(Err(moved_term(state, TermKind::Tag, slug, format).await?));
            };
            filter.tag_id = Some(t.id);
            (
                format!("{}: {}", settings.title, t.name),
                String::new(),
                format!("/tag/{}/", encode_segment(slug)),
            )
        }
        FeedScope::Author(slug) => {
            let a = store
                .author_by_slug(slug)
                .await?
                .ok_or(SiteError::NotFound)?;
            filter.author_id = Some(a.id);
            (
                format!("{}: stories by {}", settings.title, a.name),
                a.bio.clone(),
                format!("/author/{}/", encode_segment(slug)),
            )
        }
    };
    let summaries = store
        .public_articles(&filter, PageRequest::new(1, settings.feed_items))
        .await?;
    let mut items = Vec::with_capacity(summaries.len());
    let mut articles = Vec::with_capacity(summaries.len());
    for s in summaries {
        let Some(a) = store.public_article_by_id(s.id).await? else {
            continue;
        };
        articles.push(a.summary.id);
        items.push(article_item(state, &a).await?);
    }
    let updated = items.iter().map(|i| i.updated).max();
    let description = if description.is_empty() {
        title.clone()
    } else {
        description
    };
    Ok(Ok(Feed {
        title,
        description,
        language: settings.language.clone(),
        base: absolute(state, &format!("{home}feed/")),
        home: absolute(state, &home),
        items,
        articles,
        updated,
    }))
}

fn author_link(state: &AppState, slug: &str) -> String {
    absolute(state, &format!("/author/{}/", encode_segment(slug)))
}

async fn article_item(state: &AppState, a: &Article) -> Result<Item, SiteError> {
    let s = &a.summary;
    let url = absolute(
        state,
        &crate::site::encode_path(&s.path().unwrap_or_default()),
    );
    let excerpt = comment_text::plain_text_to_html(&s.excerpt);
    let content_html = if state.settings().feed_full_text {
        a.body_html.clone()
    } else {
        excerpt.clone()
    };
    let mut categories: Vec<String> = s.sections.iter().map(|t| t.name.clone()).collect();
    categories.extend(s.tags.iter().map(|t| t.name.clone()));
    Ok(Item {
        id: url.clone(),
        url,
        title: s.title.clone(),
        content_html,
        summary: (!s.excerpt.is_empty()).then(|| s.excerpt.clone()),
        published: s.published_at.unwrap_or(s.updated_at),
        updated: s.updated_at,
        authors: s
            .authors
            .iter()
            .map(|t| Author {
                name: t.name.clone(),
                url: Some(author_link(state, &t.slug)),
            })
            .collect(),
        categories,
        enclosure: enclosure(state, a).await?,
    })
}

/// The featured image from the media library, at its largest rendition, with its size
/// in bytes; `None` without a library image or when its file cannot be read.
async fn enclosure(state: &AppState, a: &Article) -> Result<Option<Enclosure>, SiteError> {
    let Some(id) = a.featured_media_id else {
        return Ok(None);
    };
    let Some(record) = state.store().media(id).await? else {
        return Ok(None);
    };
    let Ok(manifest) = serde_json::from_str::<masthead_media::Manifest>(&record.manifest) else {
        return Ok(None);
    };
    let Some(largest) = manifest.largest() else {
        return Ok(None);
    };
    let Some(format) = largest.key.format() else {
        return Ok(None);
    };
    let length = match state.0.media.get(&largest.key).await {
        Ok(Some(bytes)) => bytes.len() as u64,
        Ok(None) => return Ok(None),
        Err(e) => {
            tracing::warn!("feed enclosure for media {id}: {e}");
            return Ok(None);
        }
    };
    Ok(Some(Enclosure {
        url: absolute(state, &largest.key.url(crate::media::URL_PREFIX)),
        length,
        mime: format.content_type(),
    }))
}

async fn comments_feed(
    state: &AppState,
    date: NaiveDate,
    slug: &str,
    format: FeedFormat,
) -> Result<Result<Feed, Response>, SiteError> {
    let store = state.store();
    let article = match store.public_article_at(date, slug).await? {
        ArticleLookup::Found(a) => a,
        ArticleLookup::Moved(path) => {
            return Ok(Err(moved(format!(
                "{}feed/{}",
                crate::site::encode_path(&path),
                suffix(format)
            ))));
        }
        ArticleLookup::Gone => return Err(SiteError::Gone),
        ArticleLookup::NotFound => return Err(SiteError::NotFound),
    };
    let s = &article.summary;
    let page = crate::site::encode_path(&s.path().unwrap_or_default());
    let mut comments = store.approved_comments(s.id).await?;
    comments.reverse();
    comments.truncate(state.settings().feed_items as usize);
    let items: Vec<Item> = comments
        .iter()
        .map(|c| {
            let link = absolute(state, &format!("{page}#comment-{}", c.id));
            let name = comment_text::clean_display(&c.author_name);
            let name = if name.trim().is_empty() {
                "Anonymous".to_owned()
            } else {
                name
            };
            Item {
                id: link.clone(),
                url: link,
                title: format!("Comment by {name}"),
                content_html: if c.body_format == "html" {
                    comment_text::imported_html(&c.body)
                } else {
                    comment_text::plain_text_to_html(&c.body)
                },
                summary: None,
                published: c.created_at,
                updated: c.created_at.max(c.status_changed_at),
                authors: vec![Author { name, url: None }],
                categories: Vec::new(),
                enclosure: None,
            }
        })
        .collect();
    let updated = items.iter().map(|i| i.updated).max();
    let title = format!("Comments on {}", s.title);
    Ok(Ok(Feed {
        description: title.clone(),
        title,
        language: s.language.clone(),
        base: absolute(state, &format!("{page}feed/")),
        home: absolute(state, &page),
        items,
        articles: vec![s.id],
        updated,
    }))
}

/// Escapes text for XML, dropping the characters XML 1.0 cannot carry.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn rss(f: &Feed) -> String {
    let mut o = String::with_capacity(4096);
    o.push_str(r#"<?xml version="1.0" encoding="utf-8"?>"#);
    o.push('\n');
    o.push_str(r#"<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">"#);
    o.push_str("\n<channel>\n");
    let _ = writeln!(o, "<title>{}</title>", esc(&f.title));
    let _ = writeln!(o, "<link>{}</link>", esc(&f.home));
    let _ = writeln!(o, "<description>{}</description>", esc(&f.description));
    if !f.language.is_empty() {
        let _ = writeln!(o, "<language>{}</language>", esc(&f.language));
    }
    let _ = writeln!(
        o,
        r#"<atom:link rel="self" type="application/rss+xml" href="{}"/>"#,
        esc(&f.base)
    );
    let _ = writeln!(o, "<generator>{GENERATOR}</generator>");
    if let Some(u) = f.updated {
        let _ = writeln!(o, "<lastBuildDate>{}</lastBuildDate>", u.to_rfc2822());
    }
    for i in &f.items {
        o.push_str("<item>\n");
        let _ = writeln!(o, "<title>{}</title>", esc(&i.title));
        let _ = writeln!(o, "<link>{}</link>", esc(&i.url));
        let _ = writeln!(o, r#"<guid isPermaLink="true">{}</guid>"#, esc(&i.id));
        let _ = writeln!(o, "<pubDate>{}</pubDate>", i.published.to_rfc2822());
        for a in &i.authors {
            let _ = writeln!(o, "<dc:creator>{}</dc:creator>", esc(&a.name));
        }
        for c in &i.categories {
            let _ = writeln!(o, "<category>{}</category>", esc(c));
        }
        let _ = writeln!(o, "<description>{}</description>", esc(&i.content_html));
        if let Some(e) = &i.enclosure {
            let _ = writeln!(
                o,
                r#"<enclosure url="{}" length="{}" type="{}"/>"#,
                esc(&e.url),
                e.length,
                e.mime
            );
        }
        o.push_str("</item>\n");
    }
    o.push_str("</channel>\n</rss>\n");
    o
}

fn atom(f: &Feed) -> String {
    let mut o = String::with_capacity(4096);
    o.push_str(r#"<?xml version="1.0" encoding="utf-8"?>"#);
    o.push('\n');
    if f.language.is_empty() {
        o.push_str(r#"<feed xmlns="http://www.w3.org/2005/Atom">"#);
    } else {
        let _ = write!(
            o,
            r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{}">"#,
            esc(&f.language)
        );
    }
    o.push('\n');
    let _ = writeln!(o, "<title>{}</title>", esc(&f.title));
    if f.description != f.title {
        let _ = writeln!(o, "<subtitle>{}</subtitle>", esc(&f.description));
    }
    let _ = writeln!(o, "<id>{}</id>", esc(&f.base));
    let updated = f.updated.unwrap_or(DateTime::UNIX_EPOCH);
    let _ = writeln!(o, "<updated>{}</updated>", updated.to_rfc3339());
    let _ = writeln!(
        o,
        r#"<link rel="alternate" type="text/html" href="{}"/>"#,
        esc(&f.home)
    );
    let _ = writeln!(
        o,
        r#"<link rel="self" type="application/atom+xml" href="{}atom/"/>"#,
        esc(&f.base)
    );
    // Entries without a byline inherit the publication as their author.
    let _ = writeln!(o, "<author><name>{}</name></author>", esc(&f.title));
    let _ = writeln!(o, "<generator>{GENERATOR}</generator>");
    for i in &f.items {
        o.push_str("<entry>\n");
        let _ = writeln!(o, "<title>{}</title>", esc(&i.title));
        let _ = writeln!(
            o,
            r#"<link rel="alternate" type="text/html" href="{}"/>"#,
            esc(&i.url)
        );
        let _ = writeln!(o, "<id>{}</id>", esc(&i.id));
        let _ = writeln!(o, "<published>{}</published>", i.published.to_rfc3339());
        let _ = writeln!(o, "<updated>{}</updated>", i.updated.to_rfc3339());
        for a in &i.authors {
            o.push_str("<author>");
            let _ = write!(o, "<name>{}</name>", esc(&a.name));
            if let Some(u) = &a.url {
                let _ = write!(o, "<uri>{}</uri>", esc(u));
            }
            o.push_str("</author>\n");
        }
        for c in &i.categories {
            let _ = writeln!(o, r#"<category term="{}"/>"#, esc(c));
        }
        if let Some(s) = &i.summary {
            let _ = writeln!(o, r#"<summary type="text">{}</summary>"#, esc(s));
        }
        let _ = writeln!(
            o,
            r#"<content type="html">{}</content>"#,
            esc(&i.content_html)
        );
        if let Some(e) = &i.enclosure {
            let _ = writeln!(
                o,
                r#"<link rel="enclosure" type="{}" length="{}" href="{}"/>"#,
                e.mime,
                e.length,
                esc(&e.url)
            );
        }
        o.push_str("</entry>\n");
    }
    o.push_str("</feed>\n");
    o
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: String,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonAttachment<'a> {
    url: &'a str,
    mime_type: &'a str,
    size_in_bytes: u64,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    content_html: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<JsonAttachment<'a>>,
}

fn json(f: &Feed) -> Result<String, SiteError> {
    let feed = JsonFeed {
        version: JSON_FEED_VERSION,
        title: &f.title,
        home_page_url: &f.home,
        feed_url: format!("{}json/", f.base),
        description: &f.description,
        language: (!f.language.is_empty()).then_some(f.language.as_str()),
        items: f
            .items
            .iter()
            .map(|i| JsonItem {
                id: &i.id,
                url: &i.url,
                title: &i.title,
                content_html: &i.content_html,
                summary: i.summary.as_deref(),
                image: i.enclosure.as_ref().map(|e| e.url.as_str()),
                date_published: i.published.to_rfc3339(),
                date_modified: i.updated.to_rfc3339(),
                authors: i
                    .authors
                    .iter()
                    .map(|a| JsonAuthor {
                        name: &a.name,
                        url: a.url.as_deref(),
                    })
                    .collect(),
                tags: i.categories.iter().map(String::as_str).collect(),
                attachments: i
                    .enclosure
                    .iter()
                    .map(|e| JsonAttachment {
                        url: &e.url,
                        mime_type: e.mime,
                        size_in_bytes: e.length,
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut out =
        serde_json::to_string_pretty(&feed).map_err(|e| SiteError::Internal(e.to_string()))?;
    out.push('\n');
    Ok(out)
}
