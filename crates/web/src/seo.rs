//! What search engines and social sites read in a page's head: absolute canonical
//! URLs, OpenGraph and Twitter tags, feed links, and the JSON-LD of an article
//! (`NewsArticle` or its opinion, analysis or sponsored kinds, and a `BreadcrumbList`).

use crate::AppState;
use crate::media::URL_PREFIX;
use crate::route::encode_segment;
use crate::sitemaps::{absolute, site_root, w3c};
use crate::views::{FeedLink, MetaView, SocialImage};
use masthead_core::ArticleLabel;
use masthead_media::{ImageMetadata, Manifest};
use masthead_store::{Article, MediaRecord};
use serde_json::{Value, json};

/// A URL made absolute against the site's address (left alone when it already is).
pub(crate) fn absolute_url(state: &AppState, url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        url.to_owned()
    } else if url.starts_with('/') {
        absolute(&site_root(state), url)
    } else {
        absolute(&site_root(state), &format!("/{url}"))
    }
}

/// Fills in the absolute `og:url` from the canonical link.
pub(crate) fn with_url(state: &AppState, mut meta: MetaView) -> MetaView {
    meta.url = meta.canonical.as_deref().map(|c| absolute_url(state, c));
    meta
}

/// The feeds of an archive at `base` (`/section/x/`): RSS, Atom and JSON Feed.
pub(crate) fn archive_feeds(name: &str, base: &str) -> Vec<FeedLink> {
    vec![
        FeedLink {
            title: format!("{name} — RSS"),
            href: format!("{base}feed/"),
            kind: "application/rss+xml",
        },
        FeedLink {
            title: format!("{name} — Atom"),
            href: format!("{base}feed/atom/"),
            kind: "application/atom+xml",
        },
        FeedLink {
            title: format!("{name} — JSON Feed"),
            href: format!("{base}feed/json/"),
            kind: "application/feed+json",
        },
    ]
}

/// JSON made safe inside a `<script>` element: `<`, `>` and `&` as `\u` escapes (the
/// same value to a JSON reader).
pub(crate) fn script_json(v: &Value) -> String {
    let text = serde_json::to_string(v).unwrap_or_else(|_| "{}".to_owned());
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The social-card image of a media-library record (its 1200×630 crop), with the
/// image's credit.
fn social_image(state: &AppState, r: &MediaRecord) -> Option<(SocialImage, String)> {
    let manifest: Manifest = serde_json::from_str(&r.manifest).ok()?;
    let meta: ImageMetadata = serde_json::from_str(&r.meta).unwrap_or_default();
    let social = &manifest.social;
    Some((
        SocialImage {
            url: absolute_url(state, &social.key.url(URL_PREFIX)),
            width: Some(social.width),
            height: Some(social.height),
            alt: meta.alt_attribute().to_owned(),
        },
        meta.credit,
    ))
}

/// The head of an article's page: OpenGraph article tags, the image, and JSON-LD.
/// `meta` already holds the title, description and canonical link.
pub(crate) fn article_meta(
    state: &AppState,
    a: &Article,
    media: Option<&MediaRecord>,
    logo: Option<&str>,
    mut meta: MetaView,
) -> MetaView {
    let settings = state.settings();
    let s = &a.summary;
    let page_url = s
        .path()
        .map(|p| absolute_url(state, &p))
        .or_else(|| meta.canonical.as_deref().map(|c| absolute_url(state, c)));
    meta.url = meta
        .canonical
        .as_deref()
        .map(|c| absolute_url(state, c))
        .or_else(|| page_url.clone());
    meta.og_type = "article";
    meta.published_time = s.published_at.map(w3c);
    meta.modified_time = Some(w3c(s.updated_at));
    meta.section = Some(s.section.name.clone());
    meta.tags = s.tags.iter().map(|t| t.name.clone()).collect();
    let (image, credit) = match media.and_then(|r| social_image(state, r)) {
        Some((image, credit)) => (Some(image), Some(credit).filter(|c| !c.is_empty())),
        None => (
            s.featured_image.as_deref().map(|url| SocialImage {
                url: absolute_url(state, url),
                width: None,
                height: None,
                alt: s.featured_image_alt.clone().unwrap_or_default(),
            }),
            None,
        ),
    };
    meta.image = image.clone();

    let kind: Value = match s.label {
        ArticleLabel::News => json!("NewsArticle"),
        ArticleLabel::Opinion => json!(["NewsArticle", "OpinionNewsArticle"]),
        ArticleLabel::Analysis => json!(["NewsArticle", "AnalysisNewsArticle"]),
        ArticleLabel::Sponsored => json!(["NewsArticle", "AdvertiserContentArticle"]),
    };
    let authors: Vec<Value> = s
        .authors
        .iter()
        .map(|p| {
            json!({
                "@type": "Person",
                "name": p.name,
                "url": absolute_url(state, &format!("/author/{}/", encode_segment(&p.slug))),
            })
        })
        .collect();
    let logo_url = logo
        .map(|l| absolute_url(state, l))
        .or_else(|| {
            state
                .0
                .theme
                .asset_url("favicon.svg")
                .map(|u| absolute_url(state, &u))
        })
        .unwrap_or_else(|| absolute_url(state, "/"));
    let mut article = json!({
        "@context": "https://schema.org",
        "@type": kind,
        "headline": s.title,
        "datePublished": s.published_at.map(w3c),
        "dateModified": w3c(s.updated_at),
        "author": authors,
        "publisher": {
            "@type": "Organization",
            "name": settings.title,
            "logo": {"@type": "ImageObject", "url": logo_url},
        },
        "articleSection": s.section.name,
    });
    if let Some(url) = &page_url {
        article["mainEntityOfPage"] = json!({"@type": "WebPage", "@id": url});
        article["url"] = json!(url);
    }
    if let Some(d) = &meta.description
        && !d.is_empty()
    {
        article["description"] = json!(d);
    }
    if !s.tags.is_empty() {
        let names: Vec<&str> = s.tags.iter().map(|t| t.name.as_str()).collect();
        article["keywords"] = json!(names.join(", "));
    }
    if !s.language.is_empty() {
        article["inLanguage"] = json!(s.language);
    }
    if let Some(img) = &image {
        let mut object = json!({"@type": "ImageObject", "url": img.url});
        if let (Some(w), Some(h)) = (img.width, img.height) {
            object["width"] = json!(w);
            object["height"] = json!(h);
        }
        if let Some(c) = &credit {
            object["creditText"] = json!(c);
            article["creditText"] = json!(c);
        }
        article["image"] = json!([object]);
    }
    let home = absolute_url(state, "/");
    let section_url = absolute_url(
        state,
        &format!("/section/{}/", encode_segment(&s.section.slug)),
    );
    let mut crumbs = vec![
        json!({"@type": "ListItem", "position": 1, "name": "Home", "item": home}),
        json!({"@type": "ListItem", "position": 2, "name": s.section.name, "item": section_url}),
    ];
    let mut last = json!({"@type": "ListItem", "position": 3, "name": s.title});
    if let Some(url) = &page_url {
        last["item"] = json!(url);
    }
    crumbs.push(last);
    let breadcrumbs = json!({
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": crumbs,
    });
    meta.json_ld = vec![script_json(&article), script_json(&breadcrumbs)];
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script() {
        let v = json!({"headline": "</script><b>&"});
        let text = script_json(&v);
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back, v);
    }
}
