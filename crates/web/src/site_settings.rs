//! The site's identity as administrators edit it in the newsroom — title, tagline,
//! address, timezone, language, logo, stories per page — kept as one JSON setting over
//! the operator's configuration. Saving puts it in force on this node at once; other
//! nodes reload it when they see the change in the change log.

use crate::{AppState, SiteSettings};
use chrono_tz::Tz;
use masthead_core::comment::CommentRules;
use masthead_store::StoreError;
use serde::{Deserialize, Serialize};

const KEY: &str = "site";

/// What the newsroom changed; `None` keeps the configured value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteOverrides {
    pub title: Option<String>,
    pub tagline: Option<String>,
    pub site_url: Option<String>,
    pub timezone: Option<String>,
    pub language: Option<String>,
    /// A media-library image shown in the masthead.
    pub logo: Option<i64>,
    pub per_page: Option<u32>,
    /// Items per feed.
    #[serde(default)]
    pub feed_items: Option<u32>,
    /// Whole stories in feeds (or excerpts).
    #[serde(default)]
    pub feed_full_text: Option<bool>,
}

/// The configuration with the newsroom's values over it.
pub fn apply(configured: &SiteSettings, o: &SiteOverrides) -> SiteSettings {
    let mut s = configured.clone();
    if let Some(t) = &o.title {
        s.title = t.clone();
    }
    if let Some(t) = &o.tagline {
        s.tagline = t.clone();
    }
    if let Some(u) = &o.site_url {
        s.site_url = u.clone();
        s.https = u.starts_with("https://");
    }
    if let Some(tz) = o.timezone.as_deref().and_then(|t| t.parse::<Tz>().ok()) {
        s.timezone = tz;
    }
    if let Some(l) = &o.language {
        s.language = l.clone();
    }
    if o.logo.is_some() {
        s.logo = o.logo;
    }
    if let Some(n) = o.per_page {
        s.per_page = n;
    }
    if let Some(n) = o.feed_items {
        s.feed_items = n;
    }
    if let Some(f) = o.feed_full_text {
        s.feed_full_text = f;
    }
    s
}

pub async fn load(state: &AppState) -> Result<SiteOverrides, StoreError> {
    Ok(match state.store().setting(KEY).await? {
        Some(json) => serde_json::from_str(&json).unwrap_or_else(|e| {
            tracing::warn!(
                "the stored site settings are unreadable ({e}); using the configuration"
            );
            SiteOverrides::default()
        }),
        None => SiteOverrides::default(),
    })
}

const COMMENTS_KEY: &str = "comments";

/// The comment rules the newsroom saved, if it saved any.
async fn load_comment_rules(state: &AppState) -> Result<Option<CommentRules>, StoreError> {
    Ok(match state.store().setting(COMMENTS_KEY).await? {
        Some(json) => match serde_json::from_str(&json) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!(
                    "the stored comment settings are unreadable ({e}); using the configuration"
                );
                None
            }
        },
        None => None,
    })
}

/// Keeps the newsroom's comment rules (a change every node follows) and puts them in
/// force here.
pub async fn save_comment_rules(state: &AppState, rules: &CommentRules) -> Result<(), StoreError> {
    let json = serde_json::to_string(rules)
        .map_err(|e| StoreError::Invalid(format!("cannot keep the comment settings: {e}")))?;
    let mut next = (*state.settings()).clone();
    next.comments = rules.clone();
    state.replace_settings(next);
    if let Err(e) = state.store().set_setting(COMMENTS_KEY, &json).await {
        reload(state).await?;
        return Err(e);
    }
    Ok(())
}

/// Reads the newsroom's values and puts them in force here.
pub async fn reload(state: &AppState) -> Result<(), StoreError> {
    let o = load(state).await?;
    let mut next = apply(state.configured(), &o);
    if let Some(rules) = load_comment_rules(state).await? {
        next.comments = rules;
    }
    state.store().set_timezone(next.timezone);
    state.replace_settings(next);
    Ok(())
}

/// Keeps the newsroom's values (a change every node follows) and puts them in force.
pub async fn save(state: &AppState, o: &SiteOverrides) -> Result<(), StoreError> {
    let json = serde_json::to_string(o)
        .map_err(|e| StoreError::Invalid(format!("cannot keep the settings: {e}")))?;
    // In force before the change is recorded: the moment it is, the page cache starts
    // a new generation, and nothing in it may carry the old settings.
    let mut next = apply(state.configured(), o);
    next.comments = state.settings().comments.clone();
    state.store().set_timezone(next.timezone);
    state.replace_settings(next);
    if let Err(e) = state.store().set_setting(KEY, &json).await {
        reload(state).await?;
        return Err(e);
    }
    Ok(())
}

/// Checks values an administrator typed; the error is a sentence for them.
pub fn check(o: &SiteOverrides) -> Result<(), String> {
    if let Some(t) = &o.title
        && (t.trim().is_empty() || t.chars().count() > 200)
    {
        return Err("The site's title must be between 1 and 200 characters.".into());
    }
    if o.tagline.as_ref().is_some_and(|t| t.chars().count() > 300) {
        return Err("The tagline is longer than 300 characters.".into());
    }
    if let Some(u) = &o.site_url {
        let rest = u
            .strip_prefix("https://")
            .or_else(|| u.strip_prefix("http://"));
        if rest.is_none_or(|r| r.is_empty() || r.contains(['/', '?', '#', ' ', '"'])) {
            return Err(format!(
                "The site's address \"{u}\" must be http:// or https:// and a host, without a path."
            ));
        }
    }
    if let Some(tz) = &o.timezone
        && tz.parse::<Tz>().is_err()
    {
        return Err(format!(
            "\"{tz}\" is not a timezone name such as Europe/London or America/New_York."
        ));
    }
    if let Some(l) = &o.language {
        let mut parts = l.split('-');
        let primary_ok = parts.next().is_some_and(|p| {
            (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase())
        });
        let rest_ok = parts
            .all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !primary_ok || !rest_ok {
            return Err(format!(
                "\"{l}\" is not a language tag such as en or en-GB."
            ));
        }
    }
    if o.per_page.is_some_and(|n| !(1..=100).contains(&n)) {
        return Err("Stories per page must be between 1 and 100.".into());
    }
    if o.feed_items.is_some_and(|n| !(1..=100).contains(&n)) {
        return Err("Stories per feed must be between 1 and 100.".into());
    }
    Ok(())
}
