//! What happens to every request at the edge of the application, before routing's
//! work and after the answer: a request id, the request's metrics and (when asked for)
//! its access-log line, the move to https behind a trusted proxy, HSTS, and the
//! `Cache-Control` a CDN can use.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// How the site talks to caches between it and readers (a CDN, a proxy cache).
#[derive(Debug, Clone)]
pub struct EdgeSettings {
    /// How long a shared cache may keep a public page (`s-maxage`); browsers always
    /// ask again. Zero: shared caches revalidate every time too (`no-cache`).
    pub shared_max_age: Duration,
    /// How long past that a shared cache may serve its copy while it fetches a fresh
    /// one (`stale-while-revalidate`); also how long it may serve it when the site is
    /// down (`stale-if-error`, times 24).
    pub shared_stale: Duration,
    /// `Strict-Transport-Security` lifetime when the site is https (zero: not sent).
    pub hsts_max_age: Duration,
    /// Log one line per request (method, route, status, time, request id).
    pub access_log: bool,
    /// Include the client's address in that line (personal data: off by default).
    pub log_client_addresses: bool,
}

impl Default for EdgeSettings {
    fn default() -> Self {
        Self {
            shared_max_age: Duration::from_secs(60),
            shared_stale: Duration::from_secs(600),
            hsts_max_age: Duration::from_secs(365 * 24 * 3600),
            access_log: false,
            log_client_addresses: false,
        }
    }
}

/// What a page's handlers say about caching (see `site::html`): browsers revalidate,
/// and so do shared caches unless the site allows them to keep pages a while.
pub(crate) const PUBLIC_PAGE: &str = "public, no-cache";

/// The request's id: the one a trusted proxy gave (`X-Request-Id`), else a new one.
/// It is answered in `X-Request-Id` and carried by every log line of the request.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A new id: 64 bits from a per-thread SplitMix64 sequence seeded once from the system's
/// randomness. Ids only tell requests apart in logs (nothing trusts them), and asking
/// the kernel for fresh random bytes on every request showed in the cached page's profile.
fn new_request_id() -> String {
    use std::cell::Cell;
    thread_local! {
        static NEXT: Cell<u64> = Cell::new({
            let mut seed = [0u8; 8];
            if getrandom::fill(&mut seed).is_err() {
                // No randomness: the time still tells threads and restarts apart.
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64);
                seed = nanos.to_le_bytes();
            }
            u64::from_le_bytes(seed)
        });
    }
    let state = NEXT.with(|n| {
        let v = n.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        n.set(v);
        v
    });
    let mut z = state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    format!("{:016x}", z ^ (z >> 31))
}

/// An id from elsewhere is kept only when it is short and plain (it goes into logs).
fn acceptable_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    (!s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'))
    .then(|| s.to_owned())
}

/// The outermost middleware: request id, metrics, access log, https.
pub(crate) async fn observe(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let settings = state.settings();
    let peer = crate::client::peer(req.extensions());
    let trusted = &settings.trusted_proxies;
    let from_proxy = peer.is_some_and(|p| trusted.iter().any(|b| b.contains(p)));
    let id = req
        .headers()
        .get("x-request-id")
        .filter(|_| from_proxy)
        .and_then(acceptable_id)
        .unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let route = Route::of(&req);
    let method = req.method().clone();
    let client = if settings.edge.access_log && settings.edge.log_client_addresses {
        crate::client::address(peer, req.headers(), trusted)
    } else {
        "-".to_owned()
    };
    // A trusted proxy says the reader came over plain http to an https site: send them
    // to the https address (reads only; a form post is not replayed elsewhere).
    let to_https = settings.https
        && (method == Method::GET || method == Method::HEAD)
        && crate::client::forwarded_https(peer, req.headers(), trusted) == Some(false);
    let mut res = if to_https {
        let target = format!(
            "{}{}",
            settings.site_url.trim_end_matches('/'),
            req.uri()
                .path_and_query()
                .map_or("/", axum::http::uri::PathAndQuery::as_str)
        );
        match HeaderValue::from_str(&target) {
            Ok(location) => (
                StatusCode::MOVED_PERMANENTLY,
                [(header::LOCATION, location)],
            )
                .into_response(),
            Err(_) => StatusCode::BAD_REQUEST.into_response(),
        }
    } else {
        let span = tracing::info_span!("request", id = %id);
        next.run(req).instrument(span).await
    };
    let elapsed = started.elapsed();
    let status = res.status();
    state
        .0
        .metrics
        .record(route.as_str(), status.as_u16(), elapsed);
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    if settings.edge.access_log {
        tracing::info!(
            target: "masthead::access",
            id = %id,
            method = %method,
            route = route.as_str(),
            status = status.as_u16(),
            ms = elapsed.as_secs_f64() * 1000.0,
            client = %client,
            "request"
        );
    }
    res
}

/// Headers for caches and browsers' security headers (where a handler set none),
/// added inside the page cache so a kept page carries them. One layer for all of them:
/// each layer of the router is cloned and dropped on every request.
pub(crate) async fn response_headers(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let settings = state.settings();
    let edge = &settings.edge;
    let headers = res.headers_mut();
    for (name, value) in crate::security_headers() {
        if let header::Entry::Vacant(slot) = headers.entry(name) {
            slot.insert(HeaderValue::from_static(value));
        }
    }
    if !edge.shared_max_age.is_zero()
        && headers
            .get(header::CACHE_CONTROL)
            .is_some_and(|v| v.as_bytes() == PUBLIC_PAGE.as_bytes())
    {
        let stale = edge.shared_stale.as_secs();
        let value = format!(
            "public, max-age=0, s-maxage={}, stale-while-revalidate={stale}, stale-if-error={}",
            edge.shared_max_age.as_secs(),
            stale * 24
        );
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(header::CACHE_CONTROL, v);
        }
    }
    if settings.https
        && !edge.hsts_max_age.is_zero()
        && let Ok(v) = HeaderValue::from_str(&format!("max-age={}", edge.hsts_max_age.as_secs()))
    {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, v);
    }
    res
}

/// The route a request took, for metrics and logs: the router's pattern where it has
/// one, else the kind of public page its path is (the site's own pages are dispatched
/// by path, and every article must not become its own label). Kept without copying:
/// it is taken on every request.
enum Route {
    Matched(MatchedPath),
    Kind(&'static str),
}

impl Route {
    fn of(req: &Request) -> Self {
        match req.extensions().get::<MatchedPath>() {
            Some(m) => Route::Matched(m.clone()),
            None => Route::Kind(page_kind(req.uri().path())),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Route::Matched(m) => m.as_str(),
            Route::Kind(k) => k,
        }
    }
}

/// What kind of public page a path asks for.
pub(crate) fn page_kind(path: &str) -> &'static str {
    let mut parts = path.split('/').filter(|s| !s.is_empty());
    let numeric = |s: Option<&str>, n: usize| {
        s.is_some_and(|s| s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
    };
    if path.split('/').any(|s| s == "feed") {
        return "feed";
    }
    let first = parts.next();
    match first {
        None | Some("page") => "home",
        Some("section") => "section",
        Some("tag") => "tag",
        Some("author") => "author",
        Some("newsroom") => "newsroom",
        Some("api") => "api",
        y if numeric(y, 4) => {
            let (m, d, slug) = (parts.next(), parts.next(), parts.next());
            if numeric(m, 2) && numeric(d, 2) && slug.is_some() {
                "article"
            } else {
                "date archive"
            }
        }
        Some(_) if parts.next().is_none() => "page",
        Some(_) => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_labelled_by_kind_not_by_slug() {
        assert_eq!(page_kind("/"), "home");
        assert_eq!(page_kind("/page/3/"), "home");
        assert_eq!(page_kind("/2026/11/29/a-story/"), "article");
        assert_eq!(page_kind("/2026/11/"), "date archive");
        assert_eq!(page_kind("/section/news/page/2/"), "section");
        assert_eq!(page_kind("/tag/x/feed/"), "feed");
        assert_eq!(page_kind("/about/"), "page");
        assert_eq!(page_kind("/no/such/thing/"), "other");
        assert_eq!(page_kind("/2026/11/29/"), "date archive");
        assert_eq!(page_kind("/2026/"), "date archive");
        assert_eq!(page_kind(""), "home");
    }

    #[test]
    fn foreign_request_ids_are_kept_only_when_plain_and_short() {
        let ok = HeaderValue::from_static("abc-123_x.y");
        assert_eq!(acceptable_id(&ok).as_deref(), Some("abc-123_x.y"));
        assert_eq!(acceptable_id(&HeaderValue::from_static("a b")), None);
        assert_eq!(acceptable_id(&HeaderValue::from_static("")), None);
        let long = HeaderValue::from_str(&"a".repeat(65)).unwrap();
        assert_eq!(acceptable_id(&long), None);
        assert_eq!(new_request_id().len(), 16);
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 1000, "ids repeat");
    }
}
