//! Backups that restore: `sparky backup`, `sparky restore`, the daily and pre-migration
//! backups `serve` takes, and the newest backup's age for `sparky doctor`.
//!
//! A backup is three files side by side in the backup directory:
//!
//! - `sparky-<UTC time>-<kind>.dump` — `pg_dump` custom format: one consistent snapshot,
//!   compressed, restorable with `pg_restore`;
//! - `<that>.dump.sha256` — its SHA-256 in `sha256sum` format (`sha256sum -c` checks it);
//! - `sparky-<UTC time>-<kind>.json` — the manifest: schema version (newest applied migration),
//!   PostgreSQL and pg_dump versions, owner and request roles, size and checksum.
//!
//! The manifest is written last, so a backup without one is unfinished and is ignored.
//! The client programs are looked up where the embedded cluster looks for its server binaries,
//! preferring the server's major version (pg_dump refuses servers newer than itself).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, NaiveTime, Utc};
use clap::Args;
use serde::{Deserialize, Serialize};
use sparky_db::{MigrationSource, Migrator};

use crate::cli::{DbArgs, MigrationArgs};

use doctor::human_size;
pub(crate) use dump::take;
use restore::{check_compatible, restore_into, verify};

mod doctor;
mod dump;
mod restore;
mod schedule;
mod tools;

pub use doctor::doctor_finding;
pub(crate) use restore::other_sessions;
pub use schedule::{before_migrations, schedule};

/// Manifest format; bumped when a field changes meaning.
const FORMAT: &str = "sparky-backup/1";

/// `doctor` warns when the newest backup is older than this.
const STALE_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(2);

#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// Directory to write the backup to [default: <data dir>/backups].
    #[arg(long = "to", value_name = "DIR", env = "SPARKY_BACKUP_DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The .dump file written by `sparky backup` (its .sha256 file must lie next to it).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Replace everything in a database that is not empty.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub migrations: MigrationArgs,
}

/// Scheduled backups of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ScheduleArgs {
    /// Take a backup every day at this time (HH:MM, 24-hour, the server's local time), or
    /// `off`.
    #[arg(long, env = "SPARKY_BACKUP_TIME", default_value = "off", value_parser = parse_backup_time)]
    pub backup_time: BackupTime,
    /// How many scheduled backups to keep (older ones are deleted); the same number of
    /// pre-migration backups is kept. Backups taken with `sparky backup` are never deleted.
    #[arg(long, env = "SPARKY_BACKUP_KEEP", default_value_t = 7,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub backup_keep: u32,
    /// Directory for scheduled and pre-migration backups [default: <data dir>/backups].
    #[arg(long, env = "SPARKY_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupTime {
    Off,
    Daily(NaiveTime),
}

fn parse_backup_time(s: &str) -> Result<BackupTime, String> {
    let s = s.trim();
    if ["", "off", "false", "no", "none"].contains(&s.to_ascii_lowercase().as_str()) {
        return Ok(BackupTime::Off);
    }
    NaiveTime::parse_from_str(s, "%H:%M")
        .map(BackupTime::Daily)
        .map_err(|_| format!("{s:?} is not a time: use HH:MM (24-hour, e.g. 03:30) or off"))
}

/// Why a backup was taken; scheduled and pre-migration backups are pruned separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Manual,
    Scheduled,
    PreMigrate,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Manual => "manual",
            Kind::Scheduled => "scheduled",
            Kind::PreMigrate => "pre-migrate",
        }
    }
}

/// The `.json` written next to each dump.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    /// The dump's file name (in the same directory).
    pub file: String,
    pub sha256: String,
    pub size_bytes: u64,
    pub created_at: DateTime<Utc>,
    pub kind: Kind,
    /// Newest applied migration; `None` for a database Sparky never migrated.
    pub schema_version: Option<String>,
    pub sparky_version: String,
    pub server_version: String,
    pub pg_dump_version: String,
    pub database: String,
    /// The role that owned the schema; its policies name it.
    pub owner_role: String,
    /// The request role the grants and policies name.
    pub app_role: String,
}

/// `SPARKY_BACKUP_DIR` (or a flag), else `<data dir>/backups`.
pub fn backup_dir(db: &DbArgs, configured: Option<&Path>) -> PathBuf {
    match configured {
        Some(dir) => dir.to_path_buf(),
        None => db.data_dir.join("backups"),
    }
}

// ---------------------------------------------------------------------------------------
// Commands

pub async fn backup_command(db: &DbArgs, args: BackupArgs) -> anyhow::Result<ExitCode> {
    let dir = backup_dir(db, args.dir.as_deref());
    let (path, manifest) = crate::commands::with_database(db, async |located| {
        take(located.owner.config(), &db.app_role, &dir, Kind::Manual).await
    })
    .await?;
    println!("{}", path.display());
    eprintln!(
        "backed up database {} ({}, schema version {}) to {}",
        manifest.database,
        human_size(manifest.size_bytes),
        manifest.schema_version.as_deref().unwrap_or("none"),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn restore_command(db: &DbArgs, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    // Everything about the file is checked before the database is touched (or started).
    let file = args.file.clone();
    let manifest = tokio::task::spawn_blocking(move || verify(&file)).await??;
    let migrator = restore_migrator(db, &args.migrations)?;
    if let Some(m) = &manifest {
        check_compatible(m, db, &migrator)?;
    }
    let file = args.file.clone();
    // A restore may start from an empty data directory: it makes the cluster.
    let summary = crate::commands::with_database_creating(db, async |located| {
        restore_into(
            located.owner.config(),
            db,
            &file,
            manifest.as_ref(),
            args.force,
            &migrator,
        )
        .await
    })
    .await?;
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}

fn restore_migrator(db: &DbArgs, args: &MigrationArgs) -> anyhow::Result<Migrator> {
    let source = match &args.migrations_dir {
        Some(dir) => MigrationSource::Directory(dir.clone()),
        None => MigrationSource::Embedded,
    };
    Ok(Migrator::new(source, &db.app_role)?.allow_out_of_order(args.allow_out_of_order))
}

// ---------------------------------------------------------------------------------------
// Listing and pruning

/// Complete backups in `dir` (manifest and dump present), newest first.
pub fn list(dir: &Path) -> anyhow::Result<Vec<(PathBuf, Manifest)>> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("reading {}", dir.display()))),
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        if path.extension() != Some(std::ffi::OsStr::new("json")) {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        let Ok(m) = serde_json::from_str::<Manifest>(&text) else {
            continue;
        };
        // A manifest only ever names a file beside it; pruning deletes what it names.
        let plain_name = Path::new(&m.file).file_name() == Some(std::ffi::OsStr::new(&m.file));
        let dump = dir.join(&m.file);
        if m.format == FORMAT && plain_name && dump.is_file() {
            out.push((dump, m));
        }
    }
    out.sort_by_key(|b| std::cmp::Reverse(b.1.created_at));
    Ok(out)
}

/// Deletes the backups of `kind` beyond the newest `keep`; returns the dumps deleted.
pub fn prune(dir: &Path, kind: Kind, keep: u32) -> anyhow::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for (dump, m) in list(dir)?
        .into_iter()
        .filter(|(_, m)| m.kind == kind)
        .skip(keep as usize)
    {
        let json = dump.with_extension("json");
        let sha = dir.join(format!("{}.sha256", m.file));
        // The manifest first: a backup without one no longer counts, whatever happens next.
        for path in [&json, &dump, &sha] {
            match fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(
                        anyhow::Error::new(e).context(format!("deleting {}", path.display()))
                    )
                }
            }
        }
        removed.push(dump);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::doctor::finding_for;
    use super::schedule::next_run;
    use super::tools::{conninfo, conninfo_quote, parse_tool_version};
    use super::*;
    use chrono::TimeZone;
    use chrono::{FixedOffset, NaiveDate};
    use sparky_db::doctor::Level;
    use tokio_postgres::Config;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn backup_time_parses_times_and_off() {
        assert_eq!(parse_backup_time("03:30"), Ok(BackupTime::Daily(t(3, 30))));
        assert_eq!(
            parse_backup_time(" 23:05 "),
            Ok(BackupTime::Daily(t(23, 5)))
        );
        assert_eq!(parse_backup_time("off"), Ok(BackupTime::Off));
        assert_eq!(parse_backup_time("OFF"), Ok(BackupTime::Off));
        assert_eq!(parse_backup_time(""), Ok(BackupTime::Off));
        for bad in ["3.30", "25:00", "03:60", "noon", "03:30:00x"] {
            let err = parse_backup_time(bad).unwrap_err();
            assert!(err.contains("HH:MM"), "{bad}: {err}");
        }
    }

    #[test]
    fn next_run_is_later_today_or_tomorrow() {
        let tz = FixedOffset::east_opt(2 * 3600).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let now = tz.from_local_datetime(&day.and_time(t(1, 0))).unwrap();
        assert_eq!(
            next_run(&now, t(3, 30)).naive_local(),
            day.and_time(t(3, 30))
        );
        let now = tz.from_local_datetime(&day.and_time(t(3, 30))).unwrap();
        assert_eq!(
            next_run(&now, t(3, 30)).naive_local(),
            day.succ_opt().unwrap().and_time(t(3, 30)),
            "exactly at the time: the next one is tomorrow"
        );
        let now = Utc.from_utc_datetime(&day.and_time(t(23, 59)));
        assert_eq!(
            next_run(&now, t(0, 0)).naive_utc(),
            day.succ_opt().unwrap().and_time(t(0, 0))
        );
    }

    #[test]
    fn tool_versions_parse() {
        assert_eq!(
            parse_tool_version("pg_dump (PostgreSQL) 15.10 (Debian 15.10-0+deb12u1)\n"),
            Some((15, "15.10".to_string()))
        );
        assert_eq!(
            parse_tool_version("psql (PostgreSQL) 17beta1"),
            Some((17, "17beta1".to_string()))
        );
        assert_eq!(parse_tool_version("something else"), None);
    }

    #[test]
    fn conninfo_quotes_and_keeps_the_password_out() {
        let config: Config = "postgresql://fit:s3cret@db.example:5433/sparky?options=-c%20x%3D1"
            .parse()
            .unwrap();
        let (info, password) = conninfo(&config).unwrap();
        assert!(info.contains("host='db.example'"), "{info}");
        assert!(info.contains("port='5433'"), "{info}");
        assert!(info.contains("user='fit'"), "{info}");
        assert!(info.contains("dbname='sparky'"), "{info}");
        assert!(!info.contains("s3cret"), "{info}");
        assert_eq!(password.as_deref(), Some("s3cret"));
        assert_eq!(conninfo_quote(r"a'b\c"), r"'a\'b\\c'");
    }

    fn manifest(file: &str, kind: Kind, at: DateTime<Utc>) -> Manifest {
        Manifest {
            format: FORMAT.to_string(),
            file: file.to_string(),
            sha256: "0".repeat(64),
            size_bytes: 10,
            created_at: at,
            kind,
            schema_version: Some("2026_01_01_00_00".into()),
            sparky_version: "0".into(),
            server_version: "15".into(),
            pg_dump_version: "15".into(),
            database: "sparky".into(),
            owner_role: "sparky".into(),
            app_role: "sparky_app".into(),
        }
    }

    fn put(dir: &Path, base: &str, kind: Kind, at: DateTime<Utc>) {
        let file = format!("{base}.dump");
        fs::write(dir.join(&file), b"x").unwrap();
        fs::write(dir.join(format!("{file}.sha256")), b"x").unwrap();
        fs::write(
            dir.join(format!("{base}.json")),
            serde_json::to_string(&manifest(&file, kind, at)).unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn prune_keeps_the_newest_of_one_kind_only() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now();
        for i in 0..5 {
            put(
                dir.path(),
                &format!("s{i}"),
                Kind::Scheduled,
                now - chrono::TimeDelta::days(i),
            );
        }
        put(
            dir.path(),
            "m",
            Kind::Manual,
            now - chrono::TimeDelta::days(30),
        );
        put(
            dir.path(),
            "p",
            Kind::PreMigrate,
            now - chrono::TimeDelta::days(31),
        );
        // An unfinished backup (no manifest) is not listed and not touched.
        fs::write(dir.path().join("half.dump"), b"x").unwrap();
        // Nor is a file outside the directory that a manifest names.
        let outside = tempfile::NamedTempFile::new().unwrap();
        let mut evil = manifest(
            outside.path().to_str().unwrap(),
            Kind::Scheduled,
            now - chrono::TimeDelta::days(100),
        );
        evil.file = outside.path().display().to_string();
        fs::write(
            dir.path().join("evil.json"),
            serde_json::to_string(&evil).unwrap(),
        )
        .unwrap();

        let removed = prune(dir.path(), Kind::Scheduled, 2).unwrap();
        assert_eq!(removed.len(), 3);
        let left: Vec<String> = list(dir.path())
            .unwrap()
            .into_iter()
            .map(|(_, m)| m.file)
            .collect();
        assert_eq!(left, ["s0.dump", "s1.dump", "m.dump", "p.dump"]);
        for gone in ["s2", "s3", "s4"] {
            for ext in [".dump", ".dump.sha256", ".json"] {
                assert!(!dir.path().join(format!("{gone}{ext}")).exists());
            }
        }
        assert!(dir.path().join("half.dump").exists());
        assert!(outside.path().exists());
    }

    #[test]
    fn doctor_warns_about_no_or_old_backups() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now();
        let f = finding_for(dir.path(), now);
        assert_eq!(f.level, Level::Warning);
        assert!(f.message.contains("no backup"), "{}", f.message);

        put(
            dir.path(),
            "a",
            Kind::Manual,
            now - chrono::TimeDelta::hours(50),
        );
        let f = finding_for(dir.path(), now);
        assert_eq!(f.level, Level::Warning, "{}", f.message);
        assert!(f.message.contains("2 days old"), "{}", f.message);

        put(
            dir.path(),
            "b",
            Kind::Scheduled,
            now - chrono::TimeDelta::hours(5),
        );
        let f = finding_for(dir.path(), now);
        assert_eq!(f.level, Level::Ok, "{}", f.message);
        assert!(f.message.contains("5 h old"), "{}", f.message);
        assert!(f.message.contains("b.dump"), "{}", f.message);
    }
}
