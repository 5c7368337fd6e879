//! What a reader sees: every public page type over a real server, on SQLite and on
//! PostgreSQL.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use chrono::Duration;
use common::{Options, TestSite, between, count};
use masthead_core::ArticleStatus;
use masthead_store::{ArticleFilter, NewArticle};
use masthead_testkit::{TestDb, test_now};

http_tests!(
    home_leads_with_the_newest_featured_story_and_shows_sections,
    an_article_page_shows_the_whole_story_and_four_related_ones,
    the_updated_date_shows_only_when_it_differs,
    archives_paginate_wordpress_style,
    date_archives_list_their_days_stories,
    static_pages_are_served_and_site_paths_are_not_pages,
    unpublished_articles_are_invisible_everywhere,
    a_change_shows_on_the_next_request_despite_the_cache,
    a_change_by_another_process_shows_within_two_seconds,
    unknown_paths_get_the_themed_404,
    a_changed_slug_answers_301_at_the_old_address,
    cached_pages_revalidate_with_etags,
    assets_have_fingerprinted_names_and_long_lifetimes,
    health_answers_when_the_database_does,
    the_page_cache_can_be_switched_off,
);

fn story(title: &str, section: &str, hours_ago: i64) -> NewArticle {
    let mut a = NewArticle::published(title, section, test_now() - Duration::hours(hours_ago));
    a.body_html = format!("<p>{title} body.</p>");
    a.body_source = a.body_html.clone();
    a.excerpt = format!("{title} teaser");
    a.authors = vec!["Test Writer".into()];
    a
}

async fn home_leads_with_the_newest_featured_story_and_shows_sections(db: TestDb) {
    let site = TestSite::start(db, Options::default()).await;
    let html = site.page("/").await;
    assert_eq!(count(&html, "<h1"), 1, "one h1");
    assert!(html.contains("The Test Courier"));
    let featured = ArticleFilter {
        featured: Some(true),
        ..Default::default()
    };
    let (lead, _) = site
        .store
        .list_public(&featured, masthead_core::paging::PageRequest::new(1, 1))
        .await
        .unwrap();
    let lead_block = between(&html, "class=\"lead\"", "</section>").unwrap();
    assert!(
        lead_block.contains(&lead[0].title),
        "the lead is the newest featured story"
    );
    assert!(html.contains("<h2 id=\"latest-title\">Latest</h2>"));
    for section in ["City", "Politics", "Business", "Sport"] {
        assert!(
            html.contains(&format!(">{section}</a></h2>")),
            "a block for {section}"
        );
    }
    assert!(
        html.contains("href=\"/about/\""),
        "footer links the static pages"
    );
    assert!(html.contains("<time datetime=\""));
}

async fn an_article_page_shows_the_whole_story_and_four_related_ones(db: TestDb) {
    let site = TestSite::start(db, Options::default()).await;
    let list = site.get("/api/v1/articles?per_page=100").await.json();
    let a = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["authors"].as_array().unwrap().len() == 2)
        .unwrap();
    let url = a["url"].as_str().unwrap();
    let html = site.page(url).await;
    let title = a["title"].as_str().unwrap();
    let h1 = between(&html, "<h1 class=\"headline\">", "</h1>").unwrap();
    assert_eq!(h1, masthead_render::markup::escape(title));
    assert_eq!(count(&html, "<h1"), 1);
    assert!(html.contains(&masthead_render::markup::escape(a["dek"].as_str().unwrap())));
    for author in a["authors"].as_array().unwrap() {
        assert!(html.contains(&format!(
            "<a href=\"{}\">{}</a>",
            author["url"].as_str().unwrap(),
            author["name"].as_str().unwrap()
        )));
    }
    assert!(html.contains(" and "), "two bylines read 'A and B'");
    for tag in a["tags"].as_array().unwrap() {
        assert!(html.contains(&format!(
            "href=\"{}\" rel=\"tag\"",
            tag["url"].as_str().unwrap()
        )));
    }
    assert!(html.contains("<blockquote>"), "the body keeps its quotes");
    let related = between(&html, "You May Also Like</h2>", "</section>").unwrap();
    assert_eq!(count(related, "class=\"card\""), 4, "four related stories");
    assert_eq!(count(related, "Read more"), 4);
    assert!(
        !related.contains(&format!("href=\"{url}\"")),
        "never the article itself"
    );
    assert!(html.contains("id=\"comments\""), "the place for comments");
    assert!(html.contains(&format!("<link rel=\"canonical\" href=\"{url}\">")));
}

async fn the_updated_date_shows_only_when_it_differs(db: TestDb) {
    let site = TestSite::empty(db).await;
    let mut plain = story("Never revised", "City", 5);
    plain.updated_at = plain.published_at;
    let plain = site.store.save_article(&plain).await.unwrap().id;
    let mut revised = story("Revised later", "City", 5);
    revised.updated_at = Some(test_now() - Duration::hours(1));
    let revised = site.store.save_article(&revised).await.unwrap().id;
    for (id, expect) in [(plain, false), (revised, true)] {
        let a = site.store.article(id).await.unwrap().unwrap();
        let html = site.page(&a.summary.path().unwrap()).await;
        assert_eq!(
            html.contains("Updated <time"),
            expect,
            "{}",
            a.summary.title
        );
    }
}

async fn archives_paginate_wordpress_style(db: TestDb) {
    let site = TestSite::start(
        db,
        Options {
            demo: false,
            per_page: 3,
            ..Default::default()
        },
    )
    .await;
    for i in 0..8 {
        site.store
            .save_article(&story(&format!("Sport story {i}"), "Sport", i + 1))
            .await
            .unwrap();
    }
    let first = site.page("/section/sport/").await;
    assert_eq!(count(&first, "class=\"card\""), 3);
    assert!(first.contains("Sport story 0"), "newest first");
    assert!(first.contains("<link rel=\"next\" href=\"/section/sport/page/2/\">"));
    assert!(!first.contains("rel=\"prev\""));
    assert!(
        first.contains("href=\"/section/sport/page/3/\""),
        "numbered page links"
    );
    let second = site.page("/section/sport/page/2/").await;
    assert!(second.contains("<link rel=\"prev\" href=\"/section/sport/\">"));
    assert!(second.contains("<link rel=\"next\" href=\"/section/sport/page/3/\">"));
    assert!(
        second.contains("aria-current=\"page\"><span class=\"visually-hidden\">Page </span>2<")
    );
    assert!(second.contains("Sport story 3"));
    let last = site.page("/section/sport/page/3/").await;
    assert_eq!(count(&last, "class=\"card\""), 2);
    assert_eq!(site.get("/section/sport/page/4/").await.status, 404);
    assert_eq!(site.get("/section/sport/page/0/").await.status, 404);
    assert_eq!(
        site.get("/section/sport/page/1/").await.header("location"),
        Some("/section/sport/")
    );
    // The home page's list continues at /page/2/, and tag and author archives page too.
    assert_eq!(site.get("/page/2/").await.status, 200);
    assert_eq!(site.get("/author/test-writer/page/3/").await.status, 200);
    assert_eq!(site.get("/author/test-writer/page/9/").await.status, 404);
    assert_eq!(site.get("/section/no-such-section/").await.status, 404);
}

async fn date_archives_list_their_days_stories(db: TestDb) {
    let site = TestSite::empty(db).await;
    let id = site
        .store
        .save_article(&story("Dated story", "City", 30))
        .await
        .unwrap()
        .id;
    site.store
        .save_article(&story("Other day", "City", 80))
        .await
        .unwrap();
    let date = site
        .store
        .article(id)
        .await
        .unwrap()
        .unwrap()
        .summary
        .url_date
        .unwrap();
    let day = site.page(&date.format("/%Y/%m/%d/").to_string()).await;
    assert!(day.contains("Dated story") && !day.contains("Other day"));
    let month = site.page(&date.format("/%Y/%m/").to_string()).await;
    assert!(month.contains("Dated story"));
    assert!(month.contains(&date.format("%B %Y").to_string()));
    let year = site.page(&date.format("/%Y/").to_string()).await;
    assert!(year.contains("Dated story") && year.contains("Other day"));
    assert_eq!(
        site.get("/1999/").await.status,
        404,
        "an empty year is not a page"
    );
    assert_eq!(site.get("/2026/02/30/").await.status, 404);
}

async fn static_pages_are_served_and_site_paths_are_not_pages(db: TestDb) {
    let site = TestSite::start(db, Options::default()).await;
    let about = site.page("/about/").await;
    assert!(about.contains("<h1 class=\"headline\">"));
    assert_eq!(site.get("/about").await.header("location"), Some("/about/"));
    for reserved in ["/static/", "/2024/"] {
        assert_eq!(site.get(reserved).await.status, 404, "{reserved}");
    }
    // `/search/` is the site's search, never a page.
    assert!(site.page("/search/").await.contains("<h1>Search</h1>"));
    // `/feed/` is the site's feed, never a page.
    assert_eq!(
        site.get("/feed/").await.header("content-type"),
        Some("application/rss+xml; charset=utf-8")
    );
    // The newsroom is never a static page: it asks who you are.
    let newsroom = site.get("/newsroom/").await;
    assert_eq!(newsroom.status, 303);
    assert!(
        newsroom
            .header("location")
            .unwrap()
            .starts_with("/newsroom/login")
    );
    assert_eq!(site.get("/no-such-page/").await.status, 404);
}

async fn unpublished_articles_are_invisible_everywhere(db: TestDb) {
    let site = TestSite::empty(db).await;
    site.store
        .save_article(&story("Public story", "City", 2))
        .await
        .unwrap();
    let mut hidden = Vec::new();
    for status in [
        ArticleStatus::Draft,
        ArticleStatus::Pending,
        ArticleStatus::Scheduled,
        ArticleStatus::Private,
        ArticleStatus::Trash,
    ] {
        // A schedule whose time has passed is published by the scheduler: this one is still to come.
        let hours_ago = if status == ArticleStatus::Scheduled {
            -2
        } else {
            1
        };
        let mut a = story(&format!("Secret {status} story"), "City", hours_ago);
        a.status = status;
        a.tags = vec!["secret".into()];
        hidden.push(site.store.save_article(&a).await.unwrap().id);
    }
    let mut future = story("Secret future story", "City", -3);
    future.tags = vec!["secret".into()];
    hidden.push(site.store.save_article(&future).await.unwrap().id);
    let future_path = site
        .store
        .article(*hidden.last().unwrap())
        .await
        .unwrap()
        .unwrap()
        .summary
        .path()
        .unwrap();

    for path in [
        "/",
        "/section/city/",
        "/author/test-writer/",
        "/page/2/",
        "/api/v1/articles",
        "/api/v1/articles?include=body",
    ] {
        let r = site.get(path).await;
        assert!(
            !r.body.contains("Secret"),
            "{path} leaks an unpublished story"
        );
    }
    let api = site.get("/api/v1/articles").await;
    assert_eq!(api.header("x-total-count"), Some("1"));
    let tag = site.page("/tag/secret/").await;
    assert!(tag.contains("0 stories") && !tag.contains("Secret"));
    for id in &hidden {
        assert_eq!(
            site.get(&format!("/api/v1/articles/{id}")).await.status,
            404
        );
    }
    assert_eq!(site.get(&future_path).await.status, 404);
}

async fn a_change_shows_on_the_next_request_despite_the_cache(db: TestDb) {
    let site = TestSite::start(db, Options::default()).await;
    let before = site.page("/section/sport/").await;
    assert_eq!(
        site.page("/section/sport/").await,
        before,
        "served from the cache"
    );
    assert!(!site.state_cache_is_empty());
    site.store
        .save_article(&story("Late winner at Ropewalk Park", "Sport", 0))
        .await
        .unwrap();
    assert!(
        site.page("/section/sport/")
            .await
            .contains("Late winner at Ropewalk Park")
    );
    assert!(
        site.page("/")
            .await
            .contains("Late winner at Ropewalk Park")
    );
}

async fn a_change_by_another_process_shows_within_two_seconds(db: TestDb) {
    let site = TestSite::start(db, Options::default()).await;
    assert!(!site.page("/").await.contains("Written elsewhere"));
    // A second store on the same database stands for another process (an import, a node).
    let other = site.db.store().await;
    other
        .store
        .save_article(&story("Written elsewhere", "City", 0))
        .await
        .unwrap();
    let start = std::time::Instant::now();
    loop {
        if site.page("/").await.contains("Written elsewhere") {
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(2),
            "not visible within 2 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn unknown_paths_get_the_themed_404(db: TestDb) {
    let site = TestSite::start(db, Options::default()).await;
    for path in [
        "/no/such/thing/here/at/all/",
        "/2026/01/01/no-such-story/",
        "/tag/nope/",
        "/%2e%2e/etc/",
    ] {
        let r = site.get(path).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(
            r.body.contains("Page not found") && r.body.contains("aria-label=\"Sections\""),
            "{path}: themed"
        );
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
    let r = site.get("/%ff%fe/").await;
    assert_eq!(r.status, 400);
    let long = format!("/{}/", "a".repeat(5000));
    assert_eq!(site.get(&long).await.status, 414);
    let long_query = format!("/?q={}", "a".repeat(5000));
    assert_eq!(site.get(&long_query).await.status, 414);
}

async fn a_changed_slug_answers_301_at_the_old_address(db: TestDb) {
    let site = TestSite::empty(db).await;
    let mut a = story("First headline", "City", 3);
    a.external_id = Some("e1".into());
    let id = site.store.save_article(&a).await.unwrap().id;
    let old = site
        .store
        .article(id)
        .await
        .unwrap()
        .unwrap()
        .summary
        .path()
        .unwrap();
    a.slug = Some("second-headline".into());
    site.store.save_article(&a).await.unwrap();
    let r = site.get(&old).await;
    assert_eq!(r.status, 301);
    let new = r.header("location").unwrap().to_owned();
    assert!(new.ends_with("/second-headline/"));
    assert_eq!(site.get(&new).await.status, 200);
}

async fn cached_pages_revalidate_with_etags(db: TestDb) {
    let site = TestSite::start(db, Options::default()).await;
    let first = site.get("/").await;
    let second = site.get("/").await;
    let etag = second.header("etag").unwrap().to_owned();
    assert_eq!(first.body, second.body);
    let again = site.get_with("/", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let gz = site.get_with("/", &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
}

async fn assets_have_fingerprinted_names_and_long_lifetimes(db: TestDb) {
    let site = TestSite::start(db, Options::default()).await;
    let html = site.page("/").await;
    let css = between(&html, "<link rel=\"stylesheet\" href=\"", "\"").unwrap();
    assert!(css.starts_with("/static/style.") && css.ends_with(".css"));
    let r = site.get(css).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(r.header("content-type").unwrap().starts_with("text/css"));
    assert_eq!(
        site.get("/static/style.css").await.status,
        404,
        "only fingerprinted names"
    );
    assert!(
        site.get("/")
            .await
            .header("content-security-policy")
            .is_some()
    );
}

async fn health_answers_when_the_database_does(db: TestDb) {
    let site = TestSite::empty(db).await;
    assert_eq!(site.get("/healthz").await.status, 200);
    site.discovery_ready().await;
    let ready = site.get("/readyz").await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert!(ready.body.contains("migrations: applied"), "{}", ready.body);
    assert!(
        ready
            .body
            .contains("search index behind the change log by: 0"),
        "{}",
        ready.body
    );
    site.store.close().await;
    assert_eq!(site.get("/healthz").await.status, 503);
    assert_eq!(site.get("/readyz").await.status, 503);
}

async fn the_page_cache_can_be_switched_off(db: TestDb) {
    let site = TestSite::start(
        db,
        Options {
            cache: false,
            ..Default::default()
        },
    )
    .await;
    site.page("/").await;
    site.page("/").await;
    assert!(site.state_cache_is_empty());
}

impl TestSite {
    fn state_cache_is_empty(&self) -> bool {
        self.state.page_cache_len() == 0
    }
}
