//! What `sparky doctor` says about backups.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sparky_db::doctor::{Finding, Level};

use crate::cli::DbArgs;

use super::{backup_dir, list, STALE_AFTER};

/// The newest backup's age; or, when `sparky backup` could not read every row as this owner
/// (a managed database's plain owner), that backups must come from elsewhere.
pub async fn doctor_finding(db: &DbArgs, client: &tokio_postgres::Client) -> Finding {
    match super::dump::rows_hidden(client).await {
        Ok(Some(why)) => Finding {
            check: "backups",
            level: Level::Warning,
            message: format!(
                "`sparky backup` would refuse: {why}. Rely on your database provider's \
                 backups, or give `sparky backup` a DATABASE_URL of a role that may read every \
                 row (a superuser, or BYPASSRLS)"
            ),
        },
        Ok(None) => {
            let configured = std::env::var_os("SPARKY_BACKUP_DIR").map(PathBuf::from);
            let dir = backup_dir(db, configured.as_deref());
            finding_for(&dir, Utc::now())
        }
        Err(e) => Finding {
            check: "backups",
            level: Level::Warning,
            message: format!("cannot tell whether backups can read every row: {e:#}"),
        },
    }
}

pub(super) fn finding_for(dir: &Path, now: DateTime<Utc>) -> Finding {
    let (level, message) = match list(dir) {
        Ok(backups) => match backups.first() {
            Some((path, m)) => {
                let age = now - m.created_at;
                let text = format!(
                    "newest backup is {} old: {} ({}, schema version {})",
                    human_age(age),
                    path.display(),
                    human_size(m.size_bytes),
                    m.schema_version.as_deref().unwrap_or("none")
                );
                if age > STALE_AFTER {
                    (
                        Level::Warning,
                        format!("{text}; take one with `sparky backup`, or set SPARKY_BACKUP_TIME"),
                    )
                } else {
                    (Level::Ok, text)
                }
            }
            None => (
                Level::Warning,
                format!(
                    "no backup in {}: take one with `sparky backup`, or set SPARKY_BACKUP_TIME for daily backups",
                    dir.display()
                ),
            ),
        },
        Err(e) => (
            Level::Warning,
            format!("cannot read the backup directory: {e:#}"),
        ),
    };
    Finding {
        check: "backups",
        level,
        message,
    }
}

fn human_age(age: chrono::TimeDelta) -> String {
    let minutes = age.num_minutes().max(0);
    match minutes {
        0..=59 => format!("{minutes} min"),
        60..=2879 => format!("{} h", minutes / 60),
        _ => format!("{} days", minutes / 1440),
    }
}

pub(super) fn human_size(bytes: u64) -> String {
    match bytes {
        0..=1023 => format!("{bytes} B"),
        1024..=1_048_575 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MiB", bytes as f64 / 1_048_576.0),
    }
}
