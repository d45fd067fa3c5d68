//! The `migrations` tracking table: its schema, reading its rows, and recording checksums.

use chrono::{DateTime, Utc};
use tokio_postgres::Client;

use super::{MigrateError, Migration};

pub(super) const CREATE_TRACKING_TABLE: &str = "
    CREATE TABLE IF NOT EXISTS migrations (
        version      text PRIMARY KEY,
        description  text,
        checksum     text,
        applied_at   timestamptz NOT NULL DEFAULT now(),
        execution_ms bigint
    )";

/// A row of the tracking table.
#[derive(Debug, Clone)]
pub(super) struct AppliedRow {
    pub(super) version: String,
    pub(super) description: Option<String>,
    pub(super) checksum: Option<String>,
    pub(super) applied_at: DateTime<Utc>,
    pub(super) execution_ms: Option<i64>,
}

pub(super) async fn read_applied(client: &Client) -> Result<Vec<AppliedRow>, MigrateError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('migrations') IS NOT NULL", &[])
        .await?
        .get(0);
    if !exists {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT version, description, checksum, applied_at, execution_ms
             FROM migrations ORDER BY version",
            &[],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| AppliedRow {
            version: r.get(0),
            description: r.get(1),
            checksum: r.get(2),
            applied_at: r.get(3),
            execution_ms: r.get(4),
        })
        .collect())
}

/// Rows marked by hand carry no checksum; record the file's so later edits are caught.
pub(super) async fn adopt_unrecorded_checksums(
    client: &Client,
    applied: &[AppliedRow],
    migrations: &[Migration],
) -> Result<(), MigrateError> {
    for row in applied.iter().filter(|r| r.checksum.is_none()) {
        if let Some(m) = migrations.iter().find(|m| m.version == row.version) {
            client
                .execute(
                    "UPDATE migrations SET checksum = $2, description = coalesce(description, $3)
                     WHERE version = $1 AND checksum IS NULL",
                    &[&m.version, &m.checksum, &m.description],
                )
                .await?;
            tracing::info!(version = %m.version, "recorded checksum of a migration marked applied by hand");
        }
    }
    Ok(())
}

pub(super) const RECORD: &str =
    "INSERT INTO migrations (version, description, checksum, execution_ms)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (version) DO UPDATE
     SET description = EXCLUDED.description, checksum = EXCLUDED.checksum,
         execution_ms = EXCLUDED.execution_ms";
