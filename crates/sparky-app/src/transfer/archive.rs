//! Reading an archive: its files within size limits, checked against the manifest.

use std::collections::BTreeMap;
use std::io::Read;

use crate::error::AppResult;
use sha2::{Digest, Sha256};
use spec::FILES;

use super::*;

/// The files of an archive, checked against its manifest.
#[derive(Debug)]
pub struct Archive {
    pub manifest: Manifest,
    pub files: BTreeMap<String, Vec<u8>>,
}

/// A reader that fails once more than `left` bytes came through (a gzip bomb).
pub(super) struct Limited<R> {
    pub(super) inner: R,
    pub(super) left: u64,
    pub(super) exceeded: std::rc::Rc<std::cell::Cell<bool>>,
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

/// The largest manifest.json read (one of `sparky export` lists a dozen files).
const MAX_MANIFEST: u64 = 1 << 20;

/// Unpacks and checks an archive: gzip and tar framing, the manifest's format and version,
/// and each file's presence, size limit, row count (later) and SHA-256.
///
/// Two passes over the compressed bytes: the first keeps nothing but the manifest and each
/// file's hash, so an archive that does not match its manifest is refused without holding its
/// files (a 1 MB upload of a bad manifest and a 500 MB CSV used to take 1.1 GB); only the
/// second, of an archive known to be whole, keeps the files.
pub fn read_archive(bytes: &[u8], max_uncompressed: u64) -> AppResult<Archive> {
    if bytes.is_empty() {
        return Err(bad(
            "the archive is empty; send the .tar.gz file `sparky export` wrote",
        ));
    }
    let mut manifest_bytes = None;
    let mut manifest_too_big = false;
    let mut hashes: BTreeMap<String, String> = BTreeMap::new();
    each_entry(bytes, max_uncompressed, |path, entry| {
        if path == MANIFEST {
            let mut data = Vec::new();
            (&mut *entry)
                .take(MAX_MANIFEST + 1)
                .read_to_end(&mut data)?;
            manifest_too_big = data.len() as u64 > MAX_MANIFEST;
            std::io::copy(entry, &mut std::io::sink())?;
            manifest_bytes = Some(data);
        } else {
            let mut hasher = Sha256::new();
            std::io::copy(entry, &mut hasher)?;
            hashes.insert(path.to_string(), hex::encode(hasher.finalize()));
        }
        Ok(())
    })?;
    let manifest_bytes = manifest_bytes.ok_or_else(|| {
        bad("no manifest.json: this is not an archive written by `sparky export`")
    })?;
    if manifest_too_big {
        return Err(bad(format!(
            "manifest.json is larger than {MAX_MANIFEST} bytes; `sparky export` writes a few kilobytes"
        )));
    }
    let manifest = parse_manifest(&manifest_bytes)?;
    for listed in &manifest.files {
        let sha = hashes.get(&listed.name).ok_or_else(|| {
            bad(format!(
                "{} is listed in manifest.json but missing",
                listed.name
            ))
        })?;
        if *sha != listed.sha256.to_ascii_lowercase() {
            return Err(bad(format!(
                "{}: its SHA-256 does not match manifest.json (the file was changed or damaged)",
                listed.name
            )));
        }
    }
    for name in hashes.keys() {
        if !manifest.files.iter().any(|f| &f.name == name) {
            return Err(bad(format!("{name} is not listed in manifest.json")));
        }
    }
    for spec in FILES {
        if !hashes.contains_key(spec.file) && !spec::ADDED_FILES.contains(&spec.file) {
            return Err(bad(format!("{} is missing", spec.file)));
        }
    }
    for name in hashes.keys() {
        if spec::file_spec(name).is_none() {
            return Err(bad(format!(
                "{name} is not a file of format version {FORMAT_VERSION}"
            )));
        }
    }
    let mut files = BTreeMap::new();
    each_entry(bytes, max_uncompressed, |path, entry| {
        if path != MANIFEST {
            let mut data = Vec::new();
            entry.read_to_end(&mut data)?;
            files.insert(path.to_string(), data);
        }
        Ok(())
    })?;
    Ok(Archive { manifest, files })
}

/// Calls `each` with every file entry of a gzip-compressed tar (its name and contents),
/// refusing other kinds of entries, names with a directory, names seen twice and more than
/// `max_uncompressed` bytes once decompressed.
fn each_entry(
    bytes: &[u8],
    max_uncompressed: u64,
    mut each: impl FnMut(&str, &mut dyn Read) -> std::io::Result<()>,
) -> AppResult<()> {
    let exceeded = std::rc::Rc::new(std::cell::Cell::new(false));
    let reader = Limited {
        inner: flate2::read::GzDecoder::new(bytes),
        left: max_uncompressed,
        exceeded: exceeded.clone(),
    };
    let mut archive = tar::Archive::new(reader);
    let mut seen = std::collections::BTreeSet::new();
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
        if !seen.insert(path.clone()) {
            return Err(bad(format!("`{path}` appears twice")));
        }
        each(&path, &mut entry).map_err(broken)?;
    }
    Ok(())
}

pub(super) fn parse_manifest(bytes: &[u8]) -> AppResult<Manifest> {
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
