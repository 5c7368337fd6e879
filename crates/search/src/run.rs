//! Running a query: up to three passes (every word; every word or a near spelling of
//! it; any word), filters that never score, and highlighted titles and snippets.

use crate::query::Query;
use crate::{Fields, SearchError, SearchIndex, analyse, plain_analyzer, stemmed_analyzer};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EnableScoring, Explanation, FuzzyTermQuery, Occur,
    PhraseQuery, Query as TantivyQuery, RangeQuery, Scorer, TermQuery, Weight,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{
    DocAddress, DocId, DocSet, Order, Score, Searcher, SegmentReader, TantivyDocument, Term,
};

/// Fewer results than this, and the near-spellings pass is tried.
const LITTLE: usize = 3;
/// Near spellings tried for one word.
const SPELLINGS: usize = 6;
/// When every word together found something, only words in fewer articles than this
/// are looked up for near spellings: a word the index knows from several articles is
/// taken as meant. (The look-up walks the whole vocabulary once per word, and a long
/// query pasted from an article, a headline or a first sentence, would otherwise pay
/// for it on every word.)
const RARE: u64 = 3;
/// The longest snippet, in characters.
const SNIPPET_CHARS: usize = 220;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Relevance,
    Newest,
}

/// A search: the parsed query, its dates as instants (the caller knows the site's
/// timezone), the order and the page.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: Query,
    /// Published at or after (unix seconds).
    pub published_from: Option<i64>,
    /// Published before (unix seconds).
    pub published_before: Option<i64>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    /// Highlighted titles and snippets (lists that only need ids skip the work).
    pub snippets: bool,
}

impl SearchRequest {
    pub fn new(query: Query) -> Self {
        Self {
            query,
            published_from: None,
            published_before: None,
            sort: Sort::Relevance,
            offset: 0,
            limit: 10,
            snippets: true,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// The query with its misspelled words corrected, when the results are those of
    /// the corrected words.
    pub suggestion: Option<Query>,
    /// No article had every word: these have some of them.
    pub relaxed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: i64,
    pub score: f32,
    /// The title, escaped, with the matched words in `<mark>`.
    pub title_html: String,
    /// A passage of the body, escaped, with the matched words in `<mark>`; empty when
    /// only the title matched.
    pub snippet_html: String,
}

/// One word of the query as the index sees it.
struct Word {
    /// Stems (more than one for "e-mail" or "U.S.": then they must stand together).
    stems: Vec<String>,
    /// The unstemmed form, when it is one token: what spelling is checked against.
    plain: Option<String>,
    /// Near spellings found in the index, most documents first: (plain, stem, docs).
    near: Vec<(String, String, u64)>,
    /// How many articles hold the plain form.
    docs: u64,
}

pub(crate) fn search(ix: &SearchIndex, req: &SearchRequest) -> Result<SearchResults, SearchError> {
    let q = &req.query;
    if q.is_empty() {
        return Ok(SearchResults::default());
    }
    let f = ix.fields;
    let searcher = ix.reader.searcher();
    let mut stem = stemmed_analyzer();
    let mut plain = plain_analyzer();
    let mut words: Vec<Word> = Vec::new();
    for w in &q.words {
        let stems = analyse(&mut stem, w);
        if stems.is_empty() {
            continue;
        }
        let plains = analyse(&mut plain, w);
        let plain_form = (plains.len() == 1).then(|| plains[0].clone());
        let docs = match &plain_form {
            Some(p) => searcher.doc_freq(&Term::from_field_text(f.words, p))?,
            None => 0,
        };
        words.push(Word {
            stems,
            plain: plain_form,
            near: Vec::new(),
            docs,
        });
    }
    let phrases: Vec<Vec<String>> = q
        .phrases
        .iter()
        .map(|p| analyse(&mut stem, p))
        .filter(|s| !s.is_empty())
        .collect();
    let excluded: Vec<Vec<String>> = q
        .excluded
        .iter()
        .map(|p| analyse(&mut stem, p))
        .filter(|s| !s.is_empty())
        .collect();
    let mut fixed: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
    for p in &phrases {
        fixed.push((Occur::Must, text_clause(f, p)));
    }
    for e in &excluded {
        fixed.push((Occur::MustNot, text_clause(f, e)));
    }
    fixed.extend(filters(f, req));
    let has_text = !words.is_empty() || !phrases.is_empty();
    if !has_text && !q.has_filters() {
        // Only words too long or too odd to be in any article.
        return Ok(SearchResults::default());
    }
    let sort = if has_text { req.sort } else { Sort::Newest };

    // Ranked on the weighted field; the same words in title and body are what the
    // snippets mark.
    let ranked = weighted_words(f, &words, &fixed);
    let (mut total, mut top) = collect(&searcher, &*ranked, req, sort)?;
    let mut used = assemble(f, &words, &fixed, Occur::Must, false);
    let mut suggestion = None;
    let mut relaxed = false;
    if has_text && total < LITTLE {
        let mut any_near = false;
        for w in words.iter_mut() {
            if total > 0 && w.docs >= RARE {
                continue;
            }
            w.near = near_spellings(&searcher, f, &mut stem, w)?;
            any_near |= !w.near.is_empty();
        }
        if any_near {
            let second = assemble(f, &words, &fixed, Occur::Must, true);
            let (t, hits) = collect(&searcher, &*second, req, sort)?;
            if t > total {
                (total, top, used) = (t, hits, second);
                suggestion = Some(corrected(q, &words));
            }
        }
        if total == 0 && words.len() + phrases.len() > 1 {
            let third = assemble(f, &words, &fixed, Occur::Should, true);
            let (t, hits) = collect(&searcher, &*third, req, sort)?;
            if t > 0 {
                (total, top, used, relaxed) = (t, hits, third, true);
            }
        }
    }
    let hits = if req.snippets {
        highlight(&searcher, f, &*used, &top)?
    } else {
        ids(&searcher, &top)?
    };
    Ok(SearchResults {
        total,
        hits,
        suggestion,
        relaxed,
    })
}

/// The whole query: each word (with its near spellings when `near`), joined by
/// `occur`, plus the phrases, exclusions and filters. Filters alone match everything
/// they allow.
fn assemble(
    f: Fields,
    words: &[Word],
    fixed: &[(Occur, Box<dyn TantivyQuery>)],
    occur: Occur,
    near: bool,
) -> Box<dyn TantivyQuery> {
    let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
    for w in words {
        let exact = text_clause(f, &w.stems);
        if near && !w.near.is_empty() {
            let mut either = vec![(Occur::Should, exact)];
            for (_, stem, _) in &w.near {
                either.push((Occur::Should, term_clause(f, stem)));
            }
            clauses.push((occur, Box::new(BooleanQuery::new(either))));
        } else {
            clauses.push((occur, exact));
        }
    }
    let text: Vec<(Occur, Box<dyn TantivyQuery>)> = if words.is_empty() {
        Vec::new()
    } else {
        vec![(Occur::Must, Box::new(BooleanQuery::new(clauses)))]
    };
    Box::new(BooleanQuery::new(with_fixed(text, fixed)))
}

/// `clauses` (the words) and after them the phrases, exclusions and filters; filters
/// alone match everything they allow.
fn with_fixed(
    mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)>,
    fixed: &[(Occur, Box<dyn TantivyQuery>)],
) -> Vec<(Occur, Box<dyn TantivyQuery>)> {
    let no_words = clauses.is_empty();
    clauses.extend(fixed.iter().map(|(o, q)| (*o, q.box_clone())));
    if no_words && !fixed.iter().any(|(o, _)| *o == Occur::Must) {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    clauses
}

/// The first pass: every word required, each a term of the `all` field (title and body
/// together, the title counting more), plus the phrases, exclusions and filters. Plain
/// words alone make a flat intersection of term queries, which tantivy ranks with
/// block-max WAND: it skips the blocks of postings that cannot reach the page asked for,
/// so a query over common words costs about as much in a million articles as in twenty
/// thousand (a union of title and body per word had to score every match).
fn weighted_words(
    f: Fields,
    words: &[Word],
    fixed: &[(Occur, Box<dyn TantivyQuery>)],
) -> Box<dyn TantivyQuery> {
    // "e-mail", "U.S.": several stems stand together (`text_clause`).
    let terms = words
        .iter()
        .map(|w| (Occur::Must, text_clause(f, &w.stems)))
        .collect();
    let mut all = with_fixed(terms, fixed);
    if all.len() == 1 && all[0].0 == Occur::Must {
        // One word: its term query prunes on its own.
        return all.remove(0).1;
    }
    Box::new(BooleanQuery::new(all))
}

/// A word in the title (weighted) or the body; several stems must stand together.
fn text_clause(f: Fields, stems: &[String]) -> Box<dyn TantivyQuery> {
    if stems.len() == 1 {
        return term_clause(f, &stems[0]);
    }
    Box::new(Phrase(PhraseQuery::new(
        stems
            .iter()
            .map(|s| Term::from_field_text(f.all, s))
            .collect(),
    )))
}

/// A phrase query whose scorer is only asked to seek forward. tantivy's phrase scorer
/// asserts that no seek goes back, and excluding a phrase (`-"harbour bridge"`) asks it
/// to after a miss; the default seek answers "not here" without moving.
#[derive(Debug, Clone)]
struct Phrase(PhraseQuery);

impl TantivyQuery for Phrase {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(PhraseWeight(self.0.weight(scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct PhraseWeight(Box<dyn Weight>);

impl Weight for PhraseWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(Forward(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

/// A scorer with the default, forward-only `seek_danger`.
struct Forward(Box<dyn Scorer>);

impl DocSet for Forward {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.0.seek(target)
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }
}

impl Scorer for Forward {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}

fn term_clause(f: Fields, stem: &str) -> Box<dyn TantivyQuery> {
    Box::new(TermQuery::new(
        Term::from_field_text(f.all, stem),
        IndexRecordOption::WithFreqs,
    ))
}

/// Section, tag, author and date filters: required, scoring nothing.
fn filters(f: Fields, req: &SearchRequest) -> Vec<(Occur, Box<dyn TantivyQuery>)> {
    let q = &req.query;
    let mut out: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
    for (field, values) in [
        (f.section, &q.sections),
        (f.tag, &q.tags),
        (f.author, &q.authors),
    ] {
        if values.is_empty() {
            continue;
        }
        let any: Vec<(Occur, Box<dyn TantivyQuery>)> = values
            .iter()
            .map(|v| {
                let t: Box<dyn TantivyQuery> = Box::new(TermQuery::new(
                    Term::from_field_text(field, v),
                    IndexRecordOption::Basic,
                ));
                (Occur::Should, t)
            })
            .collect();
        out.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(any)), 0.0)),
        ));
    }
    if req.published_from.is_some() || req.published_before.is_some() {
        let from = req.published_from.map_or(Bound::Unbounded, |t| {
            Bound::Included(Term::from_field_i64(f.published, t))
        });
        let before = req.published_before.map_or(Bound::Unbounded, |t| {
            Bound::Excluded(Term::from_field_i64(f.published, t))
        });
        out.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(
                Box::new(RangeQuery::new(from, before)),
                0.0,
            )),
        ));
    }
    out
}

/// The page asked for, and how many match in all.
fn collect(
    searcher: &Searcher,
    query: &dyn TantivyQuery,
    req: &SearchRequest,
    sort: Sort,
) -> Result<(usize, Vec<(f32, DocAddress)>), SearchError> {
    let limit = req.limit.max(1);
    let top = TopDocs::with_limit(limit).and_offset(req.offset);
    Ok(match sort {
        Sort::Relevance => {
            // Apart: counting beside the ranking would make it score every match, and
            // the ranking alone can skip what cannot reach the page (block-max WAND).
            // Counting without scores walks the postings only.
            let hits = searcher.search(query, &top.order_by_score())?;
            (searcher.search(query, &Count)?, hits)
        }
        Sort::Newest => {
            let (total, hits) = searcher.search(
                query,
                &(
                    Count,
                    top.order_by_fast_field::<i64>("published", Order::Desc),
                ),
            )?;
            (total, hits.into_iter().map(|(_, a)| (0.0, a)).collect())
        }
    })
}

/// Words of five letters or more may be one letter off, shorter ones of four may be
/// too, and words of nine or more two letters off.
fn near_spellings(
    searcher: &Searcher,
    f: Fields,
    stem: &mut tantivy::tokenizer::TextAnalyzer,
    w: &Word,
) -> Result<Vec<(String, String, u64)>, SearchError> {
    let Some(plain) = &w.plain else {
        return Ok(Vec::new());
    };
    let len = plain.chars().count();
    if len < 4 || plain.chars().any(|c| c.is_ascii_digit()) {
        return Ok(Vec::new());
    }
    let distance = if len >= 9 { 2 } else { 1 };
    let automaton =
        FuzzyTermQuery::new(Term::from_field_text(f.words, plain), distance, true).automaton()?;
    let mut found: HashMap<String, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(f.words)?;
        let mut stream = inverted.terms().search(&automaton).into_stream()?;
        while stream.advance() {
            if let Ok(term) = std::str::from_utf8(stream.key())
                && term != plain
            {
                *found.entry(term.to_owned()).or_default() += u64::from(stream.value().doc_freq);
            }
        }
    }
    // A spelling is only worth trying if more articles use it than the reader's.
    let floor = w.docs + 1;
    let mut near: Vec<(String, u64)> = found.into_iter().filter(|(_, n)| *n >= floor).collect();
    near.sort_by(|a, b| {
        edits(plain, &a.0)
            .cmp(&edits(plain, &b.0))
            .then(b.1.cmp(&a.1))
            .then(a.0.cmp(&b.0))
    });
    near.truncate(SPELLINGS);
    Ok(near
        .into_iter()
        .filter_map(|(p, n)| {
            let s = analyse(stem, &p).into_iter().next()?;
            Some((p, s, n))
        })
        .collect())
}

/// The reader's query with each unknown word replaced by its likeliest spelling.
fn corrected(q: &Query, words: &[Word]) -> Query {
    let mut i = 0;
    let mut out = Vec::with_capacity(q.words.len());
    let mut stem = stemmed_analyzer();
    for raw in &q.words {
        if analyse(&mut stem, raw).is_empty() {
            out.push(raw.clone());
            continue;
        }
        let w = &words[i];
        i += 1;
        match w.near.first() {
            Some((p, _, n)) if w.docs == 0 || *n >= 10 * w.docs => out.push(p.clone()),
            _ => out.push(raw.clone()),
        }
    }
    q.with_words(out)
}

/// Levenshtein distance with adjacent transpositions, for ordering near spellings.
fn edits(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

fn ids(searcher: &Searcher, top: &[(f32, DocAddress)]) -> Result<Vec<Hit>, SearchError> {
    let mut out = Vec::with_capacity(top.len());
    for (score, addr) in top {
        let column = searcher
            .segment_reader(addr.segment_ord)
            .fast_fields()
            .i64("id")?;
        if let Some(id) = column.first(addr.doc_id) {
            out.push(Hit {
                id,
                score: *score,
                title_html: String::new(),
                snippet_html: String::new(),
            });
        }
    }
    Ok(out)
}

fn highlight(
    searcher: &Searcher,
    f: Fields,
    query: &dyn TantivyQuery,
    top: &[(f32, DocAddress)],
) -> Result<Vec<Hit>, SearchError> {
    // The query's words are terms of the weighted field; the title and the body are
    // stored texts cut by the same analyser.
    let mut terms: BTreeMap<String, f32> = BTreeMap::new();
    let mut wanted: Vec<Term> = Vec::new();
    query.query_terms(&mut |term, _| {
        if term.field() == f.all {
            wanted.push(term.clone());
        }
    });
    for term in wanted {
        let docs = searcher.doc_freq(&term)?;
        if let Some(text) = term.value().as_str()
            && docs > 0
        {
            terms.insert(text.to_owned(), 1.0 / (1.0 + docs as f32));
        }
    }
    let generator =
        |field, chars| SnippetGenerator::new(terms.clone(), stemmed_analyzer(), field, chars);
    let titles = generator(f.title, 1_000);
    let bodies = generator(f.body, SNIPPET_CHARS);
    let mut out = Vec::with_capacity(top.len());
    for (score, addr) in top {
        let doc: TantivyDocument = searcher.doc(*addr)?;
        let Some(id) = doc.get_first(f.id).and_then(|v| v.as_i64()) else {
            continue;
        };
        let title = doc
            .get_first(f.title)
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let mut t = titles.snippet(title);
        let title_html = if t.highlighted().is_empty() {
            escape(title)
        } else {
            t.set_snippet_prefix_postfix("<mark>", "</mark>");
            t.to_html()
        };
        let mut s = bodies.snippet_from_doc(&doc);
        let snippet_html = if s.highlighted().is_empty() {
            String::new()
        } else {
            s.set_snippet_prefix_postfix("<mark>", "</mark>");
            s.to_html()
        };
        out.push(Hit {
            id,
            score: *score,
            title_html,
            snippet_html,
        });
    }
    Ok(out)
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
