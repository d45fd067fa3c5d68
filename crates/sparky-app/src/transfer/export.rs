//! Export: everything the acting user owns, written as CSV files into one archive.

use std::collections::{BTreeMap, HashMap};

use chrono::{SecondsFormat, Utc};
use sha2::{Digest, Sha256};
use sparky_db::UserTx;

use crate::error::{AppError, AppResult};
use spec::{FileSpec, Kind, FILES};

use super::*;

pub(super) const USER: &str =
    "SELECT email::text, full_name::text FROM users WHERE id = (SELECT auth.uid())";

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
pub(super) fn build_export(
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
                    (Kind::Text, Some(v)) => escape_text(v),
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

pub(super) fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("export: {e}"))
}

/// Text that a spreadsheet would run as a formula (a leading `=`, `+`, `-`, `@`, tab or
/// carriage return: a food a family member logged into your diary as `=HYPERLINK(…)`) gets a
/// leading `'`, and so does text that already starts with one, so that import takes exactly
/// one away ([`super::parse`]) and every text comes back as it was.
fn escape_text(v: String) -> String {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) {
        format!("'{v}")
    } else {
        v
    }
}

pub(super) fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new())
}

/// tar.gz with fixed modes and times, so equal files make equal entries.
pub(super) fn write_archive(
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
