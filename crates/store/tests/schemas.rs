//! The two migration sets must describe the same schema: the same tables, columns,
//! nullability, compatible types and indexes.

use masthead_store::testing::{columns, indexes};
use masthead_testkit::TestDb;

/// The family a declared type belongs to. SQLite keeps times and dates as text.
fn family(declared: &str) -> &'static str {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "bigint" => "integer",
        "boolean" => "boolean",
        "real" => "real",
        "text" | "timestamp with time zone" | "date" => "text",
        other => panic!("a type neither schema should use: {other}"),
    }
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_make_the_same_schema() {
    let Some(pg) = TestDb::postgres().await else {
        return;
    };
    let sqlite = TestDb::sqlite().store().await.store;
    let pg = pg.store().await.store;
    let lite_cols = columns(&sqlite).await.unwrap();
    let pg_cols = columns(&pg).await.unwrap();
    let shape = |cols: &[masthead_store::testing::Column]| {
        cols.iter()
            .map(|(t, c, ty, null)| {
                format!(
                    "{t}.{c} {} {}",
                    family(ty),
                    if *null { "null" } else { "not null" }
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&lite_cols), shape(&pg_cols));
    assert!(
        lite_cols.len() > 60,
        "the schema is all there: {}",
        lite_cols.len()
    );
    // Times are real timestamps on PostgreSQL, never text.
    for (t, c, ty, _) in &pg_cols {
        if c.ends_with("_at") {
            assert_eq!(ty, "timestamp with time zone", "{t}.{c}");
        }
    }
    assert_eq!(indexes(&sqlite).await.unwrap(), indexes(&pg).await.unwrap());
}
