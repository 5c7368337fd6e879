//! `masthead export wxr`: the whole site as WordPress eXtended RSS 1.2, the file
//! WordPress's own exporter writes and its importer (and ours) reads.
//!
//! Everything is exported whatever its status: articles (`post`), static pages (`page`)
//! and media records (`attachment`), with the sections (`wp:category`, parents first),
//! tags (`wp:tag`), bylines (`wp:author`) and the approved and held comments (never spam
//! or trash). The site is read in keyset batches and written as it is read, so memory
//! holds one batch of articles and their comments at a time (plus the sections, which
//! are few and must be ordered parents first).
//!
//! # Format decisions
//!
//! - **Post ids** share one space in WordPress. Articles keep their id; a page's
//!   `wp:post_id` is `A + page id` and an attachment's `A + P + media id`, where `A` is
//!   the highest article id and `P` the highest page id at export time (see [`WxrIds`]).
//!   `_thumbnail_id` names the featured image's attachment by that number.
//! - **Term ids** share one space too: sections keep their id, a tag's `wp:term_id` is
//!   `S + tag id` (`S` the highest section id). Bylines are `wp:author`s with their own
//!   ids, `author_login` the byline's slug and no email (bylines have none; a byline's
//!   bio has no place in WXR and is not written).
//! - **Bylines**: the first is the item's `dc:creator`; every further byline is written
//!   as `<category domain="author" nicename="{slug}">{name}</category>` (the taxonomy
//!   Co-Authors Plus uses), in order.
//! - **guid** (`isPermaLink="false"`): the article's external id when it has one (the
//!   guid it was imported with), else `{site_url}/?p={post_id}`; pages use
//!   `{site_url}/?page_id={post_id}`, attachments their file's URL.
//! - **link**: the canonical URL (`{site_url}/YYYY/MM/DD/slug/` once published, else
//!   `{site_url}/?p={id}`; `{site_url}/{slug}/` for pages). Non-ASCII characters of
//!   slugs are percent-encoded (lower-case hex) in links, `wp:post_name` and term
//!   nicenames, as WordPress stores them.
//! - **Dates**: `wp:post_date` and `wp:post_modified` are site-local (the store's
//!   timezone), the `_gmt` ones UTC, as `YYYY-MM-DD HH:MM:SS`. An item without a
//!   publication time (a draft) gets its creation time as `post_date`, the zero date
//!   `0000-00-00 00:00:00` as `post_date_gmt` and WordPress's
//!   `Mon, 30 Nov -0001 00:00:00 +0000` as `pubDate`.
//! - **Statuses**: published → `publish`, scheduled → `future`; draft, pending, private
//!   and trash keep their names. Attachments are `inherit`.
//! - **Bodies**: `content:encoded` is the body's source when it is HTML, else the
//!   rendered HTML; `excerpt:encoded` the editor's excerpt; `description` the dek.
//!   Other Masthead fields without a WordPress home go to `_masthead_*` postmeta
//!   (kicker, dek, label, language, dateline, SEO title and description, canonical URL,
//!   noindex, a featured image given as a URL).
//! - **Comments**: `comment_approved` is `1` (approved) or `0` (held);
//!   `comment_type` is empty for comments, else `pingback` / `trackback`; a comment
//!   whose parent is not exported (spam, trash) becomes top-level (`comment_parent` 0);
//!   `comment_user_id` is the byline of the staff account that wrote it, else 0. Plain
//!   text comments are HTML-escaped (`&`, `<`, `>`), as WordPress keeps comment text.
//! - **Text**: every value WordPress writes in CDATA is in CDATA, `]]>` split as
//!   `]]]]><![CDATA[>`; other text and attributes are escaped. Characters XML 1.0
//!   forbids (most C0 controls, U+FFFE, U+FFFF) are removed.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use masthead_core::{ArticleStatus, BodyFormat};
use masthead_store::{
    Article, ExportComment, ExportExtent, ExportPage, MediaRecord, Section, Store, StoreError,
};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::io::{BufWriter, Write};
use std::time::{Duration, Instant};

/// How many rows each read fetches.
const BATCH: i64 = 200;

/// The setting keys the server keeps the site's title and tagline under.
const TITLE_SETTING: &str = "site.title";
const TAGLINE_SETTING: &str = "site.tagline";

/// What `pubDate` says for an item never published (WordPress's own value).
const NO_PUB_DATE: &str = "Mon, 30 Nov -0001 00:00:00 +0000";
/// WordPress's zero date, for `post_date_gmt` of drafts.
const ZERO_DATE: &str = "0000-00-00 00:00:00";

/// How to export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// The site's address, e.g. `https://example.com` (a trailing slash is dropped).
    pub site_url: String,
    /// The channel's title; the `site.title` setting (else "Masthead") when `None`.
    pub title: Option<String>,
    /// The channel's description; the `site.tagline` setting when `None`.
    pub description: Option<String>,
    /// The channel's language; `en` when `None`.
    pub language: Option<String>,
}

impl ExportOptions {
    pub fn new(site_url: impl Into<String>) -> Self {
        Self {
            site_url: site_url.into(),
            ..Self::default()
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportReport {
    pub articles: u64,
    pub pages: u64,
    pub attachments: u64,
    /// Comments, pingbacks and trackbacks.
    pub comments: u64,
    pub sections: u64,
    pub tags: u64,
    pub authors: u64,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write the export: {0}")]
    Write(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How store ids become WXR ids (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WxrIds {
    page_offset: i64,
    attachment_offset: i64,
    tag_offset: i64,
}

impl WxrIds {
    pub fn new(extent: &ExportExtent) -> Self {
        Self {
            page_offset: extent.max_article_id,
            attachment_offset: extent.max_article_id + extent.max_page_id,
            tag_offset: extent.max_section_id,
        }
    }

    pub fn article(&self, id: i64) -> i64 {
        id
    }

    pub fn page(&self, id: i64) -> i64 {
        self.page_offset + id
    }

    pub fn attachment(&self, media_id: i64) -> i64 {
        self.attachment_offset + media_id
    }

    pub fn section(&self, id: i64) -> i64 {
        id
    }

    pub fn tag(&self, id: i64) -> i64 {
        self.tag_offset + id
    }
}

/// Writes the whole site to `out` as WXR 1.2.
pub async fn export_wxr(
    store: &Store,
    out: impl Write,
    opts: &ExportOptions,
) -> Result<ExportReport, ExportError> {
    let started = Instant::now();
    let mut report = ExportReport::default();
    let site = opts.site_url.trim().trim_end_matches('/').to_owned();
    let tz = store.timezone();
    let ids = WxrIds::new(&store.export_extent().await?);
    let title = match &opts.title {
        Some(t) => t.clone(),
        None => store
            .setting(TITLE_SETTING)
            .await?
            .unwrap_or_else(|| "Masthead".to_owned()),
    };
    let description = match &opts.description {
        Some(d) => d.clone(),
        None => store.setting(TAGLINE_SETTING).await?.unwrap_or_default(),
    };
    let language = opts.language.clone().unwrap_or_else(|| "en".to_owned());

    let mut x = Xml {
        w: BufWriter::new(out),
    };
    x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n")?;
    x.raw(
        "<!-- This is a WordPress eXtended RSS file generated by Masthead as an export of the site. -->\n\
         <!-- It contains information about the site's articles, pages, comments, sections, tags and bylines. -->\n\
         <rss version=\"2.0\"\n\
         \txmlns:excerpt=\"http://wordpress.org/export/1.2/excerpt/\"\n\
         \txmlns:content=\"http://purl.org/rss/1.0/modules/content/\"\n\
         \txmlns:wfw=\"http://wellformedweb.org/CommentAPI/\"\n\
         \txmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n\
         \txmlns:wp=\"http://wordpress.org/export/1.2/\"\n\
         >\n\n<channel>\n",
    )?;
    x.text_el(1, "title", &title)?;
    x.text_el(1, "link", &site)?;
    x.text_el(1, "description", &description)?;
    x.text_el(1, "pubDate", &rfc2822(store.clock().now()))?;
    x.text_el(1, "language", &language)?;
    x.text_el(1, "wp:wxr_version", "1.2")?;
    x.text_el(1, "wp:base_site_url", &site)?;
    x.text_el(1, "wp:base_blog_url", &site)?;
    x.raw("\n")?;

    // Bylines.
    let mut after = 0;
    loop {
        let batch = store.export_authors(after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for a in &batch {
            x.raw("\t<wp:author>\n")?;
            x.text_el(2, "wp:author_id", &a.id.to_string())?;
            x.cdata_el(2, "wp:author_login", &a.slug)?;
            x.cdata_el(2, "wp:author_email", "")?;
            x.cdata_el(2, "wp:author_display_name", &a.name)?;
            x.cdata_el(2, "wp:author_first_name", "")?;
            x.cdata_el(2, "wp:author_last_name", "")?;
            x.raw("\t</wp:author>\n")?;
            report.authors += 1;
        }
    }
    x.raw("\n")?;

    // Sections, parents before their children (WordPress's importer looks a parent up
    // when it creates the child).
    let mut sections = Vec::new();
    let mut after = 0;
    loop {
        let batch = store.export_sections(after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        sections.extend(batch);
    }
    let slugs: BTreeMap<i64, String> = sections.iter().map(|s| (s.id, s.slug.clone())).collect();
    for s in parents_first(&sections) {
        let parent = s
            .parent_id
            .and_then(|p| slugs.get(&p))
            .map(|p| percent_encode(p))
            .unwrap_or_default();
        x.raw("\t<wp:category>\n")?;
        x.text_el(2, "wp:term_id", &ids.section(s.id).to_string())?;
        x.cdata_el(2, "wp:category_nicename", &percent_encode(&s.slug))?;
        x.cdata_el(2, "wp:category_parent", &parent)?;
        x.cdata_el(2, "wp:cat_name", &s.name)?;
        x.cdata_el(2, "wp:category_description", &s.description)?;
        x.raw("\t</wp:category>\n")?;
        report.sections += 1;
    }
    drop(slugs);
    drop(sections);

    // Tags.
    let mut after = 0;
    loop {
        let batch = store.export_tags(after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for t in &batch {
            x.raw("\t<wp:tag>\n")?;
            x.text_el(2, "wp:term_id", &ids.tag(t.id).to_string())?;
            x.cdata_el(2, "wp:tag_slug", &percent_encode(&t.slug))?;
            x.cdata_el(2, "wp:tag_name", &t.name)?;
            x.raw("\t</wp:tag>\n")?;
            report.tags += 1;
        }
    }
    x.raw("\n\t<generator>Masthead</generator>\n\n")?;

    let ctx = Ctx {
        site: &site,
        tz,
        ids,
    };

    // Articles, each with its comments.
    let mut after = 0;
    loop {
        let batch = store.export_articles(after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.summary.id;
        let article_ids: Vec<i64> = batch.iter().map(|a| a.summary.id).collect();
        let comments = store.export_comments(&article_ids).await?;
        let mut rest = comments.as_slice();
        for a in &batch {
            // Both are ordered by article id.
            let start = rest
                .iter()
                .position(|c| c.comment.article_id >= a.summary.id)
                .unwrap_or(rest.len());
            rest = &rest[start..];
            let end = rest
                .iter()
                .position(|c| c.comment.article_id != a.summary.id)
                .unwrap_or(rest.len());
            let (mine, later) = rest.split_at(end);
            rest = later;
            write_article(&mut x, &ctx, a, mine)?;
            report.articles += 1;
            report.comments += mine.len() as u64;
        }
    }

    // Static pages.
    let mut after = 0;
    loop {
        let batch = store.export_pages(after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.page.id;
        for p in &batch {
            write_page(&mut x, &ctx, p)?;
            report.pages += 1;
        }
    }

    // Media.
    let mut after = 0;
    loop {
        let batch = store.export_media(after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for m in &batch {
            write_attachment(&mut x, &ctx, m)?;
            report.attachments += 1;
        }
    }

    x.raw("</channel>\n</rss>\n")?;
    x.w.flush()?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// What every item needs to know.
struct Ctx<'a> {
    site: &'a str,
    tz: Tz,
    ids: WxrIds,
}

impl Ctx<'_> {
    fn local(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.tz)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    }
}

fn gmt(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// RFC 2822 in UTC, the day zero-padded as WordPress writes it.
fn rfc2822(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

fn pub_date(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| NO_PUB_DATE.to_owned(), rfc2822)
}

/// WordPress's `post_status` for one of ours.
pub fn wp_status(status: ArticleStatus) -> &'static str {
    match status {
        ArticleStatus::Published => "publish",
        ArticleStatus::Scheduled => "future",
        ArticleStatus::Draft => "draft",
        ArticleStatus::Pending => "pending",
        ArticleStatus::Private => "private",
        ArticleStatus::Trash => "trash",
    }
}

/// The fields every item has, in WordPress's order.
struct ItemHead<'a> {
    title: &'a str,
    link: &'a str,
    pub_date: Option<DateTime<Utc>>,
    creator: &'a str,
    guid: &'a str,
    description: &'a str,
    content: &'a str,
    excerpt: &'a str,
    post_id: i64,
    /// The publication time, if any; else `created` stands in for the local date.
    published: Option<DateTime<Utc>>,
    created: DateTime<Utc>,
    modified: DateTime<Utc>,
    comment_status: &'a str,
    post_name: &'a str,
    status: &'a str,
    post_type: &'a str,
    sticky: bool,
}

fn write_head(x: &mut Xml<impl Write>, ctx: &Ctx<'_>, h: &ItemHead<'_>) -> std::io::Result<()> {
    x.raw("\t<item>\n")?;
    x.cdata_el(2, "title", h.title)?;
    x.text_el(2, "link", h.link)?;
    x.text_el(2, "pubDate", &pub_date(h.pub_date))?;
    x.cdata_el(2, "dc:creator", h.creator)?;
    x.raw("\t\t<guid isPermaLink=\"false\">")?;
    x.escaped(h.guid)?;
    x.raw("</guid>\n")?;
    x.cdata_el(2, "description", h.description)?;
    x.cdata_el(2, "content:encoded", h.content)?;
    x.cdata_el(2, "excerpt:encoded", h.excerpt)?;
    x.text_el(2, "wp:post_id", &h.post_id.to_string())?;
    x.cdata_el(
        2,
        "wp:post_date",
        &ctx.local(h.published.unwrap_or(h.created)),
    )?;
    x.cdata_el(
        2,
        "wp:post_date_gmt",
        &h.published.map_or_else(|| ZERO_DATE.to_owned(), gmt),
    )?;
    x.cdata_el(2, "wp:post_modified", &ctx.local(h.modified))?;
    x.cdata_el(2, "wp:post_modified_gmt", &gmt(h.modified))?;
    x.cdata_el(2, "wp:comment_status", h.comment_status)?;
    x.cdata_el(2, "wp:ping_status", "closed")?;
    x.cdata_el(2, "wp:post_name", &percent_encode(h.post_name))?;
    x.cdata_el(2, "wp:status", h.status)?;
    x.text_el(2, "wp:post_parent", "0")?;
    x.text_el(2, "wp:menu_order", "0")?;
    x.cdata_el(2, "wp:post_type", h.post_type)?;
    x.cdata_el(2, "wp:post_password", "")?;
    x.text_el(2, "wp:is_sticky", if h.sticky { "1" } else { "0" })?;
    Ok(())
}

fn write_article(
    x: &mut Xml<impl Write>,
    ctx: &Ctx<'_>,
    a: &Article,
    comments: &[ExportComment],
) -> std::io::Result<()> {
    let s = &a.summary;
    let post_id = ctx.ids.article(s.id);
    let link = match s.path() {
        Some(path) => format!("{}{}", ctx.site, percent_encode(&path)),
        None => format!("{}/?p={post_id}", ctx.site),
    };
    let guid = match &s.external_id {
        Some(ext) if !ext.trim().is_empty() => ext.clone(),
        _ => format!("{}/?p={post_id}", ctx.site),
    };
    let content = if a.body_format == BodyFormat::Html {
        &a.body_source
    } else {
        &a.body_html
    };
    write_head(
        x,
        ctx,
        &ItemHead {
            title: &s.title,
            link: &link,
            pub_date: s.published_at,
            creator: s.authors.first().map_or("", |t| t.slug.as_str()),
            guid: &guid,
            description: s.dek.as_deref().unwrap_or_default(),
            content,
            excerpt: a.editor_excerpt.as_deref().unwrap_or_default(),
            post_id,
            published: s.published_at,
            created: a.created_at,
            modified: s.updated_at,
            comment_status: if s.comments_open { "open" } else { "closed" },
            post_name: &s.slug,
            status: wp_status(s.status),
            post_type: "post",
            sticky: s.featured,
        },
    )?;
    for t in &s.sections {
        x.term(2, "category", &t.slug, &t.name)?;
    }
    for t in &s.tags {
        x.term(2, "post_tag", &t.slug, &t.name)?;
    }
    for t in s.authors.iter().skip(1) {
        x.term(2, "author", &t.slug, &t.name)?;
    }
    if let Some(media) = a.featured_media_id {
        x.meta("_thumbnail_id", &ctx.ids.attachment(media).to_string())?;
    } else {
        if let Some(url) = &s.featured_image {
            x.meta("_masthead_featured_image", url)?;
        }
        if let Some(alt) = &s.featured_image_alt {
            x.meta("_masthead_featured_image_alt", alt)?;
        }
    }
    let optional = [
        ("_masthead_kicker", s.kicker.as_deref()),
        ("_masthead_dek", s.dek.as_deref()),
        ("_masthead_dateline", a.dateline.as_deref()),
        ("_masthead_seo_title", a.seo_title.as_deref()),
        ("_masthead_seo_description", a.seo_description.as_deref()),
        ("_masthead_canonical_url", a.canonical_url.as_deref()),
    ];
    for (key, value) in optional {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            x.meta(key, v)?;
        }
    }
    x.meta("_masthead_label", s.label.as_str())?;
    x.meta("_masthead_language", &s.language)?;
    if a.noindex {
        x.meta("_masthead_noindex", "1")?;
    }
    let exported: HashSet<i64> = comments.iter().map(|c| c.comment.id).collect();
    for c in comments {
        write_comment(x, ctx, c, &exported)?;
    }
    x.raw("\t</item>\n")
}

fn write_comment(
    x: &mut Xml<impl Write>,
    ctx: &Ctx<'_>,
    ec: &ExportComment,
    exported: &HashSet<i64>,
) -> std::io::Result<()> {
    let c = &ec.comment;
    let parent = c.parent_id.filter(|p| exported.contains(p)).unwrap_or(0);
    let content: Cow<'_, str> = if c.body_format == "html" {
        Cow::Borrowed(&c.body)
    } else {
        escape_html(&c.body)
    };
    let approved = match c.status {
        masthead_core::comment::CommentStatus::Approved => "1",
        _ => "0",
    };
    let kind = if c.kind == "comment" { "" } else { &c.kind };
    x.raw("\t\t<wp:comment>\n")?;
    x.text_el(3, "wp:comment_id", &c.id.to_string())?;
    x.cdata_el(3, "wp:comment_author", &c.author_name)?;
    x.cdata_el(3, "wp:comment_author_email", &c.author_email)?;
    x.text_el(3, "wp:comment_author_url", &c.author_url)?;
    x.cdata_el(3, "wp:comment_author_IP", &c.client_ip)?;
    x.cdata_el(3, "wp:comment_date", &ctx.local(c.created_at))?;
    x.cdata_el(3, "wp:comment_date_gmt", &gmt(c.created_at))?;
    x.cdata_el(3, "wp:comment_content", &content)?;
    x.cdata_el(3, "wp:comment_approved", approved)?;
    x.cdata_el(3, "wp:comment_type", kind)?;
    x.text_el(3, "wp:comment_parent", &parent.to_string())?;
    x.text_el(
        3,
        "wp:comment_user_id",
        &ec.byline_id.unwrap_or(0).to_string(),
    )?;
    x.raw("\t\t</wp:comment>\n")
}

fn write_page(x: &mut Xml<impl Write>, ctx: &Ctx<'_>, p: &ExportPage) -> std::io::Result<()> {
    let post_id = ctx.ids.page(p.page.id);
    let link = format!("{}/{}/", ctx.site, percent_encode(&p.page.slug));
    let guid = format!("{}/?page_id={post_id}", ctx.site);
    let content = if p.body_format == "html" {
        &p.body_source
    } else {
        &p.page.body_html
    };
    let status = p
        .page
        .status
        .parse::<ArticleStatus>()
        .map_or("draft", wp_status);
    write_head(
        x,
        ctx,
        &ItemHead {
            title: &p.page.title,
            link: &link,
            pub_date: p.page.published_at,
            creator: "",
            guid: &guid,
            description: "",
            content,
            excerpt: "",
            post_id,
            published: p.page.published_at,
            created: p.created_at,
            modified: p.page.updated_at,
            comment_status: "closed",
            post_name: &p.page.slug,
            status,
            post_type: "page",
            sticky: false,
        },
    )?;
    x.raw("\t</item>\n")
}

/// The parts of a media record's manifest and metadata (JSON made by the media crate)
/// an attachment needs, read loosely: a field that is missing is empty.
struct MediaFacts {
    /// The largest rendition's storage key (`ab/abcd…/w1600.jpg`).
    key: String,
    alt: String,
    caption: String,
    credit: String,
    licence: String,
}

impl MediaFacts {
    fn of(m: &MediaRecord) -> Self {
        let manifest: serde_json::Value =
            serde_json::from_str(&m.manifest).unwrap_or(serde_json::Value::Null);
        let key = manifest["responsive"]
            .as_array()
            .and_then(|r| r.last())
            .and_then(|r| r["key"].as_str())
            .or_else(|| manifest["social"]["key"].as_str())
            .unwrap_or_default()
            .to_owned();
        let meta: serde_json::Value =
            serde_json::from_str(&m.meta).unwrap_or(serde_json::Value::Null);
        let text = |k: &str| meta[k].as_str().unwrap_or_default().to_owned();
        Self {
            key,
            alt: text("alt"),
            caption: text("caption"),
            credit: text("credit"),
            licence: text("licence"),
        }
    }
}

fn write_attachment(
    x: &mut Xml<impl Write>,
    ctx: &Ctx<'_>,
    m: &MediaRecord,
) -> std::io::Result<()> {
    let facts = MediaFacts::of(m);
    let post_id = ctx.ids.attachment(m.id);
    let url = if facts.key.is_empty() {
        String::new()
    } else {
        format!("{}/media/{}", ctx.site, facts.key)
    };
    let link = format!("{}/?attachment_id={post_id}", ctx.site);
    let stem = m
        .file_name
        .rsplit_once('.')
        .map_or(m.file_name.as_str(), |(stem, _)| stem);
    let mut name = masthead_core::slug::from_title(stem);
    if name.is_empty() {
        name = format!("media-{}", m.id);
    }
    write_head(
        x,
        ctx,
        &ItemHead {
            title: stem,
            link: &link,
            pub_date: Some(m.created_at),
            creator: "",
            guid: &url,
            description: "",
            content: "",
            excerpt: &facts.caption,
            post_id,
            published: Some(m.created_at),
            created: m.created_at,
            modified: m.created_at,
            comment_status: "closed",
            post_name: &name,
            status: "inherit",
            post_type: "attachment",
            sticky: false,
        },
    )?;
    x.text_el(2, "wp:attachment_url", &url)?;
    x.meta("_wp_attached_file", &facts.key)?;
    if !facts.alt.is_empty() {
        x.meta("_wp_attachment_image_alt", &facts.alt)?;
    }
    if !facts.credit.is_empty() {
        x.meta("_masthead_credit", &facts.credit)?;
    }
    if !facts.licence.is_empty() {
        x.meta("_masthead_licence", &facts.licence)?;
    }
    x.raw("\t</item>\n")
}

/// Sections with every parent before its children: roots by id, each followed by its
/// subtree. Sections caught in a parent loop (the store never makes one) come last.
fn parents_first(sections: &[Section]) -> Vec<&Section> {
    let ids: HashSet<i64> = sections.iter().map(|s| s.id).collect();
    let mut children: BTreeMap<i64, Vec<&Section>> = BTreeMap::new();
    let mut roots = Vec::new();
    for s in sections {
        match s.parent_id.filter(|p| ids.contains(p) && *p != s.id) {
            Some(p) => children.entry(p).or_default().push(s),
            None => roots.push(s),
        }
    }
    let mut out = Vec::with_capacity(sections.len());
    let mut seen = HashSet::new();
    let mut stack: Vec<&Section> = roots.into_iter().rev().collect();
    while let Some(s) = stack.pop() {
        if !seen.insert(s.id) {
            continue;
        }
        out.push(s);
        if let Some(kids) = children.get(&s.id) {
            stack.extend(kids.iter().rev());
        }
    }
    for s in sections {
        if seen.insert(s.id) {
            out.push(s);
        }
    }
    out
}

/// Non-ASCII bytes (and spaces, `%`, quotes and angle brackets) as `%xx`, lower-case
/// hex as WordPress writes them; everything else as it is.
pub fn percent_encode(s: &str) -> Cow<'_, str> {
    let needs = |b: u8| !b.is_ascii_graphic() || matches!(b, b'%' | b'"' | b'<' | b'>');
    if !s.bytes().any(needs) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if needs(b) {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push(char::from(b));
        }
    }
    Cow::Owned(out)
}

/// Whether XML 1.0 allows the character at all.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The text without the characters XML 1.0 forbids.
pub fn xml_clean(s: &str) -> Cow<'_, str> {
    if s.chars().all(xml_char) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|c| xml_char(*c)).collect())
    }
}

/// Plain text as HTML: `&`, `<` and `>` escaped.
fn escape_html(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The XML being written.
struct Xml<W: Write> {
    w: BufWriter<W>,
}

impl<W: Write> Xml<W> {
    fn raw(&mut self, s: &str) -> std::io::Result<()> {
        self.w.write_all(s.as_bytes())
    }

    fn indent(&mut self, depth: usize) -> std::io::Result<()> {
        for _ in 0..depth {
            self.w.write_all(b"\t")?;
        }
        Ok(())
    }

    /// Text or an attribute value, cleaned and escaped.
    fn escaped(&mut self, s: &str) -> std::io::Result<()> {
        let clean = xml_clean(s);
        let mut last = 0;
        for (i, c) in clean.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#039;",
                // A carriage return would be read back as a line feed.
                '\r' => "&#13;",
                _ => continue,
            };
            self.w.write_all(clean[last..i].as_bytes())?;
            self.w.write_all(rep.as_bytes())?;
            last = i + c.len_utf8();
        }
        self.w.write_all(clean[last..].as_bytes())
    }

    /// A CDATA section holding `s`, `]]>` split across two sections (`]]]]><![CDATA[>`).
    fn cdata(&mut self, s: &str) -> std::io::Result<()> {
        let clean = xml_clean(s);
        self.w.write_all(b"<![CDATA[")?;
        let mut last = 0;
        for (i, m) in clean.match_indices(['\r', ']']) {
            let rep: &[u8] = if m == "\r" {
                // Parsers read a carriage return in CDATA as a line feed: a reference
                // between two sections keeps it.
                b"]]>&#13;<![CDATA["
            } else if clean[i..].starts_with("]]>") {
                b"]]]]><![CDATA[>"
            } else {
                continue;
            };
            self.w.write_all(clean[last..i].as_bytes())?;
            self.w.write_all(rep)?;
            last = i + if m == "\r" { 1 } else { 3 };
        }
        self.w.write_all(clean[last..].as_bytes())?;
        self.w.write_all(b"]]>")
    }

    fn text_el(&mut self, depth: usize, name: &str, value: &str) -> std::io::Result<()> {
        self.indent(depth)?;
        write!(self.w, "<{name}>")?;
        self.escaped(value)?;
        writeln!(self.w, "</{name}>")
    }

    fn cdata_el(&mut self, depth: usize, name: &str, value: &str) -> std::io::Result<()> {
        self.indent(depth)?;
        write!(self.w, "<{name}>")?;
        self.cdata(value)?;
        writeln!(self.w, "</{name}>")
    }

    /// An item's `<category domain=… nicename=…>name</category>`.
    fn term(&mut self, depth: usize, domain: &str, slug: &str, name: &str) -> std::io::Result<()> {
        self.indent(depth)?;
        write!(self.w, "<category domain=\"{domain}\" nicename=\"")?;
        self.escaped(&percent_encode(slug))?;
        self.raw("\">")?;
        self.cdata(name)?;
        self.raw("</category>\n")
    }

    fn meta(&mut self, key: &str, value: &str) -> std::io::Result<()> {
        self.raw("\t\t<wp:postmeta>\n")?;
        self.cdata_el(3, "wp:meta_key", key)?;
        self.cdata_el(3, "wp:meta_value", value)?;
        self.raw("\t\t</wp:postmeta>\n")
    }
}
