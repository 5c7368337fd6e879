//! The curated front page over HTTP, on both backends: editors choose the lead and the
//! featured stories and the order of section blocks; a breaking-news banner shows on every
//! page until its expiry, when the scheduler takes it down without anyone asking.
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

http_tests!(
    editors_choose_the_lead_the_featured_stories_and_the_section_order,
    a_breaking_banner_shows_everywhere_until_it_expires,
);

async fn story(site: &TestSite, title: &str, section: &str, hours_ago: i64) -> (i64, String) {
    let a = NewArticle::published(
        title,
        section,
        site.clock.now() - Duration::hours(hours_ago),
    );
    common::save(site, &a).await
}

async fn editor(site: &TestSite) -> (String, String) {
    add_user(site, "edith@example.org", Role::Editor).await;
    (
        sign_in(site, "edith@example.org", PASSWORD).await.unwrap(),
        site.origin(),
    )
}

/// The text between two markers of a page.
fn between<'a>(page: &'a str, from: &str, to: &str) -> &'a str {
    let start = page
        .find(from)
        .unwrap_or_else(|| panic!("no {from} in {page}"));
    let rest = &page[start..];
    &rest[..rest.find(to).unwrap_or(rest.len())]
}

async fn editors_choose_the_lead_the_featured_stories_and_the_section_order(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let (old, _) = story(&site, "Council agrees ten-year harbour plan", "City", 30).await;
    let (f1, _) = story(&site, "Ferry fares frozen", "City", 20).await;
    let (f2, _) = story(&site, "Shipyard wins order", "Business", 10).await;
    story(&site, "Newest city story", "City", 1).await;
    story(&site, "Newest business story", "Business", 2).await;
    // Enough older stories that section blocks have something the Latest list left.
    for i in 0..10 {
        story(
            &site,
            &format!("Older business story {i}"),
            "Business",
            40 + i,
        )
        .await;
        story(&site, &format!("Older city story {i}"), "City", 60 + i).await;
    }
    // Before any curation the newest story leads.
    assert!(
        between(&site.page("/").await, r#"class="lead""#, "</section>")
            .contains("Newest city story")
    );

    let (cookie, origin) = editor(&site).await;
    let form = site
        .get_with("/newsroom/front", &[("Cookie", &cookie)])
        .await;
    assert_eq!(form.status, 200);
    let (old, f1, f2) = (old.to_string(), f1.to_string(), f2.to_string());
    let r = site
        .post_form(
            "/newsroom/front",
            &[
                ("lead", &old),
                ("featured", &f2),
                ("featured", &f1),
                ("position-business", "1"),
                ("position-city", ""),
            ],
            &[("Cookie", &cookie), ("Origin", &origin)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let home = site.page("/").await;
    let lead = between(&home, r#"class="lead""#, r#"class="latest""#);
    assert!(
        lead.contains("Council agrees ten-year harbour plan"),
        "{lead}"
    );
    let featured = between(&home, r#"class="featured""#, "</section>");
    let (a, b) = (
        featured.find("Shipyard wins order").unwrap(),
        featured.find("Ferry fares frozen").unwrap(),
    );
    assert!(a < b, "featured in the editors' order");
    // Only the Business block, and no story twice.
    assert!(home.contains(r#"id="block-business""#));
    assert!(!home.contains(r#"id="block-city""#));
    assert_eq!(home.matches(">Ferry fares frozen<").count(), 1);

    let r = site
        .post_form(
            "/newsroom/front",
            &[
                ("featured", "1"),
                ("featured", "2"),
                ("featured", "3"),
                ("featured", "4"),
                ("featured", "5"),
                ("featured", "6"),
                ("featured", "7"),
            ],
            &[("Cookie", &cookie), ("Origin", &origin)],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("at most 6 featured stories"));
}

async fn a_breaking_banner_shows_everywhere_until_it_expires(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let (_, path) = story(&site, "Storm closes the bridge", "City", 1).await;
    let (cookie, origin) = editor(&site).await;
    let tz = site.state.settings().timezone;
    let expires = (site.clock.now() + Duration::minutes(30))
        .with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let r = site
        .post_form(
            "/newsroom/front",
            &[
                ("banner_text", "Harbour bridge closed until further notice"),
                ("banner_url", &path),
                ("banner_expires", &expires),
            ],
            &[("Cookie", &cookie), ("Origin", &origin)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    for page in ["/", path.as_str(), "/section/city/"] {
        let body = site.page(page).await;
        assert!(
            body.contains("Harbour bridge closed until further notice"),
            "{page}"
        );
        assert!(body.contains(&format!(r#"<a href="{path}">Harbour bridge closed"#)));
    }
    // Bad banners are refused with the reason.
    for (url, when, says) in [
        (
            "javascript:alert(1)",
            expires.as_str(),
            "link must be a path",
        ),
        ("", "2001-01-01T00:00", "already passed"),
        ("", "soon", "needs an expiry time"),
    ] {
        let r = site
            .post_form(
                "/newsroom/front",
                &[
                    ("banner_text", "Storm"),
                    ("banner_url", url),
                    ("banner_expires", when),
                ],
                &[("Cookie", &cookie), ("Origin", &origin)],
            )
            .await;
        assert_eq!(r.status, 422, "{url} {when}");
        assert!(r.body.contains(says), "{says}: {}", r.body);
    }
    // Its time passes: the scheduler takes it down, and the cached pages follow.
    site.clock.advance(Duration::minutes(31));
    let mut gone = false;
    for _ in 0..300 {
        if !site.page("/").await.contains("Harbour bridge closed") {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(gone, "the banner came down at its expiry");
    assert!(!site.page(&path).await.contains("Harbour bridge closed"));
}
