//! Held-out quality on the real corpora, and the shipped model's behaviour.
//!
//! The corpora live in `../shared/corpus` beside the repository. Without them the
//! corpus tests skip loudly; under `CI=true` they fail instead.

#[path = "../examples/common/mod.rs"]
#[allow(dead_code, reason = "shared with the examples, which use all of it")]
mod common;

use masthead_spam::{Classifier, CommentText, evaluate_fold};

/// One fixed fold (0 of 5): the bench runs all five.
const FOLDS: usize = 5;

fn corpus(name: &str) -> Option<Vec<(String, String, bool)>> {
    let path = masthead_testkit::corpus_file(name)?;
    Some(common::read_corpus(&path).expect("corpus reads"))
}

#[test]
fn youtube_fold_0_meets_the_targets() {
    let Some(examples) = corpus("youtube-spam.jsonl") else {
        return;
    };
    let r = evaluate_fold(&examples, FOLDS, 0);
    eprintln!("YouTube fold 0: {r:?}");
    assert!(r.spam > 100 && r.ham > 100, "{r:?}");
    assert!(r.recall >= 0.92, "recall {} < 0.92 ({r:?})", r.recall);
    assert!(
        r.false_positive_rate <= 0.02,
        "false-positive rate {} > 0.02 ({r:?})",
        r.false_positive_rate
    );
}

#[test]
fn sms_fold_0_meets_the_targets() {
    let Some(examples) = corpus("sms-spam.jsonl") else {
        return;
    };
    let r = evaluate_fold(&examples, FOLDS, 0);
    eprintln!("SMS fold 0: {r:?}");
    assert!(r.spam > 100 && r.ham > 500, "{r:?}");
    assert!(r.recall >= 0.95, "recall {} < 0.95 ({r:?})", r.recall);
    assert!(
        r.false_positive_rate <= 0.02,
        "false-positive rate {} > 0.02 ({r:?})",
        r.false_positive_rate
    );
}

/// Written for this test, in the style of what a news site's comment form receives.
const OBVIOUS_SPAM: &[&str] = &[
    "Check out my channel and subscribe!!! I sub back http://bit.ly/xyzzy",
    "WINNER!! You have been selected for a £1000 cash prize. Call 09061701999 now to claim",
    "Earn $500 a day working from home, visit www.easy-cash-online.com now!!!",
    "FREE entry to win a brand new phone, text WIN to 80088 now. 150p/msg",
    "hey guys please check out my new music video and subscribe to my channel",
];

const OBVIOUS_HAM: &[&str] = &[
    "Thoughtful piece, though I think the council's budget figures are a year out of date.",
    "My grandfather worked at that mill for thirty years; thanks for writing about it.",
    "I disagree with the columnist, but it is a fair argument and well made.",
    "The caption under the second photo has the wrong bridge in it.",
    "Great to see the library staying open on Saturdays.",
];

#[test]
fn the_shipped_model_loads_and_classifies_obvious_examples() {
    let model = Classifier::shipped();
    let t = model.threshold();
    assert!(t > 0.0 && t < 1.0, "threshold {t}");
    for text in OBVIOUS_SPAM {
        let s = model.score(&CommentText::text_only(text));
        assert!(s >= t, "spam scored {s} < {t}: {text}");
    }
    for text in OBVIOUS_HAM {
        let s = model.score(&CommentText::text_only(text));
        assert!(s < t, "ham scored {s} >= {t}: {text}");
    }
    let bytes = model.to_bytes();
    assert!(bytes.len() < 2_000_000, "model is {} bytes", bytes.len());
    let back = Classifier::from_bytes(&bytes).expect("round trip");
    assert_eq!(back.to_bytes(), bytes);
}

#[test]
fn learning_on_the_shipped_model_flips_verdicts_and_replays_identically() {
    let decisions: &[(&str, bool)] = &[
        (
            "Lovely report on the harbour, do visit our marina boutique for summer deals",
            true,
        ),
        (
            "Order genuine hand-knitted scarves from grannyknits shop today",
            true,
        ),
        (
            "Check out my channel and subscribe, this is our parish choir's new recording",
            false,
        ),
        (
            "Text the helpline on 08001234567 if you were affected by the flooding",
            false,
        ),
    ];
    let reworded: &[(&str, bool)] = &[
        (
            "Lovely report on the harbour, please visit our marina boutique for summer deals",
            true,
        ),
        (
            "Order genuine hand-knitted scarves from the grannyknits shop now",
            true,
        ),
        (
            "Check out my channel and subscribe, it is our parish choir's new recording",
            false,
        ),
        (
            "Text the helpline on 08001234567 if you were hit by the flooding",
            false,
        ),
    ];
    let replay = || {
        let mut m = Classifier::shipped();
        for (text, spam) in decisions {
            m.learn(&CommentText::text_only(text), *spam);
        }
        m
    };
    let model = replay();
    for (text, spam) in decisions.iter().chain(reworded) {
        let s = model.score(&CommentText::text_only(text));
        assert_eq!(
            s >= model.threshold(),
            *spam,
            "after learning, {text:?} scores {s} against {}",
            model.threshold()
        );
    }
    assert_eq!(
        replay().to_bytes(),
        model.to_bytes(),
        "replay is deterministic"
    );
    for text in OBVIOUS_SPAM {
        assert!(model.is_spam(&CommentText::text_only(text)), "{text}");
    }
    for text in OBVIOUS_HAM {
        assert!(!model.is_spam(&CommentText::text_only(text)), "{text}");
    }
}

/// Moderator decisions must not wreck the model elsewhere: after them, the verdicts on
/// the corpora (which the shipped model was trained on) barely move.
#[test]
fn learning_leaves_other_verdicts_alone() {
    let (Some(youtube), Some(sms)) = (corpus("youtube-spam.jsonl"), corpus("sms-spam.jsonl"))
    else {
        return;
    };
    let shipped = Classifier::shipped();
    let mut taught = shipped.clone();
    for (text, spam) in [
        (
            "Lovely report on the harbour, do visit our marina boutique for summer deals",
            true,
        ),
        (
            "I love this song so much, it reminds me of my holidays",
            true,
        ),
        (
            "Call me on 07700900123 about the football tickets tonight",
            false,
        ),
        (
            "Subscribe to our newsletter at townnews.example for more local stories",
            false,
        ),
        (
            "Order genuine hand-knitted scarves from grannyknits shop today",
            true,
        ),
    ] {
        taught.learn(&CommentText::text_only(text), spam);
    }
    let all: Vec<&(String, String, bool)> = youtube.iter().chain(&sms).collect();
    let changed = all
        .iter()
        .filter(|(author, text, _)| {
            let c = CommentText {
                author,
                email: "",
                url: "",
                text,
            };
            shipped.is_spam(&c) != taught.is_spam(&c)
        })
        .count();
    eprintln!("{changed} of {} verdicts changed", all.len());
    assert!(
        changed * 100 <= all.len(),
        "{changed} of {} verdicts changed",
        all.len()
    );
}
