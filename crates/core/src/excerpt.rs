//! Excerpts: the editor's own, or about 55 words of the body cut on a word boundary.
//! Works on plain text (the renderer extracts it from HTML), so an excerpt can never
//! end inside a tag or an entity.

/// How many words a derived excerpt keeps.
pub const DEFAULT_WORDS: usize = 55;

/// Derives an excerpt from the body's plain text: the first `words` words, with an
/// ellipsis when anything was cut.
pub fn derive(text: &str, words: usize) -> String {
    let mut out = String::new();
    let mut iter = text.split_whitespace();
    for (i, w) in iter.by_ref().take(words).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(w);
    }
    if iter.next().is_some() {
        let trimmed = out
            .trim_end_matches([',', ';', ':', '-', '\u{2013}', '\u{2014}'])
            .len();
        out.truncate(trimmed);
        if out.ends_with('.') && !out.ends_with("..") {
            // "since last spring." becomes "since last spring…", not "spring.…".
            out.pop();
            out.push('\u{2026}');
        } else if out.ends_with(['?', '!', '"', '\u{201d}', '\u{2019}', ')']) {
            out.push_str(" \u{2026}");
        } else {
            out.push('\u{2026}');
        }
    }
    out
}

/// The excerpt to show: the editor's when it has any text, else one derived from the body.
pub fn choose(editor: Option<&str>, body_text: &str) -> String {
    match editor.map(str::trim) {
        Some(e) if !e.is_empty() => e.to_owned(),
        _ => derive(body_text, DEFAULT_WORDS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_whole() {
        assert_eq!(derive("Just a few words.", 55), "Just a few words.");
    }

    #[test]
    fn long_text_is_cut_on_a_word_with_an_ellipsis() {
        let text = (1..=100)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let ex = derive(&text, 55);
        assert!(ex.ends_with("w55\u{2026}"), "{ex}");
        assert_eq!(ex.split_whitespace().count(), 55);
    }

    #[test]
    fn trailing_punctuation_does_not_meet_the_ellipsis() {
        assert_eq!(derive("one, two, three", 2), "one, two\u{2026}");
    }

    #[test]
    fn a_cut_after_a_sentence_has_one_mark_of_punctuation() {
        assert_eq!(derive("It ended. Then more", 2), "It ended\u{2026}");
        assert_eq!(
            derive("He said \u{201c}later.\u{201d} Then", 3),
            "He said \u{201c}later.\u{201d} \u{2026}"
        );
        assert_eq!(derive("Why? Because", 1), "Why? \u{2026}");
    }

    #[test]
    fn editor_excerpt_wins_unless_blank() {
        assert_eq!(choose(Some(" Mine "), "body text"), "Mine");
        assert_eq!(choose(Some("  "), "body text"), "body text");
        assert_eq!(choose(None, "body text"), "body text");
    }
}
