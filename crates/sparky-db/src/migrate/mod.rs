//! Sparky's migration runner (seed §Database Migrations).
//!
//! Files `db/migrations/YYYY_MM_DD_HH_MM_description.sql` are applied in version order, each
//! together with its row in the `migrations` table in one transaction. Concurrent runners
//! serialise on an advisory lock held by a dedicated connection, polled with
//! `pg_try_advisory_lock` so a waiting runner never sits in a transaction that a
//! `CREATE INDEX CONCURRENTLY` would wait for.

pub mod source;
pub mod sql;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio_postgres::Client;

pub use source::{Migration, MigrationSource, NO_TRANSACTION_MARKER};

use crate::{connect, roles, PgTarget};

/// Advisory lock key: "sparky migrations" — any constant unlikely to collide with an app's.
const LOCK_KEY: i64 = 0x5350_4152_4b59_4d31;
const LOCK_POLL: Duration = Duration::from_millis(100);

const CREATE_TRACKING_TABLE: &str = "
    CREATE TABLE IF NOT EXISTS migrations (
        version      text PRIMARY KEY,
        description  text,
        checksum     text,
        applied_at   timestamptz NOT NULL DEFAULT now(),
        execution_ms bigint
    )";

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

/// A row of the tracking table.
#[derive(Debug, Clone)]
struct AppliedRow {
    version: String,
    description: Option<String>,
    checksum: Option<String>,
    applied_at: DateTime<Utc>,
    execution_ms: Option<i64>,
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

    fn compare(&self, applied: &[AppliedRow]) -> Status {
        let newest_applied = applied.iter().map(|a| a.version.as_str()).max();
        let mut entries: Vec<StatusEntry> = self
            .migrations
            .iter()
            .map(|m| {
                let row = applied.iter().find(|a| a.version == m.version);
                let state = match row {
                    None => State::Pending,
                    // A row without checksum was marked by hand (the seed's manual INSERT):
                    // it is adopted and its checksum recorded on the next run.
                    Some(r) if r.checksum.as_deref().is_some_and(|c| c != m.checksum) => {
                        State::Modified
                    }
                    Some(_) => State::Applied,
                };
                StatusEntry {
                    version: m.version.clone(),
                    description: m.description.clone(),
                    state,
                    applied_at: row.map(|r| r.applied_at),
                    execution_ms: row.and_then(|r| r.execution_ms),
                    out_of_order: state == State::Pending
                        && newest_applied.is_some_and(|n| m.version.as_str() < n),
                    has_down: m.down.is_some(),
                }
            })
            .collect();
        for row in applied {
            if !self.migrations.iter().any(|m| m.version == row.version) {
                entries.push(StatusEntry {
                    version: row.version.clone(),
                    description: row.description.clone().unwrap_or_default(),
                    state: State::Unknown,
                    applied_at: Some(row.applied_at),
                    execution_ms: row.execution_ms,
                    out_of_order: false,
                    has_down: false,
                });
            }
        }
        entries.sort_by(|a, b| a.version.cmp(&b.version));
        Status { entries }
    }

    /// The migrations to apply, or the reason to refuse.
    fn plan(&self, applied: &[AppliedRow]) -> Result<Vec<&Migration>, MigrateError> {
        let status = self.compare(applied);
        let unknown: Vec<String> = status
            .entries
            .iter()
            .filter(|e| e.state == State::Unknown)
            .map(|e| e.version.clone())
            .collect();
        if !unknown.is_empty() {
            return Err(MigrateError::Unknown { versions: unknown });
        }
        for e in &status.entries {
            let m = self.find(&e.version);
            if e.state == State::Modified {
                let recorded = applied
                    .iter()
                    .find(|a| a.version == e.version)
                    .and_then(|a| a.checksum.clone())
                    .unwrap_or_default();
                let m = m.expect("modified entries are known");
                return Err(MigrateError::Modified {
                    file: m.file_name.clone(),
                    version: m.version.clone(),
                    recorded,
                    actual: m.checksum.clone(),
                });
            }
            if e.out_of_order && !self.allow_out_of_order {
                return Err(MigrateError::OutOfOrder {
                    file: m.expect("pending entries are known").file_name.clone(),
                    newest_applied: applied
                        .iter()
                        .map(|a| a.version.clone())
                        .max()
                        .unwrap_or_default(),
                });
            }
        }
        Ok(status
            .entries
            .iter()
            .filter(|e| e.state == State::Pending)
            .filter_map(|e| self.find(&e.version))
            .collect())
    }

    fn find(&self, version: &str) -> Option<&Migration> {
        self.migrations.iter().find(|m| m.version == version)
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

    async fn run_locked(&self, client: &Client) -> Result<RunReport, MigrateError> {
        roles::ensure_app_role(client, &self.app_role, self.app_role_login).await?;
        client.batch_execute(CREATE_TRACKING_TABLE).await?;
        client
            .execute(
                "SELECT set_config('sparky.app_role', $1, false)",
                &[&self.app_role],
            )
            .await?;
        // Re-read under the lock: another runner may have finished meanwhile.
        let applied = read_applied(client).await?;
        adopt_unrecorded_checksums(client, &applied, &self.migrations).await?;
        let plan = self.plan(&applied)?;
        let mut report = RunReport::default();
        for m in plan {
            apply_one(client, m).await?;
            report.applied.push(m.version.clone());
        }
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

    async fn down_locked(
        &self,
        client: &Client,
        to: Option<&str>,
    ) -> Result<Vec<String>, MigrateError> {
        let applied = read_applied(client).await?;
        let mut versions: Vec<&str> = applied.iter().map(|a| a.version.as_str()).collect();
        versions.sort_unstable_by(|a, b| b.cmp(a));
        let targets: Vec<&str> = match to {
            None => versions.into_iter().take(1).collect(),
            Some(to) => {
                if !versions.contains(&to) {
                    return Err(MigrateError::Refused(format!(
                        "migration {to} is not applied"
                    )));
                }
                versions.into_iter().filter(|v| *v >= to).collect()
            }
        };
        if targets.is_empty() {
            return Err(MigrateError::Refused("no migration is applied".into()));
        }
        let mut plan = Vec::new();
        for v in &targets {
            let m = self.find(v).ok_or_else(|| MigrateError::Unknown {
                versions: vec![v.to_string()],
            })?;
            let down = m.down.as_ref().ok_or_else(|| {
                MigrateError::Refused(format!(
                    "migration {} has no rollback file {}_{}.down.sql; nothing was rolled back. \
                     Write one, or restore from a backup",
                    m.file_name, m.version, m.description
                ))
            })?;
            plan.push((m, down));
        }
        client
            .execute(
                "SELECT set_config('sparky.app_role', $1, false)",
                &[&self.app_role],
            )
            .await?;
        let mut done = Vec::new();
        for (m, down) in plan {
            let body = sql::neutralise_transaction_control(&down.sql)
                .map_err(|e| MigrateError::Source(format!("{}: {e}", down.file_name)))?;
            let started = Instant::now();
            client.batch_execute("BEGIN").await?;
            let result = async {
                client.batch_execute(&body).await?;
                client
                    .execute("DELETE FROM migrations WHERE version = $1", &[&m.version])
                    .await?;
                client.batch_execute("COMMIT").await
            }
            .await;
            if let Err(e) = result {
                let _ = client.batch_execute("ROLLBACK").await;
                return Err(failure(&down.file_name, &down.sql, &e));
            }
            tracing::info!(
                version = %m.version,
                file = %down.file_name,
                ms = started.elapsed().as_millis() as u64,
                "rolled back migration"
            );
            done.push(m.version.clone());
        }
        Ok(done)
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

async fn read_applied(client: &Client) -> Result<Vec<AppliedRow>, MigrateError> {
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
async fn adopt_unrecorded_checksums(
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

/// Polls for the lock; returns whether it had to wait.
async fn acquire_lock(lock: &Client) -> Result<bool, MigrateError> {
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

const RECORD: &str = "INSERT INTO migrations (version, description, checksum, execution_ms)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (version) DO UPDATE
     SET description = EXCLUDED.description, checksum = EXCLUDED.checksum,
         execution_ms = EXCLUDED.execution_ms";

async fn apply_one(client: &Client, m: &Migration) -> Result<(), MigrateError> {
    let started = Instant::now();
    if m.no_transaction {
        if let Err(e) = client.batch_execute(&m.sql).await {
            let mut err = failure(&m.file_name, &m.sql, &e);
            if let MigrateError::Failed { message, .. } = &mut err {
                message.push_str(
                    " (a failed CREATE INDEX CONCURRENTLY can leave an INVALID index behind; \
                     `sparky doctor` lists them; drop it before retrying)",
                );
            }
            return Err(err);
        }
        let ms = started.elapsed().as_millis() as i64;
        client
            .execute(RECORD, &[&m.version, &m.description, &m.checksum, &ms])
            .await?;
    } else {
        let body = sql::neutralise_transaction_control(&m.sql)
            .map_err(|e| MigrateError::Source(format!("{}: {e}", m.file_name)))?;
        client.batch_execute("BEGIN").await?;
        let result = async {
            client.batch_execute(&body).await?;
            let ms = started.elapsed().as_millis() as i64;
            client
                .execute(RECORD, &[&m.version, &m.description, &m.checksum, &ms])
                .await?;
            client.batch_execute("COMMIT").await
        }
        .await;
        if let Err(e) = result {
            let _ = client.batch_execute("ROLLBACK").await;
            let err = failure(&m.file_name, &m.sql, &e);
            tracing::error!(file = %m.file_name, "{err}");
            return Err(err);
        }
    }
    tracing::info!(
        version = %m.version,
        file = %m.file_name,
        ms = started.elapsed().as_millis() as u64,
        "applied migration"
    );
    Ok(())
}

/// Turns a PostgreSQL error into one naming the file, the position and PostgreSQL's words.
fn failure(file: &str, text: &str, e: &tokio_postgres::Error) -> MigrateError {
    let Some(db) = e.as_db_error() else {
        return MigrateError::Failed {
            file: file.to_string(),
            line: 0,
            column: 0,
            message: e.to_string(),
        };
    };
    let (line, column) = match db.position() {
        Some(tokio_postgres::error::ErrorPosition::Original(p)) => {
            sql::line_col(text, sql::char_position_to_byte(text, *p as usize))
        }
        _ => (0, 0),
    };
    let mut message = format!("{} ({})", db.message(), db.code().code());
    if let Some(d) = db.detail() {
        message.push_str(&format!("; detail: {d}"));
    }
    if let Some(h) = db.hint() {
        message.push_str(&format!("; hint: {h}"));
    }
    if let Some(w) = db.where_() {
        message.push_str(&format!("; where: {w}"));
    }
    MigrateError::Failed {
        file: file.to_string(),
        line,
        column,
        message,
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
                 -- New user tables need ENABLE + FORCE ROW LEVEL SECURITY and policies using (select auth.uid()).\n\n"
            );
            std::fs::write(&path, body).map_err(|e| {
                MigrateError::Source(format!("cannot write {}: {e}", path.display()))
            })?;
            return Ok(path);
        }
        t += chrono::Duration::minutes(1);
    }
}
