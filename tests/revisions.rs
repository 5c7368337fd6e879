//! An article's revisions in the newsroom over HTTP, on both backends: every save is
//! listed with who and when, any two compare word by word, a restore is a new revision
//! within the workflow's rules, and autosaves keep typing without touching the article
//! or readers' page cache.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use chrono::Duration;
use common::{Person, TestSite, count, edited_id, get, person, post, version_in};
use masthead_core::{ArticleStatus, Role};
use masthead_store::{AuditFilter, RevisionKind};
use masthead_testkit::TestDb;

http_tests!(
    every_save_is_listed_with_who_and_when,
    a_comparison_shows_removed_and_added_words,
    a_restore_brings_the_words_back_as_a_new_revision_within_the_workflow,
    autosaves_keep_typing_without_touching_the_article_or_the_page_cache,
);

/// The editor's fields for a City story with this headline and body.
fn story<'a>(title: &'a str, body: &'a str, status: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("body", body),
        ("format", "markdown"),
        ("section", "city"),
        ("status", status),
        ("label", "news"),
        ("do", "save"),
    ]
}

/// Creates an article through the editor; returns its id.
async fn create(site: &TestSite, who: &Person, fields: &[(&str, &str)]) -> i64 {
    let r = post(site, who, "/newsroom/articles/new", fields).await;
    assert_eq!(r.status, 303, "{}", r.body);
    edited_id(r.header("location").unwrap())
}

/// Saves over the article through the editor, from the version it shows now.
async fn save(site: &TestSite, who: &Person, id: i64, fields: &[(&str, &str)]) -> common::Resp {
    let path = format!("/newsroom/articles/{id}/edit");
    let version = version_in(&get(site, who, &path).await.body);
    let mut fields = fields.to_vec();
    fields.push(("version", &version));
    post(site, who, &path, &fields).await
}

/// A site with the City and Business sections and Edith, an editor, signed in.
async fn newsroom_with_edith(db: TestDb) -> (TestSite, Person) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let edith = person(&site, Role::Editor, "edith@example.org").await;
    (site, edith)
}

/// Carla, a contributor, and her piece, submitted and then published by Edith.
async fn published_for_a_contributor(site: &TestSite, edith: &Person) -> (Person, i64) {
    let carla = person(site, Role::Contributor, "carla@example.org").await;
    let submitted = story("Carla's piece", "Her draft.", "pending");
    let hers = create(site, &carla, &submitted).await;
    let published = story("Carla's piece", "Edited and out.", "published");
    assert_eq!(save(site, edith, hers, &published).await.status, 303);
    (carla, hers)
}

/// An article Edith wrote and Ada rewrote five minutes later; its revision ids, oldest first.
async fn rewritten(site: &TestSite, edith: &Person, ada: &Person) -> (i64, i64, i64) {
    let first = story("Tram runs late", "The tram runs late on Sundays.", "draft");
    let id = create(site, edith, &first).await;
    site.clock.advance(Duration::minutes(5));
    let second = story(
        "Tram runs early",
        "The tram runs early on Sundays & holidays.",
        "draft",
    );
    assert_eq!(save(site, ada, id, &second).await.status, 303);
    let revisions = site.store.revisions(id).await.unwrap();
    (id, revisions[1].id, revisions[0].id)
}

async fn every_save_is_listed_with_who_and_when(db: TestDb) {
    let (site, edith) = newsroom_with_edith(db).await;
    let ada = person(&site, Role::Administrator, "ada@example.org").await;
    let (id, first, second) = rewritten(&site, &edith, &ada).await;
    let kept = site.store.revisions(id).await.unwrap();
    let who: Vec<_> = kept.iter().map(|r| (r.kind, r.user_id)).collect();
    assert_eq!(
        who,
        [
            (RevisionKind::Save, Some(ada.id)),
            (RevisionKind::Save, Some(edith.id))
        ]
    );

    let page = get(&site, &edith, &format!("/newsroom/articles/{id}/revisions")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let html = &page.body;
    assert_eq!(count(html, r#"type="radio" name="from""#), 2);
    assert_eq!(count(html, r#"<label class="visually-hidden" for="to-"#), 2);
    assert!(html.contains("<caption>"), "the table is named");
    assert!(
        html.contains(r#"<a href="/newsroom/articles" aria-current="page">"#),
        "still under Articles"
    );
    assert!(html.contains("administrator person") && html.contains("editor person"));
    assert!(html.contains(r#"<time datetime="2026-06-15T12:05:00Z">15 Jun 2026, 12:05</time>"#));
    assert!(html.contains(r#"<time datetime="2026-06-15T12:00:00Z">15 Jun 2026, 12:00</time>"#));
    // The newest save is the article as it stands; only the older one can be restored.
    assert_eq!(count(html, "<td>Current</td>"), 1);
    assert!(html.contains(&format!(
        r#"action="/newsroom/articles/{id}/revisions/{first}/restore""#
    )));
    assert!(!html.contains(&format!("/revisions/{second}/restore")));

    // The editor links here, and carries what its script needs.
    let editor = get(&site, &edith, &format!("/newsroom/articles/{id}/edit")).await;
    assert!(
        editor
            .body
            .contains(&format!(r#"href="/newsroom/articles/{id}/revisions""#))
    );
    assert!(editor.body.contains(&format!(
        r#"data-autosave="/newsroom/articles/{id}/autosave""#
    )));
    assert!(
        editor
            .body
            .contains(r#"id="autosave-status" role="status""#)
    );
    let script = common::between(&editor.body, r#"<script src=""#, r#"" defer>"#).unwrap();
    let served = site.get(script).await;
    assert_eq!(served.status, 200);
    assert!(
        served
            .header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(served.body.contains("beforeunload"));
}

async fn a_comparison_shows_removed_and_added_words(db: TestDb) {
    let (site, edith) = newsroom_with_edith(db).await;
    let ada = person(&site, Role::Administrator, "ada@example.org").await;
    let (id, first, second) = rewritten(&site, &edith, &ada).await;
    let path = format!("/newsroom/articles/{id}/revisions");

    let page = get(&site, &edith, &format!("{path}?from={first}&to={second}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let html = &page.body;
    assert!(html.contains("<dt>Headline</dt>"));
    assert!(
        html.contains("Tram runs <del>late</del><ins>early</ins>"),
        "{html}"
    );
    assert!(
        html.contains(
            "The tram runs <del>late</del><ins>early</ins> on Sundays<ins> &amp; holidays</ins>."
        ),
        "words, escaped: {html}"
    );
    assert!(
        !html.contains("<dt>Main section</dt>"),
        "unchanged fields stay out"
    );
    assert!(html.contains(&format!(r#"id="from-{first}" checked"#)));
    assert!(html.contains(&format!(r#"id="to-{second}" checked"#)));

    // Either way round, and the same one twice.
    let back = get(&site, &edith, &format!("{path}?from={second}&to={first}")).await;
    assert!(
        back.body
            .contains("Tram runs <del>early</del><ins>late</ins>")
    );
    let same = get(&site, &edith, &format!("{path}?from={first}&to={first}")).await;
    assert!(same.body.contains("The two revisions are the same."));

    // Only this article's revisions.
    let other = create(&site, &edith, &story("Another", "Words.", "draft")).await;
    let foreign = site.store.revisions(other).await.unwrap()[0].id;
    let r = get(&site, &edith, &format!("{path}?from={foreign}&to={second}")).await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("Choose two revisions of this article"));
    let r = get(&site, &edith, &format!("{path}?from=x&to={second}")).await;
    assert_eq!(r.status, 404);
    // Someone who may not open the article does not learn it exists.
    let aziz = person(&site, Role::Author, "aziz@example.org").await;
    assert_eq!(get(&site, &aziz, &path).await.status, 404);
}

async fn a_restore_brings_the_words_back_as_a_new_revision_within_the_workflow(db: TestDb) {
    let (site, edith) = newsroom_with_edith(db).await;
    let id = create(
        &site,
        &edith,
        &story("Quay reopens", "Old words.", "published"),
    )
    .await;
    let published = site.store.article(id).await.unwrap().unwrap();
    let r = save(
        &site,
        &edith,
        id,
        &story("Quay reopens today", "New words.", "published"),
    )
    .await;
    assert_eq!(r.status, 303);
    let oldest = site.store.revisions(id).await.unwrap().pop().unwrap();
    let before = site.store.article(id).await.unwrap().unwrap();

    let r = post(
        &site,
        &edith,
        &format!("/newsroom/articles/{id}/revisions/{}/restore", oldest.id),
        &[],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").unwrap();
    assert_eq!(
        location,
        format!("/newsroom/articles/{id}/edit?done=restored")
    );
    assert!(
        get(&site, &edith, location)
            .await
            .body
            .contains("The revision is restored as a new version.")
    );
    let after = site.store.article(id).await.unwrap().unwrap();
    assert_eq!(after.summary.title, "Quay reopens");
    assert_eq!(after.body_source, "Old words.");
    assert_eq!(after.version, before.version + 1);
    assert_eq!(after.summary.status, ArticleStatus::Published);
    assert_eq!(
        after.summary.slug, before.summary.slug,
        "the address stays: restoring brings back words"
    );
    assert_eq!(after.summary.published_at, published.summary.published_at);
    let newest = site.store.revisions(id).await.unwrap().remove(0);
    assert_eq!(newest.kind, RevisionKind::Restore);
    assert_eq!(newest.user_id, Some(edith.id));
    assert_eq!(newest.version, after.version);
    let audit = site
        .store
        .audit_entries(&AuditFilter::default(), 20, 0)
        .await
        .unwrap();
    let restored = format!("restored revision {}", oldest.id);
    assert!(
        audit
            .iter()
            .any(|e| e.action == restored && e.target == format!("article {id}"))
    );

    // A contributor may not change a published article, and restoring is changing it.
    let (carla, hers) = published_for_a_contributor(&site, &edith).await;
    let her_draft = site.store.revisions(hers).await.unwrap().pop().unwrap();
    let r = post(
        &site,
        &carla,
        &format!(
            "/newsroom/articles/{hers}/revisions/{}/restore",
            her_draft.id
        ),
        &[],
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(
        r.body.contains(r#"role="alert""#),
        "said on the history page"
    );
    assert_eq!(
        site.store.article(hers).await.unwrap().unwrap().body_source,
        "Edited and out."
    );
    assert_eq!(site.store.revisions(hers).await.unwrap().len(), 2);
    // A revision of another article is not restored here.
    let r = post(
        &site,
        &edith,
        &format!("/newsroom/articles/{id}/revisions/{}/restore", her_draft.id),
        &[],
    )
    .await;
    assert_eq!(r.status, 404);
}

async fn autosaves_keep_typing_without_touching_the_article_or_the_page_cache(db: TestDb) {
    let (site, edith) = newsroom_with_edith(db).await;
    let id = create(
        &site,
        &edith,
        &story("Ferry timetable", "Saved words.", "published"),
    )
    .await;
    let saved = site.store.article(id).await.unwrap().unwrap();
    let public = saved.summary.path().unwrap();
    // The follower has read the save's change-log row: no later poll starts a new
    // generation under the page about to be cached.
    site.settle().await;
    site.page(&public).await;
    assert_eq!(site.state.page_cache_len(), 1, "the story is cached");
    let local = site.store.local_change_count();
    let logged = site.store.latest_change_id().await.unwrap();

    let autosave = format!("/newsroom/articles/{id}/autosave");
    for i in 1..=7 {
        let body = format!("Draft {i}");
        let r = post(
            &site,
            &edith,
            &autosave,
            &story("Ferry timetable", &body, "published"),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["message"], "Draft autosaved at 12:00");
    }
    let now = site.store.article(id).await.unwrap().unwrap();
    assert_eq!(now.body_source, "Saved words.");
    assert_eq!(now.version, saved.version);
    let autosaves: Vec<String> = site
        .store
        .revisions(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == RevisionKind::Autosave)
        .map(|r| r.content.body_source)
        .collect();
    assert_eq!(
        autosaves,
        ["Draft 7", "Draft 6", "Draft 5", "Draft 4", "Draft 3"],
        "the newest five"
    );
    // Not a content change: the cached page survives another page being cached.
    assert_eq!(site.store.local_change_count(), local);
    assert_eq!(site.store.latest_change_id().await.unwrap(), logged);
    site.page("/").await;
    assert_eq!(site.state.page_cache_len(), 2, "nothing was emptied");

    // Her save holds her typing: her autosaves are done with.
    let r = save(
        &site,
        &edith,
        id,
        &story("Ferry timetable", "Draft 7", "published"),
    )
    .await;
    assert_eq!(r.status, 303);
    assert!(
        site.store
            .revisions(id)
            .await
            .unwrap()
            .iter()
            .all(|r| r.kind != RevisionKind::Autosave)
    );

    // The same rules as saving: what could not be saved is not autosaved either.
    let r = post(
        &site,
        &edith,
        &autosave,
        &story("", "No headline", "published"),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("title")
    );
    let (carla, hers) = published_for_a_contributor(&site, &edith).await;
    let r = post(
        &site,
        &carla,
        &format!("/newsroom/articles/{hers}/autosave"),
        &story("Carla's piece", "Sneaky change.", "published"),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "forbidden");
    let r = post(&site, &carla, &autosave, &story("Mine now", "x", "draft")).await;
    assert_eq!(r.status, 404, "others' articles are not found");
}
