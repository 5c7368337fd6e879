//! The read side of the JSON API (`/api/v1`): articles, sections, tags, bylines.
//! Every error is `{"error": {"code", "message"}}` with a fitting status.

use crate::AppState;
use crate::route::encode_segment;
use crate::views::article_url;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use masthead_core::paging::{PageRequest, page_count};
use masthead_core::{ArticleLabel, ArticleStatus, BodyFormat, Capability};
use masthead_store::{Article, ArticleFilter, ArticleSummary, Term};
use serde::Serialize;

pub const MAX_PER_PAGE: u32 = 100;
const DEFAULT_PER_PAGE: u32 = 20;
/// Pages beyond this are refused rather than computed (an offset this deep is a scan).
const MAX_PAGE: u32 = 1_000_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/articles", get(list_articles))
        .route("/search", get(crate::search::api))
        .route("/articles/{id}", get(get_article))
        .route("/articles/{id}/related", get(related_articles))
        .route(
            "/articles/{id}/comments",
            get(crate::api_comments::list).post(crate::api_comments::create),
        )
        .route("/sections", get(list_sections))
        .route("/tags", get(list_tags))
        .route("/authors", get(list_authors))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such API endpoint.")
        })
}

/// An API failure; the body carries a stable code for programs and a sentence for people.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    fn bad_param(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_parameter", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        (
            self.status,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(body),
        )
            .into_response()
    }
}

impl From<masthead_store::StoreError> for ApiError {
    fn from(e: masthead_store::StoreError) -> Self {
        tracing::error!("API request failed: {e}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "The request could not be completed.",
        )
    }
}

#[derive(Debug, Serialize)]
pub struct TermJson {
    name: String,
    slug: String,
    url: String,
}

fn term(kind: &str, t: &Term) -> TermJson {
    TermJson {
        name: t.name.clone(),
        slug: t.slug.clone(),
        url: format!("/{kind}/{}/", encode_segment(&t.slug)),
    }
}

/// An article as the API shows it.
#[derive(Debug, Serialize)]
pub struct ArticleJson {
    id: i64,
    slug: String,
    url: String,
    title: String,
    kicker: Option<String>,
    dek: Option<String>,
    excerpt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_html: Option<String>,
    published_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    authors: Vec<TermJson>,
    section: TermJson,
    sections: Vec<TermJson>,
    tags: Vec<TermJson>,
    comment_count: i64,
    comments_open: bool,
    featured: bool,
    language: String,
    featured_image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    label: ArticleLabel,
    /// For the article's editors only: its status, source, format and version.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    editorial: Option<Editorial>,
}

/// What only an article's editors see.
#[derive(Debug, Serialize)]
pub struct Editorial {
    status: ArticleStatus,
    body: String,
    format: BodyFormat,
    version: i64,
}

impl ArticleJson {
    pub(crate) fn new(a: &ArticleSummary, body_html: Option<String>) -> Self {
        Self {
            id: a.id,
            slug: a.slug.clone(),
            url: article_url(a),
            title: a.title.clone(),
            kicker: a.kicker.clone(),
            dek: a.dek.clone(),
            excerpt: a.excerpt.clone(),
            body_html,
            published_at: a.published_at,
            updated_at: a.updated_at,
            authors: a.authors.iter().map(|t| term("author", t)).collect(),
            section: term("section", &a.section),
            sections: a.sections.iter().map(|t| term("section", t)).collect(),
            tags: a.tags.iter().map(|t| term("tag", t)).collect(),
            comment_count: a.comment_count,
            comments_open: a.comments_open,
            featured: a.featured,
            language: a.language.clone(),
            featured_image: a.featured_image.clone(),
            external_id: a.external_id.clone(),
            label: a.label,
            editorial: None,
        }
    }

    fn full(a: &Article) -> Self {
        Self::new(&a.summary, Some(a.body_html.clone()))
    }

    /// The whole article with what its editors see: status, source, format, version.
    pub(crate) fn editorial(a: &Article) -> Self {
        let mut json = Self::full(a);
        json.editorial = Some(Editorial {
            status: a.summary.status,
            body: a.body_source.clone(),
            format: a.body_format,
            version: a.version,
        });
        json
    }
}

/// The query of `GET /articles`, validated.
#[derive(Debug, Default)]
struct ListQuery {
    page: u32,
    per_page: u32,
    section: Option<String>,
    tag: Option<String>,
    author: Option<String>,
    before: Option<DateTime<Utc>>,
    after: Option<DateTime<Utc>>,
    include_body: bool,
    /// The other parameters as given, to repeat in pagination links.
    passthrough: Vec<(String, String)>,
}

pub(crate) fn parse_positive(name: &str, v: &str, max: u32) -> Result<u32, ApiError> {
    match v.parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_param(format!(
            "`{name}` must be a whole number from 1 to {max}; got \"{}\"",
            truncate(v)
        ))),
    }
}

fn truncate(v: &str) -> String {
    v.chars().take(40).collect()
}

/// RFC 3339, or a plain `YYYY-MM-DD` meaning midnight UTC.
fn parse_time(name: &str, v: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Ok(d.and_time(NaiveTime::MIN).and_utc());
    }
    Err(ApiError::bad_param(format!(
        "`{name}` must be an RFC 3339 time or a YYYY-MM-DD date; got \"{}\"",
        truncate(v)
    )))
}

fn parse_list_query(raw: Option<&str>) -> Result<ListQuery, ApiError> {
    let mut q = ListQuery {
        page: 1,
        per_page: DEFAULT_PER_PAGE,
        ..Default::default()
    };
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let keep = match k.as_ref() {
            "page" => {
                q.page = parse_positive("page", &v, MAX_PAGE)?;
                false
            }
            "per_page" => {
                q.per_page = parse_positive("per_page", &v, MAX_PER_PAGE)?;
                true
            }
            "section" => {
                q.section = Some(v.to_string());
                true
            }
            "tag" => {
                q.tag = Some(v.to_string());
                true
            }
            "author" => {
                q.author = Some(v.to_string());
                true
            }
            "before" => {
                q.before = Some(parse_time("before", &v)?);
                true
            }
            "after" => {
                q.after = Some(parse_time("after", &v)?);
                true
            }
            "include" => {
                for part in v.split(',') {
                    match part.trim() {
                        "body" => q.include_body = true,
                        "" => {}
                        other => {
                            return Err(ApiError::bad_param(format!(
                                "`include` knows only \"body\"; got \"{}\"",
                                truncate(other)
                            )));
                        }
                    }
                }
                true
            }
            _ => false,
        };
        if keep {
            q.passthrough.push((k.into_owned(), v.into_owned()));
        }
    }
    Ok(q)
}

fn link_header(q: &ListQuery, pages: u32) -> Option<HeaderValue> {
    let url = |page: u32| {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &q.passthrough {
            ser.append_pair(k, v);
        }
        ser.append_pair("page", &page.to_string());
        format!("/api/v1/articles?{}", ser.finish())
    };
    let mut links = vec![
        format!("<{}>; rel=\"first\"", url(1)),
        format!("<{}>; rel=\"last\"", url(pages)),
    ];
    if q.page > 1 {
        links.push(format!("<{}>; rel=\"prev\"", url((q.page - 1).min(pages))));
    }
    if q.page < pages {
        links.push(format!("<{}>; rel=\"next\"", url(q.page + 1)));
    }
    HeaderValue::from_str(&links.join(", ")).ok()
}

async fn list_articles(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = parse_list_query(raw.as_deref())?;
    let store = state.store();
    let mut filter = ArticleFilter {
        published_before: q.before,
        published_after: q.after,
        ..Default::default()
    };
    let mut matches_nothing = false;
    if let Some(slug) = &q.section {
        match store.section_by_slug(slug).await? {
            Some(s) => filter.section_ids = store.section_with_descendants(s.id).await?,
            None => matches_nothing = true,
        }
    }
    if let Some(slug) = &q.tag {
        match store.tag_by_slug(slug).await? {
            Some(t) => filter.tag_id = Some(t.id),
            None => matches_nothing = true,
        }
    }
    if let Some(slug) = &q.author {
        match store.author_by_slug(slug).await? {
            Some(a) => filter.author_id = Some(a.id),
            None => matches_nothing = true,
        }
    }
    let (items, total) = if matches_nothing {
        (Vec::new(), 0)
    } else {
        let total = state.count_public(&filter).await?;
        let items = store
            .public_articles(&filter, PageRequest::new(q.page, q.per_page))
            .await?;
        (items, total)
    };
    let mut body = Vec::with_capacity(items.len());
    if q.include_body {
        for a in &items {
            if let Some(full) = store.public_article_by_id(a.id).await? {
                body.push(ArticleJson::full(&full));
            }
        }
    } else {
        body.extend(items.iter().map(|a| ArticleJson::new(a, None)));
    }
    let pages = page_count(total, q.per_page);
    let mut res = (
        [(header::CACHE_CONTROL, "public, max-age=30")],
        axum::Json(body),
    )
        .into_response();
    let h = res.headers_mut();
    h.insert("x-total-count", HeaderValue::from(total));
    if let Some(link) = link_header(&q, pages) {
        h.insert(header::LINK, link);
    }
    Ok(res)
}

/// An article in a related list, with why it is there.
#[derive(Serialize)]
struct RelatedJson {
    #[serde(flatten)]
    article: ArticleJson,
    why: String,
    pinned: bool,
}

/// `GET /articles/{id}/related?limit=N`: what "You May Also Like" shows (4 by
/// default, at most 20), each with a `why`.
async fn related_articles(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_param("the article id must be a whole number"))?;
    let mut limit = 4;
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if k == "limit" {
            limit = parse_positive("limit", &v, 20)?;
        }
    }
    let article = state
        .store()
        .public_article_by_id(id)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such article."))?;
    let body: Vec<RelatedJson> = state
        .related_stories(&article, limit as usize)
        .await?
        .into_iter()
        .map(|r| RelatedJson {
            article: ArticleJson::new(&r.article, None),
            why: r.why,
            pinned: r.pinned,
        })
        .collect();
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=30")],
        axum::Json(body),
    )
        .into_response())
}

async fn get_article(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiError> {
    let Ok(Path(id)) = id else {
        return Err(ApiError::bad_param("The article id is not valid."));
    };
    let id: i64 = id.parse().map_err(|_| {
        ApiError::bad_param(format!(
            "An article id is a number; got \"{}\"",
            truncate(&id)
        ))
    })?;
    // A token of someone who may edit the article sees it whatever its status, with
    // its source and ETag; everyone else sees the published page's data.
    if let Some(who) = crate::auth::from_token(&state, &headers).await?
        && let Some(a) = state.store().article(id).await?
        && (who.role().can(Capability::EditOthers) || a.owner_id == Some(who.user.id))
    {
        let mut res = (
            [(header::CACHE_CONTROL, "private, no-store")],
            axum::Json(ArticleJson::editorial(&a)),
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(&crate::api_write::etag(&a)) {
            res.headers_mut().insert(header::ETAG, v);
        }
        return Ok(res);
    }
    match state.store().public_article_by_id(id).await? {
        Some(a) => Ok((
            [(header::CACHE_CONTROL, "public, max-age=30")],
            axum::Json(ArticleJson::full(&a)),
        )
            .into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No article has the id {id}."),
        )),
    }
}

#[derive(Serialize)]
struct SectionJson {
    id: i64,
    name: String,
    slug: String,
    url: String,
    description: String,
    parent: Option<String>,
}

async fn list_sections(State(state): State<AppState>) -> Result<Response, ApiError> {
    let sections = state.store().sections().await?;
    let body: Vec<SectionJson> = sections
        .iter()
        .map(|s| SectionJson {
            id: s.id,
            name: s.name.clone(),
            url: format!("/section/{}/", encode_segment(&s.slug)),
            slug: s.slug.clone(),
            description: s.description.clone(),
            parent: s
                .parent_id
                .and_then(|p| sections.iter().find(|x| x.id == p))
                .map(|p| p.slug.clone()),
        })
        .collect();
    Ok(axum::Json(body).into_response())
}

#[derive(Serialize)]
struct NamedJson {
    id: i64,
    name: String,
    slug: String,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    bio: Option<String>,
}

async fn list_tags(State(state): State<AppState>) -> Result<Response, ApiError> {
    let body: Vec<NamedJson> = state
        .store()
        .tags()
        .await?
        .into_iter()
        .map(|t| NamedJson {
            id: t.id,
            url: format!("/tag/{}/", encode_segment(&t.slug)),
            name: t.name,
            slug: t.slug,
            bio: None,
        })
        .collect();
    Ok(axum::Json(body).into_response())
}

async fn list_authors(State(state): State<AppState>) -> Result<Response, ApiError> {
    let body: Vec<NamedJson> = state
        .store()
        .authors()
        .await?
        .into_iter()
        .map(|a| NamedJson {
            id: a.id,
            url: format!("/author/{}/", encode_segment(&a.slug)),
            name: a.name,
            slug: a.slug,
            bio: Some(a.bio),
        })
        .collect();
    Ok(axum::Json(body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_queries_are_validated() {
        assert!(parse_list_query(Some("per_page=101")).is_err());
        assert!(parse_list_query(Some("per_page=0")).is_err());
        assert!(parse_list_query(Some("page=-1")).is_err());
        assert!(parse_list_query(Some("before=yesterday")).is_err());
        assert!(parse_list_query(Some("include=comments")).is_err());
        let q = parse_list_query(Some(
            "page=2&per_page=100&after=2026-01-01&before=2026-02-01T00:00:00Z&include=body&x=y",
        ))
        .unwrap_or_default();
        assert_eq!((q.page, q.per_page, q.include_body), (2, 100, true));
        assert_eq!(
            q.after.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-01-01T00:00:00+00:00")
        );
    }
}
