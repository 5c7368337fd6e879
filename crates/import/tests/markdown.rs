//! The Markdown folder importer against a folder written here: Hugo YAML and TOML, JSON
//! front matter, a page bundle, a Jekyll post with `redirect_from`, a draft, a future
//! post, files without front matter, bad files and hidden ones — on both backends.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use chrono::{DateTime, Utc};
use masthead_core::paging::PageRequest;
use masthead_core::{ArticleStatus, BodyFormat};
use masthead_import::markdown::{
    FileNote, FrontMatter, MarkdownOptions, MarkdownReport, import_markdown,
};
use masthead_store::{Article, RedirectFilter, Store, WorkFilter};
use masthead_testkit::{TestStore, backend_tests};
use std::path::Path;

backend_tests!(
    every_field_lands_and_old_addresses_lead_to_the_articles,
    a_second_import_updates_and_never_duplicates,
    a_dry_run_writes_nothing_and_reports_the_same,
    bad_files_hidden_files_and_section_lists_are_reported_and_the_rest_imported,
    a_folder_that_is_not_there_is_a_clear_error,
);

const HUGO_YAML_BODY: &str = "Intro paragraph with **bold**.\n\n\
{{< figure src=\"/img/a.jpg\" caption=\"A\" >}}\n\n\
{{% note %}}Kept as written.{{% /note %}}\n";

const HUGO_YAML: &str = "---\n\
title: \"Council approves the budget\"\n\
date: 2024-03-01T09:30:00+01:00\n\
lastmod: 2024-03-02\n\
slug: custom-slug\n\
tags: [Climate, Energy, Climate]\n\
categories:\n  - Politics\n  - Environment\n\
author: Ann Writer\n\
summary: \"A short summary.\"\n\
aliases:\n  - /old/hugo-yaml/\n  - relative-alias\n\
weight: 5\n\
images: [\"https://cdn.example/a.jpg\"]\n\
expiryDate: 2030-01-01\n\
someThemeKey: { nested: true }\n\
---\n";

const HUGO_TOML: &str = "+++\n\
title = \"Harbour reopens\"\n\
date = 2024-04-05\n\
tags = [\"Energy\"]\n\
categories = [\"Business\"]\n\
authors = [\"Bob\", \"Cy\"]\n\
description = \"From the description.\"\n\
url = \"/2024/04/toml-story.html\"\n\
draft = false\n\
+++\n\
The harbour reopened today.\n";

const JSON_POST: &str = "{\n\
  \"title\": \"JSON story\",\n\
  \"date\": \"2024-05-06 14:15\",\n\
  \"tags\": \"alpha, beta\",\n\
  \"featured_image\": \"/images/j.png\"\n\
}\n\
Body of the JSON story.\n";

const BUNDLE: &str = "---\ntitle: A bundled story\ndate: \"2024-06-01 08:00:00\"\naliases: [/bundle-old/]\n---\nWith a photo beside it.\n";

const JEKYLL_BODY: &str = "Stalls open at noon.\n\n\
{% highlight ruby %}\nputs 1\n{% endhighlight %}\n\n{% include note.html %}\n";

const JEKYLL: &str = "---\n\
layout: post\n\
title: Christmas market opens\n\
categories: local events\n\
tags: market winter\n\
author:\n  name: Dee\n\
redirect_from:\n  - /2023/12/christmas/\n  - /xmas.html\n\
---\n";

const DRAFT: &str = "---\ntitle: Not yet\ndate: 2024-01-10\ndraft: true\naliases: [/old-draft/]\n---\nDraft text.\n";

const FUTURE: &str =
    "---\ntitle: Coming soon\ndate: 2026-06-01\npublishDate: 2027-01-01T08:00:00Z\n---\nLater.\n";

const PLAIN: &str = "Intro line.\n\n# The Plain Heading\n\nText without front matter.\n";

/// The folder every test imports (`extra` adds or replaces files).
fn site(root: &Path, extra: &[(&str, &[u8])]) {
    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "posts/hugo-yaml.md",
            format!("{HUGO_YAML}{HUGO_YAML_BODY}").into_bytes(),
        ),
        ("posts/hugo-toml.md", HUGO_TOML.into()),
        ("posts/json-post.markdown", JSON_POST.into()),
        ("posts/bundle-story/index.md", BUNDLE.into()),
        (
            "posts/bundle-story/photo.jpg",
            b"\xff\xd8not really".to_vec(),
        ),
        ("posts/draft.md", DRAFT.into()),
        ("posts/future.md", FUTURE.into()),
        (
            "posts/_index.md",
            b"---\ntitle: Posts\n---\nThe list.\n".to_vec(),
        ),
        (
            "_posts/2023-12-24-christmas-market.md",
            format!("{JEKYLL}{JEKYLL_BODY}").into_bytes(),
        ),
        ("notes/plain.md", PLAIN.into()),
        ("notes/untitled-note.md", b"Just words.\n".to_vec()),
        (
            "bad/broken.md",
            b"---\ntitle: [unclosed\n---\nBody\n".to_vec(),
        ),
        (
            "bad/bad-date.md",
            b"---\ntitle: Bad date\ndate: next tuesday\n---\nBody\n".to_vec(),
        ),
        (
            "bad/latin1.md",
            b"---\ntitle: Caf\xe9\n---\nCaf\xe9 au lait\n".to_vec(),
        ),
        (".hidden.md", b"---\ntitle: Hidden\n---\n".to_vec()),
        (".git/notes.md", b"# Not content\n".to_vec()),
        ("posts/.scratch.md", b"# Scratch\n".to_vec()),
        ("_includes/snippet.md", b"# An include\n".to_vec()),
        ("README.txt", b"Not Markdown.\n".to_vec()),
    ];
    for (path, bytes) in files
        .iter()
        .map(|(p, b)| (*p, b.as_slice()))
        .chain(extra.iter().copied())
    {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

fn opts() -> MarkdownOptions {
    MarkdownOptions {
        timezone: "Europe/London".parse().unwrap(),
        ..MarkdownOptions::default()
    }
}

async fn article(store: &Store, relative: &str) -> Article {
    let id = store
        .article_id_by_external_id(&format!("markdown:{relative}"))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no article for {relative}"));
    store.article(id).await.unwrap().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn names(terms: &[masthead_store::Term]) -> Vec<&str> {
    terms.iter().map(|t| t.name.as_str()).collect()
}

async fn total(store: &Store) -> i64 {
    store
        .work_list(&WorkFilter::default(), PageRequest::new(1, 50))
        .await
        .unwrap()
        .1
}

async fn markdown_redirects(store: &Store) -> Vec<String> {
    let (list, _) = store
        .redirects(&RedirectFilter {
            origin: Some("markdown".to_owned()),
            contains: None,
            limit: 100,
            offset: 0,
        })
        .await
        .unwrap();
    let mut from: Vec<String> = list.into_iter().map(|r| r.from_path).collect();
    from.sort();
    from
}

/// Where an old address leads now, as `redirect_for` answers.
async fn leads_to(store: &Store, key: &str) -> Option<String> {
    store
        .redirect_for(key)
        .await
        .unwrap()
        .and_then(|hit| hit.location)
}

async fn every_field_lands_and_old_addresses_lead_to_the_articles(t: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path(), &[]);
    std::fs::File::options()
        .write(true)
        .open(dir.path().join("notes/plain.md"))
        .unwrap()
        .set_modified(at("2025-01-02T03:04:05Z").into())
        .unwrap();
    std::fs::File::options()
        .write(true)
        .open(dir.path().join("notes/untitled-note.md"))
        .unwrap()
        .set_modified(at("2030-01-01T00:00:00Z").into())
        .unwrap();
    let report = import_markdown(&t.store, dir.path(), &opts())
        .await
        .unwrap();
    println!("{report}");
    assert_eq!(report.articles, 9);
    assert_eq!((report.created, report.updated), (9, 0));

    // Hugo, YAML: every field.
    let a = article(&t.store, "posts/hugo-yaml.md").await;
    let s = &a.summary;
    assert_eq!(s.title, "Council approves the budget");
    assert_eq!(s.slug, "custom-slug");
    assert_eq!(s.status, ArticleStatus::Published);
    assert_eq!(s.published_at, Some(at("2024-03-01T08:30:00Z")));
    // lastmod is a date in London, midnight (GMT in March).
    assert_eq!(s.updated_at, at("2024-03-02T00:00:00Z"));
    assert_eq!(names(&s.tags), ["Climate", "Energy"]);
    assert_eq!(names(&s.sections), ["Politics", "Environment"]);
    assert_eq!(s.section.name, "Politics");
    assert_eq!(names(&s.authors), ["Ann Writer"]);
    assert_eq!(a.editor_excerpt.as_deref(), Some("A short summary."));
    assert_eq!(s.excerpt, "A short summary.");
    assert_eq!(
        s.featured_image.as_deref(),
        Some("https://cdn.example/a.jpg")
    );
    assert_eq!(a.body_format, BodyFormat::Markdown);
    assert_eq!(a.body_source, HUGO_YAML_BODY);
    assert!(
        a.body_html.contains("<strong>bold</strong>"),
        "{}",
        a.body_html
    );
    assert!(a.body_html.contains("figure src="), "{}", a.body_html);
    let path = s.path().unwrap();
    assert_eq!(path, "/2024/03/01/custom-slug/");
    assert_eq!(
        leads_to(&t.store, "/old/hugo-yaml/").await.as_deref(),
        Some(path.as_str())
    );
    // A relative alias starts in the page's folder.
    assert_eq!(
        leads_to(&t.store, "/posts/relative-alias/")
            .await
            .as_deref(),
        Some(path.as_str())
    );

    // Hugo, TOML: a local date, the slug and a redirect from `url`, the description.
    let a = article(&t.store, "posts/hugo-toml.md").await;
    let s = &a.summary;
    assert_eq!(s.title, "Harbour reopens");
    assert_eq!(s.slug, "toml-story");
    // Midnight in London in April is 23:00 UTC the day before.
    assert_eq!(s.published_at, Some(at("2024-04-04T23:00:00Z")));
    assert_eq!(s.updated_at, at("2024-04-04T23:00:00Z"));
    assert_eq!(names(&s.authors), ["Bob", "Cy"]);
    assert_eq!(s.section.name, "Business");
    assert_eq!(a.editor_excerpt.as_deref(), Some("From the description."));
    assert_eq!(
        leads_to(&t.store, "/2024/04/toml-story.html").await,
        s.path()
    );

    // JSON front matter, a local date-time without seconds, tags as one string.
    let a = article(&t.store, "posts/json-post.markdown").await;
    let s = &a.summary;
    assert_eq!(s.title, "JSON story");
    assert_eq!(s.slug, "json-post");
    assert_eq!(s.published_at, Some(at("2024-05-06T13:15:00Z")));
    assert_eq!(names(&s.tags), ["alpha", "beta"]);
    assert_eq!(s.section.name, "News");
    assert_eq!(s.featured_image.as_deref(), Some("/images/j.png"));
    assert_eq!(a.body_source, "Body of the JSON story.\n");

    // A page bundle: the folder names it.
    let a = article(&t.store, "posts/bundle-story/index.md").await;
    assert_eq!(a.summary.slug, "bundle-story");
    assert_eq!(a.summary.published_at, Some(at("2024-06-01T07:00:00Z")));
    assert_eq!(leads_to(&t.store, "/bundle-old/").await, a.summary.path());

    // Jekyll: date and slug from the file name, space-separated terms, an author map,
    // redirect_from.
    let a = article(&t.store, "_posts/2023-12-24-christmas-market.md").await;
    let s = &a.summary;
    assert_eq!(s.title, "Christmas market opens");
    assert_eq!(s.slug, "christmas-market");
    assert_eq!(s.published_at, Some(at("2023-12-24T00:00:00Z")));
    assert_eq!(names(&s.sections), ["local", "events"]);
    assert_eq!(names(&s.tags), ["market", "winter"]);
    assert_eq!(names(&s.authors), ["Dee"]);
    assert_eq!(a.body_source, JEKYLL_BODY);
    let path = s.path().unwrap();
    assert_eq!(path, "/2023/12/24/christmas-market/");
    for old in ["/2023/12/christmas/", "/xmas.html"] {
        assert_eq!(
            leads_to(&t.store, old).await.as_deref(),
            Some(path.as_str())
        );
    }

    // A draft keeps its date; its old address is kept but does not reveal it.
    let a = article(&t.store, "posts/draft.md").await;
    assert_eq!(a.summary.status, ArticleStatus::Draft);
    assert_eq!(a.summary.path(), None);
    assert_eq!(leads_to(&t.store, "/old-draft/").await, None);

    // A publishDate ahead schedules the article for then.
    let a = article(&t.store, "posts/future.md").await;
    assert_eq!(a.summary.status, ArticleStatus::Scheduled);
    assert_eq!(a.summary.published_at, Some(at("2027-01-01T08:00:00Z")));
    assert_eq!(a.summary.updated_at, masthead_testkit::test_now());

    // No front matter: the first heading, else the file name; the file's time.
    let a = article(&t.store, "notes/plain.md").await;
    assert_eq!(a.summary.title, "The Plain Heading");
    assert_eq!(a.summary.slug, "plain");
    assert_eq!(a.body_source, PLAIN);
    assert_eq!(a.summary.published_at, Some(at("2025-01-02T03:04:05Z")));
    // A file time ahead of the site's clock is taken as now: it schedules nothing.
    let a = article(&t.store, "notes/untitled-note.md").await;
    assert_eq!(a.summary.title, "Untitled Note");
    assert_eq!(a.summary.status, ArticleStatus::Published);
    assert_eq!(a.summary.published_at, Some(masthead_testkit::test_now()));

    // Every old address, and only those, is a redirect marked as this importer's.
    assert_eq!(
        markdown_redirects(&t.store).await,
        [
            "/2023/12/christmas/",
            "/2024/04/toml-story.html",
            "/bundle-old/",
            "/old-draft/",
            "/old/hugo-yaml/",
            "/posts/relative-alias/",
            "/xmas.html",
        ]
    );

    // The report.
    assert_eq!(report.redirects, 7);
    assert_eq!(report.redirects_written, 7);
    assert_eq!(
        report
            .front_matter
            .iter()
            .map(|(k, n)| (*k, *n))
            .collect::<Vec<_>>(),
        [
            (FrontMatter::Yaml, 5),
            (FrontMatter::Toml, 1),
            (FrontMatter::Json, 1),
            (FrontMatter::None, 2),
        ]
    );
    assert_eq!(report.statuses["published"], 7);
    assert_eq!(report.statuses["draft"], 1);
    assert_eq!(report.statuses["scheduled"], 1);
    assert_eq!(
        report
            .shortcodes
            .iter()
            .map(|(k, n)| (k.as_str(), *n))
            .collect::<Vec<_>>(),
        [("figure", 1), ("note", 1)]
    );
    assert_eq!(
        report
            .liquid_tags
            .iter()
            .map(|(k, n)| (k.as_str(), *n))
            .collect::<Vec<_>>(),
        [("highlight", 1), ("include", 1)]
    );
    assert_eq!(
        report.featured_images,
        [
            FileNote {
                path: "posts/hugo-yaml.md".into(),
                note: "https://cdn.example/a.jpg".into()
            },
            FileNote {
                path: "posts/json-post.markdown".into(),
                note: "/images/j.png".into()
            },
        ]
    );
    assert_eq!(report.expiry_ignored.len(), 1);
    assert_eq!(report.expiry_ignored[0].path, "posts/hugo-yaml.md");
    assert_eq!(report.weight_ignored.len(), 1);
    assert_eq!(
        report.dated_by_file_time,
        ["notes/plain.md", "notes/untitled-note.md"]
    );
    assert!(report.sections.contains(&"Politics".to_owned()));
    let text = report.to_string();
    for expected in [
        "Articles: 9 saved, 9 new, 0 updated (1 draft, 7 published, 1 scheduled)",
        "Front matter: 5 YAML, 1 TOML, 1 JSON, 2 none",
        "Redirects: 7 old addresses to their articles",
        "Hugo shortcodes kept as text: figure ×1, note ×1",
        "Liquid tags kept as text: highlight ×1, include ×1",
        "  posts/hugo-yaml.md: https://cdn.example/a.jpg",
        "  posts/_index.md",
    ] {
        assert!(text.contains(expected), "{expected:?} not in\n{text}");
    }
}

async fn a_second_import_updates_and_never_duplicates(t: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path(), &[]);
    let first = import_markdown(&t.store, dir.path(), &opts())
        .await
        .unwrap();
    assert_eq!((first.created, first.updated), (9, 0));
    let before = article(&t.store, "posts/hugo-yaml.md").await;

    // The file is edited, one is added.
    let edited = format!("{HUGO_YAML}{HUGO_YAML_BODY}")
        .replace(
            "Council approves the budget",
            "Council approves the budget, again",
        )
        .replace("Intro paragraph", "Edited paragraph");
    site(
        dir.path(),
        &[
            ("posts/hugo-yaml.md", edited.as_bytes()),
            (
                "posts/new.md",
                b"---\ntitle: New one\ndate: 2024-02-02\n---\nNew.\n",
            ),
        ],
    );
    t.clock.advance(chrono::Duration::hours(1));
    let second = import_markdown(&t.store, dir.path(), &opts())
        .await
        .unwrap();
    println!("{second}");
    assert_eq!((second.created, second.updated), (1, 9));
    assert_eq!(total(&t.store).await, 10);
    let after = article(&t.store, "posts/hugo-yaml.md").await;
    assert_eq!(after.summary.id, before.summary.id);
    assert_eq!(after.summary.title, "Council approves the budget, again");
    assert_eq!(after.summary.slug, "custom-slug");
    assert!(after.body_source.starts_with("Edited paragraph"));
    assert!(after.version > before.version);
    // The redirects are the same ones, still leading to the same article.
    assert_eq!(markdown_redirects(&t.store).await.len(), 7);
    assert_eq!(
        leads_to(&t.store, "/old/hugo-yaml/").await,
        after.summary.path()
    );
    assert!(second.to_string().contains("1 new, 9 updated"));
}

async fn a_dry_run_writes_nothing_and_reports_the_same(t: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path(), &[]);
    let sections_before = t.store.sections().await.unwrap();
    let dry_opts = MarkdownOptions {
        dry_run: true,
        ..opts()
    };
    let dry = import_markdown(&t.store, dir.path(), &dry_opts)
        .await
        .unwrap();
    println!("{dry}");
    assert_eq!(total(&t.store).await, 0);
    assert!(markdown_redirects(&t.store).await.is_empty());
    assert!(t.store.tags().await.unwrap().is_empty());
    assert!(t.store.authors().await.unwrap().is_empty());
    assert_eq!(t.store.sections().await.unwrap(), sections_before);
    let text = dry.to_string();
    assert!(text.contains("dry run, nothing written"), "{text}");
    assert!(
        text.contains("Articles: 9 would be saved, 9 new, 0 updated"),
        "{text}"
    );

    let real = import_markdown(&t.store, dir.path(), &opts())
        .await
        .unwrap();
    let same = MarkdownReport {
        dry_run: true,
        redirects_written: 0,
        longest_batch: std::time::Duration::ZERO,
        ..real.clone()
    };
    assert_eq!(same, dry);

    // A dry run after the import foresees updates, and still writes nothing.
    let version = article(&t.store, "posts/hugo-yaml.md").await.version;
    let again = import_markdown(&t.store, dir.path(), &dry_opts)
        .await
        .unwrap();
    assert_eq!((again.created, again.updated), (0, 9));
    assert_eq!(
        article(&t.store, "posts/hugo-yaml.md").await.version,
        version
    );
}

async fn bad_files_hidden_files_and_section_lists_are_reported_and_the_rest_imported(t: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path(), &[]);
    // A link to a Markdown file outside the folder is not followed; one to a folder
    // inside is, but what it leads to is read once.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.md"), "# Outside\n").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            outside.path().join("secret.md"),
            dir.path().join("posts/outside.md"),
        )
        .unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("linked-folder")).unwrap();
        std::os::unix::fs::symlink(
            dir.path().join("notes"),
            dir.path().join("posts/notes-again"),
        )
        .unwrap();
    }
    let report = import_markdown(&t.store, dir.path(), &opts())
        .await
        .unwrap();
    println!("{report}");
    let reasons: Vec<(&str, &str)> = report
        .skipped
        .iter()
        .map(|n| (n.path.as_str(), n.note.as_str()))
        .collect();
    let reason = |path: &str| {
        reasons
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, r)| *r)
            .unwrap_or_else(|| panic!("{path} not reported in {reasons:?}"))
    };
    assert!(
        reason("bad/broken.md").starts_with("the YAML front matter is broken: line 1"),
        "{reasons:?}"
    );
    assert!(reason("bad/bad-date.md").contains("`date` \"next tuesday\" is not a date"));
    assert!(reason("bad/latin1.md").contains("not UTF-8"));
    #[cfg(unix)]
    {
        assert!(reason("posts/outside.md").contains("outside the folder"));
        assert!(reason("linked-folder").contains("outside the folder"));
        assert_eq!(report.skipped.len(), 5);
    }
    assert_eq!(report.articles, 9);
    assert_eq!(total(&t.store).await, 9);
    // Nothing of the bad, hidden or left-out files was written.
    for path in [
        "bad/broken.md",
        "bad/bad-date.md",
        "bad/latin1.md",
        ".hidden.md",
        ".git/notes.md",
        "posts/.scratch.md",
        "_includes/snippet.md",
        "posts/_index.md",
        "posts/outside.md",
        "posts/notes-again/plain.md",
    ] {
        assert_eq!(
            t.store
                .article_id_by_external_id(&format!("markdown:{path}"))
                .await
                .unwrap(),
            None,
            "{path}"
        );
    }
    assert_eq!(report.section_lists, ["posts/_index.md"]);
    assert_eq!(report.left_out_folders, ["_includes"]);
    assert_eq!(report.hidden, 3);
    assert_eq!(report.other_files, 2);
    let text = report.to_string();
    assert!(
        text.contains("\n  bad/latin1.md: the file is not UTF-8"),
        "{text}"
    );
    assert!(text.contains("Folders left out (templates, data, built site): _includes"));
}

async fn a_folder_that_is_not_there_is_a_clear_error(t: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = import_markdown(&t.store, &missing, &opts())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope"), "{err}");
    let file = dir.path().join("file.md");
    std::fs::write(&file, "# A file\n").unwrap();
    let err = import_markdown(&t.store, &file, &opts())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("is not a folder"), "{err}");
}
