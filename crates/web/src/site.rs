//! The public site: one dispatcher over the parsed route, one function per page type.

use crate::AppState;
use crate::cache::PageTags;
use crate::comments::{FormView, Reader};
use crate::error::SiteError;
use crate::route::{self, ArchiveKind, DateSpan, SiteRoute, encode_segment};
use crate::views::*;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use masthead_core::paging::{PageRequest, page_count};
use masthead_core::slug;
use masthead_store::{ArticleFilter, ArticleLookup, ArticleSummary, Page, Section, TermKind};
use serde::Serialize;
use std::sync::Arc;

/// Sections and pages for the frame around every page; reloaded when content changes.
pub(crate) struct Chrome {
    pub(crate) sections: Vec<Section>,
    pages: Vec<Page>,
    /// The curated front page (its banner shows on every page).
    front: masthead_core::front::FrontPage,
    logo: Option<crate::media::ImageView>,
}

pub async fn dispatch(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "Method not allowed.\n",
        )
            .into_response();
    }
    let result = match route::parse(uri.path()) {
        SiteRoute::Home => home(&state).await,
        SiteRoute::Archive { kind, page } => archive(&state, kind, page).await,
        SiteRoute::Article { date, slug } => {
            let reader = Reader::from_request(&state, &headers, uri.query());
            article(&state, date, &slug, &reader).await
        }
        SiteRoute::Page { slug } => static_page(&state, &slug).await,
        SiteRoute::Feed { scope, format } => {
            crate::feeds::feed(&state, scope, format, &headers).await
        }
        SiteRoute::Redirect(to) => Ok(redirect(&to, uri.query())),
        SiteRoute::NotFound => Err(SiteError::NotFound),
        SiteRoute::BadRequest(why) => Err(SiteError::BadRequest(why)),
    };
    match result {
        Ok(r) => r,
        Err(e) => error_page(&state, e).await,
    }
}

pub(crate) async fn not_found(state: &AppState) -> Response {
    error_page(state, SiteError::NotFound).await
}

fn redirect(to: &str, query: Option<&str>) -> Response {
    let target = match query {
        Some(q) if !q.is_empty() => format!("{to}?{q}"),
        _ => to.to_owned(),
    };
    match HeaderValue::from_str(&target) {
        Ok(v) => (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, v)]).into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// Percent-encodes each segment of a path we made from stored slugs.
pub(crate) fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for seg in path.split('/') {
        if !seg.is_empty() {
            out.push('/');
            out.push_str(&encode_segment(seg));
        }
    }
    out.push('/');
    out
}

/// A page. Browsers ask again each time (`no-cache`) and get a 304 from the page
/// cache when nothing changed: a reader who just commented, or whose comment was just
/// approved, must not be shown their browser's older copy.
pub(crate) fn html(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, crate::edge::PUBLIC_PAGE),
        ],
        body,
    )
        .into_response()
}

/// A page that shows these articles' comments or comment counts: the page cache drops
/// it when they change.
fn tagged(mut res: Response, tags: PageTags) -> Response {
    res.extensions_mut().insert(tags);
    res
}

pub(crate) async fn chrome(state: &AppState) -> Result<Arc<Chrome>, SiteError> {
    let generation = state.generation();
    if let Some(c) = state.0.chrome.get(generation, &()) {
        return Ok(c);
    }
    let fresh = Arc::new(Chrome {
        sections: state.store().sections().await?,
        pages: state.store().public_pages().await?,
        front: crate::front::load(state).await?,
        logo: match state.settings().logo {
            Some(id) => state
                .store()
                .media(id)
                .await?
                .and_then(|r| crate::media::ImageView::of(&r, 400)),
            None => None,
        },
    });
    state.0.chrome.insert(generation, (), fresh.clone());
    Ok(fresh)
}

/// When the breaking-news banner every page shows comes down, if one is up: a page
/// kept in the cache goes stale then, whether or not the scheduler has taken it down yet.
pub(crate) async fn banner_expiry(state: &AppState) -> Option<chrono::DateTime<chrono::Utc>> {
    let chrome = chrome(state).await.ok()?;
    chrome.front.live_banner(state.now()).map(|b| b.expires_at)
}

#[derive(Serialize)]
struct Frame<'a, T: Serialize> {
    site: SiteView,
    meta: MetaView,
    #[serde(flatten)]
    body: &'a T,
}

pub(crate) async fn render<T: Serialize>(
    state: &AppState,
    template: &str,
    current: &str,
    meta: MetaView,
    body: &T,
) -> Result<String, SiteError> {
    let chrome = chrome(state).await?;
    let frame = Frame {
        site: SiteView {
            logo: chrome.logo.clone(),
            ..SiteView::new(
                state,
                &chrome.sections,
                &chrome.pages,
                &chrome.front,
                current,
            )
        },
        meta,
        body,
    };
    Ok(state.0.theme.render(template, &frame)?)
}

pub(crate) async fn error_page(state: &AppState, e: SiteError) -> Response {
    let (status, title, message) = match &e {
        SiteError::NotFound => (
            StatusCode::NOT_FOUND,
            "Page not found",
            "We could not find that page. It may have moved, or the address may be mistyped.",
        ),
        SiteError::Gone => (
            StatusCode::GONE,
            "Story withdrawn",
            "This story is no longer available: the newsroom has withdrawn it.",
        ),
        SiteError::BadRequest(why) => (StatusCode::BAD_REQUEST, "Bad request", *why),
        SiteError::CommentsClosed => (
            StatusCode::FORBIDDEN,
            "Comments are closed",
            "Comments are closed.",
        ),
        SiteError::TooMany(why) => (StatusCode::TOO_MANY_REQUESTS, "Slow down", *why),
        SiteError::Internal(detail) => {
            tracing::error!("request failed: {detail}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The page could not be shown just now. Please try again in a moment.",
            )
        }
    };
    themed_error(state, status, title, message).await
}

/// The themed error page with `status`, `title` and `message` (`no-store`).
pub(crate) async fn themed_error(
    state: &AppState,
    status: StatusCode,
    title: &str,
    message: &str,
) -> Response {
    #[derive(Serialize)]
    struct ErrorBody<'a> {
        status: u16,
        title: &'a str,
        message: &'a str,
    }
    let body = ErrorBody {
        status: status.as_u16(),
        title,
        message,
    };
    let meta = MetaView {
        title: Some(title.to_owned()),
        noindex: true,
        ..Default::default()
    };
    let page = match render(state, "error.html", "", meta, &body).await {
        Ok(page) => page,
        Err(_) => format!("{title}\n"),
    };
    let mut res = html(page);
    *res.status_mut() = status;
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn home(state: &AppState) -> Result<Response, SiteError> {
    let store = state.store();
    let settings = state.settings();
    let settings = &*settings;
    let chrome = chrome(state).await?;
    let front = &chrome.front;
    // The editors' lead and featured stories, while they are published; otherwise the
    // newest stories marked featured lead, and the newest of all after them.
    let mut picked = Vec::new();
    for id in front.lead.iter().chain(&front.featured) {
        if let Some(a) = store.public_article_by_id(*id).await?
            && !picked.iter().any(|p: &ArticleSummary| p.id == a.summary.id)
        {
            picked.push(a.summary);
        }
    }
    if front.lead.is_none() || picked.is_empty() {
        let featured = ArticleFilter {
            featured: Some(true),
            exclude_ids: picked.iter().map(|a| a.id).collect(),
            ..Default::default()
        };
        let newest_featured = store
            .public_articles(&featured, PageRequest::new(1, 1))
            .await?;
        picked.splice(0..0, newest_featured);
    }
    if picked.is_empty() {
        picked = store
            .public_articles(&ArticleFilter::default(), PageRequest::new(1, 1))
            .await?;
    }
    let mut picked = picked.into_iter();
    let lead = picked.next();
    let featured: Vec<ArticleSummary> = picked.collect();
    // No story appears twice on the front page: each block skips what is already shown.
    let mut shown: Vec<i64> = lead.iter().chain(&featured).map(|a| a.id).collect();
    let latest_filter = ArticleFilter {
        exclude_ids: shown.clone(),
        ..Default::default()
    };
    let latest = store
        .public_articles(&latest_filter, PageRequest::new(1, 8))
        .await?;
    let total = state.count_public(&latest_filter).await?;
    shown.extend(latest.iter().map(|a| a.id));
    let mut section_blocks = Vec::new();
    // The editors' order of section blocks, or the site's own.
    let blocks: Vec<&Section> = if front.sections.is_empty() {
        chrome
            .sections
            .iter()
            .filter(|s| s.parent_id.is_none())
            .take(settings.home_sections)
            .collect()
    } else {
        front
            .sections
            .iter()
            .filter_map(|slug| chrome.sections.iter().find(|s| &s.slug == slug))
            .collect()
    };
    for s in blocks {
        let family = store.section_with_descendants(s.id).await?;
        let filter = ArticleFilter {
            section_ids: family,
            exclude_ids: shown.clone(),
            ..Default::default()
        };
        let articles = store
            .public_articles(&filter, PageRequest::new(1, 4))
            .await?;
        shown.extend(articles.iter().map(|a| a.id));
        if !articles.is_empty() {
            section_blocks.push(SectionBlock {
                section: LinkView {
                    name: s.name.clone(),
                    slug: s.slug.clone(),
                    url: format!("/section/{}/", encode_segment(&s.slug)),
                },
                articles: articles
                    .iter()
                    .map(|a| CardView::new(a, settings))
                    .collect(),
            });
        }
    }
    #[derive(Serialize)]
    struct HomeBody {
        lead: Option<CardView>,
        featured: Vec<CardView>,
        latest: Vec<CardView>,
        more_url: Option<String>,
        section_blocks: Vec<SectionBlock>,
    }
    let body = HomeBody {
        lead: lead.as_ref().map(|a| CardView::new(a, settings)),
        featured: featured
            .iter()
            .map(|a| CardView::new(a, settings))
            .collect(),
        more_url: (total > latest.len() as i64).then(|| "/page/2/".to_owned()),
        latest: latest.iter().map(|a| CardView::new(a, settings)).collect(),
        section_blocks,
    };
    let meta = crate::seo::with_url(
        state,
        MetaView {
            description: (!settings.tagline.is_empty()).then(|| settings.tagline.clone()),
            canonical: Some("/".to_owned()),
            ..Default::default()
        },
    );
    Ok(tagged(
        html(render(state, "home.html", "home", meta, &body).await?),
        PageTags {
            articles: shown,
            fresh_until: None,
        },
    ))
}

async fn archive(state: &AppState, kind: ArchiveKind, page: u32) -> Result<Response, SiteError> {
    let store = state.store();
    let settings = state.settings();
    let settings = &*settings;
    let mut filter = ArticleFilter::default();
    let mut current = String::new();
    let (label, title, description, base) = match &kind {
        ArchiveKind::Latest => (None, "Latest stories".to_owned(), None, "/".to_owned()),
        ArchiveKind::Section(slug) => {
            let Some(s) = store.section_by_slug(slug).await? else {
                return moved_term(state, TermKind::Section, slug, page).await;
            };
            filter.section_ids = store.section_with_descendants(s.id).await?;
            current = top_level_slug(&*chrome(state).await?, &s);
            let description = (!s.description.is_empty()).then(|| s.description.clone());
            (
                Some("Section".to_owned()),
                s.name,
                description,
                format!("/section/{}/", encode_segment(slug)),
            )
        }
        ArchiveKind::Tag(slug) => {
            let Some(t) = store.tag_by_slug(slug).await? else {
                return moved_term(state, TermKind::Tag, slug, page).await;
            };
            filter.tag_id = Some(t.id);
            (
                Some("Tag".to_owned()),
                t.name,
                None,
                format!("/tag/{}/", encode_segment(slug)),
            )
        }
        ArchiveKind::Author(slug) => {
            let a = store
                .author_by_slug(slug)
                .await?
                .ok_or(SiteError::NotFound)?;
            filter.author_id = Some(a.id);
            let description = (!a.bio.is_empty()).then(|| a.bio.clone());
            (
                Some("Stories by".to_owned()),
                a.name,
                description,
                format!("/author/{}/", encode_segment(slug)),
            )
        }
        ArchiveKind::Date(span) => {
            let (from, until, title, base) = date_span(*span).ok_or(SiteError::NotFound)?;
            filter.date_from = Some(from);
            filter.date_until = Some(until);
            (Some("Archive".to_owned()), title, None, base)
        }
    };
    let req = PageRequest::new(page, settings.per_page);
    let total = state.count_public(&filter).await?;
    let articles = if total == 0 {
        Vec::new()
    } else {
        store.public_articles(&filter, req).await?
    };
    let pages = page_count(total, settings.per_page);
    let empty_date_archive = matches!(kind, ArchiveKind::Date(_)) && total == 0;
    if page > pages || empty_date_archive {
        return Err(SiteError::NotFound);
    }
    let paging = PagingView::new(&base, page, pages);
    let is_thin_tag = matches!(kind, ArchiveKind::Tag(_)) && total < 2;
    let page_title = if page > 1 {
        format!("{title} (page {page})")
    } else {
        title.clone()
    };
    let meta = MetaView {
        title: Some(page_title),
        description: description.clone(),
        canonical: Some(if page > 1 {
            format!("{base}page/{page}/")
        } else {
            base.clone()
        }),
        noindex: is_thin_tag,
        prev: paging.prev.clone(),
        next: paging.next.clone(),
        feeds: if matches!(
            kind,
            ArchiveKind::Section(_) | ArchiveKind::Tag(_) | ArchiveKind::Author(_)
        ) {
            crate::seo::archive_feeds(&title, &base)
        } else {
            Vec::new()
        },
        ..Default::default()
    };
    let meta = crate::seo::with_url(state, meta);
    #[derive(Serialize)]
    struct ArchiveBody {
        archive: ArchiveView,
        articles: Vec<CardView>,
        paging: PagingView,
    }
    let shown: Vec<i64> = articles.iter().map(|a| a.id).collect();
    let body = ArchiveBody {
        archive: ArchiveView {
            label,
            title,
            description,
            total,
            page,
            page_count: pages,
        },
        articles: articles
            .iter()
            .map(|a| CardView::new(a, settings))
            .collect(),
        paging,
    };
    Ok(tagged(
        html(render(state, "archive.html", &current, meta, &body).await?),
        PageTags {
            articles: shown,
            fresh_until: None,
        },
    ))
}

/// Where a section or tag that no longer has `slug` lives now (`/section/new/`), or
/// not found when no term took its articles.
pub(crate) async fn renamed_term_path(
    state: &AppState,
    kind: TermKind,
    slug: &str,
) -> Result<String, SiteError> {
    let current = state
        .store()
        .renamed_term(kind, slug)
        .await?
        .ok_or(SiteError::NotFound)?;
    let word = match kind {
        TermKind::Section => "section",
        TermKind::Tag => "tag",
    };
    Ok(format!("/{word}/{}/", encode_segment(&current)))
}

/// A section or tag archive whose slug no term has now: 301 to the same page under the
/// slug of the term its articles went to (renamed, merged, or deleted with its articles
/// moved), or 404 when there is none.
async fn moved_term(
    state: &AppState,
    kind: TermKind,
    slug: &str,
    page: u32,
) -> Result<Response, SiteError> {
    let mut to = renamed_term_path(state, kind, slug).await?;
    if page > 1 {
        to.push_str(&format!("page/{page}/"));
    }
    Ok(redirect(&to, None))
}

/// The top-level section a section belongs to, for highlighting the navigation.
fn top_level_slug(chrome: &Chrome, s: &Section) -> String {
    let mut cur = s;
    for _ in 0..16 {
        match cur
            .parent_id
            .and_then(|p| chrome.sections.iter().find(|x| x.id == p))
        {
            Some(parent) => cur = parent,
            None => break,
        }
    }
    cur.slug.clone()
}

/// First day, day after the last, title and base path of a date archive.
fn date_span(span: DateSpan) -> Option<(NaiveDate, NaiveDate, String, String)> {
    match span {
        DateSpan::Year(y) => Some((
            NaiveDate::from_ymd_opt(y, 1, 1)?,
            NaiveDate::from_ymd_opt(y + 1, 1, 1)?,
            y.to_string(),
            format!("/{y:04}/"),
        )),
        DateSpan::Month(y, m) => {
            let from = NaiveDate::from_ymd_opt(y, m, 1)?;
            let until = if m == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(y, m + 1, 1)?
            };
            Some((
                from,
                until,
                from.format("%B %Y").to_string(),
                format!("/{y:04}/{m:02}/"),
            ))
        }
        DateSpan::Day(d) => Some((
            d,
            d.succ_opt()?,
            d.format("%-d %B %Y").to_string(),
            d.format("/%Y/%m/%d/").to_string(),
        )),
    }
}

async fn article(
    state: &AppState,
    date: NaiveDate,
    slug: &str,
    reader: &Reader,
) -> Result<Response, SiteError> {
    let store = state.store();
    let found = match store.public_article_at(date, slug).await? {
        ArticleLookup::Found(a) => a,
        ArticleLookup::Moved(path) => return Ok(redirect(&encode_path(&path), None)),
        ArticleLookup::Gone => return Err(SiteError::Gone),
        ArticleLookup::NotFound => return Err(SiteError::NotFound),
    };
    let (page, tags) = article_page(state, found, false, reader, None).await?;
    let mut res = tagged(html(page), tags);
    if reader.saved.is_some() || !reader.pending.is_empty() {
        // This reader's own page (their name in the form, their held comment).
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    Ok(res)
}

/// The article again after a refused comment: the refusal's status, the reader's
/// words kept in the form with the errors next to their fields.
pub(crate) async fn article_with_form(
    state: &AppState,
    found: masthead_store::Article,
    reader: &Reader,
    typed: FormView,
    status: StatusCode,
) -> Response {
    match article_page(state, Box::new(found), false, reader, Some(typed)).await {
        Ok((page, _)) => {
            let mut res = html(page);
            *res.status_mut() = status;
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            res
        }
        Err(e) => error_page(state, e).await,
    }
}

/// An error as a page, for handlers outside this module.
pub(crate) async fn error_response(state: &AppState, e: SiteError) -> Response {
    error_page(state, e).await
}

/// `GET /preview/{secret}`: an unpublished article for someone holding a live preview
/// link. Never cached, never indexed, and marked as a preview on the page.
pub async fn preview(State(state): State<AppState>, Path(secret): Path<String>) -> Response {
    let found = match state
        .store()
        .article_for_preview(&crate::auth::hash_secret(&secret))
        .await
    {
        Ok(Some(a)) => a,
        Ok(None) => return error_page(&state, SiteError::NotFound).await,
        Err(e) => return error_page(&state, e.into()).await,
    };
    match article_page(&state, Box::new(found), true, &Reader::default(), None).await {
        Ok((page, _)) => {
            let mut res = html(page);
            let h = res.headers_mut();
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            h.insert(
                "x-robots-tag",
                HeaderValue::from_static("noindex, nofollow"),
            );
            h.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            res
        }
        Err(e) => error_page(&state, e).await,
    }
}

/// An article's page; a `preview` is marked as one and kept out of search engines.
async fn article_page(
    state: &AppState,
    found: Box<masthead_store::Article>,
    preview: bool,
    reader: &Reader,
    typed: Option<FormView>,
) -> Result<(String, PageTags), SiteError> {
    let store = state.store();
    let settings = state.settings();
    let settings = &*settings;
    let chrome = chrome(state).await?;
    let section = chrome
        .sections
        .iter()
        .find(|s| s.slug == found.summary.section.slug);
    let related = related(state, &found).await?;
    let current = section
        .map(|s| top_level_slug(&chrome, s))
        .unwrap_or_default();
    // The editor's search title and description win over the headline and standfirst;
    // a syndicated copy points search engines at the original.
    let meta = MetaView {
        title: Some(
            found
                .seo_title
                .clone()
                .unwrap_or_else(|| found.summary.title.clone()),
        ),
        description: Some(
            found
                .seo_description
                .clone()
                .or_else(|| found.summary.dek.clone())
                .unwrap_or_else(|| found.summary.excerpt.clone()),
        ),
        canonical: found.canonical_url.clone(),
        noindex: found.noindex || preview,
        ..Default::default()
    };
    let corrections = if found.has_corrections {
        store.corrections(found.summary.id).await?
    } else {
        Vec::new()
    };
    let record = match found.featured_media_id {
        Some(id) => store.media(id).await?,
        None => None,
    };
    // The story column is about 720 px wide at most.
    let image = record
        .as_ref()
        .and_then(|r| crate::media::ImageView::of(r, 720));
    let meta = crate::seo::article_meta(
        state,
        &found,
        record.as_ref(),
        chrome.logo.as_ref().map(|l| l.src.as_str()),
        meta,
    );
    let (comments, tags) = crate::comments::view(state, &found, reader, typed).await?;
    let mut view = ArticleView::new(*found, &corrections, settings);
    view.image = image;
    let meta = MetaView {
        canonical: meta
            .canonical
            .clone()
            .or_else(|| Some(view.card.url.clone())),
        ..meta
    };
    #[derive(Serialize)]
    struct ArticleBody {
        article: ArticleView,
        related: Vec<CardView>,
        preview: bool,
        comments: crate::comments::CommentsView,
    }
    let body = ArticleBody {
        article: view,
        related: related.iter().map(|a| CardView::new(a, settings)).collect(),
        preview,
        comments,
    };
    Ok((
        render(state, "article.html", &current, meta, &body).await?,
        tags,
    ))
}

/// "You May Also Like": worked out once per content generation for each article.
async fn related(
    state: &AppState,
    article: &masthead_store::Article,
) -> Result<Arc<Vec<ArticleSummary>>, SiteError> {
    let generation = state.generation();
    if let Some(r) = state.0.related.get(generation, &article.summary.id) {
        return Ok(r);
    }
    let related: Vec<ArticleSummary> = state
        .related_stories(article, 4)
        .await?
        .into_iter()
        .map(|r| r.article)
        .collect();
    let related = Arc::new(related);
    state
        .0
        .related
        .insert(generation, article.summary.id, related.clone());
    Ok(related)
}

async fn static_page(state: &AppState, page_slug: &str) -> Result<Response, SiteError> {
    if slug::is_reserved(page_slug) {
        return Err(SiteError::NotFound);
    }
    let page = state
        .store()
        .public_page(page_slug)
        .await?
        .ok_or(SiteError::NotFound)?;
    let meta = crate::seo::with_url(
        state,
        MetaView {
            title: Some(page.title.clone()),
            canonical: Some(format!("/{}/", encode_segment(&page.slug))),
            ..Default::default()
        },
    );
    #[derive(Serialize)]
    struct PageBody {
        page: Page,
    }
    Ok(html(
        render(state, "page.html", "", meta, &PageBody { page }).await?,
    ))
}
