//! Serving redirects: an old address (an imported site's, or one an editor chose) answered
//! with 301, 302 or 410 before the site's own routes and before the page cache, so an
//! editor can redirect a live address.
//!
//! Each node keeps every redirected address (as `masthead_core::redirect::source_key`
//! spells it) in memory: a request for any other address costs a hash lookup and no
//! query (nothing at all while the site has no redirects). The set is loaded at start,
//! at once on the node that saves a redirect, and by every other node when its change
//! follower sees a "redirect" change.

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use masthead_core::redirect::{percent_decode, source_key};
use masthead_store::{RedirectHit, StoreError};
use std::collections::HashSet;
use std::sync::{Arc, RwLock};

/// How many followed redirects may wait to be counted; beyond that a burst is served
/// but not all of it counted.
const HIT_QUEUE: usize = 4096;

/// A node's redirect set and its hit counter's queue.
pub(crate) struct Redirects {
    sources: RwLock<Arc<HashSet<String>>>,
    /// One reload at a time, so a slower, older read never replaces a newer one.
    reloading: tokio::sync::Mutex<()>,
    hits: tokio::sync::mpsc::Sender<i64>,
    /// Taken by the counter task when the background work starts.
    hit_queue: std::sync::Mutex<Option<tokio::sync::mpsc::Receiver<i64>>>,
}

impl Redirects {
    pub(crate) fn new() -> Self {
        let (hits, queue) = tokio::sync::mpsc::channel(HIT_QUEUE);
        Self {
            sources: RwLock::new(Arc::new(HashSet::new())),
            reloading: tokio::sync::Mutex::new(()),
            hits,
            hit_queue: std::sync::Mutex::new(Some(queue)),
        }
    }

    fn current(&self) -> Arc<HashSet<String>> {
        match self.sources.read() {
            Ok(s) => Arc::clone(&s),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn replace(&self, next: HashSet<String>) {
        match self.sources.write() {
            Ok(mut s) => *s = Arc::new(next),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(next),
        }
    }
}

/// Reads the redirected addresses from the database into this node's set.
pub(crate) async fn reload(state: &AppState) -> Result<(), StoreError> {
    let r = &state.0.redirects;
    let _one_at_a_time = r.reloading.lock().await;
    let sources = state.store().redirect_sources().await?;
    r.replace(sources.into_iter().collect());
    Ok(())
}

/// Reloads after this node saved or deleted a redirect; a failure is logged (the
/// follower reloads again when it sees the change).
pub(crate) async fn changed(state: &AppState) {
    if let Err(e) = reload(state).await {
        tracing::warn!("cannot read the redirects: {e}");
    }
}

/// Counts followed redirects one at a time, off the request path. Runs until the process
/// ends (or at once returns if another task already counts).
pub(crate) fn spawn_hit_counter(state: &AppState) -> tokio::task::JoinHandle<()> {
    let queue = match state.0.redirects.hit_queue.lock() {
        Ok(mut q) => q.take(),
        Err(poisoned) => poisoned.into_inner().take(),
    };
    let store = state.store().clone();
    tokio::spawn(async move {
        let Some(mut queue) = queue else { return };
        while let Some(id) = queue.recv().await {
            if let Err(e) = store.record_redirect_hit(id).await {
                tracing::warn!("cannot count a hit on redirect {id}: {e}");
            }
        }
    })
}

/// Addresses no redirect may take: the newsroom, the API, the theme's files and the
/// health checks must always answer for themselves.
pub(crate) fn reserved(path: &str) -> bool {
    path == "/newsroom"
        || [
            "/newsroom/",
            "/api/",
            "/static/",
            "/healthz",
            "/readyz",
            "/metrics",
        ]
        .iter()
        .any(|p| path.starts_with(p))
}

/// The middleware, outside the page cache: a redirected address is answered here.
pub(crate) async fn serve(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method();
    if method != Method::GET && method != Method::HEAD {
        return next.run(req).await;
    }
    let uri = req.uri();
    if uri.path().len() > crate::limits::MAX_PATH
        || uri
            .query()
            .is_some_and(|q| q.len() > crate::limits::MAX_QUERY)
        || reserved(uri.path())
    {
        return next.run(req).await;
    }
    let Some(key) = source_key(uri.path(), uri.query()) else {
        return next.run(req).await;
    };
    if !state.0.redirects.current().contains(&key) {
        // Not in this node's set: the site answers. Only when it has nothing there is
        // the database asked (one indexed lookup), so a redirect saved elsewhere is
        // never missed while this node's set catches up.
        let res = next.run(req).await;
        if res.status() != StatusCode::NOT_FOUND {
            return res;
        }
        return match state.store().redirect_for(&key).await {
            Ok(Some(hit)) if !leads_back(&hit, &key) => respond(&state, &hit).await,
            _ => res,
        };
    }
    match state.store().redirect_for(&key).await {
        // A redirect that would lead back to its own address (content that moved back
        // to where it once was) is no redirect: the site answers for it.
        Ok(Some(hit)) if leads_back(&hit, &key) => next.run(req).await,
        Ok(Some(hit)) => respond(&state, &hit).await,
        // The content it follows is not public: the address is the site's again.
        Ok(None) => next.run(req).await,
        Err(e) => {
            tracing::warn!("cannot read the redirect for {key}: {e}");
            next.run(req).await
        }
    }
}

/// The redirect's answer, counted (off the request path), with the site's headers.
async fn respond(state: &AppState, hit: &RedirectHit) -> Response {
    if state.0.redirects.hits.try_send(hit.id).is_err() {
        tracing::debug!("redirect hit not counted: the queue is full");
    }
    let mut res = answer(state, hit).await;
    let headers = res.headers_mut();
    for (name, value) in crate::security_headers() {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    res
}

/// Whether a redirect's destination is the address it was asked for.
fn leads_back(hit: &RedirectHit, key: &str) -> bool {
    hit.location
        .as_deref()
        .filter(|to| to.starts_with('/'))
        .and_then(|to| {
            let (path, query) = match to.split_once('?') {
                Some((p, q)) => (p, Some(q)),
                None => (to, None),
            };
            source_key(path, query)
        })
        .is_some_and(|to| to == key)
}

/// Browsers and proxies may keep a permanent redirect for an hour (long enough to spare
/// the server a crawler's repeats, short enough that a mistake deleted in the newsroom
/// stops within the hour); a temporary one or a 410 only for a minute.
fn cache_control(status: u16) -> &'static str {
    match status {
        301 => "public, max-age=3600",
        _ => "public, max-age=60",
    }
}

async fn answer(state: &AppState, hit: &RedirectHit) -> Response {
    let cache = HeaderValue::from_static(cache_control(hit.status));
    let Some(to) = hit.location.as_deref().filter(|_| hit.status != 410) else {
        let mut res = crate::site::themed_error(
            state,
            StatusCode::GONE,
            "Page removed",
            "The page that was at this address has been removed from the site on purpose, and will not come back.",
        )
        .await;
        res.headers_mut().insert(header::CACHE_CONTROL, cache);
        return res;
    };
    let status = if hit.status == 302 {
        StatusCode::FOUND
    } else {
        StatusCode::MOVED_PERMANENTLY
    };
    match HeaderValue::from_str(&location(to)) {
        Ok(v) => (
            status,
            [(header::LOCATION, v), (header::CACHE_CONTROL, cache)],
        )
            .into_response(),
        Err(_) => {
            tracing::warn!("a redirect leads to an unusable address: {to}");
            crate::site::themed_error(
                state,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The page could not be shown just now. Please try again in a moment.",
            )
            .await
        }
    }
}

/// The `Location` for a stored destination: a site path with each segment
/// percent-encoded (decoded first, so a destination typed encoded is not encoded
/// twice), its query and fragment kept; an absolute address as given, with only what a
/// header cannot carry escaped.
pub(crate) fn location(to: &str) -> String {
    if !to.starts_with('/') {
        return escape_unsafe(to);
    }
    let end = to.find(['?', '#']).unwrap_or(to.len());
    let (path, rest) = to.split_at(end);
    let mut out = String::with_capacity(to.len() + 8);
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let decoded = percent_decode(seg).unwrap_or_else(|| seg.to_owned());
        out.push_str(&crate::route::encode_segment(&decoded));
    }
    out.push_str(&escape_unsafe(rest));
    out
}

/// Percent-encodes the bytes a header value cannot hold (spaces, controls, non-ASCII).
fn escape_unsafe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if (0x21..=0x7e).contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_to_its_own_address_is_no_redirect() {
        let hit = |to: &str| RedirectHit {
            id: 1,
            status: 301,
            location: Some(to.to_owned()),
        };
        assert!(leads_back(&hit("/2024/01/02/story/"), "/2024/01/02/story/"));
        assert!(leads_back(&hit("/2024/01/02/story"), "/2024/01/02/story/"));
        assert!(leads_back(&hit("/%D0%BF%D1%80/"), "/пр/"));
        assert!(!leads_back(
            &hit("/2024/01/02/story-2/"),
            "/2024/01/02/story/"
        ));
        assert!(!leads_back(&hit("https://elsewhere.example/a/"), "/a/"));
        let gone = RedirectHit {
            id: 1,
            status: 410,
            location: None,
        };
        assert!(!leads_back(&gone, "/a/"));
    }

    #[test]
    fn locations_are_encoded_once() {
        assert_eq!(location("/new/"), "/new/");
        assert_eq!(location("/пр/"), "/%D0%BF%D1%80/");
        assert_eq!(location("/%D0%BF%D1%80/"), "/%D0%BF%D1%80/");
        assert_eq!(location("/a b/file.pdf"), "/a%20b/file.pdf");
        assert_eq!(location("/100%/"), "/100%25/");
        assert_eq!(location("/new/?x=1&y=é#top"), "/new/?x=1&y=%C3%A9#top");
        assert_eq!(
            location("https://elsewhere.example/é?q=1"),
            "https://elsewhere.example/%C3%A9?q=1"
        );
    }

    #[test]
    fn the_newsroom_and_the_api_cannot_be_redirected() {
        assert!(reserved("/newsroom"));
        assert!(reserved("/newsroom/login"));
        assert!(reserved("/api/v1/articles"));
        assert!(!reserved("/newsroomy/"));
        assert!(!reserved("/2019/05/old/"));
    }
}
