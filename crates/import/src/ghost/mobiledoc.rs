//! Ghost's Mobiledoc documents (Ghost 1 to 4) to HTML.
//!
//! A document is `{"version": "0.3.x", "markups": [[tag, [attr, value, …]]…],
//! "atoms": [[name, text, payload]…], "cards": [[name, payload]…], "sections": […]}`.
//! Sections are `[1, tag, markers]` (markup), `[2, src]` (image), `[3, tag, items]`
//! (list) and `[10, card index]` (card). A marker is `[kind, opened markups, closed
//! count, value]`: kind 0 is text, kind 1 an atom (Ghost's only atom is `soft-return`,
//! a line break).

use super::cards::{Notes, render_card};
use masthead_render::markup::escape;
use serde_json::{Map, Value};

struct Doc<'a> {
    markups: &'a [Value],
    atoms: &'a [Value],
    cards: &'a [Value],
}

fn list<'a>(doc: &'a Value, key: &str) -> &'a [Value] {
    doc.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Converts a Mobiledoc document (the JSON string Ghost stores) to HTML.
pub fn to_html(json: &str, notes: &mut Notes) -> Result<String, String> {
    let doc: Value = serde_json::from_str(json)
        .map_err(|e| format!("the Mobiledoc document is not JSON: {e}"))?;
    let Some(sections) = doc.get("sections").and_then(Value::as_array) else {
        return Err("the Mobiledoc document has no sections".to_owned());
    };
    let d = Doc {
        markups: list(&doc, "markups"),
        atoms: list(&doc, "atoms"),
        cards: list(&doc, "cards"),
    };
    let mut out = String::new();
    for section in sections {
        let Some(s) = section.as_array() else {
            continue;
        };
        match s.first().and_then(Value::as_u64) {
            Some(1) => {
                let tag = s.get(1).and_then(Value::as_str).unwrap_or("p");
                let tag = match tag.to_ascii_lowercase().as_str() {
                    t @ ("p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote") => {
                        t.to_owned()
                    }
                    "aside" | "pull-quote" => "blockquote".to_owned(),
                    other => {
                        notes.unknown(format!("mobiledoc section {other}"));
                        "p".to_owned()
                    }
                };
                let body = markers(s.get(2), &d, notes);
                if !body.trim().is_empty() {
                    out.push_str(&format!("<{tag}>{body}</{tag}>\n"));
                }
            }
            Some(2) => {
                let src = s.get(1).and_then(Value::as_str).unwrap_or("").trim();
                if !src.is_empty() {
                    out.push_str(&format!(
                        "<figure><img src=\"{}\" alt=\"\"></figure>\n",
                        escape(src)
                    ));
                }
            }
            Some(3) => {
                let tag = match s.get(1).and_then(Value::as_str) {
                    Some(t) if t.eq_ignore_ascii_case("ol") => "ol",
                    _ => "ul",
                };
                out.push_str(&format!("<{tag}>"));
                for item in s.get(2).and_then(Value::as_array).into_iter().flatten() {
                    out.push_str(&format!("<li>{}</li>", markers(Some(item), &d, notes)));
                }
                out.push_str(&format!("</{tag}>\n"));
            }
            Some(10) => {
                let card = s
                    .get(1)
                    .and_then(Value::as_u64)
                    .and_then(|i| d.cards.get(usize::try_from(i).ok()?))
                    .and_then(Value::as_array);
                let Some(card) = card else {
                    notes.unknown("mobiledoc card reference to nothing".to_owned());
                    continue;
                };
                let name = card.first().and_then(Value::as_str).unwrap_or("");
                let empty = Map::new();
                let payload = card.get(1).and_then(Value::as_object).unwrap_or(&empty);
                render_card("mobiledoc", name, payload, &mut out, notes);
            }
            other => notes.unknown(format!(
                "mobiledoc section type {}",
                other.map_or_else(|| "?".to_owned(), |n| n.to_string())
            )),
        }
    }
    Ok(out)
}

/// The opening tag and closing tag name for markup `i`, or `None` for a markup we drop
/// (its text is kept).
fn markup(d: &Doc<'_>, i: &Value, notes: &mut Notes) -> Option<(String, &'static str)> {
    let m = i
        .as_u64()
        .and_then(|i| d.markups.get(usize::try_from(i).ok()?))
        .and_then(Value::as_array)?;
    let tag = m.first().and_then(Value::as_str)?.to_ascii_lowercase();
    let attrs: Vec<&str> = m
        .get(1)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let attr = |name: &str| {
        attrs
            .chunks(2)
            .find(|c| c.first().is_some_and(|n| n.eq_ignore_ascii_case(name)))
            .and_then(|c| c.get(1).copied())
    };
    let close: &'static str = match tag.as_str() {
        "a" => {
            let href = attr("href").unwrap_or("").trim();
            return Some((format!("<a href=\"{}\">", escape(href)), "a"));
        }
        "b" => "b",
        "strong" => "strong",
        "em" => "em",
        "i" => "i",
        "s" => "s",
        "u" => "u",
        "code" => "code",
        "sub" => "sub",
        "sup" => "sup",
        "mark" => "mark",
        other => {
            notes.unknown(format!("mobiledoc markup {other}"));
            return None;
        }
    };
    Some((format!("<{close}>"), close))
}

fn markers(list: Option<&Value>, d: &Doc<'_>, notes: &mut Notes) -> String {
    let mut out = String::new();
    let mut open: Vec<Option<&'static str>> = Vec::new();
    for m in list.and_then(Value::as_array).into_iter().flatten() {
        let Some(m) = m.as_array() else {
            continue;
        };
        for i in m.get(1).and_then(Value::as_array).into_iter().flatten() {
            match markup(d, i, notes) {
                Some((open_tag, close)) => {
                    out.push_str(&open_tag);
                    open.push(Some(close));
                }
                None => open.push(None),
            }
        }
        match m.first().and_then(Value::as_u64) {
            Some(1) => {
                let atom = m
                    .get(3)
                    .and_then(Value::as_u64)
                    .and_then(|i| d.atoms.get(usize::try_from(i).ok()?))
                    .and_then(Value::as_array);
                let name = atom.and_then(|a| a.first()).and_then(Value::as_str);
                match name {
                    Some("soft-return") => out.push_str("<br>"),
                    _ => {
                        notes.unknown(format!("mobiledoc atom {}", name.unwrap_or("?")));
                        let t = atom.and_then(|a| a.get(1)).and_then(Value::as_str);
                        out.push_str(&escape(t.unwrap_or("")));
                    }
                }
            }
            _ => {
                let t = m.get(3).and_then(Value::as_str).unwrap_or("");
                out.push_str(&escape(t));
            }
        }
        let closed = m.get(2).and_then(Value::as_u64).unwrap_or(0);
        for _ in 0..closed {
            match open.pop() {
                Some(Some(tag)) => out.push_str(&format!("</{tag}>")),
                Some(None) => {}
                None => break,
            }
        }
    }
    while let Some(tag) = open.pop() {
        if let Some(tag) = tag {
            out.push_str(&format!("</{tag}>"));
        }
    }
    out
}
