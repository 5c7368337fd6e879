//! The curated front page, kept as one JSON setting: read for every page's frame (the
//! banner) and the home page, written by editors in the newsroom, and its banner taken
//! down by the scheduler when it expires, so cached pages never show a stale one.

use crate::AppState;
use masthead_core::front::FrontPage;
use masthead_store::StoreError;

const KEY: &str = "front_page";

/// The front page as editors left it (the default when never set or unreadable).
pub async fn load(state: &AppState) -> Result<FrontPage, StoreError> {
    Ok(match state.store().setting(KEY).await? {
        Some(json) => serde_json::from_str(&json).unwrap_or_else(|e| {
            tracing::warn!("the stored front page is unreadable ({e}); using the default");
            FrontPage::default()
        }),
        None => FrontPage::default(),
    })
}

/// Keeps a front page (a change every node's cache follows).
pub async fn save(state: &AppState, front: &FrontPage) -> Result<(), StoreError> {
    let json = serde_json::to_string(front)
        .map_err(|e| StoreError::Invalid(format!("cannot keep the front page: {e}")))?;
    state.store().set_setting(KEY, &json).await
}

/// Takes an expired banner down; returns when the live one expires, if there is one.
pub async fn take_down_expired_banner(
    state: &AppState,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
    let front = load(state).await?;
    let now = state.now();
    if let Some(updated) = front.without_expired_banner(now) {
        save(state, &updated).await?;
        tracing::info!("the breaking-news banner expired and was taken down");
        return Ok(None);
    }
    Ok(front.live_banner(now).map(|b| b.expires_at))
}
