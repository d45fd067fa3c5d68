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

/// Migrations revised after release, each with the checksum of its earlier text. The revisions
/// only change what a database that has not applied the file yet gets (data migrations that
/// read nothing when the owner is a plain role under FORCEd row level security); a database
/// that applied the earlier text keeps it, and its recorded checksum is brought up to date.
const REVISED: &[(&str, &str)] = &[
    (
        "2026_12_04_30_10",
        "8e96c4665994b52b2781925337680d5e04eacbe31094daf438d8c6855c82ccbf",
    ),
    (
        "2026_11_25_15_10",
        "81901856fbe0ec178c4a068cea1b07cbe7f49b90704cdb8f3f11467cc2437a16",
    ),
    (
        "2026_11_26_01_00",
        "8b7e8670f799d04749bac59f7ad33c705404de1ed80de31a53d06c68642153ec",
    ),
    (
        "2026_11_26_02_10",
        "81014546ed112a50bf01fb81cdd7d5134dd4a66219c5c35da7fc6260267a2f83",
    ),
    (
        "2026_12_11_10_00",
        "2e0d87337c52655e4fe29879e544bba6bcf4c31099f5384e363b152a9c6ee912",
    ),
    (
        "2026_11_26_02_00",
        "bc5eff85c7b590fe186d5d76b576e7015ad8d309e8172ccfcbe7a32978100899",
    ),
    (
        "2026_11_26_02_00",
        "0774f5da2d2763a7cfc67192de8b14b0f45a4be0536932b37d660b475f5390ff",
    ),
    (
        "2026_12_04_10_00",
        "0b7c7580aee14ca0fc74af56e33d0c606b5fda0415cd2b6caa1caebaae0f24b5",
    ),
    (
        "2026_12_10_11_20",
        "6c90c91be7a39eb82554551666c7da655c0353479757b035c5c1bdd393a0b463",
    ),
    (
        "2026_12_10_12_00",
        "7b709b3f66ddc1cbbc8f956a5cfd743836a705933b47dfa095ea4d8103e688ff",
    ),
    (
        "2026_12_17_09_10",
        "bc84d22a5823a05e20510b33e9c210a59da25723686419185d4d3175e7e317ec",
    ),
];

/// Whether `checksum` is that of an earlier, released text of migration `version`.
pub(super) fn revised_from(version: &str, checksum: &str) -> bool {
    REVISED.iter().any(|(v, c)| *v == version && *c == checksum)
}

/// Rows marked by hand carry no checksum, and rows of a revised file carry its earlier one;
/// record the file's so later edits are caught.
pub(super) async fn adopt_unrecorded_checksums(
    client: &Client,
    applied: &[AppliedRow],
    migrations: &[Migration],
) -> Result<(), MigrateError> {
    for row in applied.iter().filter(|r| {
        r.checksum
            .as_deref()
            .is_some_and(|c| revised_from(&r.version, c))
    }) {
        if let Some(m) = migrations.iter().find(|m| m.version == row.version) {
            client
                .execute(
                    "UPDATE migrations SET checksum = $2 WHERE version = $1 AND checksum = $3",
                    &[&m.version, &m.checksum, &row.checksum],
                )
                .await?;
            tracing::info!(version = %m.version, "recorded the checksum of a revised migration (applied in its earlier form)");
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MigrationSource;

    /// Every revision names a migration this binary has, with a checksum its file no longer has.
    #[test]
    fn revisions_name_files_that_changed() {
        let migrations = MigrationSource::Embedded.load().unwrap();
        for (version, earlier) in REVISED {
            let m = migrations
                .iter()
                .find(|m| m.version == *version)
                .unwrap_or_else(|| panic!("{version} is not a migration"));
            assert_ne!(&m.checksum, earlier, "{version} is listed but unchanged");
            assert!(revised_from(version, earlier));
        }
        assert!(!revised_from("2026_11_26_02_10", &"0".repeat(64)));
    }
}
