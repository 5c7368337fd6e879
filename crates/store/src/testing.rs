//! Raw access for tests: statements the API would never run, and schema introspection
//! for comparing the two migration sets.

use crate::{Pool, Store, StoreError, with_pool};

/// Runs one statement as it is.
pub async fn raw_execute(store: &Store, sql: &'static str) -> Result<u64, StoreError> {
    Ok(with_pool!(&store.write, |p| sqlx::query(sql)
        .execute(p)
        .await?
        .rows_affected()))
}

/// A column as the database describes it: table, column, declared type, nullable.
pub type Column = (String, String, String, bool);

/// Every column of every table of ours, sorted.
pub async fn columns(store: &Store) -> Result<Vec<Column>, StoreError> {
    let mut cols: Vec<Column> = match &store.read {
        Pool::Sqlite(p) => {
            let rows: Vec<(String, String, String, bool, bool)> = sqlx::query_as(
                "SELECT m.name, c.name, c.type, c.\"notnull\" = 1, c.pk > 0
                 FROM sqlite_master m JOIN pragma_table_info(m.name) c
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
            )
            .fetch_all(p)
            .await?;
            // SQLite lets a primary-key column be NULL unless told otherwise; PostgreSQL
            // never does. Ours never are.
            rows.into_iter()
                .map(|(t, c, ty, notnull, pk)| (t, c, ty, !(notnull || pk)))
                .collect()
        }
        Pool::Postgres(p) => {
            sqlx::query_as(
                "SELECT table_name::text, column_name::text, data_type::text, is_nullable = 'YES'
                 FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
            )
            .fetch_all(p)
            .await?
        }
    };
    cols.sort();
    Ok(cols)
}

/// The names of the indexes we declared (not those behind keys and constraints), sorted.
pub async fn indexes(store: &Store) -> Result<Vec<String>, StoreError> {
    let mut names: Vec<String> = match &store.read {
        Pool::Sqlite(p) => {
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
                .fetch_all(p)
                .await?
        }
        Pool::Postgres(p) => {
            sqlx::query_scalar(
                "SELECT indexname::text FROM pg_indexes
                 WHERE schemaname = current_schema() AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'",
            )
            .fetch_all(p)
            .await?
        }
    };
    names.sort();
    Ok(names)
}
