//! The newsroom's view of the articles: every status, filtered, searched by title,
//! sorted and paged — the "Articles" screen and its queues, for archives of 20,000+.

use crate::articles::{ArticleRow, SUMMARY_COLUMNS};
use crate::sql::{Arg, Sql, bind_args, contains_pattern};
use crate::{ArticleSummary, Store, StoreError, with_pool};
use chrono::{DateTime, Utc};
use masthead_core::ArticleStatus;
use masthead_core::paging::PageRequest;
use sqlx::AssertSqlSafe;

/// How the Articles screen is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkSort {
    /// Most recently changed first.
    #[default]
    Updated,
    /// By publication (or creation) time, newest first.
    Date,
    Title,
}

/// What the Articles screen shows. Empty means "all".
#[derive(Debug, Clone, Default)]
pub struct WorkFilter {
    /// One status; `None` means every status but the trash.
    pub status: Option<ArticleStatus>,
    /// Only articles this account owns (roles that may not edit others' work).
    pub owner_id: Option<i64>,
    pub author_id: Option<i64>,
    pub section_id: Option<i64>,
    pub tag_id: Option<i64>,
    /// Publication (or, unpublished, creation) time from…
    pub from: Option<DateTime<Utc>>,
    /// …and strictly before.
    pub until: Option<DateTime<Utc>>,
    /// Words in the title (case-insensitive).
    pub title: Option<String>,
    pub sort: WorkSort,
}

/// The time an article is filed under: its publication, or its creation until then.
const WHEN: &str = "COALESCE(a.published_at, a.created_at)";

impl WorkFilter {
    fn push_conditions(&self, q: &mut Sql) {
        match self.status {
            Some(s) => {
                q.push(" AND a.status = ");
                q.bind(Arg::Text(s.as_str().to_owned()));
            }
            None => {
                q.push(" AND a.status <> 'trash'");
            }
        }
        if let Some(v) = self.owner_id {
            q.push(" AND a.owner_id = ");
            q.bind(Arg::Int(v));
        }
        let links = [
            ("article_sections", "section_id", self.section_id),
            ("article_tags", "tag_id", self.tag_id),
            ("article_authors", "author_id", self.author_id),
        ];
        for (link, key, value) in links {
            if let Some(v) = value {
                // `link` and `key` are fixed names from this list.
                q.push(&format!(
                    " AND EXISTS (SELECT 1 FROM {link} l WHERE l.article_id = a.id AND l.{key} = "
                ));
                q.bind(Arg::Int(v));
                q.push(")");
            }
        }
        if let Some(t) = self.from {
            q.push(&format!(" AND {WHEN} >= "));
            q.bind(Arg::Time(t));
        }
        if let Some(t) = self.until {
            q.push(&format!(" AND {WHEN} < "));
            q.bind(Arg::Time(t));
        }
        if let Some(words) = self
            .title
            .as_deref()
            .map(str::trim)
            .filter(|w| !w.is_empty())
        {
            // Each word must appear; LIKE's own wildcards in the input are literal.
            for word in words.split_whitespace().take(8) {
                q.push(" AND LOWER(a.title) LIKE ");
                q.bind(Arg::Text(contains_pattern(word)));
                q.push(" ESCAPE '\\'");
            }
        }
    }
}

impl Store {
    /// A page of the Articles screen and how many match in all.
    pub async fn work_list(
        &self,
        f: &WorkFilter,
        page: PageRequest,
    ) -> Result<(Vec<ArticleSummary>, i64), StoreError> {
        let mut q = Sql::new(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM articles a JOIN sections s ON s.id = a.section_id WHERE 1 = 1"
        ));
        f.push_conditions(&mut q);
        q.push(match f.sort {
            WorkSort::Updated => " ORDER BY a.updated_at DESC, a.id DESC",
            WorkSort::Date => " ORDER BY COALESCE(a.published_at, a.created_at) DESC, a.id DESC",
            WorkSort::Title => " ORDER BY LOWER(a.title), a.id",
        });
        q.push_limit(page.limit(), page.offset());
        let rows: Vec<ArticleRow> = with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_as(AssertSqlSafe(q.text.clone())), &q.args)
                .fetch_all(p)
                .await?
        });
        let mut c = Sql::new("SELECT COUNT(*) FROM articles a WHERE 1 = 1");
        f.push_conditions(&mut c);
        let total: i64 = with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_scalar(AssertSqlSafe(c.text.clone())), &c.args)
                .fetch_one(p)
                .await?
        });
        Ok((Self::summaries(rows)?, total))
    }

    /// How many articles are in each status (of one owner's, with `owner_id`): the
    /// queues' counts.
    pub async fn status_counts(
        &self,
        owner_id: Option<i64>,
    ) -> Result<Vec<(ArticleStatus, i64)>, StoreError> {
        let mut q = Sql::new("SELECT status, COUNT(*) FROM articles a WHERE 1 = 1");
        if let Some(o) = owner_id {
            q.push(" AND a.owner_id = ");
            q.bind(Arg::Int(o));
        }
        q.push(" GROUP BY status");
        let rows: Vec<(String, i64)> = with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_as(AssertSqlSafe(q.text.clone())), &q.args)
                .fetch_all(p)
                .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(s, n)| s.parse().ok().map(|s| (s, n)))
            .collect())
    }
}
