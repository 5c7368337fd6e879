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
