//! Newsroom accounts and what vouches for them: sessions, API tokens, one-time links,
//! sign-in failures, and the audit log. Secrets arrive here already hashed.
//!
//! No public page shows any of it (bylines are their own table), so these writes do
//! not count as content changes: signing in, using a token or writing the audit log
//! leaves the page cache alone.

use crate::{Store, StoreError, unseen_write_tx, with_pool};
use chrono::{DateTime, Utc};
use masthead_core::{Role, TokenScope};
use sqlx::AssertSqlSafe;

/// A newsroom account. Never carries its password hash out of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub has_password: bool,
    pub totp_enabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    disabled: bool,
    has_password: bool,
    totp_enabled: bool,
    created_at: DateTime<Utc>,
}

const USER_COLUMNS: &str = "u.id, u.email, u.name, u.role, u.disabled, \
    (u.password_hash IS NOT NULL) AS has_password, u.totp_enabled, u.created_at";

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            role: r
                .role
                .parse()
                .map_err(|e| StoreError::Invalid(format!("stored account has {e}")))?,
            id: r.id,
            email: r.email,
            name: r.name,
            disabled: r.disabled,
            has_password: r.has_password,
            totp_enabled: r.totp_enabled,
            created_at: r.created_at,
        })
    }
}

/// A new account. The password hash is absent for an invitation not yet accepted.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: Option<String>,
}

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub id_hash: String,
    pub user_id: i64,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub client_ip: String,
    pub user_agent: String,
}

/// An API token's record (its secret is only ever shown once, at creation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub label: String,
    pub scope: TokenScope,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    user_id: i64,
    label: String,
    scope: String,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = StoreError;
    fn try_from(r: TokenRow) -> Result<Self, StoreError> {
        Ok(ApiToken {
            scope: r.scope.parse().map_err(StoreError::Invalid)?,
            id: r.id,
            user_id: r.user_id,
            label: r.label,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            last_used_at: r.last_used_at,
        })
    }
}

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Creates the first administrator.
    Setup,
    /// Lets an invited person set their password.
    Invitation,
    /// Lets someone who forgot their password set a new one.
    PasswordReset,
    /// Between a right password and the second factor: a few minutes, once.
    SecondFactor,
}

impl LinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Setup => "setup",
            LinkPurpose::Invitation => "invitation",
            LinkPurpose::PasswordReset => "password_reset",
            LinkPurpose::SecondFactor => "second_factor",
        }
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    /// Who, in words (an email, or "command line" / "setup link").
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub client_ip: String,
}

/// A new audit line; the store stamps the time.
#[derive(Debug, Clone, Default)]
pub struct NewAuditEntry {
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub client_ip: String,
}

/// Narrows the audit log; empty means everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor: Option<String>,
}

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl Store {
    /// Creates an account. An email already in use is a [`StoreError::Conflict`].
    pub async fn create_user(&self, u: &NewUser) -> Result<i64, StoreError> {
        let now = self.clock.now();
        let email = u.email.trim().to_lowercase();
        let id = unseen_write_tx!(self, |tx| {
            let inserted = sqlx::query_scalar(
                "INSERT INTO users (email, name, role, password_hash, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            )
            .bind(&email)
            .bind(crate::clean_name(&u.name))
            .bind(u.role.as_str())
            .bind(&u.password_hash)
            .bind(now)
            .fetch_one(&mut *tx)
            .await;
            match inserted {
                Ok(id) => id,
                Err(e) if unique_violation(&e) => {
                    return Err(StoreError::Conflict(format!(
                        "an account with the email {email} already exists"
                    )));
                }
                Err(e) => return Err(e.into()),
            }
        });
        Ok(id)
    }

    async fn one_user(&self, filter: &str, bind: UserKey<'_>) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE {filter}");
        let row: Option<UserRow> = with_pool!(&self.read, |p| {
            let q = sqlx::query_as(AssertSqlSafe(sql.clone()));
            match bind {
                UserKey::Id(id) => q.bind(id),
                UserKey::Email(e) => q.bind(e.trim().to_lowercase()),
            }
            .fetch_optional(p)
            .await?
        });
        row.map(User::try_from).transpose()
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        self.one_user("u.id = $1", UserKey::Id(id)).await
    }

    /// Emails are compared without regard to case.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        self.one_user("u.email = $1", UserKey::Email(email)).await
    }

    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.email");
        let rows: Vec<UserRow> = with_pool!(&self.read, |p| {
            sqlx::query_as(AssertSqlSafe(sql.clone()))
                .fetch_all(p)
                .await?
        });
        rows.into_iter().map(User::try_from).collect()
    }

    /// How many administrators can sign in now.
    pub async fn active_administrators(&self) -> Result<i64, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE role = 'administrator' AND NOT disabled
                 AND password_hash IS NOT NULL",
            )
            .fetch_one(p)
            .await?
        }))
    }

    /// The stored argon2 hash, for checking a password at sign-in.
    pub async fn password_hash(&self, user_id: i64) -> Result<Option<String>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_scalar::<_, Option<String>>("SELECT password_hash FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(p)
                .await?
                .flatten()
        }))
    }

    /// Replaces the password and ends every session of the account: whoever knew the
    /// old one is signed out.
    pub async fn set_password_hash(&self, user_id: i64, hash: &str) -> Result<(), StoreError> {
        let now = self.clock.now();
        unseen_write_tx!(self, |tx| {
            let done =
                sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                    .bind(hash)
                    .bind(now)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(format!("account {user_id}")));
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Disables or re-enables an account; disabling ends its sessions and its tokens
    /// stop working (they are checked against the account on every use).
    pub async fn set_disabled(&self, user_id: i64, disabled: bool) -> Result<(), StoreError> {
        let now = self.clock.now();
        unseen_write_tx!(self, |tx| {
            let done = sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
                .bind(disabled)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(format!("account {user_id}")));
            }
            if disabled {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
        });
        Ok(())
    }

    pub async fn set_role(&self, user_id: i64, role: Role) -> Result<(), StoreError> {
        let now = self.clock.now();
        unseen_write_tx!(self, |tx| {
            sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3")
                .bind(role.as_str())
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// The byline an account writes as, if it is linked to one.
    pub async fn user_author(&self, user_id: i64) -> Result<Option<i64>, StoreError> {
        let found: Option<Option<i64>> = with_pool!(&self.read, |p| {
            sqlx::query_scalar("SELECT author_id FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(p)
                .await?
        });
        Ok(found.flatten())
    }

    /// Links an account to its byline unless it is linked to one already; returns
    /// whether it was linked now.
    pub async fn link_user_author(&self, user_id: i64, author_id: i64) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let linked = unseen_write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE users SET author_id = $1, updated_at = $2 WHERE id = $3 AND author_id IS NULL",
            )
            .bind(author_id)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        Ok(linked > 0)
    }

    // ------------------------------------------------------------------ sessions

    pub async fn create_session(&self, s: &Session) -> Result<(), StoreError> {
        unseen_write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at,
                    client_ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&s.id_hash)
            .bind(s.user_id)
            .bind(s.created_at)
            .bind(s.last_seen_at)
            .bind(s.expires_at)
            .bind(&s.client_ip)
            .bind(&s.user_agent)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// A session by its hashed id, whatever its age: the caller applies the expiry
    /// rules, which are settings.
    pub async fn session(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT id_hash, user_id, created_at, last_seen_at, expires_at, client_ip,
                    user_agent FROM sessions WHERE id_hash = $1",
            )
            .bind(id_hash)
            .fetch_optional(p)
            .await?
        }))
    }

    /// Notes that a session is in use. Readers never see sessions, so this does not
    /// count as a local change: an editor autosaving all afternoon must not empty the
    /// page cache each time their session is touched.
    pub async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        unseen_write_tx!(self, |tx| {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                .bind(at)
                .bind(id_hash)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        unseen_write_tx!(self, |tx| {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Ends every session of an account, or every one but `keep`. Returns how many ended.
    pub async fn delete_sessions_of(
        &self,
        user_id: i64,
        keep: Option<&str>,
    ) -> Result<u64, StoreError> {
        let n = unseen_write_tx!(self, |tx| {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
                .bind(user_id)
                .bind(keep.unwrap_or(""))
                .execute(&mut *tx)
                .await?
                .rows_affected()
        });
        Ok(n)
    }

    pub async fn sessions_of(&self, user_id: i64) -> Result<Vec<Session>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT id_hash, user_id, created_at, last_seen_at, expires_at, client_ip,
                    user_agent FROM sessions WHERE user_id = $1
                 ORDER BY last_seen_at DESC",
            )
            .bind(user_id)
            .fetch_all(p)
            .await?
        }))
    }

    // ------------------------------------------------------------------ API tokens

    /// Stores a token by the hash of its secret.
    pub async fn create_token(
        &self,
        user_id: i64,
        label: &str,
        token_hash: &str,
        scope: TokenScope,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<i64, StoreError> {
        let now = self.clock.now();
        let id = unseen_write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_tokens (user_id, label, token_hash, scope, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(user_id)
            .bind(crate::clean_name(label))
            .bind(token_hash)
            .bind(scope.as_str())
            .bind(now)
            .bind(expires_at)
            .fetch_one(&mut *tx)
            .await?;
            id
        });
        Ok(id)
    }

    /// The token with this hash, whatever its state: the caller checks expiry,
    /// revocation and the account.
    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        let row: Option<TokenRow> = with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT id, user_id, label, scope, created_at, expires_at, revoked_at, last_used_at
                 FROM api_tokens WHERE token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(p)
            .await?
        });
        row.map(ApiToken::try_from).transpose()
    }

    pub async fn tokens_of(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError> {
        let rows: Vec<TokenRow> = with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT id, user_id, label, scope, created_at, expires_at, revoked_at, last_used_at
                 FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
            )
            .bind(user_id)
            .fetch_all(p)
            .await?
        });
        rows.into_iter().map(ApiToken::try_from).collect()
    }

    pub async fn touch_token(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        unseen_write_tx!(self, |tx| {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Revokes one of `user_id`'s tokens; false when there is no such token.
    pub async fn revoke_token(&self, user_id: i64, id: i64) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let n = unseen_write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1
                 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        Ok(n > 0)
    }

    // ------------------------------------------------------------------ one-time links

    pub async fn create_link(
        &self,
        purpose: LinkPurpose,
        token_hash: &str,
        user_id: Option<i64>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        unseen_write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO one_time_links (purpose, token_hash, user_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(purpose.as_str())
            .bind(token_hash)
            .bind(user_id)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Whether a link is usable now (unused, unexpired), and for whom; does not use it.
    pub async fn peek_link(
        &self,
        purpose: LinkPurpose,
        token_hash: &str,
    ) -> Result<Option<Option<i64>>, StoreError> {
        let now = self.clock.now();
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_scalar::<_, Option<i64>>(
                "SELECT user_id FROM one_time_links WHERE purpose = $1 AND token_hash = $2
                 AND used_at IS NULL AND expires_at > $3",
            )
            .bind(purpose.as_str())
            .bind(token_hash)
            .bind(now)
            .fetch_optional(p)
            .await?
        }))
    }

    /// Uses a link: succeeds once, while unexpired. Returns the account it was for (if
    /// any), or `None` when the link is unknown, used or expired.
    pub async fn use_link(
        &self,
        purpose: LinkPurpose,
        token_hash: &str,
    ) -> Result<Option<Option<i64>>, StoreError> {
        let now = self.clock.now();
        let used = unseen_write_tx!(self, |tx| {
            sqlx::query_scalar::<_, Option<i64>>(
                "UPDATE one_time_links SET used_at = $1 WHERE purpose = $2 AND token_hash = $3
                 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
            )
            .bind(now)
            .bind(purpose.as_str())
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?
        });
        Ok(used)
    }

    // ------------------------------------------------------------------ sign-in failures

    pub async fn record_sign_in_failure(&self, subjects: &[String]) -> Result<(), StoreError> {
        let now = self.clock.now();
        unseen_write_tx!(self, |tx| {
            for s in subjects {
                sqlx::query("INSERT INTO sign_in_failures (subject, failed_at) VALUES ($1, $2)")
                    .bind(s)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
        });
        Ok(())
    }

    /// Failures for `subject` since `since`.
    pub async fn sign_in_failures(
        &self,
        subject: &str,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM sign_in_failures WHERE subject = $1 AND failed_at >= $2",
            )
            .bind(subject)
            .bind(since)
            .fetch_one(p)
            .await?
        }))
    }

    /// Forgets an account's failures after it signs in, and everyone's old ones.
    pub async fn clear_sign_in_failures(
        &self,
        subject: &str,
        older_than: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        unseen_write_tx!(self, |tx| {
            sqlx::query("DELETE FROM sign_in_failures WHERE subject = $1 OR failed_at < $2")
                .bind(subject)
                .bind(older_than)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    // ------------------------------------------------------------------ audit log

    /// Appends to the audit log. There is no way to change or delete an entry.
    pub async fn audit(&self, e: &NewAuditEntry) -> Result<(), StoreError> {
        let now = self.clock.now();
        unseen_write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO audit_log (at, actor_id, actor, action, target, detail, client_ip)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(now)
            .bind(e.actor_id)
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.target)
            .bind(&e.detail)
            .bind(&e.client_ip)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// The newest entries first.
    pub async fn audit_entries(
        &self,
        f: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut q = crate::sql::Sql::new(
            "SELECT id, at, actor_id, actor, action, target, detail, client_ip FROM audit_log WHERE 1 = 1",
        );
        if let Some(a) = &f.action {
            q.push(" AND action = ");
            q.bind(crate::sql::Arg::Text(a.clone()));
        }
        if let Some(a) = &f.actor {
            q.push(" AND actor = ");
            q.bind(crate::sql::Arg::Text(a.clone()));
        }
        q.push(" ORDER BY at DESC, id DESC");
        q.push_limit(limit, offset);
        Ok(with_pool!(&self.read, |p| {
            crate::sql::bind_args!(sqlx::query_as(AssertSqlSafe(q.text.clone())), &q.args)
                .fetch_all(p)
                .await?
        }))
    }
}

#[derive(Clone, Copy)]
enum UserKey<'a> {
    Id(i64),
    Email(&'a str),
}

// ---------------------------------------------------------------------- two-factor

impl Store {
    /// Stores a new, not yet confirmed TOTP secret (base32); sign-in keeps working
    /// with the password alone until [`Store::enable_totp`].
    pub async fn set_pending_totp(&self, user_id: i64, secret: &str) -> Result<(), StoreError> {
        unseen_write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE users SET totp_secret = $1, totp_enabled = FALSE, totp_last_step = NULL
                 WHERE id = $2",
            )
            .bind(secret)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// The account's TOTP secret (base32) and the step of the last code accepted.
    pub async fn totp_secret(
        &self,
        user_id: i64,
    ) -> Result<Option<(String, Option<i64>)>, StoreError> {
        let row: Option<(Option<String>, Option<i64>)> = with_pool!(&self.read, |p| {
            sqlx::query_as("SELECT totp_secret, totp_last_step FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.and_then(|(s, step)| s.map(|s| (s, step))))
    }

    /// Turns two-factor sign-in on, with fresh recovery codes (their hashes).
    pub async fn enable_totp(&self, user_id: i64, recovery: &[String]) -> Result<(), StoreError> {
        unseen_write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE users SET totp_enabled = TRUE WHERE id = $1 AND totp_secret IS NOT NULL",
            )
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            for h in recovery {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(user_id)
                    .bind(h)
                    .execute(&mut *tx)
                    .await?;
            }
        });
        Ok(())
    }

    pub async fn disable_totp(&self, user_id: i64) -> Result<(), StoreError> {
        unseen_write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE users SET totp_secret = NULL, totp_enabled = FALSE, totp_last_step = NULL
                 WHERE id = $1",
            )
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Records that the code of `step` was used; false when it (or a later one) was
    /// used already, so a code seen over someone's shoulder cannot be replayed.
    pub async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool, StoreError> {
        let n = unseen_write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE users SET totp_last_step = $1
                 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
            )
            .bind(step)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        Ok(n > 0)
    }

    /// Uses a recovery code (by its hash); each works once.
    pub async fn use_recovery_code(
        &self,
        user_id: i64,
        code_hash: &str,
    ) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let n = unseen_write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE recovery_codes SET used_at = $1
                 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
            )
            .bind(now)
            .bind(user_id)
            .bind(code_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        });
        Ok(n > 0)
    }

    /// Recovery codes not yet used.
    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<i64, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
            )
            .bind(user_id)
            .fetch_one(p)
            .await?
        }))
    }

    /// Removes what has outlived its use: sessions past their expiry, one-time links
    /// past theirs, sign-in failures older than `failures_before` (they no longer slow
    /// anyone down), and, when `audit_before` is given, audit entries older than that
    /// (the site's retention period). Returns how many rows of each went.
    pub async fn expire_account_data(
        &self,
        now: DateTime<Utc>,
        failures_before: DateTime<Utc>,
        audit_before: Option<DateTime<Utc>>,
    ) -> Result<ExpiredAccountData, StoreError> {
        Ok(unseen_write_tx!(self, |tx| {
            let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let links = sqlx::query("DELETE FROM one_time_links WHERE expires_at < $1")
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let sign_in_failures = sqlx::query("DELETE FROM sign_in_failures WHERE failed_at < $1")
                .bind(failures_before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let audit_entries = match audit_before {
                Some(before) => sqlx::query("DELETE FROM audit_log WHERE at < $1")
                    .bind(before)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
                None => 0,
            };
            ExpiredAccountData {
                sessions,
                links,
                sign_in_failures,
                audit_entries,
            }
        }))
    }
}

/// What [`Store::expire_account_data`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiredAccountData {
    pub sessions: u64,
    pub links: u64,
    pub sign_in_failures: u64,
    pub audit_entries: u64,
}
