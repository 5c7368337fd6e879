//! The API's writes to articles: `POST /api/v1/articles`, `PATCH /api/v1/articles/{id}`
//! (with `If-Match`, so nobody overwrites a version they never saw), `DELETE` (to the
//! trash) and corrections. The route table's capability decides first, then the same
//! save path as the newsroom's ([`crate::editorial`]).

use crate::AppState;
use crate::api::{ApiError, ArticleJson};
use crate::auth::SignedIn;
use crate::editorial::{
    self, ArticleFields, Target, actor, editable, invalid, refused, store_failure,
};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use masthead_core::ArticleStatus;
use masthead_core::workflow::may_save;
use masthead_store::{Article, NewAuditEntry};
use serde::Deserialize;

fn parse_fields(body: &Bytes) -> Result<ArticleFields, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("The body must be a JSON object of article fields: {e}"),
        )
    })
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

pub(crate) async fn create(
    State(state): State<AppState>,
    axum::Extension(who): axum::Extension<SignedIn>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let fields = parse_fields(&body)?;
    let id = editorial::save(&state, &who, Target::New, fields).await?;
    written(&state, id, StatusCode::CREATED).await
}

fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such article."))
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
    editorial::save(&state, &who, Target::Existing(&cur, based_on), fields).await?;
    written(&state, id, StatusCode::OK).await
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
    editorial::save(&state, &who, Target::Existing(&cur, based_on), fields).await?;
    written(&state, id, StatusCode::OK).await
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

/// `POST /api/v1/media`: the image file as the body (its name in `file_name` or a
/// `Content-Disposition` header), and `alt`, `decorative`, `caption`, `credit`,
/// `licence`, `focal_x`, `focal_y` (percent) in the query. Answers 201 with the image.
pub(crate) async fn upload_media(
    State(state): State<AppState>,
    axum::Extension(who): axum::Extension<SignedIn>,
    headers: HeaderMap,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let q: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |k: &str| {
        q.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let limit = usize::try_from(state.settings().media.max_upload_bytes).unwrap_or(usize::MAX);
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "The upload is larger than the {} MB limit.",
                limit / 1_000_000
            ),
        )
    })?;
    if bytes.is_empty() {
        return Err(invalid("Send the image file as the request body."));
    }
    let from_header = headers
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("filename=").nth(1))
        .map(|n| {
            n.trim_matches(|c| c == '"' || c == ' ' || c == ';')
                .to_owned()
        });
    let file_name = Some(get("file_name"))
        .filter(|n| !n.is_empty())
        .or(from_header)
        .unwrap_or_else(|| "upload".to_owned());
    let focal = crate::newsroom::focal_point(&get("focal_x"), &get("focal_y")).map_err(invalid)?;
    let meta = masthead_media::ImageMetadata {
        alt: get("alt"),
        decorative: matches!(get("decorative").as_str(), "true" | "1" | "on" | "yes"),
        caption: get("caption"),
        credit: get("credit"),
        licence: get("licence"),
        focal,
    };
    let id = crate::media::accept(&state, who.user.id, &file_name, bytes.to_vec(), meta)
        .await
        .map_err(|r| ApiError::new(r.status, "upload_refused", r.message))?;
    let record = state.store().media(id).await?;
    let view = record
        .as_ref()
        .and_then(|r| crate::media::ImageView::of(r, 800));
    let mut res = (StatusCode::CREATED, axum::Json(view)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/media/{id}")) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}
