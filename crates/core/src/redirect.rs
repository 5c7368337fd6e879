//! Redirects: the one spelling an old address is stored and looked up under, and the
//! rules for what an editor may type.
//!
//! An address from an old site arrives in many spellings — `%D0%BF` or `%d0%bf` or the
//! decoded letters, with or without the trailing slash, with tracking parameters on the
//! query — so both the stored source and every request are reduced to one key first.

/// The statuses a redirect may answer with.
pub const STATUSES: [u16; 3] = [301, 302, 410];

/// Query parameters that name content on a WordPress site (`/?p=12`, `/?page_id=3`,
/// `/?cat=4`, `/?tag=x`, `/?attachment_id=9`, `/?author=2`): the only ones a key keeps.
pub const ID_PARAMETERS: [&str; 6] = ["p", "page_id", "cat", "tag", "attachment_id", "author"];

/// The lookup key for a request's path and query: the path percent-decoded (when that
/// gives UTF-8), with a trailing slash unless its last segment names a file, plus the
/// first content-naming query parameter. `None` for what can never be a source (no
/// leading slash, control characters).
pub fn source_key(path: &str, query: Option<&str>) -> Option<String> {
    if !path.starts_with('/') || path.starts_with("//") {
        return None;
    }
    let decoded = percent_decode(path).unwrap_or_else(|| path.to_owned());
    if decoded.chars().any(char::is_control) {
        return None;
    }
    let mut key = decoded;
    let last = key.rsplit('/').next().unwrap_or("");
    if !key.ends_with('/') && !last.contains('.') {
        key.push('/');
    }
    if let Some(q) = query
        && let Some((name, value)) = id_parameter(q)
    {
        key.push('?');
        key.push_str(&name);
        key.push('=');
        key.push_str(&value);
    }
    Some(key)
}

/// Reads what an editor typed as a source: a path (`/old/`, `/?p=12`) or a whole
/// address on the old site (only its path and query are kept).
pub fn parse_source(typed: &str) -> Result<String, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err("Enter the old address, for example /2019/05/old-story/.".to_owned());
    }
    let rest = strip_origin(typed);
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (if p.is_empty() { "/" } else { p }, Some(q)),
        None => (rest, None),
    };
    let path = path.split('#').next().unwrap_or(path);
    let key = source_key(path, query).ok_or_else(|| {
        format!("\"{typed}\" is not an address on this site: start it with a slash.")
    })?;
    if key == "/" {
        return Err("The home page cannot be redirected.".to_owned());
    }
    Ok(key)
}

/// Reads a redirect's destination: a path on this site or an http(s) address.
pub fn parse_target(typed: &str) -> Result<String, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err("Enter where the address should go.".to_owned());
    }
    if typed.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("The destination cannot contain spaces.".to_owned());
    }
    let lower = typed.to_ascii_lowercase();
    let absolute = lower.starts_with("https://") || lower.starts_with("http://");
    if absolute && typed.len() > lower.find("//").map_or(0, |i| i + 2) {
        return Ok(typed.to_owned());
    }
    if typed.starts_with('/') && !typed.starts_with("//") {
        return Ok(typed.to_owned());
    }
    Err(format!(
        "\"{typed}\" is not a destination: use a path starting with a slash or an http(s) address."
    ))
}

/// An address without its scheme and host (`https://old.example/a/` → `/a/`).
fn strip_origin(typed: &str) -> &str {
    let lower = typed.to_ascii_lowercase();
    for scheme in ["https://", "http://", "//"] {
        if lower.starts_with(scheme) {
            let after = &typed[scheme.len()..];
            return match after.find(['/', '?']) {
                Some(i) if after[i..].starts_with('?') => {
                    // "host?p=1" has the root as its path.
                    let q = &after[i..];
                    return if q.len() > 1 { q } else { "/" };
                }
                Some(i) => &after[i..],
                None => "/",
            };
        }
    }
    typed
}

/// The first content-naming parameter of a query string, decoded.
fn id_parameter(query: &str) -> Option<(String, String)> {
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if ID_PARAMETERS.contains(&name) && !value.is_empty() {
            let value =
                percent_decode(&value.replace('+', " ")).unwrap_or_else(|| value.to_owned());
            if value.chars().any(char::is_control) {
                return None;
            }
            return Some((name.to_owned(), value));
        }
    }
    None
}

/// Percent-decodes `s`; `None` when the bytes are not UTF-8. Malformed escapes stay as
/// written.
pub fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_an_address_has_one_key() {
        let k = |p: &str, q: Option<&str>| source_key(p, q).unwrap();
        assert_eq!(k("/2019/05/old-story", None), "/2019/05/old-story/");
        assert_eq!(k("/2019/05/old-story/", None), "/2019/05/old-story/");
        assert_eq!(k("/%D0%BF%D1%80/", None), "/пр/");
        assert_eq!(k("/%d0%bf%d1%80", None), "/пр/");
        assert_eq!(k("/пр/", None), "/пр/");
        assert_eq!(
            k("/wp-content/uploads/2019/05/a.jpg", None),
            "/wp-content/uploads/2019/05/a.jpg"
        );
        assert_eq!(k("/", Some("p=12")), "/?p=12");
        assert_eq!(k("/", Some("utm_source=x&p=12&x=1")), "/?p=12");
        assert_eq!(k("/", Some("page_id=3")), "/?page_id=3");
        assert_eq!(k("/old/", Some("utm_source=mail")), "/old/");
        // Bytes that are not UTF-8 stay escaped rather than failing.
        assert_eq!(k("/%FF/", None), "/%FF/");
        assert_eq!(k("/100%/", None), "/100%/");
        assert!(source_key("relative", None).is_none());
        assert!(source_key("//evil.example/", None).is_none());
        assert!(source_key("/a%0Ab/", None).is_none());
    }

    #[test]
    fn what_an_editor_types_is_read_or_refused_with_a_reason() {
        assert_eq!(parse_source(" /old-story ").unwrap(), "/old-story/");
        assert_eq!(
            parse_source("https://old.example.com/2019/05/x/?utm=1").unwrap(),
            "/2019/05/x/"
        );
        assert_eq!(
            parse_source("https://old.example.com/?p=5").unwrap(),
            "/?p=5"
        );
        assert_eq!(parse_source("/?p=5").unwrap(), "/?p=5");
        assert_eq!(parse_source("/x/#top").unwrap(), "/x/");
        assert!(parse_source("").unwrap_err().contains("old address"));
        assert!(parse_source("old-story").unwrap_err().contains("slash"));
        assert!(parse_source("/").unwrap_err().contains("home page"));
        assert!(
            parse_source("https://old.example.com")
                .unwrap_err()
                .contains("home")
        );

        assert_eq!(parse_target("/new/").unwrap(), "/new/");
        assert_eq!(
            parse_target("https://elsewhere.example/x").unwrap(),
            "https://elsewhere.example/x"
        );
        assert!(parse_target("").is_err());
        assert!(parse_target("javascript:alert(1)").is_err());
        assert!(parse_target("//evil.example/").is_err());
        assert!(parse_target("https://").is_err());
        assert!(parse_target("/a b").is_err());
    }
}
