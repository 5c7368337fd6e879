//! The newsroom's comments: the moderation queues (held, approved, spam, reported,
//! trash) with filters by commenter and article, per-comment and bulk actions, editing a
//! comment, replying as staff, a commenter's data exported or erased; and the comment
//! settings (administrators). Every status change goes through
//! [`crate::comments::moderate`], so counts, caches, the spam filter and the audit log
//! follow whichever screen made it.

use super::articles::{local_display, one, pairs};
use super::{
    ClientIp, Message, NoticeQuery, audit, page, plain, render, see_other, server_error, user_agent,
};
use crate::AppState;
use crate::auth::SignedIn;
use crate::comments::{self as reader_comments, Channel, Input, Sender};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use masthead_core::ArticleStatus;
use masthead_core::comment::{
    self as rules, CommentRules, CommentStatus, MAX_EMAIL, MAX_NAME, MAX_TEXT, MAX_URL, RefusalKind,
};
use masthead_core::paging::{PageRequest, page_count};
use masthead_render::comment as text;
use masthead_store::{Comment, CommentFilter, QueueCounts};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

const PER_PAGE: u32 = 20;
/// The most comments one bulk action touches.
const BULK_LIMIT: usize = 500;

// ------------------------------------------------------------------ queues and places

/// A moderation queue, as the tabs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Queue {
    #[default]
    Held,
    Approved,
    Spam,
    Reported,
    Trash,
    /// Every status: for one commenter's or one article's comments.
    All,
}

impl Queue {
    const TABS: [Queue; 6] = [
        Queue::Held,
        Queue::Approved,
        Queue::Spam,
        Queue::Reported,
        Queue::Trash,
        Queue::All,
    ];

    fn parse(s: Option<&str>) -> Self {
        match s.map(str::trim) {
            Some("approved") => Self::Approved,
            Some("spam") => Self::Spam,
            Some("reported") => Self::Reported,
            Some("trash") => Self::Trash,
            Some("all") => Self::All,
            _ => Self::Held,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Approved => "approved",
            Self::Spam => "spam",
            Self::Reported => "reported",
            Self::Trash => "trash",
            Self::All => "all",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Held => "Held",
            Self::Approved => "Approved",
            Self::Spam => "Spam",
            Self::Reported => "Reported",
            Self::Trash => "Trash",
            Self::All => "All",
        }
    }

    fn count(self, c: &QueueCounts) -> i64 {
        match self {
            Self::Held => c.held,
            Self::Approved => c.approved,
            Self::Spam => c.spam,
            Self::Reported => c.reported,
            Self::Trash => c.trash,
            Self::All => c.held + c.approved + c.spam + c.trash,
        }
    }

    fn filter(self) -> (Option<CommentStatus>, bool) {
        match self {
            Self::Held => (Some(CommentStatus::Held), false),
            Self::Approved => (Some(CommentStatus::Approved), false),
            Self::Spam => (Some(CommentStatus::Spam), false),
            Self::Trash => (Some(CommentStatus::Trash), false),
            Self::Reported => (None, true),
            Self::All => (None, false),
        }
    }
}

/// Where in the queues a moderator is: a queue, filters and a page. Forms carry it as
/// `back` so every action returns to the same place.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    queue: Queue,
    email: String,
    article: Option<i64>,
    page: u32,
}

impl Default for Place {
    fn default() -> Self {
        Self {
            queue: Queue::default(),
            email: String::new(),
            article: None,
            page: 1,
        }
    }
}

impl Place {
    fn from_pairs(q: &[(String, String)]) -> Self {
        Self {
            queue: Queue::parse(one(q, "status")),
            email: one(q, "email")
                .unwrap_or_default()
                .trim()
                .chars()
                .take(MAX_EMAIL * 2)
                .collect(),
            article: one(q, "article")
                .and_then(|v| v.trim().parse().ok())
                .filter(|a| *a > 0),
            page: one(q, "page")
                .and_then(|p| p.trim().parse().ok())
                .filter(|p| (1..=100_000).contains(p))
                .unwrap_or(1),
        }
    }

    /// The place a form's `back` field names (only the keys above; anything else is
    /// dropped, so a redirect never goes anywhere but the queues).
    fn from_back(back: Option<&str>) -> Self {
        Self::from_pairs(&pairs(back.unwrap_or_default().as_bytes()))
    }

    fn serializer(&self, page: Option<u32>) -> form_urlencoded::Serializer<'static, String> {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        ser.append_pair("status", self.queue.as_str());
        if !self.email.is_empty() {
            ser.append_pair("email", &self.email);
        }
        if let Some(a) = self.article {
            ser.append_pair("article", &a.to_string());
        }
        if let Some(p) = page.filter(|p| *p > 1) {
            ser.append_pair("page", &p.to_string());
        }
        ser
    }

    /// The query string that names this place (what `back` fields hold).
    fn query(&self) -> String {
        self.serializer(Some(self.page)).finish()
    }

    fn url_at(&self, page: u32) -> String {
        format!(
            "/newsroom/comments?{}",
            self.serializer(Some(page)).finish()
        )
    }

    /// Back here, with a notice code and a count.
    fn done(&self, code: &str, n: Option<usize>) -> String {
        let mut ser = self.serializer(Some(self.page));
        ser.append_pair("done", code);
        if let Some(n) = n {
            ser.append_pair("n", &n.to_string());
        }
        format!("/newsroom/comments?{}", ser.finish())
    }
}

fn query_url(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    format!("{path}?{}", ser.finish())
}

/// What a redirect back to the queues says: `(message, is_error)`. Only fixed sentences
/// and a number from the URL, never free text.
fn outcome(code: &str, n: usize) -> Option<(String, bool)> {
    let many = |one: &str, more: &str| -> String {
        if n == 1 {
            one.to_owned()
        } else {
            more.replace("{n}", &n.to_string())
        }
    };
    let ok = |s: String| Some((s, false));
    let err = |s: &str| Some((s.to_owned(), true));
    match code {
        "approve" | "unapprove" | "spam" | "notspam" | "trash" | "restore" if n == 0 => err(
            "Nothing changed: none of the selected comments could be moved that way (they may be there already).",
        ),
        "approve" => ok(many("Comment approved.", "{n} comments approved.")),
        "unapprove" => ok(many(
            "Comment unapproved: it is held for moderation again.",
            "{n} comments unapproved: they are held for moderation again.",
        )),
        "spam" => ok(many(
            "Comment moved to spam.",
            "{n} comments moved to spam.",
        )),
        "notspam" => ok(many(
            "Comment marked as not spam and approved.",
            "{n} comments marked as not spam and approved.",
        )),
        "trash" => ok(many(
            "Comment moved to the trash.",
            "{n} comments moved to the trash.",
        )),
        "restore" => ok(many("Comment restored.", "{n} comments restored.")),
        "dismissed" => ok("The reports are dismissed; the comment stays up.".to_owned()),
        "replied" => ok("Your reply is published.".to_owned()),
        "replied-approved" => {
            ok("The comment is approved and your reply to it published.".to_owned())
        }
        "edited" => ok("The comment is saved.".to_owned()),
        "erased" => ok(many(
            "The commenter's data is erased: their comment now shows as Anonymous, without email, website or address.",
            "The commenter's data is erased: {n} comments now show as Anonymous, without email, website or address.",
        )),
        "none" => err("Select at least one comment first; nothing was changed."),
        "no-action" => err("Choose what to do with the selected comments; nothing was changed."),
        "erase-unconfirmed" => err("Tick the box to confirm the erasure; nothing was erased."),
        "erase-no-email" => {
            err("Say whose data to erase: their email address; nothing was erased.")
        }
        "reply-empty" => err("Type your reply first; nothing was posted."),
        "reply-closed" => err("Comments are closed on that article, so your reply was not posted."),
        "reply-duplicate" => err("That reply is there already."),
        "reply-invalid" => err("The reply is too long or incomplete; nothing was posted."),
        "reply-refused" => {
            err("You can reply only to approved or held comments; nothing was posted.")
        }
        _ => None,
    }
}

// ------------------------------------------------------------------ the queue screen

#[derive(Serialize)]
struct Tab {
    label: &'static str,
    url: String,
    count: i64,
    current: bool,
}

#[derive(Serialize)]
struct Opt {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct ParentView {
    id: i64,
    author: String,
}

#[derive(Serialize)]
struct RowView {
    id: i64,
    kind: String,
    author: String,
    avatar: String,
    email: String,
    /// This commenter's other comments.
    email_url: Option<String>,
    website: String,
    website_url: Option<String>,
    ip: String,
    user_agent: String,
    staff: bool,
    date: String,
    datetime: String,
    article_id: i64,
    article_title: String,
    article_url: Option<String>,
    article_comments_url: String,
    parent: Option<ParentView>,
    html: String,
    status: &'static str,
    status_label: &'static str,
    reasons: Vec<String>,
    spam_score: Option<String>,
    reports: i64,
    report_reasons: Vec<String>,
    actions: Vec<Opt>,
    can_reply: bool,
    edit_url: String,
}

#[derive(Serialize)]
struct CommenterView {
    email: String,
    export_url: String,
}

#[derive(Serialize)]
struct QueueBody {
    tabs: Vec<Tab>,
    statuses: Vec<Opt>,
    queue_label: &'static str,
    email: String,
    article: String,
    article_title: Option<String>,
    /// The same queue without the commenter and article filters, when there are any.
    clear_url: Option<String>,
    rows: Vec<RowView>,
    total: i64,
    page: u32,
    pages: u32,
    prev: Option<String>,
    next: Option<String>,
    back: String,
    bulk_actions: Vec<Opt>,
    commenter: Option<CommenterView>,
}

fn status_label(s: CommentStatus) -> &'static str {
    match s {
        CommentStatus::Approved => "Approved",
        CommentStatus::Held => "Held",
        CommentStatus::Spam => "Spam",
        CommentStatus::Trash => "Trash",
    }
}

/// The actions one comment's row offers, by its status.
fn row_actions(status: CommentStatus) -> Vec<Opt> {
    let pick: &[Action] = match status {
        CommentStatus::Held => &[Action::Approve, Action::Spam, Action::Trash],
        CommentStatus::Approved => &[Action::Unapprove, Action::Spam, Action::Trash],
        CommentStatus::Spam => &[Action::NotSpam, Action::Trash],
        CommentStatus::Trash => &[Action::Restore, Action::Spam],
    };
    pick.iter()
        .map(|a| Opt {
            value: a.as_str(),
            label: a.label(),
            selected: false,
        })
        .collect()
}

/// How a comment's text shows: readers' plain text made safe, imported HTML cleaned.
fn body_html(c: &Comment) -> String {
    if c.body_format == "html" {
        text::imported_html(&c.body)
    } else {
        text::plain_text_to_html(&c.body)
    }
}

fn display_name(name: &str) -> String {
    let n = text::clean_display(name);
    if n.is_empty() {
        "Anonymous".to_owned()
    } else {
        n
    }
}

/// An article's public address (when published) and title, looked up once per page.
#[derive(Clone)]
struct ArticleInfo {
    title: String,
    url: Option<String>,
}

async fn article_info(
    state: &AppState,
    cache: &mut HashMap<i64, Option<ArticleInfo>>,
    id: i64,
) -> Result<Option<ArticleInfo>, masthead_store::StoreError> {
    if let Some(found) = cache.get(&id) {
        return Ok(found.clone());
    }
    let info = state.store().article(id).await?.map(|a| ArticleInfo {
        url: (a.summary.status == ArticleStatus::Published)
            .then(|| a.summary.path())
            .flatten(),
        title: if a.summary.title.is_empty() {
            "(no title)".to_owned()
        } else {
            a.summary.title
        },
    });
    cache.insert(id, info.clone());
    Ok(info)
}

/// `GET /newsroom/comments`: a queue (`?status=`), optionally one commenter's
/// (`?email=`) or one article's (`?article=`) comments, 20 a page.
pub(super) async fn queue(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = pairs(raw.unwrap_or_default().as_bytes());
    let mut place = Place::from_pairs(&q);
    let store = state.store();
    let (status, reported) = place.queue.filter();
    let filter = CommentFilter {
        status,
        reported,
        email: Some(place.email.clone()).filter(|e| !e.is_empty()),
        article_id: place.article,
    };
    let (mut items, mut total) = match store
        .comment_queue(&filter, PageRequest::new(place.page, PER_PAGE))
        .await
    {
        Ok(r) => r,
        Err(e) => return server_error(&e),
    };
    // Past the end (the last comments on a page were just moved): the last page.
    let pages = page_count(total, PER_PAGE).max(1);
    if items.is_empty() && place.page > pages {
        place.page = pages;
        match store
            .comment_queue(&filter, PageRequest::new(place.page, PER_PAGE))
            .await
        {
            Ok((i, t)) => (items, total) = (i, t),
            Err(e) => return server_error(&e),
        }
    }
    let pages = page_count(total, PER_PAGE).max(1);
    let counts = match store.comment_counts().await {
        Ok(c) => c,
        Err(e) => return server_error(&e),
    };
    let back = place.query();
    let back_field = |id: i64| {
        query_url(
            &format!("/newsroom/comments/{id}/edit"),
            &[("back", back.as_str())],
        )
    };
    let mut articles = HashMap::new();
    let mut rows = Vec::with_capacity(items.len());
    for item in &items {
        let c = &item.comment;
        let info = match article_info(&state, &mut articles, c.article_id).await {
            Ok(i) => i,
            Err(e) => return server_error(&e),
        };
        let parent = match c.parent_id {
            Some(pid) => match store.comment(pid).await {
                Ok(p) => Some(ParentView {
                    id: pid,
                    author: p.map_or_else(
                        || "a deleted comment".to_owned(),
                        |p| display_name(&p.author_name),
                    ),
                }),
                Err(e) => return server_error(&e),
            },
            None => None,
        };
        let report_reasons = if c.report_count > 0 {
            match store.comment_reports(c.id).await {
                Ok(r) => r,
                Err(e) => return server_error(&e),
            }
        } else {
            Vec::new()
        };
        let website = text::clean_display(&c.author_url);
        rows.push(RowView {
            id: c.id,
            kind: c.kind.clone(),
            author: display_name(&c.author_name),
            avatar: reader_comments::avatar_url(&state, &c.author_email),
            email: c.author_email.clone(),
            email_url: (!c.author_email.is_empty()).then(|| {
                query_url(
                    "/newsroom/comments",
                    &[("status", "all"), ("email", &c.author_email)],
                )
            }),
            website_url: text::safe_website(&c.author_url),
            website,
            ip: c.client_ip.clone(),
            user_agent: c.user_agent.clone(),
            staff: c.user_id.is_some(),
            date: local_display(c.created_at, &state),
            datetime: c
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            article_id: c.article_id,
            article_title: info
                .as_ref()
                .map_or_else(|| item.article_title.clone(), |i| i.title.clone()),
            article_url: info.and_then(|i| i.url),
            article_comments_url: query_url(
                "/newsroom/comments",
                &[("status", "all"), ("article", &c.article_id.to_string())],
            ),
            parent,
            html: body_html(c),
            status: c.status.as_str(),
            status_label: status_label(c.status),
            reasons: c
                .reasons
                .split(';')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect(),
            spam_score: c.spam_score.map(|s| format!("{s:.2}")),
            reports: c.report_count,
            report_reasons,
            actions: row_actions(c.status),
            can_reply: c.kind == "comment"
                && matches!(c.status, CommentStatus::Held | CommentStatus::Approved),
            edit_url: back_field(c.id),
        });
    }
    let article_title = match place.article {
        Some(id) => match article_info(&state, &mut articles, id).await {
            Ok(i) => Some(i.map_or_else(|| format!("article {id}"), |i| i.title)),
            Err(e) => return server_error(&e),
        },
        None => None,
    };
    let tabs = Queue::TABS
        .into_iter()
        .map(|t| Tab {
            label: t.label(),
            url: format!("/newsroom/comments?status={}", t.as_str()),
            count: t.count(&counts),
            current: t == place.queue && place.email.is_empty() && place.article.is_none(),
        })
        .collect();
    let statuses = Queue::TABS
        .into_iter()
        .map(|t| Opt {
            value: t.as_str(),
            label: t.label(),
            selected: t == place.queue,
        })
        .collect();
    let body = QueueBody {
        tabs,
        statuses,
        queue_label: place.queue.label(),
        email: place.email.clone(),
        article: place.article.map(|a| a.to_string()).unwrap_or_default(),
        article_title,
        clear_url: (!place.email.is_empty() || place.article.is_some())
            .then(|| format!("/newsroom/comments?status={}", place.queue.as_str())),
        rows,
        total,
        page: place.page,
        pages,
        prev: (place.page > 1).then(|| place.url_at(place.page - 1)),
        next: (place.page < pages).then(|| place.url_at(place.page + 1)),
        back,
        bulk_actions: Action::ALL
            .iter()
            .map(|a| Opt {
                value: a.as_str(),
                label: a.label(),
                selected: false,
            })
            .collect(),
        commenter: (!place.email.is_empty()).then(|| CommenterView {
            export_url: query_url("/newsroom/comments/export", &[("email", &place.email)]),
            email: place.email.clone(),
        }),
    };
    let n = one(&q, "n")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1);
    let said = one(&q, "done").and_then(|d| outcome(d, n));
    let (notice, error) = match said {
        Some((m, true)) => (None, Some(m)),
        Some((m, false)) => (Some(m), None),
        None => (None, None),
    };
    render(
        &state,
        StatusCode::OK,
        "comments.html",
        "Comments",
        Some(&who),
        notice,
        error,
        &body,
    )
}

// ------------------------------------------------------------------ moving comments

/// What a moderator can do to a comment's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Approve,
    Unapprove,
    Spam,
    NotSpam,
    Trash,
    Restore,
}

impl Action {
    const ALL: [Action; 6] = [
        Action::Approve,
        Action::Unapprove,
        Action::Spam,
        Action::NotSpam,
        Action::Trash,
        Action::Restore,
    ];

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s.trim())
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Unapprove => "unapprove",
            Self::Spam => "spam",
            Self::NotSpam => "notspam",
            Self::Trash => "trash",
            Self::Restore => "restore",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Approve => "Approve",
            Self::Unapprove => "Unapprove",
            Self::Spam => "Spam",
            Self::NotSpam => "Not spam",
            Self::Trash => "Trash",
            Self::Restore => "Restore",
        }
    }

    /// Where the action moves a comment in `c`'s state; `None` when it does not apply.
    fn target(self, c: &Comment) -> Option<CommentStatus> {
        use CommentStatus::*;
        let to = match (self, c.status) {
            (Self::Approve, _) => Approved,
            (Self::Unapprove, Approved) => Held,
            (Self::Spam, _) => Spam,
            (Self::NotSpam, Spam) => Approved,
            (Self::Trash, _) => Trash,
            (Self::Restore, Trash) => c.previous_status.filter(|s| *s != Trash).unwrap_or(Held),
            _ => return None,
        };
        (to != c.status).then_some(to)
    }
}

/// Applies `action` to comment `id`: `Ok(None)` when there is no such comment,
/// `Ok(Some(changed))` otherwise.
async fn apply(
    state: &AppState,
    who: &SignedIn,
    id: i64,
    action: Action,
) -> Result<Option<bool>, masthead_store::StoreError> {
    let Some(c) = state.store().comment(id).await? else {
        return Ok(None);
    };
    let Some(to) = action.target(&c) else {
        return Ok(Some(false));
    };
    Ok(Some(
        reader_comments::moderate(state, id, to, who)
            .await?
            .is_some(),
    ))
}

fn no_such_comment(state: &AppState, who: &SignedIn) -> Response {
    page(
        state,
        StatusCode::NOT_FOUND,
        "message.html",
        "No such comment",
        Some(who),
        &Message {
            message: "There is no such comment: it may have been purged as spam.".into(),
            link: Some(super::LinkView {
                url: "/newsroom/comments".into(),
                text: "Back to the comments".into(),
            }),
        },
    )
}

/// `POST /newsroom/comments/{id}/status`: one comment's action button.
pub(super) async fn set_status(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let back = Place::from_back(one(&form, "back"));
    let Some(action) = one(&form, "action").and_then(Action::parse) else {
        if matches!(state.store().comment(id).await, Ok(None)) {
            return no_such_comment(&state, &who);
        }
        return plain(
            StatusCode::BAD_REQUEST,
            "Say what to do with the comment: approve, unapprove, spam, notspam, trash or restore.",
        );
    };
    match apply(&state, &who, id, action).await {
        Ok(None) => no_such_comment(&state, &who),
        Ok(Some(changed)) => see_other(
            &back.done(action.as_str(), Some(usize::from(changed))),
            None,
        ),
        Err(e) => server_error(&e),
    }
}

/// `POST /newsroom/comments/bulk`: one action on the ticked comments.
pub(super) async fn bulk(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let back = Place::from_back(one(&form, "back"));
    let ids: Vec<i64> = form
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, v)| v.trim().parse().ok())
        .take(BULK_LIMIT)
        .collect();
    if ids.is_empty() {
        return see_other(&back.done("none", None), None);
    }
    let Some(action) = one(&form, "action").and_then(Action::parse) else {
        return see_other(&back.done("no-action", None), None);
    };
    let mut changed = 0;
    for id in ids {
        match apply(&state, &who, id, action).await {
            Ok(Some(true)) => changed += 1,
            Ok(_) => {}
            Err(e) => return server_error(&e),
        }
    }
    see_other(&back.done(action.as_str(), Some(changed)), None)
}

/// `POST /newsroom/comments/{id}/dismiss`: a moderator read the reports and keeps it.
pub(super) async fn dismiss_reports(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let back = Place::from_back(one(&form, "back"));
    match state.store().comment(id).await {
        Ok(Some(_)) => {}
        Ok(None) => return no_such_comment(&state, &who),
        Err(e) => return server_error(&e),
    }
    if let Err(e) = state.store().dismiss_reports(id).await {
        return server_error(&e);
    }
    audit(
        &state,
        Some(&who),
        "dismissed comment reports",
        &format!("comment {id}"),
        &ip,
    )
    .await;
    see_other(&back.done("dismissed", None), None)
}

/// `POST /newsroom/comments/{id}/reply`: a reply as staff, approved at once. Replying
/// to a held comment approves it first, as WordPress does: a reply to something readers
/// cannot see would make no sense.
pub(super) async fn reply(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let back = Place::from_back(one(&form, "back"));
    let typed = one(&form, "text").unwrap_or_default();
    let parent = match state.store().comment(id).await {
        Ok(Some(c)) => c,
        Ok(None) => return no_such_comment(&state, &who),
        Err(e) => return server_error(&e),
    };
    if typed.trim().is_empty() {
        return see_other(&back.done("reply-empty", None), None);
    }
    if !matches!(parent.status, CommentStatus::Approved | CommentStatus::Held) {
        return see_other(&back.done("reply-refused", None), None);
    }
    let article = match state.store().article(parent.article_id).await {
        Ok(Some(a)) => a,
        Ok(None) => return no_such_comment(&state, &who),
        Err(e) => return server_error(&e),
    };
    let approved_parent = parent.status == CommentStatus::Held;
    if approved_parent
        && let Err(e) = reader_comments::moderate(&state, id, CommentStatus::Approved, &who).await
    {
        return server_error(&e);
    }
    let input = Input {
        parent: Some(id),
        text: typed.to_owned(),
        ..Input::default()
    };
    let sender = Sender {
        ip,
        user_agent: user_agent(&headers),
        staff: Some(who.clone()),
    };
    match reader_comments::submit(&state, &article, &input, Channel::Api, &sender).await {
        Ok(Ok(_)) => see_other(
            &back.done(
                if approved_parent {
                    "replied-approved"
                } else {
                    "replied"
                },
                None,
            ),
            None,
        ),
        Ok(Err(refusal)) => {
            let code = match refusal.kind {
                RefusalKind::Closed => "reply-closed",
                RefusalKind::Duplicate => "reply-duplicate",
                RefusalKind::Invalid => "reply-invalid",
                RefusalKind::ParentNotApproved | RefusalKind::TooFast => "reply-refused",
            };
            see_other(&back.done(code, None), None)
        }
        Err(e) => server_error(&e),
    }
}

// ------------------------------------------------------------------ editing a comment

#[derive(Serialize, Default)]
struct EditForm {
    name: String,
    email: String,
    url: String,
    text: String,
}

#[derive(Serialize)]
struct EditBody {
    id: i64,
    form: EditForm,
    errors: BTreeMap<&'static str, String>,
    back: String,
    back_url: String,
    status_label: &'static str,
    date: String,
    datetime: String,
    article_title: String,
    article_url: Option<String>,
    imported_html: bool,
}

async fn edit_screen(
    state: &AppState,
    who: &SignedIn,
    status: StatusCode,
    c: &Comment,
    form: EditForm,
    errors: BTreeMap<&'static str, String>,
    back: &Place,
) -> Response {
    let info = match article_info(state, &mut HashMap::new(), c.article_id).await {
        Ok(i) => i,
        Err(e) => return server_error(&e),
    };
    let error = (!errors.is_empty()).then(|| {
        if errors.len() == 1 {
            "Please correct the problem marked below; nothing was saved.".to_owned()
        } else {
            "Please correct the problems marked below; nothing was saved.".to_owned()
        }
    });
    let body = EditBody {
        id: c.id,
        form,
        errors,
        back: back.query(),
        back_url: back.url_at(back.page),
        status_label: status_label(c.status),
        date: local_display(c.created_at, state),
        datetime: c
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        article_title: info
            .as_ref()
            .map_or_else(|| format!("article {}", c.article_id), |i| i.title.clone()),
        article_url: info.and_then(|i| i.url),
        imported_html: c.body_format == "html",
    };
    render(
        state,
        status,
        "comment_edit.html",
        &format!("Edit comment {}", c.id),
        Some(who),
        None,
        error,
        &body,
    )
}

/// `GET /newsroom/comments/{id}/edit`.
pub(super) async fn edit_form(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = pairs(raw.unwrap_or_default().as_bytes());
    let back = Place::from_back(one(&q, "back"));
    let c = match state.store().comment(id).await {
        Ok(Some(c)) => c,
        Ok(None) => return no_such_comment(&state, &who),
        Err(e) => return server_error(&e),
    };
    let form = EditForm {
        name: c.author_name.clone(),
        email: c.author_email.clone(),
        url: c.author_url.clone(),
        text: c.body.clone(),
    };
    edit_screen(
        &state,
        &who,
        StatusCode::OK,
        &c,
        form,
        BTreeMap::new(),
        &back,
    )
    .await
}

/// The problems with an edit, by field.
fn edit_problems(f: &EditForm) -> BTreeMap<&'static str, String> {
    let mut errors = BTreeMap::new();
    if f.name.chars().count() > MAX_NAME {
        errors.insert(
            "name",
            format!("The name is longer than {MAX_NAME} characters."),
        );
    }
    if f.email.chars().count() > MAX_EMAIL {
        errors.insert(
            "email",
            format!("The email address is longer than {MAX_EMAIL} characters."),
        );
    } else if !f.email.is_empty() && !rules::plausible_email(&f.email) {
        errors.insert(
            "email",
            "Enter an email address such as name@example.org, or leave it empty.".to_owned(),
        );
    }
    if f.url.chars().count() > MAX_URL {
        errors.insert(
            "url",
            format!("The website address is longer than {MAX_URL} characters."),
        );
    } else if !f.url.is_empty() && !rules::plausible_url(&f.url) {
        errors.insert(
            "url",
            "Enter a website address starting with http:// or https://, or leave it empty."
                .to_owned(),
        );
    }
    if f.text.trim().is_empty() {
        errors.insert(
            "text",
            "The comment text cannot be empty; to remove a comment, move it to the trash."
                .to_owned(),
        );
    } else if f.text.len() > MAX_TEXT {
        errors.insert("text", "The comment text is too long.".to_owned());
    }
    errors
}

/// `POST /newsroom/comments/{id}/edit`: saves a moderator's changes.
pub(super) async fn save_edit(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let back = Place::from_back(one(&form, "back"));
    let c = match state.store().comment(id).await {
        Ok(Some(c)) => c,
        Ok(None) => return no_such_comment(&state, &who),
        Err(e) => return server_error(&e),
    };
    let get = |k: &str| one(&form, k).unwrap_or_default();
    let typed = EditForm {
        name: text::clean_display(get("name")),
        email: get("email").trim().to_owned(),
        url: get("url").trim().to_owned(),
        // Line endings as a browser sends them, made the ones comments keep.
        text: get("text").replace("\r\n", "\n"),
    };
    let errors = edit_problems(&typed);
    if !errors.is_empty() {
        return edit_screen(
            &state,
            &who,
            StatusCode::UNPROCESSABLE_ENTITY,
            &c,
            typed,
            errors,
            &back,
        )
        .await;
    }
    match state
        .store()
        .edit_comment(id, &typed.name, &typed.email, &typed.url, &typed.text)
        .await
    {
        Ok(Some(article)) => state.comments_changed(article),
        Ok(None) => return no_such_comment(&state, &who),
        Err(e) => return server_error(&e),
    }
    audit(
        &state,
        Some(&who),
        "edited comment",
        &format!("comment {id}"),
        &ip,
    )
    .await;
    see_other(&back.done("edited", None), None)
}

// ------------------------------------------------------------------ a commenter's data

#[derive(Serialize)]
struct ExportedComment {
    id: i64,
    article_id: i64,
    article_title: Option<String>,
    article_url: Option<String>,
    parent_id: Option<i64>,
    status: CommentStatus,
    author_name: String,
    author_email: String,
    author_url: String,
    content: String,
    content_format: String,
    client_ip: String,
    user_agent: String,
    created_at: DateTime<Utc>,
}

fn email_param(raw: Option<String>) -> String {
    let q = pairs(raw.unwrap_or_default().as_bytes());
    rules::normalise_email(one(&q, "email").unwrap_or_default())
}

/// `GET /newsroom/comments/export?email=`: everything kept under a commenter's email,
/// as a JSON download (their right to a copy of their data).
pub(super) async fn export(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    RawQuery(raw): RawQuery,
) -> Response {
    let email = email_param(raw);
    if email.is_empty() {
        return plain(
            StatusCode::BAD_REQUEST,
            "Say whose comments to export: /newsroom/comments/export?email=…",
        );
    }
    let found = match state.store().comments_by_email(&email).await {
        Ok(c) => c,
        Err(e) => return server_error(&e),
    };
    let mut articles = HashMap::new();
    let mut out = Vec::with_capacity(found.len());
    for c in found {
        let info = match article_info(&state, &mut articles, c.article_id).await {
            Ok(i) => i,
            Err(e) => return server_error(&e),
        };
        out.push(ExportedComment {
            id: c.id,
            article_id: c.article_id,
            article_title: info.as_ref().map(|i| i.title.clone()),
            article_url: info.and_then(|i| i.url),
            parent_id: c.parent_id,
            status: c.status,
            author_name: c.author_name,
            author_email: c.author_email,
            author_url: c.author_url,
            content: c.body,
            content_format: c.body_format,
            client_ip: c.client_ip,
            user_agent: c.user_agent,
            created_at: c.created_at,
        });
    }
    let json = match serde_json::to_string_pretty(&out) {
        Ok(j) => j,
        Err(e) => return server_error(&e),
    };
    audit(
        &state,
        Some(&who),
        "exported commenter data",
        &format!("{} comments", out.len()),
        &ip,
    )
    .await;
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"comments-export.json\"",
            ),
        ],
        json,
    )
        .into_response()
}

/// `POST /newsroom/comments/erase`: anonymises everything kept about the commenter
/// with `email`, once the moderator ticked `confirm`.
pub(super) async fn erase(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let email = rules::normalise_email(one(&form, "email").unwrap_or_default());
    let back = Place {
        queue: Queue::All,
        email: email.clone(),
        ..Place::default()
    };
    if email.is_empty() {
        return see_other(&Place::default().done("erase-no-email", None), None);
    }
    if one(&form, "confirm").is_none_or(|v| v.is_empty()) {
        return see_other(&back.done("erase-unconfirmed", None), None);
    }
    let affected = match state.store().comments_by_email(&email).await {
        Ok(c) => c,
        Err(e) => return server_error(&e),
    };
    let n = match state.store().erase_commenter(&email).await {
        Ok(n) => n,
        Err(e) => return server_error(&e),
    };
    let mut seen = std::collections::HashSet::new();
    for c in &affected {
        if seen.insert(c.article_id) {
            state.comments_changed(c.article_id);
        }
    }
    // The address itself stays out of the log: that is what was erased.
    audit(
        &state,
        Some(&who),
        "erased commenter data",
        &format!("{n} comments"),
        &ip,
    )
    .await;
    let done = Place {
        queue: Queue::All,
        ..Place::default()
    };
    see_other(
        &done.done("erased", Some(usize::try_from(n).unwrap_or(usize::MAX))),
        None,
    )
}

// ------------------------------------------------------------------ comment settings

/// The settings form's fields, as typed (kept when a save is refused).
#[derive(Serialize, Default)]
struct RulesForm {
    require_name_email: bool,
    close_all: bool,
    hold_all: bool,
    close_after_days: String,
    flood_seconds: String,
    min_form_seconds: String,
    max_form_hours: String,
    hold_links: String,
    moderation_words: String,
    disallowed_words: String,
    spam_threshold: String,
    thread_depth: String,
    per_page: String,
    anonymise_ip_days: String,
    spam_keep_days: String,
}

impl RulesForm {
    fn of(r: &CommentRules) -> Self {
        Self {
            require_name_email: r.require_name_email,
            close_all: r.close_all,
            hold_all: r.hold_all,
            close_after_days: r
                .close_after_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
            flood_seconds: r.flood_seconds.to_string(),
            min_form_seconds: r.min_form_seconds.to_string(),
            max_form_hours: r.max_form_hours.to_string(),
            hold_links: r.hold_links.to_string(),
            moderation_words: r.moderation_words.join("\n"),
            disallowed_words: r.disallowed_words.join("\n"),
            spam_threshold: r.spam_threshold.map(|t| t.to_string()).unwrap_or_default(),
            thread_depth: r.thread_depth.to_string(),
            per_page: r.per_page.to_string(),
            anonymise_ip_days: r.anonymise_ip_days.to_string(),
            spam_keep_days: r.spam_keep_days.to_string(),
        }
    }

    fn typed(form: &[(String, String)]) -> Self {
        let get = |k: &str| one(form, k).unwrap_or_default().trim().to_owned();
        let ticked = |k: &str| one(form, k).is_some_and(|v| !v.is_empty());
        Self {
            require_name_email: ticked("require_name_email"),
            close_all: ticked("close_all"),
            hold_all: ticked("hold_all"),
            close_after_days: get("close_after_days"),
            flood_seconds: get("flood_seconds"),
            min_form_seconds: get("min_form_seconds"),
            max_form_hours: get("max_form_hours"),
            hold_links: get("hold_links"),
            moderation_words: one(form, "moderation_words")
                .unwrap_or_default()
                .replace("\r\n", "\n"),
            disallowed_words: one(form, "disallowed_words")
                .unwrap_or_default()
                .replace("\r\n", "\n"),
            spam_threshold: get("spam_threshold"),
            thread_depth: get("thread_depth"),
            per_page: get("per_page"),
            anonymise_ip_days: get("anonymise_ip_days"),
            spam_keep_days: get("spam_keep_days"),
        }
    }

    /// The rules the form describes, over `base` (so settings this form does not know
    /// of are kept), or the problems by field.
    fn rules(&self, base: &CommentRules) -> Result<CommentRules, BTreeMap<&'static str, String>> {
        let mut errors = BTreeMap::new();
        fn whole<T: std::str::FromStr>(
            errors: &mut BTreeMap<&'static str, String>,
            field: &'static str,
            value: &str,
            what: &str,
        ) -> Option<T> {
            match value.parse::<T>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.insert(field, format!("{what} must be a whole number (0 or more)."));
                    None
                }
            }
        }
        let words = |s: &str| -> Vec<String> {
            s.lines()
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let mut r = base.clone();
        r.require_name_email = self.require_name_email;
        r.close_all = self.close_all;
        r.hold_all = self.hold_all;
        r.close_after_days = if self.close_after_days.is_empty() {
            None
        } else {
            whole(
                &mut errors,
                "close_after_days",
                &self.close_after_days,
                "The days comments stay open",
            )
        };
        let mut set = |field: &'static str, value: &str, what: &str, into: &mut u32| {
            if let Some(n) = whole(&mut errors, field, value, what) {
                *into = n;
            }
        };
        set(
            "flood_seconds",
            &self.flood_seconds,
            "The seconds between comments",
            &mut r.flood_seconds,
        );
        set(
            "min_form_seconds",
            &self.min_form_seconds,
            "The shortest time to fill in the form",
            &mut r.min_form_seconds,
        );
        set(
            "max_form_hours",
            &self.max_form_hours,
            "The hours the form stays valid",
            &mut r.max_form_hours,
        );
        set(
            "per_page",
            &self.per_page,
            "Comments per page",
            &mut r.per_page,
        );
        set(
            "anonymise_ip_days",
            &self.anonymise_ip_days,
            "The days addresses are kept",
            &mut r.anonymise_ip_days,
        );
        set(
            "spam_keep_days",
            &self.spam_keep_days,
            "The days spam is kept",
            &mut r.spam_keep_days,
        );
        if let Some(n) = whole(
            &mut errors,
            "hold_links",
            &self.hold_links,
            "The number of links",
        ) {
            r.hold_links = n;
        }
        if let Some(n) = whole::<u8>(
            &mut errors,
            "thread_depth",
            &self.thread_depth,
            "The reply depth",
        ) {
            r.thread_depth = n;
        }
        r.spam_threshold = if self.spam_threshold.is_empty() {
            None
        } else {
            match self.spam_threshold.replace(',', ".").parse::<f32>() {
                Ok(t) if t.is_finite() => Some(t),
                _ => {
                    errors.insert(
                        "spam_threshold",
                        "The spam threshold must be a number from 0 to 1, such as 0.9, or empty."
                            .to_owned(),
                    );
                    None
                }
            }
        };
        r.moderation_words = words(&self.moderation_words);
        r.disallowed_words = words(&self.disallowed_words);
        if errors.is_empty() {
            Ok(r)
        } else {
            Err(errors)
        }
    }
}

#[derive(Serialize)]
struct RulesBody {
    form: RulesForm,
    errors: BTreeMap<&'static str, String>,
}

fn rules_screen(
    state: &AppState,
    who: &SignedIn,
    status: StatusCode,
    body: RulesBody,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    render(
        state,
        status,
        "comment_settings.html",
        "Comment settings",
        Some(who),
        notice,
        error,
        &body,
    )
}

/// `GET /newsroom/settings/comments`.
pub(super) async fn settings_form(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let body = RulesBody {
        form: RulesForm::of(&state.settings().comments),
        errors: BTreeMap::new(),
    };
    let notice = (q.done == "saved").then(|| "The comment settings are saved.".to_owned());
    rules_screen(&state, &who, StatusCode::OK, body, notice, None)
}

/// `POST /newsroom/settings/comments`: checks and saves the comment rules.
pub(super) async fn save_settings(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let typed = RulesForm::typed(&form);
    let current = state.settings().comments.clone();
    let (rules, problem) = match typed.rules(&current) {
        Ok(r) => {
            let checked = r.check();
            (Some(r), checked.err().map(|m| (m, BTreeMap::new())))
        }
        Err(errors) => (
            None,
            Some((
                if errors.len() == 1 {
                    "Please correct the problem marked below; nothing was saved.".to_owned()
                } else {
                    "Please correct the problems marked below; nothing was saved.".to_owned()
                },
                errors,
            )),
        ),
    };
    if let Some((message, errors)) = problem {
        return rules_screen(
            &state,
            &who,
            StatusCode::UNPROCESSABLE_ENTITY,
            RulesBody {
                form: typed,
                errors,
            },
            None,
            Some(message),
        );
    }
    let Some(rules) = rules else {
        return server_error(&"comment rules neither parsed nor refused");
    };
    if let Err(e) = crate::site_settings::save_comment_rules(&state, &rules).await {
        return server_error(&e);
    }
    audit(
        &state,
        Some(&who),
        "changed setting",
        "comment settings",
        &ip,
    )
    .await;
    see_other("/newsroom/settings/comments?done=saved", None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_names_only_a_place_in_the_queues() {
        let p = Place::from_back(Some(
            "status=spam&email=ann%40example.org&article=7&page=3&next=https://evil.example",
        ));
        assert_eq!(p.queue, Queue::Spam);
        assert_eq!(p.email, "ann@example.org");
        assert_eq!(p.article, Some(7));
        assert_eq!(p.page, 3);
        assert_eq!(
            p.done("spam", Some(2)),
            "/newsroom/comments?status=spam&email=ann%40example.org&article=7&page=3&done=spam&n=2"
        );
        let odd = Place::from_back(Some("status=nonsense&page=-4&article=x"));
        assert_eq!(odd, Place::default());
    }

    #[test]
    fn notices_count_what_changed() {
        assert_eq!(outcome("spam", 3).unwrap().0, "3 comments moved to spam.");
        assert_eq!(outcome("approve", 1).unwrap().0, "Comment approved.");
        assert!(
            outcome("approve", 0).unwrap().1,
            "nothing changed is an error"
        );
        assert!(outcome("<script>", 1).is_none());
    }

    #[test]
    fn settings_are_parsed_with_a_message_for_each_field() {
        let base = CommentRules::default();
        let mut f = RulesForm::of(&base);
        f.moderation_words = "casino\r\n\n  pills \n".replace("\r\n", "\n");
        f.close_after_days = String::new();
        let r = f.rules(&base).unwrap();
        assert_eq!(r.moderation_words, ["casino", "pills"]);
        assert_eq!(r.close_after_days, None);
        f.flood_seconds = "soon".into();
        f.spam_threshold = "high".into();
        let e = f.rules(&base).unwrap_err();
        assert!(e.contains_key("flood_seconds") && e.contains_key("spam_threshold"));
    }
}
