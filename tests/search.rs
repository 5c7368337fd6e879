//! Search and "You May Also Like" over HTTP, on both backends: the page and the API,
//! the query language, spelling, published-only results, freshness after a change on
//! this node and on another, rate limits, zero-result counts, pins and reasons.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use chrono::Duration;
use common::TestSite;
use masthead_core::{ArticleStatus, Clock};
use masthead_store::NewArticle;
use masthead_testkit::TestDb;
use serde_json::Value;

http_tests!(
    search_reads_the_whole_story,
    the_query_language_and_the_forms_filters,
    misspellings_are_forgiven_with_did_you_mean,
    only_published_stories_are_found_and_changes_count_at_once,
    a_change_made_elsewhere_is_searchable_within_two_seconds,
    odd_queries_get_a_helpful_page,
    searches_are_limited_per_client_and_misses_counted,
    related_stories_are_related_pinned_and_explained,
    editors_pin_stories_see_why_and_read_the_misses,
);

/// A published story `hours_ago` in `section` with `body` (plain words).
fn story(
    site: &TestSite,
    title: &str,
    section: &str,
    hours_ago: i64,
    body: &str,
    tags: &[&str],
) -> NewArticle {
    let mut a = NewArticle::published(
        title,
        section,
        site.clock.now() - Duration::hours(hours_ago),
    );
    a.external_id = Some(format!("search-test:{title}"));
    a.body_html = format!("<p>{body}</p>");
    a.excerpt = format!("Excerpt of {title}.");
    a.tags = tags.iter().map(|t| (*t).to_owned()).collect();
    a.authors = vec!["Maya Okafor".to_owned()];
    a
}

/// Six stories about a harbour town, written for these tests.
async fn town(site: &TestSite) -> Vec<i64> {
    let stories = [
        (
            "Harbour bridge closes for cable repairs",
            "City",
            1,
            "Engineers will replace the suspension cables of the old harbour bridge over six weeks. Ferries will run every twenty minutes while it is shut.",
            &["Transport"][..],
        ),
        (
            "Ferry timetable doubles during bridge works",
            "City",
            2,
            "The ferry company adds crossings while the harbour bridge is closed for repairs. Season tickets are accepted on every boat.",
            &["Transport"][..],
        ),
        (
            "Council sets its budget for schools",
            "Politics",
            3,
            "Councillors agreed a budget that raises spending on classrooms and teachers, and freezes parking charges near the harbour.",
            &["Budget"][..],
        ),
        (
            "Rowing club wins the regional championship",
            "Sport",
            4,
            "The harbour rowing club beat crews from upriver on Saturday. Its coach praised the stamina of the novice eight.",
            &[][..],
        ),
        (
            "Lighthouse keeper's diary goes on show",
            "Culture",
            5,
            "A diary kept by the last lighthouse keeper describes storms, shipwrecks and the winter the harbour froze.",
            &[][..],
        ),
        (
            "Fish market reopens after refit",
            "Business",
            6,
            "Traders return to the refitted fish market on the quay, with cold rooms and a new auction floor.",
            &[][..],
        ),
    ];
    let mut ids = Vec::new();
    for (title, section, hours, body, tags) in stories {
        ids.push(
            common::save(site, &story(site, title, section, hours, body, tags))
                .await
                .0,
        );
    }
    site.settle().await;
    ids
}

async fn api(site: &TestSite, query: &str) -> (Vec<Value>, i64) {
    let r = site.get(&format!("/api/v1/search?{query}")).await;
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    let total = r.header("x-total-count").unwrap().parse().unwrap();
    (serde_json::from_str(&r.body).unwrap(), total)
}

fn titles(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["title"].as_str().unwrap().to_owned())
        .collect()
}

fn q(text: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("q", text)
        .finish()
}

/// The "You May Also Like" block of the page at `path`.
async fn related_block(site: &TestSite, path: &str) -> String {
    let page = site.page(path).await;
    common::between(&page, "You May Also Like", "</section>")
        .unwrap()
        .to_owned()
}

async fn search_titles(site: &TestSite, text: &str) -> Vec<String> {
    titles(&api(site, &q(text)).await.0)
}

async fn search_reads_the_whole_story(db: TestDb) {
    let site = TestSite::empty(db).await;
    town(&site).await;
    // A word only in a body.
    let (items, total) = api(&site, &q("stamina")).await;
    assert_eq!(total, 1);
    assert_eq!(
        items[0]["title"],
        "Rowing club wins the regional championship"
    );
    let snippet = items[0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>stamina</mark>"), "{snippet}");
    assert!(items[0]["url"].as_str().unwrap().starts_with('/'));
    assert_eq!(items[0]["section"]["slug"], "sport");
    // The title weighs more than the body: both mention repairs, the one titled so
    // comes first.
    let found = search_titles(&site, "repairs").await;
    assert_eq!(found[0], "Harbour bridge closes for cable repairs");
    assert_eq!(found.len(), 2);
    // Stems: "repaired" finds "repairs".
    assert_eq!(search_titles(&site, "repaired").await.len(), 2);
    // The page: results with highlighted passages, the count, and noindex.
    let r = site.get(&format!("/search?{}", q("stamina"))).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<mark>stamina</mark>"), "{}", r.body);
    assert!(r.body.contains("1 result"), "{}", r.body);
    assert!(
        r.body
            .contains(r#"<meta name="robots" content="noindex, follow">"#)
    );
    assert_eq!(r.header("x-robots-tag"), Some("noindex, follow"));
    assert!(
        r.body
            .contains("Rowing club wins the regional championship")
    );
    // Newest first, and pages.
    let (items, total) = api(
        &site,
        &format!("{}&sort=newest&per_page=1&page=2", q("harbour")),
    )
    .await;
    assert_eq!(total, 5);
    assert_eq!(
        titles(&items),
        vec!["Ferry timetable doubles during bridge works"]
    );
}

async fn the_query_language_and_the_forms_filters(db: TestDb) {
    let site = TestSite::empty(db).await;
    town(&site).await;
    assert_eq!(
        search_titles(&site, "\"harbour bridge\" -timetable").await,
        vec!["Harbour bridge closes for cable repairs"]
    );
    assert_eq!(
        search_titles(&site, "harbour section:sport").await,
        vec!["Rowing club wins the regional championship"]
    );
    assert_eq!(
        search_titles(&site, "harbour tag:budget").await,
        vec!["Council sets its budget for schools"]
    );
    assert_eq!(
        search_titles(&site, "stamina author:\"Maya Okafor\"")
            .await
            .len(),
        1
    );
    assert_eq!(
        search_titles(&site, "stamina author:someone-else")
            .await
            .len(),
        0
    );
    // Dates are site-local days: stories 1–6 hours old, all from the test's "today".
    let today = site.clock.now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    assert_eq!(
        search_titles(&site, &format!("harbour after:{tomorrow}"))
            .await
            .len(),
        0
    );
    assert_eq!(
        search_titles(&site, &format!("harbour before:{tomorrow}"))
            .await
            .len(),
        5
    );
    // The form's own fields.
    let (items, _) = api(&site, &format!("{}&section=city", q("harbour"))).await;
    assert_eq!(items.len(), 2);
    let (items, _) = api(&site, &format!("{}&author=Maya+Okafor", q("stamina"))).await;
    assert_eq!(items.len(), 1);
    let (items, _) = api(&site, &format!("{}&author=nobody", q("stamina"))).await;
    assert_eq!(items.len(), 0);
    let page = site
        .page(&format!("/search?{}&author=Maya+Okafor", q("stamina")))
        .await;
    assert!(
        page.contains(r#"name="author" value="Maya Okafor""#),
        "the form keeps the author"
    );
    // A prefix that is not ours is a word.
    assert_eq!(
        search_titles(&site, "Diary: lighthouse keeper").await,
        vec!["Lighthouse keeper's diary goes on show"]
    );
    // No story has every word: some of them will do, and the page says so.
    let r = site
        .get(&format!("/search?{}", q("lighthouse zeppelin")))
        .await;
    assert!(r.body.contains("these have some of them"), "{}", r.body);
}

async fn misspellings_are_forgiven_with_did_you_mean(db: TestDb) {
    let site = TestSite::empty(db).await;
    town(&site).await;
    let r = site
        .get(&format!("/search?{}", q("lighthuose keper")))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Did you mean"), "{}", r.body);
    assert!(r.body.contains("lighthouse keeper"), "{}", r.body);
    assert!(r.body.contains("diary goes on show"), "{}", r.body);
    let r = site
        .get(&format!("/api/v1/search?{}", q("championsihp")))
        .await;
    assert_eq!(r.header("x-did-you-mean"), Some("championship"));
}

async fn only_published_stories_are_found_and_changes_count_at_once(db: TestDb) {
    let site = TestSite::empty(db).await;
    town(&site).await;
    let mut draft = story(
        &site,
        "Secret plans for a marina",
        "City",
        1,
        "A marina with four hundred berths.",
        &[],
    );
    draft.status = ArticleStatus::Draft;
    draft.published_at = None;
    site.store.save_article(&draft).await.unwrap();
    let mut future = story(
        &site,
        "Marina opening date announced",
        "City",
        -5,
        "The marina opens in spring.",
        &[],
    );
    future.status = ArticleStatus::Scheduled;
    site.store.save_article(&future).await.unwrap();
    assert_eq!(
        search_titles(&site, "marina").await.len(),
        0,
        "drafts and scheduled stories are never found"
    );
    // Published on this node: found by the very next search.
    let mut published = draft.clone();
    published.status = ArticleStatus::Published;
    published.published_at = Some(site.clock.now());
    common::save(&site, &published).await;
    assert_eq!(
        search_titles(&site, "marina").await,
        vec!["Secret plans for a marina"]
    );
    // Withdrawn: gone at once too.
    let mut withdrawn = published.clone();
    withdrawn.status = ArticleStatus::Draft;
    site.store.save_article(&withdrawn).await.unwrap();
    assert_eq!(search_titles(&site, "marina").await.len(), 0);
    // Edited: the new words are found, the old ones not.
    let mut edited = story(
        &site,
        "Fish market reopens after refit",
        "Business",
        6,
        "Traders return to a quay with a smokehouse.",
        &[],
    );
    edited.external_id = Some("search-test:Fish market reopens after refit".to_owned());
    common::save(&site, &edited).await;
    assert_eq!(search_titles(&site, "smokehouse").await.len(), 1);
    assert_eq!(search_titles(&site, "auction").await.len(), 0);
    // The scheduler publishes the future story when its time comes.
    site.clock.advance(Duration::hours(6));
    masthead_web::jobs::publish_due(&site.state).await.unwrap();
    assert_eq!(
        search_titles(&site, "marina").await,
        vec!["Marina opening date announced"]
    );
}

async fn a_change_made_elsewhere_is_searchable_within_two_seconds(db: TestDb) {
    let site = TestSite::empty(db).await;
    town(&site).await;
    // Another process (an import, another node) writes through its own connection.
    let other = site.db.store().await;
    other.clock.set(site.clock.now());
    other
        .store
        .save_article(&story(
            &site,
            "Seal pup rescued from the slipway",
            "City",
            0,
            "Volunteers carried the pup back to the water.",
            &[],
        ))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        if search_titles(&site, "slipway").await.len() == 1 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "not searchable within 2 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn odd_queries_get_a_helpful_page(db: TestDb) {
    let site = TestSite::empty(db).await;
    town(&site).await;
    // Under the site's 2 KiB limit on a query string, over the search's 1,000 characters.
    let long = "harbour ".repeat(200);
    for query in [
        "",
        "q=",
        "q=%22",
        "q=-",
        "q=%00%01",
        "q=after%3Asoon",
        "q=%E2%80%AE",
        "page=abc",
        "q=x&sort=sideways",
    ] {
        let r = site.get(&format!("/search?{query}")).await;
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        assert!(r.body.contains("<h1>Search</h1>"), "{query}");
    }
    let r = site.get(&format!("/search?{}", q(&long))).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("only its first 1000 characters"),
        "{}",
        &r.body[..500]
    );
    let r = site.get("/search?q=after%3Asoon+harbour").await;
    assert!(r.body.contains("give a date like"), "{}", r.body);
    // The help page teaches the query language.
    let r = site.get("/search").await;
    assert!(r.body.contains("section:sport"));
    // Scripts typed into the box come back inert.
    let r = site
        .get(&format!("/search?{}", q("<script>alert(1)</script>")))
        .await;
    assert!(!r.body.contains("<script>alert"), "{}", r.body);
    // The API says what it wants.
    let r = site.get("/api/v1/search?q=").await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("empty_query"));
}

async fn searches_are_limited_per_client_and_misses_counted(db: TestDb) {
    let site = TestSite::empty(db).await;
    town(&site).await;
    let limit = site.state.settings().searches_per_minute;
    for _ in 0..limit {
        assert_eq!(
            site.get(&format!("/search?{}", q("zeppelin"))).await.status,
            200
        );
    }
    let r = site.get(&format!("/search?{}", q("harbour"))).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.header("retry-after"), Some("60"));
    assert_eq!(
        site.get(&format!("/api/v1/search?{}", q("harbour")))
            .await
            .status,
        429
    );
    // Another client (behind no trusted proxy the address is the peer's, so the test
    // moves the clock instead): the next minute starts afresh.
    site.clock.advance(Duration::seconds(61));
    assert_eq!(
        site.get(&format!("/search?{}", q("harbour"))).await.status,
        200
    );
    // Every search that found nothing was counted, once per query.
    let misses = site.store.search_misses(10).await.unwrap();
    assert_eq!(misses.len(), 1, "{misses:?}");
    assert_eq!(misses[0].query, "zeppelin");
    assert_eq!(misses[0].count, i64::from(limit));
}

async fn related_stories_are_related_pinned_and_explained(db: TestDb) {
    let site = TestSite::empty(db).await;
    let ids = town(&site).await;
    // A near-duplicate of the bridge story never shows under it.
    let mut copy = story(
        &site,
        "Harbour bridge closes for cable repairs",
        "City",
        7,
        "Engineers will replace the suspension cables of the old harbour bridge over six weeks. Ferries will run every twenty minutes while it is shut.",
        &["Transport"],
    );
    copy.external_id = Some("search-test:copy".to_owned());
    let (copy_id, _) = common::save(&site, &copy).await;
    let r = site
        .get(&format!("/api/v1/articles/{}/related", ids[0]))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let items: Vec<Value> = serde_json::from_str(&r.body).unwrap();
    assert_eq!(items.len(), 4);
    let related: Vec<i64> = items.iter().map(|v| v["id"].as_i64().unwrap()).collect();
    assert!(
        !related.contains(&ids[0]) && !related.contains(&copy_id),
        "{related:?}"
    );
    // The ferry story shares the most: first, and it says why.
    assert_eq!(related[0], ids[1], "{}", r.body);
    let why = items[0]["why"].as_str().unwrap();
    assert!(
        why.contains("same section: City") && why.contains("Transport"),
        "{why}"
    );
    // An editor's pin comes first; limit is honoured.
    site.store
        .set_related_pins(ids[0], &[ids[5]])
        .await
        .unwrap();
    let r = site
        .get(&format!("/api/v1/articles/{}/related?limit=2", ids[0]))
        .await;
    let items: Vec<Value> = serde_json::from_str(&r.body).unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"].as_i64(), Some(ids[5]));
    assert_eq!(items[0]["pinned"], true);
    assert_eq!(items[0]["why"], "chosen by an editor");
    // The page shows four, each with its teaser and "Read more"; withdrawn ones go.
    let path = common::path_of(&site, ids[0]).await;
    let block = related_block(&site, &path).await;
    assert_eq!(block.matches("Read more").count(), 4, "{block}");
    assert!(block.contains("Fish market reopens after refit"));
    let mut withdrawn = story(
        &site,
        "Ferry timetable doubles during bridge works",
        "City",
        2,
        "",
        &[],
    );
    withdrawn.status = ArticleStatus::Draft;
    site.store.save_article(&withdrawn).await.unwrap();
    assert!(
        !related_block(&site, &path)
            .await
            .contains("Ferry timetable")
    );
    // Unknown ids and bad limits are clear errors.
    assert_eq!(
        site.get("/api/v1/articles/999999/related").await.status,
        404
    );
    assert_eq!(
        site.get(&format!("/api/v1/articles/{}/related?limit=0", ids[0]))
            .await
            .status,
        400
    );
}

async fn editors_pin_stories_see_why_and_read_the_misses(db: TestDb) {
    let site = TestSite::empty(db).await;
    let ids = town(&site).await;
    let editor = common::person(&site, masthead_core::Role::Editor, "ed@example.com").await;
    let contributor =
        common::person(&site, masthead_core::Role::Contributor, "cy@example.com").await;
    let screen = format!("/newsroom/articles/{}/related", ids[0]);
    // Why each automatic story is there.
    let r = common::get(&site, &editor, &screen).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains("Ferry timetable doubles during bridge works")
    );
    assert!(r.body.contains("same section: City"), "{}", r.body);
    // Pinned by address and by id, in that order.
    let lighthouse = common::path_of(&site, ids[4]).await;
    let pins = format!("{}{lighthouse}\n{}", site.base, ids[5]);
    let r = common::post(&site, &editor, &screen, &[("pins", &pins)]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        site.store.related_pins(ids[0]).await.unwrap(),
        vec![ids[4], ids[5]]
    );
    let path = common::path_of(&site, ids[0]).await;
    let block = related_block(&site, &path).await;
    let first = block.find("Lighthouse keeper").unwrap();
    let second = block.find("Fish market").unwrap();
    assert!(first < second, "pins in order");
    // A line that is no story: nothing saved, the typing kept.
    let r = common::post(&site, &editor, &screen, &[("pins", "/2001/01/01/nowhere/")]).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("/2001/01/01/nowhere/"));
    assert_eq!(site.store.related_pins(ids[0]).await.unwrap().len(), 2);
    // Contributors may not.
    let r = common::post(&site, &contributor, &screen, &[("pins", "")]).await;
    assert_eq!(r.status, 403);
    // The searches that found nothing, for editors.
    site.get(&format!("/search?{}", q("submarine races"))).await;
    let r = common::get(&site, &editor, "/newsroom/search-misses").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("submarine races"), "{}", r.body);
    let r = common::post(&site, &editor, "/newsroom/search-misses/clear", &[]).await;
    assert_eq!(r.status, 303);
    assert!(site.store.search_misses(10).await.unwrap().is_empty());
    assert_eq!(
        common::get(&site, &contributor, "/newsroom/search-misses")
            .await
            .status,
        403
    );
}
