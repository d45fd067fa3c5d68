//! Applying and rolling back under the lock: each migration in one transaction with its row.

use std::time::Instant;

use tokio_postgres::Client;

use super::ledger::{adopt_unrecorded_checksums, read_applied, CREATE_TRACKING_TABLE, RECORD};
use super::source::DownFile;
use super::{sql, MigrateError, Migration, Migrator, RunReport};
use crate::roles;

impl Migrator {
    pub(super) async fn run_locked(&self, client: &Client) -> Result<RunReport, MigrateError> {
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

    /// What `down` would roll back, newest first, each with its rollback file; refuses
    /// (changing nothing) an unknown or unapplied version or a migration without a rollback file.
    pub(super) async fn down_plan<'m>(
        &'m self,
        client: &Client,
        to: Option<&str>,
    ) -> Result<Vec<(&'m Migration, &'m DownFile)>, MigrateError> {
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
        Ok(plan)
    }

    pub(super) async fn down_locked(
        &self,
        client: &Client,
        to: Option<&str>,
    ) -> Result<Vec<String>, MigrateError> {
        let plan = self.down_plan(client, to).await?;
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
}

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
