//! Where the index lives on disk: `search/` holds numbered index folders and a file
//! `current` naming the one in use. A rebuild writes a new folder and then replaces
//! `current` with a rename, so a crash at any point leaves either the old index or the
//! new one in force, never half of one.

use crate::{SCHEMA_VERSION, SearchError, SearchIndex};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

const CURRENT: &str = "current";

/// Why the index in use could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// None yet (a new site), or its folder is gone: build one.
    #[error("there is no search index yet")]
    Missing,
    /// Another process (a running server) holds it.
    #[error("another process is using the search index")]
    Busy,
    /// Unreadable, half-built, or written by another version: build a new one.
    #[error("the search index cannot be used ({0})")]
    Unusable(String),
}

#[derive(Debug, Clone)]
pub struct IndexFolders {
    root: PathBuf,
}

impl IndexFolders {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder `current` names, if any.
    pub fn current(&self) -> Option<PathBuf> {
        let name = fs::read_to_string(self.root.join(CURRENT)).ok()?;
        let name = name.trim();
        (!name.is_empty() && !name.contains(['/', '\\'])).then(|| self.root.join(name))
    }

    /// The index in use, when it is whole and of this version.
    pub fn open_current(&self) -> Result<SearchIndex, OpenError> {
        let dir = self.current().ok_or(OpenError::Missing)?;
        if !dir.is_dir() {
            return Err(OpenError::Missing);
        }
        match SearchIndex::open_in(&dir) {
            Ok(ix) if ix.is_complete() => Ok(ix),
            Ok(_) => Err(OpenError::Unusable("a rebuild did not finish".to_owned())),
            Err(SearchError::Index(tantivy::TantivyError::LockFailure(..))) => Err(OpenError::Busy),
            Err(e) => Err(OpenError::Unusable(e.to_string())),
        }
    }

    /// A new, empty index in a fresh folder (not yet in use).
    pub fn create_next(&self) -> Result<(PathBuf, SearchIndex), SearchError> {
        fs::create_dir_all(&self.root)?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = self.root.join(format!(
            "index-v{SCHEMA_VERSION}-{stamp}-{}",
            std::process::id()
        ));
        fs::create_dir_all(&dir)?;
        let ix = SearchIndex::create_in(&dir)?;
        Ok((dir, ix))
    }

    /// Puts `dir` in use (atomically) and removes the other index folders.
    pub fn activate(&self, dir: &Path) -> io::Result<()> {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| io::Error::other("an index folder needs a plain name"))?;
        let tmp = self.root.join(format!("{CURRENT}.tmp"));
        fs::write(&tmp, name)?;
        fs::File::open(&tmp)?.sync_all()?;
        fs::rename(&tmp, self.root.join(CURRENT))?;
        if let Ok(d) = fs::File::open(&self.root) {
            let _ = d.sync_all();
        }
        for entry in fs::read_dir(&self.root)?.flatten() {
            let path = entry.path();
            let old = entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with("index-"));
            if old && path != dir {
                // An index another process still reads stays readable until it lets
                // go (the files are only unlinked).
                if let Err(e) = fs::remove_dir_all(&path) {
                    tracing::warn!("cannot remove the old search index {}: {e}", path.display());
                }
            }
        }
        Ok(())
    }
}
