//! `masthead import wxr`: a WordPress export into the site.
//!
//! Two streaming passes over the file. The first reads only what later items may refer
//! to before it appears (attachments: a gallery or a featured image can name one that
//! comes after its post) and counts everything; the second maps authors, categories,
//! tags, posts, pages and comments and writes them in batches, each batch one
//! transaction. Every article carries its GUID as external id and every comment its
//! WordPress id, so a second run — after a finished import or a killed one — updates
//! what is there and adds what is missing.
//!
//! With an uploads folder (`--uploads`), each post's images are found by converting its
//! body once and noting the upload URLs the conversion asks about; their files go into
//! the media library (once per file: the content hash finds it on any later run), the
//! body is converted again pointing at `/media/…`, and the old upload addresses get 301s.

use super::content::{self, Attachment, ContentContext};
use super::uploads::{UploadsDir, original_of, upload_path};
use super::{Author, Census, Channel, Item, ItemTerm, WxrError, WxrEvent, WxrReader};
use crate::ImportError;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use masthead_core::comment::CommentStatus;
use masthead_core::redirect::{percent_decode, source_key};
use masthead_core::{ArticleStatus, BodyFormat, Role, excerpt, slug};
use masthead_media::library::{add_to_library, find_in_library};
use masthead_media::{ImageMetadata, Manifest, MediaSettings, MediaStorage};
use masthead_render::render_body;
use masthead_render::text::html_to_text;
use masthead_store::{
    ContentKind, ImportComment, ImportItem, ImportedItem, NewArticle, NewAuthor, NewComment,
    NewPage, NewRedirect, NewSection, NewUser, RedirectTarget, Store, StoreError,
};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The redirects' origin name.
const ORIGIN: &str = "wordpress";
/// How many entries a report list shows before "… and N more".
const LIST_CAP: usize = 20;
/// Where the site serves the media library's files (the web crate's `media::URL_PREFIX`).
const MEDIA_URL_PREFIX: &str = "/media";

#[derive(Debug, Clone)]
pub struct WxrOptions {
    /// The source site's timezone, for dates whose GMT form is WordPress's zero date.
    pub timezone: Tz,
    /// Read and map everything, write nothing.
    pub dry_run: bool,
    /// Articles per transaction.
    pub batch_size: usize,
    /// A local copy of `wp-content/uploads` to import images from; without it images
    /// keep their old addresses (and the report lists them).
    pub uploads: Option<UploadsOptions>,
    /// Also make a newsroom account (a contributor) for every author with a plausible
    /// email and no account yet, linked to the byline; accounts with that email are
    /// linked to it instead. The new accounts' ids are in the report, to invite.
    pub create_accounts: bool,
}

impl Default for WxrOptions {
    fn default() -> Self {
        Self {
            timezone: chrono_tz::UTC,
            dry_run: false,
            batch_size: 1000,
            uploads: None,
            create_accounts: false,
        }
    }
}

/// Importing uploaded images into the media library.
#[derive(Clone)]
pub struct UploadsOptions {
    /// The copy of `wp-content/uploads` (`DIR/2019/05/a.jpg`). Nothing outside it is read.
    pub dir: PathBuf,
    /// Where the site's media files live (the folder the server serves `/media/` from).
    pub storage: Arc<dyn MediaStorage>,
    pub settings: MediaSettings,
}

impl std::fmt::Debug for UploadsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadsOptions")
            .field("dir", &self.dir)
            .field("storage", &self.storage)
            .finish_non_exhaustive()
    }
}

/// What an import did, for the operator (and the tests).
#[derive(Debug, Clone, Default)]
pub struct WxrReport {
    pub dry_run: bool,
    pub census: Census,
    pub articles_created: u64,
    pub articles_updated: u64,
    pub pages: u64,
    pub authors: u64,
    pub sections: u64,
    pub tags: u64,
    pub comments_created: u64,
    pub comments_updated: u64,
    /// Imported comments by kind and status (`comment approved`, `pingback held`...).
    pub comments_by_kind: BTreeMap<String, u64>,
    /// Comment types that are not reader comments (plugins' notes), not imported.
    pub comments_not_imported: BTreeMap<String, u64>,
    /// Titles of password-protected posts, imported as private.
    pub password_protected: Vec<String>,
    /// Shortcodes kept as text, by name.
    pub shortcodes: BTreeMap<String, u64>,
    /// What the sanitiser removed from bodies, by element or attribute.
    pub removed: BTreeMap<String, u64>,
    /// Images that still point at the old site.
    pub remote_images: Vec<String>,
    pub remote_image_count: u64,
    /// Files from the uploads folder added to the media library (in a dry run: found).
    pub media_imported: u64,
    /// Files the library already held (an earlier import, or the same file twice).
    pub media_reused: u64,
    /// Upload URLs whose file could not be imported, with why; they keep their old URL.
    pub media_failed: Vec<(String, String)>,
    /// Accounts made for authors (their emails), and their ids (to invite).
    pub accounts_created: Vec<String>,
    pub new_account_ids: Vec<i64>,
    /// Existing accounts linked to an author's byline now (their emails).
    pub accounts_linked: Vec<String>,
    /// Authors given no account, with why (no plausible email, ...).
    pub authors_without_account: Vec<(String, String)>,
    /// Pages whose address the site keeps for itself, with the address they got.
    pub renamed_pages: Vec<(String, String)>,
    pub redirects: u64,
    /// Items that could not be imported, with where and why.
    pub skipped: Vec<(u64, String)>,
    pub elapsed: Duration,
}

impl WxrReport {
    pub fn articles(&self) -> u64 {
        self.articles_created + self.articles_updated
    }

    /// The report as lines for a terminal.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let verb = if self.dry_run {
            "would import"
        } else {
            "imported"
        };
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        out.push(format!(
            "{verb} {} articles ({} new, {} updated) in {:.1} s ({:.0}/s), {} pages, {} authors, {} sections, {} tags",
            self.articles(),
            self.articles_created,
            self.articles_updated,
            secs,
            self.articles() as f64 / secs,
            self.pages,
            self.authors,
            self.sections,
            self.tags
        ));
        out.push(format!(
            "comments: {} new, {} updated ({})",
            self.comments_created,
            self.comments_updated,
            join_counts(&self.comments_by_kind)
        ));
        if !self.comments_not_imported.is_empty() {
            out.push(format!(
                "comments of other types not imported: {}",
                join_counts(&self.comments_not_imported)
            ));
        }
        out.push(format!("redirects from old addresses: {}", self.redirects));
        let unsupported = self.census.unsupported();
        if !unsupported.is_empty() {
            out.push(format!(
                "not imported (unsupported types): {}",
                join_counts(&unsupported)
            ));
        }
        if !self.password_protected.is_empty() {
            out.push(format!(
                "password-protected, imported as private: {}",
                capped(&self.password_protected)
            ));
        }
        if !self.shortcodes.is_empty() {
            out.push(format!(
                "shortcodes kept as text: {}",
                join_counts(&self.shortcodes)
            ));
        }
        if !self.removed.is_empty() {
            out.push(format!(
                "removed by the sanitiser: {}",
                most_frequent(&self.removed)
            ));
        }
        if self.remote_image_count > 0 {
            out.push(format!(
                "{} images still load from the old site (import them with --uploads): {}",
                self.remote_image_count,
                capped(&self.remote_images)
            ));
        }
        if self.media_imported + self.media_reused > 0 || !self.media_failed.is_empty() {
            let verb = if self.dry_run { "found" } else { "imported" };
            out.push(format!(
                "media library: {verb} {} files from the uploads folder, {} already there, {} could not be imported",
                self.media_imported,
                self.media_reused,
                self.media_failed.len()
            ));
        }
        for (url, why) in self.media_failed.iter().take(LIST_CAP * 5) {
            out.push(format!("image kept at its old address: {url}: {why}"));
        }
        if self.media_failed.len() > LIST_CAP * 5 {
            out.push(format!(
                "… and {} more images kept at their old addresses",
                self.media_failed.len() - LIST_CAP * 5
            ));
        }
        let would = if self.dry_run { "would be " } else { "" };
        if !self.accounts_created.is_empty() {
            out.push(format!(
                "newsroom accounts {would}created (contributors, invited by mail): {}",
                self.accounts_created.join(", ")
            ));
        }
        if !self.accounts_linked.is_empty() {
            out.push(format!(
                "existing accounts {would}linked to their bylines: {}",
                self.accounts_linked.join(", ")
            ));
        }
        for (login, why) in &self.authors_without_account {
            out.push(format!("author {login}: no account made: {why}"));
        }
        for (from, to) in &self.renamed_pages {
            out.push(format!(
                "page /{from}/ is an address the site keeps; imported as /{to}/"
            ));
        }
        for (line, why) in &self.skipped {
            out.push(format!("skipped the item at line {line}: {why}"));
        }
        out
    }
}

fn join_counts(m: &BTreeMap<String, u64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `LIST_CAP` biggest counts, biggest first (ties by name), and how many more
/// there are: a file of news wires can have a thousand distinct removed tags.
fn most_frequent(m: &BTreeMap<String, u64>) -> String {
    let mut by_count: Vec<(&String, &u64)> = m.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let mut s = by_count
        .iter()
        .take(LIST_CAP)
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    if m.len() > LIST_CAP {
        s.push_str(&format!(" … and {} more", m.len() - LIST_CAP));
    }
    s
}

fn capped(list: &[String]) -> String {
    let mut s = list
        .iter()
        .take(LIST_CAP)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if list.len() > LIST_CAP {
        s.push_str(&format!(" … and {} more", list.len() - LIST_CAP));
    }
    s
}

/// Imports the WXR file `open()` reads (called twice: one reader per pass).
/// `on_progress` hears `(pass, bytes read so far)`.
pub async fn import_wxr<R: BufRead>(
    store: &Store,
    open: &mut dyn FnMut() -> Result<R, ImportError>,
    opts: &WxrOptions,
    on_progress: &mut dyn FnMut(u8, u64),
) -> Result<WxrReport, ImportError> {
    let started = Instant::now();
    let (census, attachments) = first_pass(open()?, on_progress)?;
    let uploads = match &opts.uploads {
        None => None,
        Some(u) => {
            let dir = UploadsDir::open(&u.dir).map_err(|e| {
                ImportError::Invalid(format!(
                    "the uploads folder {} cannot be read: {e}",
                    u.dir.display()
                ))
            })?;
            let by_path = attachments
                .values()
                .filter_map(|a| Some((upload_path(&a.url)?, a.id)))
                .collect();
            Some(Uploads {
                opts: u,
                dir,
                by_path,
                urls: HashMap::new(),
                files: HashMap::new(),
            })
        }
    };
    let mut run = Run {
        uploads,
        store,
        opts,
        report: WxrReport {
            dry_run: opts.dry_run,
            census,
            ..WxrReport::default()
        },
        attachments,
        channel: Channel::default(),
        prefix: String::new(),
        authors: HashMap::new(),
        categories: Vec::new(),
        category_parent: HashMap::new(),
        known_sections: HashSet::new(),
        known_tags: HashSet::new(),
        terms_written: false,
        guids: HashSet::new(),
        batch: Vec::with_capacity(opts.batch_size),
        pending: Pending::default(),
        pending_sections: Vec::new(),
        pending_tags: Vec::new(),
        nicenames: HashMap::new(),
        writing: None,
    };
    let mut reader = WxrReader::new(open()?).map_err(wxr_error)?;
    let mut events = 0u64;
    while let Some(ev) = reader.next_event().map_err(wxr_error)? {
        run.event(ev).await?;
        events += 1;
        if events.is_multiple_of(256) {
            on_progress(2, reader.position());
        }
    }
    run.queue_declared_terms();
    run.flush().await?;
    run.written().await?;
    on_progress(2, reader.position());
    if !opts.dry_run && run.report.articles() > 0 {
        store.analyze().await?;
    }
    run.report.elapsed = started.elapsed();
    Ok(run.report)
}

fn wxr_error(e: WxrError) -> ImportError {
    ImportError::Invalid(e.to_string())
}

/// Pass one: the census and every attachment. It skims (bodies, descriptions and
/// comment texts are not kept: neither needs them) but checks the whole file as the
/// second pass will, so a broken file fails before anything is written.
fn first_pass<R: BufRead>(
    input: R,
    on_progress: &mut dyn FnMut(u8, u64),
) -> Result<(Census, HashMap<i64, Attachment>), ImportError> {
    let mut reader = WxrReader::skimming(input).map_err(wxr_error)?;
    let mut census = Census::default();
    let mut attachments = HashMap::new();
    let mut events = 0u64;
    while let Some(ev) = reader.next_event().map_err(wxr_error)? {
        census.add(&ev);
        if let WxrEvent::Item(item) = &ev
            && item.post_type == "attachment"
        {
            attachments.insert(
                item.post_id,
                Attachment {
                    id: item.post_id,
                    parent: item.post_parent,
                    menu_order: item.menu_order,
                    url: item.attachment_url.clone(),
                    title: html_to_text(&item.title),
                    caption: item.excerpt.trim().to_owned(),
                    alt: item
                        .meta("_wp_attachment_image_alt")
                        .unwrap_or("")
                        .trim()
                        .to_owned(),
                },
            );
        }
        events += 1;
        if events.is_multiple_of(256) {
            on_progress(1, reader.position());
        }
    }
    on_progress(1, reader.position());
    Ok((census, attachments))
}

/// An imported upload: its library image and address.
#[derive(Debug, Clone)]
struct Imported {
    id: i64,
    url: String,
}

/// What `--uploads` needs during the second pass.
struct Uploads<'a> {
    opts: &'a UploadsOptions,
    dir: UploadsDir,
    /// An attachment's file path → its post id (for its alt text, caption and title).
    by_path: HashMap<String, i64>,
    /// Every URL asked about → its import (`None`: kept as it is).
    urls: HashMap<String, Option<Imported>>,
    /// Every file tried (path below the folder) → its import, or why it failed.
    files: HashMap<String, Result<Option<Imported>, String>>,
}

/// The second pass's state.
struct Run<'a> {
    uploads: Option<Uploads<'a>>,
    store: &'a Store,
    opts: &'a WxrOptions,
    report: WxrReport,
    attachments: HashMap<i64, Attachment>,
    channel: Channel,
    /// The old blog's path below its host (`/blog`), without the trailing slash.
    prefix: String,
    /// Login → byline slug.
    authors: HashMap<String, String>,
    /// Declared categories, written before the first item.
    categories: Vec<super::Category>,
    /// Section slug → its parent's, for WordPress's nested category addresses.
    category_parent: HashMap<String, String>,
    known_sections: HashSet<String>,
    known_tags: HashSet<String>,
    terms_written: bool,
    /// Hashes of the GUIDs met so far (8 bytes each, not the strings: memory stays
    /// nearly flat on big files), to notice a GUID the file repeats.
    guids: HashSet<u64>,
    batch: Vec<ImportItem>,
    /// Terms and bylines for the writer to write before the next batch.
    pending: Pending,
    pending_sections: Vec<NewSection>,
    pending_tags: Vec<(String, String, String)>,
    /// Our slug → the nicename WordPress used, where they differ (`wsgi_cache`), for
    /// the old archive addresses.
    nicenames: HashMap<String, String>,
    /// The batch being written while the next one is read and converted (the file's
    /// parsing and the database's work run side by side).
    writing: Option<tokio::task::JoinHandle<Result<Written, StoreError>>>,
}

/// What the reading hands the writer, written in this order: sections and tags (with
/// redirects from their old archive addresses), bylines, then the batch of articles.
/// The reading itself never writes, so it never waits for the writer's transaction.
#[derive(Default)]
struct Pending {
    sections: Vec<NewSection>,
    tags: Vec<(String, String, String)>,
    /// `(section slug, old address, suffix)`.
    section_addresses: Vec<(String, String, String)>,
    /// `(tag slug, old address, suffix)`.
    tag_addresses: Vec<(String, String, String)>,
    /// A byline and its old `/author/login/` address.
    authors: Vec<(NewAuthor, Option<String>)>,
    articles: Vec<ImportItem>,
}

/// What the writer did with one [`Pending`].
struct Written {
    articles: Vec<ImportedItem>,
    /// Redirects to terms and bylines (the articles count their own).
    redirects: u64,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.sections.is_empty()
            && self.tags.is_empty()
            && self.authors.is_empty()
            && self.articles.is_empty()
    }

    async fn write(self, store: Store) -> Result<Written, StoreError> {
        let mut redirects = Vec::new();
        if !self.sections.is_empty() || !self.tags.is_empty() {
            let ids = store.import_terms(&self.sections, &self.tags).await?;
            for (slug, key, suffix) in self.section_addresses {
                if let Some(id) = ids.get(&slug) {
                    let mut r = NewRedirect::imported(key, ContentKind::Section, *id, ORIGIN);
                    r.suffix = suffix;
                    redirects.push(r);
                }
            }
            for (slug, key, suffix) in self.tag_addresses {
                if let Some(tag) = store.tag_by_slug(&slug).await? {
                    let mut r = NewRedirect::imported(key, ContentKind::Tag, tag.id, ORIGIN);
                    r.suffix = suffix;
                    redirects.push(r);
                }
            }
        }
        for (author, old_address) in &self.authors {
            let id = store.upsert_author(author).await?;
            if let Some(key) = old_address {
                redirects.push(NewRedirect::imported(
                    key.clone(),
                    ContentKind::Author,
                    id,
                    ORIGIN,
                ));
            }
        }
        let redirects = if redirects.is_empty() {
            0
        } else {
            store.add_redirects(&redirects).await?
        };
        let articles = if self.articles.is_empty() {
            Vec::new()
        } else {
            store.import_articles(&self.articles, ORIGIN).await?
        };
        Ok(Written {
            articles,
            redirects,
        })
    }
}

impl Run<'_> {
    async fn event(&mut self, ev: WxrEvent) -> Result<(), ImportError> {
        match ev {
            WxrEvent::Channel(c) => {
                self.prefix = url_path(&c.base_blog_url).trim_end_matches('/').to_owned();
                self.channel = c;
            }
            WxrEvent::Author(a) => {
                let name = if a.display_name.trim().is_empty() {
                    a.login.clone()
                } else {
                    html_to_text(&a.display_name)
                };
                let slug = self.author(&a.login, &name).await?;
                if self.opts.create_accounts {
                    self.account(&a, &name, &slug).await?;
                }
            }
            WxrEvent::Category(c) => self.categories.push(c),
            WxrEvent::Tag(t) => {
                if let Some(slug) = term_slug(&t.slug, &t.name) {
                    self.remember_nicename(&slug, &t.slug);
                    self.known_tags.insert(slug.clone());
                    self.pending_tags
                        .push((slug, html_to_text(&t.name), t.description.clone()));
                }
            }
            WxrEvent::Term(_) => {}
            WxrEvent::Item(item) => {
                self.queue_declared_terms();
                match item.post_type.as_str() {
                    "post" => self.post(*item).await?,
                    "page" => self.page(*item).await?,
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// A byline for a login (created once).
    async fn author(&mut self, login: &str, name: &str) -> Result<String, ImportError> {
        if let Some(slug) = self.authors.get(login) {
            return Ok(slug.clone());
        }
        let mut author_slug = slug::from_title(login);
        if author_slug.is_empty() {
            author_slug = slug::normalize_given(login).unwrap_or_else(|_| "author".to_owned());
        }
        if !self.opts.dry_run {
            // Written by the writer, before the batch that names it.
            let old_address = self.key(&format!("/author/{login}/"));
            self.pending.authors.push((
                NewAuthor {
                    slug: author_slug.clone(),
                    name: name.trim().to_owned(),
                    bio: String::new(),
                },
                old_address,
            ));
        }
        self.report.authors += 1;
        self.authors.insert(login.to_owned(), author_slug.clone());
        Ok(author_slug)
    }

    /// A newsroom account for an author (`--create-accounts`): made, or an existing one
    /// with the same email linked to the byline (and otherwise left as it is).
    async fn account(&mut self, a: &Author, name: &str, byline: &str) -> Result<(), ImportError> {
        let email = a.email.trim().to_lowercase();
        let login = a.login.trim().to_owned();
        if email.is_empty() {
            self.report
                .authors_without_account
                .push((login, "the export gives no email".to_owned()));
            return Ok(());
        }
        if !plausible_email(&email) {
            self.report
                .authors_without_account
                .push((login, format!("\"{email}\" is not an email address")));
            return Ok(());
        }
        let existing = self.store.user_by_email(&email).await?;
        if self.opts.dry_run {
            match existing {
                Some(_) => self.report.accounts_linked.push(email),
                None => self.report.accounts_created.push(email),
            }
            return Ok(());
        }
        // The byline is queued for the writer: written now, before it is linked.
        self.flush().await?;
        self.written().await?;
        let Some(author) = self.store.author_by_slug(byline).await? else {
            return Ok(());
        };
        let user_id = match existing {
            Some(u) => u.id,
            None => {
                let created = self
                    .store
                    .create_user(&NewUser {
                        email: email.clone(),
                        name: name.trim().to_owned(),
                        role: Role::Contributor,
                        password_hash: None,
                    })
                    .await;
                match created {
                    Ok(id) => {
                        self.report.accounts_created.push(email.clone());
                        self.report.new_account_ids.push(id);
                        id
                    }
                    // Made meanwhile (another author of this file with the same email).
                    Err(StoreError::Conflict(_)) => match self.store.user_by_email(&email).await? {
                        Some(u) => u.id,
                        None => return Ok(()),
                    },
                    Err(e) => return Err(e.into()),
                }
            }
        };
        if self.store.link_user_author(user_id, author.id).await? {
            if !self.report.accounts_created.contains(&email) {
                self.report.accounts_linked.push(email);
            }
        } else if self.store.user_author(user_id).await? != Some(author.id) {
            self.report.authors_without_account.push((
                login,
                format!("the account {email} already writes under another byline"),
            ));
        }
        Ok(())
    }

    /// Queues the declared categories (parents first) and tags, once, before the first
    /// item, to be written with redirects from their old archive addresses.
    fn queue_declared_terms(&mut self) {
        if self.terms_written {
            return;
        }
        self.terms_written = true;
        let mut by_nicename: HashMap<String, (String, String, String)> = HashMap::new();
        for c in &self.categories {
            if let Some(s) = term_slug(&c.nicename, &c.name) {
                let raw = decoded_nicename(&c.nicename);
                if !raw.is_empty() && raw != s {
                    self.nicenames.insert(s.clone(), raw);
                }
                let parent = if c.parent.is_empty() {
                    String::new()
                } else {
                    term_slug(&c.parent, &c.parent).unwrap_or_default()
                };
                by_nicename.insert(s, (html_to_text(&c.name), c.description.clone(), parent));
            }
        }
        for (slug, (_, _, parent)) in &by_nicename {
            if !parent.is_empty() && by_nicename.contains_key(parent) && parent != slug {
                self.category_parent.insert(slug.clone(), parent.clone());
            }
        }
        // Parents first: order by depth (a cycle is cut where it closes).
        let mut ordered: Vec<(usize, String)> = by_nicename
            .keys()
            .map(|s| (self.depth(s), s.clone()))
            .collect();
        ordered.sort();
        for (_, s) in ordered {
            let (name, description, _) = by_nicename.remove(&s).unwrap_or_default();
            self.known_sections.insert(s.clone());
            self.pending_sections.push(NewSection {
                slug: s.clone(),
                name,
                description,
                parent_slug: self.category_parent.get(&s).cloned(),
            });
        }
    }

    fn remember_nicename(&mut self, slug: &str, nicename: &str) {
        let raw = decoded_nicename(nicename);
        if !raw.is_empty() && raw != slug {
            self.nicenames.insert(slug.to_owned(), raw);
        }
    }

    /// The nicename WordPress used for a term we keep as `slug`.
    fn nicename<'s>(&'s self, slug: &'s str) -> &'s str {
        self.nicenames.get(slug).map_or(slug, String::as_str)
    }

    /// How deep a category sits (0 for a top-level one).
    fn depth(&self, slug: &str) -> usize {
        let mut d = 0;
        let mut at = slug;
        while let Some(p) = self.category_parent.get(at) {
            d += 1;
            at = p;
            if d > 64 {
                break;
            }
        }
        d
    }

    /// The old archive address of a category: WordPress nests child categories.
    fn category_path(&self, slug: &str) -> String {
        let mut parts = vec![self.nicename(slug).to_owned()];
        let mut at = slug;
        while let Some(p) = self.category_parent.get(at) {
            if parts.len() > 64 {
                break;
            }
            parts.push(self.nicename(p).to_owned());
            at = p;
        }
        parts.reverse();
        format!("/category/{}/", parts.join("/"))
    }

    /// Hands the terms queued since the last batch to the writer, with the old archive
    /// addresses that will redirect to them.
    fn queue_terms(&mut self) {
        let sections = std::mem::take(&mut self.pending_sections);
        let tags = std::mem::take(&mut self.pending_tags);
        self.report.sections += sections.len() as u64;
        self.report.tags += tags.len() as u64;
        if self.opts.dry_run {
            return;
        }
        for s in &sections {
            let old = self.category_path(&s.slug);
            for (path, suffix) in [(old.clone(), ""), (format!("{old}feed/"), "feed/")] {
                if let Some(key) = self.key(&path) {
                    let address = (s.slug.clone(), key, suffix.to_owned());
                    self.pending.section_addresses.push(address);
                }
            }
        }
        // `/tag/x/` and its feed are our own addresses too; only a blog that lived
        // below a path (`/blog/tag/x/`) or a nicename we spell differently needs them
        // redirected.
        for (slug, _, _) in &tags {
            let old = self.nicename(slug).to_owned();
            if self.prefix.is_empty() && old == *slug {
                continue;
            }
            for suffix in ["", "feed/"] {
                if let Some(key) = self.key(&format!("/tag/{old}/{suffix}")) {
                    let address = (slug.clone(), key, suffix.to_owned());
                    self.pending.tag_addresses.push(address);
                }
            }
        }
        self.pending.sections.extend(sections);
        self.pending.tags.extend(tags);
    }

    /// Whether `url` is on the old site itself (or site-relative), so its path may be
    /// answered here.
    fn is_old_site(&self, url: &str) -> bool {
        let host = |u: &str| {
            u.split_once("//").map(|(_, rest)| {
                rest.split(['/', '?', '#'])
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase()
            })
        };
        let Some(h) = host(url) else {
            return url.starts_with('/');
        };
        let own: Vec<String> = [&self.channel.base_site_url, &self.channel.base_blog_url]
            .into_iter()
            .filter_map(|u| host(u))
            .filter(|h| !h.is_empty())
            .collect();
        own.is_empty() || own.contains(&h)
    }

    /// A path on the old site as a redirect key, under its blog prefix.
    fn key(&self, path: &str) -> Option<String> {
        let full = format!("{}{path}", self.prefix);
        let (p, q) = match full.split_once('?') {
            Some((p, q)) => (if p.is_empty() { "/" } else { p }, Some(q)),
            None => (full.as_str(), None),
        };
        source_key(p, q)
    }

    /// An item's terms of one kind, made known (queued for writing) when first seen.
    fn item_terms(&mut self, item: &Item, domain: &str) -> Vec<String> {
        let mut out = Vec::new();
        for t in item.terms(domain) {
            let Some(s) = term_slug(&t.nicename, &t.name) else {
                continue;
            };
            self.remember_nicename(&s, &t.nicename);
            let known = if domain == "category" {
                &mut self.known_sections
            } else {
                &mut self.known_tags
            };
            if known.insert(s.clone()) {
                queue_term(
                    domain,
                    t,
                    &s,
                    &mut self.pending_sections,
                    &mut self.pending_tags,
                );
            }
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }

    async fn post(&mut self, item: Item) -> Result<(), ImportError> {
        let sections = self.item_terms(&item, "category");
        let tags = self.item_terms(&item, "post_tag");
        let mut authors = Vec::new();
        if !item.creator.trim().is_empty() {
            let login = item.creator.trim().to_owned();
            authors.push(self.author(&login, &login).await?);
        }
        // Further bylines as Co-Authors Plus (and our export) write them.
        for t in item.terms("author") {
            let name = html_to_text(&t.name);
            let slug = self.author(&decoded_nicename(&t.nicename), &name).await?;
            if !authors.contains(&slug) {
                authors.push(slug);
            }
        }
        self.prepare_uploads(&item).await?;
        let converted = self.body(&item);
        let rendered = render_body(BodyFormat::Html, &converted.html);

        let mut status = map_status(&item.status);
        if item.is_password_protected() {
            status = ArticleStatus::Private;
            self.report.password_protected.push(display_title(&item));
        }
        // A draft's zero GMT date means "not published yet": WordPress floats its local
        // date with every save, so it is no publication time.
        let published = match (item.date_gmt(), status) {
            (None, ArticleStatus::Draft | ArticleStatus::Pending) => None,
            (gmt, _) => self.item_time(gmt, item.date()),
        };
        let modified = self.item_time(item.modified_gmt(), item.modified());
        let title = html_to_text(&item.title);
        let editor_excerpt = Some(html_to_text(&item.excerpt)).filter(|e| !e.is_empty());
        let mut a = NewArticle::published(
            &title,
            sections.first().map_or("News", |s| s),
            published.unwrap_or_else(|| self.store.clock().now()),
        );
        a.status = status;
        a.published_at = published;
        a.updated_at = modified.or(published);
        a.external_id = Some(self.external_id(&item));
        a.slug = wp_slug(&item.slug);
        a.body_format = BodyFormat::Html;
        a.body_source = converted.html;
        a.excerpt = excerpt::choose(editor_excerpt.as_deref(), &rendered.text);
        a.editor_excerpt = editor_excerpt;
        a.body_html = rendered.html;
        a.other_sections = sections.iter().skip(1).cloned().collect();
        a.tags = tags;
        a.authors = authors;
        a.featured = item.is_sticky;
        a.comments_open = item.comment_status == "open";
        (a.featured_image, a.featured_media_id) = self.featured_image(&item).await?;
        if let Some(lang) = language(&self.channel.language) {
            a.language = lang;
        }
        own_fields(&item, &mut a);
        let comments = self.comments(&item, a.external_id.as_deref().unwrap_or(""));
        let old_addresses = self.old_addresses(&item, "p");
        self.batch.push(ImportItem {
            article: a,
            comments,
            old_addresses,
        });
        if self.batch.len() >= self.opts.batch_size {
            self.flush().await?;
        }
        Ok(())
    }

    async fn page(&mut self, item: Item) -> Result<(), ImportError> {
        self.prepare_uploads(&item).await?;
        let converted = self.body(&item);
        let rendered = render_body(BodyFormat::Html, &converted.html);
        let title = html_to_text(&item.title);
        let wanted = wp_slug(&item.slug).unwrap_or_else(|| slug::from_title(&title));
        let wanted = if wanted.is_empty() {
            format!("page-{}", item.post_id)
        } else {
            wanted
        };
        let page_slug = match slug::check_page_slug(&wanted) {
            Ok(s) => s,
            Err(_) => {
                let renamed = format!("{wanted}-page");
                self.report
                    .renamed_pages
                    .push((wanted.clone(), renamed.clone()));
                renamed
            }
        };
        let mut status = match map_status(&item.status) {
            ArticleStatus::Scheduled => ArticleStatus::Draft,
            s => s,
        };
        if item.is_password_protected() {
            status = ArticleStatus::Private;
            self.report.password_protected.push(display_title(&item));
        }
        self.report.pages += 1;
        if self.opts.dry_run {
            return Ok(());
        }
        let id = self
            .store
            .upsert_page(&NewPage {
                slug: page_slug.clone(),
                title,
                body_format: BodyFormat::Html,
                body_source: converted.html,
                body_html: rendered.html,
                status,
            })
            .await?;
        let own = format!("/{page_slug}/");
        let redirects: Vec<NewRedirect> = self
            .old_addresses(&item, "page_id")
            .into_iter()
            .filter(|k| *k != own)
            .map(|k| NewRedirect::imported(k, ContentKind::Page, id, ORIGIN))
            .collect();
        self.report.redirects += self.store.add_redirects(&redirects).await?;
        Ok(())
    }

    /// Hands the queued terms, bylines and articles to the writer. The file's reading
    /// never waits for the database but here, for the batch before.
    async fn flush(&mut self) -> Result<(), ImportError> {
        self.queue_terms();
        let mut work = std::mem::take(&mut self.pending);
        work.articles = std::mem::take(&mut self.batch);
        if self.opts.dry_run {
            self.report.articles_created += work.articles.len() as u64;
            self.report.comments_created += work
                .articles
                .iter()
                .map(|i| i.comments.len() as u64)
                .sum::<u64>();
            return Ok(());
        }
        if work.is_empty() {
            return Ok(());
        }
        // One batch in flight at a time: its transaction commits before the next starts,
        // so a kill still leaves whole batches.
        self.written().await?;
        let store = self.store.clone();
        self.writing = Some(tokio::spawn(work.write(store)));
        Ok(())
    }

    /// Waits for the batch in flight, if any, and counts it.
    async fn written(&mut self) -> Result<(), ImportError> {
        let Some(writing) = self.writing.take() else {
            return Ok(());
        };
        let done = writing
            .await
            .map_err(|e| ImportError::Invalid(format!("the import's writer stopped: {e}")))??;
        self.report.redirects += done.redirects;
        for done in done.articles {
            if done.saved.created {
                self.report.articles_created += 1;
            } else {
                self.report.articles_updated += 1;
            }
            self.report.comments_created += done.comments_created;
            self.report.comments_updated += done.comments_updated;
            self.report.redirects += done.redirects;
        }
        Ok(())
    }

    /// The body converted from WordPress's conventions, with what the report needs.
    /// Upload URLs imported by [`Self::prepare_uploads`] point at the library.
    fn body(&mut self, item: &Item) -> content::Converted {
        let imported = self.uploads.as_ref().map(|u| &u.urls);
        let new_url = |url: &str| {
            imported
                .and_then(|m| m.get(url))
                .and_then(|i| i.as_ref())
                .map(|i| i.url.clone())
        };
        let ctx = ContentContext {
            post_id: item.post_id,
            attachments: &self.attachments,
            new_url: &new_url,
        };
        let converted = content::convert(&item.content, &ctx);
        for (k, v) in &converted.shortcodes {
            *self.report.shortcodes.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &converted.removed {
            *self.report.removed.entry(k.clone()).or_default() += v;
        }
        for url in &converted.images {
            self.report.remote_image_count += 1;
            if self.report.remote_images.len() < LIST_CAP * 5 {
                self.report.remote_images.push(url.clone());
            }
        }
        converted
    }

    /// The featured image (`_thumbnail_id`): its address, and its library image when
    /// it was imported from the uploads folder.
    async fn featured_image(
        &mut self,
        item: &Item,
    ) -> Result<(Option<String>, Option<i64>), ImportError> {
        let Some(url) = item
            .meta("_thumbnail_id")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .and_then(|id| self.attachments.get(&id))
            .map(|a| a.url.clone())
            .filter(|u| !u.is_empty())
        else {
            return Ok((None, None));
        };
        if let Some(imported) = self.upload(&url).await? {
            return Ok((Some(imported.url), Some(imported.id)));
        }
        self.report.remote_image_count += 1;
        if self.report.remote_images.len() < LIST_CAP * 5 {
            self.report.remote_images.push(url.clone());
        }
        Ok((Some(url), None))
    }

    /// With `--uploads`: imports every upload the item's body refers to (found by
    /// converting it once and noting what the conversion asks about), so that
    /// [`Self::body`] can point them at the library.
    async fn prepare_uploads(&mut self, item: &Item) -> Result<(), ImportError> {
        let Some(up) = &self.uploads else {
            return Ok(());
        };
        let asked = RefCell::new(Vec::new());
        let note = |url: &str| {
            if !up.urls.contains_key(url) {
                asked.borrow_mut().push(url.to_owned());
            }
            None
        };
        let ctx = ContentContext {
            post_id: item.post_id,
            attachments: &self.attachments,
            new_url: &note,
        };
        content::convert(&item.content, &ctx);
        for url in asked.into_inner() {
            self.upload(&url).await?;
        }
        Ok(())
    }

    /// The library image for an old upload URL, importing its file the first time; `None`
    /// when it is no upload, or its file is missing or no image (then reported).
    async fn upload(&mut self, url: &str) -> Result<Option<Imported>, ImportError> {
        let store = self.store;
        let dry_run = self.opts.dry_run;
        let old_site = self.is_old_site(url);
        let Some(up) = self.uploads.as_mut() else {
            return Ok(None);
        };
        if let Some(done) = up.urls.get(url) {
            return Ok(done.clone());
        }
        // Other uploads (a PDF a post links to) are no business of the media library.
        let Some(rel) = upload_path(url).filter(|p| image_name(p)) else {
            up.urls.insert(url.to_owned(), None);
            return Ok(None);
        };
        // A size variant (`a-300x200.jpg`) is imported as its original when that is there:
        // the library makes its own sizes.
        let chosen = original_of(&rel)
            .filter(|o| up.dir.has(o))
            .unwrap_or_else(|| rel.clone());
        let result = match up.files.get(&chosen) {
            Some(r) => r.clone(),
            None => {
                let attachment = up
                    .by_path
                    .get(&chosen)
                    .or_else(|| up.by_path.get(&rel))
                    .and_then(|id| self.attachments.get(id));
                let r =
                    import_file(store, up, &chosen, attachment, dry_run, &mut self.report).await?;
                up.files.insert(chosen, r.clone());
                r
            }
        };
        let imported = match result {
            Ok(Some(imported)) => {
                // The old address answers with the library's file (a WordPress.com
                // file host or an image CDN is not ours to answer for).
                if url.contains("/wp-content/uploads/") && old_site {
                    let path = url_path(url).split(['?', '#']).next().unwrap_or("");
                    if let Some(key) = source_key(path, None) {
                        self.report.redirects += store
                            .add_redirects(&[NewRedirect {
                                from_path: key,
                                target: RedirectTarget::Address(imported.url.clone()),
                                suffix: String::new(),
                                status: 301,
                                origin: ORIGIN.to_owned(),
                            }])
                            .await?;
                    }
                }
                Some(imported)
            }
            Ok(None) => None,
            Err(why) => {
                self.report.media_failed.push((url.to_owned(), why));
                None
            }
        };
        up.urls.insert(url.to_owned(), imported.clone());
        Ok(imported)
    }

    /// GUID, unless empty or already used in this file (then the post id on this site).
    fn external_id(&mut self, item: &Item) -> String {
        let guid = item.guid.trim();
        if !guid.is_empty() && self.guids.insert(guid_hash(guid)) {
            return guid.to_owned();
        }
        format!("wp:{}?p={}", self.channel.base_site_url, item.post_id)
    }

    /// The item's old addresses: its link's path and `/?{id_param}={post_id}`.
    fn old_addresses(&self, item: &Item, id_param: &str) -> Vec<String> {
        let mut out = Vec::new();
        let link = item.link.trim();
        if !link.is_empty() {
            let path_and_query = url_path(link);
            let (p, q) = match path_and_query.split_once('?') {
                Some((p, q)) => (if p.is_empty() { "/" } else { p }, Some(q)),
                None => (path_and_query, None),
            };
            if let Some(k) = source_key(p, q).filter(|k| k != "/") {
                out.push(k);
            }
        }
        if let Some(k) = self.key(&format!("/?{id_param}={}", item.post_id))
            && !out.contains(&k)
        {
            out.push(k);
        }
        out
    }

    /// Comments of reader kinds, with threading by WordPress id.
    fn comments(&mut self, item: &Item, article_ext: &str) -> Vec<ImportComment> {
        let mut out = Vec::with_capacity(item.comments.len());
        let ext = |id: i64| format!("{article_ext}#comment-{id}");
        for c in &item.comments {
            let kind = c.kind_or_comment();
            if !matches!(kind, "comment" | "pingback" | "trackback") {
                *self
                    .report
                    .comments_not_imported
                    .entry(kind.to_owned())
                    .or_default() += 1;
                continue;
            }
            let status = match c.approved.as_str() {
                "1" => CommentStatus::Approved,
                "spam" => CommentStatus::Spam,
                "trash" | "post-trashed" => CommentStatus::Trash,
                _ => CommentStatus::Held,
            };
            *self
                .report
                .comments_by_kind
                .entry(format!("{kind} {}", status.as_str()))
                .or_default() += 1;
            out.push(ImportComment {
                external_id: ext(c.id),
                parent_external_id: (c.parent > 0).then(|| ext(c.parent)),
                comment: NewComment {
                    status: Some(status),
                    kind: kind.to_owned(),
                    author_name: c.author.trim().to_owned(),
                    author_email: c.author_email.clone(),
                    author_url: c.author_url.clone(),
                    body: c.content.clone(),
                    body_format: "html".to_owned(),
                    client_ip: c.author_ip.clone(),
                    created_at: self.item_time(c.date_gmt(), c.date()),
                    ..NewComment::default()
                },
            });
        }
        out
    }

    /// A time from its GMT form, else from the local one in the source's timezone.
    fn item_time(
        &self,
        gmt: Option<NaiveDateTime>,
        local: Option<NaiveDateTime>,
    ) -> Option<DateTime<Utc>> {
        if let Some(t) = gmt {
            return Some(Utc.from_utc_datetime(&t));
        }
        let local = local?;
        let tz = self.opts.timezone;
        match tz.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            chrono::LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
            chrono::LocalResult::None => tz
                .from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
                .map(|t| t.with_timezone(&Utc)),
        }
    }
}

/// One file from the uploads folder into the library: `Ok(Ok(None))` in a dry run
/// (found, nothing written), `Ok(Err(why))` when it cannot be imported.
async fn import_file(
    store: &Store,
    up: &Uploads<'_>,
    rel: &str,
    attachment: Option<&Attachment>,
    dry_run: bool,
    report: &mut WxrReport,
) -> Result<Result<Option<Imported>, String>, ImportError> {
    let path = match up.dir.file(rel) {
        Ok(p) => p,
        Err(why) => return Ok(Err(why)),
    };
    let limit = up.opts.settings.max_upload_bytes;
    match tokio::fs::metadata(&path).await {
        Ok(m) if m.len() > limit => {
            return Ok(Err(format!(
                "larger than the {} MB an image may be",
                limit / 1_000_000
            )));
        }
        Ok(_) => {}
        Err(e) => return Ok(Err(format!("unreadable: {e}"))),
    }
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => b,
        Err(e) => return Ok(Err(format!("unreadable: {e}"))),
    };
    if dry_run {
        if masthead_media::SourceFormat::sniff(&bytes).is_none() {
            return Ok(Err("not a JPEG, PNG, GIF or WebP image".to_owned()));
        }
        report.media_imported += 1;
        return Ok(Ok(None));
    }
    if let Some(id) = find_in_library(store, &bytes).await? {
        let url = store
            .media(id)
            .await?
            .and_then(|r| serde_json::from_str::<Manifest>(&r.manifest).ok())
            .and_then(|m| m.largest().map(|l| l.key.url(MEDIA_URL_PREFIX)));
        if let Some(url) = url {
            report.media_reused += 1;
            return Ok(Ok(Some(Imported { id, url })));
        }
    }
    let mut meta = ImageMetadata::default();
    if let Some(a) = attachment {
        meta.alt = if a.alt.trim().is_empty() {
            a.title.trim().to_owned()
        } else {
            a.alt.trim().to_owned()
        };
        meta.caption = html_to_text(&a.caption);
    }
    let file_name = rel.rsplit('/').next().unwrap_or(rel);
    let storage = up.opts.storage.as_ref();
    match add_to_library(
        store,
        storage,
        &up.opts.settings,
        file_name,
        bytes,
        &meta,
        None,
    )
    .await
    {
        Ok(added) => match added.manifest.largest() {
            Some(l) => {
                report.media_imported += 1;
                Ok(Ok(Some(Imported {
                    id: added.id,
                    url: l.key.url(MEDIA_URL_PREFIX),
                })))
            }
            None => Ok(Err("no rendition was made".to_owned())),
        },
        Err(masthead_media::library::LibraryError::Store(e)) => Err(e.into()),
        Err(e) => Ok(Err(e.to_string())),
    }
}

/// Whether a file's name says it is an image (what is not is left alone; what says so
/// and is not gets reported).
fn image_name(path: &str) -> bool {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some(
            "jpg"
                | "jpeg"
                | "jpe"
                | "png"
                | "gif"
                | "webp"
                | "avif"
                | "bmp"
                | "svg"
                | "tif"
                | "tiff"
                | "heic"
        )
    )
}

/// Whether an author's email could be one: something, `@`, a domain with a dot.
fn plausible_email(email: &str) -> bool {
    email.len() <= 254
        && masthead_core::comment::plausible_email(email)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
}

/// Fields WordPress has no place for, from the postmeta our own export writes (and the
/// SEO titles and descriptions Yoast keeps).
fn own_fields(item: &Item, a: &mut NewArticle) {
    let text = |key: &str| {
        item.meta(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    a.kicker = text("_masthead_kicker");
    if let Some(dek) = text("_masthead_dek") {
        a.dek = Some(dek);
    }
    a.dateline = text("_masthead_dateline");
    a.seo_title = text("_masthead_seo_title").or_else(|| text("_yoast_wpseo_title"));
    a.seo_description = text("_masthead_seo_description").or_else(|| text("_yoast_wpseo_metadesc"));
    a.canonical_url = text("_masthead_canonical_url").or_else(|| text("_yoast_wpseo_canonical"));
    a.noindex = text("_masthead_noindex").is_some_and(|v| v == "1")
        || text("_yoast_wpseo_meta-robots-noindex").is_some_and(|v| v == "1");
    if let Some(label) = text("_masthead_label").and_then(|l| l.parse().ok()) {
        a.label = label;
    }
    if let Some(lang) = text("_masthead_language").and_then(|l| language(&l)) {
        a.language = lang;
    }
    if a.featured_image.is_none() {
        a.featured_image = text("_masthead_featured_image");
    }
    a.featured_image_alt = text("_masthead_featured_image_alt");
}

fn queue_term(
    domain: &str,
    t: &ItemTerm,
    slug: &str,
    sections: &mut Vec<NewSection>,
    tags: &mut Vec<(String, String, String)>,
) {
    let name = html_to_text(&t.name);
    if domain == "category" {
        sections.push(NewSection {
            slug: slug.to_owned(),
            name,
            description: String::new(),
            parent_slug: None,
        });
    } else {
        tags.push((slug.to_owned(), name, String::new()));
    }
}

/// A GUID's fixed 64-bit hash (the same in every run, so a re-import decides alike).
fn guid_hash(guid: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    guid.hash(&mut h);
    h.finish()
}

/// A nicename percent-decoded (WordPress encodes non-Latin ones).
fn decoded_nicename(nicename: &str) -> String {
    percent_decode(nicename.trim()).unwrap_or_else(|| nicename.trim().to_owned())
}

/// A term's slug from WordPress's (percent-encoded for non-Latin) nicename, else from
/// its name.
fn term_slug(nicename: &str, name: &str) -> Option<String> {
    let decoded = decoded_nicename(nicename);
    slug::check_term_slug(&decoded)
        .ok()
        .or_else(|| Some(slug::from_title(&html_to_text(name))).filter(|s| !s.is_empty()))
        .or_else(|| slug::normalize_given(&html_to_text(name)).ok())
}

/// A post's own slug, decoded; `None` when it has none (drafts).
fn wp_slug(raw: &str) -> Option<String> {
    let decoded = percent_decode(raw.trim()).unwrap_or_else(|| raw.trim().to_owned());
    slug::normalize_given(&decoded).ok()
}

fn map_status(wp: &str) -> ArticleStatus {
    match wp {
        "publish" => ArticleStatus::Published,
        "future" => ArticleStatus::Scheduled,
        "pending" => ArticleStatus::Pending,
        "private" => ArticleStatus::Private,
        "trash" => ArticleStatus::Trash,
        _ => ArticleStatus::Draft,
    }
}

fn display_title(item: &Item) -> String {
    let t = html_to_text(&item.title);
    if t.is_empty() {
        format!("(no title, post {})", item.post_id)
    } else {
        t
    }
}

/// `en-US` → `en`; empty stays the site default.
fn language(rss: &str) -> Option<String> {
    let code: String = rss
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    (code.len() == 2 || code.len() == 3).then_some(code)
}

/// The path and query of an address (`https://host/a/?p=1` → `/a/?p=1`).
fn url_path(url: &str) -> &str {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .or_else(|| url.strip_prefix("//"));
    match rest {
        Some(after) => match after.find(['/', '?']) {
            Some(i) => &after[i..],
            None => "/",
        },
        None => url,
    }
}
