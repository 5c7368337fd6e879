//! How readers find stories beyond the one they are reading: the search index and the
//! related-stories engine, both caches of the public articles fed from the change log.
//!
//! A change this process made is in both before the next search or related list is
//! worked out (they catch up first when this process has committed since); a change
//! made elsewhere arrives with the change-log follower's next poll. On start a missing,
//! half-built or unreadable index is rebuilt in the background while the site serves,
//! and the related engine (held in memory only) is filled the same way.

use crate::AppState;
use masthead_related::{Doc, RelatedIndex};
use masthead_search::{IndexDoc, IndexFolders, OpenError, SearchIndex};
use masthead_store::{Article, ArticleFilter, StoreError};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Articles read per batch while rebuilding.
const REBUILD_BATCH: i64 = 500;
/// Documents a bulk import stages in the index writer between commits. Each commit
/// writes a segment while the import goes on; at 20,000 a 14,200-post import wrote its
/// whole index at its end, alone, and its memory held every document until then, so
/// small and big imports peaked differently. At 5,000 both cycle alike.
const STAGED_COMMIT: usize = 5_000;
/// More segments than this after a bulk build are merged into one (see
/// `SearchIndex::compact`); the merge policy keeps a live index below it.
const MAX_SEGMENTS: usize = 8;
/// Change-log rows read per batch while catching up. Each batch's articles are read
/// back whole (bodies included) and held until indexed: during an import, 1,000 at a
/// time were several megabytes that came and went. Since freed memory goes back within
/// 100 ms (bulk jobs), 500 cost no measurable peak, and the fewer, larger read-backs
/// made a 142,000-post import ~4% faster than 250 did.
const CHANGES_BATCH: i64 = 500;

pub(crate) struct Discovery {
    folders: Option<IndexFolders>,
    index: RwLock<Arc<SearchIndex>>,
    related: RwLock<RelatedIndex>,
    /// Where the caches stand; held while they are fed, so one feeder runs at a time.
    fed: tokio::sync::Mutex<Fed>,
    /// This process's commit count when the caches last caught up.
    fed_local: AtomicU64,
    /// Whether the search index holds every public article (false while a first build
    /// runs).
    complete: AtomicBool,
    /// Whether the related engine has been filled since start.
    related_ready: AtomicBool,
    rebuilding: AtomicBool,
    /// The start-up state: the index must be rebuilt.
    stale_at_start: AtomicBool,
    /// Searches per client in the current minute.
    searches: std::sync::Mutex<(i64, HashMap<String, u32>)>,
    /// Whether the related engine is kept at all (not by a command that only indexes).
    related_wanted: bool,
    /// Stage catch-ups in the index writer without committing them (while a bulk
    /// import runs here; it commits once at its end).
    defer_commits: AtomicBool,
    /// Documents staged since the last commit.
    staged: std::sync::atomic::AtomicUsize,
}

struct Fed {
    /// The change-log id both caches have caught up to.
    cursor: i64,
}

impl Discovery {
    /// Opens the index in `dir` (or keeps one in memory when there is no folder). What
    /// cannot be opened is replaced by an empty index that start-up fills.
    pub(crate) fn open(dir: Option<&Path>, related_wanted: bool) -> Self {
        let folders = dir.map(IndexFolders::new);
        let (index, stale) = match &folders {
            None => (SearchIndex::in_memory().map(Arc::new), true),
            Some(f) => match f.open_current() {
                Ok(ix) => (Ok(Arc::new(ix)), false),
                Err(OpenError::Busy) => {
                    tracing::warn!(
                        "another process holds the search index in {}; this one keeps its own in memory",
                        f.root().display()
                    );
                    (SearchIndex::in_memory().map(Arc::new), true)
                }
                Err(e) => {
                    if !matches!(e, OpenError::Missing) {
                        tracing::warn!("{e}: rebuilding it");
                    }
                    (fresh(f).map(|(_, ix)| Arc::new(ix)), true)
                }
            },
        };
        let index = index.unwrap_or_else(|e| {
            tracing::error!("cannot create a search index ({e}); searching from memory");
            Arc::new(memory_index())
        });
        let cursor = if stale { 0 } else { index.cursor() };
        Self {
            folders,
            index: RwLock::new(index),
            related: RwLock::new(RelatedIndex::new(masthead_related::Settings::default())),
            fed: tokio::sync::Mutex::new(Fed { cursor }),
            fed_local: AtomicU64::new(u64::MAX),
            complete: AtomicBool::new(!stale),
            related_ready: AtomicBool::new(false),
            rebuilding: AtomicBool::new(false),
            stale_at_start: AtomicBool::new(stale),
            searches: std::sync::Mutex::new((0, HashMap::new())),
            related_wanted,
            defer_commits: AtomicBool::new(false),
            staged: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The index in use (a cheap handle; a rebuild swaps it).
    pub(crate) fn index(&self) -> Arc<SearchIndex> {
        match self.index.read() {
            Ok(ix) => Arc::clone(&ix),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Whether search results cover every public article (not while a first build runs).
    pub(crate) fn complete(&self) -> bool {
        self.complete.load(Ordering::Acquire)
    }

    pub(crate) fn related_ready(&self) -> bool {
        self.related_ready.load(Ordering::Acquire)
    }

    /// Reads the related engine.
    pub(crate) fn related(&self) -> std::sync::RwLockReadGuard<'_, RelatedIndex> {
        match self.related.read() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn related_mut(&self) -> std::sync::RwLockWriteGuard<'_, RelatedIndex> {
        match self.related.write() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Counts a search by `client`; false once it has made `limit` this minute.
    pub(crate) fn allow_search(&self, client: &str, now_minute: i64, limit: u32) -> bool {
        if limit == 0 {
            return true;
        }
        let mut guard = match self.searches.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (minute, counts) = &mut *guard;
        if *minute != now_minute {
            *minute = now_minute;
            counts.clear();
        }
        let n = counts.entry(client.to_owned()).or_insert(0);
        *n = n.saturating_add(1);
        *n <= limit
    }
}

fn fresh(folders: &IndexFolders) -> Result<(PathBuf, SearchIndex), masthead_search::SearchError> {
    let (dir, ix) = folders.create_next()?;
    folders.activate(&dir)?;
    Ok((dir, ix))
}

/// An in-memory index; creating one only fails if tantivy cannot allocate.
fn memory_index() -> SearchIndex {
    match SearchIndex::in_memory() {
        Ok(ix) => ix,
        Err(e) => panic!("cannot create an in-memory search index: {e}"),
    }
}

/// What the index and the engine read of an article.
fn index_doc(a: &Article) -> IndexDoc {
    let s = &a.summary;
    let mut body = String::new();
    for part in [&s.kicker, &s.dek].into_iter().flatten() {
        body.push_str(part);
        body.push_str("\n\n");
    }
    body.push_str(&masthead_render::text::html_to_text(&a.body_html));
    IndexDoc {
        id: s.id,
        title: s.title.clone(),
        body,
        sections: s.sections.iter().map(|t| t.slug.clone()).collect(),
        tags: s.tags.iter().map(|t| t.slug.clone()).collect(),
        authors: s.authors.iter().map(|t| t.slug.clone()).collect(),
        published: s.published_at.unwrap_or(s.updated_at),
    }
}

/// Puts these articles in the related engine (by section and tag names, which is what
/// editors are shown).
fn relate(engine: &mut RelatedIndex, docs: &[(IndexDoc, Vec<String>, Vec<String>)]) {
    for (d, sections, tags) in docs {
        engine.upsert(
            d.id,
            &Doc {
                title: &d.title,
                body: &d.body,
                sections,
                tags,
                published: d.published.timestamp(),
            },
        );
    }
}

fn names(a: &Article) -> (Vec<String>, Vec<String>) {
    (
        a.summary.sections.iter().map(|t| t.name.clone()).collect(),
        a.summary.tags.iter().map(|t| t.name.clone()).collect(),
    )
}

impl AppState {
    pub(crate) fn discovery(&self) -> &Discovery {
        &self.0.discovery
    }

    /// Fills what start-up left empty (in the background) and catches up with the
    /// change log.
    pub(crate) fn start_discovery(&self) {
        let state = self.clone();
        tokio::spawn(async move {
            let rebuild = state
                .discovery()
                .stale_at_start
                .swap(false, Ordering::AcqRel);
            if let Err(e) = state.fill(rebuild).await {
                tracing::error!("cannot build the search index: {e}");
            }
            state.compact_search_index().await;
        });
    }

    /// Merges the search index's segments when a bulk build (a rebuild, an import) left
    /// many: in the background of a server, which answers searches meanwhile.
    async fn compact_search_index(&self) {
        let index = self.discovery().index();
        let before = index.segments();
        let started = std::time::Instant::now();
        match tokio::task::spawn_blocking(move || index.compact(MAX_SEGMENTS)).await {
            Ok(Ok(true)) => tracing::info!(
                "search index: {before} segments merged in {:.1} s",
                started.elapsed().as_secs_f64()
            ),
            Ok(Ok(false)) => {}
            Ok(Err(e)) => tracing::warn!("cannot merge the search index's segments: {e}"),
            Err(e) => tracing::warn!("the search index merge stopped: {e}"),
        }
    }

    /// Whether search and related stories cover every public article (tests wait for
    /// it after a start; readers are served before).
    /// The change-log id the search index has caught up to.
    pub fn search_cursor(&self) -> i64 {
        self.discovery().index().cursor()
    }

    pub fn discovery_ready(&self) -> bool {
        let d = self.discovery();
        d.complete() && d.related_ready() && !d.rebuilding.load(Ordering::Acquire)
    }

    /// Rebuilds the search index into a new folder and swaps it in, now (for `masthead
    /// reindex` when no server holds the index). Returns how many articles it holds.
    pub async fn rebuild_search_index(&self) -> Result<u64, StoreError> {
        self.discovery()
            .stale_at_start
            .store(false, Ordering::Release);
        self.fill(true).await?;
        Ok(self.discovery().index().len())
    }

    /// Keeps the search index fed from the change log while `work` runs (an import in
    /// this process, the index held by no server), then catches up once more: what the
    /// work wrote is searchable when it ends, without a rebuild, and the indexing runs
    /// beside it on the other core. A missing index is built first (at once for an
    /// empty site).
    pub async fn index_while<F: std::future::Future>(&self, work: F) -> F::Output {
        if self
            .discovery()
            .stale_at_start
            .swap(false, Ordering::AcqRel)
            && let Err(e) = self.fill(true).await
        {
            tracing::error!("cannot build the search index: {e}");
        }
        self.discovery()
            .defer_commits
            .store(true, Ordering::Release);
        // A command, not a server: segment merges are left to the server.
        let bulk = !self.settings().related_stories;
        if bulk && let Err(e) = self.discovery().index().set_bulk(true) {
            tracing::warn!("cannot update the search index: {e}");
        }
        let running = Arc::new(AtomicBool::new(true));
        let feeder = {
            let (state, running) = (self.clone(), Arc::clone(&running));
            tokio::spawn(async move {
                while running.load(Ordering::Acquire) {
                    if let Err(e) = state.feed_discovery().await {
                        tracing::warn!("cannot update the search index: {e}");
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            })
        };
        let out = work.await;
        running.store(false, Ordering::Release);
        if let Err(e) = feeder.await {
            tracing::warn!("the search indexer stopped: {e}");
        }
        let d = self.discovery();
        d.defer_commits.store(false, Ordering::Release);
        if let Err(e) = self.feed_discovery().await {
            tracing::warn!("cannot update the search index: {e}");
        }
        // What was staged before the last catch-up is committed with it, or here.
        let cursor = d.complete().then_some(d.fed.lock().await.cursor);
        let index = d.index();
        let done = move || {
            index.commit(cursor)?;
            if bulk { index.set_bulk(false) } else { Ok(()) }
        };
        match tokio::task::spawn_blocking(done).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("cannot update the search index: {e}"),
            Err(e) => tracing::warn!("the search indexer stopped: {e}"),
        }
        out
    }

    /// Rebuilds the search index in the background (asked for through the change log
    /// by `masthead reindex`). Boxed: a rebuild ends by catching up, which may ask for
    /// another.
    pub(crate) fn spawn_rebuild(&self) {
        let state = self.clone();
        let rebuild: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> =
            Box::pin(async move {
                if let Err(e) = state.fill(true).await {
                    tracing::error!("cannot rebuild the search index: {e}");
                }
                state.compact_search_index().await;
            });
        tokio::spawn(rebuild);
    }

    /// Makes sure this process's own changes are searchable: cheap when it has made
    /// none since the last catch-up.
    pub(crate) async fn discovery_fresh(&self) {
        let d = self.discovery();
        if d.fed_local.load(Ordering::Acquire) != self.store().local_change_count()
            && let Err(e) = self.feed_discovery().await
        {
            tracing::warn!("cannot update the search index: {e}");
        }
    }

    /// Reads the change log from where the caches stand and applies what changed
    /// articles: published ones are (re)indexed, others removed. Returns the change the
    /// caches now stand at.
    pub(crate) async fn feed_discovery(&self) -> Result<i64, StoreError> {
        let d = self.discovery();
        let mut fed = d.fed.lock().await;
        let local = self.store().local_change_count();
        loop {
            let changes = self
                .store()
                .changes_after(fed.cursor, CHANGES_BATCH)
                .await?;
            let Some(last) = changes.last().map(|c| c.id) else {
                break;
            };
            let mut touched: BTreeSet<i64> = BTreeSet::new();
            for c in &changes {
                match c.entity.as_str() {
                    "article" => {
                        touched.insert(c.entity_id);
                    }
                    // A new term has no articles to index again (an import makes one
                    // before the articles that name it, which it indexes anyway).
                    "section" | "tag" | "author" if c.action == "create" => {}
                    "section" | "tag" | "author" => {
                        touched.extend(self.articles_under(&c.entity, c.entity_id).await?);
                    }
                    "search" if !d.rebuilding.load(Ordering::Acquire) => self.spawn_rebuild(),
                    _ => {}
                }
            }
            if !touched.is_empty() {
                self.apply_articles(&touched.into_iter().collect::<Vec<_>>(), last)
                    .await?;
            }
            fed.cursor = last;
            if (changes.len() as i64) < CHANGES_BATCH {
                break;
            }
        }
        d.fed_local.store(local, Ordering::Release);
        Ok(fed.cursor)
    }

    /// The public articles in a section, tag or byline (whose name or slug changed).
    async fn articles_under(&self, entity: &str, id: i64) -> Result<Vec<i64>, StoreError> {
        let filter = match entity {
            "section" => ArticleFilter {
                section_ids: vec![id],
                ..Default::default()
            },
            "tag" => ArticleFilter {
                tag_id: Some(id),
                ..Default::default()
            },
            _ => ArticleFilter {
                author_id: Some(id),
                ..Default::default()
            },
        };
        let total = self.store().count_public(&filter).await?;
        let page = masthead_core::paging::PageRequest::new(1, total.clamp(1, 100_000) as u32);
        Ok(self
            .store()
            .public_articles(&filter, page)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect())
    }

    /// Re-reads these articles into both caches and records `cursor` in the index.
    async fn apply_articles(&self, ids: &[i64], cursor: i64) -> Result<(), StoreError> {
        let found = self.store().public_articles_by_ids(ids).await?;
        let public: std::collections::HashSet<i64> = found.iter().map(|a| a.summary.id).collect();
        let gone: Vec<i64> = ids
            .iter()
            .filter(|id| !public.contains(id))
            .copied()
            .collect();
        let docs: Vec<_> = found
            .iter()
            .map(|a| {
                let (sections, tags) = names(a);
                (index_doc(a), sections, tags)
            })
            .collect();
        let d = self.discovery();
        if d.related_wanted {
            let mut engine = d.related_mut();
            for id in &gone {
                engine.remove(*id);
            }
            relate(&mut engine, &docs);
        }
        let upserts: Vec<IndexDoc> = docs.into_iter().map(|(d, _, _)| d).collect();
        let index = d.index();
        let cursor = d.complete().then_some(cursor);
        // Staged, a bulk import commits every STAGED_COMMIT documents (the writer keeps
        // every staged delete until a commit, so its memory would grow with the file).
        let defer = d.defer_commits.load(Ordering::Acquire)
            && d.staged
                .fetch_add(upserts.len() + gone.len(), Ordering::AcqRel)
                < STAGED_COMMIT;
        if !defer {
            d.staged.store(0, Ordering::Release);
        }
        tokio::task::spawn_blocking(move || {
            if defer {
                index.stage(&upserts, &gone)
            } else {
                index.apply(&upserts, &gone, cursor)
            }
        })
        .await
        .map_err(|e| StoreError::Invalid(format!("the search indexer stopped: {e}")))?
        .map_err(|e| StoreError::Invalid(e.to_string()))
    }

    /// Reads every public article into the related engine and, when `rebuild`, into a
    /// new search index that replaces the one in use once it is whole.
    async fn fill(&self, rebuild: bool) -> Result<(), StoreError> {
        let d = self.discovery();
        if rebuild && d.rebuilding.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let result = self.fill_inner(rebuild).await;
        if rebuild {
            d.rebuilding.store(false, Ordering::Release);
        }
        result
    }

    async fn fill_inner(&self, rebuild: bool) -> Result<(), StoreError> {
        let d = self.discovery();
        let started = std::time::Instant::now();
        let invalid = |e: String| StoreError::Invalid(e);
        // Changes after this point are caught up afterwards (applying one twice is
        // harmless).
        let cursor = self.store().latest_change_id().await?;
        let target = if rebuild {
            let made = match &d.folders {
                Some(f) => f.create_next().map(|(dir, ix)| (Some(dir), ix)),
                None => SearchIndex::in_memory().map(|ix| (None, ix)),
            };
            Some(made.map_err(|e| invalid(e.to_string()))?)
        } else {
            None
        };
        // Built without merges; a server merges its segments from its next commit on.
        let target = match target {
            Some((dir, ix)) => {
                ix.set_bulk(true).map_err(|e| invalid(e.to_string()))?;
                Some((dir, Arc::new(ix)))
            }
            None => None,
        };
        let mut fresh_engine = RelatedIndex::new(masthead_related::Settings::default());
        let mut after = 0;
        let mut count = 0usize;
        loop {
            let ids = self.store().public_ids_after(after, REBUILD_BATCH).await?;
            let Some(&last) = ids.last() else { break };
            after = last;
            let docs: Vec<_> = self
                .store()
                .public_articles_by_ids(&ids)
                .await?
                .iter()
                .map(|a| {
                    let (sections, tags) = names(a);
                    (index_doc(a), sections, tags)
                })
                .collect();
            count += docs.len();
            if d.related_wanted {
                relate(&mut fresh_engine, &docs);
            }
            if let Some((_, ix)) = &target {
                let ix = Arc::clone(ix);
                let upserts: Vec<IndexDoc> = docs.into_iter().map(|(d, _, _)| d).collect();
                // Committed once, when whole (below).
                tokio::task::spawn_blocking(move || ix.stage(&upserts, &[]))
                    .await
                    .map_err(|e| invalid(e.to_string()))?
                    .map_err(|e| invalid(e.to_string()))?;
            }
        }
        {
            // Swap under the feeder's lock: no catch-up runs half on the old caches.
            let mut fed = d.fed.lock().await;
            if let Some((dir, ix)) = target {
                let done = Arc::clone(&ix);
                tokio::task::spawn_blocking(move || done.apply(&[], &[], Some(cursor)))
                    .await
                    .map_err(|e| invalid(e.to_string()))?
                    .map_err(|e| invalid(e.to_string()))?;
                if let (Some(f), Some(dir)) = (&d.folders, dir) {
                    f.activate(&dir).map_err(|e| invalid(e.to_string()))?;
                }
                // Searchable, and merged from its next commit on.
                ix.set_bulk(false).map_err(|e| invalid(e.to_string()))?;
                match d.index.write() {
                    Ok(mut slot) => *slot = ix,
                    Err(poisoned) => *poisoned.into_inner() = ix,
                }
                d.complete.store(true, Ordering::Release);
            }
            *d.related_mut() = fresh_engine;
            d.related_ready.store(true, Ordering::Release);
            fed.cursor = fed.cursor.min(cursor);
            if rebuild {
                fed.cursor = cursor;
            }
        }
        tracing::info!(
            "{} {count} articles in {:.1} s",
            if rebuild {
                "search index and related stories built from"
            } else {
                "related stories built from"
            },
            started.elapsed().as_secs_f64()
        );
        self.feed_discovery().await.map(|_| ())
    }
}

/// One story under "You May Also Like", and why it is there.
#[derive(Debug, Clone)]
pub(crate) struct RelatedStory {
    pub article: masthead_store::ArticleSummary,
    /// "Chosen by an editor", or what the engine found in common.
    pub why: String,
    pub pinned: bool,
}

impl AppState {
    /// Up to `limit` related public stories for `article`: an editor's pins first, then
    /// the engine's choice. While the engine is still being filled after a start, the
    /// newest stories of the same section stand in.
    pub(crate) async fn related_stories(
        &self,
        article: &Article,
        limit: usize,
    ) -> Result<Vec<RelatedStory>, StoreError> {
        self.discovery_fresh().await;
        let id = article.summary.id;
        let pins = self.store().related_pins(id).await?;
        let mut out: Vec<RelatedStory> = self
            .store()
            .public_summaries(&pins)
            .await?
            .into_iter()
            .take(limit)
            .map(|a| RelatedStory {
                article: a,
                why: "chosen by an editor".to_owned(),
                pinned: true,
            })
            .collect();
        if out.len() >= limit {
            return Ok(out);
        }
        let d = self.discovery();
        if !d.related_ready() {
            let filter = ArticleFilter {
                section_ids: match self
                    .store()
                    .section_by_slug(&article.summary.section.slug)
                    .await?
                {
                    Some(s) => vec![s.id],
                    None => Vec::new(),
                },
                exclude_ids: std::iter::once(id).chain(pins.iter().copied()).collect(),
                ..Default::default()
            };
            let want = (limit - out.len()) as u32;
            let newest = self
                .store()
                .public_articles(&filter, masthead_core::paging::PageRequest::new(1, want))
                .await?;
            out.extend(newest.into_iter().map(|a| RelatedStory {
                article: a,
                why: "newest in the same section".to_owned(),
                pinned: false,
            }));
            return Ok(out);
        }
        // A few spare in case some stopped being public since the engine last heard.
        let want = limit - out.len() + 2;
        let mut exclude = pins.clone();
        exclude.push(id);
        let picks = {
            let engine = d.related();
            if engine.contains(id) {
                engine.related(id, want, &exclude)
            } else {
                let doc = index_doc(article);
                let (sections, tags) = names(article);
                engine.related_to_doc(
                    &Doc {
                        title: &doc.title,
                        body: &doc.body,
                        sections: &sections,
                        tags: &tags,
                        published: doc.published.timestamp(),
                    },
                    want,
                    &exclude,
                )
            }
        };
        let ids: Vec<i64> = picks.iter().map(|p| p.key).collect();
        let found = self.store().public_summaries(&ids).await?;
        for a in found {
            if out.len() >= limit {
                break;
            }
            let why = picks
                .iter()
                .find(|p| p.key == a.id)
                .map(|p| p.why.to_string())
                .unwrap_or_default();
            out.push(RelatedStory {
                article: a,
                why,
                pinned: false,
            });
        }
        Ok(out)
    }
}
