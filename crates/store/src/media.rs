//! The media library's records. The files themselves live behind the media crate's
//! storage; here are their manifests (JSON made by that crate) and what editors say
//! about them, searchable by file name, alt text, caption and credit.

use crate::sql::{Arg, Sql, bind_args, contains_pattern};
use crate::{Store, StoreError, with_pool, write_tx};
use chrono::{DateTime, Utc};
use masthead_core::paging::PageRequest;
use sqlx::AssertSqlSafe;

/// An image to record.
#[derive(Debug, Clone)]
pub struct NewMedia {
    pub hash: String,
    pub file_name: String,
    pub width: i32,
    pub height: i32,
    /// The renditions, as the media crate's `Manifest` in JSON.
    pub manifest: String,
    /// Alt text, caption, credit, licence, focal point: the media crate's `ImageMetadata` in JSON.
    pub meta: String,
    /// What the library's search looks in.
    pub search_text: String,
    pub uploaded_by: Option<i64>,
}

/// A recorded image.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MediaRecord {
    pub id: i64,
    pub hash: String,
    pub file_name: String,
    pub width: i32,
    pub height: i32,
    pub manifest: String,
    pub meta: String,
    pub uploaded_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, hash, file_name, width, height, manifest, meta, uploaded_by, created_at";

impl Store {
    /// Records an uploaded image; returns its id.
    pub async fn add_media(&self, m: &NewMedia) -> Result<i64, StoreError> {
        let now = self.clock.now();
        Ok(write_tx!(self, |tx| {
            sqlx::query_scalar(
                "INSERT INTO media (hash, file_name, width, height, manifest, meta, search_text, uploaded_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(&m.hash)
            .bind(&m.file_name)
            .bind(m.width)
            .bind(m.height)
            .bind(&m.manifest)
            .bind(&m.meta)
            .bind(m.search_text.to_lowercase())
            .bind(m.uploaded_by)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        }))
    }

    pub async fn media(&self, id: i64) -> Result<Option<MediaRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM media WHERE id = $1");
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(id)
                .fetch_optional(p)
                .await?
        }))
    }

    /// The image recorded from an upload with this content hash (the oldest, when the
    /// same file was uploaded more than once).
    pub async fn media_id_by_hash(&self, hash: &str) -> Result<Option<i64>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_scalar("SELECT MIN(id) FROM media WHERE hash = $1")
                .bind(hash)
                .fetch_one(p)
                .await?
        }))
    }

    /// The library, newest first; with `words`, only images whose file name, alt text,
    /// caption or credit hold every word.
    pub async fn media_list(
        &self,
        words: Option<&str>,
        page: PageRequest,
    ) -> Result<(Vec<MediaRecord>, i64), StoreError> {
        let mut filter = Sql::new("");
        for word in words.unwrap_or_default().split_whitespace().take(8) {
            filter.push(" AND search_text LIKE ");
            filter.bind(Arg::Text(contains_pattern(word)));
            filter.push(" ESCAPE '\\'");
        }
        let mut q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM media WHERE 1 = 1{}",
            filter.text
        ));
        q.args = filter.args.clone();
        q.push(" ORDER BY created_at DESC, id DESC");
        q.push_limit(page.limit(), page.offset());
        let rows: Vec<MediaRecord> = with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_as(AssertSqlSafe(q.text.clone())), &q.args)
                .fetch_all(p)
                .await?
        });
        let mut c = Sql::new(&format!(
            "SELECT COUNT(*) FROM media WHERE 1 = 1{}",
            filter.text
        ));
        c.args = filter.args;
        let total: i64 = with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_scalar(AssertSqlSafe(c.text.clone())), &c.args)
                .fetch_one(p)
                .await?
        });
        Ok((rows, total))
    }
}
