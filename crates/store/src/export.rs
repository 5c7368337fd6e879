//! Reads for `masthead export`: everything, whatever its status.
//!
//! Each kind is read in keyset batches (`WHERE id > $after ORDER BY id LIMIT n`), so an
//! exporter walks a site of any size holding one batch at a time: call with `after = 0`,
//! then with the last id of the batch before, until a batch comes back empty. The SQL is
//! the same on both backends.

use crate::articles::{FullRow, HAS_CORRECTIONS_COLUMN, SUMMARY_COLUMNS};
use crate::comments::{COLUMNS as COMMENT_COLUMNS, CommentRow};
use crate::sql::{Arg, Sql, bind_args};
use crate::{
    Article, Author, Comment, MediaRecord, Page, Section, Store, StoreError, Tag, with_pool,
};
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

/// The highest id of each kind (0 when there is none), so an exporter can number posts
/// and terms that share one id space in the target format without collisions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportExtent {
    pub max_article_id: i64,
    pub max_page_id: i64,
    pub max_media_id: i64,
    pub max_section_id: i64,
    pub max_tag_id: i64,
    pub max_author_id: i64,
}

/// A static page with everything an export needs: what the public sees ([`Page`]) and
/// the source the newsroom edits.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ExportPage {
    #[sqlx(flatten)]
    pub page: Page,
    /// `markdown`, `html` or `text`.
    pub body_format: String,
    pub body_source: String,
    pub created_at: DateTime<Utc>,
}

/// A comment to export, and the byline of the staff account that wrote it (when the
/// account has one): exports name people by byline, not by account.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportComment {
    pub comment: Comment,
    pub byline_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct ExportCommentRow {
    #[sqlx(flatten)]
    comment: CommentRow,
    byline_id: Option<i64>,
}

impl ExportCommentRow {
    fn into_export(self) -> ExportComment {
        ExportComment {
            comment: Comment::from(self.comment),
            byline_id: self.byline_id,
        }
    }
}

/// Every article column an export needs, the body included.
const ARTICLE_COLUMNS: &str = ", COALESCE(b.body_format, 'html') AS body_format,
    COALESCE(b.body_source, '') AS body_source, COALESCE(b.body_html, '') AS body_html,
    a.editor_excerpt, a.created_at, a.version, a.owner_id, a.dateline, a.seo_title,
    a.seo_description, a.canonical_url, a.noindex, a.featured_media_id";

/// The batch size callers may ask for at most.
const MAX_BATCH: i64 = 10_000;

fn batch_size(limit: i64) -> i64 {
    limit.clamp(1, MAX_BATCH)
}

impl Store {
    /// The highest id of articles, pages, media, sections, tags and bylines.
    pub async fn export_extent(&self) -> Result<ExportExtent, StoreError> {
        let row: (i64, i64, i64, i64, i64, i64) = with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM articles),
                        (SELECT COALESCE(MAX(id), 0) FROM pages),
                        (SELECT COALESCE(MAX(id), 0) FROM media),
                        (SELECT COALESCE(MAX(id), 0) FROM sections),
                        (SELECT COALESCE(MAX(id), 0) FROM tags),
                        (SELECT COALESCE(MAX(id), 0) FROM authors)",
            )
            .fetch_one(p)
            .await?
        });
        Ok(ExportExtent {
            max_article_id: row.0,
            max_page_id: row.1,
            max_media_id: row.2,
            max_section_id: row.3,
            max_tag_id: row.4,
            max_author_id: row.5,
        })
    }

    /// Up to `limit` articles with ids above `after`, by id, whatever their status: each
    /// with its body, its sections (the primary first), tags and bylines in order.
    pub async fn export_articles(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Article>, StoreError> {
        let mut q = Sql::new(&format!(
            "SELECT {SUMMARY_COLUMNS}{ARTICLE_COLUMNS}, {HAS_CORRECTIONS_COLUMN} FROM articles a
             JOIN sections s ON s.id = a.section_id
             LEFT JOIN article_bodies b ON b.article_id = a.id
             WHERE a.id > "
        ));
        q.bind(Arg::Int(after));
        q.push(" ORDER BY a.id");
        q.push_limit(batch_size(limit), 0);
        let rows: Vec<FullRow> = with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_as(AssertSqlSafe(q.text.clone())), &q.args)
                .fetch_all(p)
                .await?
        });
        Self::articles(rows)
    }

    /// Up to `limit` sections with ids above `after`, by id (a parent may come after its
    /// child: sort them if the order matters).
    pub async fn export_sections(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Section>, StoreError> {
        let sql = format!(
            "SELECT id, slug, name, description, parent_id FROM sections WHERE id > $1 ORDER BY id LIMIT {}",
            batch_size(limit)
        );
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(after)
                .fetch_all(p)
                .await?
        }))
    }

    /// Up to `limit` tags with ids above `after`, by id.
    pub async fn export_tags(&self, after: i64, limit: i64) -> Result<Vec<Tag>, StoreError> {
        let sql = format!(
            "SELECT id, slug, name FROM tags WHERE id > $1 ORDER BY id LIMIT {}",
            batch_size(limit)
        );
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(after)
                .fetch_all(p)
                .await?
        }))
    }

    /// Up to `limit` bylines with ids above `after`, by id.
    pub async fn export_authors(&self, after: i64, limit: i64) -> Result<Vec<Author>, StoreError> {
        let sql = format!(
            "SELECT id, slug, name, bio FROM authors WHERE id > $1 ORDER BY id LIMIT {}",
            batch_size(limit)
        );
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(after)
                .fetch_all(p)
                .await?
        }))
    }

    /// Up to `limit` static pages with ids above `after`, by id, whatever their status.
    pub async fn export_pages(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ExportPage>, StoreError> {
        let sql = format!(
            "SELECT id, slug, title, body_html, status, published_at, updated_at, body_format,
                 body_source, created_at
             FROM pages WHERE id > $1 ORDER BY id LIMIT {}",
            batch_size(limit)
        );
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(after)
                .fetch_all(p)
                .await?
        }))
    }

    /// The approved and held comments (pingbacks and trackbacks too) on some articles,
    /// by article then id. Spam and trash are never exported. A comment's `parent_id`
    /// is kept as stored, so it may name a comment that is not exported.
    pub async fn export_comments(
        &self,
        article_ids: &[i64],
    ) -> Result<Vec<ExportComment>, StoreError> {
        let mut out = Vec::new();
        // A bounded number of placeholders per statement (SQLite's limit is generous,
        // PostgreSQL's 65535; neither is approached).
        for chunk in article_ids.chunks(500) {
            let mut q = Sql::new(&format!(
                "SELECT {COMMENT_COLUMNS}, (SELECT u.author_id FROM users u WHERE u.id = c.user_id) AS byline_id FROM comments c WHERE c.status IN ('approved', 'held')
                 AND c.article_id IN "
            ));
            q.bind_ids(chunk);
            q.push(" ORDER BY c.article_id, c.id");
            let rows: Vec<ExportCommentRow> = with_pool!(&self.read, |p| {
                bind_args!(sqlx::query_as(AssertSqlSafe(q.text.clone())), &q.args)
                    .fetch_all(p)
                    .await?
            });
            out.extend(rows.into_iter().map(ExportCommentRow::into_export));
        }
        Ok(out)
    }

    /// Up to `limit` media records with ids above `after`, by id.
    pub async fn export_media(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<MediaRecord>, StoreError> {
        let sql = format!(
            "SELECT id, hash, file_name, width, height, manifest, meta, uploaded_by, created_at
             FROM media WHERE id > $1 ORDER BY id LIMIT {}",
            batch_size(limit)
        );
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(after)
                .fetch_all(p)
                .await?
        }))
    }
}
