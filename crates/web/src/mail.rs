//! Outgoing mail: composed from the theme's `mail/` templates (plain text and HTML),
//! queued in the store by the request that causes it, and delivered by one sender task
//! through SMTP — or, with no SMTP configured, written as `.eml` files to a folder
//! (the newsroom says so).

use crate::AppState;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use masthead_store::{NewMail, QueuedMail, StoreError};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection (a local relay).
    None,
    /// Upgrade with STARTTLS (usually port 587).
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

impl std::str::FromStr for SmtpSecurity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "plain" => Ok(Self::None),
            "starttls" => Ok(Self::StartTls),
            "tls" | "ssl" => Ok(Self::Tls),
            other => Err(format!(
                "\"{other}\" is not an SMTP security mode (none, starttls or tls)"
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// Where mail goes and how it is retried. All of it is settings.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub smtp: Option<SmtpSettings>,
    /// The From address.
    pub from: String,
    /// Without SMTP, messages are written here.
    pub folder: PathBuf,
    /// How often the sender looks for due mail when nothing wakes it.
    pub poll: Duration,
    /// The wait after the first failure; it doubles with each further one.
    pub first_retry: chrono::Duration,
    /// Attempts before a message is given up on (and shown as failed).
    pub max_attempts: i32,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            smtp: None,
            from: "Masthead <newsroom@localhost>".into(),
            folder: PathBuf::from("masthead-data/mail"),
            poll: Duration::from_secs(5),
            first_retry: chrono::Duration::seconds(30),
            max_attempts: 8,
        }
    }
}

impl MailSettings {
    /// Where mail goes, in words for the newsroom.
    pub fn describe(&self) -> String {
        match &self.smtp {
            Some(s) => format!("through the SMTP server {}:{}", s.host, s.port),
            None => format!(
                "nowhere yet: no SMTP server is configured, so messages are written to {}",
                self.folder.display()
            ),
        }
    }
}

/// Whether `s` is an address mail can be sent from or to (`Name <a@b>` or `a@b`).
pub fn valid_address(s: &str) -> bool {
    s.parse::<Mailbox>().is_ok()
}

/// A message composed from the templates `mail/{name}.txt` and `mail/{name}.html`;
/// the text template's first line is `Subject: …`.
pub fn compose<T: Serialize>(
    state: &AppState,
    name: &str,
    recipient: &str,
    ctx: &T,
) -> Result<NewMail, String> {
    #[derive(Serialize)]
    struct Frame<'a, T: Serialize> {
        site_title: &'a str,
        #[serde(flatten)]
        body: &'a T,
    }
    let frame = Frame {
        site_title: &state.settings().title,
        body: ctx,
    };
    let theme = &state.0.theme;
    let text = theme
        .render(&format!("mail/{name}.txt"), &frame)
        .map_err(|e| e.to_string())?;
    let html = theme
        .render(&format!("mail/{name}.html"), &frame)
        .map_err(|e| e.to_string())?;
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let subject = first
        .strip_prefix("Subject:")
        .ok_or_else(|| format!("mail/{name}.txt must start with a Subject: line"))?
        .trim()
        .to_owned();
    Ok(NewMail {
        recipient: recipient.to_owned(),
        subject,
        body_text: rest.trim_start_matches('\n').to_owned(),
        body_html: html,
    })
}

/// Queues a message and wakes the sender.
pub async fn send_later(state: &AppState, mail: &NewMail) -> Result<i64, StoreError> {
    let id = state.store().enqueue_mail(mail).await?;
    state.0.mail_wake.notify_one();
    Ok(id)
}

fn message(settings: &MailSettings, m: &QueuedMail) -> Result<Message, String> {
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|e| format!("the From address {:?} is not usable: {e}", settings.from))?;
    let to: Mailbox = m
        .recipient
        .parse()
        .map_err(|e| format!("the address {:?} is not usable: {e}", m.recipient))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(&m.subject)
        .multipart(MultiPart::alternative_plain_html(
            m.body_text.clone(),
            m.body_html.clone(),
        ))
        .map_err(|e| e.to_string())
}

fn transport(s: &SmtpSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let builder = match s.security {
        SmtpSecurity::None => {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.as_str())
        }
        SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
            .map_err(|e| e.to_string())?,
        SmtpSecurity::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host).map_err(|e| e.to_string())?
        }
    };
    let mut builder = builder.port(s.port).timeout(Some(Duration::from_secs(20)));
    if let (Some(u), Some(p)) = (&s.username, &s.password) {
        builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
    }
    Ok(builder.build())
}

/// Delivers one message, by SMTP or into the folder.
async fn deliver(settings: &MailSettings, m: &QueuedMail) -> Result<(), String> {
    let msg = message(settings, m)?;
    match &settings.smtp {
        Some(s) => transport(s)?
            .send(msg)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        None => {
            tokio::fs::create_dir_all(&settings.folder)
                .await
                .map_err(|e| format!("cannot create {}: {e}", settings.folder.display()))?;
            let path = settings.folder.join(format!("{:06}.eml", m.id));
            tokio::fs::write(&path, msg.formatted())
                .await
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            tracing::info!(
                "mail to {} written to {} (no SMTP server is configured)",
                m.recipient,
                path.display()
            );
            Ok(())
        }
    }
}

/// Sends what is due once; returns how many messages went out.
pub async fn send_due(state: &AppState) -> Result<usize, StoreError> {
    let settings = &state.settings().mail;
    let store = state.store();
    let now = state.now();
    // Long enough for a slow SMTP exchange; a crashed sender's claims come back then.
    let lease = now + chrono::Duration::minutes(5);
    let mut sent = 0;
    for m in store.claim_due_mail(20, lease).await? {
        match deliver(settings, &m).await {
            Ok(()) => {
                store.mark_mail_sent(m.id).await?;
                sent += 1;
            }
            Err(e) => {
                let retry = (m.attempts < settings.max_attempts).then(|| {
                    let factor = 1_i32 << (m.attempts - 1).clamp(0, 16);
                    now + settings.first_retry * factor
                });
                tracing::warn!(
                    "mail {} to {} failed (attempt {}): {e}{}",
                    m.id,
                    m.recipient,
                    m.attempts,
                    if retry.is_some() {
                        "; will retry"
                    } else {
                        "; giving up"
                    }
                );
                store.mark_mail_failed(m.id, &e, retry).await?;
            }
        }
    }
    Ok(sent)
}

/// The sender task: wakes when mail is queued, and every poll interval for retries.
pub fn spawn_sender(state: &AppState) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = send_due(&state).await {
                tracing::warn!("the mail queue is unreachable: {e}");
            }
            let wake = state.0.mail_wake.notified();
            let _ = tokio::time::timeout(state.settings().mail.poll, wake).await;
        }
    })
}
