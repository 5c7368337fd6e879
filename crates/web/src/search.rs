//! `/search` and `GET /api/v1/search`: one way from what a reader typed to a page of
//! public articles. The query language is `masthead_search::Query`; the form's own
//! fields (section, author, tag, dates, order) are added to what was typed.

use crate::AppState;
use crate::api::{ApiError, ArticleJson};
use crate::error::SiteError;
use crate::views::{CardView, MetaView, PagingView};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, TimeZone};
use masthead_core::paging::page_count;
use masthead_search::{Query, SearchRequest, SearchResults, Sort};
use masthead_store::ArticleSummary;
use serde::Serialize;

/// The deepest page anyone is shown (relevance past it means nothing).
const MAX_PAGE: u32 = 100;

/// What the search form and the API accept.
#[derive(Debug, Default, Clone)]
struct Params {
    q: String,
    section: String,
    tag: String,
    author: String,
    from: String,
    to: String,
    sort: Sort,
    page: u32,
    per_page: Option<u32>,
    /// Problems with the form's fields, said on the page.
    notes: Vec<String>,
}

impl Params {
    fn parse(raw: Option<&str>) -> Self {
        let mut p = Params {
            page: 1,
            ..Default::default()
        };
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let v = v.trim().to_owned();
            match k.as_ref() {
                "q" | "s" => p.q = v,
                "section" => p.section = v,
                "tag" => p.tag = v,
                "author" => p.author = v,
                "from" | "after" => p.from = v,
                "to" | "before" => p.to = v,
                "sort" => {
                    p.sort = match v.as_str() {
                        "newest" | "date" => Sort::Newest,
                        "" | "relevance" => Sort::Relevance,
                        _ => {
                            p.notes.push(
                                "Results can be sorted by relevance or newest first.".to_owned(),
                            );
                            Sort::Relevance
                        }
                    }
                }
                "page" => match v.parse::<u32>() {
                    Ok(n) if n >= 1 => p.page = n.min(MAX_PAGE),
                    _ => p
                        .notes
                        .push("That page number was not understood.".to_owned()),
                },
                "per_page" => p.per_page = v.parse().ok().filter(|n| (1..=50).contains(n)),
                _ => {}
            }
        }
        p
    }

    /// The typed query with the form's fields added.
    fn query(&mut self) -> Query {
        let mut q = Query::parse(&self.q);
        for (field, into) in [
            (&self.section, &mut q.sections),
            (&self.tag, &mut q.tags),
            (&self.author, &mut q.authors),
        ] {
            let slug = masthead_search::query::slugify(field);
            if !slug.is_empty() && !into.contains(&slug) {
                into.push(slug);
            }
        }
        for (field, name, into) in [
            (&self.from, "From", &mut q.after),
            (&self.to, "To", &mut q.before),
        ] {
            if field.is_empty() {
                continue;
            }
            match NaiveDate::parse_from_str(field, "%Y-%m-%d") {
                Ok(d) if name == "To" => *into = d.succ_opt(),
                Ok(d) => *into = Some(d),
                Err(_) => self.notes.push(format!(
                    "“{name}” was ignored: give a date like 2026-11-28."
                )),
            }
        }
        q
    }

    /// This search's address with another page number.
    fn url(&self, page: u32) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("section", &self.section),
            ("tag", &self.tag),
            ("author", &self.author),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.is_empty() {
                ser.append_pair(k, v);
            }
        }
        if self.sort == Sort::Newest {
            ser.append_pair("sort", "newest");
        }
        if page > 1 {
            ser.append_pair("page", &page.to_string());
        }
        format!("/search?{}", ser.finish())
    }
}

/// What a search found, ready to show.
struct Found {
    results: SearchResults,
    articles: Vec<(ArticleSummary, String, String)>,
    query: Query,
}

enum Outcome {
    /// Nothing to search for.
    Empty(Query),
    Found(Box<Found>),
    /// Over the per-client limit.
    Limited,
}

/// Runs a search for a client, with its section filters widened to subsections and
/// its dates read in the site's timezone; counts it if it found nothing.
async fn run(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
    p: &mut Params,
    per_page: u32,
) -> Result<Outcome, SiteError> {
    let mut query = p.query();
    if query.is_empty() {
        return Ok(Outcome::Empty(query));
    }
    let settings = state.settings();
    let client = crate::client::address(peer, headers, &settings.trusted_proxies);
    let minute = state.now().timestamp().div_euclid(60);
    if !state
        .discovery()
        .allow_search(&client, minute, settings.searches_per_minute)
    {
        return Ok(Outcome::Limited);
    }
    if !query.sections.is_empty() {
        query.sections = with_subsections(state, &query.sections).await?;
    }
    state.discovery_fresh().await;
    let tz = settings.timezone;
    let instant = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|t| t.timestamp())
    };
    let req = SearchRequest {
        published_from: query.after.and_then(instant),
        published_before: query.before.and_then(instant),
        sort: p.sort,
        offset: ((p.page - 1) * per_page) as usize,
        limit: per_page as usize,
        snippets: true,
        query: query.clone(),
    };
    let index = state.discovery().index();
    let results = tokio::task::spawn_blocking(move || index.search(&req))
        .await
        .map_err(|e| SiteError::Internal(e.to_string()))?
        .map_err(|e| SiteError::Internal(e.to_string()))?;
    // Only public articles are shown, whatever the index holds.
    let ids: Vec<i64> = results.hits.iter().map(|h| h.id).collect();
    let summaries = state.store().public_summaries(&ids).await?;
    let articles = summaries
        .into_iter()
        .filter_map(|a| {
            let h = results.hits.iter().find(|h| h.id == a.id)?;
            let (title, snippet) = (h.title_html.clone(), h.snippet_html.clone());
            Some((a, title, snippet))
        })
        .collect();
    if results.total == 0 && query.has_text() && state.discovery().complete() {
        state.store().record_search_miss(&p.q).await?;
    }
    Ok(Outcome::Found(Box::new(Found {
        results,
        articles,
        query,
    })))
}

/// Section slugs with their subsections' (a search in "Sport" finds "Football").
async fn with_subsections(state: &AppState, slugs: &[String]) -> Result<Vec<String>, SiteError> {
    let chrome = crate::site::chrome(state).await?;
    let all = &chrome.sections;
    let mut out: Vec<String> = slugs.to_vec();
    let mut i = 0;
    while i < out.len() {
        if let Some(parent) = all.iter().find(|s| s.slug == out[i]) {
            for child in all.iter().filter(|s| s.parent_id == Some(parent.id)) {
                if !out.contains(&child.slug) {
                    out.push(child.slug.clone());
                }
            }
        }
        i += 1;
    }
    Ok(out)
}

#[derive(Serialize)]
struct ResultView {
    card: CardView,
    title_html: String,
    snippet_html: String,
}

#[derive(Serialize)]
struct SearchPage {
    q: String,
    section: String,
    author: String,
    sort: &'static str,
    from: String,
    to: String,
    sections: Vec<(String, String)>,
    searched: bool,
    total: usize,
    page: u32,
    page_count: u32,
    results: Vec<ResultView>,
    suggestion: Option<(String, String)>,
    relaxed: bool,
    notes: Vec<String>,
    rebuilding: bool,
    paging: PagingView,
}

/// `GET /search`: the form, and what it found.
pub(crate) async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    request: axum::extract::Request,
) -> Response {
    let peer = crate::client::peer(request.extensions());
    match page_inner(&state, &headers, peer, raw.as_deref()).await {
        Ok(r) => r,
        Err(e) => crate::site::error_page(&state, e).await,
    }
}

async fn page_inner(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
    raw: Option<&str>,
) -> Result<Response, SiteError> {
    let settings = state.settings();
    let mut p = Params::parse(raw);
    let per_page = settings.per_page;
    let outcome = run(state, headers, peer, &mut p, per_page).await?;
    let (query, found) = match outcome {
        Outcome::Limited => return Ok(limited_page(state).await),
        Outcome::Empty(q) => (q, None),
        Outcome::Found(f) => (f.query.clone(), Some(*f)),
    };
    let chrome = crate::site::chrome(state).await?;
    let mut notes = query.notes.clone();
    notes.append(&mut p.notes);
    let (total, results, suggestion, relaxed) = match &found {
        None => (0, Vec::new(), None, false),
        Some(f) => (
            f.results.total,
            f.articles
                .iter()
                .map(|(a, t, s)| ResultView {
                    card: CardView::new(a, &settings),
                    title_html: t.clone(),
                    snippet_html: s.clone(),
                })
                .collect(),
            f.results.suggestion.as_ref().map(|s| {
                let text = s.to_string();
                let mut again = p.clone();
                again.q = text.clone();
                (text, again.url(1))
            }),
            f.results.relaxed,
        ),
    };
    let pages = page_count(total as i64, per_page).min(MAX_PAGE);
    let view = SearchPage {
        q: p.q.clone(),
        section: p.section.clone(),
        author: p.author.clone(),
        sort: if p.sort == Sort::Newest {
            "newest"
        } else {
            "relevance"
        },
        from: p.from.clone(),
        to: p.to.clone(),
        sections: chrome
            .sections
            .iter()
            .map(|s| (s.slug.clone(), s.name.clone()))
            .collect(),
        searched: found.is_some(),
        total,
        page: p.page,
        page_count: pages,
        results,
        suggestion,
        relaxed,
        notes,
        rebuilding: !state.discovery().complete(),
        paging: PagingView::with_urls(p.page, pages, |n| p.url(n)),
    };
    let title = if p.q.is_empty() {
        "Search".to_owned()
    } else {
        format!("Search: {}", p.q.chars().take(80).collect::<String>())
    };
    let meta = MetaView {
        title: Some(title),
        noindex: true,
        ..Default::default()
    };
    let body = crate::site::render(state, "search.html", "search", meta, &view).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-cache"),
            (
                header::HeaderName::from_static("x-robots-tag"),
                "noindex, follow",
            ),
        ],
        body,
    )
        .into_response())
}

async fn limited_page(state: &AppState) -> Response {
    let mut res = crate::site::error_page(
        state,
        SiteError::TooMany(
            "You have searched a lot in the last minute. Please wait a moment and try again.",
        ),
    )
    .await;
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    res
}

/// An article as the API lists it, with the passage that matched.
#[derive(Serialize)]
struct SearchJson {
    #[serde(flatten)]
    article: ArticleJson,
    /// The title with the matched words in `<mark>` (escaped HTML).
    title_html: String,
    /// A passage of the body with the matched words in `<mark>` (escaped HTML).
    snippet: String,
}

/// `GET /api/v1/search?q=`: article objects as `/articles` lists them, each with a
/// `snippet`, and `X-Total-Count`.
pub(crate) async fn api(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let peer = crate::client::peer(request.extensions());
    let mut p = Params::parse(raw.as_deref());
    if let Some(note) = p.notes.first() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_parameter",
            note.clone(),
        ));
    }
    let per_page = p.per_page.unwrap_or(10);
    let outcome = run(&state, &headers, peer, &mut p, per_page)
        .await
        .map_err(|e| match e {
            SiteError::Internal(m) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", m)
            }
            _ => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", "The search failed."),
        })?;
    let found = match outcome {
        Outcome::Limited => {
            let mut res = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many searches from this address; wait a minute.",
            )
            .into_response();
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            return Ok(res);
        }
        Outcome::Empty(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "empty_query",
                "Give `q`: words, \"a phrase\", -excluded, section:, tag:, author:, after:YYYY-MM-DD or before:YYYY-MM-DD.",
            ));
        }
        Outcome::Found(f) => f,
    };
    let body: Vec<SearchJson> = found
        .articles
        .iter()
        .map(|(a, t, s)| SearchJson {
            article: ArticleJson::new(a, None),
            title_html: t.clone(),
            snippet: s.clone(),
        })
        .collect();
    let mut res = (
        [(header::CACHE_CONTROL, "private, no-cache")],
        axum::Json(body),
    )
        .into_response();
    let h = res.headers_mut();
    h.insert("x-total-count", HeaderValue::from(found.results.total));
    if let Some(s) = &found.results.suggestion
        && let Ok(v) = HeaderValue::from_str(
            &form_urlencoded::byte_serialize(s.to_string().as_bytes()).collect::<String>(),
        )
    {
        h.insert("x-did-you-mean", v);
    }
    Ok(res)
}
