//! Values derived from the content that stay good until the content changes: counts,
//! navigation, related stories. Each map forgets everything when the generation moves.

use crate::Generation;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// A bounded map valid for one content generation.
pub(crate) struct GenerationMap<K, V> {
    inner: Mutex<(Generation, HashMap<K, V>)>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> GenerationMap<K, V> {
    /// Holds at most `capacity` entries per generation; past that, new ones are not kept
    /// (a generation rarely lives long enough to fill it).
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(((0, 0), HashMap::new())),
            capacity,
        }
    }

    pub fn get(&self, generation: Generation, key: &K) -> Option<V> {
        let map = self.inner.lock().ok()?;
        if map.0 != generation {
            return None;
        }
        map.1.get(key).cloned()
    }

    pub fn insert(&self, generation: Generation, key: K, value: V) {
        let Ok(mut map) = self.inner.lock() else {
            return;
        };
        if map.0 != generation {
            *map = (generation, HashMap::new());
        }
        if map.1.len() < self.capacity {
            map.1.insert(key, value);
        }
    }
}
