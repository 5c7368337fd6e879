//! Discovery in the newsroom: the stories under an article ("You May Also Like") with
//! why each was chosen and the editor's pins, and the searches readers made that found
//! nothing.

use super::articles::load;
use super::{ClientIp, NoticeQuery, audit, notice_for, render, see_other, server_error};
use crate::AppState;
use crate::auth::SignedIn;
use crate::route::{SiteRoute, parse};
use crate::views::article_url;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use masthead_store::{Article, ArticleLookup, SearchMiss};
use serde::Serialize;

/// The most pins an article keeps (the page shows four stories).
const MAX_PINS: usize = 4;

#[derive(Serialize)]
struct StoryRow {
    title: String,
    url: String,
    why: String,
    pinned: bool,
}

#[derive(Serialize)]
struct RelatedBody {
    id: i64,
    title: String,
    pins: String,
    stories: Vec<StoryRow>,
}

async fn related_page(
    state: &AppState,
    who: &SignedIn,
    article: &Article,
    pins: Option<String>,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let stories = match state.related_stories(article, 4).await {
        Ok(s) => s,
        Err(e) => return server_error(&e),
    };
    let pins = match pins {
        Some(p) => p,
        None => stories
            .iter()
            .filter(|s| s.pinned)
            .map(|s| article_url(&s.article))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let body = RelatedBody {
        id: article.summary.id,
        title: article.summary.title.clone(),
        pins,
        stories: stories
            .into_iter()
            .map(|s| StoryRow {
                title: s.article.title.clone(),
                url: article_url(&s.article),
                why: s.why,
                pinned: s.pinned,
            })
            .collect(),
    };
    render(
        state,
        status,
        "related.html",
        "You May Also Like",
        Some(who),
        notice,
        error,
        &body,
    )
}

/// `GET /newsroom/articles/{id}/related`.
pub(super) async fn related_form(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let article = match load(&state, &who, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    related_page(
        &state,
        &who,
        &article,
        None,
        StatusCode::OK,
        notice_for(&q.done),
        None,
    )
    .await
}

/// An article named by its id or its address (as copied from the site).
async fn find(state: &AppState, line: &str) -> Result<Option<i64>, masthead_store::StoreError> {
    if let Ok(id) = line.parse::<i64>() {
        return Ok(state
            .store()
            .public_article_by_id(id)
            .await?
            .map(|a| a.summary.id));
    }
    let path = match line.find("://") {
        Some(i) => line[i + 3..].find('/').map_or("/", |j| &line[i + 3 + j..]),
        None => line,
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let path = if path.ends_with('/') {
        path.to_owned()
    } else {
        format!("{path}/")
    };
    if let SiteRoute::Article { date, slug } = parse(&path)
        && let ArticleLookup::Found(a) = state.store().public_article_at(date, &slug).await?
    {
        return Ok(Some(a.summary.id));
    }
    Ok(None)
}

/// `POST /newsroom/articles/{id}/related`: the pins, one story per line, in order.
pub(super) async fn save_related(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let article = match load(&state, &who, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let typed: String = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "pins")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let mut ids = Vec::new();
    let mut unknown = Vec::new();
    for line in typed.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match find(&state, line).await {
            Ok(Some(found)) if found == article.summary.id => {
                unknown.push(format!("{line} (this article itself)"));
            }
            Ok(Some(found)) => ids.push(found),
            Ok(None) => unknown.push(line.chars().take(120).collect()),
            Err(e) => return server_error(&e),
        }
    }
    let error = if !unknown.is_empty() {
        Some(format!(
            "Nothing was saved: no published story at {}. Give each story's address or id, one per line.",
            unknown.join(", ")
        ))
    } else if ids.len() > MAX_PINS {
        Some(format!(
            "Nothing was saved: pin at most {MAX_PINS} stories."
        ))
    } else {
        None
    };
    if let Some(error) = error {
        return related_page(
            &state,
            &who,
            &article,
            Some(typed),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(error),
        )
        .await;
    }
    if let Err(e) = state
        .store()
        .set_related_pins(article.summary.id, &ids)
        .await
    {
        return server_error(&e);
    }
    audit(
        &state,
        Some(&who),
        "article.related",
        &format!("article {}", article.summary.id),
        &ip,
    )
    .await;
    see_other(
        &format!(
            "/newsroom/articles/{}/related?done=saved",
            article.summary.id
        ),
        None,
    )
}

#[derive(Serialize)]
struct MissesBody {
    misses: Vec<MissRow>,
}

#[derive(Serialize)]
struct MissRow {
    query: String,
    search_url: String,
    count: i64,
    last: String,
}

fn rows(state: &AppState, misses: Vec<SearchMiss>) -> Vec<MissRow> {
    let tz = state.settings().timezone;
    misses
        .into_iter()
        .map(|m| MissRow {
            search_url: format!(
                "/search?{}",
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("q", &m.query)
                    .finish()
            ),
            last: m
                .last_at
                .with_timezone(&tz)
                .format("%-d %b %Y, %H:%M")
                .to_string(),
            query: m.query,
            count: m.count,
        })
        .collect()
}

/// `GET /newsroom/search-misses`: what readers searched for and did not find.
pub(super) async fn misses(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let found = match state.store().search_misses(200).await {
        Ok(m) => m,
        Err(e) => return server_error(&e),
    };
    let body = MissesBody {
        misses: rows(&state, found),
    };
    render(
        &state,
        StatusCode::OK,
        "search_misses.html",
        "Searches that found nothing",
        Some(&who),
        notice_for(&q.done),
        None,
        &body,
    )
}

/// `POST /newsroom/search-misses/clear`.
pub(super) async fn clear_misses(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
) -> Response {
    if let Err(e) = state.store().clear_search_misses().await {
        return server_error(&e);
    }
    audit(&state, Some(&who), "search.misses.clear", "search", &ip).await;
    see_other("/newsroom/search-misses?done=saved", None)
}
