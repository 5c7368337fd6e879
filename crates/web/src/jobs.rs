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
