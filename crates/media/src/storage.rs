//! Where rendition files live. `MediaStorage` is the seam for sharing files between nodes:
//! `FsStorage` keeps them under one folder (shared through a network mount, if at all),
//! [`S3Storage`](crate::s3::S3Storage) in an S3-compatible bucket. [`storage_from_url`]
//! picks one from a single setting.
//!
//! Keys are made by this crate (`<2 hex>/<sha-256>/<name>.<ext>`) and checked whenever one
//! is read back, so a key can never name a path outside the storage root.

use std::{
    fmt,
    future::Future,
    io,
    path::{Path, PathBuf},
    pin::Pin,
    sync::Arc,
};

use serde::{Deserialize, Serialize};

use crate::OutputFormat;

/// Longest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 200;

/// A checked storage key: 1–4 `/`-separated segments of `a-z 0-9 . _ -`, none empty, none
/// starting with a dot. Only ASCII, so it is also safe in a URL path as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MediaKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{key}\" is not a media key: {reason}")]
pub struct BadKey {
    pub key: String,
    pub reason: &'static str,
}

impl MediaKey {
    /// Checks a key read back from a database or a URL.
    pub fn parse(key: &str) -> Result<Self, BadKey> {
        let bad = |reason| BadKey {
            key: key.chars().take(MAX_KEY_LEN).collect(),
            reason,
        };
        if key.is_empty() {
            return Err(bad("it is empty"));
        }
        if key.len() > MAX_KEY_LEN {
            return Err(bad("it is too long"));
        }
        if key.starts_with('/') {
            return Err(bad("it is an absolute path"));
        }
        let segments: Vec<&str> = key.split('/').collect();
        if segments.len() > 4 {
            return Err(bad("it has too many folders"));
        }
        for segment in segments {
            if segment.is_empty() {
                return Err(bad("it has an empty folder name"));
            }
            if segment.starts_with('.') {
                return Err(bad("a part starts with a dot"));
            }
            let allowed = |c: char| matches!(c, 'a'..='z' | '0'..='9' | '.' | '_' | '-');
            if !segment.chars().all(allowed) {
                return Err(bad(
                    "only a-z, 0-9, dot, dash, underscore and slash are allowed",
                ));
            }
        }
        Ok(Self(key.to_owned()))
    }

    /// The key of a rendition of the upload whose hash is `hash`: `ab/abcd…/w640.jpg`.
    pub(crate) fn for_rendition(hash: &str, stem: &str, format: OutputFormat) -> Self {
        let shard = hash.get(..2).unwrap_or("00");
        Self(format!("{shard}/{hash}/{stem}.{}", format.extension()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The format named by the key's extension, for a `Content-Type` when serving it.
    pub fn format(&self) -> Option<OutputFormat> {
        let (_, ext) = self.0.rsplit_once('.')?;
        OutputFormat::from_extension(ext)
    }

    /// `prefix` and the key joined with exactly one `/`: `/media/` + key.
    pub fn url(&self, prefix: &str) -> String {
        format!("{}/{}", prefix.trim_end_matches('/'), self.0)
    }
}

impl TryFrom<String> for MediaKey {
    type Error = BadKey;
    fn try_from(key: String) -> Result<Self, BadKey> {
        Self::parse(&key)
    }
}

impl From<MediaKey> for String {
    fn from(key: MediaKey) -> String {
        key.0
    }
}

impl fmt::Display for MediaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("media storage could not {action} {key}: {source}")]
    Io {
        action: &'static str,
        key: MediaKey,
        source: io::Error,
    },
    #[error("media storage task for {key} stopped before finishing")]
    Interrupted { key: MediaKey },
    /// An object store answered with an error status. `code` is the store's own error
    /// code from its XML body (`SignatureDoesNotMatch`, `NoSuchBucket`...), when it sent one
    /// (a `HEAD` answer has no body).
    #[error(
        "media storage could not {action} {target}: the object store answered {status}{}",
        remote_detail(.code.as_deref(), .message.as_deref())
    )]
    Remote {
        action: &'static str,
        /// The key and bucket, or the bucket alone.
        target: String,
        status: u16,
        code: Option<String>,
        message: Option<String>,
    },
    /// The object store could not be reached, or did not answer in time.
    #[error("media storage could not {action} {target}: {detail}")]
    Unreachable {
        action: &'static str,
        target: String,
        detail: String,
    },
}

fn remote_detail(code: Option<&str>, message: Option<&str>) -> String {
    match (code, message) {
        (Some(code), Some(message)) => format!(" ({code}: {message})"),
        (Some(one), None) | (None, Some(one)) => format!(" ({one})"),
        (None, None) => String::new(),
    }
}

/// Why a media store setting (see [`storage_from_url`]) could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StorageConfigError {
    #[error("the media store setting is empty: give a folder path or an s3:// URL")]
    Empty,
    /// The setting is malformed or incomplete; `reason` says what to change. The setting
    /// itself is not repeated: it may hold a secret.
    #[error("the media store setting is not usable: {reason}")]
    Invalid { reason: String },
    #[error("the media folder {path} could not be created: {source}")]
    Folder { path: PathBuf, source: io::Error },
}

impl StorageConfigError {
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::Invalid {
            reason: reason.into(),
        }
    }
}

/// The media storage named by one setting string (the `media_store` setting).
///
/// - **A folder path** — `/var/lib/masthead/media`, `data/media`, or
///   `file:///var/lib/masthead/media` — gives an [`FsStorage`] rooted there (created if
///   missing). Several nodes can share it only through a network mount.
/// - **An S3 URL** gives an [`S3Storage`](crate::s3::S3Storage) (AWS S3 or any
///   S3-compatible store: MinIO, Ceph, Garage, R2, moto...):
///
///   ```text
///   s3://BUCKET[/PREFIX][?endpoint=URL&region=REGION&path_style=true|false&timeout_secs=N]
///   s3://ACCESS_KEY_ID:SECRET_ACCESS_KEY@BUCKET[/PREFIX][?...]
///   ```
///
///   - `PREFIX` (optional): a folder inside the bucket; keys are stored as `PREFIX/KEY`.
///   - `endpoint`: the server's base URL, e.g. `http://127.0.0.1:9000`. Default: AWS,
///     `https://s3.REGION.amazonaws.com`.
///   - `region`: default `AWS_REGION`, then `AWS_DEFAULT_REGION`, then `us-east-1`.
///     Most S3-compatible servers accept `us-east-1`.
///   - `path_style`: `true` addresses `ENDPOINT/BUCKET/KEY` (MinIO, moto, most self-hosted
///     servers); `false` addresses `BUCKET.ENDPOINT-HOST/KEY` (virtual-hosted, AWS's
///     preference). Default: `true` when `endpoint` is given, `false` for AWS.
///   - `timeout_secs`: the limit for one whole request (default 60; connecting is limited
///     to 10 seconds).
///   - Credentials: in the URL's user part (percent-encode `/` as `%2F` and `+` as `%2B`),
///     or else the standard `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optional
///     `AWS_SESSION_TOKEN` environment variables, read once here. Without either, this
///     fails.
///
///   For example `s3://masthead-media/site1?endpoint=http://127.0.0.1:9000&region=us-east-1&path_style=true`.
///
/// The bucket must exist already; nothing is sent to the store here. The key needs
/// `s3:GetObject`, `s3:PutObject`, `s3:DeleteObject` and `s3:ListBucket` (without the last,
/// S3 answers 403 instead of 404 for a missing file, and `exists` fails instead of
/// answering false).
pub fn storage_from_url(url: &str) -> Result<Arc<dyn MediaStorage>, StorageConfigError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(StorageConfigError::Empty);
    }
    if url.starts_with("s3://") {
        return Ok(Arc::new(crate::s3::S3Storage::from_url(url)?));
    }
    let path = match url.strip_prefix("file://") {
        Some(path) if path.starts_with('/') => path,
        Some(_) => {
            return Err(StorageConfigError::invalid(
                "a file:// URL needs an absolute path, as in file:///var/lib/masthead/media",
            ));
        }
        None if url.contains("://") => {
            let scheme = url.split("://").next().unwrap_or_default();
            return Err(StorageConfigError::invalid(format!(
                "\"{scheme}://\" is not a kind of media store; use a folder path or s3://BUCKET/PREFIX"
            )));
        }
        None => url,
    };
    let storage = FsStorage::open(path).map_err(|source| StorageConfigError::Folder {
        path: path.into(),
        source,
    })?;
    Ok(Arc::new(storage))
}

/// A boxed future, so `MediaStorage` can be used as `Arc<dyn MediaStorage>` in app state.
pub type StorageFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StorageError>> + Send + 'a>>;

/// Rendition files by key. Implementations must make `put` atomic (a reader sees the old
/// file or the new one, never half) and `delete` idempotent.
pub trait MediaStorage: Send + Sync + fmt::Debug {
    fn put<'a>(&'a self, key: &'a MediaKey, bytes: Vec<u8>) -> StorageFuture<'a, ()>;
    /// `None` when nothing is stored under `key`.
    fn get<'a>(&'a self, key: &'a MediaKey) -> StorageFuture<'a, Option<Vec<u8>>>;
    /// Succeeds when nothing was stored under `key`.
    fn delete<'a>(&'a self, key: &'a MediaKey) -> StorageFuture<'a, ()>;
    fn exists<'a>(&'a self, key: &'a MediaKey) -> StorageFuture<'a, bool>;
}

/// Files under a root folder, one file per key; blocking IO runs on tokio's blocking pool.
/// Several nodes can share it through a network mount.
#[derive(Debug, Clone)]
pub struct FsStorage {
    root: Arc<Path>,
}

impl FsStorage {
    /// Storage rooted at `root`, created if missing.
    pub fn open(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root: PathBuf = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(Self { root: root.into() })
    }

    /// Storage rooted at `root`, without touching the disk: folders are made as files are
    /// stored, so building an application state never fails on IO.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into().into(),
        }
    }

    /// Where `key` lives. Safe by construction: a `MediaKey` has no `..`, no leading `/`
    /// and no characters a filesystem treats specially.
    pub fn path_of(&self, key: &MediaKey) -> PathBuf {
        key.as_str()
            .split('/')
            .fold(self.root.to_path_buf(), |p, s| p.join(s))
    }

    /// Runs `op` on the blocking pool with the key's path.
    fn blocking<'a, T: Send + 'static>(
        &'a self,
        key: &'a MediaKey,
        action: &'static str,
        op: impl FnOnce(&Path) -> io::Result<T> + Send + 'static,
    ) -> StorageFuture<'a, T> {
        let path = self.path_of(key);
        Box::pin(async move {
            match tokio::task::spawn_blocking(move || op(&path)).await {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(source)) => Err(StorageError::Io {
                    action,
                    key: key.clone(),
                    source,
                }),
                Err(_) => Err(StorageError::Interrupted { key: key.clone() }),
            }
        })
    }
}

impl MediaStorage for FsStorage {
    fn put<'a>(&'a self, key: &'a MediaKey, bytes: Vec<u8>) -> StorageFuture<'a, ()> {
        self.blocking(key, "store", move |path| {
            let dir = path.parent().unwrap_or(path);
            std::fs::create_dir_all(dir)?;
            // Write beside the target, then rename over it: readers never see half a file,
            // and two nodes storing the same content-addressed key cannot corrupt it.
            let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
            io::Write::write_all(&mut tmp, &bytes)?;
            tmp.as_file().sync_all()?;
            tmp.persist(path).map_err(|e| e.error)?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a MediaKey) -> StorageFuture<'a, Option<Vec<u8>>> {
        self.blocking(key, "read", |path| match std::fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if no_file(&e) => Ok(None),
            Err(e) => Err(e),
        })
    }

    fn delete<'a>(&'a self, key: &'a MediaKey) -> StorageFuture<'a, ()> {
        self.blocking(key, "delete", |path| match std::fs::remove_file(path) {
            Err(e) if !no_file(&e) => Err(e),
            _ => Ok(()),
        })
    }

    fn exists<'a>(&'a self, key: &'a MediaKey) -> StorageFuture<'a, bool> {
        self.blocking(key, "look up", |path| match std::fs::metadata(path) {
            Ok(meta) => Ok(meta.is_file()),
            Err(e) if no_file(&e) => Ok(false),
            Err(e) => Err(e),
        })
    }
}

/// The error says there is no file at the path: nothing there, a folder there (a key is
/// a file, as in an object store, where a "folder" is only a shared prefix), or a file
/// where the path needs a folder.
fn no_file(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::IsADirectory | io::ErrorKind::NotADirectory
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_tricks_are_refused() {
        for key in [
            "",
            "../etc/passwd",
            "ab/../../etc/passwd",
            "/etc/passwd",
            "ab//w640.jpg",
            "ab/",
            ".hidden",
            "ab/.htaccess",
            "ab\\w640.jpg",
            "c:/windows",
            "ab/W640.JPG",
            "ab/w 640.jpg",
            "ab/w640.jpg\0",
            "ab/é.jpg",
            "a/b/c/d/e",
            "%2e%2e/passwd",
        ] {
            assert!(MediaKey::parse(key).is_err(), "{key:?} should be refused");
        }
        let long = "a".repeat(MAX_KEY_LEN + 1);
        assert!(MediaKey::parse(&long).is_err());
    }

    #[test]
    fn generated_keys_parse_back() {
        let key = MediaKey::for_rendition(&"ab".repeat(32), "social-500-500", OutputFormat::Jpeg);
        assert_eq!(MediaKey::parse(key.as_str()), Ok(key.clone()));
        assert_eq!(key.format(), Some(OutputFormat::Jpeg));
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(serde_json::from_str::<MediaKey>(&json).unwrap(), key);
        assert!(serde_json::from_str::<MediaKey>(r#""../x""#).is_err());
    }

    #[test]
    fn urls_join_with_one_slash() {
        let key = MediaKey::parse("ab/cd/w320.jpg").unwrap();
        assert_eq!(key.url("/media/"), "/media/ab/cd/w320.jpg");
        assert_eq!(
            key.url("https://cdn.example/m"),
            "https://cdn.example/m/ab/cd/w320.jpg"
        );
        assert_eq!(key.url(""), "/ab/cd/w320.jpg");
    }

    #[tokio::test]
    async fn files_round_trip_and_stay_under_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let storage = FsStorage::open(dir.path().join("media")).unwrap();
        let key = MediaKey::parse("ab/abcdef/w320.jpg").unwrap();
        let bytes: Vec<u8> = (0..=255).collect();

        assert!(!storage.exists(&key).await.unwrap());
        assert_eq!(storage.get(&key).await.unwrap(), None);
        storage.put(&key, bytes.clone()).await.unwrap();
        assert!(storage.exists(&key).await.unwrap());
        assert_eq!(storage.get(&key).await.unwrap(), Some(bytes));
        assert!(storage.path_of(&key).starts_with(dir.path().join("media")));

        storage.put(&key, b"replaced".to_vec()).await.unwrap();
        assert_eq!(
            storage.get(&key).await.unwrap().as_deref(),
            Some(&b"replaced"[..])
        );

        storage.delete(&key).await.unwrap();
        assert!(!storage.exists(&key).await.unwrap());
        storage.delete(&key).await.unwrap();

        // Only the file's folders remain: no temporary files left behind.
        let leftovers = std::fs::read_dir(dir.path().join("media/ab/abcdef"))
            .unwrap()
            .count();
        assert_eq!(leftovers, 0);
    }

    #[tokio::test]
    async fn works_behind_a_trait_object() {
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn MediaStorage> = Arc::new(FsStorage::open(dir.path()).unwrap());
        let key = MediaKey::parse("x/y.png").unwrap();
        storage.put(&key, vec![1, 2, 3]).await.unwrap();
        assert_eq!(storage.get(&key).await.unwrap(), Some(vec![1, 2, 3]));
    }
}
