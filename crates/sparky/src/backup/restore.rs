//! Restoring: the dump checked against its checksum and manifest, then restored in one
//! transaction that replaces everything.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use sparky_db::{roles, Migrator};
use tokio_postgres::Config;

use crate::cli::DbArgs;

use super::dump::{sha256_file, ServerInfo};
use super::tools::{conninfo, find_tool, quote_ident, quote_literal};
use super::Manifest;

/// Checks the dump against its checksum file and that pg_restore can read it; returns the
/// manifest when there is one. Nothing is changed anywhere.
pub(super) fn verify(file: &Path) -> anyhow::Result<Option<Manifest>> {
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
pub(super) fn check_compatible(
    m: &Manifest,
    db: &DbArgs,
    migrator: &Migrator,
) -> anyhow::Result<()> {
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

/// How many other sessions use the database, after giving those of a server that was just
/// stopped a few seconds to end.
pub(crate) async fn other_sessions(client: &tokio_postgres::Client) -> anyhow::Result<i64> {
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
    Ok(others)
}

pub(super) async fn restore_into(
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

    let others = other_sessions(&client).await?;
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
