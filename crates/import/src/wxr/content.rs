//! WordPress content to our HTML: paragraphs, captions, galleries, embeds, block comments, shortcodes.
//!
//! [`convert`] turns a post's `content:encoded` into the HTML Masthead stores as an
//! `html` body. Rendering later runs the newsroom allow-list over it, and leaves HTML
//! alone once it holds any block element, so the paragraphs WordPress would have added
//! on display (`wpautop`) are added here, explicitly.
//!
//! It works in four linear passes, each a left-to-right scan with cached look-aheads so
//! no input, however malformed, costs more than a small multiple of its length:
//!
//! 1. comments out (block-editor `<!-- wp:… -->` markers and every other comment),
//!    line endings normalised;
//! 2. shortcodes: `[caption]`, `[gallery]`, `[embed]` and URLs alone on a line become
//!    finished HTML, held aside behind placeholders; other shortcodes stay as text and
//!    are counted;
//! 3. paragraphs, as `wpautop` makes them: blank lines separate paragraphs, single
//!    newlines become `<br>`, block elements are never wrapped;
//! 4. old upload URLs rewritten, images listed, and what the allow-list will strip counted.

use masthead_render::markup::{escape, newsroom_policy};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

/// A media item from the export (`post_type` `attachment`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachment {
    /// `wp:post_id`.
    pub id: i64,
    /// The post it was uploaded to (`wp:post_parent`); a bare `[gallery]` shows these.
    pub parent: i64,
    /// `wp:menu_order`: a bare `[gallery]`'s order.
    pub menu_order: i64,
    /// `wp:attachment_url`.
    pub url: String,
    pub title: String,
    /// The item's excerpt, which is where WordPress keeps an attachment's caption.
    pub caption: String,
    /// Postmeta `_wp_attachment_image_alt`.
    pub alt: String,
}

/// What [`convert`] needs besides the content itself.
pub struct ContentContext<'a> {
    /// The post being converted (a bare `[gallery]` shows its attachments).
    pub post_id: i64,
    /// Every attachment in the file by its post id (for `[gallery]`).
    pub attachments: &'a HashMap<i64, Attachment>,
    /// An old image/upload URL's new home when media were imported, else `None` (the
    /// URL is kept). Asked about every `<img src>` (and `srcset` candidate) and about
    /// `<a href>`s that point at uploads; it should answer `None` for URLs it does not know.
    pub new_url: &'a dyn Fn(&str) -> Option<String>,
}

/// A converted body and what the import report says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Converted {
    /// The body, format `html`, with explicit paragraphs.
    pub html: String,
    /// Shortcodes kept as text, by name, with counts; also galleries' problems
    /// (`gallery (missing image)`, `gallery (empty)`) and unclosed enclosing shortcodes.
    pub shortcodes: BTreeMap<String, u64>,
    /// What the sanitiser will remove, with counts: tags as `<script>`, attributes as
    /// `style attribute`, URLs with a scheme it refuses as `javascript: URL`.
    pub removed: BTreeMap<String, u64>,
    /// Image URLs the body references after conversion, in order, without duplicates:
    /// every `<img src>`, and `<a href>`s to uploaded image files (full-size links).
    pub images: Vec<String>,
}

/// Converts a post's `content:encoded` to a Masthead `html` body. Never panics.
pub fn convert(content: &str, ctx: &ContentContext) -> Converted {
    let mut shortcodes = BTreeMap::new();
    let clean = strip_comments(content);
    let (marked, blocks) = Shortcodes::new(&clean, ctx, &mut shortcodes).run();
    let html = autop(&marked, blocks);
    let (html, images, removed) = finish(&html, ctx);
    Converted {
        html,
        shortcodes,
        removed,
        images,
    }
}

// ---------------------------------------------------------------------------------------
// Scanning

/// Placeholders for finished blocks: private-use characters, stripped from the input first.
const MARK_OPEN: char = '\u{E000}';
const MARK_CLOSE: char = '\u{E001}';
const MARK_OPEN_BYTES: &[u8] = "\u{E000}".as_bytes();

/// Elements whose content is text to HTML, not markup: nothing inside is a tag.
const RAW_TEXT: [&str; 9] = [
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Open,
    Close,
    Comment,
    /// `<!doctype …>`, `<?xml …?>`.
    Decl,
    /// The content of a raw-text element.
    RawText,
    /// A placeholder for held-aside block number n.
    Mark(usize),
}

#[derive(Debug, Clone)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
    /// Lowercased tag name for `Open` and `Close`.
    name: String,
}

/// A forgiving HTML tokenizer: anything that is not a well-formed tag is text.
struct Scanner<'a> {
    s: &'a str,
    lower: Vec<u8>,
    pos: usize,
    raw_until: Option<String>,
    /// (needle, searched from, first found at): repeated look-aheads for the same
    /// needle cost nothing, which keeps malformed input (a thousand `<` and no `>`)
    /// linear. A handful of needles, so a list beats hashing.
    cache: Vec<(Vec<u8>, usize, Option<usize>)>,
}

impl<'a> Scanner<'a> {
    fn new(s: &'a str) -> Self {
        Scanner {
            s,
            lower: s.as_bytes().to_ascii_lowercase(),
            pos: 0,
            raw_until: None,
            cache: Vec::new(),
        }
    }

    /// The first occurrence of `needle` (lowercase) at or after `from`, case-insensitively.
    fn find(&mut self, needle: &[u8], from: usize) -> Option<usize> {
        let slot = self.cache.iter().position(|(n, _, _)| n == needle);
        if let Some((_, searched, found)) = slot.and_then(|i| self.cache.get(i))
            && *searched <= from
            && found.is_none_or(|at| at >= from)
        {
            return *found;
        }
        let found = find_bytes(self.lower.get(from..).unwrap_or(&[]), needle).map(|i| i + from);
        match slot.and_then(|i| self.cache.get_mut(i)) {
            Some(entry) => (entry.1, entry.2) = (from, found),
            None => self.cache.push((needle.to_vec(), from, found)),
        }
        found
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.s.as_bytes().get(i).copied()
    }

    fn tok(&mut self, kind: Kind, start: usize, end: usize, name: String) -> Tok {
        self.pos = end;
        Tok {
            kind,
            start,
            end,
            name,
        }
    }

    fn next_tok(&mut self) -> Option<Tok> {
        let len = self.s.len();
        let start = self.pos;
        if start >= len {
            return None;
        }
        if let Some(name) = self.raw_until.take() {
            let needle = format!("</{name}");
            let end = self.find(needle.as_bytes(), start).unwrap_or(len);
            if end > start {
                return Some(self.tok(Kind::RawText, start, end, String::new()));
            }
        }
        if self.byte(start) == Some(b'<') {
            if let Some(t) = self.tag(start) {
                if t.kind == Kind::Open
                    && RAW_TEXT.contains(&t.name.as_str())
                    && !self.s.get(..t.end).unwrap_or("").ends_with("/>")
                {
                    self.raw_until = Some(t.name.clone());
                }
                self.pos = t.end;
                return Some(t);
            }
            return Some(self.tok(Kind::Text, start, start + 1, String::new()));
        }
        if let Some(t) = self.mark(start) {
            return Some(t);
        }
        let mut end = self.find(b"<", start + 1).unwrap_or(len);
        if let Some(m) = self.find(MARK_OPEN_BYTES, start + 1) {
            end = end.min(m);
        }
        Some(self.tok(Kind::Text, start, end, String::new()))
    }

    /// A placeholder `\u{E000}digits\u{E001}` at `start`.
    fn mark(&mut self, start: usize) -> Option<Tok> {
        let rest = self.s.get(start..)?.strip_prefix(MARK_OPEN)?;
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n = rest.get(..digits)?.parse().ok()?;
        rest.get(digits..)?.strip_prefix(MARK_CLOSE)?;
        let end = start + MARK_OPEN.len_utf8() + digits + MARK_CLOSE.len_utf8();
        Some(self.tok(Kind::Mark(n), start, end, String::new()))
    }

    /// A tag, comment or declaration starting at `p`, if one is closed.
    fn tag(&mut self, p: usize) -> Option<Tok> {
        let rest = self.lower.get(p..)?;
        if rest.starts_with(b"<!--") {
            let e = self.find(b"-->", p + 4)?;
            return Some(tok(Kind::Comment, p, e + 3, String::new()));
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            let e = self.find(b">", p)?;
            return Some(tok(Kind::Decl, p, e + 1, String::new()));
        }
        let close = rest.get(1) == Some(&b'/');
        let name_start = if close { p + 2 } else { p + 1 };
        if !self
            .byte(name_start)
            .is_some_and(|b| b.is_ascii_alphabetic())
        {
            return None;
        }
        let mut i = name_start;
        while self
            .byte(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b':' || b == b'-' || b == b'_')
        {
            i += 1;
        }
        let name = String::from_utf8_lossy(self.lower.get(name_start..i)?).into_owned();
        let gt = self.find(b">", i)?;
        if close {
            return Some(tok(Kind::Close, p, gt + 1, name));
        }
        let e = self.open_tag_end(i).unwrap_or(gt);
        Some(tok(Kind::Open, p, e + 1, name))
    }

    /// Where an opening tag's `>` is, skipping quoted attribute values.
    fn open_tag_end(&mut self, from: usize) -> Option<usize> {
        let mut j = from;
        let mut after_eq = false;
        while let Some(b) = self.byte(j) {
            match b {
                b'>' => return Some(j),
                b'"' | b'\'' if after_eq => {
                    let closing = self.find(&[b], j + 1)?;
                    self.find(b">", closing + 1)?;
                    j = closing;
                    after_eq = false;
                }
                b'=' => after_eq = true,
                b if b.is_ascii_whitespace() => {}
                _ => after_eq = false,
            }
            j += 1;
        }
        None
    }
}

fn tok(kind: Kind, start: usize, end: usize, name: String) -> Tok {
    Tok {
        kind,
        start,
        end,
        name,
    }
}

/// The first occurrence of `needle` in `hay`. memchr's searchers: the naive
/// window-by-window comparison was a tenth of an import's time.
fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    match needle {
        [] => Some(0),
        [b] => memchr::memchr(*b, hay),
        _ => memchr::memmem::find(hay, needle),
    }
}

/// `s[a..b]`, or "" where that is not a slice (never the case for the indices we make).
fn sub(s: &str, a: usize, b: usize) -> &str {
    s.get(a..b).unwrap_or("")
}

// ---------------------------------------------------------------------------------------
// Pass 1: comments

/// Drops every HTML comment (the block editor's markers among them: their content is
/// plain HTML between them), normalises line endings, and escapes a `<` that starts no
/// tag, so an unclosed `<!--` or `<img` cannot swallow the rest of the body.
fn strip_comments(content: &str) -> String {
    // Nearly every body has no `\r` and no private-use character (their UTF-8 starts
    // with 0xEE): then there is nothing to normalise, and a copy is much cheaper than
    // rebuilding the string a character at a time.
    let normal: String = if memchr::memchr2(b'\r', 0xEE, content.as_bytes()).is_none() {
        content.to_owned()
    } else {
        content
            .replace("\r\n", "\n")
            .chars()
            .map(|c| if c == '\r' { '\n' } else { c })
            .filter(|&c| c != MARK_OPEN && c != MARK_CLOSE)
            .collect()
    };
    let mut out = String::with_capacity(normal.len());
    let mut sc = Scanner::new(&normal);
    while let Some(t) = sc.next_tok() {
        let text = sub(&normal, t.start, t.end);
        match t.kind {
            Kind::Comment => {}
            Kind::Text if text == "<" => out.push_str("&lt;"),
            _ => out.push_str(text),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Pass 2: shortcodes and embeds

/// Shortcode names we know without guessing: WordPress core's and common plugins'.
const KNOWN: [&str; 14] = [
    "caption",
    "wp_caption",
    "gallery",
    "embed",
    "audio",
    "video",
    "playlist",
    "contact-form-7",
    "contact-form",
    "gravityform",
    "youtube",
    "vimeo",
    "tweet",
    "googlemaps",
];

/// Bracketed words newsrooms write in prose, never shortcodes.
const PROSE: [&str; 14] = [
    "sic",
    "citation",
    "edit",
    "update",
    "updated",
    "note",
    "laughter",
    "laughs",
    "applause",
    "inaudible",
    "crosstalk",
    "music",
    "unclear",
    "redacted",
];

/// A shortcode's opening tag `[name attrs]`.
struct Opener {
    name: String,
    attrs: String,
    /// Just past the closing `]`.
    end: usize,
    self_closing: bool,
}

struct Shortcodes<'a, 'c> {
    s: &'a str,
    sc: Scanner<'a>,
    ctx: &'a ContentContext<'c>,
    counts: &'a mut BTreeMap<String, u64>,
    out: String,
    blocks: Vec<String>,
    closers: HashSet<String>,
    /// The post's attached images, found once for every bare `[gallery]`.
    attached: Option<Vec<&'c Attachment>>,
    /// Gallery images shown so far, against [`MAX_GALLERY_IMAGES`].
    gallery_images: usize,
}

impl<'a, 'c> Shortcodes<'a, 'c> {
    fn new(s: &'a str, ctx: &'a ContentContext<'c>, counts: &'a mut BTreeMap<String, u64>) -> Self {
        Shortcodes {
            s,
            sc: Scanner::new(s),
            ctx,
            counts,
            out: String::with_capacity(s.len() + 64),
            blocks: Vec::new(),
            closers: closer_names(s),
            attached: None,
            gallery_images: 0,
        }
    }

    /// The content with finished blocks replaced by placeholders, and those blocks.
    fn run(mut self) -> (String, Vec<String>) {
        let (mut pre, mut anchors) = (0usize, 0usize);
        while let Some(t) = self.sc.next_tok() {
            let raw = sub(self.s, t.start, t.end);
            match (t.kind, t.name.as_str()) {
                (Kind::Open, "pre") => pre += 1,
                (Kind::Close, "pre") => pre = pre.saturating_sub(1),
                (Kind::Open, "a") => anchors += 1,
                (Kind::Close, "a") => anchors = anchors.saturating_sub(1),
                (Kind::Text, _) if pre == 0 => {
                    let next = self.text(t.start, t.end, anchors > 0);
                    self.sc.pos = next.max(t.end);
                    continue;
                }
                _ => {}
            }
            self.out.push_str(raw);
        }
        (self.out, self.blocks)
    }

    /// Copies a run of text, converting what it finds; returns where scanning resumes
    /// (past `end` when a shortcode's attributes or content ran on over tags).
    fn text(&mut self, start: usize, end: usize, in_anchor: bool) -> usize {
        let bytes = self.s.as_bytes();
        let mut j = start;
        while j < end {
            let line_start = if j == 0 {
                true
            } else {
                bytes.get(j - 1) == Some(&b'\n')
            };
            if line_start
                && !in_anchor
                && let Some((url, line_end)) = url_line(self.s, j)
            {
                let html = link_paragraph(url);
                self.hold(html);
                j = line_end;
                continue;
            }
            let stop = (j..end)
                .find(|&k| matches!(bytes.get(k), Some(b'[' | b'\n')))
                .unwrap_or(end);
            self.out.push_str(sub(self.s, j, stop));
            j = stop;
            match bytes.get(j) {
                Some(b'\n') if j < end => {
                    self.out.push('\n');
                    j += 1;
                }
                Some(b'[') if j < end => match self.shortcode(j) {
                    Some(next) if next > end => return next,
                    Some(next) => j = next,
                    None => {
                        self.out.push('[');
                        j += 1;
                    }
                },
                _ => {}
            }
        }
        end
    }

    /// Puts a finished block aside, on its own line so it is never inside a paragraph.
    fn hold(&mut self, html: String) {
        if html.is_empty() {
            return;
        }
        let n = self.blocks.len();
        self.blocks.push(html);
        self.out
            .push_str(&format!("\n\n{MARK_OPEN}{n}{MARK_CLOSE}\n\n"));
    }

    fn count(&mut self, what: &str) {
        *self.counts.entry(what.to_owned()).or_insert(0) += 1;
    }

    /// Handles the shortcode whose `[` is at `j`; returns where to continue, or `None`
    /// when there is no shortcode here (the `[` is text).
    fn shortcode(&mut self, j: usize) -> Option<usize> {
        let bytes = self.s.as_bytes();
        if bytes.get(j + 1) == Some(&b'[') {
            // `[[name]]` is WordPress's escape for a literal `[name]`.
            let op = self.opener(j + 1)?;
            if bytes.get(op.end) != Some(&b']') {
                return None;
            }
            self.out.push_str(sub(self.s, j + 1, op.end));
            return Some(op.end + 1);
        }
        let op = self.opener(j)?;
        match op.name.as_str() {
            "caption" | "wp_caption" => Some(self.caption(j, &op)),
            "gallery" => {
                let html = self.gallery(&parse_atts(&op.attrs));
                self.hold(html);
                Some(op.end)
            }
            "embed" => Some(self.embed(j, &op)),
            _ => {
                self.out.push_str(sub(self.s, j, op.end));
                self.count(&op.name);
                Some(op.end)
            }
        }
    }

    /// The opener at `j`, when it looks like a shortcode (see [`looks_like_shortcode`]).
    fn opener(&mut self, j: usize) -> Option<Opener> {
        let bytes = self.s.as_bytes();
        let name_end = (j + 1..bytes.len())
            .find(|&k| {
                !bytes
                    .get(k)
                    .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            })
            .unwrap_or(bytes.len());
        let name = sub(self.s, j + 1, name_end);
        if !matches!(
            bytes.get(name_end),
            Some(b']' | b'/' | b' ' | b'\t' | b'\n')
        ) {
            return None;
        }
        let close = self.sc.find(b"]", name_end)?;
        if self.sc.find(b"[", name_end).is_some_and(|k| k < close) {
            return None;
        }
        let attrs = sub(self.s, name_end, close).trim();
        let self_closing = attrs.ends_with('/');
        let attrs = attrs.trim_end_matches('/').trim();
        let bracket = Bracket {
            name,
            attrs,
            closed_somewhere: self.closers.contains(name),
            alone: attrs.is_empty() && alone_on_line(self.s, j, close + 1),
            followed_by: bytes.get(close + 1).copied(),
        };
        if !looks_like_shortcode(&bracket) {
            return None;
        }
        Some(Opener {
            name: name.to_owned(),
            attrs: attrs.to_owned(),
            end: close + 1,
            self_closing,
        })
    }

    /// Finds `[/name]` after the opener; the content and where it ends.
    fn enclosed(&mut self, op: &Opener) -> Option<(String, usize)> {
        if op.self_closing {
            return None;
        }
        let closer = format!("[/{}]", op.name.to_ascii_lowercase());
        let at = self.sc.find(closer.as_bytes(), op.end)?;
        Some((sub(self.s, op.end, at).to_owned(), at + closer.len()))
    }

    /// `[caption]<a><img></a> Text[/caption]` → a figure with a figcaption.
    fn caption(&mut self, j: usize, op: &Opener) -> usize {
        let Some((content, end)) = self.enclosed(op) else {
            self.out.push_str(sub(self.s, j, op.end));
            self.count(&format!("{} (unclosed)", op.name));
            return op.end;
        };
        let atts = parse_atts(&op.attrs);
        let (image, text) = match att(&atts, "caption") {
            Some(c) => (content.trim().to_owned(), c.trim().to_owned()),
            None => split_caption(&content),
        };
        let html = if text.is_empty() {
            format!("<figure>{image}</figure>")
        } else {
            format!("<figure>{image}<figcaption>{text}</figcaption></figure>")
        };
        self.hold(html);
        end
    }

    /// `[embed]URL[/embed]` → a link in a paragraph; we show no third-party frames.
    fn embed(&mut self, j: usize, op: &Opener) -> usize {
        let Some((content, end)) = self.enclosed(op) else {
            self.out.push_str(sub(self.s, j, op.end));
            self.count("embed (unclosed)");
            return op.end;
        };
        let url = content.trim();
        let html = if is_http_url(url) && !url.contains(char::is_whitespace) {
            link_paragraph(url)
        } else {
            self.count("embed (not a URL)");
            format!("<p>{url}</p>")
        };
        self.hold(html);
        end
    }

    /// `[gallery]`: the post's images, or those `ids=`/`include=` names, as figures.
    fn gallery(&mut self, atts: &[(Option<String>, String)]) -> String {
        let ids = att(atts, "ids")
            .or_else(|| att(atts, "include"))
            .filter(|v| !v.trim().is_empty());
        let images: Vec<&Attachment> = match ids {
            Some(list) => list
                .split(',')
                .filter_map(|id| {
                    let found = id
                        .trim()
                        .parse::<i64>()
                        .ok()
                        .and_then(|id| self.ctx.attachments.get(&id));
                    if found.is_none() {
                        self.count("gallery (missing image)");
                    }
                    found
                })
                .collect(),
            None => self
                .attached
                .get_or_insert_with(|| attached_images(self.ctx))
                .clone(),
        };
        if images.is_empty() {
            self.count("gallery (empty)");
            return String::new();
        }
        self.gallery_images += images.len();
        if self.gallery_images > MAX_GALLERY_IMAGES {
            self.count("gallery (too many images)");
            return String::new();
        }
        let mut html = String::from("<figure>\n");
        for a in images {
            html.push_str(&gallery_item(a));
        }
        html.push_str("</figure>");
        html
    }
}

/// More gallery images than this in one post are not shown: a post repeating
/// `[gallery]` must not multiply the whole media library into its body.
const MAX_GALLERY_IMAGES: usize = 10_000;

/// The post's attached images in menu order, as a bare `[gallery]` shows them.
fn attached_images<'a>(ctx: &ContentContext<'a>) -> Vec<&'a Attachment> {
    let mut found: Vec<&Attachment> = ctx
        .attachments
        .values()
        .filter(|a| a.parent == ctx.post_id && is_image_file(&a.url))
        .collect();
    found.sort_by_key(|a| (a.menu_order, a.id));
    found
}

/// One gallery image: a figure of its own so its caption stays with it.
fn gallery_item(a: &Attachment) -> String {
    let alt = if a.alt.trim().is_empty() {
        &a.title
    } else {
        &a.alt
    };
    let caption = a.caption.trim();
    let figcaption = if caption.is_empty() {
        String::new()
    } else {
        format!("<figcaption>{caption}</figcaption>")
    };
    format!(
        "<figure><img src=\"{}\" alt=\"{}\">{figcaption}</figure>\n",
        escape(&a.url),
        escape(alt.trim())
    )
}

/// Where a bracket stands, for [`looks_like_shortcode`].
struct Bracket<'s> {
    name: &'s str,
    attrs: &'s str,
    /// A `[/name]` is somewhere in the content.
    closed_somewhere: bool,
    /// Nothing else is on its line.
    alone: bool,
    /// The byte after the `]`.
    followed_by: Option<u8>,
}

/// WordPress only runs registered shortcodes; we have no registry, and newsrooms put
/// words in brackets ("We [the developers] use…"), so a bracket is one when its name is
/// lowercase letters, digits, `_` and `-` (two or more, a letter first), is not a word
/// prose brackets, is not a Markdown link's text, and: is a known name; or has `_`/`-`
/// inside its name; or has attributes that look like attributes (`key=…`, a URL, a
/// quoted string); or, without attributes, stands alone on its line or has a `[/name]`.
/// So "[1]", "[sic]", "[citation needed]", "[Photo]" and "we [mostly] agree" are text;
/// `[foo]` on its own line, `[audio https://…]` and `[video]…[/video]` are shortcodes.
fn looks_like_shortcode(b: &Bracket) -> bool {
    let name = b.name;
    let well_formed = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.len() >= 2
        && !name.bytes().any(|c| c.is_ascii_uppercase());
    if !well_formed || b.followed_by == Some(b'(') || PROSE.contains(&name) {
        return false;
    }
    let inner_dash = name.trim_end_matches(['_', '-']).contains(['_', '-']);
    let attrs = b.attrs;
    let key_value = attrs
        .split(|c: char| c == '=' || c.is_whitespace())
        .next()
        .is_some_and(|k| {
            !k.is_empty()
                && attrs
                    .get(k.len()..)
                    .is_some_and(|r| r.trim_start().starts_with('='))
        });
    KNOWN.contains(&name)
        || inner_dash
        || key_value
        || attrs.starts_with(['"', '\''])
        || is_http_url(attrs)
        || (attrs.is_empty() && (b.alone || b.closed_somewhere))
}

/// Every name `[/name]` closes anywhere in `s`, found in one pass.
fn closer_names(s: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut rest = s;
    while let Some(i) = rest.find("[/") {
        rest = rest.get(i + 2..).unwrap_or("");
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        if rest.get(len..).is_some_and(|r| r.starts_with(']')) {
            out.insert(rest.get(..len).unwrap_or("").to_owned());
        }
    }
    out
}

/// Whether `s[start..end]` has nothing but spaces beside it on its line. Looks only at
/// the spaces next to it, so a long line of brackets stays linear.
fn alone_on_line(s: &str, start: usize, end: usize) -> bool {
    let before = s.get(..start).unwrap_or("").trim_end_matches([' ', '\t']);
    let after = s.get(end..).unwrap_or("").trim_start_matches([' ', '\t']);
    (before.is_empty() || before.ends_with('\n')) && (after.is_empty() || after.starts_with('\n'))
}

/// Shortcode attributes as WordPress reads them: `key="v"`, `key='v'`, `key=v`, and
/// positional `"v"` or `v` (key `None`). Keys are lowercased.
fn parse_atts(attrs: &str) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    let mut rest = attrs.trim_start();
    while !rest.is_empty() {
        let key_len = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '"' || c == '\'')
            .unwrap_or(rest.len());
        let after_key = rest.get(key_len..).unwrap_or("").trim_start();
        if key_len > 0
            && let Some(value) = after_key.strip_prefix('=')
        {
            let key = rest.get(..key_len).unwrap_or("").to_ascii_lowercase();
            let (v, r) = att_value(value.trim_start());
            out.push((Some(key), v));
            rest = r;
        } else {
            let (v, r) = att_value(rest);
            out.push((None, v));
            rest = r;
        }
        rest = rest.trim_start();
    }
    out
}

/// A quoted or bare value at the start of `s`, and what follows it.
fn att_value(s: &str) -> (String, &str) {
    if let Some(q) = s.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let body = s.get(1..).unwrap_or("");
        return match body.find(q) {
            Some(i) => (
                body.get(..i).unwrap_or("").to_owned(),
                body.get(i + 1..).unwrap_or(""),
            ),
            None => (body.to_owned(), ""),
        };
    }
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    (
        s.get(..end).unwrap_or("").to_owned(),
        s.get(end..).unwrap_or(""),
    )
}

fn att<'v>(atts: &'v [(Option<String>, String)], key: &str) -> Option<&'v str> {
    atts.iter()
        .find(|(k, _)| k.as_deref() == Some(key))
        .map(|(_, v)| v.as_str())
}

/// Splits caption content into the image (optionally linked) and the caption text after
/// it; without a leading image the whole content is the image part and there is no text.
fn split_caption(content: &str) -> (String, String) {
    let c = content.trim();
    let whole = (c.to_owned(), String::new());
    let mut pos = 0;
    let linked = starts_with_ci(c, "<a ");
    if linked {
        let Some(gt) = c.find('>') else { return whole };
        pos = skip_ws(c, gt + 1);
    }
    if !starts_with_ci(c.get(pos..).unwrap_or(""), "<img") {
        return whole;
    }
    let Some(gt) = c.get(pos..).and_then(|r| r.find('>')) else {
        return whole;
    };
    pos += gt + 1;
    if linked {
        let after = skip_ws(c, pos);
        if starts_with_ci(c.get(after..).unwrap_or(""), "</a>") {
            pos = after + 4;
        }
    }
    (
        c.get(..pos).unwrap_or("").to_owned(),
        c.get(pos..).unwrap_or("").trim().to_owned(),
    )
}

fn skip_ws(s: &str, from: usize) -> usize {
    let rest = s.get(from..).unwrap_or("");
    from + (rest.len() - rest.trim_start().len())
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
}

fn is_http_url(s: &str) -> bool {
    (starts_with_ci(s, "http://") && s.len() > 7) || (starts_with_ci(s, "https://") && s.len() > 8)
}

/// A URL alone on the line starting at `j` (spaces around it allowed): the URL and
/// where the line ends.
fn url_line(s: &str, j: usize) -> Option<(&str, usize)> {
    let rest = s.get(j..)?;
    let line_len = rest.find('\n').unwrap_or(rest.len());
    let url = rest.get(..line_len)?.trim();
    let plain = !url.contains(|c: char| c.is_whitespace() || c == '<' || c == '"');
    (is_http_url(url) && plain).then_some((url, j + line_len))
}

/// `<p><a href="URL">URL</a></p>`, for embeds and URLs alone on a line.
fn link_paragraph(url: &str) -> String {
    let url = escape(&decode_amp(url));
    format!("<p><a href=\"{url}\">{url}</a></p>")
}

/// The ampersand entities WordPress writes into URLs in content.
fn decode_amp(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&#038;", "&")
        .replace("&#38;", "&")
}

fn is_image_file(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    matches!(
        ext.as_str(),
        "jpg" | "jpeg" | "png" | "gif" | "webp" | "avif" | "bmp" | "svg" | "tif" | "tiff" | "heic"
    )
}

/// An uploaded file's URL: a self-hosted site's uploads, WordPress.com's file host, or
/// an old multisite's `/files/YYYY/MM/` path.
fn is_upload_url(url: &str) -> bool {
    url.contains("/wp-content/uploads/")
        || url.contains(".files.wordpress.com/")
        || url.match_indices("/files/").any(|(i, m)| {
            let date = url
                .as_bytes()
                .get(i + m.len()..i + m.len() + 8)
                .unwrap_or(&[]);
            date.len() == 8
                && date.iter().enumerate().all(|(k, b)| match k {
                    4 | 7 => *b == b'/',
                    _ => b.is_ascii_digit(),
                })
        })
}

// ---------------------------------------------------------------------------------------
// Pass 3: paragraphs

/// The block elements `wpautop` never wraps in a paragraph.
const BLOCKS: [&str; 42] = [
    "table",
    "thead",
    "tfoot",
    "caption",
    "col",
    "colgroup",
    "tbody",
    "tr",
    "td",
    "th",
    "div",
    "dl",
    "dd",
    "dt",
    "ul",
    "ol",
    "li",
    "pre",
    "form",
    "map",
    "area",
    "blockquote",
    "address",
    "style",
    "script",
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "fieldset",
    "legend",
    "section",
    "article",
    "aside",
    "header",
    "footer",
    "nav",
    "figure",
];

/// More blocks HTML5 added since, treated the same.
const MORE_BLOCKS: [&str; 6] = ["figcaption", "details", "menu", "summary", "main", "hgroup"];

/// Containers whose own text never becomes paragraphs: phrasing-only ones, and ones
/// whose text can only be whitespace between rows or items.
const NO_WRAP: [&str; 21] = [
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "dt",
    "caption",
    "figcaption",
    "address",
    "summary",
    "legend",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "ul",
    "ol",
    "dl",
];

/// Deeper nesting than this is kept as inline markup, unparsed: real posts are a few
/// levels deep, and the limit bounds the work on hostile input.
const MAX_DEPTH: usize = 64;

fn is_block(name: &str) -> bool {
    BLOCKS.contains(&name) || MORE_BLOCKS.contains(&name)
}

fn is_void_block(name: &str) -> bool {
    matches!(name, "hr" | "col" | "area")
}

/// A piece of a container's content.
enum Kid {
    /// Text, where newlines matter.
    Text(String),
    /// An inline tag or raw content, copied as is.
    Inline(String),
    /// A finished block.
    Block(String),
}

/// An open block element while the tree is built.
struct Frame {
    name: String,
    open: String,
    kids: Vec<Kid>,
}

/// Adds paragraphs as `wpautop` does, substituting the held-aside blocks.
fn autop(s: &str, mut blocks: Vec<String>) -> String {
    let mut b = Builder::new(s);
    while let Some(t) = b.sc.next_tok() {
        let raw = sub(s, t.start, t.end);
        match t.kind {
            Kind::Text => b.kid(Kid::Text(raw.to_owned())),
            Kind::Mark(n) => {
                let html = blocks.get_mut(n).map(std::mem::take).unwrap_or_default();
                b.block(html);
            }
            Kind::Open if t.name == "pre" => b.pre(&t),
            Kind::Open if is_block(&t.name) => b.open(&t, raw),
            Kind::Close if is_block(&t.name) => b.close(&t.name, raw),
            _ => b.kid(Kid::Inline(raw.to_owned())),
        }
    }
    b.finish()
}

/// Builds the block tree bottom-up: a block is rendered when it closes, so nothing
/// recurses and depth costs no stack.
struct Builder<'a> {
    s: &'a str,
    sc: Scanner<'a>,
    stack: Vec<Frame>,
    open_counts: HashMap<String, usize>,
    /// Block tags past [`MAX_DEPTH`] kept inline, by name, so their closings are too.
    overflow: HashMap<String, usize>,
}

impl<'a> Builder<'a> {
    fn new(s: &'a str) -> Self {
        Builder {
            s,
            sc: Scanner::new(s),
            stack: vec![Frame {
                name: String::new(),
                open: String::new(),
                kids: Vec::new(),
            }],
            open_counts: HashMap::new(),
            overflow: HashMap::new(),
        }
    }

    fn kid(&mut self, kid: Kid) {
        if let Some(top) = self.stack.last_mut() {
            top.kids.push(kid);
        }
    }

    fn top_name(&self) -> &str {
        self.stack.last().map_or("", |f| f.name.as_str())
    }

    /// A finished block: it ends an open paragraph first, as in HTML.
    fn block(&mut self, html: String) {
        self.end_p();
        if !html.is_empty() {
            self.kid(Kid::Block(html));
        }
    }

    fn end_p(&mut self) {
        if self.top_name() == "p" {
            self.pop(None);
        }
    }

    /// `<pre>` and everything to its `</pre>`, untouched (an unclosed one is closed).
    fn pre(&mut self, t: &Tok) {
        let close = self.sc.find(b"</pre", t.end);
        let end = close
            .and_then(|at| self.sc.find(b">", at))
            .map_or(self.s.len(), |gt| gt + 1);
        let mut html = sub(self.s, t.start, end).to_owned();
        if close.is_none() || !html.ends_with('>') {
            html.push_str(if close.is_none() { "</pre>" } else { ">" });
        }
        self.sc.pos = end;
        self.block(html);
    }

    fn open(&mut self, t: &Tok, raw: &str) {
        let name = t.name.as_str();
        if self.stack.len() > MAX_DEPTH {
            *self.overflow.entry(name.to_owned()).or_insert(0) += 1;
            self.kid(Kid::Inline(raw.to_owned()));
            return;
        }
        self.end_p();
        self.close_siblings(name);
        if is_void_block(name) {
            self.kid(Kid::Block(raw.to_owned()));
            return;
        }
        *self.open_counts.entry(name.to_owned()).or_insert(0) += 1;
        self.stack.push(Frame {
            name: name.to_owned(),
            open: raw.to_owned(),
            kids: Vec::new(),
        });
    }

    /// A new item, term or cell closes the open one in the same list, list or row.
    fn close_siblings(&mut self, name: &str) {
        let (same, scope): (&[&str], &[&str]) = match name {
            "li" => (&["li"], &["ul", "ol", "menu"]),
            "dt" | "dd" => (&["dt", "dd"], &["dl"]),
            "tr" => (&["tr"], &["table", "thead", "tbody", "tfoot"]),
            "td" | "th" => (&["td", "th"], &["tr", "table"]),
            _ => return,
        };
        let found = self
            .stack
            .iter()
            .rev()
            .take_while(|f| !scope.contains(&f.name.as_str()) && !f.name.is_empty())
            .position(|f| same.contains(&f.name.as_str()));
        if let Some(depth) = found {
            for _ in 0..=depth {
                self.pop(None);
            }
        }
    }

    fn close(&mut self, name: &str, raw: &str) {
        if let Some(n) = self.overflow.get_mut(name).filter(|n| **n > 0) {
            *n -= 1;
            self.kid(Kid::Inline(raw.to_owned()));
            return;
        }
        if self.open_counts.get(name).copied().unwrap_or(0) == 0 {
            // A closing tag with nothing open to close: dropped, as browsers do.
            return;
        }
        while self.stack.len() > 1 {
            let closing_it = self.top_name() == name;
            self.pop(closing_it.then_some(raw));
            if closing_it {
                break;
            }
        }
    }

    /// Closes the innermost element (with `close`, or an implied `</name>`) and adds
    /// it, rendered, to its parent.
    fn pop(&mut self, close: Option<&str>) {
        if self.stack.len() <= 1 {
            return;
        }
        let Some(frame) = self.stack.pop() else {
            return;
        };
        if let Some(n) = self.open_counts.get_mut(&frame.name) {
            *n = n.saturating_sub(1);
        }
        let close = close.map_or_else(|| format!("</{}>", frame.name), str::to_owned);
        if let Some(html) = render_frame(&frame, &close) {
            self.kid(Kid::Block(html));
        }
    }

    fn finish(mut self) -> String {
        while self.stack.len() > 1 {
            self.pop(None);
        }
        self.stack
            .pop()
            .and_then(|root| render_frame(&root, ""))
            .unwrap_or_default()
    }
}

/// A paragraph's parts: text (newlines become `<br>`) and markup (copied).
type Para = Vec<(bool, String)>;

enum Piece {
    Para(Para),
    Block(String),
}

/// Renders a closed element from its content; `None` for an empty `<p>`.
fn render_frame(frame: &Frame, close: &str) -> Option<String> {
    let name = frame.name.as_str();
    if name == "script" || name == "style" {
        let inner: String = frame
            .kids
            .iter()
            .map(|k| match k {
                Kid::Text(t) | Kid::Inline(t) | Kid::Block(t) => t.as_str(),
            })
            .collect();
        return Some(format!("{}{inner}{close}", frame.open));
    }
    let pieces = pieces(&frame.kids);
    let paras = pieces
        .iter()
        .filter(|p| matches!(p, Piece::Para(_)))
        .count();
    if name == "p" && pieces.is_empty() {
        return None;
    }
    let wrap = match name {
        "" | "blockquote" => true,
        n if NO_WRAP.contains(&n) => false,
        _ => paras > 1,
    };
    let sep = if name == "p" {
        "</p>\n<p>"
    } else {
        "<br>\n<br>\n"
    };
    let mut body = String::new();
    let mut prev_para = false;
    for (i, piece) in pieces.iter().enumerate() {
        let is_para = matches!(piece, Piece::Para(_));
        if i > 0 {
            body.push_str(if is_para && prev_para && !wrap {
                sep
            } else {
                "\n"
            });
        }
        match piece {
            Piece::Para(p) if wrap => {
                body.push_str("<p>");
                body.push_str(&render_para(p));
                body.push_str("</p>");
            }
            Piece::Para(p) => body.push_str(&render_para(p)),
            Piece::Block(b) => body.push_str(b),
        }
        prev_para = is_para;
    }
    Some(if name.is_empty() {
        if body.is_empty() { body } else { body + "\n" }
    } else if paras == pieces.len() && !wrap {
        format!("{}{body}{close}", frame.open)
    } else {
        format!("{}\n{body}\n{close}", frame.open)
    })
}

/// Groups a container's content into paragraphs (split at blank lines, and by blocks)
/// and blocks; whitespace-only paragraphs are dropped.
fn pieces(kids: &[Kid]) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut para: Para = Vec::new();
    let flush = |para: &mut Para, out: &mut Vec<Piece>| {
        let blank = para.iter().all(|(text, s)| *text && s.trim().is_empty());
        let taken = std::mem::take(para);
        if !blank {
            out.push(Piece::Para(taken));
        }
    };
    for kid in kids {
        match kid {
            Kid::Text(t) => {
                let mut parts = split_blank_lines(t).into_iter();
                if let Some(first) = parts.next() {
                    para.push((true, first.to_owned()));
                }
                for part in parts {
                    flush(&mut para, &mut out);
                    para.push((true, part.to_owned()));
                }
            }
            Kid::Inline(s) => para.push((false, s.clone())),
            Kid::Block(b) => {
                flush(&mut para, &mut out);
                out.push(Piece::Block(b.clone()));
            }
        }
    }
    flush(&mut para, &mut out);
    out
}

/// Splits text at blank lines (a newline, optional spaces, another newline).
fn split_blank_lines(t: &str) -> Vec<&str> {
    let bytes = t.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i) == Some(&b'\n') {
            let mut k = i + 1;
            while matches!(bytes.get(k), Some(b' ' | b'\t')) {
                k += 1;
            }
            if bytes.get(k) == Some(&b'\n') {
                out.push(sub(t, start, i));
                while matches!(bytes.get(k), Some(b' ' | b'\t' | b'\n')) {
                    k += 1;
                }
                start = k;
                i = k;
                continue;
            }
        }
        i += 1;
    }
    out.push(sub(t, start, bytes.len()));
    out
}

/// A paragraph's HTML: trimmed, its text's single newlines as `<br>` (unless one is
/// already there).
fn render_para(para: &Para) -> String {
    let first_text = para
        .iter()
        .position(|(text, s)| !*text || !s.trim().is_empty());
    let last_text = para
        .iter()
        .rposition(|(text, s)| !*text || !s.trim().is_empty());
    let (Some(first), Some(last)) = (first_text, last_text) else {
        return String::new();
    };
    let mut out = String::new();
    for (i, (text, s)) in para.iter().enumerate().take(last + 1).skip(first) {
        if !*text {
            out.push_str(s);
            continue;
        }
        let mut s = s.as_str();
        if i == first {
            s = s.trim_start();
        }
        if i == last {
            s = s.trim_end();
        }
        for (n, line) in s.split('\n').enumerate() {
            if n > 0 {
                let kept = out.trim_end_matches([' ', '\t']).len();
                out.truncate(kept);
                if !ends_with_br(&out) {
                    out.push_str("<br>");
                }
                out.push('\n');
                out.push_str(line.trim_start_matches([' ', '\t']));
            } else {
                out.push_str(line);
            }
        }
    }
    out
}

/// Whether `s` ends with a `<br>` tag; looks at the last few bytes only, since it is
/// asked once per line.
fn ends_with_br(s: &str) -> bool {
    let t = s.trim_end().as_bytes();
    let tail = t.get(t.len().saturating_sub(6)..).unwrap_or(t);
    let tail = tail.to_ascii_lowercase();
    [&b"<br>"[..], b"<br/>", b"<br />"]
        .iter()
        .any(|br| tail.ends_with(br))
}

// ---------------------------------------------------------------------------------------
// Pass 4: URLs, images, and what the sanitiser will remove

/// The newsroom allow-list, read once from the sanitiser itself so the two never drift.
struct Policy {
    tags: HashSet<&'static str>,
    /// Removed with their content.
    clean_content: HashSet<&'static str>,
    generic: HashSet<&'static str>,
    tag_attributes: HashMap<&'static str, HashSet<&'static str>>,
    schemes: HashSet<&'static str>,
}

fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let b = newsroom_policy();
        let mut tags = b.clone_tags();
        // Rendering demotes h1 to h2 before sanitising.
        tags.insert("h1");
        Policy {
            tags,
            clean_content: b.clone_clean_content_tags(),
            generic: b.clone_generic_attributes(),
            tag_attributes: b.clone_tag_attributes(),
            schemes: b.clone_url_schemes(),
        }
    })
}

/// Attributes the sanitiser reads as URLs (and so checks the scheme of).
const URL_ATTRIBUTES: [&str; 4] = ["href", "src", "cite", "longdesc"];

/// An attribute in a tag: lowercased name, value (undecoded), and the byte range of the
/// value with its quotes in the tag's text.
struct Attr {
    name: String,
    value: String,
    span: Option<(usize, usize)>,
}

/// Rewrites upload URLs, lists images, counts what the sanitiser will remove.
fn finish(html: &str, ctx: &ContentContext) -> (String, Vec<String>, BTreeMap<String, u64>) {
    let mut out = String::with_capacity(html.len());
    let mut images = Images::default();
    let mut removed = BTreeMap::new();
    let mut sc = Scanner::new(html);
    while let Some(t) = sc.next_tok() {
        let raw = sub(html, t.start, t.end);
        if t.kind != Kind::Open {
            out.push_str(raw);
            continue;
        }
        let attrs = parse_tag_attrs(raw, t.name.len() + 1);
        count_removed(&t.name, &attrs, &mut removed);
        out.push_str(&rewrite_tag(&t.name, raw, &attrs, ctx, &mut images));
    }
    // A placeholder can only survive where malformed input hid it inside a tag; its
    // block is lost there either way, and the marker must not reach the page.
    out.retain(|c| c != MARK_OPEN && c != MARK_CLOSE);
    (out, images.list, removed)
}

#[derive(Default)]
struct Images {
    list: Vec<String>,
    seen: HashSet<String>,
}

impl Images {
    fn add(&mut self, url: &str) {
        if !url.is_empty() && self.seen.insert(url.to_owned()) {
            self.list.push(url.to_owned());
        }
    }
}

fn bump(map: &mut BTreeMap<String, u64>, key: String) {
    *map.entry(key).or_insert(0) += 1;
}

/// Counts a tag the allow-list drops, or else its attributes it drops.
fn count_removed(name: &str, attrs: &[Attr], removed: &mut BTreeMap<String, u64>) {
    let p = policy();
    if !p.tags.contains(name) || p.clean_content.contains(name) {
        bump(removed, format!("<{name}>"));
        return;
    }
    for a in attrs {
        let allowed = p.generic.contains(a.name.as_str())
            || p.tag_attributes
                .get(name)
                .is_some_and(|set| set.contains(a.name.as_str()));
        if !allowed {
            bump(removed, format!("{} attribute", a.name));
        } else if URL_ATTRIBUTES.contains(&a.name.as_str())
            && let Some(scheme) = url_scheme(&a.value)
            && !p.schemes.contains(scheme.as_str())
        {
            bump(removed, format!("{scheme}: URL"));
        }
    }
}

/// A URL's scheme, lowercased, when it has one.
fn url_scheme(url: &str) -> Option<String> {
    let url = url.trim();
    let colon = url.find(':')?;
    let scheme = url.get(..colon)?;
    let valid = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// Maps `<img src>`/`srcset` and upload `<a href>`s through `new_url`, noting images.
fn rewrite_tag(
    name: &str,
    raw: &str,
    attrs: &[Attr],
    ctx: &ContentContext,
    images: &mut Images,
) -> String {
    let mut edits: Vec<((usize, usize), String)> = Vec::new();
    for a in attrs {
        let url = decode_amp(a.value.trim());
        let new = match (name, a.name.as_str()) {
            ("img", "src") => {
                let new = (ctx.new_url)(&url);
                images.add(new.as_deref().unwrap_or(&url));
                new
            }
            ("img", "srcset") => rewrite_srcset(&url, ctx),
            ("a", "href") if is_upload_url(&url) => {
                let new = (ctx.new_url)(&url);
                if is_image_file(&url) {
                    images.add(new.as_deref().unwrap_or(&url));
                }
                new
            }
            _ => None,
        };
        if let (Some(new), Some(span)) = (new, a.span) {
            edits.push((span, format!("\"{}\"", escape(&new))));
        }
    }
    let mut out = String::with_capacity(raw.len());
    let mut at = 0;
    for ((start, end), text) in edits {
        out.push_str(sub(raw, at, start));
        out.push_str(&text);
        at = end;
    }
    out.push_str(raw.get(at..).unwrap_or(""));
    out
}

/// A `srcset` with each candidate's URL mapped; `None` when none changed.
fn rewrite_srcset(srcset: &str, ctx: &ContentContext) -> Option<String> {
    let mut changed = false;
    let parts: Vec<String> = srcset
        .split(',')
        .map(|cand| {
            let cand = cand.trim();
            let (url, rest) = cand.split_once(char::is_whitespace).unwrap_or((cand, ""));
            match (ctx.new_url)(url) {
                Some(new) => {
                    changed = true;
                    format!("{new} {}", rest.trim()).trim_end().to_owned()
                }
                None => cand.to_owned(),
            }
        })
        .collect();
    changed.then(|| parts.join(", "))
}

/// The attributes of an opening tag, from `from` (just past the name) in its text.
fn parse_tag_attrs(raw: &str, from: usize) -> Vec<Attr> {
    let b = raw.as_bytes();
    let len = b.len().saturating_sub(1); // the closing '>'
    let mut out = Vec::new();
    let mut i = from;
    let skip = |i: &mut usize, pred: &dyn Fn(u8) -> bool| {
        while *i < len && b.get(*i).is_some_and(|&c| pred(c)) {
            *i += 1;
        }
    };
    loop {
        skip(&mut i, &|c| c.is_ascii_whitespace() || c == b'/');
        if i >= len {
            break;
        }
        let name_start = i;
        skip(&mut i, &|c| {
            !c.is_ascii_whitespace() && c != b'=' && c != b'/'
        });
        if i == name_start {
            i += 1;
            continue;
        }
        let name = sub(raw, name_start, i).to_ascii_lowercase();
        let mut k = i;
        skip(&mut k, &|c| c.is_ascii_whitespace());
        if b.get(k) != Some(&b'=') || k >= len {
            out.push(Attr {
                name,
                value: String::new(),
                span: None,
            });
            continue;
        }
        k += 1;
        skip(&mut k, &|c| c.is_ascii_whitespace());
        let vstart = k;
        let (value, vend) = match b.get(k) {
            Some(&q) if q == b'"' || q == b'\'' => {
                let close =
                    find_bytes(b.get(k + 1..len).unwrap_or(&[]), &[q]).map_or(len, |p| p + k + 1);
                (sub(raw, k + 1, close), (close + 1).min(len))
            }
            _ => {
                skip(&mut k, &|c| !c.is_ascii_whitespace());
                (sub(raw, vstart, k), k)
            }
        };
        out.push(Attr {
            name,
            value: value.to_owned(),
            span: Some((vstart, vend)),
        });
        i = vend.max(i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_split_and_single_newlines_stay() {
        assert_eq!(split_blank_lines("a\nb\n \n\nc"), vec!["a\nb", "c"]);
        assert_eq!(split_blank_lines(""), vec![""]);
    }

    #[test]
    fn attributes_parse_like_wordpress() {
        let atts = parse_atts(r#"id="attachment_5" align='left' width=300 https://x.test/a "q r""#);
        assert_eq!(att(&atts, "id"), Some("attachment_5"));
        assert_eq!(att(&atts, "align"), Some("left"));
        assert_eq!(att(&atts, "width"), Some("300"));
        assert_eq!(atts.get(3).map(|a| a.1.as_str()), Some("https://x.test/a"));
        assert_eq!(atts.get(4).map(|a| a.1.as_str()), Some("q r"));
    }

    #[test]
    fn tag_attributes_and_spans() {
        let raw = r#"<img src=a.jpg alt="x y" data-x='1' hidden>"#;
        let attrs = parse_tag_attrs(raw, 4);
        let names: Vec<_> = attrs.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["src", "alt", "data-x", "hidden"]);
        assert_eq!(attrs.get(1).map(|a| a.value.as_str()), Some("x y"));
    }

    #[test]
    fn upload_urls() {
        assert!(is_upload_url(
            "https://a.test/wp-content/uploads/2020/01/x.jpg"
        ));
        assert!(is_upload_url(
            "https://site.files.wordpress.com/2013/03/x.jpg"
        ));
        assert!(is_upload_url("http://labs.test/files/2010/11/shot.png"));
        assert!(!is_upload_url("http://labs.test/files/readme/x.png"));
        assert!(!is_upload_url("https://a.test/2020/01/post/"));
    }

    #[test]
    fn schemes() {
        assert_eq!(
            url_scheme("JavaScript:alert(1)").as_deref(),
            Some("javascript")
        );
        assert_eq!(url_scheme("/a:b"), None);
    }
}
