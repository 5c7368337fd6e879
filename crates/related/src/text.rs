//! Turning text into index terms: Unicode words, lower case, accents folded, numbers and
//! stop words dropped, English stems.
//!
//! Stems let "election" and "elections" meet; folding lets "café" meet "cafe". The word
//! as the reader saw it (lower-cased) is kept beside each stem, so explanations can show
//! "elections" rather than "elect".

use rust_stemmers::{Algorithm, Stemmer};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

/// Common English words that say nothing about what a story is about. The usual
/// function words, plus the reporting verbs and honorifics every news story is full of.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "aren",
    "arent",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "cannot",
    "cant",
    "could",
    "couldn",
    "couldnt",
    "did",
    "didn",
    "didnt",
    "do",
    "does",
    "doesn",
    "doesnt",
    "doing",
    "don",
    "dont",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "hadn",
    "hadnt",
    "has",
    "hasn",
    "hasnt",
    "have",
    "haven",
    "havent",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "id",
    "if",
    "im",
    "in",
    "into",
    "is",
    "isn",
    "isnt",
    "it",
    "its",
    "itself",
    "ive",
    "just",
    "ll",
    "may",
    "me",
    "might",
    "more",
    "most",
    "mr",
    "mrs",
    "ms",
    "must",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "ought",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "re",
    "said",
    "same",
    "say",
    "says",
    "shall",
    "shan",
    "she",
    "should",
    "shouldn",
    "shouldnt",
    "so",
    "some",
    "such",
    "than",
    "that",
    "thats",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "theyre",
    "theyve",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "ve",
    "very",
    "was",
    "wasn",
    "wasnt",
    "we",
    "were",
    "weren",
    "werent",
    "weve",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "won",
    "wont",
    "would",
    "wouldn",
    "wouldnt",
    "you",
    "your",
    "youre",
    "yours",
    "yourself",
    "yourselves",
    "youve",
];

/// Words whose stems are remembered, at most: stemming is most of the cost of indexing,
/// and a site's vocabulary repeats; past this the cache starts over.
const STEM_CACHE: usize = 100_000;

/// Splits text into terms.
pub(crate) struct Analyzer {
    stemmer: Stemmer,
    /// Folded word → stem. Locked once per text, so concurrent queries only wait on
    /// each other while they analyse a draft.
    cache: Mutex<HashMap<String, Box<str>>>,
}

impl Analyzer {
    pub(crate) fn new() -> Self {
        Analyzer {
            stemmer: Stemmer::create(Algorithm::English),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Bytes held by the stem cache (approximate).
    pub(crate) fn heap_bytes(&self) -> usize {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.capacity() * (std::mem::size_of::<(String, Box<str>)>() + 8)
            + cache
                .iter()
                .map(|(k, v)| k.capacity() + v.len())
                .sum::<usize>()
    }

    /// Calls `f(stem, word)` for every term of `text`, in order; `word` is the lower-cased
    /// word as written (possessive and apostrophes removed).
    pub(crate) fn each_term(&self, text: &str, mut f: impl FnMut(&str, &str)) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() > STEM_CACHE {
            cache.clear();
        }
        let cache = &mut *cache;
        let mut word = String::new();
        let mut folded = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_alphanumeric() {
                word.extend(c.to_lowercase());
                continue;
            }
            // An apostrophe inside a word ("don't", "Britain's") keeps the word together.
            if (c == '\'' || c == '’')
                && !word.is_empty()
                && chars.peek().is_some_and(|n| n.is_alphanumeric())
            {
                word.push('\'');
                continue;
            }
            self.finish(&mut word, &mut folded, cache, &mut f);
        }
        self.finish(&mut word, &mut folded, cache, &mut f);
    }

    fn finish(
        &self,
        word: &mut String,
        folded: &mut String,
        cache: &mut HashMap<String, Box<str>>,
        f: &mut impl FnMut(&str, &str),
    ) {
        if word.is_empty() {
            return;
        }
        if word.ends_with("'s") {
            word.truncate(word.len() - 2);
        }
        word.retain(|c| c != '\'');
        folded.clear();
        if word.is_ascii() {
            folded.push_str(word);
        } else {
            folded.extend(
                deunicode::deunicode(word)
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .map(|c| c.to_ascii_lowercase()),
            );
        }
        let keep = folded.len() >= 2
            && !folded.bytes().all(|b| b.is_ascii_digit())
            && STOP_WORDS.binary_search(&folded.as_str()).is_err();
        if keep {
            match cache.get(folded.as_str()) {
                Some(stem) => f(stem, word),
                None => {
                    let stem: Box<str> = self.stemmer.stem(folded).into();
                    f(&stem, word);
                    cache.insert(folded.clone(), stem);
                }
            }
        }
        word.clear();
    }
}

/// A hash of the title with case, punctuation and spacing ignored: two stories with the
/// same headline are the same story for readers. `0` for a title with no words.
pub(crate) fn title_hash(title: &str) -> u64 {
    let mut norm = String::with_capacity(title.len());
    for w in title.split(|c: char| !c.is_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        if !norm.is_empty() {
            norm.push(' ');
        }
        norm.extend(w.chars().flat_map(char::to_lowercase));
    }
    if norm.is_empty() {
        return 0;
    }
    // SipHash with fixed keys: the same value in every process.
    let mut h = DefaultHasher::new();
    norm.hash(&mut h);
    h.finish().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        Analyzer::new().each_term(text, |s, w| out.push((s.to_string(), w.to_string())));
        out
    }

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn words_are_lowered_folded_stemmed_and_filtered() {
        let t = terms("The Elections in Zürich's café: 2005 votes, don't panic!");
        let stems: Vec<&str> = t.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(stems, ["elect", "zurich", "cafe", "vote", "panic"]);
        assert_eq!(t[0].1, "elections");
        assert_eq!(t[1].1, "zürich");
    }

    #[test]
    fn titles_compare_without_case_or_punctuation() {
        assert_eq!(
            title_hash("Budget  day: tax rises"),
            title_hash("budget day - Tax rises")
        );
        assert_ne!(title_hash("Budget day"), title_hash("Budget night"));
        assert_eq!(title_hash(" -- "), 0);
    }
}
