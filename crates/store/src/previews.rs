//! Secret preview links: an unpublished article shown to someone without an account,
//! until the link expires or is revoked. The store sees only hashes of the secrets.

use crate::{Article, Store, StoreError, with_pool};
use chrono::{DateTime, Utc};

/// A preview link as the newsroom lists it (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PreviewLink {
    pub id: i64,
    pub article_id: i64,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Keeps a new preview link (by its secret's hash); returns its id. Not a content
    /// change: readers' pages do not depend on it.
    pub async fn create_preview_link(
        &self,
        article_id: i64,
        token_hash: &str,
        created_by: Option<i64>,
        expires_at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let now = self.clock.now();
        Ok(with_pool!(&self.write, |p| {
            sqlx::query_scalar(
                "INSERT INTO preview_links (article_id, token_hash, created_by, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(article_id)
            .bind(token_hash)
            .bind(created_by)
            .bind(now)
            .bind(expires_at)
            .fetch_one(p)
            .await?
        }))
    }

    /// An article's preview links, newest first.
    pub async fn preview_links(&self, article_id: i64) -> Result<Vec<PreviewLink>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT id, article_id, created_by, created_at, expires_at, revoked_at
                 FROM preview_links WHERE article_id = $1 ORDER BY id DESC",
            )
            .bind(article_id)
            .fetch_all(p)
            .await?
        }))
    }

    /// Revokes one of an article's links; false when there was no such live link.
    pub async fn revoke_preview_link(&self, article_id: i64, id: i64) -> Result<bool, StoreError> {
        let now = self.clock.now();
        Ok(with_pool!(&self.write, |p| {
            sqlx::query(
                "UPDATE preview_links SET revoked_at = $1
                 WHERE id = $2 AND article_id = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .bind(article_id)
            .execute(p)
            .await?
            .rows_affected()
        }) == 1)
    }

    /// The article a live (unexpired, unrevoked) link shows, whatever its status.
    pub async fn article_for_preview(
        &self,
        token_hash: &str,
    ) -> Result<Option<Article>, StoreError> {
        let now = self.clock.now();
        let id: Option<i64> = with_pool!(&self.read, |p| {
            sqlx::query_scalar(
                "SELECT article_id FROM preview_links
                 WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(p)
            .await?
        });
        match id {
            Some(id) => self.article(id).await,
            None => Ok(None),
        }
    }
}
