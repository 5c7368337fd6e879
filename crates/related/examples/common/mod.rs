//! Reading the news corpora and scoring related-article answers, shared by the `quality`
//! example and the corpus test. Article ids are used here only to judge answers: the
//! engine sees an opaque key (a hash of the id) and the text.

use masthead_related::{Doc, RelatedIndex, Settings};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One corpus line, as much as the evaluation needs.
pub struct Article {
    pub id: String,
    pub key: i64,
    pub title: String,
    pub body: String,
    pub category: Option<String>,
    pub topics: Vec<String>,
    pub duplicate_of: Option<String>,
    pub published: i64,
}

impl Article {
    /// What the engine is given: text and date only, never ids or labels.
    pub fn doc(&self) -> Doc<'_> {
        Doc {
            title: &self.title,
            body: &self.body,
            sections: &[],
            tags: &[],
            published: self.published,
        }
    }
}

/// The corpus folder: the first argument that is not an option, or `../shared/corpus`
/// beside the repository.
pub fn corpus_dir() -> PathBuf {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--out" {
            args.next();
        } else if !a.starts_with("--") {
            return PathBuf::from(a);
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

/// FNV-1a of the id: stable, opaque, and unrelated to the order of the file.
pub fn key_of(id: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

/// Unix seconds of `YYYY-MM-DD[THH:MM:SS]`, or 0.
pub fn parse_date(s: &str) -> i64 {
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<i64>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return 0;
    };
    let (hh, mm, ss) = (
        num(11..13).unwrap_or(0),
        num(14..16).unwrap_or(0),
        num(17..19).unwrap_or(0),
    );
    // Days from civil (H. Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + hh * 3600 + mm * 60 + ss
}

pub fn read_corpus(path: &Path) -> Result<Vec<Article>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let str_of = |v: &serde_json::Value| v.as_str().map(str::to_string);
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
            let id =
                str_of(&v["id"]).ok_or_else(|| format!("{}:{}: no id", path.display(), n + 1))?;
            let topics = v["topics"]
                .as_array()
                .map(|a| a.iter().filter_map(str_of).collect())
                .unwrap_or_default();
            Ok(Article {
                key: key_of(&id),
                id,
                title: str_of(&v["title"]).unwrap_or_default(),
                body: str_of(&v["body"]).unwrap_or_default(),
                category: str_of(&v["category"]),
                topics,
                duplicate_of: str_of(&v["duplicate_of"]),
                published: v["date"].as_str().map(parse_date).unwrap_or(0),
            })
        })
        .collect()
}

/// Duplicate groups: articles linked by `duplicate_of`, plus articles with equal titles
/// (ignoring case and whitespace). Returns a group number per article.
pub fn duplicate_groups(articles: &[Article]) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..articles.len()).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let union = |p: &mut Vec<usize>, a: usize, b: usize| {
        let (ra, rb) = (find(p, a), find(p, b));
        if ra != rb {
            p[ra.max(rb)] = ra.min(rb);
        }
    };
    let by_id: HashMap<&str, usize> = articles
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.as_str(), i))
        .collect();
    let mut by_title: HashMap<String, usize> = HashMap::new();
    for (i, a) in articles.iter().enumerate() {
        if let Some(&j) = a.duplicate_of.as_deref().and_then(|d| by_id.get(d)) {
            union(&mut parent, i, j);
        }
        let t = a
            .title
            .split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" ");
        match by_title.get(&t) {
            Some(&j) => union(&mut parent, i, j),
            None => {
                by_title.insert(t, i);
            }
        }
    }
    (0..articles.len()).map(|i| find(&mut parent, i)).collect()
}

/// Every article of the corpus in one index, under its opaque key.
pub fn build_index(articles: &[Article], settings: Settings) -> RelatedIndex {
    let mut index = RelatedIndex::new(settings);
    for a in articles {
        index.upsert(a.key, &a.doc());
    }
    index
}

/// BBC precision@4 over the articles at `lines`: a hit is an answer of the same category
/// that is neither the article nor in its duplicate group; missing answers are misses.
pub fn precision_at_4(
    articles: &[Article],
    groups: &[usize],
    lines: impl Iterator<Item = usize>,
    mut answer: impl FnMut(usize) -> Vec<i64>,
) -> f64 {
    let by_key: HashMap<i64, usize> = articles
        .iter()
        .enumerate()
        .map(|(i, a)| (a.key, i))
        .collect();
    let (mut hits, mut asked) = (0usize, 0usize);
    for i in lines {
        asked += 1;
        for key in answer(i).into_iter().take(4) {
            let Some(&j) = by_key.get(&key) else { continue };
            if j != i && groups[j] != groups[i] && articles[j].category == articles[i].category {
                hits += 1;
            }
        }
    }
    hits as f64 / (4 * asked.max(1)) as f64
}

/// The reported half of the BBC set: odd 0-based line numbers (tuning used the even).
pub fn odd_lines(n: usize) -> impl Iterator<Item = usize> {
    (1..n).step_by(2)
}

pub fn even_lines(n: usize) -> impl Iterator<Item = usize> {
    (0..n).step_by(2)
}
