//! `masthead backup`, `restore`, `db copy` and `migrate`: moving a site's content between
//! files, folders and databases.
//!
//! A backup is one uncompressed tar file:
//!
//! - `manifest.json` first: the archive format and its version, the schema version, when
//!   and from which backend it was made, each table's columns and row count (in load
//!   order), and the media files it holds;
//! - `tables/NNN-<table>.jsonl`: one JSON array of values per row, in primary-key order
//!   (see `masthead_store::Dump` for the values);
//! - `media/<key>`: every rendition file the media library's manifests name.
//!
//! The rows come from one read transaction, so the archive is one consistent moment of a
//! running site. A restore reads the whole archive once to check it before it writes
//! anything, then loads every row in one transaction and writes the media files before
//! committing: a bad archive, a site that is not empty or a schema of another version
//! leaves the target as it was. The search index is not in the archive: a site builds it
//! at start when it has none.

use crate::config::{FileConfig, SiteArgs};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use masthead_core::SystemClock;
use masthead_media::{MediaKey, MediaStorage};
use masthead_store::{Backend, DumpTable, Store, StoreError, StoreOptions, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What `manifest.json` says the archive is.
const FORMAT: &str = "masthead-backup";
const FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The archive to write (written beside it as FILE.tmp, renamed when complete)
    pub file: PathBuf,
    #[command(flatten)]
    pub site: SiteArgs,
    /// Where the site's media files live, as for `serve` [default: the data folder's media/]
    #[arg(long, env = "MASTHEAD_MEDIA_STORE")]
    pub media_store: Option<String>,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// An archive made by `masthead backup`
    pub file: PathBuf,
    /// The new site: an empty data folder (`--data`) or an empty database
    /// (`--database-url`)
    #[command(flatten)]
    pub site: SiteArgs,
    /// Where the new site's media files go, as for `serve` [default: the data folder's media/]
    #[arg(long, env = "MASTHEAD_MEDIA_STORE")]
    pub media_store: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy the site's database (given by --data / --database-url) into another, empty
    /// one: SQLite to PostgreSQL or back. Media files stay where they are.
    Copy {
        /// The database to copy into, e.g. postgres://masthead@db/masthead or sqlite://FILE
        #[arg(long, value_name = "URL")]
        to: String,
        #[command(flatten)]
        site: SiteArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// The schema version applied, the one this binary knows, and pending migrations
    Status {
        #[command(flatten)]
        site: SiteArgs,
    },
    /// Apply pending migrations (`serve` does this at start unless --no-migrate)
    Apply {
        #[command(flatten)]
        site: SiteArgs,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    format_version: u32,
    schema_version: i64,
    created_at: String,
    masthead_version: String,
    /// The backend the site ran on (SQLite or PostgreSQL).
    source: String,
    tables: Vec<ManifestTable>,
    media: ManifestMedia,
}

#[derive(Debug, Serialize, Deserialize)]
struct ManifestTable {
    #[serde(flatten)]
    table: DumpTable,
    rows: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct ManifestMedia {
    /// Files in the archive.
    files: u64,
    /// Keys the library names whose files the storage did not have.
    missing: Vec<String>,
}

fn table_entry(index: usize, name: &str) -> String {
    format!("tables/{index:03}-{name}.jsonl")
}

/// The storage the site's media files live in, chosen as `serve` chooses it: the
/// `--media-store` flag or `MASTHEAD_MEDIA_STORE`, else `media_store` in masthead.toml,
/// else the data folder's media/.
fn site_media(
    data: &Path,
    flag: Option<&String>,
    file: &FileConfig,
) -> Result<Arc<dyn MediaStorage>> {
    match flag
        .or(file.media_store.as_ref())
        .filter(|m| !m.trim().is_empty())
    {
        Some(setting) => {
            masthead_media::storage_from_url(setting).map_err(|e| anyhow!("media store: {e}"))
        }
        None => Ok(Arc::new(masthead_media::FsStorage::at(data.join("media")))),
    }
}

fn backend_of(url: &str) -> Result<Backend> {
    let url = url.trim();
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Backend::Postgres)
    } else {
        bail!("the database URL \"{url}\" is neither a sqlite:// nor a postgres:// URL")
    }
}

/// The file a `sqlite:` URL names.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.trim().strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// Opens a store without touching its schema. `bulk`: a one-off job (no memory map,
/// two readers), as for imports.
async fn open(url: &str, timezone: chrono_tz::Tz, bulk: bool) -> Result<Store> {
    let mut opts = StoreOptions::new(url);
    opts.timezone = timezone;
    if bulk {
        opts.memory_map = false;
        opts.max_connections = 2;
    }
    Store::open(&opts, Arc::new(SystemClock))
        .await
        .map_err(crate::store_error)
}

/// Opens the database of a site that must exist already (a backup's or a copy's
/// source), creating nothing.
async fn open_existing(url: &str, timezone: chrono_tz::Tz) -> Result<Store> {
    if let Some(file) = sqlite_file(url)
        && !file.is_file()
    {
        bail!(
            "there is no site database at {}; name the site with --data or --database-url",
            file.display()
        );
    }
    let store = open(url, timezone, true).await?;
    let found = store.schema_version().await.map_err(crate::store_error)?;
    let known = store.known_schema_version();
    if found == 0 {
        store.close().await;
        bail!("the database at {} holds no Masthead site", redact(url));
    }
    if found > known {
        store.close().await;
        return Err(crate::store_error(StoreError::SchemaTooNew {
            found,
            known,
        }));
    }
    Ok(store)
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user_part = &url[scheme + 3..at];
            let user = user_part.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// Opens the database a restore or a copy writes into: created when missing, refused
/// when it holds anything (before its schema is touched), then migrated.
async fn open_empty_target(url: &str, timezone: chrono_tz::Tz) -> Result<Store> {
    let store = open(url, timezone, true).await?;
    let refuse = |what: String| {
        anyhow!(
            "the target site is not empty ({what}); restore or copy only into a new, empty site"
        )
    };
    let found = store.schema_version().await.map_err(crate::store_error)?;
    if found > 0 {
        let counts = store.table_counts().await.map_err(crate::store_error)?;
        if let Some((table, n)) = counts.iter().find(|(_, n)| *n > 0) {
            store.close().await;
            return Err(refuse(format!("its {table} table has {n} rows")));
        }
    }
    if let Err(e) = store.migrate().await {
        store.close().await;
        return Err(crate::store_error(e));
    }
    Ok(store)
}

fn site_of(site: &SiteArgs) -> Result<(PathBuf, String, chrono_tz::Tz)> {
    let file_cfg = FileConfig::load(site.config.as_deref())?;
    crate::config::resolve_site(site, &file_cfg)
}

fn site_and_media(
    site: &SiteArgs,
    media_store: Option<&String>,
) -> Result<(PathBuf, String, chrono_tz::Tz, Arc<dyn MediaStorage>)> {
    let file_cfg = FileConfig::load(site.config.as_deref())?;
    let (data, url, tz) = crate::config::resolve_site(site, &file_cfg)?;
    let media = site_media(&data, media_store, &file_cfg)?;
    Ok((data, url, tz, media))
}

/// Every media key a manifest (the media crate's JSON) names: any `key` or `…_key`
/// string, so a rendition kind added later is not forgotten.
fn media_keys(manifest: &str, into: &mut BTreeSet<String>) {
    fn walk(v: &serde_json::Value, into: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    match v {
                        serde_json::Value::String(s) if k == "key" || k.ends_with("_key") => {
                            into.insert(s.clone());
                        }
                        other => walk(other, into),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, into)),
            _ => {}
        }
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(manifest) {
        walk(&v, into);
    }
}

/// Removes a half-made file or folder unless defused.
struct Cleanup(Vec<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for p in &self.0 {
            if p.is_dir() {
                let _ = std::fs::remove_dir_all(p);
            } else {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn append(
    tar: &mut tar::Builder<BufWriter<std::fs::File>>,
    name: &str,
    size: u64,
    data: impl Read,
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    );
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, name, data)
}

/// `masthead backup FILE`.
pub async fn backup(args: BackupArgs) -> Result<()> {
    let (_data, url, timezone, media) = site_and_media(&args.site, args.media_store.as_ref())?;
    let store = open_existing(&url, timezone).await?;
    let result = write_backup(&store, media.as_ref(), &args.file).await;
    store.close().await;
    let (manifest, elapsed) = result?;
    let rows: u64 = manifest.tables.iter().map(|t| t.rows).sum();
    crate::say(&format!(
        "Backed up {rows} rows in {} tables and {} media files (schema version {}) to {} in {:.1} s.",
        manifest.tables.len(),
        manifest.media.files,
        manifest.schema_version,
        args.file.display(),
        elapsed.as_secs_f64()
    ));
    if !manifest.media.missing.is_empty() {
        eprintln!(
            "masthead: {} media files the library names were not in the media storage and are not in the backup: {}",
            manifest.media.missing.len(),
            manifest.media.missing.join(", ")
        );
    }
    Ok(())
}

async fn write_backup(
    store: &Store,
    media: &dyn MediaStorage,
    file: &Path,
) -> Result<(Manifest, std::time::Duration)> {
    let started = std::time::Instant::now();
    let io = |what: &Path, e: std::io::Error| {
        anyhow!("cannot write {}: {}", what.display(), crate::io_reason(&e))
    };
    let tmp = with_suffix(file, ".tmp");
    let staging = with_suffix(file, ".tmp.d");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| io(&staging, e))?;
    let mut cleanup = Cleanup(vec![staging.clone(), tmp.clone()]);

    // The rows, from one snapshot, into one file per table.
    let mut dump = store.dump().await.map_err(crate::store_error)?;
    let schema_version = dump.schema_version();
    let mut tables = Vec::new();
    let mut keys = BTreeSet::new();
    for (i, table) in dump.tables().to_vec().into_iter().enumerate() {
        let path = staging.join(format!("{i:03}.jsonl"));
        let mut out = BufWriter::new(std::fs::File::create(&path).map_err(|e| io(&path, e))?);
        let manifest_col = (table.name == "media")
            .then(|| table.columns.iter().position(|c| c.name == "manifest"))
            .flatten();
        let rows = dump
            .for_each_row(i, |row| {
                if let Some(Value::Text(m)) = manifest_col.and_then(|c| row.get(c)) {
                    media_keys(m, &mut keys);
                }
                let line = serde_json::Value::Array(row.iter().map(Value::to_json).collect());
                serde_json::to_writer(&mut out, &line)
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(|e| {
                        StoreError::Invalid(format!("cannot write {}: {e}", path.display()))
                    })
            })
            .await
            .map_err(crate::store_error)?;
        out.flush().map_err(|e| io(&path, e))?;
        tables.push(ManifestTable { table, rows });
    }
    dump.finish().await.map_err(crate::store_error)?;

    // Which files the storage has (content-addressed: a key's bytes never change).
    let mut present = Vec::new();
    let mut missing = Vec::new();
    for key in keys {
        match MediaKey::parse(&key) {
            Ok(k) if media.exists(&k).await.map_err(|e| anyhow!("{e}"))? => present.push(k),
            _ => missing.push(key),
        }
    }
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        format_version: FORMAT_VERSION,
        schema_version,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        masthead_version: env!("CARGO_PKG_VERSION").to_owned(),
        source: store.backend().name().to_owned(),
        tables,
        media: ManifestMedia {
            files: present.len() as u64,
            missing,
        },
    };

    let handle = std::fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
    let mut tar = tar::Builder::new(BufWriter::with_capacity(1 << 16, handle));
    let json = serde_json::to_vec_pretty(&manifest)?;
    append(&mut tar, MANIFEST, json.len() as u64, json.as_slice()).map_err(|e| io(&tmp, e))?;
    for (i, t) in manifest.tables.iter().enumerate() {
        let path = staging.join(format!("{i:03}.jsonl"));
        let f = std::fs::File::open(&path).map_err(|e| io(&path, e))?;
        let size = f.metadata().map_err(|e| io(&path, e))?.len();
        append(&mut tar, &table_entry(i, &t.table.name), size, f).map_err(|e| io(&tmp, e))?;
    }
    for key in &present {
        let Some(bytes) = media.get(key).await.map_err(|e| anyhow!("{e}"))? else {
            bail!("the media file {key} disappeared while the backup was being made; run it again");
        };
        append(
            &mut tar,
            &format!("media/{key}"),
            bytes.len() as u64,
            bytes.as_slice(),
        )
        .map_err(|e| io(&tmp, e))?;
    }
    let out = tar.into_inner().map_err(|e| io(&tmp, e))?;
    let handle = out.into_inner().map_err(|e| io(&tmp, e.into_error()))?;
    handle.sync_all().map_err(|e| io(&tmp, e))?;
    drop(handle);
    std::fs::rename(&tmp, file).map_err(|e| io(file, e))?;
    cleanup.0 = vec![staging];
    Ok((manifest, started.elapsed()))
}

/// What a pass over an archive found.
#[derive(Debug, Default)]
struct ArchiveReport {
    rows: u64,
    media: u64,
    /// Media files written (by the loading pass), to remove if the load fails.
    written: Vec<MediaKey>,
}

/// Where a loading pass puts what it reads.
struct Targets<'a> {
    loader: &'a mut masthead_store::Loader,
    media: &'a dyn MediaStorage,
}

fn not_a_backup(file: &Path, why: impl std::fmt::Display) -> anyhow::Error {
    anyhow!(
        "{} is not a complete Masthead backup ({why}); nothing was restored",
        file.display()
    )
}

fn open_archive(file: &Path) -> Result<tar::Archive<BufReader<std::fs::File>>> {
    let handle = std::fs::File::open(file)
        .map_err(|e| anyhow!("cannot open {}: {}", file.display(), crate::io_reason(&e)))?;
    Ok(tar::Archive::new(BufReader::with_capacity(1 << 16, handle)))
}

/// Reads the manifest, the archive's first entry.
fn read_manifest(file: &Path) -> Result<Manifest> {
    let mut archive = open_archive(file)?;
    let mut entries = archive.entries().map_err(|e| not_a_backup(file, e))?;
    let mut first = match entries.next() {
        Some(Ok(entry)) => entry,
        Some(Err(e)) => return Err(not_a_backup(file, e)),
        None => return Err(not_a_backup(file, "it is empty")),
    };
    let name = first
        .path()
        .map_err(|e| not_a_backup(file, e))?
        .into_owned();
    if name != Path::new(MANIFEST) {
        return Err(not_a_backup(file, "it does not start with manifest.json"));
    }
    let mut json = Vec::new();
    first
        .read_to_end(&mut json)
        .map_err(|e| not_a_backup(file, e))?;
    let manifest: Manifest = serde_json::from_slice(&json)
        .map_err(|e| not_a_backup(file, format!("its manifest is not readable: {e}")))?;
    if manifest.format != FORMAT {
        return Err(not_a_backup(file, "its manifest is of another format"));
    }
    if manifest.format_version != FORMAT_VERSION {
        bail!(
            "{} is a Masthead backup of format version {}, which this Masthead (format {FORMAT_VERSION}) cannot read; nothing was restored",
            file.display(),
            manifest.format_version
        );
    }
    Ok(manifest)
}

/// One pass over the archive: every table's rows parsed and counted against the
/// manifest, every media entry checked; with `targets`, loaded too.
async fn pass(
    file: &Path,
    manifest: &Manifest,
    mut targets: Option<Targets<'_>>,
) -> Result<ArchiveReport> {
    let mut report = ArchiveReport::default();
    let mut archive = open_archive(file)?;
    let entries = archive.entries().map_err(|e| not_a_backup(file, e))?;
    let mut next_table = 0;
    for (n, entry) in entries.enumerate() {
        let mut entry = entry.map_err(|e| not_a_backup(file, e))?;
        let name = entry
            .path()
            .map_err(|e| not_a_backup(file, e))?
            .to_string_lossy()
            .into_owned();
        if n == 0 {
            continue; // the manifest, read already
        }
        if let Some(key) = name.strip_prefix("media/") {
            let key = MediaKey::parse(key).map_err(|e| not_a_backup(file, e))?;
            let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| not_a_backup(file, e))?;
            report.media += 1;
            if let Some(t) = targets.as_mut() {
                t.media
                    .put(&key, bytes)
                    .await
                    .map_err(|e| anyhow!("cannot write the media file: {e}"))?;
                report.written.push(key);
            }
            continue;
        }
        let Some(table) = manifest.tables.get(next_table) else {
            return Err(not_a_backup(file, format!("{name} is not in its manifest")));
        };
        if name != table_entry(next_table, &table.table.name) {
            return Err(not_a_backup(
                file,
                format!(
                    "{name} comes where {} should",
                    table_entry(next_table, &table.table.name)
                ),
            ));
        }
        next_table += 1;
        if let Some(t) = targets.as_mut() {
            t.loader
                .begin_table(&table.table)
                .map_err(crate::store_error)?;
        }
        let kinds: Vec<_> = table.table.columns.iter().map(|c| c.kind).collect();
        let mut rows = 0u64;
        for (i, line) in BufReader::new(&mut entry).lines().enumerate() {
            let line = line.map_err(|e| not_a_backup(file, e))?;
            let bad = |why: String| not_a_backup(file, format!("{name}, line {}: {why}", i + 1));
            let values: Vec<serde_json::Value> =
                serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
            if values.len() != kinds.len() {
                return Err(bad(format!(
                    "{} values where the table has {} columns",
                    values.len(),
                    kinds.len()
                )));
            }
            let row = values
                .iter()
                .zip(&kinds)
                .map(|(v, k)| Value::from_json(*k, v))
                .collect::<Result<Vec<_>, _>>()
                .map_err(bad)?;
            rows += 1;
            if let Some(t) = targets.as_mut() {
                t.loader.row(row).await.map_err(crate::store_error)?;
            }
        }
        if rows != table.rows {
            return Err(not_a_backup(
                file,
                format!(
                    "{name} holds {rows} rows where the manifest says {}",
                    table.rows
                ),
            ));
        }
        if let Some(t) = targets.as_mut() {
            t.loader.end_table().await.map_err(crate::store_error)?;
        }
        report.rows += rows;
    }
    if next_table != manifest.tables.len() {
        return Err(not_a_backup(
            file,
            format!(
                "it ends after {next_table} of its {} tables",
                manifest.tables.len()
            ),
        ));
    }
    if report.media != manifest.media.files {
        return Err(not_a_backup(
            file,
            format!(
                "it holds {} media files where the manifest says {}",
                report.media, manifest.media.files
            ),
        ));
    }
    Ok(report)
}

/// `masthead restore FILE`.
pub async fn restore(args: RestoreArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let (data, url, timezone) = site_of(&args.site)?;
    let file = &args.file;
    let file_cfg = FileConfig::load(args.site.config.as_deref())?;
    let manifest = read_manifest(file)?;
    let known = masthead_store::known_schema_version_of(backend_of(&url)?);
    if manifest.schema_version != known {
        bail!(
            "{} was made at schema version {}, but this Masthead's schema is version {known}; restore it with the Masthead release that made it{}; nothing was restored",
            file.display(),
            manifest.schema_version,
            if manifest.schema_version < known {
                " (then upgrade)"
            } else {
                " or a newer one"
            }
        );
    }
    // Read it all once before writing anything.
    pass(file, &manifest, None).await?;

    crate::prepare_data_dir(&data, &url)?;
    let media = site_media(&data, args.media_store.as_ref(), &file_cfg)?;
    let store = open_empty_target(&url, timezone).await?;
    let mut loader = match store.loader(manifest.schema_version).await {
        Ok(l) => l,
        Err(e) => {
            store.close().await;
            return Err(crate::store_error(e));
        }
    };
    let loaded = pass(
        file,
        &manifest,
        Some(Targets {
            loader: &mut loader,
            media: media.as_ref(),
        }),
    )
    .await;
    let result = match loaded {
        // The planner's statistics, as after an import.
        Ok(report) => match loader.commit().await {
            Ok(_) => store
                .analyze()
                .await
                .map(|()| report)
                .map_err(crate::store_error),
            Err(e) => Err(crate::store_error(e)),
        },
        Err(e) => {
            drop(loader);
            Err(e)
        }
    };
    store.close().await;
    let report = result.context("the restore was undone")?;
    crate::say(&format!(
        "Restored {} rows in {} tables and {} media files (schema version {}, backed up from {} at {}) into the {} database in {:.1} s. The search index is built when the site starts.",
        report.rows,
        manifest.tables.len(),
        report.media,
        manifest.schema_version,
        manifest.source,
        manifest.created_at,
        backend_of(&url)?.name(),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// `masthead db copy --to URL`.
pub async fn db(cmd: DbCommand) -> Result<()> {
    let DbCommand::Copy { to, site } = cmd;
    let started = std::time::Instant::now();
    let (_data, url, timezone) = site_of(&site)?;
    let target_backend = backend_of(&to)?;
    let source = open_existing(&url, timezone).await?;
    let (found, known) = (
        source.schema_version().await.map_err(crate::store_error)?,
        source.known_schema_version(),
    );
    if found != known {
        source.close().await;
        bail!(
            "the site's database is at schema version {found} and this Masthead's is {known}; run `masthead migrate apply` on it first"
        );
    }
    if let Some(file) = sqlite_file(&to)
        && let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            anyhow!(
                "cannot create the folder {}: {}",
                dir.display(),
                crate::io_reason(&e)
            )
        })?;
    }
    let target = match open_empty_target(&to, timezone).await {
        Ok(t) => t,
        Err(e) => {
            source.close().await;
            return Err(e);
        }
    };
    let mut copied = source.copy_to(&target).await;
    if copied.is_ok()
        && let Err(e) = target.analyze().await
    {
        copied = Err(e);
    }
    source.close().await;
    target.close().await;
    let report = copied.map_err(crate::store_error)?;
    crate::say(&format!(
        "Copied {} rows in {} tables from the {} database to the {} database at {} in {:.1} s. Media files stay in the data folder; start the site with --database-url {}.",
        report.rows(),
        report.tables.len(),
        source.backend().name(),
        target_backend.name(),
        redact(&to),
        started.elapsed().as_secs_f64(),
        redact(&to)
    ));
    Ok(())
}

/// `masthead migrate status|apply`.
pub async fn migrate(cmd: MigrateCommand) -> Result<()> {
    let (site, apply) = match cmd {
        MigrateCommand::Status { site } => (site, false),
        MigrateCommand::Apply { site } => (site, true),
    };
    let (data, url, timezone) = site_of(&site)?;
    if apply {
        crate::prepare_data_dir(&data, &url)?;
    } else if let Some(file) = sqlite_file(&url)
        && !file.is_file()
    {
        bail!(
            "there is no site database at {}; name the site with --data or --database-url",
            file.display()
        );
    }
    let store = open(&url, timezone, true).await?;
    let result = migrate_on(&store, &url, apply).await;
    store.close().await;
    result
}

async fn migrate_on(store: &Store, url: &str, apply: bool) -> Result<()> {
    let states = store.migration_states().await.map_err(crate::store_error)?;
    let applied = store.schema_version().await.map_err(crate::store_error)?;
    let known = store.known_schema_version();
    let pending: Vec<_> = states.iter().filter(|m| !m.applied).collect();
    if !apply {
        let mut out = format!(
            "database: {} ({})\napplied schema version: {applied}\nthis Masthead's schema version: {known}\n",
            store.backend().name(),
            redact(url)
        );
        if applied > known {
            out.push_str(&format!(
                "the database is newer than this Masthead (version {applied} > {known}): run a newer Masthead\n"
            ));
        }
        if pending.is_empty() {
            out.push_str("pending migrations: none\n");
        } else {
            out.push_str(&format!("pending migrations: {}\n", pending.len()));
            for m in &pending {
                out.push_str(&format!("  {:04} {}\n", m.version, m.description));
            }
        }
        print!("{out}");
        return Ok(());
    }
    store.migrate().await.map_err(crate::store_error)?;
    if pending.is_empty() {
        crate::say(&format!(
            "Nothing to apply: the schema is at version {known}."
        ));
    } else {
        let names: Vec<String> = pending
            .iter()
            .map(|m| format!("{:04} {}", m.version, m.description))
            .collect();
        crate::say(&format!(
            "Applied {} migrations ({}); the schema is at version {known}.",
            pending.len(),
            names.join(", ")
        ));
    }
    Ok(())
}

/// `serve --no-migrate`: the store, refused when migrations are pending (an operator
/// applies them with `masthead migrate apply` at a time of their choosing).
pub async fn open_without_migrating(
    data: &Path,
    url: &str,
    timezone: chrono_tz::Tz,
) -> Result<Store> {
    crate::prepare_data_dir(data, url)?;
    let store = open(url, timezone, false).await?;
    let found = store.schema_version().await.map_err(crate::store_error)?;
    let known = store.known_schema_version();
    if found > known {
        store.close().await;
        return Err(crate::store_error(StoreError::SchemaTooNew {
            found,
            known,
        }));
    }
    if found < known {
        let pending = store
            .migration_states()
            .await
            .map_err(crate::store_error)?
            .into_iter()
            .filter(|m| !m.applied)
            .count();
        store.close().await;
        bail!(
            "the database schema is at version {found} and this Masthead needs version {known} ({pending} pending migrations), and --no-migrate forbids applying them: run `masthead migrate apply` first"
        );
    }
    Ok(store)
}
