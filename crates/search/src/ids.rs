//! A set of article ids kept as bits. A bulk job stages every article it writes, and the
//! writer must remember each id until searches can see it (`lib.rs`); ids are small,
//! dense integers, so a page of bits per 4,096 of them holds a million in 128 KB where
//! a hash set held 16 MB.

use std::collections::BTreeMap;

/// Ids per page.
const PAGE: i64 = 4096;
const WORDS: usize = (PAGE / 64) as usize;

#[derive(Debug, Default)]
pub(crate) struct IdSet {
    pages: BTreeMap<i64, Box<[u64; WORDS]>>,
}

/// The page, word and bit of an id.
fn place(id: i64) -> (i64, usize, u64) {
    let bit = id.rem_euclid(PAGE);
    (id.div_euclid(PAGE), (bit / 64) as usize, 1 << (bit % 64))
}

impl IdSet {
    pub(crate) fn insert(&mut self, id: i64) {
        let (page, word, bit) = place(id);
        self.pages
            .entry(page)
            .or_insert_with(|| Box::new([0; WORDS]))[word] |= bit;
    }

    pub(crate) fn contains(&self, id: i64) -> bool {
        let (page, word, bit) = place(id);
        self.pages.get(&page).is_some_and(|p| p[word] & bit != 0)
    }

    pub(crate) fn remove(&mut self, id: i64) {
        let (page, word, bit) = place(id);
        if let Some(p) = self.pages.get_mut(&page) {
            p[word] &= !bit;
            if p.iter().all(|w| *w == 0) {
                self.pages.remove(&page);
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.pages.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::IdSet;

    #[test]
    fn holds_what_was_put_in_and_nothing_else() {
        let mut s = IdSet::default();
        let ids = [
            0,
            1,
            63,
            64,
            4095,
            4096,
            1_000_003,
            -1,
            -4096,
            -4097,
            i64::MAX,
            i64::MIN,
        ];
        for id in ids {
            assert!(!s.contains(id));
            s.insert(id);
            assert!(s.contains(id));
        }
        for id in [2, 65, 4097, 1_000_002, -2, i64::MAX - 1] {
            assert!(!s.contains(id), "{id}");
        }
        s.remove(64);
        assert!(!s.contains(64));
        assert!(s.contains(63));
        s.remove(4096);
        assert!(!s.contains(4096));
        s.clear();
        assert!(ids.iter().all(|id| !s.contains(*id)));
    }

    #[test]
    fn a_dense_run_of_ids_takes_a_page_per_4096() {
        let mut s = IdSet::default();
        for id in 1..=100_000 {
            s.insert(id);
        }
        assert_eq!(s.pages.len(), 25);
        assert!((1..=100_000).all(|id| s.contains(id)));
    }
}
