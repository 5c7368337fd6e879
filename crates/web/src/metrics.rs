//! `/metrics` in Prometheus's text format: requests by route and status, their
//! latencies, the page cache, how far this node trails the change log, queues and
//! database pools.
//!
//! Kept per application state rather than in a process-wide recorder (the `metrics`
//! crate's model): a test runs several sites in one process and each must count only
//! its own requests. The set of series is small and fixed, so a few atomics and one
//! lock-light map do.
//!
//! Reachable with the metrics token (`Authorization: Bearer …`) or on the separate
//! admin address, which serves it without one; otherwise the site answers 404, as if
//! it did not exist.

use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// One route's latencies.
#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

/// Counters kept as requests are answered.
#[derive(Default)]
pub struct Metrics {
    /// (route, status) → requests.
    requests: RwLock<HashMap<(String, u16), AtomicU64>>,
    latency: RwLock<HashMap<String, Histogram>>,
}

impl Metrics {
    /// Counts one answered request.
    pub(crate) fn record(&self, route: &str, status: u16, elapsed: Duration) {
        bump(&self.requests, (route, status), |c: &AtomicU64| {
            c.fetch_add(1, Ordering::Relaxed);
        });
        bump(&self.latency, route, |h: &Histogram| h.observe(elapsed));
    }

    /// Requests answered so far on `route` with `status` (for tests).
    pub fn requests(&self, route: &str, status: u16) -> u64 {
        read(&self.requests)
            .get(&(route.to_owned(), status))
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }
}

/// Keys that can be looked up by borrowed parts and inserted owned.
trait SeriesKey<K> {
    fn find<'m, V>(&self, map: &'m HashMap<K, V>) -> Option<&'m V>;
    fn owned(&self) -> K;
}

impl SeriesKey<String> for &str {
    fn find<'m, V>(&self, map: &'m HashMap<String, V>) -> Option<&'m V> {
        map.get(*self)
    }
    fn owned(&self) -> String {
        (*self).to_owned()
    }
}

impl SeriesKey<(String, u16)> for (&str, u16) {
    fn find<'m, V>(&self, map: &'m HashMap<(String, u16), V>) -> Option<&'m V> {
        // Few series: a scan under the read lock beats allocating a key per request.
        map.iter()
            .find(|((r, s), _)| r == self.0 && *s == self.1)
            .map(|(_, v)| v)
    }
    fn owned(&self) -> (String, u16) {
        (self.0.to_owned(), self.1)
    }
}

/// Updates the series under a read lock; the first time, inserts it under the write
/// lock.
fn bump<K: std::hash::Hash + Eq, V: Default>(
    map: &RwLock<HashMap<K, V>>,
    key: impl SeriesKey<K>,
    update: impl Fn(&V),
) {
    if let Some(v) = key.find(&read(map)) {
        update(v);
        return;
    }
    let mut w = match map.write() {
        Ok(w) => w,
        Err(poisoned) => poisoned.into_inner(),
    };
    update(w.entry(key.owned()).or_default());
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    match lock.read() {
        Ok(r) => r,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// A label value, escaped as the text format asks.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The whole exposition.
pub(crate) async fn render(state: &AppState) -> String {
    let m = &state.0.metrics;
    let mut out = String::with_capacity(4096);
    let _ = writeln!(
        out,
        "# HELP masthead_http_requests_total Requests answered, by route and status.\n# TYPE masthead_http_requests_total counter"
    );
    let mut rows: Vec<(String, u16, u64)> = read(&m.requests)
        .iter()
        .map(|((r, s), c)| (r.clone(), *s, c.load(Ordering::Relaxed)))
        .collect();
    rows.sort();
    for (route, status, n) in rows {
        let _ = writeln!(
            out,
            "masthead_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
            label(&route)
        );
    }
    let _ = writeln!(
        out,
        "# HELP masthead_http_request_duration_seconds Time to answer, by route.\n# TYPE masthead_http_request_duration_seconds histogram"
    );
    {
        let latency = read(&m.latency);
        let mut routes: Vec<&String> = latency.keys().collect();
        routes.sort();
        for route in routes {
            let h = &latency[route];
            let l = label(route);
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(&h.buckets) {
                cumulative += n.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "masthead_http_request_duration_seconds_bucket{{route=\"{l}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let count = h.count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "masthead_http_request_duration_seconds_bucket{{route=\"{l}\",le=\"+Inf\"}} {count}\nmasthead_http_request_duration_seconds_sum{{route=\"{l}\"}} {}\nmasthead_http_request_duration_seconds_count{{route=\"{l}\"}} {count}",
                h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
            );
        }
    }

    let cache = &state.0.cache;
    let stats = &cache.stats;
    for (name, help, v) in [
        (
            "masthead_page_cache_hits_total",
            "Pages answered from the page cache.",
            stats.hits.load(Ordering::Relaxed),
        ),
        (
            "masthead_page_cache_misses_total",
            "Pages rendered because the cache did not hold them.",
            stats.misses.load(Ordering::Relaxed),
        ),
        (
            "masthead_page_cache_coalesced_total",
            "Requests that waited for another request's render of the same page.",
            stats.coalesced.load(Ordering::Relaxed),
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
        );
    }
    gauge(
        &mut out,
        "masthead_page_cache_entries",
        "Pages held by the page cache.",
        cache.len() as f64,
    );

    let store = state.store();
    let latest = store.latest_change_id().await.ok();
    if let Some(latest) = latest {
        let followed = state.0.followed_change.load(Ordering::Acquire);
        gauge(
            &mut out,
            "masthead_change_log_lag",
            "Change-log entries this node has not yet followed (page cache, redirects).",
            (latest - followed).max(0) as f64,
        );
        gauge(
            &mut out,
            "masthead_search_index_lag",
            "Change-log entries the search index has not yet caught up with.",
            (latest - state.search_cursor()).max(0) as f64,
        );
    }
    if let Ok(n) = store.scheduled_count().await {
        gauge(
            &mut out,
            "masthead_scheduled_articles",
            "Articles waiting for their scheduled time (the scheduler's queue).",
            n as f64,
        );
    }
    if let Ok(n) = store.pending_mail().await {
        gauge(
            &mut out,
            "masthead_mail_queue",
            "Mail waiting to be sent.",
            n as f64,
        );
    }
    let _ = writeln!(
        out,
        "# HELP masthead_db_connections Database connections by pool and state.\n# TYPE masthead_db_connections gauge"
    );
    for (pool, size, idle) in store.pool_stats() {
        let busy = (size as usize).saturating_sub(idle);
        let _ = writeln!(
            out,
            "masthead_db_connections{{pool=\"{pool}\",state=\"idle\"}} {idle}\nmasthead_db_connections{{pool=\"{pool}\",state=\"busy\"}} {busy}"
        );
    }
    if let Some(rss) = resident_bytes() {
        gauge(
            &mut out,
            "process_resident_memory_bytes",
            "Resident memory of this process.",
            rss as f64,
        );
    }
    out
}

fn gauge(out: &mut String, name: &str, help: &str, v: f64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
}

/// Resident memory from /proc (Linux); `None` elsewhere.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// `/metrics` on the site: only with the metrics token.
pub(crate) async fn on_site(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = state.settings().metrics_token.clone();
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let allowed = match (token.as_deref(), given) {
        (Some(t), Some(g)) => !t.is_empty() && same_secret(t, g.trim()),
        _ => false,
    };
    if !allowed {
        return crate::site::not_found(&state).await;
    }
    exposition(&state).await
}

/// Compares digests, so the time taken says nothing about how much of a guess matched.
fn same_secret(a: &str, b: &str) -> bool {
    use sha2::Digest;
    let (a, b) = (sha2::Sha256::digest(a), sha2::Sha256::digest(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// `/metrics` on the admin address: the address itself is the protection.
pub(crate) async fn on_admin(State(state): State<AppState>) -> Response {
    exposition(&state).await
}

async fn exposition(state: &AppState) -> Response {
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        render(state).await,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_latencies_are_counted_per_route() {
        let m = Metrics::default();
        m.record("article", 200, Duration::from_micros(300));
        m.record("article", 200, Duration::from_millis(3));
        m.record("article", 404, Duration::from_millis(3));
        m.record("/api/v1/articles", 200, Duration::from_secs(9));
        assert_eq!(m.requests("article", 200), 2);
        assert_eq!(m.requests("article", 404), 1);
        assert_eq!(m.requests("home", 200), 0);
        let latency = read(&m.latency);
        let h = &latency["article"];
        assert_eq!(h.count.load(Ordering::Relaxed), 3);
        assert_eq!(h.buckets[0].load(Ordering::Relaxed), 1, "0.3 ms ≤ 0.5 ms");
        assert_eq!(h.buckets[3].load(Ordering::Relaxed), 2, "3 ms ≤ 5 ms");
        // Beyond the last bucket: only in +Inf (the count).
        let slow = &latency["/api/v1/articles"];
        assert!(slow.buckets.iter().all(|b| b.load(Ordering::Relaxed) == 0));
        assert_eq!(slow.count.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
