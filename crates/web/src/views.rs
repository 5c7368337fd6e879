//! View models: the plain data templates see. Dates are formatted here, in the site's
//! timezone, so templates never do arithmetic.

use crate::route::encode_segment;
use crate::{AppState, SiteSettings};
use chrono::{DateTime, Datelike, Utc};
use masthead_core::ArticleLabel;
use masthead_core::paging;
use masthead_store::{Article, ArticleSummary, Correction, Page, Section, Term};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct DateView {
    /// RFC 3339 in the site's timezone, for `<time datetime>`.
    pub iso: String,
    pub display: String,
}

impl DateView {
    pub fn new(t: DateTime<Utc>, settings: &SiteSettings) -> Self {
        // The display format, parsed once rather than for every date on every page.
        static DISPLAY: std::sync::OnceLock<Vec<chrono::format::Item<'static>>> =
            std::sync::OnceLock::new();
        let items = DISPLAY.get_or_init(|| {
            chrono::format::StrftimeItems::new("%-d %B %Y, %H:%M %Z")
                .parse_to_owned()
                .unwrap_or_default()
        });
        let local = t.with_timezone(&settings.timezone);
        Self {
            iso: local.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            display: local.format_with_items(items.iter()).to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    pub name: String,
    pub slug: String,
    pub url: String,
}

impl LinkView {
    pub fn term(kind: &str, t: &Term) -> Self {
        Self {
            url: format!("/{kind}/{}/", encode_segment(&t.slug)),
            name: t.name.clone(),
            slug: t.slug.clone(),
        }
    }
}

/// An article as a card in a list.
#[derive(Debug, Clone, Serialize)]
pub struct CardView {
    pub id: i64,
    pub title: String,
    pub kicker: Option<String>,
    pub dek: Option<String>,
    pub url: String,
    pub teaser: String,
    pub published: DateView,
    pub section: LinkView,
    pub authors: Vec<LinkView>,
    /// The label readers see, when it is not plain news.
    pub label: Option<&'static str>,
    /// Paid content, always disclosed.
    pub sponsored: bool,
    /// Approved comments.
    pub comments: i64,
}

pub fn article_url(a: &ArticleSummary) -> String {
    match a.url_date {
        Some(d) => format!("/{}/{}/", d.format("%Y/%m/%d"), encode_segment(&a.slug)),
        None => "/".to_owned(),
    }
}

impl CardView {
    pub fn new(a: &ArticleSummary, settings: &SiteSettings) -> Self {
        Self {
            id: a.id,
            title: a.title.clone(),
            kicker: a.kicker.clone(),
            dek: a.dek.clone(),
            url: article_url(a),
            teaser: a.excerpt.clone(),
            published: DateView::new(a.published_at.unwrap_or(a.updated_at), settings),
            section: LinkView::term("section", &a.section),
            label: (a.label != ArticleLabel::News).then(|| a.label.display()),
            sponsored: a.label == ArticleLabel::Sponsored,
            comments: a.comment_count,
            authors: a
                .authors
                .iter()
                .map(|t| LinkView::term("author", t))
                .collect(),
        }
    }
}

/// A whole article for its page.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleView {
    #[serde(flatten)]
    pub card: CardView,
    pub body_html: String,
    pub updated: Option<DateView>,
    pub tags: Vec<LinkView>,
    pub sections: Vec<LinkView>,
    pub comments_open: bool,
    pub featured_image: Option<String>,
    pub featured_image_alt: String,
    /// Corrections and updates, oldest first.
    pub corrections: Vec<CorrectionView>,
    /// Where it was reported from.
    pub dateline: Option<String>,
    /// The featured image from the media library, with its renditions.
    pub image: Option<crate::media::ImageView>,
}

/// A correction or update as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CorrectionView {
    pub kind: &'static str,
    pub date: DateView,
    /// The day alone, as the note's heading says it ("28 November 2026").
    pub day: String,
    pub note: String,
}

impl ArticleView {
    /// Takes the article: its body, often the page's largest string, moves in uncopied.
    pub fn new(a: Article, corrections: &[Correction], settings: &SiteSettings) -> Self {
        let s = &a.summary;
        let published = s.published_at.unwrap_or(s.updated_at);
        // "Updated" only when it says something: a later day or a real revision.
        let updated = (s.updated_at - published > chrono::Duration::minutes(1))
            .then(|| DateView::new(s.updated_at, settings));
        Self {
            card: CardView::new(s, settings),
            body_html: a.body_html,
            updated,
            tags: s.tags.iter().map(|t| LinkView::term("tag", t)).collect(),
            sections: s
                .sections
                .iter()
                .map(|t| LinkView::term("section", t))
                .collect(),
            comments_open: s.comments_open,
            featured_image: s.featured_image.clone(),
            featured_image_alt: s.featured_image_alt.clone().unwrap_or_default(),
            dateline: a.dateline.clone(),
            image: None,
            corrections: corrections
                .iter()
                .map(|c| CorrectionView {
                    kind: c.kind.display(),
                    date: DateView::new(c.created_at, settings),
                    day: c
                        .created_at
                        .with_timezone(&settings.timezone)
                        .format("%-d %B %Y")
                        .to_string(),
                    note: c.note.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NavItem {
    pub name: String,
    pub url: String,
    pub current: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageLink {
    pub title: String,
    pub url: String,
}

/// The frame around every page: site name, navigation, footer.
#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    pub title: String,
    pub tagline: String,
    pub language: String,
    pub year: i32,
    pub nav: Vec<NavItem>,
    pub pages: Vec<PageLink>,
    /// "home", or the slug of the current top-level section.
    pub current: String,
    /// A breaking-news banner, while it is up.
    pub banner: Option<BannerView>,
    /// The logo from the media library, if the site has one.
    pub logo: Option<crate::media::ImageView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BannerView {
    pub text: String,
    pub url: Option<String>,
}

impl SiteView {
    pub fn new(
        state: &AppState,
        sections: &[Section],
        pages: &[Page],
        front: &masthead_core::front::FrontPage,
        current: &str,
    ) -> Self {
        let settings = state.settings();
        let settings = &*settings;
        let now = state
            .store()
            .clock()
            .now()
            .with_timezone(&settings.timezone);
        let banner = front
            .live_banner(now.with_timezone(&chrono::Utc))
            .map(|b| BannerView {
                text: b.text.clone(),
                url: b.url.clone(),
            });
        Self {
            banner,
            logo: None,
            title: settings.title.clone(),
            tagline: settings.tagline.clone(),
            language: settings.language.clone(),
            year: now.year(),
            nav: sections
                .iter()
                .filter(|s| s.parent_id.is_none())
                .take(settings.nav_sections)
                .map(|s| NavItem {
                    name: s.name.clone(),
                    url: format!("/section/{}/", encode_segment(&s.slug)),
                    current: s.slug == current,
                })
                .collect(),
            pages: pages
                .iter()
                .map(|p| PageLink {
                    title: p.title.clone(),
                    url: format!("/{}/", encode_segment(&p.slug)),
                })
                .collect(),
            current: current.to_owned(),
        }
    }
}

/// The document's head: title, description, canonical link, robots, rel prev/next.
#[derive(Debug, Clone, Serialize, Default)]
pub struct MetaView {
    pub title: Option<String>,
    pub description: Option<String>,
    pub canonical: Option<String>,
    pub noindex: bool,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// The canonical URL, absolute (`og:url`).
    pub url: Option<String>,
    /// `og:type`: `article` on articles; the head says `website` when empty.
    pub og_type: &'static str,
    /// W3C datetimes for `article:published_time` / `article:modified_time`.
    pub published_time: Option<String>,
    pub modified_time: Option<String>,
    /// `article:section` and one `article:tag` each.
    pub section: Option<String>,
    pub tags: Vec<String>,
    /// The social-card image (`og:image`, `twitter:image`).
    pub image: Option<SocialImage>,
    /// Feeds of this page's own archive, besides the site's.
    pub feeds: Vec<FeedLink>,
    /// JSON-LD blocks, already serialized and safe inside `<script>`.
    pub json_ld: Vec<String>,
}

/// An image for social cards: absolute URL, with its size when known.
#[derive(Debug, Clone, Serialize)]
pub struct SocialImage {
    pub url: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub alt: String,
}

/// A `<link rel="alternate">` to a feed.
#[derive(Debug, Clone, Serialize)]
pub struct FeedLink {
    pub title: String,
    pub href: String,
    pub kind: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageNumber {
    pub number: u32,
    pub url: String,
    pub current: bool,
    pub gap: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PagingView {
    pub pages: Vec<PageNumber>,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl PagingView {
    /// Numbered links for an archive whose first page lives at `base` (ending in `/`).
    pub fn new(base: &str, current: u32, page_count: u32) -> Self {
        Self::with_urls(current, page_count, |n: u32| {
            if n <= 1 {
                base.to_owned()
            } else {
                format!("{base}page/{n}/")
            }
        })
    }

    /// Numbered links whose addresses `url` makes (search pages carry the query).
    pub fn with_urls(current: u32, page_count: u32, url: impl Fn(u32) -> String) -> Self {
        Self {
            pages: paging::links(current, page_count)
                .into_iter()
                .map(|n| match n {
                    Some(n) => PageNumber {
                        number: n,
                        url: url(n),
                        current: n == current,
                        gap: false,
                    },
                    None => PageNumber {
                        number: 0,
                        url: String::new(),
                        current: false,
                        gap: true,
                    },
                })
                .collect(),
            prev: (current > 1).then(|| url(current - 1)),
            next: (current < page_count).then(|| url(current + 1)),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ArchiveView {
    pub label: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub total: i64,
    pub page: u32,
    pub page_count: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct SectionBlock {
    pub section: LinkView,
    pub articles: Vec<CardView>,
}
