//! The query language readers type, parsed without ever failing: words (all preferred),
//! `"exact phrases"`, `-exclusions`, and the filters `section:`, `tag:`, `author:`,
//! `after:YYYY-MM-DD`, `before:YYYY-MM-DD`. A prefix that is not one of ours stays words
//! ("Obituary: Dame Alicia Markova" searches for those four words), and anything that
//! cannot be used becomes a note for the reader rather than an error.

use chrono::NaiveDate;
use std::fmt;

/// The longest query we read, in characters: more is cut, with a note.
pub const MAX_CHARS: usize = 1_000;
/// The most words and phrases we search for: more are dropped, with a note.
pub const MAX_TERMS: usize = 64;

/// A parsed query. Words and phrases keep the reader's spelling; the index's analyser
/// (lower case, accents folded, English stems) applies when the query runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub words: Vec<String>,
    pub phrases: Vec<String>,
    /// Words or phrases no result may contain.
    pub excluded: Vec<String>,
    /// Section, tag and author slugs (any of each kind; all kinds together).
    pub sections: Vec<String>,
    pub tags: Vec<String>,
    pub authors: Vec<String>,
    /// Published on or after this site-local date.
    pub after: Option<NaiveDate>,
    /// Published before this site-local date.
    pub before: Option<NaiveDate>,
    /// What was ignored or cut, in words for the reader.
    pub notes: Vec<String>,
}

impl Query {
    /// Whether there is anything to search for or filter by.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phrases.is_empty() && !self.has_filters()
    }

    /// Whether it names a section, tag, author or date.
    pub fn has_filters(&self) -> bool {
        !self.sections.is_empty()
            || !self.tags.is_empty()
            || !self.authors.is_empty()
            || self.after.is_some()
            || self.before.is_some()
    }

    /// Whether it has words or phrases (and so a relevance order).
    pub fn has_text(&self) -> bool {
        !self.words.is_empty() || !self.phrases.is_empty()
    }

    /// Parses what a reader typed.
    pub fn parse(input: &str) -> Query {
        let mut q = Query::default();
        let mut text: String = input.chars().filter(|c| !c.is_control()).collect();
        if text.chars().count() > MAX_CHARS {
            text = text.chars().take(MAX_CHARS).collect();
            q.notes.push(format!(
                "Your search was long, so only its first {MAX_CHARS} characters were used."
            ));
        }
        let mut terms = 0usize;
        let mut dropped = false;
        for token in tokens(&text) {
            match token {
                Token::Filter(key, value) => q.filter(&key, &value),
                Token::Text {
                    text,
                    phrase,
                    negated,
                } => {
                    if terms >= MAX_TERMS {
                        dropped = true;
                        continue;
                    }
                    terms += 1;
                    if negated {
                        q.excluded.push(text);
                    } else if phrase {
                        q.phrases.push(text);
                    } else {
                        q.words.push(text);
                    }
                }
            }
        }
        if dropped {
            q.notes.push(format!(
                "Only the first {MAX_TERMS} words of your search were used."
            ));
        }
        q
    }

    fn filter(&mut self, key: &str, value: &str) {
        match key {
            "section" => push_slug(&mut self.sections, value),
            "tag" => push_slug(&mut self.tags, value),
            "author" => push_slug(&mut self.authors, value),
            "after" | "before" => match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
                Ok(d) if key == "after" => self.after = Some(d),
                Ok(d) => self.before = Some(d),
                Err(_) => self.notes.push(format!(
                    "“{key}:{value}” was ignored: give a date like {key}:2026-11-28."
                )),
            },
            _ => {}
        }
    }

    /// The same query with some words spelled differently (for "Did you mean …?").
    pub fn with_words(&self, words: Vec<String>) -> Query {
        Query {
            words,
            notes: Vec::new(),
            ..self.clone()
        }
    }
}

/// Written back the way a reader would type it.
impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        parts.extend(self.words.iter().cloned());
        parts.extend(self.phrases.iter().map(|p| format!("\"{p}\"")));
        parts.extend(self.excluded.iter().map(|e| {
            if e.contains(char::is_whitespace) {
                format!("-\"{e}\"")
            } else {
                format!("-{e}")
            }
        }));
        parts.extend(self.sections.iter().map(|s| format!("section:{s}")));
        parts.extend(self.tags.iter().map(|s| format!("tag:{s}")));
        parts.extend(self.authors.iter().map(|s| format!("author:{s}")));
        if let Some(d) = self.after {
            parts.push(format!("after:{d}"));
        }
        if let Some(d) = self.before {
            parts.push(format!("before:{d}"));
        }
        f.write_str(&parts.join(" "))
    }
}

/// A section, tag or author as typed ("World News", "world-news") becomes the slug the
/// site uses: lower case, ASCII, words joined by hyphens.
fn push_slug(into: &mut Vec<String>, value: &str) {
    let slug = slugify(value);
    if !slug.is_empty() && !into.contains(&slug) {
        into.push(slug);
    }
}

/// As the site makes its slugs (ASCII, lower case, hyphens), so that "Café Society"
/// finds the section `cafe-society`.
pub fn slugify(value: &str) -> String {
    masthead_core::slug::from_title(value)
}

enum Token {
    Filter(String, String),
    Text {
        text: String,
        phrase: bool,
        negated: bool,
    },
}

const FILTERS: [&str; 5] = ["section", "tag", "author", "after", "before"];

/// Splits a query into filters, phrases and words. Quotes that never close run to the
/// end; a lone `-` or an empty phrase is nothing.
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let negated = chars[i] == '-' && i + 1 < chars.len() && !chars[i + 1].is_whitespace();
        if negated {
            i += 1;
        }
        if is_quote(chars[i]) {
            let (inner, next) = quoted(&chars, i);
            i = next;
            let words = inner.split_whitespace().collect::<Vec<_>>().join(" ");
            if !words.is_empty() {
                out.push(Token::Text {
                    phrase: words.contains(' '),
                    text: words,
                    negated,
                });
            }
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && !is_quote(chars[i]) {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        if !negated && let Some((key, value)) = word.split_once(':') {
            let key = key.to_lowercase();
            if FILTERS.contains(&key.as_str()) {
                let value = if value.is_empty() && i < chars.len() && is_quote(chars[i]) {
                    let (inner, next) = quoted(&chars, i);
                    i = next;
                    inner
                } else {
                    value.to_owned()
                };
                if !value.trim().is_empty() {
                    out.push(Token::Filter(key, value.trim().to_owned()));
                }
                continue;
            }
        }
        if word.chars().any(char::is_alphanumeric) {
            out.push(Token::Text {
                text: word,
                phrase: false,
                negated,
            });
        }
    }
    out
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '„')
}

/// The text between the quote at `open` and the next quote (or the end), and where to
/// go on from.
fn quoted(chars: &[char], open: usize) -> (String, usize) {
    let mut j = open + 1;
    while j < chars.len() && !is_quote(chars[j]) {
        j += 1;
    }
    let inner = chars[open + 1..j].iter().collect();
    (inner, (j + 1).min(chars.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_exclusions_and_filters() {
        let q = Query::parse(
            r#"budget "spending review" -tax section:Business tag:"Interest Rates" author:jane-doe after:2026-01-01 before:2026-02-01"#,
        );
        assert_eq!(q.words, vec!["budget"]);
        assert_eq!(q.phrases, vec!["spending review"]);
        assert_eq!(q.excluded, vec!["tax"]);
        assert_eq!(q.sections, vec!["business"]);
        assert_eq!(q.tags, vec!["interest-rates"]);
        assert_eq!(q.authors, vec!["jane-doe"]);
        assert_eq!(q.after, NaiveDate::from_ymd_opt(2026, 1, 1));
        assert_eq!(q.before, NaiveDate::from_ymd_opt(2026, 2, 1));
        assert!(q.notes.is_empty());
    }

    #[test]
    fn a_prefix_that_is_not_ours_is_words() {
        let q = Query::parse("Obituary: Dame Alicia Markova");
        assert_eq!(q.words, vec!["Obituary:", "Dame", "Alicia", "Markova"]);
        assert!(!q.has_filters());
        let q = Query::parse("http://example.com/x");
        assert_eq!(q.words, vec!["http://example.com/x"]);
    }

    #[test]
    fn bad_dates_become_notes() {
        let q = Query::parse("after:yesterday floods");
        assert_eq!(q.words, vec!["floods"]);
        assert_eq!(q.after, None);
        assert_eq!(q.notes.len(), 1);
        assert!(q.notes[0].contains("after:2026-11-28"), "{:?}", q.notes);
    }

    #[test]
    fn garbage_is_empty_not_an_error() {
        for s in [
            "",
            "   ",
            "\"\"",
            "- - -",
            "!!! ???",
            "\u{0}\u{7}",
            "section:",
            "\"",
        ] {
            let q = Query::parse(s);
            assert!(q.is_empty(), "{s:?} → {q:?}");
        }
    }

    #[test]
    fn unclosed_quotes_and_curly_quotes() {
        let q = Query::parse("“rail strike” \"late trains");
        assert_eq!(q.phrases, vec!["rail strike", "late trains"]);
        let q = Query::parse("-\"north sea\" oil");
        assert_eq!(q.excluded, vec!["north sea"]);
        assert_eq!(q.words, vec!["oil"]);
        // A one-word "phrase" is a word.
        let q = Query::parse("\"floods\"");
        assert_eq!(q.words, vec!["floods"]);
    }

    #[test]
    fn overlong_queries_are_cut_with_a_note() {
        let long = "word ".repeat(500);
        let q = Query::parse(&long);
        assert_eq!(q.words.len(), MAX_TERMS);
        assert_eq!(q.notes.len(), 2, "{:?}", q.notes);
    }

    #[test]
    fn display_round_trips() {
        let s = r#"budget "spending review" -tax -"north sea" section:business after:2026-01-01"#;
        let q = Query::parse(s);
        assert_eq!(Query::parse(&q.to_string()), q);
    }

    #[test]
    fn slugs_match_the_sites() {
        assert_eq!(slugify("World News"), "world-news");
        assert_eq!(slugify("  --Sport--  "), "sport");
    }
}
