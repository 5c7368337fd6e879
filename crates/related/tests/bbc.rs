//! BBC News, text only: precision@4 on the odd lines with the default settings (the
//! even lines were used for tuning). `bench/related-quality` reports the rest.
//!
//! The corpus lives in `../shared/corpus` beside the repository. Without it this test
//! skips loudly; under `CI=true` it fails instead.

#[path = "../examples/common/mod.rs"]
#[allow(
    dead_code,
    reason = "shared with the quality example, which uses all of it"
)]
mod common;

use masthead_related::Settings;
use std::path::Path;

fn strict() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

#[test]
fn bbc_precision_at_4_meets_the_target() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/bbc-news.jsonl");
    if !path.is_file() {
        let what = format!("{} is not here", path.display());
        assert!(!strict(), "CI=true but {what}");
        eprintln!("\n!!! SKIPPED: {what} !!!\n");
        return;
    }
    let bbc = common::read_corpus(&path).expect("corpus reads");
    assert_eq!(bbc.len(), 2225);
    let groups = common::duplicate_groups(&bbc);
    let index = common::build_index(&bbc, Settings::default());
    let p = common::precision_at_4(&bbc, &groups, common::odd_lines(bbc.len()), |i| {
        index
            .related(bbc[i].key, 4, &[])
            .into_iter()
            .map(|r| r.key)
            .collect()
    });
    eprintln!("BBC odd-line precision@4: {p:.4}");
    assert!(p >= 0.93, "precision@4 {p:.4} < 0.93");
}
