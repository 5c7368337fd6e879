//! `masthead`: the one binary. Thin on purpose: it reads settings, opens the store,
//! and hands over to the crates that do the work. Failures at start are one sentence
//! on stderr and a non-zero exit, never a panic.

mod accounts;
mod backup;
mod comments;
mod config;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand};
use config::{FileConfig, ServeArgs, SiteArgs};
use masthead_core::SystemClock;
use masthead_store::{Store, StoreError, StoreOptions};
use masthead_web::{AppState, SiteSettings};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Pages are built from many short-lived strings; mimalloc's per-thread free lists make
/// those allocations cheaper than the system allocator's (measured in bench/).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "masthead",
    version,
    about = "A news publishing platform: one binary, SQLite or PostgreSQL."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site (creates the data folder and seeds the demo on first start)
    Serve(Box<ServeArgs>),
    /// Import articles into the site
    #[command(subcommand)]
    Import(ImportCommand),
    /// Newsroom accounts
    #[command(subcommand)]
    User(accounts::UserCommand),
    /// API tokens
    #[command(subcommand)]
    Token(accounts::TokenCommand),
    /// Reader comments: a commenter's data exported or erased
    #[command(subcommand)]
    Comments(comments::CommentsCommand),
    /// Export the site
    #[command(subcommand)]
    Export(ExportCommand),
    /// Rebuild the search index into a new folder and swap it in (a running server is
    /// asked to do it itself)
    Reindex {
        #[command(flatten)]
        site: SiteArgs,
    },
    /// Write a consistent archive of the site (database and media) while it runs
    Backup(backup::BackupArgs),
    /// Restore an archive made by `masthead backup` into a new, empty site
    Restore(backup::RestoreArgs),
    /// The site's database: copy it to another backend
    #[command(subcommand)]
    Db(backup::DbCommand),
    /// Schema migrations: status, apply
    #[command(subcommand)]
    Migrate(backup::MigrateCommand),
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Everything as WordPress eXtended RSS 1.2: articles, pages, sections, tags,
    /// bylines, approved and held comments, media as attachments
    Wxr {
        /// The file to write ("-" for standard output)
        file: PathBuf,
        #[command(flatten)]
        site: SiteArgs,
        /// The site's public address for links and GUIDs [default: site_url from
        /// masthead.toml]
        #[arg(long, env = "MASTHEAD_SITE_URL")]
        site_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// JSON Lines: one article per line (title, body, format, section, tags, author, date, slug, id)
    Jsonl {
        /// The file to import
        file: PathBuf,
        #[command(flatten)]
        site: SiteArgs,
        /// List fields whose values also become tags, comma-separated (e.g. places,people,orgs)
        #[arg(long, value_delimiter = ',')]
        tag_fields: Vec<String>,
        /// Articles per transaction
        #[arg(long, default_value_t = 50)]
        batch_size: usize,
        /// Print nothing but the summary
        #[arg(long)]
        quiet: bool,
    },
    /// A WordPress export (WXR 1.0–1.2): authors, categories, tags, posts, pages,
    /// comments, and redirects from the old addresses
    Wxr {
        /// The export file (Tools → Export in WordPress)
        file: PathBuf,
        #[command(flatten)]
        site: SiteArgs,
        /// The old site's timezone (WXR does not carry it), for posts whose GMT date is
        /// empty, when it differs from this site's (`--timezone`, which is used otherwise)
        #[arg(long)]
        source_timezone: Option<String>,
        /// Read and report everything, write nothing
        #[arg(long)]
        dry_run: bool,
        /// Articles per transaction (each transaction writes every index page it
        /// touched once: at 1,000 a 142,000-post import ran ~10% faster than at 200)
        #[arg(long, default_value_t = 1000)]
        batch_size: usize,
        /// A copy of the old site's wp-content/uploads: featured and inline images are
        /// imported from it into the media library (otherwise they keep their old
        /// addresses, and the report lists them)
        #[arg(long, value_name = "DIR")]
        uploads: Option<PathBuf>,
        /// Also make a newsroom account (a contributor) for each author with an email
        /// and no account yet, linked to their byline and invited by mail; an existing
        /// account with that email is linked to the byline
        #[arg(long)]
        create_accounts: bool,
        /// Print nothing but the report
        #[arg(long)]
        quiet: bool,
    },
    /// A Ghost JSON export (Settings → Labs → Export): posts, pages, tags, authors
    Ghost {
        /// The export file
        file: PathBuf,
        #[command(flatten)]
        site: SiteArgs,
        /// This site's address, put where Ghost wrote `__GHOST_URL__` (site-relative
        /// links otherwise)
        #[arg(long)]
        site_url: Option<String>,
        /// Read and report everything, write nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// A folder of Markdown files with front matter (Hugo, Jekyll): articles, and
    /// redirects from their aliases; dates without an offset are in `--timezone`
    Markdown {
        /// The folder (read recursively)
        dir: PathBuf,
        #[command(flatten)]
        site: SiteArgs,
        /// Read and report everything, write nothing
        #[arg(long)]
        dry_run: bool,
        /// Articles per transaction
        #[arg(long, default_value_t = 50)]
        batch_size: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("masthead: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(*args).await,
            Command::Import(ImportCommand::Jsonl {
                file,
                site,
                tag_fields,
                batch_size,
                quiet,
            }) => import_jsonl(&file, &site, tag_fields, batch_size, quiet).await,
            Command::Import(ImportCommand::Wxr {
                file,
                site,
                source_timezone,
                dry_run,
                batch_size,
                uploads,
                create_accounts,
                quiet,
            }) => {
                let opts = WxrArgs {
                    source_timezone,
                    dry_run,
                    batch_size,
                    uploads,
                    create_accounts,
                    quiet,
                };
                import_wxr(&file, &site, &opts).await
            }
            Command::Import(ImportCommand::Ghost {
                file,
                site,
                site_url,
                dry_run,
            }) => import_ghost(&file, &site, site_url, dry_run).await,
            Command::Import(ImportCommand::Markdown {
                dir,
                site,
                dry_run,
                batch_size,
            }) => import_markdown(&dir, &site, dry_run, batch_size).await,
            Command::User(cmd) => accounts::user(cmd).await,
            Command::Token(cmd) => accounts::token(cmd).await,
            Command::Comments(cmd) => comments::comments(cmd).await,
            Command::Reindex { site } => reindex(&site).await,
            Command::Export(ExportCommand::Wxr {
                file,
                site,
                site_url,
            }) => export_wxr(&file, &site, site_url).await,
            Command::Backup(args) => backup::backup(args).await,
            Command::Restore(args) => backup::restore(args).await,
            Command::Db(cmd) => backup::db(cmd).await,
            Command::Migrate(cmd) => backup::migrate(cmd).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("masthead: {}", sentence(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes as one line.
fn sentence(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// Creates the data folder (for SQLite) and proves it writable.
fn prepare_data_dir(data: &Path, database_url: &str) -> Result<()> {
    if !database_url.starts_with("sqlite:") {
        return Ok(());
    }
    for dir in [data.to_owned(), data.join("media"), data.join("index")] {
        std::fs::create_dir_all(&dir).map_err(|e| {
            anyhow!(
                "cannot create the data folder {}: {}",
                dir.display(),
                io_reason(&e)
            )
        })?;
    }
    let probe = data.join(".write-test");
    std::fs::write(&probe, b"ok").map_err(|e| {
        anyhow!(
            "the data folder {} is not writable: {}",
            data.display(),
            io_reason(&e)
        )
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::NotADirectory => {
            "a file is in the way".to_owned()
        }
        _ => e.to_string(),
    }
}

async fn open_store(data: &Path, database_url: &str, timezone: chrono_tz::Tz) -> Result<Store> {
    open_store_with(data, database_url, timezone, true).await
}

/// For bulk jobs (imports, exports): no memory map, so their memory stays flat however
/// big the database grows.
/// How soon a bulk job hands freed memory back (`masthead_sqlite_memory`).
const BULK_PURGE_MS: i64 = 100;

async fn open_bulk_store(
    data: &Path,
    database_url: &str,
    timezone: chrono_tz::Tz,
) -> Result<Store> {
    open_store_with(data, database_url, timezone, false).await
}

async fn open_store_with(
    data: &Path,
    database_url: &str,
    timezone: chrono_tz::Tz,
    memory_map: bool,
) -> Result<Store> {
    prepare_data_dir(data, database_url)?;
    let mut opts = StoreOptions::new(database_url);
    opts.timezone = timezone;
    opts.memory_map = memory_map;
    if !memory_map {
        // A bulk job reads little beside its writes: two readers, not a server's eight
        // (each SQLite connection keeps its own page cache).
        opts.max_connections = 2;
        masthead_sqlite_memory::purge_freed_memory_after(BULK_PURGE_MS);
    }
    let store = Store::open(&opts, Arc::new(SystemClock))
        .await
        .map_err(store_error)?;
    store.migrate().await.map_err(store_error)?;
    Ok(store)
}

fn store_error(e: StoreError) -> anyhow::Error {
    anyhow!("{e}")
}

/// Settings kept in the database: written once, on a site's first start.
const INITIALIZED: &str = "site.initialized_at";
const TITLE: &str = "site.title";
const TAGLINE: &str = "site.tagline";

async fn serve(args: ServeArgs) -> Result<()> {
    let cfg = config::resolve_serve(&args)?;
    let store = if args.no_migrate {
        backup::open_without_migrating(&cfg.data, &cfg.database_url, cfg.timezone).await?
    } else {
        open_store(&cfg.data, &cfg.database_url, cfg.timezone).await?
    };

    if store
        .setting(INITIALIZED)
        .await
        .map_err(store_error)?
        .is_none()
    {
        if cfg.demo {
            let seeded = masthead_demo::seed(&store)
                .await
                .context("cannot seed the demo site")?;
            store
                .set_setting(TITLE, masthead_demo::SITE_TITLE)
                .await
                .map_err(store_error)?;
            store
                .set_setting(TAGLINE, masthead_demo::SITE_TAGLINE)
                .await
                .map_err(store_error)?;
            tracing::info!(
                "seeded the demo site: {} stories in {} sections, {} pages",
                seeded.articles,
                seeded.sections,
                seeded.pages
            );
        }
        let now = store.clock().now().to_rfc3339();
        store
            .set_setting(INITIALIZED, &now)
            .await
            .map_err(store_error)?;
    }
    let title = match cfg.title.clone() {
        Some(t) => t,
        None => store
            .setting(TITLE)
            .await
            .map_err(store_error)?
            .unwrap_or_else(|| "Masthead".to_owned()),
    };
    let tagline = match cfg.tagline.clone() {
        Some(t) => t,
        None => store
            .setting(TAGLINE)
            .await
            .map_err(store_error)?
            .unwrap_or_default(),
    };
    let theme = masthead_render::Theme::load(cfg.theme.as_deref()).map_err(|e| anyhow!("{e}"))?;
    let listener = bind(cfg.addr, "--addr").await?;
    let local = listener.local_addr().unwrap_or(cfg.addr);
    let site_url = cfg
        .site_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let settings = SiteSettings {
        title: title.clone(),
        tagline,
        timezone: cfg.timezone,
        per_page: cfg.per_page,
        page_cache: cfg.page_cache,
        mail: cfg.mail.clone(),
        media_dir: cfg.data.join("media"),
        search_dir: Some(cfg.data.join("search")),
        https: site_url.starts_with("https://"),
        site_url,
        trusted_proxies: cfg.trusted_proxies.clone(),
        edge: cfg.edge.clone(),
        connections: cfg.connections.clone(),
        metrics_token: cfg.metrics_token.clone(),
        ..SiteSettings::default()
    };
    let media: Arc<dyn masthead_media::MediaStorage> = match &cfg.media_store {
        Some(setting) => {
            masthead_media::storage_from_url(setting).map_err(|e| anyhow!("media store: {e}"))?
        }
        None => Arc::new(masthead_media::FsStorage::at(cfg.data.join("media"))),
    };
    let state = AppState::with_media(store.clone(), theme, settings, media);
    // Whatever came due while the site was down is published before the first request.
    masthead_web::jobs::publish_due(&state)
        .await
        .map_err(|e| anyhow!("cannot publish the scheduled articles that came due: {e}"))?;
    state.catch_up().await;
    let background = state.spawn_background();
    say(&format!(
        "Masthead is serving {title} at http://{local}/ ({} database, cache {})",
        store.backend().name(),
        if cfg.page_cache { "on" } else { "off" }
    ));
    if let Some(link) = masthead_web::newsroom::setup_link_if_needed(&state)
        .await
        .map_err(|e| anyhow!("cannot prepare the newsroom setup link: {e}"))?
    {
        say(&format!(
            "No administrator yet. Open http://{local}{link} to create one (the link works once, for {} hours).",
            state.settings().link_lifetime.num_hours()
        ));
    }
    let admin = match cfg.admin_addr {
        Some(addr) => {
            let listener = bind(addr, "--admin-addr").await?;
            say(&format!(
                "Health and metrics at http://{}/metrics",
                listener.local_addr().unwrap_or(addr)
            ));
            Some(listener)
        }
        None => None,
    };
    let app = masthead_web::router(state.clone());
    // SIGTERM or Ctrl-C: both servers stop accepting and finish what is in flight.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let admin_task = admin.map(|listener| {
        let app = masthead_web::admin_router(state.clone());
        let limits = cfg.connections.clone();
        let stop = stopped(stop_rx.clone());
        tokio::spawn(masthead_web::server::serve(listener, app, limits, stop))
    });
    let signal = async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    };
    tokio::join!(
        masthead_web::server::serve(listener, app, cfg.connections.clone(), stopped(stop_rx)),
        signal
    );
    if let Some(task) = admin_task {
        let _ = task.await;
    }
    for task in background {
        task.abort();
    }
    // What this process keeps in memory goes to disk before it exits.
    state.shut_down().await;
    store.close().await;
    Ok(())
}

/// `masthead reindex`: rebuilt here when no server holds the index; otherwise the
/// running servers are asked through the change log, which every node follows.
async fn reindex(site: &SiteArgs) -> Result<()> {
    let file_cfg = config::FileConfig::load(site.config.as_deref())?;
    let (data, database_url, timezone) = config::resolve_site(site, &file_cfg)?;
    let store = open_bulk_store(&data, &database_url, timezone).await?;
    let folders = masthead_search::IndexFolders::new(data.join("search"));
    let shared = store.backend().name() != "SQLite";
    if let Err(masthead_search::OpenError::Busy) = folders.open_current() {
        store.request_reindex().await.map_err(store_error)?;
        say(
            "A server is using this site's search index, so it has been asked to rebuild it: it builds a new index beside the old one and swaps it in when done (its log says when).",
        );
        store.close().await;
        return Ok(());
    }
    let theme = masthead_render::Theme::load(None).map_err(|e| anyhow!("{e}"))?;
    let settings = SiteSettings {
        timezone,
        search_dir: Some(data.join("search")),
        related_stories: false,
        ..SiteSettings::default()
    };
    let state = AppState::new(store.clone(), theme, settings);
    let started = std::time::Instant::now();
    let n = state
        .rebuild_search_index()
        .await
        .map_err(|e| anyhow!("cannot rebuild the search index: {e}"))?;
    say(&format!(
        "Rebuilt the search index: {n} articles in {:.1} s.",
        started.elapsed().as_secs_f64()
    ));
    if shared {
        store.request_reindex().await.map_err(store_error)?;
        say("Other nodes sharing this database have been asked to rebuild theirs.");
    }
    store.close().await;
    Ok(())
}

/// Logs to stderr, as text for a person or (`MASTHEAD_LOG_FORMAT=json`) one JSON object
/// per line for a log collector; `MASTHEAD_LOG` filters (default `info`). Lines carry
/// the request id of the request they belong to. Nothing logged names a person: no
/// emails, passwords or tokens, and client addresses only with `log_client_addresses`.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MASTHEAD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let json = std::env::var("MASTHEAD_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        // Colour codes only for a person at a terminal, not in a log file.
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
}

/// A line for whoever started the server. A closed stdout (a supervisor that stopped
/// reading) must not bring the site down, so errors are ignored.
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Listens on `addr`, or says in one sentence why it cannot (`flag` chooses another).
async fn bind(addr: std::net::SocketAddr, flag: &str) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => anyhow!(
                "the address {addr} is already in use; stop the other server or choose another with {flag}"
            ),
            std::io::ErrorKind::PermissionDenied => {
                anyhow!("not allowed to listen on {addr}; choose a port above 1024 with {flag}")
            }
            _ => anyhow!("cannot listen on {addr}: {e}"),
        })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

async fn export_wxr(file: &Path, site: &SiteArgs, site_url: Option<String>) -> Result<()> {
    let file_cfg = FileConfig::load(site.config.as_deref())?;
    let (data, database_url, timezone) = config::resolve_site(site, &file_cfg)?;
    let Some(site_url) = site_url.or_else(|| file_cfg.site_url.clone()) else {
        bail!(
            "give the site's public address with --site-url (links and GUIDs in the export use it)"
        );
    };
    let site_url = site_url.trim().trim_end_matches('/').to_owned();
    if !(site_url.starts_with("https://") || site_url.starts_with("http://")) {
        bail!("--site-url must start with http:// or https://; it is {site_url}");
    }
    let store = open_bulk_store(&data, &database_url, timezone).await?;
    let opts = masthead_import::wxr::export::ExportOptions::new(site_url);
    let report = if file.as_os_str() == "-" {
        let out = std::io::BufWriter::new(std::io::stdout().lock());
        masthead_import::wxr::export::export_wxr(&store, out, &opts).await
    } else {
        let handle = std::fs::File::create(file)
            .map_err(|e| anyhow!("cannot write {}: {}", file.display(), io_reason(&e)))?;
        masthead_import::wxr::export::export_wxr(&store, std::io::BufWriter::new(handle), &opts)
            .await
    }
    .map_err(|e| anyhow!("{e}"))?;
    eprintln!(
        "exported {} articles, {} pages, {} attachments, {} comments, {} sections, {} tags, {} authors in {:.1} s",
        report.articles,
        report.pages,
        report.attachments,
        report.comments,
        report.sections,
        report.tags,
        report.authors,
        report.elapsed.as_secs_f64()
    );
    store.close().await;
    Ok(())
}

async fn import_markdown(
    dir: &Path,
    site: &SiteArgs,
    dry_run: bool,
    batch_size: usize,
) -> Result<()> {
    let file_cfg = FileConfig::load(site.config.as_deref())?;
    let (data, database_url, timezone) = config::resolve_site(site, &file_cfg)?;
    if !dir.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    let store = open_bulk_store(&data, &database_url, timezone).await?;
    let opts = masthead_import::markdown::MarkdownOptions {
        timezone,
        dry_run,
        batch_size: batch_size.max(1),
    };
    let report = masthead_import::markdown::import_markdown(&store, dir, &opts)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    for line in report.lines() {
        println!("{line}");
    }
    store.close().await;
    Ok(())
}

async fn import_ghost(
    file: &Path,
    site: &SiteArgs,
    site_url: Option<String>,
    dry_run: bool,
) -> Result<()> {
    let file_cfg = FileConfig::load(site.config.as_deref())?;
    let (data, database_url, timezone) = config::resolve_site(site, &file_cfg)?;
    let json = std::fs::read(file)
        .map_err(|e| anyhow!("cannot read {}: {}", file.display(), io_reason(&e)))?;
    let store = open_bulk_store(&data, &database_url, timezone).await?;
    let opts = masthead_import::ghost::GhostOptions {
        dry_run,
        site_url,
        ..Default::default()
    };
    let report = masthead_import::ghost::import_ghost(&store, &json, &opts)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    for line in report.lines() {
        println!("{line}");
    }
    store.close().await;
    Ok(())
}

struct WxrArgs {
    source_timezone: Option<String>,
    dry_run: bool,
    batch_size: usize,
    uploads: Option<PathBuf>,
    create_accounts: bool,
    quiet: bool,
}

async fn import_wxr(file: &Path, site: &SiteArgs, args: &WxrArgs) -> Result<()> {
    let file_cfg = FileConfig::load(site.config.as_deref())?;
    let (data, database_url, timezone) = config::resolve_site(site, &file_cfg)?;
    let source_tz: chrono_tz::Tz = match &args.source_timezone {
        Some(name) => name.parse().map_err(|_| {
            anyhow!("--source-timezone: \"{name}\" is not a timezone name such as Europe/London")
        })?,
        None => timezone,
    };
    let open_file = || {
        std::fs::File::open(file)
            .map_err(|e| anyhow!("cannot open {}: {}", file.display(), io_reason(&e)))
    };
    let size = open_file()?.metadata().map(|m| m.len()).unwrap_or(0);
    let store = open_bulk_store(&data, &database_url, timezone).await?;
    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(size.saturating_mul(2));
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg} [{bar:40}] {bytes}/{total_bytes} ({eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    };
    // The media folder the server serves `/media/` from (`serve` uses the same one).
    let media_dir = data.join("media");
    let uploads = match &args.uploads {
        None => None,
        Some(dir) => {
            if !dir.is_dir() {
                bail!("--uploads: {} is not a folder", dir.display());
            }
            if !args.dry_run {
                std::fs::create_dir_all(&media_dir).map_err(|e| {
                    anyhow!(
                        "cannot create the media folder {}: {}",
                        media_dir.display(),
                        io_reason(&e)
                    )
                })?;
            }
            Some(masthead_import::wxr::UploadsOptions {
                dir: dir.clone(),
                storage: Arc::new(masthead_media::FsStorage::at(media_dir.clone())),
                settings: masthead_media::MediaSettings::default(),
            })
        }
    };
    let opts = masthead_import::wxr::WxrOptions {
        timezone: source_tz,
        dry_run: args.dry_run,
        batch_size: args.batch_size.max(1),
        uploads,
        create_accounts: args.create_accounts,
    };
    let mut open = || {
        open_file()
            .map(|h| BufReader::with_capacity(1 << 16, h))
            .map_err(|e| masthead_import::ImportError::Invalid(e.to_string()))
    };
    let indexer = search_indexer(&store, &data, timezone, args.dry_run);
    let mut progress = |pass, pos| {
        bar.set_message(if pass == 1 { "reading" } else { "importing" });
        bar.set_position(if pass == 1 { pos } else { size + pos });
    };
    let import = masthead_import::wxr::import_wxr(&store, &mut open, &opts, &mut progress);
    let report = match &indexer {
        Some(state) => state.index_while(import).await,
        None => import.await,
    }
    .map_err(|e| anyhow!("{e}"))?;
    bar.finish_and_clear();
    for line in report.lines() {
        println!("{line}");
    }
    if !report.new_account_ids.is_empty() {
        let sent = invite_imported(&store, &data, &file_cfg, &report.new_account_ids).await;
        match sent {
            Ok(line) => println!("{line}"),
            Err(e) => {
                store.close().await;
                return Err(e);
            }
        }
    }
    store.close().await;
    Ok(())
}

/// What keeps the site's search index fed while an import runs in this process, so
/// imported articles are searchable when it ends: none for a dry run, or when a server
/// holds the index (its own change-log follower indexes them).
fn search_indexer(
    store: &Store,
    data: &Path,
    timezone: chrono_tz::Tz,
    dry_run: bool,
) -> Option<AppState> {
    let dir = data.join("search");
    if dry_run
        || matches!(
            masthead_search::IndexFolders::new(&dir).open_current(),
            Err(masthead_search::OpenError::Busy)
        )
    {
        return None;
    }
    let theme = masthead_render::Theme::load(None).ok()?;
    let settings = SiteSettings {
        timezone,
        search_dir: Some(dir),
        related_stories: false,
        ..SiteSettings::default()
    };
    Some(AppState::new(store.clone(), theme, settings))
}

/// Invites the accounts an import made, with the newsroom's invitation mail: queued in
/// the site's mail queue (a running server would deliver it too), then delivered at once
/// through the configured SMTP server or into DATA/mail/.
async fn invite_imported(
    store: &Store,
    data: &Path,
    file_cfg: &FileConfig,
    ids: &[i64],
) -> Result<String> {
    let mail = config::mail_settings(file_cfg, data)?;
    let where_to = mail.describe();
    let title = match file_cfg.title.clone() {
        Some(t) => t,
        None => store
            .setting(TITLE)
            .await
            .map_err(store_error)?
            .unwrap_or_else(|| "Masthead".to_owned()),
    };
    let theme =
        masthead_render::Theme::load(file_cfg.theme.as_deref()).map_err(|e| anyhow!("{e}"))?;
    // The links must name the public site, as `serve` would (MASTHEAD_SITE_URL, else
    // site_url in masthead.toml); without either, the default listening address.
    let site_url = std::env::var("MASTHEAD_SITE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .or_else(|| file_cfg.site_url.clone());
    if site_url.is_none() {
        say("No site_url is configured: the invitation links name http://127.0.0.1:8080.");
    }
    let settings = SiteSettings {
        title: title.clone(),
        mail,
        site_url: site_url.map_or_else(
            || "http://127.0.0.1:8080".to_owned(),
            |u| u.trim().trim_end_matches('/').to_owned(),
        ),
        ..SiteSettings::default()
    };
    let state = AppState::new(store.clone(), theme, settings);
    let inviter = format!("The {title} import");
    for id in ids {
        let Some(user) = store.user(*id).await.map_err(store_error)? else {
            continue;
        };
        masthead_web::newsroom::send_invitation(&state, &user, &inviter)
            .await
            .map_err(|e| anyhow!("cannot invite {}: {e}", user.email))?;
    }
    let sent = masthead_web::mail::send_due(&state)
        .await
        .map_err(store_error)?;
    Ok(format!(
        "invitations: {} queued, {sent} sent now ({where_to})",
        ids.len()
    ))
}

async fn import_jsonl(
    file: &Path,
    site: &SiteArgs,
    tag_fields: Vec<String>,
    batch_size: usize,
    quiet: bool,
) -> Result<()> {
    let file_cfg = FileConfig::load(site.config.as_deref())?;
    let (data, database_url, timezone) = config::resolve_site(site, &file_cfg)?;
    let handle = std::fs::File::open(file)
        .map_err(|e| anyhow!("cannot open {}: {}", file.display(), io_reason(&e)))?;
    let size = handle.metadata().map(|m| m.len()).unwrap_or(0);
    let store = open_bulk_store(&data, &database_url, timezone).await?;
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(size);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{bar:40}] {bytes}/{total_bytes} ({eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    };
    let opts = masthead_import::JsonlOptions {
        timezone,
        tag_fields,
        batch_size: batch_size.max(1),
    };
    let label = file.display().to_string();
    // Searchable when it ends, as a WordPress import is (the server would otherwise build
    // the whole index at its next start).
    let indexer = search_indexer(&store, &data, timezone, false);
    let mut progress = |pos| bar.set_position(pos);
    let import = masthead_import::import_jsonl(
        &store,
        BufReader::with_capacity(1 << 16, handle),
        &label,
        &opts,
        &mut progress,
    );
    let report = match &indexer {
        Some(state) => state.index_while(import).await,
        None => import.await,
    }
    .map_err(|e| anyhow!("{e}"))?;
    bar.finish_and_clear();
    for line in report.skipped_lines(&label) {
        eprintln!("{line}");
    }
    println!(
        "imported {}, updated {}, skipped {} (of {} lines; longest transaction {} ms)",
        report.imported,
        report.updated,
        report.skipped.len(),
        report.lines,
        report.longest_batch.as_millis()
    );
    store.close().await;
    Ok(())
}
