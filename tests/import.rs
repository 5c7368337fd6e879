//! JSON Lines import: the real corpora, idempotent re-imports, bad lines reported by
//! line number, whole batches only after a crash, and importing into a running site.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use masthead_import::{JsonlOptions, import_jsonl};
use masthead_store::ArticleFilter;
use masthead_testkit::{TestDb, corpus_file};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_masthead");

http_tests!(the_bbc_corpus_imports_whole_and_reimports_as_updates);

async fn the_bbc_corpus_imports_whole_and_reimports_as_updates(db: TestDb) {
    let Some(path) = corpus_file("bbc-news.jsonl") else {
        return;
    };
    let t = db.store().await;
    let open = || BufReader::new(std::fs::File::open(&path).unwrap());
    let opts = JsonlOptions::default();
    let report = import_jsonl(&t.store, open(), "bbc-news.jsonl", &opts, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(
        (report.lines, report.imported, report.updated),
        (2225, 2225, 0),
        "{:?}",
        report.skipped
    );
    assert!(report.skipped.is_empty());
    assert_eq!(
        t.store
            .count_public(&ArticleFilter::default())
            .await
            .unwrap(),
        2225
    );
    let sections: Vec<String> = t
        .store
        .sections()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.slug)
        .collect();
    for s in ["business", "entertainment", "politics", "sport", "tech"] {
        assert!(sections.contains(&s.to_owned()), "{s}");
    }
    let again = import_jsonl(&t.store, open(), "bbc-news.jsonl", &opts, &mut |_| {})
        .await
        .unwrap();
    assert_eq!((again.imported, again.updated), (0, 2225));
    assert_eq!(
        t.store
            .count_public(&ArticleFilter::default())
            .await
            .unwrap(),
        2225,
        "no duplicates"
    );
    // Paragraphs of plain text became paragraphs of HTML, and the excerpt is cut short.
    let (list, _) = t
        .store
        .list_public(
            &ArticleFilter::default(),
            masthead_core::paging::PageRequest::new(1, 1),
        )
        .await
        .unwrap();
    let a = t.store.article(list[0].id).await.unwrap().unwrap();
    assert!(a.body_html.starts_with("<p>") && a.body_html.matches("<p>").count() > 2);
    assert!(a.summary.excerpt.split_whitespace().count() <= 55);
    assert!(
        a.summary
            .external_id
            .as_deref()
            .unwrap()
            .starts_with("bbc-")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reuters_corpus_imports_with_its_index_terms_as_tags() {
    let Some(path) = corpus_file("reuters-21578.jsonl") else {
        return;
    };
    let db = TestDb::sqlite();
    let t = db.store().await;
    let opts = JsonlOptions {
        timezone: chrono_tz::America::New_York,
        tag_fields: vec!["places".into(), "people".into(), "orgs".into()],
        ..JsonlOptions::default()
    };
    let started = Instant::now();
    let file = BufReader::new(std::fs::File::open(&path).unwrap());
    let report = import_jsonl(&t.store, file, "reuters-21578.jsonl", &opts, &mut |_| {})
        .await
        .unwrap();
    eprintln!(
        "Reuters: {} articles in {:?}",
        report.imported,
        started.elapsed()
    );
    assert_eq!(report.lines, 19043);
    assert_eq!(
        report.imported + report.updated,
        19043,
        "{:?}",
        &report.skipped[..report.skipped.len().min(5)]
    );
    let usa = t
        .store
        .tag_by_slug("usa")
        .await
        .unwrap()
        .expect("places became tags");
    let f = ArticleFilter {
        tag_id: Some(usa.id),
        ..Default::default()
    };
    assert!(t.store.count_public(&f).await.unwrap() > 5000);
    // The first story's local New York time is kept as its publication time.
    let f = ArticleFilter {
        date_from: chrono::NaiveDate::from_ymd_opt(1987, 2, 26),
        date_until: chrono::NaiveDate::from_ymd_opt(1987, 2, 27),
        ..Default::default()
    };
    assert!(t.store.count_public(&f).await.unwrap() > 100);
}

fn write_lines(path: &std::path::Path, lines: &[String]) {
    let mut f = std::fs::File::create(path).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
}

fn line(i: usize) -> String {
    serde_json::json!({
        "id": format!("gen-{i}"),
        "title": format!("Generated story number {i}"),
        "body": format!("Paragraph one of story {i}.\n\nParagraph two."),
        "category": if i.is_multiple_of(2) { "City" } else { "Sport" },
        "date": format!("2026-01-{:02}T10:00:00", 1 + i % 28),
        "author": "Wire Desk",
        "tags": ["generated"],
        "ignored_field": {"nested": true},
    })
    .to_string()
}

#[test]
fn bad_lines_are_reported_by_file_and_line_and_the_rest_imports() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mixed.jsonl");
    write_lines(
        &file,
        &[
            line(1),
            "{not json".to_owned(),
            r#"{"body":"no title"}"#.to_owned(),
            line(2),
            r#"{"title":"Bad date","body":"x","date":"next tuesday"}"#.to_owned(),
            String::new(),
            line(3),
        ],
    );
    let out = Command::new(BIN)
        .args(["import", "jsonl", "mixed.jsonl", "--quiet"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("mixed.jsonl:2: not valid JSON"), "{stderr}");
    assert!(
        stderr.contains("mixed.jsonl:3: `title` is missing or empty"),
        "{stderr}"
    );
    assert!(stderr.contains("mixed.jsonl:5: `date`"), "{stderr}");
    assert!(
        stdout.contains("imported 3, updated 0, skipped 3"),
        "{stdout}"
    );
    let again = Command::new(BIN)
        .args(["import", "jsonl", "mixed.jsonl", "--quiet"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("imported 0, updated 3, skipped 3"));
}

async fn public_count(data: &std::path::Path) -> i64 {
    let store = masthead_store::Store::open(
        &masthead_store::StoreOptions::new(format!(
            "sqlite://{}",
            data.join("masthead.db").display()
        )),
        std::sync::Arc::new(masthead_core::SystemClock),
    )
    .await
    .unwrap();
    // The importer may not have created the tables yet.
    if store.schema_version().await.unwrap() < store.known_schema_version() {
        store.close().await;
        return 0;
    }
    let n = store.count_public(&ArticleFilter::default()).await.unwrap();
    store.close().await;
    n
}

#[tokio::test]
async fn a_killed_import_leaves_whole_batches_and_a_rerun_completes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.jsonl");
    write_lines(&file, &(0..3000).map(line).collect::<Vec<_>>());
    let data = dir.path().join("data");
    let mut child = Command::new(BIN)
        .args([
            "import",
            "jsonl",
            "big.jsonl",
            "--quiet",
            "--batch-size",
            "50",
            "--data",
            "data",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once it has written something (or finished; either way the rule holds).
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if data.join("masthead.db").exists() && public_count(&data).await > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let partial = public_count(&data).await;
    assert_eq!(partial % 50, 0, "only whole batches: {partial}");
    let rerun = Command::new(BIN)
        .args(["import", "jsonl", "big.jsonl", "--quiet", "--data", "data"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(rerun.status.success());
    assert_eq!(public_count(&data).await, 3000);
    // The import left the site searchable: every article in a complete search index.
    let index = masthead_search::IndexFolders::new(data.join("search"))
        .open_current()
        .expect("the import built a search index");
    assert!(index.is_complete());
    assert_eq!(index.len(), 3000);
}

#[test]
fn importing_into_a_running_site_shows_up_within_two_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(BIN)
        .args([
            "serve",
            "--no-demo",
            "--addr",
            "127.0.0.1:0",
            "--data",
            "data",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let base = first_line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let home = || {
        rt.block_on(async {
            reqwest::get(format!("{base}/"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        })
    };
    assert!(home().contains("No stories have been published yet."));
    let file = dir.path().join("live.jsonl");
    write_lines(&file, &(0..400).map(line).collect::<Vec<_>>());
    let import = Command::new(BIN)
        .args(["import", "jsonl", "live.jsonl", "--quiet", "--data", "data"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let done = Instant::now();
    loop {
        let page = home();
        if page.contains("Generated story number") {
            break;
        }
        assert!(
            done.elapsed() < Duration::from_secs(2),
            "the running site did not show the import within 2 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = server.kill();
    let _ = server.wait();
}
