//! "Leave a Reply": reader comments on the public site and through the API. One
//! submission path for the form and the JSON API: gather the facts, ask the admission
//! rule (core), keep the comment whatever the verdict, tell the caches and the
//! moderators. The form's own protections (a honeypot, a signed timestamp) ride along
//! only with the form.

use crate::AppState;
use crate::auth::{self, SignedIn};
use crate::cache::PageTags;
use crate::error::SiteError;
use crate::views::{DateView, article_url};
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use masthead_core::Role;
use masthead_core::comment::{
    self, CommentStatus, Context, FormStamp, ParentState, Refusal, Submission, Verdict,
};
use masthead_render::comment as text;
use masthead_store::{Article, Comment, NewComment, StoreError};
use serde::Serialize;
use sha2::Sha256;
use std::collections::{BTreeMap, HashMap};

/// Name, email and website, kept in the reader's browser when they tick the box.
pub(crate) const SAVED_COOKIE: &str = "masthead_commenter";
/// The reader's own comments that wait for a moderator (signed ids): shown to them alone.
pub(crate) const PENDING_COOKIE: &str = "masthead_pending";
/// The honeypot: hidden from people, filled by robots that fill every field.
const HONEYPOT: &str = "contact_phone";
/// How long a cached article page lives at most: far shorter than the form's signed
/// timestamp stays valid, so a form from the cache is always accepted.
const PAGE_LIFETIME: chrono::Duration = chrono::Duration::hours(1);

/// Whether a request carries a commenter's cookie: its pages are personal (a saved
/// name in the form, a held comment shown) and bypass the shared cache.
pub(crate) fn personal(headers: &HeaderMap) -> bool {
    auth::cookie(headers, SAVED_COOKIE).is_some() || auth::cookie(headers, PENDING_COOKIE).is_some()
}

fn sign(state: &AppState, purpose: &str, message: &str) -> String {
    let secret = state.secret();
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(purpose.as_bytes());
    mac.update(b"\0");
    mac.update(message.as_bytes());
    auth::hex(&mac.finalize().into_bytes()[..16])
}

/// The form's signed timestamp: when it was issued, for which article.
fn stamp(state: &AppState, article_id: i64, at: DateTime<Utc>) -> String {
    let ts = at.timestamp();
    format!(
        "{ts}.{}",
        sign(state, "form", &format!("{article_id}:{ts}"))
    )
}

fn read_stamp(state: &AppState, article_id: i64, value: Option<&str>) -> FormStamp {
    let Some((ts, sig)) = value.and_then(|v| v.split_once('.')) else {
        return FormStamp::Missing;
    };
    let Ok(secs) = ts.parse::<i64>() else {
        return FormStamp::Missing;
    };
    if sign(state, "form", &format!("{article_id}:{secs}")) != sig {
        return FormStamp::Missing;
    }
    DateTime::from_timestamp(secs, 0).map_or(FormStamp::Missing, FormStamp::IssuedAt)
}

/// The avatar's address for an email: a keyed hash, so it can be neither reversed nor
/// matched against another site's.
pub(crate) fn avatar_url(state: &AppState, email: &str) -> String {
    format!(
        "/avatar/{}.svg",
        sign(state, "avatar", &comment::normalise_email(email))
    )
}

/// `GET /avatar/{hash}.svg`: the picture drawn from the hash alone.
pub async fn avatar(Path(file): Path<String>) -> Response {
    let seed = file.strip_suffix(".svg").unwrap_or_default();
    if seed.len() != 32 || !seed.bytes().all(|b| b.is_ascii_hexdigit()) {
        return (StatusCode::NOT_FOUND, "No such avatar.\n").into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        masthead_render::avatar::identicon_svg(seed.as_bytes()),
    )
        .into_response()
}

/// A commenter's details as the form keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Commenter {
    pub author: String,
    pub email: String,
    pub url: String,
}

fn saved_commenter(headers: &HeaderMap) -> Option<Commenter> {
    let raw = auth::cookie(headers, SAVED_COOKIE)?;
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?;
    let mut parts = decoded.split('\n');
    Some(Commenter {
        author: parts.next()?.chars().take(comment::MAX_NAME).collect(),
        email: parts
            .next()
            .unwrap_or_default()
            .chars()
            .take(comment::MAX_EMAIL)
            .collect(),
        url: parts
            .next()
            .unwrap_or_default()
            .chars()
            .take(comment::MAX_URL)
            .collect(),
    })
}

fn saved_cookie(state: &AppState, c: Option<&Commenter>) -> String {
    let secure = if state.settings().https {
        "; Secure"
    } else {
        ""
    };
    match c {
        Some(c) => {
            let value = format!("{}\n{}\n{}", c.author, c.email, c.url);
            let encoded =
                percent_encoding::utf8_percent_encode(&value, percent_encoding::NON_ALPHANUMERIC);
            format!(
                "{SAVED_COOKIE}={encoded}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000{secure}"
            )
        }
        None => format!("{SAVED_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

/// The reader's own held comments, from the signed cookie.
fn pending_ids(state: &AppState, headers: &HeaderMap) -> Vec<i64> {
    let Some((ids, sig)) = auth::cookie(headers, PENDING_COOKIE).and_then(|v| v.split_once('.'))
    else {
        return Vec::new();
    };
    if sign(state, "pending", ids) != sig {
        return Vec::new();
    }
    ids.split('-').filter_map(|i| i.parse().ok()).collect()
}

fn pending_cookie(state: &AppState, ids: &[i64]) -> String {
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join("-");
    let secure = if state.settings().https {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{PENDING_COOKIE}={list}.{}; Path=/; HttpOnly; SameSite=Lax; Max-Age=1209600{secure}",
        sign(state, "pending", &list)
    )
}

/// What the article page knows about the reader asking for it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reader {
    pub saved: Option<Commenter>,
    pub pending: Vec<i64>,
    /// `?replytocom=ID`: the form answers that comment (without JavaScript).
    pub reply_to: Option<i64>,
    /// `?cpage=N`: which page of the conversation.
    pub page: u32,
    /// `?reported=ID`: thank the reader for a report.
    pub reported: bool,
}

impl Reader {
    pub fn from_request(state: &AppState, headers: &HeaderMap, query: Option<&str>) -> Self {
        let mut r = Reader {
            saved: saved_commenter(headers),
            pending: pending_ids(state, headers),
            page: 1,
            ..Reader::default()
        };
        for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match &*k {
                "replytocom" => r.reply_to = v.parse().ok(),
                "cpage" => r.page = v.parse().unwrap_or(1).clamp(1, 100_000),
                "reported" => r.reported = true,
                _ => {}
            }
        }
        r
    }
}

/// The comment form as the page shows it: what the reader typed (kept after a
/// refusal), and the errors next to their fields.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct FormView {
    pub article_id: i64,
    pub stamp: String,
    pub author: String,
    pub email: String,
    pub url: String,
    pub comment: String,
    pub parent: Option<i64>,
    pub reply_to_name: Option<String>,
    pub remember: bool,
    /// By WordPress field name.
    pub errors: BTreeMap<&'static str, String>,
    /// The refusal's headline, shown above the form.
    pub message: Option<String>,
    pub require_name_email: bool,
    pub honeypot: &'static str,
}

/// One comment in the thread.
#[derive(Debug, Clone, Serialize)]
struct CommentNode {
    id: i64,
    author: String,
    website: Option<String>,
    avatar: String,
    time: DateView,
    body_html: String,
    pending: bool,
    staff: bool,
    depth: u8,
    children: Vec<CommentNode>,
}

/// The conversation under an article.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CommentsView {
    pub count: i64,
    pub open: bool,
    threads: Vec<CommentNode>,
    page: u32,
    pages: u32,
    pub form: Option<FormView>,
    notice: Option<&'static str>,
}

/// The thread for an article's page, the page's cache tags, and whether the page is
/// personal to this reader.
pub(crate) async fn view(
    state: &AppState,
    article: &Article,
    reader: &Reader,
    typed: Option<FormView>,
) -> Result<(CommentsView, PageTags), SiteError> {
    let settings = state.settings();
    let rules = &settings.comments;
    let now = state.now();
    let s = &article.summary;
    let open = comment::comments_open_now(
        s.status == masthead_core::ArticleStatus::Published,
        s.comments_open,
        s.published_at,
        now,
        rules,
    );
    let store = state.store();
    let mut comments = if s.comment_count > 0 {
        store.approved_comments(s.id).await?
    } else {
        Vec::new()
    };
    let mut pending_here = Vec::new();
    if !reader.pending.is_empty() {
        for c in store.comments_on_article(s.id, &reader.pending).await? {
            if c.status != CommentStatus::Approved && c.status != CommentStatus::Trash {
                pending_here.push(c.id);
                comments.push(c);
            }
        }
        comments.sort_by_key(|c| (c.created_at, c.id));
    }
    let names: HashMap<i64, String> = comments
        .iter()
        .map(|c| (c.id, text::clean_display(&c.author_name)))
        .collect();
    let nodes = thread(state, &comments, &pending_here, rules.thread_depth.max(1));
    let per_page = rules.per_page.max(1) as usize;
    let pages = nodes.len().div_ceil(per_page).max(1) as u32;
    let page = reader.page.clamp(1, pages);
    let threads: Vec<CommentNode> = nodes
        .into_iter()
        .skip((page as usize - 1) * per_page)
        .take(per_page)
        .collect();
    let form = open.then(|| {
        let mut f = typed.unwrap_or_else(|| {
            let saved = reader.saved.clone().unwrap_or_default();
            FormView {
                author: saved.author,
                email: saved.email,
                url: saved.url,
                remember: reader.saved.is_some(),
                parent: reader.reply_to.filter(|id| names.contains_key(id)),
                ..FormView::default()
            }
        });
        f.article_id = s.id;
        f.stamp = stamp(state, s.id, now);
        f.require_name_email = rules.require_name_email;
        f.honeypot = HONEYPOT;
        f.reply_to_name = f.parent.and_then(|p| names.get(&p).cloned());
        f
    });
    // The page changes when comments close by themselves, and lives at most an hour
    // so that its form's timestamp is always still good.
    let closes = comment::closes_at(s.published_at, rules).filter(|t| *t > now);
    let fresh_until = Some(closes.map_or(now + PAGE_LIFETIME, |t| t.min(now + PAGE_LIFETIME)));
    Ok((
        CommentsView {
            count: s.comment_count,
            open,
            threads,
            page,
            pages,
            form,
            notice: reader
                .reported
                .then_some("Thank you: the moderators will take a look at that comment."),
        },
        PageTags {
            articles: vec![s.id],
            fresh_until,
        },
    ))
}

/// Threads comments (already oldest first) to `max_depth` levels (at least 2); replies
/// deeper than that show at the deepest level, in time order.
fn thread(
    state: &AppState,
    comments: &[Comment],
    pending: &[i64],
    max_depth: u8,
) -> Vec<CommentNode> {
    let ids: std::collections::HashSet<i64> = comments.iter().map(|c| c.id).collect();
    let mut children: HashMap<i64, Vec<&Comment>> = HashMap::new();
    let mut roots = Vec::new();
    for c in comments {
        match c.parent_id.filter(|p| ids.contains(p) && *p != c.id) {
            Some(p) => children.entry(p).or_default().push(c),
            None => roots.push(c),
        }
    }
    let settings = state.settings();
    let node = |c: &Comment, depth: u8| CommentNode {
        id: c.id,
        author: text::clean_display(&c.author_name),
        website: text::safe_website(&c.author_url),
        avatar: avatar_url(state, &c.author_email),
        time: DateView::new(c.created_at, &settings),
        body_html: if c.body_format == "html" {
            text::imported_html(&c.body)
        } else {
            text::plain_text_to_html(&c.body)
        },
        pending: pending.contains(&c.id),
        staff: c.user_id.is_some(),
        depth,
        children: Vec::new(),
    };
    // Everything under `c`, oldest first, flattened: for the deepest level.
    fn descendants<'a>(
        id: i64,
        children: &HashMap<i64, Vec<&'a Comment>>,
        out: &mut Vec<&'a Comment>,
        guard: usize,
    ) {
        if guard == 0 {
            return;
        }
        for c in children.get(&id).into_iter().flatten() {
            out.push(c);
            descendants(c.id, children, out, guard - 1);
        }
    }
    fn build(
        c: &Comment,
        depth: u8,
        max_depth: u8,
        children: &HashMap<i64, Vec<&Comment>>,
        node: &dyn Fn(&Comment, u8) -> CommentNode,
    ) -> CommentNode {
        let mut n = node(c, depth);
        if depth + 2 < max_depth {
            n.children = children
                .get(&c.id)
                .into_iter()
                .flatten()
                .map(|k| build(k, depth + 1, max_depth, children, node))
                .collect();
        } else {
            let mut all = Vec::new();
            descendants(c.id, children, &mut all, 10_000);
            all.sort_by_key(|k| (k.created_at, k.id));
            n.children = all.into_iter().map(|k| node(k, depth + 1)).collect();
        }
        n
    }
    roots
        .into_iter()
        .map(|c| build(c, 0, max_depth, &children, &node))
        .collect()
}

/// What someone submitted, from the form or the API.
#[derive(Debug, Clone, Default)]
pub(crate) struct Input {
    pub parent: Option<i64>,
    pub author: String,
    pub email: String,
    pub url: String,
    pub text: String,
}

/// Where a submission came from.
pub(crate) enum Channel {
    Form {
        honeypot_filled: bool,
        stamp: FormStamp,
    },
    Api,
}

/// Who sent it.
pub(crate) struct Sender {
    pub ip: String,
    pub user_agent: String,
    /// A signed-in editor or administrator.
    pub staff: Option<SignedIn>,
}

/// The outcome of an accepted submission.
pub(crate) struct Accepted {
    pub id: i64,
    pub status: CommentStatus,
}

/// Runs a submission through the admission rule and keeps it unless refused.
pub(crate) async fn submit(
    state: &AppState,
    article: &Article,
    input: &Input,
    channel: Channel,
    sender: &Sender,
) -> Result<Result<Accepted, Refusal>, StoreError> {
    let settings = state.settings();
    let rules = &settings.comments;
    let now = state.now();
    let s = &article.summary;
    let mut input = input.clone();
    if let Some(staff) = &sender.staff {
        // Staff signed in need not type who they are.
        if input.author.trim().is_empty() {
            input.author = staff.user.name.clone();
        }
        if input.email.trim().is_empty() {
            input.email = staff.user.email.clone();
        }
    }
    let facts = state
        .store()
        .admission_facts(
            s.id,
            input.parent,
            &input.author,
            &input.email,
            &sender.ip,
            &input.text,
        )
        .await?;
    let words = masthead_spam::CommentText {
        author: &input.author,
        email: &input.email,
        url: &input.url,
        text: &input.text,
    };
    let (score, threshold) = {
        let filter = state.spam_filter();
        (filter.score(&words), filter.threshold())
    };
    let (honeypot_filled, stamp) = match channel {
        Channel::Form {
            honeypot_filled,
            stamp,
        } => (honeypot_filled, stamp),
        Channel::Api => (false, FormStamp::NotAForm),
    };
    let submission = Submission {
        author: &input.author,
        email: &input.email,
        url: &input.url,
        text: &input.text,
        client_ip: &sender.ip,
        user_agent: &sender.user_agent,
        honeypot_filled,
        stamp,
        staff: sender.staff.is_some(),
    };
    let ctx = Context {
        now,
        article_published: s.status == masthead_core::ArticleStatus::Published,
        comments_open: s.comments_open,
        published_at: s.published_at,
        parent: match (input.parent, facts.parent_status) {
            (None, _) => ParentState::None,
            (Some(_), Some(CommentStatus::Approved)) => ParentState::Approved,
            (Some(_), _) => ParentState::NotApproved,
        },
        duplicate: facts.duplicate,
        last_from_sender: facts.last_from_sender,
        known_author: facts.known_author,
        spam_score: Some(score),
        classifier_threshold: threshold,
    };
    let (status, reasons) = match comment::admit(&submission, &ctx, rules) {
        Verdict::Refused(r) => return Ok(Err(r)),
        Verdict::Approved => (CommentStatus::Approved, String::new()),
        Verdict::Held(why) => (CommentStatus::Held, join(&why)),
        Verdict::Spam(why) => (CommentStatus::Spam, join(&why)),
    };
    let id = state
        .store()
        .add_comment(&NewComment {
            article_id: s.id,
            parent_id: input.parent,
            status: Some(status),
            author_name: text::clean_display(&input.author),
            author_email: input.email.trim().to_owned(),
            author_url: input.url.trim().to_owned(),
            body: input.text.clone(),
            client_ip: sender.ip.clone(),
            user_agent: sender.user_agent.chars().take(500).collect(),
            user_id: sender.staff.as_ref().map(|w| w.user.id),
            reasons,
            spam_score: Some(score),
            ..NewComment::default()
        })
        .await?;
    if status == CommentStatus::Approved {
        state.comments_changed(s.id);
    }
    crate::comment_mail::notify(state, article, id, status).await;
    Ok(Ok(Accepted { id, status }))
}

fn join<T: std::fmt::Display>(reasons: &[T]) -> String {
    reasons
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether a signed-in person is staff who may moderate (their comments skip the queue).
pub(crate) fn as_staff(who: Option<SignedIn>) -> Option<SignedIn> {
    who.filter(|w| matches!(w.role(), Role::Administrator | Role::Editor))
}

/// `POST /comments` (and `/wp-comments-post.php`, where WordPress themes post): the
/// form. Answers with the article at the new comment, or the article again with the
/// refusal next to the fields and everything typed kept.
pub async fn post_form(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let headers = parts.headers;
    if !crate::newsroom::same_origin(&headers) {
        return (
            StatusCode::FORBIDDEN,
            [(header::CACHE_CONTROL, "no-store")],
            "This comment came from another site and was refused.\n",
        )
            .into_response();
    }
    let Ok(body) = axum::body::to_bytes(body, 256 * 1024).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "The comment is too large to accept.\n",
        )
            .into_response();
    };
    let form = parse_form(&body);
    let Some(article_id) = form
        .get("comment_post_ID")
        .and_then(|v| v.trim().parse().ok())
    else {
        return (
            StatusCode::BAD_REQUEST,
            "The form did not say which story the comment is for.\n",
        )
            .into_response();
    };
    // Only a published story has a page to answer a refusal with; for any other the
    // refusal is said on its own (the story must not show).
    let article = match state.store().article(article_id).await {
        Ok(Some(a)) if a.summary.status == masthead_core::ArticleStatus::Published => a,
        Ok(Some(_)) => {
            return crate::site::error_response(&state, SiteError::CommentsClosed).await;
        }
        Ok(None) => return crate::site::not_found(&state).await,
        Err(e) => return crate::site::error_response(&state, e.into()).await,
    };
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let input = Input {
        parent: form
            .get("comment_parent")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|p| *p > 0),
        author: field("author"),
        email: field("email"),
        url: field("url"),
        text: field("comment"),
    };
    let remember = form
        .get("wp-comment-cookies-consent")
        .is_some_and(|v| !v.is_empty());
    let staff = match auth::from_session(&state, &headers).await {
        Ok(w) => as_staff(w),
        Err(e) => return crate::site::error_response(&state, e.into()).await,
    };
    let sender = Sender {
        ip: crate::client::address(
            crate::client::peer(&parts.extensions),
            &headers,
            &state.settings().trusted_proxies,
        ),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        staff,
    };
    let channel = Channel::Form {
        honeypot_filled: form.get(HONEYPOT).is_some_and(|v| !v.trim().is_empty()),
        stamp: read_stamp(
            &state,
            article_id,
            form.get("masthead_stamp").map(String::as_str),
        ),
    };
    match submit(&state, &article, &input, channel, &sender).await {
        Ok(Ok(accepted)) => {
            let url = article_url(&article.summary);
            let mut res =
                (StatusCode::SEE_OTHER, [(header::CACHE_CONTROL, "no-store")]).into_response();
            let h = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&format!("{url}#comment-{}", accepted.id)) {
                h.insert(header::LOCATION, v);
            }
            let saved = remember.then(|| Commenter {
                author: input.author.clone(),
                email: input.email.clone(),
                url: input.url.clone(),
            });
            // Set only when the box is ticked; unticking it forgets what was kept.
            if (saved.is_some() || auth::cookie(&headers, SAVED_COOKIE).is_some())
                && let Ok(v) = HeaderValue::from_str(&saved_cookie(&state, saved.as_ref()))
            {
                h.append(header::SET_COOKIE, v);
            }
            if accepted.status != CommentStatus::Approved {
                let mut ids = pending_ids(&state, &headers);
                ids.push(accepted.id);
                let keep = ids.len().saturating_sub(20);
                if let Ok(v) = HeaderValue::from_str(&pending_cookie(&state, &ids[keep..])) {
                    h.append(header::SET_COOKIE, v);
                }
            }
            res
        }
        Ok(Err(refusal)) => {
            let typed = FormView {
                author: input.author,
                email: input.email,
                url: input.url,
                comment: input.text,
                parent: input.parent,
                remember,
                errors: refusal
                    .errors
                    .iter()
                    .map(|(f, m)| (f.as_str(), m.clone()))
                    .collect(),
                message: Some(refusal.message()),
                ..FormView::default()
            };
            let reader = Reader::from_request(&state, &headers, None);
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
            crate::site::article_with_form(&state, article, &reader, typed, status).await
        }
        Err(e) => crate::site::error_response(&state, e.into()).await,
    }
}

fn parse_form(body: &Bytes) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        // The first value of a repeated field counts, as in PHP's last-wins it would
        // not; either is fine as long as it is one.
        out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    out
}

/// `POST /comments/{id}/report`: a reader flags a comment for the moderators.
pub async fn report(State(state): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if !crate::newsroom::same_origin(&parts.headers) {
        return (
            StatusCode::FORBIDDEN,
            "This report came from another site and was refused.\n",
        )
            .into_response();
    }
    let body = axum::body::to_bytes(body, 8 * 1024)
        .await
        .unwrap_or_default();
    let form = parse_form(&body);
    let reason: String = form
        .get("reason")
        .map(|r| r.chars().take(200).collect())
        .unwrap_or_else(|| "Reported by a reader".to_owned());
    let ip = crate::client::address(
        crate::client::peer(&parts.extensions),
        &parts.headers,
        &state.settings().trusted_proxies,
    );
    let comment = match state.store().comment(id).await {
        Ok(Some(c)) if c.status == CommentStatus::Approved => c,
        Ok(_) => return crate::site::not_found(&state).await,
        Err(e) => return crate::site::error_response(&state, e.into()).await,
    };
    if let Err(e) = state.store().report_comment(id, &ip, &reason).await {
        return crate::site::error_response(&state, e.into()).await;
    }
    let url = match state.store().article(comment.article_id).await {
        Ok(Some(a)) => article_url(&a.summary),
        _ => "/".to_owned(),
    };
    let to = format!("{url}?reported={id}#comment-{id}");
    (
        StatusCode::SEE_OTHER,
        [
            (
                header::LOCATION,
                HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response()
}

/// A moderator moves a comment to `status`: the article's pages follow, the spam
/// filter learns from spam / not-spam decisions, and the audit log records it.
/// Returns the comment as it is now, or `None` when there is no such comment.
pub(crate) async fn moderate(
    state: &AppState,
    id: i64,
    status: CommentStatus,
    who: &SignedIn,
) -> Result<Option<Comment>, StoreError> {
    let store = state.store();
    let Some(before) = store.set_comment_status(id, status).await? else {
        return Ok(None);
    };
    if before.status != status {
        use CommentStatus::*;
        // Marking spam teaches "spam"; rescuing from spam, or approving what the
        // filter let through to the queue, teaches "not spam".
        let lesson = match (before.status, status) {
            (Spam, _) | (_, Spam) => Some(status == Spam),
            (Held, Approved) => Some(false),
            _ => None,
        };
        if let Some(spam) = lesson {
            state.learn_spam(&before, spam).await?;
        }
        if before.status == Approved || status == Approved {
            state.comments_changed(before.article_id);
        }
        let entry = masthead_store::NewAuditEntry {
            actor_id: Some(who.user.id),
            actor: who.user.email.clone(),
            action: format!("comment {}", status.as_str()),
            target: format!("comment {id}"),
            ..Default::default()
        };
        if let Err(e) = store.audit(&entry).await {
            tracing::error!("cannot write the audit log: {e}");
        }
    }
    store.comment(id).await
}
