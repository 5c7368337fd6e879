//! A small builder for the few queries whose shape depends on filters. Placeholders are
//! `$N`, which both PostgreSQL and SQLite (as the N-th argument) understand.

use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
    Time(DateTime<Utc>),
    Date(NaiveDate),
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
            };
        }
        q
    }};
}
pub(crate) use bind_args;

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
