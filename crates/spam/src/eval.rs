//! Held-out evaluation, shared by the quality test and `bench/spam-quality`, so that
//! both measure exactly the same thing.

use crate::model::Rng;
use crate::{Classifier, CommentText, normalise};
use std::collections::HashSet;

/// Seed of the fold assignment: every run splits the same way.
const FOLD_SEED: u64 = 0x0f01_d5ee_d000_0001;
/// The false-positive rate the classifier is trained for in evaluation.
pub const TARGET_FALSE_POSITIVE_RATE: f64 = 0.02;

/// What one held-out fold measured.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldResult {
    pub fold: usize,
    /// Share of the fold's spam scored at or above the threshold.
    pub recall: f64,
    /// Share of the fold's ham scored at or above the threshold.
    pub false_positive_rate: f64,
    /// Spam examples in the fold.
    pub spam: usize,
    /// Ham examples in the fold.
    pub ham: usize,
    /// The threshold the classifier fixed on its training folds.
    pub threshold: f32,
}

/// Deduplicates `(author, text, spam)` examples by [`normalise`]d text (first one
/// wins: a repeated comment in two folds would let the test peek at its training data),
/// shuffles them with a fixed seed into `folds` stratified folds, trains
/// [`Classifier::train`] at a 2% false-positive target on all folds but `fold`, and
/// measures recall and false-positive rate on `fold`.
///
/// # Panics
/// If `fold >= folds` or `folds < 2`.
pub fn evaluate_fold(examples: &[(String, String, bool)], folds: usize, fold: usize) -> FoldResult {
    assert!(folds >= 2 && fold < folds, "fold {fold} of {folds} folds");
    let mut seen = HashSet::new();
    let unique: Vec<&(String, String, bool)> = examples
        .iter()
        .filter(|(_, text, _)| seen.insert(normalise(text)))
        .collect();
    // Stratified: each class shuffled and dealt round-robin, so every fold has the
    // corpus's share of spam.
    let mut rng = Rng::new(FOLD_SEED);
    let mut test = Vec::new();
    let mut train = Vec::new();
    for class in [true, false] {
        let mut rows: Vec<&(String, String, bool)> =
            unique.iter().copied().filter(|e| e.2 == class).collect();
        rng.shuffle(&mut rows);
        for (k, row) in rows.into_iter().enumerate() {
            if k % folds == fold {
                test.push(row);
            } else {
                train.push(row);
            }
        }
    }
    let training: Vec<(CommentText<'_>, bool)> = train.into_iter().map(as_comment).collect();
    let model = Classifier::train(&training, TARGET_FALSE_POSITIVE_RATE);
    let (mut spam, mut ham, mut caught, mut false_alarms) = (0usize, 0usize, 0usize, 0usize);
    for row in test {
        let (c, is_spam) = as_comment(row);
        let flagged = model.is_spam(&c);
        if is_spam {
            spam += 1;
            caught += usize::from(flagged);
        } else {
            ham += 1;
            false_alarms += usize::from(flagged);
        }
    }
    let rate = |n: usize, d: usize| if d == 0 { 0.0 } else { n as f64 / d as f64 };
    FoldResult {
        fold,
        recall: rate(caught, spam),
        false_positive_rate: rate(false_alarms, ham),
        spam,
        ham,
        threshold: model.threshold(),
    }
}

fn as_comment((author, text, spam): &(String, String, bool)) -> (CommentText<'_>, bool) {
    (
        CommentText {
            author,
            email: "",
            url: "",
            text,
        },
        *spam,
    )
}
