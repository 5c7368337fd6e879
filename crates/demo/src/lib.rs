//! The demo site seeded on a site's first start, so a fresh install looks like a real
//! newspaper: original stories about the fictional city of Northbridge, dated relative
//! to the moment of seeding so the newest is a few hours old.

use chrono::{DateTime, Duration, Utc};
use include_dir::{Dir, include_dir};
use masthead_core::{ArticleStatus, BodyFormat, excerpt, slug};
use masthead_render::render_body;
use masthead_store::{NewArticle, NewAuthor, NewPage, NewSection, Store, StoreError};

static CONTENT: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/content");

/// The site's name and tagline while it shows the demo.
pub const SITE_TITLE: &str = "The Northbridge Courier";
pub const SITE_TAGLINE: &str = "News from the city on the Wend, since 1881";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo content file {file}: {message}")]
    Content { file: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What seeding wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    pub sections: usize,
    pub authors: usize,
    pub articles: usize,
    pub pages: usize,
}

/// One file's front matter and body.
struct Doc<'a> {
    file: String,
    fields: Vec<(&'a str, &'a str)>,
    body: &'a str,
}

impl<'a> Doc<'a> {
    fn parse(file: &str, text: &'a str) -> Result<Self, DemoError> {
        let err = |message: &str| DemoError::Content {
            file: file.to_owned(),
            message: message.to_owned(),
        };
        let rest = text
            .strip_prefix("---\n")
            .ok_or_else(|| err("does not start with ---"))?;
        let end = rest
            .find("\n---\n")
            .ok_or_else(|| err("front matter is not closed with ---"))?;
        let fields = rest[..end]
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                l.split_once(':')
                    .map(|(k, v)| (k.trim(), v.trim()))
                    .ok_or_else(|| err(l))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            file: file.to_owned(),
            fields,
            body: &rest[end + 5..],
        })
    }

    fn get(&self, key: &str) -> Option<&'a str> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    fn require(&self, key: &str) -> Result<&'a str, DemoError> {
        self.get(key).ok_or_else(|| DemoError::Content {
            file: self.file.clone(),
            message: format!("missing `{key}`"),
        })
    }

    fn list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn lines(name: &str) -> Vec<Vec<String>> {
    CONTENT
        .get_file(name)
        .and_then(|f| f.contents_utf8())
        .unwrap_or("")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('|').map(|c| c.trim().to_owned()).collect())
        .collect()
}

fn files(dir: &str) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = CONTENT
        .get_dir(dir)
        .map(|d| {
            d.files()
                .filter_map(|f| Some((f.path().display().to_string(), f.contents_utf8()?)))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The demo articles, dated relative to `now`.
pub fn articles(now: DateTime<Utc>) -> Result<Vec<NewArticle>, DemoError> {
    let sections = lines("sections.txt");
    let section_name = |slug: &str| {
        sections
            .iter()
            .find(|row| row.first().is_some_and(|s| s == slug))
            .and_then(|row| row.get(1).cloned())
            .unwrap_or_else(|| slug.to_owned())
    };
    let mut out = Vec::new();
    for (file, text) in files("articles") {
        let doc = Doc::parse(&file, text)?;
        let hours: i64 = doc
            .require("age_hours")?
            .parse()
            .map_err(|_| DemoError::Content {
                file: file.clone(),
                message: "age_hours is not a number".to_owned(),
            })?;
        let published = now - Duration::hours(hours) - Duration::minutes((hours * 7) % 50);
        let rendered = render_body(BodyFormat::Markdown, doc.body);
        let mut a = NewArticle::published(
            doc.require("title")?,
            section_name(doc.require("section")?),
            published,
        );
        a.external_id = Some(format!(
            "demo:{}",
            file.trim_start_matches("articles/").trim_end_matches(".md")
        ));
        a.kicker = doc.get("kicker").map(str::to_owned);
        a.dek = doc.get("dek").map(str::to_owned);
        a.body_source = doc.body.to_owned();
        a.excerpt = excerpt::derive(&rendered.text, excerpt::DEFAULT_WORDS);
        a.body_html = rendered.html;
        a.other_sections = doc
            .list("sections")
            .iter()
            .map(|s| section_name(s))
            .collect();
        a.tags = doc.list("tags");
        a.authors = doc.list("authors");
        a.featured = doc.get("featured") == Some("true");
        // One story was corrected after publication, so "Updated" shows on its page.
        if hours > 24 && hours % 5 == 0 {
            a.updated_at = Some(published + Duration::hours(3));
        } else {
            a.updated_at = Some(published);
        }
        out.push(a);
    }
    Ok(out)
}

/// Seeds the demo site into an empty store.
pub async fn seed(store: &Store) -> Result<Seeded, DemoError> {
    let now = store.clock().now();
    let sections = lines("sections.txt");
    for row in &sections {
        let get = |i: usize| row.get(i).cloned().unwrap_or_default();
        store
            .upsert_section(&NewSection {
                slug: get(0),
                name: get(1),
                parent_slug: Some(get(2)).filter(|p| !p.is_empty()),
                description: get(3),
            })
            .await?;
    }
    let authors = lines("authors.txt");
    for row in &authors {
        let get = |i: usize| row.get(i).cloned().unwrap_or_default();
        store
            .upsert_author(&NewAuthor {
                slug: get(0),
                name: get(1),
                bio: get(2),
            })
            .await?;
    }
    let articles = articles(now)?;
    store.save_articles(&articles).await?;
    let pages = files("pages");
    for (file, text) in &pages {
        let doc = Doc::parse(file, text)?;
        let page_slug =
            slug::check_page_slug(doc.require("slug")?).map_err(|e| DemoError::Content {
                file: file.clone(),
                message: e.to_string(),
            })?;
        let rendered = render_body(BodyFormat::Markdown, doc.body);
        store
            .upsert_page(&NewPage {
                slug: page_slug,
                title: doc.require("title")?.to_owned(),
                body_format: BodyFormat::Markdown,
                body_source: doc.body.to_owned(),
                body_html: rendered.html,
                status: ArticleStatus::Published,
            })
            .await?;
    }
    Ok(Seeded {
        sections: sections.len(),
        authors: authors.len(),
        articles: articles.len(),
        pages: pages.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn demo_stories_meet_the_bar() {
        let now = masthead_testkit::test_now();
        let articles = articles(now).unwrap();
        assert!(articles.len() >= 24, "only {} stories", articles.len());
        let titles: HashSet<_> = articles.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles.len(), articles.len(), "titles must be distinct");
        let sections: HashSet<_> = articles.iter().map(|a| a.section.as_str()).collect();
        assert!(sections.len() >= 4);
        let authors: HashSet<_> = articles.iter().flat_map(|a| a.authors.iter()).collect();
        assert!(authors.len() >= 3);
        for a in &articles {
            let words = a.body_source.split_whitespace().count();
            assert!((250..=900).contains(&words), "{}: {words} words", a.title);
            assert!(!a.tags.is_empty(), "{} has no tags", a.title);
            assert!(!a.authors.is_empty(), "{} has no byline", a.title);
            assert!(!a.body_source.to_lowercase().contains("lorem ipsum"));
        }
        assert!(
            articles
                .iter()
                .any(|a| a.body_html.contains("<blockquote>"))
        );
        assert!(articles.iter().any(|a| a.body_html.contains("<h2>")));
        assert!(
            articles
                .iter()
                .any(|a| a.body_html.contains("<ul>") || a.body_html.contains("<ol>"))
        );
        let newest = articles
            .iter()
            .filter_map(|a| a.published_at)
            .max()
            .unwrap();
        let oldest = articles
            .iter()
            .filter_map(|a| a.published_at)
            .min()
            .unwrap();
        assert!(
            now - newest < Duration::hours(12),
            "the newest should be hours old"
        );
        assert!(
            now - oldest > Duration::days(14),
            "the oldest should be weeks old"
        );
    }

    #[tokio::test]
    async fn seeding_writes_everything() {
        let db = masthead_testkit::TestDb::sqlite();
        let t = db.store().await;
        let seeded = seed(&t.store).await.unwrap();
        assert_eq!(seeded.pages, 3);
        for page in ["about", "contact", "privacy"] {
            assert!(t.store.public_page(page).await.unwrap().is_some(), "{page}");
        }
        let tech = t
            .store
            .section_by_slug("technology")
            .await
            .unwrap()
            .unwrap();
        assert!(tech.parent_id.is_some(), "sections nest");
        let count = t.store.count_public(&Default::default()).await.unwrap();
        assert_eq!(count as usize, seeded.articles);
    }
}
