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

use std::fmt::Write as _;
use std::fs;
use std::io::{BufReader, Read, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use chrono::{DateTime, Local, NaiveTime, TimeZone, Utc};
use clap::Args;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sparky_db::doctor::{Finding, Level};
use sparky_db::{roles, MigrationSource, Migrator};
use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config};

use crate::cli::{DbArgs, MigrationArgs};

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
    let summary = crate::commands::with_database(db, async |located| {
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
// Taking a backup

/// Writes a backup of the database behind `config` into `dir`; returns the dump's path.
pub async fn take(
    config: &Config,
    app_role: &str,
    dir: &Path,
    kind: Kind,
) -> anyhow::Result<(PathBuf, Manifest)> {
    let client = sparky_db::connect(config)
        .await
        .context("connecting to the database to back it up")?;
    let info = ServerInfo::read(&client).await?;
    let schema_version = schema_version(&client).await?;
    drop(client);

    let major = info.major;
    let pg_dump = tokio::task::spawn_blocking(move || find_tool("pg_dump", Some(major))).await??;

    create_private_dir(dir)?;
    remove_stale_partials(dir);
    let created_at = Utc::now();
    let base = unused_base_name(dir, created_at, kind);
    let file_name = format!("{base}.dump");
    let dump_path = dir.join(&file_name);
    let partial = dir.join(format!("{file_name}.partial"));

    let (conninfo, password) = conninfo(config)?;
    let mut cmd = tokio::process::Command::new(&pg_dump.path);
    cmd.args([
        "--format=custom",
        "--compress=6",
        // Waiting forever behind an exclusive lock (a running migration) helps no one.
        "--lock-wait-timeout=60000",
        "--no-password",
    ])
    .arg(format!("--file={}", partial.display()))
    .arg(format!("--dbname={conninfo}"))
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    // If serve stops mid-backup, the dump stops with it (the partial file is cleaned up later).
    .kill_on_drop(true);
    if let Some(pw) = &password {
        cmd.env("PGPASSWORD", pw);
    }
    let out = cmd
        .output()
        .await
        .with_context(|| format!("running {}", pg_dump.path.display()))?;
    if !out.status.success() {
        let _ = fs::remove_file(&partial);
        bail!(
            "pg_dump failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }

    let (sha256, size_bytes) = {
        let partial = partial.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<(String, u64)> {
            fs::set_permissions(&partial, fs::Permissions::from_mode(0o600))?;
            fs::File::open(&partial)?.sync_all()?;
            sha256_file(&partial)
        })
        .await??
    };
    fs::rename(&partial, &dump_path)
        .with_context(|| format!("renaming {} to {}", partial.display(), dump_path.display()))?;
    write_private(
        &dir.join(format!("{file_name}.sha256")),
        format!("{sha256}  {file_name}\n").as_bytes(),
    )?;
    let manifest = Manifest {
        format: FORMAT.to_string(),
        file: file_name,
        sha256,
        size_bytes,
        created_at,
        kind,
        schema_version,
        sparky_version: env!("CARGO_PKG_VERSION").to_string(),
        server_version: info.version,
        pg_dump_version: pg_dump.version,
        database: info.database,
        owner_role: info.user,
        app_role: app_role.to_string(),
    };
    // Written last: a manifest means the backup is complete.
    write_private(
        &dir.join(format!("{base}.json")),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    Ok((dump_path, manifest))
}

struct ServerInfo {
    version: String,
    major: u32,
    database: String,
    user: String,
}

impl ServerInfo {
    async fn read(client: &Client) -> anyhow::Result<ServerInfo> {
        let row = client
            .query_one(
                "SELECT current_setting('server_version'), current_setting('server_version_num')::int,
                        current_database()::text, current_user::text",
                &[],
            )
            .await?;
        Ok(ServerInfo {
            version: row.get(0),
            major: u32::try_from(row.get::<_, i32>(1) / 10_000).unwrap_or(0),
            database: row.get(2),
            user: row.get(3),
        })
    }
}

async fn schema_version(client: &Client) -> anyhow::Result<Option<String>> {
    let tracked: bool = client
        .query_one("SELECT to_regclass('public.migrations') IS NOT NULL", &[])
        .await?
        .get(0);
    if !tracked {
        return Ok(None);
    }
    Ok(client
        .query_one("SELECT max(version) FROM public.migrations", &[])
        .await?
        .get(0))
}

fn unused_base_name(dir: &Path, at: DateTime<Utc>, kind: Kind) -> String {
    let stem = format!("sparky-{}-{}", at.format("%Y%m%dT%H%M%SZ"), kind.as_str());
    let taken = |base: &str| {
        dir.join(format!("{base}.dump")).exists()
            || dir.join(format!("{base}.json")).exists()
            || dir.join(format!("{base}.dump.partial")).exists()
    };
    let mut base = stem.clone();
    let mut n = 2;
    while taken(&base) {
        base = format!("{stem}-{n}");
        n += 1;
    }
    base
}

/// Removes `.partial` dumps left by a backup that was interrupted more than a day ago.
fn remove_stale_partials(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(86_400));
        let name = e.file_name().to_string_lossy().into_owned();
        if old && name.starts_with("sparky-") && name.ends_with(".dump.partial") {
            let _ = fs::remove_file(&path);
        }
    }
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating the backup directory {}", dir.display()))
}

/// Backups hold password hashes and health data: readable by their owner only.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f =
            fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

fn sha256_file(path: &Path) -> anyhow::Result<(String, u64)> {
    let mut file = fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
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

// ---------------------------------------------------------------------------------------
// Restoring

/// Checks the dump against its checksum file and that pg_restore can read it; returns the
/// manifest when there is one. Nothing is changed anywhere.
fn verify(file: &Path) -> anyhow::Result<Option<Manifest>> {
    let meta = fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
    if !meta.is_file() {
        bail!("{} is not a file", file.display());
    }
    let sum_path = PathBuf::from(format!("{}.sha256", file.display()));
    let recorded = match fs::read_to_string(&sum_path) {
        Ok(text) => text
            .split_whitespace()
            .next()
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| anyhow!("{} does not hold a SHA-256 checksum", sum_path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{} has no checksum file {} next to it, so it cannot be verified; nothing was restored",
            file.display(),
            sum_path.display()
        ),
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("reading {}", sum_path.display())))
        }
    };
    let (actual, _) = sha256_file(file)?;
    if actual != recorded {
        bail!(
            "{} is corrupted or incomplete: its SHA-256 is {actual}, but {} records {recorded}. \
             Nothing was restored; use another backup",
            file.display(),
            sum_path.display()
        );
    }
    let manifest_path = file.with_extension("json");
    let manifest = match fs::read_to_string(&manifest_path) {
        Ok(text) => {
            let m: Manifest = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a backup manifest", manifest_path.display()))?;
            if m.sha256 != actual {
                bail!(
                    "{} describes another dump (checksum {}), not {}; nothing was restored",
                    manifest_path.display(),
                    m.sha256,
                    file.display()
                );
            }
            Some(m)
        }
        Err(_) => {
            tracing::warn!(manifest = %manifest_path.display(), "no manifest next to the backup; restoring without its schema version and roles");
            None
        }
    };
    // A file with a matching checksum can still be something other than a dump.
    let pg_restore = find_tool("pg_restore", None)?;
    let out = Command::new(&pg_restore.path)
        .arg("--list")
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {}", pg_restore.path.display()))?;
    if !out.status.success() {
        bail!(
            "{} is not a backup pg_restore {} can read: {}",
            file.display(),
            pg_restore.version,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(manifest)
}

/// Refuses, before anything changes, a backup this binary cannot serve or whose grants name
/// another request role.
fn check_compatible(m: &Manifest, db: &DbArgs, migrator: &Migrator) -> anyhow::Result<()> {
    if m.app_role != db.app_role {
        bail!(
            "the backup's grants and policies are for the request role {:?}, but this Sparky uses {:?}; \
             restore with SPARKY_APP_ROLE={} (nothing was restored)",
            m.app_role,
            db.app_role,
            m.app_role
        );
    }
    let newest_known = migrator
        .migrations()
        .iter()
        .map(|x| x.version.as_str())
        .max();
    if let (Some(theirs), Some(ours)) = (m.schema_version.as_deref(), newest_known) {
        if theirs > ours {
            bail!(
                "the backup has schema version {theirs}, newer than this Sparky knows ({ours}): \
                 it was made by a newer Sparky; restore it with that version (nothing was restored)"
            );
        }
    }
    Ok(())
}

async fn restore_into(
    config: &Config,
    db: &DbArgs,
    file: &Path,
    manifest: Option<&Manifest>,
    force: bool,
    migrator: &Migrator,
) -> anyhow::Result<String> {
    let client = sparky_db::connect(config)
        .await
        .context("connecting to the database to restore into")?;
    let info = ServerInfo::read(&client).await?;

    // Sessions of a server that was just stopped take a moment to end.
    let mut others: i64 = 0;
    for attempt in 0..25 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        others = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()
                   AND backend_type = 'client backend'",
                &[],
            )
            .await?
            .get(0);
        if others == 0 {
            break;
        }
    }
    if others > 0 {
        bail!(
            "{others} other session(s) are connected to database {} (is `sparky serve` running?); \
             stop them before restoring. Nothing was restored",
            info.database
        );
    }

    let contents = client
        .query(
            "SELECT n.nspname || '.' || c.relname
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
               AND n.nspname NOT IN ('pg_catalog', 'information_schema')
               AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
             ORDER BY c.relkind <> 'r', 1",
            &[],
        )
        .await?;
    let empty = contents.is_empty();
    if !empty && !force {
        let names: Vec<String> = contents.iter().take(5).map(|r| r.get(0)).collect();
        bail!(
            "database {} is not empty ({} tables and other relations, e.g. {}). Restore into an \
             empty data directory or database, or pass --force to replace everything in it. \
             Nothing was restored",
            info.database,
            contents.len(),
            names.join(", ")
        );
    }

    // The grants in the dump name the request role, so it must exist first.
    // On the embedded cluster requests log in as the role itself (see sparky_db::locate).
    roles::ensure_app_role(&client, &db.app_role, db.database_url.is_none()).await?;

    // Policies for the owner role name it; restoring as another owner moves them to that role.
    let old_owner = manifest
        .map(|m| m.owner_role.clone())
        .filter(|o| *o != info.user);
    if let Some(old) = &old_owner {
        let exists = client
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[old])
            .await?
            .is_some();
        if !exists {
            bail!(
                "the backup was made with owner role {old:?}, whose policies name it, and that role \
                 does not exist here (you restore as {:?}). Create it first \
                 (CREATE ROLE {} NOLOGIN;) or restore as {old:?}. Nothing was restored",
                info.user,
                quote_ident(old)
            );
        }
    }
    drop(client);

    let major = info.major;
    let (pg_restore, psql) = tokio::task::spawn_blocking(move || {
        Ok::<_, anyhow::Error>((
            find_tool("pg_restore", Some(major))?,
            find_tool("psql", Some(major))?,
        ))
    })
    .await??;

    let mut prelude = String::new();
    if !empty {
        prelude.push_str(REPLACE_EVERYTHING);
    }
    let postlude = old_owner
        .as_deref()
        .map(move_owner_policies)
        .unwrap_or_default();
    let (conninfo, password) = conninfo(config)?;
    let file_owned = file.to_path_buf();
    tokio::task::spawn_blocking(move || {
        run_restore(
            &pg_restore.path,
            &psql.path,
            &file_owned,
            &conninfo,
            password.as_deref(),
            &prelude,
            &postlude,
        )
    })
    .await??;

    let client = sparky_db::connect(config).await?;
    // Restored tables have no planner statistics yet.
    client.batch_execute("ANALYZE").await?;
    let pending = migrator.pending(&client).await.map(|p| p.len());

    let mut summary = format!(
        "restored {} into database {}",
        file.display(),
        info.database
    );
    if let Some(m) = manifest {
        let _ = write!(
            summary,
            " (backed up {}, schema version {})",
            m.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
            m.schema_version.as_deref().unwrap_or("none")
        );
    }
    match pending {
        Ok(0) => summary.push_str("; the schema is current"),
        Ok(n) => {
            let _ = write!(
                summary,
                "; {n} newer migration(s) will be applied by the next `sparky serve` (or `sparky migrate up`)"
            );
        }
        Err(e) => {
            let _ = write!(summary, "; note: {e}");
        }
    }
    Ok(summary)
}

/// Drops every schema, in the same transaction as the restore, so a failed restore leaves the
/// database as it was. `public` comes back as PostgreSQL 15 creates it.
const REPLACE_EVERYTHING: &str = "
DO $$
DECLARE s name;
BEGIN
    FOR s IN SELECT nspname FROM pg_catalog.pg_namespace
             WHERE nspname NOT IN ('pg_catalog', 'information_schema')
               AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'
    LOOP
        EXECUTE pg_catalog.format('DROP SCHEMA %I CASCADE', s);
    END LOOP;
END $$;
CREATE SCHEMA public;
ALTER SCHEMA public OWNER TO pg_database_owner;
GRANT USAGE ON SCHEMA public TO PUBLIC;
";

fn move_owner_policies(old: &str) -> String {
    let old = quote_literal(old);
    format!(
        "
DO $$
DECLARE p record;
BEGIN
    FOR p IN SELECT schemaname, tablename, policyname, roles FROM pg_catalog.pg_policies
             WHERE {old} = ANY (roles)
    LOOP
        EXECUTE pg_catalog.format('ALTER POLICY %I ON %I.%I TO %s', p.policyname, p.schemaname, p.tablename,
            (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(CASE WHEN r = {old} THEN current_user::name ELSE r END), ', ')
             FROM pg_catalog.unnest(p.roles) AS r));
    END LOOP;
END $$;
"
    )
}

/// `pg_restore` turns the dump into SQL, which psql runs inside one transaction with the
/// prelude and postlude. COMMIT is sent only once pg_restore has finished successfully; on any
/// failure psql is stopped first, and PostgreSQL rolls everything back.
fn run_restore(
    pg_restore: &Path,
    psql: &Path,
    file: &Path,
    conninfo: &str,
    password: Option<&str>,
    prelude: &str,
    postlude: &str,
) -> anyhow::Result<()> {
    let mut restore = Command::new(pg_restore)
        // Objects belong to whoever restores them: the owner role of this installation.
        .args(["--no-owner", "--file=-"])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", pg_restore.display()))?;
    let mut sql = Command::new(psql);
    sql.args([
        "--no-psqlrc",
        "--quiet",
        "--no-password",
        "--set=ON_ERROR_STOP=1",
    ])
    .arg(format!("--dbname={conninfo}"))
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    if let Some(pw) = password {
        sql.env("PGPASSWORD", pw);
    }
    let mut sql = match sql.spawn() {
        Ok(c) => c,
        Err(e) => {
            let _ = restore.kill();
            let _ = restore.wait();
            return Err(anyhow::Error::new(e).context(format!("running {}", psql.display())));
        }
    };
    let restore_err = drain(restore.stderr.take());
    let sql_err = drain(sql.stderr.take());
    let mut script = restore.stdout.take().expect("piped");
    let mut input = sql.stdin.take().expect("piped");

    let relayed = (|| -> std::io::Result<()> {
        input.write_all(b"BEGIN;\n")?;
        input.write_all(prelude.as_bytes())?;
        std::io::copy(&mut script, &mut input)?;
        Ok(())
    })();
    if relayed.is_err() {
        // psql stopped reading (an SQL error); pg_restore would block on a full pipe.
        let _ = restore.kill();
    }
    drop(script);
    let restore_status = restore.wait().context("waiting for pg_restore")?;
    let committed = relayed.is_ok()
        && restore_status.success()
        && input
            .write_all(format!("{postlude}\nCOMMIT;\n").as_bytes())
            .is_ok();
    if !committed {
        let _ = sql.kill();
    }
    drop(input);
    let sql_status = sql.wait().context("waiting for psql")?;
    let restore_err = restore_err.join().unwrap_or_default();
    let sql_err = sql_err.join().unwrap_or_default();
    if committed && sql_status.success() {
        return Ok(());
    }
    let mut why = String::new();
    if !restore_status.success() {
        let _ = write!(
            why,
            "pg_restore failed ({restore_status}): {}",
            restore_err.trim()
        );
    }
    if !sql_err.trim().is_empty() {
        if !why.is_empty() {
            why.push_str("; ");
        }
        let _ = write!(why, "{}", sql_err.trim());
    }
    if why.is_empty() {
        why = format!("psql exited with {sql_status}");
    }
    bail!("the restore failed and was rolled back, nothing changed: {why}")
}

fn drain<R: Read + Send + 'static>(r: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(r) = r {
            let _ = BufReader::new(r).read_to_string(&mut s);
        }
        s
    })
}

// ---------------------------------------------------------------------------------------
// serve: before migrations, and on a schedule

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

// ---------------------------------------------------------------------------------------
// doctor

pub fn doctor_finding(db: &DbArgs) -> Finding {
    let configured = std::env::var_os("SPARKY_BACKUP_DIR").map(PathBuf::from);
    let dir = backup_dir(db, configured.as_deref());
    finding_for(&dir, Utc::now())
}

fn finding_for(dir: &Path, now: DateTime<Utc>) -> Finding {
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

fn human_size(bytes: u64) -> String {
    match bytes {
        0..=1023 => format!("{bytes} B"),
        1024..=1_048_575 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MiB", bytes as f64 / 1_048_576.0),
    }
}

// ---------------------------------------------------------------------------------------
// PostgreSQL client programs and connection strings

#[derive(Debug, Clone)]
pub struct Tool {
    pub path: PathBuf,
    pub major: u32,
    pub version: String,
}

/// Finds `program` (pg_dump, pg_restore, psql) where the embedded cluster looks for server
/// binaries: `pg_config --bindir`, `/usr/lib/postgresql/<N>/bin` (newest first), then `PATH`.
/// The server's major version is preferred; a newer one works too (they read older servers
/// and dumps), an older one does not.
pub fn find_tool(program: &str, server_major: Option<u32>) -> anyhow::Result<Tool> {
    let mut found: Vec<Tool> = Vec::new();
    for path in candidates(program) {
        if let Some((major, version)) = tool_version(&path) {
            found.push(Tool {
                path,
                major,
                version,
            });
        }
    }
    let pick = match server_major {
        Some(want) => found.iter().find(|t| t.major == want).or_else(|| {
            found
                .iter()
                .filter(|t| t.major > want)
                .max_by_key(|t| t.major)
        }),
        None => found.iter().max_by_key(|t| t.major),
    };
    if let Some(t) = pick {
        return Ok(t.clone());
    }
    let seen = if found.is_empty() {
        "none".to_string()
    } else {
        found
            .iter()
            .map(|t| format!("{} ({})", t.path.display(), t.version))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let want = server_major.map_or(String::new(), |m| format!(" for PostgreSQL {m} or newer"));
    let package = server_major.map_or("postgresql-client".to_string(), |m| {
        format!("postgresql-client-{m}")
    });
    bail!(
        "{program}{want} was not found (looked at `pg_config --bindir`, /usr/lib/postgresql/<N>/bin \
         and PATH; found: {seen}); install the PostgreSQL client programs (Debian/Ubuntu: \
         `apt-get install {package}`)"
    )
}

fn candidates(program: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut push = |p: PathBuf| {
        if p.is_file() {
            let canon = fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
            if !paths
                .iter()
                .any(|q| fs::canonicalize(q).unwrap_or_else(|_| q.clone()) == canon)
            {
                paths.push(p);
            }
        }
    };
    if let Ok(out) = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .output()
    {
        if out.status.success() {
            push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join(program));
        }
    }
    if let Ok(entries) = fs::read_dir("/usr/lib/postgresql") {
        let mut versioned: Vec<(u32, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                Some((v, e.path().join("bin").join(program)))
            })
            .collect();
        versioned.sort_by_key(|v| std::cmp::Reverse(v.0));
        for (_, p) in versioned {
            push(p);
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            push(dir.join(program));
        }
    }
    paths
}

/// `pg_dump (PostgreSQL) 15.10 (Debian 15.10-0+deb12u1)` → (15, "15.10").
fn tool_version(path: &Path) -> Option<(u32, String)> {
    let out = Command::new(path)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    parse_tool_version(&String::from_utf8_lossy(&out.stdout))
}

fn parse_tool_version(text: &str) -> Option<(u32, String)> {
    let rest = text.split_once("(PostgreSQL)")?.1;
    let version = rest.split_whitespace().next()?.to_string();
    let digits: String = version.chars().take_while(|c| c.is_ascii_digit()).collect();
    Some((digits.parse().ok()?, version))
}

/// A libpq connection string for the client programs, and the password (passed in the
/// environment, never on a command line other users can read).
fn conninfo(config: &Config) -> anyhow::Result<(String, Option<String>)> {
    let mut parts: Vec<String> = Vec::new();
    let mut add = |k: &str, v: &str| parts.push(format!("{k}={}", conninfo_quote(v)));
    match config.get_hosts().first() {
        Some(Host::Unix(path)) => add(
            "host",
            path.to_str()
                .ok_or_else(|| anyhow!("the socket directory {} is not UTF-8", path.display()))?,
        ),
        Some(Host::Tcp(host)) => add("host", host),
        None => {}
    }
    if let Some(port) = config.get_ports().first() {
        add("port", &port.to_string());
    }
    if let Some(user) = config.get_user() {
        add("user", user);
    }
    if let Some(dbname) = config.get_dbname() {
        add("dbname", dbname);
    }
    if let Some(options) = config.get_options() {
        add("options", options);
    }
    let sslmode = match config.get_ssl_mode() {
        tokio_postgres::config::SslMode::Disable => Some("disable"),
        tokio_postgres::config::SslMode::Require => Some("require"),
        _ => None,
    };
    if let Some(mode) = sslmode {
        add("sslmode", mode);
    }
    add("application_name", "sparky-backup");
    let password = config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    Ok((parts.join(" "), password))
}

fn conninfo_quote(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, NaiveDate};

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
