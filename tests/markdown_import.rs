//! `masthead import markdown DIR` as an operator runs it: a dry run, the import, a
//! bad file reported on the way, and a folder that is not there.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use masthead_store::Store;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_masthead");

fn run(args: &[&str], dir: &Path, data: &Path) -> Output {
    Command::new(BIN)
        .args(["import", "markdown"])
        .arg(dir)
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("MASTHEAD_DATABASE_URL")
        .env_remove("MASTHEAD_CONFIG")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn a_folder_is_imported_with_a_report_and_its_aliases_redirect() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("content");
    std::fs::create_dir_all(dir.join("posts/bundle")).unwrap();
    std::fs::write(
        dir.join("posts/first.md"),
        "---\ntitle: First story\ndate: 2024-03-01 10:00\ncategories: [City]\naliases: [/old/first/]\n---\nHello **world**.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("posts/bundle/index.md"),
        "+++\ntitle = \"Bundled\"\ndate = 2024-03-02T08:00:00Z\n+++\nBody.\n",
    )
    .unwrap();
    std::fs::write(dir.join("posts/broken.md"), "---\ntitle: [\n---\n").unwrap();
    let data = tmp.path().join("data");

    let dry = stdout(&run(
        &["--dry-run", "--timezone", "Europe/Berlin"],
        &dir,
        &data,
    ));
    assert!(dry.contains("dry run, nothing written"), "{dry}");
    assert!(
        dry.contains("Articles: 2 would be saved, 2 new, 0 updated"),
        "{dry}"
    );

    let real = stdout(&run(&["--timezone", "Europe/Berlin"], &dir, &data));
    assert!(
        real.contains("Articles: 2 saved, 2 new, 0 updated"),
        "{real}"
    );
    assert!(
        real.contains("Redirects: 1 old address to their articles"),
        "{real}"
    );
    assert!(
        real.contains("  posts/broken.md: the YAML front matter is broken"),
        "{real}"
    );
    let again = stdout(&run(&["--timezone", "Europe/Berlin"], &dir, &data));
    assert!(
        again.contains("Articles: 2 saved, 0 new, 2 updated"),
        "{again}"
    );

    // The local date was read in Berlin time, and the alias leads to the article.
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
        let id = store
            .article_id_by_external_id("markdown:posts/first.md")
            .await
            .unwrap()
            .unwrap();
        let a = store.article(id).await.unwrap().unwrap();
        assert_eq!(
            a.summary.published_at.unwrap().to_rfc3339(),
            "2024-03-01T09:00:00+00:00"
        );
        assert_eq!(a.summary.section.name, "City");
        let hit = store.redirect_for("/old/first/").await.unwrap().unwrap();
        assert_eq!(hit.status, 301);
        assert_eq!(hit.location, a.summary.path());
        store.close().await;
    });
}

#[test]
fn a_folder_that_is_not_there_is_one_clear_sentence() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&[], &tmp.path().join("missing"), &tmp.path().join("data"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing is not a folder"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
