//! Comparing the files with the applied rows: each migration's state, and what to apply.

use super::ledger::{revised_from, AppliedRow};
use super::{MigrateError, Migration, Migrator, State, Status, StatusEntry};

impl Migrator {
    pub(super) fn compare(&self, applied: &[AppliedRow]) -> Status {
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
                    Some(r)
                        if r.checksum
                            .as_deref()
                            .is_some_and(|c| c != m.checksum && !revised_from(&m.version, c)) =>
                    {
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
    pub(super) fn plan(&self, applied: &[AppliedRow]) -> Result<Vec<&Migration>, MigrateError> {
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

    pub(super) fn find(&self, version: &str) -> Option<&Migration> {
        self.migrations.iter().find(|m| m.version == version)
    }
}
