//! Ghost's cards (the blocks that are not text), shared by both editors: Lexical and
//! Mobiledoc give a card the same payload fields, only a few names differ (`codeblock`
//! and `code`, `horizontalrule` and `hr`).
//!
//! Every card becomes plain HTML the newsroom's allow-list keeps: no scripts, no
//! frames. Embeds become a link to what they embedded; a bookmark becomes a link with its
//! title and description. Captions, callouts and toggles hold HTML in Ghost and are
//! copied as they are (the renderer sanitises the whole body afterwards).

use masthead_core::BodyFormat;
use masthead_render::markup::escape;
use masthead_render::render_body;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What a conversion met that it could not carry over whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes {
    /// Node or card types we do not know (their text, if any, was kept), with counts:
    /// `"lexical node foo"`, `"mobiledoc card bar"`.
    pub unknown: BTreeMap<String, u64>,
    /// Known content left out on purpose (e-mail-only cards, sign-up forms), with counts.
    pub dropped: BTreeMap<String, u64>,
}

impl Notes {
    pub(super) fn unknown(&mut self, what: String) {
        *self.unknown.entry(what).or_default() += 1;
    }

    pub(super) fn dropped(&mut self, what: &str) {
        *self.dropped.entry(what.to_owned()).or_default() += 1;
    }

    pub(super) fn absorb(&mut self, other: Notes) {
        for (k, n) in other.unknown {
            *self.unknown.entry(k).or_default() += n;
        }
        for (k, n) in other.dropped {
            *self.dropped.entry(k).or_default() += n;
        }
    }
}

/// A payload's string field, trimmed; empty when absent or not a string.
pub(super) fn text<'a>(p: &'a Map<String, Value>, key: &str) -> &'a str {
    p.get(key).and_then(Value::as_str).map_or("", str::trim)
}

fn figure(out: &mut String, inner: &str, caption: &str) {
    if caption.is_empty() {
        out.push_str(inner);
    } else {
        out.push_str("<figure>");
        out.push_str(inner);
        out.push_str("<figcaption>");
        out.push_str(caption);
        out.push_str("</figcaption></figure>");
    }
    out.push('\n');
}

fn img(src: &str, alt: &str, title: &str) -> String {
    let mut s = format!("<img src=\"{}\" alt=\"{}\"", escape(src), escape(alt));
    if !title.is_empty() {
        s.push_str(&format!(" title=\"{}\"", escape(title)));
    }
    s.push('>');
    s
}

fn link(href: &str, label: &str) -> String {
    format!("<a href=\"{}\">{}</a>", escape(href), escape(label))
}

/// Wraps HTML that may or may not already be in paragraphs.
fn as_blocks(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    if [
        "<p",
        "<ul",
        "<ol",
        "<h",
        "<blockquote",
        "<div",
        "<figure",
        "<pre",
    ]
    .iter()
    .any(|b| lower.contains(b))
    {
        html.to_owned()
    } else {
        format!("<p>{html}</p>")
    }
}

/// Renders card `kind` (as either editor names it) to `out`; `editor` names the editor
/// in notes ("lexical" or "mobiledoc").
pub(super) fn render_card(
    editor: &str,
    kind: &str,
    p: &Map<String, Value>,
    out: &mut String,
    notes: &mut Notes,
) {
    match kind {
        "image" => {
            let src = text(p, "src");
            if src.is_empty() {
                return;
            }
            let mut inner = img(src, text(p, "alt"), text(p, "title"));
            let href = text(p, "href");
            if !href.is_empty() {
                inner = format!("<a href=\"{}\">{inner}</a>", escape(href));
            }
            out.push_str("<figure>");
            out.push_str(&inner);
            let caption = text(p, "caption");
            if !caption.is_empty() {
                out.push_str("<figcaption>");
                out.push_str(caption);
                out.push_str("</figcaption>");
            }
            out.push_str("</figure>\n");
        }
        "gallery" => {
            let images = p.get("images").and_then(Value::as_array);
            let imgs: Vec<String> = images
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
                .filter(|i| !text(i, "src").is_empty())
                .map(|i| img(text(i, "src"), text(i, "alt"), text(i, "title")))
                .collect();
            if imgs.is_empty() {
                return;
            }
            out.push_str("<figure>");
            out.push_str(&imgs.concat());
            let caption = text(p, "caption");
            if !caption.is_empty() {
                out.push_str("<figcaption>");
                out.push_str(caption);
                out.push_str("</figcaption>");
            }
            out.push_str("</figure>\n");
        }
        "markdown" | "card-markdown" => {
            let md = p.get("markdown").and_then(Value::as_str).unwrap_or("");
            let html = render_body(BodyFormat::Markdown, md).html;
            out.push_str(html.trim_end());
            if !html.trim().is_empty() {
                out.push('\n');
            }
        }
        "html" | "card-html" => {
            let html = p.get("html").and_then(Value::as_str).unwrap_or("").trim();
            if !html.is_empty() {
                out.push_str(html);
                out.push('\n');
            }
        }
        "hr" | "horizontalrule" => out.push_str("<hr>\n"),
        "code" | "codeblock" => {
            let code = p.get("code").and_then(Value::as_str).unwrap_or("");
            let inner = format!("<pre><code>{}</code></pre>", escape(code));
            figure(out, &inner, text(p, "caption"));
        }
        "bookmark" => {
            let url = text(p, "url");
            let meta = p.get("metadata").and_then(Value::as_object);
            let m = |k: &str| meta.map_or("", |m| text(m, k));
            if url.is_empty() {
                return;
            }
            let title = if m("title").is_empty() {
                url
            } else {
                m("title")
            };
            let mut inner = format!("<p>{}", link(url, title));
            if !m("description").is_empty() {
                inner.push_str("<br>");
                inner.push_str(&escape(m("description")));
            }
            let by: Vec<&str> = [m("author"), m("publisher")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            if !by.is_empty() {
                inner.push_str("<br><small>");
                inner.push_str(&escape(&by.join(" · ")));
                inner.push_str("</small>");
            }
            inner.push_str("</p>");
            figure(out, &inner, text(p, "caption"));
        }
        "embed" => {
            let url = text(p, "url");
            if url.is_empty() {
                notes.unknown(format!("{editor} embed without a URL"));
                return;
            }
            let meta = p.get("metadata").and_then(Value::as_object);
            let title = meta.map_or("", |m| text(m, "title"));
            let inner = format!(
                "<p>{}</p>",
                link(url, if title.is_empty() { url } else { title })
            );
            figure(out, &inner, text(p, "caption"));
        }
        "callout" => {
            let emoji = text(p, "calloutEmoji");
            let body = text(p, "calloutText");
            out.push_str("<div>");
            if !emoji.is_empty() {
                out.push_str(&format!("<p>{}</p>", escape(emoji)));
            }
            if !body.is_empty() {
                out.push_str(&as_blocks(body));
            }
            out.push_str("</div>\n");
        }
        "toggle" => {
            let heading = text(p, "heading");
            let content = text(p, "content");
            out.push_str("<div>");
            if !heading.is_empty() {
                out.push_str(&format!("<p><strong>{heading}</strong></p>"));
            }
            if !content.is_empty() {
                out.push_str(&as_blocks(content));
            }
            out.push_str("</div>\n");
        }
        "button" => {
            let url = text(p, "buttonUrl");
            let label = text(p, "buttonText");
            if !url.is_empty() {
                out.push_str(&format!(
                    "<p>{}</p>\n",
                    link(url, if label.is_empty() { url } else { label })
                ));
            }
        }
        "video" | "audio" | "file" => {
            let src = text(p, "src");
            if src.is_empty() {
                return;
            }
            let label = ["title", "fileTitle", "fileName"]
                .into_iter()
                .map(|k| text(p, k))
                .find(|s| !s.is_empty())
                .unwrap_or(src);
            let inner = format!("<p>{}</p>", link(src, label));
            figure(out, &inner, text(p, "caption"));
        }
        // The members-only divider: the post's visibility carries its meaning.
        "paywall" => {}
        // Content only newsletters show, and forms that have nothing to post to here.
        "email" | "email-cta" | "signup" => notes.dropped(&format!("{editor} {kind} card")),
        _ => {
            notes.unknown(format!("{editor} card {kind}"));
            keep_text(p, out);
        }
    }
}

/// The text of a card we do not know: its usual text-bearing fields, as paragraphs.
pub(super) fn keep_text(p: &Map<String, Value>, out: &mut String) {
    const FIELDS: [&str; 10] = [
        "header",
        "subheader",
        "title",
        "productTitle",
        "description",
        "productDescription",
        "text",
        "content",
        "html",
        "caption",
    ];
    for key in FIELDS {
        let v = text(p, key);
        if !v.is_empty() {
            out.push_str(&as_blocks(v));
            out.push('\n');
        }
    }
}
