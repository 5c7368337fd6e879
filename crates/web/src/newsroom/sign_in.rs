//! Signing in and out, the second-factor step, and the setup link for the first administrator.

use super::{
    ClientIp, audit, hash_new_password, link_gone, notice_for, page, plausible_email, render,
    safe_next, see_other, server_error, user_agent,
};
use crate::AppState;
use crate::auth::{self, SignedIn};
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use masthead_core::{Role, password};
use masthead_store::{LinkPurpose, NewAuditEntry, NewUser, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Default)]
pub(super) struct LoginQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    done: String,
}

#[derive(Serialize)]
struct LoginBody {
    next: String,
    email: String,
}

pub(super) async fn login_form(
    State(state): State<AppState>,
    who: Option<Extension<SignedIn>>,
    Query(q): Query<LoginQuery>,
) -> Response {
    if who.is_some() {
        return Redirect::to(safe_next(&q.next)).into_response();
    }
    render(
        &state,
        StatusCode::OK,
        "login.html",
        "Sign in",
        None,
        notice_for(&q.done),
        None,
        &LoginBody {
            next: safe_next(&q.next).to_owned(),
            email: String::new(),
        },
    )
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// The same words whatever went wrong: they never reveal whether the account exists.
const SIGN_IN_FAILED: &str = "That email and password do not match an active account.";

pub(super) async fn login(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let email = f.email.trim().to_lowercase();
    let settings = state.settings();
    let settings = &*settings;
    let store = state.store();
    let now = state.now();
    let subjects = [format!("account:{email}"), format!("address:{ip}")];
    if let Err(e) = slow_down(&state, &subjects).await {
        return server_error(&e);
    }
    let user = match store.user_by_email(&email).await {
        Ok(u) => u,
        Err(e) => return server_error(&e),
    };
    let hash = match &user {
        Some(u) if !u.disabled => store.password_hash(u.id).await.ok().flatten(),
        _ => None,
    };
    let password = f.password.clone();
    let cost = settings.hash_cost;
    let verified = tokio::task::spawn_blocking(move || {
        let stored = hash.unwrap_or_else(|| auth::decoy_hash(cost).to_owned());
        auth::verify_password(&password, &stored)
    })
    .await
    .unwrap_or(false);
    let Some(user) = user.filter(|u| verified && !u.disabled) else {
        if let Err(e) = store.record_sign_in_failure(&subjects).await {
            return server_error(&e);
        }
        let entry = NewAuditEntry {
            actor: email.clone(),
            action: "sign-in failed".into(),
            client_ip: ip.clone(),
            ..Default::default()
        };
        if let Err(e) = store.audit(&entry).await {
            return server_error(&e);
        }
        return render(
            &state,
            StatusCode::UNAUTHORIZED,
            "login.html",
            "Sign in",
            None,
            None,
            Some(SIGN_IN_FAILED.into()),
            &LoginBody {
                next: safe_next(&f.next).to_owned(),
                email: f.email.chars().take(254).collect(),
            },
        );
    };
    if let Err(e) = store
        .clear_sign_in_failures(&subjects[0], now - settings.sign_in_window)
        .await
    {
        return server_error(&e);
    }
    if user.totp_enabled {
        return ask_second_factor(&state, &user, &f.next).await;
    }
    // A fresh session id at every sign-in; any old one from this browser is ended.
    if let Some(old) = auth::cookie(&headers, auth::SESSION_COOKIE)
        && let Err(e) = store.delete_session(&auth::hash_secret(old)).await
    {
        return server_error(&e);
    }
    let cookie = match auth::start_session(&state, &user, &ip, &user_agent(&headers)).await {
        Ok(c) => c,
        Err(e) => return server_error(&e),
    };
    let who = SignedIn {
        user: user.clone(),
        credential: masthead_core::Credential::Session,
        session: None,
    };
    audit(&state, Some(&who), "signed in", "", &ip).await;
    see_other(safe_next(&f.next), Some(cookie))
}

pub(super) async fn logout(
    State(state): State<AppState>,
    who: Option<Extension<SignedIn>>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
) -> Response {
    if let Some(Extension(w)) = &who {
        if let Some(s) = &w.session
            && let Err(e) = state.store().delete_session(&s.id_hash).await
        {
            return server_error(&e);
        }
        audit(&state, Some(w), "signed out", "", &ip).await;
    }
    see_other(
        "/newsroom/login",
        Some(auth::session_cookie(&state, "", None)),
    )
}

// ---------------------------------------------------------------------- setup

#[derive(Serialize, Default)]
struct SetupBody {
    name: String,
    email: String,
}

pub(super) async fn setup_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Response {
    match state
        .store()
        .peek_link(LinkPurpose::Setup, &auth::hash_secret(&token))
        .await
    {
        Ok(Some(_)) => page(
            &state,
            StatusCode::OK,
            "setup.html",
            "Set up the newsroom",
            None,
            &SetupBody::default(),
        ),
        Ok(None) => link_gone(&state),
        Err(e) => server_error(&e),
    }
}

#[derive(Deserialize)]
pub(super) struct SetupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub(super) async fn setup(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    Form(f): Form<SetupForm>,
) -> Response {
    let store = state.store();
    let hash = auth::hash_secret(&token);
    match store.peek_link(LinkPurpose::Setup, &hash).await {
        Ok(Some(_)) => {}
        Ok(None) => return link_gone(&state),
        Err(e) => return server_error(&e),
    }
    let again = |error: String| {
        render(
            &state,
            StatusCode::BAD_REQUEST,
            "setup.html",
            "Set up the newsroom",
            None,
            None,
            Some(error),
            &SetupBody {
                name: f.name.clone(),
                email: f.email.clone(),
            },
        )
    };
    let email = f.email.trim().to_lowercase();
    let name = f.name.trim();
    if name.is_empty() || name.len() > 200 {
        return again("Please give your name (up to 200 characters).".into());
    }
    if !plausible_email(&email) {
        return again("Please give a valid email address.".into());
    }
    if let Err(p) = password::check(&f.password, &[name, &email]) {
        return again(p.to_string());
    }
    let Some(password_hash) = hash_new_password(&state, &f.password).await else {
        return server_error(&"password hashing failed");
    };
    // Use the link first: two people racing with the same link make one account.
    match store.use_link(LinkPurpose::Setup, &hash).await {
        Ok(Some(_)) => {}
        Ok(None) => return link_gone(&state),
        Err(e) => return server_error(&e),
    }
    let id = match store
        .create_user(&NewUser {
            email: email.clone(),
            name: name.to_owned(),
            role: Role::Administrator,
            password_hash: Some(password_hash),
        })
        .await
    {
        Ok(id) => id,
        Err(StoreError::Conflict(m)) => return again(m),
        Err(e) => return server_error(&e),
    };
    let user = match store.user(id).await {
        Ok(Some(u)) => u,
        Ok(None) => return server_error(&"the new account vanished"),
        Err(e) => return server_error(&e),
    };
    let who = SignedIn {
        user: user.clone(),
        credential: masthead_core::Credential::Session,
        session: None,
    };
    audit(
        &state,
        Some(&who),
        "created administrator (setup link)",
        &email,
        &ip,
    )
    .await;
    let cookie = match auth::start_session(&state, &user, &ip, &user_agent(&headers)).await {
        Ok(c) => c,
        Err(e) => return server_error(&e),
    };
    see_other("/newsroom/", Some(cookie))
}

/// When no administrator can sign in, makes a one-time link that creates one and
/// returns its path; the caller shows it to whoever started the server.
pub async fn setup_link_if_needed(state: &AppState) -> Result<Option<String>, String> {
    let store = state.store();
    if store
        .active_administrators()
        .await
        .map_err(|e| e.to_string())?
        > 0
    {
        return Ok(None);
    }
    let secret = auth::new_secret()?;
    store
        .create_link(
            LinkPurpose::Setup,
            &auth::hash_secret(&secret),
            None,
            state.now() + state.settings().link_lifetime,
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(Some(format!("/newsroom/setup/{secret}")))
}

// ---------------------------------------------------------------------- two-factor

/// The cookie that carries a half-finished sign-in (right password, code pending).
const SECOND_FACTOR_COOKIE: &str = "masthead_2fa";

fn second_factor_cookie(state: &AppState, secret: &str, max_age: i64) -> String {
    let secure = if state.settings().https {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SECOND_FACTOR_COOKIE}={secret}; Path=/newsroom/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    )
}

#[derive(Serialize)]
struct SecondFactorBody {
    next: String,
}

/// Slows down guessing: each recent failure for any of `subjects` (an account, a client
/// address) adds a step of delay, up to a cap. Nobody is locked out.
async fn slow_down(state: &AppState, subjects: &[String]) -> Result<(), StoreError> {
    let settings = state.settings();
    let settings = &*settings;
    let since = state.now() - settings.sign_in_window;
    let mut failures = 0;
    for s in subjects {
        failures = failures.max(state.store().sign_in_failures(s, since).await?);
    }
    let delay = masthead_core::access::sign_in_delay(
        failures,
        settings.sign_in_step,
        settings.sign_in_max_delay,
    );
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    Ok(())
}

/// After a right password for an account with two-factor on: remember the half-done
/// sign-in for five minutes and ask for the code.
async fn ask_second_factor(state: &AppState, user: &masthead_store::User, next: &str) -> Response {
    let secret = match auth::new_secret() {
        Ok(s) => s,
        Err(e) => return server_error(&e),
    };
    if let Err(e) = state
        .store()
        .create_link(
            LinkPurpose::SecondFactor,
            &auth::hash_secret(&secret),
            Some(user.id),
            state.now() + chrono::Duration::minutes(5),
        )
        .await
    {
        return server_error(&e);
    }
    let mut res = page(
        state,
        StatusCode::OK,
        "second_factor.html",
        "Two-factor sign-in",
        None,
        &SecondFactorBody {
            next: safe_next(next).to_owned(),
        },
    );
    if let Ok(v) = HeaderValue::from_str(&second_factor_cookie(state, &secret, 300)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
pub(super) struct CodeForm {
    #[serde(default)]
    pub(super) code: String,
    #[serde(default)]
    next: String,
}

/// Whether `typed` is the account's current code (unused) or one of its recovery codes.
async fn second_factor_ok(state: &AppState, user_id: i64, typed: &str) -> Result<bool, StoreError> {
    let store = state.store();
    let Some((secret, last)) = store.totp_secret(user_id).await? else {
        return Ok(false);
    };
    let key = masthead_core::totp::base32_decode(&secret).unwrap_or_default();
    if let Some(step) = masthead_core::totp::verify(&key, typed, state.now(), last) {
        return store.use_totp_step(user_id, step).await;
    }
    let normalised: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    // Recovery codes are eight base32 characters (40 random bits), shown as two fours.
    if normalised.len() == 8 {
        return store
            .use_recovery_code(user_id, &auth::hash_secret(&normalised))
            .await;
    }
    Ok(false)
}

pub(super) async fn second_factor(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Response {
    let store = state.store();
    let Some(pending) = auth::cookie(&headers, SECOND_FACTOR_COOKIE).map(auth::hash_secret) else {
        return see_other("/newsroom/login", None);
    };
    let user_id = match store.peek_link(LinkPurpose::SecondFactor, &pending).await {
        Ok(Some(Some(id))) => id,
        Ok(_) => return see_other("/newsroom/login", None),
        Err(e) => return server_error(&e),
    };
    let user = match store.user(user_id).await {
        Ok(Some(u)) if !u.disabled => u,
        Ok(_) => return see_other("/newsroom/login", None),
        Err(e) => return server_error(&e),
    };
    // Guessing codes slows down like guessing passwords.
    let subjects = [format!("account:{}", user.email), format!("address:{ip}")];
    if let Err(e) = slow_down(&state, &subjects).await {
        return server_error(&e);
    }
    let ok = match second_factor_ok(&state, user.id, &f.code).await {
        Ok(ok) => ok,
        Err(e) => return server_error(&e),
    };
    let who = SignedIn {
        user: user.clone(),
        credential: masthead_core::Credential::Session,
        session: None,
    };
    if !ok {
        if let Err(e) = store.record_sign_in_failure(&subjects).await {
            return server_error(&e);
        }
        audit(&state, Some(&who), "second factor failed", "", &ip).await;
        return render(
            &state,
            StatusCode::UNAUTHORIZED,
            "second_factor.html",
            "Two-factor sign-in",
            None,
            None,
            Some("That code is not right, or was used already.".into()),
            &SecondFactorBody {
                next: safe_next(&f.next).to_owned(),
            },
        );
    }
    match store.use_link(LinkPurpose::SecondFactor, &pending).await {
        Ok(Some(_)) => {}
        Ok(None) => return see_other("/newsroom/login", None),
        Err(e) => return server_error(&e),
    }
    let cookie = match auth::start_session(&state, &user, &ip, &user_agent(&headers)).await {
        Ok(c) => c,
        Err(e) => return server_error(&e),
    };
    audit(&state, Some(&who), "signed in", "with two-factor", &ip).await;
    let mut res = see_other(safe_next(&f.next), Some(cookie));
    if let Ok(v) = HeaderValue::from_str(&second_factor_cookie(&state, "", 0)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
