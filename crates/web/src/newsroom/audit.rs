//! The audit log page, with its filters.

use super::{encode_query, page, server_error};
use crate::AppState;
use crate::auth::SignedIn;
use crate::views::DateView;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use masthead_store::AuditFilter;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Default)]
pub(super) struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    page: Option<u32>,
}

#[derive(Serialize)]
struct AuditRow {
    at: DateView,
    actor: String,
    action: String,
    target: String,
    detail: String,
    client_ip: String,
}

#[derive(Serialize)]
struct AuditBody {
    entries: Vec<AuditRow>,
    actions: &'static [&'static str],
    filter_action: String,
    filter_actor: String,
    more: Option<String>,
}

/// The actions the newsroom records, for the filter.
const AUDIT_ACTIONS: &[&str] = &[
    "signed in",
    "sign-in failed",
    "signed out",
    "signed out everywhere",
    "changed own password",
    "created administrator (setup link)",
    "created account",
    "changed password",
    "disabled account",
    "enabled account",
    "created token",
    "invited",
    "accepted invitation",
    "sent password reset",
    "asked for a password reset",
    "reset password by link",
    "used write token",
    "revoked token",
    "changed role",
    "turned on two-factor",
    "turned off two-factor",
    "second factor failed",
    "changed setting",
];

pub(super) async fn audit_log(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Query(q): Query<AuditQuery>,
) -> Response {
    const PER_PAGE: i64 = 50;
    let page_no = i64::from(q.page.unwrap_or(1).clamp(1, 10_000));
    let filter = AuditFilter {
        action: (!q.action.is_empty()).then(|| q.action.clone()),
        actor: (!q.actor.trim().is_empty()).then(|| q.actor.trim().to_lowercase()),
    };
    let entries = match state
        .store()
        .audit_entries(&filter, PER_PAGE + 1, (page_no - 1) * PER_PAGE)
        .await
    {
        Ok(e) => e,
        Err(e) => return server_error(&e),
    };
    let tz = state.settings();
    let tz = &*tz;
    let more = (entries.len() as i64 > PER_PAGE).then(|| {
        format!(
            "/newsroom/audit?action={}&actor={}&page={}",
            encode_query(&q.action),
            encode_query(&q.actor),
            page_no + 1
        )
    });
    let body = AuditBody {
        entries: entries
            .into_iter()
            .take(PER_PAGE as usize)
            .map(|e| AuditRow {
                at: DateView::new(e.at, tz),
                actor: e.actor,
                action: e.action,
                target: e.target,
                detail: e.detail,
                client_ip: e.client_ip,
            })
            .collect(),
        actions: AUDIT_ACTIONS,
        filter_action: q.action,
        filter_actor: q.actor,
        more,
    };
    page(
        &state,
        StatusCode::OK,
        "audit.html",
        "Audit log",
        Some(&who),
        &body,
    )
}
