//! What the sitemaps list: public, indexable articles by month of first publication
//! (UTC), the freshest for Google News, and the sections, tags and bylines in use.

use crate::sql::{Arg, Sql, bind_args};
use crate::{Backend, Store, StoreError, with_pool};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use sqlx::AssertSqlSafe;

/// One month of the article sitemaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapMonth {
    pub year: i32,
    pub month: u32,
    /// How many indexable articles were first published that month.
    pub articles: i64,
    /// The newest update among them.
    pub updated_at: DateTime<Utc>,
}

/// An article as a sitemap lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapArticle {
    /// The public path (`/2024/05/01/slug/`).
    pub path: String,
    pub title: String,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A section, tag or byline with public articles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapTerm {
    pub slug: String,
    pub articles: i64,
    /// The newest publication among its articles.
    pub published_at: DateTime<Utc>,
}

/// Public now and open to search engines.
const INDEXABLE: &str =
    "a.status = 'published' AND a.url_date IS NOT NULL AND NOT a.noindex AND a.published_at <= ";

type ArticleRow = (
    Option<NaiveDate>,
    String,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
);

fn to_articles(rows: Vec<ArticleRow>) -> Vec<SitemapArticle> {
    rows.into_iter()
        .filter_map(|(date, slug, title, published_at, updated_at)| {
            date.map(|d| SitemapArticle {
                path: masthead_core::article::article_path(d, &slug),
                title,
                published_at,
                updated_at,
            })
        })
        .collect()
}

/// The first instant of a month (UTC), or `None` for a month that does not exist.
pub fn month_start(year: i32, month: u32) -> Option<DateTime<Utc>> {
    let date = NaiveDate::from_ymd_opt(year, month, 1)?;
    Some(Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0)?))
}

impl Store {
    /// The months holding indexable articles (by first publication, UTC), newest first.
    pub async fn sitemap_months(&self) -> Result<Vec<SitemapMonth>, StoreError> {
        let month = match self.backend() {
            Backend::Sqlite => "strftime('%Y-%m', a.published_at)",
            Backend::Postgres => "to_char(a.published_at AT TIME ZONE 'UTC', 'YYYY-MM')",
        };
        let mut q = Sql::new(&format!(
            "SELECT {month} AS m, COUNT(*), MAX(a.updated_at) FROM articles a WHERE {INDEXABLE}"
        ));
        q.bind(Arg::Time(self.clock().now()));
        q.push(" GROUP BY m ORDER BY m DESC");
        let rows: Vec<(String, i64, DateTime<Utc>)> = with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_as(AssertSqlSafe(q.text.clone())), &q.args)
                .fetch_all(p)
                .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(m, articles, updated_at)| {
                let (y, mo) = m.split_once('-')?;
                Some(SitemapMonth {
                    year: y.parse().ok()?,
                    month: mo.parse().ok()?,
                    articles,
                    updated_at,
                })
            })
            .collect())
    }

    /// The indexable articles first published in one month (UTC), oldest first, from
    /// `offset`, at most `limit`.
    pub async fn sitemap_month(
        &self,
        year: i32,
        month: u32,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<SitemapArticle>, StoreError> {
        let Some(from) = month_start(year, month) else {
            return Ok(Vec::new());
        };
        let next = NaiveDate::from_ymd_opt(year, month, 1)
            .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
            .and_then(|d| month_start(d.year(), d.month()));
        let Some(until) = next else {
            return Ok(Vec::new());
        };
        let mut q = self.indexable_articles();
        q.push(" AND a.published_at >= ");
        q.bind(Arg::Time(from));
        q.push(" AND a.published_at < ");
        q.bind(Arg::Time(until));
        q.push(" ORDER BY a.published_at, a.id");
        q.push_limit(limit, offset);
        self.sitemap_articles(&q).await
    }

    /// Indexable articles first published at or after `since` (and not after now),
    /// newest first, at most `limit`: the Google News sitemap.
    pub async fn sitemap_news(
        &self,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<SitemapArticle>, StoreError> {
        let mut q = self.indexable_articles();
        q.push(" AND a.published_at >= ");
        q.bind(Arg::Time(since));
        q.push(" ORDER BY a.published_at DESC, a.id DESC");
        q.push_limit(limit, 0);
        self.sitemap_articles(&q).await
    }

    /// The start of a query for articles a sitemap may list (public now, indexable).
    fn indexable_articles(&self) -> Sql {
        let mut q = Sql::new(
            "SELECT a.url_date, a.slug, a.title, a.published_at, a.updated_at FROM articles a WHERE ",
        );
        q.push(INDEXABLE);
        q.bind(Arg::Time(self.clock().now()));
        q
    }

    async fn sitemap_articles(&self, q: &Sql) -> Result<Vec<SitemapArticle>, StoreError> {
        let rows: Vec<ArticleRow> = with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_as(AssertSqlSafe(q.text.clone())), &q.args)
                .fetch_all(p)
                .await?
        });
        Ok(to_articles(rows))
    }

    /// Sections (`"section"`), tags (`"tag"`) or bylines (`"author"`) with at least
    /// `min_articles` public articles, by slug.
    pub async fn sitemap_terms(
        &self,
        kind: &str,
        min_articles: i64,
    ) -> Result<Vec<SitemapTerm>, StoreError> {
        let (table, link, key) = match kind {
            "section" => ("sections", "article_sections", "section_id"),
            "tag" => ("tags", "article_tags", "tag_id"),
            "author" => ("authors", "article_authors", "author_id"),
            _ => return Err(StoreError::Invalid(format!("no such term kind: {kind}"))),
        };
        // `table`, `link` and `key` are fixed names from the list above.
        let mut q = Sql::new(&format!(
            "SELECT t.slug, COUNT(*), MAX(d.published_at) FROM {table} t JOIN {link} d ON d.{key} = t.id
             WHERE d.status = 'published' AND d.published_at <= "
        ));
        q.bind(Arg::Time(self.clock().now()));
        q.push(" GROUP BY t.id, t.slug HAVING COUNT(*) >= ");
        q.bind(Arg::Int(min_articles));
        q.push(" ORDER BY t.slug");
        let rows: Vec<(String, i64, DateTime<Utc>)> = with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_as(AssertSqlSafe(q.text.clone())), &q.args)
                .fetch_all(p)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(slug, articles, published_at)| SitemapTerm {
                slug,
                articles,
                published_at,
            })
            .collect())
    }
}
