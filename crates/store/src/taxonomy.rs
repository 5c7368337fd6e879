//! Sections, tags and bylines: the ways articles are grouped and signed.

use crate::{
    Author, NewAuthor, NewSection, Section, Store, StoreError, Tag, clean_name, log_change,
    with_pool, write_tx,
};

impl Store {
    /// Creates or updates a section by slug. A parent must already exist.
    pub async fn upsert_section(&self, s: &NewSection) -> Result<i64, StoreError> {
        let now = self.clock.now();
        let parent = match &s.parent_slug {
            Some(slug) => Some(
                self.section_by_slug(slug)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("parent section \"{slug}\"")))?
                    .id,
            ),
            None => None,
        };
        let id = write_tx!(self, |tx| {
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
            log_change!(tx, "section", id, "update", now);
            id
        });
        Ok(id)
    }

    /// Creates or updates a byline by slug.
    pub async fn upsert_author(&self, a: &NewAuthor) -> Result<i64, StoreError> {
        let now = self.clock.now();
        let id = write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO authors (slug, name, bio, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (slug) DO UPDATE SET name = excluded.name, bio = excluded.bio
                 RETURNING id",
            )
            .bind(clean_name(&a.slug))
            .bind(clean_name(&a.name))
            .bind(&a.bio)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            log_change!(tx, "author", id, "update", now);
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
