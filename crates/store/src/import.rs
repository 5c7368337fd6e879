//! Writes for importers: a batch of articles with their comments and the old addresses
//! that lead to them, in one transaction, so an import killed at any moment leaves whole
//! batches only and a second run finds and updates what the first wrote (by external id).

use crate::articles::{ExistingRow, SaveTarget, ensure_term, save_one};
use crate::comments::recount;
use crate::redirects::{ContentKind, NewRedirect, upsert_redirects};
use crate::{
    NewArticle, NewComment, NewSection, Saved, Store, StoreError, clean_name, log_change, write_tx,
};
use chrono::{DateTime, NaiveDate, Utc};
use masthead_core::article::{article_path, url_date};
use masthead_core::comment::CommentStatus;
use masthead_core::{ArticleStatus, slug};
use sqlx::AssertSqlSafe;
use std::collections::HashMap;

/// An imported comment; `comment.article_id` and `comment.parent_id` are filled in here.
#[derive(Debug, Clone, Default)]
pub struct ImportComment {
    pub external_id: String,
    /// The parent's external id, for threading.
    pub parent_external_id: Option<String>,
    pub comment: NewComment,
}

/// An imported article with what hangs off it.
#[derive(Debug, Clone)]
pub struct ImportItem {
    /// Must carry an external id: that is how a second run finds it.
    pub article: NewArticle,
    pub comments: Vec<ImportComment>,
    /// Old addresses (`source_key`s) that should lead here.
    pub old_addresses: Vec<String>,
}

/// What became of an [`ImportItem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportedItem {
    pub saved: Saved,
    pub comments_created: u64,
    pub comments_updated: u64,
    pub redirects: u64,
}

/// Inserts or updates an article's imported comments, then threads them; evaluates to
/// `(created, updated)`.
macro_rules! import_comments {
    ($tx:expr, $article_id:expr, $comments:expr, $now:expr) => {{
        let comments: &[ImportComment] = $comments;
        let now: DateTime<Utc> = $now;
        let mut ids: HashMap<&str, i64> = HashMap::with_capacity(comments.len());
        let (mut created, mut updated) = (0u64, 0u64);
        for ic in comments {
            let c = &ic.comment;
            let status = c.status.unwrap_or(CommentStatus::Held);
            let kind = if c.kind.is_empty() { "comment" } else { c.kind.as_str() };
            let format = if c.body_format.is_empty() { "html" } else { c.body_format.as_str() };
            let email = masthead_core::comment::normalise_email(&c.author_email);
            let existing: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM comments WHERE external_id = $1 AND article_id = $2",
            )
            .bind(&ic.external_id)
            .bind($article_id)
            .fetch_optional(&mut *$tx)
            .await?;
            let id: i64 = match existing {
                Some(id) => {
                    sqlx::query(
                        "UPDATE comments SET status = $1, kind = $2, author_name = $3, author_email = $4,
                            author_url = $5, body = $6, body_format = $7, client_ip = $8, created_at = $9
                         WHERE id = $10",
                    )
                    .bind(status.as_str())
                    .bind(kind)
                    .bind(&c.author_name)
                    .bind(&email)
                    .bind(&c.author_url)
                    .bind(&c.body)
                    .bind(format)
                    .bind(&c.client_ip)
                    .bind(c.created_at.unwrap_or(now))
                    .bind(id)
                    .execute(&mut *$tx)
                    .await?;
                    updated += 1;
                    id
                }
                None => {
                    created += 1;
                    sqlx::query_scalar(
                        "INSERT INTO comments (article_id, status, kind, author_name, author_email,
                            author_url, body, body_format, client_ip, user_agent, created_at,
                            status_changed_at, external_id)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', $10, $11, $12) RETURNING id",
                    )
                    .bind($article_id)
                    .bind(status.as_str())
                    .bind(kind)
                    .bind(&c.author_name)
                    .bind(&email)
                    .bind(&c.author_url)
                    .bind(&c.body)
                    .bind(format)
                    .bind(&c.client_ip)
                    .bind(c.created_at.unwrap_or(now))
                    .bind(now)
                    .bind(&ic.external_id)
                    .fetch_one(&mut *$tx)
                    .await?
                }
            };
            ids.insert(ic.external_id.as_str(), id);
        }
        // Threading once every comment has its id: a reply may come before its parent.
        for ic in comments {
            let Some(parent) = ic.parent_external_id.as_deref() else { continue };
            let parent_id = match ids.get(parent) {
                Some(id) => Some(*id),
                None => sqlx::query_scalar(
                    "SELECT id FROM comments WHERE external_id = $1 AND article_id = $2",
                )
                .bind(parent)
                .bind($article_id)
                .fetch_optional(&mut *$tx)
                .await?,
            };
            if let (Some(parent_id), Some(id)) = (parent_id, ids.get(ic.external_id.as_str())) {
                sqlx::query("UPDATE comments SET parent_id = $1 WHERE id = $2")
                    .bind(parent_id)
                    .bind(*id)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
        (created, updated)
    }};
}

impl Store {
    /// Saves a batch of imported articles, their comments and their old addresses in one
    /// transaction. `origin` names the importer on the redirects it leaves.
    pub async fn import_articles(
        &self,
        items: &[ImportItem],
        origin: &str,
    ) -> Result<Vec<ImportedItem>, StoreError> {
        if let Some(bad) = items.iter().find(|i| i.article.external_id.is_none()) {
            return Err(StoreError::Invalid(format!(
                "imported article \"{}\" has no external id",
                bad.article.title
            )));
        }
        let now = self.clock.now();
        Ok(write_tx!(self, |tx| {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let saved = save_one!(self, tx, &item.article, now);
                let (created, updated) = import_comments!(tx, saved.id, &item.comments, now);
                if created + updated > 0 {
                    recount!(tx, saved.id);
                }
                // An old address that is the article's new one would loop.
                let here: (String, Option<NaiveDate>) =
                    sqlx::query_as("SELECT slug, url_date FROM articles WHERE id = $1")
                        .bind(saved.id)
                        .fetch_one(&mut *tx)
                        .await?;
                let own = here.1.map(|d| article_path(d, &here.0));
                let redirects: Vec<NewRedirect> = item
                    .old_addresses
                    .iter()
                    .filter(|a| Some(a.as_str()) != own.as_deref())
                    .map(|a| {
                        NewRedirect::imported(a.clone(), ContentKind::Article, saved.id, origin)
                    })
                    .collect();
                let written = upsert_redirects!(tx, &redirects, now);
                out.push(ImportedItem {
                    saved,
                    comments_created: created,
                    comments_updated: updated,
                    redirects: written,
                });
            }
            if out
                .iter()
                .any(|i| i.comments_created + i.comments_updated > 0)
            {
                // One row for the batch: caches drop what shows comment counts.
                log_change!(tx, "comments", 0_i64, "import", now);
            }
            if out.iter().any(|i| i.redirects > 0) {
                // Every node reloads its set of redirected addresses.
                log_change!(tx, "redirect", 0_i64, "import", now);
            }
            out
        }))
    }

    /// Creates or updates sections (parents before children: a parent is found by its
    /// slug) and tags by slug, in one transaction; returns each section's id by slug.
    pub async fn import_terms(
        &self,
        sections: &[NewSection],
        tags: &[(String, String, String)],
    ) -> Result<HashMap<String, i64>, StoreError> {
        let now = self.clock.now();
        Ok(write_tx!(self, |tx| {
            let mut ids: HashMap<String, i64> = HashMap::new();
            for s in sections {
                let parent: Option<i64> = match &s.parent_slug {
                    Some(p) => match ids.get(p) {
                        Some(id) => Some(*id),
                        None => {
                            sqlx::query_scalar("SELECT id FROM sections WHERE slug = $1")
                                .bind(p)
                                .fetch_optional(&mut *tx)
                                .await?
                        }
                    },
                    None => None,
                };
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO sections (slug, name, description, parent_id, position)
                     VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(position), 0) + 1 FROM sections))
                     ON CONFLICT (slug) DO UPDATE SET name = excluded.name,
                         description = excluded.description, parent_id = excluded.parent_id
                     RETURNING id",
                )
                .bind(clean_name(&s.slug))
                .bind(clean_name(&s.name))
                .bind(&s.description)
                .bind(parent)
                .fetch_one(&mut *tx)
                .await?;
                ids.insert(s.slug.clone(), id);
            }
            for (slug, name, description) in tags {
                sqlx::query(
                    "INSERT INTO tags (slug, name, description) VALUES ($1, $2, $3)
                     ON CONFLICT (slug) DO UPDATE SET name = excluded.name,
                         description = excluded.description",
                )
                .bind(clean_name(slug))
                .bind(clean_name(name))
                .bind(description)
                .execute(&mut *tx)
                .await?;
            }
            if !sections.is_empty() || !tags.is_empty() {
                log_change!(tx, "section", 0_i64, "import", now);
            }
            ids
        }))
    }

    /// Article ids after `after` whatever their status, in id order (to walk them all).
    pub async fn all_article_ids_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<i64>, StoreError> {
        Ok(crate::with_pool!(&self.read, |p| {
            sqlx::query_scalar("SELECT id FROM articles WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after)
                .bind(limit)
                .fetch_all(p)
                .await?
        }))
    }

    /// The id of the article an import gave `external_id`, if any.
    pub async fn article_id_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(crate::with_pool!(&self.read, |p| {
            sqlx::query_scalar("SELECT id FROM articles WHERE external_id = $1")
                .bind(external_id)
                .fetch_optional(p)
                .await?
        }))
    }
}
