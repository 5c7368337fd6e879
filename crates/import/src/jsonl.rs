//! JSON Lines import: `title`, `body`, optional `format`, `category`/`section`, `tags`,
//! `author`, `date`, `slug`, `id`, `dek`; any other field is ignored unless named in
//! `tag_fields`. A bad line is reported as `FILE:LINE: reason` and the import goes on.

use crate::ImportError;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use masthead_core::{ArticleStatus, BodyFormat, excerpt, slug};
use masthead_render::render_body;
use masthead_store::{ImportItem, NewArticle, Store};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::io::BufRead;

/// The section for lines that name none.
pub const DEFAULT_SECTION: &str = "News";
/// The longest line we read; a longer one is reported and skipped.
const MAX_LINE_BYTES: usize = 8 << 20;
/// Where imported articles came from, as the importers' writer records it.
const ORIGIN: &str = "jsonl";

#[derive(Debug, Clone)]
pub struct JsonlOptions {
    /// How to read dates without an offset.
    pub timezone: Tz,
    /// List fields (such as `places`) whose values become tags.
    pub tag_fields: Vec<String>,
    /// Articles per transaction: small enough that no transaction holds the database
    /// for long, large enough to be fast.
    pub batch_size: usize,
}

impl Default for JsonlOptions {
    fn default() -> Self {
        Self {
            timezone: chrono_tz::UTC,
            tag_fields: Vec::new(),
            batch_size: 50,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub lines: u64,
    pub imported: u64,
    pub updated: u64,
    pub skipped: Vec<Skipped>,
    /// The longest a batch held the database, so an operator can see that an import
    /// running beside a live site never starves its writes.
    pub longest_batch: std::time::Duration,
}

impl ImportReport {
    /// The skipped lines as `FILE:LINE: reason`.
    pub fn skipped_lines(&self, file: &str) -> Vec<String> {
        self.skipped
            .iter()
            .map(|s| format!("{file}:{}: {}", s.line, s.reason))
            .collect()
    }
}

/// Imports every line of `reader`. `on_progress` hears the bytes read so far.
pub async fn import_jsonl(
    store: &Store,
    mut reader: impl BufRead,
    file: &str,
    opts: &JsonlOptions,
    on_progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, ImportError> {
    let now = store.clock().now();
    let mut report = ImportReport::default();
    let mut batch: Vec<NewArticle> = Vec::with_capacity(opts.batch_size);
    let mut buf = Vec::new();
    let mut read_bytes = 0u64;
    loop {
        buf.clear();
        let n = std::io::Read::take(&mut reader, MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|source| ImportError::Read {
                file: file.to_owned(),
                source,
            })?;
        if n == 0 {
            break;
        }
        read_bytes += n as u64;
        report.lines += 1;
        let line_no = report.lines;
        if buf.len() > MAX_LINE_BYTES && !buf.ends_with(b"\n") {
            report.skipped.push(Skipped {
                line: line_no,
                reason: format!("the line is longer than {} MiB", MAX_LINE_BYTES >> 20),
            });
            // Skip the rest of the overlong line.
            let mut rest = Vec::new();
            reader
                .read_until(b'\n', &mut rest)
                .map_err(|source| ImportError::Read {
                    file: file.to_owned(),
                    source,
                })?;
            read_bytes += rest.len() as u64;
            continue;
        }
        let text = match std::str::from_utf8(&buf) {
            Ok(t) => t.trim(),
            Err(_) => {
                report.skipped.push(Skipped {
                    line: line_no,
                    reason: "the line is not valid UTF-8".to_owned(),
                });
                continue;
            }
        };
        if text.is_empty() {
            continue; // a blank line counts as a line but is no article
        }
        match parse_line(text, opts, now) {
            Ok(article) => batch.push(article),
            Err(reason) => report.skipped.push(Skipped {
                line: line_no,
                reason,
            }),
        }
        if batch.len() >= opts.batch_size {
            flush(store, &mut batch, &mut report).await?;
            on_progress(read_bytes);
        }
    }
    flush(store, &mut batch, &mut report).await?;
    if report.imported > 0 {
        store.analyze().await?;
    }
    on_progress(read_bytes);
    Ok(report)
}

async fn flush(
    store: &Store,
    batch: &mut Vec<NewArticle>,
    report: &mut ImportReport,
) -> Result<(), ImportError> {
    if batch.is_empty() {
        return Ok(());
    }
    let started = std::time::Instant::now();
    // The importers' writer: new articles go in a few multi-row statements per table
    // (a round trip per article and table would bound a PostgreSQL import to a few
    // hundred articles a second); ones the site has are updated as a save would.
    let items: Vec<ImportItem> = batch
        .drain(..)
        .map(|article| ImportItem {
            article,
            comments: Vec::new(),
            old_addresses: Vec::new(),
        })
        .collect();
    let done = store.import_articles(&items, ORIGIN).await?;
    report.longest_batch = report.longest_batch.max(started.elapsed());
    for item in done {
        if item.saved.created {
            report.imported += 1;
        } else {
            report.updated += 1;
        }
    }
    Ok(())
}

fn string_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

fn list_field(obj: &Map<String, Value>, key: &str) -> Result<Vec<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(s
            .split(',')
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.trim().to_owned()),
                _ => Err(format!("`{key}` must hold strings")),
            })
            .filter(|r| r.as_ref().map_or(true, |s| !s.is_empty()))
            .collect(),
        Some(_) => Err(format!("`{key}` must be a list of strings")),
    }
}

/// Reads a date: RFC 3339, a local date-time without offset (in `tz`), or a date.
pub fn parse_date(s: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d").map(|d| d.and_time(NaiveTime::MIN)))
        .map_err(|_| {
            format!(
                "`date` \"{}\" is not RFC 3339, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS",
                s.chars().take(40).collect::<String>()
            )
        })?;
    // A time that does not exist (skipped by a clock change) moves forward an hour; one
    // that happens twice takes the earlier.
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        chrono::LocalResult::Ambiguous(a, _) => Ok(a.with_timezone(&Utc)),
        chrono::LocalResult::None => tz
            .from_local_datetime(&(local + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| format!("`date` \"{s}\" does not exist in {tz}")),
    }
}

fn parse_line(text: &str, opts: &JsonlOptions, now: DateTime<Utc>) -> Result<NewArticle, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(obj) = value else {
        return Err("a line must be a JSON object".to_owned());
    };
    let title = string_field(&obj, "title")?.map(str::trim).unwrap_or("");
    if title.is_empty() {
        return Err("`title` is missing or empty".to_owned());
    }
    let body = string_field(&obj, "body")?.ok_or("`body` is missing")?;
    let format = match string_field(&obj, "format")? {
        None => BodyFormat::Text,
        Some(f) => f
            .parse::<BodyFormat>()
            .map_err(|e| format!("`format`: {e} (use text, markdown or html)"))?,
    };
    let section = string_field(&obj, "section")?
        .or(string_field(&obj, "category")?)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(DEFAULT_SECTION);
    let published = match string_field(&obj, "date")? {
        Some(d) => parse_date(d, opts.timezone)?,
        None => now,
    };
    let given_slug = match string_field(&obj, "slug")? {
        Some(s) => Some(slug::normalize_given(s).map_err(|e| format!("`slug`: {e}"))?),
        None => None,
    };
    let external_id = match obj.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => return Err("`id` must be a string or a number".to_owned()),
    }
    // Without an id, the title and date identify the article, so a re-import updates it.
    .unwrap_or_else(|| {
        let digest = Sha256::digest(format!("{title}\u{0}{}", published.to_rfc3339()));
        let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        format!("jsonl:{hex}")
    });
    let mut tags = list_field(&obj, "tags")?;
    for field in &opts.tag_fields {
        tags.extend(list_field(&obj, field)?);
    }
    let mut authors = list_field(&obj, "authors")?;
    if let Some(a) = string_field(&obj, "author")?
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        authors.insert(0, a.to_owned());
    }
    let dek = string_field(&obj, "dek")?
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let editor_excerpt = string_field(&obj, "excerpt")?
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned);

    let rendered = render_body(format, body);
    let mut a = NewArticle::published(title, section, published);
    a.status = ArticleStatus::Published;
    a.external_id = Some(external_id);
    a.slug = given_slug;
    a.body_format = format;
    a.body_source = body.to_owned();
    a.excerpt = excerpt::choose(editor_excerpt.as_deref(), &rendered.text);
    a.editor_excerpt = editor_excerpt;
    a.body_html = rendered.html;
    a.dek = dek;
    a.tags = tags;
    a.authors = authors;
    a.updated_at = Some(published);
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_accepted_shape() {
        let tz: Tz = "Europe/London".parse().unwrap();
        assert_eq!(
            parse_date("2026-07-01T12:00:00Z", tz).unwrap().to_rfc3339(),
            "2026-07-01T12:00:00+00:00"
        );
        assert_eq!(
            parse_date("2026-07-01T12:00:00", tz).unwrap().to_rfc3339(),
            "2026-07-01T11:00:00+00:00"
        );
        assert_eq!(
            parse_date("2026-01-01", tz).unwrap().to_rfc3339(),
            "2026-01-01T00:00:00+00:00"
        );
        // 01:30 on the spring-forward night does not exist in London.
        assert_eq!(
            parse_date("2026-03-29T01:30:00", tz).unwrap().to_rfc3339(),
            "2026-03-29T01:30:00+00:00"
        );
        assert!(parse_date("yesterday", tz).is_err());
    }

    #[test]
    fn lines_are_validated_with_reasons() {
        let opts = JsonlOptions::default();
        let now = Utc::now();
        let err = |s: &str| parse_line(s, &opts, now).unwrap_err();
        assert!(err("[1,2]").contains("JSON object"));
        assert!(err("{\"body\":\"x\"}").contains("title"));
        assert!(err("{\"title\":\"t\"}").contains("body"));
        assert!(err("{\"title\":\"t\",\"body\":\"b\",\"format\":\"docx\"}").contains("format"));
        assert!(err("{\"title\":\"t\",\"body\":\"b\",\"date\":\"soon\"}").contains("date"));
        assert!(err("{\"title\":\"t\",\"body\":\"b\",\"tags\":[1]}").contains("tags"));
        assert!(err("{\"title\":\"t\",\"body\":\"b\"").contains("JSON"));
        let ok = parse_line(
            r#"{"title":"T","body":"One\n\nTwo","category":"sport","tags":["a"],"places":["uk"],"author":"Ann","id":"x-1","unknown":5}"#,
            &JsonlOptions { tag_fields: vec!["places".into()], ..Default::default() },
            now,
        )
        .unwrap();
        assert_eq!(ok.section, "sport");
        assert_eq!(ok.tags, ["a", "uk"]);
        assert_eq!(ok.authors, ["Ann"]);
        assert_eq!(ok.external_id.as_deref(), Some("x-1"));
        assert_eq!(ok.body_html, "<p>One</p>\n<p>Two</p>\n");
    }
}
