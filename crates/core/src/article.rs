//! What an article is: its lifecycle statuses and the formats its body may be written in.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where an article is in its life. Only `Published` is ever visible to the public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    Draft,
    Pending,
    Scheduled,
    Published,
    Private,
    Trash,
}

impl ArticleStatus {
    pub const ALL: [ArticleStatus; 6] = [
        Self::Draft,
        Self::Pending,
        Self::Scheduled,
        Self::Published,
        Self::Private,
        Self::Trash,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Pending => "pending",
            Self::Scheduled => "scheduled",
            Self::Published => "published",
            Self::Private => "private",
            Self::Trash => "trash",
        }
    }
}

impl fmt::Display for ArticleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

impl FromStr for ArticleStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownValue {
                kind: "status",
                value: s.to_owned(),
            })
    }
}

/// The language an article's body is written in. Imports keep what they bring; the
/// editor writes Markdown; all three render through the same sanitiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BodyFormat {
    #[default]
    Markdown,
    Html,
    Text,
}

impl BodyFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Markdown => "markdown",
            Self::Html => "html",
            Self::Text => "text",
        }
    }
}

impl FromStr for BodyFormat {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "markdown" | "md" => Ok(Self::Markdown),
            "html" => Ok(Self::Html),
            "text" | "plain" => Ok(Self::Text),
            _ => Err(UnknownValue {
                kind: "body format",
                value: s.to_owned(),
            }),
        }
    }
}

/// What kind of journalism an article is, shown on its page and in its JSON-LD so
/// readers can tell reporting from opinion. Sponsored content is always disclosed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ArticleLabel {
    #[default]
    News,
    Opinion,
    Analysis,
    Sponsored,
}

impl ArticleLabel {
    pub const ALL: [ArticleLabel; 4] = [Self::News, Self::Opinion, Self::Analysis, Self::Sponsored];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::News => "news",
            Self::Opinion => "opinion",
            Self::Analysis => "analysis",
            Self::Sponsored => "sponsored",
        }
    }

    /// The word readers see.
    pub fn display(self) -> &'static str {
        match self {
            Self::News => "News",
            Self::Opinion => "Opinion",
            Self::Analysis => "Analysis",
            Self::Sponsored => "Sponsored",
        }
    }
}

impl FromStr for ArticleLabel {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownValue {
                kind: "label (news, opinion, analysis or sponsored)",
                value: s.to_owned(),
            })
    }
}

/// A note appended to a published article: a correction admits a mistake; an update
/// adds what happened since.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionKind {
    Correction,
    Update,
}

impl CorrectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Correction => "correction",
            Self::Update => "update",
        }
    }

    /// The word that starts the note on the page ("Correction, 28 November 2026: …").
    pub fn display(self) -> &'static str {
        match self {
            Self::Correction => "Correction",
            Self::Update => "Update",
        }
    }
}

impl FromStr for CorrectionKind {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "correction" => Ok(Self::Correction),
            "update" => Ok(Self::Update),
            _ => Err(UnknownValue {
                kind: "note kind (correction or update)",
                value: s.to_owned(),
            }),
        }
    }
}

/// The date that goes in an article's URL: the site-local calendar date of its first
/// publication. Computed once, stored, and never recomputed, so changing the site's
/// timezone later moves no URL.
pub fn url_date(first_published: DateTime<Utc>, site_tz: Tz) -> NaiveDate {
    first_published.with_timezone(&site_tz).date_naive()
}

/// The public path of an article.
pub fn article_path(date: NaiveDate, slug: &str) -> String {
    format!("/{}/{slug}/", date.format("%Y/%m/%d"))
}

/// Whether the public may see an article with this status and publication time.
pub fn is_public(
    status: ArticleStatus,
    published_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    status == ArticleStatus::Published && published_at.is_some_and(|t| t <= now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn status_round_trips_through_its_name() {
        for st in ArticleStatus::ALL {
            assert_eq!(st.as_str().parse::<ArticleStatus>(), Ok(st));
        }
        assert!("live".parse::<ArticleStatus>().is_err());
    }

    #[test]
    fn url_date_is_the_site_local_date() {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 23, 30, 0).unwrap();
        assert_eq!(url_date(t, chrono_tz::UTC).to_string(), "2026-03-01");
        assert_eq!(
            url_date(t, chrono_tz::Europe::Berlin).to_string(),
            "2026-03-02"
        );
        assert_eq!(
            url_date(t, chrono_tz::America::New_York).to_string(),
            "2026-03-01"
        );
    }

    #[test]
    fn article_path_has_zero_padded_date() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(article_path(d, "cafe-muller"), "/2026/03/02/cafe-muller/");
    }

    #[test]
    fn only_published_and_due_articles_are_public() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let past = Some(now - chrono::Duration::hours(1));
        let future = Some(now + chrono::Duration::hours(1));
        assert!(is_public(ArticleStatus::Published, past, now));
        assert!(!is_public(ArticleStatus::Published, future, now));
        assert!(!is_public(ArticleStatus::Published, None, now));
        for st in ArticleStatus::ALL
            .into_iter()
            .filter(|s| *s != ArticleStatus::Published)
        {
            assert!(!is_public(st, past, now), "{st} must not be public");
        }
    }
}
