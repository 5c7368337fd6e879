//! A small builder for the few queries whose shape depends on filters. Placeholders are
//! `$N`, which both PostgreSQL and SQLite (as the N-th argument) understand.

use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
    Time(DateTime<Utc>),
    Date(NaiveDate),
    Bool(bool),
    // Typed NULLs: PostgreSQL refuses an untyped one in a date or number column.
    OptInt(Option<i64>),
    OptText(Option<String>),
    OptTime(Option<DateTime<Utc>>),
    OptDate(Option<NaiveDate>),
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends `LIMIT n OFFSET m` as literals. Bound instead, recent SQLite re-plans the
    /// statement whenever the values change (it plans with a bound LIMIT's value), which
    /// cost more than the query itself; literals of our own integers are safe, and the
    /// few distinct pages in use each keep a prepared statement.
    pub fn push_limit(&mut self, limit: i64, offset: i64) -> &mut Self {
        self.push(&format!(" LIMIT {limit} OFFSET {offset}"))
    }

    /// Appends a placeholder bound to `arg`.
    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// Appends `(a, b, c)` placeholders for a list of texts.
    pub fn bind_texts(&mut self, texts: &[String]) -> &mut Self {
        self.push("(");
        for (i, t) in texts.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(Arg::Text(t.clone()));
        }
        self.push(")")
    }

    /// Appends `(a, b, c)` placeholders for a list of ids.
    pub fn bind_ids(&mut self, ids: &[i64]) -> &mut Self {
        self.push("(");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(Arg::Int(*id));
        }
        self.push(")")
    }
}

/// Binds a [`Sql`]'s arguments to a query built from its text.
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                $crate::sql::Arg::Int(v) => q.bind(*v),
                $crate::sql::Arg::Text(v) => q.bind(v.clone()),
                $crate::sql::Arg::Time(v) => q.bind(*v),
                $crate::sql::Arg::Date(v) => q.bind(*v),
                $crate::sql::Arg::Bool(v) => q.bind(*v),
                $crate::sql::Arg::OptInt(v) => q.bind(*v),
                $crate::sql::Arg::OptText(v) => q.bind(v.clone()),
                $crate::sql::Arg::OptTime(v) => q.bind(*v),
                $crate::sql::Arg::OptDate(v) => q.bind(*v),
            };
        }
        q
    }};
}
pub(crate) use bind_args;

/// How many rows one multi-row statement carries: SQLite allows 32,766 bound values,
/// PostgreSQL 65,535, but past a hundred rows a statement saves nothing more, and a
/// prepared statement of 512 rows of 28 values kept SQLite's compiled program of
/// 14,000 values (an import keeps one per size and table): at 1,000 articles a
/// transaction, 128 rows a statement made the import's peak ~25 MB smaller, no slower.
pub(crate) fn rows_per_statement(width: usize) -> usize {
    (30_000 / width.max(1)).clamp(1, 128)
}

/// How many rows each statement of a multi-row insert of `rows` rows carries: powers of
/// two, largest first, none over [`rows_per_statement`]. So a table's inserts use a
/// handful of statement texts (1, 2, 4 … 128 rows), which the connection keeps
/// prepared: parsing a new text for every batch's own row count was a tenth of SQLite's
/// writer's time on an import (and keeping those prepared grew without bound).
pub(crate) fn statement_rows(rows: usize, width: usize) -> impl Iterator<Item = usize> {
    let most = prev_power_of_two(rows_per_statement(width));
    let mut left = rows;
    std::iter::from_fn(move || {
        (left > 0).then(|| {
            let n = prev_power_of_two(left).min(most);
            left -= n;
            n
        })
    })
}

/// The largest power of two not above `n` (which is at least 1).
fn prev_power_of_two(n: usize) -> usize {
    1 << (usize::BITS - 1 - n.max(1).leading_zeros())
}

/// `{head} VALUES ($1, $2), ($3, $4) {tail}` for `rows` rows of `width` values; with
/// anonymous `?` placeholders instead when not `numbered` (SQLite: finding a numbered
/// parameter's name is a walk through the statement's list, so binding thousands of
/// them costs the square of their number).
pub(crate) fn values_sql(
    head: &str,
    tail: &str,
    width: usize,
    rows: usize,
    numbered: bool,
) -> String {
    let mut sql = String::with_capacity(head.len() + tail.len() + rows * width * 6);
    sql.push_str(head);
    sql.push_str(" VALUES ");
    let mut n = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for col in 0..width {
            if col > 0 {
                sql.push_str(", ");
            }
            n += 1;
            if numbered {
                sql.push('$');
                sql.push_str(&n.to_string());
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql.push(' ');
    sql.push_str(tail);
    sql
}

/// Which placeholders a transaction's backend binds best (see [`values_sql`]).
pub(crate) trait Placeholders {
    const NUMBERED: bool;
    /// Whether ids come from sequences (see [`reserve_ids!`]).
    const SEQUENCES: bool;
}

impl Placeholders for sqlx::Transaction<'_, sqlx::Sqlite> {
    const NUMBERED: bool = false;
    const SEQUENCES: bool = false;
}

impl Placeholders for sqlx::Transaction<'_, sqlx::Postgres> {
    const NUMBERED: bool = true;
    const SEQUENCES: bool = true;
}

pub(crate) fn numbered<T: Placeholders>(_: &T) -> bool {
    T::NUMBERED
}

pub(crate) fn has_sequences<T: Placeholders>(_: &T) -> bool {
    T::SEQUENCES
}

/// Inserts rows of `$width` values (`$args`, row after row) with as few statements as
/// the backends allow: `$head` names the table and columns. Bulk writes (an import) cost
/// a statement per thousand rows instead of one per row.
///
/// Nothing comes back: on SQLite every returned row would cross from the connection's
/// thread to the caller's on its own (an import of 14,200 articles spent 50,000 context
/// switches on its `RETURNING` rows). Ids come from [`reserve_ids!`] instead.
macro_rules! insert_rows {
    ($tx:expr, $head:expr, $width:expr, $args:expr) => {
        $crate::sql::insert_rows!($tx, $head, "", $width, $args)
    };
    ($tx:expr, $head:expr, $tail:expr, $width:expr, $args:expr) => {{
        let args: &[$crate::sql::Arg] = $args;
        let width: usize = $width.max(1);
        let mut at = 0;
        for rows in $crate::sql::statement_rows(args.len() / width, width) {
            let chunk = &args[at..at + rows * width];
            at += rows * width;
            let numbered = $crate::sql::numbered(&$tx);
            let sql = $crate::sql::values_sql($head, $tail, width, rows, numbered);
            let q = sqlx::query(sqlx::AssertSqlSafe(sql));
            $crate::sql::bind_args!(q, chunk).execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use insert_rows;

/// `$n` fresh ids for rows of `$table` (its `id` column), for a bulk insert that names
/// them: PostgreSQL takes them from the table's sequence; SQLite, whose write
/// transaction holds the database's only write lock, numbers on from the largest id, as
/// it would itself (no table uses `AUTOINCREMENT`).
macro_rules! reserve_ids {
    ($tx:expr, $table:expr, $n:expr) => {{
        let table: &str = $table;
        let n = i64::try_from($n).unwrap_or(i64::MAX);
        let ids: Vec<i64> = if n == 0 {
            Vec::new()
        } else if $crate::sql::has_sequences(&$tx) {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) \
                 FROM generate_series(1, $1)"
            )))
            .bind(n)
            .fetch_all(&mut *$tx)
            .await?
        } else {
            let top: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COALESCE(MAX(id), 0) FROM {table}"
            )))
            .fetch_one(&mut *$tx)
            .await?;
            if top.checked_add(n).is_none() {
                return Err($crate::StoreError::Invalid(format!(
                    "the {table} table has run out of ids"
                )));
            }
            (1..=n).map(|k| top + k).collect()
        };
        ids
    }};
}
pub(crate) use reserve_ids;

/// A `LIKE` pattern matching text that contains `word` (lower-cased), with LIKE's own
/// wildcards in it taken literally (use with `ESCAPE '\'`).
pub(crate) fn contains_pattern(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 2);
    out.push('%');
    for c in word.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::statement_rows;

    #[test]
    fn multi_row_inserts_use_a_few_statement_sizes() {
        let rows = |n, width| statement_rows(n, width).collect::<Vec<_>>();
        assert_eq!(rows(250, 28), [128, 64, 32, 16, 8, 2]);
        assert_eq!(rows(0, 28), Vec::<usize>::new());
        assert_eq!(rows(1, 28), [1]);
        // Never more than a statement may carry (128 rows).
        let many = rows(5_000, 15);
        assert_eq!(many.iter().sum::<usize>(), 5_000);
        assert!(many.iter().all(|&n| n <= 128 && n.is_power_of_two()));
        assert_eq!(many[..39], [128; 39]);
        // Wide rows: 30,000 values a statement at most (1,000 values a row: 16 rows).
        assert!(rows(100, 1_000).iter().all(|&n| n <= 16));
        // Values so wide that a statement carries one row.
        assert_eq!(rows(3, 20_000), [1, 1, 1]);
    }
}
