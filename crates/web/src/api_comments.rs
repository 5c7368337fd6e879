//! Comments in the JSON API, with WordPress REST's field names: readers list an
//! article's approved comments and post new ones (the same rules, statuses and
//! protections as the form, less its honeypot and timestamp); moderators with a token
//! list the queues and move comments between them.

use crate::AppState;
use crate::api::ApiError;
use crate::auth::{self, SignedIn};
use crate::comments::{self, Channel, Input, Sender};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use masthead_core::ArticleStatus;
use masthead_core::comment::CommentStatus;
use masthead_core::paging::PageRequest;
use masthead_render::comment as text;
use masthead_store::{Comment, CommentFilter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A comment as readers may see it: never the email, address or browser.
#[derive(Debug, Serialize)]
pub struct CommentJson {
    id: i64,
    post: i64,
    parent: i64,
    /// How deep in its thread (0 for a comment on the article).
    depth: usize,
    author_name: String,
    author_url: Option<String>,
    author_avatar_url: String,
    date: DateTime<Utc>,
    content: String,
    link: String,
}

fn public_json(state: &AppState, c: &Comment, depth: usize, article_url: &str) -> CommentJson {
    CommentJson {
        id: c.id,
        post: c.article_id,
        parent: c.parent_id.unwrap_or(0),
        depth,
        author_name: text::clean_display(&c.author_name),
        author_url: text::safe_website(&c.author_url),
        author_avatar_url: comments::avatar_url(state, &c.author_email),
        date: c.created_at,
        content: if c.body_format == "html" {
            text::imported_html(&c.body)
        } else {
            text::plain_text_to_html(&c.body)
        },
        link: format!("{article_url}#comment-{}", c.id),
    }
}

/// Threads oldest first: each comment followed by its replies, with its depth.
fn thread_order(comments: &[Comment]) -> Vec<(&Comment, usize)> {
    let ids: std::collections::HashSet<i64> = comments.iter().map(|c| c.id).collect();
    let mut children: HashMap<i64, Vec<&Comment>> = HashMap::new();
    let mut roots = Vec::new();
    for c in comments {
        match c.parent_id.filter(|p| ids.contains(p) && *p != c.id) {
            Some(p) => children.entry(p).or_default().push(c),
            None => roots.push(c),
        }
    }
    let mut out = Vec::with_capacity(comments.len());
    let mut stack: Vec<(&Comment, usize)> = roots.into_iter().rev().map(|c| (c, 0)).collect();
    while let Some((c, depth)) = stack.pop() {
        out.push((c, depth));
        if out.len() > comments.len() {
            break;
        }
        for k in children.get(&c.id).into_iter().flatten().rev() {
            stack.push((k, depth + 1));
        }
    }
    out
}

async fn published_article(
    state: &AppState,
    id: &str,
) -> Result<masthead_store::Article, ApiError> {
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such article.");
    let id: i64 = id.parse().map_err(|_| not_found())?;
    match state.store().article(id).await? {
        Some(a) if a.summary.status == ArticleStatus::Published => Ok(a),
        _ => Err(not_found()),
    }
}

fn page_params(raw: Option<&str>, default_per_page: u32) -> Result<(u32, u32), ApiError> {
    let mut page = 1;
    let mut per_page = default_per_page;
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let n = || {
            v.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_parameter",
                    format!("`{k}` must be a whole number from 1."),
                )
            })
        };
        match &*k {
            "page" => page = n()?,
            "per_page" => per_page = n()?.min(crate::api::MAX_PER_PAGE),
            _ => {}
        }
    }
    Ok((page, per_page))
}

/// `GET /api/v1/articles/{id}/comments`: approved comments in thread order, paged by
/// top-level comment; `X-Total-Count` counts every approved comment.
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let article = published_article(&state, &id).await?;
    let (page, per_page) = page_params(raw.as_deref(), state.settings().comments.per_page)?;
    let all = state.store().approved_comments(article.summary.id).await?;
    let url = crate::views::article_url(&article.summary);
    let ordered = thread_order(&all);
    let mut threads: Vec<Vec<CommentJson>> = Vec::new();
    for (c, depth) in ordered {
        if depth == 0 {
            threads.push(Vec::new());
        }
        if let Some(t) = threads.last_mut() {
            t.push(public_json(&state, c, depth, &url));
        }
    }
    let pages = threads.len().div_ceil(per_page as usize).max(1);
    let body: Vec<CommentJson> = threads
        .into_iter()
        .skip((page as usize - 1) * per_page as usize)
        .take(per_page as usize)
        .flatten()
        .collect();
    let mut res = Json(body).into_response();
    let h = res.headers_mut();
    h.insert("x-total-count", HeaderValue::from(all.len()));
    h.insert("x-total-pages", HeaderValue::from(pages));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=30"),
    );
    Ok(res)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCommentJson {
    #[serde(default)]
    author_name: String,
    #[serde(default)]
    author_email: String,
    #[serde(default)]
    author_url: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    parent: i64,
}

/// `POST /api/v1/articles/{id}/comments`: `201` with the new comment's `id` and
/// `status` (approved, held or spam), or the refusal's status with field errors.
pub async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    match create_inner(&state, &id, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn create_inner(state: &AppState, id: &str, req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    if !crate::newsroom::same_origin(&parts.headers) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site",
            "This comment came from another site and was refused.",
        ));
    }
    let body: Bytes = axum::body::to_bytes(body, 256 * 1024).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "The comment is too large to accept.",
        )
    })?;
    let json: NewCommentJson = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!(
                "The body must be a JSON object with author_name, author_email, author_url, content and parent: {e}"
            ),
        )
    })?;
    let article = published_article(state, id).await?;
    // A moderator's token makes the comment staff's; anyone else is a reader.
    let staff = match auth::from_token(state, &parts.headers).await {
        Ok(w) => comments::as_staff(w),
        Err(_) => None,
    };
    let settings = state.settings();
    let sender = Sender {
        ip: crate::client::address(
            crate::client::peer(&parts.extensions),
            &parts.headers,
            &settings.trusted_proxies,
        ),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        staff,
    };
    let input = Input {
        parent: (json.parent > 0).then_some(json.parent),
        author: json.author_name,
        email: json.author_email,
        url: json.author_url,
        text: json.content,
    };
    match comments::submit(state, &article, &input, Channel::Api, &sender).await? {
        Ok(accepted) => {
            #[derive(Serialize)]
            struct Created {
                id: i64,
                status: CommentStatus,
                link: String,
            }
            let link = format!(
                "{}#comment-{}",
                crate::views::article_url(&article.summary),
                accepted.id
            );
            Ok((
                StatusCode::CREATED,
                [(header::CACHE_CONTROL, "no-store")],
                Json(Created {
                    id: accepted.id,
                    status: accepted.status,
                    link,
                }),
            )
                .into_response())
        }
        Err(refusal) => {
            let code = match refusal.status() {
                403 => "comments_closed",
                409 => "duplicate_comment",
                429 => "comment_flood",
                _ => "invalid_comment",
            };
            let fields: HashMap<&str, &str> = refusal
                .errors
                .iter()
                .map(|(f, m)| (api_field(f.as_str()), m.as_str()))
                .collect();
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let body = serde_json::json!({"error": {
                "code": code,
                "message": refusal.message(),
                "fields": fields,
            }});
            Ok((status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
        }
    }
}

/// The API's name for a form field.
fn api_field(form: &str) -> &str {
    match form {
        "author" => "author_name",
        "email" => "author_email",
        "url" => "author_url",
        "comment" => "content",
        "comment_parent" => "parent",
        other => other,
    }
}

/// A comment as moderators see it.
#[derive(Debug, Serialize)]
pub struct ModerationJson {
    #[serde(flatten)]
    public: CommentJson,
    status: CommentStatus,
    author_email: String,
    author_ip: String,
    author_user_agent: String,
    reasons: String,
    spam_score: Option<f32>,
    report_count: i64,
    kind: String,
}

async fn moderation_json(state: &AppState, c: &Comment) -> ModerationJson {
    let url = match state.store().article(c.article_id).await {
        Ok(Some(a)) => crate::views::article_url(&a.summary),
        _ => String::new(),
    };
    ModerationJson {
        public: public_json(state, c, 0, &url),
        status: c.status,
        author_email: c.author_email.clone(),
        author_ip: c.client_ip.clone(),
        author_user_agent: c.user_agent.clone(),
        reasons: c.reasons.clone(),
        spam_score: c.spam_score,
        report_count: c.report_count,
        kind: c.kind.clone(),
    }
}

/// `GET /api/v1/comments?status=held|approved|spam|trash|reported`: a queue, newest first.
pub async fn queue(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut filter = CommentFilter::default();
    for (k, v) in form_urlencoded::parse(raw.as_deref().unwrap_or_default().as_bytes()) {
        match &*k {
            "status" if v == "reported" => filter.reported = true,
            "status" => {
                filter.status = Some(v.parse().map_err(|_| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_parameter",
                        "`status` is one of approved, held, spam, trash or reported.",
                    )
                })?)
            }
            "post" => filter.article_id = v.parse().ok(),
            "author_email" => filter.email = Some(v.into_owned()),
            _ => {}
        }
    }
    let (page, per_page) = page_params(raw.as_deref(), 20)?;
    let (rows, total) = state
        .store()
        .comment_queue(&filter, PageRequest::new(page, per_page))
        .await?;
    let mut body = Vec::with_capacity(rows.len());
    for r in &rows {
        body.push(moderation_json(&state, &r.comment).await);
    }
    let mut res = Json(body).into_response();
    res.headers_mut()
        .insert("x-total-count", HeaderValue::from(total));
    Ok(res)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Patch {
    status: CommentStatus,
}

/// `PATCH /api/v1/comments/{id}` with `{"status": …}`.
pub async fn patch(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such comment.");
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let p: Patch = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!(
                "The body must be {{\"status\": \"approved\" | \"held\" | \"spam\" | \"trash\"}}: {e}"
            ),
        )
    })?;
    let Some(c) = comments::moderate(&state, id, p.status, &who).await? else {
        return Err(not_found());
    };
    Ok(Json(moderation_json(&state, &c).await).into_response())
}
