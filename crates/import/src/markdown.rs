//! A folder of Markdown files with front matter (Hugo, Jekyll and the like) into
//! articles, and their old addresses into redirects.
//!
//! The folder is walked recursively in name order, so two runs see the files in the same
//! order. Hidden files and folders (`.git`, `.DS_Store`) are never read; Jekyll's site
//! folders (`_layouts`, `_includes`, `_site`…) are left out and reported; links are
//! followed only when they stay inside the folder, and each file or folder is read once,
//! under the first path met. `*.md` and `*.markdown` files are read; Hugo's section list
//! pages (`_index.md`) are skipped and reported.
//!
//! Front matter is YAML between `---` lines, TOML between `+++` lines, or a JSON object
//! at the top; a file without any is all body, titled by its first `# Heading` or its
//! file name. Keys are read without regard to case (Hugo's `publishDate` is
//! `publishdate` too):
//!
//! - `title` (else `linkTitle`, the first `# Heading`, the file name);
//! - `date`, else the date a Jekyll file name starts with (`2024-05-01-slug.md`), else
//!   the file's modification time (reported); `publishDate` (`pubDate`, or `published`
//!   as a date) in the future schedules the article, and so does a future `date`;
//!   `lastmod` (`updated`, `modified`, `last_modified_at`) is the last update;
//! - `slug`, else the last segment of `url` (or Jekyll's `permalink`), else the file name
//!   (less a Jekyll date) or a page bundle's folder (`posts/my-story/index.md`);
//! - `tags`; `categories` (or `category`): the first is the section, the rest further
//!   sections, "News" without any; `author`/`authors` (names, or maps with a `name`);
//! - `draft: true`, Jekyll's `published: false` and files under `_drafts/` are drafts;
//! - `summary`, else `description`, else `excerpt`: the editor's excerpt;
//! - `aliases` (Hugo), `redirect_from` (Jekyll) and an absolute `url`/`permalink`
//!   become permanent redirects to the article, which follow it if its slug changes;
//! - `featured_image`, `image`, `images` (the first) or `cover.image`: the featured
//!   image, kept as the address it is (reported, not copied into the media library);
//! - `expiryDate` and `weight` have no counterpart here: reported and ignored. Other
//!   keys are ignored.
//!
//! Bodies are Markdown, stored as written: Hugo shortcodes (`{{< … >}}`, `{{% … %}}`) and
//! Liquid tags (`{% … %}`) stay as text, counted by name in the report. Each article's
//! external id is `markdown:` plus its path in the folder, so importing again updates
//! rather than duplicates. A file that cannot be imported (unreadable, not UTF-8, broken
//! front matter, a date that is not one) is reported as `path: reason` and the import
//! goes on.

use crate::ImportError;
use crate::jsonl::DEFAULT_SECTION;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use masthead_core::redirect::parse_source;
use masthead_core::{ArticleStatus, BodyFormat, excerpt, slug};
use masthead_render::render_body;
use masthead_store::{ContentKind, NewArticle, NewRedirect, Store};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};
use std::ffi::OsStr;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// What the redirects this importer brings are marked with.
pub const ORIGIN: &str = "markdown";
/// What every external id starts with; the file's path in the folder follows.
pub const EXTERNAL_ID_PREFIX: &str = "markdown:";
/// The largest file read; a larger one is reported and skipped.
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Jekyll's folders that hold templates, data or the built site, not content.
pub const LEFT_OUT_FOLDERS: [&str; 8] = [
    "_data",
    "_includes",
    "_layouts",
    "_plugins",
    "_sass",
    "_site",
    "node_modules",
    "resources",
];
/// How many entries a list in the report prints before "…and N more".
const LISTED: usize = 10;

#[derive(Debug, Clone)]
pub struct MarkdownOptions {
    /// How to read dates written without an offset (the site's timezone by default).
    pub timezone: Tz,
    /// Read and report everything, write nothing.
    pub dry_run: bool,
    /// Articles per transaction.
    pub batch_size: usize,
}

impl Default for MarkdownOptions {
    fn default() -> Self {
        Self {
            timezone: chrono_tz::UTC,
            dry_run: false,
            batch_size: 50,
        }
    }
}

/// Which front matter a file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FrontMatter {
    Yaml,
    Toml,
    Json,
    /// None: the whole file is the body.
    None,
}

impl FrontMatter {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yaml => "YAML",
            Self::Toml => "TOML",
            Self::Json => "JSON",
            Self::None => "none",
        }
    }
}

/// A file and something to say about it: why it was skipped, or a value it had.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileNote {
    /// The path in the folder, with `/` between folders.
    pub path: String,
    pub note: String,
}

impl FileNote {
    fn new(path: &str, note: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            note: note.into(),
        }
    }
}

/// What an import did (or, in a dry run, would do). A dry run's report is the real
/// one's but for `dry_run`, `redirects_written` and `longest_batch`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarkdownReport {
    pub dry_run: bool,
    /// The folder, as given.
    pub folder: String,
    /// Markdown files found (section list pages and skipped files included).
    pub files: u64,
    /// Files by their front matter.
    pub front_matter: BTreeMap<FrontMatter, u64>,
    /// Articles built (saved unless a dry run).
    pub articles: u64,
    /// Of `articles`, how many are new and how many update an earlier import (in a dry
    /// run, how many would be).
    pub created: u64,
    pub updated: u64,
    /// Articles by status (`published`, `draft`, `scheduled`).
    pub statuses: BTreeMap<String, u64>,
    /// Sections articles were filed in, in the order first met.
    pub sections: Vec<String>,
    /// Distinct tags.
    pub tags: Vec<String>,
    /// Distinct bylines.
    pub authors: Vec<String>,
    /// Old addresses (aliases, `redirect_from`, `url`) that lead to their articles.
    pub redirects: u64,
    /// Of those, how many were written (a manual redirect for the same address wins; 0
    /// in a dry run).
    pub redirects_written: u64,
    /// Hugo section list pages (`_index.md`): not articles, skipped.
    pub section_lists: Vec<String>,
    /// Folders left out on purpose ([`LEFT_OUT_FOLDERS`]).
    pub left_out_folders: Vec<String>,
    /// Hugo shortcodes kept as text, by name.
    pub shortcodes: BTreeMap<String, u64>,
    /// Liquid tags kept as text, by name.
    pub liquid_tags: BTreeMap<String, u64>,
    /// Featured images, kept as the addresses they are.
    pub featured_images: Vec<FileNote>,
    /// `expiryDate`s, which nothing here honours.
    pub expiry_ignored: Vec<FileNote>,
    /// `weight`s, which nothing here honours (lists are ordered by date).
    pub weight_ignored: Vec<FileNote>,
    /// Files without a date, dated by their modification time.
    pub dated_by_file_time: Vec<String>,
    /// Files that could not be imported, and why.
    pub skipped: Vec<FileNote>,
    /// Files that are neither Markdown nor hidden (images in page bundles…), not read.
    pub other_files: u64,
    /// Hidden files and folders, not read.
    pub hidden: u64,
    /// Anything else an operator should know (a slug or alias that could not be used).
    pub warnings: Vec<String>,
    /// The longest a batch held the database.
    pub longest_batch: std::time::Duration,
}

/// "1 file", "2 files".
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn push_listed<T>(out: &mut Vec<String>, items: &[T], line: impl Fn(&T) -> String) {
    out.extend(items.iter().take(LISTED).map(|i| format!("  {}", line(i))));
    if items.len() > LISTED {
        out.push(format!("  …and {} more", items.len() - LISTED));
    }
}

fn named_counts(counts: &BTreeMap<String, u64>) -> String {
    counts
        .iter()
        .map(|(name, n)| format!("{name} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl MarkdownReport {
    /// The report as lines for a terminal.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        out.push(format!(
            "Markdown folder {}: {}{}",
            self.folder,
            count(self.files, "file", "files"),
            if self.dry_run {
                " — dry run, nothing written"
            } else {
                ""
            }
        ));
        if !self.front_matter.is_empty() {
            let kinds: Vec<String> = self
                .front_matter
                .iter()
                .map(|(k, n)| format!("{n} {}", k.as_str()))
                .collect();
            out.push(format!("Front matter: {}", kinds.join(", ")));
        }
        let statuses: Vec<String> = self
            .statuses
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        let statuses = if statuses.is_empty() {
            String::new()
        } else {
            format!(" ({})", statuses.join(", "))
        };
        out.push(format!(
            "Articles: {} {}, {} new, {} updated{statuses}",
            self.articles,
            if self.dry_run {
                "would be saved"
            } else {
                "saved"
            },
            self.created,
            self.updated
        ));
        let mut redirects = format!(
            "Redirects: {} to their articles",
            count(self.redirects, "old address", "old addresses")
        );
        if !self.dry_run && self.redirects_written < self.redirects {
            redirects.push_str(&format!(
                " ({} kept: a manual redirect holds the address)",
                self.redirects - self.redirects_written
            ));
        }
        out.push(redirects);
        out.push(format!(
            "Sections: {}; tags: {}; bylines: {}",
            if self.sections.is_empty() {
                "none".to_owned()
            } else {
                self.sections.join(", ")
            },
            self.tags.len(),
            if self.authors.is_empty() {
                "none".to_owned()
            } else {
                self.authors.join(", ")
            }
        ));
        if !self.section_lists.is_empty() {
            out.push(format!(
                "Section list pages (_index), not articles, skipped ({}):",
                self.section_lists.len()
            ));
            push_listed(&mut out, &self.section_lists, String::clone);
        }
        if !self.left_out_folders.is_empty() {
            out.push(format!(
                "Folders left out (templates, data, built site): {}",
                self.left_out_folders.join(", ")
            ));
        }
        if !self.shortcodes.is_empty() {
            out.push(format!(
                "Hugo shortcodes kept as text: {}",
                named_counts(&self.shortcodes)
            ));
        }
        if !self.liquid_tags.is_empty() {
            out.push(format!(
                "Liquid tags kept as text: {}",
                named_counts(&self.liquid_tags)
            ));
        }
        let notes = [
            (
                &self.featured_images,
                "Featured images kept as links, not copied into the media library",
            ),
            (&self.expiry_ignored, "Expiry dates ignored"),
            (&self.weight_ignored, "Weights ignored (lists go by date)"),
        ];
        for (list, heading) in notes {
            if !list.is_empty() {
                out.push(format!("{heading} ({}):", list.len()));
                push_listed(&mut out, list, |n| format!("{}: {}", n.path, n.note));
            }
        }
        if !self.dated_by_file_time.is_empty() {
            out.push(format!(
                "No date, dated by the file's modification time ({}):",
                self.dated_by_file_time.len()
            ));
            push_listed(&mut out, &self.dated_by_file_time, String::clone);
        }
        if self.other_files > 0 || self.hidden > 0 {
            out.push(format!(
                "Not read: {} that are not Markdown, {} hidden",
                count(self.other_files, "file", "files"),
                count(self.hidden, "file or folder", "files and folders")
            ));
        }
        if !self.skipped.is_empty() {
            out.push(format!("Skipped ({}):", self.skipped.len()));
            // Every one, not the first few: each is something to fix.
            out.extend(
                self.skipped
                    .iter()
                    .map(|n| format!("  {}: {}", n.path, n.note)),
            );
        }
        out.extend(self.warnings.iter().map(|w| format!("Warning: {w}")));
        out
    }
}

impl fmt::Display for MarkdownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in self.lines() {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// The walk.

/// A Markdown file found in the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    /// The path in the folder, with `/` between folders.
    pub relative: String,
}

/// What walking the folder found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walk {
    /// Markdown files to import, in walk order.
    pub files: Vec<Found>,
    pub section_lists: Vec<String>,
    pub left_out_folders: Vec<String>,
    /// Entries that could not be walked (a link out of the folder, a name that is not
    /// UTF-8, a folder that cannot be read).
    pub bad: Vec<FileNote>,
    pub other_files: u64,
    pub hidden: u64,
}

fn is_markdown(name: &OsStr) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

/// Walks `root` recursively, each folder in name order, skipping hidden entries and
/// following links only when they lead somewhere inside `root`; a file or folder reached
/// again through a link is not read twice.
pub fn walk(root: &Path) -> Result<Walk, ImportError> {
    let read_err = |source| ImportError::Read {
        file: root.display().to_string(),
        source,
    };
    let canonical_root = root.canonicalize().map_err(read_err)?;
    if !canonical_root.is_dir() {
        return Err(ImportError::Invalid(format!(
            "{} is not a folder",
            root.display()
        )));
    }
    let mut walk = Walk::default();
    let mut seen = HashSet::from([canonical_root.clone()]);
    visit(
        &canonical_root,
        &canonical_root,
        "",
        &mut seen,
        &mut walk,
        true,
    )?;
    Ok(walk)
}

fn visit(
    root: &Path,
    dir: &Path,
    prefix: &str,
    seen: &mut HashSet<PathBuf>,
    walk: &mut Walk,
    top: bool,
) -> Result<(), ImportError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) if top => {
            return Err(ImportError::Read {
                file: dir.display().to_string(),
                source,
            });
        }
        Err(e) => {
            walk.bad.push(FileNote::new(
                prefix,
                format!("cannot read the folder: {}", io_reason(&e)),
            ));
            return Ok(());
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        if name.as_encoded_bytes().starts_with(b".") {
            walk.hidden += 1;
            continue;
        }
        let Some(name_str) = name.to_str() else {
            walk.bad.push(FileNote::new(
                &join(prefix, &name.to_string_lossy()),
                "the name is not UTF-8",
            ));
            continue;
        };
        let relative = join(prefix, name_str);
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            walk.bad
                .push(FileNote::new(&relative, "cannot tell what it is"));
            continue;
        };
        // A link is followed only to somewhere inside the folder.
        let (is_dir, is_file) = if kind.is_symlink() {
            match path.canonicalize() {
                Ok(target) if target.starts_with(root) => (target.is_dir(), target.is_file()),
                Ok(_) => {
                    if target_matters(&path, &name) {
                        walk.bad.push(FileNote::new(
                            &relative,
                            "a link to outside the folder, not followed",
                        ));
                    }
                    continue;
                }
                Err(_) => {
                    if is_markdown(&name) {
                        walk.bad.push(FileNote::new(&relative, "a broken link"));
                    }
                    continue;
                }
            }
        } else {
            (kind.is_dir(), kind.is_file())
        };
        if is_dir {
            if LEFT_OUT_FOLDERS.contains(&name_str) {
                walk.left_out_folders.push(relative);
                continue;
            }
            let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
            if !seen.insert(canonical.clone()) {
                continue; // a link back to a folder already walked
            }
            visit(root, &canonical, &relative, seen, walk, false)?;
        } else if is_file && is_markdown(&name) {
            // A file reached twice (by its path and by a link) is read once.
            let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
            if !seen.insert(canonical) {
                continue;
            }
            let stem = Path::new(&name)
                .file_stem()
                .and_then(OsStr::to_str)
                .unwrap_or("");
            if stem == "_index" {
                walk.section_lists.push(relative);
            } else {
                walk.files.push(Found { path, relative });
            }
        } else if is_file {
            walk.other_files += 1;
        }
    }
    Ok(())
}

/// Whether a link out of the folder is worth a line in the report: one to a folder or
/// to a Markdown file.
fn target_matters(path: &Path, name: &OsStr) -> bool {
    is_markdown(name) || path.is_dir()
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "not found".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

/// Reads a file, refusing one larger than [`MAX_FILE_BYTES`] or not UTF-8.
fn read_text(path: &Path) -> Result<(String, Option<DateTime<Utc>>), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {}", io_reason(&e)))?;
    let modified = file
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .map(DateTime::<Utc>::from);
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {}", io_reason(&e)))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "the file is larger than {} MiB",
            MAX_FILE_BYTES >> 20
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "the file is not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok((text, modified))
}

// ---------------------------------------------------------------------------------------
// Front matter.

/// A file split into its front matter (keys in lower case) and its body.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub front_matter: FrontMatter,
    pub fields: Map<String, Value>,
    /// The body, as written.
    pub body: String,
}

/// The text after the line that `start` begins (or the end).
fn after_line(text: &str, start: usize) -> usize {
    text[start..]
        .find('\n')
        .map_or(text.len(), |i| start + i + 1)
}

/// Finds the fenced block opened by the first line (`fence`): its inside and the
/// body after its closing line. A YAML block may also close with `...`.
fn fenced<'a>(text: &'a str, fence: &str) -> Option<Result<(&'a str, &'a str), String>> {
    let first_end = after_line(text, 0);
    if text[..first_end].trim_end() != fence {
        return None;
    }
    let mut pos = first_end;
    while pos < text.len() {
        let end = after_line(text, pos);
        let line = text[pos..end].trim_end();
        if line == fence || (fence == "---" && line == "...") {
            return Some(Ok((&text[first_end..pos], &text[end..])));
        }
        pos = end;
    }
    Some(Err(format!(
        "the front matter opened by {fence} on the first line is never closed"
    )))
}

/// The first line of a parser's message, plus its last line when that says more
/// (the TOML parser puts the reason under a picture of the line).
fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message.lines().filter(|l| !l.trim().is_empty()).collect();
    let first = lines
        .first()
        .map_or("", |l| l.trim().trim_start_matches("error: "));
    let last = lines
        .last()
        .map_or("", |l| l.trim_start_matches(|c: char| c.is_ascii_digit()))
        .trim_start_matches([' ', '|', '^'])
        .trim();
    if lines.len() > 1 && !last.is_empty() && !first.contains(last) {
        format!("{first}: {last}")
    } else {
        first.to_owned()
    }
}

fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Keys in lower case; of two that differ only in case, the first stays.
fn lower_keys(map: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in map {
        out.entry(k.to_lowercase()).or_insert(v);
    }
    out
}

/// Splits a file into front matter and body.
pub fn split_front_matter(text: &str) -> Result<Document, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let object = |v: Value, what: &str| match v {
        Value::Object(map) => Ok(lower_keys(map)),
        Value::Null => Ok(Map::new()),
        _ => Err(format!(
            "the {what} front matter is not a set of keys and values"
        )),
    };
    if let Some(block) = fenced(text, "---") {
        let (inside, body) = block?;
        let value: Value = serde_saphyr::from_str(inside).map_err(|e| {
            format!(
                "the YAML front matter is broken: {}",
                one_line(&e.to_string())
            )
        })?;
        return Ok(Document {
            front_matter: FrontMatter::Yaml,
            fields: object(value, "YAML")?,
            body: body.to_owned(),
        });
    }
    if let Some(block) = fenced(text, "+++") {
        let (inside, body) = block?;
        let table: toml::Table = toml::from_str(inside).map_err(|e| {
            format!(
                "the TOML front matter is broken: {}",
                one_line(&e.to_string())
            )
        })?;
        return Ok(Document {
            front_matter: FrontMatter::Toml,
            fields: object(toml_to_json(toml::Value::Table(table)), "TOML")?,
            body: body.to_owned(),
        });
    }
    // A JSON object opens with a key or closes at once; a body may start with a brace
    // of its own (`{{< shortcode >}}`, `{% include %}`).
    let json = text
        .strip_prefix('{')
        .is_some_and(|rest| rest.trim_start().starts_with(['"', '}']));
    if json {
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        let value = match stream.next() {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err(format!("the JSON front matter is broken: {e}")),
            None => return Err("the JSON front matter is empty".to_owned()),
        };
        let end = stream.byte_offset();
        // The body starts on the line after the closing brace.
        let rest = &text[end..];
        let body = match rest.find('\n') {
            Some(i) if rest[..i].trim().is_empty() => &rest[i + 1..],
            _ => rest.trim_start_matches([' ', '\t', '\r']),
        };
        return Ok(Document {
            front_matter: FrontMatter::Json,
            fields: object(value, "JSON")?,
            body: body.to_owned(),
        });
    }
    Ok(Document {
        front_matter: FrontMatter::None,
        fields: Map::new(),
        body: text.to_owned(),
    })
}

// ---------------------------------------------------------------------------------------
// Fields.

/// A scalar as text: strings trimmed, numbers and booleans written out; `None` for
/// absent, null or empty.
fn field(f: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match f.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => scalar(v)
            .map(|s| Some(s).filter(|s| !s.is_empty()))
            .ok_or_else(|| format!("`{key}` must be text, not a list or a map")),
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A list of names: a list of scalars, or one string (split at commas; for a Jekyll
/// post, at spaces when there is no comma, as Jekyll does).
fn list(f: &Map<String, Value>, key: &str, spaces: bool) -> Result<Vec<String>, String> {
    let items: Vec<String> = match f.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) if s.contains(',') => s.split(',').map(str::to_owned).collect(),
        Some(Value::String(s)) if spaces => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| scalar(v).ok_or_else(|| format!("`{key}` must be a list of names")))
            .collect::<Result<_, _>>()?,
        Some(v) => vec![scalar(v).ok_or_else(|| format!("`{key}` must be a list of names"))?],
    };
    Ok(items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

fn flag(f: &Map<String, Value>, key: &str) -> Result<Option<bool>, String> {
    match f.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" => Ok(Some(true)),
            "false" | "no" => Ok(Some(false)),
            _ => Err(format!("`{key}` must be true or false, not \"{s}\"")),
        },
        Some(_) => Err(format!("`{key}` must be true or false")),
    }
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_owned());
    }
}

/// Bylines: names, or maps with a `name` (or `title`).
fn authors(f: &Map<String, Value>) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for key in ["author", "authors"] {
        let values: Vec<&Value> = match f.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(items)) => items.iter().collect(),
            Some(v) => vec![v],
        };
        for v in values {
            let name = match v {
                Value::Object(m) => ["name", "title", "display_name"]
                    .iter()
                    .find_map(|k| m.get(*k).and_then(scalar)),
                Value::Null => None,
                Value::String(s) if key == "authors" && s.contains(',') => {
                    for n in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                        push_unique(&mut out, n);
                    }
                    continue;
                }
                v => Some(
                    scalar(v)
                        .ok_or_else(|| format!("`{key}` must be names or maps with a name"))?,
                ),
            };
            if let Some(name) = name.filter(|n| !n.is_empty()) {
                push_unique(&mut out, &name);
            }
        }
    }
    Ok(out)
}

/// An image given as an address or as a map with one (`path`, `src`, `url`, `image`).
fn image_address(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Array(items) => items.iter().find_map(image_address),
        Value::Object(m) => ["path", "src", "url", "image", "feature"]
            .iter()
            .find_map(|k| m.get(*k).and_then(image_address)),
        _ => None,
    }
}

fn featured_image(f: &Map<String, Value>) -> Option<String> {
    ["featured_image", "featureimage", "image", "images", "cover"]
        .iter()
        .find_map(|k| f.get(*k).and_then(image_address))
}

/// The site-local time a date names: a time that does not exist (skipped by a clock
/// change) moves forward an hour; one that happens twice takes the earlier.
fn in_zone(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        chrono::LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
        chrono::LocalResult::None => tz
            .from_local_datetime(&(local + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc)),
    }
}

/// Reads a date: RFC 3339 (a space for the `T` too), `YYYY-MM-DD HH:MM[:SS] ±hhmm`
/// (Jekyll), or without an offset `YYYY-MM-DD[ HH:MM[:SS]]` in `tz`.
pub fn parse_date(s: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let zoned = match s.strip_suffix(['Z', 'z']) {
        Some(head) => format!("{head}+00:00"),
        None => s.to_owned(),
    };
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f %z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M%z",
        "%Y-%m-%d %H:%M %z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(&zoned, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    let local = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|fmt| NaiveDateTime::parse_from_str(s, fmt).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .map(|d| d.and_time(NaiveTime::MIN))
    })?;
    in_zone(local, tz)
}

fn date(f: &Map<String, Value>, key: &str, tz: Tz) -> Result<Option<DateTime<Utc>>, String> {
    let Some(s) = field(f, key)? else {
        return Ok(None);
    };
    parse_date(&s, tz).map(Some).ok_or_else(|| {
        format!(
            "`{key}` \"{}\" is not a date (RFC 3339, YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS])",
            s.chars().take(40).collect::<String>()
        )
    })
}

/// The first of `keys` that holds a date.
fn first_date(
    f: &Map<String, Value>,
    keys: &[&str],
    tz: Tz,
) -> Result<Option<DateTime<Utc>>, String> {
    for key in keys {
        if let Some(d) = date(f, key, tz)? {
            return Ok(Some(d));
        }
    }
    Ok(None)
}

/// `2024-05-01-my-story` → the date and `my-story`.
fn dated_name(stem: &str) -> Option<(NaiveDate, &str)> {
    let head = stem.get(..10)?;
    let rest = stem.get(10..)?.strip_prefix('-')?;
    let d = NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()?;
    (!rest.is_empty()).then_some((d, rest))
}

/// `# Heading` on a line of its own (outside fenced code), the first one.
fn first_heading(body: &str) -> Option<String> {
    let mut fence: Option<&str> = None;
    for line in body.lines() {
        let t = line.trim_start();
        if let Some(f) = fence {
            if t.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if t.starts_with("```") {
            fence = Some("```");
            continue;
        }
        if t.starts_with("~~~") {
            fence = Some("~~~");
            continue;
        }
        if line.len() - t.len() > 3 {
            continue; // indented code
        }
        if let Some(h) = t.strip_prefix("# ") {
            let h = h.trim().trim_end_matches('#').trim();
            if !h.is_empty() {
                return Some(h.to_owned());
            }
        }
    }
    None
}

/// `my-old_story` → "My Old Story".
fn titleize(name: &str) -> String {
    name.split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|first| first.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The last segment of a `url`/`permalink` (`/2019/05/story.html` → `story`).
fn last_segment(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let last = path.trim_end_matches('/').rsplit('/').next()?;
    let last = last
        .strip_suffix(".html")
        .or_else(|| last.strip_suffix(".htm"))
        .unwrap_or(last);
    (!last.is_empty() && !last.contains(':') && !last.contains('.')).then(|| last.to_owned())
}

/// An old address as a redirect key. A relative alias (Hugo) is taken from the folder
/// the page sits in (a page bundle's parent).
fn alias_key(alias: &str, base: &str) -> Result<String, String> {
    let alias = alias.trim();
    let lower = alias.to_ascii_lowercase();
    if alias.starts_with('/') || lower.starts_with("http://") || lower.starts_with("https://") {
        return parse_source(alias);
    }
    let mut segments: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    for part in alias.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            p => segments.push(p),
        }
    }
    let trailing = if alias.ends_with('/') { "/" } else { "" };
    parse_source(&format!("/{}{trailing}", segments.join("/")))
}

/// Template tags kept in a body: Hugo shortcodes and Liquid tags, by name (closing
/// tags not counted).
fn count_templates(
    body: &str,
    shortcodes: &mut BTreeMap<String, u64>,
    liquid: &mut BTreeMap<String, u64>,
) {
    let name_after = |rest: &str| -> String {
        let rest = rest.trim_start_matches(['-', '/', '*']).trim_start();
        rest.chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
            .collect::<String>()
            .trim_end_matches('-')
            .to_owned()
    };
    let mut i = 0;
    while let Some(found) = body[i..].find('{') {
        let at = i + found;
        let rest = &body[at..];
        if let Some(inner) = rest
            .strip_prefix("{{<")
            .or_else(|| rest.strip_prefix("{{%"))
        {
            let inner = inner.trim_start();
            if !inner.starts_with('/') {
                let name = name_after(inner);
                if !name.is_empty() {
                    *shortcodes.entry(name).or_default() += 1;
                }
            }
            i = at + 3;
        } else if let Some(inner) = rest.strip_prefix("{%") {
            let name = name_after(inner);
            if !name.is_empty() && !name.starts_with("end") {
                *liquid.entry(name).or_default() += 1;
            }
            i = at + 2;
        } else {
            i = at + 1;
        }
    }
}

/// Everything a file brings: its article, its old addresses, and notes for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    pub article: NewArticle,
    /// Redirect keys (already `source_key`s).
    pub redirects: Vec<String>,
    pub front_matter: FrontMatter,
    pub featured_image: Option<String>,
    pub expiry: Option<String>,
    pub weight: Option<String>,
    pub dated_by_file_time: bool,
    pub shortcodes: BTreeMap<String, u64>,
    pub liquid_tags: BTreeMap<String, u64>,
    pub warnings: Vec<String>,
}

/// Builds the article a file makes. `relative` is its path in the folder, `modified`
/// its modification time (the date of last resort), `now` the store's clock.
pub fn build(
    relative: &str,
    text: &str,
    modified: Option<DateTime<Utc>>,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Built, String> {
    let doc = split_front_matter(text)?;
    let f = &doc.fields;
    let mut warnings = Vec::new();

    // Where the file sits: its name, folder, and whether it is a Jekyll post or draft.
    let parts: Vec<&str> = relative.split('/').collect();
    let file_name = parts.last().copied().unwrap_or(relative);
    let stem = Path::new(file_name)
        .file_stem()
        .and_then(OsStr::to_str)
        .unwrap_or(file_name);
    let folders = &parts[..parts.len().saturating_sub(1)];
    let bundle = stem == "index";
    // A page bundle's name is its folder's; its relative aliases start beside it.
    let (name, base_folders) = if bundle {
        (
            folders.last().copied(),
            &folders[..folders.len().saturating_sub(1)],
        )
    } else {
        (Some(stem), folders)
    };
    let jekyll = folders.iter().any(|d| *d == "_posts" || *d == "_drafts");
    let in_drafts = folders.contains(&"_drafts");
    let dated = name.and_then(dated_name);
    let name_slug = dated.map(|(_, s)| s).or(name);

    // Title.
    let title = match field(f, "title")?.or(field(f, "linktitle")?) {
        Some(t) => t,
        None => first_heading(&doc.body)
            .or_else(|| name_slug.map(titleize).filter(|t| !t.is_empty()))
            .ok_or("no title: no `title`, no `# Heading` and no file name to take one from")?,
    };

    // Slug: given, else the old address's last segment, else the file or bundle name.
    let url = field(f, "url")?.or(field(f, "permalink")?);
    let mut slug_value = None;
    let candidates = [
        ("slug", field(f, "slug")?),
        ("url", url.as_deref().and_then(last_segment)),
        ("the file name", name_slug.map(str::to_owned)),
    ];
    for (from, candidate) in candidates {
        let Some(c) = candidate else { continue };
        match slug::normalize_given(&c) {
            Ok(s) => {
                slug_value = Some(s);
                break;
            }
            Err(e) => warnings.push(format!("{relative}: slug from {from} \"{c}\": {e}")),
        }
    }

    // Dates.
    let given_date = first_date(f, &["date"], tz)?;
    let name_date = dated.and_then(|(d, _)| in_zone(d.and_time(NaiveTime::MIN), tz));
    let (publish, published_flag) = match f.get("published") {
        Some(Value::Bool(b)) => (first_date(f, &["publishdate", "pubdate"], tz)?, Some(*b)),
        _ => (
            first_date(f, &["publishdate", "pubdate", "published"], tz)?,
            None,
        ),
    };
    let lastmod = first_date(
        f,
        &["lastmod", "updated", "modified", "last_modified_at"],
        tz,
    )?;
    let dated_by_file_time = given_date.is_none() && name_date.is_none() && publish.is_none();
    let date = given_date
        .or(name_date)
        .or(publish)
        // A file's time never schedules it (its clock may run ahead of the site's).
        .or(modified.map(|m| m.min(now)))
        .unwrap_or(now);

    // Status.
    let draft = flag(f, "draft")?.unwrap_or(false) || published_flag == Some(false) || in_drafts;
    let (status, published_at) = if draft {
        (ArticleStatus::Draft, date)
    } else if let Some(p) = publish.filter(|p| *p > now) {
        (ArticleStatus::Scheduled, p)
    } else if date > now {
        (ArticleStatus::Scheduled, date)
    } else {
        (ArticleStatus::Published, date)
    };

    // Terms.
    let tags = list(f, "tags", jekyll)?;
    let mut categories = list(f, "categories", jekyll)?;
    categories.extend(list(f, "category", jekyll)?);
    let mut sections: Vec<String> = Vec::new();
    for c in &categories {
        push_unique(&mut sections, c);
    }
    let mut tags_unique = Vec::new();
    for t in &tags {
        push_unique(&mut tags_unique, t);
    }
    let authors = authors(f)?;

    // Old addresses.
    let mut aliases = list(f, "aliases", false)?;
    aliases.extend(list(f, "redirect_from", false)?);
    if let Some(u) = url
        .as_deref()
        .filter(|u| u.starts_with('/') && !u.contains(':'))
    {
        aliases.push(u.to_owned());
    }
    let base = base_folders.join("/");
    let mut redirects = Vec::new();
    for alias in &aliases {
        match alias_key(alias, &base) {
            Ok(key) => push_unique(&mut redirects, &key),
            Err(e) => warnings.push(format!("{relative}: old address \"{alias}\": {e}")),
        }
    }

    let editor_excerpt = field(f, "summary")?
        .or(field(f, "description")?)
        .or(field(f, "excerpt")?);
    let image = featured_image(f);
    let expiry = field(f, "expirydate")?.or(field(f, "unpublishdate")?);
    let weight = field(f, "weight")?;
    let mut shortcodes = BTreeMap::new();
    let mut liquid_tags = BTreeMap::new();
    count_templates(&doc.body, &mut shortcodes, &mut liquid_tags);

    let rendered = render_body(BodyFormat::Markdown, &doc.body);
    let mut sections = sections.into_iter();
    let section = sections
        .next()
        .unwrap_or_else(|| DEFAULT_SECTION.to_owned());
    let mut a = NewArticle::published(title, section, published_at);
    a.other_sections = sections.collect();
    a.status = status;
    a.external_id = Some(format!("{EXTERNAL_ID_PREFIX}{relative}"));
    a.slug = slug_value;
    a.body_format = BodyFormat::Markdown;
    a.excerpt = excerpt::choose(editor_excerpt.as_deref(), &rendered.text);
    a.editor_excerpt = editor_excerpt;
    a.body_source = doc.body;
    a.body_html = rendered.html;
    a.tags = tags_unique;
    a.authors = authors;
    // Never before publication, never after now (a scheduled article was last changed
    // now at the latest).
    a.updated_at = Some(lastmod.unwrap_or(published_at).max(published_at).min(now));
    a.featured_image = image.clone();
    Ok(Built {
        article: a,
        redirects,
        front_matter: doc.front_matter,
        featured_image: image,
        expiry,
        weight,
        dated_by_file_time,
        shortcodes,
        liquid_tags,
        warnings,
    })
}

// ---------------------------------------------------------------------------------------
// The import.

fn note(report: &mut MarkdownReport, relative: &str, built: &Built) {
    *report.front_matter.entry(built.front_matter).or_default() += 1;
    let a = &built.article;
    *report
        .statuses
        .entry(a.status.as_str().to_owned())
        .or_default() += 1;
    // Sections are matched without regard to case ("news" files into "News").
    for s in std::iter::once(&a.section).chain(&a.other_sections) {
        if !report
            .sections
            .iter()
            .any(|k| k.to_lowercase() == s.to_lowercase())
        {
            report.sections.push(s.clone());
        }
    }
    for t in &a.tags {
        push_unique(&mut report.tags, t);
    }
    for n in &a.authors {
        push_unique(&mut report.authors, n);
    }
    report.redirects += built.redirects.len() as u64;
    if let Some(img) = &built.featured_image {
        report.featured_images.push(FileNote::new(relative, img));
    }
    if let Some(e) = &built.expiry {
        report.expiry_ignored.push(FileNote::new(relative, e));
    }
    if let Some(w) = &built.weight {
        report.weight_ignored.push(FileNote::new(relative, w));
    }
    if built.dated_by_file_time {
        report.dated_by_file_time.push(relative.to_owned());
    }
    for (k, n) in &built.shortcodes {
        *report.shortcodes.entry(k.clone()).or_default() += n;
    }
    for (k, n) in &built.liquid_tags {
        *report.liquid_tags.entry(k.clone()).or_default() += n;
    }
    report.warnings.extend(built.warnings.iter().cloned());
}

/// Articles waiting for their transaction, with their old addresses.
#[derive(Default)]
struct Batch {
    articles: Vec<NewArticle>,
    redirects: Vec<Vec<String>>,
}

async fn flush(
    store: &Store,
    batch: &mut Batch,
    report: &mut MarkdownReport,
) -> Result<(), ImportError> {
    if batch.articles.is_empty() {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let saved = store.save_articles(&batch.articles).await?;
    let redirects: Vec<NewRedirect> = saved
        .iter()
        .zip(&batch.redirects)
        .flat_map(|(s, keys)| {
            keys.iter()
                .map(|k| NewRedirect::imported(k.clone(), ContentKind::Article, s.id, ORIGIN))
        })
        .collect();
    report.redirects_written += store.add_redirects(&redirects).await?;
    report.longest_batch = report.longest_batch.max(started.elapsed());
    for s in saved {
        if s.created {
            report.created += 1;
        } else {
            report.updated += 1;
        }
    }
    batch.articles.clear();
    batch.redirects.clear();
    Ok(())
}

/// Imports every Markdown file under `dir`, in batches of `opts.batch_size`, with the
/// redirects their old addresses make. Articles are keyed on `markdown:<path>`, so
/// importing the folder again updates them. With `opts.dry_run` nothing is written and
/// the report says what would be.
pub async fn import_markdown(
    store: &Store,
    dir: &Path,
    opts: &MarkdownOptions,
) -> Result<MarkdownReport, ImportError> {
    let now = store.clock().now();
    let walk = walk(dir)?;
    let mut report = MarkdownReport {
        dry_run: opts.dry_run,
        folder: dir.display().to_string(),
        files: (walk.files.len() + walk.section_lists.len()) as u64,
        section_lists: walk.section_lists,
        left_out_folders: walk.left_out_folders,
        skipped: walk.bad,
        other_files: walk.other_files,
        hidden: walk.hidden,
        ..MarkdownReport::default()
    };
    let batch_size = opts.batch_size.max(1);
    let mut batch = Batch::default();
    for file in &walk.files {
        let built = read_text(&file.path).and_then(|(text, modified)| {
            build(&file.relative, &text, modified, opts.timezone, now)
        });
        let built = match built {
            Ok(b) => b,
            Err(reason) => {
                report.skipped.push(FileNote::new(&file.relative, reason));
                continue;
            }
        };
        note(&mut report, &file.relative, &built);
        report.articles += 1;
        if opts.dry_run {
            let known = match &built.article.external_id {
                Some(id) => store.article_id_by_external_id(id).await?.is_some(),
                None => false,
            };
            if known {
                report.updated += 1;
            } else {
                report.created += 1;
            }
            continue;
        }
        batch.articles.push(built.article);
        batch.redirects.push(built.redirects);
        if batch.articles.len() >= batch_size {
            flush(store, &mut batch, &mut report).await?;
        }
    }
    flush(store, &mut batch, &mut report).await?;
    report.skipped.sort();
    if report.created > 0 && !opts.dry_run {
        store.analyze().await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_in_each_notation() {
        let d = split_front_matter("---\nTitle: A\ntags: [x]\n---\nBody\n").unwrap();
        assert_eq!(d.front_matter, FrontMatter::Yaml);
        assert_eq!(d.fields["title"], "A");
        assert_eq!(d.body, "Body\n");
        let d =
            split_front_matter("+++\r\ntitle = 'B'\r\ndate = 2024-01-02\r\n+++\r\nBody").unwrap();
        assert_eq!(d.front_matter, FrontMatter::Toml);
        assert_eq!(d.fields["date"], "2024-01-02");
        assert_eq!(d.body, "Body");
        let d = split_front_matter("{\n \"title\": \"C\"\n}\n\nBody {x}\n").unwrap();
        assert_eq!(d.front_matter, FrontMatter::Json);
        assert_eq!(d.body, "\nBody {x}\n");
        for starts_with_a_brace in ["{{< figure src=\"a\" >}}\nText", "{% include x %}\n"] {
            let d = split_front_matter(starts_with_a_brace).unwrap();
            assert_eq!(d.front_matter, FrontMatter::None);
            assert_eq!(d.body, starts_with_a_brace);
        }
        assert!(
            split_front_matter("{\"title\": 1,}\nBody")
                .unwrap_err()
                .contains("JSON")
        );
        let d = split_front_matter("---\n---\nOnly body").unwrap();
        assert!(d.fields.is_empty());
        let d = split_front_matter("# Plain\n\nText").unwrap();
        assert_eq!(d.front_matter, FrontMatter::None);
        assert_eq!(d.body, "# Plain\n\nText");
        assert!(
            split_front_matter("---\ntitle: x\n")
                .unwrap_err()
                .contains("never closed")
        );
        let e = split_front_matter("---\ntitle: [x\n---\n").unwrap_err();
        assert!(
            e.starts_with("the YAML front matter is broken: line 1"),
            "{e}"
        );
        assert!(!e.contains('\n'));
        let e = split_front_matter("+++\ntitle = \n+++\n").unwrap_err();
        assert!(e.contains("TOML") && !e.contains('\n'), "{e}");
        assert!(split_front_matter("---\n- a\n---\n").is_err());
    }

    #[test]
    fn dates_in_every_accepted_shape() {
        let tz: Tz = "Europe/London".parse().unwrap();
        let d = |s: &str| parse_date(s, tz).map(|t| t.to_rfc3339());
        let summer = Some("2026-07-01T11:00:00+00:00".to_owned());
        assert_eq!(d("2026-07-01T12:00:00+01:00"), summer);
        assert_eq!(d("2026-07-01T11:00:00Z"), summer);
        assert_eq!(d("2026-07-01 12:00:00 +0100"), summer);
        assert_eq!(d("2026-07-01 12:00 +01:00"), summer);
        assert_eq!(d("2026-07-01 12:00:00"), summer);
        assert_eq!(d("2026-07-01 12:00"), summer);
        assert_eq!(d("2026-07-01T12:00"), summer);
        assert_eq!(
            d("2026-07-01"),
            Some("2026-06-30T23:00:00+00:00".to_owned())
        );
        assert_eq!(d("yesterday"), None);
        assert_eq!(d("2026-13-01"), None);
    }

    #[test]
    fn names_headings_slugs_and_aliases() {
        assert_eq!(
            dated_name("2024-05-01-my-story"),
            Some((NaiveDate::from_ymd_opt(2024, 5, 1).unwrap(), "my-story"))
        );
        assert_eq!(dated_name("2024-05-01"), None);
        assert_eq!(dated_name("about"), None);
        assert_eq!(titleize("my-old_story"), "My Old Story");
        assert_eq!(
            first_heading("```\n# not\n```\n    # code\n## Two\n# One #\n"),
            Some("One".to_owned())
        );
        assert_eq!(
            last_segment("/2019/05/story.html"),
            Some("story".to_owned())
        );
        assert_eq!(last_segment("/news/story/"), Some("story".to_owned()));
        assert_eq!(last_segment("/:year/:title/"), None);
        assert_eq!(alias_key("/old/", "posts").unwrap(), "/old/");
        assert_eq!(alias_key("old", "posts").unwrap(), "/posts/old/");
        assert_eq!(alias_key("../x.html", "posts/a").unwrap(), "/posts/x.html");
        assert_eq!(alias_key("https://old.example/a/b", "").unwrap(), "/a/b/");
        assert!(alias_key("/", "").is_err());
    }

    #[test]
    fn statuses_from_flags_folders_and_dates() {
        let now = Utc.with_ymd_and_hms(2026, 6, 15, 12, 0, 0).unwrap();
        let status = |path: &str, text: &str| {
            build(path, text, None, chrono_tz::UTC, now)
                .unwrap()
                .article
                .status
        };
        let fm = |body: &str| format!("---\ntitle: T\n{body}\n---\n");
        assert_eq!(
            status("a.md", &fm("date: 2026-01-01")),
            ArticleStatus::Published
        );
        assert_eq!(status("a.md", &fm("draft: true")), ArticleStatus::Draft);
        assert_eq!(status("a.md", &fm("draft: \"yes\"")), ArticleStatus::Draft);
        assert_eq!(
            status("a.md", &fm("published: false")),
            ArticleStatus::Draft
        );
        assert_eq!(
            status("_drafts/a.md", &fm("date: 2026-01-01")),
            ArticleStatus::Draft
        );
        assert_eq!(
            status("a.md", &fm("date: 2026-07-01")),
            ArticleStatus::Scheduled
        );
        assert_eq!(
            status("a.md", &fm("date: 2026-01-01\npublishdate: 2026-07-01")),
            ArticleStatus::Scheduled
        );
        assert!(build("a.md", &fm("draft: maybe"), None, chrono_tz::UTC, now).is_err());
        assert!(build("a.md", &fm("tags: {a: 1}"), None, chrono_tz::UTC, now).is_err());
        // No date anywhere and no file time: now.
        let a = build("x/untitled.md", "Words.", None, chrono_tz::UTC, now).unwrap();
        assert_eq!(a.article.published_at, Some(now));
        assert_eq!(a.article.title, "Untitled");
        assert!(a.dated_by_file_time);
    }

    #[test]
    fn template_tags_are_counted_by_name() {
        let mut s = BTreeMap::new();
        let mut l = BTreeMap::new();
        count_templates(
            "{{< figure src=\"a\" >}} {{% note %}}x{{% /note %}} {{< /x >}}\n{% highlight ruby %}\n{% endhighlight %}{%- include a.html -%} {{ page.title }}",
            &mut s,
            &mut l,
        );
        assert_eq!(
            s.into_iter().collect::<Vec<_>>(),
            [("figure".to_owned(), 1), ("note".to_owned(), 1)]
        );
        assert_eq!(
            l.into_iter().collect::<Vec<_>>(),
            [("highlight".to_owned(), 1), ("include".to_owned(), 1)]
        );
    }
}
