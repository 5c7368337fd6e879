//! Trains the shipped model on both corpora and writes `crates/spam/model/shipped.bin`.
//!
//! ```text
//! cargo run --release -p masthead-spam --example train [-- CORPUS_DIR [OUTPUT]]
//! ```
//!
//! `CORPUS_DIR` defaults to `../shared/corpus` beside the repository, `OUTPUT` to the
//! shipped model's path.
//!
//! The corpora (CC BY 4.0): the YouTube Spam Collection (Alberto, Lochter and Almeida,
//! ICMLA 2015) and the SMS Spam Collection (Almeida, Gómez Hidalgo and Yamakami,
//! DocEng 2011). Comments repeated within or across them are kept once (the first), so
//! a spam campaign pasted a hundred times does not count a hundred times. They are
//! given to [`Classifier::train_sources`] as two sources, so the threshold holds the
//! false-positive target on the YouTube comments — the nearer kind of text to a news
//! site's comments — and not only on the pooled, mostly-SMS ham.

mod common;

use masthead_spam::{Classifier, CommentText, TARGET_FALSE_POSITIVE_RATE, normalise};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const CORPORA: [(&str, &str); 2] = [("youtube-spam.jsonl", "YouTube"), ("sms-spam.jsonl", "SMS")];

fn main() -> ExitCode {
    let dir = common::corpus_dir();
    let mut seen = HashSet::new();
    let mut corpora = Vec::new();
    for (file, name) in CORPORA {
        let mut examples = match common::read_corpus(&dir.join(file)) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        let read = examples.len();
        examples.retain(|(_, text, _)| seen.insert(normalise(text)));
        let spam = examples.iter().filter(|e| e.2).count();
        println!(
            "{name}: {read} examples read, {} after deduplication ({spam} spam, {} ham)",
            examples.len(),
            examples.len() - spam
        );
        corpora.push((name, examples));
    }
    let sources: Vec<Vec<(CommentText<'_>, bool)>> = corpora
        .iter()
        .map(|(_, examples)| {
            examples
                .iter()
                .map(|(author, text, spam)| {
                    (
                        CommentText {
                            author,
                            email: "",
                            url: "",
                            text,
                        },
                        *spam,
                    )
                })
                .collect()
        })
        .collect();
    let slices: Vec<&[(CommentText<'_>, bool)]> = sources.iter().map(Vec::as_slice).collect();
    let start = Instant::now();
    let model = Classifier::train_sources(&slices, TARGET_FALSE_POSITIVE_RATE);
    println!(
        "trained in {:.2} s; threshold {:.4}",
        start.elapsed().as_secs_f64(),
        model.threshold()
    );
    for ((name, _), examples) in corpora.iter().zip(&sources) {
        let (mut spam, mut caught, mut ham, mut false_alarms) = (0usize, 0usize, 0usize, 0usize);
        for (c, is_spam) in examples {
            let flagged = model.is_spam(c);
            if *is_spam {
                spam += 1;
                caught += usize::from(flagged);
            } else {
                ham += 1;
                false_alarms += usize::from(flagged);
            }
        }
        println!(
            "{name}, on its own training data (optimistic; bench/spam-quality measures held out): \
             recall {:.4}, false-positive rate {:.4}",
            caught as f64 / spam.max(1) as f64,
            false_alarms as f64 / ham.max(1) as f64
        );
    }
    let bytes = model.to_bytes();
    let path = match std::env::args_os().nth(2) {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("model/shipped.bin"),
    };
    if let Err(e) = std::fs::write(&path, &bytes) {
        eprintln!("error: cannot write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {} ({} bytes)", path.display(), bytes.len());
    ExitCode::SUCCESS
}
