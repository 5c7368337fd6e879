//! Sections, tags and bylines: the ways articles are grouped and signed; and the
//! newsroom's taxonomy work on them (create, rename, merge tags, delete with
//! reassignment), which keeps every old archive address answering.

use crate::sql::{Arg, Sql, bind_args, contains_pattern};
use crate::{
    Author, NewAuthor, NewSection, Section, Store, StoreError, Tag, clean_name, log_change,
    with_pool, write_tx,
};
use masthead_core::paging::PageRequest;
use masthead_core::slug::{self, SlugError};
use sqlx::AssertSqlSafe;

/// The longest section or tag name the newsroom accepts, in characters.
const MAX_TERM_NAME: usize = 200;

/// The two kinds of term the newsroom manages and whose old slugs keep answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermKind {
    Section,
    Tag,
}

impl TermKind {
    /// The word stored in `term_slug_history.kind` and shown in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Section => "section",
            Self::Tag => "tag",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Self::Section => "sections",
            Self::Tag => "tags",
        }
    }
}

/// A section as the newsroom creates or edits it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionFields {
    pub name: String,
    /// As typed; empty means "made from the name".
    pub slug: String,
    pub parent_id: Option<i64>,
    pub description: String,
}

/// A tag as the newsroom creates or renames it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagFields {
    pub name: String,
    /// As typed; empty means "made from the name".
    pub slug: String,
}

/// What a rename did to a term's slug (the same when only the name changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlugChange {
    pub old: String,
    pub new: String,
}

/// A section and how many articles (of any status) it holds, primary or other.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SectionUsage {
    #[sqlx(flatten)]
    pub section: Section,
    pub articles: i64,
}

/// A tag and how many articles (of any status) carry it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TagUsage {
    #[sqlx(flatten)]
    pub tag: Tag,
    pub articles: i64,
}

/// A slug refusal as a sentence for the person who typed it.
fn slug_refused(e: SlugError) -> StoreError {
    StoreError::Invalid(match e {
        SlugError::Empty => "A slug needs at least one letter or digit.".to_owned(),
        SlugError::TooLong => format!("A slug can be at most {} bytes long.", slug::MAX_LEN),
        SlugError::Reserved(s) => {
            format!("The slug \"{s}\" is kept for the site's own addresses; choose another.")
        }
    })
}

/// The name and slug a term would be stored with: the name cleaned and present, the
/// slug checked, or made from the name (as articles make their terms) when left empty.
fn checked_name_and_slug(name: &str, given_slug: &str) -> Result<(String, String), StoreError> {
    let name = clean_name(name);
    if name.is_empty() {
        return Err(StoreError::Invalid("A name is needed.".to_owned()));
    }
    if name.chars().count() > MAX_TERM_NAME {
        return Err(StoreError::Invalid(format!(
            "A name can be at most {MAX_TERM_NAME} characters long."
        )));
    }
    let slug = if given_slug.trim().is_empty() {
        let made = slug::from_title(&name);
        slug::check_term_slug(if made.is_empty() { &name } else { &made })
    } else {
        slug::check_term_slug(given_slug)
    };
    Ok((name, slug.map_err(slug_refused)?))
}

/// Refuses, inside the caller's transaction, a name or slug that another term of the
/// same kind (not `$id`) already has: articles name their terms by either, so two
/// terms sharing one would be told apart by chance.
macro_rules! refuse_if_taken {
    ($tx:expr, $kind:expr, $id:expr, $name:expr, $slug:expr) => {{
        let kind: TermKind = $kind;
        // `table` is one of two fixed names, never input.
        let sql = format!(
            "SELECT slug, name FROM {} WHERE (slug = $1 OR name = $2) AND id <> $3
             ORDER BY CASE WHEN slug = $1 THEN 0 ELSE 1 END LIMIT 1",
            kind.table()
        );
        let taken: Option<(String, String)> = sqlx::query_as(AssertSqlSafe(sql))
            .bind($slug)
            .bind($name)
            .bind($id)
            .fetch_optional(&mut *$tx)
            .await?;
        if let Some((slug, name)) = taken {
            let what = kind.as_str();
            return Err(StoreError::Conflict(if slug == *$slug {
                format!("The slug \"{slug}\" is taken by the {what} \"{name}\".")
            } else {
                format!("There is already a {what} called \"{name}\".")
            }));
        }
    }};
}

/// Keeps `$old_slug` answering for term `$id` (a rename), inside the caller's transaction.
macro_rules! keep_old_slug {
    ($tx:expr, $kind:expr, $old_slug:expr, $id:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO term_slug_history (kind, slug, term_id, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind($kind.as_str())
        .bind($old_slug)
        .bind($id)
        .bind($now)
        .execute(&mut *$tx)
        .await?
    };
}

/// Term `$id`'s slug, if there is such a term, inside the caller's transaction.
macro_rules! slug_of {
    ($tx:expr, $kind:expr, $id:expr) => {{
        let kind: TermKind = $kind;
        // `table` is one of two fixed names, never input.
        let sql = format!("SELECT slug FROM {} WHERE id = $1", kind.table());
        let slug: Option<String> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind($id)
            .fetch_optional(&mut *$tx)
            .await?;
        slug
    }};
}

/// Points term `$from`'s old slugs, and `$from_slug` itself, at term `$into`: `$from` is
/// going, and its articles now live under `$into`.
macro_rules! hand_slugs_over {
    ($tx:expr, $kind:expr, $from:expr, $from_slug:expr, $into:expr, $now:expr) => {
        sqlx::query("UPDATE term_slug_history SET term_id = $1 WHERE kind = $2 AND term_id = $3")
            .bind($into)
            .bind($kind.as_str())
            .bind($from)
            .execute(&mut *$tx)
            .await?;
        keep_old_slug!($tx, $kind, $from_slug, $into, $now);
    };
}

/// Marks the articles `$members` selects (a subquery with `$1` for the term) as changed
/// by a taxonomy edit, inside the caller's transaction, before their links move: a
/// change-log row for each (what readers' caches and the search index follow) and a new
/// version, so an editor who had one open is told instead of saving the old term back.
/// Yields how many articles that is.
macro_rules! touch_members {
    ($tx:expr, $members:expr, $term:expr, $now:expr) => {{
        let members: &str = $members;
        // `members` is a fixed subquery from this module, never input.
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO changes (entity, entity_id, action, created_at)
             SELECT 'article', m.id, 'update', $2 FROM ({members}) m"
        )))
        .bind($term)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE articles SET version = version + 1 WHERE id IN (SELECT m.id FROM ({members}) m)"
        )))
        .bind($term)
        .execute(&mut *$tx)
        .await?
        .rows_affected()
    }};
}

/// Moves every link of term `$from` in `$link` (keyed by `$key`) to term `$into`, inside
/// the caller's transaction. An article that has both keeps its `$into` link where it
/// was; otherwise the link row itself changes term, keeping its position and its copy
/// of the article's status and publication time that the listing index reads.
macro_rules! move_links {
    ($tx:expr, $link:literal, $key:literal, $from:expr, $into:expr) => {
        sqlx::query(concat!(
            "DELETE FROM ",
            $link,
            " WHERE ",
            $key,
            " = $1 AND article_id IN (SELECT article_id FROM ",
            $link,
            " WHERE ",
            $key,
            " = $2)"
        ))
        .bind($from)
        .bind($into)
        .execute(&mut *$tx)
        .await?;
        sqlx::query(concat!(
            "UPDATE ",
            $link,
            " SET ",
            $key,
            " = $1 WHERE ",
            $key,
            " = $2"
        ))
        .bind($into)
        .bind($from)
        .execute(&mut *$tx)
        .await?;
    };
}

/// The articles tagged `$1`.
const TAG_MEMBERS: &str = "SELECT article_id AS id FROM article_tags WHERE tag_id = $1";
/// The articles in section `$1`, as their main section or another.
const SECTION_MEMBERS: &str = "SELECT article_id AS id FROM article_sections WHERE section_id = $1
     UNION SELECT id FROM articles WHERE section_id = $1";

impl Store {
    /// Creates or updates a section by slug. A parent must already exist.
    pub async fn upsert_section(&self, s: &NewSection) -> Result<i64, StoreError> {
        if let Some(slug) = &s.parent_slug
            && self.section_by_slug(slug).await?.is_none()
        {
            return Err(StoreError::NotFound(format!("parent section \"{slug}\"")));
        }
        let ids = self.import_terms(std::slice::from_ref(s), &[]).await?;
        ids.get(&s.slug)
            .copied()
            .ok_or_else(|| StoreError::NotFound(format!("section \"{}\"", s.slug)))
    }

    /// Creates or updates a byline by slug. One already so named and described is left
    /// as it is (an import that meets it again changes nothing), and a new one is logged
    /// as created: no article names it yet, so none needs indexing again.
    pub async fn upsert_author(&self, a: &NewAuthor) -> Result<i64, StoreError> {
        let (slug, name) = (clean_name(&a.slug), clean_name(&a.name));
        let existing: Option<(i64, String, String)> = with_pool!(&self.read, |p| {
            sqlx::query_as("SELECT id, name, bio FROM authors WHERE slug = $1")
                .bind(&slug)
                .fetch_optional(p)
                .await?
        });
        if let Some((id, old_name, old_bio)) = &existing
            && *old_name == name
            && *old_bio == a.bio
        {
            return Ok(*id);
        }
        let action = if existing.is_some() {
            "update"
        } else {
            "create"
        };
        let now = self.clock.now();
        let id = write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO authors (slug, name, bio, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (slug) DO UPDATE SET name = excluded.name, bio = excluded.bio
                 RETURNING id",
            )
            .bind(&slug)
            .bind(&name)
            .bind(&a.bio)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            log_change!(tx, "author", id, action, now);
            id
        });
        Ok(id)
    }

    /// All sections in their display order.
    pub async fn sections(&self) -> Result<Vec<Section>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT id, slug, name, description, parent_id FROM sections ORDER BY position, id",
            )
            .fetch_all(p)
            .await?
        }))
    }

    pub async fn section_by_slug(&self, slug: &str) -> Result<Option<Section>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT id, slug, name, description, parent_id FROM sections WHERE slug = $1",
            )
            .bind(slug)
            .fetch_optional(p)
            .await?
        }))
    }

    /// The section and every section nested below it, for archives that include children.
    pub async fn section_with_descendants(&self, id: i64) -> Result<Vec<i64>, StoreError> {
        let all = self.sections().await?;
        let mut ids = vec![id];
        let mut i = 0;
        while i < ids.len() {
            let parent = ids[i];
            ids.extend(
                all.iter()
                    .filter(|s| s.parent_id == Some(parent))
                    .map(|s| s.id),
            );
            i += 1;
            if ids.len() > all.len() {
                break; // a cycle: never loop forever on bad data
            }
        }
        Ok(ids)
    }

    /// Bylines with at least one public article, by name.
    pub async fn authors(&self) -> Result<Vec<Author>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as("SELECT id, slug, name, bio FROM authors ORDER BY name, id")
                .fetch_all(p)
                .await?
        }))
    }

    pub async fn author_by_slug(&self, slug: &str) -> Result<Option<Author>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as("SELECT id, slug, name, bio FROM authors WHERE slug = $1")
                .bind(slug)
                .fetch_optional(p)
                .await?
        }))
    }

    pub async fn tags(&self) -> Result<Vec<Tag>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as("SELECT id, slug, name FROM tags ORDER BY name, id")
                .fetch_all(p)
                .await?
        }))
    }

    pub async fn tag_by_slug(&self, slug: &str) -> Result<Option<Tag>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as("SELECT id, slug, name FROM tags WHERE slug = $1")
                .bind(slug)
                .fetch_optional(p)
                .await?
        }))
    }
}

/// The newsroom's taxonomy work. Each change is one transaction with change-log rows, and
/// no change leaves an archive address that worked before answering nothing: a renamed,
/// merged or reassigned term's old slug answers with where its articles are now.
impl Store {
    /// Creates a section; its parent, when given, must exist.
    pub async fn create_section(&self, f: &SectionFields) -> Result<Section, StoreError> {
        let (name, slug) = checked_name_and_slug(&f.name, &f.slug)?;
        let now = self.clock.now();
        Ok(write_tx!(self, |tx| {
            refuse_if_taken!(tx, TermKind::Section, 0_i64, &name, &slug);
            let sections: Vec<(i64, Option<i64>)> =
                sqlx::query_as("SELECT id, parent_id FROM sections")
                    .fetch_all(&mut *tx)
                    .await?;
            check_parent(&sections, None, f.parent_id)?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO sections (slug, name, description, parent_id, position)
                 VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(position), 0) + 1 FROM sections))
                 RETURNING id",
            )
            .bind(&slug)
            .bind(&name)
            .bind(f.description.trim())
            .bind(f.parent_id)
            .fetch_one(&mut *tx)
            .await?;
            log_change!(tx, "section", id, "create", now);
            Section {
                id,
                slug,
                name,
                description: f.description.trim().to_owned(),
                parent_id: f.parent_id,
            }
        }))
    }

    /// Changes a section's name, slug, parent or description. A new slug leaves the old
    /// one answering with a redirect; a parent may not be the section or one inside it.
    pub async fn update_section(
        &self,
        id: i64,
        f: &SectionFields,
    ) -> Result<SlugChange, StoreError> {
        let (name, slug) = checked_name_and_slug(&f.name, &f.slug)?;
        let now = self.clock.now();
        Ok(write_tx!(self, |tx| {
            let old_slug = slug_of!(tx, TermKind::Section, id)
                .ok_or_else(|| StoreError::NotFound(format!("section {id}")))?;
            refuse_if_taken!(tx, TermKind::Section, id, &name, &slug);
            let sections: Vec<(i64, Option<i64>)> =
                sqlx::query_as("SELECT id, parent_id FROM sections")
                    .fetch_all(&mut *tx)
                    .await?;
            check_parent(&sections, Some(id), f.parent_id)?;
            sqlx::query(
                "UPDATE sections SET slug = $1, name = $2, description = $3, parent_id = $4
                 WHERE id = $5",
            )
            .bind(&slug)
            .bind(&name)
            .bind(f.description.trim())
            .bind(f.parent_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if old_slug != slug {
                keep_old_slug!(tx, TermKind::Section, &old_slug, id, now);
            }
            log_change!(tx, "section", id, "update", now);
            SlugChange {
                old: old_slug,
                new: slug,
            }
        }))
    }

    /// Deletes a section, moving its articles (as their main section or another) to
    /// `move_to` and its subsections up to its own parent. Its slug, and any it had
    /// before, then answer with a redirect to `move_to`, where its articles are. Returns
    /// how many articles moved.
    pub async fn delete_section(&self, id: i64, move_to: i64) -> Result<u64, StoreError> {
        if id == move_to {
            return Err(StoreError::Invalid(
                "Choose another section to move the articles to.".to_owned(),
            ));
        }
        let now = self.clock.now();
        Ok(write_tx!(self, |tx| {
            let (slug, parent): (String, Option<i64>) =
                sqlx::query_as("SELECT slug, parent_id FROM sections WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("section {id}")))?;
            if slug_of!(tx, TermKind::Section, move_to).is_none() {
                return Err(StoreError::Invalid(
                    "The section to move the articles to does not exist.".to_owned(),
                ));
            }
            let moved = touch_members!(tx, SECTION_MEMBERS, id, now);
            move_links!(tx, "article_sections", "section_id", id, move_to);
            // The main section comes first among an article's sections.
            sqlx::query(
                "UPDATE article_sections SET position = 0 WHERE section_id = $1
                 AND article_id IN (SELECT id FROM articles WHERE section_id = $2)",
            )
            .bind(move_to)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE articles SET section_id = $1 WHERE section_id = $2")
                .bind(move_to)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE sections SET parent_id = $1 WHERE parent_id = $2")
                .bind(parent)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            hand_slugs_over!(tx, TermKind::Section, id, &slug, move_to, now);
            sqlx::query("DELETE FROM sections WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            log_change!(tx, "section", id, "delete", now);
            log_change!(tx, "section", move_to, "update", now);
            moved
        }))
    }

    /// Creates a tag.
    pub async fn create_tag(&self, f: &TagFields) -> Result<Tag, StoreError> {
        let (name, slug) = checked_name_and_slug(&f.name, &f.slug)?;
        let now = self.clock.now();
        Ok(write_tx!(self, |tx| {
            refuse_if_taken!(tx, TermKind::Tag, 0_i64, &name, &slug);
            let id: i64 =
                sqlx::query_scalar("INSERT INTO tags (slug, name) VALUES ($1, $2) RETURNING id")
                    .bind(&slug)
                    .bind(&name)
                    .fetch_one(&mut *tx)
                    .await?;
            log_change!(tx, "tag", id, "create", now);
            Tag { id, slug, name }
        }))
    }

    /// Changes a tag's name or slug; a new slug leaves the old one answering with a
    /// redirect.
    pub async fn rename_tag(&self, id: i64, f: &TagFields) -> Result<SlugChange, StoreError> {
        let (name, slug) = checked_name_and_slug(&f.name, &f.slug)?;
        let now = self.clock.now();
        Ok(write_tx!(self, |tx| {
            let old_slug = slug_of!(tx, TermKind::Tag, id)
                .ok_or_else(|| StoreError::NotFound(format!("tag {id}")))?;
            refuse_if_taken!(tx, TermKind::Tag, id, &name, &slug);
            sqlx::query("UPDATE tags SET slug = $1, name = $2 WHERE id = $3")
                .bind(&slug)
                .bind(&name)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if old_slug != slug {
                keep_old_slug!(tx, TermKind::Tag, &old_slug, id, now);
            }
            log_change!(tx, "tag", id, "update", now);
            SlugChange {
                old: old_slug,
                new: slug,
            }
        }))
    }

    /// Merges tag `from` into tag `into`: every article tagged `from` is tagged `into`
    /// (once), `from` goes, and its slugs answer with a redirect to `into`. Returns how
    /// many articles were tagged `from`.
    pub async fn merge_tags(&self, from: i64, into: i64) -> Result<u64, StoreError> {
        if from == into {
            return Err(StoreError::Invalid(
                "A tag cannot be merged into itself.".to_owned(),
            ));
        }
        let now = self.clock.now();
        Ok(write_tx!(self, |tx| {
            let slug = slug_of!(tx, TermKind::Tag, from)
                .ok_or_else(|| StoreError::NotFound(format!("tag {from}")))?;
            if slug_of!(tx, TermKind::Tag, into).is_none() {
                return Err(StoreError::Invalid(
                    "The tag to merge into does not exist.".to_owned(),
                ));
            }
            let moved = touch_members!(tx, TAG_MEMBERS, from, now);
            move_links!(tx, "article_tags", "tag_id", from, into);
            hand_slugs_over!(tx, TermKind::Tag, from, &slug, into, now);
            sqlx::query("DELETE FROM tags WHERE id = $1")
                .bind(from)
                .execute(&mut *tx)
                .await?;
            log_change!(tx, "tag", from, "delete", now);
            log_change!(tx, "tag", into, "update", now);
            moved
        }))
    }

    /// Deletes a tag. With `reassign_to` this is [`Store::merge_tags`]: its articles get
    /// that tag and its address redirects there. Without, its articles just lose it and
    /// its addresses answer 404. Returns how many articles carried it.
    pub async fn delete_tag(&self, id: i64, reassign_to: Option<i64>) -> Result<u64, StoreError> {
        if let Some(into) = reassign_to {
            return self.merge_tags(id, into).await;
        }
        let now = self.clock.now();
        Ok(write_tx!(self, |tx| {
            if slug_of!(tx, TermKind::Tag, id).is_none() {
                return Err(StoreError::NotFound(format!("tag {id}")));
            }
            let untagged = touch_members!(tx, TAG_MEMBERS, id, now);
            sqlx::query("DELETE FROM article_tags WHERE tag_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM term_slug_history WHERE kind = $1 AND term_id = $2")
                .bind(TermKind::Tag.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM tags WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            log_change!(tx, "tag", id, "delete", now);
            untagged
        }))
    }

    /// Where a section or tag that once had `slug` lives now (its current slug), when
    /// no live term of that kind has the slug: a live term always wins over history.
    pub async fn renamed_term(
        &self,
        kind: TermKind,
        slug: &str,
    ) -> Result<Option<String>, StoreError> {
        // `table` is one of two fixed names, never input.
        let table = kind.table();
        let sql = format!(
            "SELECT t.slug FROM term_slug_history h JOIN {table} t ON t.id = h.term_id
             WHERE h.kind = $1 AND h.slug = $2
               AND NOT EXISTS (SELECT 1 FROM {table} live WHERE live.slug = $2)
             ORDER BY h.id DESC LIMIT 1"
        );
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_scalar(AssertSqlSafe(sql.clone()))
                .bind(kind.as_str())
                .bind(slug)
                .fetch_optional(p)
                .await?
        }))
    }

    /// Every section in display order, with how many articles each holds.
    pub async fn sections_in_use(&self) -> Result<Vec<SectionUsage>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT s.id, s.slug, s.name, s.description, s.parent_id,
                     (SELECT COUNT(*) FROM article_sections l WHERE l.section_id = s.id) AS articles
                 FROM sections s ORDER BY s.position, s.id",
            )
            .fetch_all(p)
            .await?
        }))
    }

    /// A page of tags by name, with how many articles carry each, and how many match in
    /// all; with `words`, only tags whose name or slug holds every word.
    pub async fn tags_in_use(
        &self,
        words: Option<&str>,
        page: PageRequest,
    ) -> Result<(Vec<TagUsage>, i64), StoreError> {
        let mut filter = Sql::new("");
        for word in words.unwrap_or_default().split_whitespace().take(8) {
            // LIKE's own wildcards in the input are literal.
            filter.push(" AND (LOWER(t.name) LIKE ");
            filter.bind(Arg::Text(contains_pattern(word)));
            filter.push(" ESCAPE '\\' OR t.slug LIKE ");
            filter.bind(Arg::Text(contains_pattern(word)));
            filter.push(" ESCAPE '\\')");
        }
        let mut q = Sql::new(&format!(
            "SELECT t.id, t.slug, t.name,
                 (SELECT COUNT(*) FROM article_tags l WHERE l.tag_id = t.id) AS articles
             FROM tags t WHERE 1 = 1{} ORDER BY t.name, t.id",
            filter.text
        ));
        q.args = filter.args.clone();
        q.push_limit(page.limit(), page.offset());
        let rows: Vec<TagUsage> = with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_as(AssertSqlSafe(q.text.clone())), &q.args)
                .fetch_all(p)
                .await?
        });
        let mut c = Sql::new(&format!(
            "SELECT COUNT(*) FROM tags t WHERE 1 = 1{}",
            filter.text
        ));
        c.args = filter.args;
        let total: i64 = with_pool!(&self.read, |p| {
            bind_args!(sqlx::query_scalar(AssertSqlSafe(c.text.clone())), &c.args)
                .fetch_one(p)
                .await?
        });
        Ok((rows, total))
    }

    /// One tag with how many articles carry it.
    pub async fn tag_in_use(&self, id: i64) -> Result<Option<TagUsage>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT t.id, t.slug, t.name,
                     (SELECT COUNT(*) FROM article_tags l WHERE l.tag_id = t.id) AS articles
                 FROM tags t WHERE t.id = $1",
            )
            .bind(id)
            .fetch_optional(p)
            .await?
        }))
    }

    pub async fn section(&self, id: i64) -> Result<Option<Section>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT id, slug, name, description, parent_id FROM sections WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(p)
            .await?
        }))
    }

    pub async fn tag(&self, id: i64) -> Result<Option<Tag>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as("SELECT id, slug, name FROM tags WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?
        }))
    }

    /// The tag with this slug, or else with exactly this name: what a person types to
    /// name a tag in a form.
    pub async fn tag_by_slug_or_name(&self, typed: &str) -> Result<Option<Tag>, StoreError> {
        let typed = clean_name(typed);
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_as(
                "SELECT id, slug, name FROM tags WHERE slug = $1 OR name = $1
                 ORDER BY CASE WHEN slug = $1 THEN 0 ELSE 1 END, id LIMIT 1",
            )
            .bind(&typed)
            .fetch_optional(p)
            .await?
        }))
    }
}

/// Refuses a parent that is missing, the section itself (`id`), or inside it: a cycle
/// would make the section its own ancestor. `sections` are (id, parent) pairs.
fn check_parent(
    sections: &[(i64, Option<i64>)],
    id: Option<i64>,
    parent: Option<i64>,
) -> Result<(), StoreError> {
    let Some(parent) = parent else {
        return Ok(());
    };
    let refuse = |why: &str| Err(StoreError::Invalid(why.to_owned()));
    if Some(parent) == id {
        return refuse("A section cannot be its own parent.");
    }
    if !sections.iter().any(|(s, _)| *s == parent) {
        return refuse("The parent section does not exist.");
    }
    // Walk up from the parent: meeting the section means it would sit inside itself.
    let mut current = Some(parent);
    for _ in 0..=sections.len() {
        match current {
            None => return Ok(()),
            Some(c) if Some(c) == id => {
                return refuse("A section cannot go inside one of its own subsections.");
            }
            Some(c) => current = sections.iter().find(|(s, _)| *s == c).and_then(|(_, p)| *p),
        }
    }
    // Stored data with a cycle already: refuse rather than add to it.
    refuse("The sections above the chosen parent loop; fix their parents first.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_may_not_be_the_section_or_inside_it() {
        // 1 ← 2 ← 3, and 4 on its own.
        let tree = [(1, None), (2, Some(1)), (3, Some(2)), (4, None)];
        assert!(check_parent(&tree, Some(2), None).is_ok());
        assert!(check_parent(&tree, Some(2), Some(4)).is_ok());
        assert!(check_parent(&tree, Some(3), Some(1)).is_ok());
        assert!(check_parent(&tree, None, Some(3)).is_ok());
        for (id, parent) in [(2, 2), (1, 3), (2, 3), (1, 99)] {
            assert!(
                check_parent(&tree, Some(id), Some(parent)).is_err(),
                "{id} under {parent}"
            );
        }
    }

    #[test]
    fn names_are_needed_and_slugs_are_made_or_checked() {
        let made = checked_name_and_slug("  Harbour Bridge ", "").ok();
        assert_eq!(
            made,
            Some(("Harbour Bridge".to_owned(), "harbour-bridge".to_owned()))
        );
        let kept = checked_name_and_slug("Москва", "").ok().map(|(_, s)| s);
        assert_eq!(kept.as_deref(), Some("moskva"));
        for (name, slug) in [("", "x"), ("  ", ""), ("Fine", "page"), ("Fine", "--")] {
            assert!(
                matches!(
                    checked_name_and_slug(name, slug),
                    Err(StoreError::Invalid(_))
                ),
                "{name:?} {slug:?}"
            );
        }
    }
}
