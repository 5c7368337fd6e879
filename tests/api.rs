//! The read-side JSON API over a real server, on SQLite and on PostgreSQL.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use chrono::Duration;
use common::{Options, TestSite};
use masthead_store::NewArticle;
use masthead_testkit::{TestDb, test_now};

http_tests!(
    articles_list_with_total_and_link_headers,
    articles_filter_by_section_tag_author_and_dates,
    an_article_object_carries_every_field,
    lists_carry_the_excerpt_not_the_body_unless_asked,
    malformed_parameters_are_400_with_a_json_code,
    unknown_ids_and_endpoints_are_404_json,
    sections_tags_and_authors_are_listed,
);

fn code(r: &common::Resp) -> String {
    r.json()["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn articles_list_with_total_and_link_headers(db: TestDb) {
    let site = TestSite::start(db, Options::default()).await;
    let r = site.get("/api/v1/articles?per_page=5&page=2").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-total-count"), Some("27"));
    assert_eq!(r.json().as_array().unwrap().len(), 5);
    let link = r.header("link").unwrap();
    for rel in ["first", "last", "prev", "next"] {
        assert!(link.contains(&format!("rel=\"{rel}\"")), "{link}");
    }
    assert!(
        link.contains("</api/v1/articles?per_page=5&page=3>; rel=\"next\""),
        "{link}"
    );
    assert!(
        link.contains("</api/v1/articles?per_page=5&page=6>; rel=\"last\""),
        "{link}"
    );
    let all = site.get("/api/v1/articles?per_page=100").await.json();
    let items = all.as_array().unwrap();
    assert_eq!(items.len(), 27);
    let times: Vec<&str> = items
        .iter()
        .map(|a| a["published_at"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest first");
    assert!(
        site.get("/api/v1/articles?page=99")
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
}

async fn articles_filter_by_section_tag_author_and_dates(db: TestDb) {
    let site = TestSite::empty(db).await;
    let mut a = NewArticle::published("Budget row", "Politics", test_now() - Duration::days(3));
    a.tags = vec!["Council budget".into()];
    a.authors = vec!["Maya Okafor".into()];
    site.store.save_article(&a).await.unwrap();
    let mut b = NewArticle::published("Cup final", "Sport", test_now() - Duration::hours(2));
    b.authors = vec!["Sam Whitlock".into()];
    site.store.save_article(&b).await.unwrap();
    let titles = |path: &str| {
        let path = path.to_owned();
        let site = &site;
        async move {
            let r = site.get(&path).await;
            assert_eq!(r.status, 200, "{path}: {}", r.body);
            r.json()
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["title"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        titles("/api/v1/articles?section=politics").await,
        ["Budget row"]
    );
    assert_eq!(
        titles("/api/v1/articles?tag=council-budget").await,
        ["Budget row"]
    );
    assert_eq!(
        titles("/api/v1/articles?author=sam-whitlock").await,
        ["Cup final"]
    );
    let day = (test_now() - Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(
        titles(&format!("/api/v1/articles?after={day}")).await,
        ["Cup final"]
    );
    assert_eq!(
        titles(&format!("/api/v1/articles?before={day}")).await,
        ["Budget row"]
    );
    let t = (test_now() - Duration::hours(1)).to_rfc3339();
    let enc = t.replace('+', "%2B");
    assert_eq!(
        titles(&format!("/api/v1/articles?before={enc}"))
            .await
            .len(),
        2
    );
    assert!(titles("/api/v1/articles?section=no-such").await.is_empty());
}

async fn an_article_object_carries_every_field(db: TestDb) {
    let site = TestSite::empty(db).await;
    let mut a = NewArticle::published("Wire copy", "Business", test_now() - Duration::hours(1));
    a.external_id = Some("reuters-00042".into());
    a.dek = Some("A standfirst".into());
    a.body_html = "<p>Body</p>".into();
    a.excerpt = "Body".into();
    a.tags = vec!["Port".into()];
    a.authors = vec!["Tom Reed".into()];
    let id = site.store.save_article(&a).await.unwrap().id;
    let r = site.get(&format!("/api/v1/articles/{id}")).await;
    assert_eq!(r.status, 200);
    let j = r.json();
    for field in [
        "id",
        "slug",
        "url",
        "title",
        "dek",
        "excerpt",
        "body_html",
        "published_at",
        "updated_at",
        "authors",
        "section",
        "sections",
        "tags",
        "comment_count",
        "comments_open",
        "featured",
        "external_id",
    ] {
        assert!(j.get(field).is_some(), "missing {field}: {j}");
    }
    assert_eq!(j["id"], id);
    assert_eq!(j["slug"], "wire-copy");
    assert!(j["url"].as_str().unwrap().ends_with("/wire-copy/"));
    assert_eq!(j["body_html"], "<p>Body</p>");
    assert_eq!(j["external_id"], "reuters-00042");
    assert_eq!(j["authors"][0]["url"], "/author/tom-reed/");
    assert_eq!(j["section"]["slug"], "business");
    assert_eq!(j["tags"][0]["name"], "Port");
    assert!(chrono::DateTime::parse_from_rfc3339(j["published_at"].as_str().unwrap()).is_ok());
    let plain = site
        .store
        .save_article(&NewArticle::published("Staff copy", "City", test_now()))
        .await
        .unwrap()
        .id;
    let j = site.get(&format!("/api/v1/articles/{plain}")).await.json();
    assert!(
        j.get("external_id").is_none(),
        "external_id only for imports"
    );
}

async fn lists_carry_the_excerpt_not_the_body_unless_asked(db: TestDb) {
    let site = TestSite::start(db, Options::default()).await;
    let plain = site.get("/api/v1/articles?per_page=3").await.json();
    for a in plain.as_array().unwrap() {
        assert!(a.get("body_html").is_none());
        assert!(!a["excerpt"].as_str().unwrap().is_empty());
    }
    let full = site
        .get("/api/v1/articles?per_page=3&include=body")
        .await
        .json();
    for a in full.as_array().unwrap() {
        assert!(a["body_html"].as_str().unwrap().contains("<p>"));
    }
}

async fn malformed_parameters_are_400_with_a_json_code(db: TestDb) {
    let site = TestSite::empty(db).await;
    for q in [
        "per_page=101",
        "per_page=0",
        "per_page=x",
        "page=0",
        "page=-2",
        "page=99999999999999",
        "before=tomorrow",
        "after=2026-13-01",
        "include=everything",
    ] {
        let r = site.get(&format!("/api/v1/articles?{q}")).await;
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(code(&r), "invalid_parameter", "{q}");
        assert!(!r.json()["error"]["message"].as_str().unwrap().is_empty());
    }
    let r = site.get("/api/v1/articles/abc").await;
    assert_eq!((r.status, code(&r).as_str()), (400, "invalid_parameter"));
}

async fn unknown_ids_and_endpoints_are_404_json(db: TestDb) {
    let site = TestSite::empty(db).await;
    for path in [
        "/api/v1/articles/999999",
        "/api/v1/nothing",
        "/api/v1/articles/1/nope",
    ] {
        let r = site.get(path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(code(&r), "not_found", "{path}");
        assert!(
            r.header("content-type")
                .unwrap()
                .starts_with("application/json")
        );
    }
}

async fn sections_tags_and_authors_are_listed(db: TestDb) {
    let site = TestSite::start(db, Options::default()).await;
    let sections = site.get("/api/v1/sections").await.json();
    let tech = sections
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["slug"] == "technology")
        .unwrap();
    assert_eq!(tech["parent"], "business");
    assert_eq!(tech["url"], "/section/technology/");
    let tags = site.get("/api/v1/tags").await.json();
    assert!(
        tags.as_array()
            .unwrap()
            .iter()
            .any(|t| t["slug"] == "harbour-bridge")
    );
    let authors = site.get("/api/v1/authors").await.json();
    let maya = authors
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["slug"] == "maya-okafor")
        .unwrap();
    assert!(!maya["bio"].as_str().unwrap().is_empty());
    assert!(maya.get("email").is_none(), "emails are private");
}
