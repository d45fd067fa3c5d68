//! Sparky's migration runner (seed §Database Migrations).
//!
//! Files `db/migrations/YYYY_MM_DD_HH_MM_description.sql` are applied in version order, each
//! together with its row in the `migrations` table in one transaction. Concurrent runners
//! serialise on an advisory lock held by a dedicated connection, polled with
//! `pg_try_advisory_lock` so a waiting runner never sits in a transaction that a
//! `CREATE INDEX CONCURRENTLY` would wait for.

pub mod source;
pub mod sql;

mod apply;
mod ledger;
mod lock;
mod plan;

use chrono::{DateTime, Utc};
use tokio_postgres::Client;

pub use source::{Migration, MigrationSource, NO_TRANSACTION_MARKER};

use crate::{connect, roles, PgTarget};
use ledger::{read_applied, CREATE_TRACKING_TABLE};
use lock::{acquire_lock, LOCK_KEY};

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{0}")]
    Source(String),
    #[error("database error: {0}")]
    Db(#[from] tokio_postgres::Error),
    #[error(
        "migration {file} was changed after it was applied (recorded checksum {recorded}, file now {actual}). \
         Restore the original file, or after reviewing that the change is harmless run \
         `sparky migrate repair {version}` to accept it"
    )]
    Modified {
        file: String,
        version: String,
        recorded: String,
        actual: String,
    },
    #[error(
        "migration {file} is pending but older than the newest applied migration {newest_applied}. \
         Give it a newer timestamp (`sparky migrate new`), or apply it anyway with --allow-out-of-order"
    )]
    OutOfOrder {
        file: String,
        newest_applied: String,
    },
    #[error(
        "the database has applied migration(s) {} that this binary does not know: it was migrated \
         by a newer Sparky. Run that newer version (downgrades are not supported), or roll those \
         migrations back with the newer binary's `sparky migrate down`",
        versions.join(", ")
    )]
    Unknown { versions: Vec<String> },
    #[error("migration {file} failed at line {line}, column {column}: {message}. Nothing of it was applied")]
    Failed {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{0}")]
    Role(String),
    #[error("{0}")]
    Refused(String),
}

/// State of one migration as `sparky migrate status` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Applied,
    Pending,
    /// Applied, but the file's checksum differs from the recorded one.
    Modified,
    /// Applied in the database, no such file here.
    Unknown,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct StatusEntry {
    pub version: String,
    pub description: String,
    pub state: State,
    pub applied_at: Option<DateTime<Utc>>,
    pub execution_ms: Option<i64>,
    /// Pending, but older than the newest applied migration.
    pub out_of_order: bool,
    pub has_down: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    pub entries: Vec<StatusEntry>,
}

impl Status {
    pub fn count(&self, state: State) -> usize {
        self.entries.iter().filter(|e| e.state == state).count()
    }
    pub fn is_current(&self) -> bool {
        self.entries.iter().all(|e| e.state == State::Applied)
    }
}

/// What `run` did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct RunReport {
    pub applied: Vec<String>,
    /// True when this runner waited for another one holding the lock.
    pub waited_for_lock: bool,
}

#[derive(Debug, Clone)]
pub struct Migrator {
    migrations: Vec<Migration>,
    source: MigrationSource,
    app_role: String,
    app_role_login: bool,
    allow_out_of_order: bool,
}

impl Migrator {
    pub fn new(source: MigrationSource, app_role: &str) -> Result<Migrator, MigrateError> {
        roles::validate_role_name(app_role).map_err(MigrateError::Role)?;
        Ok(Migrator {
            migrations: source.load()?,
            source,
            app_role: app_role.to_string(),
            app_role_login: false,
            allow_out_of_order: false,
        })
    }

    /// Lets the request role log in, for requests that connect as it (the embedded cluster,
    /// where Sparky manages the roles). An external server's administrator gives it LOGIN
    /// and a password instead.
    pub fn request_role_login(mut self, login: bool) -> Self {
        self.app_role_login = login;
        self
    }

    pub fn allow_out_of_order(mut self, allow: bool) -> Self {
        self.allow_out_of_order = allow;
        self
    }

    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
    }

    pub fn source(&self) -> &MigrationSource {
        &self.source
    }

    /// The state of every migration, known or applied.
    pub async fn status(&self, client: &Client) -> Result<Status, MigrateError> {
        let applied = read_applied(client).await?;
        Ok(self.compare(&applied))
    }

    /// Checks that the database is current, without changing it; the error says why not.
    pub async fn verify(&self, client: &Client) -> Result<(), MigrateError> {
        let applied = read_applied(client).await?;
        let pending = self.plan(&applied)?;
        if let Some(m) = pending.first() {
            return Err(MigrateError::Refused(format!(
                "{} migration(s) pending, starting with {}; run `sparky migrate up`",
                pending.len(),
                m.file_name
            )));
        }
        Ok(())
    }

    /// The migrations `run` would apply now (for `--dry-run`).
    pub async fn pending(&self, client: &Client) -> Result<Vec<Migration>, MigrateError> {
        let applied = read_applied(client).await?;
        Ok(self.plan(&applied)?.into_iter().cloned().collect())
    }

    /// Applies every pending migration. Safe to call from several processes at once.
    pub async fn run(&self, target: impl Into<PgTarget>) -> Result<RunReport, MigrateError> {
        let target = target.into();
        let config = &target;
        let client = connect(config).await?;
        // Fast path: nothing to do means no lock and no writes.
        let applied = read_applied(&client).await?;
        if self.plan(&applied)?.is_empty() {
            roles::ensure_app_role(&client, &self.app_role, self.app_role_login).await?;
            return Ok(RunReport::default());
        }
        let lock = connect(config).await?;
        let waited = acquire_lock(&lock).await?;
        let result = self.run_locked(&client).await;
        // Released on every path; a lost connection releases it too.
        let _ = lock
            .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
            .await;
        let mut report = result?;
        report.waited_for_lock = waited;
        Ok(report)
    }

    /// Records a pending migration as applied without running it (the seed's manual mark).
    pub async fn mark_applied(&self, client: &Client, version: &str) -> Result<(), MigrateError> {
        let m = self.known(version)?;
        client.batch_execute(CREATE_TRACKING_TABLE).await?;
        let n = client
            .execute(
                "INSERT INTO migrations (version, description, checksum, execution_ms)
                 VALUES ($1, $2, $3, NULL) ON CONFLICT (version) DO NOTHING",
                &[&m.version, &m.description, &m.checksum],
            )
            .await?;
        if n == 0 {
            return Err(MigrateError::Refused(format!(
                "migration {version} is already recorded as applied"
            )));
        }
        Ok(())
    }

    /// Accepts the current checksum of an applied file after a reviewed change.
    pub async fn repair(&self, client: &Client, version: &str) -> Result<String, MigrateError> {
        let m = self.known(version)?;
        let old: Option<Option<String>> = client
            .query_opt(
                "SELECT checksum FROM migrations WHERE version = $1",
                &[&m.version],
            )
            .await?
            .map(|r| r.get(0));
        match old {
            None => Err(MigrateError::Refused(format!(
                "migration {version} is not applied; nothing to repair"
            ))),
            Some(Some(c)) if c == m.checksum => Err(MigrateError::Refused(format!(
                "migration {version} matches its recorded checksum; nothing to repair"
            ))),
            Some(_) => {
                client
                    .execute(
                        "UPDATE migrations SET checksum = $2, description = $3 WHERE version = $1",
                        &[&m.version, &m.checksum, &m.description],
                    )
                    .await?;
                Ok(m.checksum.clone())
            }
        }
    }

    /// Rolls back the newest applied migration, or with `to`, every applied migration from the
    /// newest down to and including `to`, newest first, each with its `.down.sql` file. Refuses
    /// before changing anything when one of them has no rollback file.
    pub async fn down(
        &self,
        target: impl Into<PgTarget>,
        to: Option<&str>,
    ) -> Result<Vec<String>, MigrateError> {
        let target = target.into();
        let config = &target;
        let client = connect(config).await?;
        let lock = connect(config).await?;
        acquire_lock(&lock).await?;
        let result = self.down_locked(&client, to).await;
        let _ = lock
            .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
            .await;
        result
    }

    /// The versions `down` would roll back, newest first, without rolling anything back: the
    /// same refusals `down` gives, so a caller can check before taking a backup.
    pub async fn down_versions(
        &self,
        client: &Client,
        to: Option<&str>,
    ) -> Result<Vec<String>, MigrateError> {
        let plan = self.down_plan(client, to).await?;
        Ok(plan.into_iter().map(|(m, _)| m.version.clone()).collect())
    }

    fn known(&self, version: &str) -> Result<&Migration, MigrateError> {
        self.find(version).ok_or_else(|| {
            MigrateError::Refused(format!(
                "no migration with version {version} in the {}",
                self.source.describe()
            ))
        })
    }
}

/// Writes `<dir>/<now>_<description>.sql` with a template and returns its path.
pub fn new_migration_file(
    dir: &std::path::Path,
    description: &str,
    now: DateTime<Utc>,
) -> Result<std::path::PathBuf, MigrateError> {
    let slug: String = description
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    if slug.is_empty() {
        return Err(MigrateError::Refused(
            "the description needs at least one letter or digit".into(),
        ));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| MigrateError::Source(format!("cannot create {}: {e}", dir.display())))?;
    let taken: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| MigrateError::Source(format!("cannot read {}: {e}", dir.display())))?
        .filter_map(|e| e.ok())
        .filter_map(|e| source::parse_name(&e.file_name().to_string_lossy()).map(|p| p.0))
        .collect();
    // Versions are per minute; move to the next free minute after the newest existing one.
    let mut t = now;
    let newest = taken.iter().max().cloned();
    loop {
        let v = t.format("%Y_%m_%d_%H_%M").to_string();
        if !taken.contains(&v) && newest.as_ref().is_none_or(|n| &v > n) {
            let path = dir.join(format!("{v}_{slug}.sql"));
            let body = format!(
                "-- Migration: {description}\n-- Version: {v}\n--\n\
                 -- Runs in one transaction with its row in `migrations`.\n\
                 -- Grants to the request role: EXECUTE format('GRANT ... TO %I', current_setting('sparky.app_role'));\n\
                 -- New user tables need ENABLE + FORCE ROW LEVEL SECURITY and policies using (select auth.uid()).\n\
                 -- A step that reads or writes existing rows lifts FORCE around itself (ALTER TABLE t NO FORCE ROW\n\
                 -- LEVEL SECURITY; ...; ALTER TABLE t FORCE ROW LEVEL SECURITY): a plain owner sees no row under it.\n\n"
            );
            std::fs::write(&path, body).map_err(|e| {
                MigrateError::Source(format!("cannot write {}: {e}", path.display()))
            })?;
            return Ok(path);
        }
        t += chrono::Duration::minutes(1);
    }
}
