//! Held-out quality of the classifier: 5 folds of each corpus, threshold fixed on the
//! training folds only, at a 2% false-positive target. Prints a table and exits
//! non-zero if a target is missed.
//!
//! ```text
//! cargo run --release -p masthead-spam --example evaluate [-- CORPUS_DIR]
//! ```

mod common;

use masthead_spam::{Classifier, CommentText, TARGET_FALSE_POSITIVE_RATE, evaluate_fold};
use std::process::ExitCode;
use std::time::Instant;

const FOLDS: usize = 5;

/// (file, name, minimum mean recall)
const CORPORA: [(&str, &str, f64); 2] = [
    ("youtube-spam.jsonl", "YouTube", 0.92),
    ("sms-spam.jsonl", "SMS", 0.95),
];

fn main() -> ExitCode {
    let dir = common::corpus_dir();
    let mut failures = Vec::new();
    let mut texts = Vec::new();
    for (file, name, min_recall) in CORPORA {
        let examples = match common::read_corpus(&dir.join(file)) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        println!("\n{name} ({} examples, {FOLDS} folds)", examples.len());
        texts.extend(
            examples
                .iter()
                .map(|(author, text, _)| (author.clone(), text.clone())),
        );
        println!(
            "{:>5} {:>6} {:>6} {:>9} {:>8} {:>9} {:>9}",
            "fold", "spam", "ham", "threshold", "recall", "FPR", "seconds"
        );
        let (mut recall, mut fpr, mut worst_fpr) = (0.0, 0.0, 0.0f64);
        for fold in 0..FOLDS {
            let start = Instant::now();
            let r = evaluate_fold(&examples, FOLDS, fold);
            println!(
                "{:>5} {:>6} {:>6} {:>9.4} {:>8.4} {:>9.4} {:>9.2}",
                r.fold,
                r.spam,
                r.ham,
                r.threshold,
                r.recall,
                r.false_positive_rate,
                start.elapsed().as_secs_f64()
            );
            recall += r.recall / FOLDS as f64;
            fpr += r.false_positive_rate / FOLDS as f64;
            worst_fpr = worst_fpr.max(r.false_positive_rate);
        }
        println!(
            "{:>5} {:>6} {:>6} {:>9} {:>8.4} {:>9.4}   (worst fold FPR {:.4})",
            "mean", "", "", "", recall, fpr, worst_fpr
        );
        if recall < min_recall {
            failures.push(format!("{name}: mean recall {recall:.4} < {min_recall}"));
        }
        if fpr > TARGET_FALSE_POSITIVE_RATE {
            failures.push(format!(
                "{name}: mean false-positive rate {fpr:.4} > {TARGET_FALSE_POSITIVE_RATE}"
            ));
        }
    }
    // Speed of the shipped model on every text of both corpora.
    let model = Classifier::shipped();
    let start = Instant::now();
    let flagged = texts
        .iter()
        .filter(|(author, text)| {
            model.is_spam(&CommentText {
                author,
                email: "",
                url: "",
                text,
            })
        })
        .count();
    let elapsed = start.elapsed();
    println!(
        "\nshipped model: {} comments scored in {:.3} s, {:.1} µs each ({flagged} flagged)",
        texts.len(),
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / texts.len().max(1) as f64
    );
    if failures.is_empty() {
        println!("\nall targets met");
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            eprintln!("target missed: {f}");
        }
        ExitCode::FAILURE
    }
}
