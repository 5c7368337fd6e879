//! The outgoing mail queue: written in the request that causes the mail, delivered
//! later by a sender task, retried with backoff, never silently dropped. Readers never
//! see the queue, so its writes are not local changes: the sender's look at the queue
//! every poll interval must not empty the page cache each time.

use crate::{Store, StoreError, unseen_write_tx, with_pool};
use chrono::{DateTime, Utc};

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
}

/// A queued message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QueuedMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub last_error: String,
}

const MAIL_COLUMNS: &str = "id, recipient, subject, body_text, body_html, attempts, created_at, \
    sent_at, failed_at, last_error";

impl Store {
    /// Queues a message for delivery as soon as a sender gets to it.
    pub async fn enqueue_mail(&self, m: &NewMail) -> Result<i64, StoreError> {
        let now = self.clock.now();
        let id = unseen_write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO mail_queue (recipient, subject, body_text, body_html, created_at,
                    next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            )
            .bind(&m.recipient)
            .bind(&m.subject)
            .bind(&m.body_text)
            .bind(&m.body_html)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            id
        });
        Ok(id)
    }

    /// Claims up to `limit` messages that are due, pushing their next attempt to
    /// `lease_until` so that another sender (another node) leaves them alone meanwhile.
    pub async fn claim_due_mail(
        &self,
        limit: i64,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<QueuedMail>, StoreError> {
        let now = self.clock.now();
        let claimed = unseen_write_tx!(self, |tx| {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM mail_queue WHERE next_attempt_at <= $1
                 ORDER BY next_attempt_at, id LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
            let mut claimed = Vec::with_capacity(ids.len());
            for id in ids {
                // Only if nobody claimed it since: the update is the claim.
                let row: Option<QueuedMail> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE mail_queue SET next_attempt_at = $1, attempts = attempts + 1
                     WHERE id = $2 AND next_attempt_at <= $3 RETURNING {MAIL_COLUMNS}"
                )))
                .bind(lease_until)
                .bind(id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                claimed.extend(row);
            }
            claimed
        });
        Ok(claimed)
    }

    pub async fn mark_mail_sent(&self, id: i64) -> Result<(), StoreError> {
        let now = self.clock.now();
        unseen_write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE mail_queue SET sent_at = $1, next_attempt_at = NULL, last_error = ''
                 WHERE id = $2",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Records a failed attempt: try again at `retry_at`, or give up when it is `None`.
    pub async fn mark_mail_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let failed_at = retry_at.is_none().then_some(now);
        unseen_write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE mail_queue SET next_attempt_at = $1, failed_at = $2, last_error = $3
                 WHERE id = $4",
            )
            .bind(retry_at)
            .bind(failed_at)
            .bind(error.chars().take(500).collect::<String>())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// The newest messages first, for the newsroom and the tests.
    pub async fn recent_mail(&self, limit: i64) -> Result<Vec<QueuedMail>, StoreError> {
        let sql = format!(
            "SELECT {MAIL_COLUMNS} FROM mail_queue ORDER BY id DESC LIMIT {}",
            limit.clamp(1, 1000)
        );
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_all(p)
                .await?
        }))
    }

    /// How many messages wait to be sent.
    pub async fn pending_mail(&self) -> Result<i64, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_scalar("SELECT COUNT(*) FROM mail_queue WHERE next_attempt_at IS NOT NULL")
                .fetch_one(p)
                .await?
        }))
    }
}
