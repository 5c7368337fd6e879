//! A local copy of the old site's `wp-content/uploads`, given with `--uploads DIR`: which
//! file an upload URL names, read only from inside that folder.

use masthead_core::redirect::percent_decode;
use std::io;
use std::path::{Component, Path, PathBuf};

/// An uploaded file's path below the uploads folder (`2019/05/a.jpg`), from its URL:
/// `…/wp-content/uploads/2019/05/a.jpg`, WordPress.com's `x.files.wordpress.com/2019/05/a.jpg`,
/// or an old multisite's `…/files/2019/05/a.jpg`. `None` for other URLs and for paths
/// that could leave the folder (`..`, backslashes, empty segments).
pub fn upload_path(url: &str) -> Option<String> {
    let url = url.trim().split(['?', '#']).next().unwrap_or("");
    let rest = if let Some(i) = url.find("/wp-content/uploads/") {
        &url[i + "/wp-content/uploads/".len()..]
    } else {
        let after_scheme = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .or_else(|| url.strip_prefix("//"))?;
        let (host, path) = after_scheme.split_once('/')?;
        if host.to_ascii_lowercase().ends_with(".files.wordpress.com") {
            path
        } else {
            let i = path.find("files/")?;
            let (before, after) = path.split_at(i);
            if !(before.is_empty() || before.ends_with('/')) || !dated(&after[6..]) {
                return None;
            }
            &after[6..]
        }
    };
    let decoded = percent_decode(rest).unwrap_or_else(|| rest.to_owned());
    let safe = !decoded.is_empty()
        && decoded.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && !seg.contains(['\\', '\0', ':'])
                && !seg.chars().any(char::is_control)
        });
    safe.then_some(decoded)
}

/// `YYYY/MM/` at the start.
fn dated(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 8
        && b.iter().take(8).enumerate().all(|(k, c)| match k {
            4 | 7 => *c == b'/',
            _ => c.is_ascii_digit(),
        })
}

/// The original of a size variant WordPress made (`a-300x200.jpg` → `a.jpg`), or `None`
/// when the name is not one.
pub fn original_of(path: &str) -> Option<String> {
    let (dir, name) = match path.rsplit_once('/') {
        Some((d, n)) => (Some(d), n),
        None => (None, path),
    };
    let (stem, ext) = name.rsplit_once('.')?;
    let (base, size) = stem.rsplit_once('-')?;
    let (w, h) = size.split_once('x')?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 5 && s.bytes().all(|c| c.is_ascii_digit());
    if base.is_empty() || !digits(w) || !digits(h) {
        return None;
    }
    Some(match dir {
        Some(d) => format!("{d}/{base}.{ext}"),
        None => format!("{base}.{ext}"),
    })
}

/// The uploads folder, resolved once.
#[derive(Debug, Clone)]
pub struct UploadsDir {
    root: PathBuf,
}

impl UploadsDir {
    pub fn open(dir: &Path) -> io::Result<Self> {
        let root = dir.canonicalize()?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a folder", dir.display()),
            ));
        }
        Ok(Self { root })
    }

    /// The file at `rel` (an [`upload_path`]), its links resolved: an error when it is
    /// missing, not a file, or (through a symbolic link) outside the folder.
    pub fn file(&self, rel: &str) -> Result<PathBuf, String> {
        let joined = self.root.join(rel);
        if joined
            .components()
            .any(|c| matches!(c, Component::ParentDir))
        {
            return Err("its path leaves the uploads folder".to_owned());
        }
        let real = match joined.canonicalize() {
            Ok(p) => p,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err("not in the uploads folder".to_owned());
            }
            Err(e) => return Err(format!("unreadable: {e}")),
        };
        if !real.starts_with(&self.root) {
            return Err("a link that leads outside the uploads folder".to_owned());
        }
        if !real.is_file() {
            return Err("not a file".to_owned());
        }
        Ok(real)
    }

    /// Whether `rel` names a file inside the folder.
    pub fn has(&self, rel: &str) -> bool {
        self.file(rel).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_urls_map_to_paths() {
        let p = |u: &str| upload_path(u);
        assert_eq!(
            p("https://ex.com/wp-content/uploads/2019/05/a.jpg?w=300").as_deref(),
            Some("2019/05/a.jpg")
        );
        assert_eq!(
            p("https://ex.com/blog/wp-content/uploads/2019/05/caf%C3%A9.jpg").as_deref(),
            Some("2019/05/café.jpg")
        );
        assert_eq!(
            p("https://ex.files.wordpress.com/2019/05/a.jpg").as_deref(),
            Some("2019/05/a.jpg")
        );
        assert_eq!(
            p("http://ex.com/site/files/2010/01/b.png").as_deref(),
            Some("2010/01/b.png")
        );
        assert_eq!(p("https://ex.com/wp-content/uploads/../etc/passwd"), None);
        assert_eq!(p("https://ex.com/wp-content/uploads/%2e%2e/x.jpg"), None);
        assert_eq!(p("https://ex.com/wp-content/uploads/a\\..\\b.jpg"), None);
        assert_eq!(p("https://ex.com/images/a.jpg"), None);
        assert_eq!(p("https://ex.com/profiles/2019/05/a.jpg"), None);
    }

    #[test]
    fn size_variants_name_their_original() {
        assert_eq!(
            original_of("2019/05/a-300x200.jpg").as_deref(),
            Some("2019/05/a.jpg")
        );
        assert_eq!(original_of("a-b-1024x768.png").as_deref(), Some("a-b.png"));
        assert_eq!(original_of("2019/05/a.jpg"), None);
        assert_eq!(original_of("2019/05/a-x200.jpg"), None);
        assert_eq!(original_of("2019/05/-300x200.jpg"), None);
    }
}
