//! Running behind a proxy and a CDN, and being watched, on both backends: `/metrics`
//! (guarded by its token) counting requests and the page cache, request coalescing
//! after a flush, `Cache-Control` a CDN can use, HSTS and the move to https behind a
//! trusted proxy, request ids, and the server loop's limits (slow headers, slow
//! bodies, the connection cap).
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use common::{Options, TestSite};
use masthead_core::Clock;
use masthead_store::NewArticle;
use masthead_testkit::TestDb;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

http_tests!(
    metrics_need_their_token_and_count_requests_and_the_cache,
    a_flushed_page_is_rendered_once_for_many_readers,
    public_pages_tell_shared_caches_how_long_to_keep_them,
    an_https_site_sends_hsts_and_moves_plain_http_readers_behind_its_proxy,
    every_answer_carries_a_request_id,
    slow_clients_are_cut_off_and_connections_are_capped,
    housekeeping_removes_what_has_outlived_its_use,
);

const TOKEN: &str = "metrics-token-for-tests-0123456789";

fn with_token(s: &mut masthead_web::SiteSettings) {
    s.metrics_token = Some(TOKEN.to_owned());
}

async fn metrics(site: &TestSite) -> String {
    let r = site
        .get_with("/metrics", &[("authorization", &format!("Bearer {TOKEN}"))])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
        "Prometheus's text format"
    );
    r.body
}

/// The value of one series (`name{labels}` exactly as written), 0 when absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

async fn a_story(site: &TestSite) -> String {
    let home = site.page("/").await;
    let start = home.find("href=\"/20").unwrap() + 6;
    let end = start + home[start..].find('"').unwrap();
    home[start..end].to_owned()
}

async fn metrics_need_their_token_and_count_requests_and_the_cache(db: TestDb) {
    let site = TestSite::start(
        db,
        Options {
            adjust: with_token,
            ..Default::default()
        },
    )
    .await;
    site.settle().await;
    // Without the token, or with a wrong one, there is nothing there.
    assert_eq!(site.get("/metrics").await.status, 404);
    let wrong = site
        .get_with(
            "/metrics",
            &[("authorization", "Bearer not-the-token-at-all")],
        )
        .await;
    assert_eq!(wrong.status, 404);

    let story = a_story(&site).await;
    let before = metrics(&site).await;
    for _ in 0..3 {
        site.page(&story).await;
    }
    assert_eq!(site.get("/no/such/page/").await.status, 404);
    let after = metrics(&site).await;
    let article = "masthead_http_requests_total{route=\"article\",status=\"200\"}";
    assert_eq!(value(&after, article) - value(&before, article), 3.0);
    assert_eq!(
        value(
            &after,
            "masthead_http_requests_total{route=\"other\",status=\"404\"}"
        ) - value(
            &before,
            "masthead_http_requests_total{route=\"other\",status=\"404\"}"
        ),
        1.0
    );
    // The first read rendered the story, the other two came from the cache, the 404
    // was rendered (and not kept); /metrics itself is never cached.
    let delta = |name: &str| value(&after, name) - value(&before, name);
    assert_eq!(delta("masthead_page_cache_hits_total"), 2.0, "{after}");
    assert_eq!(delta("masthead_page_cache_misses_total"), 2.0, "{after}");
    assert_eq!(
        value(
            &after,
            "masthead_http_request_duration_seconds_count{route=\"article\"}"
        ) - value(
            &before,
            "masthead_http_request_duration_seconds_count{route=\"article\"}"
        ),
        3.0
    );
    for series in [
        "masthead_change_log_lag",
        "masthead_search_index_lag",
        "masthead_scheduled_articles",
        "masthead_mail_queue",
        "masthead_page_cache_entries",
        "masthead_db_connections{pool=\"read\",state=\"idle\"}",
        "masthead_db_connections{pool=\"write\",state=\"busy\"}",
    ] {
        assert!(
            after.lines().any(|l| l.starts_with(&format!("{series} "))),
            "{series} missing from:\n{after}"
        );
    }
    // A settled site has followed the whole change log.
    assert_eq!(value(&after, "masthead_change_log_lag"), 0.0, "{after}");
}

async fn a_flushed_page_is_rendered_once_for_many_readers(db: TestDb) {
    let site = TestSite::start(
        db,
        Options {
            adjust: with_token,
            ..Default::default()
        },
    )
    .await;
    site.settle().await;
    let story = a_story(&site).await;
    site.page(&story).await;
    // A write drops the whole cache (a new generation)…
    let mut a = NewArticle::published("A flush", "News", site.clock.now());
    a.body_html = "<p>Flushes the cache.</p>".to_owned();
    a.body_source = a.body_html.clone();
    site.store.save_article(&a).await.unwrap();
    site.settle().await;
    let before = metrics(&site).await;
    // …and forty readers arrive at once.
    let url = format!("{}{story}", site.base);
    let client = reqwest::Client::new();
    let readers: Vec<_> = (0..40)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move { client.get(url).send().await.unwrap().status() })
        })
        .collect();
    for r in readers {
        assert_eq!(r.await.unwrap(), 200);
    }
    let after = metrics(&site).await;
    let delta = |name: &str| value(&after, name) - value(&before, name);
    assert_eq!(
        delta("masthead_page_cache_misses_total"),
        1.0,
        "one render for forty readers:\n{after}"
    );
    assert_eq!(
        delta("masthead_page_cache_hits_total") + delta("masthead_page_cache_coalesced_total"),
        39.0
    );
    assert!(
        delta("masthead_page_cache_coalesced_total") >= 1.0,
        "some readers waited for the render under way"
    );
}

async fn public_pages_tell_shared_caches_how_long_to_keep_them(db: TestDb) {
    let site = TestSite::start(db, Options::default()).await;
    site.settle().await;
    let story = a_story(&site).await;
    for path in ["/", story.as_str(), "/feed/"] {
        let r = site.get(path).await;
        assert_eq!(
            r.header("cache-control"),
            Some(
                "public, max-age=0, s-maxage=60, stale-while-revalidate=600, stale-if-error=14400"
            ),
            "{path}"
        );
    }
    // From the cache, the same.
    let again = site.get(&story).await;
    assert!(
        again
            .header("cache-control")
            .unwrap()
            .contains("s-maxage=60")
    );
    // No HSTS on a plain-http site.
    assert_eq!(
        site.get("/").await.header("strict-transport-security"),
        None
    );

    // A site that wants shared caches to ask every time.
    let site = TestSite::start(
        TestDb::sqlite(),
        Options {
            adjust: |s| s.edge.shared_max_age = Duration::ZERO,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        site.get("/").await.header("cache-control"),
        Some("public, no-cache")
    );
}

async fn an_https_site_sends_hsts_and_moves_plain_http_readers_behind_its_proxy(db: TestDb) {
    let site = TestSite::start(
        db,
        Options {
            trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
            adjust: |s| {
                s.site_url = "https://news.example".to_owned();
                s.https = true;
            },
            ..Default::default()
        },
    )
    .await;
    site.settle().await;
    let story = a_story(&site).await;
    let secure = site
        .get_with(&story, &[("x-forwarded-proto", "https")])
        .await;
    assert_eq!(secure.status, 200);
    assert_eq!(
        secure.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    // The proxy says the reader came over plain http: to the https address, query kept.
    let plain = site
        .get_with(&format!("{story}?ref=x"), &[("x-forwarded-proto", "http")])
        .await;
    assert_eq!(plain.status, 301);
    assert_eq!(
        plain.header("location"),
        Some(format!("https://news.example{story}?ref=x").as_str())
    );
    // A form post is not bounced (its body would be lost).
    let post = site
        .post_form("/comments", &[], &[("x-forwarded-proto", "http")])
        .await;
    assert_ne!(post.status, 301);

    // The same header from a peer nobody trusts changes nothing.
    let untrusting = TestSite::start(
        TestDb::sqlite(),
        Options {
            adjust: |s| {
                s.site_url = "https://news.example".to_owned();
                s.https = true;
            },
            ..Default::default()
        },
    )
    .await;
    let r = untrusting
        .get_with("/", &[("x-forwarded-proto", "http")])
        .await;
    assert_eq!(r.status, 200);
}

async fn every_answer_carries_a_request_id(db: TestDb) {
    let site = TestSite::start(
        db,
        Options {
            trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
            ..Default::default()
        },
    )
    .await;
    let a = site.get("/").await;
    let b = site.get("/no/such/page/").await;
    let (a, b) = (
        a.header("x-request-id").unwrap(),
        b.header("x-request-id").unwrap(),
    );
    assert_eq!(a.len(), 16);
    assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(a, b, "each request its own");
    // A trusted proxy's id is kept (its logs and ours line up); a bad one is replaced.
    let kept = site
        .get_with("/", &[("x-request-id", "edge-7f3a.42")])
        .await;
    assert_eq!(kept.header("x-request-id"), Some("edge-7f3a.42"));
    let replaced = site
        .get_with("/", &[("x-request-id", "has spaces and <html>")])
        .await;
    assert_ne!(
        replaced.header("x-request-id"),
        Some("has spaces and <html>")
    );
    // Not from an untrusted peer.
    let stranger = TestSite::start(TestDb::sqlite(), Options::default()).await;
    let r = stranger
        .get_with("/", &[("x-request-id", "chosen-by-client")])
        .await;
    assert_ne!(r.header("x-request-id"), Some("chosen-by-client"));
}

/// Reads until the server closes the connection or `limit` passes; returns what came
/// and whether it closed.
async fn read_until_closed(s: &mut tokio::net::TcpStream, limit: Duration) -> (String, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), false),
        }
    }
}

async fn slow_clients_are_cut_off_and_connections_are_capped(db: TestDb) {
    // Thresholds lowered so the test does not wait for the real ones.
    let site = TestSite::start(
        db,
        Options {
            demo: false,
            adjust: |s| {
                s.connections.header_read_timeout = Duration::from_millis(300);
                s.connections.body_read_timeout = Duration::from_millis(300);
                s.connections.max_connections = 3;
            },
            ..Default::default()
        },
    )
    .await;
    let addr = site.base.trim_start_matches("http://").to_owned();

    // Headers that never finish: the connection is closed.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(closed, "a client stuck in its headers is cut off");

    // A body that never finishes: answered with an error, not waited on forever.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(
        b"POST /comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nname=a",
    )
    .await
    .unwrap();
    let (answer, _) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    let status: u16 = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no answer to a stalled body: {answer:?}"));
    assert!((400..500).contains(&status), "{answer}");

    // The cap: three connections that send nothing hold every slot (the header
    // timeout is long enough here for the check)…
    let site = TestSite::start(
        TestDb::sqlite(),
        Options {
            demo: false,
            adjust: |s| s.connections.max_connections = 3,
            ..Default::default()
        },
    )
    .await;
    let addr = site.base.trim_start_matches("http://").to_owned();
    let mut idle = Vec::new();
    for _ in 0..3 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        // Started requests, so each connection is surely accepted and held.
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        idle.push(s);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let url = format!("{}/healthz", site.base);
    assert!(
        client.get(&url).send().await.is_err(),
        "a fourth connection waits while three are open"
    );
    // …and one closing lets the next in.
    drop(idle.pop());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
}

async fn housekeeping_removes_what_has_outlived_its_use(db: TestDb) {
    use masthead_store::{AuditFilter, LinkPurpose, NewAuditEntry, RevisionContent, Session};
    let site = TestSite::start(
        db,
        Options {
            demo: false,
            // Not also in the background: its first pass, late under load, could
            // remove what this test counts.
            adjust: |s| s.housekeeping_every = std::time::Duration::ZERO,
            ..Default::default()
        },
    )
    .await;
    let store = &site.store;
    let user = common::add_user(&site, "house@example.com", masthead_core::Role::Editor).await;
    let now = site.clock.now();
    let session = |id: &str, expires: chrono::DateTime<chrono::Utc>| Session {
        id_hash: id.to_owned(),
        user_id: user,
        created_at: now,
        last_seen_at: now,
        expires_at: expires,
        client_ip: String::new(),
        user_agent: String::new(),
    };
    store
        .create_session(&session("short", now + chrono::Duration::days(1)))
        .await
        .unwrap();
    store
        .create_session(&session("long", now + chrono::Duration::days(800)))
        .await
        .unwrap();
    store
        .create_link(
            LinkPurpose::PasswordReset,
            "link-hash",
            Some(user),
            now + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    store
        .record_sign_in_failure(&["house@example.com".to_owned()])
        .await
        .unwrap();
    let entry = |action: &str| NewAuditEntry {
        actor_id: Some(user),
        actor: "house@example.com".to_owned(),
        action: action.to_owned(),
        target: String::new(),
        detail: String::new(),
        client_ip: String::new(),
    };
    store.audit(&entry("old.action")).await.unwrap();
    let mut a = NewArticle::published("Housekept", "News", now);
    a.status = masthead_core::ArticleStatus::Draft;
    a.published_at = None;
    a.body_source = "Draft.".to_owned();
    let article = store.save_article(&a).await.unwrap().id;
    store
        .autosave(article, &RevisionContent::from(&a), user, 5)
        .await
        .unwrap();

    // A year and more later…
    site.clock.advance(chrono::Duration::days(400));
    store.audit(&entry("new.action")).await.unwrap();
    store
        .autosave(article, &RevisionContent::from(&a), user, 5)
        .await
        .unwrap();
    let (expired, autosaves) = masthead_web::jobs::account_housekeeping(&site.state)
        .await
        .unwrap();
    assert_eq!(expired.sessions, 1, "the expired session, not the long one");
    assert_eq!(expired.links, 1);
    assert_eq!(expired.sign_in_failures, 1);
    assert_eq!(expired.audit_entries, 1, "past the 365-day retention");
    assert_eq!(autosaves, 1, "the old autosave, not today's");
    assert!(store.session("short").await.unwrap().is_none());
    assert!(store.session("long").await.unwrap().is_some());
    let audit = store
        .audit_entries(&AuditFilter::default(), 100, 0)
        .await
        .unwrap();
    assert!(audit.iter().any(|e| e.action == "new.action"));
    assert!(!audit.iter().any(|e| e.action == "old.action"));
    let kinds: Vec<_> = store
        .revisions(article)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.kind)
        .collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == masthead_store::RevisionKind::Autosave)
            .count(),
        1
    );
    // Nothing left to do: a second run removes nothing.
    let (again, autosaves) = masthead_web::jobs::account_housekeeping(&site.state)
        .await
        .unwrap();
    assert_eq!(again, masthead_store::ExpiredAccountData::default());
    assert_eq!(autosaves, 0);
}
