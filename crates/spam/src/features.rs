//! Turning a comment into a sparse, hashed feature vector.
//!
//! Why hashing: the vocabulary of comment spam is open-ended (misspellings, obfuscated
//! links, phone numbers), so a fixed dictionary would go stale and would have to be
//! shipped and versioned beside the weights. Hashing every feature into `2^bits` buckets
//! keeps the model one flat array whose size does not grow with what it has seen, and
//! lets [`crate::Classifier::learn`] pick up words it never saw in training.
//!
//! The hash is our own (FNV-1a with a final avalanche step) over UTF-8 bytes, not
//! `std`'s `DefaultHasher`, whose output may change between Rust releases: a shipped
//! model must map the same text to the same buckets forever.
//!
//! Feature groups, each hashed in its own namespace so that e.g. the word `com` and the
//! TLD `com` are different features (they can share a bucket only by chance collision):
//!
//! * word unigrams and bigrams — the bulk of the evidence;
//! * character 3–5-grams of the lower-cased text with word boundaries — they survive
//!   misspellings, `s.u.b.s.c.r.i.b.e`-style obfuscation and languages without spaces;
//! * links: presence and count, host, registrable domain, TLD, host plus first path
//!   segment; e-mail addresses written in the text;
//! * number shapes: digit-run lengths, phone-number shapes, `150p`-style shapes,
//!   currency signs next to numbers — the core of SMS spam;
//! * style: shouting (upper-case ratio), runs of `!`, length buckets;
//! * the author name, e-mail domain and website field, when given.
//!
//! The word and character blocks are each scaled to unit length, so a long comment does
//! not outvote a short one merely by having more n-grams; the meta features are binary
//! with a fixed, smaller weight.

use crate::CommentText;

/// Weight of one binary meta feature (links, shapes, style, author fields) relative to
/// the unit-length word and character blocks.
const META_WEIGHT: f32 = 0.5;

/// Only this many characters of a comment are read: whatever marks it as spam is there
/// if anywhere, and it bounds the time one pasted novel can take to score.
const MAX_CHARS: usize = 20_000;

/// The first `max` characters of `s`.
fn prefix(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Namespaces: the first byte hashed for every feature of a group.
mod ns {
    pub const WORD: u8 = b'w';
    pub const BIGRAM: u8 = b'b';
    pub const CHAR: u8 = b'c';
    pub const META: u8 = b'm';
    pub const HOST: u8 = b'h';
    pub const TLD: u8 = b't';
    pub const PATH: u8 = b'p';
    pub const SHAPE: u8 = b's';
    pub const AUTHOR: u8 = b'a';
    pub const EMAIL: u8 = b'e';
    pub const SITE: u8 = b'u';
}

/// A sparse feature vector: bucket indices in increasing order, each once, with values.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Features {
    pub idx: Vec<u32>,
    pub val: Vec<f32>,
}

impl Features {
    /// The dot product with a dense weight array.
    pub fn dot(&self, w: &[f32]) -> f32 {
        self.idx
            .iter()
            .zip(&self.val)
            .map(|(&i, &v)| w.get(i as usize).copied().unwrap_or(0.0) * v)
            .sum()
    }
}

/// 64-bit FNV-1a over a namespace byte and `bytes`, finished with the SplitMix64
/// avalanche so that the low bits we keep depend on every input byte.
pub(crate) fn hash(namespace: u8, bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in std::iter::once(&namespace).chain(bytes) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Undoes what commonly reaches us HTML-escaped (`&#39;`, `&amp;`, `<br />`) and drops
/// invisible characters (byte-order marks, zero-width spaces) that say nothing about the
/// comment but would otherwise split words and n-grams.
pub(crate) fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '&'
            && let Some((decoded, len)) = entity(rest)
        {
            out.push(decoded);
            rest = &rest[len..];
            continue;
        }
        if c == '<'
            && let Some(len) = line_break_tag(rest)
        {
            out.push('\n');
            rest = &rest[len..];
            continue;
        }
        match c {
            '\u{feff}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' => {}
            '\u{a0}' => out.push(' '),
            // Full-width forms (`ｈｔｔｐ`) are left as they are: folding them to ASCII
            // measured one false positive worse on YouTube (a decorated full-width ham
            // comment), and their character n-grams are learnable all the same.
            _ => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// An HTML entity at the start of `s`: the character and the entity's length in bytes.
fn entity(s: &str) -> Option<(char, usize)> {
    let end = s.get(..12.min(s.len())).unwrap_or(s).find(';')?;
    let body = &s[1..end];
    let c = match body {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "pound" => '£',
        "euro" => '€',
        _ => {
            let num = body.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

/// The length of a `<br>`, `<br/>` or `<br />` tag at the start of `s`.
fn line_break_tag(s: &str) -> Option<usize> {
    let head = s.get(..3)?;
    if !head.eq_ignore_ascii_case("<br") {
        return None;
    }
    let close = s.get(..8.min(s.len()))?.find('>')?;
    s[3..close]
        .chars()
        .all(|c| c == '/' || c == ' ')
        .then_some(close + 1)
}

/// Collects features, then merges and scales them into a [`Features`].
struct Builder {
    mask: u64,
    words: Vec<u32>,
    chars: Vec<u32>,
    meta: Vec<u32>,
}

impl Builder {
    fn new(bits: u8) -> Self {
        Self {
            mask: (1u64 << bits) - 1,
            words: Vec::with_capacity(64),
            chars: Vec::with_capacity(512),
            meta: Vec::with_capacity(32),
        }
    }

    fn bucket(&self, namespace: u8, bytes: &[u8]) -> u32 {
        // The mask keeps at most 32 bits (bits <= 24), so this cannot truncate.
        (hash(namespace, bytes) & self.mask) as u32
    }

    fn word(&mut self, namespace: u8, bytes: &[u8]) {
        let b = self.bucket(namespace, bytes);
        self.words.push(b);
    }

    fn meta(&mut self, namespace: u8, s: &str) {
        let b = self.bucket(namespace, s.as_bytes());
        self.meta.push(b);
    }

    fn finish(self) -> Features {
        let mut entries: Vec<(u32, f32)> = Vec::new();
        for block in [self.words, self.chars] {
            let counted = count(block);
            // Sub-linear term frequency: the fifth "free" says little more than the first.
            let scaled: Vec<(u32, f32)> = counted
                .into_iter()
                .map(|(i, n)| (i, 1.0 + (n as f32).ln()))
                .collect();
            let norm = scaled.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
            if norm > 0.0 {
                entries.extend(scaled.into_iter().map(|(i, v)| (i, v / norm)));
            }
        }
        let mut meta = self.meta;
        meta.sort_unstable();
        meta.dedup();
        entries.extend(meta.into_iter().map(|i| (i, META_WEIGHT)));
        entries.sort_unstable_by_key(|&(i, _)| i);
        let mut out = Features {
            idx: Vec::with_capacity(entries.len()),
            val: Vec::with_capacity(entries.len()),
        };
        for (i, v) in entries {
            if out.idx.last() == Some(&i) {
                if let Some(last) = out.val.last_mut() {
                    *last += v;
                }
            } else {
                out.idx.push(i);
                out.val.push(v);
            }
        }
        out
    }
}

/// Sorts bucket ids and counts repeats.
fn count(mut ids: Vec<u32>) -> Vec<(u32, u32)> {
    ids.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(ids.len());
    for i in ids {
        match out.last_mut() {
            Some((last, n)) if *last == i => *n += 1,
            _ => out.push((i, 1)),
        }
    }
    out
}

/// Extracts the hashed feature vector of a comment into `2^bits` buckets.
pub(crate) fn extract(c: &CommentText<'_>, bits: u8) -> Features {
    let mut b = Builder::new(bits);
    let text = clean(prefix(c.text, MAX_CHARS));
    let lower = text.to_lowercase();

    words(&mut b, &lower);
    char_grams(&mut b, &lower);
    links(&mut b, &text);
    numbers(&mut b, &text);
    style(&mut b, &text);
    author_fields(&mut b, c);
    b.finish()
}

/// Word unigrams and bigrams over runs of letters and digits. Tokens with digits are
/// also reduced to their shape (`0871...` → `0`, `150p` → `0p`), which generalises over
/// the exact numbers that SMS spam changes from message to message.
fn words(b: &mut Builder, lower: &str) {
    let tokens: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    for t in &tokens {
        b.word(ns::WORD, t.as_bytes());
        if t.chars().any(|c| c.is_ascii_digit()) {
            let mut shape = String::new();
            for c in t.chars() {
                let s = if c.is_ascii_digit() { '0' } else { c };
                if !(s == '0' && shape.ends_with('0')) {
                    shape.push(s);
                }
            }
            b.meta(ns::SHAPE, &shape);
        }
    }
    let mut buf = Vec::with_capacity(32);
    for pair in tokens.windows(2) {
        buf.clear();
        buf.extend_from_slice(pair[0].as_bytes());
        buf.push(b' ');
        buf.extend_from_slice(pair[1].as_bytes());
        b.word(ns::BIGRAM, &buf);
    }
}

/// Character 3- to 5-grams of the lower-cased text, whitespace collapsed to one space
/// and the whole padded with spaces so that word starts and ends are marked.
fn char_grams(b: &mut Builder, lower: &str) {
    let mut s = String::with_capacity(lower.len() + 2);
    s.push(' ');
    for word in lower.split_whitespace() {
        s.push_str(word);
        s.push(' ');
    }
    if s.len() == 1 {
        return;
    }
    let bounds: Vec<usize> = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .collect();
    let chars = bounds.len() - 1;
    for start in 0..chars {
        for n in 3..=5 {
            if start + n > chars {
                break;
            }
            let gram = &s.as_bytes()[bounds[start]..bounds[start + n]];
            let id = b.bucket(ns::CHAR, gram);
            b.chars.push(id);
        }
    }
}

/// Top-level domains that a bare `word.tld` (without `http://` or `www.`) is taken for a
/// link with. Kept short on purpose: `e.g.` or `end.Then` must not become links.
const BARE_TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "ly", "co", "uk", "io", "me", "tv", "us", "tk", "ru", "de",
    "in", "xyz", "gl", "be", "to", "cc", "ws", "site", "online", "club", "top", "link",
];

/// Links and e-mail addresses written in the text. Spam lives off links, and the host is
/// what a spammer cannot vary cheaply, so the host, its registrable domain and its TLD
/// are features of their own.
fn links(b: &mut Builder, text: &str) {
    let mut count = 0usize;
    for raw in text.split_whitespace() {
        let token = raw.trim_matches(|c: char| {
            !(c.is_alphanumeric() || c == '/' || c == '_' || c == '-' || c == '@')
        });
        if token.is_empty() {
            continue;
        }
        let lower = token.to_lowercase();
        if let Some((local, domain)) = lower.split_once('@')
            && !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
        {
            b.meta(ns::META, "email-in-text");
            host_features(b, domain, ns::EMAIL);
            continue;
        }
        let Some(url) = as_url(&lower) else { continue };
        count += 1;
        let (host, path) = match url.find(['/', '?', '#']) {
            Some(i) => (&url[..i], &url[i..]),
            None => (url, ""),
        };
        let host = host.strip_prefix("www.").unwrap_or(host);
        host_features(b, host, ns::HOST);
        let first = path
            .trim_start_matches('/')
            .split(['/', '?', '#', '='])
            .next()
            .unwrap_or("");
        if !first.is_empty() {
            b.meta(ns::PATH, &format!("{host}/{first}"));
        }
    }
    if count > 0 {
        b.meta(ns::META, "link");
        b.meta(ns::META, &format!("links:{}", count.min(3)));
    }
}

/// The part of `lower` after its scheme, if it is a link: `http(s)://…`, `www.…`, or a
/// bare `name.tld[/…]` with a TLD from [`BARE_TLDS`].
fn as_url(lower: &str) -> Option<&str> {
    for scheme in ["http://", "https://"] {
        if let Some(rest) = lower.strip_prefix(scheme) {
            return (!rest.is_empty()).then_some(rest);
        }
    }
    if lower.starts_with("www.") && lower.len() > 6 {
        return Some(lower);
    }
    let host = lower.split(['/', '?', '#']).next().unwrap_or("");
    let (name, tld) = host.rsplit_once('.')?;
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    (name_ok && BARE_TLDS.contains(&tld)).then_some(lower)
}

/// Host, registrable domain (`bit.ly`, `example.co.uk`) and TLD of a link or e-mail
/// domain, in the namespace of where it was found.
fn host_features(b: &mut Builder, host: &str, namespace: u8) {
    let host = host.trim_end_matches('.');
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    let Some(tld) = labels.last() else { return };
    b.meta(namespace, &format!("host:{host}"));
    // `co.uk`, `com.br`: the registrable part then has three labels.
    let keep = if labels.len() >= 3
        && tld.len() == 2
        && matches!(
            labels[labels.len() - 2],
            "co" | "com" | "org" | "net" | "ac"
        ) {
        3
    } else {
        2
    };
    if labels.len() >= keep {
        let domain = labels[labels.len() - keep..].join(".");
        b.meta(namespace, &format!("domain:{domain}"));
    }
    b.meta(namespace, &format!("tld:{tld}"));
    b.meta(ns::TLD, &format!("{}:{tld}", namespace as char));
}

/// Digit runs (allowing single spaces or dashes inside, as phone numbers are written),
/// by length; phone-number and short-code shapes; currency signs next to numbers.
fn numbers(b: &mut Builder, text: &str) {
    let chars: Vec<char> = text.chars().collect();
    let mut runs = 0usize;
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = 0usize;
        while i < chars.len() {
            if chars[i].is_ascii_digit() {
                digits += 1;
                i += 1;
            } else if matches!(chars[i], ' ' | '-' | '.')
                && chars.get(i + 1).is_some_and(char::is_ascii_digit)
                && digits >= 3
            {
                i += 1;
            } else {
                break;
            }
        }
        runs += 1;
        b.meta(ns::SHAPE, &format!("digits:{}", digits.min(13)));
        if digits >= 10 {
            b.meta(ns::SHAPE, "phone");
        } else if digits == 5 || digits == 4 {
            b.meta(ns::SHAPE, "short-code");
        }
        if let Some(&prev) = start.checked_sub(1).and_then(|p| chars.get(p))
            && matches!(prev, '£' | '$' | '€')
        {
            b.meta(ns::SHAPE, "money");
        }
    }
    if runs > 0 {
        b.meta(ns::SHAPE, &format!("digit-runs:{}", runs.min(4)));
    }
    for (sign, name) in [('£', "pound"), ('$', "dollar"), ('€', "euro")] {
        if chars.contains(&sign) {
            b.meta(ns::SHAPE, name);
        }
    }
}

/// Shouting, exclamation runs and length. Each is bucketed: a linear model cannot use a
/// raw ratio well, but can give each bucket its own weight.
fn style(b: &mut Builder, text: &str) {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let upper = text.chars().filter(|c| c.is_uppercase()).count();
    if letters >= 6 {
        let ratio = upper as f32 / letters as f32;
        let bucket = match ratio {
            r if r < 0.1 => "caps:0",
            r if r < 0.3 => "caps:1",
            r if r < 0.6 => "caps:2",
            r if r < 0.9 => "caps:3",
            _ => "caps:4",
        };
        b.meta(ns::META, bucket);
    }
    let bangs = text.chars().filter(|&c| c == '!').count();
    b.meta(ns::META, &format!("bangs:{}", bangs.min(4)));
    let chars = text.chars().count();
    // log2 buckets: 0-1, 2-3, 4-7, ... 512+.
    let len_bucket = usize::BITS - chars.max(1).leading_zeros();
    b.meta(ns::META, &format!("len:{}", len_bucket.min(10)));
    let words = text.split_whitespace().count();
    let words_bucket = usize::BITS - words.max(1).leading_zeros();
    b.meta(ns::META, &format!("words:{}", words_bucket.min(8)));
    if text.contains('\n') {
        b.meta(ns::META, "multi-line");
    }
}

/// The fields a comment form has besides the text. An author name full of digits, a
/// throwaway e-mail domain or a filled-in website are classic signals, which the model
/// can weigh once moderators have taught it about them.
fn author_fields(b: &mut Builder, c: &CommentText<'_>) {
    let author = clean(c.author).to_lowercase();
    for t in author
        .split(|ch: char| !ch.is_alphanumeric())
        .filter(|t| !t.is_empty())
    {
        b.meta(ns::AUTHOR, t);
    }
    if author.chars().any(|ch| ch.is_ascii_digit()) {
        b.meta(ns::AUTHOR, "#digits");
    }
    if let Some((_, domain)) = c.email.trim().to_lowercase().rsplit_once('@') {
        host_features(b, domain, ns::EMAIL);
    }
    let site = c.url.trim().to_lowercase();
    if !site.is_empty() {
        b.meta(ns::SITE, "present");
        let rest = site
            .strip_prefix("https://")
            .or_else(|| site.strip_prefix("http://"))
            .unwrap_or(&site);
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.strip_prefix("www.").unwrap_or(host);
        host_features(b, host, ns::SITE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(f: &Features, namespace: u8, s: &str, bits: u8) -> bool {
        let id = (hash(namespace, s.as_bytes()) & ((1u64 << bits) - 1)) as u32;
        f.idx.binary_search(&id).is_ok()
    }

    #[test]
    fn hash_is_stable() {
        // A shipped model depends on these exact values never changing.
        // Values from an independent implementation of the same hash.
        assert_eq!(hash(b'w', b""), 10_599_976_613_717_637_089);
        assert_eq!(hash(b'w', b"free"), 0x5aa9_f2fa_9b9c_b622);
        assert_ne!(hash(b'w', b"free"), hash(b'b', b"free"));
    }

    #[test]
    fn cleaning_decodes_entities_and_breaks() {
        assert_eq!(
            clean("it&#39;s<br />ok &amp; fine\u{feff}"),
            "it's\nok & fine"
        );
        assert_eq!(clean("a &bogus; b & c"), "a &bogus; b & c");
        assert_eq!(clean("<b>x</b>"), "<b>x</b>");
    }

    #[test]
    fn features_are_sorted_unique_and_scaled() {
        let f = extract(
            &CommentText::text_only("Free free FREE prize!!! Call now"),
            18,
        );
        assert!(f.idx.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(f.idx.len(), f.val.len());
        assert!(f.val.iter().all(|v| *v > 0.0 && v.is_finite()));
        assert!(has(&f, ns::WORD, "free", 18));
        assert!(has(&f, ns::BIGRAM, "call now", 18));
        assert!(has(&f, ns::CHAR, " fre", 18));
        assert!(has(&f, ns::META, "bangs:3", 18));
    }

    #[test]
    fn links_give_host_domain_and_tld() {
        let f = extract(
            &CommentText::text_only("see https://www.Example.co.uk/deals?x=1 and bit.ly/abc"),
            20,
        );
        assert!(has(&f, ns::META, "link", 20));
        assert!(has(&f, ns::META, "links:2", 20));
        assert!(has(&f, ns::HOST, "host:example.co.uk", 20));
        assert!(has(&f, ns::HOST, "domain:example.co.uk", 20));
        assert!(has(&f, ns::HOST, "tld:uk", 20));
        assert!(has(&f, ns::PATH, "example.co.uk/deals", 20));
        assert!(has(&f, ns::HOST, "domain:bit.ly", 20));
        // Ordinary prose with dots is not a link.
        let prose = extract(&CommentText::text_only("I agree.Then again, e.g. this"), 20);
        assert!(!has(&prose, ns::META, "link", 20));
    }

    #[test]
    fn numbers_and_money() {
        let f = extract(
            &CommentText::text_only(
                "Win £1000 cash! Call 0871 234 5678 or text WIN to 87121, 150p/msg",
            ),
            20,
        );
        assert!(has(&f, ns::SHAPE, "phone", 20));
        assert!(has(&f, ns::SHAPE, "short-code", 20));
        assert!(has(&f, ns::SHAPE, "money", 20));
        assert!(has(&f, ns::SHAPE, "pound", 20));
        assert!(has(&f, ns::SHAPE, "0p", 20));
        let plain = extract(&CommentText::text_only("see you at 7"), 20);
        assert!(!has(&plain, ns::SHAPE, "phone", 20));
    }

    #[test]
    fn author_email_and_site_fields() {
        let c = CommentText {
            author: "Cheap Pills 4u",
            email: "x@mailinator.com",
            url: "http://www.pills.example/buy",
            text: "nice",
        };
        let f = extract(&c, 20);
        assert!(has(&f, ns::AUTHOR, "pills", 20));
        assert!(has(&f, ns::AUTHOR, "#digits", 20));
        assert!(has(&f, ns::EMAIL, "domain:mailinator.com", 20));
        assert!(has(&f, ns::SITE, "present", 20));
        assert!(has(&f, ns::SITE, "host:pills.example", 20));
    }

    #[test]
    fn shouting_is_bucketed() {
        let f = extract(&CommentText::text_only("SUBSCRIBE TO MY CHANNEL NOW"), 20);
        assert!(has(&f, ns::META, "caps:4", 20));
        let g = extract(&CommentText::text_only("subscribe to my channel now"), 20);
        assert!(has(&g, ns::META, "caps:0", 20));
    }

    #[test]
    fn long_text_is_cut() {
        assert_eq!(prefix("héllo", 2), "hé");
        assert_eq!(prefix("hé", 5), "hé");
        let long = "spam ".repeat(100_000);
        let start = std::time::Instant::now();
        let f = extract(&CommentText::text_only(&long), 20);
        assert!(!f.idx.is_empty());
        assert!(start.elapsed().as_secs_f64() < 1.0);
    }

    #[test]
    fn empty_text_still_has_length_features() {
        let f = extract(&CommentText::text_only(""), 18);
        assert!(!f.idx.is_empty());
    }
}
