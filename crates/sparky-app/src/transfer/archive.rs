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
