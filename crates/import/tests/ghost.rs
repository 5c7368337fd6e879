//! The Ghost importer against Ghost's own v2 and v4 export fixtures (every expectation
//! computed from the JSON here, by walking it, not through the importer) and against
//! small hand-made exports for the edge cases: Lexical bodies, statuses, members-only
//! posts, internal tags, reserved page slugs, the older schema, bad input.
#![expect(clippy::unwrap_used, reason = "tests")]

use masthead_core::paging::PageRequest;
use masthead_core::{ArticleStatus, BodyFormat};
use masthead_import::ghost::{GhostOptions, GhostReport, GhostShape, import_ghost};
use masthead_render::render_body;
use masthead_render::text::html_to_text;
use masthead_store::{Article, Store, WorkFilter};
use masthead_testkit::{TestStore, backend_tests};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

backend_tests!(
    the_v2_export_imports_every_post_with_its_tags_and_bylines,
    the_v4_export_imports_posts_pages_and_members_only_posts,
    without_html_the_v2_mobiledoc_bodies_hold_the_same_words,
    without_html_the_mobiledoc_bodies_hold_the_same_words,
    a_lexical_post_renders_to_exact_html,
    statuses_visibility_internal_tags_and_reserved_pages,
    the_older_schema_with_page_flags_author_ids_and_numbers,
    a_reimport_updates_and_never_duplicates,
    a_dry_run_writes_nothing_and_reports_the_same,
    bad_input_is_a_clear_error_and_bad_rows_are_skipped,
);

fn fixture(name: &str) -> Option<Vec<u8>> {
    let path = masthead_testkit::shared_dir().map(|d| d.join("fixtures/ghost").join(name));
    match path {
        Some(p) if p.is_file() => Some(std::fs::read(p).unwrap()),
        _ => {
            masthead_testkit::skip(&format!("../shared/fixtures/ghost/{name} is not here"));
            None
        }
    }
}

/// What the JSON says about one row of `posts`, read without the importer.
#[derive(Debug)]
struct Expected {
    id: String,
    title: String,
    slug: String,
    page: bool,
    status: String,
    visibility: String,
    /// Public tag names in `sort_order`.
    tags: Vec<String>,
    /// Byline names in `sort_order`.
    authors: Vec<String>,
    feature_image: Option<String>,
}

fn data(doc: &Value) -> &Value {
    &doc["db"][0]["data"]
}

fn rows<'a>(doc: &'a Value, table: &str) -> Vec<&'a Value> {
    data(doc)[table]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or("").to_owned()
}

fn expected(doc: &Value) -> Vec<Expected> {
    let tag_by_id: HashMap<String, &Value> = rows(doc, "tags")
        .into_iter()
        .map(|t| (s(&t["id"]), t))
        .collect();
    let user_by_id: HashMap<String, &Value> = rows(doc, "users")
        .into_iter()
        .map(|u| (s(&u["id"]), u))
        .collect();
    let ordered = |table: &str, post: &str, key: &str| -> Vec<String> {
        let mut links: Vec<&Value> = rows(doc, table)
            .into_iter()
            .filter(|r| s(&r["post_id"]) == post)
            .collect();
        links.sort_by_key(|r| r["sort_order"].as_i64().unwrap_or(0));
        links.iter().map(|r| s(&r[key])).collect()
    };
    rows(doc, "posts")
        .into_iter()
        .map(|p| {
            let id = s(&p["id"]);
            let tags = ordered("posts_tags", &id, "tag_id")
                .iter()
                .map(|t| tag_by_id[t])
                .filter(|t| s(&t["visibility"]) == "public" && !s(&t["name"]).starts_with('#'))
                .map(|t| s(&t["name"]))
                .collect();
            let mut author_ids = ordered("posts_authors", &id, "author_id");
            if author_ids.is_empty() {
                author_ids.push(s(&p["author_id"]));
            }
            let page = match p.get("type") {
                Some(t) => t == "page",
                None => p["page"] == json!(1) || p["page"] == json!(true),
            };
            Expected {
                title: s(&p["title"]),
                slug: s(&p["slug"]),
                page,
                status: s(&p["status"]),
                visibility: s(&p["visibility"]),
                tags,
                authors: author_ids
                    .iter()
                    .map(|a| s(&user_by_id[a]["name"]))
                    .collect(),
                feature_image: p["feature_image"].as_str().map(str::to_owned),
                id,
            }
        })
        .collect()
}

/// Every article in the store, whatever its status, by external id.
async fn stored(store: &Store) -> HashMap<String, Article> {
    let (list, total) = store
        .work_list(&WorkFilter::default(), PageRequest::new(1, 1000))
        .await
        .unwrap();
    assert_eq!(list.len() as i64, total);
    let mut out = HashMap::new();
    for a in list {
        let full = store.article(a.id).await.unwrap().unwrap();
        let key = full.summary.external_id.clone().unwrap();
        assert!(
            out.insert(key, full).is_none(),
            "two articles share an external id"
        );
    }
    out
}

fn names(terms: &[masthead_store::Term]) -> Vec<String> {
    terms.iter().map(|t| t.name.clone()).collect()
}

fn status_for(e: &Expected) -> ArticleStatus {
    match (e.status.as_str(), e.visibility.as_str()) {
        ("draft", _) => ArticleStatus::Draft,
        (_, v) if v != "public" => ArticleStatus::Private,
        ("published", _) => ArticleStatus::Published,
        ("scheduled", _) => ArticleStatus::Scheduled,
        (other, _) => panic!("the fixture has status {other}"),
    }
}

/// Checks every post of `doc` against the store and returns how many posts and pages
/// the JSON holds.
async fn check_against_json(store: &Store, doc: &Value, report: &GhostReport) -> (usize, usize) {
    let exp = expected(doc);
    let posts: Vec<&Expected> = exp.iter().filter(|e| !e.page).collect();
    let pages: Vec<&Expected> = exp.iter().filter(|e| e.page).collect();
    let articles = stored(store).await;
    assert_eq!(articles.len(), posts.len());
    assert_eq!(report.articles as usize, posts.len());
    assert_eq!(report.pages as usize, pages.len());
    assert_eq!(report.posts_read as usize, exp.len());
    for e in &posts {
        let a = &articles[&format!("ghost:{}", e.id)];
        let sum = &a.summary;
        assert_eq!(sum.title, e.title);
        assert_eq!(sum.slug, e.slug);
        assert_eq!(sum.status, status_for(e), "{}", e.slug);
        let section = e.tags.first().cloned().unwrap_or_else(|| "News".to_owned());
        assert_eq!(sum.section.name, section);
        assert_eq!(names(&sum.tags), e.tags.get(1..).unwrap_or_default());
        assert_eq!(names(&sum.authors), e.authors, "{}", e.slug);
        assert_eq!(sum.featured_image, e.feature_image);
        assert_eq!(a.body_format, BodyFormat::Html);
        assert!(!a.body_html.trim().is_empty(), "{} has a body", e.slug);
        assert!(!a.body_html.contains("__GHOST_URL__"));
        assert!(!a.body_html.contains("<script"));
        assert!(!a.body_html.contains("<iframe"));
        if let Some(img) = &e.feature_image {
            assert!(report.media_not_imported.contains(img), "{img} is reported");
        }
    }
    let stored_pages = store.all_pages().await.unwrap();
    let mut want: Vec<(String, String)> = pages
        .iter()
        .map(|p| (p.slug.clone(), p.title.clone()))
        .collect();
    let mut got: Vec<(String, String)> = stored_pages
        .iter()
        .map(|p| (p.slug.clone(), p.title.clone()))
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    // Bylines for the users who wrote something, and never an e-mail address.
    let authors = store.authors().await.unwrap();
    let mut wrote: BTreeSet<String> = BTreeSet::new();
    for e in &exp {
        wrote.extend(e.authors.iter().cloned());
    }
    let got: BTreeSet<String> = authors.iter().map(|a| a.name.clone()).collect();
    assert_eq!(got, wrote);
    for u in rows(doc, "users") {
        let email = s(&u["email"]);
        for a in &authors {
            assert!(!a.bio.contains(&email) && !a.name.contains(&email));
        }
        for a in articles.values() {
            assert!(!a.body_source.contains(&email));
        }
        if let Some(stored) = authors.iter().find(|a| a.name == s(&u["name"])) {
            assert_eq!(stored.slug, s(&u["slug"]));
            assert_eq!(stored.bio, s(&u["bio"]));
        }
    }
    (posts.len(), pages.len())
}

async fn the_v2_export_imports_every_post_with_its_tags_and_bylines(t: TestStore) {
    let Some(bytes) = fixture("v2_export.json") else {
        return;
    };
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let report = import_ghost(&t.store, &bytes, &GhostOptions::default())
        .await
        .unwrap();
    println!("{report}");
    let (posts, pages) = check_against_json(&t.store, &doc, &report).await;
    assert_eq!((posts, pages), (7, 0), "the README's counts");
    assert_eq!(report.ghost_version.as_deref(), Some("2.9.0"));
    assert_eq!(report.shape, GhostShape::PageFlag);
    assert_eq!((report.created, report.updated), (7, 0));
    assert_eq!(report.authors, ["Ghost"]);
    assert_eq!(report.users_without_posts, 1);
    assert_eq!(report.body_sources.get("html"), Some(&7));
    assert!(report.private.is_empty() && report.skipped.is_empty());
    assert!(report.internal_tags.is_empty());
    // The custom excerpt is the editor's excerpt, the dates are Ghost's.
    let articles = stored(&t.store).await;
    for p in rows(&doc, "posts") {
        let a = &articles[&format!("ghost:{}", s(&p["id"]))];
        assert_eq!(a.editor_excerpt.as_deref(), p["custom_excerpt"].as_str());
        assert_eq!(
            a.summary
                .published_at
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            s(&p["published_at"])
        );
        assert_eq!(a.summary.featured, p["featured"] == json!(1));
    }
}

async fn the_v4_export_imports_posts_pages_and_members_only_posts(t: TestStore) {
    let Some(bytes) = fixture("v4_export.json") else {
        return;
    };
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let opts = GhostOptions {
        site_url: Some("https://news.example/".to_owned()),
        ..GhostOptions::default()
    };
    let report = import_ghost(&t.store, &bytes, &opts).await.unwrap();
    println!("{report}");
    let (posts, pages) = check_against_json(&t.store, &doc, &report).await;
    assert_eq!((posts, pages), (7, 4), "the README's counts");
    assert_eq!(report.ghost_version.as_deref(), Some("4.1.0"));
    assert_eq!(report.shape, GhostShape::TypeField);
    // The members-only post: private, and named in the report.
    let exp = expected(&doc);
    let members: Vec<&Expected> = exp.iter().filter(|e| e.visibility != "public").collect();
    assert_eq!(members.len(), 1);
    assert_eq!(report.private.len(), 1);
    assert_eq!(report.private[0].slug, members[0].slug);
    assert_eq!(report.private[0].reason, "visibility paid");
    assert_eq!(report.statuses.get("private"), Some(&1));
    assert_eq!(report.statuses.get("published"), Some(&6));
    // The site-address placeholder became the site's address, in bodies and pages.
    let raw = String::from_utf8_lossy(&bytes);
    let in_posts: u64 = rows(&doc, "posts")
        .iter()
        .map(|p| s(&p["html"]).matches("__GHOST_URL__").count() as u64)
        .sum();
    assert!(raw.matches("__GHOST_URL__").count() as u64 >= in_posts && in_posts > 0);
    assert_eq!(report.ghost_url_replaced, in_posts);
    let articles = stored(&t.store).await;
    let welcome = articles
        .values()
        .find(|a| a.summary.slug == "welcome")
        .unwrap();
    assert!(
        welcome
            .body_html
            .contains("href=\"https://news.example/design/\""),
        "{}",
        welcome.body_html
    );
    for p in t.store.all_pages().await.unwrap() {
        let src = t.store.page_source(p.id).await.unwrap().unwrap();
        assert_eq!(src.status, "published");
        assert!(!src.body_source.contains("__GHOST_URL__"));
    }
    assert!(t.store.public_page("about").await.unwrap().is_some());
}

/// The words of a body, for comparing two renderings of the same post.
fn words(html: &str) -> BTreeSet<String> {
    html_to_text(html)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Imports `name` with every `html` removed and checks that each body, now rendered
/// from its Mobiledoc document, holds every word of Ghost's own HTML for it.
async fn same_words_without_html(t: &TestStore, name: &str) -> HashMap<String, Article> {
    let Some(bytes) = fixture(name) else {
        return HashMap::new();
    };
    let mut doc: Value = serde_json::from_slice(&bytes).unwrap();
    let originals: HashMap<String, String> = rows(&doc, "posts")
        .iter()
        .map(|p| (s(&p["id"]), s(&p["html"])))
        .collect();
    for p in doc["db"][0]["data"]["posts"].as_array_mut().unwrap() {
        p.as_object_mut().unwrap().remove("html");
    }
    let stripped = serde_json::to_vec(&doc).unwrap();
    let report = import_ghost(&t.store, &stripped, &GhostOptions::default())
        .await
        .unwrap();
    println!("{report}");
    assert_eq!(
        report.body_sources.get("mobiledoc").copied(),
        Some(originals.len() as u64)
    );
    assert!(report.notes.unknown.is_empty(), "{:?}", report.notes);
    check_against_json(&t.store, &doc, &report).await;
    let articles = stored(&t.store).await;
    let pages = t.store.all_pages().await.unwrap();
    for (id, html) in &originals {
        let ghost_words = words(&render_body(BodyFormat::Html, html).html);
        assert!(!ghost_words.is_empty());
        let ours = match articles.get(&format!("ghost:{id}")) {
            Some(a) => a.body_html.clone(),
            None => {
                let slug = rows(&doc, "posts")
                    .iter()
                    .find(|p| s(&p["id"]) == *id)
                    .map(|p| s(&p["slug"]))
                    .unwrap();
                assert!(pages.iter().any(|p| p.slug == slug));
                t.store.public_page(&slug).await.unwrap().unwrap().body_html
            }
        };
        let ours = words(&ours);
        let missing: Vec<&String> = ghost_words.difference(&ours).collect();
        assert!(missing.is_empty(), "post {id} lacks {missing:?}");
    }
    articles
}

async fn without_html_the_v2_mobiledoc_bodies_hold_the_same_words(t: TestStore) {
    let articles = same_words_without_html(&t, "v2_export.json").await;
    if articles.is_empty() {
        return;
    }
    let themes = articles
        .values()
        .find(|a| a.summary.slug == "themes")
        .unwrap();
    assert!(themes.body_html.contains(
        "<figcaption>Anyone can write a completely custom Ghost theme with some solid knowledge of HTML and CSS</figcaption>"
    ));
}

async fn without_html_the_mobiledoc_bodies_hold_the_same_words(t: TestStore) {
    let articles = same_words_without_html(&t, "v4_export.json").await;
    if articles.is_empty() {
        return;
    }
    // The cards became plain HTML: links for the bookmark and the embed, a figure for
    // the gallery, a code block with its caption.
    let write = articles
        .values()
        .find(|a| a.summary.slug == "write")
        .unwrap();
    assert!(
        write
            .body_html
            .contains("https://opensubscriptionplatforms.com/")
    );
    assert!(
        write
            .body_html
            .contains("https://www.youtube.com/watch?v=hmH3XMlms8E")
    );
    assert!(
        write
            .body_html
            .contains("<figcaption>Peaceful places</figcaption>")
    );
    let design = articles
        .values()
        .find(|a| a.summary.slug == "design")
        .unwrap();
    assert!(design.body_html.contains("<pre><code>{{#post}}"));
    assert!(
        design
            .body_html
            .contains("<figcaption>A snippet from a post template</figcaption>")
    );
}

/// A one-database Ghost export of the newer shape, with the given tables.
fn export(data: Value) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"db": [{"meta": {"exported_on": 0, "version": "5.80.0"}, "data": data}]}),
    )
    .unwrap()
}

fn lexical(children: Value) -> String {
    json!({"root": {"type": "root", "version": 1, "children": children}}).to_string()
}

fn text(t: &str, format: u64) -> Value {
    json!({"type": "text", "text": t, "format": format, "detail": 0, "mode": "normal", "style": "", "version": 1})
}

fn para(children: Value) -> Value {
    json!({"type": "paragraph", "children": children, "version": 1})
}

async fn a_lexical_post_renders_to_exact_html(t: TestStore) {
    let doc = lexical(json!([
        {"type": "heading", "tag": "h2", "children": [text("A heading", 0)]},
        para(json!([
            text("Plain, ", 0), text("bold", 1), text(", ", 0), text("italic", 2),
            text(", ", 0), text("both", 3), text(", ", 0), text("struck", 4), text(" and ", 0),
            {"type": "link", "url": "https://example.com/a?b=1&c=2", "children": [text("a link", 0)]},
            text(".", 0),
        ])),
        {"type": "list", "listType": "bullet", "tag": "ul", "start": 1, "children": [
            {"type": "listitem", "value": 1, "children": [text("one", 0)]},
            {"type": "listitem", "value": 2, "children": [text("two", 16)]},
        ]},
        {"type": "list", "listType": "number", "tag": "ol", "start": 3, "children": [
            {"type": "listitem", "value": 3, "children": [text("three", 0)]},
        ]},
        {"type": "quote", "children": [text("A quote", 0)]},
        {"type": "image", "src": "https://img.example/x.jpg", "alt": "An alt", "caption": "A <em>caption</em>", "width": 10, "height": 10},
        {"type": "markdown", "markdown": "## Sub\n\nSome *md* text"},
        {"type": "html", "html": "<p>Raw <b>html</b></p><script>alert(1)</script>"},
        {"type": "horizontalrule"},
        para(json!([text("Line one", 0), {"type": "linebreak"}, text("line two", 0)])),
        {"type": "bookmark", "url": "https://bm.example/", "metadata": {"title": "BM title", "description": "BM desc", "publisher": "BM Pub"}},
        {"type": "embed", "url": "https://video.example/v", "html": "<iframe src=\"https://video.example/e\"></iframe>", "metadata": {"title": "A video"}},
        {"type": "callout", "calloutEmoji": "💡", "calloutText": "Mind <b>this</b>"},
        {"type": "toggle", "heading": "More", "content": "<p>Hidden text</p>"},
        {"type": "mystery", "text": "Mystery text"},
        para(json!([])),
    ]));
    let bytes = export(json!({
        "posts": [{"id": "L1", "title": "Lexical", "slug": "lexical", "type": "post",
            "status": "published", "visibility": "public", "lexical": doc, "html": null,
            "mobiledoc": null, "published_at": "2024-05-01T10:00:00.000Z",
            "created_at": "2024-04-30T10:00:00.000Z", "updated_at": "2024-05-02T10:00:00.000Z"}],
        "users": [], "tags": [], "posts_tags": [], "posts_authors": []
    }));
    let report = import_ghost(&t.store, &bytes, &GhostOptions::default())
        .await
        .unwrap();
    assert_eq!(report.body_sources.get("lexical"), Some(&1));
    assert_eq!(
        report.notes.unknown.iter().collect::<Vec<_>>(),
        [(&"lexical node mystery".to_owned(), &1)]
    );
    let articles = stored(&t.store).await;
    let a = &articles["ghost:L1"];
    let expected = concat!(
        "<h2>A heading</h2>\n",
        "<p>Plain, <strong>bold</strong>, <em>italic</em>, <strong><em>both</em></strong>, <s>struck</s> and ",
        "<a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener noreferrer\">a link</a>.</p>\n",
        "<ul><li>one</li><li><code>two</code></li></ul>\n",
        "<ol start=\"3\"><li>three</li></ol>\n",
        "<blockquote>A quote</blockquote>\n",
        "<figure><img src=\"https://img.example/x.jpg\" alt=\"An alt\"><figcaption>A <em>caption</em></figcaption></figure>\n",
        "<h2>Sub</h2>\n<p>Some <em>md</em> text</p>\n",
        "<p>Raw <b>html</b></p>\n",
        "<hr>\n",
        "<p>Line one<br>line two</p>\n",
        "<p><a href=\"https://bm.example/\" rel=\"noopener noreferrer\">BM title</a><br>BM desc<br><small>BM Pub</small></p>\n",
        "<p><a href=\"https://video.example/v\" rel=\"noopener noreferrer\">A video</a></p>\n",
        "<div><p>💡</p><p>Mind <b>this</b></p></div>\n",
        "<div><p><strong>More</strong></p><p>Hidden text</p></div>\n",
        "<p>Mystery text</p>\n",
    );
    assert_eq!(a.body_html, expected);
    assert_eq!(a.body_format, BodyFormat::Html);
    assert_eq!(
        a.summary.section.name, "News",
        "no tag: the default section"
    );
    assert!(a.summary.authors.is_empty());
    assert!(
        a.summary
            .excerpt
            .starts_with("A heading Plain, bold, italic")
    );
    assert_eq!(report.media_not_imported, ["https://img.example/x.jpg"]);
}

async fn statuses_visibility_internal_tags_and_reserved_pages(t: TestStore) {
    let post = |id: &str, slug: &str, status: &str, visibility: &str, published: Value| {
        json!({"id": id, "title": format!("Title {id}"), "slug": slug, "type": "post",
            "status": status, "visibility": visibility, "html": format!("<p>Body of {id}</p>"),
            "published_at": published, "created_at": "2024-01-01T09:00:00.000Z",
            "updated_at": "2024-01-02T09:00:00.000Z", "featured": false,
            "author_id": "u1"})
    };
    let mut first = post(
        "p1",
        "first-post",
        "published",
        "public",
        json!("2024-01-01T10:00:00.000Z"),
    );
    first["custom_excerpt"] = json!("The editor's excerpt.");
    first["html"] = json!(concat!(
        "<p>Body of p1</p><figure class=\"kg-card kg-embed-card\">",
        "<iframe width=\"200\" src=\"https://www.youtube.com/embed/x?feature=oembed\" frameborder=\"0\" allowfullscreen></iframe>",
        "</figure><IFRAME SRC='//player.example/v/1'></IFRAME>"
    ));
    first["featured"] = json!(true);
    first["feature_image"] = json!("__GHOST_URL__/content/images/first.jpg");
    first["canonical_url"] = json!("https://elsewhere.example/first");
    first["codeinjection_head"] = json!("<script>track()</script>");
    let page = |id: &str, slug: &str| {
        json!({"id": id, "title": format!("Page {slug}"), "slug": slug, "type": "page",
            "status": "published", "visibility": "public", "html": "<p>Page body</p>",
            "published_at": "2024-01-01T10:00:00.000Z", "created_at": "2024-01-01T10:00:00.000Z",
            "updated_at": "2024-01-01T10:00:00.000Z"})
    };
    let bytes = export(json!({
        "posts": [
            first,
            post("p2", "a-draft", "draft", "public", Value::Null),
            post("p3", "later", "scheduled", "public", json!("2030-01-01T08:00:00.000Z")),
            post("p4", "for-members", "published", "members", json!("2024-02-01T10:00:00.000Z")),
            post("p5", "for-tiers", "published", "tiers", json!("2024-02-02T10:00:00.000Z")),
            post("p6", "draft-for-paid", "draft", "paid", Value::Null),
            page("g1", "about"),
            page("g2", "search"),
            page("g3", "2024"),
            page("g4", "tag"),
        ],
        "tags": [
            {"id": "t1", "name": "#internal-a", "slug": "hash-internal-a", "visibility": "internal"},
            {"id": "t2", "name": "News Desk", "slug": "desk", "visibility": "public", "description": "The desk's news."},
            {"id": "t3", "name": "Politics", "slug": "politics-and-power", "visibility": "public"},
            {"id": "t4", "name": "#hashed", "slug": "hash-hashed", "visibility": "public"},
            {"id": "t5", "name": "Hidden", "slug": "hidden", "visibility": "internal"},
        ],
        "posts_tags": [
            {"id": "pt1", "post_id": "p1", "tag_id": "t3", "sort_order": 2},
            {"id": "pt2", "post_id": "p1", "tag_id": "t1", "sort_order": 0},
            {"id": "pt3", "post_id": "p1", "tag_id": "t2", "sort_order": 1},
            {"id": "pt4", "post_id": "p1", "tag_id": "t4", "sort_order": 3},
            {"id": "pt5", "post_id": "p2", "tag_id": "t1", "sort_order": 0},
            {"id": "pt6", "post_id": "p3", "tag_id": "t5", "sort_order": 0},
        ],
        "users": [
            {"id": "u1", "name": "Ann Writer", "slug": "ann", "email": "ann@example.invalid", "bio": "Ann's bio"},
            {"id": "u2", "name": "Bob Editor", "slug": "bob", "email": "bob@example.invalid", "bio": null},
            {"id": "u3", "name": "Nobody", "slug": "nobody", "email": "nobody@example.invalid"},
        ],
        "posts_authors": [
            {"id": "pa1", "post_id": "p1", "author_id": "u1", "sort_order": 1},
            {"id": "pa2", "post_id": "p1", "author_id": "u2", "sort_order": 0},
        ],
        "posts_meta": [
            {"id": "m1", "post_id": "p1", "meta_title": "SEO title", "meta_description": "SEO description", "feature_image_alt": "First's alt"},
        ],
    }));
    let opts = GhostOptions {
        site_url: Some("https://news.example".to_owned()),
        batch_size: 2,
        ..GhostOptions::default()
    };
    let report = import_ghost(&t.store, &bytes, &opts).await.unwrap();
    println!("{report}");
    let a = stored(&t.store).await;
    assert_eq!(a.len(), 6);
    let status = |id: &str| a[&format!("ghost:{id}")].summary.status;
    assert_eq!(status("p1"), ArticleStatus::Published);
    assert_eq!(status("p2"), ArticleStatus::Draft);
    assert_eq!(status("p3"), ArticleStatus::Scheduled);
    assert_eq!(status("p4"), ArticleStatus::Private);
    assert_eq!(status("p5"), ArticleStatus::Private);
    assert_eq!(status("p6"), ArticleStatus::Draft, "a draft stays a draft");
    assert_eq!(a["ghost:p2"].summary.published_at, None);
    assert_eq!(
        a["ghost:p3"].summary.published_at.unwrap().to_rfc3339(),
        "2030-01-01T08:00:00+00:00"
    );
    let private: Vec<(&str, &str)> = report
        .private
        .iter()
        .map(|l| (l.slug.as_str(), l.reason.as_str()))
        .collect();
    assert_eq!(
        private,
        [
            ("for-members", "visibility members"),
            ("for-tiers", "visibility tiers"),
            ("draft-for-paid", "visibility paid"),
        ]
    );
    // Tags in sort order: the first public one is the section, internal ones dropped.
    let first = &a["ghost:p1"];
    assert_eq!(first.summary.section.name, "News Desk");
    assert_eq!(names(&first.summary.tags), ["Politics"]);
    assert_eq!(names(&first.summary.authors), ["Bob Editor", "Ann Writer"]);
    assert_eq!(a["ghost:p2"].summary.section.name, "News");
    assert_eq!(a["ghost:p3"].summary.section.name, "News");
    assert_eq!(
        report
            .internal_tags
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect::<Vec<_>>(),
        [("#hashed", 1), ("#internal-a", 2), ("Hidden", 1)]
    );
    // Ghost's slugs carry over, and the section's description.
    let tags: Vec<(String, String)> = t
        .store
        .tags()
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.slug, t.name))
        .collect();
    assert_eq!(
        tags,
        [("politics-and-power".to_owned(), "Politics".to_owned())]
    );
    let desk = t.store.section_by_slug("desk").await.unwrap().unwrap();
    assert_eq!(
        (desk.name.as_str(), desk.description.as_str()),
        ("News Desk", "The desk's news.")
    );
    assert_eq!(report.sections, ["News Desk", "News"]);
    assert_eq!(report.tags, ["Politics"]);
    // Embedded frames became links to what they framed.
    assert!(!first.body_html.contains("iframe"));
    assert!(
        first.body_html.contains(
            "<a href=\"https://www.youtube.com/embed/x?feature=oembed\" rel=\"noopener noreferrer\">"
        ),
        "{}",
        first.body_html
    );
    assert!(
        first
            .body_html
            .contains("<a href=\"https://player.example/v/1\"")
    );
    // The other fields.
    assert_eq!(
        first.editor_excerpt.as_deref(),
        Some("The editor's excerpt.")
    );
    assert_eq!(first.summary.excerpt, "The editor's excerpt.");
    assert!(first.summary.featured);
    assert_eq!(
        first.summary.featured_image.as_deref(),
        Some("https://news.example/content/images/first.jpg")
    );
    assert_eq!(
        first.summary.featured_image_alt.as_deref(),
        Some("First's alt")
    );
    assert_eq!(first.seo_title.as_deref(), Some("SEO title"));
    assert_eq!(first.seo_description.as_deref(), Some("SEO description"));
    assert_eq!(
        first.canonical_url.as_deref(),
        Some("https://elsewhere.example/first")
    );
    assert_eq!(first.summary.slug, "first-post");
    assert_eq!(
        first.summary.updated_at.to_rfc3339(),
        "2024-01-02T09:00:00+00:00"
    );
    assert!(!first.body_html.contains("track()"));
    assert!(report.warnings.iter().any(|w| w.contains("code injection")));
    assert_eq!(
        report.media_not_imported,
        ["https://news.example/content/images/first.jpg"]
    );
    // Pages: the reserved addresses are refused and reported; the others imported.
    let refused: Vec<&str> = report
        .refused_pages
        .iter()
        .map(|l| l.slug.as_str())
        .collect();
    assert_eq!(refused, ["search", "2024", "tag"]);
    assert!(
        report.refused_pages[0]
            .reason
            .contains("used by the site itself")
    );
    let pages: Vec<String> = t
        .store
        .all_pages()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.slug)
        .collect();
    assert_eq!(pages, ["about"]);
    assert_eq!(report.pages, 1);
    // Bylines: only those who wrote, without e-mail addresses.
    let authors = t.store.authors().await.unwrap();
    let authors: Vec<(&str, &str, &str)> = authors
        .iter()
        .map(|a| (a.slug.as_str(), a.name.as_str(), a.bio.as_str()))
        .collect();
    assert_eq!(
        authors,
        [
            ("ann", "Ann Writer", "Ann's bio"),
            ("bob", "Bob Editor", "")
        ]
    );
    assert_eq!(report.users_without_posts, 1);
    let text = report.to_string();
    for needle in [
        "Pages refused (3):",
        "/search/",
        "imported as private",
        "/for-members/",
        "#internal-a (2 posts)",
        "Media not imported",
        "Articles: 6 saved, 6 new, 0 updated",
    ] {
        assert!(text.contains(needle), "{needle} in\n{text}");
    }
    assert!(!text.contains("@example.invalid"));
}

async fn the_older_schema_with_page_flags_author_ids_and_numbers(t: TestStore) {
    let mobiledoc = json!({"version": "0.3.1", "atoms": [["soft-return", "", {}]], "cards": [["hr", {}], ["card-markdown", {"markdown": "**Strong** words"}]],
        "markups": [["a", ["href", "https://example.com/"]], ["em"]],
        "sections": [[1, "h1", [[0, [], 0, "Top"]]], [1, "p", [[0, [1], 0, "Soft"], [1, [], 0, 0], [0, [0], 2, "linked"], [0, [], 0, " end"]]],
            [10, 0], [3, "ol", [[[0, [], 0, "uno"]], [[0, [], 0, "dos"]]]], [10, 1], [2, "https://img.example/s.png"]]});
    let bytes = serde_json::to_vec(&json!({"meta": {"version": "1.25.0"}, "data": {
        "posts": [
            {"id": 1, "title": "Old page", "slug": "old-page", "page": 1, "status": "published",
             "visibility": "public", "mobiledoc": mobiledoc.to_string(), "html": "", "author_id": 7,
             "published_at": "2018-01-01 10:00:00", "created_at": "2018-01-01 09:00:00"},
            {"id": 2, "title": "Old post", "slug": "old-post", "page": false, "status": "published",
             "visibility": "public", "markdown": "Just *markdown*.", "author_id": 7,
             "published_at": 1514800800000_i64, "featured": 1},
        ],
        "users": [{"id": 7, "name": "Old Timer", "slug": "old-timer", "email": "old@example.invalid"}],
    }}))
    .unwrap();
    let report = import_ghost(&t.store, &bytes, &GhostOptions::default())
        .await
        .unwrap();
    println!("{report}");
    assert_eq!(report.shape, GhostShape::PageFlag);
    assert_eq!((report.articles, report.pages), (1, 1));
    let a = stored(&t.store).await;
    let post = &a["ghost:2"];
    assert_eq!(names(&post.summary.authors), ["Old Timer"]);
    assert_eq!(post.body_html, "<p>Just <em>markdown</em>.</p>\n");
    assert!(post.summary.featured);
    assert_eq!(
        post.summary.published_at.unwrap().to_rfc3339(),
        "2018-01-01T10:00:00+00:00"
    );
    let pages = t.store.all_pages().await.unwrap();
    assert_eq!(pages.len(), 1);
    let page = t.store.page_source(pages[0].id).await.unwrap().unwrap();
    assert_eq!(page.slug, "old-page");
    let html = t
        .store
        .public_page("old-page")
        .await
        .unwrap()
        .unwrap()
        .body_html;
    assert_eq!(
        html,
        concat!(
            "<h2>Top</h2>\n",
            "<p><em>Soft<br><a href=\"https://example.com/\" rel=\"noopener noreferrer\">linked</a></em> end</p>\n",
            "<hr>\n",
            "<ol><li>uno</li><li>dos</li></ol>\n",
            "<p><strong>Strong</strong> words</p>\n",
            "<figure><img src=\"https://img.example/s.png\" alt=\"\"></figure>\n",
        )
    );
    assert_eq!(report.authors, ["Old Timer"]);
    assert_eq!(report.body_sources.get("mobiledoc"), Some(&1));
    assert_eq!(report.body_sources.get("markdown"), Some(&1));
}

async fn a_reimport_updates_and_never_duplicates(t: TestStore) {
    let Some(bytes) = fixture("v4_export.json") else {
        return;
    };
    let opts = GhostOptions::default();
    let first = import_ghost(&t.store, &bytes, &opts).await.unwrap();
    assert_eq!((first.created, first.updated), (7, 0));
    assert!(first.pages_replaced.is_empty());
    let before = stored(&t.store).await;
    let again = import_ghost(&t.store, &bytes, &opts).await.unwrap();
    assert_eq!((again.created, again.updated), (0, 7));
    assert_eq!(again.pages_replaced.len(), 4);
    let after = stored(&t.store).await;
    assert_eq!(before.len(), after.len());
    for (k, a) in &before {
        let b = &after[k];
        assert_eq!(a.summary.id, b.summary.id);
        assert_eq!(a.summary.slug, b.summary.slug, "no numbered copy");
        assert_eq!(a.body_html, b.body_html);
        assert_eq!(names(&a.summary.tags), names(&b.summary.tags));
        assert_eq!(names(&a.summary.authors), names(&b.summary.authors));
    }
    assert_eq!(t.store.all_pages().await.unwrap().len(), 4);
    assert_eq!(t.store.authors().await.unwrap().len(), 1);
    assert_eq!(
        t.store
            .sections()
            .await
            .unwrap()
            .iter()
            .filter(|s| s.name == "Getting Started")
            .count(),
        1
    );
}

async fn a_dry_run_writes_nothing_and_reports_the_same(t: TestStore) {
    let Some(bytes) = fixture("v4_export.json") else {
        return;
    };
    let sections_before = t.store.sections().await.unwrap();
    let dry = import_ghost(
        &t.store,
        &bytes,
        &GhostOptions {
            dry_run: true,
            ..GhostOptions::default()
        },
    )
    .await
    .unwrap();
    println!("{dry}");
    let (list, total) = t
        .store
        .work_list(&WorkFilter::default(), PageRequest::new(1, 10))
        .await
        .unwrap();
    assert_eq!((list.len(), total), (0, 0));
    assert!(t.store.all_pages().await.unwrap().is_empty());
    assert!(t.store.authors().await.unwrap().is_empty());
    assert!(t.store.tags().await.unwrap().is_empty());
    assert_eq!(t.store.sections().await.unwrap(), sections_before);
    assert!(dry.to_string().contains("dry run"));
    assert!(dry.to_string().contains("Articles: 7 would be saved"));

    let real = import_ghost(&t.store, &bytes, &GhostOptions::default())
        .await
        .unwrap();
    let same = GhostReport {
        dry_run: true,
        created: 0,
        updated: 0,
        longest_batch: std::time::Duration::ZERO,
        ..real.clone()
    };
    assert_eq!(same, dry);
    assert_eq!(real.created, dry.articles);
}

async fn bad_input_is_a_clear_error_and_bad_rows_are_skipped(t: TestStore) {
    let cases: [(&[u8], &str); 8] = [
        (b"", "not valid JSON"),
        (b"{\"db\": [", "not valid JSON"),
        (b"[1, 2]", "not an object"),
        (b"{\"db\": []}", "`db` is empty"),
        (b"{\"db\": {}}", "`db` is not a list"),
        (b"{\"db\": [{\"meta\": {}}]}", "no `db[0].data`"),
        (
            b"{\"db\": [{\"data\": {\"tags\": []}}]}",
            "no `posts` table",
        ),
        (
            b"{\"db\": [{\"data\": {\"posts\": {}}}]}",
            "`posts` is not a list",
        ),
    ];
    for (input, needle) in cases {
        let err = import_ghost(&t.store, input, &GhostOptions::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{err:?} should say {needle:?}");
        assert!(err.contains("Ghost export"), "{err}");
    }
    // Rows that make no sense are skipped with a reason; broken documents fall back.
    let bytes = export(json!({
        "posts": [
            7,
            {"title": "No id", "slug": "no-id", "type": "post"},
            {"id": "w", "title": "Weird", "slug": "weird", "type": "newsletter"},
            {"id": "x", "title": "Broken lexical", "slug": "broken", "type": "post", "status": "published",
             "lexical": "{not json", "mobiledoc": "[]", "plaintext": "Fallback text.",
             "published_at": "2024-01-01T00:00:00.000Z", "tags": 5},
            {"id": "y", "title": "Nothing", "slug": "!!!", "type": "post", "status": "mystery",
             "author_id": "ghost-user"},
        ],
        "tags": "not a list",
        "posts_tags": [{"post_id": "x", "tag_id": "missing"}],
        "users": [{"id": "u"}],
    }));
    let report = import_ghost(&t.store, &bytes, &GhostOptions::default())
        .await
        .unwrap();
    println!("{report}");
    let skipped: Vec<&str> = report.skipped.iter().map(|l| l.reason.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "the row is not an object",
            "the row has no id",
            "unknown post type \"newsletter\""
        ]
    );
    assert_eq!(report.articles, 2);
    let a = stored(&t.store).await;
    assert_eq!(a["ghost:x"].body_html, "<p>Fallback text.</p>\n");
    assert_eq!(a["ghost:y"].summary.status, ArticleStatus::Draft);
    assert_eq!(a["ghost:y"].summary.slug, "nothing", "made from the title");
    for needle in [
        "Lexical document is not JSON",
        "unknown tag missing",
        "unknown status",
        "unknown author ghost-user",
        "slug \"!!!\"",
    ] {
        assert!(
            report.warnings.iter().any(|w| w.contains(needle)),
            "{needle} in {:?}",
            report.warnings
        );
    }
}
