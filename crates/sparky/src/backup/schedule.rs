//! The backups `serve` takes: before pending migrations change a database with data, and
//! daily at a set time.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Local, NaiveTime, TimeZone, Utc};
use sparky_db::Migrator;
use tokio_postgres::{Client, Config};

use crate::cli::DbArgs;

use super::dump::take;
use super::{backup_dir, prune, BackupTime, Kind, ScheduleArgs};

/// On the embedded default, backs up a database that has data before pending migrations
/// change it. A fresh, empty database is not backed up. Failing to back up stops `serve`:
/// better no upgrade than an upgrade without a way back.
pub async fn before_migrations(
    config: &Config,
    db: &DbArgs,
    args: &ScheduleArgs,
    migrator: &Migrator,
) -> anyhow::Result<()> {
    if db.database_url.is_some() {
        return Ok(());
    }
    let client = sparky_db::connect(config).await?;
    // A refused plan (modified or unknown migrations) is reported by the runner itself.
    let Ok(pending) = migrator.pending(&client).await else {
        return Ok(());
    };
    if pending.is_empty() || !has_data(&client).await? {
        return Ok(());
    }
    drop(client);
    let dir = backup_dir(db, args.backup_dir.as_deref());
    let (path, _) = take(config, &db.app_role, &dir, Kind::PreMigrate)
        .await
        .with_context(|| {
            format!(
                "backing up before applying {} migration(s) failed, so nothing was migrated \
                 (`sparky migrate up` applies them without a backup)",
                pending.len()
            )
        })?;
    tracing::info!(backup = %path.display(), pending = pending.len(), "backed up before migrating");
    for old in prune(&dir, Kind::PreMigrate, args.backup_keep)? {
        tracing::info!(backup = %old.display(), "deleted old pre-migration backup");
    }
    Ok(())
}

/// Whether anyone's data is in the database: accounts, or foods in the catalog.
async fn has_data(client: &Client) -> anyhow::Result<bool> {
    for table in ["public.users", "public.food_items"] {
        let exists: bool = client
            .query_one("SELECT to_regclass($1::text) IS NOT NULL", &[&table])
            .await?
            .get(0);
        if exists {
            let any: bool = client
                .query_one(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), &[])
                .await?
                .get(0);
            if any {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// The daily backup task; dropping this stops it (and a pg_dump it is running).
pub struct Scheduled(Option<tokio::task::JoinHandle<()>>);

impl Drop for Scheduled {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

pub fn schedule(config: &Config, db: &DbArgs, args: &ScheduleArgs) -> Scheduled {
    let BackupTime::Daily(at) = args.backup_time else {
        return Scheduled(None);
    };
    let config = config.clone();
    let app_role = db.app_role.clone();
    let dir = backup_dir(db, args.backup_dir.as_deref());
    let keep = args.backup_keep;
    tracing::info!(at = %at.format("%H:%M"), dir = %dir.display(), keep, "daily backups enabled");
    Scheduled(Some(tokio::spawn(async move {
        loop {
            let next = next_run(&Local::now(), at);
            sleep_until(next.with_timezone(&Utc)).await;
            match take(&config, &app_role, &dir, Kind::Scheduled).await {
                Ok((path, m)) => {
                    tracing::info!(backup = %path.display(), size = m.size_bytes, "scheduled backup done");
                    match prune(&dir, Kind::Scheduled, keep) {
                        Ok(old) => {
                            for p in old {
                                tracing::info!(backup = %p.display(), "deleted old scheduled backup");
                            }
                        }
                        Err(e) => tracing::error!("deleting old backups failed: {e:#}"),
                    }
                }
                // Tried again at the next scheduled time; `doctor` reports the growing age.
                Err(e) => tracing::error!("scheduled backup failed: {e:#}"),
            }
        }
    })))
}

/// The next time of day `at` strictly after `now` (a time skipped by a DST change moves on
/// by an hour).
pub fn next_run<Tz: TimeZone>(now: &DateTime<Tz>, at: NaiveTime) -> DateTime<Tz> {
    let tz = now.timezone();
    let mut day = now.date_naive();
    loop {
        let naive = day.and_time(at);
        let candidate = tz.from_local_datetime(&naive).earliest().or_else(|| {
            tz.from_local_datetime(&(naive + chrono::TimeDelta::hours(1)))
                .earliest()
        });
        if let Some(c) = candidate {
            if c > *now {
                return c;
            }
        }
        day = day.succ_opt().expect("a date before the end of time");
    }
}

/// Sleeps in short steps so a suspended machine or a clock change does not shift the backup.
async fn sleep_until(target: DateTime<Utc>) {
    loop {
        let left = target - Utc::now();
        if left <= chrono::TimeDelta::zero() {
            return;
        }
        let step = left
            .to_std()
            .unwrap_or_default()
            .min(Duration::from_secs(300));
        tokio::time::sleep(step).await;
    }
}
