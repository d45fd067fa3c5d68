//! Taking a backup: `pg_dump` into a private directory, its checksum, then the manifest.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio_postgres::{Client, Config};

use super::tools::{conninfo, find_tool};
use super::{Kind, Manifest, FORMAT};

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
    rows_readable(&client).await?;
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
    // Health data: the file is the owner's only (0600) from its first byte, not once pg_dump
    // is done; made here, exclusively and without following a link, and handed to pg_dump.
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
            .mode(0o600)
            .open(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?
    };
    let mut cmd = tokio::process::Command::new(&pg_dump.path);
    cmd.args([
        "--format=custom",
        "--compress=6",
        // Waiting forever behind an exclusive lock (a running migration) helps no one.
        "--lock-wait-timeout=60000",
        "--no-password",
    ])
    .arg(format!("--dbname={conninfo}"))
    .stdin(Stdio::null())
    .stdout(Stdio::from(file))
    .stderr(Stdio::piped())
    // If serve stops mid-backup, the dump stops with it (the partial file is cleaned up later).
    .kill_on_drop(true);
    if let Some(pw) = &password {
        cmd.env("PGPASSWORD", pw);
    }
    // And if Sparky itself is killed outright, the kernel stops the dump too, instead of
    // leaving it running with the half-written file.
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM)
                .map_err(std::io::Error::from)
        });
    }
    // Spawned, not `output()`: that would take standard output back from the file.
    let out = cmd
        .spawn()
        .with_context(|| format!("running {}", pg_dump.path.display()))?
        .wait_with_output()
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

pub(super) struct ServerInfo {
    pub(super) version: String,
    pub(super) major: u32,
    pub(super) database: String,
    pub(super) user: String,
}

impl ServerInfo {
    pub(super) async fn read(client: &Client) -> anyhow::Result<ServerInfo> {
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

/// Refuses, saying what to do, when row level security would hide rows from `pg_dump`.
async fn rows_readable(client: &Client) -> anyhow::Result<()> {
    match rows_hidden(client).await? {
        Some(why) => bail!(
            "{why}. Keep the tables' FORCE; back up with your database provider's snapshots, or \
             run `sparky backup` with a DATABASE_URL of a role that may read every row (a \
             superuser, or BYPASSRLS with SELECT on the tables)"
        ),
        None => Ok(()),
    }
}

/// Why `pg_dump` would miss rows, if it would: a plain owner (neither superuser nor BYPASSRLS,
/// as on a managed database) is filtered by the FORCEd policies, and pg_dump stops at the
/// first such table with a hint to lift FORCE.
pub(super) async fn rows_hidden(client: &Client) -> anyhow::Result<Option<String>> {
    let row = client
        .query_one(
            "SELECT current_user::text, r.rolsuper OR r.rolbypassrls,
                    (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE c.relkind = 'r' AND c.relforcerowsecurity
                       AND n.nspname NOT IN ('pg_catalog', 'information_schema'))
             FROM pg_roles r WHERE r.rolname = current_user",
            &[],
        )
        .await
        .context("checking that the backup can read every row")?;
    let (role, exempt, forced): (String, bool, i64) = (row.get(0), row.get(1), row.get(2));
    Ok((!exempt && forced > 0).then(|| {
        format!(
            "{role} is neither a superuser nor BYPASSRLS, so row level security (forced on \
             {forced} tables) hides their rows from pg_dump and a backup would be incomplete"
        )
    }))
}

pub(super) async fn schema_version(client: &Client) -> anyhow::Result<Option<String>> {
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

pub(super) fn sha256_file(path: &Path) -> anyhow::Result<(String, u64)> {
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
