//! Writing articles through the API, on both backends: each role within its rights,
//! no silent overwrite (If-Match), scheduling on the clock with no reader involved,
//! slug changes that redirect, and withdrawn stories that answer 410.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use chrono::Duration;
use common::TestSite;
use masthead_core::{ArticleStatus, Clock, Role, TokenScope};
use masthead_store::{AuditFilter, NewUser, RevisionKind};
use masthead_testkit::TestDb;
use serde_json::{Value, json};

http_tests!(
    each_role_writes_and_publishes_within_its_rights,
    bad_article_bodies_get_clear_errors,
    edits_must_name_the_version_they_change,
    scheduled_articles_publish_at_their_time_without_any_request,
    slug_changes_redirect_and_withdrawn_stories_are_gone,
    corrections_are_dated_on_the_page_and_labels_are_disclosed,
    search_fields_canonical_and_dateline_reach_the_page,
);

/// A user with `role` and a write token.
async fn writer(site: &TestSite, role: Role, name: &str) -> (i64, String) {
    let id = site
        .store
        .create_user(&NewUser {
            email: format!("{name}@example.org"),
            name: name.to_owned(),
            role,
            password_hash: None,
        })
        .await
        .unwrap();
    (id, site.token_for(id, TokenScope::Write).await)
}

async fn post(site: &TestSite, token: &str, body: Value) -> common::Resp {
    site.send_json("POST", "/api/v1/articles", token, Some(&body), &[])
        .await
}

async fn patch(site: &TestSite, token: &str, id: i64, etag: &str, body: Value) -> common::Resp {
    site.send_json(
        "PATCH",
        &format!("/api/v1/articles/{id}"),
        token,
        Some(&body),
        &[("If-Match", etag)],
    )
    .await
}

fn etag(r: &common::Resp) -> String {
    r.header("etag").unwrap().to_owned()
}

async fn each_role_writes_and_publishes_within_its_rights(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let (_, contributor) = writer(&site, Role::Contributor, "carla").await;
    let (_, author) = writer(&site, Role::Author, "aziz").await;
    let (_, other_author) = writer(&site, Role::Author, "olga").await;
    let (_, editor) = writer(&site, Role::Editor, "edith").await;

    // A contributor writes a draft: a new article is a draft, with its ETag and address.
    let r = post(
        &site,
        &contributor,
        json!({"title": "Ferry timetable changes from Monday", "body": "The *winter* timetable starts.", "section": "city", "tags": ["Ferries", "transport"]}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let draft = r.json();
    let id = draft["id"].as_i64().unwrap();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["format"], "markdown");
    assert_eq!(draft["body"], "The *winter* timetable starts.");
    assert!(
        draft["body_html"]
            .as_str()
            .unwrap()
            .contains("<em>winter</em>")
    );
    assert_eq!(draft["section"]["slug"], "city");
    assert_eq!(draft["authors"][0]["name"], "carla");
    assert_eq!(
        r.header("location").unwrap(),
        format!("/api/v1/articles/{id}")
    );
    let tag = etag(&r);

    // … cannot publish it, or start out published …
    let r = patch(
        &site,
        &contributor,
        id,
        &tag,
        json!({"status": "published"}),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("submit it for review")
    );
    let r = post(
        &site,
        &contributor,
        json!({"title": "Straight to print", "status": "published"}),
    )
    .await;
    assert_eq!(r.status, 403);
    // … but submits it for review.
    let r = patch(&site, &contributor, id, &tag, json!({"status": "pending"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "pending");
    let tag = etag(&r);
    // Nobody outside sees a draft or a pending story; another author cannot even find it.
    assert_eq!(
        site.get(&format!("/api/v1/articles/{id}")).await.status,
        404
    );
    let r = patch(&site, &other_author, id, &tag, json!({"title": "Mine now"})).await;
    assert_eq!(r.status, 404);

    // An editor publishes it: it is on the site and in the API at once.
    let r = patch(&site, &editor, id, &tag, json!({"status": "published"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let published = r.json();
    assert_eq!(published["status"], "published");
    let url = published["url"].as_str().unwrap().to_owned();
    assert_eq!(site.get(&url).await.status, 200);
    let listed = site.get("/api/v1/articles").await.json();
    assert_eq!(listed[0]["id"].as_i64(), Some(id));
    // Once published, the contributor can no longer change it.
    let r = patch(
        &site,
        &contributor,
        id,
        &etag(&r),
        json!({"title": "A late fix"}),
    )
    .await;
    assert_eq!(r.status, 403);

    // An author publishes their own, and trashes it; its address then answers 410.
    let r = post(
        &site,
        &author,
        json!({"title": "Harbour crane arrives", "status": "published", "section": "business"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let own = r.json();
    let own_id = own["id"].as_i64().unwrap();
    let own_url = own["url"].as_str().unwrap().to_owned();
    assert_eq!(site.get(&own_url).await.status, 200);
    let r = site
        .send_json(
            "DELETE",
            &format!("/api/v1/articles/{own_id}"),
            &other_author,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404, "another author cannot trash it");
    let r = site
        .send_json(
            "DELETE",
            &format!("/api/v1/articles/{own_id}"),
            &author,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "trash");
    assert_eq!(site.get(&own_url).await.status, 410);

    // The publications and the trashing are on the record.
    let log = site
        .store
        .audit_entries(&AuditFilter::default(), 50, 0)
        .await
        .unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str()))
        .collect();
    assert!(
        actions.contains(&("edith@example.org", "published")),
        "{actions:?}"
    );
    assert!(actions.contains(&("aziz@example.org", "published")));
    assert!(actions.contains(&("aziz@example.org", "trashed")));
}

async fn bad_article_bodies_get_clear_errors(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let (_, editor) = writer(&site, Role::Editor, "edith").await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"body": "no title"}), 422, "`title` is required"),
        (json!({"title": "   "}), 422, "`title` must not be empty"),
        (json!({"title": "x".repeat(501)}), 422, "longer than 500"),
        (
            json!({"title": "T", "section": "weather"}),
            422,
            "no section with the slug \"weather\"",
        ),
        (
            json!({"title": "T", "authors": ["nobody"]}),
            422,
            "no byline with the slug",
        ),
        (
            json!({"title": "T", "status": "live"}),
            422,
            "`status` is draft",
        ),
        (
            json!({"title": "T", "status": "scheduled"}),
            422,
            "needs a publication time",
        ),
        (
            json!({"title": "T", "format": "docx"}),
            422,
            "`format` is markdown",
        ),
        (json!({"title": "T", "label": "gossip"}), 422, "label"),
        (json!({"title": "T", "slug": "///"}), 422, "`slug`"),
        (
            json!({"title": "T", "colour": "red"}),
            400,
            "unknown field `colour`",
        ),
        (json!({"title": 5}), 400, "JSON object"),
    ];
    for (body, status, says) in cases {
        let r = post(&site, &editor, body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains(says), "{body}: {message}");
    }
    let r = site
        .client_raw("POST", "/api/v1/articles", &editor, "{not json")
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], "invalid_json");
    // Nothing half-made was left behind.
    assert_eq!(
        site.get("/api/v1/articles")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(site.store.revisions(1).await.unwrap().len(), 0);
}

async fn edits_must_name_the_version_they_change(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let (editor_id, editor) = writer(&site, Role::Editor, "edith").await;
    let (_, other) = writer(&site, Role::Editor, "emil").await;
    let r = post(
        &site,
        &editor,
        json!({"title": "Council budget vote", "status": "published", "body": "First version."}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let first_updated = r.json()["updated_at"].as_str().unwrap().to_owned();

    // GET with a token gives the source and the ETag the next edit must name.
    let r = site
        .send_json("GET", &format!("/api/v1/articles/{id}"), &editor, None, &[])
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("private, no-store"));
    let v1 = etag(&r);
    assert_eq!(v1, format!("\"{id}-1\""));
    assert_eq!(r.json()["body"], "First version.");
    // Anonymous readers get the public object, without the source.
    let public = site.get(&format!("/api/v1/articles/{id}")).await.json();
    assert!(public.get("body").is_none() && public.get("version").is_none());

    // Without If-Match: refused, nothing changes.
    let r = site
        .send_json(
            "PATCH",
            &format!("/api/v1/articles/{id}"),
            &editor,
            Some(&json!({"title": "Blind"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 428);
    // Two editors start from version 1; the first to save wins …
    site.clock.advance(Duration::minutes(5));
    let r = patch(
        &site,
        &other,
        id,
        &v1,
        json!({"body": "Second version, by Emil."}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v2 = etag(&r);
    assert_ne!(v1, v2);
    assert_ne!(
        r.json()["updated_at"].as_str().unwrap(),
        first_updated,
        "a real edit moves the time"
    );
    // … the second is refused with a clear message, and what they wrote is kept.
    let r = patch(
        &site,
        &editor,
        id,
        &v1,
        json!({"body": "A rival version, by Edith."}),
    )
    .await;
    assert_eq!(r.status, 412, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "version_mismatch");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("kept as a revision")
    );
    let stored = site.store.article(id).await.unwrap().unwrap();
    assert_eq!(stored.body_source, "Second version, by Emil.");
    let revisions = site.store.revisions(id).await.unwrap();
    let refused = revisions
        .iter()
        .find(|r| r.kind == RevisionKind::Refused)
        .unwrap();
    assert_eq!(refused.content.body_source, "A rival version, by Edith.");
    assert_eq!(refused.user_id, Some(editor_id));
    assert_eq!(refused.version, 1, "kept with the version it was based on");
    assert_eq!(
        revisions
            .iter()
            .filter(|r| r.kind == RevisionKind::Save)
            .count(),
        2
    );
    // An ETag of another article never matches.
    let r = patch(
        &site,
        &editor,
        id,
        &format!("\"{}-2\"", id + 1),
        json!({"title": "x"}),
    )
    .await;
    assert_eq!(r.status, 412);

    // A minor edit keeps the updated time; it still needs the current version.
    let before = site
        .store
        .article(id)
        .await
        .unwrap()
        .unwrap()
        .summary
        .updated_at;
    site.clock.advance(Duration::minutes(5));
    let r = patch(
        &site,
        &editor,
        id,
        &v2,
        json!({"title": "Council budget vote passes", "minor_edit": true}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let after = site.store.article(id).await.unwrap().unwrap();
    assert_eq!(after.summary.title, "Council budget vote passes");
    assert_eq!(after.summary.updated_at, before);
    assert_eq!(after.version, 3);
}

async fn scheduled_articles_publish_at_their_time_without_any_request(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let (_, editor) = writer(&site, Role::Editor, "edith").await;
    let now = site.clock.now();
    let at = now + Duration::hours(1);
    let r = post(
        &site,
        &editor,
        json!({"title": "Night ferry returns", "status": "published", "published_at": at.to_rfc3339(), "section": "city"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.json()["status"],
        "scheduled",
        "a future publication is a schedule"
    );
    let id = r.json()["id"].as_i64().unwrap();
    // Before its time it is nowhere public.
    assert!(!site.page("/").await.contains("Night ferry returns"));
    assert_eq!(
        site.get(&format!("/api/v1/articles/{id}")).await.status,
        404
    );
    let changes_before = site.store.latest_change_id().await.unwrap();

    // Its time comes: no one asks for anything, and the store publishes it.
    site.clock.advance(Duration::minutes(61));
    let mut status = ArticleStatus::Scheduled;
    for _ in 0..500 {
        status = site
            .store
            .article(id)
            .await
            .unwrap()
            .unwrap()
            .summary
            .status;
        if status == ArticleStatus::Published {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        status,
        ArticleStatus::Published,
        "the scheduler published it"
    );
    assert!(
        site.store.latest_change_id().await.unwrap() > changes_before,
        "with a change-log row"
    );
    // Then it is everywhere at once: the API, the home page (through the page cache).
    let listed = site.get("/api/v1/articles").await.json();
    assert_eq!(listed[0]["id"].as_i64(), Some(id));
    assert!(site.get("/").await.body.contains("Night ferry returns"));
    let url = listed[0]["url"].as_str().unwrap().to_owned();
    let local_date = at
        .with_timezone(&site.state.settings().timezone)
        .format("/%Y/%m/%d/")
        .to_string();
    assert!(
        url.starts_with(&local_date),
        "{url} carries its publication date"
    );
    // A second look finds nothing more to do.
    assert!(site.store.publish_due().await.unwrap().is_empty());
}

async fn slug_changes_redirect_and_withdrawn_stories_are_gone(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let (_, editor) = writer(&site, Role::Editor, "edith").await;
    let r = post(
        &site,
        &editor,
        json!({"title": "Bridge closes for repairs", "status": "published"}),
    )
    .await;
    let id = r.json()["id"].as_i64().unwrap();
    let old_url = r.json()["url"].as_str().unwrap().to_owned();
    assert!(
        old_url.ends_with("/bridge-closes-for-repairs/"),
        "{old_url}"
    );

    let r = patch(
        &site,
        &editor,
        id,
        &etag(&r),
        json!({"slug": "bridge-closes-for-six-weekends"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let new_url = r.json()["url"].as_str().unwrap().to_owned();
    assert!(new_url.ends_with("/bridge-closes-for-six-weekends/"));
    let moved = site.get(&old_url).await;
    assert_eq!(moved.status, 301);
    assert_eq!(moved.header("location"), Some(new_url.as_str()));
    assert_eq!(site.get(&new_url).await.status, 200);

    // Moving its publication time to another day moves its URL; the old ones redirect.
    let earlier = (site.clock.now() - Duration::days(3)).to_rfc3339();
    let r = patch(
        &site,
        &editor,
        id,
        &etag(&r),
        json!({"published_at": earlier}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let dated_url = r.json()["url"].as_str().unwrap().to_owned();
    assert_ne!(dated_url, new_url);
    assert!(dated_url.ends_with("/bridge-closes-for-six-weekends/"));
    for old in [&old_url, &new_url] {
        let moved = site.get(old).await;
        assert_eq!(moved.status, 301, "{old}");
        assert_eq!(moved.header("location"), Some(dated_url.as_str()));
    }
    let new_url = dated_url;

    // Unpublished: both addresses answer 410, and it leaves the lists.
    let r = patch(&site, &editor, id, &etag(&r), json!({"status": "draft"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(site.get(&new_url).await.status, 410);
    assert_eq!(site.get(&old_url).await.status, 410);
    assert!(
        site.get("/api/v1/articles")
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(!site.get("/").await.body.contains("Bridge closes"));
    // An address that never held a story is still 404.
    let never = new_url.replace("bridge-closes-for-six-weekends", "no-such-story");
    assert_eq!(site.get(&never).await.status, 404);
}

async fn corrections_are_dated_on_the_page_and_labels_are_disclosed(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let (_, editor) = writer(&site, Role::Editor, "edith").await;
    let (_, author) = writer(&site, Role::Author, "aziz").await;
    let (_, contributor) = writer(&site, Role::Contributor, "carla").await;
    let r = post(&site, &editor, json!({"title": "Mayor opens the new library", "status": "published", "label": "sponsored"})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let url = r.json()["url"].as_str().unwrap().to_owned();
    let updated_before = r.json()["updated_at"].as_str().unwrap().to_owned();
    assert_eq!(r.json()["label"], "sponsored");

    // Sponsored content is always disclosed, on its page and on its card.
    let page = site.page(&url).await;
    assert!(
        page.contains("Sponsored content: paid for by an advertiser"),
        "{page}"
    );
    assert!(page.contains(r#"<span class="story-label">Sponsored</span>"#));
    assert!(
        site.page("/")
            .await
            .contains(r#"<span class="story-label">Sponsored</span>"#)
    );

    let path = format!("/api/v1/articles/{id}/corrections");
    let note = json!({"kind": "correction", "note": "An earlier version misspelt the <b>mayor's</b> name."});
    // Only those who may edit the published article may append to it.
    let r = site
        .send_json("POST", &path, &contributor, Some(&note), &[])
        .await;
    assert_eq!(r.status, 403);
    let r = site
        .send_json("POST", &path, &author, Some(&note), &[])
        .await;
    assert_eq!(r.status, 404, "not the author's article");
    for (bad, says) in [
        (json!({"kind": "apology", "note": "x"}), "`kind`"),
        (
            json!({"kind": "update", "note": "  "}),
            "`note` must not be empty",
        ),
    ] {
        let r = site
            .send_json("POST", &path, &editor, Some(&bad), &[])
            .await;
        assert_eq!(r.status, 422, "{bad}");
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains(says),
            "{}",
            r.body
        );
    }

    let has_corrections = || async {
        site.store
            .public_article_by_id(id)
            .await
            .unwrap()
            .unwrap()
            .has_corrections
    };
    assert!(
        !has_corrections().await,
        "the page skips the corrections query"
    );
    site.clock.advance(Duration::days(2));
    let r = site
        .send_json("POST", &path, &editor, Some(&note), &[])
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["kind"], "correction");
    assert!(has_corrections().await);
    let day = site
        .clock
        .now()
        .with_timezone(&site.state.settings().timezone)
        .format("%-d %B %Y")
        .to_string();
    let page = site.page(&url).await;
    assert!(page.contains("Correction, <time"), "{page}");
    assert!(page.contains(&format!(">{day}</time>:</strong>")), "{page}");
    assert!(
        page.contains("misspelt the &lt;b&gt;mayor"),
        "the note is text, escaped"
    );
    assert!(!page.contains("<b>mayor"));
    // The updated time moved, and the note stays however the article is edited later.
    let now = site
        .send_json("GET", &format!("/api/v1/articles/{id}"), &editor, None, &[])
        .await;
    assert_ne!(now.json()["updated_at"].as_str().unwrap(), updated_before);
    let r = patch(
        &site,
        &editor,
        id,
        &etag(&now),
        json!({"title": "Mayor opens the new central library"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(site.store.corrections(id).await.unwrap().len(), 1);
    assert!(site.page(&url).await.contains("misspelt"));

    // An unpublished article takes edits, not corrections.
    let draft = post(&site, &editor, json!({"title": "Library opening times"}))
        .await
        .json();
    let r = site
        .send_json(
            "POST",
            &format!("/api/v1/articles/{}/corrections", draft["id"]),
            &editor,
            Some(&note),
            &[],
        )
        .await;
    assert_eq!(r.status, 409);
}

async fn search_fields_canonical_and_dateline_reach_the_page(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let (_, editor) = writer(&site, Role::Editor, "edith").await;
    let r = post(
        &site,
        &editor,
        json!({
            "title": "Wire: markets close higher",
            "status": "published",
            "dateline": "LONDON",
            "seo_title": "Markets close higher on rate hopes",
            "seo_description": "Shares rose across Europe.",
            "canonical_url": "https://wire.example/markets-close-higher",
            "noindex": true
        }),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let page = site.page(r.json()["url"].as_str().unwrap()).await;
    assert!(
        page.contains("<title>Markets close higher on rate hopes"),
        "{page}"
    );
    assert!(page.contains(r#"<meta name="description" content="Shares rose across Europe.">"#));
    assert!(
        page.contains(r#"<link rel="canonical" href="https://wire.example/markets-close-higher">"#)
    );
    assert!(page.contains(r#"<meta name="robots" content="noindex"#));
    assert!(page.contains(r#"<p class="dateline">LONDON</p>"#));
    for (bad, says) in [
        (
            json!({"title": "T", "canonical_url": "javascript:alert(1)"}),
            "canonical_url",
        ),
        (
            json!({"title": "T", "featured_image": "javascript:alert(1)"}),
            "featured_image",
        ),
    ] {
        let r = post(&site, &editor, bad.clone()).await;
        assert_eq!(r.status, 422, "{bad}");
        assert!(r.body.contains(says));
    }
}
