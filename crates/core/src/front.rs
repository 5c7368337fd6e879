//! The front page as editors curate it: the lead story, the featured stories in order,
//! which section blocks appear in which order, and a breaking-news banner that takes
//! itself down at its expiry time. Stored as one JSON setting.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The most featured stories the front page shows.
pub const MAX_FEATURED: usize = 6;
/// The longest banner text.
pub const MAX_BANNER_CHARS: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FrontPage {
    /// The lead story; `None`: the newest featured story (or the newest story).
    pub lead: Option<i64>,
    /// Featured stories in the order shown; empty: the stories marked featured.
    pub featured: Vec<i64>,
    /// Section blocks (section slugs) in the order shown; empty: the site's section order.
    pub sections: Vec<String>,
    pub banner: Option<Banner>,
}

/// A breaking-news banner across the top of every page until it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Banner {
    pub text: String,
    /// Where it links (a path on the site or an http(s) address), if anywhere.
    pub url: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// Why a front page was refused, in words for the editor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontPageProblem {
    #[error("Choose at most {MAX_FEATURED} featured stories.")]
    TooManyFeatured,
    #[error("The banner needs its text.")]
    EmptyBanner,
    #[error("The banner text is longer than {MAX_BANNER_CHARS} characters.")]
    LongBanner,
    #[error("The banner's link must be a path on this site or a full http(s) address.")]
    BadBannerLink,
    #[error("The banner's expiry time has already passed.")]
    BannerExpired,
}

impl FrontPage {
    /// Checks a front page an editor submitted at `now`.
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), FrontPageProblem> {
        if self.featured.len() > MAX_FEATURED {
            return Err(FrontPageProblem::TooManyFeatured);
        }
        if let Some(b) = &self.banner {
            if b.text.trim().is_empty() {
                return Err(FrontPageProblem::EmptyBanner);
            }
            if b.text.chars().count() > MAX_BANNER_CHARS {
                return Err(FrontPageProblem::LongBanner);
            }
            if let Some(u) = &b.url {
                let local = u.starts_with('/') && !u.starts_with("//");
                let web = ["https://", "http://"]
                    .iter()
                    .any(|p| u.strip_prefix(p).is_some_and(|rest| !rest.is_empty()));
                if !(local || web) || u.chars().any(|c| c.is_whitespace() || c == '"') {
                    return Err(FrontPageProblem::BadBannerLink);
                }
            }
            if b.expires_at <= now {
                return Err(FrontPageProblem::BannerExpired);
            }
        }
        Ok(())
    }

    /// The banner, if it is still up at `now`.
    pub fn live_banner(&self, now: DateTime<Utc>) -> Option<&Banner> {
        self.banner.as_ref().filter(|b| b.expires_at > now)
    }

    /// This front page with an expired banner taken down; `None` when nothing changes.
    pub fn without_expired_banner(&self, now: DateTime<Utc>) -> Option<Self> {
        match &self.banner {
            Some(b) if b.expires_at <= now => Some(Self {
                banner: None,
                ..self.clone()
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn now() -> DateTime<Utc> {
        "2026-11-28T12:00:00Z".parse().expect("a time")
    }

    fn banner(text: &str, url: Option<&str>, minutes: i64) -> FrontPage {
        FrontPage {
            banner: Some(Banner {
                text: text.into(),
                url: url.map(Into::into),
                expires_at: now() + Duration::minutes(minutes),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn front_pages_are_checked_before_they_are_kept() {
        assert_eq!(FrontPage::default().check(now()), Ok(()));
        let many = FrontPage {
            featured: (1..=7).collect(),
            ..Default::default()
        };
        assert_eq!(many.check(now()), Err(FrontPageProblem::TooManyFeatured));
        assert_eq!(
            banner("Storm warning", Some("/storm/"), 60).check(now()),
            Ok(())
        );
        assert_eq!(
            banner("Storm", Some("https://met.example/x"), 60).check(now()),
            Ok(())
        );
        assert_eq!(
            banner("  ", None, 60).check(now()),
            Err(FrontPageProblem::EmptyBanner)
        );
        assert_eq!(
            banner(&"x".repeat(201), None, 60).check(now()),
            Err(FrontPageProblem::LongBanner)
        );
        for bad in ["javascript:alert(1)", "//evil.example", "https://", "/a b"] {
            assert_eq!(
                banner("Storm", Some(bad), 60).check(now()),
                Err(FrontPageProblem::BadBannerLink),
                "{bad}"
            );
        }
        assert_eq!(
            banner("Storm", None, 0).check(now()),
            Err(FrontPageProblem::BannerExpired)
        );
    }

    #[test]
    fn a_banner_comes_down_at_its_expiry() {
        let f = banner("Storm", None, 30);
        assert!(f.live_banner(now()).is_some());
        assert!(f.without_expired_banner(now()).is_none());
        let later = now() + Duration::minutes(30);
        assert!(f.live_banner(later).is_none());
        assert_eq!(
            f.without_expired_banner(later).map(|f| f.banner),
            Some(None)
        );
    }
}
