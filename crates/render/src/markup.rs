//! Bodies to safe HTML. Every format goes through the same allow-list, so an import's
//! HTML can do no more than an editor's Markdown.

use crate::text::html_to_text;
use ammonia::Builder;
use masthead_core::BodyFormat;
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};
use std::collections::HashSet;
use std::sync::OnceLock;

/// A rendered body: the HTML to show and the plain text excerpts are cut from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    pub text: String,
}

/// Renders a body in its format to sanitised HTML.
pub fn render_body(format: BodyFormat, source: &str) -> Rendered {
    let raw = match format {
        BodyFormat::Markdown => markdown_to_html(source),
        BodyFormat::Html => paragraphs_for_html(source),
        BodyFormat::Text => text_to_html(source),
    };
    let html = newsroom_policy().clean(&demote_h1(&raw)).to_string();
    let text = html_to_text(&html);
    Rendered { html, text }
}

fn markdown_to_html(source: &str) -> String {
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_FOOTNOTES;
    // The page's headline is the only h1: a body's "# Heading" becomes an h2.
    let events = Parser::new_ext(source, opts).map(|e| match e {
        Event::Start(Tag::Heading {
            level: HeadingLevel::H1,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: HeadingLevel::H2,
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(HeadingLevel::H1)) => {
            Event::End(TagEnd::Heading(HeadingLevel::H2))
        }
        other => other,
    });
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// Plain text: blank lines separate paragraphs, single newlines are line breaks.
fn text_to_html(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 64);
    for para in split_paragraphs(source) {
        out.push_str("<p>");
        for (i, line) in para.lines().enumerate() {
            if i > 0 {
                out.push_str("<br>\n");
            }
            out.push_str(&escape(line.trim()));
        }
        out.push_str("</p>\n");
    }
    out
}

/// HTML as WordPress stores it: where the author wrote no block elements, blank lines
/// make paragraphs.
fn paragraphs_for_html(source: &str) -> String {
    const BLOCKS: [&str; 12] = [
        "<p",
        "<div",
        "<h2",
        "<h3",
        "<h4",
        "<ul",
        "<ol",
        "<blockquote",
        "<table",
        "<figure",
        "<pre",
        "<h1",
    ];
    let lower = source.to_ascii_lowercase();
    if BLOCKS.iter().any(|b| lower.contains(b)) {
        return source.to_owned();
    }
    let mut out = String::with_capacity(source.len() + 64);
    for para in split_paragraphs(source) {
        out.push_str("<p>");
        out.push_str(&para.trim().replace('\n', "<br>\n"));
        out.push_str("</p>\n");
    }
    out
}

fn split_paragraphs(source: &str) -> impl Iterator<Item = String> + '_ {
    let normalized = source.replace("\r\n", "\n");
    normalized
        .split("\n\n")
        .map(|p| p.trim_matches('\n').to_owned())
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .into_iter()
}

fn demote_h1(html: &str) -> String {
    if !html.contains("<h1") && !html.contains("<H1") {
        return html.to_owned();
    }
    html.replace("<h1", "<h2")
        .replace("</h1>", "</h2>")
        .replace("<H1", "<h2")
        .replace("</H1>", "</h2>")
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    // Writing to a String cannot fail.
    let _ = write_escaped(&mut out, s);
    out
}

/// Writes `s` escaped, copying the runs between special characters whole: templates
/// escape every value they print, so this is on every page's path.
pub fn write_escaped<W: std::fmt::Write>(out: &mut W, s: &str) -> std::fmt::Result {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        // Special characters are ASCII, so `i` is always a char boundary.
        out.write_str(&s[start..i])?;
        out.write_str(entity)?;
        start = i + 1;
    }
    out.write_str(&s[start..])
}

/// The allow-list for content the newsroom writes or imports: structure, emphasis,
/// links, images, tables, figures. No scripts, styles, frames, forms or event handlers.
pub fn newsroom_policy() -> &'static Builder<'static> {
    static POLICY: OnceLock<Builder<'static>> = OnceLock::new();
    POLICY.get_or_init(|| {
        let tags: HashSet<&str> = [
            "a",
            "abbr",
            "b",
            "blockquote",
            "br",
            "caption",
            "cite",
            "code",
            "dd",
            "del",
            "dfn",
            "div",
            "dl",
            "dt",
            "em",
            "figcaption",
            "figure",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "hr",
            "i",
            "img",
            "ins",
            "kbd",
            "li",
            "mark",
            "ol",
            "p",
            "pre",
            "q",
            "s",
            "samp",
            "small",
            "span",
            "strong",
            "sub",
            "sup",
            "table",
            "tbody",
            "td",
            "tfoot",
            "th",
            "thead",
            "time",
            "tr",
            "u",
            "ul",
        ]
        .into_iter()
        .collect();
        let mut b = Builder::default();
        b.tags(tags)
            .add_tag_attributes("a", ["href", "title"])
            .add_tag_attributes(
                "img",
                ["src", "alt", "title", "width", "height", "srcset", "sizes"],
            )
            .add_tag_attributes("td", ["colspan", "rowspan"])
            .add_tag_attributes("th", ["colspan", "rowspan", "scope"])
            .add_tag_attributes("time", ["datetime"])
            .add_tag_attributes("blockquote", ["cite"])
            .add_tag_attributes("ol", ["start", "reversed"])
            .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
            .link_rel(Some("noopener noreferrer"))
            .strip_comments(true);
        b
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_replaces_every_special_character_and_keeps_the_rest() {
        assert_eq!(
            escape(r#"Tom & "Jerry's" <b>Café</b> — ok"#),
            "Tom &amp; &quot;Jerry&#39;s&quot; &lt;b&gt;Café&lt;/b&gt; — ok"
        );
        assert_eq!(escape(""), "");
        assert_eq!(escape("&&"), "&amp;&amp;");
        assert_eq!(escape("plain"), "plain");
    }

    #[test]
    fn markdown_renders_structure_and_demotes_h1() {
        let r = render_body(
            BodyFormat::Markdown,
            "# Big\n\nSome *text* and a [link](https://example.com).\n\n> \"Quoted\"\n\n- one\n- two",
        );
        assert!(r.html.contains("<h2>Big</h2>"), "{}", r.html);
        assert!(!r.html.contains("<h1"));
        assert!(r.html.contains("<em>text</em>"));
        assert!(r.html.contains("<blockquote>"));
        assert!(r.html.contains("<li>one</li>"));
        assert!(
            r.html
                .contains(r#"<a href="https://example.com" rel="noopener noreferrer">link</a>"#)
        );
        assert!(
            r.text.starts_with("Big Some text and a link."),
            "{}",
            r.text
        );
    }

    #[test]
    fn scripts_and_handlers_never_survive_any_format() {
        let evil = r#"<p onclick="x()">Hi</p><script>alert(1)</script><a href="javascript:alert(1)">x</a><iframe src="https://e.com"></iframe><img src=x onerror=alert(1)>"#;
        for f in [BodyFormat::Markdown, BodyFormat::Html] {
            let r = render_body(f, evil);
            for bad in ["<script", "onclick", "javascript:", "<iframe", "onerror"] {
                assert!(!r.html.contains(bad), "{f:?} kept {bad}: {}", r.html);
            }
        }
        let r = render_body(BodyFormat::Text, evil);
        assert!(r.html.contains("&lt;script&gt;"), "{}", r.html);
    }

    #[test]
    fn text_paragraphs_and_line_breaks() {
        let r = render_body(
            BodyFormat::Text,
            "First para\nsecond line\n\nSecond para & more",
        );
        assert_eq!(
            r.html,
            "<p>First para<br>\nsecond line</p>\n<p>Second para &amp; more</p>\n"
        );
    }

    #[test]
    fn html_without_blocks_gets_paragraphs() {
        let r = render_body(BodyFormat::Html, "One <b>bold</b>\n\nTwo");
        assert_eq!(r.html, "<p>One <b>bold</b></p>\n<p>Two</p>\n");
        let kept = render_body(BodyFormat::Html, "<p>Already</p>");
        assert_eq!(kept.html, "<p>Already</p>");
    }

    #[test]
    fn literal_entities_in_text_are_escaped_once() {
        let r = render_body(BodyFormat::Text, "Call me &lt;#&gt; now");
        assert!(r.html.contains("&amp;lt;#&amp;gt;"), "{}", r.html);
        assert_eq!(r.text, "Call me &lt;#&gt; now");
    }
}
