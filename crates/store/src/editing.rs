//! The newsroom's writes to articles: creating with an owner, saving against a version
//! (an outdated save is refused and kept, never silently applied), revisions, and the
//! scheduler's publication of what has come due.

use crate::{NewArticle, Store, StoreError, log_change, unseen_write_tx, with_pool, write_tx};
use chrono::{DateTime, Utc};
use masthead_core::article::url_date;
use masthead_core::{ArticleLabel, ArticleStatus, BodyFormat, CorrectionKind};
use serde::{Deserialize, Serialize};

/// Who is saving and on what the save is based.
#[derive(Debug, Clone, Copy, Default)]
pub struct Edit {
    /// The account saving (kept with the revision).
    pub user_id: Option<i64>,
    /// The version the editor loaded; a save based on an older one is refused.
    pub based_on: Option<i64>,
    /// A typo fix: the article's updated time does not move.
    pub minor: bool,
    /// The save puts back an earlier revision's content: it is kept as a
    /// [`RevisionKind::Restore`], so the history says so.
    pub restoring: bool,
}

/// How many autosaves each person keeps per article unless told otherwise: enough to
/// get back the last minutes of typing after a crash, without the history filling up
/// with a copy every few seconds.
pub const AUTOSAVES_KEPT: usize = 5;

/// What kind of save a revision records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RevisionKind {
    Save,
    Autosave,
    Restore,
    /// A save refused because the article had changed meanwhile: kept so nothing is lost.
    Refused,
}

impl RevisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Save => "save",
            Self::Autosave => "autosave",
            Self::Restore => "restore",
            Self::Refused => "refused",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "autosave" => Self::Autosave,
            "restore" => Self::Restore,
            "refused" => Self::Refused,
            _ => Self::Save,
        }
    }
}

/// The editable fields of an article, as a revision keeps them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevisionContent {
    pub title: String,
    pub kicker: Option<String>,
    pub dek: Option<String>,
    pub slug: Option<String>,
    pub body_format: BodyFormat,
    pub body_source: String,
    pub editor_excerpt: Option<String>,
    pub status: ArticleStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub section: String,
    pub other_sections: Vec<String>,
    pub tags: Vec<String>,
    pub authors: Vec<String>,
    pub featured: bool,
    pub comments_open: bool,
    pub label: ArticleLabel,
    pub featured_image: Option<String>,
    pub featured_image_alt: Option<String>,
    #[serde(default)]
    pub dateline: Option<String>,
    #[serde(default)]
    pub seo_title: Option<String>,
    #[serde(default)]
    pub seo_description: Option<String>,
    #[serde(default)]
    pub canonical_url: Option<String>,
    #[serde(default)]
    pub noindex: bool,
    #[serde(default)]
    pub featured_media_id: Option<i64>,
}

impl From<&NewArticle> for RevisionContent {
    fn from(a: &NewArticle) -> Self {
        Self {
            title: a.title.clone(),
            kicker: a.kicker.clone(),
            dek: a.dek.clone(),
            slug: a.slug.clone(),
            body_format: a.body_format,
            body_source: a.body_source.clone(),
            editor_excerpt: a.editor_excerpt.clone(),
            status: a.status,
            published_at: a.published_at,
            section: a.section.clone(),
            other_sections: a.other_sections.clone(),
            tags: a.tags.clone(),
            authors: a.authors.clone(),
            featured: a.featured,
            comments_open: a.comments_open,
            label: a.label,
            featured_image: a.featured_image.clone(),
            featured_image_alt: a.featured_image_alt.clone(),
            dateline: a.dateline.clone(),
            seo_title: a.seo_title.clone(),
            seo_description: a.seo_description.clone(),
            canonical_url: a.canonical_url.clone(),
            noindex: a.noindex,
            featured_media_id: a.featured_media_id,
        }
    }
}

/// A revision as the history lists it: who and when, without the content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevisionEntry {
    pub id: i64,
    pub version: i64,
    pub kind: RevisionKind,
    pub user_id: Option<i64>,
    /// The account's name, while the account exists.
    pub user_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RevisionEntryRow {
    id: i64,
    version: i64,
    kind: String,
    user_id: Option<i64>,
    user_name: Option<String>,
    created_at: DateTime<Utc>,
}

/// One kept version of an article.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revision {
    pub id: i64,
    pub article_id: i64,
    pub version: i64,
    pub kind: RevisionKind,
    pub user_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub content: RevisionContent,
}

#[derive(sqlx::FromRow)]
struct RevisionRow {
    id: i64,
    article_id: i64,
    version: i64,
    kind: String,
    user_id: Option<i64>,
    created_at: DateTime<Utc>,
    content: String,
}

impl RevisionRow {
    fn into_revision(self) -> Result<Revision, StoreError> {
        Ok(Revision {
            content: serde_json::from_str(&self.content).map_err(|e| {
                StoreError::Invalid(format!("revision {} is unreadable: {e}", self.id))
            })?,
            id: self.id,
            article_id: self.article_id,
            version: self.version,
            kind: RevisionKind::parse(&self.kind),
            user_id: self.user_id,
            created_at: self.created_at,
        })
    }
}

/// A correction or update note on an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correction {
    pub id: i64,
    pub article_id: i64,
    pub kind: CorrectionKind,
    pub note: String,
    pub user_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct CorrectionRow {
    id: i64,
    article_id: i64,
    kind: String,
    note: String,
    user_id: Option<i64>,
    created_at: DateTime<Utc>,
}

/// The facts a permission check needs about an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct ArticleState {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub status: StatusColumn,
    pub owner_id: Option<i64>,
    pub version: i64,
}

/// A status read from a column (sqlx needs a `TryFrom<String>` type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusColumn(pub ArticleStatus);

impl TryFrom<String> for StatusColumn {
    type Error = masthead_core::article::UnknownValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse().map(StatusColumn)
    }
}

/// Keeps a revision inside the caller's transaction.
macro_rules! keep_revision {
    ($tx:expr, $id:expr, $version:expr, $kind:expr, $user:expr, $content:expr, $now:expr) => {{
        let json = serde_json::to_string($content)
            .map_err(|e| StoreError::Invalid(format!("cannot keep the revision: {e}")))?;
        sqlx::query(
            "INSERT INTO article_revisions (article_id, version, kind, user_id, created_at, content)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($id)
        .bind($version)
        .bind($kind.as_str())
        .bind($user)
        .bind($now)
        .bind(json)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use keep_revision;

/// Drops, inside the caller's transaction, the autosaves of `$user` on article `$id`
/// that a later save or restore of theirs has superseded, and all but their newest
/// `$keep`. Only that person's: another's save does not hold what they typed.
macro_rules! prune_autosaves {
    ($tx:expr, $id:expr, $user:expr, $keep:expr) => {{
        let keep = i64::try_from($keep).unwrap_or(i64::MAX);
        sqlx::query(
            "DELETE FROM article_revisions
             WHERE article_id = $1 AND user_id = $2 AND kind = 'autosave'
               AND (id < (SELECT COALESCE(MAX(id), 0) FROM article_revisions
                          WHERE article_id = $1 AND user_id = $2 AND kind IN ('save', 'restore'))
                    OR id NOT IN (SELECT id FROM article_revisions
                                  WHERE article_id = $1 AND user_id = $2 AND kind = 'autosave'
                                  ORDER BY id DESC LIMIT $3))",
        )
        .bind($id)
        .bind($user)
        .bind(keep)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use prune_autosaves;

impl Store {
    /// Appends a correction or update to an article: the note is kept for good, the
    /// article's updated time and version move, and readers' caches follow.
    pub async fn add_correction(
        &self,
        article_id: i64,
        kind: CorrectionKind,
        note: &str,
        user_id: Option<i64>,
    ) -> Result<Correction, StoreError> {
        let now = self.clock.now();
        let note = note.trim();
        if note.is_empty() {
            return Err(StoreError::Invalid("The note is empty.".into()));
        }
        Ok(write_tx!(self, |tx| {
            let changed = sqlx::query(
                "UPDATE articles SET updated_at = $1, version = version + 1 WHERE id = $2",
            )
            .bind(now)
            .bind(article_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::NotFound(format!("article {article_id}")));
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO corrections (article_id, kind, note, user_id, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(article_id)
            .bind(kind.as_str())
            .bind(note)
            .bind(user_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            log_change!(tx, "article", article_id, "update", now);
            Correction {
                id,
                article_id,
                kind,
                note: note.to_owned(),
                user_id,
                created_at: now,
            }
        }))
    }

    /// An article's corrections and updates, oldest first.
    pub async fn corrections(&self, article_id: i64) -> Result<Vec<Correction>, StoreError> {
        let rows: Vec<CorrectionRow> = with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT id, article_id, kind, note, user_id, created_at FROM corrections
                 WHERE article_id = $1 ORDER BY id",
            )
            .bind(article_id)
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(|r| {
                Ok(Correction {
                    id: r.id,
                    article_id: r.article_id,
                    kind: r.kind.parse().map_err(|e| {
                        StoreError::Invalid(format!("correction {} has an {e}", r.id))
                    })?,
                    note: r.note,
                    user_id: r.user_id,
                    created_at: r.created_at,
                })
            })
            .collect()
    }

    /// Notes that `user_id` has the article open now; returns the names of the others
    /// who have had it open since `since`. Not a content change: it bypasses the
    /// change accounting, so opening an editor does not empty the page cache.
    pub async fn mark_present(
        &self,
        article_id: i64,
        user_id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let now = self.clock.now();
        with_pool!(&self.write, |p| {
            sqlx::query(
                "INSERT INTO article_presence (article_id, user_id, seen_at) VALUES ($1, $2, $3)
                 ON CONFLICT (article_id, user_id) DO UPDATE SET seen_at = excluded.seen_at",
            )
            .bind(article_id)
            .bind(user_id)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_scalar(
                "SELECT u.name FROM article_presence p JOIN users u ON u.id = p.user_id
                 WHERE p.article_id = $1 AND p.user_id <> $2 AND p.seen_at >= $3 ORDER BY u.name",
            )
            .bind(article_id)
            .bind(user_id)
            .bind(since)
            .fetch_all(p)
            .await?
        }))
    }

    /// Status, owner and version of an article, for permission checks.
    pub async fn article_state(&self, id: i64) -> Result<Option<ArticleState>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as("SELECT id, status, owner_id, version FROM articles WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?
        }))
    }

    /// An article's revisions, newest first.
    pub async fn revisions(&self, article_id: i64) -> Result<Vec<Revision>, StoreError> {
        let rows: Vec<RevisionRow> = with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT id, article_id, version, kind, user_id, created_at, content
                 FROM article_revisions WHERE article_id = $1 ORDER BY id DESC",
            )
            .bind(article_id)
            .fetch_all(p)
            .await?
        });
        rows.into_iter().map(RevisionRow::into_revision).collect()
    }

    /// An article's history, newest first: who saved, when and how, without the
    /// content (which a long history would make heavy to read).
    pub async fn revision_entries(
        &self,
        article_id: i64,
    ) -> Result<Vec<RevisionEntry>, StoreError> {
        let rows: Vec<RevisionEntryRow> = with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT r.id, r.version, r.kind, r.user_id, u.name AS user_name, r.created_at
                 FROM article_revisions r LEFT JOIN users u ON u.id = r.user_id
                 WHERE r.article_id = $1 ORDER BY r.id DESC",
            )
            .bind(article_id)
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| RevisionEntry {
                id: r.id,
                version: r.version,
                kind: RevisionKind::parse(&r.kind),
                user_id: r.user_id,
                user_name: r.user_name,
                created_at: r.created_at,
            })
            .collect())
    }

    /// One revision, whatever its article.
    pub async fn revision(&self, id: i64) -> Result<Option<Revision>, StoreError> {
        let row: Option<RevisionRow> = with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT id, article_id, version, kind, user_id, created_at, content
                 FROM article_revisions WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(p)
            .await?
        });
        row.map(RevisionRow::into_revision).transpose()
    }

    /// Keeps what `user_id` is typing into article `article_id` as an autosave revision
    /// (at the article's current version), leaving the article as it is. Not a content
    /// change: no change-log row and no local change, so readers' page caches stay
    /// warm however often the editor autosaves. Then prunes that person's autosaves
    /// of the article to the newest `keep` (at least one: this one).
    pub async fn autosave(
        &self,
        article_id: i64,
        content: &RevisionContent,
        user_id: i64,
        keep: usize,
    ) -> Result<Revision, StoreError> {
        let now = self.clock.now();
        let kind = RevisionKind::Autosave;
        // At least the one just made.
        let keep = keep.max(1);
        let json = serde_json::to_string(content)
            .map_err(|e| StoreError::Invalid(format!("cannot keep the autosave: {e}")))?;
        let (id, version) = unseen_write_tx!(self, |tx| {
            let version: Option<i64> =
                sqlx::query_scalar("SELECT version FROM articles WHERE id = $1")
                    .bind(article_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(version) = version else {
                return Err(StoreError::NotFound(format!("article {article_id}")));
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO article_revisions (article_id, version, kind, user_id, created_at, content)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(article_id)
            .bind(version)
            .bind(kind.as_str())
            .bind(user_id)
            .bind(now)
            .bind(json)
            .fetch_one(&mut *tx)
            .await?;
            prune_autosaves!(tx, article_id, user_id, keep);
            (id, version)
        });
        Ok(Revision {
            id,
            article_id,
            version,
            kind,
            user_id: Some(user_id),
            created_at: now,
            content: content.clone(),
        })
    }

    /// Publishes every scheduled article whose time has come (by the store's clock),
    /// with change-log rows so caches and the index follow at once. Safe to run on
    /// several nodes at the same moment: each article is published by exactly one.
    /// Returns the ids it published.
    pub async fn publish_due(&self) -> Result<Vec<i64>, StoreError> {
        let now = self.clock.now();
        let tz = self.timezone();
        // Look before taking the write lock: a write transaction counts as a local change,
        // which would empty this node's page cache every time the scheduler looks.
        let any_due: Option<i64> = with_pool!(&self.read, |p| {
            sqlx::query_scalar(
                "SELECT id FROM articles WHERE status = 'scheduled' AND published_at <= $1 LIMIT 1",
            )
            .bind(now)
            .fetch_optional(p)
            .await?
        });
        if any_due.is_none() {
            return Ok(Vec::new());
        }
        Ok(write_tx!(self, |tx| {
            let due: Vec<(i64, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT id, published_at FROM articles
                 WHERE status = 'scheduled' AND published_at <= $1 ORDER BY published_at, id",
            )
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
            let mut published = Vec::with_capacity(due.len());
            for (id, at) in due {
                let date = url_date(at.unwrap_or(now), tz);
                // The status test makes a second node's attempt a no-op.
                let changed = sqlx::query(
                    "UPDATE articles SET status = 'published', url_date = COALESCE(url_date, $1),
                         version = version + 1
                     WHERE id = $2 AND status = 'scheduled'",
                )
                .bind(date)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    continue;
                }
                for link in ["article_sections", "article_tags", "article_authors"] {
                    // `link` is one of three fixed names, never input.
                    let sql =
                        format!("UPDATE {link} SET status = 'published' WHERE article_id = $1");
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                log_change!(tx, "article", id, "publish", now);
                published.push(id);
            }
            published
        }))
    }

    /// Removes autosaves made before `before`: an editor's unsaved typing is kept a
    /// while for recovery, not for ever. Saved revisions are history and stay.
    pub async fn prune_old_autosaves(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(unseen_write_tx!(self, |tx| {
            sqlx::query("DELETE FROM article_revisions WHERE kind = $1 AND created_at < $2")
                .bind(RevisionKind::Autosave.as_str())
                .bind(before)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        }))
    }

    /// How many articles wait for their scheduled time (the scheduler's queue).
    pub async fn scheduled_count(&self) -> Result<i64, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_scalar("SELECT COUNT(*) FROM articles WHERE status = 'scheduled'")
                .fetch_one(p)
                .await?
        }))
    }

    /// When the next scheduled article is due, if any is.
    pub async fn next_scheduled(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_scalar(
                "SELECT published_at FROM articles WHERE status = 'scheduled'
                 ORDER BY published_at LIMIT 1",
            )
            .fetch_optional(p)
            .await?
        })
        .flatten())
    }
}
