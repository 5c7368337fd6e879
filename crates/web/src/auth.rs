//! Who is asking: passwords, secrets, sessions and API tokens. Secrets (session ids,
//! tokens, one-time links) are random and stored only as SHA-256 hashes; passwords as
//! argon2id hashes.

use crate::AppState;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use axum::http::HeaderMap;
use chrono::{DateTime, Duration, Utc};
use masthead_core::{Credential, Role};
use masthead_store::{Session, StoreError, User};
use sha2::{Digest, Sha256};

/// One route that needs someone: what it answers and the capability it needs (`None`:
/// open to anyone, as the sign-in form must be). The newsroom and the API declare
/// their routes as tables of these; the routers and the tests are built from them.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub method: axum::http::Method,
    pub path: &'static str,
    pub needs: Option<masthead_core::Capability>,
}

pub(crate) fn spec(
    method: axum::http::Method,
    path: &'static str,
    needs: Option<masthead_core::Capability>,
) -> RouteSpec {
    RouteSpec {
        method,
        path,
        needs,
    }
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "masthead_session";
/// API tokens start with this, so a leaked one is recognisable in a scan.
pub const TOKEN_PREFIX: &str = "mh_";

/// How hard password hashing works. The defaults follow OWASP's argon2id advice;
/// tests lower them (hashing is deliberately slow).
#[derive(Debug, Clone, Copy)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Default for HashCost {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
        }
    }
}

fn argon2(cost: HashCost) -> argon2::Argon2<'static> {
    let params = argon2::Params::new(cost.memory_kib, cost.iterations, 1, None).unwrap_or_default();
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// Hashes a password for storage.
pub fn hash_password(password: &str, cost: HashCost) -> Result<String, String> {
    // A fresh random salt each time.
    argon2(cost)
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored hash (whatever cost it was made with).
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        argon2(HashCost::default())
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the account does not exist, so that a wrong email
/// takes as long as a wrong password.
pub fn decoy_hash(cost: HashCost) -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("not a password anyone has", cost).unwrap_or_default())
}

/// 32 random bytes as hex: a session id, a token's secret, a one-time link.
pub fn new_secret() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    Ok(hex(&bytes))
}

/// What the store keeps instead of a secret.
pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The session rules: both are settings.
#[derive(Debug, Clone, Copy)]
pub struct SessionRules {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in however busy it is.
    pub absolute: Duration,
}

impl Default for SessionRules {
    fn default() -> Self {
        Self {
            idle: Duration::days(3),
            absolute: Duration::days(30),
        }
    }
}

/// A signed-in request: the account, and the session or token that vouched for it.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub credential: Credential,
    /// The session's hashed id, when it came from a session.
    pub session: Option<Session>,
}

impl SignedIn {
    pub fn role(&self) -> Role {
        self.user.role
    }
}

/// Reads a cookie's value from the request headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The signed-in account behind a request's session cookie, if the session is alive.
pub async fn from_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<SignedIn>, StoreError> {
    let Some(secret) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = hash_secret(secret);
    let store = state.store();
    let Some(session) = store.session(&hash).await? else {
        return Ok(None);
    };
    let now = state.now();
    let rules = state.settings().sessions;
    if now >= session.expires_at || now - session.last_seen_at >= rules.idle {
        store.delete_session(&hash).await?;
        return Ok(None);
    }
    let Some(user) = store.user(session.user_id).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    // Touching on every request would make every page view a write.
    if now - session.last_seen_at >= Duration::minutes(1) {
        store.touch_session(&hash, now).await?;
    }
    Ok(Some(SignedIn {
        user,
        credential: Credential::Session,
        session: Some(session),
    }))
}

/// The account behind an `Authorization: Bearer` token, if it is valid now.
pub async fn from_token(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<SignedIn>, StoreError> {
    let Some(token) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
    else {
        return Ok(None);
    };
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let store = state.store();
    let Some(t) = store.token_by_hash(&hash_secret(token)).await? else {
        return Ok(None);
    };
    let now = state.now();
    if t.revoked_at.is_some() || t.expires_at.is_some_and(|e| now >= e) {
        return Ok(None);
    }
    let Some(user) = store.user(t.user_id).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    if t.last_used_at
        .is_none_or(|u| now - u >= Duration::minutes(1))
    {
        store.touch_token(t.id, now).await?;
    }
    Ok(Some(SignedIn {
        user,
        credential: Credential::Token(t.scope),
        session: None,
    }))
}

/// Starts a session for `user` and returns the cookie to set. A fresh id every time:
/// an id planted before sign-in is never promoted.
pub async fn start_session(
    state: &AppState,
    user: &User,
    client_ip: &str,
    user_agent: &str,
) -> Result<String, String> {
    let secret = new_secret()?;
    let now = state.now();
    let rules = state.settings().sessions;
    let session = Session {
        id_hash: hash_secret(&secret),
        user_id: user.id,
        created_at: now,
        last_seen_at: now,
        expires_at: now + rules.absolute,
        client_ip: client_ip.chars().take(64).collect(),
        user_agent: user_agent.chars().take(300).collect(),
    };
    state
        .store()
        .create_session(&session)
        .await
        .map_err(|e| e.to_string())?;
    Ok(session_cookie(state, &secret, Some(rules.absolute)))
}

/// The `Set-Cookie` value for a session (or, with `None`, one that clears it).
pub fn session_cookie(state: &AppState, secret: &str, max_age: Option<Duration>) -> String {
    let secure = if state.settings().https {
        "; Secure"
    } else {
        ""
    };
    let age = max_age.map_or(0, |d| d.num_seconds());
    format!("{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={age}{secure}")
}

/// When a session that was last seen at `last_seen` ends.
pub fn session_ends(s: &Session, rules: SessionRules) -> DateTime<Utc> {
    s.expires_at.min(s.last_seen_at + rules.idle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_hashes_are_salted() {
        let cost = HashCost {
            memory_kib: 64,
            iterations: 1,
        };
        let a = hash_password("correct horse battery", cost).unwrap();
        let b = hash_password("correct horse battery", cost).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &a));
        assert!(!verify_password("correct horse batterY", &a));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn secrets_are_random_and_hashed_one_way() {
        let s = new_secret().unwrap();
        assert_eq!(s.len(), 64);
        assert_ne!(s, new_secret().unwrap());
        assert_eq!(hash_secret(&s), hash_secret(&s));
        assert_ne!(hash_secret(&s), s);
    }
}
