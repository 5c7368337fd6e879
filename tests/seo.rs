//! What search engines and social sites read, on both backends: an article's JSON-LD
//! (`NewsArticle` or its opinion and sponsored kinds, and a `BreadcrumbList`) checked
//! against the article, OpenGraph and Twitter tags, and feed links in every head.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use common::{TestSite, add_user};
use masthead_core::{ArticleLabel, Clock, Role, TokenScope};
use masthead_store::NewArticle;
use masthead_testkit::TestDb;
use serde_json::Value;

http_tests!(
    an_article_carries_news_article_json_ld_and_open_graph,
    labels_give_the_json_ld_type_and_plain_images_have_no_size,
    archives_and_the_home_page_link_their_feeds,
);

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 120])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

async fn upload_photo(site: &TestSite) -> i64 {
    let id = add_user(site, "edith@example.org", Role::Editor).await;
    let token = site.token_for(id, TokenScope::Write).await;
    let res = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/media?file_name=quay.jpg&alt=Boats+at+the+quay&credit=Photo%3A+Ana+Ruiz",
            site.base
        ))
        .bearer_auth(token)
        .header("content-type", "image/jpeg")
        .body(jpeg(2000, 1200))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let v: Value = res.json().await.unwrap();
    v["id"].as_i64().unwrap()
}

async fn save(site: &TestSite, a: &NewArticle) -> String {
    let id = site.store.save_article(a).await.unwrap().id;
    let article = site.store.article(id).await.unwrap().unwrap();
    article.summary.path().unwrap()
}

fn w3c(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Every JSON-LD block of a page, parsed.
fn json_ld(page: &str) -> Vec<Value> {
    const OPEN: &str = "<script type=\"application/ld+json\">";
    page.split(OPEN)
        .skip(1)
        .map(|rest| {
            let text = &rest[..rest.find("</script>").unwrap()];
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
        })
        .collect()
}

fn of_type<'a>(blocks: &'a [Value], kind: &str) -> &'a Value {
    blocks
        .iter()
        .find(|b| match &b["@type"] {
            Value::String(s) => s == kind,
            Value::Array(a) => a.iter().any(|t| t == kind),
            _ => false,
        })
        .unwrap_or_else(|| panic!("no {kind} in {blocks:?}"))
}

fn meta<'a>(page: &'a str, property: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    for attr in ["property", "name"] {
        let open = format!("<meta {attr}=\"{property}\" content=\"");
        for rest in page.split(&open).skip(1) {
            out.push(&rest[..rest.find('"').unwrap()]);
        }
    }
    out
}

async fn an_article_carries_news_article_json_ld_and_open_graph(db: TestDb) {
    let site = TestSite::empty(db).await;
    let base = site.base.clone();
    let photo = upload_photo(&site).await;
    let now = site.clock.now();
    let published = now - Duration::hours(2);
    let updated = now - Duration::hours(1);
    let mut a = NewArticle::published("Rates & <rises> ahead", "Business", published);
    a.updated_at = Some(updated);
    a.dek = Some("What the bank's move means".to_owned());
    a.authors = vec!["Ann Writer".to_owned(), "Bob Reporter".to_owned()];
    a.tags = vec!["Economy".to_owned(), "Banks".to_owned()];
    a.featured_media_id = Some(photo);
    let path = save(&site, &a).await;
    let url = format!("{base}{path}");
    let page = site.page(&path).await;

    // The headline cannot end the script early: `<` is escaped inside JSON-LD.
    assert!(!page.contains("<rises>"), "unescaped title in the page");
    let blocks = json_ld(&page);
    let article = of_type(&blocks, "NewsArticle");
    assert_eq!(article["@context"], "https://schema.org");
    assert_eq!(article["@type"], "NewsArticle");
    assert_eq!(article["headline"], "Rates & <rises> ahead");
    assert_eq!(article["datePublished"], w3c(published));
    assert_eq!(article["dateModified"], w3c(updated));
    let authors = article["author"].as_array().unwrap();
    assert_eq!(authors.len(), 2);
    assert_eq!(authors[0]["@type"], "Person");
    assert_eq!(authors[0]["name"], "Ann Writer");
    assert_eq!(authors[0]["url"], format!("{base}/author/ann-writer/"));
    assert_eq!(authors[1]["name"], "Bob Reporter");
    assert_eq!(authors[1]["url"], format!("{base}/author/bob-reporter/"));
    assert_eq!(article["publisher"]["@type"], "Organization");
    assert_eq!(article["publisher"]["name"], "The Test Courier");
    assert_eq!(article["publisher"]["logo"]["@type"], "ImageObject");
    let logo = article["publisher"]["logo"]["url"].as_str().unwrap();
    assert!(logo.starts_with(&format!("{base}/static/")), "{logo}");
    assert_eq!(article["mainEntityOfPage"]["@type"], "WebPage");
    assert_eq!(article["mainEntityOfPage"]["@id"], url);
    assert_eq!(article["articleSection"], "Business");
    assert_eq!(article["keywords"], "Economy, Banks");
    let image = &article["image"][0];
    let image_url = image["url"].as_str().unwrap();
    assert!(
        image_url.starts_with(&format!("{base}/media/")),
        "{image_url}"
    );
    assert_eq!(
        (image["width"].as_u64(), image["height"].as_u64()),
        (Some(1200), Some(630))
    );
    assert_eq!(image["creditText"], "Photo: Ana Ruiz");
    // The social rendition is served.
    let got = reqwest::get(image_url).await.unwrap();
    assert_eq!(got.status().as_u16(), 200);

    let crumbs = of_type(&blocks, "BreadcrumbList");
    let items = crumbs["itemListElement"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let expected = [
        ("Home", format!("{base}/")),
        ("Business", format!("{base}/section/business/")),
        ("Rates & <rises> ahead", url.clone()),
    ];
    for (i, (name, item)) in expected.iter().enumerate() {
        assert_eq!(items[i]["@type"], "ListItem");
        assert_eq!(items[i]["position"], i + 1);
        assert_eq!(items[i]["name"], *name);
        assert_eq!(items[i]["item"], *item);
    }

    // OpenGraph and Twitter.
    assert_eq!(meta(&page, "og:type"), ["article"]);
    assert_eq!(meta(&page, "og:site_name"), ["The Test Courier"]);
    assert_eq!(meta(&page, "og:title"), ["Rates &amp; &lt;rises&gt; ahead"]);
    assert_eq!(meta(&page, "og:url"), [url.as_str()]);
    assert_eq!(meta(&page, "og:description").len(), 1);
    assert_eq!(meta(&page, "description").len(), 1);
    assert_eq!(
        meta(&page, "article:published_time"),
        [w3c(published).as_str()]
    );
    assert_eq!(
        meta(&page, "article:modified_time"),
        [w3c(updated).as_str()]
    );
    assert_eq!(meta(&page, "article:section"), ["Business"]);
    assert_eq!(meta(&page, "article:tag"), ["Economy", "Banks"]);
    assert_eq!(meta(&page, "og:image"), [image_url]);
    assert_eq!(meta(&page, "og:image:width"), ["1200"]);
    assert_eq!(meta(&page, "og:image:height"), ["630"]);
    assert_eq!(meta(&page, "twitter:card"), ["summary_large_image"]);
    assert!(page.contains(&format!("<link rel=\"canonical\" href=\"{path}\">")));

    // An editor's canonical override wins for og:url.
    let mut syndicated = NewArticle::published("A copy from elsewhere", "Business", published);
    syndicated.canonical_url = Some("https://origin.example.org/story/".to_owned());
    let copy = save(&site, &syndicated).await;
    let page = site.page(&copy).await;
    assert_eq!(meta(&page, "og:url"), ["https://origin.example.org/story/"]);
    assert!(page.contains("<link rel=\"canonical\" href=\"https://origin.example.org/story/\">"));
    assert_eq!(meta(&page, "twitter:card"), ["summary"]);
}

async fn labels_give_the_json_ld_type_and_plain_images_have_no_size(db: TestDb) {
    let site = TestSite::empty(db).await;
    let at = site.clock.now() - Duration::hours(3);
    for (title, label, kind) in [
        (
            "Why the bridge must close",
            ArticleLabel::Opinion,
            "OpinionNewsArticle",
        ),
        (
            "What the closure means",
            ArticleLabel::Analysis,
            "AnalysisNewsArticle",
        ),
        (
            "Brought to you by Ferries",
            ArticleLabel::Sponsored,
            "AdvertiserContentArticle",
        ),
    ] {
        let mut a = NewArticle::published(title, "City", at);
        a.label = label;
        let page = site.page(&save(&site, &a).await).await;
        let blocks = json_ld(&page);
        let article = of_type(&blocks, kind);
        let types = article["@type"].as_array().unwrap();
        assert!(types.iter().any(|t| t == "NewsArticle"), "{types:?}");
        assert_eq!(article["headline"], title);
    }
    let mut a = NewArticle::published("A picture from the wire", "City", at);
    a.featured_image = Some("https://cdn.example.org/wire.jpg".to_owned());
    let page = site.page(&save(&site, &a).await).await;
    assert_eq!(
        meta(&page, "og:image"),
        ["https://cdn.example.org/wire.jpg"]
    );
    assert!(meta(&page, "og:image:width").is_empty());
    assert_eq!(meta(&page, "twitter:card"), ["summary_large_image"]);
    let blocks = json_ld(&page);
    assert_eq!(
        of_type(&blocks, "NewsArticle")["image"][0]["url"],
        "https://cdn.example.org/wire.jpg"
    );
}

async fn archives_and_the_home_page_link_their_feeds(db: TestDb) {
    let site = TestSite::empty(db).await;
    let base = site.base.clone();
    let at = site.clock.now() - Duration::hours(3);
    for title in ["First on the economy", "Second on the economy"] {
        let mut a = NewArticle::published(title, "Business", at);
        a.tags = vec!["Economy".to_owned()];
        a.authors = vec!["Ann Writer".to_owned()];
        save(&site, &a).await;
    }
    let site_feeds = [
        "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"The Test Courier — RSS\" href=\"/feed/\">",
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"The Test Courier — Atom\" href=\"/feed/atom/\">",
        "<link rel=\"alternate\" type=\"application/feed+json\" title=\"The Test Courier — JSON Feed\" href=\"/feed/json/\">",
    ];
    let home = site.page("/").await;
    for link in site_feeds {
        assert!(home.contains(link), "{link}");
    }
    assert_eq!(meta(&home, "og:type"), ["website"]);
    assert_eq!(meta(&home, "og:url"), [format!("{base}/").as_str()]);
    assert!(json_ld(&home).is_empty());
    for (path, name) in [
        ("/section/business/", "Business"),
        ("/tag/economy/", "Economy"),
        ("/author/ann-writer/", "Ann Writer"),
    ] {
        let page = site.page(path).await;
        for link in site_feeds {
            assert!(page.contains(link), "{link} on {path}");
        }
        for (kind, suffix, word) in [
            ("application/rss+xml", "feed/", "RSS"),
            ("application/atom+xml", "feed/atom/", "Atom"),
            ("application/feed+json", "feed/json/", "JSON Feed"),
        ] {
            let link = format!(
                "<link rel=\"alternate\" type=\"{kind}\" title=\"{name} — {word}\" href=\"{path}{suffix}\">"
            );
            assert!(page.contains(&link), "{link} on {path}");
        }
        assert_eq!(meta(&page, "og:type"), ["website"]);
        assert_eq!(meta(&page, "og:url"), [format!("{base}{path}").as_str()]);
    }
}
