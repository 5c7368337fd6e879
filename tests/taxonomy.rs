//! Sections and tags in the newsroom over HTTP, on both backends: editors create, rename,
//! merge and delete through the forms, and every old archive address answers 301 with
//! where its articles are now; authors are refused; bad input is refused with a reason
//! and changes nothing.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use chrono::Duration;
use common::{Person, TestSite, get, person, post};
use masthead_core::{Clock, Role};
use masthead_store::{AuditFilter, NewArticle};
use masthead_testkit::TestDb;

http_tests!(
    editors_create_rename_and_delete_sections_and_old_addresses_follow,
    editors_rename_merge_and_delete_tags_and_old_addresses_follow,
    authors_are_refused_and_bad_input_changes_nothing,
);

/// A story published an hour ago in `section` (and `others`) with `tags`; later ones
/// list first.
async fn story(site: &TestSite, title: &str, section: &str, others: &[&str], tags: &[&str]) {
    let mut a = NewArticle::published(title, section, site.clock.now() - Duration::hours(1));
    a.other_sections = others.iter().map(|s| (*s).to_owned()).collect();
    a.tags = tags.iter().map(|t| (*t).to_owned()).collect();
    site.store.save_article(&a).await.unwrap();
}

async fn section_id(site: &TestSite, slug: &str) -> String {
    site.store
        .section_by_slug(slug)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no section {slug}"))
        .id
        .to_string()
}

async fn tag_id(site: &TestSite, slug: &str) -> String {
    site.store
        .tag_by_slug(slug)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no tag {slug}"))
        .id
        .to_string()
}

/// POSTs a form as `who` and expects the redirect back to the overview with `done`.
async fn done(site: &TestSite, who: &Person, path: &str, form: &[(&str, &str)], code: &str) {
    let r = post(site, who, path, form).await;
    assert_eq!(r.status, 303, "POST {path}: {}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("/newsroom/taxonomy?done={code}").as_str())
    );
}

/// Asserts that `from` answers 301 to `to`.
async fn moved(site: &TestSite, from: &str, to: &str) {
    let r = site.get(from).await;
    assert_eq!((r.status, r.header("location")), (301, Some(to)), "{from}");
}

/// A form POSTed to a path, and what the refusal must say.
type BadPost<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);

async fn audited(site: &TestSite, action: &str) -> Vec<String> {
    let filter = AuditFilter {
        action: Some(action.to_owned()),
        ..Default::default()
    };
    let entries = site.store.audit_entries(&filter, 10, 0).await.unwrap();
    entries.into_iter().map(|e| e.target).collect()
}

async fn editors_create_rename_and_delete_sections_and_old_addresses_follow(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    let editor = person(&site, Role::Editor, "edith@example.org").await;
    let overview = get(&site, &editor, "/newsroom/taxonomy").await;
    assert_eq!(overview.status, 200);
    assert!(
        overview
            .body
            .contains(r#"href="/newsroom/taxonomy" aria-current="page">Sections and tags</a>"#)
    );

    done(
        &site,
        &editor,
        "/newsroom/taxonomy/sections",
        &[
            ("name", "Sport"),
            ("slug", ""),
            ("parent", ""),
            ("description", "Games"),
        ],
        "section-created",
    )
    .await;
    let sport = section_id(&site, "sport").await;
    done(
        &site,
        &editor,
        "/newsroom/taxonomy/sections",
        &[
            ("name", "Football"),
            ("slug", ""),
            ("parent", &sport),
            ("description", ""),
        ],
        "section-created",
    )
    .await;
    assert_eq!(
        audited(&site, "created section").await,
        ["football", "sport"]
    );
    story(&site, "Cup final tonight", "Football", &[], &[]).await;
    // Enough for a second page of Sport at ten a page.
    for i in 0..10 {
        story(&site, &format!("Sport brief {i}"), "Sport", &[], &[]).await;
    }
    story(&site, "Stadium sold", "Sport", &["City"], &[]).await;
    // The section shows nested, with its articles counted.
    let overview = get(&site, &editor, "/newsroom/taxonomy").await.body;
    let row = common::between(&overview, "Football</a></th>", "</tr>").unwrap();
    assert!(
        row.contains("<td>football</td><td>Sport</td><td>1</td>"),
        "{row}"
    );
    assert!(
        overview
            .contains(r#"<th scope="row" class="depth-1"><a href="/newsroom/taxonomy/sections/"#)
    );
    // The front page has a Sport block, which must follow the section.
    let r = post(
        &site,
        &editor,
        "/newsroom/front",
        &[("position-sport", "1")],
    )
    .await;
    assert_eq!(r.status, 303);

    let page = get(
        &site,
        &editor,
        &format!("/newsroom/taxonomy/sections/{sport}"),
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"value="sport""#));
    let form = [
        ("name", "Sports"),
        ("slug", "sports"),
        ("parent", ""),
        ("description", "Games"),
    ];
    done(
        &site,
        &editor,
        &format!("/newsroom/taxonomy/sections/{sport}"),
        &form,
        "section-saved",
    )
    .await;
    moved(&site, "/section/sport/", "/section/sports/").await;
    moved(&site, "/section/sport/page/2/", "/section/sports/page/2/").await;
    assert!(site.page("/section/sports/").await.contains("Stadium sold"));
    assert!(
        site.page("/section/sports/page/2/")
            .await
            .contains("Cup final tonight")
    );
    let front = site.store.setting("front_page").await.unwrap().unwrap();
    assert!(front.contains(r#""sections":["sports"]"#), "{front}");
    assert_eq!(
        audited(&site, "changed section").await,
        ["sports (was sport)"]
    );

    // Delete Sports, moving its articles to City: its old addresses follow them there.
    let city = section_id(&site, "city").await;
    let football = section_id(&site, "football").await;
    done(
        &site,
        &editor,
        &format!("/newsroom/taxonomy/sections/{sport}/delete"),
        &[("move_to", &city)],
        "section-deleted",
    )
    .await;
    moved(&site, "/section/sports/", "/section/city/").await;
    moved(&site, "/section/sport/", "/section/city/").await;
    let city_page = site.page("/section/city/").await;
    assert!(city_page.contains("Stadium sold") && city_page.contains("Sport brief 9"));
    assert!(
        !city_page.contains("Cup final tonight"),
        "Football stays a section of its own"
    );
    let football_now = site
        .store
        .section(football.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        football_now.parent_id, None,
        "moved up to the deleted section's parent"
    );
    assert!(
        site.page("/section/football/")
            .await
            .contains("Cup final tonight")
    );
    let front = site.store.setting("front_page").await.unwrap().unwrap();
    assert!(front.contains(r#""sections":["city"]"#), "{front}");
    assert_eq!(
        audited(&site, "deleted section").await,
        ["sports, 11 articles moved to city"]
    );
    // A section that never was is still a 404.
    assert_eq!(site.get("/section/never-was/").await.status, 404);
}

async fn editors_rename_merge_and_delete_tags_and_old_addresses_follow(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    story(&site, "Ferry timetable", "City", &[], &["Harbor"]).await;
    story(&site, "Quay repairs", "City", &[], &["Harbor", "Harbour"]).await;
    story(
        &site,
        "Dock strike",
        "Business",
        &[],
        &["Harbour", "Strikes"],
    )
    .await;
    let editor = person(&site, Role::Editor, "edith@example.org").await;

    let found = get(&site, &editor, "/newsroom/taxonomy?q=harb").await.body;
    assert!(found.contains("2 tags matching “harb”"), "{found}");
    assert!(!found.contains(">Strikes</a>"));

    done(
        &site,
        &editor,
        "/newsroom/taxonomy/tags",
        &[("name", "Shipping"), ("slug", "")],
        "tag-created",
    )
    .await;
    let shipping = tag_id(&site, "shipping").await;
    assert_eq!(
        get(
            &site,
            &editor,
            &format!("/newsroom/taxonomy/tags/{shipping}")
        )
        .await
        .status,
        200
    );
    done(
        &site,
        &editor,
        &format!("/newsroom/taxonomy/tags/{shipping}"),
        &[("name", "Shipping news"), ("slug", "")],
        "tag-saved",
    )
    .await;
    moved(&site, "/tag/shipping/", "/tag/shipping-news/").await;
    assert_eq!(
        audited(&site, "renamed tag").await,
        ["shipping-news (was shipping)"]
    );

    // Merge the misspelt tag into the right one, named as a person would type it.
    let harbor = tag_id(&site, "harbor").await;
    done(
        &site,
        &editor,
        &format!("/newsroom/taxonomy/tags/{harbor}/merge"),
        &[("into", "Harbour")],
        "tag-merged",
    )
    .await;
    moved(&site, "/tag/harbor/", "/tag/harbour/").await;
    let listing = site.page("/tag/harbour/").await;
    for title in ["Ferry timetable", "Quay repairs", "Dock strike"] {
        assert!(
            listing.contains(title),
            "{title} is listed under the tag it was merged into"
        );
    }
    assert_eq!(
        audited(&site, "merged tag").await,
        ["harbor into harbour, 2 articles"]
    );
    let overview = get(&site, &editor, "/newsroom/taxonomy").await.body;
    let row = common::between(&overview, ">Harbour</a></th>", "</tr>").unwrap();
    assert!(row.contains("<td>harbour</td><td>3</td>"), "{row}");

    let strikes = tag_id(&site, "strikes").await;
    done(
        &site,
        &editor,
        &format!("/newsroom/taxonomy/tags/{strikes}/delete"),
        &[],
        "tag-deleted",
    )
    .await;
    assert_eq!(site.get("/tag/strikes/").await.status, 404);
    assert!(site.store.tag_by_slug("strikes").await.unwrap().is_none());
    assert_eq!(
        audited(&site, "deleted tag").await,
        ["strikes, removed from 1 articles"]
    );
}

async fn authors_are_refused_and_bad_input_changes_nothing(db: TestDb) {
    let site = TestSite::empty(db).await;
    common::seed_sections(&site).await;
    story(
        &site,
        "Ferry timetable",
        "City",
        &[],
        &["Harbour", "Ferries"],
    )
    .await;
    let author = person(&site, Role::Author, "arthur@example.org").await;
    assert_eq!(get(&site, &author, "/newsroom/taxonomy").await.status, 403);
    let r = post(
        &site,
        &author,
        "/newsroom/taxonomy/tags",
        &[("name", "Mine"), ("slug", "")],
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(
        !get(&site, &author, "/newsroom/")
            .await
            .body
            .contains("Sections and tags")
    );

    let editor = person(&site, Role::Editor, "edith@example.org").await;
    let city = section_id(&site, "city").await;
    let business = section_id(&site, "business").await;
    let harbour = tag_id(&site, "harbour").await;
    // Business goes inside City, so that City inside Business would be a loop.
    done(
        &site,
        &editor,
        &format!("/newsroom/taxonomy/sections/{business}"),
        &[
            ("name", "Business"),
            ("slug", "business"),
            ("parent", &city),
        ],
        "section-saved",
    )
    .await;
    let sections = site.store.sections().await.unwrap();
    let tags = site.store.tags().await.unwrap();
    let changes = site.store.latest_change_id().await.unwrap();

    let section_edit = format!("/newsroom/taxonomy/sections/{city}");
    let tag_edit = format!("/newsroom/taxonomy/tags/{harbour}");
    let merge = format!("/newsroom/taxonomy/tags/{harbour}/merge");
    let delete = format!("/newsroom/taxonomy/sections/{city}/delete");
    let cases: [BadPost; 13] = [
        (
            "/newsroom/taxonomy/sections",
            vec![("name", " "), ("slug", "")],
            "A name is needed.",
        ),
        (
            "/newsroom/taxonomy/sections",
            vec![("name", "Paging"), ("slug", "page")],
            "The slug \"page\" is kept for the site's own addresses",
        ),
        (
            "/newsroom/taxonomy/sections",
            vec![("name", "Town"), ("slug", "City")],
            "The slug \"city\" is taken by the section \"City\".",
        ),
        (
            "/newsroom/taxonomy/tags",
            vec![("name", "???"), ("slug", "")],
            "A slug needs at least one letter or digit.",
        ),
        (
            "/newsroom/taxonomy/tags",
            vec![("name", "Ferries"), ("slug", "boats")],
            "There is already a tag called \"Ferries\".",
        ),
        (
            &section_edit,
            vec![("name", "City"), ("slug", "city"), ("parent", &city)],
            "A section cannot be its own parent.",
        ),
        (
            &section_edit,
            vec![("name", "City"), ("slug", "city"), ("parent", &business)],
            "A section cannot go inside one of its own subsections.",
        ),
        (
            &section_edit,
            vec![("name", "City"), ("slug", "city"), ("parent", "x")],
            "The parent section does not exist.",
        ),
        (
            &tag_edit,
            vec![("name", "Harbour"), ("slug", "ferries")],
            "The slug \"ferries\" is taken by the tag \"Ferries\".",
        ),
        (&merge, vec![("into", "")], "Name the tag to merge it into."),
        (
            &merge,
            vec![("into", "Nowhere")],
            "There is no tag called \"Nowhere\".",
        ),
        (
            &merge,
            vec![("into", "harbour")],
            "A tag cannot be merged into itself.",
        ),
        (
            &delete,
            vec![("move_to", "")],
            "Choose the section its articles move to.",
        ),
    ];
    for (path, form, says) in &cases {
        let r = post(&site, &editor, path, form).await;
        assert_eq!(r.status, 422, "POST {path} {form:?}: {}", r.body);
        let escaped = says.replace('"', "&quot;").replace('\'', "&#39;");
        assert!(
            r.body.contains(&escaped) || r.body.contains(says),
            "POST {path} {form:?} says {says:?}: {}",
            common::between(&r.body, "role=\"alert\">", "</p>").unwrap_or(&r.body)
        );
    }
    // What was typed is kept for another try.
    let r = post(
        &site,
        &editor,
        "/newsroom/taxonomy/sections",
        &[
            ("name", "Town"),
            ("slug", "City"),
            ("description", "Our town"),
        ],
    )
    .await;
    assert!(r.body.contains(r#"value="Town""#) && r.body.contains(">Our town</textarea>"));
    assert_eq!(site.store.sections().await.unwrap(), sections);
    assert_eq!(site.store.tags().await.unwrap(), tags);
    assert_eq!(
        site.store.latest_change_id().await.unwrap(),
        changes,
        "nothing changed"
    );
    for missing in [
        "/newsroom/taxonomy/sections/999999",
        "/newsroom/taxonomy/tags/999999",
    ] {
        assert_eq!(get(&site, &editor, missing).await.status, 404, "{missing}");
    }
    let not_an_id = get(&site, &editor, "/newsroom/taxonomy/tags/x").await;
    assert_eq!(not_an_id.status, 400);
}
