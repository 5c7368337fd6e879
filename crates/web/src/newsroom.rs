//! The newsroom under `/newsroom/`: sign-in, setup, one's account, people and the audit
//! log. Every route is declared once in [`routes`] with the capability it needs; the
//! router and the tests are both built from that table, so a route cannot exist
//! without a rule.

use crate::auth::{self, RouteSpec, SignedIn, spec};
use crate::{AppState, views::DateView};
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Extension, Router};
use masthead_core::access::{Capability, Decision, decide};
use masthead_core::{Role, password};
use masthead_store::{AuditFilter, LinkPurpose, NewAuditEntry, NewUser, StoreError};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// Every newsroom route.
pub fn routes() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    use Capability::*;
    vec![
        (spec(Method::GET, "/newsroom/login", None), get(login_form)),
        (spec(Method::POST, "/newsroom/login", None), post(login)),
        (
            spec(Method::POST, "/newsroom/login/2fa", None),
            post(second_factor),
        ),
        (spec(Method::POST, "/newsroom/logout", None), post(logout)),
        (
            spec(Method::GET, "/newsroom/setup/{token}", None),
            get(setup_form),
        ),
        (
            spec(Method::POST, "/newsroom/setup/{token}", None),
            post(setup),
        ),
        (
            spec(Method::GET, "/newsroom/", Some(UseNewsroom)),
            get(dashboard),
        ),
        (
            spec(Method::GET, "/newsroom/account", Some(ManageOwnAccount)),
            get(account),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/account/password",
                Some(ManageOwnAccount),
            ),
            post(change_password),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/account/sessions/end-all",
                Some(ManageOwnAccount),
            ),
            post(end_all_sessions),
        ),
        (
            spec(Method::GET, "/newsroom/forgot", None),
            get(forgot_form),
        ),
        (spec(Method::POST, "/newsroom/forgot", None), post(forgot)),
        (
            spec(Method::GET, "/newsroom/invitation/{token}", None),
            get(invitation_form),
        ),
        (
            spec(Method::POST, "/newsroom/invitation/{token}", None),
            post(accept_invitation),
        ),
        (
            spec(Method::GET, "/newsroom/reset/{token}", None),
            get(reset_form),
        ),
        (
            spec(Method::POST, "/newsroom/reset/{token}", None),
            post(reset_password),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/account/tokens",
                Some(ManageOwnAccount),
            ),
            post(create_token),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/account/2fa/setup",
                Some(ManageOwnAccount),
            ),
            post(totp_setup),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/account/2fa/enable",
                Some(ManageOwnAccount),
            ),
            post(totp_enable),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/account/2fa/disable",
                Some(ManageOwnAccount),
            ),
            post(totp_disable),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/account/tokens/{id}/revoke",
                Some(ManageOwnAccount),
            ),
            post(revoke_token),
        ),
        (
            spec(Method::GET, "/newsroom/users", Some(ManageUsers)),
            get(users),
        ),
        (
            spec(Method::POST, "/newsroom/users/{id}/role", Some(ManageUsers)),
            post(change_role),
        ),
        (
            spec(Method::POST, "/newsroom/users/invite", Some(ManageUsers)),
            post(invite),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/users/{id}/disable",
                Some(ManageUsers),
            ),
            post(disable_user),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/users/{id}/enable",
                Some(ManageUsers),
            ),
            post(enable_user),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/users/{id}/reset",
                Some(ManageUsers),
            ),
            post(send_reset_for),
        ),
        (
            spec(Method::POST, "/newsroom/mail/test", Some(ManageSettings)),
            post(test_mail),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/settings/two-factor",
                Some(ManageSettings),
            ),
            post(set_two_factor_requirement),
        ),
        (
            spec(Method::GET, "/newsroom/audit", Some(ViewAudit)),
            get(audit_log),
        ),
    ]
}

/// The newsroom router: each route wrapped in the one guard, with its own rule.
pub fn router(state: AppState) -> Router<AppState> {
    let mut r = Router::new();
    for (spec, handler) in routes() {
        let guarded = handler.route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), spec.needs),
            guard,
        ));
        r = r.route(spec.path, guarded);
    }
    r.route(
        "/newsroom",
        get(|| async { Redirect::permanent("/newsroom/") }),
    )
}

/// Refuses cross-site state changes, finds who is asking, and applies the route's rule.
async fn guard(
    State((state, needs)): State<(AppState, Option<Capability>)>,
    mut req: Request,
    next: Next,
) -> Response {
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if changes && !same_origin(req.headers()) {
        return plain(
            StatusCode::FORBIDDEN,
            "This request came from another site and was refused.",
        );
    }
    let who = match auth::from_session(&state, req.headers()).await {
        Ok(w) => w,
        Err(e) => return server_error(&e),
    };
    if let Some(cap) = needs {
        match decide(who.as_ref().map(|w| (w.role(), w.credential)), cap) {
            Decision::Allowed => {}
            Decision::SignInFirst if !changes => {
                let next = req.uri().path().to_owned();
                return Redirect::to(&format!("/newsroom/login?next={}", encode_query(&next)))
                    .into_response();
            }
            Decision::SignInFirst => {
                return plain(StatusCode::UNAUTHORIZED, "Please sign in first.");
            }
            Decision::Forbidden => {
                return page(
                    &state,
                    StatusCode::FORBIDDEN,
                    "message.html",
                    "Not allowed",
                    who.as_ref(),
                    &Message {
                        message: "Your role does not allow this.".into(),
                        link: None,
                    },
                );
            }
        }
    }
    // Where the site requires two-factor sign-in for editors and administrators, one
    // without it can reach only their own account (to set it up) until they do.
    if let (Some(w), Some(cap)) = (&who, needs)
        && cap != Capability::ManageOwnAccount
        && matches!(w.role(), Role::Administrator | Role::Editor)
        && !w.user.totp_enabled
    {
        match two_factor_required(&state).await {
            Ok(false) => {}
            Ok(true) if !changes => {
                return Redirect::to("/newsroom/account?done=2fa-required").into_response();
            }
            Ok(true) => {
                return plain(
                    StatusCode::FORBIDDEN,
                    "Turn on two-factor sign-in under Your account first.",
                );
            }
            Err(e) => return server_error(&e),
        }
    }
    if let Some(w) = who {
        req.extensions_mut().insert(w);
    }
    let ip = req
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    req.extensions_mut().insert(ClientIp(ip));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    res
}

/// Whether a state-changing request comes from our own pages: the browser's `Origin`
/// (or `Sec-Fetch-Site`) must name this host. Requests without either come from
/// programs, not from a page on another site, and carry no ambient cookies of ours.
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        let origin_host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        return origin_host.is_some() && origin_host == host;
    }
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    }
}

fn encode_query(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where to go after signing in: only a newsroom path of ours, never another site.
fn safe_next(next: &str) -> &str {
    if next.starts_with("/newsroom/") && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/newsroom/"
    }
}

fn plain(status: StatusCode, message: &'static str) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], message).into_response()
}

fn server_error(e: &dyn std::fmt::Display) -> Response {
    tracing::error!("newsroom: {e}");
    plain(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side; nothing was changed.",
    )
}

#[derive(Serialize)]
struct Message {
    message: String,
    link: Option<LinkView>,
}

#[derive(Serialize)]
struct LinkView {
    url: String,
    text: String,
}

#[derive(Serialize)]
struct MeView {
    name: String,
    email: String,
    role_label: &'static str,
}

#[derive(Serialize)]
struct CanView {
    manage_users: bool,
    view_audit: bool,
}

#[derive(Serialize)]
struct Frame<'a, T: Serialize> {
    site_title: &'a str,
    title: &'a str,
    current: &'a str,
    me: Option<MeView>,
    can: CanView,
    notice: Option<String>,
    error: Option<String>,
    #[serde(flatten)]
    body: &'a T,
}

/// Renders a newsroom page.
fn page<T: Serialize>(
    state: &AppState,
    status: StatusCode,
    template: &str,
    title: &str,
    who: Option<&SignedIn>,
    body: &T,
) -> Response {
    render(state, status, template, title, who, None, None, body)
}

#[expect(clippy::too_many_arguments, reason = "one call site per variant")]
fn render<T: Serialize>(
    state: &AppState,
    status: StatusCode,
    template: &str,
    title: &str,
    who: Option<&SignedIn>,
    notice: Option<String>,
    error: Option<String>,
    body: &T,
) -> Response {
    let role = who.map(SignedIn::role);
    let frame = Frame {
        site_title: &state.settings().title,
        title,
        current: template.trim_end_matches(".html"),
        me: who.map(|w| MeView {
            name: w.user.name.clone(),
            email: w.user.email.clone(),
            role_label: w.user.role.label(),
        }),
        can: CanView {
            manage_users: role.is_some_and(|r| r.can(Capability::ManageUsers)),
            view_audit: role.is_some_and(|r| r.can(Capability::ViewAudit)),
        },
        notice,
        error,
        body,
    };
    match state
        .0
        .theme
        .render(&format!("newsroom/{template}"), &frame)
    {
        Ok(html) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        Err(e) => server_error(&e),
    }
}

/// The client's address as the connection shows it (trusted proxies come later).
#[derive(Debug, Clone)]
struct ClientIp(String);

fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect()
}

async fn audit(state: &AppState, who: Option<&SignedIn>, action: &str, target: &str, ip: &str) {
    let entry = NewAuditEntry {
        actor_id: who.map(|w| w.user.id),
        actor: who.map_or_else(|| "anonymous".to_owned(), |w| w.user.email.clone()),
        action: action.to_owned(),
        target: target.to_owned(),
        detail: String::new(),
        client_ip: ip.to_owned(),
    };
    if let Err(e) = state.store().audit(&entry).await {
        tracing::error!("cannot write the audit log: {e}");
    }
}

// ---------------------------------------------------------------------- sign-in

#[derive(Deserialize, Default)]
struct LoginQuery {
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

async fn login_form(
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
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// The same words whatever went wrong: they never reveal whether the account exists.
const SIGN_IN_FAILED: &str = "That email and password do not match an active account.";

async fn login(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let email = f.email.trim().to_lowercase();
    let settings = state.settings();
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

fn see_other(to: &str, cookie: Option<String>) -> Response {
    let mut res = Redirect::to(to).into_response();
    if let Some(c) = cookie
        && let Ok(v) = HeaderValue::from_str(&c)
    {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

async fn logout(
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

async fn setup_form(State(state): State<AppState>, Path(token): Path<String>) -> Response {
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

fn link_gone(state: &AppState) -> Response {
    page(
        state,
        StatusCode::GONE,
        "message.html",
        "This link no longer works",
        None,
        &Message {
            message: "The link has been used already or has expired.".into(),
            link: Some(LinkView {
                url: "/newsroom/login".into(),
                text: "Go to the sign-in page".into(),
            }),
        },
    )
}

#[derive(Deserialize)]
struct SetupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn setup(
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

/// Enough of a check to catch typos; the invitation mail is the real test.
fn plausible_email(email: &str) -> bool {
    email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        })
}

// ---------------------------------------------------------------------- pages

#[derive(Serialize)]
struct DashboardBody {
    capabilities: Vec<&'static str>,
}

async fn dashboard(State(state): State<AppState>, Extension(who): Extension<SignedIn>) -> Response {
    use Capability::*;
    let role = who.role();
    let words = [
        (WriteArticles, "Write articles and edit your drafts"),
        (PublishOwn, "Publish your own articles"),
        (EditOthers, "Edit and publish everyone's articles"),
        (ManagePages, "Edit static pages"),
        (ManageTaxonomy, "Manage sections and tags"),
        (UploadMedia, "Upload photos"),
        (ModerateComments, "Moderate comments"),
        (ManageUsers, "Manage people and their roles"),
        (ManageSettings, "Change the site's settings"),
        (ViewAudit, "Read the audit log"),
    ];
    let capabilities = words
        .into_iter()
        .filter(|(c, _)| role.can(*c))
        .map(|(_, w)| w)
        .collect();
    page(
        &state,
        StatusCode::OK,
        "dashboard.html",
        "Dashboard",
        Some(&who),
        &DashboardBody { capabilities },
    )
}

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

async fn account(
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
struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
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
struct TokenForm {
    #[serde(default)]
    label: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    expires_days: String,
}

async fn create_token(
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

async fn revoke_token(
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

async fn end_all_sessions(
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

#[derive(Serialize)]
struct UserView {
    id: i64,
    name: String,
    email: String,
    role: &'static str,
    state: &'static str,
    disabled: bool,
    totp: bool,
    me: bool,
}

#[derive(Serialize)]
struct RoleOption {
    value: &'static str,
    label: &'static str,
}

#[derive(Serialize, Default, Deserialize)]
struct InviteForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

#[derive(Serialize)]
struct UsersBody {
    users: Vec<UserView>,
    roles: Vec<RoleOption>,
    form: InviteForm,
    mail_route: String,
    two_factor_required: bool,
    can_change_settings: bool,
}

async fn users_page(
    state: &AppState,
    who: &SignedIn,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    form: InviteForm,
) -> Response {
    let all = match state.store().users().await {
        Ok(u) => u,
        Err(e) => return server_error(&e),
    };
    let users = all
        .into_iter()
        .map(|u| UserView {
            state: if u.disabled {
                "Disabled"
            } else if u.has_password {
                "Active"
            } else {
                "Invited"
            },
            me: u.id == who.user.id,
            id: u.id,
            disabled: u.disabled,
            role: u.role.label(),
            totp: u.totp_enabled,
            name: u.name,
            email: u.email,
        })
        .collect();
    let body = UsersBody {
        users,
        roles: Role::ALL
            .iter()
            .map(|r| RoleOption {
                value: r.as_str(),
                label: r.label(),
            })
            .collect(),
        form,
        mail_route: state.settings().mail.describe(),
        two_factor_required: match two_factor_required(state).await {
            Ok(r) => r,
            Err(e) => return server_error(&e),
        },
        can_change_settings: who.role().can(Capability::ManageSettings),
    };
    render(
        state,
        status,
        "users.html",
        "People",
        Some(who),
        notice,
        error,
        &body,
    )
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    #[serde(default)]
    done: String,
}

/// The notices a redirect back to a page may show (never free text from the URL).
fn notice_for(code: &str) -> Option<String> {
    Some(
        match code {
            "invited" => "Invitation sent.",
            "disabled" => "The account is disabled and signed out everywhere.",
            "enabled" => "The account can sign in again.",
            "reset" => "A password reset link is on its way.",
            "test-mail" => "A test message is on its way to you.",
            "password" => "Your password is changed. Other browsers are signed out.",
            "password-set" => "Your password is set. Please sign in.",
            "revoked" => "The token is revoked.",
            "role" => "The role is changed.",
            "2fa-off" => "Two-factor sign-in is off.",
            "2fa-required" => "This site requires two-factor sign-in for editors and administrators: turn it on below to continue.",
            "setting" => "The setting is saved.",
            _ => return None,
        }
        .to_owned(),
    )
}

async fn users(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    users_page(
        &state,
        &who,
        StatusCode::OK,
        notice_for(&q.done),
        None,
        InviteForm {
            role: Role::Contributor.as_str().to_owned(),
            ..Default::default()
        },
    )
    .await
}

/// The site's own address for links in mail: the configured site URL, never the
/// request's Host header (a forged Host would send reset links to another site).
fn site_base(state: &AppState) -> &str {
    state.settings().site_url.trim_end_matches('/')
}

/// Makes a one-time link for `user_id` and queues the mail that carries it.
async fn mail_link(
    state: &AppState,
    purpose: LinkPurpose,
    path: &str,
    template: &str,
    user: &masthead_store::User,
    inviter: &str,
    lifetime: chrono::Duration,
) -> Result<(), String> {
    let secret = auth::new_secret()?;
    let expires = state.now() + lifetime;
    state
        .store()
        .create_link(purpose, &auth::hash_secret(&secret), Some(user.id), expires)
        .await
        .map_err(|e| e.to_string())?;
    #[derive(Serialize)]
    struct LinkMail<'a> {
        name: &'a str,
        inviter: &'a str,
        role: &'a str,
        link: String,
        expires: String,
    }
    let ctx = LinkMail {
        name: &user.name,
        inviter,
        role: user.role.label(),
        link: format!("{}{path}{secret}", site_base(state)),
        expires: DateView::new(expires, state.settings()).display,
    };
    let mail = crate::mail::compose(state, template, &user.email, &ctx)?;
    crate::mail::send_later(state, &mail)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

async fn invite(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Form(f): Form<InviteForm>,
) -> Response {
    let email = f.email.trim().to_lowercase();
    let name = f.name.trim().to_owned();
    let refuse = |msg: String, f: InviteForm| {
        let state = state.clone();
        let who = who.clone();
        async move { users_page(&state, &who, StatusCode::BAD_REQUEST, None, Some(msg), f).await }
    };
    let Ok(role) = f.role.parse::<Role>() else {
        return refuse("Choose one of the four roles.".into(), f).await;
    };
    if name.is_empty() || name.len() > 200 {
        return refuse("Please give the person's name.".into(), f).await;
    }
    if !plausible_email(&email) {
        return refuse("Please give a valid email address.".into(), f).await;
    }
    let store = state.store();
    let id = match store
        .create_user(&NewUser {
            email: email.clone(),
            name: name.clone(),
            role,
            password_hash: None,
        })
        .await
    {
        Ok(id) => id,
        Err(StoreError::Conflict(m)) => return refuse(m, f).await,
        Err(e) => return server_error(&e),
    };
    let user = match store.user(id).await {
        Ok(Some(u)) => u,
        Ok(None) => return server_error(&"the new account vanished"),
        Err(e) => return server_error(&e),
    };
    let lifetime = state.settings().link_lifetime;
    if let Err(e) = mail_link(
        &state,
        LinkPurpose::Invitation,
        "/newsroom/invitation/",
        "invitation",
        &user,
        &who.user.name,
        lifetime,
    )
    .await
    {
        return server_error(&e);
    }
    audit(
        &state,
        Some(&who),
        "invited",
        &format!("{email} ({role})"),
        &ip,
    )
    .await;
    see_other("/newsroom/users?done=invited", None)
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
}

async fn change_role(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
    Form(f): Form<RoleForm>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return plain(StatusCode::NOT_FOUND, "No such account.");
    };
    let Ok(role) = f.role.parse::<Role>() else {
        return plain(StatusCode::BAD_REQUEST, "Choose one of the four roles.");
    };
    // Nobody demotes themselves: the last administrator could lock everyone out.
    if id == who.user.id {
        return plain(StatusCode::BAD_REQUEST, "You cannot change your own role.");
    }
    let store = state.store();
    let user = match store.user(id).await {
        Ok(Some(u)) => u,
        Ok(None) => return plain(StatusCode::NOT_FOUND, "No such account."),
        Err(e) => return server_error(&e),
    };
    if let Err(e) = store.set_role(id, role).await {
        return server_error(&e);
    }
    audit(
        &state,
        Some(&who),
        "changed role",
        &format!("{}: {} → {}", user.email, user.role, role),
        &ip,
    )
    .await;
    see_other("/newsroom/users?done=role", None)
}

async fn set_disabled(
    state: &AppState,
    who: &SignedIn,
    ip: &str,
    id: &str,
    disabled: bool,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return plain(StatusCode::NOT_FOUND, "No such account.");
    };
    if id == who.user.id {
        return plain(
            StatusCode::BAD_REQUEST,
            "You cannot disable your own account.",
        );
    }
    let store = state.store();
    let user = match store.user(id).await {
        Ok(Some(u)) => u,
        Ok(None) => return plain(StatusCode::NOT_FOUND, "No such account."),
        Err(e) => return server_error(&e),
    };
    if let Err(e) = store.set_disabled(id, disabled).await {
        return server_error(&e);
    }
    let action = if disabled {
        "disabled account"
    } else {
        "enabled account"
    };
    audit(state, Some(who), action, &user.email, ip).await;
    see_other(
        if disabled {
            "/newsroom/users?done=disabled"
        } else {
            "/newsroom/users?done=enabled"
        },
        None,
    )
}

async fn disable_user(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
) -> Response {
    set_disabled(&state, &who, &ip, &id, true).await
}

async fn enable_user(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
) -> Response {
    set_disabled(&state, &who, &ip, &id, false).await
}

async fn send_reset_for(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return plain(StatusCode::NOT_FOUND, "No such account.");
    };
    let user = match state.store().user(id).await {
        Ok(Some(u)) => u,
        Ok(None) => return plain(StatusCode::NOT_FOUND, "No such account."),
        Err(e) => return server_error(&e),
    };
    let lifetime = state.settings().reset_lifetime;
    if let Err(e) = mail_link(
        &state,
        LinkPurpose::PasswordReset,
        "/newsroom/reset/",
        "password_reset",
        &user,
        &who.user.name,
        lifetime,
    )
    .await
    {
        return server_error(&e);
    }
    audit(&state, Some(&who), "sent password reset", &user.email, &ip).await;
    see_other("/newsroom/users?done=reset", None)
}

async fn test_mail(State(state): State<AppState>, Extension(who): Extension<SignedIn>) -> Response {
    #[derive(Serialize)]
    struct TestMail<'a> {
        name: &'a str,
    }
    let mail = match crate::mail::compose(
        &state,
        "test",
        &who.user.email,
        &TestMail {
            name: &who.user.name,
        },
    ) {
        Ok(m) => m,
        Err(e) => return server_error(&e),
    };
    if let Err(e) = crate::mail::send_later(&state, &mail).await {
        return server_error(&e);
    }
    see_other("/newsroom/users?done=test-mail", None)
}

// ---------------------------------------------------------------------- forgot / reset

#[derive(Serialize, Default)]
struct ForgotBody {
    email: String,
}

async fn forgot_form(State(state): State<AppState>) -> Response {
    page(
        &state,
        StatusCode::OK,
        "forgot.html",
        "Forgot your password?",
        None,
        &ForgotBody::default(),
    )
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// The answer is the same whether or not the address has an account.
async fn forgot(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Form(f): Form<ForgotForm>,
) -> Response {
    let email = f.email.trim().to_lowercase();
    let answer = "If an account uses that address, a link to choose a new password is on its way. It works once, for a limited time.";
    let store = state.store();
    // Counted like sign-in failures, so the form cannot be used to flood a mailbox.
    let subject = format!("reset:{email}");
    let recent = match store
        .sign_in_failures(&subject, state.now() - state.settings().sign_in_window)
        .await
    {
        Ok(n) => n,
        Err(e) => return server_error(&e),
    };
    if recent < 3
        && let Ok(Some(user)) = store.user_by_email(&email).await
        && !user.disabled
        && user.has_password
    {
        if let Err(e) = store.record_sign_in_failure(&[subject]).await {
            return server_error(&e);
        }
        let lifetime = state.settings().reset_lifetime;
        if let Err(e) = mail_link(
            &state,
            LinkPurpose::PasswordReset,
            "/newsroom/reset/",
            "password_reset",
            &user,
            "",
            lifetime,
        )
        .await
        {
            return server_error(&e);
        }
        let who = SignedIn {
            user: user.clone(),
            credential: masthead_core::Credential::Session,
            session: None,
        };
        audit(
            &state,
            Some(&who),
            "asked for a password reset",
            &user.email,
            &ip,
        )
        .await;
    }
    render(
        &state,
        StatusCode::OK,
        "message.html",
        "Check your mail",
        None,
        None,
        None,
        &Message {
            message: answer.into(),
            link: Some(LinkView {
                url: "/newsroom/login".into(),
                text: "Back to sign in".into(),
            }),
        },
    )
}

#[derive(Serialize)]
struct ChooseBody {
    intro: &'static str,
}

async fn choose_form(state: &AppState, purpose: LinkPurpose, token: &str) -> Response {
    match state
        .store()
        .peek_link(purpose, &auth::hash_secret(token))
        .await
    {
        Ok(Some(_)) => page(
            state,
            StatusCode::OK,
            "choose_password.html",
            "Choose your password",
            None,
            &ChooseBody {
                intro: if purpose == LinkPurpose::Invitation {
                    "Welcome. Choose the password you will sign in with."
                } else {
                    "Choose a new password. Every browser signed in to your account will be signed out."
                },
            },
        ),
        Ok(None) => link_gone(state),
        Err(e) => server_error(&e),
    }
}

async fn invitation_form(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    choose_form(&state, LinkPurpose::Invitation, &token).await
}

async fn reset_form(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    choose_form(&state, LinkPurpose::PasswordReset, &token).await
}

#[derive(Deserialize)]
struct ChooseForm {
    #[serde(default)]
    password: String,
}

async fn choose_password(
    state: &AppState,
    purpose: LinkPurpose,
    token: &str,
    ip: &str,
    f: ChooseForm,
) -> Response {
    let store = state.store();
    let hash = auth::hash_secret(token);
    let user_id = match store.peek_link(purpose, &hash).await {
        Ok(Some(Some(id))) => id,
        Ok(_) => return link_gone(state),
        Err(e) => return server_error(&e),
    };
    let user = match store.user(user_id).await {
        Ok(Some(u)) if !u.disabled => u,
        Ok(_) => return link_gone(state),
        Err(e) => return server_error(&e),
    };
    if let Err(p) = password::check(&f.password, &[&user.name, &user.email]) {
        return render(
            state,
            StatusCode::BAD_REQUEST,
            "choose_password.html",
            "Choose your password",
            None,
            None,
            Some(p.to_string()),
            &ChooseBody { intro: "" },
        );
    }
    let Some(password_hash) = hash_new_password(state, &f.password).await else {
        return server_error(&"password hashing failed");
    };
    match store.use_link(purpose, &hash).await {
        Ok(Some(_)) => {}
        Ok(None) => return link_gone(state),
        Err(e) => return server_error(&e),
    }
    if let Err(e) = store.set_password_hash(user.id, &password_hash).await {
        return server_error(&e);
    }
    let who = SignedIn {
        user: user.clone(),
        credential: masthead_core::Credential::Session,
        session: None,
    };
    let action = if purpose == LinkPurpose::Invitation {
        "accepted invitation"
    } else {
        "reset password by link"
    };
    audit(state, Some(&who), action, &user.email, ip).await;
    see_other("/newsroom/login?done=password-set", None)
}

async fn accept_invitation(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Form(f): Form<ChooseForm>,
) -> Response {
    choose_password(&state, LinkPurpose::Invitation, &token, &ip, f).await
}

async fn reset_password(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Form(f): Form<ChooseForm>,
) -> Response {
    choose_password(&state, LinkPurpose::PasswordReset, &token, &ip, f).await
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    page: Option<u32>,
}

#[derive(Serialize)]
struct AuditRow {
    at: DateView,
    actor: String,
    action: String,
    target: String,
    detail: String,
    client_ip: String,
}

#[derive(Serialize)]
struct AuditBody {
    entries: Vec<AuditRow>,
    actions: &'static [&'static str],
    filter_action: String,
    filter_actor: String,
    more: Option<String>,
}

/// The actions the newsroom records, for the filter.
const AUDIT_ACTIONS: &[&str] = &[
    "signed in",
    "sign-in failed",
    "signed out",
    "signed out everywhere",
    "changed own password",
    "created administrator (setup link)",
    "created account",
    "changed password",
    "disabled account",
    "enabled account",
    "created token",
    "invited",
    "accepted invitation",
    "sent password reset",
    "asked for a password reset",
    "reset password by link",
    "used write token",
    "revoked token",
    "changed role",
    "turned on two-factor",
    "turned off two-factor",
    "second factor failed",
    "changed setting",
];

async fn audit_log(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Query(q): Query<AuditQuery>,
) -> Response {
    const PER_PAGE: i64 = 50;
    let page_no = i64::from(q.page.unwrap_or(1).clamp(1, 10_000));
    let filter = AuditFilter {
        action: (!q.action.is_empty()).then(|| q.action.clone()),
        actor: (!q.actor.trim().is_empty()).then(|| q.actor.trim().to_lowercase()),
    };
    let entries = match state
        .store()
        .audit_entries(&filter, PER_PAGE + 1, (page_no - 1) * PER_PAGE)
        .await
    {
        Ok(e) => e,
        Err(e) => return server_error(&e),
    };
    let tz = state.settings();
    let more = (entries.len() as i64 > PER_PAGE).then(|| {
        format!(
            "/newsroom/audit?action={}&actor={}&page={}",
            encode_query(&q.action),
            encode_query(&q.actor),
            page_no + 1
        )
    });
    let body = AuditBody {
        entries: entries
            .into_iter()
            .take(PER_PAGE as usize)
            .map(|e| AuditRow {
                at: DateView::new(e.at, tz),
                actor: e.actor,
                action: e.action,
                target: e.target,
                detail: e.detail,
                client_ip: e.client_ip,
            })
            .collect(),
        actions: AUDIT_ACTIONS,
        filter_action: q.action,
        filter_actor: q.actor,
        more,
    };
    page(
        &state,
        StatusCode::OK,
        "audit.html",
        "Audit log",
        Some(&who),
        &body,
    )
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

/// The setting that makes two-factor sign-in compulsory for editors and administrators.
const REQUIRE_TWO_FACTOR: &str = "security.require_two_factor";

async fn two_factor_required(state: &AppState) -> Result<bool, StoreError> {
    Ok(state.store().setting(REQUIRE_TWO_FACTOR).await?.as_deref() == Some("true"))
}

#[derive(Deserialize)]
struct RequireForm {
    #[serde(default)]
    required: String,
}

async fn set_two_factor_requirement(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Form(f): Form<RequireForm>,
) -> Response {
    let on = f.required == "on";
    if let Err(e) = state
        .store()
        .set_setting(REQUIRE_TWO_FACTOR, if on { "true" } else { "false" })
        .await
    {
        return server_error(&e);
    }
    let what = if on {
        "two-factor required for editors and administrators"
    } else {
        "two-factor optional"
    };
    audit(&state, Some(&who), "changed setting", what, &ip).await;
    see_other("/newsroom/users?done=setting", None)
}

/// Slows down guessing: each recent failure for any of `subjects` (an account, a client
/// address) adds a step of delay, up to a cap. Nobody is locked out.
async fn slow_down(state: &AppState, subjects: &[String]) -> Result<(), StoreError> {
    let settings = state.settings();
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

/// Hashes a new password off the async threads (hashing is slow on purpose).
async fn hash_new_password(state: &AppState, password: &str) -> Option<String> {
    let cost = state.settings().hash_cost;
    let pw = password.to_owned();
    tokio::task::spawn_blocking(move || auth::hash_password(&pw, cost))
        .await
        .ok()?
        .ok()
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
struct CodeForm {
    #[serde(default)]
    code: String,
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

async fn second_factor(
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

#[derive(Serialize)]
struct TotpSetupBody {
    secret: String,
    uri: String,
    recovery: Vec<String>,
}

async fn totp_setup(
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

async fn totp_enable(
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
struct PasswordOnly {
    #[serde(default)]
    password: String,
}

async fn totp_disable(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_pages_may_change_things() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("news.example:8080"));
        assert!(same_origin(&h), "no Origin: a program, not a page");
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://news.example:8080"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin(&h));
        h.remove(header::ORIGIN);
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
    }

    #[test]
    fn after_sign_in_we_only_go_to_our_own_newsroom() {
        assert_eq!(safe_next("/newsroom/account"), "/newsroom/account");
        assert_eq!(safe_next("https://evil.example/"), "/newsroom/");
        assert_eq!(safe_next("//evil.example/newsroom/"), "/newsroom/");
        assert_eq!(safe_next("/newsroom/\\evil"), "/newsroom/");
    }

    #[test]
    fn emails_are_checked_for_shape() {
        assert!(plausible_email("ann@example.org"));
        assert!(!plausible_email("ann@example"));
        assert!(!plausible_email("@example.org"));
        assert!(!plausible_email("ann @example.org"));
    }
}
