//! Whether a reader's comment is let in, and in what state. The web layer gathers the
//! facts (is the parent approved, when did this sender last post, what does the spam
//! filter think) and asks [`admit`] for a verdict, so every rule of admission lives in
//! one pure function and is tested without a database.
//!
//! The order matters and is WordPress's: a reader who cannot comment at all is told so
//! before being told their form is incomplete, a mistake they can fix is reported before
//! anything is stored, and only a comment that would be stored is judged as spam or held.

use crate::article::UnknownValue;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a stored comment stands. Only `Approved` comments are ever shown to readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommentStatus {
    Approved,
    /// Waiting for a moderator.
    Held,
    /// Kept for `spam_keep_days` so a moderator can rescue a false positive, then purged.
    Spam,
    Trash,
}

impl CommentStatus {
    pub const ALL: [CommentStatus; 4] = [Self::Approved, Self::Held, Self::Spam, Self::Trash];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Held => "held",
            Self::Spam => "spam",
            Self::Trash => "trash",
        }
    }
}

impl fmt::Display for CommentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CommentStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownValue {
                kind: "comment status",
                value: s.to_owned(),
            })
    }
}

/// How long comments stay open once a site turns on automatic closing: WordPress's
/// default, long enough for a story's discussion and short enough that old articles stop
/// collecting spam.
pub const DEFAULT_CLOSE_AFTER_DAYS: u32 = 14;

/// The site's comment settings. Every threshold is a setting rather than a constant so a
/// site can tune them and tests can lower them; the defaults are WordPress's where it has
/// one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommentRules {
    /// Readers must give a name and an email address.
    pub require_name_email: bool,
    /// Comments close this many days after publication; `None` never closes them.
    pub close_after_days: Option<u32>,
    /// The site-wide "close all comments now" switch, for a crisis or a legal hold.
    pub close_all: bool,
    /// Hold every comment for moderation.
    pub hold_all: bool,
    /// The least time between two comments from the same address or email.
    pub flood_seconds: u32,
    /// A person takes at least this long to fill in the form; a script does not.
    pub min_form_seconds: u32,
    /// How long the form's signed timestamp stays valid. It must outlive any cached copy
    /// of an article page, or readers of a cached page would be taken for spammers.
    pub max_form_hours: u32,
    /// This many links or more hold a comment; 0 never holds for links.
    pub hold_links: usize,
    /// Words or phrases (one per entry) that hold a comment for moderation.
    pub moderation_words: Vec<String>,
    /// Words or phrases (one per entry) that mark a comment as spam.
    pub disallowed_words: Vec<String>,
    /// The learned filter's score at which a comment is spam; `None` trusts the
    /// classifier's own threshold.
    pub spam_threshold: Option<f32>,
    /// How deep replies may nest (2–10, as WordPress allows).
    pub thread_depth: u8,
    /// Top-level comments per page.
    pub per_page: u32,
    /// Commenters' addresses are personal data: they are erased after this many days,
    /// once flood control no longer needs them.
    pub anonymise_ip_days: u32,
    /// Spam is purged after this many days.
    pub spam_keep_days: u32,
}

impl Default for CommentRules {
    fn default() -> Self {
        Self {
            require_name_email: true,
            close_after_days: None,
            close_all: false,
            hold_all: false,
            flood_seconds: 15,
            min_form_seconds: 3,
            max_form_hours: 48,
            hold_links: 2,
            moderation_words: Vec::new(),
            disallowed_words: Vec::new(),
            spam_threshold: None,
            thread_depth: 5,
            per_page: 50,
            anonymise_ip_days: 30,
            spam_keep_days: 30,
        }
    }
}

impl CommentRules {
    /// Checks settings an administrator typed, so a mistake is reported when saving
    /// rather than discovered when every reader's comment goes to spam. All problems are
    /// reported together, one sentence each.
    pub fn check(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        if !(2..=10).contains(&self.thread_depth) {
            problems.push("Replies must nest between 2 and 10 levels deep.");
        }
        if !(1..=500).contains(&self.per_page) {
            problems.push("Comments per page must be between 1 and 500.");
        }
        if self.close_after_days == Some(0) {
            problems.push(
                "Comments must stay open at least one day; to close them everywhere, close all comments instead.",
            );
        }
        if self.max_form_hours == 0 {
            problems.push("The comment form must stay valid for at least one hour.");
        } else if u64::from(self.min_form_seconds) >= u64::from(self.max_form_hours) * 3600 {
            problems.push(
                "The shortest time to fill in the form must be less than the time the form stays valid.",
            );
        }
        if let Some(t) = self.spam_threshold
            && !(0.0..=1.0).contains(&t)
        {
            problems.push("The spam threshold must be a number from 0 to 1.");
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join(" "))
        }
    }
}

/// Longest commenter name, in characters.
pub const MAX_NAME: usize = 245;
/// Longest email address, in characters.
pub const MAX_EMAIL: usize = 100;
/// Longest website address, in characters.
pub const MAX_URL: usize = 200;
/// Longest comment, in bytes (WordPress's: a MySQL TEXT column less some headroom).
pub const MAX_TEXT: usize = 65_525;

/// A field of the comment form, named as WordPress names it so themes and clients
/// written for WordPress find their errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Field {
    #[serde(rename = "author")]
    Author,
    #[serde(rename = "email")]
    Email,
    #[serde(rename = "url")]
    Url,
    #[serde(rename = "comment")]
    Comment,
    #[serde(rename = "comment_parent")]
    Parent,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Author => "author",
            Self::Email => "email",
            Self::Url => "url",
            Self::Comment => "comment",
            Self::Parent => "comment_parent",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the form's signed timestamp says about when the form was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormStamp {
    /// Not a form: the JSON API, whose clients have no honeypot or timestamp to send.
    NotAForm,
    /// A form post without a timestamp whose signature checks out.
    Missing,
    /// A correctly signed timestamp.
    IssuedAt(DateTime<Utc>),
}

/// The comment being replied to, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentState {
    /// Not a reply.
    None,
    Approved,
    /// Held, spam, trash, missing, or on another article: nothing a reader can see.
    NotApproved,
}

/// What the reader sent, as received (the fields are trimmed here).
#[derive(Debug, Clone)]
pub struct Submission<'a> {
    pub author: &'a str,
    pub email: &'a str,
    pub url: &'a str,
    pub text: &'a str,
    pub client_ip: &'a str,
    pub user_agent: &'a str,
    /// The hidden field only scripts fill in.
    pub honeypot_filled: bool,
    pub stamp: FormStamp,
    /// A signed-in editor or administrator: exempt from flood control and spam checks,
    /// and approved without moderation.
    pub staff: bool,
}

/// What the web layer found out about the article, the thread and the sender.
#[derive(Debug, Clone)]
pub struct Context {
    pub now: DateTime<Utc>,
    pub article_published: bool,
    /// The editor's switch on the article.
    pub comments_open: bool,
    pub published_at: Option<DateTime<Utc>>,
    pub parent: ParentState,
    /// The same article, parent, author-or-email and text is already stored.
    pub duplicate: bool,
    /// The newest comment from the same client address or email.
    pub last_from_sender: Option<DateTime<Utc>>,
    /// An earlier approved comment under the same name and email.
    pub known_author: bool,
    /// The learned filter's score, if it has been asked.
    pub spam_score: Option<f32>,
    /// The score the filter itself considers spam.
    pub classifier_threshold: f32,
}

/// The outcome of [`admit`]: store the comment with a status, or tell the reader why not.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Approved,
    Held(Vec<HoldReason>),
    Spam(Vec<SpamReason>),
    Refused(Refusal),
}

impl Verdict {
    /// The status to store the comment with; `None` when it is not stored at all.
    pub fn status(&self) -> Option<CommentStatus> {
        match self {
            Self::Approved => Some(CommentStatus::Approved),
            Self::Held(_) => Some(CommentStatus::Held),
            Self::Spam(_) => Some(CommentStatus::Spam),
            Self::Refused(_) => None,
        }
    }
}

/// Why a comment waits for a moderator, shown to that moderator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldReason {
    HoldAll,
    Links(usize),
    ModerationWord(String),
    FirstComment,
}

impl fmt::Display for HoldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HoldAll => f.write_str("All comments are held for moderation"),
            Self::Links(1) => f.write_str("Contains 1 link"),
            Self::Links(n) => write!(f, "Contains {n} links"),
            Self::ModerationWord(w) => write!(f, "Contains the moderation word “{w}”"),
            Self::FirstComment => f.write_str("First comment from this name and email"),
        }
    }
}

/// Why a comment was taken for spam, shown to a moderator reviewing the spam queue.
#[derive(Debug, Clone, PartialEq)]
pub enum SpamReason {
    Honeypot,
    TooFast,
    StampMissingOrExpired,
    DisallowedWord(String),
    Classifier(f32),
}

impl fmt::Display for SpamReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Honeypot => f.write_str("Filled in the hidden field"),
            Self::TooFast => f.write_str("Sent too soon after the form was loaded"),
            Self::StampMissingOrExpired => {
                f.write_str("The form's timestamp was missing, expired or from the future")
            }
            Self::DisallowedWord(w) => write!(f, "Contains the disallowed word “{w}”"),
            Self::Classifier(s) => write!(f, "Spam filter score {s:.2}"),
        }
    }
}

/// A comment not stored, and what to tell the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    /// Problems with particular fields, so a form can show each beside its field.
    pub errors: Vec<(Field, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalKind {
    ParentNotApproved,
    Closed,
    Invalid,
    Duplicate,
    TooFast,
}

const PARENT_NOT_APPROVED: &str = "You cannot reply to a comment that is not approved.";

impl Refusal {
    fn bare(kind: RefusalKind) -> Self {
        Self {
            kind,
            errors: Vec::new(),
        }
    }

    /// The HTTP status a refusal is answered with.
    pub fn status(&self) -> u16 {
        match self.kind {
            RefusalKind::ParentNotApproved | RefusalKind::Closed => 403,
            RefusalKind::Invalid => 400,
            RefusalKind::Duplicate => 409,
            RefusalKind::TooFast => 429,
        }
    }

    /// The headline sentence for the reader; field problems are in `errors`.
    pub fn message(&self) -> String {
        match self.kind {
            RefusalKind::ParentNotApproved => PARENT_NOT_APPROVED,
            RefusalKind::Closed => "Comments are closed.",
            RefusalKind::Invalid => "Please correct the problems with your comment.",
            RefusalKind::Duplicate => {
                "Duplicate comment detected; it looks as though you've already said that!"
            }
            RefusalKind::TooFast => "You are posting comments too quickly. Slow down.",
        }
        .to_owned()
    }
}

/// Decides what becomes of a comment. Refusals come first, in the order a reader should
/// hear about them; then spam signals, all of them, so a moderator sees every reason;
/// then the reasons to hold it. Staff skip flood control, spam checks and moderation,
/// but not the rules that protect the thread (closed, duplicate, unapproved parent).
pub fn admit(sub: &Submission<'_>, ctx: &Context, rules: &CommentRules) -> Verdict {
    if ctx.parent == ParentState::NotApproved {
        return Verdict::Refused(Refusal {
            kind: RefusalKind::ParentNotApproved,
            errors: vec![(Field::Parent, PARENT_NOT_APPROVED.to_owned())],
        });
    }
    if !comments_open_now(
        ctx.article_published,
        ctx.comments_open,
        ctx.published_at,
        ctx.now,
        rules,
    ) {
        return Verdict::Refused(Refusal::bare(RefusalKind::Closed));
    }
    let errors = field_errors(sub, rules);
    if !errors.is_empty() {
        return Verdict::Refused(Refusal {
            kind: RefusalKind::Invalid,
            errors,
        });
    }
    if ctx.duplicate {
        return Verdict::Refused(Refusal::bare(RefusalKind::Duplicate));
    }
    if !sub.staff && flooding(ctx.last_from_sender, ctx.now, rules.flood_seconds) {
        return Verdict::Refused(Refusal::bare(RefusalKind::TooFast));
    }
    if sub.staff {
        return Verdict::Approved;
    }
    let haystacks = [
        sub.author,
        sub.email,
        sub.url,
        sub.text,
        sub.client_ip,
        sub.user_agent,
    ];
    let spam = spam_signals(sub, ctx, rules, &haystacks);
    if !spam.is_empty() {
        return Verdict::Spam(spam);
    }
    let mut holds = Vec::new();
    if rules.hold_all {
        holds.push(HoldReason::HoldAll);
    }
    if rules.hold_links > 0 {
        let links = count_links(sub.text);
        if links >= rules.hold_links {
            holds.push(HoldReason::Links(links));
        }
    }
    if let Some(word) = contains_word(&rules.moderation_words, &haystacks) {
        holds.push(HoldReason::ModerationWord(word));
    }
    if !ctx.known_author {
        holds.push(HoldReason::FirstComment);
    }
    if holds.is_empty() {
        Verdict::Approved
    } else {
        Verdict::Held(holds)
    }
}

/// Every problem with the fields at once, at most one per field (the most specific),
/// in the form's order: a reader fixes everything in one go instead of one error per
/// round trip.
fn field_errors(sub: &Submission<'_>, rules: &CommentRules) -> Vec<(Field, String)> {
    let author = sub.author.trim();
    let email = sub.email.trim();
    let url = sub.url.trim();
    let text = sub.text.trim();
    let mut errors = Vec::new();
    let mut error = |field, message: &str| errors.push((field, message.to_owned()));

    if author.chars().count() > MAX_NAME {
        error(
            Field::Author,
            &format!("Your name is longer than {MAX_NAME} characters."),
        );
    } else if author.is_empty() && rules.require_name_email {
        error(Field::Author, "Please enter your name.");
    }

    if email.chars().count() > MAX_EMAIL {
        error(
            Field::Email,
            &format!("Your email address is longer than {MAX_EMAIL} characters."),
        );
    } else if email.is_empty() {
        if rules.require_name_email {
            error(Field::Email, "Please enter your email address.");
        }
    } else if !plausible_email(email) {
        error(Field::Email, "Please enter a valid email address.");
    }

    if url.chars().count() > MAX_URL {
        error(
            Field::Url,
            &format!("Your web address is longer than {MAX_URL} characters."),
        );
    } else if !url.is_empty() && !plausible_url(url) {
        error(
            Field::Url,
            "Please enter a web address starting with http:// or https://.",
        );
    }

    if text.len() > MAX_TEXT {
        error(Field::Comment, "Your comment is too long.");
    } else if text.is_empty() {
        error(Field::Comment, "Please type your comment text.");
    }
    errors
}

fn flooding(last: Option<DateTime<Utc>>, now: DateTime<Utc>, flood_seconds: u32) -> bool {
    // A newest comment "from the future" (a clock stepped back) counts as just now.
    flood_seconds > 0
        && last.is_some_and(|t| {
            now.signed_duration_since(t) < Duration::seconds(i64::from(flood_seconds))
        })
}

fn spam_signals(
    sub: &Submission<'_>,
    ctx: &Context,
    rules: &CommentRules,
    haystacks: &[&str],
) -> Vec<SpamReason> {
    let mut reasons = Vec::new();
    if sub.honeypot_filled {
        reasons.push(SpamReason::Honeypot);
    }
    match sub.stamp {
        FormStamp::NotAForm => {}
        FormStamp::Missing => reasons.push(SpamReason::StampMissingOrExpired),
        FormStamp::IssuedAt(issued) => {
            let age = ctx.now.signed_duration_since(issued);
            // Our own servers sign the stamp, so one from more than a minute ahead is not
            // clock drift; within that minute it is simply too young.
            if age < -Duration::minutes(1) || age > Duration::hours(i64::from(rules.max_form_hours))
            {
                reasons.push(SpamReason::StampMissingOrExpired);
            } else if age < Duration::seconds(i64::from(rules.min_form_seconds)) {
                reasons.push(SpamReason::TooFast);
            }
        }
    }
    if let Some(word) = contains_word(&rules.disallowed_words, haystacks) {
        reasons.push(SpamReason::DisallowedWord(word));
    }
    if let Some(score) = ctx.spam_score {
        let threshold = rules.spam_threshold.unwrap_or(ctx.classifier_threshold);
        if score >= threshold {
            reasons.push(SpamReason::Classifier(score));
        }
    }
    reasons
}

/// When comments on an article published at `published_at` close automatically (None
/// if never), so the article page can say "comments close on …".
pub fn closes_at(
    published_at: Option<DateTime<Utc>>,
    rules: &CommentRules,
) -> Option<DateTime<Utc>> {
    let days = rules.close_after_days?;
    published_at?.checked_add_signed(Duration::days(i64::from(days)))
}

/// Whether the form is shown and comments are accepted now. The page and [`admit`] ask
/// the same question, so a reader is never shown a form that would refuse them.
pub fn comments_open_now(
    article_published: bool,
    comments_open: bool,
    published_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    rules: &CommentRules,
) -> bool {
    article_published
        && comments_open
        && !rules.close_all
        && closes_at(published_at, rules).is_none_or(|t| now < t)
}

/// Whether `s` could be an email address. Deliberately loose: a stricter check turns
/// away real addresses, and a false one only costs the commenter their notifications.
pub fn plausible_email(s: &str) -> bool {
    if s.chars().count() > MAX_EMAIL || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

/// Whether `s` is an absolute http(s) address with a host: the only kind of commenter
/// website that is safe to link to (no `javascript:`, `data:` or relative addresses).
pub fn plausible_url(s: &str) -> bool {
    let starts = |prefix: &str| {
        s.as_bytes()
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
    };
    // The prefixes are ASCII, so the slices below start on a character boundary.
    let rest = if starts("https://") {
        &s[8..]
    } else if starts("http://") {
        &s[7..]
    } else {
        return false;
    };
    rest.chars().next().is_some_and(|c| {
        !matches!(c, '/' | '\\' | '?' | '#' | '@' | ':' | '.') && !c.is_whitespace()
    }) && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// How many links `text` carries: http(s) URLs, `www.` hosts, and `<a href` tags in
/// typed or imported HTML. An anchor counts as many links as the URLs in its text, and at
/// least one, so `<a href="u">u</a>` is one link but a list of URLs wrapped in one anchor
/// (shown as links once the tags are escaped) is not.
pub fn count_links(text: &str) -> usize {
    // ASCII lower-casing keeps byte offsets, and every marker we look for is ASCII.
    let lower = text.to_ascii_lowercase();
    let b = lower.as_bytes();
    // Where the next "</a" is, found once rather than searched for from every anchor:
    // a comment of nothing but unclosed anchors would otherwise take quadratic time.
    let mut next_close: Option<Option<usize>> = None;
    let mut count = 0;
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"<a") && rest.get(2).is_some_and(u8::is_ascii_whitespace) {
            let tag_end = i + find(rest, b">").map_or(rest.len(), |e| e + 1);
            if find(&b[i..tag_end], b"href").is_some() {
                let close = match next_close {
                    Some(Some(c)) if c >= tag_end => Some(c),
                    Some(None) => None,
                    _ => find(&b[tag_end..], b"</a").map(|c| tag_end + c),
                };
                next_close = Some(close);
                let end = close.unwrap_or(tag_end);
                count += count_urls(&b[..end], tag_end).max(1);
                i = end.max(i + 1);
            } else {
                i = tag_end;
            }
            continue;
        }
        if let Some(len) = url_at(b, i) {
            count += 1;
            i += len;
            continue;
        }
        i += 1;
    }
    count
}

/// The URLs in `b[from..]`.
fn count_urls(b: &[u8], from: usize) -> usize {
    let mut count = 0;
    let mut i = from;
    while i < b.len() {
        if let Some(len) = url_at(b, i) {
            count += 1;
            i += len;
        } else {
            i += 1;
        }
    }
    count
}

/// The length of the URL starting at byte `i` of lower-cased `b`, if one does.
fn url_at(b: &[u8], i: usize) -> Option<usize> {
    let rest = &b[i..];
    let prefix = if rest.starts_with(b"https://") {
        8
    } else if rest.starts_with(b"http://") {
        7
    } else if rest.starts_with(b"www.") {
        // "www." inside a word or an address ("awww.", "me@www.") is not a host.
        let boundary = i == 0
            || !matches!(b[i - 1], b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'@' | b'/');
        if !boundary {
            return None;
        }
        4
    } else {
        return None;
    };
    // A host starts with a letter or digit, ASCII or not ("https://café.example").
    let host = *rest.get(prefix)?;
    if host.is_ascii() && !host.is_ascii_alphanumeric() {
        return None;
    }
    Some(
        rest.iter()
            .position(|c| c.is_ascii_whitespace() || matches!(c, b'<' | b'>' | b'"'))
            .unwrap_or(rest.len()),
    )
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What identifies "the same person" for `known_author` and flood control: the address
/// trimmed and lower-cased, as stored.
pub fn normalise_email(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The first entry of `list` found in any of `haystacks`, ignoring case: WordPress's
/// moderation and disallowed-word lists, which match anywhere (so "casino" also catches
/// "casinos", and "203.0.113." a whole address range). Entries are trimmed and empty ones
/// ignored, since an empty entry would match everything.
pub fn contains_word(list: &[String], haystacks: &[&str]) -> Option<String> {
    if list.iter().all(|w| w.trim().is_empty()) {
        return None;
    }
    let lowered: Vec<String> = haystacks.iter().map(|h| h.to_lowercase()).collect();
    list.iter()
        .map(|w| w.trim())
        .filter(|w| !w.is_empty())
        .find(|w| {
            let w = w.to_lowercase();
            lowered.iter().any(|h| h.contains(&w))
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("a time")
    }

    fn now() -> DateTime<Utc> {
        at("2026-03-10T12:00:00Z")
    }

    fn sub() -> Submission<'static> {
        Submission {
            author: "Ada Reader",
            email: "ada@example.com",
            url: "",
            text: "A thoughtful remark.",
            client_ip: "198.51.100.7",
            user_agent: "Mozilla/5.0",
            honeypot_filled: false,
            stamp: FormStamp::IssuedAt(at("2026-03-10T11:55:00Z")),
            staff: false,
        }
    }

    fn ctx() -> Context {
        Context {
            now: now(),
            article_published: true,
            comments_open: true,
            published_at: Some(at("2026-03-09T08:00:00Z")),
            parent: ParentState::None,
            duplicate: false,
            last_from_sender: None,
            known_author: true,
            spam_score: None,
            classifier_threshold: 0.9,
        }
    }

    fn rules() -> CommentRules {
        CommentRules::default()
    }

    fn refusal(v: Verdict) -> Refusal {
        match v {
            Verdict::Refused(r) => r,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn an_ordinary_comment_from_a_known_reader_is_approved() {
        assert_eq!(admit(&sub(), &ctx(), &rules()), Verdict::Approved);
        assert_eq!(Verdict::Approved.status(), Some(CommentStatus::Approved));
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in CommentStatus::ALL {
            assert_eq!(s.as_str().parse::<CommentStatus>(), Ok(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        assert!("pending".parse::<CommentStatus>().is_err());
        assert_eq!(Field::Parent.as_str(), "comment_parent");
    }

    #[test]
    fn default_rules_are_wordpress_and_valid() {
        let r = rules();
        assert!(r.require_name_email);
        assert_eq!(r.close_after_days, None);
        assert_eq!(r.flood_seconds, 15);
        assert_eq!(r.min_form_seconds, 3);
        assert_eq!(r.max_form_hours, 48);
        assert_eq!(r.hold_links, 2);
        assert_eq!(r.thread_depth, 5);
        assert_eq!(r.per_page, 50);
        assert_eq!(r.check(), Ok(()));
    }

    #[test]
    fn check_reports_every_bad_setting_in_sentences() {
        let bad = CommentRules {
            thread_depth: 11,
            per_page: 0,
            close_after_days: Some(0),
            max_form_hours: 0,
            spam_threshold: Some(1.5),
            ..rules()
        };
        let err = bad.check().expect_err("invalid");
        for part in [
            "between 2 and 10",
            "between 1 and 500",
            "at least one day",
            "at least one hour",
            "from 0 to 1",
        ] {
            assert!(err.contains(part), "{part}: {err}");
        }
        let too_slow = CommentRules {
            min_form_seconds: 3600,
            max_form_hours: 1,
            ..rules()
        };
        assert!(too_slow.check().is_err());
        let nan = CommentRules {
            spam_threshold: Some(f32::NAN),
            ..rules()
        };
        assert!(nan.check().is_err());
        let edge = CommentRules {
            thread_depth: 2,
            per_page: 500,
            close_after_days: Some(DEFAULT_CLOSE_AFTER_DAYS),
            spam_threshold: Some(0.0),
            ..rules()
        };
        assert_eq!(edge.check(), Ok(()));
    }

    #[test]
    fn a_reply_to_an_unapproved_comment_is_refused_first() {
        let c = Context {
            parent: ParentState::NotApproved,
            article_published: false,
            duplicate: true,
            ..ctx()
        };
        let r = refusal(admit(&Submission { text: "", ..sub() }, &c, &rules()));
        assert_eq!(r.kind, RefusalKind::ParentNotApproved);
        assert_eq!(r.status(), 403);
        assert_eq!(
            r.errors,
            vec![(
                Field::Parent,
                "You cannot reply to a comment that is not approved.".to_owned()
            )]
        );
        assert_eq!(
            r.message(),
            "You cannot reply to a comment that is not approved."
        );
        let ok = Context {
            parent: ParentState::Approved,
            ..ctx()
        };
        assert_eq!(admit(&sub(), &ok, &rules()), Verdict::Approved);
    }

    #[test]
    fn closed_articles_refuse_before_the_form_is_checked() {
        let empty = Submission {
            author: "",
            text: "  ",
            ..sub()
        };
        let cases = [
            Context {
                article_published: false,
                ..ctx()
            },
            Context {
                comments_open: false,
                ..ctx()
            },
        ];
        for c in cases {
            let r = refusal(admit(&empty, &c, &rules()));
            assert_eq!(r.kind, RefusalKind::Closed);
            assert_eq!(r.status(), 403);
            assert_eq!(r.message(), "Comments are closed.");
        }
        let all = CommentRules {
            close_all: true,
            ..rules()
        };
        assert_eq!(
            refusal(admit(&empty, &ctx(), &all)).kind,
            RefusalKind::Closed
        );
    }

    #[test]
    fn comments_close_automatically_on_the_exact_instant() {
        let r = CommentRules {
            close_after_days: Some(DEFAULT_CLOSE_AFTER_DAYS),
            ..rules()
        };
        let published = at("2026-03-01T09:30:00Z");
        let closes = at("2026-03-15T09:30:00Z");
        assert_eq!(closes_at(Some(published), &r), Some(closes));
        assert_eq!(closes_at(None, &r), None);
        assert_eq!(closes_at(Some(published), &rules()), None);
        let open = |now| comments_open_now(true, true, Some(published), now, &r);
        assert!(open(at("2026-03-15T09:29:59Z")));
        assert!(!open(closes));
        assert!(!open(at("2026-04-01T00:00:00Z")));
        assert!(comments_open_now(true, true, None, closes, &r));
        assert!(!comments_open_now(
            false,
            true,
            Some(published),
            published,
            &r
        ));

        let c = Context {
            now: closes,
            published_at: Some(published),
            ..ctx()
        };
        assert_eq!(refusal(admit(&sub(), &c, &r)).kind, RefusalKind::Closed);
        let far = CommentRules {
            close_after_days: Some(u32::MAX),
            ..rules()
        };
        let end = DateTime::<Utc>::MAX_UTC;
        assert_eq!(closes_at(Some(end), &far), None);
        assert!(comments_open_now(true, true, Some(end), end, &far));
    }

    #[test]
    fn missing_name_and_email_are_reported_together() {
        let s = Submission {
            author: "  ",
            email: "",
            text: "",
            url: "javascript:alert(1)",
            ..sub()
        };
        let r = refusal(admit(&s, &ctx(), &rules()));
        assert_eq!(r.kind, RefusalKind::Invalid);
        assert_eq!(r.status(), 400);
        assert_eq!(
            r.message(),
            "Please correct the problems with your comment."
        );
        assert_eq!(
            r.errors,
            vec![
                (Field::Author, "Please enter your name.".to_owned()),
                (Field::Email, "Please enter your email address.".to_owned()),
                (
                    Field::Url,
                    "Please enter a web address starting with http:// or https://.".to_owned()
                ),
                (Field::Comment, "Please type your comment text.".to_owned()),
            ]
        );
    }

    #[test]
    fn a_given_email_must_be_plausible_even_when_not_required() {
        let optional = CommentRules {
            require_name_email: false,
            ..rules()
        };
        let anonymous = Submission {
            author: "",
            email: "",
            ..sub()
        };
        assert_eq!(admit(&anonymous, &ctx(), &optional), Verdict::Approved);
        let bad = Submission {
            email: "not an address",
            ..anonymous
        };
        let r = refusal(admit(&bad, &ctx(), &optional));
        assert_eq!(
            r.errors,
            vec![(
                Field::Email,
                "Please enter a valid email address.".to_owned()
            )]
        );
    }

    #[test]
    fn overlong_fields_are_named() {
        let name = "n".repeat(MAX_NAME + 1);
        let email = format!("{}@example.com", "e".repeat(MAX_EMAIL));
        let url = format!("https://example.com/{}", "u".repeat(MAX_URL));
        let text = "t".repeat(MAX_TEXT + 1);
        let s = Submission {
            author: &name,
            email: &email,
            url: &url,
            text: &text,
            ..sub()
        };
        let r = refusal(admit(&s, &ctx(), &rules()));
        assert_eq!(
            r.errors,
            vec![
                (
                    Field::Author,
                    "Your name is longer than 245 characters.".to_owned()
                ),
                (
                    Field::Email,
                    "Your email address is longer than 100 characters.".to_owned()
                ),
                (
                    Field::Url,
                    "Your web address is longer than 200 characters.".to_owned()
                ),
                (Field::Comment, "Your comment is too long.".to_owned()),
            ]
        );
        // At the limits exactly, and counted in characters for the short fields.
        let name = "é".repeat(MAX_NAME);
        let text = "t".repeat(MAX_TEXT);
        let s = Submission {
            author: &name,
            text: &text,
            ..sub()
        };
        assert_eq!(admit(&s, &ctx(), &rules()), Verdict::Approved);
        // The comment's limit is in bytes.
        let text = "é".repeat(MAX_TEXT / 2 + 1);
        let s = Submission {
            text: &text,
            ..sub()
        };
        assert_eq!(
            refusal(admit(&s, &ctx(), &rules())).kind,
            RefusalKind::Invalid
        );
    }

    #[test]
    fn fields_are_trimmed_before_they_are_judged() {
        let s = Submission {
            author: "  Ada  ",
            email: " ada@example.com\n",
            url: " https://ada.example ",
            text: "\n Hello \n",
            ..sub()
        };
        assert_eq!(admit(&s, &ctx(), &rules()), Verdict::Approved);
    }

    #[test]
    fn a_duplicate_is_refused_before_flood_control() {
        let c = Context {
            duplicate: true,
            last_from_sender: Some(now()),
            ..ctx()
        };
        let r = refusal(admit(&sub(), &c, &rules()));
        assert_eq!(r.kind, RefusalKind::Duplicate);
        assert_eq!(r.status(), 409);
        assert_eq!(
            r.message(),
            "Duplicate comment detected; it looks as though you've already said that!"
        );
        // Staff repeat themselves no more than readers do.
        let staff = Submission {
            staff: true,
            ..sub()
        };
        assert_eq!(
            refusal(admit(&staff, &c, &rules())).kind,
            RefusalKind::Duplicate
        );
    }

    #[test]
    fn an_invalid_form_is_refused_before_the_duplicate_check() {
        let c = Context {
            duplicate: true,
            ..ctx()
        };
        let s = Submission { email: "", ..sub() };
        assert_eq!(refusal(admit(&s, &c, &rules())).kind, RefusalKind::Invalid);
    }

    #[test]
    fn posting_again_within_the_flood_interval_is_refused_except_for_staff() {
        let soon = Context {
            last_from_sender: Some(at("2026-03-10T11:59:46Z")),
            ..ctx()
        };
        let r = refusal(admit(&sub(), &soon, &rules()));
        assert_eq!(r.kind, RefusalKind::TooFast);
        assert_eq!(r.status(), 429);
        assert_eq!(
            r.message(),
            "You are posting comments too quickly. Slow down."
        );
        let later = Context {
            last_from_sender: Some(at("2026-03-10T11:59:45Z")),
            ..ctx()
        };
        assert_eq!(admit(&sub(), &later, &rules()), Verdict::Approved);
        let future = Context {
            last_from_sender: Some(at("2026-03-10T12:00:05Z")),
            ..ctx()
        };
        assert_eq!(
            refusal(admit(&sub(), &future, &rules())).kind,
            RefusalKind::TooFast
        );
        let staff = Submission {
            staff: true,
            ..sub()
        };
        assert_eq!(admit(&staff, &soon, &rules()), Verdict::Approved);
        let off = CommentRules {
            flood_seconds: 0,
            ..rules()
        };
        assert_eq!(admit(&sub(), &soon, &off), Verdict::Approved);
    }

    #[test]
    fn every_spam_signal_is_collected() {
        let r = CommentRules {
            disallowed_words: words(&["", "  ", " Casino "]),
            ..rules()
        };
        let s = Submission {
            honeypot_filled: true,
            stamp: FormStamp::Missing,
            text: "Best CASINOS here",
            ..sub()
        };
        let c = Context {
            spam_score: Some(0.95),
            ..ctx()
        };
        let v = admit(&s, &c, &r);
        assert_eq!(
            v,
            Verdict::Spam(vec![
                SpamReason::Honeypot,
                SpamReason::StampMissingOrExpired,
                SpamReason::DisallowedWord("Casino".to_owned()),
                SpamReason::Classifier(0.95),
            ])
        );
        assert_eq!(v.status(), Some(CommentStatus::Spam));
    }

    #[test]
    fn the_form_stamp_must_be_neither_too_young_nor_too_old() {
        let verdict = |issued: &str| {
            let s = Submission {
                stamp: FormStamp::IssuedAt(at(issued)),
                ..sub()
            };
            admit(&s, &ctx(), &rules())
        };
        let too_fast = Verdict::Spam(vec![SpamReason::TooFast]);
        let expired = Verdict::Spam(vec![SpamReason::StampMissingOrExpired]);
        assert_eq!(verdict("2026-03-10T11:59:58Z"), too_fast);
        assert_eq!(verdict("2026-03-10T11:59:57Z"), Verdict::Approved);
        assert_eq!(verdict("2026-03-08T12:00:00Z"), Verdict::Approved);
        assert_eq!(verdict("2026-03-08T11:59:59Z"), expired);
        // A stamp from up to a minute ahead is merely too young; further ahead, forged
        // or from a badly wrong clock.
        assert_eq!(verdict("2026-03-10T12:01:00Z"), too_fast);
        assert_eq!(verdict("2026-03-10T12:01:01Z"), expired);
        // The JSON API has no form to stamp.
        let api = Submission {
            stamp: FormStamp::NotAForm,
            ..sub()
        };
        assert_eq!(admit(&api, &ctx(), &rules()), Verdict::Approved);
    }

    #[test]
    fn disallowed_words_are_looked_for_in_all_six_fields() {
        let r = CommentRules {
            disallowed_words: words(&["bad"]),
            ..rules()
        };
        let bad_ip = CommentRules {
            disallowed_words: words(&["203.0.113."]),
            ..rules()
        };
        let cases = [
            Submission {
                author: "Mr BAD",
                ..sub()
            },
            Submission {
                email: "bad@example.com",
                ..sub()
            },
            Submission {
                url: "https://bad.example",
                ..sub()
            },
            Submission {
                text: "so Bad",
                ..sub()
            },
            Submission {
                user_agent: "BadBot/1.0",
                ..sub()
            },
        ];
        for s in cases {
            assert_eq!(
                admit(&s, &ctx(), &r),
                Verdict::Spam(vec![SpamReason::DisallowedWord("bad".to_owned())])
            );
        }
        let s = Submission {
            client_ip: "203.0.113.9",
            ..sub()
        };
        assert!(matches!(admit(&s, &ctx(), &bad_ip), Verdict::Spam(_)));
    }

    #[test]
    fn the_site_threshold_overrides_the_classifiers() {
        let c = Context {
            spam_score: Some(0.7),
            classifier_threshold: 0.9,
            ..ctx()
        };
        assert_eq!(admit(&sub(), &c, &rules()), Verdict::Approved);
        let strict = CommentRules {
            spam_threshold: Some(0.7),
            ..rules()
        };
        assert_eq!(
            admit(&sub(), &c, &strict),
            Verdict::Spam(vec![SpamReason::Classifier(0.7)])
        );
        let nan = Context {
            spam_score: Some(f32::NAN),
            ..ctx()
        };
        assert_eq!(admit(&sub(), &nan, &rules()), Verdict::Approved);
    }

    #[test]
    fn staff_skip_spam_checks_and_moderation() {
        let r = CommentRules {
            hold_all: true,
            disallowed_words: words(&["remark"]),
            moderation_words: words(&["remark"]),
            ..rules()
        };
        let s = Submission {
            staff: true,
            honeypot_filled: true,
            stamp: FormStamp::Missing,
            text: "A remark with https://a.example and https://b.example",
            ..sub()
        };
        let c = Context {
            known_author: false,
            spam_score: Some(1.0),
            ..ctx()
        };
        assert_eq!(admit(&s, &c, &r), Verdict::Approved);
    }

    #[test]
    fn every_reason_to_hold_is_collected() {
        let r = CommentRules {
            hold_all: true,
            moderation_words: words(&["refund"]),
            ..rules()
        };
        let s = Submission {
            text: "Refund? See https://a.example and www.b.example",
            ..sub()
        };
        let c = Context {
            known_author: false,
            ..ctx()
        };
        let v = admit(&s, &c, &r);
        assert_eq!(
            v,
            Verdict::Held(vec![
                HoldReason::HoldAll,
                HoldReason::Links(2),
                HoldReason::ModerationWord("refund".to_owned()),
                HoldReason::FirstComment,
            ])
        );
        assert_eq!(v.status(), Some(CommentStatus::Held));
    }

    #[test]
    fn links_hold_at_the_threshold_unless_disabled() {
        let one = Submission {
            text: "See https://a.example",
            ..sub()
        };
        assert_eq!(admit(&one, &ctx(), &rules()), Verdict::Approved);
        let two = Submission {
            text: "See https://a.example and https://b.example",
            ..sub()
        };
        assert_eq!(
            admit(&two, &ctx(), &rules()),
            Verdict::Held(vec![HoldReason::Links(2)])
        );
        let off = CommentRules {
            hold_links: 0,
            ..rules()
        };
        assert_eq!(admit(&two, &ctx(), &off), Verdict::Approved);
    }

    #[test]
    fn a_first_comment_waits_for_a_moderator() {
        let c = Context {
            known_author: false,
            ..ctx()
        };
        assert_eq!(
            admit(&sub(), &c, &rules()),
            Verdict::Held(vec![HoldReason::FirstComment])
        );
    }

    #[test]
    fn reasons_read_well_for_moderators() {
        assert_eq!(HoldReason::Links(1).to_string(), "Contains 1 link");
        assert_eq!(HoldReason::Links(3).to_string(), "Contains 3 links");
        assert_eq!(
            HoldReason::ModerationWord("refund".into()).to_string(),
            "Contains the moderation word “refund”"
        );
        assert_eq!(
            SpamReason::Classifier(0.956).to_string(),
            "Spam filter score 0.96"
        );
        for r in [
            HoldReason::HoldAll.to_string(),
            HoldReason::FirstComment.to_string(),
            SpamReason::Honeypot.to_string(),
            SpamReason::TooFast.to_string(),
            SpamReason::StampMissingOrExpired.to_string(),
        ] {
            assert!(!r.is_empty());
        }
    }

    #[test]
    fn emails_are_plausible_or_not() {
        for ok in ["a@b.co", "first.last+tag@sub.example.org", "ü@exämple.de"] {
            assert!(plausible_email(ok), "{ok}");
        }
        let long = format!("{}@example.com", "a".repeat(MAX_EMAIL));
        for bad in [
            "",
            "a",
            "@b.co",
            "a@b",
            "a@@b.co",
            "a@b@c.co",
            "a b@c.co",
            "a@b.co\n",
            "a@.co",
            "a@b.",
            "a\u{0}@b.co",
            long.as_str(),
        ] {
            assert!(!plausible_email(bad), "{bad:?}");
        }
        assert_eq!(normalise_email("  Ada@Example.COM \n"), "ada@example.com");
    }

    #[test]
    fn only_absolute_web_addresses_are_plausible() {
        for ok in [
            "http://a.example",
            "HTTPS://A.example/path?q=1",
            "https://localhost:8080",
            "http://é.example",
        ] {
            assert!(plausible_url(ok), "{ok}");
        }
        for bad in [
            "",
            "a.example",
            "www.a.example",
            "//a.example",
            "/path",
            "https://",
            "https:///a",
            "https://a b",
            "javascript:alert(1)",
            "data:text/html,x",
            "ftp://a.example",
            "https:a.example",
        ] {
            assert!(!plausible_url(bad), "{bad:?}");
        }
    }

    #[test]
    fn pathological_text_is_counted_in_linear_time() {
        let started = std::time::Instant::now();
        assert_eq!(count_links(&"<a href=x>".repeat(6_500)), 6_500);
        assert_eq!(count_links(&"<a <a ".repeat(10_000)), 0);
        assert_eq!(count_links(&"https://.".repeat(7_000)), 0);
        assert_eq!(count_links(&"www.".repeat(16_000)), 1);
        let words: Vec<String> = (0..1_000).map(|i| format!("word{i}")).collect();
        let text = "x".repeat(MAX_TEXT);
        assert_eq!(contains_word(&words, &[&text]), None);
        // Generous, for unoptimised builds on a busy machine; quadratic would be minutes.
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }

    #[test]
    fn links_are_counted_once_each() {
        assert_eq!(count_links(""), 0);
        assert_eq!(count_links("no links, just www and http talk"), 0);
        assert_eq!(count_links("HTTP://A.example and https://b.example/x"), 2);
        assert_eq!(count_links("www.a.example, www.b.example."), 2);
        assert_eq!(count_links("https://www.a.example"), 1);
        assert_eq!(count_links("awww.cute and me@www.example.com"), 0);
        assert_eq!(
            count_links(r#"<a href="https://a.example">https://a.example</a> <A HREF='/x'>x</a>"#),
            2
        );
        assert_eq!(count_links("<a name=top>anchor</a> <a\thref=x"), 1);
        assert_eq!(
            count_links("<a href=x>https://a.example https://b.example</a>"),
            2
        );
        assert_eq!(count_links("<a href=x>unclosed https://a.example"), 2);
        assert_eq!(count_links("<abbr>no</abbr>"), 0);
        assert_eq!(count_links("https://é.example ünïcode"), 1);
    }

    #[test]
    fn words_match_case_insensitively_anywhere_and_empty_entries_never() {
        let list = words(&["", "   ", " Viagra "]);
        assert_eq!(
            contains_word(&list, &["buy VIAGRA now"]),
            Some("Viagra".into())
        );
        assert_eq!(contains_word(&list, &["nothing", "here"]), None);
        assert_eq!(contains_word(&words(&["", " "]), &["anything"]), None);
        assert_eq!(contains_word(&[], &["anything"]), None);
        assert_eq!(
            contains_word(&words(&["ÉTÉ"]), &["un bel été"]),
            Some("ÉTÉ".into())
        );
    }

    proptest! {
        #[test]
        fn admit_never_panics(
            author in any::<String>(),
            email in any::<String>(),
            url in any::<String>(),
            text in any::<String>(),
            ip in any::<String>(),
            ua in any::<String>(),
            list in proptest::collection::vec(any::<String>(), 0..4),
            flags in any::<[bool; 8]>(),
            offsets in any::<[i64; 3]>(),
            hold_links in 0usize..4,
            score in proptest::option::of(any::<f32>()),
        ) {
            let secs = |o: i64| Duration::seconds(o % 10_000_000_000);
            let r = CommentRules {
                require_name_email: flags[0],
                close_after_days: flags[1].then_some(u32::try_from(offsets[0].rem_euclid(100_000)).unwrap_or(1)),
                hold_all: flags[2],
                hold_links,
                moderation_words: list.clone(),
                disallowed_words: list,
                ..rules()
            };
            let s = Submission {
                author: &author,
                email: &email,
                url: &url,
                text: &text,
                client_ip: &ip,
                user_agent: &ua,
                honeypot_filled: flags[3],
                stamp: if flags[4] { FormStamp::IssuedAt(now() + secs(offsets[1])) } else { FormStamp::Missing },
                staff: flags[5],
            };
            let c = Context {
                last_from_sender: flags[6].then(|| now() + secs(offsets[2])),
                published_at: Some(now() - secs(offsets[0])),
                known_author: flags[7],
                spam_score: score,
                ..ctx()
            };
            match admit(&s, &c, &r) {
                Verdict::Refused(refusal) => {
                    prop_assert!([400, 403, 409, 429].contains(&refusal.status()));
                    prop_assert!(!refusal.message().is_empty());
                    if refusal.kind == RefusalKind::Invalid {
                        prop_assert!(!refusal.errors.is_empty());
                    }
                }
                Verdict::Held(reasons) => prop_assert!(!reasons.is_empty() && !s.staff),
                Verdict::Spam(reasons) => prop_assert!(!reasons.is_empty() && !s.staff),
                Verdict::Approved => {}
            }
            let _ = count_links(&text);
            let _ = plausible_email(&email);
            let _ = plausible_url(&url);
        }
    }
}
