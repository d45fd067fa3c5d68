//! Full export and lossless import of one user's data (docs/export-format.md).
//!
//! An archive is a gzip-compressed tar file: `manifest.json` (format and version, Sparky and
//! schema versions, export time, the user, and each file's row count and SHA-256) followed by
//! one CSV file per area ([`spec::FILES`]). Rows point at each other through `ref` numbers,
//! never through database ids, and the files are ordered by what the rows say (dates, creation
//! times), with ties broken by id; the import hands out new ids ascending in file order, so an
//! export of an imported account is the same archive again apart from the manifest's export
//! time and user.
//!
//! [`export`] reads everything the acting user owns (their own rows only: never what a family
//! grant lets them see) in their RLS transaction. [`import`] checks the whole archive before it
//! writes anything, then writes it all in the caller's transaction: an error leaves the account
//! as it was, and names the file, line and column.

pub mod spec;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::AppError;

/// `format` of the manifest.
pub const FORMAT: &str = "sparky-export";
/// The archive format this Sparky writes and reads.
pub const FORMAT_VERSION: u64 = 1;

/// The first schema version (`schema_version` in the manifest) whose archives escape text a
/// spreadsheet would run as a formula with a leading `'` (see docs/export-format.md).
pub const TEXT_ESCAPED_SINCE: &str = "2026_12_10_10_40";
pub const MANIFEST: &str = "manifest.json";

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub format_version: u64,
    pub sparky_version: String,
    /// The newest migration of the exporting server.
    pub schema_version: String,
    /// RFC 3339, UTC.
    pub exported_at: String,
    pub user: ManifestUser,
    /// Every CSV file, in archive order.
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestUser {
    pub email: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub name: String,
    /// Data rows (the header not counted).
    pub rows: u64,
    /// Hex SHA-256 of the file.
    pub sha256: String,
}

/// What the caller knows about the server.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The newest migration (recorded in the manifest).
    pub schema_version: String,
    /// `statement_timeout` for the export's statements (None: the request's own).
    pub statement_timeout: Option<Duration>,
}

/// A finished archive.
#[derive(Debug, Clone)]
pub struct Export {
    pub bytes: Vec<u8>,
    /// `sparky-export-YYYY-MM-DD.tar.gz`.
    pub file_name: String,
    pub manifest: Manifest,
}

/// Limits of one import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The assistant's instance settings: an imported assistant base URL passes the same
    /// private-network guard as one set through the settings (default: no private addresses
    /// unless the user is the administrator).
    pub assistant: std::sync::Arc<crate::assistant::config::Assistant>,
    /// Largest total size of the archive's files once decompressed.
    pub max_uncompressed: u64,
    /// `statement_timeout` for the import's statements (None: the request's own).
    pub statement_timeout: Option<Duration>,
}

/// What an import wrote.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// The export time of the archive.
    pub exported_at: String,
    /// Rows read back, per file in archive order (files that are never read back, such as
    /// `api_keys.csv`, are listed with 0).
    pub files: Vec<ImportedFile>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportedFile {
    pub name: String,
    pub rows: u64,
}

/// 422 naming where in the archive the problem is.
fn bad(message: impl Into<String>) -> AppError {
    AppError::invalid("archive", message)
}

mod archive;
mod export;
mod import;
mod parse;

pub use archive::{read_archive, Archive};
pub use export::{export, pack};
pub use import::{check_archive, import, import_checked, CheckedArchive};
use parse::*;

#[cfg(test)]
mod tests {
    use super::spec::Kind;
    use super::*;

    #[test]
    fn numbers_are_plain_decimals() {
        for ok in ["0", "12", "-3", "12.50", "0.004", "-0.5"] {
            assert!(is_number(ok), "{ok}");
        }
        for bad in [
            "", "-", ".5", "5.", "1e3", "1,5", "NaN", "+1", " 1", "1.2.3",
        ] {
            assert!(!is_number(bad), "{bad}");
        }
    }

    #[test]
    fn values_are_checked_by_kind() {
        assert_eq!(check_value(Kind::Int, "12"), None);
        assert!(check_value(Kind::Int, "12.5").is_some());
        assert_eq!(check_value(Kind::Bool, "true"), None);
        assert!(check_value(Kind::Bool, "yes").is_some());
        assert_eq!(check_value(Kind::Date, "2026-02-28"), None);
        assert!(check_value(Kind::Date, "2026-02-30").is_some());
        assert!(check_value(Kind::Date, "2026-2-3").is_some());
        assert_eq!(check_value(Kind::Ts, "2026-11-01T07:30:00.000000Z"), None);
        assert_eq!(check_value(Kind::Ts, "2026-11-01T07:30:00+01:00"), None);
        assert!(check_value(Kind::Ts, "2026-11-01 07:30").is_some());
        assert_eq!(check_value(Kind::Json, "{\"a\": [1]}"), None);
        assert!(check_value(Kind::Json, "{a}").is_some());
        assert_eq!(check_value(Kind::TextList, "[\"core\"]"), None);
        assert!(check_value(Kind::TextList, "[1]").is_some());
        assert_eq!(check_value(Kind::NumList, "[null, 2600.5]"), None);
        assert!(check_value(Kind::NumList, "[\"2600\"]").is_some());
        assert!(check_value(Kind::Text, "a\0b").is_some());
    }

    #[test]
    fn new_ids_ascend() {
        let ids = new_ids(500);
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn an_empty_or_foreign_body_is_named_as_such() {
        let e = read_archive(b"", 1 << 20).unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        let e = read_archive(b"PK\x03\x04", 1 << 20)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a gzip-compressed tar file"), "{e}");
    }

    #[test]
    fn a_manifest_too_large_or_a_file_that_does_not_match_is_refused_before_files_are_kept() {
        let huge = vec![b' '; (1 << 20) + 10];
        let bytes = export::write_archive(&huge, &[], 0).unwrap();
        let e = read_archive(&bytes, 1 << 30).unwrap_err().to_string();
        assert!(e.contains("manifest.json is larger than"), "{e}");
        // A file whose hash the manifest does not list, however large, is refused by its
        // hash: the first pass streams it without keeping it.
        let manifest = serde_json::json!({
            "format": FORMAT, "format_version": FORMAT_VERSION, "sparky_version": "x",
            "schema_version": "x", "exported_at": "2026-12-06T00:00:00Z",
            "user": {"email": "a@example.com", "name": null},
            "files": [{"name": "diary.csv", "rows": 1, "sha256": "00"}]
        });
        let big = vec![b'a'; 8 << 20];
        let bytes =
            export::write_archive(manifest.to_string().as_bytes(), &[("diary.csv", 1, big)], 0)
                .unwrap();
        let e = read_archive(&bytes, 1 << 30).unwrap_err().to_string();
        assert!(e.contains("diary.csv: its SHA-256 does not match"), "{e}");
    }
}
