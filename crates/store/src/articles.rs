//! Articles: saving (with their sections, tags and bylines) and the public reads.

use crate::editing::{Edit, RevisionContent, RevisionKind, keep_revision, prune_autosaves};
use crate::inline::Columns;
use crate::sql::{Arg, Sql, bind_args};
use crate::{
    Article, ArticleSummary, NewArticle, Saved, Store, StoreError, Term, log_change, with_pool,
    write_tx,
};
use chrono::{DateTime, NaiveDate, Utc};
use masthead_core::article::url_date;
use masthead_core::{ArticleLabel, ArticleStatus, BodyFormat, paging::PageRequest, slug};
use sqlx::AssertSqlSafe;

/// Narrows a list of public articles. Empty means "all".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ArticleFilter {
    /// In any of these sections (primary or other).
    pub section_ids: Vec<i64>,
    pub tag_id: Option<i64>,
    pub author_id: Option<i64>,
    /// Published at or after.
    pub published_after: Option<DateTime<Utc>>,
    /// Published strictly before.
    pub published_before: Option<DateTime<Utc>>,
    /// URL date on or after.
    pub date_from: Option<NaiveDate>,
    /// URL date strictly before.
    pub date_until: Option<NaiveDate>,
    pub featured: Option<bool>,
    pub exclude_ids: Vec<i64>,
}

/// What is at an article URL.
#[derive(Debug, Clone, PartialEq)]
pub enum ArticleLookup {
    Found(Box<Article>),
    /// The article lives elsewhere now (its slug or date changed): answer 301.
    Moved(String),
    /// An article was published here and has been withdrawn: answer 410.
    Gone,
    NotFound,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ArticleRow {
    id: i64,
    slug: String,
    url_date: Option<NaiveDate>,
    title: String,
    kicker: Option<String>,
    dek: Option<String>,
    excerpt: String,
    status: String,
    published_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    featured: bool,
    comments_open: bool,
    comment_count: i64,
    language: String,
    featured_image: Option<String>,
    featured_image_alt: Option<String>,
    external_id: Option<String>,
    label: String,
    section_slug: String,
    section_name: String,
    section_terms: Option<String>,
    tag_terms: Option<String>,
    author_terms: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct BodyRow {
    body_format: String,
    body_source: String,
    body_html: String,
    editor_excerpt: Option<String>,
    created_at: DateTime<Utc>,
    version: i64,
    owner_id: Option<i64>,
    dateline: Option<String>,
    seo_title: Option<String>,
    seo_description: Option<String>,
    canonical_url: Option<String>,
    noindex: bool,
    featured_media_id: Option<i64>,
    has_corrections: bool,
}

/// Whether an article has corrections, as a column: a page reads them only then, which
/// spares most article pages a query (on SQLite, a round trip to another thread).
macro_rules! has_corrections_column {
    () => {
        "EXISTS (SELECT 1 FROM corrections c WHERE c.article_id = a.id) AS has_corrections"
    };
}
pub(crate) const HAS_CORRECTIONS_COLUMN: &str = has_corrections_column!();

/// An article's summary and body columns, as one row.
#[derive(sqlx::FromRow)]
pub(crate) struct FullRow {
    #[sqlx(flatten)]
    summary: ArticleRow,
    #[sqlx(flatten)]
    body: BodyRow,
}

impl ArticleRow {
    /// Reads [`SUMMARY_COLUMNS`] in their order (a read on the caller's thread).
    fn from_columns(c: &mut Columns<'_, '_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: c.get()?,
            slug: c.get()?,
            url_date: c.opt_date()?,
            title: c.get()?,
            kicker: c.get()?,
            dek: c.get()?,
            excerpt: c.get()?,
            status: c.get()?,
            published_at: c.opt_time()?,
            updated_at: c.time()?,
            featured: c.get()?,
            comments_open: c.get()?,
            comment_count: c.get()?,
            language: c.get()?,
            featured_image: c.get()?,
            featured_image_alt: c.get()?,
            external_id: c.get()?,
            label: c.get()?,
            section_slug: c.get()?,
            section_name: c.get()?,
            section_terms: c.get()?,
            tag_terms: c.get()?,
            author_terms: c.get()?,
        })
    }
}

impl FullRow {
    /// Reads [`FULL_COLUMNS`] in their order (a read on the caller's thread).
    fn from_inline(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let c = &mut Columns::new(row);
        Ok(Self {
            summary: ArticleRow::from_columns(c)?,
            body: BodyRow {
                body_format: c.get()?,
                body_source: c.get()?,
                body_html: c.get()?,
                editor_excerpt: c.get()?,
                created_at: c.time()?,
                version: c.get()?,
                owner_id: c.get()?,
                dateline: c.get()?,
                seo_title: c.get()?,
                seo_description: c.get()?,
                canonical_url: c.get()?,
                noindex: c.get()?,
                featured_media_id: c.get()?,
                has_corrections: c.get()?,
            },
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ExistingRow {
    pub id: i64,
    pub slug: String,
    pub url_date: Option<NaiveDate>,
    pub published_at: Option<DateTime<Utc>>,
}

/// One article's sections, tags or bylines in their stored order, as one text column:
/// `slug US name RS slug US name …` (unit and record separators, which names never
/// hold: the store strips control characters from names). One row per article instead
/// of one per term matters on SQLite, where every row crosses a thread.
macro_rules! terms_column {
    ($link:literal, $table:literal, $key:literal, $alias:literal) => {
        concat!(
            "(SELECT string_agg(t.slug || '\x1f' || t.name, '\x1e' ORDER BY l.position) FROM ",
            $link,
            " l JOIN ",
            $table,
            " t ON t.id = l.",
            $key,
            " WHERE l.article_id = a.id) AS ",
            $alias
        )
    };
}

/// The columns a summary reads, as a literal so queries can `concat!` them.
macro_rules! summary_columns {
    () => {
        concat!(
            "a.id, a.slug, a.url_date, a.title, a.kicker, a.dek, a.excerpt, a.status,
    a.published_at, a.updated_at, a.featured, a.comments_open, a.comment_count, a.language,
    a.featured_image, a.featured_image_alt, a.external_id, a.label, s.slug AS section_slug, s.name AS section_name, ",
            terms_column!("article_sections", "sections", "section_id", "section_terms"),
            ", ",
            terms_column!("article_tags", "tags", "tag_id", "tag_terms"),
            ", ",
            terms_column!("article_authors", "authors", "author_id", "author_terms")
        )
    };
}
pub(crate) const SUMMARY_COLUMNS: &str = summary_columns!();
/// A summary's columns and the body's, for reading one whole article in one query.
const FULL_COLUMNS: &str = concat!(
    summary_columns!(),
    ", b.body_format, b.body_source, b.body_html, a.editor_excerpt, a.created_at, a.version, a.owner_id,
    a.dateline, a.seo_title, a.seo_description, a.canonical_url, a.noindex, a.featured_media_id, ",
    has_corrections_column!()
);

/// A query for whole articles, its text ending in `WHERE {condition}` for the caller
/// to bind the value to.
fn full_select(condition: &str) -> Sql {
    Sql::new(&format!(
        "SELECT {FULL_COLUMNS} FROM articles a JOIN sections s ON s.id = a.section_id
         JOIN article_bodies b ON b.article_id = a.id WHERE {condition}"
    ))
}

fn bad_value(e: masthead_core::article::UnknownValue) -> StoreError {
    StoreError::Invalid(format!("stored article has an {e}"))
}

/// Finds or creates a section, tag or byline (`$table`) by the slug made from its name,
/// inside the caller's transaction. Yields the id, or `None` for a name with nothing to make a slug of.
macro_rules! ensure_term {
    ($tx:expr, $table:expr, $name:expr, $now:expr) => {{
        let cleaned = $crate::clean_name($name);
        let name: &str = &cleaned;
        let mut term_slug = slug::from_title(name);
        if term_slug.is_empty() {
            term_slug = slug::normalize_given(name).unwrap_or_default();
        }
        // An existing term named by its slug (the API's way) or its name (an import's)
        // wins over making one, so a section whose slug is not made from its name is found.
        // `$table` is one of three fixed names, never input.
        let existing: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT id FROM {} WHERE slug = $1 OR name = $1 ORDER BY CASE WHEN slug = $1 THEN 0 ELSE 1 END, id LIMIT 1",
            $table
        )))
        .bind(name)
        .fetch_optional(&mut *$tx)
        .await?;
        if let Some(id) = existing {
            Some(id)
        } else if term_slug.is_empty() {
            None
        } else {
            let id: i64 =
                match $table {
                    "sections" => {
                        sqlx::query_scalar(
                            "INSERT INTO sections (slug, name, description, position)
                         VALUES ($1, $2, '', (SELECT COALESCE(MAX(position), 0) + 1 FROM sections))
                         ON CONFLICT (slug) DO UPDATE SET slug = excluded.slug RETURNING id",
                        )
                        .bind(&term_slug)
                        .bind(name)
                        .fetch_one(&mut *$tx)
                        .await?
                    }
                    "authors" => sqlx::query_scalar(
                        "INSERT INTO authors (slug, name, bio, created_at) VALUES ($1, $2, '', $3)
                         ON CONFLICT (slug) DO UPDATE SET slug = excluded.slug RETURNING id",
                    )
                    .bind(&term_slug)
                    .bind(name)
                    .bind($now)
                    .fetch_one(&mut *$tx)
                    .await?,
                    _ => {
                        sqlx::query_scalar(
                            "INSERT INTO tags (slug, name) VALUES ($1, $2)
                         ON CONFLICT (slug) DO UPDATE SET slug = excluded.slug RETURNING id",
                        )
                        .bind(&term_slug)
                        .bind(name)
                        .fetch_one(&mut *$tx)
                        .await?
                    }
                };
            Some(id)
        }
    }};
}

/// Which article a save writes: by default the one with the same external id (or a new
/// one); with `id`, that article. `owner` is recorded on a new article.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SaveTarget {
    pub id: Option<i64>,
    pub owner: Option<i64>,
}

/// Saves one article inside the caller's transaction `$tx`.
macro_rules! save_one {
    ($store:expr, $tx:expr, $a:expr, $now:expr) => {
        save_one!($store, $tx, $a, $now, SaveTarget::default())
    };
    ($store:expr, $tx:expr, $a:expr, $now:expr, $target:expr) => {{
        let a: &NewArticle = $a;
        let now: DateTime<Utc> = $now;
        let target: SaveTarget = $target;
        let section_id = match ensure_term!($tx, "sections", &a.section, now) {
            Some(id) => id,
            None => ensure_term!($tx, "sections", "News", now).unwrap_or_default(),
        };
        let existing: Option<ExistingRow> = match (target.id, &a.external_id) {
            (Some(id), _) => Some(
                sqlx::query_as("SELECT id, slug, url_date, published_at FROM articles WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *$tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("article {id}")))?,
            ),
            (None, Some(ext)) => {
                sqlx::query_as(
                    "SELECT id, slug, url_date, published_at FROM articles WHERE external_id = $1",
                )
                    .bind(ext)
                    .fetch_optional(&mut *$tx)
                    .await?
            }
            (None, None) => None,
        };
        let self_id = existing.as_ref().map_or(0, |e| e.id);

        // The slug: the given one or one made from the title, numbered on a clash.
        let base = a.slug.clone().unwrap_or_else(|| slug::from_title(&a.title));
        let chosen_slug = if base.is_empty() {
            None
        } else if existing.as_ref().is_some_and(|e| e.slug == base) {
            Some(base)
        } else {
            // Usually the slug is free: one indexed lookup. Only on a clash are the
            // numbered ones read (a LIKE that no index serves: a scan).
            let holder: Option<i64> = sqlx::query_scalar("SELECT id FROM articles WHERE slug = $1")
                .bind(&base)
                .fetch_optional(&mut *$tx)
                .await?;
            if holder.is_none_or(|h| h == self_id) {
                Some(base)
            } else {
                let taken: Vec<String> = sqlx::query_scalar(
                    "SELECT slug FROM articles WHERE (slug = $1 OR slug LIKE $2) AND id <> $3",
                )
                .bind(&base)
                .bind(format!("{base}-%"))
                .bind(self_id)
                .fetch_all(&mut *$tx)
                .await?;
                let mut n = 1;
                while taken.iter().any(|t| *t == slug::candidate(&base, n)) {
                    n += 1;
                }
                Some(slug::candidate(&base, n).into_owned())
            }
        };

        // The URL date is fixed at first publication and never recomputed (a new site
        // timezone moves no URL) — unless an editor moves a published article's
        // publication time, which moves its URL (the old one then redirects).
        let published_date = (a.status == ArticleStatus::Published)
            .then_some(a.published_at)
            .flatten()
            .map(|t| url_date(t, $store.timezone()));
        let date = match existing.as_ref() {
            Some(e) if e.url_date.is_some() => {
                if published_date.is_some() && a.published_at != e.published_at {
                    published_date
                } else {
                    e.url_date
                }
            }
            _ => published_date,
        };
        let updated_at = a.updated_at.unwrap_or(now);
        // A slug is never empty: a placeholder until the id is known.
        let slug_or_placeholder = chosen_slug.clone().unwrap_or_else(|| format!("new-{}", now.timestamp_micros()));

        let (id, created) = match &existing {
            Some(e) => {
                sqlx::query(
                    "UPDATE articles SET slug = $1, url_date = $2, title = $3, kicker = $4, dek = $5,
                        editor_excerpt = $6, excerpt = $7,
                        status = $8, published_at = $9, updated_at = $10, section_id = $11, featured = $12,
                        comments_open = $13, language = $14, featured_image = $15, featured_image_alt = $16,
                        label = $17, version = version + 1, dateline = $19, seo_title = $20,
                        seo_description = $21, canonical_url = $22, noindex = $23, featured_media_id = $24
                     WHERE id = $18",
                )
                .bind(&slug_or_placeholder)
                .bind(date)
                .bind(&a.title)
                .bind(&a.kicker)
                .bind(&a.dek)
                .bind(&a.editor_excerpt)
                .bind(&a.excerpt)
                .bind(a.status.as_str())
                .bind(a.published_at)
                .bind(updated_at)
                .bind(section_id)
                .bind(a.featured)
                .bind(a.comments_open)
                .bind(&a.language)
                .bind(&a.featured_image)
                .bind(&a.featured_image_alt)
                .bind(a.label.as_str())
                .bind(e.id)
                .bind(&a.dateline)
                .bind(&a.seo_title)
                .bind(&a.seo_description)
                .bind(&a.canonical_url)
                .bind(a.noindex)
                .bind(a.featured_media_id)
                .execute(&mut *$tx)
                .await?;
                if e.url_date.is_some() && (e.slug != slug_or_placeholder || e.url_date != date) {
                    sqlx::query("INSERT INTO slug_history (article_id, url_date, slug, created_at) VALUES ($1, $2, $3, $4)")
                        .bind(e.id)
                        .bind(e.url_date)
                        .bind(&e.slug)
                        .bind(now)
                        .execute(&mut *$tx)
                        .await?;
                }
                (e.id, false)
            }
            None => {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO articles (slug, url_date, title, kicker, dek,
                        editor_excerpt, excerpt, status, published_at, updated_at, created_at, section_id, featured,
                        comments_open, language, featured_image, featured_image_alt, external_id, label, owner_id,
                        dateline, seo_title, seo_description, canonical_url, noindex, featured_media_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
                        $21, $22, $23, $24, $25, $26)
                     RETURNING id",
                )
                .bind(&slug_or_placeholder)
                .bind(date)
                .bind(&a.title)
                .bind(&a.kicker)
                .bind(&a.dek)
                .bind(&a.editor_excerpt)
                .bind(&a.excerpt)
                .bind(a.status.as_str())
                .bind(a.published_at)
                .bind(updated_at)
                .bind(now)
                .bind(section_id)
                .bind(a.featured)
                .bind(a.comments_open)
                .bind(&a.language)
                .bind(&a.featured_image)
                .bind(&a.featured_image_alt)
                .bind(&a.external_id)
                .bind(a.label.as_str())
                .bind(target.owner)
                .bind(&a.dateline)
                .bind(&a.seo_title)
                .bind(&a.seo_description)
                .bind(&a.canonical_url)
                .bind(a.noindex)
                .bind(a.featured_media_id)
                .fetch_one(&mut *$tx)
                .await?;
                (id, true)
            }
        };
        // The body lives in its own row, so lists never read it.
        sqlx::query(
            "INSERT INTO article_bodies (article_id, body_format, body_source, body_html) VALUES ($1, $2, $3, $4)
             ON CONFLICT (article_id) DO UPDATE SET body_format = excluded.body_format,
                 body_source = excluded.body_source, body_html = excluded.body_html",
        )
        .bind(id)
        .bind(a.body_format.as_str())
        .bind(&a.body_source)
        .bind(&a.body_html)
        .execute(&mut *$tx)
        .await?;
        if chosen_slug.is_none() {
            // An empty title: the id is the slug.
            sqlx::query("UPDATE articles SET slug = $1 WHERE id = $2")
                .bind(id.to_string())
                .bind(id)
                .execute(&mut *$tx)
                .await?;
        }

        // Sections (the primary first), tags and bylines, in order, without repeats.
        for table in ["article_sections", "article_tags", "article_authors"] {
            let sql = format!("DELETE FROM {table} WHERE article_id = $1");
            sqlx::query(AssertSqlSafe(sql)).bind(id).execute(&mut *$tx).await?;
        }
        let links: [(&str, &str, &str, Vec<i64>, &[String]); 3] = [
            ("sections", "article_sections", "section_id", vec![section_id], &a.other_sections),
            ("tags", "article_tags", "tag_id", Vec::new(), &a.tags),
            ("authors", "article_authors", "author_id", Vec::new(), &a.authors),
        ];
        for (table, link, key, mut ids, names) in links {
            for name in names {
                if let Some(term_id) = ensure_term!($tx, table, name, now)
                    && !ids.contains(&term_id)
                {
                    ids.push(term_id);
                }
            }
            // `link` and `key` are fixed names from this list, never input.
            // Each link carries the article's status and time for the listing index.
            let sql = format!(
                "INSERT INTO {link} (article_id, {key}, position, status, published_at) VALUES ($1, $2, $3, $4, $5)"
            );
            for (pos, term_id) in ids.iter().enumerate() {
                sqlx::query(AssertSqlSafe(sql.clone()))
                    .bind(id)
                    .bind(*term_id)
                    .bind(pos as i32)
                    .bind(a.status.as_str())
                    .bind(a.published_at)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
        log_change!($tx, "article", id, if created { "create" } else { "update" }, now);
        let version: i64 = sqlx::query_scalar("SELECT version FROM articles WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *$tx)
            .await?;
        Saved { id, created, version }
    }};
}

pub(crate) use {ensure_term, save_one};

impl Store {
    /// Creates an article owned by `edit.user_id`, keeping its first revision.
    pub async fn create_article(&self, a: &NewArticle, edit: &Edit) -> Result<Saved, StoreError> {
        let now = self.clock.now();
        let content = RevisionContent::from(a);
        Ok(write_tx!(self, |tx| {
            let target = SaveTarget {
                id: None,
                owner: edit.user_id,
            };
            let mut fresh = a.clone();
            fresh.external_id = None;
            let saved = save_one!(self, tx, &fresh, now, target);
            keep_revision!(
                tx,
                saved.id,
                saved.version,
                RevisionKind::Save,
                edit.user_id,
                &content,
                now
            );
            saved
        }))
    }

    /// Saves `a` over article `id`. With `edit.based_on`, a save based on an outdated
    /// version is refused with [`StoreError::Stale`] — and kept as a revision, so both
    /// versions survive.
    pub async fn update_article(
        &self,
        id: i64,
        a: &NewArticle,
        edit: &Edit,
    ) -> Result<Saved, StoreError> {
        let now = self.clock.now();
        let content = RevisionContent::from(a);
        let outcome: Result<Saved, StoreError> = write_tx!(self, |tx| {
            let current: Option<(i64, DateTime<Utc>)> =
                sqlx::query_as("SELECT version, updated_at FROM articles WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((version, updated_at)) = current else {
                return Err(StoreError::NotFound(format!("article {id}")));
            };
            match edit.based_on {
                Some(based) if based != version => {
                    keep_revision!(
                        tx,
                        id,
                        based,
                        RevisionKind::Refused,
                        edit.user_id,
                        &content,
                        now
                    );
                    Err(StoreError::Stale { current: version })
                }
                _ => {
                    let mut next = a.clone();
                    if edit.minor {
                        next.updated_at = Some(updated_at);
                    }
                    let target = SaveTarget {
                        id: Some(id),
                        owner: None,
                    };
                    let saved = save_one!(self, tx, &next, now, target);
                    let kind = if edit.restoring {
                        RevisionKind::Restore
                    } else {
                        RevisionKind::Save
                    };
                    keep_revision!(tx, id, saved.version, kind, edit.user_id, &content, now);
                    if let Some(user) = edit.user_id {
                        // Their save holds what they typed: all their autosaves are older,
                        // so all go, however many a person may keep.
                        prune_autosaves!(tx, id, user, usize::MAX);
                    }
                    Ok(saved)
                }
            }
        });
        outcome
    }

    /// Creates an article, or updates the one with the same external id.
    pub async fn save_article(&self, a: &NewArticle) -> Result<Saved, StoreError> {
        let mut saved = self.save_articles(std::slice::from_ref(a)).await?;
        saved
            .pop()
            .ok_or_else(|| StoreError::Invalid("nothing was saved".to_owned()))
    }

    /// Saves a batch of articles in one transaction: all of them or none.
    pub async fn save_articles(&self, batch: &[NewArticle]) -> Result<Vec<Saved>, StoreError> {
        let now = self.clock.now();
        let saved = write_tx!(self, |tx| {
            let mut saved = Vec::with_capacity(batch.len());
            for a in batch {
                saved.push(save_one!(self, tx, a, now));
            }
            saved
        });
        Ok(saved)
    }

    /// Any article by id, whatever its status (for the newsroom and tests).
    pub async fn article(&self, id: i64) -> Result<Option<Article>, StoreError> {
        let mut q = full_select("a.id = ");
        q.bind(Arg::Int(id));
        self.one_article(q).await
    }

    /// A public article by id.
    pub async fn public_article_by_id(&self, id: i64) -> Result<Option<Article>, StoreError> {
        let mut q = full_select("a.id = ");
        q.bind(Arg::Int(id));
        self.push_public(&mut q);
        self.one_article(q).await
    }

    /// What a reader finds at `/{date}/{slug}/`: the article, a redirect to where it
    /// lives now, or nothing. Unpublished articles are never found.
    pub async fn public_article_at(
        &self,
        date: NaiveDate,
        slug: &str,
    ) -> Result<ArticleLookup, StoreError> {
        let mut q = full_select("a.slug = ");
        q.bind(Arg::Text(slug.to_owned()));
        self.push_public(&mut q);
        if let Some(article) = self.one_article(q).await? {
            return Ok(match article.summary.url_date {
                Some(d) if d == date => ArticleLookup::Found(Box::new(article)),
                _ => article
                    .summary
                    .path()
                    .map_or(ArticleLookup::NotFound, ArticleLookup::Moved),
            });
        }
        // An old slug: follow the history to the article's current home.
        let old: Option<i64> = with_pool!(&self.read, |p| {
            sqlx::query_scalar(
                "SELECT article_id FROM slug_history WHERE slug = $1 ORDER BY (url_date = $2) DESC, id DESC LIMIT 1",
            )
            .bind(slug)
            .bind(date)
            .fetch_optional(p)
            .await?
        });
        if let Some(id) = old
            && let Some(article) = self.public_article_by_id(id).await?
            && let Some(path) = article.summary.path()
        {
            return Ok(ArticleLookup::Moved(path));
        }
        // Published here once (it has a URL date) and taken down since (drafted, made
        // private, trashed): withdrawn. One still to come is simply not there yet.
        let withdrawn: Option<i64> = with_pool!(&self.read, |p| {
            match old {
                Some(id) => sqlx::query_scalar(
                    "SELECT id FROM articles WHERE id = $1 AND status NOT IN ('published', 'scheduled')",
                )
                .bind(id)
                .fetch_optional(p)
                .await?,
                None => sqlx::query_scalar(
                    "SELECT id FROM articles WHERE slug = $1 AND url_date = $2
                     AND status NOT IN ('published', 'scheduled')",
                )
                .bind(slug)
                .bind(date)
                .fetch_optional(p)
                .await?,
            }
        });
        Ok(if withdrawn.is_some() {
            ArticleLookup::Gone
        } else {
            ArticleLookup::NotFound
        })
    }

    /// A page of public articles, newest first, and how many match in all.
    pub async fn list_public(
        &self,
        filter: &ArticleFilter,
        page: PageRequest,
    ) -> Result<(Vec<ArticleSummary>, i64), StoreError> {
        let total = self.count_public(filter).await?;
        if total == 0 {
            return Ok((Vec::new(), 0));
        }
        Ok((self.public_articles(filter, page).await?, total))
    }

    /// One page of the public articles matching `filter`, newest first, without counting
    /// them all (callers that show page numbers count separately, and may cache it).
    pub async fn public_articles(
        &self,
        filter: &ArticleFilter,
        page: PageRequest,
    ) -> Result<Vec<ArticleSummary>, StoreError> {
        let mut q = Sql::new(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM articles a JOIN sections s ON s.id = a.section_id WHERE "
        ));
        let sets = filter.sets();
        match sets.first() {
            // No set: walk the articles' own index, newest first. The page's ids are
            // chosen first and the summary columns (three aggregates each) read for
            // them alone: PostgreSQL computes a row's select list before OFFSET skips
            // it, so page 1,000 cost ten thousand rows' aggregates (1 s at 19k stories).
            None => {
                q.push("a.id IN (SELECT a.id FROM articles a WHERE ");
                self.push_visible(&mut q, "a.status", "a.published_at");
                push_conditions(&mut q, filter, None, "a.id", "a.published_at");
                q.push(" ORDER BY a.published_at DESC, a.id DESC");
                q.push_limit(page.limit(), page.offset());
                q.push(") ORDER BY a.published_at DESC, a.id DESC");
            }
            // A set: the page's ids come from the set's listing index, one ordered walk
            // per member (a section and its subsections) that stops after the page, so
            // a page costs about a page's worth of index entries at any set size.
            Some(&(kind, ids)) => {
                let keep = page.offset() + page.limit();
                q.push("a.id IN (SELECT u.article_id FROM (");
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        // UNION, not UNION ALL: an article in two subsections counts once.
                        q.push(" UNION ");
                    }
                    q.push(&format!(
                        "SELECT * FROM (SELECT d.article_id, d.published_at FROM {} d WHERE d.{} = ",
                        kind.link(),
                        kind.key()
                    ));
                    q.bind(Arg::Int(*id));
                    q.push(" AND ");
                    self.push_visible(&mut q, "d.status", "d.published_at");
                    push_conditions(&mut q, filter, Some(kind), "d.article_id", "d.published_at");
                    q.push(" ORDER BY d.published_at DESC, d.article_id DESC");
                    q.push_limit(keep, 0);
                    q.push(&format!(") b{i}"));
                }
                q.push(") u ORDER BY u.published_at DESC, u.article_id DESC");
                q.push_limit(page.limit(), page.offset());
                q.push(") ORDER BY a.published_at DESC, a.id DESC");
            }
        }
        let rows: Vec<ArticleRow> = with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_as(AssertSqlSafe(q.text.clone())), &q.args)
                .fetch_all(p)
                .await?
        });
        Self::summaries(rows)
    }

    /// How many public articles there are.
    pub async fn count_public(&self, filter: &ArticleFilter) -> Result<i64, StoreError> {
        let sets = filter.sets();
        let q = match sets.first() {
            None => {
                let mut q = Sql::new("SELECT COUNT(*) FROM articles a WHERE ");
                self.push_visible(&mut q, "a.status", "a.published_at");
                push_conditions(&mut q, filter, None, "a.id", "a.published_at");
                q
            }
            Some(&(kind, ids)) => {
                // Counted in the set's covering index; an article linked to two of the
                // ids (a section and its subsection) counts once.
                let what = if ids.len() > 1 {
                    "COUNT(DISTINCT d.article_id)"
                } else {
                    "COUNT(*)"
                };
                let mut q = Sql::new(&format!(
                    "SELECT {what} FROM {} d WHERE d.{} IN ",
                    kind.link(),
                    kind.key()
                ));
                q.bind_ids(ids);
                q.push(" AND ");
                self.push_visible(&mut q, "d.status", "d.published_at");
                push_conditions(&mut q, filter, Some(kind), "d.article_id", "d.published_at");
                q
            }
        };
        Ok(with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_scalar(AssertSqlSafe(q.text.clone())), &q.args)
                .fetch_one(p)
                .await?
        }))
    }

    /// Public now: published, at a time that has come.
    fn push_visible(&self, q: &mut Sql, status: &str, published_at: &str) {
        q.push(&format!("{status} = 'published' AND {published_at} <= "));
        q.bind(Arg::Time(self.clock.now()));
    }

    fn push_public(&self, q: &mut Sql) {
        q.push(" AND ");
        self.push_visible(q, "a.status", "a.published_at");
    }

    /// One article by a unique key. On SQLite it is read on this thread: an indexed
    /// lookup, and the page's main query (`inline.rs` says why).
    async fn one_article(&self, q: Sql) -> Result<Option<Article>, StoreError> {
        if let Some(inline) = &self.inline {
            return Ok(Self::articles(inline.rows(&q, FullRow::from_inline)?)?.pop());
        }
        Ok(self.full_articles(q, true).await?.pop())
    }

    /// The public articles among `ids` (any order), read together: what the search index
    /// catches up from, a few hundred at a time instead of a query per article. On SQLite
    /// they are read on a blocking thread, all chunks in one hand-off, instead of each row
    /// crossing from sqlx's connection thread (an import's indexer reads every article
    /// back this way).
    pub async fn public_articles_by_ids(&self, ids: &[i64]) -> Result<Vec<Article>, StoreError> {
        let queries: Vec<Sql> = ids
            .chunks(500)
            .map(|chunk| {
                let mut q = full_select("a.id IN ");
                q.bind_ids(chunk);
                self.push_public(&mut q);
                q
            })
            .collect();
        // Not kept prepared: the number of ids differs from call to call.
        if let Some(rows) = self
            .inline_rows(queries.clone(), false, FullRow::from_inline)
            .await
        {
            return Self::articles(rows?);
        }
        let mut out = Vec::with_capacity(ids.len());
        for q in queries {
            // Not kept prepared: the number of ids differs from call to call.
            out.extend(self.full_articles(q, false).await?);
        }
        Ok(out)
    }

    async fn full_articles(&self, q: Sql, keep_prepared: bool) -> Result<Vec<Article>, StoreError> {
        let rows: Vec<FullRow> = with_pool!(&self.read, |p| {
            let query = sqlx::query_as(AssertSqlSafe(q.text.clone())).persistent(keep_prepared);
            bind_args!(query, &q.args).fetch_all(p).await?
        });
        Self::articles(rows)
    }

    /// Turns full rows into articles.
    pub(crate) fn articles(rows: Vec<FullRow>) -> Result<Vec<Article>, StoreError> {
        let (summaries, bodies): (Vec<ArticleRow>, Vec<BodyRow>) =
            rows.into_iter().map(|r| (r.summary, r.body)).unzip();
        Self::summaries(summaries)?
            .into_iter()
            .zip(bodies)
            .map(|(summary, body)| {
                let body_format = body.body_format.parse::<BodyFormat>().map_err(|e| {
                    StoreError::Invalid(format!("stored article {} has an {e}", summary.id))
                })?;
                Ok(Article {
                    summary,
                    body_format,
                    body_source: body.body_source,
                    body_html: body.body_html,
                    editor_excerpt: body.editor_excerpt,
                    created_at: body.created_at,
                    version: body.version,
                    owner_id: body.owner_id,
                    dateline: body.dateline,
                    seo_title: body.seo_title,
                    seo_description: body.seo_description,
                    canonical_url: body.canonical_url,
                    noindex: body.noindex,
                    featured_media_id: body.featured_media_id,
                    has_corrections: body.has_corrections,
                })
            })
            .collect()
    }

    /// Turns rows into summaries.
    pub(crate) fn summaries(rows: Vec<ArticleRow>) -> Result<Vec<ArticleSummary>, StoreError> {
        rows.into_iter()
            .map(|r| {
                Ok(ArticleSummary {
                    status: r.status.parse::<ArticleStatus>().map_err(bad_value)?,
                    label: r.label.parse::<ArticleLabel>().map_err(bad_value)?,
                    section: Term {
                        slug: r.section_slug,
                        name: r.section_name,
                    },
                    sections: parse_terms(r.section_terms.as_deref()),
                    tags: parse_terms(r.tag_terms.as_deref()),
                    authors: parse_terms(r.author_terms.as_deref()),
                    id: r.id,
                    slug: r.slug,
                    url_date: r.url_date,
                    title: r.title,
                    kicker: r.kicker,
                    dek: r.dek,
                    excerpt: r.excerpt,
                    published_at: r.published_at,
                    updated_at: r.updated_at,
                    featured: r.featured,
                    comments_open: r.comments_open,
                    comment_count: r.comment_count,
                    language: r.language,
                    featured_image: r.featured_image,
                    featured_image_alt: r.featured_image_alt,
                    external_id: r.external_id,
                })
            })
            .collect()
    }
}

/// Reads a [`terms_column!`] value.
fn parse_terms(joined: Option<&str>) -> Vec<Term> {
    joined
        .unwrap_or_default()
        .split('\x1e')
        .filter_map(|t| t.split_once('\x1f'))
        .map(|(slug, name)| Term {
            slug: slug.to_owned(),
            name: name.to_owned(),
        })
        .collect()
}

/// The sets a filter can name, each listed through its own link table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetKind {
    Section,
    Tag,
    Author,
}

impl SetKind {
    fn link(self) -> &'static str {
        match self {
            Self::Section => "article_sections",
            Self::Tag => "article_tags",
            Self::Author => "article_authors",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Self::Section => "section_id",
            Self::Tag => "tag_id",
            Self::Author => "author_id",
        }
    }
}

impl ArticleFilter {
    /// The filter's sets, the one to walk first: a tag is usually the smallest, a
    /// byline next, a section the largest; the others are checked per article.
    fn sets(&self) -> Vec<(SetKind, &[i64])> {
        let mut sets = Vec::new();
        if let Some(t) = &self.tag_id {
            sets.push((SetKind::Tag, std::slice::from_ref(t)));
        }
        if let Some(a) = &self.author_id {
            sets.push((SetKind::Author, std::slice::from_ref(a)));
        }
        if !self.section_ids.is_empty() {
            sets.push((SetKind::Section, self.section_ids.as_slice()));
        }
        sets
    }
}

/// Appends the filter's conditions on the article whose id is `id` and publication
/// time `published_at`, except membership of `walked`, the set the query walks.
fn push_conditions(
    q: &mut Sql,
    f: &ArticleFilter,
    walked: Option<SetKind>,
    id: &str,
    published_at: &str,
) {
    // `id`, `published_at` and the table names are fixed strings from this module.
    for (kind, ids) in f.sets() {
        if Some(kind) == walked {
            continue;
        }
        q.push(&format!(
            " AND EXISTS (SELECT 1 FROM {} x WHERE x.article_id = {id} AND x.{} IN ",
            kind.link(),
            kind.key()
        ));
        q.bind_ids(ids);
        q.push(")");
    }
    if let Some(t) = f.published_after {
        q.push(&format!(" AND {published_at} >= "));
        q.bind(Arg::Time(t));
    }
    if let Some(t) = f.published_before {
        q.push(&format!(" AND {published_at} < "));
        q.bind(Arg::Time(t));
    }
    let on_article = f.date_from.is_some() || f.date_until.is_some() || f.featured.is_some();
    // Walking a link table, the article's own columns are looked up per row.
    let wrap = on_article && id != "a.id";
    if wrap {
        q.push(&format!(
            " AND EXISTS (SELECT 1 FROM articles a WHERE a.id = {id}"
        ));
    }
    if let Some(d) = f.date_from {
        q.push(" AND a.url_date >= ");
        q.bind(Arg::Date(d));
    }
    if let Some(d) = f.date_until {
        q.push(" AND a.url_date < ");
        q.bind(Arg::Date(d));
    }
    if let Some(feat) = f.featured {
        q.push(if feat {
            " AND a.featured = TRUE"
        } else {
            " AND a.featured = FALSE"
        });
    }
    if wrap {
        q.push(")");
    }
    if !f.exclude_ids.is_empty() {
        q.push(&format!(" AND {id} NOT IN "));
        q.bind_ids(&f.exclude_ids);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NewMedia, StoreOptions};
    use chrono::TimeZone;
    use masthead_core::{CorrectionKind, FakeClock};
    use std::sync::Arc;

    /// An article read on the caller's thread equals the same article read through the
    /// pool: every column decoded, in its place.
    #[tokio::test]
    async fn a_read_on_this_thread_decodes_as_the_pool_does() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("m.db").display());
        let at = Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap();
        let store = Store::open(&StoreOptions::new(url), Arc::new(FakeClock::at(at)))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        assert!(store.inline.is_some(), "a SQLite file is read inline");
        let media = store
            .add_media(&NewMedia {
                hash: "h".into(),
                file_name: "f.jpg".into(),
                width: 10,
                height: 20,
                manifest: "{}".into(),
                meta: "{}".into(),
                search_text: String::new(),
                uploaded_by: None,
            })
            .await
            .unwrap();
        let mut a = NewArticle::published("Café Müller reopens", "Culture", at);
        a.external_id = Some("wp-7".into());
        a.kicker = Some("Kicker".into());
        a.dek = Some("Dek".into());
        a.body_format = BodyFormat::Html;
        a.body_source = "<p>Source</p>".into();
        a.body_html = "<p>Html</p>".into();
        a.editor_excerpt = Some("Editor's".into());
        a.excerpt = "Excerpt".into();
        a.updated_at = Some(at + chrono::Duration::milliseconds(1_500));
        a.other_sections = vec!["Arts".into(), "City".into()];
        a.tags = vec!["Dance".into(), "Stage".into()];
        a.authors = vec!["Ana Ruiz".into(), "Ben Ode".into()];
        a.featured = true;
        a.comments_open = false;
        a.language = "de".into();
        a.featured_image = Some("https://example.org/i.jpg".into());
        a.featured_image_alt = Some("Alt".into());
        a.label = ArticleLabel::Opinion;
        a.dateline = Some("NORTHBRIDGE".into());
        a.seo_title = Some("Seo title".into());
        a.seo_description = Some("Seo description".into());
        a.canonical_url = Some("https://example.org/original".into());
        a.noindex = true;
        a.featured_media_id = Some(media);
        let id = store.save_article(&a).await.unwrap().id;
        store
            .add_correction(id, CorrectionKind::Correction, "Fixed a name.", None)
            .await
            .unwrap();

        let inline = store.article(id).await.unwrap().unwrap();
        let mut q = full_select("a.id = ");
        q.bind(Arg::Int(id));
        let pooled = store.full_articles(q, true).await.unwrap().pop().unwrap();
        assert_eq!(inline, pooled);
        assert!(inline.has_corrections && inline.noindex && inline.summary.featured);
        assert_eq!(inline.summary.tags.len(), 2);
        assert_eq!(inline.summary.authors[1].name, "Ben Ode");
        assert_eq!(inline.featured_media_id, Some(media));

        // The indexer's read of many at once, on a blocking thread, decodes alike.
        let many = store
            .public_articles_by_ids(&[id, id + 1000])
            .await
            .unwrap();
        assert_eq!(many, vec![pooled.clone()]);

        // And the public lookup by URL finds it the same way.
        let date = inline.summary.url_date.unwrap();
        let slug = inline.summary.slug.clone();
        match store.public_article_at(date, &slug).await.unwrap() {
            ArticleLookup::Found(found) => assert_eq!(*found, pooled),
            other => panic!("expected the article, got {other:?}"),
        }
    }
}
