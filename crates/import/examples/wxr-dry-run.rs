//! Times a dry-run WXR import of one file, as `masthead import wxr FILE --dry-run` does
//! it, and prints the report: for measuring the importer's CPU side without building the
//! server.
//!
//!     cargo build --release -j 1 -p masthead-import --example wxr-dry-run
//!     target/release/examples/wxr-dry-run FILE [RUNS]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark tool: a failure stops it loudly"
)]

use masthead_core::SystemClock;
use masthead_import::wxr::{WxrOptions, import_wxr};
use masthead_store::{Store, StoreOptions};
use std::io::BufReader;
use std::sync::Arc;
use std::time::Instant;

/// The allocator the `masthead` binary uses, so the timings match the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let file = args.next().expect("usage: wxr-dry-run FILE [RUNS]");
    let runs: usize = args.next().map(|n| n.parse().unwrap()).unwrap_or(1);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("site.db").display());
    let mut opts = StoreOptions::new(&url);
    opts.memory_map = false;
    let store = Store::open(&opts, Arc::new(SystemClock)).await.unwrap();
    store.migrate().await.unwrap();
    let wxr = WxrOptions {
        dry_run: true,
        ..WxrOptions::default()
    };
    for run in 0..runs {
        let mut open = || {
            std::fs::File::open(&file)
                .map(|h| BufReader::with_capacity(1 << 16, h))
                .map_err(|e| masthead_import::ImportError::Invalid(e.to_string()))
        };
        let started = Instant::now();
        let report = import_wxr(&store, &mut open, &wxr, &mut |_, _| {})
            .await
            .unwrap();
        eprintln!("run {run}: {:.3} s", started.elapsed().as_secs_f64());
        if run + 1 == runs {
            for line in report.lines() {
                println!("{line}");
            }
        }
    }
    store.close().await;
}
