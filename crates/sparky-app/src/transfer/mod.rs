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

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sparky_db::{DbError, UserTx};
use tokio_postgres::types::ToSql;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use spec::{FileSpec, Kind, FILES};

/// `format` of the manifest.
pub const FORMAT: &str = "sparky-export";
/// The archive format this Sparky writes and reads.
pub const FORMAT_VERSION: u64 = 1;
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

// ---------------------------------------------------------------------------------------------
// Export

const USER: &str = "SELECT email::text, full_name::text FROM users WHERE id = (SELECT auth.uid())";

/// Everything the acting user owns, as one archive.
pub async fn export(tx: &mut UserTx, options: &ExportOptions) -> AppResult<Export> {
    if let Some(t) = options.statement_timeout {
        tx.set_statement_timeout(t);
    }
    let user = tx
        .query_opt(USER, &[])
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let mut results = Vec::with_capacity(FILES.len());
    for spec in FILES {
        results.push((spec, tx.query(&spec.export_sql(), &[]).await?));
    }
    let user = ManifestUser {
        email: user.get(0),
        name: user.get(1),
    };
    let schema_version = options.schema_version.clone();
    // CSV, checksums and gzip are CPU work proportional to the account's history: off the
    // async workers, so one large export does not hold up other requests.
    tokio::task::spawn_blocking(move || build_export(results, user, schema_version))
        .await
        .map_err(|e| internal(format!("stopped: {e}")))?
}

/// The archive of the rows each file's query returned.
fn build_export(
    results: Vec<(&'static FileSpec, Vec<tokio_postgres::Row>)>,
    user: ManifestUser,
    schema_version: String,
) -> AppResult<Export> {
    let mut refs: HashMap<&'static str, HashMap<String, u64>> = HashMap::new();
    let mut files = Vec::with_capacity(results.len());
    for (spec, rows) in results {
        let mut out = csv_writer();
        out.write_record(spec.header()).map_err(internal)?;
        let mut mine = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            let n = i as u64 + 1;
            let mut record: Vec<String> = Vec::with_capacity(spec.cols.len() + 1);
            if spec.has_ref {
                if let Some(id) = row.get::<_, Option<String>>(0) {
                    mine.insert(id, n);
                }
                record.push(n.to_string());
            }
            for (j, col) in spec.cols.iter().enumerate() {
                let value: Option<String> = row.get(j + 1);
                let text = match (col.kind, value) {
                    (_, None) => String::new(),
                    (Kind::Ref(target), Some(id)) => refs
                        .get(target)
                        .and_then(|m| m.get(&id))
                        .map(|n| n.to_string())
                        // Someone else's row (a food shared by a family member) or a
                        // shared catalog row: not part of this archive.
                        .unwrap_or_default(),
                    (_, Some(v)) => v,
                };
                record.push(text);
            }
            out.write_record(&record).map_err(internal)?;
        }
        if spec.has_ref {
            refs.insert(spec.file, mine);
        }
        let bytes = out.into_inner().map_err(|e| internal(e.to_string()))?;
        files.push((spec.file, rows.len() as u64, bytes));
    }
    let now = Utc::now();
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        sparky_version: env!("CARGO_PKG_VERSION").into(),
        schema_version,
        exported_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        user,
        files: files
            .iter()
            .map(|(name, rows, bytes)| ManifestFile {
                name: name.to_string(),
                rows: *rows,
                sha256: hex::encode(Sha256::digest(bytes)),
            })
            .collect(),
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest).map_err(internal)?;
    let bytes = write_archive(&manifest_json, &files, now.timestamp().max(0) as u64)?;
    Ok(Export {
        bytes,
        file_name: format!("sparky-export-{}.tar.gz", now.format("%Y-%m-%d")),
        manifest,
    })
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("export: {e}"))
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new())
}

/// tar.gz with fixed modes and times, so equal files make equal entries.
fn write_archive(
    manifest: &[u8],
    files: &[(&str, u64, Vec<u8>)],
    mtime: u64,
) -> AppResult<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let entries = std::iter::once((MANIFEST, manifest)).chain(
        files
            .iter()
            .map(|(name, _, bytes)| (*name, bytes.as_slice())),
    );
    for (name, data) in entries {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(mtime);
        header.set_uid(0);
        header.set_gid(0);
        tar.append_data(&mut header, name, data).map_err(internal)?;
    }
    let gz = tar.into_inner().map_err(internal)?;
    gz.finish().map_err(internal)
}

/// Packs files into an archive with `manifest` (its `files` rewritten with each file's
/// SHA-256; the row counts are kept as given): for tools and tests that change an archive.
pub fn pack(manifest: &Manifest, files: &BTreeMap<String, Vec<u8>>) -> AppResult<Vec<u8>> {
    let mut manifest = manifest.clone();
    for f in manifest.files.iter_mut() {
        if let Some(data) = files.get(&f.name) {
            f.sha256 = hex::encode(Sha256::digest(data));
        }
    }
    let entries: Vec<(&str, u64, Vec<u8>)> = manifest
        .files
        .iter()
        .filter_map(|f| {
            files
                .get(&f.name)
                .map(|d| (f.name.as_str(), f.rows, d.clone()))
        })
        .collect();
    let json = serde_json::to_vec_pretty(&manifest).map_err(internal)?;
    write_archive(&json, &entries, 0)
}

// ---------------------------------------------------------------------------------------------
// Reading an archive

/// The files of an archive, checked against its manifest.
#[derive(Debug)]
pub struct Archive {
    pub manifest: Manifest,
    pub files: BTreeMap<String, Vec<u8>>,
}

/// A reader that fails once more than `left` bytes came through (a gzip bomb).
struct Limited<R> {
    inner: R,
    left: u64,
    exceeded: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            self.exceeded.set(true);
            return Err(std::io::Error::other("the archive is too large"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Unpacks and checks an archive: gzip and tar framing, the manifest's format and version,
/// and each file's presence, size limit, row count (later) and SHA-256.
pub fn read_archive(bytes: &[u8], max_uncompressed: u64) -> AppResult<Archive> {
    if bytes.is_empty() {
        return Err(bad(
            "the archive is empty; send the .tar.gz file `sparky export` wrote",
        ));
    }
    let exceeded = std::rc::Rc::new(std::cell::Cell::new(false));
    let reader = Limited {
        inner: flate2::read::GzDecoder::new(bytes),
        left: max_uncompressed,
        exceeded: exceeded.clone(),
    };
    let mut archive = tar::Archive::new(reader);
    let mut files = BTreeMap::new();
    let broken = |e: std::io::Error| {
        if exceeded.get() {
            bad(format!(
                "the archive is larger than {max_uncompressed} bytes once decompressed"
            ))
        } else {
            bad(format!(
                "not a gzip-compressed tar file as `sparky export` writes: {e}"
            ))
        }
    };
    for entry in archive.entries().map_err(broken)? {
        let mut entry = entry.map_err(broken)?;
        let kind = entry.header().entry_type();
        let path = entry.path().map_err(broken)?.to_string_lossy().into_owned();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() || path.contains('/') || path.starts_with('.') {
            return Err(bad(format!(
                "unexpected entry `{path}`: an archive holds only manifest.json and the CSV files"
            )));
        }
        let mut data = Vec::new();
        entry.read_to_end(&mut data).map_err(broken)?;
        if files.insert(path.clone(), data).is_some() {
            return Err(bad(format!("`{path}` appears twice")));
        }
    }
    let manifest_bytes = files.remove(MANIFEST).ok_or_else(|| {
        bad("no manifest.json: this is not an archive written by `sparky export`")
    })?;
    let manifest = parse_manifest(&manifest_bytes)?;
    for listed in &manifest.files {
        let data = files.get(&listed.name).ok_or_else(|| {
            bad(format!(
                "{} is listed in manifest.json but missing",
                listed.name
            ))
        })?;
        if hex::encode(Sha256::digest(data)) != listed.sha256.to_ascii_lowercase() {
            return Err(bad(format!(
                "{}: its SHA-256 does not match manifest.json (the file was changed or damaged)",
                listed.name
            )));
        }
    }
    for name in files.keys() {
        if !manifest.files.iter().any(|f| &f.name == name) {
            return Err(bad(format!("{name} is not listed in manifest.json")));
        }
    }
    for spec in FILES {
        if !files.contains_key(spec.file) {
            return Err(bad(format!("{} is missing", spec.file)));
        }
    }
    for name in files.keys() {
        if spec::file_spec(name).is_none() {
            return Err(bad(format!(
                "{name} is not a file of format version {FORMAT_VERSION}"
            )));
        }
    }
    Ok(Archive { manifest, files })
}

fn parse_manifest(bytes: &[u8]) -> AppResult<Manifest> {
    let at = |e: serde_json::Error| {
        bad(format!(
            "manifest.json line {} column {}: {e}",
            e.line(),
            e.column()
        ))
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(at)?;
    let format = value.get("format").and_then(|v| v.as_str());
    if format != Some(FORMAT) {
        return Err(bad(format!(
            "manifest.json: format is {}, not \"{FORMAT}\"",
            value
                .get("format")
                .map(|v| v.to_string())
                .unwrap_or("missing".into())
        )));
    }
    match value.get("format_version").and_then(|v| v.as_u64()) {
        Some(FORMAT_VERSION) => {}
        other => {
            return Err(bad(format!(
                "manifest.json: format_version {} is not supported; this Sparky reads version {FORMAT_VERSION}",
                other.map(|v| v.to_string()).unwrap_or_else(|| "(missing)".into())
            )))
        }
    }
    let manifest: Manifest =
        serde_json::from_value(value).map_err(|e| bad(format!("manifest.json: {e}")))?;
    Ok(manifest)
}

// ---------------------------------------------------------------------------------------------
// Parsing the CSV files

/// One file's rows, checked and with references resolved: column-major text, ready to be
/// sent as `text[]` parameters.
struct Parsed {
    /// New ids, ascending in file order.
    ids: Vec<Option<String>>,
    /// The line each row starts on.
    lines: Vec<u64>,
    /// Per CSV column of the spec (without `ref`), its values.
    columns: Vec<Vec<Option<String>>>,
}

fn at(
    file: &str,
    line: u64,
    column: usize,
    name: &str,
    problem: impl std::fmt::Display,
) -> AppError {
    bad(format!(
        "{file} line {line} column {column} ({name}): {problem}"
    ))
}

fn is_number(v: &str) -> bool {
    let digits = v.strip_prefix('-').unwrap_or(v);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks one value against its kind; `Ok(Some(problem))` describes what is wrong.
fn check_value(kind: Kind, v: &str) -> Option<String> {
    let problem = |p: &str| Some(p.to_string());
    match kind {
        Kind::Text => v.contains('\0').then(|| "contains a NUL character".into()),
        Kind::Num => (!is_number(v)).then(|| "not a number".into()),
        Kind::Int => v.parse::<i32>().err().map(|_| "not a whole number".into()),
        Kind::Bool => (v != "true" && v != "false").then(|| "must be true or false".into()),
        // The range the API accepts: a weight dated 9999 would be "the latest weight" for ever.
        Kind::Date => match sparky_core::Date::parse(v) {
            Ok(_) => None,
            Err(sparky_core::values::DateError::OutOfRange) => {
                problem("must be between 1900-01-01 and 2199-12-31")
            }
            Err(_) => problem("not a date (YYYY-MM-DD)"),
        },
        Kind::Ts => match DateTime::parse_from_rfc3339(v) {
            Err(_) => problem("not a timestamp (RFC 3339, e.g. 2026-01-31T08:00:00Z)"),
            Ok(t) => sparky_core::Timestamp::new(t.with_timezone(&Utc))
                .err()
                .map(|_| "must be dated between 1900-01-02 and 2199-12-30".into()),
        },
        Kind::Json => serde_json::from_str::<serde_json::Value>(v)
            .err()
            .map(|e| format!("not JSON: {e}")),
        Kind::TextList => serde_json::from_str::<Vec<String>>(v)
            .err()
            .map(|_| "not a JSON array of strings".into()),
        Kind::NumList => serde_json::from_str::<Vec<Option<serde_json::Number>>>(v)
            .err()
            .map(|_| "not a JSON array of numbers and nulls".into()),
        Kind::Ref(_) => None,
    }
}

/// New ids for `n` rows, ascending, so that ordering by id keeps the file's order.
fn new_ids(n: usize) -> Vec<String> {
    let mut ids: Vec<Uuid> = (0..n).map(|_| Uuid::new_v4()).collect();
    ids.sort();
    ids.into_iter().map(|u| u.to_string()).collect()
}

fn parse_file(
    spec: &FileSpec,
    bytes: &[u8],
    refs: &HashMap<&'static str, HashMap<u64, String>>,
) -> AppResult<(Parsed, Option<HashMap<u64, String>>)> {
    let file = spec.file;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let header = spec.header();
    let offset = usize::from(spec.has_ref);
    // Columns added to the format later may be missing at the end (an older archive).
    let mut present = header.len();
    let mut records = Vec::new();
    let mut seen_header = false;
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            match e.kind() {
                csv::ErrorKind::Utf8 { .. } => bad(format!("{file} line {line}: not UTF-8 text")),
                _ => bad(format!("{file} line {line}: {e}")),
            }
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if !seen_header {
            seen_header = true;
            // An older archive may lack the columns added to the format later (at the end).
            let may_lack = |n: usize| {
                n >= offset
                    && n < header.len()
                    && spec.cols[n - offset..].iter().all(|c| c.absent.is_some())
            };
            if may_lack(record.len()) {
                present = record.len();
            }
            for (i, expected) in header.iter().enumerate().take(present) {
                let found = record.get(i);
                if found != Some(*expected) {
                    return Err(bad(format!(
                        "{file} line {line} column {}: expected the column `{expected}`, found {}; the header is {}",
                        i + 1,
                        found.map(|f| format!("`{f}`")).unwrap_or("nothing".into()),
                        header.join(",")
                    )));
                }
            }
            if record.len() > header.len() {
                return Err(bad(format!(
                    "{file} line {line} column {}: unexpected column `{}`; the header is {}",
                    header.len() + 1,
                    &record[header.len()],
                    header.join(",")
                )));
            }
            continue;
        }
        if record.len() == 1 && record[0].is_empty() {
            continue; // a blank line
        }
        if record.len() != present {
            return Err(bad(format!(
                "{file} line {line}: {} fields, expected {present}",
                record.len(),
            )));
        }
        records.push((line, record));
    }
    if !seen_header {
        return Err(bad(format!("{file} line 1: the header is missing")));
    }
    let n = records.len();
    let ids = new_ids(n);
    let mut mine = spec.has_ref.then(HashMap::new);
    let mut columns: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(n); spec.cols.len()];
    let mut lines = Vec::with_capacity(n);
    for (row, (line, record)) in records.iter().enumerate() {
        lines.push(*line);
        if let Some(mine) = mine.as_mut() {
            let r = &record[0];
            let number = r
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| at(file, *line, 1, "ref", "not a positive whole number"))?;
            if mine.insert(number, ids[row].clone()).is_some() {
                return Err(at(
                    file,
                    *line,
                    1,
                    "ref",
                    format!("ref {number} appears twice"),
                ));
            }
        }
        for (j, col) in spec.cols.iter().enumerate() {
            let v = match record.get(j + offset).filter(|_| j + offset < present) {
                Some(v) => v,
                None => col.absent.unwrap_or_default(),
            };
            let column = j + offset + 1;
            let value = if v.is_empty() {
                if col.required && col.kind != Kind::Text {
                    return Err(at(file, *line, column, col.name, "must not be empty"));
                }
                (col.required && col.kind == Kind::Text).then(String::new)
            } else if let Kind::Ref(target) = col.kind {
                let number = v
                    .parse::<u64>()
                    .map_err(|_| at(file, *line, column, col.name, "not a ref number"))?;
                let id = refs
                    .get(target)
                    .and_then(|m| m.get(&number))
                    .ok_or_else(|| {
                        at(
                            file,
                            *line,
                            column,
                            col.name,
                            format!("{target} has no row with ref {number}"),
                        )
                    })?;
                Some(id.clone())
            } else {
                if let Some(problem) = check_value(col.kind, v) {
                    return Err(at(file, *line, column, col.name, problem));
                }
                Some(v.to_string())
            };
            columns[j].push(value);
        }
    }
    Ok((
        Parsed {
            ids: ids.into_iter().map(Some).collect(),
            lines,
            columns,
        },
        mine,
    ))
}

// ---------------------------------------------------------------------------------------------
// Import

/// Tables whose rows make an account "not empty": an import adds to nothing.
const HAS_DATA: &str = "SELECT
    EXISTS (SELECT 1 FROM food_items WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM exercises WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM measurement_types WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM measurements WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM goals WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM meal_plan_templates WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM meal_plans WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM food_diary WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM exercise_diary WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM health_data_records WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM chat_conversations WHERE user_id = (SELECT auth.uid()))";

const IMPORT_LOCK: &str =
    "SELECT pg_advisory_xact_lock(hashtextextended('sparky-import:' || (SELECT auth.uid())::text, 0))";

/// An archive that was unpacked and parsed, ready to be written: everything about it that
/// needs no database has been checked. Its decompressed files are gone; only the parsed
/// columns are kept.
pub struct CheckedArchive {
    exported_at: String,
    parsed: Vec<(&'static FileSpec, Parsed)>,
}

impl std::fmt::Debug for CheckedArchive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedArchive")
            .field("exported_at", &self.exported_at)
            .field("files", &self.parsed.len())
            .finish()
    }
}

/// Unpacks and parses an archive (gzip, tar, manifest, checksums, every CSV file and the
/// references between them). CPU-bound and synchronous: a server runs it off the async
/// workers (see [`import`]).
pub fn check_archive(bytes: &[u8], max_uncompressed: u64) -> AppResult<CheckedArchive> {
    let archive = read_archive(bytes, max_uncompressed)?;
    let mut refs: HashMap<&'static str, HashMap<u64, String>> = HashMap::new();
    let mut parsed = Vec::with_capacity(FILES.len());
    for spec in FILES {
        let data = &archive.files[spec.file];
        let (p, mine) = parse_file(spec, data, &refs)?;
        let listed = archive
            .manifest
            .files
            .iter()
            .find(|f| f.name == spec.file)
            .map(|f| f.rows);
        if listed != Some(p.lines.len() as u64) {
            return Err(bad(format!(
                "{}: {} rows, but manifest.json says {}",
                spec.file,
                p.lines.len(),
                listed.map(|r| r.to_string()).unwrap_or("nothing".into())
            )));
        }
        if let Some(m) = mine {
            refs.insert(spec.file, m);
        }
        parsed.push((spec, p));
    }
    Ok(CheckedArchive {
        exported_at: archive.manifest.exported_at,
        parsed,
    })
}

/// Reads an archive into the acting user's account, which must hold no data yet (409
/// otherwise). Everything is checked before the first write; the caller commits. The archive
/// is unpacked and parsed on a blocking thread, so a large one does not hold up the async
/// workers that serve other requests.
pub async fn import(
    tx: &mut UserTx,
    bytes: bytes::Bytes,
    options: &ImportOptions,
) -> AppResult<ImportReport> {
    let max = options.max_uncompressed;
    let checked = tokio::task::spawn_blocking(move || check_archive(&bytes, max))
        .await
        .map_err(|e| AppError::internal(format!("the archive check stopped: {e}")))??;
    import_checked(tx, checked, options).await
}

/// [`import`] of an archive already checked with [`check_archive`].
pub async fn import_checked(
    tx: &mut UserTx,
    checked: CheckedArchive,
    options: &ImportOptions,
) -> AppResult<ImportReport> {
    let CheckedArchive {
        exported_at,
        parsed,
    } = checked;
    if let Some(t) = options.statement_timeout {
        tx.set_statement_timeout(t);
    }
    check_rules(tx, &parsed, options).await?;
    // Two imports into one account at once: the second waits, then finds the data.
    tx.query(IMPORT_LOCK, &[]).await?;
    let has_data: bool = tx.query_one(HAS_DATA, &[]).await?.get(0);
    if has_data {
        return Err(AppError::conflict(
            "this account already holds data; import into a new, empty account",
        ));
    }
    let mut files = Vec::with_capacity(parsed.len());
    for (spec, p) in &parsed {
        let rows = p.lines.len() as u64;
        let written = match (spec.import_sql(), rows) {
            (Some(sql), 1..) => {
                insert_file(tx, spec, &sql, p).await?;
                rows
            }
            _ => 0,
        };
        files.push(ImportedFile {
            name: spec.file.to_string(),
            rows: written,
        });
    }
    Ok(ImportReport { exported_at, files })
}

/// The values of one column of a parsed file, with their lines and the column's position.
fn column<'a>(
    parsed: &'a [(&'static FileSpec, Parsed)],
    file: &str,
    name: &str,
) -> Option<(&'static FileSpec, &'a Parsed, usize)> {
    let (spec, p) = parsed.iter().find(|(s, _)| s.file == file)?;
    let j = spec.cols.iter().position(|c| c.name == name)?;
    Some((spec, p, j))
}

/// Rules the API applies to values the database cannot check: a time zone must be one
/// PostgreSQL and Sparky know, custom measurement types stay within the per-user limit and do
/// not take a built-in type's name, and the assistant's base URL passes the private-network
/// guard.
async fn check_rules(
    tx: &mut UserTx,
    parsed: &[(&'static FileSpec, Parsed)],
    options: &ImportOptions,
) -> AppResult<()> {
    if let Some((spec, p, j)) = column(parsed, "preferences.csv", "timezone") {
        for (row, tz) in p.columns[j].iter().enumerate() {
            let tz = tz.as_deref().unwrap_or_default();
            if crate::preferences::parse_timezone("timezone", tz).is_err() {
                let col = j + usize::from(spec.has_ref) + 1;
                return Err(at(
                    spec.file,
                    p.lines[row],
                    col,
                    "timezone",
                    "not an IANA time zone",
                ));
            }
        }
    }
    if let Some((spec, p, j)) = column(parsed, "measurement_types.csv", "name") {
        let max = crate::measurement_types::MAX_CUSTOM_TYPES;
        if p.lines.len() as i64 > max {
            return Err(bad(format!(
                "{}: {} custom measurement types, more than the {max} one user may have",
                spec.file,
                p.lines.len()
            )));
        }
        let built_in: Vec<String> = tx
            .query(
                "SELECT name::text FROM measurement_types WHERE user_id IS NULL",
                &[],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for (row, name) in p.columns[j].iter().enumerate() {
            if let Some(name) = name.as_deref().filter(|n| built_in.iter().any(|b| b == n)) {
                let col = j + usize::from(spec.has_ref) + 1;
                return Err(at(
                    spec.file,
                    p.lines[row],
                    col,
                    "name",
                    format!("{name} is a built-in measurement type"),
                ));
            }
        }
    }
    if let (Some((spec, p, j)), Some((_, _, k))) = (
        column(parsed, "assistant_settings.csv", "base_url"),
        column(parsed, "assistant_settings.csv", "provider"),
    ) {
        for (row, url) in p.columns[j].iter().enumerate() {
            let Some(url) = url else { continue };
            let col = j + usize::from(spec.has_ref) + 1;
            let fail = |m: String| at(spec.file, p.lines[row], col, "base_url", m);
            let kind = match &p.columns[k][row] {
                Some(name) => serde_json::from_value(serde_json::Value::String(name.clone()))
                    .map_err(|_| {
                        at(
                            spec.file,
                            p.lines[row],
                            k + 1,
                            "provider",
                            "not a known provider",
                        )
                    })?,
                None => options
                    .assistant
                    .instance
                    .provider
                    .unwrap_or(crate::assistant::config::ProviderKind::OpenAiCompatible),
            };
            let normalised =
                sparky_ai::normalise_base_url(kind, url).map_err(|e| fail(e.to_string()))?;
            crate::assistant::config::guard_url(tx, &options.assistant, &normalised)
                .await
                .map_err(|e| match e {
                    AppError::Invalid(f) => fail(f.message()),
                    other => other,
                })?;
        }
    }
    Ok(())
}

/// Runs a file's insert over its first `n` rows.
async fn insert_rows(tx: &mut UserTx, sql: &str, p: &Parsed, n: usize) -> Result<u64, DbError> {
    let ids = p.ids[..n].to_vec();
    let columns: Vec<Vec<Option<String>>> = p.columns.iter().map(|c| c[..n].to_vec()).collect();
    let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(columns.len() + 1);
    params.push(&ids);
    for c in &columns {
        params.push(c);
    }
    tx.execute(sql, &params).await
}

/// A value PostgreSQL refused (a check, a unique key, a value out of range).
fn data_error(e: &DbError) -> Option<&tokio_postgres::error::DbError> {
    let db = match e {
        DbError::Postgres(pg) => pg.as_db_error()?,
        _ => return None,
    };
    matches!(&db.code().code()[..2], "22" | "23").then_some(db)
}

const SAVEPOINT: &str = "SAVEPOINT sparky_import_file";
const ROLLBACK_TO: &str = "ROLLBACK TO SAVEPOINT sparky_import_file";
const RELEASE: &str = "RELEASE SAVEPOINT sparky_import_file";

/// Writes one file in one statement. When PostgreSQL refuses a value, it does not say which
/// row (row level security keeps the failing row out of its message), so the file is tried
/// again in ever shorter prefixes (a binary search, each try undone) to find the first row
/// that fails, and the error names its line.
async fn insert_file(tx: &mut UserTx, spec: &FileSpec, sql: &str, p: &Parsed) -> AppResult<()> {
    let n = p.lines.len();
    tx.execute(SAVEPOINT, &[]).await?;
    let mut error = match insert_rows(tx, sql, p, n).await {
        Ok(_) => {
            tx.execute(RELEASE, &[]).await?;
            return Ok(());
        }
        Err(e) if data_error(&e).is_some() => e,
        Err(e) => return Err(e.into()),
    };
    // The first `lo` rows go in; the first `hi` do not.
    let (mut lo, mut hi) = (0, n);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        tx.execute(ROLLBACK_TO, &[]).await?;
        match insert_rows(tx, sql, p, mid).await {
            Ok(_) => lo = mid,
            Err(e) if data_error(&e).is_some() => {
                hi = mid;
                error = e;
            }
            Err(e) => return Err(e.into()),
        }
    }
    tx.execute(ROLLBACK_TO, &[]).await?;
    Err(db_error(spec, p.lines[hi - 1], &error))
}

/// A refused value, named by file and line, and by column when the constraint names one
/// (`<table>_<column>_check`) or PostgreSQL does.
fn db_error(spec: &FileSpec, line: u64, e: &DbError) -> AppError {
    let Some(db) = data_error(e) else {
        return AppError::internal(format!("import: {e}"));
    };
    let column = db.column().map(str::to_string).or_else(|| {
        let c = db.constraint()?;
        let table = db.table()?;
        let rest = c.strip_prefix(table)?.strip_prefix('_')?;
        Some(rest.strip_suffix("_check").unwrap_or(rest).to_string())
    });
    let offset = usize::from(spec.has_ref);
    let col = column.as_deref().and_then(|c| {
        spec.cols
            .iter()
            .position(|col| col.name == c || col.import == Some(c))
            .map(|i| (i + offset + 1, spec.cols[i].name))
    });
    let place = match col {
        Some((n, name)) => format!("{} line {line} column {n} ({name})", spec.file),
        None => format!("{} line {line}", spec.file),
    };
    let mut message = format!("{place}: {}", db.message());
    if let Some(d) = db.detail() {
        message.push_str(&format!(" ({d})"));
    }
    bad(message)
}

#[cfg(test)]
mod tests {
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
}
