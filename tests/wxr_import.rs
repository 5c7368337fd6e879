//! `masthead import wxr` on the three real WordPress exports: every post, page,
//! category, tag, author and comment accounted for against what `xmllint` (which knows
//! nothing of our code) finds in each file; the theme unit test's edge cases one by one;
//! old addresses answered with 301s; re-imports that update; a dry run that writes
//! nothing; a Windows-1252 export; and an import killed at random points that a re-run
//! completes.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use common::TestSite;
use masthead_core::ArticleStatus;
use masthead_core::redirect::percent_decode;
use masthead_import::wxr::{WxrOptions, WxrReport, import_wxr};
use masthead_render::text::html_to_text;
use masthead_store::{Article, Store};
use masthead_testkit::TestDb;
use masthead_testkit::xmllint::{
    unescape_xml, wordpress_fixture, xmllint_here, xpath_count, xpath_strings,
};
use std::collections::{BTreeSet, HashMap};
use std::io::BufReader;
use std::path::{Path, PathBuf};

const BIN: &str = env!("CARGO_BIN_EXE_masthead");
const THEME_UNIT: &str = "themeunittestdata.wordpress.xml";
const CC_LABS: &str = "cc-labs.wordpress.xml";
const PARCH: &str = "parch-linux-blog.wordpress.xml";

http_tests!(
    every_item_of_the_theme_unit_test_is_accounted_for,
    every_item_of_cc_labs_is_accounted_for,
    every_item_of_the_parch_linux_blog_is_accounted_for,
    the_theme_unit_tests_edge_cases_each_land_right,
    old_wordpress_addresses_answer_301_with_the_new_home,
    a_second_import_updates_and_duplicates_nothing,
    a_dry_run_reports_and_writes_nothing,
    a_site_exported_and_imported_into_an_empty_one_is_the_same_site,
);

async fn import_file(store: &Store, path: &Path, opts: &WxrOptions) -> WxrReport {
    let mut open = || Ok(BufReader::new(std::fs::File::open(path).unwrap()));
    import_wxr(store, &mut open, opts, &mut |_, _| {})
        .await
        .unwrap()
}

fn fixture(name: &str) -> Option<PathBuf> {
    let path = wordpress_fixture(name)?;
    xmllint_here().then_some(path)
}

const POSTS: &str = "//*[local-name()='item'][normalize-space(*[local-name()='post_type'])='post']";

/// The comment kinds we import (WordPress wrote an empty type for comments until 5.5).
const READER_KINDS: &str = "[contains('||comment|pingback|trackback|', concat('|', normalize-space(*[local-name()='comment_type']), '|'))]";

/// One post as xmllint reads it.
#[derive(Debug, Default)]
struct XmlPost {
    post_id: String,
    guid: String,
    title: String,
    link: String,
    status: String,
    password: bool,
    date_gmt: String,
    sections: Vec<String>,
    tags: Vec<String>,
    comments: u64,
}

/// Every post's fields from one `xmllint --xpath` run: the union of the fields below
/// comes out in document order, each item's together, starting with its title.
fn xml_posts(file: &Path) -> Vec<XmlPost> {
    let fields = [
        "title",
        "link",
        "guid",
        "post_id",
        "status",
        "post_password",
        "post_date_gmt",
        "category",
        "comment",
    ]
    .map(|f| format!("local-name()='{f}'"))
    .join(" or ");
    let output = std::process::Command::new(masthead_testkit::xmllint::XMLLINT)
        .arg("--xpath")
        .arg(format!("{POSTS}/*[{fields}]"))
        .arg(file)
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let mut posts: Vec<XmlPost> = Vec::new();
    for (name, attrs, inner) in top_elements(&text) {
        let local = name.rsplit(':').next().unwrap();
        if local == "title" {
            posts.push(XmlPost::default());
        }
        let p = posts.last_mut().unwrap();
        let value = || unescape_xml(inner).trim().to_owned();
        match local {
            "title" => p.title = unescape_xml(inner),
            "link" => p.link = value(),
            "guid" => p.guid = value(),
            "post_id" => p.post_id = value(),
            "status" => p.status = value(),
            "post_password" => p.password = !value().is_empty(),
            "post_date_gmt" => p.date_gmt = value(),
            "category" => {
                let nicename = decoded(&attribute(attrs, "nicename"));
                let list = match attribute(attrs, "domain").as_str() {
                    "category" => &mut p.sections,
                    "post_tag" => &mut p.tags,
                    _ => continue,
                };
                if !list.contains(&nicename) {
                    list.push(nicename);
                }
            }
            "comment" => {
                let kind = between(inner, "comment_type>", "</")
                    .map(|k| unescape_xml(k).trim().to_owned())
                    .unwrap_or_default();
                if matches!(kind.as_str(), "" | "comment" | "pingback" | "trackback") {
                    p.comments += 1;
                }
            }
            _ => {}
        }
    }
    posts
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(&s[from..from + len])
}

fn attribute(attrs: &str, name: &str) -> String {
    between(attrs, &format!("{name}=\""), "\"")
        .map(unescape_xml)
        .unwrap_or_default()
}

/// The top-level elements of a serialisation: `(name, attributes, content)`.
fn top_elements(s: &str) -> Vec<(&str, &str, &str)> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while let Some(after_lt) = rest.strip_prefix('<') {
        let name_end = after_lt.find([' ', '>', '/']).unwrap();
        let name = &after_lt[..name_end];
        let tag_end = after_lt.find('>').unwrap();
        let attrs = &after_lt[name_end..tag_end];
        if attrs.ends_with('/') {
            out.push((name, attrs, ""));
            rest = after_lt[tag_end + 1..].trim_start();
            continue;
        }
        let body = &after_lt[tag_end + 1..];
        let close = format!("</{name}>");
        let mut at = 0;
        loop {
            let next_cdata = body[at..].find("<![CDATA[").map(|i| i + at);
            let next_close = body[at..].find(&close).map(|i| i + at).unwrap();
            match next_cdata {
                Some(c) if c < next_close => at = c + body[c..].find("]]>").unwrap() + 3,
                _ => {
                    out.push((name, attrs, &body[..next_close]));
                    rest = body[next_close + close.len()..].trim_start();
                    break;
                }
            }
        }
    }
    out
}

/// A nicename as our slug rules keep it: percent-decoded, then normalised as any given
/// slug is (`wsgi_cache` → `wsgi-cache`).
fn decoded(nicename: &str) -> String {
    masthead_core::slug::normalize_given(&percent_decode(nicename.trim()).unwrap()).unwrap()
}

fn expected_status(p: &XmlPost) -> ArticleStatus {
    if p.password {
        return ArticleStatus::Private;
    }
    match p.status.as_str() {
        "publish" => ArticleStatus::Published,
        "future" => ArticleStatus::Scheduled,
        "pending" => ArticleStatus::Pending,
        "private" => ArticleStatus::Private,
        "trash" => ArticleStatus::Trash,
        _ => ArticleStatus::Draft,
    }
}

async fn article_for(store: &Store, guid: &str) -> Article {
    let id = store
        .article_id_by_external_id(guid)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no article for GUID {guid}"));
    store.article(id).await.unwrap().unwrap()
}

/// Imports `name` and checks every count and every post against xmllint's reading.
async fn account_for_everything(db: TestDb, name: &str) -> Option<(TestSite, WxrReport)> {
    let path = fixture(name)?;
    let site = TestSite::empty(db).await;
    let report = import_file(&site.store, &path, &WxrOptions::default()).await;
    let file = path.as_path();
    let count = |e: &str| xpath_count(file, &[format!("count({e})")])[0];
    let items_of = |t: &str| {
        count(&format!(
            "//*[local-name()='item'][normalize-space(*[local-name()='post_type'])='{t}']"
        ))
    };
    let posts = xml_posts(file);
    // Every post, with its GUID unique in the file, is one article.
    assert_eq!(report.articles_created, posts.len() as u64, "{name}");
    assert_eq!(report.pages, items_of("page"), "{name}: pages");
    assert!(site.store.all_pages().await.unwrap().len() as u64 <= report.pages);
    // Authors, categories, tags: at least every declared one (items may bring more).
    let declared = |e: &str| {
        count(&format!(
            "//*[local-name()='channel']/*[local-name()='{e}']"
        ))
    };
    assert!(site.store.authors().await.unwrap().len() as u64 >= declared("author"));
    let sections: Vec<String> = site
        .store
        .sections()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.slug)
        .collect();
    assert!(sections.len() as u64 >= declared("category"), "{name}");
    assert!(
        site.store.tags().await.unwrap().len() as u64 >= declared("tag"),
        "{name}"
    );
    // Comments: every reader comment, pingback and trackback.
    let all_comments = count(&format!("//*[local-name()='comment']{READER_KINDS}"));
    let in_posts: u64 = posts.iter().map(|p| p.comments).sum();
    assert_eq!(report.comments_created, in_posts, "{name}: comments");
    assert!(all_comments >= in_posts);

    let base = xpath_strings(
        file,
        &[
            "normalize-space(//*[local-name()='channel']/*[local-name()='base_site_url'])"
                .to_owned(),
        ],
    )
    .remove(0);
    let mut seen = BTreeSet::new();
    for p in &posts {
        // A GUID the file repeats names the first post with it; the others are known
        // by their post id on the old site.
        let external = if seen.insert(p.guid.as_str()) {
            p.guid.clone()
        } else {
            format!("wp:{base}?p={}", p.post_id)
        };
        let a = article_for(&site.store, &external).await;
        let what = format!("{name} {}", p.guid);
        assert_eq!(a.summary.title, html_to_text(&p.title), "{what}");
        assert_eq!(a.summary.status, expected_status(p), "{what}");
        if !p.date_gmt.starts_with("0000") && !p.date_gmt.is_empty() {
            let gmt = chrono::NaiveDateTime::parse_from_str(&p.date_gmt, "%Y-%m-%d %H:%M:%S")
                .unwrap()
                .and_utc();
            assert_eq!(a.summary.published_at, Some(gmt), "{what}");
        }
        let got_sections: Vec<&str> = a.summary.sections.iter().map(|t| t.slug.as_str()).collect();
        if p.sections.is_empty() {
            assert_eq!(got_sections, ["news"], "{what}");
        } else {
            assert_eq!(got_sections, p.sections, "{what}");
        }
        let got_tags: Vec<&str> = a.summary.tags.iter().map(|t| t.slug.as_str()).collect();
        assert_eq!(got_tags, p.tags, "{what}");
        let comments = site.store.every_comment_on(a.summary.id).await.unwrap();
        assert_eq!(comments.len() as u64, p.comments, "{what}: comments");
    }
    Some((site, report))
}

async fn every_item_of_the_theme_unit_test_is_accounted_for(db: TestDb) {
    let Some((_site, report)) = account_for_everything(db, THEME_UNIT).await else {
        return;
    };
    // The file's menus and other types are named, not dropped.
    let unsupported = report.census.unsupported();
    assert!(unsupported.contains_key("nav_menu_item"), "{unsupported:?}");
    assert!(report.lines().iter().any(|l| l.contains("nav_menu_item")));
}

async fn every_item_of_cc_labs_is_accounted_for(db: TestDb) {
    account_for_everything(db, CC_LABS).await;
}

async fn every_item_of_the_parch_linux_blog_is_accounted_for(db: TestDb) {
    account_for_everything(db, PARCH).await;
}

/// The articles of the theme unit test, by title.
async fn by_title(store: &Store) -> HashMap<String, Article> {
    let mut out = HashMap::new();
    let mut after = 0;
    loop {
        let ids = store.all_article_ids_after(after, 500).await.unwrap();
        if ids.is_empty() {
            break;
        }
        for id in &ids {
            let a = store.article(*id).await.unwrap().unwrap();
            out.insert(a.summary.title.clone(), a);
        }
        after = *ids.last().unwrap();
    }
    out
}

async fn the_theme_unit_tests_edge_cases_each_land_right(db: TestDb) {
    let Some(path) = fixture(THEME_UNIT) else {
        return;
    };
    let site = TestSite::empty(db).await;
    let report = import_file(&site.store, &path, &WxrOptions::default()).await;
    let store = &site.store;
    let articles = by_title(store).await;
    let titled = |t: &str| {
        articles
            .get(t)
            .unwrap_or_else(|| panic!("no article titled {t:?}"))
    };

    // Nested categories: a child section knows its parent.
    let sections = store.sections().await.unwrap();
    let by_slug: HashMap<&str, &masthead_store::Section> =
        sections.iter().map(|s| (s.slug.as_str(), s)).collect();
    let child = by_slug["child-category-03"];
    assert_eq!(child.parent_id, Some(by_slug["parent-category"].id));
    let grandchild = by_slug["grandchild-category"];
    assert_eq!(grandchild.parent_id, Some(child.id));

    // A very long title is kept whole, at the address WordPress gave it.
    let long = titled(
        "Taumatawhakatangihangakoauauotamateaturipukakapikimaungahoronukupokaiwhenuakitanatahu",
    );
    assert_eq!(
        long.summary.slug,
        "title-should-not-overflow-the-content-area"
    );

    // No title: an article all the same, at the address WordPress gave it.
    let untitled = articles.get("").expect("the post without a title");
    assert_eq!(untitled.summary.slug, "edge-case-no-title");

    // HTML in a title becomes its text; entities are decoded once.
    titled("Markup: Title With Markup");
    titled("Markup: Title With Special Characters ~`!@#$%^&*()-_=+{}[]/\\;:'\"?,.>");

    // Sticky is featured.
    assert!(titled("Template: Sticky").summary.featured);

    // Future posts are scheduled; private stays private; password posts are private
    // and named in the report.
    assert!(
        articles
            .values()
            .any(|a| a.summary.status == ArticleStatus::Scheduled)
    );
    assert_eq!(
        titled("Template: Password Protected (the password is \"enter\")")
            .summary
            .status,
        ArticleStatus::Private
    );
    assert!(
        report
            .password_protected
            .iter()
            .any(|t| t.contains("Password Protected"))
    );

    // Deep comment threads keep their depth.
    let threaded = titled("Template: Comments");
    let comments = store.every_comment_on(threaded.summary.id).await.unwrap();
    let parent: HashMap<i64, Option<i64>> = comments.iter().map(|c| (c.id, c.parent_id)).collect();
    let depth = |mut id: i64| {
        let mut d = 0;
        while let Some(Some(p)) = parent.get(&id) {
            d += 1;
            id = *p;
        }
        d
    };
    let deepest = comments.iter().map(|c| depth(c.id)).max().unwrap();
    assert!(deepest >= 9, "deepest thread {deepest}");

    // Shortcodes WordPress alone understands are kept as text and reported.
    assert!(!report.shortcodes.is_empty(), "{:?}", report.shortcodes);
    // [caption] became a figure with its caption.
    let caption = titled("Markup: Image Alignment");
    assert!(
        caption.body_html.contains("<figcaption"),
        "{}",
        caption.body_html
    );
    assert!(!caption.body_source.contains("[caption"));

    // Non-Latin text survives.
    assert!(
        articles.values().any(|a| a
            .body_html
            .chars()
            .any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)
                || ('\u{4E00}'..='\u{9FFF}').contains(&c)))
            || store
                .all_pages()
                .await
                .unwrap()
                .iter()
                .any(|p| !p.body_source.is_ascii()),
    );
}

async fn old_wordpress_addresses_answer_301_with_the_new_home(db: TestDb) {
    let Some(path) = fixture(PARCH) else {
        return;
    };
    let site = TestSite::empty(db).await;
    // The file's newest posts are from July 2026: read it from after then.
    site.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-11-29T00:00:00Z")
            .unwrap()
            .to_utc(),
    );
    import_file(&site.store, &path, &WxrOptions::default()).await;
    site.settle().await;
    // Under a loaded machine the follower may take longer than `settle` waits: wait
    // (bounded) until this node has read the change log to its end.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !site.state.caught_up().await && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let posts = xml_posts(&path);
    let mut followed = 0;
    let mut encoded = 0;
    for p in &posts {
        let (link, id) = (&p.link, &p.post_id);
        if p.status != "publish" || p.password {
            continue;
        }
        let a = article_for(&site.store, &p.guid).await;
        let home = a.summary.path().unwrap();
        let old_path = link
            .trim()
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
            .unwrap();
        if old_path.contains('%') {
            encoded += 1;
        }
        for asked in [old_path.clone(), format!("/?p={id}")] {
            let r = site.get(&asked).await;
            if r.status != 301 {
                let (path, query) = asked.split_once('?').unwrap_or((&asked, ""));
                let key = masthead_core::redirect::source_key(path, Some(query)).unwrap();
                let stored = site.store.redirect_for(&key).await;
                let sources = site.store.redirect_sources().await.unwrap().len();
                panic!(
                    "{asked} answered {}: stored {stored:?}, {sources} redirects, caught up: {}",
                    r.status,
                    site.state.caught_up().await
                );
            }
            let location = r.header("location").unwrap();
            assert_eq!(
                percent_decode(location).unwrap(),
                home,
                "{asked} → {location}"
            );
            // And the new home is the article.
            assert_eq!(site.get(location).await.status, 200, "{location}");
            followed += 1;
        }
    }
    assert!(followed >= 10, "{followed}");
    assert!(
        encoded >= 1,
        "the file's percent-encoded links were followed"
    );
    // Category archives lead to sections.
    let r = site.get("/category/uncategorized/").await;
    if r.status == 301 {
        assert!(r.header("location").unwrap().starts_with("/section/"));
    }
}

async fn a_second_import_updates_and_duplicates_nothing(db: TestDb) {
    let Some(path) = fixture(THEME_UNIT) else {
        return;
    };
    let site = TestSite::empty(db).await;
    let first = import_file(&site.store, &path, &WxrOptions::default()).await;
    let count = |s: &Store| {
        let s = s.clone();
        async move {
            let mut n = 0;
            let mut after = 0;
            loop {
                let ids = s.all_article_ids_after(after, 500).await.unwrap();
                let Some(last) = ids.last() else { break };
                n += ids.len();
                after = *last;
            }
            n
        }
    };
    let before = count(&site.store).await;
    let second = import_file(&site.store, &path, &WxrOptions::default()).await;
    assert_eq!(second.articles_created, 0);
    assert_eq!(second.articles_updated, first.articles_created);
    assert_eq!(second.comments_created, 0);
    assert_eq!(second.comments_updated, first.comments_created);
    assert_eq!(count(&site.store).await, before);
}

async fn a_dry_run_reports_and_writes_nothing(db: TestDb) {
    let Some(path) = fixture(CC_LABS) else {
        return;
    };
    let site = TestSite::empty(db).await;
    let dry = import_file(
        &site.store,
        &path,
        &WxrOptions {
            dry_run: true,
            ..WxrOptions::default()
        },
    )
    .await;
    assert!(dry.articles_created > 0);
    assert!(dry.lines()[0].starts_with("would import"));
    assert!(
        site.store
            .all_article_ids_after(0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(site.store.sections().await.unwrap().len() <= 1);
    let real = import_file(&site.store, &path, &WxrOptions::default()).await;
    assert_eq!(real.articles_created, dry.articles_created);
    assert_eq!(real.comments_created, dry.comments_created);
}

#[test]
fn the_cli_imports_a_windows_1252_export_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cp1252.xml");
    let body = "<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n\
<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" \
xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:wp=\"http://wordpress.org/export/1.2/\">\n\
<channel><title>Caf\u{e9}</title><link>http://old.example</link><wp:wxr_version>1.2</wp:wxr_version>\
<wp:base_site_url>http://old.example</wp:base_site_url><wp:base_blog_url>http://old.example</wp:base_blog_url>\
<wp:category><wp:term_id>2</wp:term_id><wp:category_nicename>cafes</wp:category_nicename><wp:category_parent></wp:category_parent><wp:cat_name><![CDATA[Caf\u{e9}s]]></wp:cat_name></wp:category>\
<item><title>Caf\u{e9} M\u{fc}ller \u{2013} \u{201c}open\u{201d}</title><link>http://old.example/cafe-muller/</link>\
<dc:creator>ann</dc:creator><guid isPermaLink=\"false\">http://old.example/?p=7</guid>\
<content:encoded><![CDATA[Line one \u{2019}s\n\nLine two \u{20ac}5]]></content:encoded>\
<wp:post_id>7</wp:post_id><wp:post_date>2020-05-01 10:00:00</wp:post_date><wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>\
<wp:comment_status>open</wp:comment_status><wp:post_name>cafe-muller</wp:post_name><wp:status>publish</wp:status>\
<wp:post_type>post</wp:post_type><category domain=\"category\" nicename=\"cafes\"><![CDATA[Caf\u{e9}s]]></category>\
<wp:comment><wp:comment_id>3</wp:comment_id><wp:comment_author><![CDATA[Other blog]]></wp:comment_author>\
<wp:comment_author_url>http://elsewhere.example/post/</wp:comment_author_url><wp:comment_date_gmt>2020-05-03 10:00:00</wp:comment_date_gmt>\
<wp:comment_content><![CDATA[[&#8230;] a pingback [&#8230;]]]></wp:comment_content><wp:comment_approved>1</wp:comment_approved>\
<wp:comment_type>pingback</wp:comment_type><wp:comment_parent>0</wp:comment_parent></wp:comment></item>\
<item><title>Status private</title><link>http://old.example/?p=8</link><dc:creator>ann</dc:creator>\
<guid isPermaLink=\"false\">http://old.example/?p=8</guid><content:encoded><![CDATA[Words.]]></content:encoded>\
<wp:post_id>8</wp:post_id><wp:post_date>2020-05-02 10:00:00</wp:post_date><wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>\
<wp:post_name></wp:post_name><wp:status>private</wp:status><wp:post_type>post</wp:post_type></item>\
<item><title>Status pending</title><link>http://old.example/?p=9</link><dc:creator>ann</dc:creator>\
<guid isPermaLink=\"false\">http://old.example/?p=9</guid><content:encoded><![CDATA[Words.]]></content:encoded>\
<wp:post_id>9</wp:post_id><wp:post_date>2020-05-02 10:00:00</wp:post_date><wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>\
<wp:post_name></wp:post_name><wp:status>pending</wp:status><wp:post_type>post</wp:post_type></item>\
<item><title>Status trash</title><link>http://old.example/?p=10</link><dc:creator>ann</dc:creator>\
<guid isPermaLink=\"false\">http://old.example/?p=10</guid><content:encoded><![CDATA[Words.]]></content:encoded>\
<wp:post_id>10</wp:post_id><wp:post_date>2020-05-02 10:00:00</wp:post_date><wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>\
<wp:post_name></wp:post_name><wp:status>trash</wp:status><wp:post_type>post</wp:post_type></item>\
<item><title>Status draft</title><link>http://old.example/?p=11</link><dc:creator>ann</dc:creator>\
<guid isPermaLink=\"false\">http://old.example/?p=11</guid><content:encoded><![CDATA[Words.]]></content:encoded>\
<wp:post_id>11</wp:post_id><wp:post_date>2020-05-02 10:00:00</wp:post_date><wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>\
<wp:post_name></wp:post_name><wp:status>draft</wp:status><wp:post_type>post</wp:post_type></item>\
</channel></rss>\n";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(body);
    assert!(!unmappable);
    std::fs::write(&file, &bytes).unwrap();
    let data = dir.path().join("data");
    let out = std::process::Command::new(BIN)
        .args(["import", "wxr"])
        .arg(&file)
        .arg("--data")
        .arg(&data)
        .args(["--source-timezone", "Europe/Berlin", "--quiet"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("imported 5 articles"), "{stdout}");
    assert!(stdout.contains("pingback approved 1"), "{stdout}");
    // The local date was read in the source's timezone: 10:00 in Berlin is 08:00 UTC,
    // and the text arrives as UTF-8.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = Store::open(
            &masthead_store::StoreOptions::new(format!(
                "sqlite://{}",
                data.join("masthead.db").display()
            )),
            std::sync::Arc::new(masthead_core::SystemClock),
        )
        .await
        .unwrap();
        let a = article_for(&store, "http://old.example/?p=7").await;
        assert_eq!(a.summary.title, "Café Müller – “open”");
        assert!(a.body_html.contains("€5"), "{}", a.body_html);
        assert_eq!(
            a.summary.published_at.unwrap().to_rfc3339(),
            "2020-05-01T08:00:00+00:00"
        );
        assert_eq!(a.summary.sections[0].name, "Cafés");
        // A pingback is kept as one, and only moderators see it.
        let kept = store.every_comment_on(a.summary.id).await.unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].kind, "pingback");
        assert!(
            store
                .approved_comments(a.summary.id)
                .await
                .unwrap()
                .is_empty()
        );
        // The command kept the site's search index fed as it went: the public article
        // is found by a word of its body, the others are not there, and the index has
        // read the whole change log (a server starting on it has nothing to redo).
        let index = masthead_search::IndexFolders::new(data.join("search"))
            .open_current()
            .unwrap();
        assert_eq!(index.len(), 1);
        assert_eq!(index.cursor(), store.latest_change_id().await.unwrap());
        let found = index
            .search(&masthead_search::SearchRequest::new(
                masthead_search::Query::parse("line two"),
            ))
            .unwrap();
        assert_eq!(
            found.hits.iter().map(|h| h.id).collect::<Vec<_>>(),
            [a.summary.id]
        );
        drop(index);
        // Every status lands as ours; a draft's empty GMT date is no publication time.
        for (n, status) in [
            (8, ArticleStatus::Private),
            (9, ArticleStatus::Pending),
            (10, ArticleStatus::Trash),
            (11, ArticleStatus::Draft),
        ] {
            let a = article_for(&store, &format!("http://old.example/?p={n}")).await;
            assert_eq!(a.summary.status, status);
            assert_eq!(
                a.summary.published_at.is_none(),
                n >= 9 && n != 10,
                "{status:?}"
            );
        }
    });
}

/// A WXR file of `posts` posts, each with a comment and a reply, written for the test.
fn generated_wxr(posts: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" \
xmlns:excerpt=\"http://wordpress.org/export/1.2/excerpt/\" \
xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:wp=\"http://wordpress.org/export/1.2/\">\n\
<channel><title>Generated</title><link>https://gen.example</link><wp:wxr_version>1.2</wp:wxr_version>\
<wp:base_site_url>https://gen.example</wp:base_site_url><wp:base_blog_url>https://gen.example</wp:base_blog_url>\
<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[desk]]></wp:author_login>\
<wp:author_display_name><![CDATA[News Desk]]></wp:author_display_name></wp:author>\n",
    );
    for i in 1..=posts {
        let section = ["city", "harbour", "schools", "weather"][i % 4];
        s.push_str(&format!(
            "<item><title>Council story number {i}</title><link>https://gen.example/2024/01/story-{i}/</link>\
<dc:creator><![CDATA[desk]]></dc:creator><guid isPermaLink=\"false\">https://gen.example/?p={i}</guid>\
<content:encoded><![CDATA[The council met on day {i} to discuss the {section} budget.\n\nMembers asked \
for more time, and the vote was moved to the next session.]]></content:encoded>\
<excerpt:encoded><![CDATA[]]></excerpt:encoded><wp:post_id>{i}</wp:post_id>\
<wp:post_date>2024-01-01 10:00:00</wp:post_date><wp:post_date_gmt>2024-01-01 09:00:00</wp:post_date_gmt>\
<wp:comment_status>open</wp:comment_status><wp:post_name>story-{i}</wp:post_name><wp:status>publish</wp:status>\
<wp:post_parent>0</wp:post_parent><wp:post_type>post</wp:post_type><wp:post_password></wp:post_password>\
<wp:is_sticky>0</wp:is_sticky><category domain=\"category\" nicename=\"{section}\"><![CDATA[{section}]]></category>\
<wp:comment><wp:comment_id>{c1}</wp:comment_id><wp:comment_author><![CDATA[Reader]]></wp:comment_author>\
<wp:comment_author_email>reader@example.org</wp:comment_author_email><wp:comment_date>2024-01-02 10:00:00</wp:comment_date>\
<wp:comment_date_gmt>2024-01-02 09:00:00</wp:comment_date_gmt><wp:comment_content><![CDATA[First thought on {i}.]]></wp:comment_content>\
<wp:comment_approved>1</wp:comment_approved><wp:comment_type>comment</wp:comment_type><wp:comment_parent>0</wp:comment_parent></wp:comment>\
<wp:comment><wp:comment_id>{c2}</wp:comment_id><wp:comment_author><![CDATA[Other]]></wp:comment_author>\
<wp:comment_author_email>other@example.org</wp:comment_author_email><wp:comment_date>2024-01-02 11:00:00</wp:comment_date>\
<wp:comment_date_gmt>2024-01-02 10:00:00</wp:comment_date_gmt><wp:comment_content><![CDATA[A reply.]]></wp:comment_content>\
<wp:comment_approved>0</wp:comment_approved><wp:comment_type></wp:comment_type><wp:comment_parent>{c1}</wp:comment_parent></wp:comment>\
</item>\n",
            c1 = 2 * i,
            c2 = 2 * i + 1,
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

/// Counts articles and comments in a SQLite site's file, and checks that every
/// article has both its comments (they are written in the article's transaction).
fn counts(db_file: &Path) -> (u64, u64) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = Store::open(
            &masthead_store::StoreOptions::new(format!("sqlite://{}", db_file.display())),
            std::sync::Arc::new(masthead_core::SystemClock),
        )
        .await
        .unwrap();
        let (mut articles, mut comments) = (0, 0);
        let mut after = 0;
        loop {
            let ids = store.all_article_ids_after(after, 500).await.unwrap();
            let Some(last) = ids.last() else { break };
            for id in &ids {
                let n = store.every_comment_on(*id).await.unwrap().len() as u64;
                assert_eq!(n, 2, "article {id} has {n} of its 2 comments");
                comments += n;
            }
            articles += ids.len() as u64;
            after = *last;
        }
        store.close().await;
        (articles, comments)
    })
}

#[test]
fn an_import_killed_at_random_points_leaves_whole_batches_and_a_rerun_completes() {
    const POSTS: u64 = 1200;
    const BATCH: u64 = 100;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("generated.xml");
    std::fs::write(&file, generated_wxr(POSTS as usize)).unwrap();
    let data = dir.path().join("data");
    let run = || {
        std::process::Command::new(BIN)
            .args(["import", "wxr"])
            .arg(&file)
            .arg("--data")
            .arg(&data)
            .args(["--batch-size", &BATCH.to_string(), "--quiet"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // How long a whole import takes here, in a separate site.
    let timing_dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let status = std::process::Command::new(BIN)
        .args(["import", "wxr"])
        .arg(&file)
        .arg("--data")
        .arg(timing_dir.path())
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(status.status.success());
    let whole = started.elapsed();
    // Kill points spread over the run, varied from one run of the test to the next.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    let mut killed_with_some = 0;
    for k in 0..4u64 {
        let fraction = ((seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(k * 1442695040888963407)
            >> 33)
            % 1000) as f64
            / 1000.0;
        let at = whole.mul_f64(0.1 + 0.8 * fraction);
        let mut child = run();
        std::thread::sleep(at);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if !data.join("masthead.db").exists() {
            continue;
        }
        let (articles, comments) = counts(&data.join("masthead.db"));
        assert_eq!(comments, 2 * articles);
        assert!(
            articles % BATCH == 0 || articles == POSTS,
            "a kill after {at:?} left {articles} articles: not whole batches"
        );
        if articles > 0 {
            killed_with_some += 1;
        }
    }
    // The re-run completes the import, duplicating nothing.
    let out = run().wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(counts(&data.join("masthead.db")), (POSTS, 2 * POSTS));
    eprintln!("{killed_with_some} of 4 kills landed mid-import (a whole run took {whole:?})");
}

/// Every article of a store, by id.
async fn all_articles(store: &Store) -> Vec<Article> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let ids = store.all_article_ids_after(after, 500).await.unwrap();
        let Some(last) = ids.last() else { break };
        for id in &ids {
            out.push(store.article(*id).await.unwrap().unwrap());
        }
        after = *last;
    }
    out
}

/// A comment thread as text: each comment with its author, words and its parent's words.
async fn threads(store: &Store, article_id: i64) -> BTreeSet<(String, String, String, String)> {
    let comments = store.every_comment_on(article_id).await.unwrap();
    let words = |c: &masthead_store::Comment| {
        if c.body_format == "text" {
            c.body.clone()
        } else {
            html_to_text(&c.body)
        }
    };
    let text_of = |id: Option<i64>| {
        id.and_then(|id| comments.iter().find(|c| c.id == id))
            .map(words)
            .unwrap_or_default()
    };
    comments
        .iter()
        .filter(|c| matches!(c.status.as_str(), "approved" | "held"))
        .map(|c| {
            (
                c.author_name.clone(),
                words(c),
                text_of(c.parent_id),
                c.status.as_str().to_owned(),
            )
        })
        .collect()
}

async fn a_site_exported_and_imported_into_an_empty_one_is_the_same_site(db: TestDb) {
    use masthead_import::wxr::export::{ExportOptions, export_wxr};
    let second_db = if db.url.starts_with("postgres") {
        TestDb::postgres().await.unwrap()
    } else {
        TestDb::sqlite()
    };
    let from = TestSite::start(db, common::Options::default()).await;
    // Comments with threading, held ones, and a draft beside the demo's stories.
    let articles = all_articles(&from.store).await;
    let first = articles[0].summary.id;
    let mut parent = None;
    for (i, who) in ["Ann", "Bo", "Cy"].iter().enumerate() {
        parent = Some(
            from.store
                .add_comment(&masthead_store::NewComment {
                    article_id: first,
                    parent_id: parent,
                    status: Some(if i == 2 {
                        masthead_core::comment::CommentStatus::Held
                    } else {
                        masthead_core::comment::CommentStatus::Approved
                    }),
                    author_name: (*who).to_owned(),
                    author_email: format!("{who}@example.org"),
                    body: format!("Reply number {i} <with> & marks"),
                    ..Default::default()
                })
                .await
                .unwrap(),
        );
    }
    let mut draft = masthead_store::NewArticle::published(
        "A draft in waiting",
        "City",
        masthead_testkit::test_now(),
    );
    draft.status = ArticleStatus::Draft;
    draft.published_at = None;
    draft.external_id = Some("draft-1".to_owned());
    draft.body_source = "Not yet.".to_owned();
    draft.body_html = "<p>Not yet.</p>".to_owned();
    from.store.save_articles(&[draft]).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.xml");
    let report = export_wxr(
        &from.store,
        std::fs::File::create(&file).unwrap(),
        &ExportOptions::new("https://from.example".to_owned()),
    )
    .await
    .unwrap();
    assert!(report.articles > 20);
    if xmllint_here() {
        assert_eq!(masthead_testkit::xmllint::not_well_formed(&file), None);
    }

    let to = TestSite::empty(second_db).await;
    let imported = import_file(&to.store, &file, &WxrOptions::default()).await;
    assert_eq!(imported.articles_created, report.articles);
    assert_eq!(imported.pages, report.pages);
    for a in all_articles(&from.store).await {
        let guid = a
            .summary
            .external_id
            .clone()
            .unwrap_or_else(|| format!("https://from.example/?p={}", a.summary.id));
        let b = article_for(&to.store, &guid).await;
        let what = &a.summary.title;
        assert_eq!(b.summary.title, a.summary.title);
        assert_eq!(b.summary.slug, a.summary.slug, "{what}");
        assert_eq!(b.summary.status, a.summary.status, "{what}");
        assert_eq!(b.summary.published_at, a.summary.published_at, "{what}");
        assert_eq!(b.summary.url_date, a.summary.url_date, "{what}");
        assert_eq!(b.summary.dek, a.summary.dek, "{what}");
        assert_eq!(
            html_to_text(&b.body_html),
            html_to_text(&a.body_html),
            "{what}"
        );
        let slugs =
            |t: &[masthead_store::Term]| t.iter().map(|t| t.slug.clone()).collect::<Vec<_>>();
        assert_eq!(
            slugs(&b.summary.sections),
            slugs(&a.summary.sections),
            "{what}"
        );
        assert_eq!(slugs(&b.summary.tags), slugs(&a.summary.tags), "{what}");
        let names =
            |t: &[masthead_store::Term]| t.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&b.summary.authors),
            names(&a.summary.authors),
            "{what}"
        );
        assert_eq!(
            threads(&to.store, b.summary.id).await,
            threads(&from.store, a.summary.id).await,
            "{what}"
        );
    }
    // Sections keep their nesting; pages their addresses.
    let tree = |s: Vec<masthead_store::Section>| {
        let by_id: HashMap<i64, String> = s.iter().map(|x| (x.id, x.slug.clone())).collect();
        s.iter()
            .map(|x| (x.slug.clone(), x.parent_id.map(|p| by_id[&p].clone())))
            .collect::<BTreeSet<_>>()
    };
    let used: BTreeSet<String> = all_articles(&from.store)
        .await
        .iter()
        .flat_map(|a| a.summary.sections.iter().map(|t| t.slug.clone()))
        .collect();
    let from_tree: BTreeSet<_> = tree(from.store.sections().await.unwrap());
    let to_tree: BTreeSet<_> = tree(to.store.sections().await.unwrap());
    for entry in from_tree.iter().filter(|(slug, _)| used.contains(slug)) {
        assert!(to_tree.contains(entry), "{entry:?}");
    }
    let pages = |p: Vec<masthead_store::PageSource>| {
        p.into_iter()
            .map(|p| (p.slug, p.title, p.status))
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(
        pages(to.store.all_pages().await.unwrap()),
        pages(from.store.all_pages().await.unwrap())
    );
}
