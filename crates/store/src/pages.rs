//! Static pages: About, Contact, Privacy and the like.

use crate::{NewPage, Page, Store, StoreError, log_change, with_pool, write_tx};
use masthead_core::ArticleStatus;

impl Store {
    /// Creates or updates a page by slug.
    pub async fn upsert_page(&self, page: &NewPage) -> Result<i64, StoreError> {
        let now = self.clock.now();
        let published_at = (page.status == ArticleStatus::Published).then_some(now);
        let id = write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO pages (slug, title, body_format, body_source, body_html, status, published_at, updated_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
                 ON CONFLICT (slug) DO UPDATE SET title = excluded.title, body_format = excluded.body_format,
                     body_source = excluded.body_source, body_html = excluded.body_html, status = excluded.status,
                     published_at = COALESCE(pages.published_at, excluded.published_at), updated_at = excluded.updated_at
                 RETURNING id",
            )
            .bind(&page.slug)
            .bind(&page.title)
            .bind(page.body_format.as_str())
            .bind(&page.body_source)
            .bind(&page.body_html)
            .bind(page.status.as_str())
            .bind(published_at)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            log_change!(tx, "page", id, "update", now);
            id
        });
        Ok(id)
    }

    /// A published page by its slug.
    pub async fn public_page(&self, slug: &str) -> Result<Option<Page>, StoreError> {
        let now = self.clock.now();
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT id, slug, title, body_html, status, published_at, updated_at FROM pages
                 WHERE slug = $1 AND status = 'published' AND published_at <= $2",
            )
            .bind(slug)
            .bind(now)
            .fetch_optional(p)
            .await?
        }))
    }

    /// Published pages, by title, for the site's footer.
    pub async fn public_pages(&self) -> Result<Vec<Page>, StoreError> {
        let now = self.clock.now();
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT id, slug, title, body_html, status, published_at, updated_at FROM pages
                 WHERE status = 'published' AND published_at <= $1 ORDER BY id",
            )
            .bind(now)
            .fetch_all(p)
            .await?
        }))
    }
}

/// A page as the newsroom edits it: its source, whatever its status.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PageSource {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub body_format: String,
    pub body_source: String,
    pub status: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

const SOURCE_COLUMNS: &str = "id, slug, title, body_format, body_source, status, updated_at";

impl Store {
    /// Every page, whatever its status, by title.
    pub async fn all_pages(&self) -> Result<Vec<PageSource>, StoreError> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM pages ORDER BY LOWER(title), id");
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_all(p)
                .await?
        }))
    }

    pub async fn page_source(&self, id: i64) -> Result<Option<PageSource>, StoreError> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM pages WHERE id = $1");
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id)
                .fetch_optional(p)
                .await?
        }))
    }

    /// Saves a page: a new one (`id` `None`) or page `id`. An address another page holds
    /// is refused with [`StoreError::Conflict`], never overwritten.
    pub async fn save_page(&self, id: Option<i64>, page: &NewPage) -> Result<i64, StoreError> {
        let now = self.clock.now();
        let published_at = (page.status == ArticleStatus::Published).then_some(now);
        write_tx!(self, |tx| {
            let holder: Option<i64> = sqlx::query_scalar("SELECT id FROM pages WHERE slug = $1")
                .bind(&page.slug)
                .fetch_optional(&mut *tx)
                .await?;
            if holder.is_some() && holder != id {
                return Err(StoreError::Conflict(format!(
                    "Another page already has the address /{}/.",
                    page.slug
                )));
            }
            let saved: i64 = match id {
                None => {
                    sqlx::query_scalar(
                        "INSERT INTO pages (slug, title, body_format, body_source, body_html, status, published_at, updated_at, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
                    )
                    .bind(&page.slug)
                    .bind(&page.title)
                    .bind(page.body_format.as_str())
                    .bind(&page.body_source)
                    .bind(&page.body_html)
                    .bind(page.status.as_str())
                    .bind(published_at)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?
                }
                Some(id) => {
                    sqlx::query_scalar(
                        "UPDATE pages SET slug = $1, title = $2, body_format = $3, body_source = $4,
                             body_html = $5, status = $6, published_at = COALESCE(published_at, $7), updated_at = $8
                         WHERE id = $9 RETURNING id",
                    )
                    .bind(&page.slug)
                    .bind(&page.title)
                    .bind(page.body_format.as_str())
                    .bind(&page.body_source)
                    .bind(&page.body_html)
                    .bind(page.status.as_str())
                    .bind(published_at)
                    .bind(now)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("page {id}")))?
                }
            };
            log_change!(tx, "page", saved, "update", now);
            Ok(saved)
        })
    }
}
