//! Redirects: manual ones from the newsroom and those an import brings, with hit counts.
//!
//! A redirect names an address, or a piece of content that it follows: an imported post's
//! old link keeps landing on the article after an editor renames its slug.

use crate::{Store, StoreError, log_change, unseen_write_tx, with_pool, write_tx};
use chrono::{DateTime, Utc};
use masthead_core::redirect::STATUSES;
use sqlx::AssertSqlSafe;

/// What a redirect leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectTarget {
    /// A path on this site or an http(s) address (empty for 410 Gone).
    Address(String),
    /// Content, by kind and id; the redirect follows its current address.
    Content { kind: ContentKind, id: i64 },
}

/// The kinds of content a redirect can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentKind {
    Article,
    Page,
    Section,
    Tag,
    Author,
}

impl ContentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Article => "article",
            Self::Page => "page",
            Self::Section => "section",
            Self::Tag => "tag",
            Self::Author => "author",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "article" => Self::Article,
            "page" => Self::Page,
            "section" => Self::Section,
            "tag" => Self::Tag,
            "author" => Self::Author,
            _ => return None,
        })
    }
}

/// A redirect to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRedirect {
    /// Already a `masthead_core::redirect::source_key`.
    pub from_path: String,
    pub target: RedirectTarget,
    /// Appended to a content target's address (`feed/` for an old category feed).
    pub suffix: String,
    /// 301, 302 or 410.
    pub status: u16,
    /// `manual` for the newsroom's; the importer's name otherwise.
    pub origin: String,
}

impl NewRedirect {
    /// A permanent redirect an import brings to a piece of content.
    pub fn imported(from_path: String, kind: ContentKind, id: i64, origin: &str) -> Self {
        Self {
            from_path,
            target: RedirectTarget::Content { kind, id },
            suffix: String::new(),
            status: 301,
            origin: origin.to_owned(),
        }
    }
}

/// A stored redirect, as the newsroom lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct Redirect {
    pub id: i64,
    pub from_path: String,
    pub to_url: String,
    pub target_kind: Option<String>,
    pub target_id: Option<i64>,
    pub status: i32,
    pub origin: String,
    pub hits: i64,
    pub last_hit_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where a request for a redirected address goes now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectHit {
    pub id: i64,
    pub status: u16,
    /// A path on this site (not yet percent-encoded) or an absolute address; `None` for
    /// 410 Gone.
    pub location: Option<String>,
}

/// An automatic redirect: an article's or a term's earlier address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SlugChangeRedirect {
    /// article, section or tag
    pub kind: String,
    pub id: i64,
    pub title: String,
    /// The earlier address (a path).
    pub old_path: String,
    /// The current address, when it is public.
    pub new_path: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The newsroom's redirect list: a page of it and the filter that chose it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedirectFilter {
    /// `manual`, an importer's name, `imported` (any importer's), or all.
    pub origin: Option<String>,
    /// Part of the old address or the destination.
    pub contains: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

const COLUMNS: &str = "id, from_path, to_url, target_kind, target_id, status, origin, hits, last_hit_at, created_at, updated_at";

fn check(r: &NewRedirect) -> Result<(), StoreError> {
    if !STATUSES.contains(&r.status) {
        return Err(StoreError::Invalid(format!(
            "A redirect answers 301, 302 or 410, not {}.",
            r.status
        )));
    }
    if !r.from_path.starts_with('/') {
        return Err(StoreError::Invalid(
            "The old address must start with a slash.".to_owned(),
        ));
    }
    if let RedirectTarget::Address(to) = &r.target {
        if r.status != 410 && to.is_empty() {
            return Err(StoreError::Invalid(
                "Enter where the address should go.".to_owned(),
            ));
        }
        if *to == r.from_path {
            return Err(StoreError::Invalid(
                "A redirect cannot lead to its own address.".to_owned(),
            ));
        }
    }
    Ok(())
}

/// The columns a target is kept in: `(to_url, target_kind, target_id)`.
pub(crate) fn columns(r: &NewRedirect) -> (String, Option<&'static str>, Option<i64>) {
    match &r.target {
        RedirectTarget::Address(_) if r.status == 410 => (String::new(), None, None),
        RedirectTarget::Address(to) => (to.clone(), None, None),
        RedirectTarget::Content { kind, id } => (r.suffix.clone(), Some(kind.as_str()), Some(*id)),
    }
}

/// Inserts or replaces redirects inside the caller's transaction; a manual redirect is
/// never replaced by an import's.
macro_rules! upsert_redirects {
    ($tx:expr, $redirects:expr, $now:expr) => {{
        let mut written = 0u64;
        for r in $redirects {
            let (to_url, kind, target_id) = $crate::redirects::columns(r);
            let done = sqlx::query(
                "INSERT INTO redirects (from_path, to_url, target_kind, target_id, status, origin, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
                 ON CONFLICT (from_path) DO UPDATE SET to_url = excluded.to_url,
                     target_kind = excluded.target_kind, target_id = excluded.target_id,
                     status = excluded.status, origin = excluded.origin, updated_at = excluded.updated_at
                 WHERE redirects.origin <> 'manual' OR excluded.origin = 'manual'",
            )
            .bind(&r.from_path)
            .bind(&to_url)
            .bind(kind)
            .bind(target_id)
            .bind(i32::from(r.status))
            .bind(&r.origin)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
            written += done.rows_affected();
        }
        written
    }};
}
pub(crate) use upsert_redirects;

impl Store {
    /// Keeps redirects an import brings, in one transaction; returns how many were
    /// written (a manual redirect for the same address wins and is left alone).
    pub async fn add_redirects(&self, redirects: &[NewRedirect]) -> Result<u64, StoreError> {
        for r in redirects {
            check(r)?;
        }
        if redirects.is_empty() {
            return Ok(0);
        }
        let now = self.clock().now();
        Ok(write_tx!(self, |tx| {
            let n = upsert_redirects!(tx, redirects, now);
            log_change!(tx, "redirect", 0_i64, "update", now);
            n
        }))
    }

    /// Saves an editor's redirect: a new one (`id` `None`) or redirect `id`. An address
    /// another redirect already holds is refused with a clear message.
    pub async fn save_redirect(&self, id: Option<i64>, r: &NewRedirect) -> Result<i64, StoreError> {
        check(r)?;
        let now = self.clock().now();
        let (to_url, kind, target_id) = columns(r);
        Ok(write_tx!(self, |tx| {
            let holder: Option<i64> =
                sqlx::query_scalar("SELECT id FROM redirects WHERE from_path = $1")
                    .bind(&r.from_path)
                    .fetch_optional(&mut *tx)
                    .await?;
            if holder.is_some() && holder != id {
                return Err(StoreError::Invalid(format!(
                    "{} already redirects; edit that redirect instead.",
                    r.from_path
                )));
            }
            let saved: i64 = match id {
                None => sqlx::query_scalar(
                    "INSERT INTO redirects (from_path, to_url, target_kind, target_id, status, origin, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
                )
                .bind(&r.from_path)
                .bind(&to_url)
                .bind(kind)
                .bind(target_id)
                .bind(i32::from(r.status))
                .bind(&r.origin)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?,
                Some(id) => sqlx::query_scalar(
                    "UPDATE redirects SET from_path = $1, to_url = $2, target_kind = $3, target_id = $4,
                         status = $5, updated_at = $6 WHERE id = $7 RETURNING id",
                )
                .bind(&r.from_path)
                .bind(&to_url)
                .bind(kind)
                .bind(target_id)
                .bind(i32::from(r.status))
                .bind(now)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("redirect {id}")))?,
            };
            log_change!(tx, "redirect", saved, "update", now);
            saved
        }))
    }

    pub async fn delete_redirect(&self, id: i64) -> Result<(), StoreError> {
        let now = self.clock().now();
        write_tx!(self, |tx| {
            let done = sqlx::query("DELETE FROM redirects WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(format!("redirect {id}")));
            }
            log_change!(tx, "redirect", id, "delete", now);
        });
        Ok(())
    }

    pub async fn redirect(&self, id: i64) -> Result<Option<Redirect>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM redirects WHERE id = $1");
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(id)
                .fetch_optional(p)
                .await?
        }))
    }

    /// A page of redirects, newest first, and how many match in all.
    pub async fn redirects(&self, f: &RedirectFilter) -> Result<(Vec<Redirect>, i64), StoreError> {
        let origin = f.origin.clone().unwrap_or_default();
        let contains = f
            .contains
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| {
                format!(
                    "%{}%",
                    c.replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_")
                )
            })
            .unwrap_or_default();
        let filter = "($1 = '' OR origin = $1 OR ($1 = 'imported' AND origin <> 'manual')) AND ($2 = '' OR from_path LIKE $2 ESCAPE '\\' OR to_url LIKE $2 ESCAPE '\\')";
        let list = format!(
            "SELECT {COLUMNS} FROM redirects WHERE {filter} ORDER BY id DESC LIMIT {} OFFSET {}",
            f.limit.clamp(1, 500),
            f.offset.max(0)
        );
        let count = format!("SELECT COUNT(*) FROM redirects WHERE {filter}");
        Ok(with_pool!(&self.read, |p| {
            let rows: Vec<Redirect> = sqlx::query_as(AssertSqlSafe(list.clone()))
                .bind(&origin)
                .bind(&contains)
                .fetch_all(p)
                .await?;
            let total: i64 = sqlx::query_scalar(AssertSqlSafe(count.clone()))
                .bind(&origin)
                .bind(&contains)
                .fetch_one(p)
                .await?;
            (rows, total)
        }))
    }

    /// Every redirected address, for a node's in-memory set: most requests are for
    /// addresses no redirect holds, and they should cost no query.
    pub async fn redirect_sources(&self) -> Result<Vec<String>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_scalar("SELECT from_path FROM redirects")
                .fetch_all(p)
                .await?
        }))
    }

    /// Where `key` (a `source_key`) goes now. `None` when no redirect holds it, or when
    /// the content it follows is not public (a draft is not revealed by its old link).
    pub async fn redirect_for(&self, key: &str) -> Result<Option<RedirectHit>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM redirects WHERE from_path = $1");
        let row: Option<Redirect> = with_pool!(&self.read, |p| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(key)
                .fetch_optional(p)
                .await?
        });
        let Some(r) = row else { return Ok(None) };
        let status = u16::try_from(r.status).unwrap_or(301);
        if status == 410 {
            return Ok(Some(RedirectHit {
                id: r.id,
                status,
                location: None,
            }));
        }
        let base = match (
            r.target_kind.as_deref().and_then(ContentKind::parse),
            r.target_id,
        ) {
            (Some(kind), Some(id)) => match self.content_path(kind, id).await? {
                Some(path) => path,
                None => return Ok(None),
            },
            _ => String::new(),
        };
        Ok(Some(RedirectHit {
            id: r.id,
            status,
            location: Some(format!("{base}{}", r.to_url)),
        }))
    }

    /// The public address of a piece of content, if it has one.
    async fn content_path(&self, kind: ContentKind, id: i64) -> Result<Option<String>, StoreError> {
        let (sql, prefix) = match kind {
            ContentKind::Article => {
                return Ok(self
                    .public_article_by_id(id)
                    .await?
                    .and_then(|a| a.summary.path()));
            }
            ContentKind::Page => (
                "SELECT slug FROM pages WHERE id = $1 AND status = 'published'",
                "",
            ),
            ContentKind::Section => ("SELECT slug FROM sections WHERE id = $1", "/section"),
            ContentKind::Tag => ("SELECT slug FROM tags WHERE id = $1", "/tag"),
            ContentKind::Author => ("SELECT slug FROM authors WHERE id = $1", "/author"),
        };
        let slug: Option<String> = with_pool!(&self.read, |p| {
            sqlx::query_scalar(sql).bind(id).fetch_optional(p).await?
        });
        Ok(slug.map(|s| format!("{prefix}/{s}/")))
    }

    /// Counts a followed redirect. Readers following links change nothing anyone reads,
    /// so the page cache is left alone.
    pub async fn record_redirect_hit(&self, id: i64) -> Result<(), StoreError> {
        let now = self.clock().now();
        unseen_write_tx!(self, |tx| {
            sqlx::query("UPDATE redirects SET hits = hits + 1, last_hit_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// The automatic redirects: articles' and terms' earlier addresses, newest first.
    pub async fn slug_change_redirects(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<SlugChangeRedirect>, StoreError> {
        type Row = (
            String,
            i64,
            String,
            Option<chrono::NaiveDate>,
            String,
            DateTime<Utc>,
        );
        let sql = format!(
            "SELECT 'article', h.article_id, a.title, h.url_date, h.slug, h.created_at
               FROM slug_history h JOIN articles a ON a.id = h.article_id
             UNION ALL
             SELECT h.kind, h.term_id, COALESCE(s.name, t.name, ''), NULL, h.slug, h.created_at
               FROM term_slug_history h
               LEFT JOIN sections s ON h.kind = 'section' AND s.id = h.term_id
               LEFT JOIN tags t ON h.kind = 'tag' AND t.id = h.term_id
             ORDER BY 6 DESC LIMIT {} OFFSET {}",
            limit.clamp(1, 500),
            offset.max(0)
        );
        let rows: Vec<Row> = with_pool!(&self.read, |p| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .fetch_all(p)
                .await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for (kind, id, title, date, slug, created_at) in rows {
            let (old_path, new_path) = match kind.as_str() {
                "article" => (
                    date.map_or_else(
                        || format!("/{slug}/"),
                        |d| masthead_core::article::article_path(d, &slug),
                    ),
                    self.content_path(ContentKind::Article, id).await?,
                ),
                "section" => (
                    format!("/section/{slug}/"),
                    self.content_path(ContentKind::Section, id).await?,
                ),
                _ => (
                    format!("/tag/{slug}/"),
                    self.content_path(ContentKind::Tag, id).await?,
                ),
            };
            out.push(SlugChangeRedirect {
                kind,
                id,
                title,
                old_path,
                new_path,
                created_at,
            });
        }
        Ok(out)
    }
}
