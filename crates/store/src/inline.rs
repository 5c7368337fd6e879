//! SQLite reads on the caller's own thread.
//!
//! sqlx runs every SQLite connection on a thread of its own and passes each statement
//! and each row across channels between threads. For the one indexed lookup an article
//! page makes, that hand-off cost several times the query: measured on the BBC corpus,
//! 14 µs in SQLite but about 120 µs of CPU across the two threads, half of what the whole
//! uncached page cost (`bench/results/`). The hottest bounded reads — one article by its
//! slug or id — run here instead, on read-only connections the calling thread uses
//! directly and then gives back.
//!
//! Only reads an index keeps short belong here: meanwhile the calling thread (an async
//! worker) serves nothing else. Lists, counts and anything that may scan stay on the
//! pool. PostgreSQL has no such cost (its work is on the server) and keeps its pool.

use crate::StoreError;
use crate::sql::{Arg, Sql};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use rusqlite::types::{FromSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, Row, ToSql};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// Reads on a blocking thread through the inline readers, for reads that yield many
/// rows (each would otherwise cross from sqlx's connection thread on its own): `None`
/// where there are no inline readers (PostgreSQL, an in-memory database), and the
/// caller reads through its pool.
impl crate::Store {
    pub(crate) async fn inline_rows<T: Send + 'static>(
        &self,
        queries: Vec<Sql>,
        keep_prepared: bool,
        decode: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Option<Result<Vec<T>, StoreError>> {
        let inline = self.inline.clone()?;
        let read = tokio::task::spawn_blocking(move || {
            let mut rows = Vec::new();
            for q in &queries {
                rows.extend(inline.run(q, keep_prepared, decode)?);
            }
            Ok::<_, StoreError>(rows)
        });
        Some(
            read.await
                .map_err(|e| StoreError::Invalid(format!("a read stopped: {e}")))
                .and_then(|rows| rows),
        )
    }
}

/// How many idle connections are kept; more than the threads that read at once is waste.
const IDLE_KEPT: usize = 8;

/// How much memory each SQLite connection may hold, the pool's and these alike.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SqliteMemory {
    /// Bytes of the file read through a shared memory map.
    pub mmap_bytes: i64,
    /// A reading connection's private page cache, in KiB.
    pub cache_kib: i64,
    /// The writing connection's, in KiB.
    pub writer_cache_kib: i64,
}

impl SqliteMemory {
    /// A server reads the file through a shared memory map (reads become memory
    /// accesses) beside 16 MiB caches. A bulk job (an import) maps nothing, since every
    /// mapped page it touches counts in its memory and it touches the whole file; its
    /// writer keeps 4 MiB (measured on a 142,000-post WordPress import, a larger cache
    /// made it no faster and only bigger) and its readers 1 MiB: they read back what was
    /// just written, which the system's file cache holds anyway, and with 4 MiB each
    /// their caches filled only on large imports, ~10 MiB more at the peak than a small
    /// one (in the same time).
    pub(crate) fn for_options(opts: &crate::StoreOptions) -> Self {
        if opts.memory_map {
            Self {
                mmap_bytes: 1 << 30,
                cache_kib: 16 * 1024,
                writer_cache_kib: 16 * 1024,
            }
        } else {
            Self {
                mmap_bytes: 0,
                cache_kib: 1024,
                writer_cache_kib: 4 * 1024,
            }
        }
    }
}

/// Read-only connections to one SQLite file, opened on first use and reused.
pub(crate) struct InlineReads {
    path: PathBuf,
    memory: SqliteMemory,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for InlineReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineReads")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl InlineReads {
    pub(crate) fn new(path: PathBuf, memory: SqliteMemory) -> Self {
        Self {
            path,
            memory,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `q` and decodes every row it yields; the statement stays prepared for the
    /// next call.
    pub(crate) fn rows<T>(
        &self,
        q: &Sql,
        decode: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        self.run(q, true, decode)
    }

    fn run<T>(
        &self,
        q: &Sql,
        keep_prepared: bool,
        decode: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let conn = match self.take() {
            Some(c) => c,
            None => self.open()?,
        };
        let out = if keep_prepared {
            conn.prepare_cached(&q.text)
                .and_then(|mut st| Self::query(&mut st, q, decode))
        } else {
            conn.prepare(&q.text)
                .and_then(|mut st| Self::query(&mut st, q, decode))
        };
        self.give_back(conn);
        Ok(out?)
    }

    fn query<T>(
        statement: &mut rusqlite::Statement<'_>,
        q: &Sql,
        decode: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Vec<T>> {
        // The statement is reset when its rows are dropped, which ends the read
        // transaction: an idle connection never holds back a checkpoint.
        let rows = statement.query_map(rusqlite::params_from_iter(q.args.iter()), decode)?;
        rows.collect()
    }

    fn take(&self) -> Option<Connection> {
        match self.idle.lock() {
            Ok(mut idle) => idle.pop(),
            Err(poisoned) => poisoned.into_inner().pop(),
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = match self.idle.lock() {
            Ok(idle) => idle,
            Err(poisoned) => poisoned.into_inner(),
        };
        if idle.len() < IDLE_KEPT {
            idle.push(conn);
        }
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // A reader in WAL mode waits only in rare moments (a checkpoint resetting the
        // log); keep that wait short, since this thread serves nothing meanwhile.
        conn.busy_timeout(Duration::from_millis(500))?;
        conn.pragma_update(None, "mmap_size", self.memory.mmap_bytes)?;
        conn.pragma_update(None, "cache_size", -self.memory.cache_kib)?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(conn)
    }
}

/// Binds an argument as sqlx does for SQLite, so a value compares the same with what
/// sqlx wrote (times as RFC 3339 text, dates as `YYYY-MM-DD`, booleans as 0 and 1).
impl ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        fn time(t: &DateTime<Utc>) -> ToSqlOutput<'static> {
            ToSqlOutput::from(t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
        }
        fn date(d: &NaiveDate) -> ToSqlOutput<'static> {
            ToSqlOutput::from(d.format("%F").to_string())
        }
        let null = ToSqlOutput::Borrowed(ValueRef::Null);
        Ok(match self {
            Arg::Int(v) => ToSqlOutput::from(*v),
            Arg::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Arg::Time(t) => time(t),
            Arg::Date(d) => date(d),
            Arg::Bool(b) => ToSqlOutput::from(i64::from(*b)),
            Arg::OptInt(v) => v.map_or(null, ToSqlOutput::from),
            Arg::OptText(v) => v.as_deref().map_or(null, |s| {
                ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))
            }),
            Arg::OptTime(v) => v.as_ref().map_or(null, time),
            Arg::OptDate(v) => v.as_ref().map_or(null, date),
        })
    }
}

/// Reads a row's columns one after another, in the order the query names them.
pub(crate) struct Columns<'r, 's> {
    row: &'r Row<'s>,
    next: usize,
}

impl<'r, 's> Columns<'r, 's> {
    pub(crate) fn new(row: &'r Row<'s>) -> Self {
        Self { row, next: 0 }
    }

    fn value(&mut self) -> rusqlite::Result<(usize, ValueRef<'r>)> {
        let i = self.next;
        self.next += 1;
        Ok((i, self.row.get_ref(i)?))
    }

    pub(crate) fn get<T: FromSql>(&mut self) -> rusqlite::Result<T> {
        let i = self.next;
        self.next += 1;
        self.row.get(i)
    }

    pub(crate) fn time(&mut self) -> rusqlite::Result<DateTime<Utc>> {
        let (i, v) = self.value()?;
        decode_time(v).ok_or_else(|| invalid(i, "time"))
    }

    pub(crate) fn opt_time(&mut self) -> rusqlite::Result<Option<DateTime<Utc>>> {
        let (i, v) = self.value()?;
        match v {
            ValueRef::Null => Ok(None),
            v => decode_time(v).map(Some).ok_or_else(|| invalid(i, "time")),
        }
    }

    pub(crate) fn opt_date(&mut self) -> rusqlite::Result<Option<NaiveDate>> {
        let (i, v) = self.value()?;
        match v {
            ValueRef::Null => Ok(None),
            ValueRef::Text(t) => std::str::from_utf8(t)
                .ok()
                .and_then(|t| NaiveDate::parse_from_str(t, "%F").ok())
                .map(Some)
                .ok_or_else(|| invalid(i, "date")),
            _ => Err(invalid(i, "date")),
        }
    }
}

fn invalid(column: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("not a {what}").into(),
    )
}

/// A time as sqlx reads one from SQLite: RFC 3339 text (what it writes), SQLite's own
/// date-time texts (read as UTC when they carry no offset), or Unix seconds.
fn decode_time(v: ValueRef<'_>) -> Option<DateTime<Utc>> {
    match v {
        ValueRef::Text(t) => decode_time_text(std::str::from_utf8(t).ok()?),
        ValueRef::Integer(secs) => Utc.timestamp_opt(secs, 0).single(),
        _ => None,
    }
}

fn decode_time_text(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    const FORMATS: [&str; 4] = ["%F %T%.f%:z", "%F %T%.f", "%FT%T%.f", "%F %R"];
    FORMATS.iter().find_map(|f| {
        DateTime::<FixedOffset>::parse_from_str(text, f)
            .map(|t| t.with_timezone(&Utc))
            .or_else(|_| NaiveDateTime::parse_from_str(text, f).map(|t| t.and_utc()))
            .ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_sqlx_writes_and_reads_them() {
        let t = Utc.with_ymd_and_hms(2026, 11, 29, 15, 12, 10).unwrap()
            + chrono::Duration::milliseconds(753);
        let written = t.to_rfc3339_opts(SecondsFormat::AutoSi, false);
        assert_eq!(written, "2026-11-29T15:12:10.753+00:00");
        assert_eq!(decode_time_text(&written), Some(t));
        let whole = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(decode_time_text("2026-01-02 03:04:05"), Some(whole));
        assert_eq!(decode_time_text("2026-01-02T03:04:05"), Some(whole));
        assert_eq!(decode_time_text("2026-01-02 05:04:05+02:00"), Some(whole));
        assert_eq!(
            decode_time(ValueRef::Integer(whole.timestamp())),
            Some(whole)
        );
        assert_eq!(decode_time_text("yesterday"), None);
    }
}
