//! Work that happens at a time rather than on a request: publishing scheduled articles
//! and taking down an expired breaking-news banner.
//! Each node runs the scheduler; the store makes sure each article is published once.

use crate::AppState;
use std::time::Duration;

/// Publishes what has come due now; logs what it did.
pub async fn publish_due(state: &AppState) -> Result<Vec<i64>, masthead_store::StoreError> {
    let ids = state.store().publish_due().await?;
    if !ids.is_empty() {
        tracing::info!("published {} scheduled article(s): {ids:?}", ids.len());
    }
    Ok(ids)
}

/// The scheduler task: publishes each article at its time, without waiting for a reader.
/// It sleeps until the next article is due (by the site's clock), at most
/// `schedule_poll`, and wakes early when this node saves an article.
pub fn spawn_scheduler(state: &AppState) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        let poll = state.settings().schedule_poll;
        loop {
            let wait = match publish_due(&state).await {
                Err(e) => {
                    tracing::warn!("the scheduler cannot read the schedule: {e}");
                    poll
                }
                Ok(_) => {
                    // The next thing due: an article, or the banner's expiry.
                    let next = match (
                        state.store().next_scheduled().await,
                        crate::front::take_down_expired_banner(&state).await,
                    ) {
                        (Ok(a), Ok(b)) => a.into_iter().chain(b).min(),
                        (Err(e), _) | (_, Err(e)) => {
                            tracing::warn!("the scheduler cannot read the schedule: {e}");
                            None
                        }
                    };
                    match next {
                        Some(at) => (at - state.now())
                            .to_std()
                            .unwrap_or(Duration::ZERO)
                            .clamp(Duration::from_millis(10), poll),
                        None => poll,
                    }
                }
            };
            let wake = state.0.schedule_wake.notified();
            let _ = tokio::time::timeout(wait, wake).await;
        }
    })
}

/// Comment housekeeping: spam older than its keeping period is purged (it waited in
/// the spam queue, visible to moderators, all that time), and client addresses older
/// than the anonymising period are forgotten. Returns (purged, anonymised).
pub async fn comment_housekeeping(
    state: &AppState,
) -> Result<(u64, u64), masthead_store::StoreError> {
    let rules = state.settings().comments.clone();
    let now = state.now();
    let purged = state
        .store()
        .purge_spam(now - chrono::Duration::days(i64::from(rules.spam_keep_days)))
        .await?;
    let anonymised = state
        .store()
        .anonymise_comment_addresses(
            now - chrono::Duration::days(i64::from(rules.anonymise_ip_days)),
        )
        .await?;
    if purged + anonymised > 0 {
        tracing::info!(
            "comment housekeeping: {purged} old spam comment(s) purged, {anonymised} address(es) anonymised"
        );
    }
    Ok((purged, anonymised))
}

/// Everything else that outlives its use: expired sessions and one-time links,
/// sign-in failures past the slow-down window, autosaves past their keeping period,
/// audit entries past the retention period. Nothing here is a content change.
pub async fn account_housekeeping(
    state: &AppState,
) -> Result<(masthead_store::ExpiredAccountData, u64), masthead_store::StoreError> {
    let settings = state.settings();
    let now = state.now();
    let expired = state
        .store()
        .expire_account_data(
            now,
            now - settings.sign_in_window,
            settings.audit_retention.map(|keep| now - keep),
        )
        .await?;
    let autosaves = state
        .store()
        .prune_old_autosaves(now - settings.autosave_max_age)
        .await?;
    if expired != masthead_store::ExpiredAccountData::default() || autosaves > 0 {
        tracing::info!(
            "housekeeping: {} expired session(s), {} expired link(s), {} old sign-in failure(s), {} audit entr(ies) past retention, {autosaves} old autosave(s) removed",
            expired.sessions,
            expired.links,
            expired.sign_in_failures,
            expired.audit_entries
        );
    }
    Ok((expired, autosaves))
}

/// Runs both housekeepings now and then every `housekeeping_every`.
pub fn spawn_housekeeping(state: &AppState) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        let every = state.settings().housekeeping_every;
        // Zero turns it off: for a test that runs housekeeping itself and counts what
        // that run removed.
        if every.is_zero() {
            return;
        }
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = comment_housekeeping(&state).await {
                tracing::warn!("comment housekeeping failed: {e}");
            }
            if let Err(e) = account_housekeeping(&state).await {
                tracing::warn!("housekeeping failed: {e}");
            }
        }
    })
}
