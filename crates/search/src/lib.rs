//! Masthead's search index: a tantivy index of the published articles, treated as a
//! rebuildable cache. The web layer feeds it from the store's change log and asks it
//! questions; this crate knows nothing of the store.
//!
//! Ranking is BM25 with the title weighted above the body. Every word is required at
//! first; when that finds little, a second pass lets each word match its near spellings
//! (and offers "Did you mean …?"); when even that finds nothing, any word will do.

mod folders;
mod ids;
mod memo;
pub mod query;
mod run;
mod staged;
mod stems;

pub use folders::{IndexFolders, OpenError};
pub use query::Query;
pub use run::{Hit, SearchRequest, SearchResults, Sort};

use chrono::{DateTime, Utc};
use ids::IdSet;
use staged::{Queue, StagedDoc};
use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Term};

/// Bumped whenever the schema or the analysers change: an index written under another
/// version is rebuilt rather than misread.
pub const SCHEMA_VERSION: u32 = 3;

/// The analyser for titles and bodies: words, lower case, accents folded, English stems.
const STEMMED: &str = "masthead_en";
/// The analyser for the spelling vocabulary: the same words, not stemmed.
const PLAIN: &str = "masthead_words";
/// How many times the title is written into the `all` field: a word there counts this
/// many times a word of the body (BM25F with whole-number weights).
const TITLE_WEIGHT: usize = 3;

/// What the index needs to know about a published article.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexDoc {
    pub id: i64,
    pub title: String,
    /// Plain text: the standfirst and the body, without markup.
    pub body: String,
    pub sections: Vec<String>,
    pub tags: Vec<String>,
    pub authors: Vec<String>,
    pub published: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("the search index failed: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("the search index's folder failed: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    /// Stored, not indexed: what results show and snippets are cut from.
    pub title: Field,
    /// Stored, not indexed (see `all`).
    pub body: Field,
    pub words: Field,
    /// Title (weighted) and body in one stemmed field with positions: what every word
    /// and phrase is looked up in (see `run::weighted_words`). Title and body once had
    /// fields of their own as well, indexed with positions; writing every body's words
    /// into two fields was a tenth of an import's CPU, and the weighted field answers
    /// the phrases as well as the words.
    pub all: Field,
    pub section: Field,
    pub tag: Field,
    pub author: Field,
    pub published: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let plain = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(PLAIN)
            .set_index_option(IndexRecordOption::Basic),
    );
    let weighted = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(STEMMED)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: b.add_i64_field("id", INDEXED | STORED | FAST),
        title: b.add_text_field("title", STORED),
        body: b.add_text_field("body", STORED),
        words: b.add_text_field("words", plain),
        all: b.add_text_field("all", weighted),
        section: b.add_text_field("section", STRING),
        tag: b.add_text_field("tag", STRING),
        author: b.add_text_field("author", STRING),
        published: b.add_i64_field("published", INDEXED | STORED | FAST),
    };
    (b.build(), fields)
}

fn plain_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

fn stemmed_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(stems::CachedStemmer)
        .build()
}

/// The tokens `analyzer` makes of `text`.
pub(crate) fn analyse(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// The index: one writer (behind a lock, so one batch at a time) and a reader that sees
/// each batch once it is committed.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<Writer>,
    fields: Fields,
}

/// The writer and the ids it holds uncommitted.
struct Writer {
    inner: IndexWriter<StagedDoc>,
    /// The documents waiting for the indexing thread (see `staged.rs`).
    queue: Arc<Queue>,
    /// Ids staged since searches last looked (the last commit, or while `bulk` the last
    /// commit with a change-log position). Searches cannot see them, so only this says
    /// that a second version must delete the first.
    staged: IdSet,
    /// A bulk job runs (see [`SearchIndex::set_bulk`]).
    bulk: bool,
}

/// How much memory the writer may buffer before it flushes a segment.
const WRITER_MEMORY: usize = 50_000_000;

impl SearchIndex {
    /// An index in memory (tests and benchmarks).
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, _) = schema();
        Self::with(Index::create_in_ram(schema))
    }

    /// A new, empty index in `dir` (which must exist and be empty).
    pub fn create_in(dir: &Path) -> Result<Self, SearchError> {
        let (schema, _) = schema();
        Self::with(Index::create_in_dir(dir, schema)?)
    }

    /// The index in `dir`, refusing one written with another schema.
    pub fn open_in(dir: &Path) -> Result<Self, SearchError> {
        let index = Index::open_in_dir(dir)?;
        let (schema, _) = schema();
        if index.schema() != schema {
            return Err(SearchError::Index(tantivy::TantivyError::SchemaError(
                "the index was written by another version".to_owned(),
            )));
        }
        Self::with(index)
    }

    fn with(index: Index) -> Result<Self, SearchError> {
        // The same analysers as `stemmed_analyzer` and `plain_analyzer`, each text
        // analysed once per document (`memo.rs`).
        let remembered = |stemmed| TextAnalyzer::from(memo::Remembered { stemmed });
        index.tokenizers().register(STEMMED, remembered(true));
        index.tokenizers().register(PLAIN, remembered(false));
        let (_, fields) = schema();
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(Writer {
                inner: writer,
                queue: Arc::new(Queue::default()),
                staged: IdSet::default(),
                bulk: false,
            }),
            fields,
        })
    }

    /// The change-log id the index has caught up to (kept with each commit).
    pub fn cursor(&self) -> i64 {
        self.index
            .load_metas()
            .ok()
            .and_then(|m| m.payload)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }

    /// How many articles the index holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the last commit recorded a change-log position (a rebuild's batches do
    /// not, until the last one).
    pub fn is_complete(&self) -> bool {
        self.index
            .load_metas()
            .ok()
            .and_then(|m| m.payload)
            .is_some_and(|p| p.parse::<i64>().is_ok())
    }

    /// Replaces the `upserts`, removes the `removed` ids, and commits with `cursor` as
    /// the change-log position reached (`None` while a rebuild is still filling the
    /// index): searches see all of a batch or none of it.
    pub fn apply(
        &self,
        upserts: &[IndexDoc],
        removed: &[i64],
        cursor: Option<i64>,
    ) -> Result<(), SearchError> {
        self.stage(upserts, removed)?;
        self.commit(cursor)
    }

    /// [`Self::apply`] without the commit: the writer indexes on its own thread and
    /// keeps the work until [`Self::commit`] (a bulk import commits once, at its end,
    /// instead of writing and merging a segment per batch). Searches do not see it yet.
    ///
    /// Only ids the index may hold are deleted: each delete keeps about a kilobyte in the
    /// writer until the commit, so deleting every new article of a bulk import or a
    /// rebuild grew its memory with the archive (150 MB at 142,000 articles).
    pub fn stage(&self, upserts: &[IndexDoc], removed: &[i64]) -> Result<(), SearchError> {
        let f = self.fields;
        let mut writer = self.writer();
        let searcher = self.reader.searcher();
        for id in removed.iter().chain(upserts.iter().map(|d| &d.id)) {
            let term = Term::from_field_i64(f.id, *id);
            // Counts deleted documents too, which only errs towards deleting.
            if writer.staged.contains(*id) || searcher.doc_freq(&term)? > 0 {
                writer.inner.delete_term(term);
            }
        }
        for d in removed {
            writer.staged.remove(*d);
        }
        for d in upserts {
            writer.staged.insert(d.id);
        }
        for d in upserts {
            let mut doc = StagedDoc::new(writer.queue.enter(staged::IN_FLIGHT));
            let (title, body): (Arc<str>, Arc<str>) =
                (d.title.as_str().into(), d.body.as_str().into());
            doc.int(f.id, d.id);
            doc.text(f.title, &title);
            doc.text(f.body, &body);
            doc.text(f.words, &title);
            doc.text(f.words, &body);
            for _ in 0..TITLE_WEIGHT {
                doc.text(f.all, &title);
            }
            doc.text(f.all, &body);
            for s in &d.sections {
                doc.text(f.section, &s.as_str().into());
            }
            for t in &d.tags {
                doc.text(f.tag, &t.as_str().into());
            }
            for a in &d.authors {
                doc.text(f.author, &a.as_str().into());
            }
            doc.int(f.published, d.published.timestamp());
            writer.inner.add_document(doc)?;
        }
        Ok(())
    }

    /// Commits what was staged, recording `cursor` (see [`Self::apply`]), and shows it
    /// to searches, unless a bulk job runs: then searches see it when the job ends.
    pub fn commit(&self, cursor: Option<i64>) -> Result<(), SearchError> {
        let mut writer = self.writer();
        let mut commit = writer.inner.prepare_commit()?;
        commit.set_payload(&cursor.map_or_else(|| "building".to_owned(), |c| c.to_string()));
        commit.commit()?;
        if !writer.bulk {
            // Searches see the committed ids before the next stage looks for them there.
            self.reader.reload()?;
            writer.staged.clear();
        }
        Ok(())
    }

    /// For a bulk job (an import, a rebuild): no segment merges, and no new searcher at
    /// each commit, until `bulk` is off again. Merging reads every segment back, and in a
    /// command that counts in its memory as the archive grows; the server merges them
    /// later, when it next commits. Opening each new segment for searches mapped a few
    /// pages of each of its files (9 MB over a 142,000-article import, a segment every
    /// 5,000 articles), and nothing searches a bulk job's articles before it ends; the
    /// ids it stages are remembered meanwhile, so that a second version still replaces
    /// the first. Turning `bulk` off shows what was committed.
    pub fn set_bulk(&self, bulk: bool) -> Result<(), SearchError> {
        let mut writer = self.writer();
        writer.bulk = bulk;
        if bulk {
            writer
                .inner
                .set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        } else {
            writer
                .inner
                .set_merge_policy(Box::new(tantivy::indexer::LogMergePolicy::default()));
            // The staged ids stay until the next commit: some may not be committed yet.
            self.reader.reload()?;
        }
        Ok(())
    }

    /// How many segments searches read.
    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Merges the searchable segments into one when there are more than `max`, and waits
    /// for it. A bulk build leaves dozens of segments (no merges while it runs), and the
    /// merge policy only looks at them at the next commit, which a quiet archive may not
    /// see for hours; meanwhile every search pays per segment (30 segments at a million
    /// articles tripled the search p99). Changes keep flowing while it runs: the merge
    /// works on its own threads, not under the writer's lock.
    pub fn compact(&self, max: usize) -> Result<bool, SearchError> {
        let ids = self.index.searchable_segment_ids()?;
        if ids.len() <= max.max(1) {
            return Ok(false);
        }
        let merging = self.writer().inner.merge(&ids);
        merging.wait()?;
        self.reader.reload()?;
        Ok(true)
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Writer> {
        match self.writer.lock() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Answers a search; see [`run`].
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        run::search(self, request)
    }
}
