//! The API's writes to articles: `POST /api/v1/articles`, `PATCH /api/v1/articles/{id}`
//! (with `If-Match`, so nobody overwrites a version they never saw) and `DELETE` (to the
//! trash). The same rules decide as in the newsroom: the route table's capability first,
//! then core's workflow for this article and this status.

use crate::AppState;
use crate::api::{ApiError, ArticleJson};
use crate::auth::SignedIn;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use masthead_core::workflow::{Actor, may_save, resolve_status};
use masthead_core::{ArticleLabel, ArticleStatus, BodyFormat, Capability, excerpt, slug};
use masthead_store::{Article, Edit, NewArticle, NewAuditEntry, StoreError};
use serde::{Deserialize, Deserializer};

/// The longest title, kicker or dek we take.
const MAX_LINE: usize = 500;

/// `Some(None)` for an explicit `null` (clear the field), `None` when absent.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// An article's fields as a client sends them. Absent fields keep their value (PATCH)
/// or take the default (POST).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ArticleFields {
    title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    kicker: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    dek: Option<Option<String>>,
    body: Option<String>,
    format: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    excerpt: Option<Option<String>>,
    status: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    published_at: Option<Option<DateTime<Utc>>>,
    slug: Option<String>,
    section: Option<String>,
    sections: Option<Vec<String>>,
    tags: Option<Vec<String>>,
    authors: Option<Vec<String>>,
    featured: Option<bool>,
    label: Option<String>,
    comments_open: Option<bool>,
    /// A typo fix: the updated time stays.
    minor_edit: Option<bool>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
}

fn parse_fields(body: &Bytes) -> Result<ArticleFields, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("The body must be a JSON object of article fields: {e}"),
        )
    })
}

fn line(name: &str, v: Option<String>, required: bool) -> Result<Option<String>, ApiError> {
    let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    match v {
        None if required => Err(invalid(format!("`{name}` must not be empty."))),
        Some(s) if s.chars().count() > MAX_LINE => Err(invalid(format!(
            "`{name}` is longer than {MAX_LINE} characters."
        ))),
        v => Ok(v),
    }
}

/// The article's ETag: its id and version.
pub(crate) fn etag(a: &Article) -> String {
    format!("\"{}-{}\"", a.summary.id, a.version)
}

/// The version an `If-Match` header names for article `id`, if it names one.
fn if_match_version(headers: &HeaderMap, id: i64) -> Option<Result<i64, ()>> {
    let raw = headers.get(header::IF_MATCH)?.to_str().ok()?.trim();
    let tag = raw.trim_start_matches("W/").trim_matches('"');
    Some(
        tag.split_once('-')
            .filter(|(i, _)| i.parse::<i64>().ok() == Some(id))
            .and_then(|(_, v)| v.parse::<i64>().ok())
            .ok_or(()),
    )
}

/// Applies `f` over `base` (the stored article, or defaults), resolving slugs and
/// checking every value. Returns the article to save.
async fn merge(
    state: &AppState,
    who: &SignedIn,
    base: Option<&Article>,
    f: ArticleFields,
) -> Result<(NewArticle, bool), ApiError> {
    let store = state.store();
    let now = state.now();
    let mut a = match base {
        Some(cur) => from_stored(cur),
        None => {
            let mut a = NewArticle::published("", "", now);
            a.status = ArticleStatus::Draft;
            a.published_at = None;
            a.authors = vec![who.user.name.clone()];
            a.section = match store.sections().await?.first() {
                Some(s) => s.slug.clone(),
                None => "News".to_owned(),
            };
            a
        }
    };
    if let Some(t) = f.title {
        a.title = line("title", Some(t), true)?.unwrap_or_default();
    } else if base.is_none() {
        return Err(invalid("`title` is required."));
    }
    if let Some(k) = f.kicker {
        a.kicker = line("kicker", k, false)?;
    }
    if let Some(d) = f.dek {
        a.dek = line("dek", d, false)?;
    }
    if let Some(fmt) = f.format {
        a.body_format = fmt.parse::<BodyFormat>().map_err(|_| {
            invalid(format!(
                "`format` is markdown, html or text; got \"{fmt}\"."
            ))
        })?;
    }
    if let Some(b) = f.body {
        a.body_source = b;
    }
    if let Some(e) = f.excerpt {
        a.editor_excerpt = e.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    }
    if let Some(s) = f.slug {
        a.slug = Some(slug::normalize_given(&s).map_err(|e| invalid(format!("`slug`: {e}")))?);
    }
    if let Some(sec) = f.section {
        a.section = known_section(state, &sec).await?;
    }
    if let Some(list) = f.sections {
        let mut slugs = Vec::with_capacity(list.len());
        for s in list {
            slugs.push(known_section(state, &s).await?);
        }
        a.other_sections = slugs;
    }
    if let Some(tags) = f.tags {
        a.tags = tags
            .into_iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
    }
    if let Some(authors) = f.authors {
        let mut slugs = Vec::with_capacity(authors.len());
        for s in authors {
            match store.author_by_slug(s.trim()).await? {
                Some(found) => slugs.push(found.slug),
                None => {
                    return Err(invalid(format!(
                        "There is no byline with the slug \"{s}\"."
                    )));
                }
            }
        }
        a.authors = slugs;
    }
    if let Some(v) = f.featured {
        a.featured = v;
    }
    if let Some(v) = f.comments_open {
        a.comments_open = v;
    }
    if let Some(l) = f.label {
        a.label = l
            .parse::<ArticleLabel>()
            .map_err(|e| invalid(format!("`label`: {e}")))?;
    }
    if let Some(t) = f.published_at {
        a.published_at = t;
    }
    let requested = match f.status {
        Some(s) => s.parse::<ArticleStatus>().map_err(|_| {
            invalid(format!(
                "`status` is draft, pending, scheduled, published, private or trash; got \"{s}\"."
            ))
        })?,
        None => a.status,
    };
    let (status, at) =
        resolve_status(requested, a.published_at, now).map_err(|e| invalid(e.to_string()))?;
    a.status = status;
    a.published_at = at;
    let rendered = masthead_render::render_body(a.body_format, &a.body_source);
    a.excerpt = excerpt::choose(a.editor_excerpt.as_deref(), &rendered.text);
    a.body_html = rendered.html;
    a.updated_at = None;
    Ok((a, f.minor_edit.unwrap_or(false)))
}

/// The slug of an existing section, or a clear refusal.
async fn known_section(state: &AppState, given: &str) -> Result<String, ApiError> {
    match state.store().section_by_slug(given.trim()).await? {
        Some(s) => Ok(s.slug),
        None => Err(invalid(format!(
            "There is no section with the slug \"{given}\"."
        ))),
    }
}

/// A stored article as the fields a save takes (terms by slug, which the store finds first).
fn from_stored(cur: &Article) -> NewArticle {
    let s = &cur.summary;
    NewArticle {
        external_id: s.external_id.clone(),
        title: s.title.clone(),
        kicker: s.kicker.clone(),
        dek: s.dek.clone(),
        slug: Some(s.slug.clone()),
        body_format: cur.body_format,
        body_source: cur.body_source.clone(),
        body_html: cur.body_html.clone(),
        editor_excerpt: cur.editor_excerpt.clone(),
        excerpt: s.excerpt.clone(),
        status: s.status,
        published_at: s.published_at,
        updated_at: None,
        section: s.section.slug.clone(),
        other_sections: s.sections.iter().skip(1).map(|t| t.slug.clone()).collect(),
        tags: s.tags.iter().map(|t| t.slug.clone()).collect(),
        authors: s.authors.iter().map(|t| t.slug.clone()).collect(),
        featured: s.featured,
        comments_open: s.comments_open,
        language: s.language.clone(),
        featured_image: s.featured_image.clone(),
        featured_image_alt: s.featured_image_alt.clone(),
        label: s.label,
    }
}

fn actor(who: &SignedIn, owner: Option<i64>) -> Actor {
    Actor {
        role: who.role(),
        owns: owner == Some(who.user.id),
    }
}

fn refused(e: masthead_core::workflow::Refusal) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string())
}

/// Records publications, withdrawals and trashing in the audit log.
async fn audit_status(
    state: &AppState,
    who: &SignedIn,
    id: i64,
    from: Option<ArticleStatus>,
    to: ArticleStatus,
) {
    use ArticleStatus::*;
    let action = match (from, to) {
        (f, Published) if f != Some(Published) => "published",
        (f, Scheduled) if f != Some(Scheduled) => "scheduled",
        (f, Trash) if f != Some(Trash) => "trashed",
        (Some(Published), _) => "unpublished",
        _ => return,
    };
    let entry = NewAuditEntry {
        actor_id: Some(who.user.id),
        actor: who.user.email.clone(),
        action: action.into(),
        target: format!("article {id}"),
        ..Default::default()
    };
    if let Err(e) = state.store().audit(&entry).await {
        tracing::error!("cannot write the audit log: {e}");
    }
}

/// The answer to a successful write: the article as its editors see it, with its ETag.
async fn written(state: &AppState, id: i64, status: StatusCode) -> Result<Response, ApiError> {
    let Some(a) = state.store().article(id).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "No such article.",
        ));
    };
    let mut res = (status, axum::Json(ArticleJson::editorial(&a))).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(&a)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED
        && let Ok(v) = HeaderValue::from_str(&format!("/api/v1/articles/{id}"))
    {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

fn store_failure(e: StoreError) -> ApiError {
    match e {
        StoreError::Stale { current } => ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "version_mismatch",
            format!(
                "The article changed since the version you sent (it is now version {current}); \
                 your version was kept as a revision. Fetch it again and reapply your change."
            ),
        ),
        StoreError::NotFound(_) => {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such article.")
        }
        StoreError::Invalid(m) => invalid(m),
        other => other.into(),
    }
}

pub(crate) async fn create(
    State(state): State<AppState>,
    axum::Extension(who): axum::Extension<SignedIn>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = parse_fields(&body)?;
    let (a, _) = merge(&state, &who, None, fields).await?;
    may_save(actor(&who, Some(who.user.id)), None, a.status).map_err(refused)?;
    let edit = Edit {
        user_id: Some(who.user.id),
        ..Default::default()
    };
    let saved = state
        .store()
        .create_article(&a, &edit)
        .await
        .map_err(store_failure)?;
    audit_status(&state, &who, saved.id, None, a.status).await;
    state.wake_scheduler();
    written(&state, saved.id, StatusCode::CREATED).await
}

fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such article."))
}

/// The stored article, if this caller may see it in the newsroom (404 otherwise, so
/// ids of others' drafts are not confirmed).
async fn editable(state: &AppState, who: &SignedIn, id: i64) -> Result<Article, ApiError> {
    let found = state.store().article(id).await?;
    match found {
        Some(a) if who.role().can(Capability::EditOthers) || a.owner_id == Some(who.user.id) => {
            Ok(a)
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "No such article.",
        )),
    }
}

async fn save_over(
    state: &AppState,
    who: &SignedIn,
    cur: &Article,
    fields: ArticleFields,
    based_on: Option<i64>,
) -> Result<Response, ApiError> {
    let (a, minor) = merge(state, who, Some(cur), fields).await?;
    let from = cur.summary.status;
    may_save(actor(who, cur.owner_id), Some(from), a.status).map_err(refused)?;
    let edit = Edit {
        user_id: Some(who.user.id),
        based_on,
        minor,
    };
    let id = cur.summary.id;
    state
        .store()
        .update_article(id, &a, &edit)
        .await
        .map_err(store_failure)?;
    audit_status(state, who, id, Some(from), a.status).await;
    state.wake_scheduler();
    written(state, id, StatusCode::OK).await
}

pub(crate) async fn update(
    State(state): State<AppState>,
    axum::Extension(who): axum::Extension<SignedIn>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let cur = editable(&state, &who, id).await?;
    let based_on = match if_match_version(&headers, id) {
        None => {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "if_match_required",
                "Send If-Match with the article's ETag (from GET), so that no one's edit is overwritten unseen.",
            ));
        }
        // A tag that is not this article's can never match.
        Some(Err(())) => Some(-1),
        Some(Ok(v)) => Some(v),
    };
    let fields = parse_fields(&body)?;
    save_over(&state, &who, &cur, fields, based_on).await
}

pub(crate) async fn trash(
    State(state): State<AppState>,
    axum::Extension(who): axum::Extension<SignedIn>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let cur = editable(&state, &who, id).await?;
    let based_on = match if_match_version(&headers, id) {
        Some(Err(())) => Some(-1),
        Some(Ok(v)) => Some(v),
        None => None,
    };
    let fields = ArticleFields {
        status: Some(ArticleStatus::Trash.as_str().to_owned()),
        ..Default::default()
    };
    save_over(&state, &who, &cur, fields, based_on).await
}

/// A correction or update as a client sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CorrectionFields {
    kind: String,
    note: String,
}

/// The longest correction note we take.
const MAX_NOTE: usize = 5_000;

/// `POST /api/v1/articles/{id}/corrections`: appends a dated note to a published article.
pub(crate) async fn add_correction(
    State(state): State<AppState>,
    axum::Extension(who): axum::Extension<SignedIn>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let cur = editable(&state, &who, id).await?;
    may_save(
        actor(&who, cur.owner_id),
        Some(cur.summary.status),
        cur.summary.status,
    )
    .map_err(refused)?;
    let fields: CorrectionFields = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!(
                "The body must be {{\"kind\": \"correction\" or \"update\", \"note\": \"…\"}}: {e}"
            ),
        )
    })?;
    let kind = fields
        .kind
        .parse::<masthead_core::CorrectionKind>()
        .map_err(|e| invalid(format!("`kind`: {e}")))?;
    let note = fields.note.trim();
    if note.is_empty() {
        return Err(invalid("`note` must not be empty."));
    }
    if note.chars().count() > MAX_NOTE {
        return Err(invalid(format!(
            "`note` is longer than {MAX_NOTE} characters."
        )));
    }
    if cur.summary.status != ArticleStatus::Published {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_published",
            "Corrections and updates are for published articles; edit the unpublished one instead.",
        ));
    }
    let c = state
        .store()
        .add_correction(id, kind, note, Some(who.user.id))
        .await
        .map_err(store_failure)?;
    let entry = NewAuditEntry {
        actor_id: Some(who.user.id),
        actor: who.user.email.clone(),
        action: format!("added {}", kind.as_str()),
        target: format!("article {id}"),
        ..Default::default()
    };
    if let Err(e) = state.store().audit(&entry).await {
        tracing::error!("cannot write the audit log: {e}");
    }
    Ok((StatusCode::CREATED, axum::Json(c)).into_response())
}
