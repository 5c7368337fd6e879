//! An article's journey from draft to publication: who may move it where, what a
//! requested status means at a given moment, and how a time typed in the site's
//! timezone becomes an instant when the clocks change.

use crate::access::{Capability, Role};
use crate::article::ArticleStatus;
use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Who is saving, and whether the article is theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    /// The article was created by this account (always true when creating).
    pub owns: bool,
}

/// Why a save was refused, in words for the person saving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("You can only change your own articles.")]
    NotYours,
    #[error("This article has been published; only its author or an editor can change it now.")]
    PublishedLocked,
    #[error("You cannot publish or schedule articles; submit it for review instead.")]
    CannotPublish,
    #[error("You cannot move articles to the trash.")]
    CannotTrash,
    #[error("A scheduled article needs a publication time.")]
    ScheduleNeedsTime,
}

/// Whether `actor` may save an article that is now `from` (`None`: a new one) with the
/// status `to`. WordPress's rules: contributors write and submit drafts; authors also
/// publish, edit and trash their own; editors and administrators do anything.
pub fn may_save(
    actor: Actor,
    from: Option<ArticleStatus>,
    to: ArticleStatus,
) -> Result<(), Refusal> {
    let role = actor.role;
    let anyones = role.can(Capability::EditOthers);
    if from.is_some() && !actor.owns && !anyones {
        return Err(Refusal::NotYours);
    }
    let was_public = matches!(
        from,
        Some(ArticleStatus::Published | ArticleStatus::Scheduled | ArticleStatus::Private)
    );
    if was_public && !anyones && !role.can(Capability::EditOwnPublished) {
        return Err(Refusal::PublishedLocked);
    }
    match to {
        ArticleStatus::Published | ArticleStatus::Scheduled | ArticleStatus::Private
            if !anyones && !role.can(Capability::PublishOwn) =>
        {
            Err(Refusal::CannotPublish)
        }
        ArticleStatus::Trash if !anyones && !role.can(Capability::TrashOwn) => {
            Err(Refusal::CannotTrash)
        }
        _ => Ok(()),
    }
}

/// What a requested status and publication time mean at `now`: "published" with a time
/// still to come is a schedule, a schedule whose time has passed is a publication, and
/// publishing without a time publishes now. Other statuses keep the time as given.
pub fn resolve_status(
    requested: ArticleStatus,
    published_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(ArticleStatus, Option<DateTime<Utc>>), Refusal> {
    use ArticleStatus::*;
    Ok(match (requested, published_at) {
        (Published, None) => (Published, Some(now)),
        (Published, Some(t)) if t > now => (Scheduled, Some(t)),
        (Scheduled, None) => return Err(Refusal::ScheduleNeedsTime),
        (Scheduled, Some(t)) if t <= now => (Published, Some(t)),
        (status, t) => (status, t),
    })
}

/// The instant a wall-clock time in `tz` names. When the clocks go forward the skipped
/// times are read with the offset in force before the change (01:30 on the spring-forward
/// night in London is 02:30 BST: moved forward by the gap, as calendars do); when they go
/// back, a time that happens twice means its first occurrence.
pub fn local_to_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Step back to a time that exists and take the offset it had. Gaps are at
            // most a day long (Samoa, 2011), so this ends within 25 steps.
            let mut probe = local;
            for _ in 0..25 {
                probe -= Duration::hours(1);
                if let Some(before) = tz.from_local_datetime(&probe).latest() {
                    let offset = chrono::Offset::fix(before.offset());
                    return (local - offset).and_utc();
                }
            }
            local.and_utc()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArticleStatus::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("a time")
    }

    #[test]
    fn each_role_moves_articles_as_wordpress_does() {
        let c = Actor {
            role: Role::Contributor,
            owns: true,
        };
        assert_eq!(may_save(c, None, Draft), Ok(()));
        assert_eq!(may_save(c, Some(Draft), Pending), Ok(()));
        assert_eq!(may_save(c, Some(Pending), Pending), Ok(()));
        assert_eq!(
            may_save(c, Some(Pending), Published),
            Err(Refusal::CannotPublish)
        );
        assert_eq!(may_save(c, None, Scheduled), Err(Refusal::CannotPublish));
        assert_eq!(may_save(c, Some(Draft), Trash), Err(Refusal::CannotTrash));
        assert_eq!(
            may_save(c, Some(Published), Published),
            Err(Refusal::PublishedLocked)
        );
        let stranger = Actor {
            role: Role::Contributor,
            owns: false,
        };
        assert_eq!(
            may_save(stranger, Some(Draft), Draft),
            Err(Refusal::NotYours)
        );

        let a = Actor {
            role: Role::Author,
            owns: true,
        };
        assert_eq!(may_save(a, Some(Draft), Published), Ok(()));
        assert_eq!(may_save(a, Some(Published), Draft), Ok(()));
        assert_eq!(may_save(a, Some(Published), Trash), Ok(()));
        let other = Actor {
            role: Role::Author,
            owns: false,
        };
        assert_eq!(
            may_save(other, Some(Published), Published),
            Err(Refusal::NotYours)
        );

        for role in [Role::Editor, Role::Administrator] {
            let e = Actor { role, owns: false };
            for from in ArticleStatus::ALL {
                for to in ArticleStatus::ALL {
                    assert_eq!(may_save(e, Some(from), to), Ok(()), "{role} {from}→{to}");
                }
            }
        }
    }

    #[test]
    fn a_future_publication_is_a_schedule_and_a_past_schedule_a_publication() {
        let now = at("2026-11-28T12:00:00Z");
        let later = at("2026-11-28T13:00:00Z");
        let earlier = at("2026-11-28T11:00:00Z");
        assert_eq!(
            resolve_status(Published, None, now),
            Ok((Published, Some(now)))
        );
        assert_eq!(
            resolve_status(Published, Some(later), now),
            Ok((Scheduled, Some(later)))
        );
        assert_eq!(
            resolve_status(Published, Some(earlier), now),
            Ok((Published, Some(earlier)))
        );
        assert_eq!(
            resolve_status(Scheduled, Some(later), now),
            Ok((Scheduled, Some(later)))
        );
        assert_eq!(
            resolve_status(Scheduled, Some(now), now),
            Ok((Published, Some(now)))
        );
        assert_eq!(
            resolve_status(Scheduled, None, now),
            Err(Refusal::ScheduleNeedsTime)
        );
        assert_eq!(
            resolve_status(Draft, Some(later), now),
            Ok((Draft, Some(later)))
        );
    }

    #[test]
    fn times_that_do_not_exist_move_forward_and_doubled_times_mean_the_first() {
        let london: Tz = "Europe/London".parse().expect("a zone");
        let local = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("a time");
        // An ordinary winter and summer time.
        assert_eq!(
            local_to_utc(local("2026-01-10 09:00"), london),
            at("2026-01-10T09:00:00Z")
        );
        assert_eq!(
            local_to_utc(local("2026-07-10 09:00"), london),
            at("2026-07-10T08:00:00Z")
        );
        // 29 March 2026: 01:00 GMT becomes 02:00 BST, so 01:30 never happens.
        assert_eq!(
            local_to_utc(local("2026-03-29 01:30"), london),
            at("2026-03-29T01:30:00Z")
        );
        assert_eq!(
            local_to_utc(local("2026-03-29 02:00"), london),
            at("2026-03-29T01:00:00Z")
        );
        // 25 October 2026: 01:30 happens in BST and again in GMT; the first is meant.
        assert_eq!(
            local_to_utc(local("2026-10-25 01:30"), london),
            at("2026-10-25T00:30:00Z")
        );
        // Samoa skipped 30 December 2011 entirely.
        let apia: Tz = "Pacific/Apia".parse().expect("a zone");
        let skipped = local_to_utc(local("2011-12-30 12:00"), apia);
        assert_eq!(skipped, at("2011-12-30T22:00:00Z"));
    }
}
