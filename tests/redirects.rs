//! Redirects over HTTP, on both backends: the newsroom's manager (add, edit, delete, its
//! refusals, who may use it) and how the site answers: 301, 302 and 410 before its own
//! pages, every spelling of an old address, redirects that follow a story, hit counts,
//! and a redirect saved elsewhere reaching this node.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use chrono::Duration;
use common::{Person, Resp, TestSite};
use masthead_core::{ArticleStatus, Clock, Role};
use masthead_store::{ContentKind, NewArticle, NewRedirect, RedirectFilter, RedirectTarget};
use masthead_testkit::TestDb;

http_tests!(
    manual_redirects_answer_with_their_status_and_count_hits,
    a_redirect_wins_over_a_live_article_until_it_is_deleted,
    every_spelling_of_an_old_address_reaches_its_redirect,
    a_redirect_to_a_story_follows_it_and_stops_when_it_is_withdrawn,
    the_manager_refuses_bad_input_and_keeps_what_was_typed,
    only_editors_reach_the_manager_and_only_from_our_pages,
    a_redirect_saved_elsewhere_works_here_within_two_seconds,
);

const LIST: &str = "/newsroom/redirects";

fn story(site: &TestSite, title: &str, slug: &str) -> NewArticle {
    let mut a = NewArticle::published(title, "City", site.clock.now() - Duration::hours(2));
    a.external_id = Some(format!("redirect-test:{title}"));
    a.slug = Some(slug.to_owned());
    a.body_html = format!("<p>{title} body.</p>");
    a.body_source = a.body_html.clone();
    a.excerpt = format!("{title} teaser");
    a
}

async fn add(
    site: &TestSite,
    editor: &Person,
    source: &str,
    destination: &str,
    status: &str,
) -> Resp {
    common::post(
        site,
        editor,
        LIST,
        &[
            ("source", source),
            ("destination", destination),
            ("status", status),
        ],
    )
    .await
}

/// Adds a redirect that must be accepted; returns its id.
async fn added(
    site: &TestSite,
    editor: &Person,
    source: &str,
    destination: &str,
    status: &str,
) -> i64 {
    let r = add(site, editor, source, destination, status).await;
    assert_eq!(r.status, 303, "adding {source}: {}", r.body);
    assert_eq!(
        r.header("location"),
        Some("/newsroom/redirects?done=redirect-added")
    );
    let key = masthead_core::redirect::parse_source(source).unwrap();
    id_of(site, &key).await
}

async fn id_of(site: &TestSite, key: &str) -> i64 {
    let (all, _) = site
        .store
        .redirects(&RedirectFilter {
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap();
    all.iter().find(|r| r.from_path == key).unwrap().id
}

/// `status` and `Location` of a GET.
async fn answer(site: &TestSite, path: &str) -> (u16, Option<String>) {
    let r = site.get(path).await;
    (r.status, r.header("location").map(str::to_owned))
}

/// Waits (up to 5 s) until the redirect at `key` was followed `n` times (hits are
/// counted off the request path).
async fn wait_for_hits(site: &TestSite, key: &str, n: i64) {
    let id = id_of(site, key).await;
    let started = std::time::Instant::now();
    loop {
        let r = site.store.redirect(id).await.unwrap().unwrap();
        if r.hits >= n {
            assert_eq!(r.hits, n, "{key}");
            assert!(r.last_hit_at.is_some());
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{key} counted {} hits, want {n}",
            r.hits
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The manager's table row for the redirect from `source`.
fn row<'a>(page: &'a str, source: &str) -> &'a str {
    common::between(page, &format!("<code>{source}</code>"), "</tr>")
        .unwrap_or_else(|| panic!("no row for {source} in {page}"))
}

async fn manual_redirects_answer_with_their_status_and_count_hits(db: TestDb) {
    let site = TestSite::empty(db).await;
    let editor = common::person(&site, Role::Editor, "ed@example.com").await;
    // The list before there is anything, and the form.
    let r = common::get(&site, &editor, LIST).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("0 redirects"), "{}", r.body);
    assert!(r.body.contains(r#"<label for="r-source">Old address"#));
    assert!(
        r.body
            .contains(r#"href="/newsroom/redirects" aria-current="page""#)
    );

    added(&site, &editor, "/old-story/", "/somewhere/new/", "301").await;
    added(
        &site,
        &editor,
        "/for-now/",
        "https://elsewhere.example/x?y=1",
        "302",
    )
    .await;
    added(&site, &editor, "/removed/", "", "410").await;
    added(&site, &editor, "/пример/", "/новое/", "301").await;

    let r = site.get("/old-story/").await;
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/somewhere/new/"));
    assert_eq!(r.header("cache-control"), Some("public, max-age=3600"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    // The reader's own query string is not carried along.
    assert_eq!(
        answer(&site, "/old-story/?utm_source=mail").await,
        (301, Some("/somewhere/new/".to_owned()))
    );
    let r = site.get("/for-now/").await;
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("location"),
        Some("https://elsewhere.example/x?y=1")
    );
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"));
    // 410: the themed page, said plainly.
    let r = site.get("/removed/").await;
    assert_eq!(r.status, 410);
    assert!(r.body.contains("The Test Courier"), "{}", r.body);
    assert!(r.body.contains("Page removed"), "{}", r.body);
    assert!(r.header("location").is_none());
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"));
    // HEAD is answered alike.
    assert_eq!(site.request("HEAD", "/old-story/", None).await.status, 301);
    // A site path is encoded segment by segment.
    assert_eq!(
        answer(&site, "/пример/").await,
        (301, Some("/%D0%BD%D0%BE%D0%B2%D0%BE%D0%B5/".to_owned()))
    );
    // Other methods are the site's own business.
    assert_eq!(site.request("POST", "/old-story/", None).await.status, 405);

    // Hits: /old-story/ was followed three times (GET, GET with a query, HEAD).
    wait_for_hits(&site, "/old-story/", 3).await;
    wait_for_hits(&site, "/removed/", 1).await;
    let page = common::get(&site, &editor, LIST).await.body;
    assert!(page.contains("4 redirects"), "{page}");
    let old = row(&page, "/old-story/");
    assert!(old.contains("<td>3</td>"), "{old}");
    assert!(old.contains("/somewhere/new/"), "{old}");
    assert!(old.contains("<td>301</td>"), "{old}");
    assert!(old.contains("<td>Manual</td>"), "{old}");
    assert!(old.contains("<time datetime="), "{old}");
    let gone = row(&page, "/removed/");
    assert!(
        gone.contains("<td>410</td>") && gone.contains("<td>1</td>"),
        "{gone}"
    );
    // The edit page says so too.
    let id = id_of(&site, "/old-story/").await;
    let r = common::get(&site, &editor, &format!("{LIST}/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("3 times"), "{}", r.body);
    assert!(r.body.contains(r#"value="/somewhere/new/""#), "{}", r.body);
    // Edited into a 302 elsewhere: answered so at once.
    let r = common::post(
        &site,
        &editor,
        &format!("{LIST}/{id}"),
        &[
            ("source", "/old-story/"),
            ("destination", "/elsewhere/"),
            ("status", "302"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        answer(&site, "/old-story/").await,
        (302, Some("/elsewhere/".to_owned()))
    );
    // The audit log has the changes.
    let entries = site
        .store
        .audit_entries(&Default::default(), 50, 0)
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"redirect.add"), "{actions:?}");
    assert!(actions.contains(&"redirect.edit"), "{actions:?}");
    // Filters: by what the address contains.
    let page = common::get(&site, &editor, &format!("{LIST}?q=removed"))
        .await
        .body;
    assert!(page.contains("1 redirect."), "{page}");
    assert!(page.contains("<code>/removed/</code>"));
    assert!(!page.contains("<code>/for-now/</code>"));
}

async fn a_redirect_wins_over_a_live_article_until_it_is_deleted(db: TestDb) {
    let site = TestSite::empty(db).await;
    let (_, path) = common::save(&site, &story(&site, "Tram lines extended", "tram-lines")).await;
    let editor = common::person(&site, Role::Editor, "ed@example.com").await;
    site.settle().await;
    assert_eq!(site.get(&path).await.status, 200);
    assert_eq!(site.get(&path).await.status, 200);
    assert!(
        site.state.page_cached(&path),
        "the article is in the page cache"
    );
    let id = added(&site, &editor, &path, "/transport/", "302").await;
    // At once on this node, past the cached page.
    assert_eq!(
        answer(&site, &path).await,
        (302, Some("/transport/".to_owned()))
    );
    // Deleting needs the box ticked.
    let delete = format!("{LIST}/{id}/delete");
    let r = common::post(&site, &editor, &delete, &[]).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("tick the box"), "{}", r.body);
    assert_eq!(site.get(&path).await.status, 302);
    let r = common::post(&site, &editor, &delete, &[("confirm", "yes")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some("/newsroom/redirects?done=redirect-deleted")
    );
    let r = site.get(&path).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Tram lines extended"));
    assert!(site.store.redirect(id).await.unwrap().is_none());
    let page = common::get(&site, &editor, "/newsroom/redirects?done=redirect-deleted")
        .await
        .body;
    assert!(page.contains("The redirect is deleted"), "{page}");
    assert!(page.contains("0 redirects"), "{page}");
    let actions: Vec<String> = site
        .store
        .audit_entries(&Default::default(), 50, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.iter().any(|a| a == "redirect.delete"),
        "{actions:?}"
    );
    // A deleted redirect's page is gone.
    assert_eq!(
        common::get(&site, &editor, &format!("{LIST}/{id}"))
            .await
            .status,
        404
    );
}

async fn every_spelling_of_an_old_address_reaches_its_redirect(db: TestDb) {
    let site = TestSite::empty(db).await;
    let editor = common::person(&site, Role::Editor, "ed@example.com").await;
    assert_eq!(site.get("/").await.status, 200);
    // WordPress's ?p= address: the home page does not swallow it.
    added(
        &site,
        &editor,
        "https://old.example.com/?p=12",
        "/twelve/",
        "301",
    )
    .await;
    for spelling in ["/?p=12", "/?utm_source=feed&p=12", "/?p=12&replytocom=4"] {
        assert_eq!(
            answer(&site, spelling).await,
            (301, Some("/twelve/".to_owned())),
            "{spelling}"
        );
    }
    assert_eq!(site.get("/").await.status, 200);
    assert_eq!(
        site.get("/?p=13").await.status,
        200,
        "no redirect: the home page"
    );
    // Typed decoded and without its trailing slash; asked for in every spelling.
    added(&site, &editor, "/2019/05/привет-мир", "/hello/", "301").await;
    let upper = "/2019/05/%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82-%D0%BC%D0%B8%D1%80/";
    for spelling in [
        upper.to_owned(),
        upper.to_lowercase(),
        upper.trim_end_matches('/').to_owned(),
        "/2019/05/привет-мир/".to_owned(),
    ] {
        assert_eq!(
            answer(&site, &spelling).await,
            (301, Some("/hello/".to_owned())),
            "{spelling}"
        );
    }
    // Typed encoded: the same key.
    let r = add(&site, &editor, &upper.to_lowercase(), "/again/", "301").await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("already redirects"), "{}", r.body);
    // An old upload, a file name: no slash added.
    added(
        &site,
        &editor,
        "/wp-content/uploads/2019/05/map.pdf",
        "/media/map.pdf",
        "301",
    )
    .await;
    assert_eq!(
        answer(&site, "/wp-content/uploads/2019/05/map.pdf").await,
        (301, Some("/media/map.pdf".to_owned()))
    );
    // Addresses with no redirect are the site's.
    assert_eq!(site.get("/2019/05/another/").await.status, 404);
}

async fn a_redirect_to_a_story_follows_it_and_stops_when_it_is_withdrawn(db: TestDb) {
    let site = TestSite::empty(db).await;
    let mut a = story(&site, "Night buses return", "night-buses");
    let (id, path) = common::save(&site, &a).await;
    let editor = common::person(&site, Role::Editor, "ed@example.com").await;
    // A destination that is a story's address follows the story.
    let redirect = added(&site, &editor, "/buses-at-night/", &path, "301").await;
    let stored = site.store.redirect(redirect).await.unwrap().unwrap();
    assert_eq!(stored.target_kind.as_deref(), Some("article"));
    assert_eq!(stored.target_id, Some(id));
    assert_eq!(
        answer(&site, "/buses-at-night/").await,
        (301, Some(path.clone()))
    );
    // An import's redirect to the same story, by id.
    site.store
        .add_redirects(&[NewRedirect::imported(
            "/?p=77".to_owned(),
            ContentKind::Article,
            id,
            "wordpress",
        )])
        .await
        .unwrap();
    site.settle().await;
    assert_eq!(answer(&site, "/?p=77").await, (301, Some(path.clone())));
    // The list shows the story's title and address, and filters by origin.
    let page = common::get(&site, &editor, LIST).await.body;
    let shown = row(&page, "/buses-at-night/");
    assert!(shown.contains("Night buses return"), "{shown}");
    assert!(shown.contains(&path), "{shown}");
    assert!(row(&page, "/?p=77").contains("WordPress import"));
    let imported = common::get(&site, &editor, &format!("{LIST}?origin=imported"))
        .await
        .body;
    assert!(imported.contains("<code>/?p=77</code>"));
    assert!(!imported.contains("<code>/buses-at-night/</code>"));
    let manual = common::get(&site, &editor, &format!("{LIST}?origin=manual"))
        .await
        .body;
    assert!(!manual.contains("<code>/?p=77</code>"));
    assert!(manual.contains("<code>/buses-at-night/</code>"));
    // Nothing under Automatic yet.
    let automatic = common::between(&page, "id=\"automatic\"", "</section>").unwrap();
    assert!(automatic.contains("No story"), "{automatic}");

    // The story's slug changes: the redirect follows it.
    a.slug = Some("night-buses-are-back".to_owned());
    site.store.save_article(&a).await.unwrap();
    let moved = common::path_of(&site, id).await;
    assert!(moved.ends_with("/night-buses-are-back/"), "{moved}");
    assert_eq!(
        answer(&site, "/buses-at-night/").await,
        (301, Some(moved.clone()))
    );
    assert_eq!(answer(&site, "/?p=77").await, (301, Some(moved.clone())));
    // The old address is under Automatic, leading to the new one.
    let page = common::get(&site, &editor, LIST).await.body;
    let automatic = common::between(&page, "id=\"automatic\"", "</section>").unwrap();
    assert!(
        automatic.contains(&format!("<code>{path}</code>")),
        "{automatic}"
    );
    assert!(automatic.contains(&moved), "{automatic}");
    assert!(automatic.contains("Night buses return"), "{automatic}");
    // Editing it without touching the destination keeps it following the story.
    let r = common::post(
        &site,
        &editor,
        &format!("{LIST}/{redirect}"),
        &[
            ("source", "/buses-at-night/"),
            ("destination", &moved),
            ("status", "302"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let stored = site.store.redirect(redirect).await.unwrap().unwrap();
    assert_eq!(stored.target_id, Some(id));
    assert_eq!(stored.status, 302);

    // Withdrawn: the old link does not reveal it, the address is the site's again.
    a.status = ArticleStatus::Draft;
    site.store.save_article(&a).await.unwrap();
    assert_eq!(site.get("/buses-at-night/").await.status, 404);
    assert_eq!(site.get("/?p=77").await.status, 200, "the home page");
    let page = common::get(&site, &editor, LIST).await.body;
    assert!(
        row(&page, "/buses-at-night/").contains("not public now"),
        "{page}"
    );
    // Published again: followed again.
    a.status = ArticleStatus::Published;
    site.store.save_article(&a).await.unwrap();
    assert_eq!(answer(&site, "/buses-at-night/").await, (302, Some(moved)));
    // The import's redirect still follows the story.
    assert_eq!(
        site.store
            .redirect(id_of(&site, "/?p=77").await)
            .await
            .unwrap()
            .unwrap()
            .target_kind
            .as_deref(),
        Some("article")
    );
}

async fn the_manager_refuses_bad_input_and_keeps_what_was_typed(db: TestDb) {
    let site = TestSite::empty(db).await;
    let editor = common::person(&site, Role::Editor, "ed@example.com").await;
    let refused = |source: &'static str,
                   destination: &'static str,
                   status: &'static str,
                   why: &'static str| {
        let site = &site;
        let editor = &editor;
        async move {
            let r = add(site, editor, source, destination, status).await;
            assert_eq!(r.status, 422, "{source} → {destination}: {}", r.body);
            assert!(
                r.body.contains(why),
                "{source} → {destination}: want {why:?} in {}",
                r.body
            );
            assert!(r.body.contains("role=\"alert\""));
            assert!(r.body.contains("The redirect was not added"), "{}", r.body);
            r
        }
    };
    let r = refused("old-story", "/new/", "301", "start it with a slash").await;
    assert!(r.body.contains(r#"value="old-story""#), "typed source kept");
    assert!(
        r.body.contains(r#"value="/new/""#),
        "typed destination kept"
    );
    let r = refused("/a/", "javascript:alert(1)", "302", "is not a destination").await;
    assert!(r.body.contains(r#"value="/a/""#));
    assert!(
        r.body.contains(r#"<option value="302" selected>"#),
        "typed status kept"
    );
    refused("", "/new/", "301", "Enter the old address").await;
    refused("/", "/new/", "301", "home page cannot be redirected").await;
    refused("/a/", "", "301", "Enter where the address should go").await;
    refused("/a", "/a/?utm=1", "301", "cannot lead to its own address").await;
    refused("/newsroom/users", "/x/", "301", "cannot be redirected").await;
    refused("/a/", "/b/", "307", "301, 302 or 410").await;
    refused("/a/", "/b c/", "301", "cannot contain spaces").await;
    // Nothing was saved.
    assert_eq!(site.store.redirect_sources().await.unwrap().len(), 0);
    // An address already redirected: the store's message.
    added(&site, &editor, "/dup/", "/one/", "301").await;
    refused(
        "/dup",
        "/two/",
        "301",
        "already redirects; edit that redirect instead",
    )
    .await;
    // 410 needs no destination (one typed is not kept).
    let gone = added(&site, &editor, "/gone/", "/ignored/", "410").await;
    assert_eq!(site.store.redirect(gone).await.unwrap().unwrap().to_url, "");
    // The edit form refuses alike and keeps the typing.
    let r = common::post(
        &site,
        &editor,
        &format!("{LIST}/{gone}"),
        &[
            ("source", "/gone-now/"),
            ("destination", ""),
            ("status", "301"),
        ],
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("The redirect was not saved: Enter where"),
        "{}",
        r.body
    );
    assert!(r.body.contains(r#"value="/gone-now/""#));
    let r = common::post(
        &site,
        &editor,
        &format!("{LIST}/{gone}"),
        &[
            ("source", "/dup/"),
            ("destination", "/x/"),
            ("status", "301"),
        ],
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("already redirects"), "{}", r.body);
    assert_eq!(site.get("/gone/").await.status, 410, "unchanged");
    // Odd ids.
    for id in ["999999", "x"] {
        assert_eq!(
            common::get(&site, &editor, &format!("{LIST}/{id}"))
                .await
                .status,
            404
        );
    }
}

async fn only_editors_reach_the_manager_and_only_from_our_pages(db: TestDb) {
    let site = TestSite::empty(db).await;
    let editor = common::person(&site, Role::Editor, "ed@example.com").await;
    let contributor = common::person(&site, Role::Contributor, "co@example.com").await;
    let id = added(&site, &editor, "/old/", "/new/", "301").await;
    // Contributors may not, to read or to change.
    for path in [LIST.to_owned(), format!("{LIST}/{id}")] {
        let r = common::get(&site, &contributor, &path).await;
        assert_eq!(r.status, 403, "{path}");
    }
    let r = add(&site, &contributor, "/mine/", "/x/", "301").await;
    assert_eq!(r.status, 403);
    let r = common::post(
        &site,
        &contributor,
        &format!("{LIST}/{id}/delete"),
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status, 403);
    // Contributors do not see it in the navigation; editors do.
    let dash = common::get(&site, &contributor, "/newsroom/").await.body;
    assert!(!dash.contains(r#"href="/newsroom/redirects""#));
    let dash = common::get(&site, &editor, "/newsroom/").await.body;
    assert!(dash.contains(r#"href="/newsroom/redirects""#));
    // Signed out: to the sign-in page.
    let r = site.get(LIST).await;
    assert_eq!(r.status, 303);
    assert!(r.header("location").unwrap().starts_with("/newsroom/login"));
    let r = site
        .post_form(
            LIST,
            &[("source", "/x/"), ("destination", "/y/"), ("status", "301")],
            &[("Origin", &site.origin())],
        )
        .await;
    assert_eq!(r.status, 401);
    // An editor's browser on another site's page: refused, nothing changes.
    let evil = [
        ("Cookie", editor.cookie.as_str()),
        ("Origin", "https://evil.example"),
    ];
    let r = site
        .post_form(
            LIST,
            &[("source", "/x/"), ("destination", "/y/"), ("status", "301")],
            &evil,
        )
        .await;
    assert_eq!(r.status, 403);
    let r = site
        .post_form(&format!("{LIST}/{id}/delete"), &[("confirm", "yes")], &evil)
        .await;
    assert_eq!(r.status, 403);
    let r = site
        .post_form(
            &format!("{LIST}/{id}"),
            &[
                ("source", "/old/"),
                ("destination", "https://evil.example/"),
                ("status", "301"),
            ],
            &[
                ("Cookie", editor.cookie.as_str()),
                ("Sec-Fetch-Site", "cross-site"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        site.store.redirect_sources().await.unwrap(),
        vec!["/old/".to_owned()]
    );
    assert_eq!(
        answer(&site, "/old/").await,
        (301, Some("/new/".to_owned()))
    );
    // The newsroom itself cannot be redirected, even by the store.
    site.store
        .add_redirects(&[NewRedirect {
            from_path: "/newsroom/".to_owned(),
            target: RedirectTarget::Address("/elsewhere/".to_owned()),
            suffix: String::new(),
            status: 301,
            origin: "wordpress".to_owned(),
        }])
        .await
        .unwrap();
    site.settle().await;
    assert_eq!(common::get(&site, &editor, "/newsroom/").await.status, 200);
}

async fn a_redirect_saved_elsewhere_works_here_within_two_seconds(db: TestDb) {
    let site = TestSite::empty(db).await;
    site.settle().await;
    assert_eq!(site.get("/from-elsewhere/").await.status, 404);
    // Another node (or an import) saves through its own connection.
    let other = site.db.store().await;
    other.clock.set(site.clock.now());
    let id = other
        .store
        .save_redirect(
            None,
            &NewRedirect {
                from_path: "/from-elsewhere/".to_owned(),
                target: RedirectTarget::Address("/here/".to_owned()),
                suffix: String::new(),
                status: 301,
                origin: "manual".to_owned(),
            },
        )
        .await
        .unwrap();
    let started = std::time::Instant::now();
    while site.get("/from-elsewhere/").await.status != 301 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "not redirected within 2 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Deleted elsewhere: the address is the site's again.
    other.store.delete_redirect(id).await.unwrap();
    let started = std::time::Instant::now();
    while site.get("/from-elsewhere/").await.status != 404 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "still redirected 2 s after the delete"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // This node has read the delete (and reloaded its set) before the import below.
    while !site.state.caught_up().await {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(4),
            "never caught up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    site.settle().await;
    // An import elsewhere leaves `/?p=41`: the home page answers that address itself
    // (200, not 404), so only this node's reloaded set can send it on.
    let imported = other
        .store
        .import_articles(
            &[masthead_store::ImportItem {
                article: story(&site, "Imported elsewhere", "imported-elsewhere"),
                comments: Vec::new(),
                old_addresses: vec!["/?p=41".to_owned()],
            }],
            "wordpress",
        )
        .await
        .unwrap();
    assert_eq!(imported[0].redirects, 1);
    let started = std::time::Instant::now();
    loop {
        let (status, location) = answer(&site, "/?p=41").await;
        eprintln!("DEBUG {status} {location:?} {:?}", started.elapsed());
        if status == 301 {
            assert!(location.unwrap().ends_with("/imported-elsewhere/"));
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "an imported redirect not followed within 2 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
