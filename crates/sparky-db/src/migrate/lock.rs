//! The advisory lock that serialises concurrent runners, polled on its own connection.

use std::time::Duration;

use tokio_postgres::Client;

use super::MigrateError;

/// Advisory lock key: "sparky migrations" — any constant unlikely to collide with an app's.
pub(super) const LOCK_KEY: i64 = 0x5350_4152_4b59_4d31;
const LOCK_POLL: Duration = Duration::from_millis(100);

/// Polls for the lock; returns whether it had to wait.
pub(super) async fn acquire_lock(lock: &Client) -> Result<bool, MigrateError> {
    let mut waited = false;
    loop {
        let got: bool = lock
            .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
            .await?
            .get(0);
        if got {
            return Ok(waited);
        }
        if !waited {
            tracing::info!("another process is applying migrations; waiting for it");
            waited = true;
        }
        tokio::time::sleep(LOCK_POLL).await;
    }
}
