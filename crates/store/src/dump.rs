//! A logical dump of the whole database, the same on both backends: what backups,
//! restores and `db copy` are made of.
//!
//! [`Store::dump`] opens one read transaction (a WAL read transaction on SQLite,
//! `REPEATABLE READ READ ONLY` on PostgreSQL), so everything read through the [`Dump`]
//! is one consistent snapshot while the site goes on writing. Tables come in
//! foreign-key order (a table after every table it references), described by the
//! database's own catalog, so a table a later migration adds is dumped without a change
//! here; rows come in primary-key order, a page at a time (keyset paging: never a whole
//! table in memory). Values are typed ([`Value`]): times as UTC instants, dates, booleans,
//! integers, reals, text and blobs, whatever each backend stores them as.
//!
//! [`Store::loader`] writes a dump into an empty database of either backend, in the same
//! order, in one transaction: a load that fails anywhere (a truncated archive, a bad
//! row) leaves the target as empty as it found it. Afterwards PostgreSQL's id sequences
//! are moved past the loaded ids. (SQLite needs nothing: our tables use `INTEGER PRIMARY
//! KEY` without `AUTOINCREMENT`, whose next id is always the largest plus one, and
//! `sqlite_sequence`, were a table ever to use `AUTOINCREMENT`, follows explicit ids.)
//!
//! Everything is dumped but `_sqlx_migrations` (the schema version is recorded instead,
//! and a load refuses a dump of another version). No table of ours is a pure cache: the
//! search index and the related-stories engine live outside the database and are
//! rebuilt from it, and the change log (`changes`) is kept so ids and cursors stay
//! meaningful.

use crate::{Backend, Pool, Store, StoreError};
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{AssertSqlSafe, Postgres, Row, Sqlite, Transaction};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The version of the dump's layout (tables, columns, JSON values), for archives.
pub const DUMP_FORMAT: u32 = 1;

/// Rows read per page of a table.
const PAGE_ROWS: usize = 500;
/// Bound values per insert statement: below SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_BOUND: usize = 20_000;
/// Rows per insert statement at most.
const MAX_ROWS_PER_INSERT: usize = 500;

/// What a column holds, the same on both backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    Int,
    Real,
    Bool,
    Text,
    /// An instant, RFC 3339 in UTC.
    Timestamp,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// Bytes, base64 in JSON.
    Blob,
}

/// One column of a dumped table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DumpColumn {
    pub name: String,
    pub kind: ValueKind,
}

/// A dumped table: its columns in the order every row lists its values, and the
/// columns of its primary key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DumpTable {
    pub name: String,
    pub columns: Vec<DumpColumn>,
    pub primary_key: Vec<String>,
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(String),
    Timestamp(DateTime<Utc>),
    Date(NaiveDate),
    Blob(Vec<u8>),
}

impl Value {
    /// The value in an archive's JSON: times as RFC 3339 UTC text, dates as
    /// `YYYY-MM-DD`, blobs as `{"base64": "…"}`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Self::Null => J::Null,
            Self::Int(i) => J::from(*i),
            Self::Real(r) => {
                serde_json::Number::from_f64(*r).map_or_else(|| J::String(r.to_string()), J::Number)
            }
            Self::Bool(b) => J::Bool(*b),
            Self::Text(s) => J::String(s.clone()),
            Self::Timestamp(t) => J::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            Self::Date(d) => J::String(d.format("%Y-%m-%d").to_string()),
            Self::Blob(b) => {
                serde_json::json!({ "base64": base64::engine::general_purpose::STANDARD.encode(b) })
            }
        }
    }

    /// Reads a value of `kind` back from an archive's JSON.
    pub fn from_json(kind: ValueKind, json: &serde_json::Value) -> Result<Self, String> {
        use serde_json::Value as J;
        let wrong = || format!("{json} is not a {kind:?} value");
        Ok(match (kind, json) {
            (_, J::Null) => Self::Null,
            (ValueKind::Int, J::Number(n)) => Self::Int(n.as_i64().ok_or_else(wrong)?),
            (ValueKind::Real, J::Number(n)) => Self::Real(n.as_f64().ok_or_else(wrong)?),
            (ValueKind::Real, J::String(s)) => Self::Real(s.parse().map_err(|_| wrong())?),
            (ValueKind::Bool, J::Bool(b)) => Self::Bool(*b),
            (ValueKind::Text, J::String(s)) => Self::Text(s.clone()),
            (ValueKind::Timestamp, J::String(s)) => Self::Timestamp(
                DateTime::parse_from_rfc3339(s)
                    .map_err(|_| wrong())?
                    .with_timezone(&Utc),
            ),
            (ValueKind::Date, J::String(s)) => {
                Self::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| wrong())?)
            }
            (ValueKind::Blob, J::Object(o)) => match o.get("base64") {
                Some(J::String(s)) => Self::Blob(
                    base64::engine::general_purpose::STANDARD
                        .decode(s)
                        .map_err(|_| wrong())?,
                ),
                _ => return Err(wrong()),
            },
            _ => return Err(wrong()),
        })
    }
}

/// How a column is read and bound on its backend (PostgreSQL's integer and real widths
/// must be matched exactly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColType {
    I16,
    I32,
    I64,
    F32,
    F64,
    Bool,
    Text,
    Timestamp,
    Date,
    Blob,
}

impl ColType {
    fn kind(self) -> ValueKind {
        match self {
            Self::I16 | Self::I32 | Self::I64 => ValueKind::Int,
            Self::F32 | Self::F64 => ValueKind::Real,
            Self::Bool => ValueKind::Bool,
            Self::Text => ValueKind::Text,
            Self::Timestamp => ValueKind::Timestamp,
            Self::Date => ValueKind::Date,
            Self::Blob => ValueKind::Blob,
        }
    }

    /// A SQLite column by its declared type. SQLite keeps times and dates as text, so
    /// those are told apart by name: `at` and `…_at` are instants, `…_date` are dates —
    /// the rule the PostgreSQL schema follows with real types (a conformance test holds
    /// the two to each other).
    fn sqlite(table: &str, column: &str, declared: &str) -> Result<Self, StoreError> {
        Ok(match declared.to_ascii_lowercase().as_str() {
            "integer" | "bigint" | "int" | "smallint" => Self::I64,
            "boolean" => Self::Bool,
            "real" | "double" | "double precision" | "float" => Self::F64,
            "blob" => Self::Blob,
            "text" => match text_kind(column) {
                ValueKind::Timestamp => Self::Timestamp,
                ValueKind::Date => Self::Date,
                _ => Self::Text,
            },
            other => return Err(unknown_type(table, column, other)),
        })
    }

    fn postgres(table: &str, column: &str, data_type: &str) -> Result<Self, StoreError> {
        Ok(match data_type {
            "smallint" => Self::I16,
            "integer" => Self::I32,
            "bigint" => Self::I64,
            "real" => Self::F32,
            "double precision" => Self::F64,
            "boolean" => Self::Bool,
            "text" | "character varying" | "character" => Self::Text,
            "timestamp with time zone" => Self::Timestamp,
            "date" => Self::Date,
            "bytea" => Self::Blob,
            other => return Err(unknown_type(table, column, other)),
        })
    }
}

/// What a text column on SQLite holds, by its name (see [`ColType::sqlite`]).
pub fn text_kind(column: &str) -> ValueKind {
    if column == "at" || column.ends_with("_at") {
        ValueKind::Timestamp
    } else if column.ends_with("_date") {
        ValueKind::Date
    } else {
        ValueKind::Text
    }
}

fn unknown_type(table: &str, column: &str, ty: &str) -> StoreError {
    StoreError::Invalid(format!(
        "the column {table}.{column} has the type {ty}, which the dump does not know how to copy"
    ))
}

/// A table as this database describes it.
#[derive(Debug, Clone)]
struct CatalogTable {
    name: String,
    columns: Vec<(String, ColType)>,
    primary_key: Vec<String>,
    /// Columns referencing this same table (a comment's parent): loaded as NULL first
    /// and set once every row is in, so a row may name one that comes after it.
    self_refs: Vec<String>,
}

impl CatalogTable {
    fn describe(&self) -> DumpTable {
        DumpTable {
            name: self.name.clone(),
            columns: self
                .columns
                .iter()
                .map(|(name, t)| DumpColumn {
                    name: name.clone(),
                    kind: t.kind(),
                })
                .collect(),
            primary_key: self.primary_key.clone(),
        }
    }

    fn position(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|(c, _)| c == column)
    }
}

/// A transaction on either backend.
enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Identifiers come from the database's own catalog; quoted all the same.
fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// (table, column, declared type, position in the primary key (0: not in it)).
type CatalogColumn = (String, String, String, i64);
/// (table, column, referenced table) of a foreign key.
type CatalogReference = (String, String, String);

/// Every table but the migrations' bookkeeping, with columns, keys and foreign keys,
/// in an order where each table comes after those it references.
async fn catalog(tx: &mut Tx) -> Result<Vec<CatalogTable>, StoreError> {
    let (columns, references): (Vec<CatalogColumn>, Vec<CatalogReference>) = match tx {
        Tx::Sqlite(tx) => {
            let cols = sqlx::query_as(
                "SELECT m.name, c.name, c.type, c.pk FROM sqlite_master m
                     JOIN pragma_table_info(m.name) c
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
                       AND m.name <> '_sqlx_migrations'
                     ORDER BY m.name, c.cid",
            )
            .fetch_all(&mut **tx)
            .await?;
            let refs = sqlx::query_as(
                "SELECT m.name, f.\"from\", f.\"table\" FROM sqlite_master m
                     JOIN pragma_foreign_key_list(m.name) f
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
                       AND m.name <> '_sqlx_migrations'",
            )
            .fetch_all(&mut **tx)
            .await?;
            (cols, refs)
        }
        Tx::Postgres(tx) => {
            let cols = sqlx::query_as(
                "SELECT c.table_name::text, c.column_name::text, c.data_type::text,
                            COALESCE((SELECT k.ordinal_position::bigint
                              FROM information_schema.table_constraints t
                              JOIN information_schema.key_column_usage k
                                ON k.constraint_name = t.constraint_name
                               AND k.constraint_schema = t.constraint_schema
                               AND k.table_name = t.table_name
                             WHERE t.constraint_type = 'PRIMARY KEY'
                               AND t.table_schema = c.table_schema
                               AND t.table_name = c.table_name
                               AND k.column_name = c.column_name), 0)
                     FROM information_schema.columns c
                     JOIN information_schema.tables t
                       ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                     WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
                       AND c.table_name <> '_sqlx_migrations'
                     ORDER BY c.table_name, c.ordinal_position",
            )
            .fetch_all(&mut **tx)
            .await?;
            let refs = sqlx::query_as(
                "SELECT c.relname::text, a.attname::text, r.relname::text
                     FROM pg_constraint k
                     JOIN pg_class c ON c.oid = k.conrelid
                     JOIN pg_class r ON r.oid = k.confrelid
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                     JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
                     WHERE k.contype = 'f' AND n.nspname = current_schema()",
            )
            .fetch_all(&mut **tx)
            .await?;
            (cols, refs)
        }
    };
    let sqlite = matches!(tx, Tx::Sqlite(_));
    let mut tables: BTreeMap<String, CatalogTable> = BTreeMap::new();
    let mut keys: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for (table, column, ty, pk) in columns {
        let t = if sqlite {
            ColType::sqlite(&table, &column, &ty)?
        } else {
            ColType::postgres(&table, &column, &ty)?
        };
        if pk > 0 {
            keys.entry(table.clone())
                .or_default()
                .push((pk, column.clone()));
        }
        tables
            .entry(table.clone())
            .or_insert_with(|| CatalogTable {
                name: table,
                columns: Vec::new(),
                primary_key: Vec::new(),
                self_refs: Vec::new(),
            })
            .columns
            .push((column, t));
    }
    for (name, table) in &mut tables {
        let mut key = keys.remove(name).unwrap_or_default();
        key.sort();
        table.primary_key = key.into_iter().map(|(_, c)| c).collect();
        if table.primary_key.is_empty() {
            return Err(StoreError::Invalid(format!(
                "the table {name} has no primary key, so the dump cannot read it in order"
            )));
        }
    }
    // Kahn's algorithm, alphabetical among the ready ones, so the order is the same
    // on every run and both backends.
    let mut needs: BTreeMap<String, BTreeSet<String>> = tables
        .keys()
        .map(|t| (t.clone(), BTreeSet::new()))
        .collect();
    for (table, column, referenced) in references {
        if table == referenced {
            if let Some(t) = tables.get_mut(&table)
                && !t.self_refs.contains(&column)
            {
                t.self_refs.push(column);
            }
        } else if tables.contains_key(&referenced)
            && let Some(n) = needs.get_mut(&table)
        {
            n.insert(referenced);
        }
    }
    let mut ordered = Vec::with_capacity(tables.len());
    while !needs.is_empty() {
        let ready: Vec<String> = needs
            .iter()
            .filter(|(_, n)| n.is_empty())
            .map(|(t, _)| t.clone())
            .collect();
        if ready.is_empty() {
            let names: Vec<&str> = needs.keys().map(String::as_str).collect();
            return Err(StoreError::Invalid(format!(
                "the tables {} reference each other in a cycle, so no load order exists",
                names.join(", ")
            )));
        }
        for t in ready {
            needs.remove(&t);
            for n in needs.values_mut() {
                n.remove(&t);
            }
            if let Some(table) = tables.remove(&t) {
                ordered.push(table);
            }
        }
    }
    Ok(ordered)
}

async fn schema_version_in(tx: &mut Tx) -> Result<i64, StoreError> {
    let v: Option<i64> = match tx {
        Tx::Sqlite(tx) => {
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&mut **tx)
                .await?
        }
        Tx::Postgres(tx) => {
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&mut **tx)
                .await?
        }
    };
    Ok(v.unwrap_or(0))
}

fn read_sqlite(row: &SqliteRow, columns: &[(String, ColType)]) -> Result<Vec<Value>, StoreError> {
    let mut out = Vec::with_capacity(columns.len());
    for (i, (_, t)) in columns.iter().enumerate() {
        out.push(match t {
            ColType::I16 | ColType::I32 | ColType::I64 => row
                .try_get::<Option<i64>, _>(i)?
                .map_or(Value::Null, Value::Int),
            ColType::F32 | ColType::F64 => row
                .try_get::<Option<f64>, _>(i)?
                .map_or(Value::Null, Value::Real),
            ColType::Bool => row
                .try_get::<Option<bool>, _>(i)?
                .map_or(Value::Null, Value::Bool),
            ColType::Text => row
                .try_get::<Option<String>, _>(i)?
                .map_or(Value::Null, Value::Text),
            ColType::Timestamp => row
                .try_get::<Option<DateTime<Utc>>, _>(i)?
                .map_or(Value::Null, Value::Timestamp),
            ColType::Date => row
                .try_get::<Option<NaiveDate>, _>(i)?
                .map_or(Value::Null, Value::Date),
            ColType::Blob => row
                .try_get::<Option<Vec<u8>>, _>(i)?
                .map_or(Value::Null, Value::Blob),
        });
    }
    Ok(out)
}

fn read_postgres(row: &PgRow, columns: &[(String, ColType)]) -> Result<Vec<Value>, StoreError> {
    let mut out = Vec::with_capacity(columns.len());
    for (i, (_, t)) in columns.iter().enumerate() {
        out.push(match t {
            ColType::I16 => row
                .try_get::<Option<i16>, _>(i)?
                .map_or(Value::Null, |v| Value::Int(v.into())),
            ColType::I32 => row
                .try_get::<Option<i32>, _>(i)?
                .map_or(Value::Null, |v| Value::Int(v.into())),
            ColType::I64 => row
                .try_get::<Option<i64>, _>(i)?
                .map_or(Value::Null, Value::Int),
            // The shortest decimal that reads back as the same f32, so 0.1 stays 0.1.
            ColType::F32 => row.try_get::<Option<f32>, _>(i)?.map_or(Value::Null, |v| {
                Value::Real(v.to_string().parse().unwrap_or(f64::from(v)))
            }),
            ColType::F64 => row
                .try_get::<Option<f64>, _>(i)?
                .map_or(Value::Null, Value::Real),
            ColType::Bool => row
                .try_get::<Option<bool>, _>(i)?
                .map_or(Value::Null, Value::Bool),
            ColType::Text => row
                .try_get::<Option<String>, _>(i)?
                .map_or(Value::Null, Value::Text),
            ColType::Timestamp => row
                .try_get::<Option<DateTime<Utc>>, _>(i)?
                .map_or(Value::Null, Value::Timestamp),
            ColType::Date => row
                .try_get::<Option<NaiveDate>, _>(i)?
                .map_or(Value::Null, Value::Date),
            ColType::Blob => row
                .try_get::<Option<Vec<u8>>, _>(i)?
                .map_or(Value::Null, Value::Blob),
        });
    }
    Ok(out)
}

/// A value made fit for a column of type `t` (a dump from the other backend may carry
/// an instant as text, an integer for a boolean, …).
fn coerce(v: Value, t: ColType, what: &dyn Fn() -> String) -> Result<Value, StoreError> {
    let bad = |v: &Value| {
        StoreError::Invalid(format!(
            "{}: {} cannot be stored as {:?}",
            what(),
            v.to_json(),
            t.kind()
        ))
    };
    Ok(match (t.kind(), v) {
        (_, Value::Null) => Value::Null,
        (ValueKind::Int, Value::Int(i)) => Value::Int(i),
        (ValueKind::Int, Value::Bool(b)) => Value::Int(i64::from(b)),
        (ValueKind::Real, Value::Real(r)) => Value::Real(r),
        #[expect(clippy::cast_precision_loss, reason = "a real column given an integer")]
        (ValueKind::Real, Value::Int(i)) => Value::Real(i as f64),
        (ValueKind::Bool, Value::Bool(b)) => Value::Bool(b),
        (ValueKind::Bool, Value::Int(i)) => Value::Bool(i != 0),
        (ValueKind::Text, Value::Text(s)) => Value::Text(s),
        (ValueKind::Text, Value::Timestamp(ts)) => {
            Value::Text(ts.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        }
        (ValueKind::Text, Value::Date(d)) => Value::Text(d.format("%Y-%m-%d").to_string()),
        (ValueKind::Timestamp, Value::Timestamp(ts)) => Value::Timestamp(ts),
        (ValueKind::Timestamp, Value::Text(s)) => match DateTime::parse_from_rfc3339(&s) {
            Ok(ts) => Value::Timestamp(ts.with_timezone(&Utc)),
            Err(_) => return Err(bad(&Value::Text(s))),
        },
        (ValueKind::Date, Value::Date(d)) => Value::Date(d),
        (ValueKind::Date, Value::Text(s)) => match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
            Ok(d) => Value::Date(d),
            Err(_) => return Err(bad(&Value::Text(s))),
        },
        (ValueKind::Blob, Value::Blob(b)) => Value::Blob(b),
        (_, other) => return Err(bad(&other)),
    })
}

fn out_of_range(what: &dyn Fn() -> String, i: i64) -> StoreError {
    StoreError::Invalid(format!("{}: {i} is out of range for the column", what()))
}

fn bind_sqlite<'q>(
    q: Query<'q, Sqlite, SqliteArguments>,
    v: Value,
    t: ColType,
) -> Query<'q, Sqlite, SqliteArguments> {
    match (v, t) {
        (Value::Null, ColType::I16 | ColType::I32 | ColType::I64) => q.bind(None::<i64>),
        (Value::Null, ColType::F32 | ColType::F64) => q.bind(None::<f64>),
        (Value::Null, ColType::Bool) => q.bind(None::<bool>),
        (Value::Null, ColType::Timestamp) => q.bind(None::<DateTime<Utc>>),
        (Value::Null, ColType::Date) => q.bind(None::<NaiveDate>),
        (Value::Null, ColType::Blob) => q.bind(None::<Vec<u8>>),
        (Value::Null, ColType::Text) => q.bind(None::<String>),
        (Value::Int(i), _) => q.bind(i),
        (Value::Real(r), _) => q.bind(r),
        (Value::Bool(b), _) => q.bind(b),
        (Value::Text(s), _) => q.bind(s),
        // Bound as the store binds them, so SQLite's text compares as it always does.
        (Value::Timestamp(ts), _) => q.bind(ts),
        (Value::Date(d), _) => q.bind(d),
        (Value::Blob(b), _) => q.bind(b),
    }
}

fn bind_postgres<'q>(
    q: Query<'q, Postgres, PgArguments>,
    v: Value,
    t: ColType,
    what: &dyn Fn() -> String,
) -> Result<Query<'q, Postgres, PgArguments>, StoreError> {
    Ok(match (v, t) {
        (Value::Null, ColType::I16) => q.bind(None::<i16>),
        (Value::Null, ColType::I32) => q.bind(None::<i32>),
        (Value::Null, ColType::I64) => q.bind(None::<i64>),
        (Value::Null, ColType::F32) => q.bind(None::<f32>),
        (Value::Null, ColType::F64) => q.bind(None::<f64>),
        (Value::Null, ColType::Bool) => q.bind(None::<bool>),
        (Value::Null, ColType::Timestamp) => q.bind(None::<DateTime<Utc>>),
        (Value::Null, ColType::Date) => q.bind(None::<NaiveDate>),
        (Value::Null, ColType::Blob) => q.bind(None::<Vec<u8>>),
        (Value::Null, ColType::Text) => q.bind(None::<String>),
        (Value::Int(i), ColType::I16) => {
            q.bind(i16::try_from(i).map_err(|_| out_of_range(what, i))?)
        }
        (Value::Int(i), ColType::I32) => {
            q.bind(i32::try_from(i).map_err(|_| out_of_range(what, i))?)
        }
        (Value::Int(i), _) => q.bind(i),
        #[expect(clippy::cast_possible_truncation, reason = "a REAL (f32) column")]
        (Value::Real(r), ColType::F32) => q.bind(r as f32),
        (Value::Real(r), _) => q.bind(r),
        (Value::Bool(b), _) => q.bind(b),
        (Value::Text(s), _) => q.bind(s),
        (Value::Timestamp(ts), _) => q.bind(ts),
        (Value::Date(d), _) => q.bind(d),
        (Value::Blob(b), _) => q.bind(b),
    })
}

/// A consistent, read-only view of the whole database, read table by table; see the
/// module's description.
pub struct Dump {
    tx: Tx,
    backend: Backend,
    tables: Vec<CatalogTable>,
    described: Vec<DumpTable>,
    schema_version: i64,
}

impl std::fmt::Debug for Dump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dump")
            .field("backend", &self.backend)
            .field("tables", &self.described)
            .field("schema_version", &self.schema_version)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Starts a dump: one read transaction, held until the [`Dump`] is dropped or
    /// finished. Writers go on meanwhile; the dump sees none of their changes.
    pub async fn dump(&self) -> Result<Dump, StoreError> {
        let mut tx = match &self.read {
            Pool::Sqlite(p) => {
                let mut tx = p.begin().await?;
                // A deferred transaction takes its snapshot at its first read.
                let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master")
                    .fetch_one(&mut *tx)
                    .await?;
                Tx::Sqlite(tx)
            }
            Pool::Postgres(p) => Tx::Postgres(
                p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        };
        let schema_version = schema_version_in(&mut tx).await?;
        let tables = catalog(&mut tx).await?;
        let described = tables.iter().map(CatalogTable::describe).collect();
        Ok(Dump {
            tx,
            backend: self.backend(),
            tables,
            described,
            schema_version,
        })
    }

    /// Starts loading a dump made at `schema_version` into this database, which must be
    /// migrated to exactly that version (the one this binary knows) and empty. Nothing
    /// is visible to anyone until [`Loader::commit`]; dropping the loader undoes it all.
    pub async fn loader(&self, schema_version: i64) -> Result<Loader, StoreError> {
        let known = self.known_schema_version();
        if schema_version != known {
            return Err(StoreError::Invalid(format!(
                "the dump is of schema version {schema_version}, but this Masthead's schema is version {known}; restore it with the Masthead release that made it{}",
                if schema_version < known {
                    " (then upgrade)"
                } else {
                    " or a newer one"
                }
            )));
        }
        let found = self.schema_version().await?;
        if found != known {
            return Err(StoreError::Invalid(format!(
                "the target database is at schema version {found}, not {known}; run `masthead migrate apply` on it first"
            )));
        }
        let mut tx = match &self.write {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        };
        let tables = catalog(&mut tx).await?;
        for t in &tables {
            let sql = format!(
                "SELECT COUNT(*) > 0 FROM (SELECT 1 FROM {} LIMIT 1) x",
                quote(&t.name)
            );
            let used: bool = match &mut tx {
                Tx::Sqlite(tx) => {
                    sqlx::query_scalar(AssertSqlSafe(sql))
                        .fetch_one(&mut **tx)
                        .await?
                }
                Tx::Postgres(tx) => {
                    sqlx::query_scalar(AssertSqlSafe(sql))
                        .fetch_one(&mut **tx)
                        .await?
                }
            };
            if used {
                return Err(StoreError::Invalid(format!(
                    "the target database is not empty (its {} table has rows); restore only into a new, empty site",
                    t.name
                )));
            }
        }
        Ok(Loader {
            tx,
            tables: tables.into_iter().map(|t| (t.name.clone(), t)).collect(),
            loaded: Vec::new(),
            current: None,
        })
    }

    /// Copies every row of this database into `target` (empty, same schema version):
    /// `masthead db copy`, and the same code path a backup and a restore take.
    pub async fn copy_to(&self, target: &Store) -> Result<LoadReport, StoreError> {
        let mut dump = self.dump().await?;
        let mut loader = target.loader(dump.schema_version()).await?;
        for i in 0..dump.tables().len() {
            let table = dump.tables()[i].clone();
            loader.begin_table(&table)?;
            let mut after: Option<Vec<Value>> = None;
            loop {
                let rows = dump.page(i, after.as_deref()).await?;
                let Some(last) = rows.last() else { break };
                after = Some(dump.key_of(i, last));
                for row in rows {
                    loader.row(row).await?;
                }
            }
            loader.end_table().await?;
        }
        dump.finish().await?;
        loader.commit().await
    }
}

impl Dump {
    /// The tables in load order.
    pub fn tables(&self) -> &[DumpTable] {
        &self.described
    }

    /// The schema version of the database dumped.
    pub fn schema_version(&self) -> i64 {
        self.schema_version
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The primary-key values of `row` of table `table`, to pass to [`Dump::page`].
    pub fn key_of(&self, table: usize, row: &[Value]) -> Vec<Value> {
        let Some(t) = self.tables.get(table) else {
            return Vec::new();
        };
        t.primary_key
            .iter()
            .filter_map(|k| t.position(k).and_then(|i| row.get(i).cloned()))
            .collect()
    }

    /// The next rows of table `table` (an index into [`Dump::tables`]) in primary-key
    /// order, after the row whose key is `after` (from the start when `None`); empty
    /// at the end.
    pub async fn page(
        &mut self,
        table: usize,
        after: Option<&[Value]>,
    ) -> Result<Vec<Vec<Value>>, StoreError> {
        let Some(t) = self.tables.get(table) else {
            return Ok(Vec::new());
        };
        let cols: Vec<String> = t.columns.iter().map(|(c, _)| quote(c)).collect();
        let key: Vec<String> = t.primary_key.iter().map(|c| quote(c)).collect();
        let key_types: Vec<ColType> = t
            .primary_key
            .iter()
            .filter_map(|k| t.position(k).map(|i| t.columns[i].1))
            .collect();
        let placeholders: Vec<String> = (1..=key.len()).map(|i| format!("${i}")).collect();
        let filter = match after {
            None => String::new(),
            Some(_) if key.len() == 1 => format!("WHERE {} > $1", key[0]),
            Some(_) => format!("WHERE ({}) > ({})", key.join(", "), placeholders.join(", ")),
        };
        let sql = format!(
            "SELECT {} FROM {} {filter} ORDER BY {} LIMIT {PAGE_ROWS}",
            cols.join(", "),
            quote(&t.name),
            key.join(", ")
        );
        let what = || format!("the key of {}", t.name);
        let rows = match &mut self.tx {
            Tx::Sqlite(tx) => {
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (v, ty) in after.unwrap_or_default().iter().zip(&key_types) {
                    q = bind_sqlite(q, v.clone(), *ty);
                }
                let rows = q.fetch_all(&mut **tx).await?;
                rows.iter()
                    .map(|r| read_sqlite(r, &t.columns))
                    .collect::<Result<Vec<_>, _>>()?
            }
            Tx::Postgres(tx) => {
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (v, ty) in after.unwrap_or_default().iter().zip(&key_types) {
                    q = bind_postgres(q, v.clone(), *ty, &what)?;
                }
                let rows = q.fetch_all(&mut **tx).await?;
                rows.iter()
                    .map(|r| read_postgres(r, &t.columns))
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        Ok(rows)
    }

    /// Every row of table `table`, a page at a time, handed to `each` in key order.
    pub async fn for_each_row(
        &mut self,
        table: usize,
        mut each: impl FnMut(Vec<Value>) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let mut after: Option<Vec<Value>> = None;
        let mut n = 0;
        loop {
            let rows = self.page(table, after.as_deref()).await?;
            let Some(last) = rows.last() else { break };
            after = Some(self.key_of(table, last));
            for row in rows {
                n += 1;
                each(row)?;
            }
        }
        Ok(n)
    }

    /// Ends the read transaction.
    pub async fn finish(self) -> Result<(), StoreError> {
        match self.tx {
            Tx::Sqlite(tx) => tx.rollback().await?,
            Tx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

/// What a load wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Rows per table, in load order.
    pub tables: Vec<(String, u64)>,
}

impl LoadReport {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// A row's primary key and the self-references to set on it: (column, value).
type Deferred = (Vec<Value>, Vec<(usize, Value)>);

/// The table being loaded.
struct Current {
    table: CatalogTable,
    /// For each column of the dump's rows, the target column it goes to.
    map: Vec<usize>,
    batch: Vec<Vec<Value>>,
    rows_per_insert: usize,
    /// (primary key, [(column, value)]) of self-references set after the table is in.
    deferred: Vec<Deferred>,
    count: u64,
}

/// Writes a dump into an empty database; see [`Store::loader`].
pub struct Loader {
    tx: Tx,
    tables: HashMap<String, CatalogTable>,
    loaded: Vec<(String, u64)>,
    current: Option<Current>,
}

impl std::fmt::Debug for Loader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader")
            .field("loaded", &self.loaded)
            .finish_non_exhaustive()
    }
}

impl Loader {
    /// Starts a table; its rows come next through [`Loader::row`]. The dump's columns
    /// must be the target table's (in any order).
    pub fn begin_table(&mut self, table: &DumpTable) -> Result<(), StoreError> {
        if self.current.is_some() {
            return Err(StoreError::Invalid(format!(
                "the table {} starts before the one before it ended",
                table.name
            )));
        }
        if self.loaded.iter().any(|(n, _)| *n == table.name) {
            return Err(StoreError::Invalid(format!(
                "the table {} comes twice",
                table.name
            )));
        }
        let Some(target) = self.tables.get(&table.name) else {
            return Err(StoreError::Invalid(format!(
                "the table {} is not in this database's schema",
                table.name
            )));
        };
        let mut map = Vec::with_capacity(table.columns.len());
        for c in &table.columns {
            match target.position(&c.name) {
                Some(i) if !map.contains(&i) => map.push(i),
                _ => {
                    return Err(StoreError::Invalid(format!(
                        "the column {}.{} is not in this database's schema",
                        table.name, c.name
                    )));
                }
            }
        }
        if map.len() != target.columns.len() {
            let missing: Vec<&str> = target
                .columns
                .iter()
                .enumerate()
                .filter(|(i, _)| !map.contains(i))
                .map(|(_, (c, _))| c.as_str())
                .collect();
            return Err(StoreError::Invalid(format!(
                "the dump of {} lacks the columns {}",
                table.name,
                missing.join(", ")
            )));
        }
        let rows_per_insert = (MAX_BOUND / map.len().max(1)).clamp(1, MAX_ROWS_PER_INSERT);
        self.current = Some(Current {
            table: target.clone(),
            map,
            batch: Vec::with_capacity(rows_per_insert),
            rows_per_insert,
            deferred: Vec::new(),
            count: 0,
        });
        Ok(())
    }

    /// Adds a row of the current table, its values in the dump's column order.
    pub async fn row(&mut self, row: Vec<Value>) -> Result<(), StoreError> {
        let Some(cur) = self.current.as_mut() else {
            return Err(StoreError::Invalid(
                "a row came before its table's description".to_owned(),
            ));
        };
        if row.len() != cur.map.len() {
            return Err(StoreError::Invalid(format!(
                "a row of {} has {} values where the table has {} columns",
                cur.table.name,
                row.len(),
                cur.map.len()
            )));
        }
        let mut target = vec![Value::Null; cur.map.len()];
        for (v, &i) in row.into_iter().zip(&cur.map) {
            let (name, t) = &cur.table.columns[i];
            let what = || format!("{}.{}", cur.table.name, name);
            target[i] = coerce(v, *t, &what)?;
        }
        let mut later = Vec::new();
        for col in &cur.table.self_refs {
            if let Some(i) = cur.table.position(col)
                && target[i] != Value::Null
            {
                later.push((i, std::mem::replace(&mut target[i], Value::Null)));
            }
        }
        if !later.is_empty() {
            let key = cur
                .table
                .primary_key
                .iter()
                .filter_map(|k| cur.table.position(k).map(|i| target[i].clone()))
                .collect();
            cur.deferred.push((key, later));
        }
        cur.batch.push(target);
        cur.count += 1;
        if cur.batch.len() >= cur.rows_per_insert {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        let Some(cur) = self.current.as_mut() else {
            return Ok(());
        };
        if cur.batch.is_empty() {
            return Ok(());
        }
        let t = &cur.table;
        let cols: Vec<String> = t.columns.iter().map(|(c, _)| quote(c)).collect();
        let width = cols.len();
        // SQLite gets positional `?`: it looks each named `$N` up in a list while it
        // parses, which made a 500-row statement of a wide table take seconds.
        let sqlite = matches!(self.tx, Tx::Sqlite(_));
        let rows: Vec<String> = (0..cur.batch.len())
            .map(|r| {
                let ps: Vec<String> = (1..=width)
                    .map(|c| {
                        if sqlite {
                            "?".to_owned()
                        } else {
                            format!("${}", r * width + c)
                        }
                    })
                    .collect();
                format!("({})", ps.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {}",
            quote(&t.name),
            cols.join(", "),
            rows.join(", ")
        );
        let batch = std::mem::take(&mut cur.batch);
        match &mut self.tx {
            Tx::Sqlite(tx) => {
                let mut q = sqlx::query(AssertSqlSafe(sql)).persistent(false);
                for row in batch {
                    for (v, (_, ty)) in row.into_iter().zip(&t.columns) {
                        q = bind_sqlite(q, v, *ty);
                    }
                }
                q.execute(&mut **tx).await?;
            }
            // PostgreSQL keeps the statement prepared: a table's full batches share one
            // text, and parsing 10,000 parameters anew each time doubled the load's time.
            // (SQLite's statements are not kept: each holds memory, and its parse is cheap.)
            Tx::Postgres(tx) => {
                let mut q = sqlx::query(AssertSqlSafe(sql)).persistent(true);
                for row in batch {
                    for (v, (name, ty)) in row.into_iter().zip(&t.columns) {
                        let what = || format!("{}.{name}", t.name);
                        q = bind_postgres(q, v, *ty, &what)?;
                    }
                }
                q.execute(&mut **tx).await?;
            }
        }
        Ok(())
    }

    /// Ends the current table: its last rows are written and its self-references set.
    /// Returns its row count.
    pub async fn end_table(&mut self) -> Result<u64, StoreError> {
        self.flush().await?;
        let Some(cur) = self.current.take() else {
            return Err(StoreError::Invalid(
                "a table ended that had not begun".to_owned(),
            ));
        };
        let t = &cur.table;
        for (key, sets) in cur.deferred {
            let assignments: Vec<String> = sets
                .iter()
                .enumerate()
                .map(|(n, (i, _))| format!("{} = ${}", quote(&t.columns[*i].0), n + 1))
                .collect();
            let conditions: Vec<String> = t
                .primary_key
                .iter()
                .enumerate()
                .map(|(n, k)| format!("{} = ${}", quote(k), sets.len() + n + 1))
                .collect();
            let sql = format!(
                "UPDATE {} SET {} WHERE {}",
                quote(&t.name),
                assignments.join(", "),
                conditions.join(" AND ")
            );
            let key_types: Vec<ColType> = t
                .primary_key
                .iter()
                .filter_map(|k| t.position(k).map(|i| t.columns[i].1))
                .collect();
            let what = || t.name.clone();
            match &mut self.tx {
                Tx::Sqlite(tx) => {
                    let mut q = sqlx::query(AssertSqlSafe(sql));
                    for (i, v) in sets {
                        q = bind_sqlite(q, v, t.columns[i].1);
                    }
                    for (v, ty) in key.into_iter().zip(&key_types) {
                        q = bind_sqlite(q, v, *ty);
                    }
                    q.execute(&mut **tx).await?;
                }
                Tx::Postgres(tx) => {
                    let mut q = sqlx::query(AssertSqlSafe(sql));
                    for (i, v) in sets {
                        q = bind_postgres(q, v, t.columns[i].1, &what)?;
                    }
                    for (v, ty) in key.into_iter().zip(&key_types) {
                        q = bind_postgres(q, v, *ty, &what)?;
                    }
                    q.execute(&mut **tx).await?;
                }
            }
        }
        self.loaded.push((t.name.clone(), cur.count));
        Ok(cur.count)
    }

    /// Moves PostgreSQL's id sequences past the loaded ids and commits. Tables the dump
    /// did not name stay empty.
    pub async fn commit(mut self) -> Result<LoadReport, StoreError> {
        if let Some(cur) = &self.current {
            return Err(StoreError::Invalid(format!(
                "the table {} did not end",
                cur.table.name
            )));
        }
        match &mut self.tx {
            Tx::Sqlite(_) => {}
            Tx::Postgres(tx) => {
                let mut names: Vec<&CatalogTable> = self.tables.values().collect();
                names.sort_by(|a, b| a.name.cmp(&b.name));
                for t in names {
                    for (c, ty) in &t.columns {
                        if !matches!(ty, ColType::I16 | ColType::I32 | ColType::I64) {
                            continue;
                        }
                        // setval(NULL, …) is NULL: columns without a sequence are left be.
                        let sql = format!(
                            "SELECT setval(pg_get_serial_sequence($1, $2),
                                           COALESCE((SELECT MAX({col}) FROM {table}), 0) + 1, false)",
                            col = quote(c),
                            table = quote(&t.name)
                        );
                        sqlx::query(AssertSqlSafe(sql))
                            .bind(quote(&t.name))
                            .bind(c)
                            .execute(&mut **tx)
                            .await?;
                    }
                }
            }
        }
        match self.tx {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(LoadReport {
            tables: self.loaded,
        })
    }
}

impl Store {
    /// Every table of the database with its row count, in load order, counted in one
    /// snapshot (for reports, and for seeing whether a site is empty).
    pub async fn table_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut dump = self.dump().await?;
        let mut out = Vec::new();
        for t in dump.described.clone() {
            let sql = format!("SELECT COUNT(*) FROM {}", quote(&t.name));
            let n: i64 = match &mut dump.tx {
                Tx::Sqlite(tx) => {
                    sqlx::query_scalar(AssertSqlSafe(sql))
                        .fetch_one(&mut **tx)
                        .await?
                }
                Tx::Postgres(tx) => {
                    sqlx::query_scalar(AssertSqlSafe(sql))
                        .fetch_one(&mut **tx)
                        .await?
                }
            };
            out.push((t.name, u64::try_from(n).unwrap_or(0)));
        }
        dump.finish().await?;
        Ok(out)
    }
}

/// A migration as the binary knows it, and whether the database has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    pub version: i64,
    pub description: String,
    pub applied: bool,
}

impl Store {
    /// Every migration this binary carries, in order, and whether each is applied.
    pub async fn migration_states(&self) -> Result<Vec<MigrationState>, StoreError> {
        let applied = self.schema_version().await?;
        let mut done: BTreeSet<i64> = BTreeSet::new();
        if applied > 0 {
            let versions: Vec<i64> = crate::with_pool!(&self.read, |p| {
                sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
                    .fetch_all(p)
                    .await?
            });
            done.extend(versions);
        }
        Ok(self
            .migrator()
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| MigrationState {
                version: m.version,
                description: m.description.to_string(),
                applied: done.contains(&m.version),
            })
            .collect())
    }
}

/// The newest schema version this binary knows for `backend`, without a database.
pub fn known_schema_version_of(backend: Backend) -> i64 {
    let migrator = match backend {
        Backend::Sqlite => &crate::SQLITE_MIGRATIONS,
        Backend::Postgres => &crate::POSTGRES_MIGRATIONS,
    };
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}
