//! Where migration files come from: embedded at build time, or a directory on disk.

use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use sha2::{Digest, Sha256};

use super::{sql, MigrateError};

/// The repository's `db/migrations`, carried inside the binary.
static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../db/migrations");

/// First line that marks a file to run outside a transaction.
pub const NO_TRANSACTION_MARKER: &str = "-- sparky:no-transaction";

/// One migration: an up file and, where one exists, its `.down.sql` rollback.
#[derive(Debug, Clone)]
pub struct Migration {
    /// `YYYY_MM_DD_HH_MM`, also the sort key.
    pub version: String,
    pub description: String,
    pub file_name: String,
    /// File contents with CRLF normalised to LF.
    pub sql: String,
    /// SHA-256 hex of `sql`.
    pub checksum: String,
    pub no_transaction: bool,
    pub down: Option<DownFile>,
}

#[derive(Debug, Clone)]
pub struct DownFile {
    pub file_name: String,
    pub sql: String,
}

/// Where to read migrations from.
#[derive(Debug, Clone)]
pub enum MigrationSource {
    Embedded,
    Directory(PathBuf),
}

impl MigrationSource {
    pub fn describe(&self) -> String {
        match self {
            MigrationSource::Embedded => "migrations built into this binary".into(),
            MigrationSource::Directory(p) => format!("migrations in {}", p.display()),
        }
    }

    /// Reads, validates and sorts the migrations.
    pub fn load(&self) -> Result<Vec<Migration>, MigrateError> {
        let files: Vec<(String, Vec<u8>)> = match self {
            MigrationSource::Embedded => EMBEDDED
                .files()
                .map(|f| {
                    (
                        f.path().to_string_lossy().into_owned(),
                        f.contents().to_vec(),
                    )
                })
                .collect(),
            MigrationSource::Directory(dir) => read_dir_files(dir)?,
        };
        parse_files(files)
    }
}

fn read_dir_files(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, MigrateError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        MigrateError::Source(format!(
            "cannot read migrations directory {}: {e}",
            dir.display()
        ))
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| MigrateError::Source(e.to_string()))?;
        if !entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = std::fs::read(entry.path()).map_err(|e| {
            MigrateError::Source(format!("cannot read {}: {e}", entry.path().display()))
        })?;
        files.push((name, bytes));
    }
    Ok(files)
}

/// The LF-normalised text and its SHA-256, so a checkout with CRLF line endings has the
/// same checksum as one with LF.
pub fn normalise(bytes: &[u8], name: &str) -> Result<(String, String), MigrateError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| MigrateError::Source(format!("{name} is not valid UTF-8")))?;
    let text = text.replace("\r\n", "\n");
    let checksum = hex::encode(Sha256::digest(text.as_bytes()));
    Ok((text, checksum))
}

/// Splits `2024_03_15_14_20_add_meal_planning.sql` into version and description.
pub fn parse_name(name: &str) -> Option<(String, String, bool)> {
    let (stem, is_down) = if let Some(s) = name.strip_suffix(".down.sql") {
        (s, true)
    } else {
        (name.strip_suffix(".sql")?, false)
    };
    if stem.len() < 18 || !stem.is_char_boundary(16) {
        return None;
    }
    let (version, rest) = stem.split_at(16);
    let desc = rest.strip_prefix('_')?;
    let version_ok = version.bytes().enumerate().all(|(i, b)| match i {
        4 | 7 | 10 | 13 => b == b'_',
        _ => b.is_ascii_digit(),
    });
    let desc_ok = !desc.is_empty()
        && desc
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    (version_ok && desc_ok).then(|| (version.to_string(), desc.to_string(), is_down))
}

fn parse_files(files: Vec<(String, Vec<u8>)>) -> Result<Vec<Migration>, MigrateError> {
    let mut ups: Vec<Migration> = Vec::new();
    let mut downs: Vec<(String, DownFile)> = Vec::new();
    for (name, bytes) in files {
        if !name.ends_with(".sql") {
            continue; // READMEs and the like
        }
        let Some((version, description, is_down)) = parse_name(&name) else {
            return Err(MigrateError::Source(format!(
                "{name}: migration files must be named YYYY_MM_DD_HH_MM_description.sql \
                 (lowercase description, digits and underscores); rename it"
            )));
        };
        let (text, checksum) = normalise(&bytes, &name)?;
        if is_down {
            downs.push((
                version,
                DownFile {
                    file_name: name,
                    sql: text,
                },
            ));
            continue;
        }
        let no_transaction = text.lines().next().map(str::trim_end) == Some(NO_TRANSACTION_MARKER);
        if no_transaction {
            check_single_statement(&name, &text)?;
        }
        ups.push(Migration {
            version,
            description,
            file_name: name,
            sql: text,
            checksum,
            no_transaction,
            down: None,
        });
    }
    ups.sort_by(|a, b| a.version.cmp(&b.version));
    for pair in ups.windows(2) {
        if pair[0].version == pair[1].version {
            return Err(MigrateError::Source(format!(
                "{} and {} share version {}; give one of them a later timestamp",
                pair[0].file_name, pair[1].file_name, pair[0].version
            )));
        }
    }
    for (version, down) in downs {
        match ups.iter_mut().find(|m| m.version == version) {
            Some(m) => m.down = Some(down),
            None => {
                return Err(MigrateError::Source(format!(
                    "{}: rollback file without a matching migration {version}_*.sql",
                    down.file_name
                )))
            }
        }
    }
    Ok(ups)
}

/// A no-transaction file runs as is; more than one statement there would leave a half-applied
/// file behind on failure, so it is refused.
fn check_single_statement(name: &str, text: &str) -> Result<(), MigrateError> {
    let statements = sql::split_statements(text);
    if statements.len() != 1 {
        return Err(MigrateError::Source(format!(
            "{name}: a file marked `{NO_TRANSACTION_MARKER}` must hold exactly one statement, \
             it holds {}; split it into one file per statement",
            statements.len()
        )));
    }
    if sql::transaction_control(statements[0].text(text)).is_some() {
        return Err(MigrateError::Source(format!(
            "{name}: a no-transaction file cannot be a transaction-control statement"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            parse_name("2024_03_15_14_20_add_meal_planning.sql"),
            Some(("2024_03_15_14_20".into(), "add_meal_planning".into(), false))
        );
        assert_eq!(
            parse_name("2024_03_15_14_20_add_meal_planning.down.sql"),
            Some(("2024_03_15_14_20".into(), "add_meal_planning".into(), true))
        );
        assert_eq!(parse_name("2024_03_15_1420_x.sql"), None);
        assert_eq!(parse_name("2024_03_15_14_20.sql"), None);
        assert_eq!(parse_name("2024_03_15_14_20_Bad-Name.sql"), None);
    }

    #[test]
    fn crlf_and_lf_have_one_checksum() {
        let (a, ca) = normalise(b"select 1;\r\nselect 2;\r\n", "x").unwrap();
        let (b, cb) = normalise(b"select 1;\nselect 2;\n", "x").unwrap();
        assert_eq!(a, b);
        assert_eq!(ca, cb);
        assert_eq!(ca.len(), 64);
    }

    fn file(name: &str, body: &str) -> (String, Vec<u8>) {
        (name.to_string(), body.as_bytes().to_vec())
    }

    #[test]
    fn sorted_with_downs_attached() {
        let ms = parse_files(vec![
            file("2024_02_01_00_00_b.sql", "select 2;"),
            file("README.md", "not sql"),
            file("2024_01_01_00_00_a.sql", "select 1;"),
            file("2024_02_01_00_00_b.down.sql", "select -2;"),
        ])
        .unwrap();
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0].version, "2024_01_01_00_00");
        assert!(ms[1].down.is_some());
        assert!(ms[0].down.is_none());
    }

    #[test]
    fn refuses_bad_names_duplicates_orphans_and_multi_statement_no_tx() {
        assert!(parse_files(vec![file("add_stuff.sql", "")]).is_err());
        assert!(parse_files(vec![
            file("2024_01_01_00_00_a.sql", ""),
            file("2024_01_01_00_00_b.sql", "")
        ])
        .is_err());
        assert!(parse_files(vec![file("2024_01_01_00_00_a.down.sql", "")]).is_err());
        let err = parse_files(vec![file(
            "2024_01_01_00_00_a.sql",
            "-- sparky:no-transaction\ncreate index concurrently a on t(x); select 1;",
        )])
        .unwrap_err();
        assert!(err.to_string().contains("exactly one statement"), "{err}");
        let ok = parse_files(vec![file(
            "2024_01_01_00_00_a.sql",
            "-- sparky:no-transaction\n-- why\ncreate index concurrently a on t(x);\n",
        )])
        .unwrap();
        assert!(ok[0].no_transaction);
    }
}
