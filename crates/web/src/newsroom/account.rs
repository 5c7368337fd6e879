//! One's own account: its page, password, API tokens, sessions and two-factor sign-in.

use super::sign_in::CodeForm;
use super::{
    ClientIp, NoticeQuery, audit, hash_new_password, notice_for, plain, render, see_other,
    server_error, user_agent,
};
use crate::AppState;
use crate::auth::{self, SignedIn};
use crate::views::DateView;
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use masthead_core::password;
use masthead_store::StoreError;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct SessionView {
    user_agent: String,
    client_ip: String,
    created: DateView,
    last_seen: DateView,
    current: bool,
}

#[derive(Serialize)]
struct TokenView {
    id: i64,
    label: String,
    scope: &'static str,
    created: String,
    expires: Option<String>,
    last_used: Option<String>,
    state: &'static str,
}

#[derive(Serialize)]
struct AccountBody {
    totp_enabled: bool,
    recovery_left: i64,
    /// A token just created: shown on this one response only.
    new_token: Option<String>,
    sessions: Vec<SessionView>,
    tokens: Vec<TokenView>,
}

/// The account page again, with why the form was refused (400).
async fn account_refusal(
    state: &AppState,
    who: &SignedIn,
    why: impl std::fmt::Display,
) -> Response {
    account_page(
        state,
        who,
        StatusCode::BAD_REQUEST,
        None,
        Some(why.to_string()),
        None,
    )
    .await
}

async fn account_page(
    state: &AppState,
    who: &SignedIn,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    new_token: Option<String>,
) -> Response {
    let store = state.store();
    let tz = state.settings();
    let tz = &*tz;
    let (sessions, tokens) = match (
        store.sessions_of(who.user.id).await,
        store.tokens_of(who.user.id).await,
    ) {
        (Ok(s), Ok(t)) => (s, t),
        (Err(e), _) | (_, Err(e)) => return server_error(&e),
    };
    let current = who.session.as_ref().map(|s| s.id_hash.as_str());
    let now = state.now();
    let day = |t: chrono::DateTime<chrono::Utc>| DateView::new(t, tz).display;
    let recovery_left = match store.recovery_codes_left(who.user.id).await {
        Ok(n) => n,
        Err(e) => return server_error(&e),
    };
    let body = AccountBody {
        // Read with the session on this request: current.
        totp_enabled: who.user.totp_enabled,
        recovery_left,
        new_token,
        sessions: sessions
            .iter()
            .map(|s| SessionView {
                user_agent: s.user_agent.clone(),
                client_ip: s.client_ip.clone(),
                created: DateView::new(s.created_at, tz),
                last_seen: DateView::new(s.last_seen_at, tz),
                current: Some(s.id_hash.as_str()) == current,
            })
            .collect(),
        tokens: tokens
            .iter()
            .map(|t| TokenView {
                id: t.id,
                label: t.label.clone(),
                scope: t.scope.as_str(),
                created: day(t.created_at),
                expires: t.expires_at.map(day),
                last_used: t.last_used_at.map(day),
                state: if t.revoked_at.is_some() {
                    "Revoked"
                } else if t.expires_at.is_some_and(|e| now >= e) {
                    "Expired"
                } else {
                    "Active"
                },
            })
            .collect(),
    };
    render(
        state,
        status,
        "account.html",
        "Your account",
        Some(who),
        notice,
        error,
        &body,
    )
}

pub(super) async fn account(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    account_page(
        &state,
        &who,
        StatusCode::OK,
        notice_for(&q.done),
        None,
        None,
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new_password: String,
}

pub(super) async fn change_password(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Response {
    let store = state.store();
    let ok = match own_password_ok(&state, who.user.id, &f.current).await {
        Ok(ok) => ok,
        Err(e) => return server_error(&e),
    };
    if !ok {
        let msg = "Your current password was not right; nothing was changed.";
        return account_refusal(&state, &who, msg).await;
    }
    if let Err(p) = password::check(&f.new_password, &[&who.user.name, &who.user.email]) {
        return account_refusal(&state, &who, p).await;
    }
    let Some(hash) = hash_new_password(&state, &f.new_password).await else {
        return server_error(&"password hashing failed");
    };
    // Every session ends with the old password, this one included; this browser gets
    // a fresh one so the person stays signed in here.
    if let Err(e) = store.set_password_hash(who.user.id, &hash).await {
        return server_error(&e);
    }
    audit(
        &state,
        Some(&who),
        "changed own password",
        &who.user.email,
        &ip,
    )
    .await;
    match auth::start_session(&state, &who.user, &ip, &user_agent(&headers)).await {
        Ok(cookie) => see_other("/newsroom/account?done=password", Some(cookie)),
        Err(e) => server_error(&e),
    }
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    #[serde(default)]
    label: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    expires_days: String,
}

pub(super) async fn create_token(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Form(f): Form<TokenForm>,
) -> Response {
    let bad = |msg: &str| {
        let (state, who, msg) = (state.clone(), who.clone(), msg.to_owned());
        async move { account_refusal(&state, &who, &msg).await }
    };
    let label = f.label.trim();
    if label.is_empty() || label.len() > 100 {
        return bad("Give the token a label (up to 100 characters).").await;
    }
    let Ok(scope) = f.scope.parse::<masthead_core::TokenScope>() else {
        return bad("Choose read or write.").await;
    };
    let expires = match f.expires_days.trim() {
        "" => None,
        days => match days.parse::<i64>() {
            Ok(d) if (1..=3650).contains(&d) => Some(state.now() + chrono::Duration::days(d)),
            _ => return bad("Expiry is a number of days from 1 to 3650, or empty.").await,
        },
    };
    let secret = match auth::new_secret() {
        Ok(s) => format!("{}{s}", auth::TOKEN_PREFIX),
        Err(e) => return server_error(&e),
    };
    if let Err(e) = state
        .store()
        .create_token(
            who.user.id,
            label,
            &auth::hash_secret(&secret),
            scope,
            expires,
        )
        .await
    {
        return server_error(&e);
    }
    audit(
        &state,
        Some(&who),
        "created token",
        &format!("{} ({}, {label})", who.user.email, scope.as_str()),
        &ip,
    )
    .await;
    account_page(&state, &who, StatusCode::OK, None, None, Some(secret)).await
}

pub(super) async fn revoke_token(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return plain(StatusCode::NOT_FOUND, "No such token.");
    };
    match state.store().revoke_token(who.user.id, id).await {
        Ok(true) => {
            audit(
                &state,
                Some(&who),
                "revoked token",
                &format!("token {id}"),
                &ip,
            )
            .await;
            see_other("/newsroom/account?done=revoked", None)
        }
        Ok(false) => plain(
            StatusCode::NOT_FOUND,
            "You have no active token with that id.",
        ),
        Err(e) => server_error(&e),
    }
}

pub(super) async fn end_all_sessions(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
) -> Response {
    if let Err(e) = state.store().delete_sessions_of(who.user.id, None).await {
        return server_error(&e);
    }
    audit(
        &state,
        Some(&who),
        "signed out everywhere",
        &who.user.email,
        &ip,
    )
    .await;
    see_other(
        "/newsroom/login",
        Some(auth::session_cookie(&state, "", None)),
    )
}

/// Whether `typed` is the account's current password.
async fn own_password_ok(state: &AppState, user_id: i64, typed: &str) -> Result<bool, StoreError> {
    let stored = state
        .store()
        .password_hash(user_id)
        .await?
        .unwrap_or_default();
    let typed = typed.to_owned();
    Ok(
        tokio::task::spawn_blocking(move || auth::verify_password(&typed, &stored))
            .await
            .unwrap_or(false),
    )
}

#[derive(Serialize)]
struct TotpSetupBody {
    secret: String,
    uri: String,
    recovery: Vec<String>,
}

pub(super) async fn totp_setup(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
) -> Response {
    let mut key = [0u8; 20];
    if getrandom::fill(&mut key).is_err() {
        return server_error(&"no randomness for the key");
    }
    let secret = masthead_core::totp::base32_encode(&key);
    if let Err(e) = state.store().set_pending_totp(who.user.id, &secret).await {
        return server_error(&e);
    }
    totp_setup_page(&state, &who, &secret, StatusCode::OK, None)
}

fn totp_setup_page(
    state: &AppState,
    who: &SignedIn,
    secret: &str,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let key = masthead_core::totp::base32_decode(secret).unwrap_or_default();
    let grouped = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let body = TotpSetupBody {
        secret: grouped,
        uri: masthead_core::totp::otpauth_uri(&state.settings().title, &who.user.email, &key),
        recovery: Vec::new(),
    };
    render(
        state,
        status,
        "totp_setup.html",
        "Set up two-factor sign-in",
        Some(who),
        None,
        error,
        &body,
    )
}

pub(super) async fn totp_enable(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Form(f): Form<CodeForm>,
) -> Response {
    let store = state.store();
    let secret = match store.totp_secret(who.user.id).await {
        Ok(Some((s, _))) => s,
        Ok(None) => return see_other("/newsroom/account", None),
        Err(e) => return server_error(&e),
    };
    let key = masthead_core::totp::base32_decode(&secret).unwrap_or_default();
    let Some(step) = masthead_core::totp::verify(&key, &f.code, state.now(), None) else {
        let msg = "That code is not right. Check the app's clock and try the current code.";
        return totp_setup_page(
            &state,
            &who,
            &secret,
            StatusCode::BAD_REQUEST,
            Some(msg.into()),
        );
    };
    let mut codes = Vec::new();
    for _ in 0..10 {
        let mut raw = [0u8; 5];
        if getrandom::fill(&mut raw).is_err() {
            return server_error(&"no randomness for recovery codes");
        }
        codes.push(masthead_core::totp::base32_encode(&raw).to_ascii_lowercase());
    }
    let hashes: Vec<String> = codes.iter().map(|c| auth::hash_secret(c)).collect();
    if let Err(e) = store.enable_totp(who.user.id, &hashes).await {
        return server_error(&e);
    }
    if let Err(e) = store.use_totp_step(who.user.id, step).await {
        return server_error(&e);
    }
    audit(
        &state,
        Some(&who),
        "turned on two-factor",
        &who.user.email,
        &ip,
    )
    .await;
    let body = TotpSetupBody {
        secret: String::new(),
        uri: String::new(),
        recovery: codes
            .iter()
            .map(|c| format!("{}-{}", &c[..4], &c[4..]))
            .collect(),
    };
    render(
        &state,
        StatusCode::OK,
        "totp_setup.html",
        "Two-factor sign-in is on",
        Some(&who),
        None,
        None,
        &body,
    )
}

#[derive(Deserialize)]
pub(super) struct PasswordOnly {
    #[serde(default)]
    password: String,
}

pub(super) async fn totp_disable(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Form(f): Form<PasswordOnly>,
) -> Response {
    let store = state.store();
    let ok = match own_password_ok(&state, who.user.id, &f.password).await {
        Ok(ok) => ok,
        Err(e) => return server_error(&e),
    };
    if !ok {
        let msg = "Your password was not right; two-factor sign-in stays on.";
        return account_refusal(&state, &who, msg).await;
    }
    if let Err(e) = store.disable_totp(who.user.id).await {
        return server_error(&e);
    }
    audit(
        &state,
        Some(&who),
        "turned off two-factor",
        &who.user.email,
        &ip,
    )
    .await;
    see_other("/newsroom/account?done=2fa-off", None)
}
