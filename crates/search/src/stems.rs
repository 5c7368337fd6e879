//! English stems, remembered. A news archive uses the same few thousand words over and
//! over, and the Snowball stemmer was a tenth of an import's time (`perf`, a WordPress
//! import): each analyser keeps the stems it has made, up to a bound, in a map with a
//! cheap hash (SipHash was a quarter of the cache's cost; with at most 10,000 entries,
//! even words made to collide cost little).

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// Words remembered by one analyser before it starts over (about a megabyte).
const KEPT: usize = 10_000;

/// English stems made once: a bounded map from word to stem.
pub(crate) struct Stems {
    known: FxHashMap<String, String>,
    stemmer: frostem::Stemmer,
}

impl Default for Stems {
    fn default() -> Self {
        Self {
            known: FxHashMap::default(),
            stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
        }
    }
}

impl Clone for Stems {
    /// A fresh memory: what one analyser remembered is no use to a copy.
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl Stems {
    pub(crate) fn stem(&mut self, word: &str) -> &str {
        if !self.known.contains_key(word) {
            if self.known.len() >= KEPT {
                self.known.clear();
            }
            let stem = self.stemmer.stem(word).into_owned();
            self.known.insert(word.to_owned(), stem);
        }
        // Present: made above if it was not.
        self.known.get(word).map_or("", String::as_str)
    }
}

/// A token filter replacing each token with its English stem, as tantivy's `Stemmer` does.
#[derive(Clone, Copy, Default)]
pub(crate) struct CachedStemmer;

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter {
            inner,
            stems: Stems::default(),
        }
    }
}

#[derive(Clone)]
pub(crate) struct CachedStemmerFilter<T> {
    inner: T,
    stems: Stems,
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemmerStream {
            tail: self.inner.token_stream(text),
            stems: &mut self.stems,
        }
    }
}

pub(crate) struct CachedStemmerStream<'a, T> {
    tail: T,
    stems: &'a mut Stems,
}

impl<T: TokenStream> TokenStream for CachedStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        let stem = self.stems.stem(&token.text);
        if stem != token.text {
            let stem = stem.to_owned();
            token.text = stem;
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, Stemmer, TextAnalyzer};

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn stems_as_tantivys_stemmer_does_and_again_from_memory() {
        let text = "Ministers were running the running races; nationalisation, nationalised \
                    running ponies and the pony's generously generous generosity";
        let mut plain = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(Stemmer::default())
            .build();
        let mut cached = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(CachedStemmer)
            .build();
        let want = tokens(&mut plain, text);
        assert_eq!(tokens(&mut cached, text), want);
        // The second time every stem comes from memory.
        assert_eq!(tokens(&mut cached, text), want);
        assert!(want.contains(&"run".to_owned()) && want.contains(&"poni".to_owned()));
    }
}
