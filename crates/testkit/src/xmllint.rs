//! `xmllint`, which knows nothing of our code, as the independent judge of what an XML
//! file holds: counts and values by XPath, and well-formedness.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const XMLLINT: &str = "/usr/bin/xmllint";

/// A WordPress fixture from `../shared/fixtures/wordpress/`, or `None` after a loud skip.
pub fn wordpress_fixture(name: &str) -> Option<PathBuf> {
    let path = crate::shared_dir().map(|d| d.join("fixtures/wordpress").join(name));
    match path {
        Some(p) if p.is_file() => Some(p),
        _ => {
            crate::skip(&format!("../shared/fixtures/wordpress/{name} is not here"));
            None
        }
    }
}

/// Whether xmllint is installed (a loud skip, or a failure under CI, when not).
pub fn xmllint_here() -> bool {
    if Path::new(XMLLINT).is_file() {
        true
    } else {
        crate::skip("xmllint is not installed at /usr/bin/xmllint");
        false
    }
}

/// xmllint's complaints about a file, or `None` when it is well-formed.
pub fn not_well_formed(file: &Path) -> Option<String> {
    let out = Command::new(XMLLINT)
        .arg("--noout")
        .arg(file)
        .output()
        .unwrap();
    (!out.status.success()).then(|| String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Answers many XPath expressions with `xmllint --shell`. Each answer is the
/// expression's string value, whole: the shell shortens what it prints to 40
/// characters, so lengths are asked first and long values are read in pieces. For
/// ASCII values (the shell prints other characters as `#XX` escapes).
pub fn xpath_strings(file: &Path, exprs: &[String]) -> Vec<String> {
    const PIECE: usize = 30;
    let lengths: Vec<usize> = shell_answers(
        file,
        &exprs
            .iter()
            .map(|e| format!("string(string-length(string({e})))"))
            .collect::<Vec<_>>(),
    )
    .iter()
    .map(|n| n.parse::<f64>().unwrap() as usize)
    .collect();
    let mut pieces = Vec::new();
    for (e, len) in exprs.iter().zip(&lengths) {
        for start in (0..*len).step_by(PIECE) {
            pieces.push(format!("substring(string({e}), {}, {PIECE})", start + 1));
        }
    }
    let mut answers = shell_answers(file, &pieces).into_iter();
    lengths
        .iter()
        .map(|len| {
            (0..len.div_ceil(PIECE))
                .map(|_| answers.next().unwrap())
                .collect()
        })
        .collect()
}

/// One `xmllint --shell` run: each expression's string value, as the shell prints it
/// (callers keep values under 35 characters).
fn shell_answers(file: &Path, exprs: &[String]) -> Vec<String> {
    const OPEN: &str = "<@<";
    const CLOSE: &str = ">@>";
    if exprs.is_empty() {
        return Vec::new();
    }
    let mut script = String::new();
    for e in exprs {
        script.push_str(&format!("xpath concat('{OPEN}', {e}, '{CLOSE}')\n"));
    }
    let mut child = Command::new(XMLLINT)
        .arg("--shell")
        .arg(file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(script.as_bytes()).unwrap());
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let mut answers = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        let end = after.find(CLOSE).unwrap();
        answers.push(after[..end].to_string());
        rest = &after[end + CLOSE.len()..];
    }
    assert_eq!(answers.len(), exprs.len(), "xmllint answered {text}");
    answers
}

pub fn xpath_count(file: &Path, exprs: &[String]) -> Vec<u64> {
    xpath_strings(file, exprs)
        .iter()
        .map(|s| s.parse::<f64>().unwrap() as u64)
        .collect()
}

/// The text values of all nodes an expression selects, from `xmllint --xpath`
/// (one per line; CDATA wrappers removed). For values without newlines only.
pub fn xpath_list(file: &Path, expr: &str) -> Vec<String> {
    let output = Command::new(XMLLINT)
        .arg("--xpath")
        .arg(expr)
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let l = l.trim();
            l.strip_prefix("<![CDATA[")
                .and_then(|l| l.strip_suffix("]]>"))
                .unwrap_or(l)
                .trim()
                .to_string()
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// The string values of the `<tag>` elements an expression selects, in document order,
/// from `xmllint --xpath`'s serialization of them (CDATA kept verbatim, references
/// decoded). `xmllint --shell` shortens long strings, so long values come this way.
pub fn xpath_elements(file: &Path, expr: &str, tag: &str) -> Vec<String> {
    let output = Command::new(XMLLINT)
        .arg("--xpath")
        .arg(expr)
        .arg(file)
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let (open, close, empty) = (format!("<{tag}>"), format!("</{tag}>"), format!("<{tag}/>"));
    let mut values = Vec::new();
    let mut rest = text.as_str();
    loop {
        let (o, e) = (rest.find(&open), rest.find(&empty));
        match (o, e) {
            (Some(o), e) if e.is_none_or(|e| o < e) => {
                let after = &rest[o + open.len()..];
                let end = after.find(&close).unwrap();
                values.push(unescape_xml(&after[..end]));
                rest = &after[end + close.len()..];
            }
            (_, Some(e)) => {
                values.push(String::new());
                rest = &rest[e + empty.len()..];
            }
            _ => break,
        }
    }
    values
}

pub fn unescape_xml(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>").unwrap();
            out.push_str(&after[..end]);
            rest = &after[end + 3..];
        } else if rest.starts_with('&') {
            let end = rest.find(';').unwrap();
            let name = &rest[1..end];
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ if name.starts_with("#x") => {
                    char::from_u32(u32::from_str_radix(&name[2..], 16).unwrap()).unwrap()
                }
                _ => char::from_u32(name[1..].parse().unwrap()).unwrap(),
            };
            out.push(c);
            rest = &rest[end + 1..];
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}
