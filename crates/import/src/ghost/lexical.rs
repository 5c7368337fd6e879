//! Ghost's Lexical documents (Ghost 5 and later) to HTML.
//!
//! A document is `{"root": {"type": "root", "children": [...]}}`. Text nodes carry a
//! `format` bitmask (bold 1, italic 2, strikethrough 4, underline 8, code 16, subscript
//! 32, superscript 64, highlight 128); the other nodes are blocks, lists, links, line
//! breaks and Ghost's cards (see [`super::cards`]).

use super::cards::{Notes, keep_text, render_card};
use masthead_render::markup::escape;
use serde_json::{Map, Value};

/// The text formats in the order their tags nest, outermost first.
const FORMATS: [(u64, &str); 8] = [
    (1, "strong"),
    (2, "em"),
    (4, "s"),
    (8, "u"),
    (32, "sub"),
    (64, "sup"),
    (128, "mark"),
    (16, "code"),
];

/// Converts a Lexical document (the JSON string Ghost stores) to HTML.
pub fn to_html(json: &str, notes: &mut Notes) -> Result<String, String> {
    let doc: Value =
        serde_json::from_str(json).map_err(|e| format!("the Lexical document is not JSON: {e}"))?;
    let root = doc.get("root").unwrap_or(&doc);
    if root.get("type").and_then(Value::as_str) != Some("root") {
        return Err("the Lexical document has no root node".to_owned());
    }
    let mut out = String::new();
    children(root, &mut out, notes);
    Ok(out)
}

fn children(node: &Value, out: &mut String, notes: &mut Notes) {
    for child in node
        .get("children")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        render(child, out, notes);
    }
}

fn inner(node: &Value, notes: &mut Notes) -> String {
    let mut s = String::new();
    children(node, &mut s, notes);
    s
}

fn render(node: &Value, out: &mut String, notes: &mut Notes) {
    let Some(obj) = node.as_object() else {
        return;
    };
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "text" | "extended-text" | "code-highlight" => text(obj, out),
        "linebreak" => out.push_str("<br>"),
        // An editing aid with nothing to show.
        "zwnj" => {}
        // A "TK" (to come) marker around text: the text stays.
        "tk" => children(node, out, notes),
        "tab" => out.push('\t'),
        "paragraph" => {
            let body = inner(node, notes);
            if !body.trim().is_empty() {
                out.push_str(&format!("<p>{body}</p>\n"));
            }
        }
        "heading" | "extended-heading" => {
            let tag = obj
                .get("tag")
                .and_then(Value::as_str)
                .filter(|t| matches!(*t, "h1" | "h2" | "h3" | "h4" | "h5" | "h6"))
                .unwrap_or("h2");
            let body = inner(node, notes);
            if !body.trim().is_empty() {
                out.push_str(&format!("<{tag}>{body}</{tag}>\n"));
            }
        }
        "quote" | "extended-quote" | "aside" => {
            out.push_str(&format!(
                "<blockquote>{}</blockquote>\n",
                inner(node, notes)
            ));
        }
        "list" => {
            let ordered = obj.get("listType").and_then(Value::as_str) == Some("number")
                || obj.get("tag").and_then(Value::as_str) == Some("ol");
            let tag = if ordered { "ol" } else { "ul" };
            let start = obj.get("start").and_then(Value::as_u64).unwrap_or(1);
            if ordered && start != 1 {
                out.push_str(&format!("<ol start=\"{start}\">"));
            } else {
                out.push_str(&format!("<{tag}>"));
            }
            out.push_str(&inner(node, notes));
            out.push_str(&format!("</{tag}>\n"));
        }
        "listitem" => out.push_str(&format!("<li>{}</li>", inner(node, notes).trim_end())),
        "code" => {
            let mut code = String::new();
            code_text(node, &mut code);
            out.push_str(&format!("<pre><code>{}</code></pre>\n", escape(&code)));
        }
        "link" | "autolink" => {
            let url = obj.get("url").and_then(Value::as_str).unwrap_or("").trim();
            let body = inner(node, notes);
            if url.is_empty() {
                out.push_str(&body);
            } else {
                let title = obj
                    .get("title")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim();
                if title.is_empty() {
                    out.push_str(&format!("<a href=\"{}\">{body}</a>", escape(url)));
                } else {
                    out.push_str(&format!(
                        "<a href=\"{}\" title=\"{}\">{body}</a>",
                        escape(url),
                        escape(title)
                    ));
                }
            }
        }
        "horizontalrule" | "image" | "gallery" | "markdown" | "html" | "bookmark" | "embed"
        | "callout" | "toggle" | "codeblock" | "button" | "video" | "audio" | "file"
        | "paywall" | "email" | "email-cta" | "signup" => {
            render_card("lexical", kind, obj, out, notes);
        }
        _ => {
            notes.unknown(format!("lexical node {kind}"));
            if obj.get("children").is_some_and(Value::is_array) {
                let body = inner(node, notes);
                if !body.trim().is_empty() {
                    out.push_str(&body);
                }
            } else {
                keep_text(obj, out);
            }
        }
    }
}

fn text(obj: &Map<String, Value>, out: &mut String) {
    let t = obj.get("text").and_then(Value::as_str).unwrap_or("");
    if t.is_empty() {
        return;
    }
    let format = obj.get("format").and_then(Value::as_u64).unwrap_or(0);
    let tags: Vec<&str> = FORMATS
        .iter()
        .filter(|(bit, _)| format & bit != 0)
        .map(|(_, tag)| *tag)
        .collect();
    for tag in &tags {
        out.push_str(&format!("<{tag}>"));
    }
    // A newline inside a text node is a line break.
    out.push_str(&escape(t).replace('\n', "<br>"));
    for tag in tags.iter().rev() {
        out.push_str(&format!("</{tag}>"));
    }
}

/// The text of a code block: its text nodes, with line breaks as newlines.
fn code_text(node: &Value, out: &mut String) {
    for child in node
        .get("children")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match child.get("type").and_then(Value::as_str) {
            Some("linebreak") => out.push('\n'),
            Some("tab") => out.push('\t'),
            _ => {
                if let Some(t) = child.get("text").and_then(Value::as_str) {
                    out.push_str(t);
                }
                code_text(child, out);
            }
        }
    }
}
