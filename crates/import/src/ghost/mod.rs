//! Ghost JSON exports (v2 and v4 shapes) into articles, pages, sections, tags and bylines.
//!
//! The export is `{"db": [{"meta": {…}, "data": {<table>: [rows]}}]}` (a bare
//! `{"meta", "data"}` is accepted too). Only the content tables are read: `posts`,
//! `tags`, `posts_tags`, `users`, `posts_authors`, `posts_meta` and the `lang` setting.
//! Everything else (settings, members, API keys, e-mail addresses…) is never looked at.
//!
//! Two schema generations: older exports (Ghost ≤ 2) flag pages with `"page": 0|1` and
//! keep SEO fields on the post row; newer ones (Ghost ≥ 3) say `"type": "post"|"page"`
//! and keep them in `posts_meta`. Bylines come from `posts_authors` when it has rows for
//! a post, else from the post's `author_id`.
//!
//! Bodies come from `html` when it has any, else from `lexical`, else `mobiledoc`
//! (else the Ghost 0.x `markdown`, else `plaintext`), always stored as HTML and rendered
//! through the newsroom's allow-list. `__GHOST_URL__` (Ghost's site-address placeholder)
//! becomes [`GhostOptions::site_url`], or nothing, which leaves site-relative links.

mod cards;
pub mod lexical;
pub mod mobiledoc;

pub use cards::Notes;

use crate::ImportError;
use crate::jsonl::{DEFAULT_SECTION, parse_date};
use chrono::{DateTime, TimeZone, Utc};
use masthead_core::{ArticleStatus, BodyFormat, excerpt, slug};
use masthead_render::render_body;
use masthead_store::{NewArticle, NewAuthor, NewPage, NewSection, Store, StoreError, TagFields};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

/// Ghost's placeholder for the site's own address in content (Ghost ≥ 4).
pub const GHOST_URL_PLACEHOLDER: &str = "__GHOST_URL__";
/// What the errors call the input.
const INPUT: &str = "the Ghost export";
/// How many URLs the report prints before "…and N more".
const LISTED: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GhostOptions {
    /// Build everything and report, but write nothing.
    pub dry_run: bool,
    /// Articles per transaction (as for JSON Lines).
    pub batch_size: usize,
    /// What `__GHOST_URL__` becomes (`https://example.com`, no trailing slash needed);
    /// `None` removes it, leaving site-relative links (`/welcome/`).
    pub site_url: Option<String>,
}

impl Default for GhostOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            batch_size: 50,
            site_url: None,
        }
    }
}

/// Which schema generation the export uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GhostShape {
    /// Pages flagged by `"page": 0|1` (Ghost ≤ 2).
    #[default]
    PageFlag,
    /// Pages told apart by `"type": "post"|"page"` (Ghost ≥ 3).
    TypeField,
}

impl fmt::Display for GhostShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PageFlag => "older schema, pages flagged by `page`",
            Self::TypeField => "newer schema, posts and pages by `type`",
        })
    }
}

/// A post or page the report names, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The Ghost post id.
    pub id: String,
    pub slug: String,
    pub title: String,
    /// Why it is listed: the visibility (`paid`, `members`…) or the refusal's reason.
    pub reason: String,
}

/// What an import did (or, in a dry run, would do). Everything but `created`,
/// `updated` and `longest_batch` is the same in a dry run as in the real one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GhostReport {
    pub dry_run: bool,
    /// `meta.version` ("4.1.0"), when the export says.
    pub ghost_version: Option<String>,
    pub shape: GhostShape,
    /// Rows in the `posts` table (posts and pages).
    pub posts_read: u64,
    /// Articles built from `type: post` rows (saved unless a dry run).
    pub articles: u64,
    /// Of `articles`, how many were new and how many updated earlier imports (0 in a dry run).
    pub created: u64,
    pub updated: u64,
    /// Articles by the status they got (`published`, `draft`…).
    pub statuses: BTreeMap<String, u64>,
    /// Static pages imported; `pages_replaced` names the slugs a page already had.
    pub pages: u64,
    pub pages_replaced: Vec<String>,
    /// Pages whose slug the site keeps for itself (or that have none): not imported.
    pub refused_pages: Vec<Listed>,
    /// Bylines made or updated from Ghost's users (those with at least one post or page).
    pub authors: Vec<String>,
    /// The sections articles were filed in (each article's first public tag, or "News").
    pub sections: Vec<String>,
    /// The other public tags articles carry.
    pub tags: Vec<String>,
    /// Users with no post or page: no byline made for them.
    pub users_without_posts: u64,
    /// Members-only (or e-mail-only) posts and pages, imported as private.
    pub private: Vec<Listed>,
    /// Internal tags (`#name` or `visibility: internal`) dropped, with how many posts had each.
    pub internal_tags: BTreeMap<String, u64>,
    /// Where bodies came from: `html`, `lexical`, `mobiledoc`, `markdown`, `plaintext`, `empty`.
    pub body_sources: BTreeMap<String, u64>,
    /// Images and files referenced by URL (feature images and those in bodies): kept as
    /// links, not copied into the media library.
    pub media_not_imported: Vec<String>,
    /// `__GHOST_URL__` placeholders replaced.
    pub ghost_url_replaced: u64,
    /// Content the converters did not know or left out on purpose.
    pub notes: Notes,
    /// Rows that could not be imported at all, and why.
    pub skipped: Vec<Listed>,
    /// Anything else an operator should know.
    pub warnings: Vec<String>,
    /// The longest a batch held the database.
    pub longest_batch: std::time::Duration,
}

fn listed_line(l: &Listed) -> String {
    let mut s = "  ".to_owned();
    if !l.slug.is_empty() {
        s.push_str(&format!("/{}/ ", l.slug));
    }
    if !l.title.is_empty() {
        s.push_str(&format!("\"{}\" ", l.title));
    }
    format!("{s}(post {}): {}", l.id, l.reason)
}

/// "1 post", "2 posts".
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl GhostReport {
    /// The report as lines for a terminal.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let version = self.ghost_version.as_deref().unwrap_or("unknown version");
        out.push(format!(
            "Ghost export ({version}, {}): {} rows in posts{}",
            self.shape,
            self.posts_read,
            if self.dry_run {
                " — dry run, nothing written"
            } else {
                ""
            }
        ));
        let statuses: Vec<String> = self
            .statuses
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        let statuses = if statuses.is_empty() {
            String::new()
        } else {
            format!(" ({})", statuses.join(", "))
        };
        if self.dry_run {
            out.push(format!(
                "Articles: {} would be saved{statuses}",
                self.articles
            ));
        } else {
            out.push(format!(
                "Articles: {} saved, {} new, {} updated{statuses}",
                self.articles, self.created, self.updated
            ));
        }
        let mut pages = format!("Pages: {}", self.pages);
        if !self.pages_replaced.is_empty() {
            pages.push_str(&format!(
                " ({} replace a page with the same address: {})",
                self.pages_replaced.len(),
                self.pages_replaced.join(", ")
            ));
        }
        out.push(pages);
        out.push(format!(
            "Bylines: {}{}",
            if self.authors.is_empty() {
                "none".to_owned()
            } else {
                self.authors.join(", ")
            },
            if self.users_without_posts > 0 {
                format!(
                    " (none for {} without posts)",
                    count(self.users_without_posts, "user", "users")
                )
            } else {
                String::new()
            }
        ));
        out.push(format!(
            "Sections: {}; tags: {}",
            if self.sections.is_empty() {
                "none".to_owned()
            } else {
                self.sections.join(", ")
            },
            self.tags.len()
        ));
        let sources: Vec<String> = self
            .body_sources
            .iter()
            .map(|(s, n)| format!("{n} from {s}"))
            .collect();
        if !sources.is_empty() {
            out.push(format!("Bodies: {}", sources.join(", ")));
        }
        if !self.refused_pages.is_empty() {
            out.push(format!("Pages refused ({}):", self.refused_pages.len()));
            out.extend(self.refused_pages.iter().map(listed_line));
        }
        if !self.private.is_empty() {
            out.push(format!(
                "Not public in Ghost, imported as private (drafts stay drafts) ({}):",
                self.private.len()
            ));
            out.extend(self.private.iter().map(listed_line));
        }
        if !self.internal_tags.is_empty() {
            let tags: Vec<String> = self
                .internal_tags
                .iter()
                .map(|(t, n)| format!("{t} ({})", count(*n, "post", "posts")))
                .collect();
            out.push(format!("Internal tags dropped: {}", tags.join(", ")));
        }
        if !self.media_not_imported.is_empty() {
            out.push(format!(
                "Media not imported, kept as links to where they are ({}):",
                self.media_not_imported.len()
            ));
            out.extend(
                self.media_not_imported
                    .iter()
                    .take(LISTED)
                    .map(|u| format!("  {u}")),
            );
            if self.media_not_imported.len() > LISTED {
                out.push(format!(
                    "  …and {} more",
                    self.media_not_imported.len() - LISTED
                ));
            }
        }
        if self.ghost_url_replaced > 0 {
            out.push(format!(
                "{GHOST_URL_PLACEHOLDER} replaced: {}",
                count(self.ghost_url_replaced, "time", "times")
            ));
        }
        for (what, n) in &self.notes.unknown {
            out.push(format!("Unknown content, text kept: {what} ×{n}"));
        }
        for (what, n) in &self.notes.dropped {
            out.push(format!("Left out: {what} ×{n}"));
        }
        if !self.skipped.is_empty() {
            out.push(format!("Skipped ({}):", self.skipped.len()));
            out.extend(self.skipped.iter().map(listed_line));
        }
        out.extend(self.warnings.iter().map(|w| format!("Warning: {w}")));
        out
    }
}

impl fmt::Display for GhostReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in self.lines() {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

fn invalid(msg: String) -> ImportError {
    ImportError::Read {
        file: INPUT.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, msg),
    }
}

/// The export's tables, found in either wrapping.
struct Export<'a> {
    /// How many databases the export holds (only the first is read).
    databases: usize,
    meta: Option<&'a Map<String, Value>>,
    data: &'a Map<String, Value>,
}

impl<'a> Export<'a> {
    fn find(doc: &'a Value) -> Result<Self, ImportError> {
        let Some(top) = doc.as_object() else {
            return Err(invalid(
                "not a Ghost export: the file is JSON but not an object".to_owned(),
            ));
        };
        let databases = match top.get("db") {
            Some(Value::Array(dbs)) => dbs.len(),
            _ => 1,
        };
        let inner = match top.get("db") {
            Some(Value::Array(dbs)) => dbs.first().and_then(Value::as_object).ok_or_else(|| {
                invalid("not a Ghost export: `db` is empty or does not hold an object".to_owned())
            })?,
            Some(_) => return Err(invalid("not a Ghost export: `db` is not a list".to_owned())),
            None => top,
        };
        let data = inner
            .get("data")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                invalid("not a Ghost export: no `db[0].data` object with the tables".to_owned())
            })?;
        match data.get("posts") {
            Some(Value::Array(_)) => {}
            Some(_) => {
                return Err(invalid(
                    "not a Ghost export: `posts` is not a list".to_owned(),
                ));
            }
            None => {
                return Err(invalid(
                    "not a Ghost export: it has no `posts` table".to_owned(),
                ));
            }
        }
        Ok(Self {
            databases,
            meta: inner.get("meta").and_then(Value::as_object),
            data,
        })
    }

    fn table(&self, name: &str) -> &'a [Value] {
        self.data
            .get(name)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
}

/// A row's string field, trimmed; `None` when absent, null, empty or not a string.
fn field<'a>(row: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    row.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// An id field: Ghost's are strings, very old exports' numbers.
fn id_field(row: &Map<String, Value>, key: &str) -> Option<String> {
    match row.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn flag(row: &Map<String, Value>, key: &str) -> bool {
    match row.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
        Some(Value::String(s)) => matches!(s.trim(), "1" | "true"),
        _ => false,
    }
}

/// A date field: ISO 8601 (Ghost's), SQL-style, or epoch milliseconds (Ghost 0.x).
fn date_field(row: &Map<String, Value>, key: &str) -> Option<DateTime<Utc>> {
    match row.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => parse_date(s, chrono_tz::UTC).ok(),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single()),
        _ => None,
    }
}

/// Join rows (`posts_tags`, `posts_authors`) grouped by post, in `sort_order`.
fn joins(rows: &[Value], key: &str) -> HashMap<String, Vec<String>> {
    let mut by_post: HashMap<String, Vec<(i64, usize, String)>> = HashMap::new();
    for (i, row) in rows.iter().filter_map(Value::as_object).enumerate() {
        let (Some(post), Some(other)) = (id_field(row, "post_id"), id_field(row, key)) else {
            continue;
        };
        let order = row.get("sort_order").and_then(Value::as_i64).unwrap_or(0);
        by_post.entry(post).or_default().push((order, i, other));
    }
    by_post
        .into_iter()
        .map(|(post, mut v)| {
            v.sort();
            (post, v.into_iter().map(|(_, _, id)| id).collect())
        })
        .collect()
}

struct TagInfo {
    name: String,
    /// Ghost's slug, when it is one a term may have here.
    slug: Option<String>,
    description: String,
    public: bool,
}

struct UserInfo {
    slug: String,
    name: String,
    bio: String,
}

/// Replaces Ghost's site-address placeholder, counting replacements.
fn fill_url(s: &str, site: &str, report: &mut GhostReport) -> String {
    let n = s.matches(GHOST_URL_PLACEHOLDER).count();
    if n == 0 {
        return s.to_owned();
    }
    report.ghost_url_replaced += n as u64;
    s.replace(GHOST_URL_PLACEHOLDER, site)
}

/// The `src` of every `<img>` in sanitised HTML.
fn image_sources(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<img") {
        let tag_end = rest[i..].find('>').map_or(rest.len(), |e| i + e);
        let tag = &rest[i..tag_end];
        if let Some(s) = tag.find(" src=\"") {
            let v = &tag[s + 6..];
            if let Some(e) = v.find('"') {
                out.push(v[..e].replace("&amp;", "&"));
            }
        }
        rest = &rest[tag_end..];
    }
    out
}

/// Ghost's rendered embeds are frames, which the site does not show: each becomes a
/// link to what it framed (as embed cards do when a body is rendered from its document).
fn iframes_to_links(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    if !lower.contains("<iframe") {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    while let Some(found) = lower[at..].find("<iframe") {
        let start = at + found;
        out.push_str(&html[at..start]);
        let open_end = lower[start..]
            .find('>')
            .map_or(html.len(), |e| start + e + 1);
        let tag = &html[start..open_end];
        let end = lower[open_end..]
            .find("</iframe>")
            .map_or(open_end, |e| open_end + e + "</iframe>".len());
        if let Some(src) = attribute(tag, "src") {
            let src = if src.starts_with("//") {
                format!("https:{src}")
            } else {
                src.to_owned()
            };
            let src = src.replace('"', "&quot;");
            out.push_str(&format!("<a href=\"{src}\">{src}</a>"));
        }
        at = end;
    }
    out.push_str(&html[at..]);
    out
}

/// A quoted attribute's value in an opening tag, as written.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let i = from + i;
        from = i + name.len();
        let before_ok = lower[..i].ends_with(|c: char| c.is_ascii_whitespace());
        let rest = lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let value_at = tag.len() - rest.len() + 1;
        let value = tag[value_at..].trim_start();
        let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let inner = &value[1..];
        return inner.find(quote).map(|e| &inner[..e]);
    }
    None
}

/// The body of one post, as HTML source, and where it came from.
fn body_of(
    post: &Map<String, Value>,
    notes: &mut Notes,
    warnings: &mut Vec<String>,
    id: &str,
) -> (String, &'static str) {
    if let Some(html) = field(post, "html") {
        return (iframes_to_links(html), "html");
    }
    if let Some(doc) = field(post, "lexical") {
        let mut n = Notes::default();
        match lexical::to_html(doc, &mut n) {
            Ok(html) if !html.trim().is_empty() => {
                notes.absorb(n);
                return (html, "lexical");
            }
            Ok(_) => {}
            Err(e) => warnings.push(format!("post {id}: {e}")),
        }
    }
    if let Some(doc) = field(post, "mobiledoc") {
        let mut n = Notes::default();
        match mobiledoc::to_html(doc, &mut n) {
            Ok(html) if !html.trim().is_empty() => {
                notes.absorb(n);
                return (html, "mobiledoc");
            }
            Ok(_) => {}
            Err(e) => warnings.push(format!("post {id}: {e}")),
        }
    }
    if let Some(md) = field(post, "markdown") {
        return (render_body(BodyFormat::Markdown, md).html, "markdown");
    }
    if let Some(text) = field(post, "plaintext") {
        return (render_body(BodyFormat::Text, text).html, "plaintext");
    }
    (String::new(), "empty")
}

/// Everything an import writes, built before anything is written.
struct Plan {
    authors: Vec<NewAuthor>,
    /// Sections and tags to make first, with Ghost's slugs, so their addresses carry over.
    sections: Vec<NewSection>,
    tags: Vec<TagFields>,
    pages: Vec<NewPage>,
    articles: Vec<NewArticle>,
    report: GhostReport,
}

fn plan(export: &Export<'_>, opts: &GhostOptions, existing_pages: &HashSet<String>) -> Plan {
    let mut report = GhostReport {
        dry_run: opts.dry_run,
        ghost_version: export
            .meta
            .and_then(|m| field(m, "version"))
            .map(str::to_owned),
        ..GhostReport::default()
    };
    if export.databases > 1 {
        report.warnings.push(format!(
            "the export holds {} databases; only the first was read",
            export.databases
        ));
    }
    let site = opts
        .site_url
        .as_deref()
        .map_or("", |s| s.trim().trim_end_matches('/'))
        .to_owned();

    let tags: HashMap<String, TagInfo> = export
        .table("tags")
        .iter()
        .filter_map(Value::as_object)
        .filter_map(|t| {
            let id = id_field(t, "id")?;
            let name = field(t, "name")?.to_owned();
            let public =
                !name.starts_with('#') && field(t, "visibility").is_none_or(|v| v == "public");
            let slug = field(t, "slug").and_then(|s| slug::check_term_slug(s).ok());
            let description = field(t, "description").unwrap_or("").to_owned();
            Some((
                id,
                TagInfo {
                    name,
                    slug,
                    description,
                    public,
                },
            ))
        })
        .collect();
    let users: HashMap<String, UserInfo> = export
        .table("users")
        .iter()
        .filter_map(Value::as_object)
        .filter_map(|u| {
            let id = id_field(u, "id")?;
            let name = field(u, "name").or(field(u, "slug"))?.to_owned();
            let slug = field(u, "slug")
                .and_then(|s| slug::normalize_given(s).ok())
                .or_else(|| Some(slug::from_title(&name)).filter(|s| !s.is_empty()))
                .or_else(|| slug::normalize_given(&name).ok())?;
            let bio = field(u, "bio").unwrap_or("").to_owned();
            Some((id, UserInfo { slug, name, bio }))
        })
        .collect();
    let posts_tags = joins(export.table("posts_tags"), "tag_id");
    let posts_authors = joins(export.table("posts_authors"), "author_id");
    let meta: HashMap<String, &Map<String, Value>> = export
        .table("posts_meta")
        .iter()
        .filter_map(Value::as_object)
        .filter_map(|m| Some((id_field(m, "post_id")?, m)))
        .collect();
    let language = export
        .table("settings")
        .iter()
        .filter_map(Value::as_object)
        .find(|s| field(s, "key") == Some("lang"))
        .and_then(|s| field(s, "value"))
        .filter(|l| looks_like_language(l))
        .map(str::to_owned);

    let mut used_users: Vec<String> = Vec::new();
    let mut media: Vec<String> = Vec::new();
    let mut seen_media: HashSet<String> = HashSet::new();
    let mut add_media = |url: String, media: &mut Vec<String>| {
        if seen_media.insert(url.clone()) {
            media.push(url);
        }
    };
    let mut articles = Vec::new();
    let mut pages = Vec::new();
    let mut sections: Vec<NewSection> = Vec::new();
    let mut tag_fields: Vec<TagFields> = Vec::new();
    let mut code_injection = 0u64;

    let posts = export.table("posts");
    report.posts_read = posts.len() as u64;
    if posts
        .iter()
        .filter_map(Value::as_object)
        .any(|p| p.contains_key("type"))
    {
        report.shape = GhostShape::TypeField;
    }
    for (index, post) in posts.iter().enumerate() {
        let Some(post) = post.as_object() else {
            report.skipped.push(Listed {
                id: format!("#{}", index + 1),
                slug: String::new(),
                title: String::new(),
                reason: "the row is not an object".to_owned(),
            });
            continue;
        };
        let title = field(post, "title").unwrap_or("").to_owned();
        let given_slug = field(post, "slug").unwrap_or("").to_owned();
        let Some(id) = id_field(post, "id") else {
            report.skipped.push(Listed {
                id: format!("#{}", index + 1),
                slug: given_slug,
                title,
                reason: "the row has no id".to_owned(),
            });
            continue;
        };
        let is_page = match field(post, "type") {
            Some("page") => true,
            Some("post") => false,
            Some(other) => {
                report.skipped.push(Listed {
                    id,
                    slug: given_slug,
                    title,
                    reason: format!("unknown post type \"{other}\""),
                });
                continue;
            }
            None => flag(post, "page"),
        };
        let listed = |reason: String| Listed {
            id: id.clone(),
            slug: given_slug.clone(),
            title: title.clone(),
            reason,
        };

        // Status and visibility.
        let ghost_status = field(post, "status").unwrap_or("draft");
        let visibility = field(post, "visibility").unwrap_or("public");
        let mut status = match ghost_status {
            "published" => ArticleStatus::Published,
            "scheduled" => ArticleStatus::Scheduled,
            "draft" => ArticleStatus::Draft,
            // Sent as a newsletter only, never on the site.
            "sent" => ArticleStatus::Private,
            other => {
                report.warnings.push(format!(
                    "post {id} has the unknown status \"{other}\"; imported as a draft"
                ));
                ArticleStatus::Draft
            }
        };
        if ghost_status == "sent" {
            report
                .private
                .push(listed("sent by e-mail only".to_owned()));
        } else if visibility != "public" {
            report
                .private
                .push(listed(format!("visibility {visibility}")));
            if status != ArticleStatus::Draft {
                status = ArticleStatus::Private;
            }
        }

        // Body.
        let (source, from) = body_of(post, &mut report.notes, &mut report.warnings, &id);
        *report.body_sources.entry(from.to_owned()).or_default() += 1;
        let source = fill_url(&source, &site, &mut report);
        let rendered = render_body(BodyFormat::Html, &source);
        for src in image_sources(&rendered.html) {
            add_media(src, &mut media);
        }
        if field(post, "codeinjection_head").is_some()
            || field(post, "codeinjection_foot").is_some()
        {
            code_injection += 1;
        }

        // Bylines.
        let author_ids: Vec<String> = match posts_authors.get(&id) {
            Some(ids) if !ids.is_empty() => ids.clone(),
            _ => id_field(post, "author_id").into_iter().collect(),
        };
        let mut authors = Vec::new();
        for a in &author_ids {
            match users.get(a) {
                Some(u) => {
                    if !authors.contains(&u.name) {
                        authors.push(u.name.clone());
                    }
                    if !used_users.contains(a) {
                        used_users.push(a.clone());
                    }
                }
                None => report
                    .warnings
                    .push(format!("post {id} names the unknown author {a}")),
            }
        }

        if is_page {
            let page_slug = match slug::check_page_slug(&given_slug) {
                Ok(s) => s,
                Err(e) => {
                    report.refused_pages.push(listed(e.to_string()));
                    continue;
                }
            };
            if status == ArticleStatus::Scheduled {
                report.warnings.push(format!(
                    "page /{page_slug}/ was scheduled in Ghost; imported as a draft"
                ));
                status = ArticleStatus::Draft;
            }
            if let Some(img) = field(post, "feature_image") {
                add_media(fill_url(img, &site, &mut report), &mut media);
            }
            if existing_pages.contains(&page_slug) {
                report.pages_replaced.push(page_slug.clone());
            }
            pages.push(NewPage {
                slug: page_slug,
                title,
                body_format: BodyFormat::Html,
                body_source: source,
                body_html: rendered.html,
                status,
            });
            continue;
        }

        // Sections and tags.
        let mut section: Option<String> = None;
        let mut tag_names: Vec<String> = Vec::new();
        for t in posts_tags.get(&id).into_iter().flatten() {
            let Some(tag) = tags.get(t) else {
                report
                    .warnings
                    .push(format!("post {id} names the unknown tag {t}"));
                continue;
            };
            if !tag.public {
                *report.internal_tags.entry(tag.name.clone()).or_default() += 1;
            } else if section.is_none() {
                section = Some(tag.name.clone());
                if !report.sections.contains(&tag.name) {
                    report.sections.push(tag.name.clone());
                    if let Some(slug) = &tag.slug {
                        sections.push(NewSection {
                            slug: slug.clone(),
                            name: tag.name.clone(),
                            description: tag.description.clone(),
                            parent_slug: None,
                        });
                    }
                }
            } else if !tag_names.contains(&tag.name) {
                tag_names.push(tag.name.clone());
                if !report.tags.contains(&tag.name) {
                    report.tags.push(tag.name.clone());
                    if let Some(slug) = &tag.slug {
                        tag_fields.push(TagFields {
                            name: tag.name.clone(),
                            slug: slug.clone(),
                        });
                    }
                }
            }
        }

        // Dates.
        let created = date_field(post, "created_at");
        let published = date_field(post, "published_at");
        let published_at = match status {
            ArticleStatus::Draft => published,
            _ => published.or(created),
        };
        if status == ArticleStatus::Scheduled && published_at.is_none() {
            report.warnings.push(format!(
                "post {id} is scheduled without a date; imported as a draft"
            ));
            status = ArticleStatus::Draft;
        }
        let updated_at = date_field(post, "updated_at").or(published_at).or(created);

        let post_meta = meta.get(&id).copied();
        let seo = |key: &str| {
            post_meta
                .and_then(|m| field(m, key))
                .or_else(|| field(post, key))
                .map(str::to_owned)
        };
        let editor_excerpt = field(post, "custom_excerpt").map(str::to_owned);

        let section = section.unwrap_or_else(|| {
            if !report.sections.iter().any(|s| s == DEFAULT_SECTION) {
                report.sections.push(DEFAULT_SECTION.to_owned());
            }
            DEFAULT_SECTION.to_owned()
        });
        let mut a = NewArticle::published(title.clone(), section, published_at.unwrap_or_default());
        a.published_at = published_at;
        a.status = status;
        a.external_id = Some(format!("ghost:{id}"));
        a.slug = match slug::normalize_given(&given_slug) {
            Ok(s) => Some(s),
            Err(e) => {
                report.warnings.push(format!(
                    "post {id}: slug \"{given_slug}\": {e}; one is made from the title"
                ));
                None
            }
        };
        a.body_format = BodyFormat::Html;
        a.excerpt = excerpt::choose(editor_excerpt.as_deref(), &rendered.text);
        a.editor_excerpt = editor_excerpt;
        a.body_source = source;
        a.body_html = rendered.html;
        a.tags = tag_names;
        a.authors = authors;
        a.updated_at = updated_at;
        a.featured = flag(post, "featured");
        if let Some(lang) = field(post, "locale")
            .filter(|l| looks_like_language(l))
            .or(language.as_deref())
        {
            a.language = lang.to_owned();
        }
        if let Some(img) = field(post, "feature_image") {
            let url = fill_url(img, &site, &mut report);
            add_media(url.clone(), &mut media);
            a.featured_image = Some(url);
            a.featured_image_alt = seo("feature_image_alt");
        }
        a.seo_title = seo("meta_title");
        a.seo_description = seo("meta_description");
        a.canonical_url = field(post, "canonical_url").map(|u| fill_url(u, &site, &mut report));
        *report
            .statuses
            .entry(a.status.as_str().to_owned())
            .or_default() += 1;
        articles.push(a);
    }

    let authors: Vec<NewAuthor> = used_users
        .iter()
        .filter_map(|id| users.get(id))
        .map(|u| NewAuthor {
            slug: u.slug.clone(),
            name: u.name.clone(),
            bio: u.bio.clone(),
        })
        .collect();
    report.authors = authors.iter().map(|a| a.name.clone()).collect();
    report.users_without_posts = users.len().saturating_sub(authors.len()) as u64;
    report.articles = articles.len() as u64;
    report.pages = pages.len() as u64;
    report.media_not_imported = media;
    if code_injection > 0 {
        report.warnings.push(format!(
            "{} code injection (scripts or styles for their page); not imported",
            count(code_injection, "post had", "posts had")
        ));
    }
    Plan {
        authors,
        sections,
        tags: tag_fields,
        pages,
        articles,
        report,
    }
}

/// A BCP 47-ish language tag ("en", "pt-BR"), not a free-text name.
fn looks_like_language(s: &str) -> bool {
    (2..=35).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && s.bytes().take(2).all(|b| b.is_ascii_alphabetic())
}

/// Imports a Ghost JSON export: bylines first, then static pages, then articles in
/// batches of `opts.batch_size`. Articles are keyed on `ghost:<post id>` and pages on
/// their slug, so importing the same export again updates, never duplicates. With
/// `opts.dry_run` nothing is written and the report says what would be.
pub async fn import_ghost(
    store: &Store,
    json: &[u8],
    opts: &GhostOptions,
) -> Result<GhostReport, ImportError> {
    let doc: Value =
        serde_json::from_slice(json).map_err(|e| invalid(format!("not valid JSON: {e}")))?;
    let export = Export::find(&doc)?;
    let existing_pages: HashSet<String> = store
        .all_pages()
        .await?
        .into_iter()
        .map(|p| p.slug)
        .collect();
    let Plan {
        authors,
        sections,
        tags,
        pages,
        articles,
        mut report,
    } = plan(&export, opts, &existing_pages);
    drop(doc);
    if opts.dry_run {
        return Ok(report);
    }
    for a in &authors {
        store.upsert_author(a).await?;
    }
    // Sections and tags not on the site yet are made with Ghost's slugs (and a section
    // with its description); ones already here are left as they are.
    let known = store.sections().await?;
    for s in &sections {
        if !known.iter().any(|k| k.slug == s.slug || k.name == s.name) {
            store.upsert_section(s).await?;
        }
    }
    for t in &tags {
        if store.tag_by_slug_or_name(&t.name).await?.is_some()
            || store.tag_by_slug(&t.slug).await?.is_some()
        {
            continue;
        }
        match store.create_tag(t).await {
            Ok(_) => {}
            Err(StoreError::Conflict(why) | StoreError::Invalid(why)) => report
                .warnings
                .push(format!("tag \"{}\" keeps a slug of its own: {why}", t.name)),
            Err(e) => return Err(e.into()),
        }
    }
    for p in &pages {
        store.upsert_page(p).await?;
    }
    for batch in articles.chunks(opts.batch_size.max(1)) {
        let started = std::time::Instant::now();
        let saved = store.save_articles(batch).await?;
        report.longest_batch = report.longest_batch.max(started.elapsed());
        for s in saved {
            if s.created {
                report.created += 1;
            } else {
                report.updated += 1;
            }
        }
    }
    if report.created > 0 {
        store.analyze().await?;
    }
    Ok(report)
}
