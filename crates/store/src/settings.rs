//! Site settings kept in the database, as key/value text.

use crate::{Store, StoreError, log_change, with_pool, write_tx};

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(with_pool!(&self.read, |p| {
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(p)
                .await?
        }))
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let now = self.clock.now();
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await?;
            log_change!(tx, "settings", 0_i64, "update", now);
        });
        Ok(())
    }

    /// The value kept under `key`, keeping `value` first when there is none. The first
    /// writer wins, so nodes starting together agree (a site secret). Not a content
    /// change: nothing readers see depends on it directly.
    pub async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StoreError> {
        with_pool!(&self.write, |p| {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(value)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(self.setting(key).await?.unwrap_or_else(|| value.to_owned()))
    }
}
