//! What search and "You May Also Like" read and keep: the public articles in id order
//! (to build an index), searches that found nothing, and editors' related-story pins.

use crate::articles::SUMMARY_COLUMNS;
use crate::sql::{Arg, Sql, bind_args};
use crate::{ArticleSummary, Store, StoreError, log_change, unseen_write_tx, with_pool, write_tx};
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

/// A search that found nothing, as editors see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct SearchMiss {
    pub query: String,
    pub count: i64,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

/// The longest query kept (longer ones are cut, on a character boundary).
const MISS_CHARS: usize = 200;

impl Store {
    /// The ids of public articles after `after`, in id order: a rebuild walks them in
    /// batches without holding a long read.
    pub async fn public_ids_after(&self, after: i64, limit: i64) -> Result<Vec<i64>, StoreError> {
        let mut q = Sql::new("SELECT a.id FROM articles a WHERE a.id > ");
        q.bind(Arg::Int(after));
        q.push(" AND a.status = 'published' AND a.published_at <= ");
        q.bind(Arg::Time(self.clock().now()));
        q.push(" ORDER BY a.id");
        q.push_limit(limit, 0);
        Ok(with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_scalar(AssertSqlSafe(q.text.clone())), &q.args)
                .fetch_all(p)
                .await?
        }))
    }

    /// The public ones among `ids`, in the order given (search results, related
    /// stories): an id that is no longer public is left out.
    pub async fn public_summaries(&self, ids: &[i64]) -> Result<Vec<ArticleSummary>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM articles a JOIN sections s ON s.id = a.section_id WHERE a.id IN "
        ));
        q.bind_ids(ids);
        q.push(" AND a.status = 'published' AND a.published_at <= ");
        q.bind(Arg::Time(self.clock().now()));
        let rows = with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_as(AssertSqlSafe(q.text.clone())), &q.args)
                .fetch_all(p)
                .await?
        });
        let found = Self::summaries(rows)?;
        let mut by_id: std::collections::HashMap<i64, ArticleSummary> =
            found.into_iter().map(|a| (a.id, a)).collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// Counts a search that found nothing. Readers' searches change nothing anyone
    /// reads, so the page cache is left alone.
    pub async fn record_search_miss(&self, query: &str) -> Result<(), StoreError> {
        let query: String = query
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
            .chars()
            .take(MISS_CHARS)
            .collect();
        if query.is_empty() {
            return Ok(());
        }
        let now = self.clock().now();
        unseen_write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO search_misses (query, count, first_at, last_at) VALUES ($1, 1, $2, $2)
                 ON CONFLICT (query) DO UPDATE SET count = search_misses.count + 1, last_at = $2",
            )
            .bind(&query)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// The searches that found nothing, most asked first.
    pub async fn search_misses(&self, limit: i64) -> Result<Vec<SearchMiss>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(AssertSqlSafe(format!(
                "SELECT query, count, first_at, last_at FROM search_misses
                 ORDER BY count DESC, last_at DESC LIMIT {limit}"
            )))
            .fetch_all(p)
            .await?
        }))
    }

    /// Forgets the counted searches (an editor dealt with them).
    pub async fn clear_search_misses(&self) -> Result<(), StoreError> {
        unseen_write_tx!(self, |tx| {
            sqlx::query("DELETE FROM search_misses")
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// The stories an editor pinned under an article, in order.
    pub async fn related_pins(&self, article_id: i64) -> Result<Vec<i64>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_scalar(
                "SELECT pinned_id FROM related_pins WHERE article_id = $1 ORDER BY position",
            )
            .bind(article_id)
            .fetch_all(p)
            .await?
        }))
    }

    /// Replaces an article's pins (duplicates and the article itself dropped). The
    /// article's pages change, so the change is logged.
    pub async fn set_related_pins(&self, article_id: i64, pins: &[i64]) -> Result<(), StoreError> {
        let mut kept: Vec<i64> = Vec::new();
        for id in pins {
            if *id != article_id && !kept.contains(id) {
                kept.push(*id);
            }
        }
        let now = self.clock().now();
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM related_pins WHERE article_id = $1")
                .bind(article_id)
                .execute(&mut *tx)
                .await?;
            for (i, id) in kept.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO related_pins (article_id, position, pinned_id) VALUES ($1, $2, $3)",
                )
                .bind(article_id)
                .bind(i as i32)
                .bind(*id)
                .execute(&mut *tx)
                .await?;
            }
            log_change!(tx, "related", article_id, "update", now);
        });
        Ok(())
    }

    /// Asks every process serving this database to rebuild its search index (the
    /// change log carries the request).
    pub async fn request_reindex(&self) -> Result<(), StoreError> {
        let now = self.clock().now();
        write_tx!(self, |tx| {
            log_change!(tx, "search", 0_i64, "reindex", now);
        });
        Ok(())
    }
}
