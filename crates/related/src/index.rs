//! The in-memory index: per story a sparse vector of (term, 1 + ln tf), per term a
//! posting list of (story, 1 + ln tf), and current document frequencies.
//!
//! Term weights are not stored: idf = ln(N / df) changes with every story added or
//! removed, so weights are computed at query time from the stored log-tf and the current
//! df. That keeps removal and replacement exact without touching other stories.

use crate::text::{Analyzer, title_hash};
use crate::{Doc, Related, Settings, Why};
use std::collections::HashMap;

/// One indexed story. Only what scoring needs: no text is kept.
struct Entry {
    key: i64,
    /// (term id, 1 + ln tf), sorted by term id so two stories merge in one pass.
    terms: Box<[(u32, f32)]>,
    /// [`title_hash`] of the headline, `0` when it has no words.
    title: u64,
    sections: Box<[u32]>,
    tags: Box<[u32]>,
    published: i64,
}

struct Term {
    /// Kept to drop the dictionary entry when the last story using it goes.
    stem: Box<str>,
    df: u32,
    /// ln(df), cached: idf = ln N − ln df is then a subtraction at query time.
    ln_df: f32,
    /// The most common written form (a running majority vote), for explanations.
    word: Box<str>,
    votes: u32,
}

/// Related stories for any story in a changing collection. See the crate docs.
pub struct RelatedIndex {
    settings: Settings,
    analyzer: Analyzer,
    dict: HashMap<Box<str>, u32>,
    terms: Vec<Term>,
    free_terms: Vec<u32>,
    /// Per term, (slot, 1 + ln tf) sorted by slot.
    postings: Vec<Vec<(u32, f32)>>,
    docs: Vec<Option<Entry>>,
    free_slots: Vec<u32>,
    slots: HashMap<i64, u32>,
    /// Vector norms per slot, only to rank candidates before the exact score: they may
    /// be a little stale, and are recomputed when the collection size has drifted 10%.
    norms: Vec<f32>,
    norms_at: usize,
    labels: HashMap<String, u32>,
    label_names: Vec<String>,
}

/// The source side of a query.
struct Source {
    slot: Option<u32>,
    /// (term id, 1 + ln tf), sorted by term id; only terms present in the index.
    terms: Vec<(u32, f32)>,
    /// Squared weight of the source's terms that no indexed story has (drafts only):
    /// they count in its norm, as they would once it is published.
    unseen: f32,
    title: u64,
    sections: Vec<u32>,
    tags: Vec<u32>,
    published: i64,
}

/// A candidate with its exact score: (score, key, slot, text cosine, recency bonus,
/// shared section, shared tags).
type Scored = (f32, i64, u32, f32, f32, Option<u32>, Vec<u32>);

/// Per-thread buffers a query reuses instead of allocating (and zeroing) arrays as long as
/// the vocabulary and the archive on every call: at a million stories that was megabytes
/// a query. Both are all zero between queries.
#[derive(Default)]
struct Scratch {
    /// The source's weight by term id.
    dense: Vec<f32>,
    /// Partial scores by slot.
    acc: Vec<f32>,
}

impl Scratch {
    fn fit(&mut self, terms: usize, slots: usize) {
        if self.dense.len() < terms {
            self.dense.resize(terms, 0.0);
        }
        if self.acc.len() < slots {
            self.acc.resize(slots, 0.0);
        }
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Sub-linear term frequency: the tenth "bank" in a story says less than the first.
/// (Below one occurrence, only possible with a title weight under 1, it stays linear.)
fn log_tf(tf: f32) -> f32 {
    if tf >= 1.0 { 1.0 + tf.ln() } else { tf }
}

impl RelatedIndex {
    pub fn new(settings: Settings) -> Self {
        RelatedIndex {
            settings,
            analyzer: Analyzer::new(),
            dict: HashMap::new(),
            terms: Vec::new(),
            free_terms: Vec::new(),
            postings: Vec::new(),
            docs: Vec::new(),
            free_slots: Vec::new(),
            slots: HashMap::new(),
            norms: Vec::new(),
            norms_at: 0,
            labels: HashMap::new(),
            label_names: Vec::new(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn contains(&self, key: i64) -> bool {
        self.slots.contains_key(&key)
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Inserts the story, or replaces the one already under `key`.
    pub fn upsert(&mut self, key: i64, doc: &Doc<'_>) {
        self.remove(key);
        let counts = self.count_terms(doc);
        let mut terms: Vec<(u32, f32)> = Vec::with_capacity(counts.len());
        for (stem, (tf, word)) in counts {
            let id = self.intern_term(&stem, &word);
            terms.push((id, log_tf(tf)));
        }
        terms.sort_unstable_by_key(|&(t, _)| t);
        let slot = match self.free_slots.pop() {
            Some(s) => s,
            None => {
                self.docs.push(None);
                self.norms.push(0.0);
                (self.docs.len() - 1) as u32
            }
        };
        for &(t, l) in &terms {
            let list = &mut self.postings[t as usize];
            match list.last() {
                Some(&(last, _)) if last > slot => {
                    let at = list.partition_point(|&(s, _)| s < slot);
                    list.insert(at, (slot, l));
                }
                _ => list.push((slot, l)),
            }
        }
        let sections = doc.sections.iter().map(|s| self.intern_label(s)).collect();
        let tags = doc.tags.iter().map(|s| self.intern_label(s)).collect();
        self.docs[slot as usize] = Some(Entry {
            key,
            terms: terms.into_boxed_slice(),
            title: title_hash(doc.title),
            sections,
            tags,
            published: doc.published,
        });
        self.slots.insert(key, slot);
        self.refresh_norms(Some(slot));
    }

    /// Forgets the story (deleted or unpublished); its words stop counting at once.
    pub fn remove(&mut self, key: i64) {
        let Some(slot) = self.slots.remove(&key) else {
            return;
        };
        let Some(entry) = self.docs[slot as usize].take() else {
            return;
        };
        for &(t, _) in entry.terms.iter() {
            let list = &mut self.postings[t as usize];
            if let Ok(at) = list.binary_search_by_key(&slot, |&(s, _)| s) {
                list.remove(at);
            }
            let term = &mut self.terms[t as usize];
            term.df -= 1;
            if term.df == 0 {
                self.dict.remove(&term.stem);
                term.stem = Box::from("");
                term.word = Box::from("");
                self.postings[t as usize] = Vec::new();
                self.free_terms.push(t);
            } else {
                term.ln_df = (term.df as f32).ln();
            }
        }
        self.norms[slot as usize] = 0.0;
        self.free_slots.push(slot);
        if self.is_empty() {
            // Nothing left to point at: start over and give the memory back.
            *self = RelatedIndex::new(self.settings.clone());
        } else {
            self.refresh_norms(None);
        }
    }

    /// Up to `limit` related keys, best first; never `key` itself, never one of `exclude`,
    /// never a near-duplicate of `key` (same normalised title, or almost the same text).
    pub fn related(&self, key: i64, limit: usize, exclude: &[i64]) -> Vec<Related> {
        let Some(&slot) = self.slots.get(&key) else {
            return Vec::new();
        };
        let Some(entry) = &self.docs[slot as usize] else {
            return Vec::new();
        };
        let source = Source {
            slot: Some(slot),
            terms: entry.terms.to_vec(),
            unseen: 0.0,
            title: entry.title,
            sections: entry.sections.to_vec(),
            tags: entry.tags.to_vec(),
            published: entry.published,
        };
        self.query(&source, limit, exclude)
    }

    /// Same, for a document that is not (or not yet) in the index (e.g. a draft preview).
    pub fn related_to_doc(&self, doc: &Doc<'_>, limit: usize, exclude: &[i64]) -> Vec<Related> {
        if self.is_empty() {
            return Vec::new();
        }
        let ln_n = self.ln_n();
        let mut terms = Vec::new();
        let mut unseen = 0.0;
        for (stem, (tf, _)) in self.count_terms(doc) {
            match self.dict.get(stem.as_str()) {
                Some(&t) => terms.push((t, log_tf(tf))),
                // As if only this story had it: idf = ln(N / 1).
                None => unseen += (log_tf(tf) * ln_n).powi(2),
            }
        }
        terms.sort_unstable_by_key(|&(t, _)| t);
        let known = |labels: &[String]| -> Vec<u32> {
            labels
                .iter()
                .filter_map(|l| self.labels.get(&label_key(l)).copied())
                .collect()
        };
        let source = Source {
            slot: None,
            terms,
            unseen,
            title: title_hash(doc.title),
            sections: known(doc.sections),
            tags: known(doc.tags),
            published: doc.published,
        };
        self.query(&source, limit, exclude)
    }

    /// Bytes held by the index (own accounting of the heap, approximate for hash maps).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let map_entry = |k: usize, v: usize| k + v + 8; // key, value, control and slack
        let mut total = self.analyzer.heap_bytes()
            + self.docs.capacity() * size_of::<Option<Entry>>()
            + self.norms.capacity() * 4
            + self.free_slots.capacity() * 4
            + self.free_terms.capacity() * 4
            + self.slots.capacity() * map_entry(8, 4)
            + self.dict.capacity() * map_entry(size_of::<Box<str>>(), 4)
            + self.terms.capacity() * size_of::<Term>()
            + self.postings.capacity() * size_of::<Vec<(u32, f32)>>()
            + self.labels.capacity() * map_entry(size_of::<String>(), 4)
            + self.label_names.capacity() * size_of::<String>();
        for e in self.docs.iter().flatten() {
            total += e.terms.len() * 8 + (e.sections.len() + e.tags.len()) * 4;
        }
        for t in &self.terms {
            total += 2 * t.stem.len() + t.word.len();
        }
        for p in &self.postings {
            total += p.capacity() * 8;
        }
        for (k, n) in self.labels.keys().zip(&self.label_names) {
            total += k.capacity() + n.capacity();
        }
        total
    }

    /// Term frequencies of a story, title words counted `title_weight` times, with the
    /// first written form of each.
    /// Sorted by stem, so term ids and float sums do not depend on hash order: the same
    /// stories inserted in the same order give the same answers after a restart.
    fn count_terms(&self, doc: &Doc<'_>) -> Vec<(String, (f32, String))> {
        let mut counts: HashMap<String, (f32, String)> = HashMap::new();
        let parts = [
            (doc.title, self.settings.title_weight.max(0.0)),
            (doc.body, 1.0),
        ];
        for (text, weight) in parts {
            self.analyzer
                .each_term(text, |stem, word| match counts.get_mut(stem) {
                    Some(c) => c.0 += weight,
                    None => {
                        counts.insert(stem.to_string(), (weight, word.to_string()));
                    }
                });
        }
        let mut counts: Vec<(String, (f32, String))> =
            counts.into_iter().filter(|(_, c)| c.0 > 0.0).collect();
        counts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        counts
    }

    fn intern_term(&mut self, stem: &str, word: &str) -> u32 {
        let id = match self.dict.get(stem) {
            Some(&id) => id,
            None => {
                let term = Term {
                    stem: Box::from(stem),
                    df: 0,
                    ln_df: 0.0,
                    word: Box::from(word),
                    votes: 0,
                };
                let id = match self.free_terms.pop() {
                    Some(id) => {
                        self.terms[id as usize] = term;
                        id
                    }
                    None => {
                        self.terms.push(term);
                        self.postings.push(Vec::new());
                        (self.terms.len() - 1) as u32
                    }
                };
                self.dict.insert(Box::from(stem), id);
                id
            }
        };
        let term = &mut self.terms[id as usize];
        term.df += 1;
        term.ln_df = (term.df as f32).ln();
        // Boyer–Moore majority vote: the form most stories use wins, in O(1) memory.
        if *term.word == *word {
            term.votes += 1;
        } else if term.votes == 0 {
            term.word = Box::from(word);
            term.votes = 1;
        } else {
            term.votes -= 1;
        }
        id
    }

    fn intern_label(&mut self, label: &str) -> u32 {
        let key = label_key(label);
        if let Some(&id) = self.labels.get(&key) {
            return id;
        }
        let id = self.label_names.len() as u32;
        self.label_names.push(label.trim().to_string());
        self.labels.insert(key, id);
        id
    }

    fn ln_n(&self) -> f32 {
        (self.len().max(1) as f32).ln()
    }

    /// ln(N / df) with the current N and df, raised to `idf_exponent`.
    fn idf(&self, t: u32, ln_n: f32) -> f32 {
        let idf = (ln_n - self.terms[t as usize].ln_df).max(0.0);
        match self.settings.idf_exponent {
            1.0 => idf,
            0.5 => idf.sqrt(),
            e => idf.powf(e),
        }
    }

    /// Norm of an indexed story's tf-idf vector, with the current idf.
    fn norm_of(&self, slot: u32, ln_n: f32) -> f32 {
        let Some(e) = &self.docs[slot as usize] else {
            return 0.0;
        };
        e.terms
            .iter()
            .map(|&(t, l)| (l * self.idf(t, ln_n)).powi(2))
            .sum::<f32>()
            .sqrt()
    }

    /// Sets the new story's norm; recomputes all when the size drifted 10% since the last
    /// full pass (amortised: each pass is paid for by 10% more insertions or removals).
    fn refresh_norms(&mut self, slot: Option<u32>) {
        let n = self.len();
        let ln_n = self.ln_n();
        if n * 10 > self.norms_at * 11 || n * 10 < self.norms_at * 9 {
            for s in 0..self.docs.len() as u32 {
                self.norms[s as usize] = self.norm_of(s, ln_n);
            }
            self.norms_at = n;
        } else if let Some(slot) = slot {
            self.norms[slot as usize] = self.norm_of(slot, ln_n);
        }
    }

    fn query(&self, src: &Source, limit: usize, exclude: &[i64]) -> Vec<Related> {
        if limit == 0 || self.is_empty() {
            return Vec::new();
        }
        let ln_n = self.ln_n();
        // Source weights.
        let weights: Vec<(u32, f32)> = src
            .terms
            .iter()
            .map(|&(t, l)| (t, l * self.idf(t, ln_n)))
            .collect();
        let norm2: f32 = weights.iter().map(|&(_, w)| w * w).sum::<f32>() + src.unseen;
        if norm2 <= 0.0 {
            return Vec::new();
        }
        let src_norm = norm2.sqrt();
        SCRATCH.with_borrow_mut(|scratch| {
            scratch.fit(self.terms.len(), self.docs.len());
            for &(t, w) in &weights {
                scratch.dense[t as usize] = w;
            }
            let found = self.query_with(src, limit, exclude, &weights, src_norm, scratch);
            for &(t, _) in &weights {
                scratch.dense[t as usize] = 0.0;
            }
            found
        })
    }

    /// The query proper, with the source's weights spread in `scratch.dense`; leaves
    /// `scratch.acc` all zero again.
    fn query_with(
        &self,
        src: &Source,
        limit: usize,
        exclude: &[i64],
        weights: &[(u32, f32)],
        src_norm: f32,
        scratch: &mut Scratch,
    ) -> Vec<Related> {
        let st = &self.settings;
        let ln_n = self.ln_n();
        let dense = &scratch.dense;

        // Gather candidates from the postings of the strongest terms, with a partial
        // cosine (those terms only, cached norms) to choose which to score exactly.
        let mut top: Vec<(u32, f32)> = weights.iter().copied().filter(|&(_, w)| w > 0.0).collect();
        let by_weight = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if top.len() > st.query_terms {
            top.select_nth_unstable_by(st.query_terms, by_weight);
            top.truncate(st.query_terms);
        }
        // Rarest first, within a budget of posting entries (see `Settings::max_postings`).
        top.sort_unstable_by_key(|&(t, _)| (self.postings[t as usize].len(), t));
        let acc = &mut scratch.acc;
        let mut touched: Vec<u32> = Vec::new();
        let mut budget = st.max_postings.max(top.len());
        for (i, &(t, w)) in top.iter().enumerate() {
            let q = w * self.idf(t, ln_n);
            let list = &self.postings[t as usize];
            let share = budget / (top.len() - i);
            let walk = if list.len() <= share {
                list.as_slice()
            } else {
                // The stories indexed nearest the source: around its slot, or the newest
                // for a story not in the index.
                let at = match src.slot {
                    Some(slot) => list.partition_point(|&(s, _)| s < slot),
                    None => list.len(),
                };
                let from = at.saturating_sub(share / 2).min(list.len() - share);
                &list[from..from + share]
            };
            budget -= walk.len();
            for &(slot, l) in walk {
                let a = &mut acc[slot as usize];
                if *a == 0.0 {
                    touched.push(slot);
                }
                *a += q * l;
            }
        }
        let mut cands: Vec<(f32, u32)> = Vec::with_capacity(touched.len());
        for &slot in &touched {
            let a = std::mem::take(&mut acc[slot as usize]);
            if a > 0.0 && Some(slot) != src.slot {
                cands.push((a / self.norms[slot as usize].max(1e-6), slot));
            }
        }
        drop(touched);
        let by_pre = |a: &(f32, u32), b: &(f32, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));

        // Exact scores for the best candidates, in chunks, until enough have survived
        // the exclusions (a story copied many times must not starve the answer).
        let want = st.candidates.max(limit);
        let mut scored: Vec<Scored> = Vec::new();
        let mut start = 0;
        while scored.len() < want && start < cands.len() {
            let chunk = ((want - scored.len()) * 2).max(32);
            let end = (start + chunk).min(cands.len());
            let rest = &mut cands[start..];
            if end - start < rest.len() {
                rest.select_nth_unstable_by(end - start, by_pre);
            }
            cands[start..end].sort_unstable_by(by_pre);
            for &(_, slot) in &cands[start..end] {
                if scored.len() >= want {
                    break;
                }
                let Some(e) = &self.docs[slot as usize] else {
                    continue;
                };
                if exclude.contains(&e.key) || (src.title != 0 && e.title == src.title) {
                    continue;
                }
                let (dot, cnorm2) = self.dot(dense, e, ln_n, |_, _| {});
                if dot <= 0.0 || cnorm2 <= 0.0 {
                    continue;
                }
                let cos = dot / (src_norm * cnorm2.sqrt());
                if cos >= st.duplicate_threshold {
                    continue;
                }
                let (bonus, section, tags) = self.label_bonus(src, e);
                let recency = self.recency(src.published, e.published);
                let score = cos + bonus + recency;
                scored.push((score, e.key, slot, cos, recency, section, tags));
            }
            start = end;
        }
        scored.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(limit);
        scored
            .into_iter()
            .map(|(score, key, slot, text, recency, section, tags)| {
                let words = self.why_words(dense, slot, ln_n);
                Related {
                    key,
                    score,
                    why: Why {
                        words,
                        section: section.map(|l| self.label_names[l as usize].clone()),
                        tags: tags
                            .into_iter()
                            .map(|l| self.label_names[l as usize].clone())
                            .collect(),
                        text,
                        recency,
                    },
                }
            })
            .collect()
    }

    /// Dot product of the source weights (dense, by term id) with the candidate's
    /// current tf-idf vector, and the candidate's squared norm: one pass over the
    /// candidate's terms. `shared(term, contribution)` sees each shared term.
    fn dot(
        &self,
        dense: &[f32],
        e: &Entry,
        ln_n: f32,
        mut shared: impl FnMut(u32, f32),
    ) -> (f32, f32) {
        let (mut dot, mut norm2) = (0.0f32, 0.0f32);
        for &(t, l) in e.terms.iter() {
            let w = l * self.idf(t, ln_n);
            norm2 += w * w;
            let c = dense[t as usize] * w;
            if c > 0.0 {
                dot += c;
                shared(t, c);
            }
        }
        (dot, norm2)
    }

    fn why_words(&self, dense: &[f32], slot: u32, ln_n: f32) -> Vec<String> {
        let Some(e) = &self.docs[slot as usize] else {
            return Vec::new();
        };
        let mut shared = Vec::new();
        self.dot(dense, e, ln_n, |t, c| shared.push((t, c)));
        shared.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        shared
            .into_iter()
            .take(self.settings.why_words)
            .map(|(t, _)| self.terms[t as usize].word.to_string())
            .collect()
    }

    /// The section and tag bonus, with the shared section and tags to name.
    fn label_bonus(&self, src: &Source, e: &Entry) -> (f32, Option<u32>, Vec<u32>) {
        let st = &self.settings;
        let mut bonus = 0.0;
        let mut section = None;
        if let (Some(a), Some(b)) = (src.sections.first(), e.sections.first())
            && a == b
        {
            bonus += st.section_bonus;
            section = Some(*a);
        } else if let Some(s) = src.sections.iter().find(|s| e.sections.contains(s)) {
            bonus += st.other_section_bonus;
            section = Some(*s);
        }
        let mut tags: Vec<u32> = Vec::new();
        for t in &src.tags {
            if e.tags.contains(t) && !tags.contains(t) {
                tags.push(*t);
            }
        }
        bonus += st.tag_bonus * tags.len().min(st.max_tag_bonuses) as f32;
        (bonus, section, tags)
    }

    /// A mild preference for stories from around the same time as the source.
    fn recency(&self, a: i64, b: i64) -> f32 {
        let st = &self.settings;
        if st.recency_weight == 0.0 || st.recency_half_life_days <= 0.0 {
            return 0.0;
        }
        let days = a.abs_diff(b) as f64 / 86_400.0;
        st.recency_weight * (-days / st.recency_half_life_days as f64).exp2() as f32
    }
}

/// Labels match without regard to case or surrounding space ("Business" = "business ").
fn label_key(label: &str) -> String {
    label.trim().to_lowercase()
}
