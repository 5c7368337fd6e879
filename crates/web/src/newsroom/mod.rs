//! The newsroom under `/newsroom/`: sign-in, setup, one's account, people and the audit
//! log. Every route is declared once in [`routes`] with the capability it needs; the
//! router and the tests are both built from that table, so a route cannot exist
//! without a rule.

mod account;
mod articles;
mod audit;
mod comments;
mod dashboard;
mod discovery;
mod front;
mod media;
mod pages;
mod passwords;
mod redirects;
mod revisions;
mod settings;
mod sign_in;
mod taxonomy;
mod users;

pub(crate) use media::focal_point;
pub use sign_in::setup_link_if_needed;
pub use users::send_invitation;

// The route table's handlers and the guard's two-factor check, each from its concern's file.
use account::{
    account, change_password, create_token, end_all_sessions, revoke_token, totp_disable,
    totp_enable, totp_setup,
};
use audit::audit_log;
use dashboard::dashboard;
use passwords::{
    accept_invitation, forgot, forgot_form, invitation_form, reset_form, reset_password,
};
use sign_in::{login, login_form, logout, second_factor, setup, setup_form};
use users::{
    change_role, disable_user, enable_user, invite, send_reset_for, set_two_factor_requirement,
    test_mail, two_factor_required, users,
};

use crate::AppState;
use crate::auth::{self, RouteSpec, SignedIn, spec};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use masthead_core::Role;
use masthead_core::access::{Capability, Decision, decide};
use masthead_store::NewAuditEntry;
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
        (
            spec(Method::GET, "/newsroom/articles", Some(WriteArticles)),
            get(articles::list_articles),
        ),
        (
            spec(Method::POST, "/newsroom/articles/bulk", Some(WriteArticles)),
            post(articles::bulk),
        ),
        (
            spec(Method::GET, "/newsroom/articles/new", Some(WriteArticles)),
            get(articles::new_form),
        ),
        (
            spec(Method::POST, "/newsroom/articles/new", Some(WriteArticles)),
            post(articles::create),
        ),
        (
            spec(
                Method::GET,
                "/newsroom/articles/{id}/edit",
                Some(WriteArticles),
            ),
            get(articles::edit_form),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/articles/{id}/edit",
                Some(WriteArticles),
            ),
            post(articles::save),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/articles/{id}/corrections",
                Some(EditOwnPublished),
            ),
            post(articles::add_correction),
        ),
        (
            spec(Method::POST, "/newsroom/preview", Some(WriteArticles)),
            post(articles::preview),
        ),
        (
            spec(
                Method::GET,
                "/newsroom/articles/{id}/related",
                Some(EditOthers),
            ),
            get(discovery::related_form),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/articles/{id}/related",
                Some(EditOthers),
            ),
            post(discovery::save_related),
        ),
        (
            spec(Method::GET, "/newsroom/search-misses", Some(EditOthers)),
            get(discovery::misses),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/search-misses/clear",
                Some(EditOthers),
            ),
            post(discovery::clear_misses),
        ),
        (
            spec(Method::GET, "/newsroom/redirects", Some(EditOthers)),
            get(redirects::list),
        ),
        (
            spec(Method::POST, "/newsroom/redirects", Some(EditOthers)),
            post(redirects::create),
        ),
        (
            spec(Method::GET, "/newsroom/redirects/{id}", Some(EditOthers)),
            get(redirects::edit_form),
        ),
        (
            spec(Method::POST, "/newsroom/redirects/{id}", Some(EditOthers)),
            post(redirects::update),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/redirects/{id}/delete",
                Some(EditOthers),
            ),
            post(redirects::delete),
        ),
        (
            spec(
                Method::GET,
                "/newsroom/articles/{id}/revisions",
                Some(WriteArticles),
            ),
            get(revisions::history),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/articles/{id}/revisions/{rev}/restore",
                Some(WriteArticles),
            ),
            post(revisions::restore),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/articles/{id}/autosave",
                Some(WriteArticles),
            ),
            post(revisions::autosave),
        ),
        (
            spec(Method::GET, "/newsroom/media", Some(UploadMedia)),
            get(media::media_library),
        ),
        (
            spec(Method::POST, "/newsroom/media", Some(UploadMedia)),
            // The handler reads the file in chunks and stops at the upload limit.
            post(media::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/articles/{id}/preview-links",
                Some(WriteArticles),
            ),
            post(articles::create_preview_link),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/articles/{id}/preview-links/{link}/revoke",
                Some(WriteArticles),
            ),
            post(articles::revoke_preview_link),
        ),
        (
            spec(Method::GET, "/newsroom/settings", Some(ManageSettings)),
            get(settings::settings_form),
        ),
        (
            spec(Method::POST, "/newsroom/settings", Some(ManageSettings)),
            post(settings::save_settings),
        ),
        (
            spec(Method::GET, "/newsroom/pages", Some(ManagePages)),
            get(pages::list_pages),
        ),
        (
            spec(Method::GET, "/newsroom/pages/new", Some(ManagePages)),
            get(pages::new_page),
        ),
        (
            spec(Method::POST, "/newsroom/pages/new", Some(ManagePages)),
            post(pages::create_page),
        ),
        (
            spec(Method::GET, "/newsroom/pages/{id}/edit", Some(ManagePages)),
            get(pages::edit_page),
        ),
        (
            spec(Method::POST, "/newsroom/pages/{id}/edit", Some(ManagePages)),
            post(pages::update_page),
        ),
        (
            spec(Method::GET, "/newsroom/front", Some(EditOthers)),
            get(front::front_form),
        ),
        (
            spec(Method::POST, "/newsroom/front", Some(EditOthers)),
            post(front::save_front),
        ),
        (
            spec(Method::GET, "/newsroom/taxonomy", Some(ManageTaxonomy)),
            get(taxonomy::taxonomy),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/taxonomy/sections",
                Some(ManageTaxonomy),
            ),
            post(taxonomy::create_section),
        ),
        (
            spec(
                Method::GET,
                "/newsroom/taxonomy/sections/{id}",
                Some(ManageTaxonomy),
            ),
            get(taxonomy::section_form),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/taxonomy/sections/{id}",
                Some(ManageTaxonomy),
            ),
            post(taxonomy::update_section),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/taxonomy/sections/{id}/delete",
                Some(ManageTaxonomy),
            ),
            post(taxonomy::delete_section),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/taxonomy/tags",
                Some(ManageTaxonomy),
            ),
            post(taxonomy::create_tag),
        ),
        (
            spec(
                Method::GET,
                "/newsroom/taxonomy/tags/{id}",
                Some(ManageTaxonomy),
            ),
            get(taxonomy::tag_form),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/taxonomy/tags/{id}",
                Some(ManageTaxonomy),
            ),
            post(taxonomy::rename_tag),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/taxonomy/tags/{id}/merge",
                Some(ManageTaxonomy),
            ),
            post(taxonomy::merge_tag),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/taxonomy/tags/{id}/delete",
                Some(ManageTaxonomy),
            ),
            post(taxonomy::delete_tag),
        ),
        (
            spec(Method::GET, "/newsroom/comments", Some(ModerateComments)),
            get(comments::queue),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/comments/bulk",
                Some(ModerateComments),
            ),
            post(comments::bulk),
        ),
        (
            spec(
                Method::GET,
                "/newsroom/comments/export",
                Some(ModerateComments),
            ),
            get(comments::export),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/comments/erase",
                Some(ModerateComments),
            ),
            post(comments::erase),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/comments/{id}/status",
                Some(ModerateComments),
            ),
            post(comments::set_status),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/comments/{id}/dismiss",
                Some(ModerateComments),
            ),
            post(comments::dismiss_reports),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/comments/{id}/reply",
                Some(ModerateComments),
            ),
            post(comments::reply),
        ),
        (
            spec(
                Method::GET,
                "/newsroom/comments/{id}/edit",
                Some(ModerateComments),
            ),
            get(comments::edit_form),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/comments/{id}/edit",
                Some(ModerateComments),
            ),
            post(comments::save_edit),
        ),
        (
            spec(
                Method::GET,
                "/newsroom/settings/comments",
                Some(ManageSettings),
            ),
            get(comments::settings_form),
        ),
        (
            spec(
                Method::POST,
                "/newsroom/settings/comments",
                Some(ManageSettings),
            ),
            post(comments::save_settings),
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
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
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
    write: bool,
    upload: bool,
    curate: bool,
    taxonomy: bool,
    pages: bool,
    settings: bool,
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
            write: role.is_some_and(|r| r.can(Capability::WriteArticles)),
            upload: role.is_some_and(|r| r.can(Capability::UploadMedia)),
            curate: role.is_some_and(|r| r.can(Capability::EditOthers)),
            taxonomy: role.is_some_and(|r| r.can(Capability::ManageTaxonomy)),
            pages: role.is_some_and(|r| r.can(Capability::ManagePages)),
            settings: role.is_some_and(|r| r.can(Capability::ManageSettings)),
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

fn see_other(to: &str, cookie: Option<String>) -> Response {
    let mut res = Redirect::to(to).into_response();
    if let Some(c) = cookie
        && let Ok(v) = HeaderValue::from_str(&c)
    {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
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
            "link-revoked" => "The preview link is revoked: it no longer works.",
            "role" => "The role is changed.",
            "2fa-off" => "Two-factor sign-in is off.",
            "2fa-required" => "This site requires two-factor sign-in for editors and administrators: turn it on below to continue.",
            "setting" => "The setting is saved.",
            "saved" => "Saved.",
            "created" => "The article is created.",
            "correction" => "The note is added to the article.",
            "restored" => "The revision is restored as a new version.",
            "uploaded" => "The image is in the library.",
            "section-created" => "The section is created.",
            "section-saved" => "The section is saved. If its slug changed, the old address redirects to the new one.",
            "section-deleted" => "The section is deleted. Its articles and its address moved to the section you chose.",
            "tag-created" => "The tag is created.",
            "tag-saved" => "The tag is saved. If its slug changed, the old address redirects to the new one.",
            "tag-merged" => "The tags are merged. The merged tag's address redirects to the one it went into.",
            "tag-deleted" => "The tag is deleted and removed from its articles.",
            _ => return None,
        }
        .to_owned(),
    )
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
