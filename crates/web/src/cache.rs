//! The rendered-page cache: a successful HTML page is kept in memory, with a gzipped
//! copy, until the content changes. "Changes" means this process committed a write or
//! the change log moved (another process wrote): then the whole cache is dropped, so a
//! reader never sees a page older than the change that touched it.
//!
//! Comments are the exception, because they arrive all day: a page says which
//! articles' comments it shows ([`PageTags`]), and a comment change drops only those
//! pages. A page may also say until when it is true (comments close at a set time);
//! after that it is rendered again.

use crate::{AppState, Generation};
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// Pages larger than this are served but not kept.
const MAX_PAGE_BYTES: usize = 4 << 20;
/// When the cache holds this many pages it starts over, so crawling every archive page
/// cannot grow memory without bound.
const MAX_ENTRIES: usize = 20_000;

/// What a rendered page depends on besides the content generation, attached by its
/// handler as a response extension.
#[derive(Debug, Clone, Default)]
pub(crate) struct PageTags {
    /// Articles whose comments (or comment counts) the page shows.
    pub articles: Vec<i64>,
    /// The page is right until then (by the store's clock), e.g. when comments close.
    pub fresh_until: Option<DateTime<Utc>>,
}

struct CachedPage {
    tags: PageTags,
    body: Bytes,
    gzip: Option<Bytes>,
    etag: HeaderValue,
    /// Everything a plain answer carries (type, ETag, Vary, security headers), ready.
    headers: HeaderMap,
    /// The same plus `Content-Encoding: gzip`.
    gzip_headers: HeaderMap,
}

#[derive(Default)]
struct Entries {
    generation: Generation,
    pages: HashMap<String, Arc<CachedPage>>,
    /// Which pages show each article's comments.
    by_article: HashMap<i64, Vec<String>>,
}

impl Entries {
    fn clear(&mut self) {
        self.pages.clear();
        self.by_article.clear();
    }
}

/// See the module documentation.
pub struct PageCache {
    enabled: bool,
    entries: RwLock<Entries>,
    /// Counts comment invalidations, so a page rendered while one happened is not kept
    /// (it may show the comments as they were).
    dropped: AtomicU64,
    /// Pages being rendered, by generation and path: after a change drops the cache,
    /// the many readers of a popular page wait for one render instead of each sending
    /// the same queries to the database. The receiver wakes when the render's sender
    /// is dropped.
    rendering: Mutex<HashMap<(Generation, String), tokio::sync::watch::Receiver<()>>>,
    /// Hits, renders and waits on another request's render, for `/metrics`.
    pub(crate) stats: CacheStats,
}

/// How the cache has done since start.
#[derive(Debug, Default)]
pub(crate) struct CacheStats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub coalesced: AtomicU64,
}

/// Held by the request rendering a page; dropping it (done, failed or cancelled) wakes
/// the requests waiting for that page.
struct Rendering<'a> {
    cache: &'a PageCache,
    key: (Generation, String),
    _done: tokio::sync::watch::Sender<()>,
}

impl Drop for Rendering<'_> {
    fn drop(&mut self) {
        if let Ok(mut r) = self.cache.rendering.lock() {
            r.remove(&self.key);
        }
    }
}

/// What a request missing the cache does: render (and let others wait for it), or
/// wait for the render already under way.
enum Miss<'a> {
    Render(Rendering<'a>),
    Wait(tokio::sync::watch::Receiver<()>),
}

impl PageCache {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            entries: RwLock::new(Entries::default()),
            dropped: AtomicU64::new(0),
            rendering: Mutex::new(HashMap::new()),
            stats: CacheStats::default(),
        }
    }

    /// Joins the render of `key` under way, or becomes it.
    fn miss(&self, generation: Generation, key: &str) -> Miss<'_> {
        let key = (generation, key.to_owned());
        let mut rendering = match self.rendering.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(rx) = rendering.get(&key) {
            return Miss::Wait(rx.clone());
        }
        let (tx, rx) = tokio::sync::watch::channel(());
        rendering.insert(key.clone(), rx);
        Miss::Render(Rendering {
            cache: self,
            key,
            _done: tx,
        })
    }

    fn get(
        &self,
        generation: Generation,
        key: &str,
        now: DateTime<Utc>,
    ) -> Option<Arc<CachedPage>> {
        let entries = self.entries.read().ok()?;
        if entries.generation != generation {
            return None;
        }
        entries
            .pages
            .get(key)
            .filter(|p| p.tags.fresh_until.is_none_or(|t| now < t))
            .cloned()
    }

    /// Drops the pages that show these articles' comments; everything else stays.
    pub(crate) fn drop_articles(&self, articles: &[i64]) {
        self.dropped.fetch_add(1, Ordering::AcqRel);
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        for a in articles {
            for key in entries.by_article.remove(a).unwrap_or_default() {
                entries.pages.remove(&key);
            }
        }
    }

    fn put(&self, generation: Generation, key: String, page: Arc<CachedPage>) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if entries.generation != generation {
            // Content changed: everything rendered before is stale.
            entries.clear();
            entries.generation = generation;
        }
        if entries.pages.len() >= MAX_ENTRIES {
            entries.clear();
        }
        for a in &page.tags.articles {
            entries.by_article.entry(*a).or_default().push(key.clone());
        }
        entries.pages.insert(key, page);
    }

    /// Whether a page for `path` would be served from the cache in `generation` (for
    /// tests).
    pub(crate) fn holds(&self, generation: Generation, path: &str) -> bool {
        self.entries
            .read()
            .map(|e| e.generation == generation && e.pages.contains_key(path))
            .unwrap_or(false)
    }

    /// How many pages are held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.pages.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|e| e.trim().starts_with("gzip") && !e.contains("q=0"))
        })
}

fn serve(page: &CachedPage, req_headers: &HeaderMap) -> Response {
    let not_modified = match req_headers.get(header::IF_NONE_MATCH) {
        Some(v) => v.as_bytes() == page.etag.as_bytes(),
        None => unmodified_since(page, req_headers),
    };
    if not_modified {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        *res.headers_mut() = page.headers.clone();
        return res;
    }
    let (body, headers) = match &page.gzip {
        Some(gz) if accepts_gzip(req_headers) => (gz.clone(), &page.gzip_headers),
        _ => (page.body.clone(), &page.headers),
    };
    let mut res = Response::new(Body::from(body));
    *res.headers_mut() = headers.clone();
    res
}

/// What the cache keeps: pages and feeds.
const CACHED_TYPES: &[&str] = &[
    "text/html",
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
];

/// The request's `If-Modified-Since` is no older than the answer's `Last-Modified`
/// (answers without one, such as pages, are never "not modified" by date).
fn unmodified_since(page: &CachedPage, req_headers: &HeaderMap) -> bool {
    let date = |h: &HeaderMap, name| {
        h.get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v.trim()).ok())
    };
    match (
        date(&page.headers, header::LAST_MODIFIED),
        date(req_headers, header::IF_MODIFIED_SINCE),
    ) {
        (Some(modified), Some(since)) => modified.timestamp() <= since.timestamp(),
        _ => false,
    }
}

fn cacheable(res: &Response) -> bool {
    let h = res.headers();
    res.status() == StatusCode::OK
        && h.get(header::CONTENT_TYPE).is_some_and(|v| {
            CACHED_TYPES
                .iter()
                .any(|t| v.as_bytes().starts_with(t.as_bytes()))
        })
        && !h.contains_key(header::SET_COOKIE)
        && !h.contains_key(header::CONTENT_ENCODING)
        && !h.get(header::CACHE_CONTROL).is_some_and(|v| {
            let v = v.as_bytes();
            v.windows(7).any(|w| w == b"private") || v.windows(8).any(|w| w == b"no-store")
        })
}

fn gzip(bytes: &[u8]) -> Option<Bytes> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3),
        flate2::Compression::default(),
    );
    enc.write_all(bytes).ok()?;
    enc.finish().ok().map(Bytes::from)
}

/// The middleware: answer from the cache, or render and remember.
pub async fn page_cache(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let cache = &state.0.cache;
    let method = req.method();
    if !cache.enabled
        || (method != Method::GET && method != Method::HEAD)
        || req.uri().query().is_some()
        || req.uri().path().starts_with("/api/")
        || req.uri().path().starts_with("/newsroom")
        || matches!(req.uri().path(), "/metrics" | "/healthz" | "/readyz")
        // Credentials make an answer someone's own, whatever its path.
        || req.headers().contains_key(header::AUTHORIZATION)
        || crate::comments::personal(req.headers())
    {
        return next.run(req).await;
    }
    let generation = state.generation();
    let dropped = cache.dropped.load(Ordering::Acquire);
    let key = req.uri().path().to_owned();
    if let Some(page) = cache.get(generation, &key, state.now()) {
        cache.stats.hits.fetch_add(1, Ordering::Relaxed);
        return serve(&page, req.headers());
    }
    let rendering = match cache.miss(generation, &key) {
        Miss::Render(r) => r,
        Miss::Wait(mut rx) => {
            cache.stats.coalesced.fetch_add(1, Ordering::Relaxed);
            // Woken when that render ends; its page, if it could be kept, is served.
            let _ = rx.changed().await;
            if let Some(page) = cache.get(generation, &key, state.now()) {
                return serve(&page, req.headers());
            }
            // Not kept (an error page, a personal answer, a change meanwhile): render
            // this one, without waiting again.
            cache.stats.misses.fetch_add(1, Ordering::Relaxed);
            return next.run(req).await;
        }
    };
    cache.stats.misses.fetch_add(1, Ordering::Relaxed);
    let req_headers = req.headers().clone();
    // Render uncompressed: the cache keeps the plain bytes and its own gzip copy.
    let mut req = req;
    req.headers_mut().remove(header::ACCEPT_ENCODING);
    let res = next.run(req).await;
    if !cacheable(&res) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let mut tags = parts.extensions.remove::<PageTags>().unwrap_or_default();
    if let Some(ends) = crate::site::banner_expiry(&state).await {
        tags.fresh_until = Some(tags.fresh_until.map_or(ends, |t| t.min(ends)));
    }
    let Ok(bytes) = to_bytes(body, MAX_PAGE_BYTES).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    let etag = HeaderValue::from_str(&format!("\"{:016x}\"", hasher.finish()))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    let mut headers = parts.headers;
    headers.remove(header::CONTENT_LENGTH);
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let mut gzip_headers = headers.clone();
    gzip_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    let page = Arc::new(CachedPage {
        tags,
        gzip: gzip(&bytes),
        body: bytes,
        etag,
        headers,
        gzip_headers,
    });
    // Only keep what was rendered from the content as it still is.
    if state.generation() == generation && cache.dropped.load(Ordering::Acquire) == dropped {
        cache.put(generation, key, page.clone());
    }
    drop(rendering);
    serve(&page, &req_headers)
}
