//! Readers' comments to safe HTML. A reader's comment is plain text and nothing a reader
//! types is ever markup, so the only HTML in a comment is what we generate: paragraphs,
//! line breaks and links. Comments imported from WordPress carry HTML and go through an
//! allow-list far stricter than the newsroom's, since strangers wrote them.

use crate::markup::{escape, write_escaped};
use ammonia::{Builder, UrlRelative};
use masthead_core::comment::plausible_url;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// The `rel` on every link a commenter wrote: `nofollow ugc` tells search engines not
/// to credit it (so comment spam earns nothing), `noopener` keeps the opened page from
/// reaching back into ours.
pub const COMMENT_LINK_REL: &str = "nofollow ugc noopener";

/// A reader's comment as typed: plain text, escaped completely, so `<b>` shows as the
/// text "<b>". Blank lines make paragraphs and single newlines line breaks, because that
/// is what a reader meant by pressing Enter. http(s) URLs and `www.` hosts become links
/// (marked [`COMMENT_LINK_REL`]); punctuation that ends a sentence, and a closing bracket
/// with no opening one in the URL, stay outside the link. Bidi overrides and isolates
/// (which can make "gnp.exe" read as "exe.png") and other control characters are removed.
pub fn plain_text_to_html(text: &str) -> String {
    let text = clean_text(text);
    let mut out = String::with_capacity(text.len() + text.len() / 4 + 16);
    let mut para: Vec<&str> = Vec::new();
    for line in text.split('\n').chain(std::iter::once("")) {
        let line = line.trim();
        if !line.is_empty() {
            para.push(line);
            continue;
        }
        if para.is_empty() {
            continue;
        }
        out.push_str("<p>");
        for (i, line) in para.drain(..).enumerate() {
            if i > 0 {
                out.push_str("<br>\n");
            }
            push_linked(&mut out, line);
        }
        out.push_str("</p>\n");
    }
    out
}

/// A comment imported from WordPress, which stores comments as HTML (with WordPress's
/// habit of leaving paragraphs as blank lines). Only emphasis, code, quotes, lists,
/// paragraphs and http/https/mailto links survive; script and style contents are
/// dropped entirely, everything else is unwrapped to its text.
pub fn imported_html(html: &str) -> String {
    let with_paragraphs = paragraphs_for_html(html);
    let clean = comment_policy().clean(&with_paragraphs).to_string();
    // After cleaning: the sanitiser decodes entities, so `&#x202E;` arrives as the
    // character itself. A comment that was all script leaves an empty paragraph.
    clean
        .replace("<p></p>", "")
        .trim()
        .chars()
        .filter(|&c| !is_bidi_control(c) && (!c.is_control() || c == '\n' || c == '\t'))
        .collect()
}

/// A commenter's name or website for display: control and bidi-override characters
/// removed (line breaks become spaces) and trimmed. Templates escape it.
pub fn clean_display(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}') {
            out.push(' ');
        } else if !c.is_control() && !is_bidi_control(c) {
            out.push(c);
        }
    }
    out.trim().to_owned()
}

/// The website link for a commenter, percent-encoded where a URL must be, or None when
/// it is not a plain absolute http(s) address: `javascript:`, `data:`, relative and
/// protocol-relative addresses are never linked. Templates escape it.
pub fn safe_website(url: &str) -> Option<String> {
    let url = clean_display(url);
    plausible_url(&url).then(|| percent_safe(&url))
}

/// Bidi embeddings, overrides and isolates: they reorder the text that follows, so a
/// commenter could make text (or a link) read differently from what it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Line endings made `\n`, tabs spaces, and every other control or bidi character gone.
fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\n' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            '\t' => out.push(' '),
            c if c.is_control() || is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes `line` into `out`, turning URLs into links.
fn push_linked(out: &mut String, line: &str) {
    // ASCII lower-casing keeps byte offsets; the markers looked for are ASCII.
    let lower = line.to_ascii_lowercase();
    let b = lower.as_bytes();
    let mut done = 0;
    let mut i = 0;
    while i < b.len() {
        let Some((end, www)) = link_at(line, b, i) else {
            i += 1;
            continue;
        };
        let shown = &line[i..end];
        // Writing to a String cannot fail.
        let _ = write_escaped(out, &line[done..i]);
        out.push_str("<a href=\"");
        if www {
            out.push_str("http://");
        }
        out.push_str(&escape(&percent_safe(shown)));
        let _ = write!(out, "\" rel=\"{COMMENT_LINK_REL}\">");
        let _ = write_escaped(out, shown);
        out.push_str("</a>");
        done = end;
        i = end;
    }
    let _ = write_escaped(out, &line[done..]);
}

/// Where the link starting at byte `i` ends, and whether it is a bare `www.` host, if a
/// link starts there. `b` is `line` lower-cased.
fn link_at(line: &str, b: &[u8], i: usize) -> Option<(usize, bool)> {
    let rest = &b[i..];
    let (prefix, www) = if rest.starts_with(b"https://") {
        (8, false)
    } else if rest.starts_with(b"http://") {
        (7, false)
    } else if rest.starts_with(b"www.") {
        // "awww.", "me@www.example" and "/www." are not the start of a host.
        let boundary = i == 0 || {
            let p = b[i - 1];
            p.is_ascii()
                && !p.is_ascii_alphanumeric()
                && !matches!(p, b'.' | b'-' | b'_' | b'@' | b'/')
        };
        if !boundary {
            return None;
        }
        (4, true)
    } else {
        return None;
    };
    // A host must follow: "https://" alone, or "www." and a full stop, are words.
    // Checked first, so a run of failed candidates costs nothing.
    if !line[i + prefix..].chars().next()?.is_alphanumeric() {
        return None;
    }
    // Everything up to whitespace or a character that cannot be in a URL as typed.
    let mut end = line[i..]
        .char_indices()
        .find(|&(_, c)| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`'))
        .map_or(line.len(), |(j, _)| i + j);
    // Then give back what belongs to the sentence rather than the address: trailing
    // punctuation, and closing brackets the address did not open. The brackets are
    // counted once and kept up to date, so a long run of ")" stays linear.
    let mut brackets = [('(', ')', 0isize), ('[', ']', 0), ('{', '}', 0)];
    for c in line[i..end].chars() {
        for (open, close, depth) in &mut brackets {
            *depth += isize::from(c == *open) - isize::from(c == *close);
        }
    }
    // The host's first character is alphanumeric, so this never gives back the host.
    while let Some(last) = line[i..end].chars().next_back() {
        let unbalanced = brackets
            .iter_mut()
            .find(|(_, close, depth)| *close == last && *depth < 0);
        if let Some((_, _, depth)) = unbalanced {
            *depth += 1;
        } else if !matches!(
            last,
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' | '“' | '”' | '‘' | '’' | '«' | '»'
        ) && !matches!(last, '。' | '、' | '，' | '！' | '？')
        {
            break;
        }
        end -= last.len_utf8();
    }
    Some((end, www))
}

/// `url` with every character a URL may not contain literally percent-encoded (and a `%`
/// that starts no escape encoded itself), so the link works in every browser and the
/// attribute holds only URL characters.
fn percent_safe(url: &str) -> String {
    let bytes = url.as_bytes();
    let mut out = String::with_capacity(url.len() + 8);
    for (i, &b) in bytes.iter().enumerate() {
        let keep = match b {
            b'%' => {
                bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => true,
            b'-' | b'.' | b'_' | b'~' | b':' | b'/' | b'?' | b'#' | b'[' | b']' | b'@' | b'!' => {
                true
            }
            b'$' | b'&' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' => true,
            _ => false,
        };
        if keep {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// WordPress stores a comment's paragraphs as blank lines and adds the markup when it
/// shows them; without the same, an imported comment would run together. Comments that
/// already carry block markup are left as they are. Newlines inside a tag are not breaks.
fn paragraphs_for_html(html: &str) -> String {
    let html = html.replace("\r\n", "\n").replace('\r', "\n");
    let html = html.trim();
    let lower = html.to_ascii_lowercase();
    if [
        "<p",
        "<blockquote",
        "<ul",
        "<ol",
        "<div",
        "<pre",
        "<table",
        "<h",
    ]
    .iter()
    .any(|b| lower.contains(b))
    {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len() + 32);
    out.push_str("<p>");
    let mut in_tag = false;
    let mut chars = html.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' if chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphabetic() || *n == '/') =>
            {
                in_tag = true;
                out.push(c);
            }
            '>' => {
                in_tag = false;
                out.push(c);
            }
            '\n' if !in_tag => {
                let mut blank = false;
                while let Some(n) = chars.next_if(|n| n.is_whitespace()) {
                    blank |= n == '\n';
                }
                out.push_str(if blank { "</p>\n<p>" } else { "<br>\n" });
            }
            c => out.push(c),
        }
    }
    out.push_str("</p>");
    out
}

/// The allow-list for imported comments: what a commenter could reasonably have used in
/// WordPress's comment box, and links only to web and mail addresses.
fn comment_policy() -> &'static Builder<'static> {
    static POLICY: OnceLock<Builder<'static>> = OnceLock::new();
    POLICY.get_or_init(|| {
        let tags: HashSet<&str> = [
            "a",
            "b",
            "blockquote",
            "br",
            "code",
            "em",
            "i",
            "li",
            "ol",
            "p",
            "pre",
            "strong",
            "ul",
        ]
        .into_iter()
        .collect();
        let mut b = Builder::empty();
        b.tags(tags)
            .generic_attributes(HashSet::new())
            .tag_attributes(std::iter::once(("a", std::iter::once("href").collect())).collect())
            .url_schemes(["http", "https", "mailto"].into_iter().collect())
            .url_relative(UrlRelative::Deny)
            .link_rel(Some(COMMENT_LINK_REL))
            .clean_content_tags(
                ["script", "style", "template", "noscript"]
                    .into_iter()
                    .collect(),
            )
            .strip_comments(true);
        b
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAYLOADS: [&str; 19] = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "<a href=\"javascript:alert(1)\">x</a>",
        "&lt;script&gt;",
        "&#106;avascript:alert(1)",
        "<<script>script>",
        "<p><b>unclosed",
        "\"><script>",
        "<iframe src=//evil>",
        "<style>body{}</style>",
        "\u{202E}gnp.exe",
        "<a href=\"&#x6A;avascript:alert(1)\">",
        "<math><mi xlink:href=\"javascript:alert(1)\">",
        "<div style=\"background:url(javascript:alert(1))\">",
    ];

    /// The tags in `html`, each from `<` to `>`.
    fn tags(html: &str) -> Vec<&str> {
        let mut found = Vec::new();
        let mut rest = html;
        while let Some(lt) = rest.find('<') {
            let end = rest[lt..].find('>').map_or(rest.len(), |e| lt + e + 1);
            found.push(&rest[lt..end]);
            rest = &rest[end..];
        }
        found
    }

    /// Checks `html` is inert: no dangerous element, no attribute but a web or mail
    /// `href` and our `rel`, and no bidi override. Text that merely reads "onerror=" or
    /// "javascript:" is harmless and allowed.
    fn assert_inert(html: &str, input: &str) {
        let lower = html.to_ascii_lowercase();
        for bad in [
            "<script", "<svg", "<iframe", "<style", "<img", "<math", "<div",
        ] {
            assert!(!lower.contains(bad), "{input:?} kept {bad}: {html}");
        }
        assert!(
            !html.contains('\u{202E}'),
            "{input:?} kept U+202E: {html:?}"
        );
        for tag in tags(&lower) {
            for bad in [
                "onerror",
                "onload",
                "javascript:",
                "data:",
                "style=",
                "xlink",
            ] {
                assert!(!tag.contains(bad), "{input:?} kept {bad} in {tag}: {html}");
            }
            if let Some(at) = tag.find("href=\"") {
                let value = &tag[at + 6..];
                assert!(
                    ["http://", "https://", "mailto:"]
                        .iter()
                        .any(|s| value.starts_with(s)),
                    "{input:?}: {tag}"
                );
            }
        }
    }

    #[test]
    fn plain_text_never_carries_markup() {
        let ours = ["<p>", "</p>", "<br>", "</a>"];
        for p in PAYLOADS {
            let html = plain_text_to_html(p);
            assert_inert(&html, p);
            for tag in tags(&html) {
                assert!(
                    ours.contains(&tag) || tag.starts_with("<a href=\"http"),
                    "{p:?} made {tag}: {html}"
                );
            }
        }
        assert_eq!(
            plain_text_to_html("<script>alert(1)</script>"),
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
        );
        assert_eq!(
            plain_text_to_html("<b>bold</b> & \"quoted\""),
            "<p>&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;</p>\n"
        );
        assert_eq!(
            plain_text_to_html("&lt;script&gt;"),
            "<p>&amp;lt;script&amp;gt;</p>\n"
        );
        assert_eq!(plain_text_to_html("\u{202E}gnp.exe"), "<p>gnp.exe</p>\n");
        // Nothing is ever a link but http(s) and www.
        assert!(!plain_text_to_html("javascript:alert(1) data:x,y").contains("<a"));
    }

    #[test]
    fn imported_html_is_inert() {
        for p in PAYLOADS {
            assert_inert(&imported_html(p), p);
        }
        assert_eq!(imported_html("<script>alert(1)</script>"), "");
        assert_eq!(imported_html("<style>body{}</style>"), "");
        assert_eq!(
            imported_html("<a href=\"javascript:alert(1)\">x</a>"),
            "<p><a rel=\"nofollow ugc noopener\">x</a></p>"
        );
        assert_eq!(imported_html("<p><b>unclosed"), "<p><b>unclosed</b></p>");
        assert_eq!(imported_html("\u{202E}gnp.exe"), "<p>gnp.exe</p>");
        assert_eq!(imported_html("<p>&#x202E;gnp.exe</p>"), "<p>gnp.exe</p>");
    }

    #[test]
    fn imported_html_keeps_the_allowed_markup() {
        let html = imported_html(
            "<p class=x>Hi <strong>all</strong> <em>you</em> <code>x</code></p>\
             <blockquote>quote</blockquote><ul><li>one</li></ul><ol><li>two</li></ol>\
             <pre>pre</pre><p><a href=\"https://a.example/?q=1&amp;r=2\" rel=\"follow\" \
             onclick=\"x()\" title=\"t\">web</a> <a href=\"mailto:a@b.example\">mail</a> \
             <a href=\"/relative\">rel</a> <a href=\"//evil.example\">proto</a></p>\
             <h2>head</h2><span>span</span>",
        );
        assert_eq!(
            html,
            "<p>Hi <strong>all</strong> <em>you</em> <code>x</code></p>\
             <blockquote>quote</blockquote><ul><li>one</li></ul><ol><li>two</li></ol>\
             <pre>pre</pre><p><a href=\"https://a.example/?q=1&amp;r=2\" \
             rel=\"nofollow ugc noopener\">web</a> <a href=\"mailto:a@b.example\" \
             rel=\"nofollow ugc noopener\">mail</a> <a rel=\"nofollow ugc noopener\">rel</a> \
             <a rel=\"nofollow ugc noopener\">proto</a></p>headspan"
        );
    }

    #[test]
    fn imported_comments_without_blocks_get_wordpress_paragraphs() {
        assert_eq!(
            imported_html(
                "One <b>bold</b>\nline\r\n\r\n\nTwo <a\nhref=\"https://a.example\">x</a>"
            ),
            "<p>One <b>bold</b><br>\nline</p>\n<p>Two <a href=\"https://a.example\" \
             rel=\"nofollow ugc noopener\">x</a></p>"
        );
        assert_eq!(imported_html("<p>Kept\nas is</p>"), "<p>Kept\nas is</p>");
        assert_eq!(imported_html(""), "");
        assert_eq!(
            imported_html("a\n\n<script>x</script>\n\nb"),
            "<p>a</p>\n\n<p>b</p>"
        );
    }

    #[test]
    fn paragraphs_and_line_breaks() {
        assert_eq!(
            plain_text_to_html("\n\nFirst line\r\nsecond  \n \t \n\n\nNext\rpara\n"),
            "<p>First line<br>\nsecond</p>\n<p>Next<br>\npara</p>\n"
        );
        assert_eq!(plain_text_to_html(""), "");
        assert_eq!(plain_text_to_html(" \n\t\n"), "");
        assert_eq!(
            plain_text_to_html("a\u{0}b\u{7}c\u{85}d\u{2066}e"),
            "<p>abcde</p>\n"
        );
    }

    #[test]
    fn urls_become_nofollow_links() {
        assert_eq!(
            plain_text_to_html("See https://example.com/a?b=1&c=2 now"),
            "<p>See <a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"nofollow ugc noopener\">\
             https://example.com/a?b=1&amp;c=2</a> now</p>\n"
        );
        assert_eq!(
            plain_text_to_html("(see https://example.com/x)"),
            "<p>(see <a href=\"https://example.com/x\" rel=\"nofollow ugc noopener\">\
             https://example.com/x</a>)</p>\n"
        );
        assert_eq!(
            plain_text_to_html("www.example.com."),
            "<p><a href=\"http://www.example.com\" rel=\"nofollow ugc noopener\">\
             www.example.com</a>.</p>\n"
        );
    }

    #[test]
    fn links_leave_sentence_punctuation_outside() {
        let link = |text: &str| {
            let html = plain_text_to_html(text);
            let start = html.find("\">").map(|i| i + 2);
            let end = html.find("</a>");
            match (start, end) {
                (Some(s), Some(e)) => html[s..e].to_owned(),
                _ => String::new(),
            }
        };
        assert_eq!(link("Go to https://a.example/x."), "https://a.example/x");
        assert_eq!(link("https://a.example/x?!"), "https://a.example/x");
        assert_eq!(link("“https://a.example/x”"), "https://a.example/x");
        assert_eq!(link("'https://a.example/x',"), "https://a.example/x");
        assert_eq!(
            link("https://en.wikipedia.org/wiki/Bracket_(disambiguation)"),
            "https://en.wikipedia.org/wiki/Bracket_(disambiguation)"
        );
        assert_eq!(
            link("(https://en.wikipedia.org/wiki/Bracket_(disambiguation))."),
            "https://en.wikipedia.org/wiki/Bracket_(disambiguation)"
        );
        assert_eq!(link("[https://a.example]"), "https://a.example");
        assert_eq!(link("<https://a.example>"), "https://a.example");
        assert_eq!(link("https://a.example/x:"), "https://a.example/x");
        assert_eq!(link("https://"), "");
        assert_eq!(link("https://."), "");
        assert_eq!(link("www."), "");
        assert_eq!(link("awww.example.com"), "");
        assert_eq!(link("me@www.example.com"), "");
        assert_eq!(link("HTTPS://A.example"), "HTTPS://A.example");
    }

    #[test]
    fn pathological_input_takes_linear_time() {
        let started = std::time::Instant::now();
        let inputs = [
            "https://.".repeat(7_000),
            format!("https://a{}", ")".repeat(65_000)),
            format!("https://a{}", "(".repeat(65_000)),
            "www.".repeat(16_000),
            "<a href=x>".repeat(6_000),
        ];
        for input in &inputs {
            let html = plain_text_to_html(input);
            assert!(html.len() >= input.len());
            let _ = imported_html(input);
        }
        let html = plain_text_to_html(&inputs[1]);
        assert!(
            html.starts_with("<p><a href=\"https://a\" rel="),
            "{}",
            &html[..60]
        );
        // Generous, for unoptimised builds on a busy machine; quadratic would be minutes.
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }

    #[test]
    fn hrefs_are_percent_safe() {
        let html = plain_text_to_html("https://café.example/ü?q='x'&r=100%&s=%20`");
        assert!(
            html.contains(
                "href=\"https://caf%C3%A9.example/%C3%BC?q=%27x%27&amp;r=100%25&amp;s=%20\""
            ),
            "{html}"
        );
        assert!(html.contains(">https://café.example/ü?q=&#39;x&#39;&amp;r=100%&amp;s=%20</a>`"));
    }

    #[test]
    fn display_names_lose_controls_and_overrides() {
        assert_eq!(clean_display("  Ada\u{202E}nimda \n"), "Adanimda");
        assert_eq!(
            clean_display("Line\nbreak\tand\u{0}nul"),
            "Line break andnul"
        );
        assert_eq!(clean_display("\u{2067}\u{2069}"), "");
        assert_eq!(clean_display("<b>Ada</b>"), "<b>Ada</b>");
    }

    #[test]
    fn only_web_addresses_are_linked_as_websites() {
        assert_eq!(
            safe_website(" https://ada.example/blog "),
            Some("https://ada.example/blog".into())
        );
        assert_eq!(
            safe_website("HTTP://ada.example/é\"x"),
            Some("HTTP://ada.example/%C3%A9%22x".into())
        );
        for bad in [
            "",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "&#106;avascript:alert(1)",
            "/relative",
            "//evil.example",
            "ada.example",
            "www.ada.example",
            "ftp://ada.example",
            "https://",
            "https://a b.example",
        ] {
            assert_eq!(safe_website(bad), None, "{bad:?}");
        }
    }
}
