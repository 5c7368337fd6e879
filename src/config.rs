//! Settings for `serve` and the commands that open a site: flags beat `MASTHEAD_*`
//! environment variables (both handled by clap), which beat `masthead.toml`, which
//! beats the defaults.

use anyhow::{Context, Result, bail};
use chrono_tz::Tz;
use clap::Args;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the site's data lives; shared by every command that opens a site.
#[derive(Debug, Clone, Args, Default)]
pub struct SiteArgs {
    /// The data folder: SQLite database, search index, uploads [default: ./masthead-data]
    #[arg(long, env = "MASTHEAD_DATA")]
    pub data: Option<PathBuf>,
    /// `sqlite://FILE` or `postgres://USER@HOST/DB` [default: sqlite in the data folder]
    #[arg(long, env = "MASTHEAD_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The site's timezone (IANA name, e.g. Europe/London) [default: UTC]
    #[arg(long, env = "MASTHEAD_TIMEZONE")]
    pub timezone: Option<String>,
    /// A settings file [default: ./masthead.toml when it exists]
    #[arg(long, env = "MASTHEAD_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "MASTHEAD_ADDR")]
    pub addr: Option<String>,
    /// A theme folder whose templates/ and static/ override the default theme's
    #[arg(long, env = "MASTHEAD_THEME")]
    pub theme: Option<PathBuf>,
    /// Start an empty site instead of seeding the demo on first start
    #[arg(long, env = "MASTHEAD_NO_DEMO")]
    pub no_demo: bool,
    /// Render every page afresh (for measuring and debugging)
    #[arg(long, env = "MASTHEAD_NO_PAGE_CACHE")]
    pub no_page_cache: bool,
    /// The site's public address, e.g. https://news.example [default: http://ADDR]; an
    /// https URL also makes session cookies Secure
    #[arg(long, env = "MASTHEAD_SITE_URL")]
    pub site_url: Option<String>,
    /// SMTP server for outgoing mail [default: none; mail is written to DATA/mail/]
    #[arg(long, env = "MASTHEAD_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port [default: 587 with starttls, 465 with tls, 25 with none]
    #[arg(long, env = "MASTHEAD_SMTP_PORT")]
    pub smtp_port: Option<u16>,
    /// none, starttls or tls [default: starttls]
    #[arg(long, env = "MASTHEAD_SMTP_SECURITY")]
    pub smtp_security: Option<String>,
    /// SMTP user name (the password comes from MASTHEAD_SMTP_PASSWORD only)
    #[arg(long, env = "MASTHEAD_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// The From address of outgoing mail [default: the site's title at newsroom@localhost]
    #[arg(long, env = "MASTHEAD_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Reverse proxies whose X-Forwarded-For names the client: addresses or blocks,
    /// comma-separated, e.g. 127.0.0.1,10.0.0.0/8 [default: none]
    #[arg(long, env = "MASTHEAD_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,
    /// A second address serving only /healthz, /readyz and /metrics (no token), for
    /// monitoring from a private network [default: none]
    #[arg(long, env = "MASTHEAD_ADMIN_ADDR")]
    pub admin_addr: Option<String>,
    /// The token /metrics on the site's own address asks for (Authorization: Bearer)
    /// [default: none; /metrics is then only on the admin address]
    #[arg(long, env = "MASTHEAD_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Log one line per request: method, route, status, time, request id
    #[arg(long, env = "MASTHEAD_ACCESS_LOG")]
    pub access_log: bool,
    /// Seconds a CDN or other shared cache may keep a public page (s-maxage); 0 makes
    /// it ask every time [default: 60]
    #[arg(long, env = "MASTHEAD_CDN_MAX_AGE")]
    pub cdn_max_age: Option<u64>,
    /// Open connections served at once; more wait to be accepted [default: 4096]
    #[arg(long, env = "MASTHEAD_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Where the media library's files live: a folder, or S3-compatible storage as
    /// s3://BUCKET/PREFIX?endpoint=URL&region=R (credentials from AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY) [default: the data folder's media/]
    #[arg(long, env = "MASTHEAD_MEDIA_STORE")]
    pub media_store: Option<String>,
    /// Refuse to start when schema migrations are pending instead of applying them
    /// (apply them with `masthead migrate apply`)
    #[arg(long, env = "MASTHEAD_NO_MIGRATE")]
    pub no_migrate: bool,
}

/// `masthead.toml`: the same settings as the flags, in snake case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data: Option<PathBuf>,
    pub database_url: Option<String>,
    pub timezone: Option<String>,
    pub addr: Option<String>,
    pub theme: Option<PathBuf>,
    pub demo: Option<bool>,
    pub page_cache: Option<bool>,
    pub title: Option<String>,
    pub tagline: Option<String>,
    pub per_page: Option<u32>,
    pub site_url: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    pub smtp_security: Option<String>,
    pub smtp_username: Option<String>,
    pub mail_from: Option<String>,
    pub trusted_proxies: Option<Vec<String>>,
    pub admin_addr: Option<String>,
    pub metrics_token: Option<String>,
    pub access_log: Option<bool>,
    /// Client addresses in the access log (personal data) [default: false].
    pub log_client_addresses: Option<bool>,
    pub cdn_max_age: Option<u64>,
    /// Seconds a shared cache may serve a stale page while it fetches a fresh one.
    pub cdn_stale: Option<u64>,
    /// Seconds of `Strict-Transport-Security` on an https site (0: none).
    pub hsts_max_age: Option<u64>,
    pub max_connections: Option<usize>,
    pub media_store: Option<String>,
    /// Seconds a client may take to send a request's headers.
    pub header_timeout: Option<u64>,
    /// Seconds a client may take to send a request's body.
    pub body_timeout: Option<u64>,
    /// Seconds a shutdown waits for requests in flight.
    pub shutdown_grace: Option<u64>,
}

impl FileConfig {
    pub fn load(explicit: Option<&Path>) -> Result<Self> {
        let (path, required) = match explicit {
            Some(p) => (p.to_owned(), true),
            None => (PathBuf::from("masthead.toml"), false),
        };
        if !path.exists() {
            if required {
                bail!("the settings file {} does not exist", path.display());
            }
            return Ok(Self::default());
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the settings file {}", path.display()))?;
        toml::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "the settings file {} is not valid: {}",
                path.display(),
                e.message()
            )
        })
    }
}

/// Settings resolved from every layer.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub data: PathBuf,
    pub database_url: String,
    pub timezone: Tz,
    pub addr: SocketAddr,
    pub theme: Option<PathBuf>,
    pub demo: bool,
    pub page_cache: bool,
    pub title: Option<String>,
    pub tagline: Option<String>,
    pub per_page: u32,
    pub mail: masthead_web::mail::MailSettings,
    /// The configured public address, if any (else the listening address is used).
    pub site_url: Option<String>,
    pub trusted_proxies: Vec<masthead_web::client::AddressBlock>,
    pub admin_addr: Option<SocketAddr>,
    pub metrics_token: Option<String>,
    pub edge: masthead_web::edge::EdgeSettings,
    pub connections: masthead_web::server::ConnectionLimits,
    /// The media store setting, when not the data folder's media/.
    pub media_store: Option<String>,
}

pub fn resolve_site(args: &SiteArgs, file: &FileConfig) -> Result<(PathBuf, String, Tz)> {
    let data = args
        .data
        .clone()
        .or_else(|| file.data.clone())
        .unwrap_or_else(|| PathBuf::from("masthead-data"));
    let database_url = args
        .database_url
        .clone()
        .or_else(|| file.database_url.clone())
        .unwrap_or_else(|| format!("sqlite://{}", data.join("masthead.db").display()));
    let tz_name = args
        .timezone
        .clone()
        .or_else(|| file.timezone.clone())
        .unwrap_or_else(|| "UTC".to_owned());
    let timezone: Tz = tz_name.parse().map_err(|_| {
        anyhow::anyhow!("\"{tz_name}\" is not a timezone name such as Europe/London or UTC")
    })?;
    Ok((data, database_url, timezone))
}

pub fn resolve_serve(args: &ServeArgs) -> Result<Resolved> {
    let file = FileConfig::load(args.site.config.as_deref())?;
    let (data, database_url, timezone) = resolve_site(&args.site, &file)?;
    let addr_text = args
        .addr
        .clone()
        .or_else(|| file.addr.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let addr: SocketAddr = addr_text
        .parse()
        .map_err(|_| anyhow::anyhow!("\"{addr_text}\" is not an address such as 127.0.0.1:8080"))?;
    let per_page = file.per_page.unwrap_or(10);
    if !(1..=100).contains(&per_page) {
        bail!("per_page must be between 1 and 100; it is {per_page}");
    }
    let mail = resolve_mail(args, &file, &data)?;
    let site_url = match args.site_url.clone().or_else(|| file.site_url.clone()) {
        None => None,
        Some(u) => {
            let u = u.trim().trim_end_matches('/').to_owned();
            let rest = u
                .strip_prefix("https://")
                .or_else(|| u.strip_prefix("http://"));
            if rest.is_none_or(|r| r.is_empty() || r.contains(['/', '?', '#', ' '])) {
                bail!(
                    "the site URL \"{u}\" must be http:// or https:// and a host, without a path"
                );
            }
            Some(u)
        }
    };
    let proxies = if args.trusted_proxies.is_empty() {
        file.trusted_proxies.clone().unwrap_or_default()
    } else {
        args.trusted_proxies.clone()
    };
    let trusted_proxies = proxies
        .iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            p.parse()
                .map_err(|e: String| anyhow::anyhow!("trusted proxies: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let admin_addr = match args.admin_addr.clone().or_else(|| file.admin_addr.clone()) {
        None => None,
        Some(a) => Some(a.parse::<SocketAddr>().map_err(|_| {
            anyhow::anyhow!("the admin address \"{a}\" is not an address such as 127.0.0.1:9090")
        })?),
    };
    if admin_addr == Some(addr) && addr.port() != 0 {
        bail!("the admin address must differ from the site's address ({addr})");
    }
    let secs = std::time::Duration::from_secs;
    let edge_defaults = masthead_web::edge::EdgeSettings::default();
    let edge = masthead_web::edge::EdgeSettings {
        shared_max_age: args
            .cdn_max_age
            .or(file.cdn_max_age)
            .map_or(edge_defaults.shared_max_age, secs),
        shared_stale: file.cdn_stale.map_or(edge_defaults.shared_stale, secs),
        hsts_max_age: file.hsts_max_age.map_or(edge_defaults.hsts_max_age, secs),
        access_log: args.access_log || file.access_log.unwrap_or(false),
        log_client_addresses: file.log_client_addresses.unwrap_or(false),
    };
    let limits = masthead_web::server::ConnectionLimits::default();
    let connections = masthead_web::server::ConnectionLimits {
        header_read_timeout: file.header_timeout.map_or(limits.header_read_timeout, secs),
        body_read_timeout: file.body_timeout.map_or(limits.body_read_timeout, secs),
        max_connections: args
            .max_connections
            .or(file.max_connections)
            .unwrap_or(limits.max_connections),
        shutdown_grace: file.shutdown_grace.map_or(limits.shutdown_grace, secs),
    };
    if connections.max_connections == 0 {
        bail!("max_connections must be at least 1");
    }
    if connections.header_read_timeout.is_zero() || connections.body_read_timeout.is_zero() {
        bail!("header_timeout and body_timeout must be at least 1 second");
    }
    let metrics_token = args
        .metrics_token
        .clone()
        .or_else(|| file.metrics_token.clone())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
        bail!("the metrics token must be at least 16 characters (it guards /metrics)");
    }
    Ok(Resolved {
        media_store: args
            .media_store
            .clone()
            .or_else(|| file.media_store.clone())
            .filter(|m| !m.trim().is_empty()),
        admin_addr,
        metrics_token,
        edge,
        connections,
        trusted_proxies,
        site_url,
        mail,
        data,
        database_url,
        timezone,
        addr,
        theme: args.theme.clone().or(file.theme.clone()),
        demo: !args.no_demo && file.demo.unwrap_or(true),
        page_cache: !args.no_page_cache && file.page_cache.unwrap_or(true),
        title: file.title.clone(),
        tagline: file.tagline.clone(),
        per_page,
    })
}

/// The mail settings `serve` would use, for commands that send mail themselves (the
/// import's invitations): `masthead.toml` and the same `MASTHEAD_SMTP_*` and
/// `MASTHEAD_MAIL_FROM` variables the server reads.
pub fn mail_settings(file: &FileConfig, data: &Path) -> Result<masthead_web::mail::MailSettings> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let port = match var("MASTHEAD_SMTP_PORT") {
        Some(p) => Some(
            p.trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("MASTHEAD_SMTP_PORT: \"{p}\" is not a port"))?,
        ),
        None => None,
    };
    let overrides = MailOverrides {
        smtp_host: var("MASTHEAD_SMTP_HOST"),
        smtp_port: port,
        smtp_security: var("MASTHEAD_SMTP_SECURITY"),
        smtp_username: var("MASTHEAD_SMTP_USERNAME"),
        mail_from: var("MASTHEAD_MAIL_FROM"),
    };
    mail_from_parts(&overrides, file, data)
}

/// The mail settings given as flags (or their variables), over the file's.
struct MailOverrides {
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_security: Option<String>,
    smtp_username: Option<String>,
    mail_from: Option<String>,
}

fn resolve_mail(
    args: &ServeArgs,
    file: &FileConfig,
    data: &Path,
) -> Result<masthead_web::mail::MailSettings> {
    let overrides = MailOverrides {
        smtp_host: args.smtp_host.clone(),
        smtp_port: args.smtp_port,
        smtp_security: args.smtp_security.clone(),
        smtp_username: args.smtp_username.clone(),
        mail_from: args.mail_from.clone(),
    };
    mail_from_parts(&overrides, file, data)
}

fn mail_from_parts(
    args: &MailOverrides,
    file: &FileConfig,
    data: &Path,
) -> Result<masthead_web::mail::MailSettings> {
    use masthead_web::mail::{MailSettings, SmtpSecurity, SmtpSettings};
    let host = args.smtp_host.clone().or_else(|| file.smtp_host.clone());
    let smtp = match host.filter(|h| !h.trim().is_empty()) {
        None => None,
        Some(host) => {
            let security: SmtpSecurity = args
                .smtp_security
                .clone()
                .or_else(|| file.smtp_security.clone())
                .unwrap_or_else(|| "starttls".to_owned())
                .parse()
                .map_err(|e: String| anyhow::anyhow!("{e}"))?;
            let port = args.smtp_port.or(file.smtp_port).unwrap_or(match security {
                SmtpSecurity::StartTls => 587,
                SmtpSecurity::Tls => 465,
                SmtpSecurity::None => 25,
            });
            Some(SmtpSettings {
                host: host.trim().to_owned(),
                port,
                security,
                username: args
                    .smtp_username
                    .clone()
                    .or_else(|| file.smtp_username.clone()),
                // A secret: from the environment only, never a flag or the file.
                password: std::env::var("MASTHEAD_SMTP_PASSWORD").ok(),
            })
        }
    };
    let mut mail = MailSettings {
        smtp,
        folder: data.join("mail"),
        ..MailSettings::default()
    };
    if let Some(from) = args.mail_from.clone().or_else(|| file.mail_from.clone()) {
        if !masthead_web::mail::valid_address(&from) {
            bail!("the mail From address \"{from}\" is not an email address");
        }
        mail.from = from;
    }
    Ok(mail)
}
