//! Plain records the store reads and writes.

use chrono::{DateTime, NaiveDate, Utc};
use masthead_core::{ArticleLabel, ArticleStatus, BodyFormat};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Section {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub parent_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Author {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub bio: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Tag {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// A section, tag or byline as an article carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Term {
    pub slug: String,
    pub name: String,
}

/// An article as lists show it: everything but the body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleSummary {
    pub id: i64,
    pub slug: String,
    pub url_date: Option<NaiveDate>,
    pub title: String,
    pub kicker: Option<String>,
    pub dek: Option<String>,
    pub excerpt: String,
    pub status: ArticleStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub featured: bool,
    pub comments_open: bool,
    pub comment_count: i64,
    pub language: String,
    pub featured_image: Option<String>,
    pub featured_image_alt: Option<String>,
    pub external_id: Option<String>,
    pub label: ArticleLabel,
    /// The primary section.
    pub section: Term,
    /// All sections, the primary first.
    pub sections: Vec<Term>,
    pub tags: Vec<Term>,
    /// Bylines in order.
    pub authors: Vec<Term>,
}

impl ArticleSummary {
    /// The public path, once the article has been published.
    pub fn path(&self) -> Option<String> {
        self.url_date
            .map(|d| masthead_core::article::article_path(d, &self.slug))
    }
}

/// A whole article: the summary plus its body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Article {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    pub body_format: BodyFormat,
    pub body_source: String,
    pub body_html: String,
    pub editor_excerpt: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Moves with every save: the ETag, and what an edit says it was based on.
    pub version: i64,
    /// The account that created it (WordPress's post author); `None` for imports.
    pub owner_id: Option<i64>,
    pub dateline: Option<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub canonical_url: Option<String>,
    pub noindex: bool,
    pub featured_media_id: Option<i64>,
    /// Whether [`crate::Store::corrections`] has anything for it.
    #[serde(skip)]
    pub has_corrections: bool,
}

/// An article to create, or to update when its external id is already stored.
/// The body arrives rendered: the store keeps what the renderer made.
#[derive(Debug, Clone, PartialEq)]
pub struct NewArticle {
    /// The id the article had where it came from (an import's GUID or line id).
    pub external_id: Option<String>,
    pub title: String,
    pub kicker: Option<String>,
    pub dek: Option<String>,
    /// A slug given by an editor or an import (already normalised); made from the
    /// title when absent.
    pub slug: Option<String>,
    pub body_format: BodyFormat,
    pub body_source: String,
    pub body_html: String,
    pub editor_excerpt: Option<String>,
    /// The excerpt to show: the editor's, or one derived from the body.
    pub excerpt: String,
    pub status: ArticleStatus,
    pub published_at: Option<DateTime<Utc>>,
    /// Defaults to now.
    pub updated_at: Option<DateTime<Utc>>,
    /// The primary section's name (created when missing).
    pub section: String,
    /// Other sections' names.
    pub other_sections: Vec<String>,
    pub tags: Vec<String>,
    /// Byline names, in order (created when missing).
    pub authors: Vec<String>,
    pub featured: bool,
    pub comments_open: bool,
    pub language: String,
    pub featured_image: Option<String>,
    pub featured_image_alt: Option<String>,
    pub label: ArticleLabel,
    /// Where the story was reported from ("NORTHBRIDGE").
    pub dateline: Option<String>,
    /// The title and description search engines show, when not the headline and dek.
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// The original's address, for a copy syndicated from elsewhere.
    pub canonical_url: Option<String>,
    /// Ask search engines not to index the page.
    pub noindex: bool,
    /// The featured image from the media library (wins over `featured_image`).
    pub featured_media_id: Option<i64>,
}

impl NewArticle {
    /// A published article with the usual defaults, for callers that fill in the rest.
    pub fn published(
        title: impl Into<String>,
        section: impl Into<String>,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            external_id: None,
            title: title.into(),
            kicker: None,
            dek: None,
            slug: None,
            body_format: BodyFormat::Markdown,
            body_source: String::new(),
            body_html: String::new(),
            editor_excerpt: None,
            excerpt: String::new(),
            status: ArticleStatus::Published,
            published_at: Some(at),
            updated_at: None,
            section: section.into(),
            other_sections: Vec::new(),
            tags: Vec::new(),
            authors: Vec::new(),
            featured: false,
            comments_open: true,
            language: "en".to_owned(),
            featured_image: None,
            featured_image_alt: None,
            label: ArticleLabel::News,
            dateline: None,
            seo_title: None,
            seo_description: None,
            canonical_url: None,
            noindex: false,
            featured_media_id: None,
        }
    }
}

/// What saving an article did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub id: i64,
    pub created: bool,
    /// The article's version after the save.
    pub version: i64,
}

/// A static page (About, Contact…), served at `/{slug}/`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Page {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub body_html: String,
    pub status: String,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPage {
    /// Already checked against the site's reserved paths.
    pub slug: String,
    pub title: String,
    pub body_format: BodyFormat,
    pub body_source: String,
    pub body_html: String,
    pub status: ArticleStatus,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSection {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub parent_slug: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAuthor {
    pub slug: String,
    pub name: String,
    pub bio: String,
}
