//! Static pages (About, Contact, Privacy…) in the newsroom: listed, written and edited
//! like articles — a title, an address, a body in Markdown, HTML or text with a preview —
//! published or kept as drafts. Editors and administrators only.

use super::{ClientIp, NoticeQuery, audit, notice_for, plain, render, see_other, server_error};
use crate::AppState;
use crate::auth::SignedIn;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use masthead_core::{ArticleStatus, BodyFormat, slug};
use masthead_store::{NewPage, StoreError};
use serde::Serialize;

#[derive(Serialize)]
struct PageRow {
    id: i64,
    title: String,
    url: String,
    published: bool,
}

pub(super) async fn list_pages(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let pages = match state.store().all_pages().await {
        Ok(p) => p,
        Err(e) => return server_error(&e),
    };
    #[derive(Serialize)]
    struct Body {
        pages: Vec<PageRow>,
    }
    let body = Body {
        pages: pages
            .into_iter()
            .map(|p| PageRow {
                id: p.id,
                url: format!("/{}/", p.slug),
                title: p.title,
                published: p.status == "published",
            })
            .collect(),
    };
    render(
        &state,
        StatusCode::OK,
        "pages.html",
        "Pages",
        Some(&who),
        notice_for(&q.done),
        None,
        &body,
    )
}

/// The page form's values, kept as typed when a save is refused.
#[derive(Serialize, Default)]
struct PageForm {
    id: Option<i64>,
    title: String,
    slug: String,
    format: String,
    body: String,
    published: bool,
    preview: Option<String>,
}

fn form_of(body: &[u8], id: Option<i64>) -> PageForm {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    PageForm {
        id,
        title: get("title").trim().to_owned(),
        slug: get("slug").trim().to_owned(),
        format: get("format"),
        body: get("body"),
        published: get("status") == "published",
        preview: (get("do") == "preview").then_some(String::new()),
    }
}

fn editor(
    state: &AppState,
    who: &SignedIn,
    status: StatusCode,
    f: &PageForm,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let title = if f.id.is_some() {
        "Edit page"
    } else {
        "New page"
    };
    render(
        state,
        status,
        "page_editor.html",
        title,
        Some(who),
        notice,
        error,
        f,
    )
}

pub(super) async fn new_page(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
) -> Response {
    let f = PageForm {
        format: "markdown".into(),
        ..Default::default()
    };
    editor(&state, &who, StatusCode::OK, &f, None, None)
}

pub(super) async fn edit_page(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let Some(id) = id.parse::<i64>().ok() else {
        return plain(StatusCode::NOT_FOUND, "No such page.");
    };
    match state.store().page_source(id).await {
        Ok(Some(p)) => {
            let f = PageForm {
                id: Some(p.id),
                title: p.title,
                slug: p.slug,
                format: p.body_format,
                body: p.body_source,
                published: p.status == "published",
                preview: None,
            };
            editor(&state, &who, StatusCode::OK, &f, None, notice_for(&q.done))
        }
        Ok(None) => plain(StatusCode::NOT_FOUND, "No such page."),
        Err(e) => server_error(&e),
    }
}

async fn save(
    state: &AppState,
    who: &SignedIn,
    ip: &str,
    id: Option<i64>,
    body: &[u8],
) -> Response {
    let mut f = form_of(body, id);
    let format = f.format.parse::<BodyFormat>().unwrap_or_default();
    let rendered = masthead_render::render_body(format, &f.body);
    if f.preview.is_some() {
        f.preview = Some(rendered.html);
        return editor(state, who, StatusCode::OK, &f, None, None);
    }
    let refuse = |f: &PageForm, why: String| {
        editor(
            state,
            who,
            StatusCode::UNPROCESSABLE_ENTITY,
            f,
            Some(why),
            None,
        )
    };
    if f.title.is_empty() {
        return refuse(&f, "The page needs a title.".into());
    }
    if f.title.chars().count() > 500 {
        return refuse(&f, "The title is longer than 500 characters.".into());
    }
    let wanted = if f.slug.is_empty() {
        slug::from_title(&f.title)
    } else {
        f.slug.clone()
    };
    let slug = match slug::check_page_slug(&wanted) {
        Ok(s) => s,
        Err(e) => return refuse(&f, format!("The address: {e}")),
    };
    let page = NewPage {
        slug,
        title: f.title.clone(),
        body_format: format,
        body_source: f.body.clone(),
        body_html: rendered.html,
        status: if f.published {
            ArticleStatus::Published
        } else {
            ArticleStatus::Draft
        },
    };
    match state.store().save_page(id, &page).await {
        Ok(saved) => {
            audit(state, Some(who), "saved page", &format!("page {saved}"), ip).await;
            see_other(&format!("/newsroom/pages/{saved}/edit?done=saved"), None)
        }
        Err(StoreError::Conflict(why)) => refuse(&f, why),
        Err(StoreError::NotFound(_)) => plain(StatusCode::NOT_FOUND, "No such page."),
        Err(e) => server_error(&e),
    }
}

pub(super) async fn create_page(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    body: Bytes,
) -> Response {
    save(&state, &who, &ip, None, &body).await
}

pub(super) async fn update_page(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    match id.parse::<i64>() {
        Ok(id) => save(&state, &who, &ip, Some(id), &body).await,
        Err(_) => plain(StatusCode::NOT_FOUND, "No such page."),
    }
}
