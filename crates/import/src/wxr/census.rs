//! Counts of what a WXR file holds, for the importer's report: nothing in the file goes
//! uncounted, and the item types the importer does not map are named.

use super::{WxrError, WxrEvent, WxrReader};
use std::collections::BTreeMap;
use std::io::BufRead;

/// The post types the importer maps; every other `wp:post_type` is reported as
/// unsupported (`nav_menu_item`, `wp_global_styles`, `wp_block`, `custom_css`...).
pub const SUPPORTED_POST_TYPES: &[&str] = &["post", "page", "attachment"];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Census {
    pub authors: u64,
    pub categories: u64,
    /// Categories with a parent.
    pub child_categories: u64,
    pub tags: u64,
    /// Other `wp:term`s, by taxonomy.
    pub terms: BTreeMap<String, u64>,
    /// Items by `post_type`.
    pub items: BTreeMap<String, u64>,
    /// Items by `(post_type, status)`.
    pub statuses: BTreeMap<(String, String), u64>,
    pub sticky: u64,
    pub password_protected: u64,
    pub postmeta: u64,
    pub comments: u64,
    /// Comments by type, the empty type counted as `comment`.
    pub comments_by_type: BTreeMap<String, u64>,
    /// Comments by `comment_approved` (`1`, `0`, `spam`, `trash`...).
    pub comments_by_approval: BTreeMap<String, u64>,
    pub comment_meta: u64,
}

impl Census {
    /// Reads a whole file and counts it.
    pub fn of<R: BufRead>(reader: WxrReader<R>) -> Result<Self, WxrError> {
        let mut census = Self::default();
        for ev in reader {
            census.add(&ev?);
        }
        Ok(census)
    }

    pub fn add(&mut self, ev: &WxrEvent) {
        match ev {
            WxrEvent::Channel(_) => {}
            WxrEvent::Author(_) => self.authors += 1,
            WxrEvent::Category(c) => {
                self.categories += 1;
                if !c.parent.is_empty() {
                    self.child_categories += 1;
                }
            }
            WxrEvent::Tag(_) => self.tags += 1,
            WxrEvent::Term(t) => *self.terms.entry(t.taxonomy.clone()).or_default() += 1,
            WxrEvent::Item(item) => {
                *self.items.entry(item.post_type.clone()).or_default() += 1;
                *self
                    .statuses
                    .entry((item.post_type.clone(), item.status.clone()))
                    .or_default() += 1;
                self.sticky += u64::from(item.is_sticky);
                self.password_protected += u64::from(item.is_password_protected());
                self.postmeta += item.postmeta.len() as u64;
                for c in &item.comments {
                    self.comments += 1;
                    *self
                        .comments_by_type
                        .entry(c.kind_or_comment().to_string())
                        .or_default() += 1;
                    *self
                        .comments_by_approval
                        .entry(c.approved.clone())
                        .or_default() += 1;
                    self.comment_meta += c.meta.len() as u64;
                }
            }
        }
    }

    /// Items of one post type.
    pub fn items_of(&self, post_type: &str) -> u64 {
        self.items.get(post_type).copied().unwrap_or(0)
    }

    /// Items of one post type and status.
    pub fn with_status(&self, post_type: &str, status: &str) -> u64 {
        self.statuses
            .get(&(post_type.to_string(), status.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// The item types the importer does not map, with their counts.
    pub fn unsupported(&self) -> BTreeMap<String, u64> {
        self.items
            .iter()
            .filter(|(t, _)| !SUPPORTED_POST_TYPES.contains(&t.as_str()))
            .map(|(t, n)| (t.clone(), *n))
            .collect()
    }

    /// All terms: categories, tags and the rest.
    pub fn all_terms(&self) -> u64 {
        self.categories + self.tags + self.terms.values().sum::<u64>()
    }
}
