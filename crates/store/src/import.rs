//! Writes for importers: a batch of articles with their comments and the old addresses
//! that lead to them, in one transaction, so an import killed at any moment leaves whole
//! batches only and a second run finds and updates what the first wrote (by external id).

use crate::articles::{ExistingRow, SaveTarget, ensure_term, save_one};
use crate::comments::recount;
use crate::redirects::{ContentKind, NewRedirect, upsert_redirects};
use crate::sql::{Arg, Sql, bind_args, insert_rows, reserve_ids};
use crate::{
    NewArticle, NewComment, NewSection, Saved, Store, StoreError, clean_name, log_change, write_tx,
};
use chrono::{DateTime, NaiveDate, Utc};
use masthead_core::article::{article_path, url_date};
use masthead_core::comment::CommentStatus;
use masthead_core::{ArticleStatus, slug};
use sqlx::AssertSqlSafe;
use std::collections::{HashMap, HashSet};

/// An imported comment; `comment.article_id` and `comment.parent_id` are filled in here.
#[derive(Debug, Clone, Default)]
pub struct ImportComment {
    pub external_id: String,
    /// The parent's external id, for threading.
    pub parent_external_id: Option<String>,
    pub comment: NewComment,
}

/// An imported article with what hangs off it.
#[derive(Debug, Clone)]
pub struct ImportItem {
    /// Must carry an external id: that is how a second run finds it.
    pub article: NewArticle,
    pub comments: Vec<ImportComment>,
    /// Old addresses (`source_key`s) that should lead here.
    pub old_addresses: Vec<String>,
}

/// What became of an [`ImportItem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportedItem {
    pub saved: Saved,
    pub comments_created: u64,
    pub comments_updated: u64,
    pub redirects: u64,
}

/// Inserts or updates an article's imported comments, then threads them; evaluates to
/// `(created, updated)`.
macro_rules! import_comments {
    ($tx:expr, $article_id:expr, $comments:expr, $now:expr) => {{
        let comments: &[ImportComment] = $comments;
        let now: DateTime<Utc> = $now;
        let mut ids: HashMap<&str, i64> = HashMap::with_capacity(comments.len());
        let (mut created, mut updated) = (0u64, 0u64);
        for ic in comments {
            let c = &ic.comment;
            let status = c.status.unwrap_or(CommentStatus::Held);
            let kind = if c.kind.is_empty() { "comment" } else { c.kind.as_str() };
            let format = if c.body_format.is_empty() { "html" } else { c.body_format.as_str() };
            let email = masthead_core::comment::normalise_email(&c.author_email);
            let existing: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM comments WHERE external_id = $1 AND article_id = $2",
            )
            .bind(&ic.external_id)
            .bind($article_id)
            .fetch_optional(&mut *$tx)
            .await?;
            let id: i64 = match existing {
                Some(id) => {
                    sqlx::query(
                        "UPDATE comments SET status = $1, kind = $2, author_name = $3, author_email = $4,
                            author_url = $5, body = $6, body_format = $7, client_ip = $8, created_at = $9
                         WHERE id = $10",
                    )
                    .bind(status.as_str())
                    .bind(kind)
                    .bind(&c.author_name)
                    .bind(&email)
                    .bind(&c.author_url)
                    .bind(&c.body)
                    .bind(format)
                    .bind(&c.client_ip)
                    .bind(c.created_at.unwrap_or(now))
                    .bind(id)
                    .execute(&mut *$tx)
                    .await?;
                    updated += 1;
                    id
                }
                None => {
                    created += 1;
                    sqlx::query_scalar(
                        "INSERT INTO comments (article_id, status, kind, author_name, author_email,
                            author_url, body, body_format, client_ip, user_agent, created_at,
                            status_changed_at, external_id)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', $10, $11, $12) RETURNING id",
                    )
                    .bind($article_id)
                    .bind(status.as_str())
                    .bind(kind)
                    .bind(&c.author_name)
                    .bind(&email)
                    .bind(&c.author_url)
                    .bind(&c.body)
                    .bind(format)
                    .bind(&c.client_ip)
                    .bind(c.created_at.unwrap_or(now))
                    .bind(now)
                    .bind(&ic.external_id)
                    .fetch_one(&mut *$tx)
                    .await?
                }
            };
            ids.insert(ic.external_id.as_str(), id);
        }
        // Threading once every comment has its id: a reply may come before its parent.
        for ic in comments {
            let Some(parent) = ic.parent_external_id.as_deref() else { continue };
            let parent_id = match ids.get(parent) {
                Some(id) => Some(*id),
                None => sqlx::query_scalar(
                    "SELECT id FROM comments WHERE external_id = $1 AND article_id = $2",
                )
                .bind(parent)
                .bind($article_id)
                .fetch_optional(&mut *$tx)
                .await?,
            };
            if let (Some(parent_id), Some(id)) = (parent_id, ids.get(ic.external_id.as_str())) {
                sqlx::query("UPDATE comments SET parent_id = $1 WHERE id = $2")
                    .bind(parent_id)
                    .bind(*id)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
        (created, updated)
    }};
}

/// Imports one item the way an editor's save goes: the article (created or updated),
/// its comments, its old addresses. Evaluates to its [`ImportedItem`].
macro_rules! import_one {
    ($store:expr, $tx:expr, $item:expr, $origin:expr, $now:expr) => {{
        let item: &ImportItem = $item;
        let saved = save_one!($store, $tx, &item.article, $now);
        let (created, updated) = import_comments!($tx, saved.id, &item.comments, $now);
        if created + updated > 0 {
            recount!($tx, saved.id);
        }
        // An old address that is the article's new one would loop.
        let here: (String, Option<NaiveDate>) =
            sqlx::query_as("SELECT slug, url_date FROM articles WHERE id = $1")
                .bind(saved.id)
                .fetch_one(&mut *$tx)
                .await?;
        let own = here.1.map(|d| article_path(d, &here.0));
        let redirects: Vec<NewRedirect> = item
            .old_addresses
            .iter()
            .filter(|a| Some(a.as_str()) != own.as_deref())
            .map(|a| NewRedirect::imported(a.clone(), ContentKind::Article, saved.id, $origin))
            .collect();
        let written = upsert_redirects!($tx, &redirects, $now);
        ImportedItem {
            saved,
            comments_created: created,
            comments_updated: updated,
            redirects: written,
        }
    }};
}

/// The texts `$head` (a query of one text column ending in `IN `) finds among
/// `$values`, looked up `LOOKUP_CHUNK` at a time.
macro_rules! texts_in {
    ($tx:expr, $head:expr, $values:expr) => {{
        let values: &[String] = $values;
        let mut found: HashSet<String> = HashSet::new();
        for chunk in values.chunks(LOOKUP_CHUNK) {
            let mut sql = Sql::new($head);
            sql.bind_texts(chunk);
            let q = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql.text.clone()));
            found.extend(
                bind_args!(q.persistent(false), &sql.args)
                    .fetch_all(&mut *$tx)
                    .await?,
            );
        }
        found
    }};
}

/// Writes articles the site does not have yet, with their bodies, terms, bylines,
/// comments (threaded) and old addresses, in a few multi-row statements per table.
/// Evaluates to an [`ImportedItem`] per article, in order.
macro_rules! insert_new {
    ($store:expr, $tx:expr, $batch:expr, $origin:expr, $now:expr, $tz:expr) => {{
        let batch: &[&ImportItem] = $batch;
        let now: DateTime<Utc> = $now;
        let tz: chrono_tz::Tz = $tz;

        // Sections, tags and bylines by name: found in a query per table, the few
        // missing ones made as a save makes them.
        let mut terms: [HashMap<String, i64>; 3] = Default::default();
        for (t, table) in TERM_TABLES.iter().enumerate() {
            let mut wanted: Vec<String> = Vec::new();
            let mut listed: HashSet<&str> = HashSet::new();
            for item in batch {
                let a = &item.article;
                let names: Vec<&String> = match t {
                    0 => std::iter::once(&a.section)
                        .chain(&a.other_sections)
                        .collect(),
                    1 => a.tags.iter().collect(),
                    _ => a.authors.iter().collect(),
                };
                for name in names {
                    if listed.insert(name.as_str()) {
                        wanted.push(name.clone());
                    }
                }
            }
            if t == 0 {
                wanted.push("News".to_owned());
            }
            let cleaned: Vec<String> = wanted.iter().map(|n| clean_name(n)).collect();
            let mut by_slug: HashMap<String, i64> = HashMap::new();
            let mut by_name: HashMap<String, i64> = HashMap::new();
            for chunk in cleaned.chunks(LOOKUP_CHUNK) {
                let mut sql = Sql::new(&format!(
                    "SELECT id, slug, name FROM {table} WHERE slug IN "
                ));
                sql.bind_texts(chunk);
                sql.push(" OR name IN ");
                sql.bind_texts(chunk);
                let q = sqlx::query_as::<_, (i64, String, String)>(AssertSqlSafe(sql.text.clone()));
                for (id, slug, name) in bind_args!(q.persistent(false), &sql.args)
                    .fetch_all(&mut *$tx)
                    .await?
                {
                    by_slug.insert(slug, id);
                    let lowest = by_name.entry(name).or_insert(id);
                    *lowest = (*lowest).min(id);
                }
            }
            for (name, clean) in wanted.iter().zip(&cleaned) {
                // As `ensure_term!`: a term whose slug is the name wins over one so named.
                let id = match by_slug.get(clean).or_else(|| by_name.get(clean)) {
                    Some(id) => Some(*id),
                    None => ensure_term!($tx, *table, name, now),
                };
                if let Some(id) = id {
                    terms[t].insert(name.clone(), id);
                }
            }
        }
        let news = terms[0].get("News").copied().unwrap_or_default();

        // Slugs: usually free (one query for the batch); on a clash numbered as a save
        // numbers them, counting the ones this batch takes.
        let bases: Vec<String> = batch
            .iter()
            .map(|i| {
                let a = &i.article;
                a.slug.clone().unwrap_or_else(|| slug::from_title(&a.title))
            })
            .collect();
        let nonempty: Vec<String> = bases.iter().filter(|b| !b.is_empty()).cloned().collect();
        let held = texts_in!($tx, "SELECT slug FROM articles WHERE slug IN ", &nonempty);
        let mut taken_here: HashSet<String> = HashSet::new();
        let mut slugs: Vec<Option<String>> = Vec::with_capacity(batch.len());
        for base in &bases {
            if base.is_empty() {
                slugs.push(None);
                continue;
            }
            let chosen = if !held.contains(base) && !taken_here.contains(base) {
                base.clone()
            } else {
                let mut taken: HashSet<String> =
                    sqlx::query_scalar("SELECT slug FROM articles WHERE slug = $1 OR slug LIKE $2")
                        .bind(base)
                        .bind(format!("{base}-%"))
                        .fetch_all(&mut *$tx)
                        .await?
                        .into_iter()
                        .collect();
                taken.extend(taken_here.iter().cloned());
                let mut n = 1;
                while taken.contains(slug::candidate(base, n).as_ref()) {
                    n += 1;
                }
                slug::candidate(base, n).into_owned()
            };
            taken_here.insert(chosen.clone());
            slugs.push(Some(chosen));
        }

        // The articles, with ids reserved for them.
        let article_ids: Vec<i64> = reserve_ids!($tx, "articles", batch.len());
        let mut args: Vec<Arg> = Vec::with_capacity(batch.len() * ARTICLE_WIDTH);
        let mut dates: Vec<Option<NaiveDate>> = Vec::with_capacity(batch.len());
        for (n, item) in batch.iter().enumerate() {
            let a = &item.article;
            let section_id = terms[0].get(&a.section).copied().unwrap_or(news);
            let date = (a.status == ArticleStatus::Published)
                .then_some(a.published_at)
                .flatten()
                .map(|t| url_date(t, tz));
            dates.push(date);
            let approved = item
                .comments
                .iter()
                .filter(|c| c.comment.status == Some(CommentStatus::Approved))
                .count() as i64;
            let slug = slugs[n]
                .clone()
                .unwrap_or_else(|| format!("new-{}-{n}", now.timestamp_micros()));
            args.extend([
                Arg::Int(article_ids[n]),
                Arg::Text(slug),
                Arg::OptDate(date),
                Arg::Text(a.title.clone()),
                Arg::OptText(a.kicker.clone()),
                Arg::OptText(a.dek.clone()),
                Arg::OptText(a.editor_excerpt.clone()),
                Arg::Text(a.excerpt.clone()),
                Arg::Text(a.status.as_str().to_owned()),
                Arg::OptTime(a.published_at),
                Arg::Time(a.updated_at.unwrap_or(now)),
                Arg::Time(now),
                Arg::Int(section_id),
                Arg::Bool(a.featured),
                Arg::Bool(a.comments_open),
                Arg::Text(a.language.clone()),
                Arg::OptText(a.featured_image.clone()),
                Arg::OptText(a.featured_image_alt.clone()),
                Arg::OptText(a.external_id.clone()),
                Arg::Text(a.label.as_str().to_owned()),
                Arg::OptInt(None),
                Arg::OptText(a.dateline.clone()),
                Arg::OptText(a.seo_title.clone()),
                Arg::OptText(a.seo_description.clone()),
                Arg::OptText(a.canonical_url.clone()),
                Arg::Bool(a.noindex),
                Arg::OptInt(a.featured_media_id),
                Arg::Int(approved),
            ]);
        }
        insert_rows!($tx, ARTICLE_INSERT, ARTICLE_WIDTH, &args);
        // A new article is at version 1 (the column's default).
        let ids: Vec<(i64, i64)> = article_ids.iter().map(|id| (*id, 1)).collect();
        for (n, (id, _)) in ids.iter().enumerate() {
            if slugs[n].is_none() {
                // An empty title: the id is the slug.
                sqlx::query("UPDATE articles SET slug = $1 WHERE id = $2")
                    .bind(id.to_string())
                    .bind(*id)
                    .execute(&mut *$tx)
                    .await?;
                slugs[n] = Some(id.to_string());
            }
        }

        // Bodies, term links (each carries the article's status and time for the
        // listing index) and a change-log row per article.
        let mut bodies: Vec<Arg> = Vec::with_capacity(batch.len() * 4);
        let mut links: [Vec<Arg>; 3] = Default::default();
        let mut changes: Vec<Arg> = Vec::with_capacity(batch.len() * 4);
        for (item, (id, _)) in batch.iter().zip(&ids) {
            let a = &item.article;
            bodies.extend([
                Arg::Int(*id),
                Arg::Text(a.body_format.as_str().to_owned()),
                Arg::Text(a.body_source.clone()),
                Arg::Text(a.body_html.clone()),
            ]);
            let primary = terms[0].get(&a.section).copied().unwrap_or(news);
            let lists: [Vec<i64>; 3] = [
                std::iter::once(primary)
                    .chain(
                        a.other_sections
                            .iter()
                            .filter_map(|s| terms[0].get(s).copied()),
                    )
                    .collect(),
                a.tags
                    .iter()
                    .filter_map(|s| terms[1].get(s).copied())
                    .collect(),
                a.authors
                    .iter()
                    .filter_map(|s| terms[2].get(s).copied())
                    .collect(),
            ];
            for (t, list) in lists.into_iter().enumerate() {
                let mut placed: Vec<i64> = Vec::with_capacity(list.len());
                for term in list {
                    if !placed.contains(&term) {
                        placed.push(term);
                    }
                }
                for (pos, term) in placed.into_iter().enumerate() {
                    links[t].extend([
                        Arg::Int(*id),
                        Arg::Int(term),
                        Arg::Int(pos as i64),
                        Arg::Text(a.status.as_str().to_owned()),
                        Arg::OptTime(a.published_at),
                    ]);
                }
            }
            changes.extend([
                Arg::Text("article".to_owned()),
                Arg::Int(*id),
                Arg::Text("create".to_owned()),
                Arg::Time(now),
            ]);
        }
        insert_rows!(
            $tx,
            "INSERT INTO article_bodies (article_id, body_format, body_source, body_html)",
            4,
            &bodies
        );
        for (t, rows) in links.iter().enumerate() {
            insert_rows!($tx, LINK_INSERTS[t], 5, rows);
        }
        insert_rows!(
            $tx,
            "INSERT INTO changes (entity, entity_id, action, created_at)",
            4,
            &changes
        );

        // Comments, parents before replies: one statement per depth of the threads.
        let mut depth: Vec<Vec<usize>> = Vec::with_capacity(batch.len());
        let mut parents: Vec<Vec<Option<usize>>> = Vec::with_capacity(batch.len());
        for item in batch {
            let at: HashMap<&str, usize> = item
                .comments
                .iter()
                .enumerate()
                .map(|(k, c)| (c.external_id.as_str(), k))
                .collect();
            let parent: Vec<Option<usize>> = item
                .comments
                .iter()
                .map(|c| {
                    c.parent_external_id
                        .as_deref()
                        .and_then(|p| at.get(p).copied())
                })
                .collect();
            depth.push(thread_depths(&parent));
            parents.push(parent);
        }
        let deepest = depth.iter().flatten().copied().max();
        let mut comment_ids: Vec<Vec<Option<i64>>> =
            batch.iter().map(|i| vec![None; i.comments.len()]).collect();
        for level in 0..=deepest.unwrap_or(0) {
            if deepest.is_none() {
                break;
            }
            let here = depth.iter().flatten().filter(|d| **d == level).count();
            let mut fresh = reserve_ids!($tx, "comments", here).into_iter();
            let mut args: Vec<Arg> = Vec::with_capacity(here * COMMENT_WIDTH);
            for (n, item) in batch.iter().enumerate() {
                for (k, ic) in item.comments.iter().enumerate() {
                    if depth[n][k] != level {
                        continue;
                    }
                    let Some(id) = fresh.next() else {
                        return Err(StoreError::Invalid("too few comment ids".to_owned()));
                    };
                    comment_ids[n][k] = Some(id);
                    let c = &ic.comment;
                    // A loop in the thread was cut: that parent comes later, so none.
                    let parent = parents[n][k]
                        .filter(|p| depth[n][*p] < level)
                        .and_then(|p| comment_ids[n][p]);
                    args.extend([
                        Arg::Int(id),
                        Arg::Int(ids[n].0),
                        Arg::OptInt(parent),
                        Arg::Text(c.status.unwrap_or(CommentStatus::Held).as_str().to_owned()),
                        Arg::Text(
                            if c.kind.is_empty() {
                                "comment"
                            } else {
                                &c.kind
                            }
                            .to_owned(),
                        ),
                        Arg::Text(c.author_name.clone()),
                        Arg::Text(masthead_core::comment::normalise_email(&c.author_email)),
                        Arg::Text(c.author_url.clone()),
                        Arg::Text(c.body.clone()),
                        Arg::Text(
                            if c.body_format.is_empty() {
                                "html"
                            } else {
                                &c.body_format
                            }
                            .to_owned(),
                        ),
                        Arg::Text(c.client_ip.clone()),
                        Arg::Text(String::new()),
                        Arg::Time(c.created_at.unwrap_or(now)),
                        Arg::Time(now),
                        Arg::Text(ic.external_id.clone()),
                    ]);
                }
            }
            insert_rows!($tx, COMMENT_INSERT, COMMENT_WIDTH, &args);
        }

        // Old addresses, but never the article's own (it would loop). The last item
        // naming an address wins, as one save after another would have it.
        let mut wanted: HashMap<&str, usize> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for (n, item) in batch.iter().enumerate() {
            let own = dates[n]
                .zip(slugs[n].as_deref())
                .map(|(d, s)| article_path(d, s));
            for address in &item.old_addresses {
                if Some(address.as_str()) == own.as_deref() {
                    continue;
                }
                if wanted.insert(address.as_str(), n).is_none() {
                    order.push(address.as_str());
                }
            }
        }
        // An import never replaces a manual redirect: those are left out (and not
        // counted).
        let manual: HashSet<String> = if $origin == "manual" {
            HashSet::new()
        } else {
            let addresses: Vec<String> = order.iter().map(|a| (*a).to_owned()).collect();
            texts_in!(
                $tx,
                "SELECT from_path FROM redirects WHERE origin = 'manual' AND from_path IN ",
                &addresses
            )
        };
        let mut redirects = vec![0u64; batch.len()];
        let mut args: Vec<Arg> = Vec::with_capacity(order.len() * REDIRECT_WIDTH);
        for address in order.iter().filter(|a| !manual.contains(**a)) {
            let n = wanted[address];
            redirects[n] += 1;
            let r = NewRedirect::imported(
                (*address).to_owned(),
                ContentKind::Article,
                ids[n].0,
                $origin,
            );
            let (to_url, kind, target_id) = crate::redirects::columns(&r);
            args.extend([
                Arg::Text(r.from_path),
                Arg::Text(to_url),
                Arg::OptText(kind.map(str::to_owned)),
                Arg::OptInt(target_id),
                Arg::Int(i64::from(r.status)),
                Arg::Text(r.origin),
                Arg::Time(now),
                Arg::Time(now),
            ]);
        }
        insert_rows!($tx, REDIRECT_INSERT, REDIRECT_UPSERT, REDIRECT_WIDTH, &args);

        batch
            .iter()
            .enumerate()
            .map(|(n, item)| ImportedItem {
                saved: Saved {
                    id: ids[n].0,
                    created: true,
                    version: ids[n].1,
                },
                comments_created: item.comments.len() as u64,
                comments_updated: 0,
                redirects: redirects[n],
            })
            .collect::<Vec<ImportedItem>>()
    }};
}

/// How many values one `IN (...)` lookup carries.
const LOOKUP_CHUNK: usize = 500;

/// The term tables, in the order of `insert_new!`'s lists.
const TERM_TABLES: [&str; 3] = ["sections", "tags", "authors"];

const LINK_INSERTS: [&str; 3] = [
    "INSERT INTO article_sections (article_id, section_id, position, status, published_at)",
    "INSERT INTO article_tags (article_id, tag_id, position, status, published_at)",
    "INSERT INTO article_authors (article_id, author_id, position, status, published_at)",
];

const ARTICLE_INSERT: &str = "INSERT INTO articles (id, slug, url_date, title, kicker, dek,
    editor_excerpt, excerpt, status, published_at, updated_at, created_at, section_id, featured,
    comments_open, language, featured_image, featured_image_alt, external_id, label, owner_id,
    dateline, seo_title, seo_description, canonical_url, noindex, featured_media_id, comment_count)";
const ARTICLE_WIDTH: usize = 28;

const COMMENT_INSERT: &str = "INSERT INTO comments (id, article_id, parent_id, status, kind,
    author_name, author_email, author_url, body, body_format, client_ip, user_agent, created_at,
    status_changed_at, external_id)";
const COMMENT_WIDTH: usize = 15;

const REDIRECT_INSERT: &str = "INSERT INTO redirects (from_path, to_url, target_kind, target_id,
    status, origin, created_at, updated_at)";
const REDIRECT_WIDTH: usize = 8;
/// An import never replaces a manual redirect (`insert_new!` leaves them out; this
/// guards the rule where it is kept).
const REDIRECT_UPSERT: &str = "ON CONFLICT (from_path) DO UPDATE SET to_url = excluded.to_url,
    target_kind = excluded.target_kind, target_id = excluded.target_id,
    status = excluded.status, origin = excluded.origin, updated_at = excluded.updated_at
    WHERE redirects.origin <> 'manual' OR excluded.origin = 'manual'";

/// Each comment's depth in its thread (0: no parent among these comments). A parent
/// chain that loops back is cut where it would repeat.
fn thread_depths(parent: &[Option<usize>]) -> Vec<usize> {
    let mut depth: Vec<Option<usize>> = vec![None; parent.len()];
    for start in 0..parent.len() {
        let mut chain = Vec::new();
        let mut at = Some(start);
        while let Some(k) = at {
            if depth[k].is_some() || chain.contains(&k) {
                break;
            }
            chain.push(k);
            at = parent[k];
        }
        // Walk back down the chain from its known (or root) end.
        let top = match at {
            Some(k) if !chain.contains(&k) => depth[k].map_or(0, |d| d + 1),
            _ => 0,
        };
        for (d, k) in (top..).zip(chain.into_iter().rev()) {
            depth[k] = Some(d);
        }
    }
    depth.into_iter().map(Option::unwrap_or_default).collect()
}

impl Store {
    /// Saves a batch of imported articles, their comments and their old addresses in one
    /// transaction. `origin` names the importer on the redirects it leaves.
    ///
    /// Articles the site does not have yet (a first import: nearly all of them) are
    /// written together, a few multi-row statements per table for the whole batch;
    /// articles it has (a second run) are updated one by one, as an editor's save is.
    pub async fn import_articles(
        &self,
        items: &[ImportItem],
        origin: &str,
    ) -> Result<Vec<ImportedItem>, StoreError> {
        if let Some(bad) = items.iter().find(|i| i.article.external_id.is_none()) {
            return Err(StoreError::Invalid(format!(
                "imported article \"{}\" has no external id",
                bad.article.title
            )));
        }
        let now = self.clock.now();
        let tz = self.timezone();
        Ok(write_tx!(self, |tx| {
            let external: Vec<String> = items
                .iter()
                .filter_map(|i| i.article.external_id.clone())
                .collect();
            let known = texts_in!(
                tx,
                "SELECT external_id FROM articles WHERE external_id IN ",
                &external
            );
            // New articles go together; one the site has, a repeat within the batch or
            // one whose comments repeat an id goes alone, after them, as before.
            let mut together = Vec::new();
            let mut alone = Vec::new();
            let mut seen: HashSet<&str> = HashSet::new();
            for (n, item) in items.iter().enumerate() {
                let ext = item.article.external_id.as_deref().unwrap_or_default();
                let mut comment_ids: HashSet<&str> = HashSet::new();
                let plain = item
                    .comments
                    .iter()
                    .all(|c| comment_ids.insert(c.external_id.as_str()));
                if !known.contains(ext) && seen.insert(ext) && plain {
                    together.push(n);
                } else {
                    alone.push(n);
                }
            }
            let mut out: Vec<Option<ImportedItem>> = vec![None; items.len()];
            if !together.is_empty() {
                let batch: Vec<&ImportItem> = together.iter().map(|n| &items[*n]).collect();
                let done = insert_new!(self, tx, &batch, origin, now, tz);
                for (n, d) in together.iter().zip(done) {
                    out[*n] = Some(d);
                }
            }
            for n in alone {
                out[n] = Some(import_one!(self, tx, &items[n], origin, now));
            }
            let out: Vec<ImportedItem> = out.into_iter().flatten().collect();
            if out
                .iter()
                .any(|i| i.comments_created + i.comments_updated > 0)
            {
                // One row for the batch: caches drop what shows comment counts.
                log_change!(tx, "comments", 0_i64, "import", now);
            }
            if out.iter().any(|i| i.redirects > 0) {
                // Every node reloads its set of redirected addresses.
                log_change!(tx, "redirect", 0_i64, "import", now);
            }
            out
        }))
    }

    /// Creates or updates sections (parents before children: a parent is found by its
    /// slug) and tags by slug, in one transaction; returns each section's id by slug.
    pub async fn import_terms(
        &self,
        sections: &[NewSection],
        tags: &[(String, String, String)],
    ) -> Result<HashMap<String, i64>, StoreError> {
        let now = self.clock.now();
        Ok(write_tx!(self, |tx| {
            let mut ids: HashMap<String, i64> = HashMap::new();
            for s in sections {
                let parent: Option<i64> = match &s.parent_slug {
                    Some(p) => match ids.get(p) {
                        Some(id) => Some(*id),
                        None => {
                            sqlx::query_scalar("SELECT id FROM sections WHERE slug = $1")
                                .bind(p)
                                .fetch_optional(&mut *tx)
                                .await?
                        }
                    },
                    None => None,
                };
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO sections (slug, name, description, parent_id, position)
                     VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(position), 0) + 1 FROM sections))
                     ON CONFLICT (slug) DO UPDATE SET name = excluded.name,
                         description = excluded.description, parent_id = excluded.parent_id
                     RETURNING id",
                )
                .bind(clean_name(&s.slug))
                .bind(clean_name(&s.name))
                .bind(&s.description)
                .bind(parent)
                .fetch_one(&mut *tx)
                .await?;
                ids.insert(s.slug.clone(), id);
            }
            for (slug, name, description) in tags {
                sqlx::query(
                    "INSERT INTO tags (slug, name, description) VALUES ($1, $2, $3)
                     ON CONFLICT (slug) DO UPDATE SET name = excluded.name,
                         description = excluded.description",
                )
                .bind(clean_name(slug))
                .bind(clean_name(name))
                .bind(description)
                .execute(&mut *tx)
                .await?;
            }
            if !sections.is_empty() || !tags.is_empty() {
                log_change!(tx, "section", 0_i64, "import", now);
            }
            ids
        }))
    }

    /// Article ids after `after` whatever their status, in id order (to walk them all).
    pub async fn all_article_ids_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<i64>, StoreError> {
        Ok(crate::with_pool!(&self.read, |p| {
            sqlx::query_scalar("SELECT id FROM articles WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after)
                .bind(limit)
                .fetch_all(p)
                .await?
        }))
    }

    /// The id of the article an import gave `external_id`, if any.
    pub async fn article_id_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(crate::with_pool!(&self.read, |p| {
            sqlx::query_scalar("SELECT id FROM articles WHERE external_id = $1")
                .bind(external_id)
                .fetch_optional(p)
                .await?
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::thread_depths;

    #[test]
    fn threads_are_levelled_and_loops_cut() {
        // 0 ← 1 ← 2, 3 alone, 4 → 5 → 4 (a loop), a reply before its parent.
        let parent = [None, Some(0), Some(1), None, Some(5), Some(4), Some(2)];
        let d = thread_depths(&parent);
        assert_eq!(&d[..4], &[0, 1, 2, 0]);
        assert_eq!(d[6], 3);
        // The loop is cut somewhere: one of them is a root, the other its reply.
        let mut looped = [d[4], d[5]];
        looped.sort_unstable();
        assert_eq!(looped, [0, 1]);
        let reply_first = [Some(1), None];
        assert_eq!(thread_depths(&reply_first), [1, 0]);
    }
}
