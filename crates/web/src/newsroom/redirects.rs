//! The redirect manager: the old addresses the site answers with 301, 302 or 410, made by
//! editors or brought by an import, with how often each was followed; and, read-only,
//! the automatic redirects that articles' and terms' earlier addresses get.

use super::articles::{one, pairs};
use super::{ClientIp, audit, notice_for, render, see_other, server_error};
use crate::AppState;
use crate::auth::SignedIn;
use crate::redirects::{location, reserved};
use crate::route::{SiteRoute, parse};
use crate::views::DateView;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use masthead_core::paging::page_count;
use masthead_core::redirect::{parse_source, parse_target, source_key};
use masthead_store::{
    ArticleLookup, ContentKind, NewRedirect, Redirect, RedirectFilter, RedirectTarget, StoreError,
};
use serde::Serialize;

const PER_PAGE: u32 = 50;
/// Automatic redirects shown per page.
const AUTO_PER_PAGE: i64 = 50;
const LIST: &str = "/newsroom/redirects";

/// What the add or edit form holds: what was typed, kept when it is refused.
#[derive(Serialize, Default, Clone)]
struct FormView {
    source: String,
    destination: String,
    /// As sent (checked when the form is read).
    status: String,
    statuses: Vec<Choice>,
}

#[derive(Serialize, Clone)]
struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

const STATUS_CHOICES: [(&str, &str); 3] = [
    ("301", "301 Moved permanently"),
    ("302", "302 Found (temporary)"),
    ("410", "410 Gone (removed on purpose)"),
];

impl FormView {
    fn new(source: &str, destination: &str, status: &str) -> Self {
        let shown = if STATUS_CHOICES.iter().any(|(v, _)| *v == status) {
            status
        } else {
            "301"
        };
        Self {
            source: source.to_owned(),
            destination: destination.to_owned(),
            status: status.to_owned(),
            statuses: STATUS_CHOICES
                .iter()
                .map(|(value, label)| Choice {
                    value,
                    label,
                    selected: *value == shown,
                })
                .collect(),
        }
    }

    fn typed(form: &[(String, String)]) -> Self {
        Self::new(
            one(form, "source").unwrap_or_default(),
            one(form, "destination").unwrap_or_default(),
            one(form, "status").unwrap_or_default(),
        )
    }
}

/// Where a redirect leads, as the list shows it.
#[derive(Serialize, Default)]
struct Destination {
    /// The address (a path or an absolute address); empty for 410 or content not public.
    text: String,
    /// Its link (encoded).
    url: Option<String>,
    /// The followed content's title, when it is an article.
    title: Option<String>,
    /// What the redirect follows ("article 12"), for content targets.
    follows: Option<String>,
}

#[derive(Serialize)]
struct Row {
    id: i64,
    edit_url: String,
    source: String,
    source_url: String,
    destination: Destination,
    status: i32,
    origin: String,
    hits: i64,
    last: Option<DateView>,
}

#[derive(Serialize)]
struct AutoRow {
    kind: &'static str,
    title: String,
    old_path: String,
    old_url: String,
    new_path: Option<String>,
    new_url: Option<String>,
    since: DateView,
}

#[derive(Serialize)]
struct OriginChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct ListBody {
    rows: Vec<Row>,
    total: i64,
    page: u32,
    pages: u32,
    prev: Option<String>,
    next: Option<String>,
    origins: Vec<OriginChoice>,
    q: String,
    filtered: bool,
    form: FormView,
    automatic: Vec<AutoRow>,
    auto_prev: Option<String>,
    auto_next: Option<String>,
}

#[derive(Serialize)]
struct EditBody {
    id: i64,
    source: String,
    form: FormView,
    origin: String,
    hits: i64,
    last: Option<DateView>,
    created: DateView,
    destination: Destination,
    source_url: String,
}

fn origin_label(origin: &str) -> String {
    match origin {
        "manual" => "Manual".to_owned(),
        "wordpress" => "WordPress import".to_owned(),
        "ghost" => "Ghost import".to_owned(),
        "markdown" => "Markdown import".to_owned(),
        other => format!("{other} import"),
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "article" => "article",
        "page" => "page",
        "section" => "section",
        "tag" => "tag",
        "author" => "author",
        _ => "content",
    }
}

/// The notices this screen's redirects back may show.
fn notice(code: &str) -> Option<String> {
    Some(
        match code {
            "redirect-added" => "The redirect is added: the old address answers with it now.",
            "redirect-saved" => "The redirect is saved.",
            "redirect-deleted" => {
                "The redirect is deleted: the address answers as if there had never been one."
            }
            _ => return notice_for(code),
        }
        .to_owned(),
    )
}

/// Where `r` leads now. A content target is looked up (its current address and, for an
/// article, its title): one or two small queries per row, on a page of fifty.
async fn destination(state: &AppState, r: &Redirect) -> Result<Destination, StoreError> {
    if r.status == 410 {
        return Ok(Destination::default());
    }
    let (Some(kind), Some(id)) = (r.target_kind.as_deref(), r.target_id) else {
        return Ok(Destination {
            url: Some(location(&r.to_url)),
            text: r.to_url.clone(),
            ..Destination::default()
        });
    };
    let follows = Some(format!("{} {id}", kind_label(kind)));
    let (text, title) = if kind == ContentKind::Article.as_str() {
        match state.store().public_article_by_id(id).await? {
            Some(a) => (
                a.summary.path().map(|p| format!("{p}{}", r.to_url)),
                Some(a.summary.title.clone()),
            ),
            None => (None, None),
        }
    } else {
        (
            state
                .store()
                .redirect_for(&r.from_path)
                .await?
                .and_then(|h| h.location),
            None,
        )
    };
    Ok(Destination {
        url: text.as_deref().map(location),
        text: text.unwrap_or_default(),
        title,
        follows,
    })
}

/// `GET /newsroom/redirects`: the list, its filters, the add form and the automatic list.
pub(super) async fn list(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = pairs(raw.unwrap_or_default().as_bytes());
    let done = one(&q, "done").and_then(notice);
    list_page(
        &state,
        &who,
        &q,
        FormView::new("", "", "301"),
        StatusCode::OK,
        done,
        None,
    )
    .await
}

async fn list_page(
    state: &AppState,
    who: &SignedIn,
    q: &[(String, String)],
    form: FormView,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let origin = match one(q, "origin") {
        Some("manual") => "manual",
        Some("imported") => "imported",
        _ => "",
    };
    let search = one(q, "q").unwrap_or_default().trim().to_owned();
    let number = |name: &str| {
        one(q, name)
            .and_then(|p| p.parse::<u32>().ok())
            .filter(|p| (1..=100_000).contains(p))
            .unwrap_or(1)
    };
    let page = number("page");
    let auto_page = number("auto");
    let filter = RedirectFilter {
        origin: (!origin.is_empty()).then(|| origin.to_owned()),
        contains: (!search.is_empty()).then(|| search.clone()),
        limit: i64::from(PER_PAGE),
        offset: i64::from(page - 1) * i64::from(PER_PAGE),
    };
    let (found, total) = match state.store().redirects(&filter).await {
        Ok(r) => r,
        Err(e) => return server_error(&e),
    };
    let settings = state.settings();
    let mut rows = Vec::with_capacity(found.len());
    for r in &found {
        let destination = match destination(state, r).await {
            Ok(d) => d,
            Err(e) => return server_error(&e),
        };
        rows.push(Row {
            id: r.id,
            edit_url: format!("{LIST}/{}", r.id),
            source: r.from_path.clone(),
            source_url: location(&r.from_path),
            destination,
            status: r.status,
            origin: origin_label(&r.origin),
            hits: r.hits,
            last: r.last_hit_at.map(|t| DateView::new(t, &settings)),
        });
    }
    // One more than a page tells whether there is a next one.
    let auto_offset = i64::from(auto_page - 1) * AUTO_PER_PAGE;
    let mut auto = match state
        .store()
        .slug_change_redirects(AUTO_PER_PAGE + 1, auto_offset)
        .await
    {
        Ok(a) => a,
        Err(e) => return server_error(&e),
    };
    let auto_more = auto.len() > usize::try_from(AUTO_PER_PAGE).unwrap_or(usize::MAX);
    auto.truncate(usize::try_from(AUTO_PER_PAGE).unwrap_or(usize::MAX));
    let automatic = auto
        .into_iter()
        .map(|a| AutoRow {
            kind: kind_label(&a.kind),
            old_url: location(&a.old_path),
            new_url: a.new_path.as_deref().map(location),
            title: a.title,
            old_path: a.old_path,
            new_path: a.new_path,
            since: DateView::new(a.created_at, &settings),
        })
        .collect();
    let link = |page: u32, auto: u32| {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        if !origin.is_empty() {
            ser.append_pair("origin", origin);
        }
        if !search.is_empty() {
            ser.append_pair("q", &search);
        }
        if page > 1 {
            ser.append_pair("page", &page.to_string());
        }
        if auto > 1 {
            ser.append_pair("auto", &auto.to_string());
        }
        let query = ser.finish();
        if query.is_empty() {
            LIST.to_owned()
        } else {
            format!("{LIST}?{query}")
        }
    };
    let pages = page_count(total, PER_PAGE);
    let body = ListBody {
        rows,
        total,
        page,
        pages,
        prev: (page > 1).then(|| link(page - 1, auto_page)),
        next: (page < pages).then(|| link(page + 1, auto_page)),
        origins: [("", "Any"), ("manual", "Manual"), ("imported", "Imported")]
            .into_iter()
            .map(|(value, label)| OriginChoice {
                value,
                label,
                selected: value == origin,
            })
            .collect(),
        filtered: !origin.is_empty() || !search.is_empty(),
        q: search.clone(),
        form,
        automatic,
        auto_prev: (auto_page > 1).then(|| format!("{}#automatic", link(page, auto_page - 1))),
        auto_next: auto_more.then(|| format!("{}#automatic", link(page, auto_page + 1))),
    };
    render(
        state,
        status,
        "redirects.html",
        "Redirects",
        Some(who),
        notice,
        error,
        &body,
    )
}

/// A public article at `path` (a path on this site without a query), if there is one:
/// a redirect to it follows it when its address changes later.
async fn article_at(state: &AppState, path: &str) -> Result<Option<i64>, StoreError> {
    let path = if path.ends_with('/') {
        path.to_owned()
    } else {
        format!("{path}/")
    };
    if let SiteRoute::Article { date, slug } = parse(&location(&path))
        && let ArticleLookup::Found(a) = state.store().public_article_at(date, &slug).await?
    {
        return Ok(Some(a.summary.id));
    }
    Ok(None)
}

/// Reads the form into a redirect, or says what is wrong. `existing` is the redirect being
/// edited: left as it was shown, a destination that follows content keeps following it.
async fn read(
    state: &AppState,
    form: &FormView,
    existing: Option<(&Redirect, &Destination)>,
) -> Result<Result<NewRedirect, String>, StoreError> {
    let source = match parse_source(&form.source) {
        Ok(s) => s,
        Err(why) => return Ok(Err(why)),
    };
    if reserved(&source) {
        return Ok(Err(format!(
            "{source} belongs to the newsroom, the API or the site's own files, and cannot be redirected."
        )));
    }
    let status = match form.status.as_str() {
        "301" => 301,
        "302" => 302,
        "410" => 410,
        _ => {
            return Ok(Err(
                "Choose what the address answers: 301, 302 or 410.".to_owned()
            ));
        }
    };
    let mut r = NewRedirect {
        from_path: source,
        target: RedirectTarget::Address(String::new()),
        suffix: String::new(),
        status,
        origin: "manual".to_owned(),
    };
    if status == 410 {
        return Ok(Ok(r));
    }
    let typed = form.destination.trim();
    if let Some((old, shown)) = existing
        && let (Some(kind), Some(id)) = (old.target_kind.as_deref(), old.target_id)
        && (typed.is_empty() || typed == shown.text)
        && let Some(kind) = content_kind(kind)
    {
        r.target = RedirectTarget::Content { kind, id };
        r.suffix = old.to_url.clone();
        return Ok(Ok(r));
    }
    let to = match parse_target(typed) {
        Ok(t) => t,
        Err(why) => return Ok(Err(why)),
    };
    if to.starts_with('/') {
        let (path, query) = match to.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (to.as_str(), None),
        };
        let path = path.split('#').next().unwrap_or(path);
        if source_key(path, query).as_deref() == Some(r.from_path.as_str()) {
            return Ok(Err(
                "A redirect cannot lead to its own address: the reader would go round in circles."
                    .to_owned(),
            ));
        }
        if !to.contains(['?', '#'])
            && let Some(id) = article_at(state, &to).await?
        {
            r.target = RedirectTarget::Content {
                kind: ContentKind::Article,
                id,
            };
            return Ok(Ok(r));
        }
    }
    r.target = RedirectTarget::Address(to);
    Ok(Ok(r))
}

fn content_kind(kind: &str) -> Option<ContentKind> {
    Some(match kind {
        "article" => ContentKind::Article,
        "page" => ContentKind::Page,
        "section" => ContentKind::Section,
        "tag" => ContentKind::Tag,
        "author" => ContentKind::Author,
        _ => return None,
    })
}

/// Saves redirect `id` (or a new one); `Err` carries what to tell the editor.
async fn save(
    state: &AppState,
    id: Option<i64>,
    form: &FormView,
    existing: Option<(&Redirect, &Destination)>,
) -> Result<Result<i64, String>, StoreError> {
    let r = match read(state, form, existing).await? {
        Ok(r) => r,
        Err(why) => return Ok(Err(why)),
    };
    match state.store().save_redirect(id, &r).await {
        Ok(saved) => {
            crate::redirects::changed(state).await;
            Ok(Ok(saved))
        }
        Err(StoreError::Invalid(why) | StoreError::Conflict(why)) => Ok(Err(why)),
        Err(StoreError::NotFound(_)) => Ok(Err(
            "this redirect no longer exists (someone deleted it meanwhile).".to_owned(),
        )),
        Err(e) => Err(e),
    }
}

/// `POST /newsroom/redirects`: adds a redirect.
pub(super) async fn create(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    body: Bytes,
) -> Response {
    let form = FormView::typed(&pairs(&body));
    match save(&state, None, &form, None).await {
        Ok(Ok(id)) => {
            audit(
                &state,
                Some(&who),
                "redirect.add",
                &redirect_target(&state, id).await,
                &ip,
            )
            .await;
            see_other(&format!("{LIST}?done=redirect-added"), None)
        }
        Ok(Err(why)) => {
            list_page(
                &state,
                &who,
                &[],
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(format!("The redirect was not added: {why}")),
            )
            .await
        }
        Err(e) => server_error(&e),
    }
}

/// "redirect 12 (/old/)" for the audit log.
async fn redirect_target(state: &AppState, id: i64) -> String {
    match state.store().redirect(id).await {
        Ok(Some(r)) => format!("redirect {id} ({})", r.from_path),
        _ => format!("redirect {id}"),
    }
}

/// The redirect named in the path, or the answer to give instead.
async fn load(state: &AppState, who: &SignedIn, id: &str) -> Result<Redirect, Response> {
    let found = match id.parse::<i64>() {
        Ok(id) => state
            .store()
            .redirect(id)
            .await
            .map_err(|e| server_error(&e))?,
        Err(_) => None,
    };
    found.ok_or_else(|| {
        render(
            state,
            StatusCode::NOT_FOUND,
            "message.html",
            "No such redirect",
            Some(who),
            None,
            None,
            &super::Message {
                message: "That redirect does not exist (it may have been deleted).".into(),
                link: Some(super::LinkView {
                    url: LIST.into(),
                    text: "All redirects".into(),
                }),
            },
        )
    })
}

async fn edit_page(
    state: &AppState,
    who: &SignedIn,
    r: &Redirect,
    form: Option<FormView>,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let destination = match destination(state, r).await {
        Ok(d) => d,
        Err(e) => return server_error(&e),
    };
    let form = form
        .unwrap_or_else(|| FormView::new(&r.from_path, &destination.text, &r.status.to_string()));
    let settings = state.settings();
    let body = EditBody {
        id: r.id,
        source: r.from_path.clone(),
        form,
        origin: origin_label(&r.origin),
        hits: r.hits,
        last: r.last_hit_at.map(|t| DateView::new(t, &settings)),
        created: DateView::new(r.created_at, &settings),
        destination,
        source_url: location(&r.from_path),
    };
    render(
        state,
        status,
        "redirect.html",
        &format!("Redirect for {}", r.from_path),
        Some(who),
        notice,
        error,
        &body,
    )
}

/// `GET /newsroom/redirects/{id}`: the edit form and the delete button.
pub(super) async fn edit_form(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let r = match load(&state, &who, &id).await {
        Ok(r) => r,
        Err(res) => return res,
    };
    let q = pairs(raw.unwrap_or_default().as_bytes());
    let done = one(&q, "done").and_then(notice);
    edit_page(&state, &who, &r, None, StatusCode::OK, done, None).await
}

/// `POST /newsroom/redirects/{id}`: saves the redirect.
pub(super) async fn update(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let r = match load(&state, &who, &id).await {
        Ok(r) => r,
        Err(res) => return res,
    };
    let shown = match destination(&state, &r).await {
        Ok(d) => d,
        Err(e) => return server_error(&e),
    };
    let form = FormView::typed(&pairs(&body));
    match save(&state, Some(r.id), &form, Some((&r, &shown))).await {
        Ok(Ok(id)) => {
            audit(
                &state,
                Some(&who),
                "redirect.edit",
                &redirect_target(&state, id).await,
                &ip,
            )
            .await;
            see_other(&format!("{LIST}/{id}?done=redirect-saved"), None)
        }
        Ok(Err(why)) => {
            edit_page(
                &state,
                &who,
                &r,
                Some(form),
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(format!("The redirect was not saved: {why}")),
            )
            .await
        }
        Err(e) => server_error(&e),
    }
}

/// `POST /newsroom/redirects/{id}/delete`: deletes the redirect, once confirmed.
pub(super) async fn delete(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let r = match load(&state, &who, &id).await {
        Ok(r) => r,
        Err(res) => return res,
    };
    let form = pairs(&body);
    if one(&form, "confirm") != Some("yes") {
        return edit_page(
            &state,
            &who,
            &r,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some("The redirect was not deleted: tick the box to confirm first.".to_owned()),
        )
        .await;
    }
    match state.store().delete_redirect(r.id).await {
        Ok(()) | Err(StoreError::NotFound(_)) => {}
        Err(e) => return server_error(&e),
    }
    crate::redirects::changed(&state).await;
    audit(
        &state,
        Some(&who),
        "redirect.delete",
        &format!("redirect {} ({})", r.id, r.from_path),
        &ip,
    )
    .await;
    see_other(&format!("{LIST}?done=redirect-deleted"), None)
}
