//! A streaming reader for WordPress eXtended RSS (WXR 1.0–1.2) export files.
//!
//! [`WxrReader`] yields one [`WxrEvent`] at a time: the channel's own fields first, then
//! each author, category, tag, other term and item as it is read, so memory holds one
//! item, never the file. It accepts both namespace spellings WordPress has used
//! (`http://` and `https://wordpress.org/export/1.x/`; elements are matched on their
//! namespace, or on the usual prefix when a prefix is undeclared), CDATA sections split
//! anywhere (`]]]]><![CDATA[>` reads as `]]>`), entity and character references, and any
//! encoding the XML declaration names (decoded to UTF-8 as it is read).
//!
//! Values are kept as written in the file: content, titles, excerpts, descriptions and
//! meta values untouched; identifiers, slugs, statuses, dates, URLs and addresses with
//! surrounding whitespace trimmed. Nothing is dropped: every item comes out whatever its
//! `post_type`, and [`Census`] counts and names the types an importer does not support.

mod census;
pub mod content;
mod decode;
pub mod export;
mod importer;
pub mod uploads;

pub use census::{Census, SUPPORTED_POST_TYPES};
pub use importer::{UploadsOptions, WxrOptions, WxrReport, import_wxr};

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use decode::{Lines, Source};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, XmlVersion};
use std::borrow::Cow;
use std::io::BufRead;

/// The channel's own fields, from before the first author, term or item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Channel {
    pub title: String,
    pub link: String,
    pub description: String,
    pub pub_date: String,
    pub language: String,
    pub wxr_version: String,
    pub base_site_url: String,
    pub base_blog_url: String,
    /// The encoding the file was read in (`UTF-8`, `windows-1252`...).
    pub encoding: String,
}

/// A `wp:author`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Author {
    /// `wp:author_id`; 0 when absent (WXR 1.0 has none).
    pub id: i64,
    pub login: String,
    pub email: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
}

/// A channel-level `wp:category`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Category {
    pub term_id: i64,
    pub nicename: String,
    /// The parent's nicename; empty for a top-level category.
    pub parent: String,
    pub name: String,
    pub description: String,
    pub meta: Vec<(String, String)>,
}

/// A channel-level `wp:tag`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tag {
    pub term_id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub meta: Vec<(String, String)>,
}

/// A channel-level `wp:term` of any other taxonomy (nav menus, post formats, plugins').
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Term {
    pub term_id: i64,
    pub taxonomy: String,
    pub slug: String,
    /// The parent's slug; empty at the top level.
    pub parent: String,
    pub name: String,
    pub description: String,
    pub meta: Vec<(String, String)>,
}

/// An item's `<category domain=... nicename=...>name</category>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemTerm {
    /// `category`, `post_tag`, `post_format`, `nav_menu` or another taxonomy; empty in
    /// the oldest exports, which also repeat each category without attributes.
    pub domain: String,
    pub nicename: String,
    pub name: String,
}

/// A `wp:comment` (pingbacks and trackbacks too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comment {
    pub id: i64,
    /// The `id` of the comment this replies to; 0 for none.
    pub parent: i64,
    pub author: String,
    pub author_email: String,
    pub author_url: String,
    pub author_ip: String,
    pub date: String,
    pub date_gmt: String,
    pub content: String,
    /// `1` (approved), `0` (held), `spam`, `trash`, as in the file.
    pub approved: String,
    /// `wp:comment_type` as in the file: `comment` (empty before WordPress 5.5),
    /// `pingback`, `trackback` or anything a plugin wrote (`like`...). See
    /// [`Comment::kind_or_comment`].
    pub kind: String,
    pub user_id: i64,
    pub meta: Vec<(String, String)>,
}

impl Comment {
    /// The comment type, with the empty type older exports write read as `comment`.
    pub fn kind_or_comment(&self) -> &str {
        if self.kind.is_empty() {
            "comment"
        } else {
            &self.kind
        }
    }

    pub fn is_approved(&self) -> bool {
        self.approved == "1"
    }

    pub fn date(&self) -> Option<NaiveDateTime> {
        parse_wp_date(&self.date)
    }

    pub fn date_gmt(&self) -> Option<NaiveDateTime> {
        parse_wp_date(&self.date_gmt)
    }
}

/// An `<item>`: a post, page, attachment, menu item or any other post type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    /// The line of the file the item starts on.
    pub line: u64,
    pub title: String,
    pub link: String,
    pub pub_date: String,
    /// `dc:creator`: the author's login.
    pub creator: String,
    pub guid: String,
    /// The guid's `isPermaLink` attribute (RSS's default, true, when absent).
    pub guid_is_permalink: bool,
    pub description: String,
    /// `content:encoded`.
    pub content: String,
    /// `excerpt:encoded`.
    pub excerpt: String,
    pub post_id: i64,
    pub post_date: String,
    /// May be `0000-00-00 00:00:00` (drafts); see [`Item::date_gmt`].
    pub post_date_gmt: String,
    pub post_modified: String,
    pub post_modified_gmt: String,
    pub comment_status: String,
    pub ping_status: String,
    /// `wp:post_name`, as in the file (non-Latin slugs stay percent-encoded).
    pub slug: String,
    /// `publish`, `future`, `draft`, `pending`, `private`, `trash`, `inherit`...
    pub status: String,
    pub post_parent: i64,
    pub menu_order: i64,
    pub post_type: String,
    pub password: String,
    pub is_sticky: bool,
    pub attachment_url: String,
    pub categories: Vec<ItemTerm>,
    pub postmeta: Vec<(String, String)>,
    pub comments: Vec<Comment>,
}

impl Item {
    pub fn date(&self) -> Option<NaiveDateTime> {
        parse_wp_date(&self.post_date)
    }

    /// `wp:post_date_gmt`, or `None` for WordPress's zero date or anything unreadable.
    pub fn date_gmt(&self) -> Option<NaiveDateTime> {
        parse_wp_date(&self.post_date_gmt)
    }

    pub fn modified(&self) -> Option<NaiveDateTime> {
        parse_wp_date(&self.post_modified)
    }

    pub fn modified_gmt(&self) -> Option<NaiveDateTime> {
        parse_wp_date(&self.post_modified_gmt)
    }

    /// `pubDate` (RFC 2822); `None` for WordPress's `-0001` dates of unpublished posts.
    pub fn pub_date_parsed(&self) -> Option<DateTime<FixedOffset>> {
        DateTime::parse_from_rfc2822(self.pub_date.trim()).ok()
    }

    pub fn is_password_protected(&self) -> bool {
        !self.password.is_empty()
    }

    /// Whether the importer maps this post type (see [`SUPPORTED_POST_TYPES`]).
    pub fn is_supported(&self) -> bool {
        SUPPORTED_POST_TYPES.contains(&self.post_type.as_str())
    }

    /// The item's terms of one taxonomy (`category`, `post_tag`...).
    pub fn terms<'a>(&'a self, domain: &'a str) -> impl Iterator<Item = &'a ItemTerm> + 'a {
        self.categories.iter().filter(move |t| t.domain == domain)
    }

    /// The first value of a postmeta key (`_thumbnail_id`...).
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.postmeta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads WordPress's `YYYY-MM-DD HH:MM:SS`; `0000-00-00 00:00:00` and empty are `None`.
pub fn parse_wp_date(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    if s.is_empty() || s.starts_with("0000-00-00") {
        return None;
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok()
}

/// One thing read from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WxrEvent {
    Channel(Channel),
    Author(Author),
    Category(Category),
    Tag(Tag),
    Term(Term),
    Item(Box<Item>),
}

/// What went wrong, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WxrErrorKind {
    /// The file could not be read, or its bytes are not valid in its encoding.
    Io,
    /// The file is not well-formed XML.
    Syntax,
    /// Well-formed, perhaps, but not a WordPress export (no `<rss><channel>`).
    NotWxr,
    /// The file ends in the middle of the document.
    Truncated,
    /// One record has an unreadable value (a non-numeric id...). The reader goes on with
    /// the next record.
    BadValue,
}

/// An error with where it happened: the line and byte offset of the (UTF-8) text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} (byte {byte}): {message}")]
pub struct WxrError {
    pub kind: WxrErrorKind,
    pub line: u64,
    pub byte: u64,
    pub message: String,
}

impl WxrError {
    /// Whether the reader can go on after this error (only [`WxrErrorKind::BadValue`]).
    pub fn is_fatal(&self) -> bool {
        self.kind != WxrErrorKind::BadValue
    }
}

/// Which vocabulary an element belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    /// No prefix: RSS's own elements.
    Rss,
    Wp,
    Excerpt,
    Content,
    Dc,
    Other,
}

fn classify(resolved: &ResolveResult<'_>, prefix: Option<&str>) -> Ns {
    if prefix.is_none() {
        return Ns::Rss;
    }
    match resolved {
        ResolveResult::Bound(ns) => {
            let uri = ns.0.trim();
            if uri == "http://purl.org/rss/1.0/modules/content/" {
                Ns::Content
            } else if uri == "http://purl.org/dc/elements/1.1/" {
                Ns::Dc
            } else if let Some(rest) = uri
                .strip_prefix("http://wordpress.org/export/")
                .or_else(|| uri.strip_prefix("https://wordpress.org/export/"))
            {
                if rest.trim_end_matches('/').ends_with("/excerpt") {
                    Ns::Excerpt
                } else {
                    Ns::Wp
                }
            } else {
                Ns::Other
            }
        }
        // An undeclared prefix: trust the usual one.
        _ => match prefix {
            Some("wp") => Ns::Wp,
            Some("excerpt") => Ns::Excerpt,
            Some("content") => Ns::Content,
            Some("dc") => Ns::Dc,
            _ => Ns::Other,
        },
    }
}

/// An element of one record, held only while that record is read.
#[derive(Debug, Default)]
struct Node {
    ns: Option<Ns>,
    /// Borrowed for the names WXR uses (see [`intern`]): no allocation per element.
    name: Cow<'static, str>,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
    line: u64,
}

impl Node {
    fn child(&self, ns: Ns, name: &str) -> Option<&Node> {
        self.children
            .iter()
            .find(|c| c.ns == Some(ns) && c.name == name)
    }

    fn children<'a>(&'a self, ns: Ns, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children
            .iter()
            .filter(move |c| c.ns == Some(ns) && c.name == name)
    }

    /// A child's text as written.
    fn raw(&self, ns: Ns, name: &str) -> String {
        self.child(ns, name)
            .map(|c| c.text.clone())
            .unwrap_or_default()
    }

    /// A child's text, trimmed.
    fn trimmed(&self, ns: Ns, name: &str) -> String {
        self.child(ns, name)
            .map(|c| c.text.trim().to_string())
            .unwrap_or_default()
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A child's number; 0 when absent or empty.
    fn int(&self, ns: Ns, name: &str) -> Result<i64, String> {
        let Some(c) = self.child(ns, name) else {
            return Ok(0);
        };
        let t = c.text.trim();
        if t.is_empty() {
            return Ok(0);
        }
        t.parse().map_err(|_| {
            format!(
                "<{}> on line {} is {t:?}, not a whole number",
                prefixed(ns, name),
                c.line
            )
        })
    }

    /// `wp:postmeta`, `wp:commentmeta`, `wp:termmeta` pairs.
    fn meta(&self, name: &str) -> Vec<(String, String)> {
        self.children(Ns::Wp, name)
            .map(|m| (m.trimmed(Ns::Wp, "meta_key"), m.raw(Ns::Wp, "meta_value")))
            .collect()
    }
}

impl Node {
    /// Whether a skimming reader drops this element's text: the big ones, which the
    /// first pass never looks at.
    fn is_bulky(&self) -> bool {
        matches!(
            (self.ns, &*self.name),
            (Some(Ns::Content), "encoded")
                | (Some(Ns::Rss), "description")
                | (Some(Ns::Wp), "comment_content")
        )
    }
}

/// An element's local name, borrowed when it is one WXR uses (nearly all of them), so
/// reading an element allocates nothing for its name.
fn intern(name: &str) -> Cow<'static, str> {
    macro_rules! names {
        ($($n:literal)*) => {
            match name {
                $($n => Cow::Borrowed($n),)*
                _ => Cow::Owned(name.to_owned()),
            }
        };
    }
    names! {
        "rss" "channel" "item" "title" "link" "description" "pubDate"
        "language" "guid" "creator" "encoded" "category" "generator" "wxr_version"
        "base_site_url" "base_blog_url" "author" "author_id" "author_login" "author_email"
        "author_display_name" "author_first_name" "author_last_name" "term_id"
        "category_nicename" "category_parent" "cat_name" "category_description" "tag"
        "tag_slug" "tag_name" "tag_description" "term" "term_taxonomy" "term_slug"
        "term_parent" "term_name" "term_description" "termmeta" "meta_key" "meta_value"
        "post_id" "post_date" "post_date_gmt" "post_modified" "post_modified_gmt"
        "comment_status" "ping_status" "post_name" "status" "post_parent" "menu_order"
        "post_type" "post_password" "is_sticky" "attachment_url" "postmeta" "comment"
        "comment_id" "comment_author" "comment_author_email" "comment_author_url"
        "comment_author_IP" "comment_date" "comment_date_gmt" "comment_content"
        "comment_approved" "comment_type" "comment_parent" "comment_user_id" "commentmeta"
    }
}

fn prefixed(ns: Ns, name: &str) -> String {
    match ns {
        Ns::Rss | Ns::Other => name.to_string(),
        Ns::Wp => format!("wp:{name}"),
        Ns::Excerpt => format!("excerpt:{name}"),
        Ns::Content => format!("content:{name}"),
        Ns::Dc => format!("dc:{name}"),
    }
}

/// One parser event, owned.
enum Ev {
    Start(Node),
    Empty(Node),
    End,
    /// Text, already appended to the sink `read` was given.
    Text,
    Eof,
    Ignored,
}

/// Where the reader is in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Before the root element.
    Prolog,
    /// Inside `<rss>`, outside `<channel>`.
    Rss,
    /// Inside `<channel>`.
    Channel,
    /// After `</rss>`.
    Epilog,
}

/// Streams the events of a WXR file. See the module documentation.
pub struct WxrReader<R: BufRead> {
    xml: NsReader<Lines<Source<R>>>,
    buf: Vec<u8>,
    place: Place,
    /// Elements open inside `<rss>` but outside `<channel>`, which are skipped.
    rss_depth: usize,
    saw_channel: bool,
    channel: Option<Channel>,
    pending: Option<WxrEvent>,
    /// A fatal error, repeated to any later call.
    failed: Option<WxrError>,
    /// Whether the iterator has reported `failed`.
    reported: bool,
    done: bool,
    /// Skimming (see [`WxrReader::skimming`]): the bulky texts are not kept.
    skim: bool,
    /// Text read outside any record, reused between events.
    scratch: String,
}

impl<R: BufRead> WxrReader<R> {
    /// Starts reading: looks at the file's first bytes for its encoding. Fails on a read
    /// error or an encoding nobody knows.
    pub fn new(input: R) -> Result<Self, WxrError> {
        let (source, encoding) = decode::open(input).map_err(|message| WxrError {
            kind: WxrErrorKind::Io,
            line: 1,
            byte: 0,
            message,
        })?;
        let mut xml = NsReader::from_reader(Lines::new(source));
        let config = xml.config_mut();
        config.check_end_names = true;
        config.trim_text(false);
        Ok(Self {
            xml,
            buf: Vec::new(),
            place: Place::Prolog,
            rss_depth: 0,
            saw_channel: false,
            channel: Some(Channel {
                encoding: encoding.name().to_string(),
                ..Channel::default()
            }),
            pending: None,
            failed: None,
            reported: false,
            done: false,
            skim: false,
            scratch: String::new(),
        })
    }

    /// A reader for the importer's first pass, which needs every record's identifiers
    /// and small fields but not the big texts: the same checks and errors as
    /// [`WxrReader::new`], but `content:encoded`, `description` and `wp:comment_content`
    /// come out empty, which saves copying most of the file.
    fn skimming(input: R) -> Result<Self, WxrError> {
        let mut reader = Self::new(input)?;
        reader.skim = true;
        Ok(reader)
    }

    /// How far the reader is, in bytes of the document as UTF-8 (the file's own size
    /// when it is UTF-8): for a progress bar.
    pub fn position(&self) -> u64 {
        self.xml.buffer_position()
    }

    /// The next event, or `None` at the end of the document. After a fatal error every
    /// call returns that error again; after a [`WxrErrorKind::BadValue`] the next call
    /// goes on with the next record.
    pub fn next_event(&mut self) -> Result<Option<WxrEvent>, WxrError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.step() {
            Err(e) if e.is_fatal() => {
                self.failed = Some(e.clone());
                Err(e)
            }
            other => other,
        }
    }

    fn step(&mut self) -> Result<Option<WxrEvent>, WxrError> {
        loop {
            if let Some(ev) = self.pending.take() {
                return Ok(Some(ev));
            }
            if self.done {
                return Ok(None);
            }
            let mut scratch = std::mem::take(&mut self.scratch);
            scratch.clear();
            let ev = self.read(Some(&mut scratch));
            self.scratch = scratch;
            match (self.place, ev?) {
                (_, Ev::Ignored) => {}
                (Place::Prolog, Ev::Start(n) | Ev::Empty(n)) => {
                    if n.ns != Some(Ns::Rss) || n.name != "rss" {
                        return Err(self.error(
                            WxrErrorKind::NotWxr,
                            format!(
                                "the root element is <{}>, not <rss>: this is not a WordPress export",
                                n.name
                            ),
                        ));
                    }
                    self.place = Place::Rss;
                }
                (Place::Rss, Ev::Start(n)) => {
                    if self.rss_depth == 0 && n.ns == Some(Ns::Rss) && n.name == "channel" {
                        self.place = Place::Channel;
                        self.saw_channel = true;
                    } else {
                        self.rss_depth += 1;
                    }
                }
                (Place::Rss, Ev::End) if self.rss_depth > 0 => self.rss_depth -= 1,
                (Place::Rss, Ev::End) => self.place = Place::Epilog,
                (Place::Rss, _) => {}
                (Place::Channel, Ev::End) => {
                    self.place = Place::Rss;
                    if let Some(c) = self.channel.take() {
                        return Ok(Some(WxrEvent::Channel(c)));
                    }
                }
                (Place::Channel, Ev::Start(n)) => {
                    let node = self.read_rest(n)?;
                    if let Some(ev) = self.channel_child(node)? {
                        return Ok(Some(ev));
                    }
                }
                (Place::Channel, Ev::Empty(n)) => {
                    if let Some(ev) = self.channel_child(n)? {
                        return Ok(Some(ev));
                    }
                }
                (Place::Channel, Ev::Text) => {}
                (Place::Prolog | Place::Epilog, Ev::Text) => {
                    let t = &self.scratch;
                    if !t.trim().is_empty() {
                        return Err(self.error(
                            WxrErrorKind::NotWxr,
                            format!(
                                "text outside the root element ({:?}): this is not an XML document",
                                t.trim().chars().take(40).collect::<String>()
                            ),
                        ));
                    }
                }
                (Place::Epilog, Ev::Start(n) | Ev::Empty(n)) => {
                    return Err(self.error(
                        WxrErrorKind::Syntax,
                        format!("another element <{}> after </rss>", n.name),
                    ));
                }
                (Place::Prolog | Place::Epilog, Ev::End) => {}
                (place, Ev::Eof) => {
                    self.done = true;
                    match place {
                        Place::Epilog if self.saw_channel => return Ok(None),
                        Place::Epilog => {
                            return Err(self.error(
                                WxrErrorKind::NotWxr,
                                "the <rss> element has no <channel>: this is not a WordPress export"
                                    .into(),
                            ));
                        }
                        Place::Prolog => {
                            return Err(self.error(
                                WxrErrorKind::NotWxr,
                                "no <rss> element: this is not a WordPress export (or it is empty)"
                                    .into(),
                            ));
                        }
                        Place::Rss | Place::Channel => {
                            return Err(self.error(
                                WxrErrorKind::Truncated,
                                "the file ends before </rss>: it is truncated".into(),
                            ));
                        }
                    }
                }
            }
        }
    }

    /// Turns a complete child of `<channel>` into an event, or records it in the channel.
    fn channel_child(&mut self, node: Node) -> Result<Option<WxrEvent>, WxrError> {
        let record = match (node.ns, &*node.name) {
            (Some(Ns::Rss), "item") => Some(self.item(&node)?),
            (Some(Ns::Wp), "author") => Some(WxrEvent::Author(Author {
                id: self.int(&node, Ns::Wp, "author_id")?,
                login: node.trimmed(Ns::Wp, "author_login"),
                email: node.trimmed(Ns::Wp, "author_email"),
                display_name: node.raw(Ns::Wp, "author_display_name"),
                first_name: node.raw(Ns::Wp, "author_first_name"),
                last_name: node.raw(Ns::Wp, "author_last_name"),
            })),
            (Some(Ns::Wp), "category") => Some(WxrEvent::Category(Category {
                term_id: self.int(&node, Ns::Wp, "term_id")?,
                nicename: node.trimmed(Ns::Wp, "category_nicename"),
                parent: node.trimmed(Ns::Wp, "category_parent"),
                name: node.raw(Ns::Wp, "cat_name"),
                description: node.raw(Ns::Wp, "category_description"),
                meta: node.meta("termmeta"),
            })),
            (Some(Ns::Wp), "tag") => Some(WxrEvent::Tag(Tag {
                term_id: self.int(&node, Ns::Wp, "term_id")?,
                slug: node.trimmed(Ns::Wp, "tag_slug"),
                name: node.raw(Ns::Wp, "tag_name"),
                description: node.raw(Ns::Wp, "tag_description"),
                meta: node.meta("termmeta"),
            })),
            (Some(Ns::Wp), "term") => Some(WxrEvent::Term(Term {
                term_id: self.int(&node, Ns::Wp, "term_id")?,
                taxonomy: node.trimmed(Ns::Wp, "term_taxonomy"),
                slug: node.trimmed(Ns::Wp, "term_slug"),
                parent: node.trimmed(Ns::Wp, "term_parent"),
                name: node.raw(Ns::Wp, "term_name"),
                description: node.raw(Ns::Wp, "term_description"),
                meta: node.meta("termmeta"),
            })),
            _ => None,
        };
        if let Some(record) = record {
            // The channel's fields come first; report them before the first record.
            return Ok(Some(match self.channel.take() {
                Some(c) => {
                    self.pending = Some(record);
                    WxrEvent::Channel(c)
                }
                None => record,
            }));
        }
        if let Some(c) = &mut self.channel {
            let text = node.text.trim().to_string();
            match (node.ns, &*node.name) {
                (Some(Ns::Rss), "title") => c.title = node.text,
                (Some(Ns::Rss), "link") => c.link = text,
                (Some(Ns::Rss), "description") => c.description = node.text,
                (Some(Ns::Rss), "pubDate") => c.pub_date = text,
                (Some(Ns::Rss), "language") => c.language = text,
                (Some(Ns::Wp), "wxr_version") => c.wxr_version = text,
                (Some(Ns::Wp), "base_site_url") => c.base_site_url = text,
                (Some(Ns::Wp), "base_blog_url") => c.base_blog_url = text,
                _ => {}
            }
        }
        Ok(None)
    }

    fn item(&self, n: &Node) -> Result<WxrEvent, WxrError> {
        let mut comments = Vec::new();
        for c in n.children(Ns::Wp, "comment") {
            comments.push(Comment {
                id: self.int(c, Ns::Wp, "comment_id")?,
                parent: self.int(c, Ns::Wp, "comment_parent")?,
                author: c.raw(Ns::Wp, "comment_author"),
                author_email: c.trimmed(Ns::Wp, "comment_author_email"),
                author_url: c.trimmed(Ns::Wp, "comment_author_url"),
                author_ip: c.trimmed(Ns::Wp, "comment_author_IP"),
                date: c.trimmed(Ns::Wp, "comment_date"),
                date_gmt: c.trimmed(Ns::Wp, "comment_date_gmt"),
                content: c.raw(Ns::Wp, "comment_content"),
                approved: c.trimmed(Ns::Wp, "comment_approved"),
                kind: c.trimmed(Ns::Wp, "comment_type"),
                user_id: self.int(c, Ns::Wp, "comment_user_id")?,
                meta: c.meta("commentmeta"),
            });
        }
        let guid = n.child(Ns::Rss, "guid");
        let item = Item {
            line: n.line,
            title: n.raw(Ns::Rss, "title"),
            link: n.trimmed(Ns::Rss, "link"),
            pub_date: n.trimmed(Ns::Rss, "pubDate"),
            creator: n.trimmed(Ns::Dc, "creator"),
            guid: guid.map(|g| g.text.trim().to_string()).unwrap_or_default(),
            guid_is_permalink: guid
                .and_then(|g| g.attr("isPermaLink"))
                .is_none_or(|v| v.trim() != "false"),
            description: n.raw(Ns::Rss, "description"),
            content: n.raw(Ns::Content, "encoded"),
            excerpt: n.raw(Ns::Excerpt, "encoded"),
            post_id: self.int(n, Ns::Wp, "post_id")?,
            post_date: n.trimmed(Ns::Wp, "post_date"),
            post_date_gmt: n.trimmed(Ns::Wp, "post_date_gmt"),
            post_modified: n.trimmed(Ns::Wp, "post_modified"),
            post_modified_gmt: n.trimmed(Ns::Wp, "post_modified_gmt"),
            comment_status: n.trimmed(Ns::Wp, "comment_status"),
            ping_status: n.trimmed(Ns::Wp, "ping_status"),
            slug: n.trimmed(Ns::Wp, "post_name"),
            status: n.trimmed(Ns::Wp, "status"),
            post_parent: self.int(n, Ns::Wp, "post_parent")?,
            menu_order: self.int(n, Ns::Wp, "menu_order")?,
            post_type: n.trimmed(Ns::Wp, "post_type"),
            password: n.raw(Ns::Wp, "post_password"),
            is_sticky: n.trimmed(Ns::Wp, "is_sticky") == "1",
            attachment_url: n.trimmed(Ns::Wp, "attachment_url"),
            categories: n
                .children(Ns::Rss, "category")
                .map(|c| ItemTerm {
                    domain: c.attr("domain").unwrap_or_default().trim().to_string(),
                    nicename: c.attr("nicename").unwrap_or_default().trim().to_string(),
                    name: c.text.clone(),
                })
                .collect(),
            postmeta: n.meta("postmeta"),
            comments,
        };
        Ok(WxrEvent::Item(Box::new(item)))
    }

    fn int(&self, node: &Node, ns: Ns, name: &str) -> Result<i64, WxrError> {
        node.int(ns, name).map_err(|message| WxrError {
            kind: WxrErrorKind::BadValue,
            line: node.line,
            byte: self.xml.buffer_position(),
            message: format!("in <{}>: {message}", node.name),
        })
    }

    /// Reads the rest of an element whose start tag was `top`, children and all.
    fn read_rest(&mut self, top: Node) -> Result<Node, WxrError> {
        let mut stack = vec![top];
        loop {
            let sink = match stack.last_mut() {
                Some(n) if !(self.skim && n.is_bulky()) => Some(&mut n.text),
                _ => None,
            };
            match self.read(sink)? {
                Ev::Start(n) => stack.push(n),
                Ev::Empty(n) => {
                    if let Some(parent) = stack.last_mut() {
                        parent.children.push(n);
                    }
                }
                Ev::Text => {}
                Ev::End => {
                    let Some(done) = stack.pop() else {
                        return Err(self.error(WxrErrorKind::Syntax, "unbalanced end tag".into()));
                    };
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => return Ok(done),
                    }
                }
                Ev::Ignored => {}
                Ev::Eof => {
                    self.done = true;
                    let (name, line) = stack
                        .first()
                        .map(|n| (n.name.clone(), n.line))
                        .unwrap_or_default();
                    return Err(self.error(
                        WxrErrorKind::Truncated,
                        format!(
                            "the file ends inside the <{name}> that starts on line {line}: it is truncated"
                        ),
                    ));
                }
            }
        }
    }

    /// The next parser event, owned. Text, CDATA and references are appended to `text`
    /// as plain text (straight from the parser's buffer: no copy per event), or checked
    /// and dropped when there is no `text`.
    fn read(&mut self, text: Option<&mut String>) -> Result<Ev, WxrError> {
        self.buf.clear();
        let line = self.xml.get_ref().line();
        let (resolved, event) = match self.xml.read_resolved_event_into(&mut self.buf) {
            Ok(r) => r,
            Err(e) => {
                let (kind, message) = match &e {
                    quick_xml::Error::Encoding(_) => (
                        WxrErrorKind::Io,
                        format!(
                            "{e}: the file is not valid UTF-8 (if it is in another encoding, \
                             its XML declaration must name it)"
                        ),
                    ),
                    quick_xml::Error::Io(_) => {
                        (WxrErrorKind::Io, format!("cannot read the file: {e}"))
                    }
                    _ => (WxrErrorKind::Syntax, e.to_string()),
                };
                let byte = match self.xml.error_position() {
                    0 => self.xml.buffer_position(),
                    at => at,
                };
                let line = self.xml.get_ref().line();
                return Err(WxrError {
                    kind,
                    line,
                    byte,
                    message,
                });
            }
        };
        let element = |e: &quick_xml::events::BytesStart<'_>| -> Result<Node, String> {
            let qname = e.name();
            let prefix = qname.prefix().map(|p| p.into_inner());
            let mut attrs = Vec::new();
            for a in e.attributes() {
                let a = a.map_err(|e| format!("bad attribute: {e}"))?;
                let value = a
                    .normalized_value(XmlVersion::Implicit1_0)
                    .map_err(|e| format!("bad attribute value: {e}"))?;
                attrs.push((a.key.local_name().as_ref().to_string(), value.into_owned()));
            }
            Ok(Node {
                ns: Some(classify(&resolved, prefix)),
                name: intern(e.local_name().as_ref()),
                attrs,
                line,
                ..Node::default()
            })
        };
        let ev: Result<Ev, String> = match &event {
            Event::Start(e) => element(e).map(Ev::Start),
            Event::Empty(e) => element(e).map(Ev::Empty),
            Event::End(_) => Ok(Ev::End),
            Event::Text(t) => {
                if let Some(text) = text {
                    text.push_str(&t.xml10_content());
                }
                Ok(Ev::Text)
            }
            Event::CData(t) => {
                if let Some(text) = text {
                    text.push_str(&t.xml10_content());
                }
                Ok(Ev::Text)
            }
            Event::GeneralRef(r) => {
                let name = r.clone().into_inner();
                match r.resolve_char_ref() {
                    Ok(Some(c)) => {
                        if let Some(text) = text {
                            text.push(c);
                        }
                        Ok(Ev::Text)
                    }
                    Ok(None) => match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => {
                            if let Some(text) = text {
                                text.push_str(s);
                            }
                            Ok(Ev::Text)
                        }
                        None => Err(format!(
                            "unknown entity &{name}; (XML defines only &amp; &lt; &gt; &quot; &apos;)"
                        )),
                    },
                    Err(e) => Err(format!("bad character reference &{name};: {e}")),
                }
            }
            Event::Eof => Ok(Ev::Eof),
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {
                Ok(Ev::Ignored)
            }
        };
        ev.map_err(|m| self.syntax(m))
    }

    fn syntax(&self, message: String) -> WxrError {
        self.error(WxrErrorKind::Syntax, message)
    }

    fn error(&self, kind: WxrErrorKind, message: String) -> WxrError {
        WxrError {
            kind,
            line: self.xml.get_ref().line(),
            byte: self.xml.buffer_position(),
            message,
        }
    }
}

/// Yields events until the end or the first fatal error (which it yields once).
impl<R: BufRead> Iterator for WxrReader<R> {
    type Item = Result<WxrEvent, WxrError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed.is_some() {
            if self.reported {
                return None;
            }
            self.reported = true;
            return self.failed.clone().map(Err);
        }
        match self.next_event() {
            Ok(ev) => ev.map(Ok),
            Err(e) => {
                self.reported = e.is_fatal();
                Some(Err(e))
            }
        }
    }
}
