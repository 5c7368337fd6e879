//! Plain text from our own sanitised HTML, for excerpts and (later) search.

/// Extracts the text of well-formed HTML: tags dropped, block ends become spaces,
/// entities decoded, whitespace folded. (Every imported article's body passes through
/// here on its way to the search index: no allocation per tag or per word.)
pub fn html_to_text(html: &str) -> String {
    let mut raw = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        push_decoded(&mut raw, &rest[..lt]);
        let after = &rest[lt..];
        let end = after.find('>').map_or(after.len(), |i| i + 1);
        let tag = &after[..end];
        if is_block_boundary(tag) {
            raw.push(' ');
        }
        rest = &after[end..];
    }
    push_decoded(&mut raw, rest);
    let mut out = String::with_capacity(raw.len());
    for word in raw.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Tags that end a block of text.
const BLOCKS: [&str; 19] = [
    "p",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "div",
    "tr",
    "td",
    "th",
    "figcaption",
    "pre",
    "hr",
    "dt",
    "dd",
];

fn is_block_boundary(tag: &str) -> bool {
    let name = tag.trim_start_matches(['<', '/']);
    let len = name.bytes().take_while(u8::is_ascii_alphanumeric).count();
    let name = &name[..len];
    BLOCKS.iter().any(|b| b.eq_ignore_ascii_case(name))
}

fn push_decoded(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let semi = after.find(';').filter(|&i| i <= 10);
        let decoded = semi.and_then(|i| decode_entity(&after[1..i]).map(|c| (c, i + 1)));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &after[len..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
}

fn decode_entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_text_with_spaces_between_blocks() {
        assert_eq!(
            html_to_text("<p>One</p><p>Two &amp; <b>three</b></p>"),
            "One Two & three"
        );
        assert_eq!(html_to_text("a&#39;b &#x41; &bogus; &"), "a'b A &bogus; &");
        assert_eq!(html_to_text("<li>x</li><li>y</li>"), "x y");
        assert_eq!(
            html_to_text("  <P>a&nbsp; b</P><BR/>c\n\t d<Div class=x>e</dIV>f<b>g</b> "),
            "a b c d e fg"
        );
        assert_eq!(html_to_text("<p1>x</p1>y<brx>z"), "xyz");
        assert_eq!(html_to_text("<p>only"), "only");
        assert_eq!(html_to_text(""), "");
    }
}
