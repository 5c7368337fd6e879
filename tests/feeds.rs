//! Feeds over HTTP, on both backends: RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site,
//! its sections, tags and authors, and each article's comments; parsed with real feed
//! parsers, with absolute links, stable ids, dates, enclosures and conditional GET.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{TestSite, add_user};
use masthead_core::comment::CommentStatus;
use masthead_core::{ArticleStatus, Clock, Role, TokenScope};
use masthead_store::{NewArticle, NewComment};
use masthead_testkit::TestDb;
use serde_json::json;

http_tests!(
    every_format_lists_the_newest_published_stories,
    feeds_are_scoped_to_sections_tags_and_authors,
    conditional_get_and_unpublishing,
    an_articles_comment_feed_lists_its_approved_comments,
    featured_images_are_enclosures_with_their_length,
);

const RSS: &str = "application/rss+xml; charset=utf-8";
const ATOM: &str = "application/atom+xml; charset=utf-8";
const JSON_FEED: &str = "application/feed+json; charset=utf-8";

fn rss(body: &str) -> rss::Channel {
    rss::Channel::read_from(body.as_bytes()).unwrap_or_else(|e| panic!("bad RSS ({e}): {body}"))
}

fn atom(body: &str) -> atom_syndication::Feed {
    atom_syndication::Feed::read_from(body.as_bytes())
        .unwrap_or_else(|e| panic!("bad Atom ({e}): {body}"))
}

async fn fetch(site: &TestSite, path: &str, content_type: &str) -> String {
    let r = site.get(path).await;
    assert_eq!(r.status, 200, "GET {path}: {}", r.body);
    assert_eq!(r.header("content-type"), Some(content_type), "{path}");
    r.body
}

/// A published story `hours_ago`, with a body, in `section`, with tags and bylines.
async fn story(
    site: &TestSite,
    title: &str,
    section: &str,
    hours_ago: i64,
    tags: &[&str],
    authors: &[&str],
) -> (i64, String) {
    let mut a = NewArticle::published(
        title,
        section,
        site.clock.now() - Duration::hours(hours_ago),
    );
    a.external_id = Some(format!("feed-test:{title}"));
    a.body_html = format!("<p>The whole of {title}.</p>");
    a.excerpt = format!("Excerpt of {title}.");
    a.tags = tags.iter().map(|t| (*t).to_owned()).collect();
    a.authors = authors.iter().map(|t| (*t).to_owned()).collect();
    common::save(site, &a).await
}

/// 25 stories an hour apart, "Story 0" the newest; even ones tagged Harbour, every third
/// by Maya Okafor, the odd ones in Business; and a draft that must never show.
async fn newsroom(site: &TestSite) -> Vec<(i64, String)> {
    common::seed_sections(site).await;
    let mut out = Vec::new();
    for i in 0..25 {
        let section = if i % 2 == 1 { "Business" } else { "City" };
        let tags: &[&str] = if i % 2 == 0 { &["Harbour"] } else { &[] };
        let authors: &[&str] = if i % 3 == 0 {
            &["Maya Okafor", "Sam Lee"]
        } else {
            &[]
        };
        out.push(story(site, &format!("Story {i}"), section, i + 1, tags, authors).await);
    }
    let mut draft = NewArticle::published("Secret draft", "City", site.clock.now());
    draft.status = ArticleStatus::Draft;
    draft.published_at = None;
    site.store.save_article(&draft).await.unwrap();
    out
}

fn titles(ch: &rss::Channel) -> Vec<String> {
    ch.items()
        .iter()
        .map(|i| i.title().unwrap_or_default().to_owned())
        .collect()
}

async fn every_format_lists_the_newest_published_stories(db: TestDb) {
    let site = TestSite::empty(db).await;
    let stories = newsroom(&site).await;
    let expected: Vec<String> = (0..20).map(|i| format!("Story {i}")).collect();

    // RSS: the 20 newest, newest first, absolute permanent links as guids, RFC 822 dates.
    let body = fetch(&site, "/feed/", RSS).await;
    let ch = rss(&body);
    assert_eq!(ch.title(), "The Test Courier");
    assert_eq!(ch.link(), format!("{}/", site.base));
    assert!(ch.last_build_date().is_some());
    assert!(
        body.contains(&format!(
            r#"<atom:link rel="self" type="application/rss+xml" href="{}/feed/"/>"#,
            site.base
        )),
        "{body}"
    );
    assert_eq!(titles(&ch), expected);
    assert!(!body.contains("Secret draft"));
    for (n, item) in ch.items().iter().enumerate() {
        let link = format!("{}{}", site.base, stories[n].1);
        assert_eq!(item.link(), Some(link.as_str()));
        let guid = item.guid().unwrap();
        assert_eq!(guid.value(), link);
        assert!(guid.is_permalink());
        let date = DateTime::parse_from_rfc2822(item.pub_date().unwrap()).unwrap();
        let want = site.clock.now() - Duration::hours(n as i64 + 1);
        assert_eq!(
            date.timestamp(),
            want.timestamp(),
            "{}",
            item.pub_date().unwrap()
        );
        assert!(
            item.description()
                .unwrap()
                .contains(&format!("<p>The whole of Story {n}.</p>"))
        );
    }
    // Ids are stable across requests (and across formats).
    let again = rss(&site.page("/feed/").await);
    let guids = |c: &rss::Channel| -> Vec<String> {
        c.items()
            .iter()
            .map(|i| i.guid().unwrap().value().to_owned())
            .collect()
    };
    assert_eq!(guids(&ch), guids(&again));

    // Atom: the same entries, ids unique, updated, authors, self link.
    let feed = atom(&fetch(&site, "/feed/atom/", ATOM).await);
    assert_eq!(feed.entries().len(), 20);
    let ids: Vec<String> = feed.entries().iter().map(|e| e.id().to_owned()).collect();
    assert_eq!(ids, guids(&ch));
    assert!(
        feed.links()
            .iter()
            .any(|l| l.rel() == "self" && l.href() == format!("{}/feed/atom/", site.base))
    );
    assert!(!feed.authors().is_empty());
    let first = &feed.entries()[0];
    assert_eq!(first.title().as_str(), "Story 0");
    let names: Vec<&str> = first.authors().iter().map(|a| a.name()).collect();
    assert_eq!(names, ["Maya Okafor", "Sam Lee"]);
    assert_eq!(
        first.authors()[0].uri(),
        Some(format!("{}/author/maya-okafor/", site.base).as_str())
    );
    assert_eq!(
        first.updated().timestamp(),
        feed.entries()
            .iter()
            .map(|e| e.updated().timestamp())
            .max()
            .unwrap()
    );
    assert!(first.published().is_some());

    // JSON Feed 1.1.
    let j: serde_json::Value =
        serde_json::from_str(&fetch(&site, "/feed/json/", JSON_FEED).await).unwrap();
    assert_eq!(j["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(j["feed_url"], format!("{}/feed/json/", site.base));
    let items = j["items"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    let jids: Vec<String> = items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(jids, ids);
    assert_eq!(items[0]["authors"][0]["name"], "Maya Okafor");
    assert!(DateTime::parse_from_rfc3339(items[0]["date_published"].as_str().unwrap()).is_ok());
    assert!(
        items[0]["content_html"]
            .as_str()
            .unwrap()
            .contains("The whole of Story 0.")
    );

    // A missing trailing slash is redirected; unknown formats are not ours.
    let r = site.get("/feed").await;
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/feed/"));
    assert_eq!(site.get("/feed/rdf/").await.status, 404);
}

async fn feeds_are_scoped_to_sections_tags_and_authors(db: TestDb) {
    let site = TestSite::empty(db).await;
    newsroom(&site).await;
    // Business: the odd stories.
    let ch = rss(&fetch(&site, "/section/business/feed/", RSS).await);
    let want: Vec<String> = (0..25)
        .filter(|i| i % 2 == 1)
        .map(|i| format!("Story {i}"))
        .collect();
    assert_eq!(titles(&ch), want);
    assert_eq!(ch.link(), format!("{}/section/business/", site.base));
    // Harbour: the even ones, in Atom.
    let feed = atom(&fetch(&site, "/tag/harbour/feed/atom/", ATOM).await);
    let got: Vec<String> = feed
        .entries()
        .iter()
        .map(|e| e.title().as_str().to_owned())
        .collect();
    let want: Vec<String> = (0..25)
        .filter(|i| i % 2 == 0)
        .map(|i| format!("Story {i}"))
        .collect();
    assert_eq!(got, want);
    // Maya Okafor's, as JSON Feed.
    let j: serde_json::Value =
        serde_json::from_str(&fetch(&site, "/author/maya-okafor/feed/json/", JSON_FEED).await)
            .unwrap();
    let got: Vec<&str> = j["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    let want: Vec<String> = (0..25)
        .filter(|i| i % 3 == 0)
        .map(|i| format!("Story {i}"))
        .collect();
    assert_eq!(got, want);
    // Every kind exists for every scope.
    for scope in ["/section/city/", "/tag/harbour/", "/author/sam-lee/"] {
        rss(&fetch(&site, &format!("{scope}feed/"), RSS).await);
        atom(&fetch(&site, &format!("{scope}feed/atom/"), ATOM).await);
        fetch(&site, &format!("{scope}feed/json/"), JSON_FEED).await;
    }
    // Unknown terms are 404.
    for p in [
        "/section/nowhere/feed/",
        "/tag/nothing/feed/atom/",
        "/author/nobody/feed/json/",
        "/2020/01/01/no-such-story/feed/",
    ] {
        assert_eq!(site.get(p).await.status, 404, "{p}");
    }
}

async fn conditional_get_and_unpublishing(db: TestDb) {
    let site = TestSite::empty(db).await;
    let stories = newsroom(&site).await;
    // The stories' own changes reach the follower first, or its catching up would start
    // a new cache generation in the middle of the checks.
    site.settle().await;
    for path in ["/feed/", "/feed/atom/", "/feed/json/"] {
        let r = site.get(path).await;
        assert_eq!(r.status, 200);
        let etag = r.header("etag").unwrap().to_owned();
        let modified = r.header("last-modified").unwrap().to_owned();
        let newest = DateTime::parse_from_rfc2822(&modified).unwrap();
        // Story 0's update time (saved now by the fake clock).
        assert!(newest.timestamp() <= site.clock.now().timestamp());
        let r = site.get_with(path, &[("if-none-match", &etag)]).await;
        assert_eq!(r.status, 304, "{path}");
        assert!(r.body.is_empty());
        let r = site
            .get_with(path, &[("if-modified-since", &modified)])
            .await;
        assert_eq!(r.status, 304, "{path}");
        let older = (newest - Duration::hours(1))
            .with_timezone(&Utc)
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let r = site.get_with(path, &[("if-modified-since", &older)]).await;
        assert_eq!(r.status, 200, "{path}");
        // Compressed for readers that take gzip.
        let r = site.get_with(path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(r.header("content-encoding"), Some("gzip"), "{path}");
    }
    assert!(site.state.page_cached("/feed/"));

    // Trashing the newest story takes it out of every feed.
    assert!(site.page("/feed/").await.contains(&stories[0].1));
    let mut a = NewArticle::published("Story 0", "City", site.clock.now() - Duration::hours(1));
    a.external_id = Some("feed-test:Story 0".into());
    a.status = ArticleStatus::Trash;
    site.store.save_article(&a).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while site.page("/feed/").await.contains(&stories[0].1) && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let ch = rss(&site.page("/feed/").await);
    assert_eq!(ch.items().len(), 20);
    assert_eq!(ch.items()[0].title(), Some("Story 1"));
    assert!(!titles(&ch).contains(&"Story 0".to_owned()));
    assert!(!site.page("/feed/atom/").await.contains(&stories[0].1));
    assert!(!site.page("/feed/json/").await.contains(&stories[0].1));
    assert!(
        !site
            .page("/tag/harbour/feed/")
            .await
            .contains(&stories[0].1)
    );
}

async fn an_articles_comment_feed_lists_its_approved_comments(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let (id, path) = story(&site, "Harbour plan", "City", 30, &[], &[]).await;
    for (n, (name, status)) in [
        ("Ada", CommentStatus::Approved),
        ("Held Back", CommentStatus::Held),
        ("Bea", CommentStatus::Approved),
        ("Spammer", CommentStatus::Spam),
    ]
    .into_iter()
    .enumerate()
    {
        site.store
            .add_comment(&NewComment {
                article_id: id,
                status: Some(status),
                author_name: name.into(),
                author_email: format!("{}@example.net", name.to_lowercase().replace(' ', "")),
                body: format!("Words from {name}"),
                created_at: Some(site.clock.now() - Duration::hours(10 - n as i64)),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    // The comments were written straight into the store, as another process would: let
    // the change follower see them before the feed is read and kept.
    site.settle().await;
    let feed_path = format!("{path}feed/");
    let body = fetch(&site, &feed_path, RSS).await;
    assert!(!body.contains("@example.net"), "{body}");
    let ch = rss(&body);
    assert_eq!(ch.title(), "Comments on Harbour plan");
    assert_eq!(titles(&ch), ["Comment by Bea", "Comment by Ada"]);
    let link = ch.items()[0].link().unwrap();
    assert!(
        link.starts_with(&format!("{}{path}#comment-", site.base)),
        "{link}"
    );
    assert!(
        ch.items()[0]
            .description()
            .unwrap()
            .contains("Words from Bea")
    );
    assert!(!body.contains("Held Back") && !body.contains("Spammer"));
    let feed = atom(&fetch(&site, &format!("{feed_path}atom/"), ATOM).await);
    assert_eq!(feed.entries().len(), 2);
    assert_eq!(feed.entries()[0].authors()[0].name(), "Bea");
    let j: serde_json::Value =
        serde_json::from_str(&fetch(&site, &format!("{feed_path}json/"), JSON_FEED).await).unwrap();
    assert_eq!(j["items"].as_array().unwrap().len(), 2);

    // A newly approved comment shows at once: the cached feed is dropped.
    assert!(site.state.page_cached(&feed_path));
    site.store
        .add_comment(&NewComment {
            article_id: id,
            status: Some(CommentStatus::Approved),
            author_name: "Cy".into(),
            author_email: "cy@example.net".into(),
            body: "Late words".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !site.page(&feed_path).await.contains("Late words")
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        titles(&rss(&site.page(&feed_path).await))[0],
        "Comment by Cy"
    );
}

async fn featured_images_are_enclosures_with_their_length(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let uid = add_user(&site, "edith@example.org", Role::Editor).await;
    let token = site.token_for(uid, TokenScope::Write).await;
    let img = image::RgbImage::from_fn(800, 500, |x, y| {
        image::Rgb([(x * 255 / 800) as u8, (y * 255 / 500) as u8, 90])
    });
    let mut jpeg = std::io::Cursor::new(Vec::new());
    img.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
    let res = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/media?file_name=quay.jpg&alt=Boats",
            site.base
        ))
        .bearer_auth(&token)
        .header("content-type", "image/jpeg")
        .body(jpeg.into_inner())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let media: serde_json::Value = res.json().await.unwrap();
    let r = site
        .send_json(
            "POST",
            "/api/v1/articles",
            &token,
            Some(&json!({"title": "Boats return", "status": "published", "featured_media": media["id"]})),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let src = format!("{}{}", site.base, media["src"].as_str().unwrap());
    let bytes = reqwest::get(&src).await.unwrap().bytes().await.unwrap();

    let ch = rss(&fetch(&site, "/feed/", RSS).await);
    let enc = ch.items()[0].enclosure().unwrap();
    assert_eq!(enc.url(), src);
    assert_eq!(enc.length(), bytes.len().to_string());
    assert_eq!(enc.mime_type(), "image/jpeg");
    let feed = atom(&fetch(&site, "/feed/atom/", ATOM).await);
    let link = feed.entries()[0]
        .links()
        .iter()
        .find(|l| l.rel() == "enclosure")
        .unwrap();
    assert_eq!(link.href(), src);
    assert_eq!(link.length(), Some(bytes.len().to_string().as_str()));
    let j: serde_json::Value =
        serde_json::from_str(&fetch(&site, "/feed/json/", JSON_FEED).await).unwrap();
    let att = &j["items"][0]["attachments"][0];
    assert_eq!(att["url"], src);
    assert_eq!(att["mime_type"], "image/jpeg");
    assert_eq!(att["size_in_bytes"], bytes.len() as u64);
}
