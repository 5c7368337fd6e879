//! Generated abuse: at least 10,000 requests built from the site's own URL shapes with
//! mutated segments, percent-encoding, invalid UTF-8, huge numbers, `..`, overlong
//! strings and bad API parameters. None may answer 500.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use masthead_render::Theme;
use masthead_testkit::TestDb;
use masthead_web::{AppState, SiteSettings, axum};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use tower::ServiceExt;

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("section".to_owned()),
        Just("tag".to_owned()),
        Just("author".to_owned()),
        Just("page".to_owned()),
        Just("api".to_owned()),
        Just("v1".to_owned()),
        Just("articles".to_owned()),
        Just("static".to_owned()),
        Just("..".to_owned()),
        Just(".".to_owned()),
        Just("%2e%2e".to_owned()),
        Just("%ff%fe%00".to_owned()),
        Just("%c3%28".to_owned()),
        Just("%".to_owned()),
        Just("%zz".to_owned()),
        Just("2026".to_owned()),
        Just("0000".to_owned()),
        Just("99".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("-1".to_owned()),
        Just("politics".to_owned()),
        Just("harbour-bridge".to_owned()),
        Just("maya-okafor".to_owned()),
        Just("about".to_owned()),
        Just("%D0%BF%D1%80%D0%B8".to_owned()),
        "[a-z0-9-]{1,12}",
        "[0-9]{1,25}",
        "[a-zA-Z0-9._~%-]{0,30}",
        (1usize..3000).prop_map(|n| "x".repeat(n)),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("page"),
        Just("per_page"),
        Just("section"),
        Just("tag"),
        Just("author"),
        Just("before"),
        Just("after"),
        Just("include"),
        Just("q"),
        Just("p"),
    ];
    let value = prop_oneof![
        Just("1".to_owned()),
        Just("0".to_owned()),
        Just("-5".to_owned()),
        Just("101".to_owned()),
        Just("99999999999999999999".to_owned()),
        Just("2026-01-01".to_owned()),
        Just("2026-02-30".to_owned()),
        Just("2026-01-01T00:00:00Z".to_owned()),
        Just("body".to_owned()),
        Just("%ff".to_owned()),
        Just("%00".to_owned()),
        "[a-zA-Z0-9%+:._-]{0,40}",
    ];
    prop::collection::vec((key, value), 0..4).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    })
}

fn request_path() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(segment(), 0..7),
        any::<bool>(),
        prop::option::of(query()),
        prop_oneof![
            Just(""),
            Just("/api/v1/"),
            Just("/api/v1/articles/"),
            Just("/2026/")
        ],
    )
        .prop_map(|(segs, slash, q, prefix)| {
            let mut p = if prefix.is_empty() {
                String::from("/")
            } else {
                prefix.to_owned()
            };
            p.push_str(&segs.join("/"));
            if slash && !p.ends_with('/') {
                p.push('/');
            }
            if let Some(q) = q {
                p.push('?');
                p.push_str(&q);
            }
            p
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_generated_requests_never_answer_500() {
    let db = TestDb::sqlite();
    let t = db.store().await;
    masthead_demo::seed(&t.store).await.unwrap();
    let state = AppState::new(
        t.store.clone(),
        Theme::load(None).unwrap(),
        SiteSettings::default(),
    );
    let app = masthead_web::router(state);

    let mut runner = TestRunner::new(Config {
        cases: 10_000,
        rng_seed: proptest::test_runner::RngSeed::Fixed(20261128),
        failure_persistence: None,
        ..Config::default()
    });
    let mut paths = Vec::with_capacity(10_000);
    for _ in 0..10_000 {
        let tree = request_path().new_tree(&mut runner).unwrap();
        paths.push(tree.current());
    }
    // Article URLs from the seeded site, mutated, so deep paths are exercised too.
    let (articles, _) = t
        .store
        .list_public(
            &Default::default(),
            masthead_core::paging::PageRequest::new(1, 30),
        )
        .await
        .unwrap();
    for (i, a) in articles.iter().enumerate() {
        let p = a.path().unwrap();
        paths.push(p.clone());
        paths.push(p.replace("/20", "/%32%30"));
        paths.push(format!("{p}{}", "%".repeat(i)));
        paths.push(p.trim_end_matches('/').to_owned());
        paths.push(p.replacen('/', "//", 2));
    }

    let mut statuses = std::collections::BTreeMap::new();
    for path in &paths {
        let Ok(req) = Request::builder().uri(path.as_str()).body(Body::empty()) else {
            // Not even a valid request line: hyper would refuse it before us.
            *statuses.entry(0).or_insert(0) += 1;
            continue;
        };
        let res = app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "500 for {path}");
        assert!(!status.is_server_error(), "{status} for {path}");
        *statuses.entry(status.as_u16()).or_insert(0) += 1;
    }
    let sent: usize = statuses
        .iter()
        .filter(|(k, _)| **k != 0)
        .map(|(_, v)| v)
        .sum();
    eprintln!("statuses: {statuses:?}");
    assert!(sent >= 10_000, "only {sent} requests were valid HTTP");
    assert!(
        statuses.get(&200).copied().unwrap_or(0) > 100,
        "the generator must also hit real pages"
    );
    assert!(statuses.get(&404).copied().unwrap_or(0) > 100);
    assert!(statuses.get(&400).copied().unwrap_or(0) > 10);
}
