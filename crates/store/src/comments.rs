//! Reader comments: kept whatever their verdict, counted on their article when
//! approved, queued for moderators otherwise. A comment write logs a `comments` change
//! naming its article instead of counting as a local content change: caches drop that
//! article's pages (and the lists showing its count), not the whole site.

use crate::sql::{Arg, Sql, bind_args};
use crate::{Store, StoreError, comment_write_tx, log_change, unseen_write_tx, with_pool};
use chrono::{DateTime, Utc};
use masthead_core::comment::CommentStatus;
use masthead_core::paging::PageRequest;
use sqlx::AssertSqlSafe;

/// A comment to keep.
#[derive(Debug, Clone, Default)]
pub struct NewComment {
    pub article_id: i64,
    pub parent_id: Option<i64>,
    pub status: Option<CommentStatus>,
    /// `comment`, `pingback` or `trackback`.
    pub kind: String,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub body: String,
    /// `text` (typed by a reader) or `html` (imported).
    pub body_format: String,
    pub client_ip: String,
    pub user_agent: String,
    pub user_id: Option<i64>,
    pub reasons: String,
    pub spam_score: Option<f32>,
    /// When it was written (imports bring their own; otherwise now).
    pub created_at: Option<DateTime<Utc>>,
    pub external_id: Option<String>,
}

/// A kept comment, with everything moderators see.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: i64,
    pub article_id: i64,
    pub parent_id: Option<i64>,
    pub status: CommentStatus,
    pub previous_status: Option<CommentStatus>,
    pub kind: String,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub body: String,
    pub body_format: String,
    pub client_ip: String,
    pub user_agent: String,
    pub user_id: Option<i64>,
    pub reasons: String,
    pub spam_score: Option<f32>,
    pub report_count: i64,
    pub created_at: DateTime<Utc>,
    pub status_changed_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct CommentRow {
    id: i64,
    article_id: i64,
    parent_id: Option<i64>,
    status: String,
    previous_status: Option<String>,
    kind: String,
    author_name: String,
    author_email: String,
    author_url: String,
    body: String,
    body_format: String,
    client_ip: String,
    user_agent: String,
    user_id: Option<i64>,
    reasons: String,
    spam_score: Option<f32>,
    report_count: i64,
    created_at: DateTime<Utc>,
    status_changed_at: DateTime<Utc>,
}

impl From<CommentRow> for Comment {
    fn from(r: CommentRow) -> Self {
        Comment {
            id: r.id,
            article_id: r.article_id,
            parent_id: r.parent_id,
            // Only this module writes the column, with a status's own name.
            status: r.status.parse().unwrap_or(CommentStatus::Held),
            previous_status: r.previous_status.and_then(|s| s.parse().ok()),
            kind: r.kind,
            author_name: r.author_name,
            author_email: r.author_email,
            author_url: r.author_url,
            body: r.body,
            body_format: r.body_format,
            client_ip: r.client_ip,
            user_agent: r.user_agent,
            user_id: r.user_id,
            reasons: r.reasons,
            spam_score: r.spam_score,
            report_count: r.report_count,
            created_at: r.created_at,
            status_changed_at: r.status_changed_at,
        }
    }
}

pub(crate) const COLUMNS: &str = "c.id, c.article_id, c.parent_id, c.status, c.previous_status, c.kind, \
    c.author_name, c.author_email, c.author_url, c.body, c.body_format, c.client_ip, c.user_agent, \
    c.user_id, c.reasons, c.spam_score, c.report_count, c.created_at, c.status_changed_at";

/// What the admission rule needs to know from the database about a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionFacts {
    /// The parent's status, when a parent was named and it is on this article.
    pub parent_status: Option<CommentStatus>,
    /// The same text from the same person under the same parent is already kept.
    pub duplicate: bool,
    /// The newest comment from the same client address or email.
    pub last_from_sender: Option<DateTime<Utc>>,
    /// An earlier approved comment under the same name and email.
    pub known_author: bool,
}

/// The moderation queues.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommentFilter {
    pub status: Option<CommentStatus>,
    /// Only comments readers reported (not yet trashed or marked spam).
    pub reported: bool,
    pub email: Option<String>,
    pub article_id: Option<i64>,
}

/// A queue entry: the comment and where it was left.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedComment {
    pub comment: Comment,
    pub article_title: String,
}

/// How many comments wait in each queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueCounts {
    pub approved: i64,
    pub held: i64,
    pub spam: i64,
    pub trash: i64,
    pub reported: i64,
}

/// A moderator's spam / not-spam decision, as the filter learns from it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SpamDecision {
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub body: String,
    pub spam: bool,
}

/// Mail about a comment waiting to go to someone.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CommentNotice {
    pub id: i64,
    pub user_id: i64,
    pub comment_id: i64,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// Counts an article's approved comments into its row (what lists and the API show).
macro_rules! recount {
    ($tx:expr, $article:expr) => {
        sqlx::query(
            "UPDATE articles SET comment_count =
               (SELECT COUNT(*) FROM comments WHERE article_id = $1 AND status = 'approved')
             WHERE id = $1",
        )
        .bind($article)
        .execute(&mut *$tx)
        .await?
    };
}

pub(crate) use recount;

impl Store {
    /// Keeps a comment; returns its id. Nothing a reader sent is dropped: spam is kept
    /// too, in its queue.
    pub async fn add_comment(&self, c: &NewComment) -> Result<i64, StoreError> {
        let now = self.clock.now();
        let status = c.status.unwrap_or(CommentStatus::Held);
        let id: i64 = comment_write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO comments (article_id, parent_id, status, kind, author_name, author_email,
                    author_url, body, body_format, client_ip, user_agent, user_id, reasons, spam_score,
                    created_at, status_changed_at, external_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
                 RETURNING id",
            )
            .bind(c.article_id)
            .bind(c.parent_id)
            .bind(status.as_str())
            .bind(if c.kind.is_empty() { "comment" } else { &c.kind })
            .bind(&c.author_name)
            .bind(masthead_core::comment::normalise_email(&c.author_email))
            .bind(&c.author_url)
            .bind(&c.body)
            .bind(if c.body_format.is_empty() {
                "text"
            } else {
                &c.body_format
            })
            .bind(&c.client_ip)
            .bind(&c.user_agent)
            .bind(c.user_id)
            .bind(&c.reasons)
            .bind(c.spam_score)
            .bind(c.created_at.unwrap_or(now))
            .bind(now)
            .bind(&c.external_id)
            .fetch_one(&mut *tx)
            .await?;
            if status == CommentStatus::Approved {
                recount!(tx, c.article_id);
                log_change!(tx, "comments", c.article_id, "create", now);
            }
            id
        });
        Ok(id)
    }

    pub async fn comment(&self, id: i64) -> Result<Option<Comment>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM comments c WHERE c.id = $1");
        let row: Option<CommentRow> = with_pool!(&self.read, |p| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(Comment::from))
    }

    /// What the admission rule needs: the parent's state, a duplicate, the sender's last
    /// comment (by client address or email), and whether the author is known.
    #[allow(clippy::too_many_arguments)]
    pub async fn admission_facts(
        &self,
        article_id: i64,
        parent_id: Option<i64>,
        author_name: &str,
        author_email: &str,
        client_ip: &str,
        body: &str,
    ) -> Result<AdmissionFacts, StoreError> {
        let email = masthead_core::comment::normalise_email(author_email);
        let parent_status: Option<String> = match parent_id {
            Some(pid) => with_pool!(&self.read, |p| {
                sqlx::query_scalar("SELECT status FROM comments WHERE id = $1 AND article_id = $2")
                    .bind(pid)
                    .bind(article_id)
                    .fetch_optional(p)
                    .await?
            }),
            None => None,
        };
        // The same words under the same parent from the same name or email, whatever
        // became of them: a resend must not slip past because the first is held.
        let duplicate: Option<i64> = with_pool!(&self.read, |p| {
            sqlx::query_scalar(
                "SELECT id FROM comments
                 WHERE article_id = $1 AND COALESCE(parent_id, 0) = $2 AND body = $3
                   AND (author_name = $4 OR (author_email = $5 AND author_email <> ''))
                   AND status <> 'trash'
                 LIMIT 1",
            )
            .bind(article_id)
            .bind(parent_id.unwrap_or(0))
            .bind(body)
            .bind(author_name.trim())
            .bind(&email)
            .fetch_optional(p)
            .await?
        });
        let last_from_sender: Option<DateTime<Utc>> = with_pool!(&self.read, |p| {
            sqlx::query_scalar(
                "SELECT MAX(t) FROM (
                   SELECT MAX(created_at) AS t FROM comments WHERE client_ip = $1 AND client_ip <> ''
                   UNION ALL
                   SELECT MAX(created_at) AS t FROM comments WHERE author_email = $2 AND author_email <> ''
                 ) AS latest",
            )
            .bind(client_ip)
            .bind(&email)
            .fetch_one(p)
            .await?
        });
        let known: Option<i64> = with_pool!(&self.read, |p| {
            sqlx::query_scalar(
                "SELECT id FROM comments
                 WHERE author_email = $1 AND author_name = $2 AND status = 'approved' AND author_email <> ''
                 LIMIT 1",
            )
            .bind(&email)
            .bind(author_name.trim())
            .fetch_optional(p)
            .await?
        });
        Ok(AdmissionFacts {
            parent_status: parent_status.and_then(|s| s.parse().ok()),
            duplicate: duplicate.is_some(),
            last_from_sender,
            known_author: known.is_some(),
        })
    }

    /// An article's approved comments, oldest first (threading is the page's job).
    pub async fn approved_comments(&self, article_id: i64) -> Result<Vec<Comment>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM comments c
             WHERE c.article_id = $1 AND c.status = 'approved' AND c.kind = 'comment'
             ORDER BY c.created_at, c.id"
        );
        let rows: Vec<CommentRow> = with_pool!(&self.read, |p| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(article_id)
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(Comment::from).collect())
    }

    /// Every comment on an article, whatever its status or kind, oldest first (for
    /// moderators' tools, exports and import checks).
    pub async fn every_comment_on(&self, article_id: i64) -> Result<Vec<Comment>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM comments c WHERE c.article_id = $1 ORDER BY c.created_at, c.id"
        );
        let rows: Vec<CommentRow> = with_pool!(&self.read, |p| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(article_id)
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(Comment::from).collect())
    }

    /// Some of an article's comments by id, whatever their status (a reader's own held
    /// comments, named by their signed cookie).
    pub async fn comments_on_article(
        &self,
        article_id: i64,
        ids: &[i64],
    ) -> Result<Vec<Comment>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM comments c WHERE c.article_id = "
        ));
        q.bind(Arg::Int(article_id));
        q.push(" AND c.id IN ");
        q.bind_ids(&ids[..ids.len().min(50)]);
        q.push(" ORDER BY c.id");
        let rows: Vec<CommentRow> = with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_as(AssertSqlSafe(q.text.clone())), &q.args)
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(Comment::from).collect())
    }

    /// Moves a comment to `status`; returns the comment as it was before, or `None`
    /// when there is no such comment. Keeps the status it left (for "not spam" and
    /// "restore") and recounts the article.
    pub async fn set_comment_status(
        &self,
        id: i64,
        status: CommentStatus,
    ) -> Result<Option<Comment>, StoreError> {
        let Some(before) = self.comment(id).await? else {
            return Ok(None);
        };
        if before.status == status {
            return Ok(Some(before));
        }
        let now = self.clock.now();
        comment_write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE comments SET status = $1, previous_status = $2, status_changed_at = $3 WHERE id = $4",
            )
            .bind(status.as_str())
            .bind(before.status.as_str())
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            recount!(tx, before.article_id);
            log_change!(tx, "comments", before.article_id, "update", now);
        });
        Ok(Some(before))
    }

    /// A moderator's edit of a comment's words and author details.
    pub async fn edit_comment(
        &self,
        id: i64,
        author_name: &str,
        author_email: &str,
        author_url: &str,
        body: &str,
    ) -> Result<Option<i64>, StoreError> {
        let now = self.clock.now();
        Ok(comment_write_tx!(self, |tx| {
            let article: Option<i64> = sqlx::query_scalar(
                "UPDATE comments SET author_name = $1, author_email = $2, author_url = $3, body = $4
                 WHERE id = $5 RETURNING article_id",
            )
            .bind(author_name)
            .bind(masthead_core::comment::normalise_email(author_email))
            .bind(author_url)
            .bind(body)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(a) = article {
                log_change!(tx, "comments", a, "update", now);
            }
            article
        }))
    }

    /// A reader's report; false when this address already reported it (or there is no
    /// such approved comment).
    pub async fn report_comment(
        &self,
        id: i64,
        client_ip: &str,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let now = self.clock.now();
        Ok(unseen_write_tx!(self, |tx| {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM comments WHERE id = $1 AND status = 'approved'")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if exists.is_none() {
                false
            } else {
                let added = sqlx::query(
                    "INSERT INTO comment_reports (comment_id, client_ip, reason, created_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (comment_id, client_ip) DO NOTHING",
                )
                .bind(id)
                .bind(client_ip)
                .bind(reason)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if added == 1 {
                    sqlx::query(
                        "UPDATE comments SET report_count = report_count + 1 WHERE id = $1",
                    )
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                added == 1
            }
        }))
    }

    /// Clears a comment's reports (a moderator looked and kept it).
    pub async fn dismiss_reports(&self, id: i64) -> Result<(), StoreError> {
        unseen_write_tx!(self, |tx| {
            sqlx::query("DELETE FROM comment_reports WHERE comment_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE comments SET report_count = 0 WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Readers' reasons for reporting a comment.
    pub async fn comment_reports(&self, id: i64) -> Result<Vec<String>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_scalar(
                "SELECT reason FROM comment_reports WHERE comment_id = $1 ORDER BY created_at",
            )
            .bind(id)
            .fetch_all(p)
            .await?
        }))
    }

    fn queue_where(f: &CommentFilter) -> Sql {
        let mut q = Sql::new(" WHERE 1 = 1");
        if let Some(s) = f.status {
            q.push(" AND c.status = ");
            q.bind(Arg::Text(s.as_str().to_owned()));
        }
        if f.reported {
            q.push(" AND c.report_count > 0 AND c.status = 'approved'");
        }
        if let Some(e) = &f.email {
            q.push(" AND c.author_email = ");
            q.bind(Arg::Text(masthead_core::comment::normalise_email(e)));
        }
        if let Some(a) = f.article_id {
            q.push(" AND c.article_id = ");
            q.bind(Arg::Int(a));
        }
        q
    }

    /// A moderation queue, newest first, with its size.
    pub async fn comment_queue(
        &self,
        filter: &CommentFilter,
        page: PageRequest,
    ) -> Result<(Vec<QueuedComment>, i64), StoreError> {
        let w = Self::queue_where(filter);
        let mut q = Sql::new(&format!(
            "SELECT {COLUMNS}, a.title AS article_title FROM comments c JOIN articles a ON a.id = c.article_id{} ORDER BY c.id DESC",
            w.text
        ));
        q.args = w.args.clone();
        q.push_limit(page.limit(), page.offset());
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            c: CommentRow,
            article_title: String,
        }
        let rows: Vec<Row> = with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_as(AssertSqlSafe(q.text.clone())), &q.args)
                .fetch_all(p)
                .await?
        });
        let mut c = Sql::new(&format!("SELECT COUNT(*) FROM comments c{}", w.text));
        c.args = w.args;
        let total: i64 = with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_scalar(AssertSqlSafe(c.text.clone())), &c.args)
                .fetch_one(p)
                .await?
        });
        Ok((
            rows.into_iter()
                .map(|r| QueuedComment {
                    comment: r.c.into(),
                    article_title: r.article_title,
                })
                .collect(),
            total,
        ))
    }

    /// How many comments each queue holds.
    pub async fn comment_counts(&self) -> Result<QueueCounts, StoreError> {
        let rows: Vec<(String, i64)> = with_pool!(&self.read, |p| {
            sqlx::query_as("SELECT status, COUNT(*) FROM comments GROUP BY status")
                .fetch_all(p)
                .await?
        });
        let reported: i64 = with_pool!(&self.read, |p| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM comments WHERE report_count > 0 AND status = 'approved'",
            )
            .fetch_one(p)
            .await?
        });
        let mut counts = QueueCounts {
            reported,
            ..QueueCounts::default()
        };
        for (status, n) in rows {
            match status.parse() {
                Ok(CommentStatus::Approved) => counts.approved = n,
                Ok(CommentStatus::Held) => counts.held = n,
                Ok(CommentStatus::Spam) => counts.spam = n,
                Ok(CommentStatus::Trash) => counts.trash = n,
                Err(_) => {}
            }
        }
        Ok(counts)
    }

    /// Keeps a moderator's spam / not-spam decision for the filter to learn from.
    pub async fn record_spam_decision(
        &self,
        comment: &Comment,
        spam: bool,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        with_pool!(&self.write, |p| {
            sqlx::query(
                "INSERT INTO spam_decisions (comment_id, author_name, author_email, author_url, body, spam, decided_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(comment.id)
            .bind(&comment.author_name)
            .bind(&comment.author_email)
            .bind(&comment.author_url)
            .bind(&comment.body)
            .bind(spam)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// Every decision, oldest first: replayed over the shipped model at start.
    pub async fn spam_decisions(&self) -> Result<Vec<SpamDecision>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT author_name, author_email, author_url, body, spam FROM spam_decisions ORDER BY id",
            )
            .fetch_all(p)
            .await?
        }))
    }

    /// Deletes spam that has waited in its queue since before `before`; returns how many.
    pub async fn purge_spam(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(with_pool!(&self.write, |p| {
            sqlx::query("DELETE FROM comments WHERE status = 'spam' AND status_changed_at < $1")
                .bind(before)
                .execute(p)
                .await?
                .rows_affected()
        }))
    }

    /// Forgets the client addresses of comments written before `before`.
    pub async fn anonymise_comment_addresses(
        &self,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(with_pool!(&self.write, |p| {
            let n = sqlx::query(
                "UPDATE comments SET client_ip = '' WHERE client_ip <> '' AND created_at < $1",
            )
            .bind(before)
            .execute(p)
            .await?
            .rows_affected();
            sqlx::query(
                "UPDATE comment_reports SET client_ip = 'anonymised-' || CAST(id AS TEXT)
                 WHERE created_at < $1 AND client_ip NOT LIKE 'anonymised-%'",
            )
            .bind(before)
            .execute(p)
            .await?;
            n
        }))
    }

    /// Every comment written under `email`, oldest first (a commenter's own data).
    pub async fn comments_by_email(&self, email: &str) -> Result<Vec<Comment>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM comments c WHERE c.author_email = $1 ORDER BY c.created_at, c.id"
        );
        let rows: Vec<CommentRow> = with_pool!(&self.read, |p| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .bind(masthead_core::comment::normalise_email(email))
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(Comment::from).collect())
    }

    /// Anonymises everything kept about the commenter with `email`: their comments stay
    /// (a thread keeps its shape) under "Anonymous", without email, website, address or
    /// browser; their words in the filter's training are deleted. Returns how many
    /// comments changed.
    pub async fn erase_commenter(&self, email: &str) -> Result<u64, StoreError> {
        let email = masthead_core::comment::normalise_email(email);
        if email.is_empty() {
            return Ok(0);
        }
        let now = self.clock.now();
        Ok(comment_write_tx!(self, |tx| {
            let articles: Vec<i64> = sqlx::query_scalar(
                "SELECT DISTINCT article_id FROM comments WHERE author_email = $1",
            )
            .bind(&email)
            .fetch_all(&mut *tx)
            .await?;
            let n = sqlx::query(
                "UPDATE comments SET author_name = 'Anonymous', author_email = '', author_url = '',
                    client_ip = '', user_agent = ''
                 WHERE author_email = $1",
            )
            .bind(&email)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query("DELETE FROM spam_decisions WHERE author_email = $1")
                .bind(&email)
                .execute(&mut *tx)
                .await?;
            for a in articles {
                log_change!(tx, "comments", a, "update", now);
            }
            n
        }))
    }

    /// Queues mail about a comment for each of `user_ids`.
    pub async fn queue_comment_notices(
        &self,
        comment_id: i64,
        user_ids: &[i64],
        reason: &str,
    ) -> Result<(), StoreError> {
        if user_ids.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        unseen_write_tx!(self, |tx| {
            for u in user_ids {
                sqlx::query(
                    "INSERT INTO comment_notices (user_id, comment_id, reason, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(u)
                .bind(comment_id)
                .bind(reason)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    /// Every notice waiting, oldest first.
    pub async fn pending_comment_notices(&self) -> Result<Vec<CommentNotice>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT id, user_id, comment_id, reason, created_at FROM comment_notices ORDER BY id",
            )
            .fetch_all(p)
            .await?
        }))
    }

    /// Forgets notices that went out (or were folded into a digest).
    pub async fn clear_comment_notices(&self, ids: &[i64]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut q = Sql::new("DELETE FROM comment_notices WHERE id IN ");
        q.bind_ids(ids);
        with_pool!(&self.write, |p| {
            bind_args!(sqlx::query(AssertSqlSafe(q.text.clone())), &q.args)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Changes after `after` in the change log, oldest first. Caches read it to tell a
    /// comment change (drop one article's pages) from any other (drop everything).
    pub async fn changes_after(&self, after: i64, limit: i64) -> Result<Vec<Change>, StoreError> {
        let mut q = Sql::new("SELECT id, entity, entity_id, action FROM changes WHERE id > ");
        q.bind(Arg::Int(after)).push(" ORDER BY id");
        q.push_limit(limit, 0);
        // Inline on SQLite: a follower catching up reads a thousand rows at a time.
        if let Some(rows) = self
            .inline_rows(vec![q.clone()], true, |r| {
                Ok(Change {
                    id: r.get(0)?,
                    entity: r.get(1)?,
                    entity_id: r.get(2)?,
                    action: r.get(3)?,
                })
            })
            .await
        {
            return rows;
        }
        Ok(with_pool!(&self.read, |p| {
            let query = sqlx::query_as(AssertSqlSafe(q.text.clone()));
            bind_args!(query, &q.args).fetch_all(p).await?
        }))
    }
}

/// One row of the change log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Change {
    pub id: i64,
    /// What changed: `article`, `section`, `tag`, `author`, `comments`, `redirect`…
    pub entity: String,
    pub entity_id: i64,
    /// `create`, `update`, `delete`, `import`…
    pub action: String,
}
