//! Masthead's HTTP face: the public site, the read-side JSON API, health checks, theme
//! assets, and the rendered-page cache in front of them.

mod api;
pub mod api_account;
mod api_comments;
mod api_write;
pub mod auth;
mod cache;
pub mod client;
mod comment_mail;
mod comments;
mod discovery;
pub mod edge;
mod editorial;
mod error;
mod feeds;
mod front;
pub mod jobs;
mod limits;
pub mod mail;
pub mod media;
mod memo;
pub mod metrics;
pub mod newsroom;
mod redirects;
pub mod route;
mod search;
mod seo;
pub mod server;
mod site;
pub mod site_settings;
mod sitemaps;
mod views;

pub use cache::PageCache;

use axum::Router;
use axum::http::{HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono_tz::Tz;
use masthead_render::Theme;
use masthead_store::Store;
use memo::GenerationMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tower_http::compression::CompressionLayer;

/// Site-wide settings the web layer reads.
#[derive(Debug, Clone)]
pub struct SiteSettings {
    pub title: String,
    pub tagline: String,
    pub language: String,
    pub timezone: Tz,
    /// Stories per archive page.
    pub per_page: u32,
    /// How many top-level sections the navigation lists (an imported archive may
    /// bring dozens of categories).
    pub nav_sections: usize,
    /// How many section blocks the front page shows.
    pub home_sections: usize,
    /// Serve rendered pages from memory until the content changes.
    pub page_cache: bool,
    /// How often to look for changes made by other processes.
    pub change_poll: Duration,
    /// The site's public address, for links in mail.
    pub site_url: String,
    /// The site is served over https (its URL says so): session cookies get `Secure`.
    pub https: bool,
    /// How long newsroom sessions live.
    pub sessions: auth::SessionRules,
    /// How hard password hashing works.
    pub hash_cost: auth::HashCost,
    /// Sign-in slow-down: each recent failure for an account or client address adds
    /// this much delay, up to `sign_in_max_delay`; failures older than
    /// `sign_in_window` are forgotten.
    pub sign_in_step: Duration,
    pub sign_in_max_delay: Duration,
    pub sign_in_window: chrono::Duration,
    /// How long a setup or invitation link stays usable.
    pub link_lifetime: chrono::Duration,
    /// How long a password-reset link stays usable.
    pub reset_lifetime: chrono::Duration,
    /// Outgoing mail.
    pub mail: mail::MailSettings,
    /// The longest the scheduler sleeps between looks at the schedule (it also wakes at
    /// the next article's time, and when this node saves one). Bounds how late an
    /// article scheduled by another node or process can appear.
    pub schedule_poll: Duration,
    /// How long after opening an article someone counts as having it open.
    pub presence_window: Duration,
    /// How many autosaves each person keeps per article (the newest ones).
    pub autosaves_kept: usize,
    /// Autosaves older than this are removed by housekeeping.
    pub autosave_max_age: chrono::Duration,
    /// The audit log keeps entries this long (`None`: for ever).
    pub audit_retention: Option<chrono::Duration>,
    /// How often housekeeping runs (expired sessions and links, old autosaves, audit
    /// retention, old spam, comment addresses); zero turns it off.
    pub housekeeping_every: Duration,
    /// Upload limits and rendition sizes.
    pub media: masthead_media::MediaSettings,
    /// Where the media library's files are kept.
    pub media_dir: std::path::PathBuf,
    /// A media-library image shown in the masthead instead of the title's text.
    pub logo: Option<i64>,
    /// Reader comments: who is admitted, held or refused, and how threads show.
    pub comments: masthead_core::comment::CommentRules,
    /// Proxies whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: Vec<client::AddressBlock>,
    /// How long mail about comments waits for more to fold into one digest.
    pub comment_digest_delay: Duration,
    /// How many items a feed lists.
    pub feed_items: u32,
    /// Feeds carry whole stories (or only their excerpts).
    pub feed_full_text: bool,
    /// Where the search index is kept (in memory when `None`: tests).
    pub search_dir: Option<std::path::PathBuf>,
    /// Keep the related-stories engine (in memory, growing with the archive). A server
    /// does; a command that only brings the search index up to date does not.
    pub related_stories: bool,
    /// Searches one client may make per minute (0: no limit).
    pub searches_per_minute: u32,
    /// Caches in front of the site (CDN), HSTS, access log.
    pub edge: edge::EdgeSettings,
    /// Timeouts and the connection cap of the server loop.
    pub connections: server::ConnectionLimits,
    /// The token `/metrics` on the site asks for (none: not served there, only on the
    /// admin address if there is one).
    pub metrics_token: Option<String>,
}

impl Default for SiteSettings {
    fn default() -> Self {
        Self {
            title: "Masthead".to_owned(),
            tagline: String::new(),
            language: "en".to_owned(),
            timezone: chrono_tz::UTC,
            per_page: 10,
            nav_sections: 8,
            home_sections: 6,
            page_cache: true,
            change_poll: Duration::from_millis(500),
            site_url: "http://127.0.0.1:8080".to_owned(),
            https: false,
            sessions: auth::SessionRules::default(),
            hash_cost: auth::HashCost::default(),
            sign_in_step: Duration::from_millis(500),
            sign_in_max_delay: Duration::from_secs(10),
            sign_in_window: chrono::Duration::minutes(15),
            link_lifetime: chrono::Duration::hours(48),
            reset_lifetime: chrono::Duration::hours(1),
            mail: mail::MailSettings::default(),
            schedule_poll: Duration::from_secs(5),
            presence_window: Duration::from_secs(10 * 60),
            autosaves_kept: masthead_store::AUTOSAVES_KEPT,
            autosave_max_age: chrono::Duration::days(30),
            audit_retention: Some(chrono::Duration::days(365)),
            housekeeping_every: Duration::from_secs(3600),
            media: masthead_media::MediaSettings::default(),
            media_dir: std::path::PathBuf::from("masthead-data/media"),
            logo: None,
            comments: masthead_core::comment::CommentRules::default(),
            trusted_proxies: Vec::new(),
            comment_digest_delay: Duration::from_secs(10 * 60),
            feed_items: 20,
            feed_full_text: true,
            search_dir: None,
            related_stories: true,
            searches_per_minute: 30,
            edge: edge::EdgeSettings::default(),
            connections: server::ConnectionLimits::default(),
            metrics_token: None,
        }
    }
}

/// Where the content stands: this process's commits, and the newest change-log id seen.
pub(crate) type Generation = (u64, i64);

/// Everything a request handler needs, built once at start.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub(crate) struct Inner {
    pub store: Store,
    pub theme: Theme,
    /// What is in force; see [`AppState::settings`].
    pub settings: std::sync::RwLock<Arc<SiteSettings>>,
    /// The configuration as given at start.
    pub configured: SiteSettings,
    pub cache: PageCache,
    /// The newest change-log id that changed more than comments (part of the generation).
    pub seen_change: AtomicI64,
    /// The newest change-log id the follower has read.
    pub followed_change: AtomicI64,
    /// How many public articles match each filter asked about, for this generation:
    /// counting a large archive on every request would cost more than the page.
    pub counts: GenerationMap<masthead_store::ArticleFilter, i64>,
    /// Navigation and footer data.
    pub chrome: GenerationMap<(), Arc<site::Chrome>>,
    /// Wakes the mail sender when a message is queued.
    pub mail_wake: tokio::sync::Notify,
    /// Wakes the scheduler when an article is saved (its next due time may have moved).
    pub schedule_wake: tokio::sync::Notify,
    /// The media library's files.
    pub media: Arc<dyn masthead_media::MediaStorage>,
    /// "You May Also Like" for each article shown in this generation.
    pub related: GenerationMap<i64, Arc<Vec<masthead_store::ArticleSummary>>>,
    /// The key for what the site signs (comment forms, a reader's held comments,
    /// avatars): kept in the database, so every node signs alike.
    pub secret: std::sync::RwLock<String>,
    /// The learned spam filter: the shipped model with this site's moderators'
    /// decisions replayed over it.
    pub spam: std::sync::RwLock<masthead_spam::Classifier>,
    /// Wakes the comment-mail sender.
    pub comment_mail_wake: tokio::sync::Notify,
    /// When each person last got mail about comments (this process's memory: after a
    /// restart the first message simply goes out at once).
    pub comment_mail_sent:
        std::sync::Mutex<std::collections::HashMap<i64, chrono::DateTime<chrono::Utc>>>,
    /// The search index and the related-stories engine.
    pub discovery: discovery::Discovery,
    /// The redirected addresses this node answers before its own routes.
    pub redirects: redirects::Redirects,
    /// Requests and latencies for `/metrics`.
    pub metrics: metrics::Metrics,
}

impl AppState {
    /// A site whose media library lives in the `media_dir` folder.
    pub fn new(store: Store, theme: Theme, settings: SiteSettings) -> Self {
        let media = Arc::new(masthead_media::FsStorage::at(settings.media_dir.clone()));
        Self::with_media(store, theme, settings, media)
    }

    /// A site whose media library lives in `media` (object storage shared by several
    /// nodes, say).
    pub fn with_media(
        store: Store,
        theme: Theme,
        settings: SiteSettings,
        media: Arc<dyn masthead_media::MediaStorage>,
    ) -> Self {
        let cache = PageCache::new(settings.page_cache);
        let discovery =
            discovery::Discovery::open(settings.search_dir.as_deref(), settings.related_stories);
        Self(Arc::new(Inner {
            store,
            theme,
            settings: std::sync::RwLock::new(Arc::new(settings.clone())),
            configured: settings,
            cache,
            seen_change: AtomicI64::new(0),
            followed_change: AtomicI64::new(0),
            chrome: GenerationMap::new(1),
            counts: GenerationMap::new(10_000),
            related: GenerationMap::new(10_000),
            mail_wake: tokio::sync::Notify::new(),
            schedule_wake: tokio::sync::Notify::new(),
            media,
            secret: std::sync::RwLock::new(String::new()),
            spam: std::sync::RwLock::new(masthead_spam::Classifier::shipped()),
            comment_mail_wake: tokio::sync::Notify::new(),
            comment_mail_sent: std::sync::Mutex::new(std::collections::HashMap::new()),
            discovery,
            redirects: redirects::Redirects::new(),
            metrics: metrics::Metrics::default(),
        }))
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// Now, by the store's clock (a fake one in tests).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.store.clock().now()
    }

    /// How many public articles match `filter`, counted once per generation.
    pub(crate) async fn count_public(
        &self,
        filter: &masthead_store::ArticleFilter,
    ) -> Result<i64, masthead_store::StoreError> {
        let generation = self.generation();
        if let Some(n) = self.0.counts.get(generation, filter) {
            return Ok(n);
        }
        let n = self.0.store.count_public(filter).await?;
        self.0.counts.insert(generation, filter.clone(), n);
        Ok(n)
    }

    /// How many rendered pages the cache holds.
    pub fn page_cache_len(&self) -> usize {
        self.0.cache.len()
    }

    /// Whether the cache holds a page for `path` (for tests).
    pub fn page_cached(&self, path: &str) -> bool {
        self.0.cache.holds(self.generation(), path)
    }

    /// The settings in force: the configuration with what the newsroom saved over it.
    /// A cheap snapshot (an `Arc`), replaced whole when the newsroom saves.
    pub fn settings(&self) -> Arc<SiteSettings> {
        match self.0.settings.read() {
            Ok(s) => Arc::clone(&s),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Puts newly saved settings in force on this node (other nodes reload them when
    /// they see the change in the change log).
    pub(crate) fn replace_settings(&self, next: SiteSettings) {
        match self.0.settings.write() {
            Ok(mut s) => *s = Arc::new(next),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(next),
        }
    }

    /// The configuration as the operator gave it, before the newsroom's changes.
    pub(crate) fn configured(&self) -> &SiteSettings {
        &self.0.configured
    }

    /// Where the content stands: this process's own commits and the newest change any
    /// process has logged. Anything rendered under another generation is stale.
    pub(crate) fn generation(&self) -> Generation {
        (
            self.0.store.local_change_count(),
            self.0.seen_change.load(Ordering::Acquire),
        )
    }

    /// Follows the change log so that writes by other processes (an import, another
    /// node) reach this one's caches within one poll interval. Runs until the process ends.
    pub fn spawn_change_follower(&self) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let poll = state.settings().change_poll;
            let mut tick = tokio::time::interval(poll);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // On PostgreSQL a notification wakes this at once; the poll stays as the
            // fallback.
            let mut listener = match state.store().change_listener().await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!("cannot listen for changes, polling instead: {e}");
                    None
                }
            };
            loop {
                match listener.as_mut() {
                    Some(l) => {
                        l.wait(poll).await;
                    }
                    None => {
                        tick.tick().await;
                    }
                }
                // Search and related stories first, then a new page generation for
                // what they took in: the other way round, a reader between the two
                // would put a page with the old related stories in the new generation,
                // where it would stay until the next change.
                let discovered = match state.feed_discovery().await {
                    Ok(cursor) => Some(cursor),
                    Err(e) => {
                        tracing::warn!("cannot update the search index: {e}");
                        None
                    }
                };
                if let Err(e) = state.follow_changes(discovered).await {
                    tracing::warn!("cannot read the change log: {e}");
                }
            }
        })
    }

    /// Reads the change log from where this node last stopped. A comment change drops
    /// only the pages showing that article's comments; any other change starts a new
    /// generation (everything rendered before is stale). With `up_to`, changes after it
    /// wait for the next round (search and related stories have not taken them in yet).
    async fn follow_changes(&self, up_to: Option<i64>) -> Result<(), masthead_store::StoreError> {
        const BATCH: i64 = 1000;
        loop {
            let cursor = self.0.followed_change.load(Ordering::Acquire);
            let mut changes = self.0.store.changes_after(cursor, BATCH).await?;
            let full = changes.len() as i64 >= BATCH;
            if let Some(limit) = up_to {
                changes.retain(|c| c.id <= limit);
            }
            let Some(last) = changes.last().map(|c| c.id) else {
                return Ok(());
            };
            if changes.iter().any(|c| c.entity != "comments") {
                // The site's settings changed: they are in force before the new
                // generation is, so no page rendered for it carries the old ones. Only
                // then: a reload for any other change could read the database while
                // this node's own save has put new settings in force but not yet
                // committed them, and undo them until the next change.
                if changes.iter().any(|c| c.entity == "settings")
                    && let Err(e) = site_settings::reload(self).await
                {
                    tracing::warn!("cannot read the site's settings: {e}");
                }
                // A failed read leaves the cursor where it was: the next poll reads
                // these changes, and the redirects, again.
                if changes.iter().any(|c| c.entity == "redirect") {
                    redirects::reload(self).await?;
                }
                self.0.seen_change.store(last, Ordering::Release);
            } else {
                let articles: Vec<i64> = changes.iter().map(|c| c.entity_id).collect();
                self.0.cache.drop_articles(&articles);
            }
            self.0.followed_change.store(last, Ordering::Release);
            if !full || up_to.is_some_and(|limit| last >= limit) {
                return Ok(());
            }
        }
    }

    /// Whether this node has read the whole change log (tests wait for it before they
    /// look at what the page cache holds).
    pub async fn caught_up(&self) -> bool {
        match self.0.store.latest_change_id().await {
            Ok(id) => self.0.followed_change.load(Ordering::Acquire) >= id,
            Err(_) => false,
        }
    }

    /// This node changed an article's comments: its pages (and the lists showing its
    /// count) are stale now, not at the next poll.
    pub(crate) fn comments_changed(&self, article_id: i64) {
        self.0.cache.drop_articles(&[article_id]);
    }

    /// Starts everything that runs beside the requests: the change-log follower, the
    /// mail senders, the scheduler and housekeeping. Abort the handles to stop them.
    pub fn spawn_background(&self) -> Vec<tokio::task::JoinHandle<()>> {
        vec![
            self.spawn_change_follower(),
            mail::spawn_sender(self),
            jobs::spawn_scheduler(self),
            comment_mail::spawn_sender(self),
            jobs::spawn_housekeeping(self),
            redirects::spawn_hit_counter(self),
        ]
    }

    /// Tells the scheduler the schedule may have changed.
    pub(crate) fn wake_scheduler(&self) {
        self.0.schedule_wake.notify_one();
    }

    /// The site's signing key.
    pub(crate) fn secret(&self) -> String {
        match self.0.secret.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The spam filter, for reading.
    pub(crate) fn spam_filter(&self) -> std::sync::RwLockReadGuard<'_, masthead_spam::Classifier> {
        match self.0.spam.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Teaches the spam filter a moderator's decision (kept, so a restart replays it).
    pub(crate) async fn learn_spam(
        &self,
        c: &masthead_store::Comment,
        spam: bool,
    ) -> Result<(), masthead_store::StoreError> {
        self.0.store.record_spam_decision(c, spam).await?;
        let words = masthead_spam::CommentText {
            author: &c.author_name,
            email: &c.author_email,
            url: &c.author_url,
            text: &c.body,
        };
        match self.0.spam.write() {
            Ok(mut f) => f.learn(&words, spam),
            Err(poisoned) => poisoned.into_inner().learn(&words, spam),
        }
        Ok(())
    }

    /// The spam filter's score for a comment's text, and its threshold (for tests and
    /// the newsroom).
    pub fn spam_score(&self, text: &str) -> (f32, f32) {
        let f = self.spam_filter();
        (
            f.score(&masthead_spam::CommentText::text_only(text)),
            f.threshold(),
        )
    }

    /// Wakes the comment-mail sender (it also wakes by itself when a batch falls due).
    pub fn wake_comment_mail(&self) {
        self.0.comment_mail_wake.notify_one();
    }

    /// The signing key and the spam filter's lessons, from the database.
    async fn load_secrets(&self) -> Result<(), masthead_store::StoreError> {
        let fresh = auth::new_secret().map_err(masthead_store::StoreError::Invalid)?;
        let secret = self.0.store.setting_or_insert("secret", &fresh).await?;
        match self.0.secret.write() {
            Ok(mut s) => *s = secret,
            Err(poisoned) => *poisoned.into_inner() = secret,
        }
        let mut filter = masthead_spam::Classifier::shipped();
        for d in self.0.store.spam_decisions().await? {
            let words = masthead_spam::CommentText {
                author: &d.author_name,
                email: &d.author_email,
                url: &d.author_url,
                text: &d.body,
            };
            filter.learn(&words, d.spam);
        }
        match self.0.spam.write() {
            Ok(mut f) => *f = filter,
            Err(poisoned) => *poisoned.into_inner() = filter,
        }
        Ok(())
    }

    /// After the server stopped taking requests: the search index catches up with the
    /// last changes and commits, so the next start has nothing to redo.
    pub async fn shut_down(&self) {
        if let Err(e) = self.feed_discovery().await {
            tracing::warn!("cannot bring the search index up to date before stopping: {e}");
        }
    }

    /// Reads the change log once, so the first requests start from the right generation.
    pub async fn catch_up(&self) {
        if let Err(e) = site_settings::reload(self).await {
            tracing::warn!("cannot read the site's settings: {e}");
        }
        if let Err(e) = self.load_secrets().await {
            tracing::warn!("cannot read the site's secret or spam lessons: {e}");
        }
        if let Ok(id) = self.0.store.latest_change_id().await {
            self.0.seen_change.store(id, Ordering::Release);
            self.0.followed_change.store(id, Ordering::Release);
        }
        // After the change log's position: a redirect saved meanwhile is read here or
        // followed later, never missed.
        redirects::changed(self).await;
        self.start_discovery();
    }
}

/// The headers every answer of the public site carries (unless it sets its own).
pub(crate) fn security_headers() -> [(HeaderName, &'static str); 5] {
    [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "interest-cohort=()",
        ),
    ]
}

/// The whole application as one router.
pub fn router(state: AppState) -> Router {
    let mut app = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::on_site))
        .route("/static/{file}", get(static_asset))
        .route("/media/{*key}", get(media::serve))
        .route("/preview/{secret}", get(site::preview))
        .route("/sitemap.xml", get(sitemaps::index))
        .route("/news-sitemap.xml", get(sitemaps::news))
        .route("/sitemaps/{file}", get(sitemaps::file))
        .route("/robots.txt", get(sitemaps::robots))
        .route("/search", get(search::page))
        .route("/search/", get(search::page))
        .route("/avatar/{file}", get(comments::avatar))
        .route("/comments", axum::routing::post(comments::post_form))
        .route(
            "/wp-comments-post.php",
            axum::routing::post(comments::post_form),
        )
        .route(
            "/comments/{id}/report",
            axum::routing::post(comments::report),
        )
        .nest("/api/v1", api::router())
        .merge(api_account::router(state.clone()))
        .merge(newsroom::router(state.clone()))
        .fallback(site::dispatch)
        .layer(axum::middleware::from_fn(limits::reject_overlong))
        .layer(CompressionLayer::new().gzip(true));
    app = app.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        edge::response_headers,
    ));
    // The page cache is the outermost layer but one: a hit is answered with bytes and
    // headers kept from the first render, without passing through anything else.
    // Redirects come before it, so an editor can redirect an address the cache holds.
    app.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        cache::page_cache,
    ))
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        redirects::serve,
    ))
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        edge::observe,
    ))
    .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        state.0.configured.connections.body_read_timeout,
    ))
    .with_state(state)
}

/// The admin address's router: health, readiness and metrics without a token (the
/// address, reachable only from where the operator allows, is the protection).
pub fn admin_router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::on_admin))
        .with_state(state)
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match state.store().ping().await {
        Ok(()) => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            "ok\n",
        )
            .into_response(),
        Err(e) => {
            tracing::error!("health check failed: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CACHE_CONTROL, "no-store")],
                "database unavailable\n",
            )
                .into_response()
        }
    }
}

/// Ready for readers' whole load: the database answers and search and related stories
/// cover every public article (after a start or a rebuild they are filled in the
/// background while the site already serves).
async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let store = state.store();
    let db = store.ping().await.is_ok();
    let schema = store.schema_version().await.ok();
    let migrated = schema == Some(store.known_schema_version());
    let discovery = state.discovery_ready();
    // Behind by a burst is still ready (a node that flapped under steady writes would
    // be taken out of rotation for nothing); behind by more is not.
    let lag = match store.latest_change_id().await {
        Ok(latest) => (latest - state.search_cursor()).max(0),
        Err(_) => i64::MAX,
    };
    let caught_up = lag <= READY_INDEX_LAG;
    let status = if db && migrated && discovery && caught_up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = format!(
        "database: {}\nmigrations: {}\nsearch and related stories: {}\nsearch index behind the change log by: {}\n",
        if db { "ok" } else { "unavailable" },
        match schema {
            Some(v) if migrated => format!("applied ({v})"),
            Some(v) => format!(
                "pending (database at {v}, this binary knows {})",
                store.known_schema_version()
            ),
            None => "unknown".to_owned(),
        },
        if discovery { "ready" } else { "building" },
        if lag == i64::MAX {
            "unknown".to_owned()
        } else {
            lag.to_string()
        }
    );
    (status, [(header::CACHE_CONTROL, "no-store")], body).into_response()
}

/// How many change-log entries the search index may trail by and the node still be
/// ready.
const READY_INDEX_LAG: i64 = 1_000;

async fn static_asset(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Response {
    match state.0.theme.asset(&file) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            asset.bytes.clone(),
        )
            .into_response(),
        None => site::not_found(&state).await,
    }
}
pub use axum;
