//! An article's history in the newsroom: every save kept with who and when, a
//! word-level comparison of any two (a plain GET form, so it needs no JavaScript),
//! restoring one through [`crate::editorial`]'s save path (so permissions and the
//! workflow apply, and the restore is itself a revision), and the editor's autosave,
//! which keeps what is being typed without touching the article.

use super::articles::{FormView, load, local_display, one, pairs, status_label};
use super::{ClientIp, render, see_other, server_error};
use crate::AppState;
use crate::api::ApiError;
use crate::auth::SignedIn;
use crate::editorial::{self, ArticleFields, Target};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, body::Bytes};
use chrono::{DateTime, Utc};
use masthead_core::diff::{Run, diff_words};
use masthead_store::{Article, RevisionContent, RevisionEntry, RevisionKind};
use serde::Serialize;

/// One line of the history table.
#[derive(Serialize)]
struct HistoryRow {
    id: i64,
    /// "save by Edith, 15 Jun 2026, 12:00": names the row for screen readers.
    label: String,
    when: String,
    when_iso: String,
    who: String,
    kind: &'static str,
    version: i64,
    from_checked: bool,
    to_checked: bool,
    /// The article as it stands: nothing to restore.
    current: bool,
}

/// One field that differs between the compared revisions.
#[derive(Serialize)]
struct FieldChange {
    label: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
struct Comparison {
    from: String,
    to: String,
    changes: Vec<FieldChange>,
}

#[derive(Serialize)]
struct HistoryBody {
    id: i64,
    rows: Vec<HistoryRow>,
    comparison: Option<Comparison>,
}

fn kind_label(kind: RevisionKind) -> &'static str {
    match kind {
        RevisionKind::Save => "Saved",
        RevisionKind::Autosave => "Autosaved",
        RevisionKind::Restore => "Restored",
        RevisionKind::Refused => "Refused (the article had changed)",
    }
}

/// The kind as a noun, for "the autosave by Edith, …".
fn kind_noun(kind: RevisionKind) -> &'static str {
    match kind {
        RevisionKind::Save => "save",
        RevisionKind::Autosave => "autosave",
        RevisionKind::Restore => "restore",
        RevisionKind::Refused => "refused save",
    }
}

fn who_of(entry: &RevisionEntry) -> String {
    entry
        .user_name
        .clone()
        .unwrap_or_else(|| "Unknown".to_owned())
}

fn describe(entry: &RevisionEntry, state: &AppState) -> String {
    format!(
        "{} by {}, {}",
        kind_noun(entry.kind),
        who_of(entry),
        local_display(entry.created_at, state)
    )
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A revision's fields as text, in the order the comparison shows them: the words
/// first, then where and how the article appears.
fn field_texts(c: &RevisionContent, state: &AppState) -> Vec<(&'static str, String)> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let yes_no = |b: bool| if b { "Yes" } else { "No" }.to_owned();
    vec![
        ("Kicker", text(&c.kicker)),
        ("Headline", c.title.clone()),
        ("Standfirst", text(&c.dek)),
        ("Story", c.body_source.clone()),
        ("Excerpt", text(&c.editor_excerpt)),
        ("Body format", c.body_format.as_str().to_owned()),
        (
            "Slug",
            c.slug
                .clone()
                .unwrap_or_else(|| "(made from the headline)".to_owned()),
        ),
        ("Status", status_label(c.status).to_owned()),
        (
            "Publication time",
            c.published_at
                .map(|t| local_display(t, state))
                .unwrap_or_default(),
        ),
        ("Main section", c.section.clone()),
        ("Also in", c.other_sections.join(", ")),
        ("Tags", c.tags.join(", ")),
        ("Bylines", c.authors.join(", ")),
        ("Label", c.label.display().to_owned()),
        ("Dateline", text(&c.dateline)),
        ("Image address", text(&c.featured_image)),
        (
            "Library image",
            c.featured_media_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
        ),
        ("Alt text", text(&c.featured_image_alt)),
        ("Search title", text(&c.seo_title)),
        ("Search description", text(&c.seo_description)),
        ("Canonical address", text(&c.canonical_url)),
        ("Hidden from search engines", yes_no(c.noindex)),
        ("Featured on the front page", yes_no(c.featured)),
        ("Comments open", yes_no(c.comments_open)),
    ]
}

/// The fields that differ, each as a word-level diff.
fn changes(old: &RevisionContent, new: &RevisionContent, state: &AppState) -> Vec<FieldChange> {
    field_texts(old, state)
        .into_iter()
        .zip(field_texts(new, state))
        .filter(|((_, a), (_, b))| a != b)
        .map(|((label, a), (_, b))| FieldChange {
            label,
            runs: diff_words(&a, &b),
        })
        .collect()
}

/// A revision id from the query, if it names one of `entries`.
fn chosen<'a>(
    query: &[(String, String)],
    name: &str,
    entries: &'a [RevisionEntry],
) -> Option<&'a RevisionEntry> {
    let id = one(query, name)?.parse::<i64>().ok()?;
    entries.iter().find(|e| e.id == id)
}

/// Renders the history of `cur`, comparing the revisions `query` names (by default,
/// the newest with the one before it, unselected).
async fn history_page(
    state: &AppState,
    who: &SignedIn,
    cur: &Article,
    query: &[(String, String)],
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let id = cur.summary.id;
    let store = state.store();
    let entries = match store.revision_entries(id).await {
        Ok(e) => e,
        Err(e) => return server_error(&e),
    };
    let asked = (one(query, "from").is_some() || one(query, "to").is_some()).then(|| {
        (
            chosen(query, "from", &entries),
            chosen(query, "to", &entries),
        )
    });
    let (from, to, mut error, mut status) = match asked {
        Some((Some(from), Some(to))) => (Some(from), Some(to), error, status),
        Some(_) => (
            None,
            None,
            Some("Choose two revisions of this article to compare.".to_owned()),
            StatusCode::NOT_FOUND,
        ),
        None => (entries.get(1), entries.first(), error, status),
    };
    let mut comparison = None;
    if asked.is_some()
        && let (Some(from), Some(to)) = (from, to)
    {
        match (store.revision(from.id).await, store.revision(to.id).await) {
            (Ok(Some(old)), Ok(Some(new))) => {
                comparison = Some(Comparison {
                    from: describe(from, state),
                    to: describe(to, state),
                    changes: changes(&old.content, &new.content, state),
                });
            }
            (Err(e), _) | (_, Err(e)) => return server_error(&e),
            // Pruned between the two reads: say so rather than fail.
            _ => {
                error = Some("One of those revisions is no longer kept.".to_owned());
                status = StatusCode::NOT_FOUND;
            }
        }
    }
    // The article as it stands is the newest save or restore at its version.
    let current = entries
        .iter()
        .find(|e| matches!(e.kind, RevisionKind::Save | RevisionKind::Restore))
        .filter(|e| e.version == cur.version)
        .map(|e| e.id);
    let rows = entries
        .iter()
        .map(|e| HistoryRow {
            id: e.id,
            label: describe(e, state),
            when: local_display(e.created_at, state),
            when_iso: iso(e.created_at),
            who: who_of(e),
            kind: kind_label(e.kind),
            version: e.version,
            from_checked: from.is_some_and(|f| f.id == e.id),
            to_checked: to.is_some_and(|t| t.id == e.id),
            current: current == Some(e.id),
        })
        .collect();
    let title = if cur.summary.title.is_empty() {
        "Revisions".to_owned()
    } else {
        format!("Revisions of “{}”", cur.summary.title)
    };
    let body = HistoryBody {
        id,
        rows,
        comparison,
    };
    render(
        state,
        status,
        "revisions.html",
        &title,
        Some(who),
        None,
        error,
        &body,
    )
}

/// `GET /newsroom/articles/{id}/revisions[?from=&to=]`: the history, and a comparison.
pub(super) async fn history(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let cur = match load(&state, &who, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let query = pairs(raw.unwrap_or_default().as_bytes());
    history_page(&state, &who, &cur, &query, StatusCode::OK, None).await
}

/// A revision's content as the fields a save takes. The status, publication time and
/// slug stay as the article has them: restoring brings back words, not a withdrawal
/// or a new address. Sections are named by slug or (in older revisions) by name.
async fn restored_fields(state: &AppState, c: &RevisionContent) -> Result<ArticleFields, ApiError> {
    let sections = state.store().sections().await?;
    let slug_of = |given: &str| {
        sections
            .iter()
            .find(|s| s.slug == given || s.name == given)
            .map(|s| s.slug.clone())
    };
    Ok(ArticleFields {
        title: Some(c.title.clone()),
        kicker: Some(c.kicker.clone()),
        dek: Some(c.dek.clone()),
        body: Some(c.body_source.clone()),
        format: Some(c.body_format.as_str().to_owned()),
        excerpt: Some(c.editor_excerpt.clone()),
        section: slug_of(&c.section),
        sections: Some(c.other_sections.iter().filter_map(|s| slug_of(s)).collect()),
        tags: Some(c.tags.clone()),
        authors: Some(c.authors.clone()),
        featured: Some(c.featured),
        label: Some(c.label.as_str().to_owned()),
        comments_open: Some(c.comments_open),
        dateline: Some(c.dateline.clone()),
        seo_title: Some(c.seo_title.clone()),
        seo_description: Some(c.seo_description.clone()),
        canonical_url: Some(c.canonical_url.clone()),
        noindex: Some(c.noindex),
        featured_image: Some(c.featured_image.clone()),
        featured_image_alt: Some(c.featured_image_alt.clone()),
        featured_media: Some(c.featured_media_id),
        minor_edit: Some(false),
        bylines_by_name: true,
        restoring: true,
        ..ArticleFields::default()
    })
}

/// `POST /newsroom/articles/{id}/revisions/{rev}/restore`: saves the revision's content
/// over the article as it stands now, as a new version.
pub(super) async fn restore(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path((id, rev)): Path<(String, String)>,
) -> Response {
    let cur = match load(&state, &who, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let revision = match rev.parse::<i64>() {
        Ok(rev) => state.store().revision(rev).await,
        Err(_) => Ok(None),
    };
    let revision = match revision {
        Ok(Some(r)) if r.article_id == cur.summary.id => r,
        Ok(_) => {
            let error = Some("That revision is not this article's.".to_owned());
            return history_page(&state, &who, &cur, &[], StatusCode::NOT_FOUND, error).await;
        }
        Err(e) => return server_error(&e),
    };
    let saved = match restored_fields(&state, &revision.content).await {
        Ok(fields) => {
            let target = Target::Existing(&cur, Some(cur.version));
            editorial::save(&state, &who, target, fields).await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(id) => {
            super::audit(
                &state,
                Some(&who),
                &format!("restored revision {}", revision.id),
                &format!("article {id}"),
                &ip,
            )
            .await;
            see_other(&format!("/newsroom/articles/{id}/edit?done=restored"), None)
        }
        Err(e) => {
            let error = Some(e.message().to_owned());
            history_page(&state, &who, &cur, &[], e.status(), error).await
        }
    }
}

/// What the editor's script shows after an autosave.
#[derive(Serialize)]
struct Autosaved {
    revision: i64,
    message: String,
}

/// `POST /newsroom/articles/{id}/autosave`: the editor's form as it is being typed,
/// kept as an autosave revision. Answers JSON: the revision and a line to show, or
/// the usual error envelope.
pub(super) async fn autosave(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let cur = match load(&state, &who, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let typed = FormView::from_form(&pairs(&body));
    let kept = match typed.fields(&state, false) {
        Ok(fields) => editorial::autosave(&state, &who, &cur, fields).await,
        Err(e) => Err(e),
    };
    match kept {
        Ok(revision) => {
            let at = revision
                .created_at
                .with_timezone(&state.settings().timezone)
                .format("%H:%M");
            Json(Autosaved {
                revision: revision.id,
                message: format!("Draft autosaved at {at}"),
            })
            .into_response()
        }
        Err(e) => e.into_response(),
    }
}
