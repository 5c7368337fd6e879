//! The newsroom's Articles screen and editor over HTTP, on both backends: a contributor
//! writes and submits, an editor finds the pending queue and publishes, a save from an
//! outdated form is refused without losing a word, preview needs no JavaScript, filters
//! and bulk actions stay within each role's rights.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use chrono::Duration;
use common::{TestSite, edited_id, get, person, post, version_in};
use masthead_core::{ArticleStatus, Clock, Role};
use masthead_store::{NewArticle, RevisionKind};
use masthead_testkit::TestDb;

http_tests!(
    a_contributor_submits_and_an_editor_publishes,
    a_save_from_an_outdated_form_is_refused_and_nothing_is_lost,
    preview_renders_the_story_without_saving_it,
    the_articles_screen_filters_searches_and_pages,
    bulk_actions_change_only_what_the_role_allows,
    corrections_and_schedules_from_the_editor,
    preview_links_show_a_draft_until_revoked_or_expired,
    static_pages_are_written_like_articles,
);

async fn a_contributor_submits_and_an_editor_publishes(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let carla = person(&site, Role::Contributor, "carla@example.org").await;
    let edith = person(&site, Role::Editor, "edith@example.org").await;

    let form = get(&site, &carla, "/newsroom/articles/new").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains(r#"<option value="pending""#));
    assert!(
        !form.body.contains(r#"<option value="published""#),
        "contributors cannot publish"
    );
    let id = created(
        &site,
        &carla,
        &[
            ("title", "Tram depot plans go on show"),
            ("body", "Residents can see the *plans* on Saturday."),
            ("format", "markdown"),
            ("section", "city"),
            ("tags", "Trams, Planning"),
            ("authors", "Carla Byline, Second Writer"),
            ("status", "pending"),
            ("label", "news"),
            ("comments_open", "on"),
        ],
    )
    .await;
    let stored = site.store.article(id).await.unwrap().unwrap();
    assert_eq!(stored.summary.status, ArticleStatus::Pending);
    assert_eq!(stored.owner_id, Some(carla.id));
    let bylines: Vec<&str> = stored
        .summary
        .authors
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(
        bylines,
        ["Carla Byline", "Second Writer"],
        "new bylines, in order"
    );
    assert_eq!(stored.summary.tags.len(), 2);
    // Publishing is refused to her even if she forges the form.
    let page = get(&site, &carla, &format!("/newsroom/articles/{id}/edit")).await;
    let v = version_in(&page.body);
    let r = post(
        &site,
        &carla,
        &format!("/newsroom/articles/{id}/edit"),
        &[
            ("title", "Tram depot plans go on show"),
            ("status", "published"),
            ("version", &v),
            ("section", "city"),
            ("do", "save"),
        ],
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("submit it for review"));

    // The editor's pending queue has it; publishing puts it on the site.
    let queue = get(&site, &edith, "/newsroom/articles?status=pending").await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains("Tram depot plans go on show"));
    assert!(queue.body.contains("Pending review (1)"));
    let page = get(&site, &edith, &format!("/newsroom/articles/{id}/edit")).await;
    assert!(
        page.body
            .contains("Residents can see the *plans* on Saturday.")
    );
    let v = version_in(&page.body);
    let r = post(
        &site,
        &edith,
        &format!("/newsroom/articles/{id}/edit"),
        &[
            ("title", "Tram depot plans go on show"),
            ("body", "Residents can see the *plans* on Saturday."),
            ("format", "markdown"),
            ("section", "city"),
            ("tags", "Trams, Planning"),
            ("authors", "Carla Byline, Second Writer"),
            ("status", "published"),
            ("label", "news"),
            ("version", &v),
            ("do", "save"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let url = site
        .store
        .article(id)
        .await
        .unwrap()
        .unwrap()
        .summary
        .path()
        .unwrap();
    let public = site.page(&url).await;
    assert!(public.contains("<em>plans</em>"));
    // Unticked boxes mean "off": comments were left unticked in this save.
    assert!(
        !site
            .store
            .article(id)
            .await
            .unwrap()
            .unwrap()
            .summary
            .comments_open
    );
    // Someone with the article open is told about another.
    get(&site, &carla, &format!("/newsroom/articles/{id}/edit")).await;
    let page = get(&site, &edith, &format!("/newsroom/articles/{id}/edit")).await;
    assert!(
        page.body
            .contains("Also working on this article: contributor person"),
        "{}",
        page.body
    );
}

async fn a_save_from_an_outdated_form_is_refused_and_nothing_is_lost(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let edith = person(&site, Role::Editor, "edith@example.org").await;
    let emil = person(&site, Role::Editor, "emil@example.org").await;
    let id = created(
        &site,
        &edith,
        &[
            ("title", "Budget night"),
            ("body", "First draft."),
            ("section", "city"),
            ("status", "draft"),
        ],
    )
    .await;
    let path = format!("/newsroom/articles/{id}/edit");
    // Both open the same version.
    let v_edith = version_in(&get(&site, &edith, &path).await.body);
    let v_emil = version_in(&get(&site, &emil, &path).await.body);
    assert_eq!(v_edith, v_emil);
    let r = post(
        &site,
        &emil,
        &path,
        &[
            ("title", "Budget night"),
            ("body", "Emil's version."),
            ("section", "city"),
            ("status", "draft"),
            ("version", &v_emil),
            ("do", "save"),
        ],
    )
    .await;
    assert_eq!(r.status, 303);
    let r = post(
        &site,
        &edith,
        &path,
        &[
            ("title", "Budget night"),
            ("body", "Edith's careful rewrite."),
            ("section", "city"),
            ("status", "draft"),
            ("version", &v_edith),
            ("do", "save"),
        ],
    )
    .await;
    assert_eq!(r.status, 412, "{}", r.body);
    assert!(
        r.body
            .contains("changed since the version you started from")
    );
    assert!(
        r.body.contains("s careful rewrite."),
        "her text is still in the form"
    );
    assert_eq!(
        site.store.article(id).await.unwrap().unwrap().body_source,
        "Emil's version."
    );
    let refused = site.store.revisions(id).await.unwrap();
    assert!(
        refused.iter().any(|r| r.kind == RevisionKind::Refused
            && r.content.body_source == "Edith's careful rewrite.")
    );
    // A form without a version never overwrites.
    let r = post(
        &site,
        &edith,
        &path,
        &[
            ("title", "Budget night"),
            ("body", "Blind."),
            ("section", "city"),
            ("do", "save"),
        ],
    )
    .await;
    assert_eq!(r.status, 412);
}

async fn preview_renders_the_story_without_saving_it(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let edith = person(&site, Role::Editor, "edith@example.org").await;
    let r = post(
        &site,
        &edith,
        "/newsroom/articles/new",
        &[
            ("title", "Preview me"),
            ("body", "A **bold** claim <script>alert(1)</script>"),
            ("format", "markdown"),
            ("section", "city"),
            ("do", "preview"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("<strong>bold</strong>"),
        "rendered by the site's renderer"
    );
    assert!(!r.body.contains("<script>alert"), "and sanitised");
    assert!(
        r.body.contains("Preview me"),
        "the form keeps what was typed"
    );
    assert!(
        site.store
            .work_list(
                &Default::default(),
                masthead_core::paging::PageRequest::new(1, 10)
            )
            .await
            .unwrap()
            .0
            .is_empty(),
        "nothing saved"
    );
    // The live preview's endpoint renders the same way.
    let r = post(
        &site,
        &edith,
        "/newsroom/preview",
        &[("body", "## Sub"), ("format", "markdown")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<h2>Sub</h2>"));
}

async fn the_articles_screen_filters_searches_and_pages(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let edith = person(&site, Role::Editor, "edith@example.org").await;
    let aziz = person(&site, Role::Author, "aziz@example.org").await;
    let now = site.clock.now();
    let edit = masthead_store::Edit {
        user_id: Some(edith.id),
        ..Default::default()
    };
    for i in 0..60 {
        let section = if i % 3 == 0 { "business" } else { "city" };
        let mut a = NewArticle::published(
            format!("Harbour story number {i}"),
            section,
            now - Duration::hours(i),
        );
        if i % 4 == 0 {
            a.status = ArticleStatus::Draft;
        }
        if i == 5 || i == 6 {
            a.tags = vec!["Quay Works".into()];
        }
        if i == 7 {
            a.authors = vec!["Rosa Lind".into()];
        }
        site.store.create_article(&a, &edit).await.unwrap();
    }
    let own = masthead_store::Edit {
        user_id: Some(aziz.id),
        ..Default::default()
    };
    site.store
        .create_article(
            &NewArticle::published("Aziz on the quay", "city", now),
            &own,
        )
        .await
        .unwrap();

    let all = get(&site, &edith, "/newsroom/articles").await;
    assert!(
        all.body.contains("61 articles, page 1 of 2"),
        "{}",
        all.body
    );
    let page2 = get(&site, &edith, "/newsroom/articles?page=2").await;
    assert_eq!(page2.body.matches("/edit\">").count(), 11);
    let drafts = get(&site, &edith, "/newsroom/articles?status=draft").await;
    assert!(drafts.body.contains("15 articles"), "{}", drafts.body);
    let business = get(
        &site,
        &edith,
        "/newsroom/articles?section=business&sort=title",
    )
    .await;
    assert!(business.body.contains("20 articles"));
    let search = get(&site, &edith, "/newsroom/articles?q=NUMBER+1").await;
    // Every word must appear, in any case: "number" and "1" are in 1, 10–19, 21, 31, 41, 51.
    assert!(search.body.contains("15 articles"), "{}", search.body);
    // By tag and byline, typed by name or slug.
    let tagged = get(&site, &edith, "/newsroom/articles?tag=Quay+Works").await;
    assert!(tagged.body.contains("2 articles"), "{}", tagged.body);
    let tagged = get(&site, &edith, "/newsroom/articles?tag=quay-works").await;
    assert!(tagged.body.contains("2 articles"));
    let by = get(&site, &edith, "/newsroom/articles?author=Rosa+Lind").await;
    assert!(by.body.contains("1 article."), "{}", by.body);
    let nobody = get(&site, &edith, "/newsroom/articles?author=nobody-at-all").await;
    assert!(nobody.body.contains("0 articles"));
    let wild = get(&site, &edith, "/newsroom/articles?q=%25").await;
    assert!(
        wild.body.contains("0 articles"),
        "a % is a literal, not a wildcard"
    );
    let day = (now - Duration::hours(30)).format("%Y-%m-%d").to_string();
    let by_day = get(
        &site,
        &edith,
        &format!("/newsroom/articles?from={day}&to={day}"),
    )
    .await;
    assert!(by_day.body.contains(" articles"), "{}", by_day.body);
    // An author sees their own work only.
    let mine = get(&site, &aziz, "/newsroom/articles").await;
    assert!(mine.body.contains("1 article."), "{}", mine.body);
    assert!(mine.body.contains("Aziz on the quay"));
    assert!(!mine.body.contains("Harbour story"));
    let harbour = masthead_store::WorkFilter {
        title: Some("harbour".into()),
        ..Default::default()
    };
    let page = masthead_core::paging::PageRequest::new(1, 1);
    let other = site.store.work_list(&harbour, page).await.unwrap().0[0].id;
    let r = get(&site, &aziz, &format!("/newsroom/articles/{other}/edit")).await;
    assert_eq!(r.status, 404, "others' articles are not found");
}

async fn bulk_actions_change_only_what_the_role_allows(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let edith = person(&site, Role::Editor, "edith@example.org").await;
    let aziz = person(&site, Role::Author, "aziz@example.org").await;
    let now = site.clock.now();
    let mut draft = NewArticle::published("Aziz's draft", "city", now);
    draft.status = ArticleStatus::Draft;
    let mine = site
        .store
        .create_article(
            &draft,
            &masthead_store::Edit {
                user_id: Some(aziz.id),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    draft.title = "Edith's draft".into();
    let hers = site
        .store
        .create_article(
            &draft,
            &masthead_store::Edit {
                user_id: Some(edith.id),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    let (a, b) = (mine.to_string(), hers.to_string());
    let r = post(
        &site,
        &aziz,
        "/newsroom/articles/bulk",
        &[("action", "publish"), ("ids", &a), ("ids", &b)],
    )
    .await;
    assert_eq!(r.status, 303);
    assert!(
        r.header("location")
            .unwrap()
            .contains("changed=1&refused=1")
    );
    let shown = get(&site, &aziz, r.header("location").unwrap()).await;
    assert!(
        shown
            .body
            .contains("1 article(s) changed; 1 left as they were")
    );
    assert_eq!(
        site.store
            .article(mine)
            .await
            .unwrap()
            .unwrap()
            .summary
            .status,
        ArticleStatus::Published
    );
    assert_eq!(
        site.store
            .article(hers)
            .await
            .unwrap()
            .unwrap()
            .summary
            .status,
        ArticleStatus::Draft
    );
    // The editor moves both to another section and tags them.
    let r = post(
        &site,
        &edith,
        "/newsroom/articles/bulk",
        &[
            ("action", "section"),
            ("section", "business"),
            ("ids", &a),
            ("ids", &b),
        ],
    )
    .await;
    assert!(
        r.header("location")
            .unwrap()
            .contains("changed=2&refused=0")
    );
    let r = post(
        &site,
        &edith,
        "/newsroom/articles/bulk",
        &[
            ("action", "tag"),
            ("tag", "Harbour"),
            ("ids", &a),
            ("ids", &b),
        ],
    )
    .await;
    assert!(r.header("location").unwrap().contains("changed=2"));
    for id in [mine, hers] {
        let s = site.store.article(id).await.unwrap().unwrap().summary;
        assert_eq!(s.section.slug, "business");
        assert_eq!(s.tags[0].name, "Harbour");
    }
    let r = post(
        &site,
        &edith,
        "/newsroom/articles/bulk",
        &[("action", "trash"), ("ids", &a)],
    )
    .await;
    assert!(r.header("location").unwrap().contains("changed=1"));
    let r = post(
        &site,
        &edith,
        "/newsroom/articles/bulk",
        &[("action", "restore"), ("ids", &a)],
    )
    .await;
    assert!(r.header("location").unwrap().contains("changed=1"));
    assert_eq!(
        site.store
            .article(mine)
            .await
            .unwrap()
            .unwrap()
            .summary
            .status,
        ArticleStatus::Draft
    );
}

async fn corrections_and_schedules_from_the_editor(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let edith = person(&site, Role::Editor, "edith@example.org").await;
    // Scheduled for tomorrow morning in the site's time: typed as a local time.
    let tomorrow =
        (site.clock.now() + Duration::days(1)).with_timezone(&site.state.settings().timezone);
    let at = tomorrow.format("%Y-%m-%dT09:30").to_string();
    let id = created(
        &site,
        &edith,
        &[
            ("title", "Ferry strike called off"),
            ("section", "city"),
            ("status", "published"),
            ("publish_at", &at),
        ],
    )
    .await;
    let s = site.store.article(id).await.unwrap().unwrap().summary;
    assert_eq!(s.status, ArticleStatus::Scheduled);
    assert_eq!(
        s.published_at
            .unwrap()
            .with_timezone(&site.state.settings().timezone)
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        at
    );
    let r = post(
        &site,
        &edith,
        "/newsroom/articles/new",
        &[
            ("title", "Bad time"),
            ("section", "city"),
            ("publish_at", "tomorrow-ish"),
            ("do", "save"),
        ],
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("must be a date and time"));

    // A correction on a published article, from the editor page.
    let id = created(
        &site,
        &edith,
        &[
            ("title", "Quay reopens"),
            ("section", "city"),
            ("status", "published"),
        ],
    )
    .await;
    let r = post(
        &site,
        &edith,
        &format!("/newsroom/articles/{id}/corrections"),
        &[("kind", "update"), ("note", "The quay reopened at noon.")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let url = site
        .store
        .article(id)
        .await
        .unwrap()
        .unwrap()
        .summary
        .path()
        .unwrap();
    assert!(site.page(&url).await.contains("Update, <time"));
    let r = post(
        &site,
        &edith,
        &format!("/newsroom/articles/{id}/corrections"),
        &[("kind", "update"), ("note", " ")],
    )
    .await;
    assert_eq!(r.status, 422);
}

async fn preview_links_show_a_draft_until_revoked_or_expired(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let carla = person(&site, Role::Contributor, "carla@example.org").await;
    let aziz = person(&site, Role::Author, "aziz@example.org").await;
    let id = created(
        &site,
        &carla,
        &[
            ("title", "Draft about the ferry"),
            ("body", "Not yet *out*."),
            ("section", "city"),
            ("status", "draft"),
        ],
    )
    .await;
    let links = format!("/newsroom/articles/{id}/preview-links");
    // Someone who cannot open the article cannot share it either.
    assert_eq!(
        post(&site, &aziz, &links, &[("days", "7")]).await.status,
        404
    );
    let made = post(&site, &carla, &links, &[("days", "1")]).await;
    assert_eq!(made.status, 200, "{}", made.body);
    let secret = preview_secret(&made.body);
    assert!(secret.len() >= 32, "{secret}");
    let preview = format!("/preview/{secret}");
    // Anyone with the link reads the draft, marked as a preview, never cached or indexed.
    let r = site.get(&preview).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Draft about the ferry") && r.body.contains("<em>out</em>"));
    assert!(r.body.contains("Preview: this story is not published"));
    assert_eq!(r.header("cache-control"), Some("private, no-store"));
    assert!(r.body.contains(r#"<meta name="robots" content="noindex"#));
    assert_eq!(site.get("/preview/not-a-real-secret").await.status, 404);
    // The editor lists it; revoking ends it.
    let page = get(&site, &carla, &format!("/newsroom/articles/{id}/edit")).await;
    assert!(page.body.contains("<td>Live</td>"), "{}", page.body);
    assert!(
        !page.body.contains(&secret),
        "the secret is shown only once"
    );
    let link_id = site.store.preview_links(id).await.unwrap()[0].id;
    let r = post(&site, &carla, &format!("{links}/{link_id}/revoke"), &[]).await;
    assert_eq!(r.status, 303);
    assert_eq!(site.get(&preview).await.status, 404);
    // Another link expires on its own.
    let made = post(&site, &carla, &links, &[("days", "1")]).await;
    let secret = preview_secret(&made.body);
    assert_eq!(site.get(&format!("/preview/{secret}")).await.status, 200);
    site.clock.advance(Duration::hours(25));
    assert_eq!(site.get(&format!("/preview/{secret}")).await.status, 404);
}

async fn static_pages_are_written_like_articles(db: TestDb) {
    let site = TestSite::empty(db).await;
    let edith = person(&site, Role::Editor, "edith@example.org").await;
    assert_eq!(get(&site, &edith, "/newsroom/pages/new").await.status, 200);
    let r = post(
        &site,
        &edith,
        "/newsroom/pages/new",
        &[
            ("title", "Corrections policy"),
            ("format", "markdown"),
            ("body", "We correct **errors** openly."),
            ("status", "published"),
            ("do", "save"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let edit = r.header("location").unwrap().to_owned();
    let page = site.page("/corrections-policy/").await;
    assert!(page.contains("<strong>errors</strong>"));
    assert!(
        site.page("/")
            .await
            .contains(r#"href="/corrections-policy/""#),
        "listed in the footer"
    );
    // An address another page holds, or one of the site's own words, is refused.
    let r = post(
        &site,
        &edith,
        "/newsroom/pages/new",
        &[
            ("title", "Corrections policy"),
            ("body", "Again"),
            ("status", "draft"),
            ("do", "save"),
        ],
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body
            .contains("Another page already has the address /corrections-policy/"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Again"), "what was typed stays");
    let r = post(
        &site,
        &edith,
        "/newsroom/pages/new",
        &[
            ("title", "Sections"),
            ("slug", "section"),
            ("status", "draft"),
            ("do", "save"),
        ],
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    // Preview without saving; then back to a draft, and it leaves the site.
    let r = post(
        &site,
        &edith,
        &edit,
        &[
            ("title", "Corrections policy"),
            ("body", "## Draft"),
            ("format", "markdown"),
            ("do", "preview"),
        ],
    )
    .await;
    assert!(r.body.contains("<h2>Draft</h2>"));
    assert!(
        site.page("/corrections-policy/")
            .await
            .contains("<strong>errors</strong>")
    );
    let r = post(
        &site,
        &edith,
        &edit,
        &[
            ("title", "Corrections policy"),
            ("slug", "corrections-policy"),
            ("body", "x"),
            ("status", "draft"),
            ("do", "save"),
        ],
    )
    .await;
    assert_eq!(r.status, 303);
    assert_eq!(site.get("/corrections-policy/").await.status, 404);
    let list = get(&site, &edith, "/newsroom/pages").await;
    assert!(list.body.contains("Corrections policy") && list.body.contains("Draft"));
}

/// Creates an article through the editor's form (`do=save`); returns its id.
async fn created(site: &TestSite, who: &common::Person, fields: &[(&str, &str)]) -> i64 {
    let mut form = fields.to_vec();
    form.push(("do", "save"));
    let r = post(site, who, "/newsroom/articles/new", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    edited_id(r.header("location").unwrap())
}

/// The secret of the preview link a page shows once.
fn preview_secret(page: &str) -> String {
    let start = page.find("/preview/").unwrap();
    page[start + "/preview/".len()..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}
