//! Mail about comments: the article's owner hears of new comments, moderators of
//! comments waiting for them. When comments arrive in a burst, each person gets one
//! digest instead of a message per comment: the first comment after a quiet spell goes
//! out at once, and anything after it waits out the digest delay to travel together.

use crate::AppState;
use crate::views::article_url;
use chrono::{DateTime, Utc};
use masthead_core::Role;
use masthead_core::comment::CommentStatus;
use masthead_store::{Article, CommentNotice, StoreError};
use serde::Serialize;
use std::collections::HashMap;

/// Queues notices about a newly kept comment and wakes the sender. A failure here
/// must not lose the comment, so it is logged, not returned.
pub(crate) async fn notify(
    state: &AppState,
    article: &Article,
    comment_id: i64,
    status: CommentStatus,
) {
    let result = async {
        let (reason, recipients): (&str, Vec<i64>) = match status {
            CommentStatus::Approved => ("new", article.owner_id.into_iter().collect()),
            CommentStatus::Held => (
                "held",
                state
                    .store()
                    .users()
                    .await?
                    .into_iter()
                    .filter(|u| !u.disabled && matches!(u.role, Role::Administrator | Role::Editor))
                    .map(|u| u.id)
                    .collect(),
            ),
            CommentStatus::Spam | CommentStatus::Trash => ("", Vec::new()),
        };
        state
            .store()
            .queue_comment_notices(comment_id, &recipients, reason)
            .await
    }
    .await;
    match result {
        Ok(()) => state.0.comment_mail_wake.notify_one(),
        Err(e) => tracing::warn!("cannot queue mail about comment {comment_id}: {e}"),
    }
}

#[derive(Serialize)]
struct Item {
    article: String,
    url: String,
    author: String,
    excerpt: String,
    held: bool,
}

/// Sends what is due: for each person, everything waiting, unless they had mail less
/// than the digest delay ago (then it waits, and goes as one digest). Returns when the
/// next batch falls due, if anything is still waiting.
pub async fn send_due(state: &AppState) -> Result<Option<DateTime<Utc>>, StoreError> {
    let now = state.now();
    let delay = chrono::Duration::from_std(state.settings().comment_digest_delay)
        .unwrap_or(chrono::Duration::minutes(10));
    let pending = state.store().pending_comment_notices().await?;
    let mut by_user: HashMap<i64, Vec<CommentNotice>> = HashMap::new();
    for n in pending {
        by_user.entry(n.user_id).or_default().push(n);
    }
    let mut next_due: Option<DateTime<Utc>> = None;
    for (user_id, notices) in by_user {
        let last = state
            .0
            .comment_mail_sent
            .lock()
            .ok()
            .and_then(|m| m.get(&user_id).copied());
        if let Some(last) = last
            && now < last + delay
        {
            let due = last + delay;
            next_due = Some(next_due.map_or(due, |d| d.min(due)));
            continue;
        }
        let ids: Vec<i64> = notices.iter().map(|n| n.id).collect();
        if let Some(user) = state.store().user(user_id).await?
            && !user.disabled
        {
            let mut items = Vec::new();
            for n in &notices {
                let Some(c) = state.store().comment(n.comment_id).await? else {
                    continue;
                };
                let Some(a) = state.store().article(c.article_id).await? else {
                    continue;
                };
                items.push(Item {
                    article: a.summary.title.clone(),
                    url: format!(
                        "{}{}#comment-{}",
                        state.settings().site_url.trim_end_matches('/'),
                        article_url(&a.summary),
                        c.id
                    ),
                    author: masthead_render::comment::clean_display(&c.author_name),
                    excerpt: c.body.chars().take(300).collect(),
                    held: n.reason == "held",
                });
            }
            if !items.is_empty() {
                #[derive(Serialize)]
                struct Ctx {
                    name: String,
                    count: usize,
                    held: usize,
                    items: Vec<Item>,
                    queue: String,
                }
                let ctx = Ctx {
                    name: user.name.clone(),
                    count: items.len(),
                    held: items.iter().filter(|i| i.held).count(),
                    items,
                    queue: format!(
                        "{}/newsroom/comments?status=held",
                        state.settings().site_url.trim_end_matches('/')
                    ),
                };
                match crate::mail::compose(state, "comments", &user.email, &ctx) {
                    Ok(mail) => {
                        crate::mail::send_later(state, &mail).await?;
                    }
                    Err(e) => tracing::error!("cannot compose mail about comments: {e}"),
                }
                if let Ok(mut m) = state.0.comment_mail_sent.lock() {
                    m.insert(user_id, now);
                }
            }
        }
        state.store().clear_comment_notices(&ids).await?;
    }
    Ok(next_due)
}

/// Runs the comment-mail sender until the process ends.
pub fn spawn_sender(state: &AppState) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            let wait = match send_due(&state).await {
                Ok(Some(due)) => (due - state.now())
                    .to_std()
                    .unwrap_or_default()
                    .max(std::time::Duration::from_millis(50)),
                Ok(None) => std::time::Duration::from_secs(60),
                Err(e) => {
                    tracing::warn!("cannot send mail about comments: {e}");
                    std::time::Duration::from_secs(30)
                }
            };
            tokio::select! {
                () = state.0.comment_mail_wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    })
}
