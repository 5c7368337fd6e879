//! The site's settings edited in the newsroom, on both backends: title, tagline,
//! language, timezone, address and stories per page take effect at once on the pages and
//! in what depends on them; bad values are refused with the reason and change nothing.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use chrono::Duration;
use common::{PASSWORD, TestSite, add_user, sign_in};
use masthead_core::{Clock, Role};
use masthead_store::NewArticle;
use masthead_testkit::TestDb;

http_tests!(settings_saved_in_the_newsroom_take_effect_at_once);

async fn settings_saved_in_the_newsroom_take_effect_at_once(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    for i in 0..12 {
        let mut a = NewArticle::published(
            format!("City story {i}"),
            "City",
            site.clock.now() - Duration::hours(i + 1),
        );
        a.body_html = format!("<p>The whole of story {i}.</p>");
        a.excerpt = format!("The excerpt of story {i}.");
        site.store.save_article(&a).await.unwrap();
    }
    add_user(&site, "ada@example.org", Role::Administrator).await;
    let cookie = sign_in(&site, "ada@example.org", PASSWORD).await.unwrap();
    let origin = site.origin();
    let headers = [("Cookie", cookie.as_str()), ("Origin", origin.as_str())];
    let form = site.get_with("/newsroom/settings", &headers[..1]).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains(r#"value="The Test Courier""#));
    assert!(
        site.page("/feed/").await.contains("The whole of story 0."),
        "whole stories by default"
    );
    let good = [
        ("title", "The Harbour Herald"),
        ("tagline", "News from the quays"),
        ("site_url", "https://news.example/"),
        ("timezone", "Europe/London"),
        ("language", "en-GB"),
        ("logo", ""),
        ("per_page", "5"),
        ("feed_items", "3"),
        ("feed_content", "excerpt"),
    ];
    // Each bad value is refused with its reason, and nothing changes.
    for (field, bad, says) in [
        ("title", "", "between 1 and 200"),
        (
            "site_url",
            "ftp://news.example",
            "must be http:// or https://",
        ),
        ("timezone", "Mars/Olympus_Mons", "not a timezone"),
        ("language", "English", "not a language tag"),
        ("per_page", "0", "between 1 and 100"),
        (
            "feed_items",
            "500",
            "Stories per feed must be between 1 and 100",
        ),
        ("logo", "999", "no image 999"),
    ] {
        let form: Vec<(&str, &str)> = good
            .iter()
            .map(|(k, v)| if *k == field { (*k, bad) } else { (*k, *v) })
            .collect();
        let r = site.post_form("/newsroom/settings", &form, &headers).await;
        assert_eq!(r.status, 422, "{field}={bad}");
        assert!(r.body.contains(says), "{field}: {}", r.body);
        assert!(
            site.page("/").await.contains("The Test Courier"),
            "nothing changed"
        );
    }
    let r = site.post_form("/newsroom/settings", &good, &headers).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let home = site.page("/").await;
    assert!(home.contains("The Harbour Herald") && home.contains("News from the quays"));
    assert!(home.contains(r#"<html lang="en-GB">"#));
    // Five stories a page now.
    let city = site.page("/section/city/").await;
    assert_eq!(
        city.matches(r#"<article class="card">"#).count(),
        5,
        "{city}"
    );
    assert!(
        site.page("/section/city/page/3/")
            .await
            .contains("City story 10")
    );
    // Feeds: three items, excerpts only.
    let feed: serde_json::Value = serde_json::from_str(&site.page("/feed/json/").await).unwrap();
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let content = items[0]["content_html"].as_str().unwrap();
    assert!(
        content.contains("The excerpt of story 0.") && !content.contains("The whole of"),
        "{content}"
    );
    // Times show in the new timezone; the address is https, so cookies are Secure.
    assert!(city.contains("GMT") || city.contains("BST"), "{city}");
    let r = site
        .post_form(
            "/newsroom/login",
            &[
                ("email", "ada@example.org"),
                ("password", PASSWORD),
                ("next", ""),
            ],
            &[("Origin", &origin)],
        )
        .await;
    assert!(r.header("set-cookie").unwrap().contains("Secure"));
    // The form shows what is in force.
    let form = site.get_with("/newsroom/settings", &headers[..1]).await;
    assert!(form.body.contains(r#"value="Europe/London""#));
    assert!(form.body.contains(r#"value="https://news.example""#));
}
