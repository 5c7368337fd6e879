//! Each text analysed once per document.
//!
//! A document writes its body into two indexed fields and its title four times
//! (`lib.rs`), and tantivy analyses each field's text on its own: the texts went through
//! the analysers again and again, and tokenising was a third of the indexing thread's
//! work. The analysers registered for the index read through a small memory of the
//! texts this thread analysed last: a text met again replays its tokens, and the plain
//! and stemmed tokens of a text come from one pass (a stem only replaces a plain token's
//! text).

use crate::stems::Stems;
use std::cell::RefCell;
use std::rc::Rc;
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};

/// Texts remembered per thread: a document's title and body.
const REMEMBERED: usize = 2;

/// One text's tokens, plain and stemmed.
struct Analysed {
    text: String,
    plain: Rc<Vec<Token>>,
    stemmed: Rc<Vec<Token>>,
}

struct Memory {
    /// The plain analyser (`lib.rs`), which the stems are made from.
    plain: TextAnalyzer,
    stems: Stems,
    /// The texts analysed last, the newest last.
    recent: Vec<Analysed>,
}

impl Memory {
    fn tokens(&mut self, text: &str, stemmed: bool) -> Rc<Vec<Token>> {
        let at = match self.recent.iter().position(|a| a.text == text) {
            Some(at) => at,
            None => {
                let mut plain = Vec::new();
                let mut stream = self.plain.token_stream(text);
                while stream.advance() {
                    plain.push(stream.token().clone());
                }
                let stemmed: Vec<Token> = plain
                    .iter()
                    .map(|t| Token {
                        // Not `..t.clone()`: that copies the plain text only to drop it.
                        text: self.stems.stem(&t.text).to_owned(),
                        offset_from: t.offset_from,
                        offset_to: t.offset_to,
                        position: t.position,
                        position_length: t.position_length,
                    })
                    .collect();
                if self.recent.len() == REMEMBERED {
                    self.recent.remove(0);
                }
                self.recent.push(Analysed {
                    text: text.to_owned(),
                    plain: Rc::new(plain),
                    stemmed: Rc::new(stemmed),
                });
                self.recent.len() - 1
            }
        };
        let a = &self.recent[at];
        Rc::clone(if stemmed { &a.stemmed } else { &a.plain })
    }
}

thread_local! {
    static MEMORY: RefCell<Memory> = RefCell::new(Memory {
        plain: crate::plain_analyzer(),
        stems: Stems::default(),
        recent: Vec::with_capacity(REMEMBERED),
    });
}

/// The plain or the stemmed analyser, through this thread's memory.
#[derive(Clone, Copy)]
pub(crate) struct Remembered {
    pub stemmed: bool,
}

impl Tokenizer for Remembered {
    type TokenStream<'a> = Replay;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Replay {
        let tokens = MEMORY.with(|m| m.borrow_mut().tokens(text, self.stemmed));
        Replay { tokens, next: 0 }
    }
}

/// Remembered tokens, one after another.
pub(crate) struct Replay {
    tokens: Rc<Vec<Token>>,
    next: usize,
}

impl TokenStream for Replay {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next.saturating_sub(1)]
    }

    fn token_mut(&mut self) -> &mut Token {
        let at = self.next.saturating_sub(1);
        &mut Rc::make_mut(&mut self.tokens)[at]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyse, plain_analyzer, stemmed_analyzer};

    fn replayed(stemmed: bool, text: &str) -> Vec<(String, usize, usize, usize)> {
        direct(&mut TextAnalyzer::from(Remembered { stemmed }), text)
    }

    fn direct(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.text.clone(), t.position, t.offset_from, t.offset_to));
        }
        out
    }

    #[test]
    fn remembered_tokens_are_the_analysers_own_in_any_order() {
        let texts = [
            "Ministers were running the running races",
            "Café owners in Zürich protest; nationalisation of généreux ponies' stables",
            "",
            "a-b_c 42 ÆØÅ straße supercalifragilisticexpialidociousandthensomemorewordsjoined",
            "Ministers were running the running races",
        ];
        let (mut plain, mut stemmed) = (plain_analyzer(), stemmed_analyzer());
        for round in 0..2 {
            for (n, text) in texts.iter().enumerate() {
                // Plain and stemmed interleaved, first one then the other.
                let order = if (n + round) % 2 == 0 {
                    [true, false]
                } else {
                    [false, true]
                };
                for s in order {
                    let want = if s {
                        direct(&mut stemmed, text)
                    } else {
                        direct(&mut plain, text)
                    };
                    assert_eq!(replayed(s, text), want, "{text:?} stemmed: {s}");
                }
            }
        }
        assert_eq!(
            analyse(&mut stemmed, texts[0]),
            ["minist", "were", "run", "the", "run", "race"]
        );
    }
}
