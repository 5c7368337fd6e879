//! Shared by the `quality` example and the `known_item` test: reading the corpora,
//! making the known-item queries, and scoring them through the same call the site's
//! `/search` page makes. Each includes this file itself, so some items go unused in one.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use masthead_search::{IndexDoc, Query, SearchError, SearchIndex, SearchRequest};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The corpus folder: `$MASTHEAD_CORPUS`, or `../shared/corpus` beside the repository.
pub fn corpus_dir() -> PathBuf {
    match std::env::var_os("MASTHEAD_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    }
}

/// One article of a corpus, as the index and FTS5 see it.
#[derive(Debug, Clone)]
pub struct Article {
    pub title: String,
    pub body: String,
}

/// The `title` and `body` of every line of a JSON Lines corpus, in file order (so the
/// article on line `n` gets id `n`).
pub fn read_corpus(path: &Path) -> Result<Vec<Article>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
            let field = |name: &str| {
                v[name]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{}:{}: no {name}", path.display(), n + 1))
            };
            Ok(Article {
                title: field("title")?,
                body: field("body")?,
            })
        })
        .collect()
}

/// The index's view of `article` under `id`: no sections, tags or authors, one fixed
/// date (ranking by relevance never looks at it).
pub fn index_doc(id: i64, article: &Article) -> IndexDoc {
    IndexDoc {
        id,
        title: article.title.clone(),
        body: article.body.clone(),
        sections: Vec::new(),
        tags: Vec::new(),
        authors: Vec::new(),
        published: fixed_date(),
    }
}

fn fixed_date() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2005, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The three ways a reader looks for an article they know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The headline, exactly.
    Title,
    /// The body's first sentence (see [`first_sentence`]).
    FirstSentence,
    /// The headline with one letter wrong in every word of five letters or more.
    Misspelled,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Title, Kind::FirstSentence, Kind::Misspelled];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Title => "title",
            Kind::FirstSentence => "first sentence",
            Kind::Misspelled => "misspelled title",
        }
    }
}

/// The seed of the misspellings: fixed, so every run asks the same questions.
pub const SEED: u64 = 0x5EED_2026_1128;

/// A query and the article it is meant to find.
#[derive(Debug, Clone)]
pub struct KnownItem {
    pub text: String,
    /// Index in the corpus of the article the query was made from.
    pub source: usize,
    /// Every article the query would equally have been made from (the source, exact
    /// duplicates, and articles with the same headline or first sentence): finding any
    /// of them is finding it.
    pub answers: Vec<usize>,
}

/// The known-item queries of one kind for `articles` (every `step`-th article, from the
/// first). Articles whose query would be empty are left out.
pub fn known_items(articles: &[Article], kind: Kind, step: usize) -> Vec<KnownItem> {
    let key = |a: &Article| match kind {
        Kind::Title | Kind::Misspelled => normalise(&a.title),
        Kind::FirstSentence => normalise(first_sentence(&a.body)),
    };
    let mut same: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, a) in articles.iter().enumerate() {
        same.entry(key(a)).or_default().push(i);
    }
    let mut rng = XorShift::new(SEED);
    let mut out = Vec::new();
    // Every article draws its misspellings, sampled or not, so a sample asks the same
    // questions as the full run.
    for (i, a) in articles.iter().enumerate() {
        let text = match kind {
            Kind::Title => a.title.trim().to_owned(),
            Kind::FirstSentence => first_sentence(&a.body).to_owned(),
            Kind::Misspelled => misspell(&a.title, &mut rng),
        };
        if i % step.max(1) != 0 || text.is_empty() {
            continue;
        }
        let answers = same.get(&key(a)).cloned().unwrap_or_else(|| vec![i]);
        out.push(KnownItem {
            text,
            source: i,
            answers,
        });
    }
    out
}

/// Lower case, runs of whitespace as one space: "equal titles" ignore case and spacing.
pub fn normalise(s: &str) -> String {
    s.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The body's first sentence: the first paragraph (up to the first line break), cut
/// after the first `.`, `!` or `?` that is followed by a space, and trimmed. Closing
/// quotes after the stop are not looked for, so `…said." He` runs on to the next stop.
pub fn first_sentence(body: &str) -> &str {
    let body = body.trim_start();
    let mut end = body.find('\n').unwrap_or(body.len());
    for stop in [". ", "! ", "? "] {
        if let Some(i) = body[..end].find(stop) {
            end = end.min(i + 1);
        }
    }
    body[..end].trim()
}

/// `title` with, in every whitespace-separated word of five letters or more, one letter
/// (at a position drawn from `rng`) replaced by a different lower-case letter.
pub fn misspell(title: &str, rng: &mut XorShift) -> String {
    let words: Vec<String> = title
        .split_whitespace()
        .map(|word| {
            let mut chars: Vec<char> = word.chars().collect();
            let letters: Vec<usize> = (0..chars.len())
                .filter(|&i| chars[i].is_alphabetic())
                .collect();
            if letters.len() >= 5 {
                let at = letters[rng.below(letters.len())];
                let old = chars[at].to_lowercase().next().unwrap_or(chars[at]);
                chars[at] = loop {
                    let c = char::from(b'a' + rng.below(26) as u8);
                    if c != old {
                        break c;
                    }
                };
            }
            chars.into_iter().collect()
        })
        .collect();
    words.join(" ")
}

/// xorshift64*: a few lines, no dependency, and the same sequence on every machine.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (the slight modulo bias does not matter here).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// The search the site's `/search?q=` page makes: parsed as typed, first page of 10,
/// with snippets.
pub fn site_search(ix: &SearchIndex, text: &str) -> Result<Vec<i64>, SearchError> {
    let req = SearchRequest::new(Query::parse(text));
    Ok(ix.search(&req)?.hits.iter().map(|h| h.id).collect())
}

/// The first `limit` ids, without snippets: the same ranking, looked at further down.
pub fn deep_search(ix: &SearchIndex, text: &str, limit: usize) -> Result<Vec<i64>, SearchError> {
    let mut req = SearchRequest::new(Query::parse(text));
    req.limit = limit;
    req.snippets = false;
    Ok(ix.search(&req)?.hits.iter().map(|h| h.id).collect())
}

/// 1/rank of the first of `answers` (corpus indexes; the article at index `i` has id
/// `first_id + i`) among `ids`, or 0 when none is there.
pub fn reciprocal_rank(ids: &[i64], answers: &[usize], first_id: i64) -> f64 {
    ids.iter()
        .position(|id| {
            usize::try_from(id - first_id).is_ok_and(|i| answers.binary_search(&i).is_ok())
        })
        .map_or(0.0, |r| 1.0 / (r + 1) as f64)
}

/// Mean reciprocal rank of one kind of query over the `/search` path, and how the
/// misses look (for the failure message).
#[derive(Debug, Default)]
pub struct Score {
    pub queries: usize,
    /// MRR@10, any answer counting.
    pub mrr: f64,
    /// MRR@10 counting the source article only (exact duplicates then tie by chance).
    pub mrr_source: f64,
    /// Found within the first 10.
    pub found: usize,
    /// A few queries whose article was not on the first page.
    pub misses: Vec<String>,
}

/// Scores `items` on `ix`, whose ids are `first_id + corpus index`.
pub fn score(ix: &SearchIndex, items: &[KnownItem], first_id: i64) -> Result<Score, SearchError> {
    let mut s = Score {
        queries: items.len(),
        ..Score::default()
    };
    for item in items {
        let ids = site_search(ix, &item.text)?;
        let rr = reciprocal_rank(&ids, &item.answers, first_id);
        s.mrr += rr;
        s.mrr_source += reciprocal_rank(&ids, &[item.source], first_id);
        if rr > 0.0 {
            s.found += 1;
        } else if s.misses.len() < 10 {
            s.misses.push(item.text.clone());
        }
    }
    if !items.is_empty() {
        s.mrr /= items.len() as f64;
        s.mrr_source /= items.len() as f64;
    }
    Ok(s)
}

/// Indexes `articles` with ids `first_id..`, in one batch.
pub fn build(ix: &SearchIndex, articles: &[Article], first_id: i64) -> Result<(), SearchError> {
    let docs: Vec<IndexDoc> = articles
        .iter()
        .zip(first_id..)
        .map(|(a, id)| index_doc(id, a))
        .collect();
    ix.apply(&docs, &[], Some(1))
}
