//! Sitemaps over HTTP, on both backends: the index of monthly article sitemaps and the
//! sitemaps of sections, tags, bylines and pages; the Google News sitemap of the last 48
//! hours; robots.txt naming both. Unpublished and noindex articles are never listed.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::TestSite;
use masthead_core::{ArticleStatus, Clock};
use masthead_store::NewArticle;
use masthead_testkit::TestDb;

http_tests!(
    the_index_lists_monthly_sitemaps_of_indexable_articles,
    the_news_sitemap_holds_only_the_last_two_days,
    robots_names_the_sitemaps,
);

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

async fn save(site: &TestSite, a: &NewArticle) -> String {
    let id = site.store.save_article(a).await.unwrap().id;
    let article = site.store.article(id).await.unwrap().unwrap();
    article.summary.path().unwrap_or_default()
}

fn story(title: &str, when: DateTime<Utc>) -> NewArticle {
    let mut a = NewArticle::published(title, "Politics", when);
    a.external_id = Some(format!("ext-{title}"));
    a.authors = vec!["Ann Writer".to_owned()];
    a.updated_at = Some(when);
    a
}

async fn xml(site: &TestSite, path: &str) -> String {
    let r = site.get(path).await;
    assert_eq!(r.status, 200, "GET {path}: {}", r.body);
    assert_eq!(
        r.header("content-type"),
        Some("application/xml; charset=utf-8"),
        "{path}"
    );
    assert!(
        r.body
            .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
    );
    r.body
}

async fn the_index_lists_monthly_sitemaps_of_indexable_articles(db: TestDb) {
    let site = TestSite::empty(db).await;
    let base = site.base.clone();
    let may = save(&site, &story("May story", at(2026, 5, 10, 9))).await;
    let mut a = story("June first", at(2026, 6, 14, 8));
    a.tags = vec!["Alpha".to_owned(), "Beta".to_owned()];
    let june_a = save(&site, &a).await;
    let mut b = story("June second", at(2026, 6, 15, 10));
    b.tags = vec!["Alpha".to_owned()];
    b.updated_at = Some(at(2026, 6, 15, 11));
    let june_b = save(&site, &b).await;
    let mut hidden = story("Hidden from engines", at(2026, 6, 15, 9));
    hidden.noindex = true;
    let hidden = save(&site, &hidden).await;
    let mut draft = story("Still a draft", at(2026, 6, 15, 9));
    draft.status = ArticleStatus::Draft;
    draft.published_at = None;
    save(&site, &draft).await;
    assert!(!hidden.is_empty());

    let index = xml(&site, "/sitemap.xml").await;
    assert!(index.contains("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
    for file in [
        "articles-2026-06.xml",
        "articles-2026-05.xml",
        "sections.xml",
        "tags.xml",
        "authors.xml",
        "pages.xml",
    ] {
        assert!(
            index.contains(&format!("<loc>{base}/sitemaps/{file}</loc>")),
            "{file} in {index}"
        );
    }
    assert!(!index.contains("articles-2026-04"), "{index}");
    // The June sitemap's lastmod is its newest update.
    assert!(
        index.contains(&format!(
            "<loc>{base}/sitemaps/articles-2026-06.xml</loc><lastmod>2026-06-15T11:00:00Z</lastmod>"
        )),
        "{index}"
    );

    let june = xml(&site, "/sitemaps/articles-2026-06.xml").await;
    assert!(june.contains("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"));
    assert!(
        june.contains(&format!(
            "<url><loc>{base}{june_b}</loc><lastmod>2026-06-15T11:00:00Z</lastmod></url>"
        )),
        "{june}"
    );
    assert!(
        june.contains(&format!("<loc>{base}{june_a}</loc>")),
        "{june}"
    );
    assert!(!june.contains(&hidden), "noindex article listed: {june}");
    assert!(!june.contains("still-a-draft"), "{june}");
    assert!(!june.contains(&may), "{june}");
    let may_map = xml(&site, "/sitemaps/articles-2026-05.xml").await;
    assert!(
        may_map.contains(&format!("<loc>{base}{may}</loc>")),
        "{may_map}"
    );
    assert_eq!(june.matches("<url>").count(), 2, "{june}");

    let tags = xml(&site, "/sitemaps/tags.xml").await;
    assert!(
        tags.contains(&format!("<loc>{base}/tag/alpha/</loc>")),
        "{tags}"
    );
    assert!(!tags.contains("/tag/beta/"), "a thin tag is listed: {tags}");
    let sections = xml(&site, "/sitemaps/sections.xml").await;
    assert!(
        sections.contains(&format!("<loc>{base}/section/politics/</loc>")),
        "{sections}"
    );
    let authors = xml(&site, "/sitemaps/authors.xml").await;
    assert!(
        authors.contains(&format!("<loc>{base}/author/ann-writer/</loc>")),
        "{authors}"
    );
    let pages = xml(&site, "/sitemaps/pages.xml").await;
    assert!(pages.contains(&format!("<loc>{base}/</loc>")), "{pages}");

    // Unpublished, it leaves the sitemap.
    let mut a = story("June first", at(2026, 6, 14, 8));
    a.tags = vec!["Alpha".to_owned(), "Beta".to_owned()];
    a.status = ArticleStatus::Draft;
    save(&site, &a).await;
    let june = xml(&site, "/sitemaps/articles-2026-06.xml").await;
    assert!(!june.contains(&june_a), "{june}");
    assert_eq!(june.matches("<url>").count(), 1, "{june}");

    for bad in [
        "/sitemaps/articles-2026-13.xml",
        "/sitemaps/articles-2026-06-1.xml",
        "/sitemaps/nothing.xml",
    ] {
        assert_eq!(site.get(bad).await.status, 404, "{bad}");
    }
}

async fn the_news_sitemap_holds_only_the_last_two_days(db: TestDb) {
    let site = TestSite::empty(db).await;
    let base = site.base.clone();
    let now = site.clock.now();
    let fresh = save(&site, &story("Rates & <rises>", now - Duration::hours(1))).await;
    let older = save(&site, &story("Yesterday's news", now - Duration::hours(30))).await;
    let stale = save(&site, &story("Old news", now - Duration::hours(72))).await;
    let mut hidden = story("Noindex news", now - Duration::hours(2));
    hidden.noindex = true;
    let hidden = save(&site, &hidden).await;
    let mut draft = story("Draft news", now - Duration::hours(2));
    draft.status = ArticleStatus::Draft;
    draft.published_at = None;
    save(&site, &draft).await;

    let news = xml(&site, "/news-sitemap.xml").await;
    assert!(
        news.contains(
            "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">"
        ),
        "{news}"
    );
    let expected = format!(
        "<url><loc>{base}{fresh}</loc><news:news><news:publication><news:name>The Test Courier</news:name><news:language>en</news:language></news:publication><news:publication_date>{}</news:publication_date><news:title>Rates &amp; &lt;rises&gt;</news:title></news:news></url>",
        (now - Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    assert!(news.contains(&expected), "{expected}\nin\n{news}");
    assert!(
        news.contains(&format!("<loc>{base}{older}</loc>")),
        "{news}"
    );
    // Newest first.
    assert!(news.find(&fresh).unwrap() < news.find(&older).unwrap());
    assert!(!news.contains(&stale), "{news}");
    assert!(!news.contains(&hidden), "{news}");
    assert!(!news.contains("draft-news"), "{news}");
    assert_eq!(news.matches("<url>").count(), 2, "{news}");

    // Two days on, nothing is fresh: an empty urlset with its namespaces.
    site.clock.advance(Duration::hours(49));
    let news = xml(&site, "/news-sitemap.xml").await;
    assert!(!news.contains("<url>"), "{news}");
    assert!(news.contains("xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\""));
    assert!(news.trim_end().ends_with("</urlset>"), "{news}");
}

async fn robots_names_the_sitemaps(db: TestDb) {
    let site = TestSite::empty(db).await;
    let r = site.get("/robots.txt").await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let base = &site.base;
    for line in [
        "User-agent: *".to_owned(),
        "Disallow: /newsroom/".to_owned(),
        "Disallow: /preview/".to_owned(),
        "Disallow: /search".to_owned(),
        format!("Sitemap: {base}/sitemap.xml"),
        format!("Sitemap: {base}/news-sitemap.xml"),
    ] {
        assert!(r.body.lines().any(|l| l == line), "{line} in {}", r.body);
    }
}
