//! The newsroom's articles: the "Articles" screen (filters, title search, sorting,
//! paging, queues, bulk actions) and the editor (every field, a preview that needs no
//! JavaScript, saving against the version it started from, corrections). Saving goes
//! through [`crate::editorial`], the same path as the API.

use super::{ClientIp, NoticeQuery, notice_for, plain, render, see_other, server_error};
use crate::AppState;
use crate::api::ApiError;
use crate::auth::SignedIn;
use crate::editorial::{self, ArticleFields, Target, may_open};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use masthead_core::access::Capability;
use masthead_core::paging::{PageRequest, page_count};
use masthead_core::workflow::local_to_utc;
use masthead_core::{ArticleLabel, ArticleStatus, BodyFormat, CorrectionKind};
use masthead_store::{Article, ArticleSummary, WorkFilter, WorkSort};
use serde::Serialize;

const PER_PAGE: u32 = 50;

/// A form's fields as (name, value) pairs: several values may share a name.
pub(super) fn pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub(super) fn one<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn all<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Terms' names as the form shows them: "Trams, Planning".
fn names(terms: &[masthead_store::Term]) -> String {
    terms
        .iter()
        .map(|t| t.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A comma-separated list, trimmed, without empties.
fn list(v: Option<&str>) -> Vec<String> {
    v.unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

// ------------------------------------------------------------------ the Articles screen

#[derive(Serialize)]
struct Row {
    id: i64,
    title: String,
    status: &'static str,
    section: String,
    bylines: String,
    date: String,
    updated: String,
    url: Option<String>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct Queue {
    label: &'static str,
    url: String,
    count: i64,
    current: bool,
}

#[derive(Serialize)]
struct ListBody {
    rows: Vec<Row>,
    total: i64,
    page: u32,
    pages: u32,
    prev: Option<String>,
    next: Option<String>,
    queues: Vec<Queue>,
    statuses: Vec<Choice>,
    sections: Vec<Choice>,
    sorts: Vec<Choice>,
    q: String,
    tag: String,
    author: String,
    from: String,
    to: String,
    bulk_actions: Vec<Choice>,
    can_publish: bool,
}

pub(super) fn status_label(s: ArticleStatus) -> &'static str {
    match s {
        ArticleStatus::Draft => "Draft",
        ArticleStatus::Pending => "Pending review",
        ArticleStatus::Scheduled => "Scheduled",
        ArticleStatus::Published => "Published",
        ArticleStatus::Private => "Private",
        ArticleStatus::Trash => "Trash",
    }
}

pub(super) fn local_display(t: DateTime<Utc>, state: &AppState) -> String {
    t.with_timezone(&state.settings().timezone)
        .format("%-d %b %Y, %H:%M")
        .to_string()
}

fn row(a: &ArticleSummary, state: &AppState) -> Row {
    Row {
        id: a.id,
        title: if a.title.is_empty() {
            "(no title)".to_owned()
        } else {
            a.title.clone()
        },
        status: status_label(a.status),
        section: a.section.name.clone(),
        bylines: names(&a.authors),
        date: a
            .published_at
            .map(|t| local_display(t, state))
            .unwrap_or_default(),
        updated: local_display(a.updated_at, state),
        url: (a.status == ArticleStatus::Published)
            .then(|| a.path())
            .flatten(),
    }
}

/// The day a `YYYY-MM-DD` names, starting at midnight in the site's timezone.
fn local_day(v: &str, state: &AppState) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok()?;
    Some(local_to_utc(
        d.and_hms_opt(0, 0, 0)?,
        state.settings().timezone,
    ))
}

pub(super) async fn list_articles(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = pairs(raw.unwrap_or_default().as_bytes());
    let store = state.store();
    let mine_only = !who.role().can(Capability::EditOthers);
    let owner = mine_only.then_some(who.user.id);
    let status = one(&q, "status").and_then(|s| s.parse::<ArticleStatus>().ok());
    let sort = match one(&q, "sort") {
        Some("date") => WorkSort::Date,
        Some("title") => WorkSort::Title,
        _ => WorkSort::Updated,
    };
    let sections = match store.sections().await {
        Ok(s) => s,
        Err(e) => return server_error(&e),
    };
    let section = one(&q, "section").and_then(|slug| sections.iter().find(|s| s.slug == slug));
    let from_text = one(&q, "from").unwrap_or_default().to_owned();
    let to_text = one(&q, "to").unwrap_or_default().to_owned();
    let mut filter = WorkFilter {
        status,
        owner_id: owner,
        section_id: section.map(|s| s.id),
        from: local_day(&from_text, &state),
        // "To" is inclusive: up to the start of the next day.
        until: local_day(&to_text, &state).map(|t| t + chrono::Duration::days(1)),
        title: one(&q, "q").map(str::to_owned),
        sort,
        ..Default::default()
    };
    // A tag or byline typed by name or by its address's slug; an unknown one matches nothing.
    if let Some(typed) = one(&q, "tag").map(str::trim).filter(|t| !t.is_empty()) {
        match store.tag_by_slug_or_name(typed).await {
            Ok(found) => filter.tag_id = Some(found.map_or(-1, |t| t.id)),
            Err(e) => return server_error(&e),
        }
    }
    if let Some(typed) = one(&q, "author").map(str::trim).filter(|t| !t.is_empty()) {
        let by_slug = match store.author_by_slug(typed).await {
            Ok(a) => a,
            Err(e) => return server_error(&e),
        };
        let found = match by_slug {
            Some(a) => Some(a),
            None => match store
                .author_by_slug(&masthead_core::slug::from_title(typed))
                .await
            {
                Ok(a) => a,
                Err(e) => return server_error(&e),
            },
        };
        filter.author_id = Some(found.map_or(-1, |a| a.id));
    }
    let page = one(&q, "page")
        .and_then(|p| p.parse::<u32>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let (items, total) = match store
        .work_list(&filter, PageRequest::new(page, PER_PAGE))
        .await
    {
        Ok(r) => r,
        Err(e) => return server_error(&e),
    };
    let counts = match store.status_counts(owner).await {
        Ok(c) => c,
        Err(e) => return server_error(&e),
    };
    let count_of = |s: ArticleStatus| {
        counts
            .iter()
            .find(|(st, _)| *st == s)
            .map_or(0, |(_, n)| *n)
    };
    let queues = [
        ArticleStatus::Pending,
        ArticleStatus::Scheduled,
        ArticleStatus::Draft,
        ArticleStatus::Trash,
    ]
    .into_iter()
    .map(|s| Queue {
        label: status_label(s),
        url: format!("/newsroom/articles?status={}", s.as_str()),
        count: count_of(s),
        current: status == Some(s),
    })
    .collect();
    // Links to other pages keep every filter but the page.
    let keep: Vec<(String, String)> = q.iter().filter(|(k, _)| k != "page").cloned().collect();
    let link = |p: u32| {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &keep {
            ser.append_pair(k, v);
        }
        ser.append_pair("page", &p.to_string());
        format!("/newsroom/articles?{}", ser.finish())
    };
    let pages = page_count(total, PER_PAGE).max(1);
    let can_publish = who.role().can(Capability::PublishOwn);
    let mut bulk = vec![
        ("draft", "Move to drafts"),
        ("pending", "Submit for review"),
    ];
    if can_publish {
        bulk.extend([("publish", "Publish"), ("unpublish", "Unpublish")]);
    }
    if who.role().can(Capability::TrashOwn) {
        bulk.extend([
            ("trash", "Move to trash"),
            ("restore", "Restore from trash"),
        ]);
    }
    bulk.extend([("section", "Move to section…"), ("tag", "Add tag…")]);
    let body = ListBody {
        rows: items.iter().map(|a| row(a, &state)).collect(),
        total,
        page,
        pages,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        queues,
        statuses: std::iter::once((String::new(), "All but trash".to_owned()))
            .chain(
                ArticleStatus::ALL
                    .iter()
                    .map(|s| (s.as_str().to_owned(), status_label(*s).to_owned())),
            )
            .map(|(value, label)| Choice {
                selected: status.map(|s| s.as_str()) == Some(value.as_str())
                    || (status.is_none() && value.is_empty()),
                value,
                label,
            })
            .collect(),
        sections: sections
            .iter()
            .map(|s| Choice {
                value: s.slug.clone(),
                label: s.name.clone(),
                selected: section.is_some_and(|c| c.id == s.id),
            })
            .collect(),
        sorts: [
            ("updated", "Last changed"),
            ("date", "Publication date"),
            ("title", "Title"),
        ]
        .into_iter()
        .map(|(v, l)| Choice {
            value: v.into(),
            label: l.into(),
            selected: one(&q, "sort").unwrap_or("updated") == v,
        })
        .collect(),
        q: one(&q, "q").unwrap_or_default().to_owned(),
        tag: one(&q, "tag").unwrap_or_default().to_owned(),
        author: one(&q, "author").unwrap_or_default().to_owned(),
        from: from_text,
        to: to_text,
        bulk_actions: bulk
            .into_iter()
            .map(|(v, l)| Choice {
                value: v.into(),
                label: l.into(),
                selected: false,
            })
            .collect(),
        can_publish,
    };
    let notice = one(&q, "done").and_then(|d| bulk_notice(d, &q).or_else(|| notice_for(d)));
    render(
        &state,
        StatusCode::OK,
        "articles.html",
        "Articles",
        Some(&who),
        notice,
        None,
        &body,
    )
}

fn bulk_notice(done: &str, q: &[(String, String)]) -> Option<String> {
    if done != "bulk" {
        return None;
    }
    let n = |k: &str| one(q, k).and_then(|v| v.parse::<u32>().ok()).unwrap_or(0);
    let (changed, refused) = (n("changed"), n("refused"));
    Some(if refused == 0 {
        format!("{changed} article(s) changed.")
    } else {
        format!(
            "{changed} article(s) changed; {refused} left as they were (your role does not allow that change)."
        )
    })
}

/// `POST /newsroom/articles/bulk`: one action on the ticked articles, each within the
/// person's rights; the ones they may not change are counted, not changed.
pub(super) async fn bulk(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let action = one(&form, "action").unwrap_or_default();
    let ids: Vec<i64> = all(&form, "ids")
        .into_iter()
        .filter_map(|v| v.parse().ok())
        .take(500)
        .collect();
    let (mut changed, mut refused) = (0, 0);
    for id in ids {
        let cur = match editorial::editable(&state, &who, id).await {
            Ok(a) => a,
            Err(_) => {
                refused += 1;
                continue;
            }
        };
        let mut f = ArticleFields::default();
        match action {
            "draft" | "unpublish" => f.status = Some("draft".into()),
            "pending" => f.status = Some("pending".into()),
            "publish" => f.status = Some("published".into()),
            "trash" => f.status = Some("trash".into()),
            "restore" if cur.summary.status == ArticleStatus::Trash => {
                f.status = Some("draft".into());
            }
            "section" => match one(&form, "section").filter(|s| !s.is_empty()) {
                Some(s) => f.section = Some(s.to_owned()),
                None => return plain(StatusCode::BAD_REQUEST, "Choose the section to move to."),
            },
            "tag" => match one(&form, "tag").map(str::trim).filter(|t| !t.is_empty()) {
                Some(t) => {
                    let mut tags: Vec<String> =
                        cur.summary.tags.iter().map(|t| t.slug.clone()).collect();
                    tags.push(t.to_owned());
                    f.tags = Some(tags);
                }
                None => return plain(StatusCode::BAD_REQUEST, "Type the tag to add."),
            },
            _ => {
                refused += 1;
                continue;
            }
        }
        f.minor_edit = Some(true);
        match editorial::save(&state, &who, Target::Existing(&cur, None), f).await {
            Ok(_) => changed += 1,
            Err(_) => refused += 1,
        }
    }
    see_other(
        &format!("/newsroom/articles?done=bulk&changed={changed}&refused={refused}"),
        None,
    )
}

// ------------------------------------------------------------------ the editor

#[derive(Serialize, Default)]
struct EditorBody {
    /// `None` for a new article.
    id: Option<i64>,
    version: i64,
    action: String,
    f: FormView,
    statuses: Vec<Choice>,
    formats: Vec<Choice>,
    labels: Vec<Choice>,
    sections: Vec<Choice>,
    other_sections: Vec<Choice>,
    /// The newest library images, to pick the featured one from.
    images: Vec<Choice>,
    preview: Option<String>,
    public_url: Option<String>,
    others_here: Vec<String>,
    preview_links: Vec<PreviewLinkRow>,
    corrections: Vec<String>,
    can_correct: bool,
    timezone: String,
}

/// A preview link as the editor lists it (its secret was shown once, at creation).
#[derive(Serialize)]
struct PreviewLinkRow {
    id: i64,
    created: String,
    expires: String,
    live: bool,
}

/// The form's values, as typed (kept when a save is refused, so nothing is lost).
#[derive(Serialize, Default, Clone)]
pub(super) struct FormView {
    title: String,
    kicker: String,
    dek: String,
    slug: String,
    body: String,
    format: String,
    excerpt: String,
    section: String,
    sections: Vec<String>,
    tags: String,
    authors: String,
    dateline: String,
    featured_image: String,
    featured_image_alt: String,
    /// A library image's id, or empty.
    featured_media: String,
    label: String,
    status: String,
    publish_at: String,
    comments_open: bool,
    featured: bool,
    seo_title: String,
    seo_description: String,
    canonical_url: String,
    noindex: bool,
}

impl FormView {
    fn of(a: &Article, state: &AppState) -> Self {
        let s = &a.summary;
        Self {
            title: s.title.clone(),
            kicker: s.kicker.clone().unwrap_or_default(),
            dek: s.dek.clone().unwrap_or_default(),
            slug: s.slug.clone(),
            body: a.body_source.clone(),
            format: a.body_format.as_str().into(),
            excerpt: a.editor_excerpt.clone().unwrap_or_default(),
            section: s.section.slug.clone(),
            sections: s.sections.iter().skip(1).map(|t| t.slug.clone()).collect(),
            tags: names(&s.tags),
            authors: names(&s.authors),
            dateline: a.dateline.clone().unwrap_or_default(),
            featured_image: s.featured_image.clone().unwrap_or_default(),
            featured_image_alt: s.featured_image_alt.clone().unwrap_or_default(),
            featured_media: a
                .featured_media_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            label: s.label.as_str().into(),
            status: s.status.as_str().into(),
            publish_at: s
                .published_at
                .map(|t| {
                    t.with_timezone(&state.settings().timezone)
                        .format("%Y-%m-%dT%H:%M")
                        .to_string()
                })
                .unwrap_or_default(),
            comments_open: s.comments_open,
            featured: s.featured,
            seo_title: a.seo_title.clone().unwrap_or_default(),
            seo_description: a.seo_description.clone().unwrap_or_default(),
            canonical_url: a.canonical_url.clone().unwrap_or_default(),
            noindex: a.noindex,
        }
    }

    pub(super) fn from_form(form: &[(String, String)]) -> Self {
        let text = |k: &str| one(form, k).unwrap_or_default().to_owned();
        let ticked = |k: &str| one(form, k).is_some();
        Self {
            title: text("title"),
            kicker: text("kicker"),
            dek: text("dek"),
            slug: text("slug"),
            body: text("body"),
            format: text("format"),
            excerpt: text("excerpt"),
            section: text("section"),
            sections: all(form, "sections")
                .into_iter()
                .map(str::to_owned)
                .collect(),
            tags: text("tags"),
            authors: text("authors"),
            dateline: text("dateline"),
            featured_image: text("featured_image"),
            featured_image_alt: text("featured_image_alt"),
            featured_media: text("featured_media"),
            label: text("label"),
            status: text("status"),
            publish_at: text("publish_at"),
            comments_open: ticked("comments_open"),
            featured: ticked("featured"),
            seo_title: text("seo_title"),
            seo_description: text("seo_description"),
            canonical_url: text("canonical_url"),
            noindex: ticked("noindex"),
        }
    }

    /// The fields to save. The publication time is typed in the site's timezone.
    pub(super) fn fields(&self, state: &AppState, minor: bool) -> Result<ArticleFields, ApiError> {
        let opt = |s: &str| Some(Some(s.to_owned()).filter(|s| !s.trim().is_empty()));
        let publish_at = if self.publish_at.trim().is_empty() {
            None
        } else {
            let local = NaiveDateTime::parse_from_str(self.publish_at.trim(), "%Y-%m-%dT%H:%M")
                .map_err(|_| {
                    editorial::invalid(
                        "The publication time must be a date and time, such as 2026-11-28T09:30.",
                    )
                })?;
            Some(local_to_utc(local, state.settings().timezone))
        };
        Ok(ArticleFields {
            title: Some(self.title.clone()),
            kicker: opt(&self.kicker),
            dek: opt(&self.dek),
            body: Some(self.body.clone()),
            format: Some(self.format.clone()).filter(|f| !f.is_empty()),
            excerpt: opt(&self.excerpt),
            status: Some(self.status.clone()).filter(|s| !s.is_empty()),
            published_at: Some(publish_at),
            slug: Some(self.slug.clone()).filter(|s| !s.trim().is_empty()),
            section: Some(self.section.clone()).filter(|s| !s.is_empty()),
            sections: Some(
                self.sections
                    .iter()
                    .filter(|s| **s != self.section)
                    .cloned()
                    .collect(),
            ),
            tags: Some(list(Some(&self.tags))),
            authors: Some(list(Some(&self.authors))),
            featured: Some(self.featured),
            label: Some(self.label.clone()).filter(|l| !l.is_empty()),
            comments_open: Some(self.comments_open),
            dateline: opt(&self.dateline),
            seo_title: opt(&self.seo_title),
            seo_description: opt(&self.seo_description),
            canonical_url: opt(&self.canonical_url),
            noindex: Some(self.noindex),
            featured_image: opt(&self.featured_image),
            featured_image_alt: opt(&self.featured_image_alt),
            featured_media: Some(self.featured_media.trim().parse::<i64>().ok()),
            minor_edit: Some(minor),
            bylines_by_name: true,
            restoring: false,
        })
    }
}

fn choices<T: Copy>(
    all: &[T],
    current: &str,
    value: impl Fn(T) -> (&'static str, &'static str),
) -> Vec<Choice> {
    all.iter()
        .map(|t| {
            let (v, l) = value(*t);
            Choice {
                value: v.into(),
                label: l.into(),
                selected: v == current,
            }
        })
        .collect()
}

/// Renders the editor with `f` in it.
#[expect(
    clippy::too_many_arguments,
    reason = "the editor's states, each with its own parts"
)]
async fn editor(
    state: &AppState,
    who: &SignedIn,
    status: StatusCode,
    cur: Option<&Article>,
    f: FormView,
    version: i64,
    notice: Option<String>,
    error: Option<String>,
    preview: Option<String>,
) -> Response {
    let store = state.store();
    let sections = match store.sections().await {
        Ok(s) => s,
        Err(e) => return server_error(&e),
    };
    let role = who.role();
    let may_publish = role.can(Capability::PublishOwn) || role.can(Capability::EditOthers);
    let allowed: Vec<ArticleStatus> = ArticleStatus::ALL
        .into_iter()
        .filter(|s| {
            may_publish
                || matches!(s, ArticleStatus::Draft | ArticleStatus::Pending)
                || f.status == s.as_str()
        })
        .collect();
    let preview_links = match cur {
        Some(a) => match store.preview_links(a.summary.id).await {
            Ok(links) => links
                .iter()
                .map(|l| PreviewLinkRow {
                    id: l.id,
                    created: local_display(l.created_at, state),
                    expires: local_display(l.expires_at, state),
                    live: l.revoked_at.is_none() && l.expires_at > state.now(),
                })
                .collect(),
            Err(e) => return server_error(&e),
        },
        None => Vec::new(),
    };
    let (id, others_here, corrections, public_url) = match cur {
        Some(a) => {
            let id = a.summary.id;
            let since = state.now()
                - chrono::Duration::from_std(state.settings().presence_window).unwrap_or_default();
            let others = match store.mark_present(id, who.user.id, since).await {
                Ok(o) => o,
                Err(e) => return server_error(&e),
            };
            let corrections = match store.corrections(id).await {
                Ok(c) => c
                    .into_iter()
                    .map(|c| {
                        format!(
                            "{}, {}: {}",
                            c.kind.display(),
                            local_display(c.created_at, state),
                            c.note
                        )
                    })
                    .collect(),
                Err(e) => return server_error(&e),
            };
            let url = (a.summary.status == ArticleStatus::Published)
                .then(|| a.summary.path())
                .flatten();
            (Some(id), others, corrections, url)
        }
        None => (None, Vec::new(), Vec::new(), None),
    };
    let recent = match store.media_list(None, PageRequest::new(1, 100)).await {
        Ok((rows, _)) => rows,
        Err(e) => return server_error(&e),
    };
    let mut images: Vec<Choice> = recent
        .iter()
        .map(|m| Choice {
            value: m.id.to_string(),
            label: format!("{} ({}×{})", m.file_name, m.width, m.height),
            selected: m.id.to_string() == f.featured_media,
        })
        .collect();
    // The chosen one stays choosable even when it is older than the newest hundred.
    if !f.featured_media.is_empty() && !images.iter().any(|c| c.selected) {
        images.push(Choice {
            value: f.featured_media.clone(),
            label: format!("Image {}", f.featured_media),
            selected: true,
        });
    }
    let body = EditorBody {
        id,
        version,
        images,
        action: id.map_or("/newsroom/articles/new".to_owned(), |i| {
            format!("/newsroom/articles/{i}/edit")
        }),
        statuses: choices(&allowed, &f.status, |s| (s.as_str(), status_label(s))),
        formats: choices(
            &[BodyFormat::Markdown, BodyFormat::Html, BodyFormat::Text],
            &f.format,
            |b| {
                (
                    b.as_str(),
                    match b {
                        BodyFormat::Markdown => "Markdown",
                        BodyFormat::Html => "HTML",
                        BodyFormat::Text => "Plain text",
                    },
                )
            },
        ),
        labels: choices(&ArticleLabel::ALL, &f.label, |l| (l.as_str(), l.display())),
        sections: sections
            .iter()
            .map(|s| Choice {
                value: s.slug.clone(),
                label: s.name.clone(),
                selected: s.slug == f.section,
            })
            .collect(),
        other_sections: sections
            .iter()
            .map(|s| Choice {
                value: s.slug.clone(),
                label: s.name.clone(),
                selected: f.sections.contains(&s.slug),
            })
            .collect(),
        preview,
        public_url,
        others_here,
        preview_links,
        corrections,
        can_correct: cur.is_some_and(|a| a.summary.status == ArticleStatus::Published),
        timezone: state.settings().timezone.name().to_owned(),
        f,
    };
    let title = if id.is_some() {
        "Edit article"
    } else {
        "New article"
    };
    render(
        state,
        status,
        "editor.html",
        title,
        Some(who),
        notice,
        error,
        &body,
    )
}

fn rendered_preview(f: &FormView) -> String {
    let format = f.format.parse::<BodyFormat>().unwrap_or_default();
    masthead_render::render_body(format, &f.body).html
}

pub(super) async fn new_form(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
) -> Response {
    let f = FormView {
        format: "markdown".into(),
        status: "draft".into(),
        label: "news".into(),
        comments_open: true,
        authors: who.user.name.clone(),
        ..Default::default()
    };
    editor(&state, &who, StatusCode::OK, None, f, 0, None, None, None).await
}

pub(super) async fn create(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let f = FormView::from_form(&form);
    if one(&form, "do") == Some("preview") {
        let preview = rendered_preview(&f);
        return editor(
            &state,
            &who,
            StatusCode::OK,
            None,
            f,
            0,
            None,
            None,
            Some(preview),
        )
        .await;
    }
    let saved = match f.fields(&state, false) {
        Ok(fields) => editorial::save(&state, &who, Target::New, fields).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(id) => see_other(&format!("/newsroom/articles/{id}/edit?done=created"), None),
        Err(e) => {
            let status = e.status();
            editor(
                &state,
                &who,
                status,
                None,
                f,
                0,
                None,
                Some(e.message().to_owned()),
                None,
            )
            .await
        }
    }
}

fn parse_id(raw: &str) -> Option<i64> {
    raw.parse().ok()
}

pub(super) async fn load(state: &AppState, who: &SignedIn, raw: &str) -> Result<Article, Response> {
    let Some(id) = parse_id(raw) else {
        return Err(plain(StatusCode::NOT_FOUND, "No such article."));
    };
    match state.store().article(id).await {
        Ok(Some(a)) if may_open(who, &a) => Ok(a),
        Ok(_) => Err(plain(StatusCode::NOT_FOUND, "No such article.")),
        Err(e) => Err(server_error(&e)),
    }
}

pub(super) async fn edit_form(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let cur = match load(&state, &who, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let f = FormView::of(&cur, &state);
    editor(
        &state,
        &who,
        StatusCode::OK,
        Some(&cur),
        f,
        cur.version,
        notice_for(&q.done),
        None,
        None,
    )
    .await
}

pub(super) async fn save(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let cur = match load(&state, &who, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let form = pairs(&body);
    let f = FormView::from_form(&form);
    let based_on = one(&form, "version").and_then(|v| v.parse::<i64>().ok());
    if one(&form, "do") == Some("preview") {
        let preview = rendered_preview(&f);
        let version = based_on.unwrap_or(cur.version);
        return editor(
            &state,
            &who,
            StatusCode::OK,
            Some(&cur),
            f,
            version,
            None,
            None,
            Some(preview),
        )
        .await;
    }
    let minor = one(&form, "minor_edit").is_some();
    let saved = match f.fields(&state, minor) {
        // No version in the form means it did not come from our editor: refuse to guess.
        Ok(fields) => {
            let based_on = based_on.or(Some(-1));
            editorial::save(&state, &who, Target::Existing(&cur, based_on), fields).await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(id) => see_other(&format!("/newsroom/articles/{id}/edit?done=saved"), None),
        Err(e) => {
            // What they typed stays in the form, with the version they started from,
            // so a refused save loses nothing (and is kept as a revision, too).
            let version = based_on.unwrap_or(cur.version);
            editor(
                &state,
                &who,
                e.status(),
                Some(&cur),
                f,
                version,
                None,
                Some(e.message().to_owned()),
                None,
            )
            .await
        }
    }
}

/// `POST /newsroom/articles/{id}/corrections`: a dated note on a published article.
pub(super) async fn add_correction(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let cur = match load(&state, &who, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let form = pairs(&body);
    let kind = one(&form, "kind")
        .and_then(|k| k.parse::<CorrectionKind>().ok())
        .unwrap_or(CorrectionKind::Correction);
    let note = one(&form, "note").unwrap_or_default();
    let refusal = if cur.summary.status != ArticleStatus::Published {
        Some("Corrections and updates are for published articles.")
    } else if note.trim().is_empty() {
        Some("Type the correction or update first.")
    } else if note.chars().count() > 5_000 {
        Some("The note is longer than 5,000 characters.")
    } else if masthead_core::workflow::may_save(
        editorial::actor(&who, cur.owner_id),
        Some(cur.summary.status),
        cur.summary.status,
    )
    .is_err()
    {
        Some("Your role does not allow changing this published article.")
    } else {
        None
    };
    if let Some(why) = refusal {
        let f = FormView::of(&cur, &state);
        return editor(
            &state,
            &who,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&cur),
            f,
            cur.version,
            None,
            Some(why.into()),
            None,
        )
        .await;
    }
    if let Err(e) = state
        .store()
        .add_correction(cur.summary.id, kind, note, Some(who.user.id))
        .await
    {
        return server_error(&e);
    }
    super::audit(
        &state,
        Some(&who),
        &format!("added {}", kind.as_str()),
        &format!("article {}", cur.summary.id),
        &ip,
    )
    .await;
    see_other(
        &format!("/newsroom/articles/{}/edit?done=correction", cur.summary.id),
        None,
    )
}

/// `POST /newsroom/preview`: the body rendered by the site's own renderer, for the
/// editor's live preview (the Preview button does the same without JavaScript).
pub(super) async fn preview(body: Bytes) -> Response {
    let form = pairs(&body);
    let f = FormView::from_form(&form);
    (
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        rendered_preview(&f),
    )
        .into_response()
}

/// `POST /newsroom/articles/{id}/preview-links`: a secret link to the article for
/// people without an account, for `days` days (1–30). The link is shown once.
pub(super) async fn create_preview_link(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let cur = match load(&state, &who, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let form = pairs(&body);
    let days = one(&form, "days")
        .and_then(|d| d.parse::<i64>().ok())
        .filter(|d| (1..=30).contains(d))
        .unwrap_or(7);
    let Ok(secret) = crate::auth::new_secret() else {
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "No randomness is available; nothing was made.",
        );
    };
    let expires = state.now() + chrono::Duration::days(days);
    if let Err(e) = state
        .store()
        .create_preview_link(
            cur.summary.id,
            &crate::auth::hash_secret(&secret),
            Some(who.user.id),
            expires,
        )
        .await
    {
        return server_error(&e);
    }
    super::audit(
        &state,
        Some(&who),
        "created preview link",
        &format!("article {}", cur.summary.id),
        &ip,
    )
    .await;
    let url = format!(
        "{}/preview/{secret}",
        state.settings().site_url.trim_end_matches('/')
    );
    super::page(
        &state,
        StatusCode::OK,
        "message.html",
        "Preview link",
        Some(&who),
        &super::Message {
            message: format!(
                "Anyone with this link can read the draft until {} (revoke it from the article's page). Copy it now: it is shown only once.",
                local_display(expires, &state)
            ),
            link: Some(super::LinkView {
                text: url.clone(),
                url,
            }),
        },
    )
}

/// `POST /newsroom/articles/{id}/preview-links/{link}/revoke`.
pub(super) async fn revoke_preview_link(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path((id, link)): Path<(String, String)>,
) -> Response {
    let cur = match load(&state, &who, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(link) = link.parse::<i64>() else {
        return plain(StatusCode::NOT_FOUND, "No such preview link.");
    };
    match state
        .store()
        .revoke_preview_link(cur.summary.id, link)
        .await
    {
        Ok(true) => {
            super::audit(
                &state,
                Some(&who),
                "revoked preview link",
                &format!("article {}", cur.summary.id),
                &ip,
            )
            .await;
            see_other(
                &format!(
                    "/newsroom/articles/{}/edit?done=link-revoked",
                    cur.summary.id
                ),
                None,
            )
        }
        Ok(false) => plain(StatusCode::NOT_FOUND, "No such live preview link."),
        Err(e) => server_error(&e),
    }
}
